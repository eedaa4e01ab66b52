/*
 * Network backends: where a virtio-net device's Ethernet frames go and come from (user-mode
 * networking with libslirp, a unix stream socket in QEMU's -netdev stream format, a tap).
 *
 * The shape follows an "Ethernet device" with two ends: the device hands the backend a
 * frame from the guest (write_packet), and the backend hands frames for the guest back
 * through the frontend the device attached (can_write_packet / write_packet), together with
 * carrier changes (set_carrier). The device never calls the host OS itself; tests and
 * fuzzers plug in a fake backend.
 *
 * A frame is an Ethernet frame without FCS. With a backend that has a vnet header
 * (vnet_hdr), every frame in both directions starts with the 12-byte virtio_net_hdr_v1,
 * which carries the offloads (checksum, segmentation) the backend declared; without one,
 * frames are plain and the device adds or strips the header.
 */
#ifndef KITE_BACKEND_NET_H
#define KITE_BACKEND_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_loop;

/* The virtio_net_hdr_v1 (VirtIO 1.2, 5.1.6), little-endian on the wire. */
#define NET_VNET_HDR_LEN 12
/* The largest frame either way, without the vnet header: a 64 KiB IP packet and its
 * Ethernet header, as the kernel's GSO limit allows. Bigger frames are dropped. */
#define NET_MAX_FRAME 65550

/* What a backend can carry besides plain frames (bits of net_backend.offloads). */
#define NET_OFFLOAD_CSUM (1u << 0)     /* partial checksums (NEEDS_CSUM) both ways */
#define NET_OFFLOAD_TSO4 (1u << 1)
#define NET_OFFLOAD_TSO6 (1u << 2)
#define NET_OFFLOAD_UFO (1u << 3)

/* The device's side, called by the backend. */
struct net_frontend {
    void *opaque;
    /* Whether the device takes a frame now (guest buffers posted or backlog room): a
     * backend that can wait (a socket, a tap) reads only while this holds. */
    bool (*can_write_packet)(void *opaque);
    /* A frame for the guest (iovecs valid only during the call; the device copies). */
    void (*write_packet)(void *opaque, const struct iovec *iov, unsigned iovcnt);
    /* The link went up or down (a peer connected or went away). */
    void (*set_carrier)(void *opaque, bool up);
    /* A backend that refused a frame with -EAGAIN can take frames again. */
    void (*tx_ready)(void *opaque);
};

struct net_backend_ops {
    /*
     * A frame from the guest, read straight from guest RAM (iovecs valid only during the
     * call). Returns 0 when the frame was sent or dropped (a dead link drops), or -EAGAIN
     * when the backend cannot take it now: the device keeps the frame and tries again after
     * tx_ready().
     */
    int (*write_packet)(void *opaque, const struct iovec *iov, unsigned iovcnt);
    /* Optional: the offloads (NET_OFFLOAD_*) the guest accepted for frames it receives;
     * the backend must not hand it frames that need others. 0 after a reset. */
    void (*set_offloads)(void *opaque, uint32_t offloads);
    /* Closes the host ends. */
    void (*close)(void *opaque);
};

struct net_backend {
    const struct net_backend_ops *ops;
    void *opaque;
    const char *kind;           /* "user", "stream", "tap": for log lines */
    bool vnet_hdr;              /* frames carry the 12-byte header (see above) */
    uint32_t offloads;          /* NET_OFFLOAD_* it carries (needs vnet_hdr) */
    uint16_t mtu;               /* the link's MTU (0 = 1500) */
    bool carrier;               /* link state when the device attaches */
    /* Frames it sends have correct checksums because it computed them itself (slirp):
     * the guest may skip checking them (DATA_VALID). */
    bool csum_valid;
    struct net_frontend fe;     /* set by net_backend_attach; zero = none (frames dropped) */
};

static inline void net_backend_attach(struct net_backend *be, struct net_frontend fe)
{
    be->fe = fe;
}

/* Helpers for backends: deliver to whatever frontend is attached. */
static inline bool net_backend_can_deliver(const struct net_backend *be)
{
    return be->fe.can_write_packet && be->fe.can_write_packet(be->fe.opaque);
}
static inline void net_backend_deliver(struct net_backend *be, const struct iovec *iov,
                                       unsigned iovcnt)
{
    if (be->fe.write_packet)
        be->fe.write_packet(be->fe.opaque, iov, iovcnt);
}
static inline void net_backend_set_carrier(struct net_backend *be, bool up)
{
    be->carrier = up;
    if (be->fe.set_carrier)
        be->fe.set_carrier(be->fe.opaque, up);
}
static inline void net_backend_tx_ready(struct net_backend *be)
{
    if (be->fe.tx_ready)
        be->fe.tx_ready(be->fe.opaque);
}

static inline void net_backend_close(struct net_backend *be)
{
    if (be && be->ops && be->ops->close)
        be->ops->close(be->opaque);
}

/* libslirp user-mode networking (net_slirp.c). */
struct net_hostfwd {
    bool udp;
    uint32_t host_addr, guest_addr;     /* host byte order; guest 0 = the DHCP address */
    uint16_t host_port, guest_port;
};

#define NET_MAX_HOSTFWD 16

struct net_user_config {
    uint32_t net, mask;         /* host byte order; 0 = 10.0.2.0/24 */
    uint32_t host;              /* 0 = net + 2 */
    uint32_t dhcp_start;        /* 0 = net + 15 */
    bool restrict_;             /* restrict=on: only the host and forwarded ports */
    struct net_hostfwd fwd[NET_MAX_HOSTFWD];
    unsigned nfwd;
};

/* Parses "tcp:[ADDR]:PORT-[ADDR]:PORT" (udp: too). 0 or -EINVAL. */
int net_parse_hostfwd(const char *s, struct net_hostfwd *out);
/* Returns 0 with *out set, or a negative errno after logging why (e.g. a port in use). */
int net_user_open(const struct net_user_config *cfg, struct event_loop *loop,
                  struct net_backend **out);

/* A Linux tap (/dev/net/tun) with a vnet header, created if absent (net_tap.c). */
int net_tap_open(const char *ifname, struct event_loop *loop, struct net_backend **out);

/* QEMU's -netdev stream: frames over a unix stream socket, each after its length as a
 * 4-byte big-endian number (net_stream.c). Exactly one of listen/connect. */
int net_stream_open(const char *listen_path, const char *connect_path,
                    struct event_loop *loop, struct net_backend **out);

#endif
