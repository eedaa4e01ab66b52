/*
 * Ethernet frames over a unix stream socket, each after its length as a 4-byte big-endian
 * number: QEMU 7.2's -netdev stream wire format, so two kites, or a kite and a QEMU guest,
 * share a wire without root or a bridge.
 *
 * One peer at a time. listen= accepts a peer and takes the next one after it goes away;
 * connect= must reach its peer at start and tries again every second after it goes away.
 * Either way a missing peer is a link down (carrier), never an error. Input is read only
 * while the device takes frames (back-pressure instead of drops); output is buffered up to
 * OUT_BUF bytes, beyond which the device keeps the guest's frames in its ring.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/net.h"
#include "core/clock.h"
#include "core/event_loop.h"
#include "core/log.h"

/* QEMU drops a peer that announces a frame above this (NET_BUFSIZE). */
#define WIRE_MAX_FRAME 69632
#define IN_BUF (4 + WIRE_MAX_FRAME + 64 * 1024)
#define OUT_BUF (256 * 1024)
#define RECONNECT_NS 1000000000ULL

struct net_stream {
    struct net_backend be;
    struct event_loop *loop;
    int fd;                     /* the peer, or -1 */
    int listen_fd;              /* -1 in connect mode */
    char *path;
    bool listening;             /* we created the socket file (removed on close) */
    bool want_tx_ready;         /* the device holds a frame we refused */
    bool broken;                /* the peer sent a frame QEMU would refuse too */
    struct event_timer retry;
    bool retry_added;
    uint8_t in[IN_BUF];
    size_t in_len;
    uint8_t out[OUT_BUF];
    size_t out_off, out_len;
    uint64_t dropped_big;
};

static void watch_peer(struct net_stream *s);

static void drop_peer(struct net_stream *s, const char *why)
{
    log_info("net-stream", "%s: peer gone (%s): link down", s->path, why);
    event_loop_remove(s->loop, s->fd);
    close(s->fd);
    s->fd = -1;
    s->in_len = 0;
    s->out_off = s->out_len = 0;
    net_backend_set_carrier(&s->be, false);
    if (s->retry_added)
        event_timer_arm(&s->retry, clock_host_ns() + RECONNECT_NS);
    /* Frames the device held for this peer would wait forever: let them go (dropped). */
    if (s->want_tx_ready) {
        s->want_tx_ready = false;
        net_backend_tx_ready(&s->be);
    }
}

