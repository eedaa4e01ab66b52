/*
 * User-mode networking with libslirp: a TCP/IP stack in the VMM that turns the guest's
 * connections into host sockets, so no root and no setup are needed. slirp's sockets and
 * timers run on kite's event loop (a poll hook and one event timer), no thread of its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/net.h"
#include "core/clock.h"
#include "core/event_loop.h"
#include "core/log.h"

struct user_timer {
    struct user_timer *next;
    struct net_user *owner;
    SlirpTimerCb cb;            /* timer_new */
    SlirpTimerId id;            /* timer_new_opaque */
    bool by_id;
    void *cb_opaque;
    uint64_t deadline_ns;       /* 0 = off */
};

struct net_user {
    struct net_backend be;
    Slirp *slirp;
    struct event_loop *loop;
    struct event_poll_hook hook;
    bool hook_added, timer_added;
    struct event_timer timer;   /* at the earliest of slirp's timers */
    struct user_timer *timers;
    uint8_t frame[NET_MAX_FRAME];
};

static int64_t cb_clock_ns(void *opaque)
{
    return (int64_t)clock_host_ns();
}

static void rearm(struct net_user *u)
{
    uint64_t first = 0;
    for (struct user_timer *t = u->timers; t; t = t->next)
        if (t->deadline_ns && (!first || t->deadline_ns < first))
            first = t->deadline_ns;
    if (first)
        event_timer_arm(&u->timer, first);
    else
        event_timer_disarm(&u->timer);
}

static void on_timer(void *opaque)
{
    struct net_user *u = opaque;
    uint64_t now = clock_host_ns();
    /* A callback may modify or free timers: restart the walk after each one. */
    for (bool again = true; again;) {
        again = false;
        for (struct user_timer *t = u->timers; t; t = t->next) {
            if (!t->deadline_ns || t->deadline_ns > now)
                continue;
            t->deadline_ns = 0;
            if (t->by_id)
                slirp_handle_timer(u->slirp, t->id, t->cb_opaque);
            else
                t->cb(t->cb_opaque);
            again = true;
            break;
        }
    }
    rearm(u);
}

static struct user_timer *timer_add(struct net_user *u)
{
    struct user_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->owner = u;
    t->next = u->timers;
    u->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct user_timer *t = timer_add(opaque);
    if (t) {
        t->cb = cb;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct user_timer *t = timer_add(opaque);
    if (t) {
        t->by_id = true;
        t->id = id;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct net_user *u = opaque;
    for (struct user_timer **p = &u->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = ((struct user_timer *)timer)->next;
            free(timer);
            break;
        }
    }
    rearm(u);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct user_timer *t = timer;
    t->deadline_ns = expire_ms > 0 ? (uint64_t)expire_ms * 1000000ULL : 1;
    rearm(opaque);
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_user *u = opaque;
    /* slirp cannot wait: the device queues a bounded backlog or drops, and TCP resends. */
    struct iovec iov = {(void *)buf, len};
    net_backend_deliver(&u->be, &iov, 1);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    log_once(LOG_WARN, "net-user", "guest network error: %s", msg);
}

static void cb_register_poll_fd(int fd, void *opaque) {}
static void cb_unregister_poll_fd(int fd, void *opaque) {}
/* Every pass of the event loop asks slirp for its fds anyway. */
static void cb_notify(void *opaque) {}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
    struct net_user *u = opaque;
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    return event_loop_hook_fd(u->loop, fd, ev);
}

static int cb_get_revents(int idx, void *opaque)
{
    struct net_user *u = opaque;
    short rev = event_loop_hook_revents(u->loop, idx);
    int r = 0;
    if (rev & POLLIN)
        r |= SLIRP_POLL_IN;
    if (rev & POLLOUT)
        r |= SLIRP_POLL_OUT;
    if (rev & POLLPRI)
        r |= SLIRP_POLL_PRI;
    if (rev & (POLLERR | POLLNVAL))
        r |= SLIRP_POLL_ERR;
    if (rev & POLLHUP)
        r |= SLIRP_POLL_HUP;
    return r;
}

static void hook_prepare(void *opaque, struct event_loop *loop, uint64_t *timeout_ns)
{
    struct net_user *u = opaque;
    uint32_t ms = UINT32_MAX;
    if (*timeout_ns / 1000000ULL < UINT32_MAX)
        ms = (uint32_t)(*timeout_ns / 1000000ULL);
    slirp_pollfds_fill(u->slirp, &ms, cb_add_poll, u);
    if (ms != UINT32_MAX && (uint64_t)ms * 1000000ULL < *timeout_ns)
        *timeout_ns = (uint64_t)ms * 1000000ULL;
}

static void hook_dispatch(void *opaque, struct event_loop *loop, bool poll_failed)
{
    struct net_user *u = opaque;
    slirp_pollfds_poll(u->slirp, poll_failed, cb_get_revents, u);
}

