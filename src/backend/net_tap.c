/*
 * A Linux tap: frames to and from a host network interface through /dev/net/tun, each with
 * a 12-byte virtio_net_hdr (IFF_VNET_HDR + TUNSETVNETHDRSZ), so checksum and segmentation
 * offloads pass between the guest and the host kernel: the guest sends 64 KiB TCP segments
 * and the host kernel splits them only if it has to, and the host sends the guest only what
 * the guest accepted (TUNSETOFFLOAD follows the guest's features).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/net.h"
#include "core/event_loop.h"
#include "core/log.h"

/* A GSO frame from the kernel: header, 64 KiB of IP and the Ethernet header, with room. */
#define TAP_BUF (NET_VNET_HDR_LEN + 65536 + 64)
/* Frames read per wakeup before the guest gets a turn. */
#define TAP_BATCH 64

struct net_tap {
    struct net_backend be;
    struct event_loop *loop;
    int fd;
    char name[IFNAMSIZ];
    uint32_t can;               /* offloads the kernel accepted at open */
    bool want_tx_ready;
    uint8_t buf[TAP_BUF];
};

static unsigned tun_flags(uint32_t o)
{
    unsigned f = 0;
    if (o & NET_OFFLOAD_CSUM) {
        f |= TUN_F_CSUM;
        if (o & NET_OFFLOAD_TSO4)
            f |= TUN_F_TSO4;
        if (o & NET_OFFLOAD_TSO6)
            f |= TUN_F_TSO6;
        if (o & NET_OFFLOAD_UFO)
            f |= TUN_F_UFO;
    }
    return f;
}

static short tap_events(void *opaque)
{
    struct net_tap *t = opaque;
    short ev = net_backend_can_deliver(&t->be) ? POLLIN : 0;
    if (t->want_tx_ready)
        ev |= POLLOUT;
    return ev;
}

static void tap_ready(void *opaque, short revents)
{
    struct net_tap *t = opaque;
    if ((revents & POLLOUT) && t->want_tx_ready) {
        t->want_tx_ready = false;
        net_backend_tx_ready(&t->be);
    }
    for (unsigned i = 0; i < TAP_BATCH && net_backend_can_deliver(&t->be); i++) {
        ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        struct iovec iov = {t->buf, (size_t)n};
        net_backend_deliver(&t->be, &iov, 1);
    }
}

static int tap_write_packet(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    struct net_tap *t = opaque;
    ssize_t n = writev(t->fd, iov, (int)iovcnt);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        t->want_tx_ready = true;
        return -EAGAIN;
    }
    if (n < 0)
        log_once(LOG_WARN, "net-tap", "%s: write failed (%s): frame dropped", t->name,
                 strerror(errno));
    return 0;
}

static void tap_set_offloads(void *opaque, uint32_t o)
{
    struct net_tap *t = opaque;
    if (ioctl(t->fd, TUNSETOFFLOAD, tun_flags(o & t->can)) < 0)
        log_warn("net-tap", "%s: TUNSETOFFLOAD: %s", t->name, strerror(errno));
}

static void tap_close(void *opaque)
{
    struct net_tap *t = opaque;
    if (t->fd >= 0) {
        event_loop_remove(t->loop, t->fd);
        close(t->fd);
    }
    free(t);
}

static const struct net_backend_ops tap_ops = {
    .write_packet = tap_write_packet,
    .set_offloads = tap_set_offloads,
    .close = tap_close,
};

int net_tap_open(const char *ifname, struct event_loop *loop, struct net_backend **out)
{
    struct net_tap *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->loop = loop;
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        int e = -errno;
        log_error("net-tap", "cannot open /dev/net/tun: %s", strerror(errno));
        free(t);
        return e;
    }
    struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname ? ifname : "kite%d");
    int hdr = NET_VNET_HDR_LEN;
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0 || ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        int e = -errno;
        log_error("net-tap", "cannot create tap %s: %s", ifr.ifr_name, strerror(errno));
        tap_close(t);
        return e;
    }
    snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
    /* Offer the guest what this kernel takes; start with none until the guest says. */
    static const uint32_t tries[] = {
        NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6,
        NET_OFFLOAD_CSUM,
    };
    for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        if (ioctl(t->fd, TUNSETOFFLOAD, tun_flags(tries[i])) == 0) {
            t->can = tries[i];
            break;
        }
    }
    ioctl(t->fd, TUNSETOFFLOAD, 0);
    t->be = (struct net_backend){.ops = &tap_ops, .opaque = t, .kind = "tap",
                                 .vnet_hdr = true, .offloads = t->can, .mtu = 1500,
                                 .carrier = true};
    struct event_source src = {.fd = t->fd, .opaque = t, .events = tap_events,
                               .ready = tap_ready};
    if (event_loop_add(loop, &src) < 0) {
        log_error("net-tap", "event loop full: cannot serve %s", t->name);
        tap_close(t);
        return -ENOSPC;
    }
    log_info("net-tap", "tap %s (offloads 0x%x)", t->name, t->can);
    *out = &t->be;
    return 0;
}