/* Writes buffered output; false if the peer broke. */
static bool flush_out(struct net_stream *s)
{
    while (s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_off, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;
        s->out_off += (size_t)n;
        s->out_len -= (size_t)n;
    }
    if (!s->out_len)
        s->out_off = 0;
    return true;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hands complete frames to the device while it takes them; false on a protocol error. */
static bool deliver_in(struct net_stream *s)
{
    size_t off = 0;
    while (s->in_len - off >= 4) {
        uint32_t len = get_be32(s->in + off);
        if (len > WIRE_MAX_FRAME)
            return false;
        if (s->in_len - off - 4 < len)
            break;
        if (!net_backend_can_deliver(&s->be))
            break;
        if (len > NET_MAX_FRAME || len == 0) {
            s->dropped_big++;
        } else {
            struct iovec iov = {s->in + off + 4, len};
            net_backend_deliver(&s->be, &iov, 1);
        }
        off += 4 + (size_t)len;
    }
    memmove(s->in, s->in + off, s->in_len - off);
    s->in_len -= off;
    return true;
}

static short peer_events(void *opaque)
{
    struct net_stream *s = opaque;
    /* Frames already read wait on the device: hand them over as soon as it takes them. */
    if (!s->broken && s->in_len >= 4 && net_backend_can_deliver(&s->be) && !deliver_in(s))
        s->broken = true;
    if (s->broken)
        return POLLIN | POLLOUT;    /* ready() drops the peer (not here: mid-poll setup) */
    short ev = 0;
    if (s->in_len < IN_BUF && net_backend_can_deliver(&s->be))
        ev |= POLLIN;
    if (s->out_len)
        ev |= POLLOUT;
    return ev;
}

static void peer_ready(void *opaque, short revents)
{
    struct net_stream *s = opaque;
    if (s->broken) {
        s->broken = false;
        drop_peer(s, "frame longer than 69632 bytes");
        return;
    }
    if (revents & POLLOUT) {
        if (!flush_out(s)) {
            drop_peer(s, "write failed");
            return;
        }
        if (s->want_tx_ready && s->out_len < OUT_BUF / 2) {
            s->want_tx_ready = false;
            net_backend_tx_ready(&s->be);
        }
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(s->fd, s->in + s->in_len, IN_BUF - s->in_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            drop_peer(s, n == 0 ? "end of stream" : strerror(errno));
            return;
        }
        s->in_len += (size_t)n;
        if (!deliver_in(s))
            drop_peer(s, "frame longer than 69632 bytes");
    }
}

static void watch_peer(struct net_stream *s)
{
    struct event_source src = {.fd = s->fd, .opaque = s, .events = peer_events,
                               .ready = peer_ready};
    if (event_loop_add(s->loop, &src) < 0) {
        log_error("net-stream", "event loop full: peer on %s ignored", s->path);
        close(s->fd);
        s->fd = -1;
        return;
    }
    net_backend_set_carrier(&s->be, true);
}

static short listen_events(void *opaque)
{
    struct net_stream *s = opaque;
    return s->fd < 0 ? POLLIN : 0;
}

static void listen_ready(void *opaque, short revents)
{
    struct net_stream *s = opaque;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    s->fd = fd;
    log_info("net-stream", "%s: peer connected: link up", s->path);
    watch_peer(s);
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

static void on_retry(void *opaque)
{
    struct net_stream *s = opaque;
    if (s->fd >= 0)
        return;
    int fd = connect_to(s->path);
    if (fd < 0) {
        event_timer_arm(&s->retry, clock_host_ns() + RECONNECT_NS);
        return;
    }
    s->fd = fd;
    log_info("net-stream", "%s: reconnected: link up", s->path);
    watch_peer(s);
}

static int stream_write_packet(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    struct net_stream *s = opaque;
    if (s->fd < 0)
        return 0;   /* no wire: the frame is lost, as on a cable without a peer */
    size_t len = 0;
    for (unsigned i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    if (s->out_len + 4 + len > OUT_BUF) {
        s->want_tx_ready = true;
        return -EAGAIN;
    }
    uint8_t prefix[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};
    size_t sent = 0;
    if (!s->out_len) {
        /* Nothing queued: straight from guest RAM to the socket. */
        struct iovec v[1 + 260];
        unsigned cnt = 0;
        v[cnt++] = (struct iovec){prefix, 4};
        for (unsigned i = 0; i < iovcnt && cnt < sizeof(v) / sizeof(v[0]); i++)
            v[cnt++] = iov[i];
        if (cnt == iovcnt + 1) {
            struct msghdr mh = {.msg_iov = v, .msg_iovlen = cnt};
            ssize_t n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                drop_peer(s, strerror(errno));
                return 0;
            }
            sent = n > 0 ? (size_t)n : 0;
        }
    } else if (s->out_off) {
        memmove(s->out, s->out + s->out_off, s->out_len);
        s->out_off = 0;
    }
    /* Queue what the socket did not take. */
    size_t pos = 0;
    for (unsigned i = 0; i <= iovcnt; i++) {
        const uint8_t *b = i == 0 ? prefix : iov[i - 1].iov_base;
        size_t l = i == 0 ? 4 : iov[i - 1].iov_len;
        size_t skip = 0;
        if (sent > pos)
            skip = sent - pos < l ? sent - pos : l;
        memcpy(s->out + s->out_off + s->out_len, b + skip, l - skip);
        s->out_len += l - skip;
        pos += l;
    }
    return 0;
}

static void stream_close(void *opaque)
{
    struct net_stream *s = opaque;
    if (s->fd >= 0) {
        event_loop_remove(s->loop, s->fd);
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        event_loop_remove(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    if (s->retry_added)
        event_loop_remove_timer(s->loop, &s->retry);
    if (s->listening)
        unlink(s->path);
    free(s->path);
    free(s);
}

static const struct net_backend_ops stream_ops = {
    .write_packet = stream_write_packet,
    .close = stream_close,
};

int net_stream_open(const char *listen_path, const char *connect_path,
                    struct event_loop *loop, struct net_backend **out)
{
    const char *path = listen_path ? listen_path : connect_path;
    struct sockaddr_un addr;
    if (!path || strlen(path) >= sizeof(addr.sun_path)) {
        log_error("net-stream", "unix socket path missing or too long (at most %zu bytes)",
                  sizeof(addr.sun_path) - 1);
        return -EINVAL;
    }
    struct net_stream *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return -ENOMEM;
    }
    s->loop = loop;
    s->fd = s->listen_fd = -1;
    s->be = (struct net_backend){.ops = &stream_ops, .opaque = s, .kind = "stream",
                                 .mtu = 1500};
    s->retry = (struct event_timer){.fire = on_retry, .opaque = s};
    if (listen_path) {
        struct stat st;
        if (lstat(path, &st) == 0) {
            if (!S_ISSOCK(st.st_mode)) {
                log_error("net-stream", "%s exists and is not a socket", path);
                stream_close(s);
                return -EEXIST;
            }
            unlink(path);   /* a socket left behind by an earlier run */
        }
        addr = (struct sockaddr_un){.sun_family = AF_UNIX};
        strcpy(addr.sun_path, path);
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
            listen(s->listen_fd, 1)) {
            log_error("net-stream", "cannot listen on unix socket %s: %s", path,
                      strerror(errno));
            stream_close(s);
            return -EINVAL;
        }
        s->listening = true;
        struct event_source src = {.fd = s->listen_fd, .opaque = s, .events = listen_events,
                                   .ready = listen_ready};
        if (event_loop_add(loop, &src) < 0) {
            log_error("net-stream", "event loop full: cannot serve %s", path);
            stream_close(s);
            return -ENOSPC;
        }
    } else {
        int fd = connect_to(path);
        if (fd < 0) {
            log_error("net-stream", "cannot connect to unix socket %s: %s", path,
                      strerror(-fd));
            stream_close(s);
            return fd;
        }
        s->fd = fd;
        if (event_loop_add_timer(loop, &s->retry) == 0)
            s->retry_added = true;
        watch_peer(s);
    }
    *out = &s->be;
    return 0;
}