static int user_write_packet(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    struct net_user *u = opaque;
    /* slirp_input takes one buffer: gather the frame (at most NET_MAX_FRAME bytes). */
    size_t len = 0;
    for (unsigned i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > sizeof(u->frame) - len)
            return 0;
        memcpy(u->frame + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    slirp_input(u->slirp, u->frame, (int)len);
    return 0;
}

static void user_close(void *opaque)
{
    struct net_user *u = opaque;
    if (u->hook_added)
        event_loop_remove_hook(u->loop, &u->hook);
    if (u->timer_added)
        event_loop_remove_timer(u->loop, &u->timer);
    if (u->slirp)
        slirp_cleanup(u->slirp);
    while (u->timers) {
        struct user_timer *t = u->timers;
        u->timers = t->next;
        free(t);
    }
    free(u);
}

static const struct net_backend_ops user_ops = {
    .write_packet = user_write_packet,
    .close = user_close,
};

static int parse_port(const char *s, const char *end, uint16_t *out)
{
    if (s == end || end - s > 5)
        return -EINVAL;
    unsigned v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v == 0 || v > 65535)
        return -EINVAL;
    *out = (uint16_t)v;
    return 0;
}

/* "[ADDR]:PORT" between s and end; an empty ADDR leaves *addr alone. */
static int parse_endpoint(const char *s, const char *end, uint32_t *addr, uint16_t *port)
{
    const char *colon = NULL;
    for (const char *p = s; p < end; p++)
        if (*p == ':')
            colon = p;
    if (!colon)
        return -EINVAL;
    if (colon > s) {
        char buf[INET_ADDRSTRLEN];
        struct in_addr a;
        if ((size_t)(colon - s) >= sizeof(buf))
            return -EINVAL;
        memcpy(buf, s, (size_t)(colon - s));
        buf[colon - s] = 0;
        if (inet_pton(AF_INET, buf, &a) != 1)
            return -EINVAL;
        *addr = ntohl(a.s_addr);
    }
    return parse_port(colon + 1, end, port);
}

int net_parse_hostfwd(const char *s, struct net_hostfwd *out)
{
    memset(out, 0, sizeof(*out));
    if (!strncmp(s, "tcp:", 4)) {
        s += 4;
    } else if (!strncmp(s, "udp:", 4)) {
        out->udp = true;
        s += 4;
    } else {
        return -EINVAL;
    }
    const char *dash = strchr(s, '-');
    if (!dash || strchr(dash + 1, '-'))
        return -EINVAL;
    /* Never all interfaces unless written out: the host side defaults to loopback. */
    out->host_addr = INADDR_LOOPBACK;
    if (parse_endpoint(s, dash, &out->host_addr, &out->host_port) < 0 ||
        parse_endpoint(dash + 1, dash + 1 + strlen(dash + 1), &out->guest_addr,
                       &out->guest_port) < 0)
        return -EINVAL;
    return 0;
}

static struct in_addr in4(uint32_t host_order)
{
    return (struct in_addr){.s_addr = htonl(host_order)};
}

int net_user_open(const struct net_user_config *cfg, struct event_loop *loop,
                  struct net_backend **out)
{
    struct net_user *u = calloc(1, sizeof(*u));
    if (!u)
        return -ENOMEM;
    u->loop = loop;
    u->be = (struct net_backend){.ops = &user_ops, .opaque = u, .kind = "user",
                                 .mtu = 1500, .carrier = true, .csum_valid = true};
    u->timer = (struct event_timer){.fire = on_timer, .opaque = u};
    u->hook = (struct event_poll_hook){.opaque = u, .prepare = hook_prepare,
                                       .dispatch = hook_dispatch};
    SlirpConfig sc = {
        .version = 4,
        .restricted = cfg->restrict_,
        .in_enabled = true,
        .vnetwork = in4(cfg->net),
        .vnetmask = in4(cfg->mask),
        .vhost = in4(cfg->host),
        .vdhcp_start = in4(cfg->dhcp_start),
        .vnameserver = in4(cfg->net | 3),
        .vhostname = "kite",
        .if_mtu = 1500,
        .if_mru = 1500,
    };
    u->slirp = slirp_new(&sc, &callbacks, u);
    if (!u->slirp) {
        log_error("net-user", "libslirp refused the network configuration");
        user_close(u);
        return -EINVAL;
    }
    for (unsigned i = 0; i < cfg->nfwd; i++) {
        const struct net_hostfwd *f = &cfg->fwd[i];
        uint32_t guest = f->guest_addr ? f->guest_addr : cfg->dhcp_start;
        if (slirp_add_hostfwd(u->slirp, f->udp, in4(f->host_addr), f->host_port, in4(guest),
                              f->guest_port) < 0) {
            struct in_addr a = in4(f->host_addr);
            char buf[INET_ADDRSTRLEN];
            log_error("net-user", "hostfwd: cannot listen on %s %s:%u (port in use?)",
                      f->udp ? "udp" : "tcp", inet_ntop(AF_INET, &a, buf, sizeof(buf)),
                      f->host_port);
            user_close(u);
            return -EADDRINUSE;
        }
    }
    u->hook_added = event_loop_add_hook(loop, &u->hook) == 0;
    u->timer_added = event_loop_add_timer(loop, &u->timer) == 0;
    if (!u->hook_added || !u->timer_added) {
        log_error("net-user", "no room on the event loop");
        user_close(u);
        return -ENOSPC;
    }
    *out = &u->be;
    return 0;
}
