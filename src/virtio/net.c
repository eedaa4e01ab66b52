#include "virtio/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_registry.h"
#include "core/link_control.h"
#include "core/log.h"

#define QUEUE_SIZE 256
/* Receive chains one merged frame may span (and the most kept popped between frames). */
#define RX_HELD_MAX QUEUE_SIZE
/* The iovecs a backend may hand over for one frame. */
#define RX_IOV_MAX 64

struct backlog_frame {
    struct backlog_frame *next;
    size_t len;                 /* bytes after the header */
    uint8_t hdr[NET_VNET_HDR_LEN];
    uint8_t data[];
};

struct virtio_net {
    struct virtio_device vdev;
    struct net_backend *be;
    uint8_t default_mac[6];
    uint8_t mac[6];
    bool link_up;               /* what the guest sees: be_up && admin_up */
    bool be_up;                 /* the backend's carrier (a stream peer is there) */
    bool admin_up;              /* the host's say (QMP set_link); down drops every frame */
    uint16_t mtu;
    void *host;                 /* the --net instance this device belongs to, or NULL */

    /* Receive filter (CTRL_RX, CTRL_MAC). */
    bool promisc, allmulti, uc_overflow, mc_overflow;
    unsigned uc_count, mc_count;
    uint8_t uc[VIRTIO_NET_MAC_TABLE][6];
    uint8_t mc[VIRTIO_NET_MAC_TABLE][6];

    struct backlog_frame *bl_head, *bl_tail;
    unsigned bl_frames;
    size_t bl_bytes;

    /* Receive chains popped but not used yet (a merged frame waiting for more). */
    struct virtq_elem *rx_held[RX_HELD_MAX];
    unsigned rx_nheld;
    /* The transmit chain the backend refused with -EAGAIN. */
    struct virtq_elem *tx_held;
    struct iovec tx_iov[QUEUE_SIZE + 4];   /* + header + a spliced checksum */
    uint8_t tx_csum[2];

    struct virtio_net_stats stats;
    uint32_t logged;
};

enum { L_TX_SHORT, L_TX_WRITABLE, L_TX_BIG, L_TX_EMPTY, L_TX_GSO, L_RX_READABLE, L_RX_SMALL,
       L_RX_BIG, L_RX_BACKLOG, L_CTRL_LEN, L_CTRL_CMD, L_CTRL_OFF, L_RX_IOV, L_RX_TINY,
       L_CTRL_SHORT, L_CTRL_TABLE, L_TX_CSUM };

/* Logs once per device and kind: a hostile driver cannot flood the log. */
#define complain(n, kind, ...)                                          \
    do {                                                                \
        if (!((n)->logged & (1u << (kind)))) {                          \
            (n)->logged |= 1u << (kind);                                \
            log_warn((n)->vdev.name, __VA_ARGS__);                      \
        }                                                               \
    } while (0)

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t get_le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The config space as the driver sees it: mac, status, max_virtqueue_pairs, mtu. */
static void write_config(struct virtio_net *n)
{
    uint8_t *c = n->vdev.config;
    memcpy(c, n->mac, 6);
    put_le16(c + 6, n->link_up ? VIRTIO_NET_S_LINK_UP : 0);
    put_le16(c + 8, 1);
    put_le16(c + 10, n->mtu);
}

/* --- receive ------------------------------------------------------------------------- */

static bool rx_accept(const struct virtio_net *n, const uint8_t *dst)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (n->promisc || !memcmp(dst, bcast, 6))
        return true;
    if (dst[0] & 1) {
        if (n->allmulti || n->mc_overflow)
            return true;
        for (unsigned i = 0; i < n->mc_count; i++)
            if (!memcmp(dst, n->mc[i], 6))
                return true;
        return false;
    }
    if (!memcmp(dst, n->mac, 6) || n->uc_overflow)
        return true;
    for (unsigned i = 0; i < n->uc_count; i++)
        if (!memcmp(dst, n->uc[i], 6))
            return true;
    return false;
}

/* Copies len bytes from the iovecs, starting `skip` bytes in, to the chain at offset. */
static void copy_to_elem(struct virtq_elem *e, uint64_t offset, const struct iovec *iov,
                         unsigned iovcnt, size_t skip, size_t len)
{
    for (unsigned i = 0; i < iovcnt && len; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        size_t part = l - skip < len ? l - skip : len;
        virtq_elem_write(e, offset, (const uint8_t *)iov[i].iov_base + skip, part);
        offset += part;
        len -= part;
        skip = 0;
    }
}

static void rx_drop_held(struct virtio_net *n, unsigned count)
{
    memmove(n->rx_held, n->rx_held + count, (n->rx_nheld - count) * sizeof(n->rx_held[0]));
    n->rx_nheld -= count;
}

/* Returns a chain the device cannot use to the guest, empty. */
static void rx_return_bad(struct virtio_net *n, struct virtq_elem *e)
{
    virtq_push(&n->vdev.queues[VIRTIO_NET_Q_RX], e, 0);
}

/* Pops the next usable receive chain into rx_held; false when the guest has none. */
static bool rx_take_chain(struct virtio_net *n, bool first)
{
    struct virtq_elem *e;
    while (virtio_pop(&n->vdev, VIRTIO_NET_Q_RX, &e)) {
        if (e->out_num) {
            complain(n, L_RX_READABLE, "receive chain with driver-readable buffers: returned "
                     "unused");
            rx_return_bad(n, e);
            continue;
        }
        /* The header never straddles chains: a first chain must hold it. */
        if (first && e->in_len < NET_VNET_HDR_LEN) {
            complain(n, L_RX_TINY, "receive buffer of %llu bytes, smaller than the %d-byte "
                     "header: returned unused", (unsigned long long)e->in_len,
                     NET_VNET_HDR_LEN);
            rx_return_bad(n, e);
            continue;
        }
        n->rx_held[n->rx_nheld++] = e;
        return true;
    }
    return false;
}

enum rx_result { RX_DONE, RX_NO_BUFFERS };

/*
 * Writes one frame (header + len bytes of iov) into the guest's receive chains. Returns
 * RX_NO_BUFFERS, with nothing consumed, when the posted chains cannot hold it yet; RX_DONE
 * when it was delivered or dropped.
 */
static enum rx_result rx_write(struct virtio_net *n, const uint8_t *hdr_in,
                               const struct iovec *iov, unsigned iovcnt, size_t len)
{
    struct virtio_device *dev = &n->vdev;
    struct virtq *vq = &dev->queues[VIRTIO_NET_Q_RX];
    bool mrg = virtio_has_feature(dev, VIRTIO_NET_F_MRG_RXBUF);
    uint64_t total = NET_VNET_HDR_LEN + (uint64_t)len;

    /* How many chains this frame needs, popping more as they are needed. */
    /* A chain held as the tail of an earlier attempt may be too small to lead a frame. */
    while (n->rx_nheld && n->rx_held[0]->in_len < NET_VNET_HDR_LEN) {
        complain(n, L_RX_TINY, "receive buffer of %llu bytes, smaller than the %d-byte "
                 "header: returned unused", (unsigned long long)n->rx_held[0]->in_len,
                 NET_VNET_HDR_LEN);
        rx_return_bad(n, n->rx_held[0]);
        rx_drop_held(n, 1);
    }
    unsigned need = 0;
    uint64_t room = 0;
    while (room < total) {
        if (!mrg && need == 1)
            break;
        if (need == n->rx_nheld) {
            if (need == RX_HELD_MAX || need == vq->size) {
                /* Even every chain the queue can hold is too little: never wait for it. */
                complain(n, L_RX_BIG, "a %zu-byte frame does not fit the guest's receive "
                         "buffers: dropped", len);
                n->stats.rx_dropped_bad++;
                return RX_DONE;
            }
            if (!rx_take_chain(n, need == 0))
                return RX_NO_BUFFERS;
        }
        room += n->rx_held[need]->in_len;
        need++;
    }
    if (!mrg && room < total) {
        /* Without MRG_RXBUF a frame must fit one chain (e.g. tiny buffers): the chain goes
         * back empty rather than wait for a frame that might never come. */
        complain(n, L_RX_SMALL, "receive buffer of %llu bytes too small for a %zu-byte frame "
                 "(no MRG_RXBUF): frame dropped", (unsigned long long)room, len);
        rx_return_bad(n, n->rx_held[0]);
        rx_drop_held(n, 1);
        n->stats.rx_dropped_bad++;
        return RX_DONE;
    }

    uint8_t hdr[NET_VNET_HDR_LEN];
    memcpy(hdr, hdr_in, sizeof(hdr));
    /* num_buffers is 1 without MRG_RXBUF too: VERSION_1 always has the field. */
    put_le16(hdr + 10, (uint16_t)need);
    size_t done = 0;
    for (unsigned i = 0; i < need; i++) {
        struct virtq_elem *e = n->rx_held[i];
        uint64_t off = 0;
        if (i == 0) {
            virtq_elem_write(e, 0, hdr, sizeof(hdr));
            off = sizeof(hdr);
        }
        uint64_t cap = e->in_len - off;
        size_t part = cap < len - done ? (size_t)cap : len - done;
        copy_to_elem(e, off, iov, iovcnt, done, part);
        done += part;
        virtq_push(vq, e, (uint32_t)(off + part));
    }
    rx_drop_held(n, need);
    n->stats.rx_frames++;
    n->stats.rx_bytes += len;
    return RX_DONE;
}

static bool backlog_full(const struct virtio_net *n, size_t len)
{
    return n->bl_frames >= VIRTIO_NET_BACKLOG_FRAMES ||
           n->bl_bytes + len > VIRTIO_NET_BACKLOG_BYTES;
}

static void backlog_push(struct virtio_net *n, const uint8_t *hdr, const struct iovec *iov,
                         unsigned iovcnt, size_t len)
{
    if (backlog_full(n, len)) {
        complain(n, L_RX_BACKLOG, "guest posts no receive buffers: frames dropped beyond %u "
                 "waiting", VIRTIO_NET_BACKLOG_FRAMES);
        n->stats.rx_dropped_backlog++;
        return;
    }
    struct backlog_frame *f = malloc(sizeof(*f) + len);
    if (!f) {
        n->stats.rx_dropped_backlog++;
        return;
    }
    f->next = NULL;
    f->len = len;
    memcpy(f->hdr, hdr, sizeof(f->hdr));
    size_t off = 0;
    for (unsigned i = 0; i < iovcnt && off < len; i++) {
        size_t part = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;
        memcpy(f->data + off, iov[i].iov_base, part);
        off += part;
    }
    if (n->bl_tail)
        n->bl_tail->next = f;
    else
        n->bl_head = f;
    n->bl_tail = f;
    n->bl_frames++;
    n->bl_bytes += len;
}

static void backlog_clear(struct virtio_net *n)
{
    while (n->bl_head) {
        struct backlog_frame *f = n->bl_head;
        n->bl_head = f->next;
        free(f);
    }
    n->bl_tail = NULL;
    n->bl_frames = 0;
    n->bl_bytes = 0;
}

/* Delivers waiting frames while the guest has buffers; interrupts once for the batch. */
static void rx_flush(struct virtio_net *n)
{
    struct virtio_device *dev = &n->vdev;
    bool pushed = false;
    while (n->bl_head && virtio_driver_ok(dev)) {
        struct backlog_frame *f = n->bl_head;
        struct iovec iov = {.iov_base = f->data, .iov_len = f->len};
        uint16_t before = dev->queues[VIRTIO_NET_Q_RX].used_idx;
        enum rx_result r = rx_write(n, f->hdr, &iov, 1, f->len);
        pushed |= dev->queues[VIRTIO_NET_Q_RX].used_idx != before;
        if (r == RX_NO_BUFFERS)
            break;
        n->bl_head = f->next;
        if (!n->bl_head)
            n->bl_tail = NULL;
        n->bl_frames--;
        n->bl_bytes -= f->len;
        free(f);
    }
    if (pushed)
        virtio_queue_kick_guest(dev, VIRTIO_NET_Q_RX);
}

/* net_frontend: a frame from the backend. */
static void fe_write_packet(void *opaque, const struct iovec *iov_in, unsigned iovcnt)
{
    struct virtio_net *n = opaque;
    struct virtio_device *dev = &n->vdev;
    if (!virtio_driver_ok(dev) || !n->admin_up) {
        n->stats.rx_dropped_down++;
        return;
    }
    if (iovcnt > RX_IOV_MAX) {
        complain(n, L_RX_IOV, "backend frame in %u pieces: dropped", iovcnt);
        n->stats.rx_dropped_bad++;
        return;
    }
    size_t total = 0;
    for (unsigned i = 0; i < iovcnt; i++)
        total += iov_in[i].iov_len;

    /* Separate the header (the backend's, or a plain one) from the frame. */
    uint8_t hdr[NET_VNET_HDR_LEN] = {0};
    struct iovec iov[RX_IOV_MAX];
    unsigned cnt = 0;
    size_t skip = 0;
    if (n->be->vnet_hdr) {
        if (total < NET_VNET_HDR_LEN) {
            n->stats.rx_dropped_bad++;
            return;
        }
        size_t got = 0;
        for (unsigned i = 0; i < iovcnt && got < sizeof(hdr); i++) {
            size_t part = iov_in[i].iov_len < sizeof(hdr) - got ? iov_in[i].iov_len
                                                                : sizeof(hdr) - got;
            memcpy(hdr + got, iov_in[i].iov_base, part);
            got += part;
        }
        skip = NET_VNET_HDR_LEN;
        total -= NET_VNET_HDR_LEN;
    }
    if (!n->be->vnet_hdr && n->be->csum_valid &&
        virtio_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM))
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;   /* saves the guest a pass over every byte */
    for (unsigned i = 0; i < iovcnt; i++) {
        size_t l = iov_in[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        iov[cnt++] = (struct iovec){(uint8_t *)iov_in[i].iov_base + skip, l - skip};
        skip = 0;
    }
    if (total < 14 || total > NET_MAX_FRAME) {
        complain(n, L_RX_BIG, "backend frame of %zu bytes: dropped", total);
        n->stats.rx_dropped_bad++;
        return;
    }
    uint8_t dst[6];
    size_t got = 0;
    for (unsigned i = 0; i < cnt && got < 6; i++) {
        size_t part = iov[i].iov_len < 6 - got ? iov[i].iov_len : 6 - got;
        memcpy(dst + got, iov[i].iov_base, part);
        got += part;
    }
    if (!rx_accept(n, dst)) {
        n->stats.rx_dropped_filter++;
        return;
    }
    /* Frames keep their order: with a backlog, this one waits behind it. */
    if (!n->bl_head) {
        uint16_t before = dev->queues[VIRTIO_NET_Q_RX].used_idx;
        enum rx_result r = rx_write(n, hdr, iov, cnt, total);
        if (dev->queues[VIRTIO_NET_Q_RX].used_idx != before)
            virtio_queue_kick_guest(dev, VIRTIO_NET_Q_RX);
        if (r == RX_DONE)
            return;
    }
    backlog_push(n, hdr, iov, cnt, total);
}

static bool fe_can_write_packet(void *opaque)
{
    struct virtio_net *n = opaque;
    return virtio_driver_ok(&n->vdev) && !backlog_full(n, NET_MAX_FRAME);
}

/* The guest hears of a link change through STATUS and a config interrupt. */
static void update_link(struct virtio_net *n)
{
    bool up = n->be_up && n->admin_up;
    if (n->link_up == up)
        return;
    n->link_up = up;
    write_config(n);
    virtio_config_changed(&n->vdev);
}

static void fe_set_carrier(void *opaque, bool up)
{
    struct virtio_net *n = opaque;
    n->be_up = up;
    update_link(n);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
    n->admin_up = up;
    update_link(n);
}

/* --- transmit ------------------------------------------------------------------------ */

/* Checks a guest's header against what was negotiated; false = drop the frame. */
static bool tx_header_ok(struct virtio_net *n, const uint8_t *hdr)
{
    struct virtio_device *dev = &n->vdev;
    uint8_t flags = hdr[0], gso = hdr[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !virtio_has_feature(dev, VIRTIO_NET_F_CSUM))
        return false;
    switch (gso) {
    case VIRTIO_NET_HDR_GSO_NONE:
        return true;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        return virtio_has_feature(dev, VIRTIO_NET_F_HOST_TSO4);
    case VIRTIO_NET_HDR_GSO_TCPV6:
        return virtio_has_feature(dev, VIRTIO_NET_F_HOST_TSO6);
    case VIRTIO_NET_HDR_GSO_UDP:
        return virtio_has_feature(dev, VIRTIO_NET_F_HOST_UFO);
    default:
        return false;
    }
}

/*
 * Completes a NEEDS_CSUM frame in tx_iov[0..cnt): the Internet checksum of its bytes from
 * `start` to the end (the field at `field` already holds the pseudo-header sum, as the
 * driver leaves it) goes into the 2 bytes at `field`. Guest RAM is not written: those two
 * bytes are spliced in from tx_csum. Returns the new iovec count (at most cnt + 2).
 */
static unsigned csum_splice(struct virtio_net *n, unsigned cnt, size_t start, size_t field)
{
    uint64_t sum = 0;
    size_t pos = 0;
    for (unsigned i = 0; i < cnt; i++) {
        const uint8_t *p = n->tx_iov[i].iov_base;
        for (size_t k = 0; k < n->tx_iov[i].iov_len; k++, pos++) {
            if (pos < start)
                continue;
            /* Big-endian 16-bit words counted from `start`. */
            sum += (pos - start) & 1 ? p[k] : (uint64_t)p[k] << 8;
        }
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    if (!c)
        c = 0xffff;     /* same value in ones' complement, and UDP reads 0 as "none" */
    n->tx_csum[0] = (uint8_t)(c >> 8);
    n->tx_csum[1] = (uint8_t)c;

    /* Rebuild the list with [field, field + 2) taken from tx_csum. */
    struct iovec out[QUEUE_SIZE + 4];
    unsigned m = 0;
    pos = 0;
    bool placed = false;
    for (unsigned i = 0; i < cnt; i++) {
        uint8_t *b = n->tx_iov[i].iov_base;
        size_t l = n->tx_iov[i].iov_len, lo = pos, hi = pos + l;
        pos = hi;
        if (hi <= field || lo >= field + 2) {
            out[m++] = n->tx_iov[i];
            continue;
        }
        if (lo < field)
            out[m++] = (struct iovec){b, field - lo};
        if (!placed) {
            out[m++] = (struct iovec){n->tx_csum, 2};
            placed = true;
        }
        if (hi > field + 2)
            out[m++] = (struct iovec){b + (field + 2 - lo), hi - (field + 2)};
    }
    memcpy(n->tx_iov, out, m * sizeof(out[0]));
    return m;
}

/* Sends one chain; returns -EAGAIN if the backend wants it again later, else 0. */
static int tx_one(struct virtio_net *n, struct virtq_elem *e)
{
    if (e->in_num) {
        complain(n, L_TX_WRITABLE, "transmit chain with device-writable buffers: dropped");
        goto bad;
    }
    if (e->out_len < NET_VNET_HDR_LEN) {
        /* QEMU 7.2 aborts here (CVE-2023-6693 class): check before slicing. */
        complain(n, L_TX_SHORT, "transmit chain of %llu bytes, shorter than the %d-byte "
                 "header: dropped", (unsigned long long)e->out_len, NET_VNET_HDR_LEN);
        goto bad;
    }
    uint64_t len = e->out_len - NET_VNET_HDR_LEN;
    if (len < 14) {
        complain(n, L_TX_EMPTY, "transmit frame of %llu bytes, shorter than an Ethernet "
                 "header: dropped", (unsigned long long)len);
        goto bad;
    }
    if (len > NET_MAX_FRAME) {
        complain(n, L_TX_BIG, "transmit frame of %llu bytes (limit %d): dropped",
                 (unsigned long long)len, NET_MAX_FRAME);
        goto bad;
    }
    /* One private copy of the header: the guest may change its own while we send. */
    uint8_t hdr[NET_VNET_HDR_LEN];
    virtq_elem_read(e, 0, hdr, sizeof(hdr));
    if (!tx_header_ok(n, hdr)) {
        complain(n, L_TX_GSO, "transmit header asks for an offload that was not negotiated "
                 "(flags 0x%x, gso 0x%x): dropped", hdr[0], hdr[1]);
        goto bad;
    }
    unsigned cnt = 0;
    if (n->be->vnet_hdr) {
        /* num_buffers means nothing on transmit; the backend gets it zero. */
        hdr[10] = hdr[11] = 0;
        n->tx_iov[cnt++] = (struct iovec){hdr, sizeof(hdr)};
    }
    size_t skip = NET_VNET_HDR_LEN;
    for (unsigned i = 0; i < e->out_num; i++) {
        size_t l = e->iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        n->tx_iov[cnt++] = (struct iovec){(uint8_t *)e->iov[i].iov_base + skip, l - skip};
        skip = 0;
    }
    if (!n->be->vnet_hdr && (hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        /* The backend takes only whole frames: finish the guest's partial checksum. */
        uint16_t start = (uint16_t)(hdr[6] | hdr[7] << 8);
        uint16_t offset = (uint16_t)(hdr[8] | hdr[9] << 8);
        if ((uint64_t)start + offset + 2 > len) {
            complain(n, L_TX_CSUM, "transmit checksum at %u+%u outside a %llu-byte frame: "
                     "dropped", start, offset, (unsigned long long)len);
            goto bad;
        }
        cnt = csum_splice(n, cnt, start, (size_t)start + offset);
    }
    if (!n->admin_up) {
        /* A link the host set down carries nothing, as a pulled cable. */
        n->stats.tx_dropped_down++;
        return 0;
    }
    int r = n->be->ops->write_packet(n->be->opaque, n->tx_iov, cnt);
    if (r == -EAGAIN)
        return -EAGAIN;
    n->stats.tx_frames++;
    n->stats.tx_bytes += len;
    if (len > n->stats.tx_max_frame)
        n->stats.tx_max_frame = len;
    return 0;
bad:
    n->stats.tx_dropped_bad++;
    return 0;
}

static void tx_process(struct virtio_net *n)
{
    struct virtio_device *dev = &n->vdev;
    struct virtq *vq = &dev->queues[VIRTIO_NET_Q_TX];
    bool pushed = false;
    while (virtio_driver_ok(dev)) {
        struct virtq_elem *e = n->tx_held;
        n->tx_held = NULL;
        if (!e && !virtio_pop(dev, VIRTIO_NET_Q_TX, &e))
            break;
        if (tx_one(n, e) == -EAGAIN) {
            n->tx_held = e;
            break;
        }
        virtq_push(vq, e, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, VIRTIO_NET_Q_TX);
}

static void fe_tx_ready(void *opaque)
{
    struct virtio_net *n = opaque;
    if (n->tx_held)
        tx_process(n);
}

/* --- control queue ------------------------------------------------------------------- */

/* MAC_TABLE_SET: two tables, each a 32-bit count and that many addresses, and nothing else. */
static uint8_t ctrl_mac_table(struct virtio_net *n, const struct virtq_elem *e)
{
    uint64_t off = 2, end = e->out_len;
    uint8_t buf[4];
    unsigned counts[2];
    bool overflow[2];
    uint8_t (*tables[2])[6] = {n->uc, n->mc};
    for (unsigned t = 0; t < 2; t++) {
        if (end - off < 4 || virtq_elem_read(e, off, buf, 4) != 4)
            return VIRTIO_NET_ERR;
        off += 4;
        uint32_t entries = get_le32(buf);
        if (entries > (end - off) / 6)
            return VIRTIO_NET_ERR;
        overflow[t] = entries > VIRTIO_NET_MAC_TABLE;
        counts[t] = overflow[t] ? 0 : entries;
        off += 6ULL * entries;
    }
    if (off != end)
        return VIRTIO_NET_ERR;
    /* Valid as a whole: now apply it. */
    off = 2;
    for (unsigned t = 0; t < 2; t++) {
        virtq_elem_read(e, off, buf, 4);
        uint32_t entries = get_le32(buf);
        off += 4;
        for (unsigned i = 0; i < counts[t]; i++)
            virtq_elem_read(e, off + 6ULL * i, tables[t][i], 6);
        off += 6ULL * entries;
    }
    n->uc_count = counts[0];
    n->mc_count = counts[1];
    n->uc_overflow = overflow[0];
    n->mc_overflow = overflow[1];
    return VIRTIO_NET_OK;
}

static uint8_t ctrl_command(struct virtio_net *n, const struct virtq_elem *e)
{
    struct virtio_device *dev = &n->vdev;
    uint8_t cmd[2];
    virtq_elem_read(e, 0, cmd, 2);
    uint64_t data = e->out_len - 2;
    if (cmd[0] == VIRTIO_NET_CTRL_RX && virtio_has_feature(dev, VIRTIO_NET_F_CTRL_RX)) {
        uint8_t on;
        if (data != 1 || (cmd[1] != VIRTIO_NET_CTRL_RX_PROMISC &&
                          cmd[1] != VIRTIO_NET_CTRL_RX_ALLMULTI)) {
            complain(n, L_CTRL_LEN, "control RX command %u with %llu data bytes: refused",
                     cmd[1], (unsigned long long)data);
            return VIRTIO_NET_ERR;
        }
        virtq_elem_read(e, 2, &on, 1);
        if (cmd[1] == VIRTIO_NET_CTRL_RX_PROMISC)
            n->promisc = on != 0;
        else
            n->allmulti = on != 0;
        return VIRTIO_NET_OK;
    }
    if (cmd[0] == VIRTIO_NET_CTRL_MAC && cmd[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET &&
        virtio_has_feature(dev, VIRTIO_NET_F_CTRL_RX)) {
        uint8_t r = ctrl_mac_table(n, e);
        if (r != VIRTIO_NET_OK)
            complain(n, L_CTRL_TABLE, "control MAC_TABLE_SET with inconsistent lengths: refused");
        return r;
    }
    if (cmd[0] == VIRTIO_NET_CTRL_MAC && cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET &&
        virtio_has_feature(dev, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
        if (data != 6) {
            complain(n, L_CTRL_LEN, "control MAC_ADDR_SET with %llu data bytes: refused",
                     (unsigned long long)data);
            return VIRTIO_NET_ERR;
        }
        virtq_elem_read(e, 2, n->mac, 6);
        write_config(n);
        return VIRTIO_NET_OK;
    }
    complain(n, L_CTRL_CMD, "control command class %u command %u not supported", cmd[0],
             cmd[1]);
    return VIRTIO_NET_ERR;
}

static void ctrl_process(struct virtio_net *n)
{
    struct virtio_device *dev = &n->vdev;
    struct virtq_elem *e;
    bool pushed = false;
    while (virtio_driver_ok(dev) && virtio_pop(dev, VIRTIO_NET_Q_CTRL, &e)) {
        uint32_t written = 0;
        if (e->out_len < 2 || e->in_len < 1) {
            complain(n, L_CTRL_SHORT, "control chain of %llu+%llu bytes (needs a 2-byte command "
                     "and a 1-byte ack): refused", (unsigned long long)e->out_len,
                     (unsigned long long)e->in_len);
        } else {
            uint8_t ack = ctrl_command(n, e);
            written = (uint32_t)virtq_elem_write(e, 0, &ack, 1);
        }
        virtq_push(&dev->queues[VIRTIO_NET_Q_CTRL], e, written);
        pushed = true;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, VIRTIO_NET_Q_CTRL);
}

/* --- device ops ---------------------------------------------------------------------- */

static void net_queue_notify(struct virtio_device *dev, unsigned q)
{
    struct virtio_net *n = dev->opaque;
    switch (q) {
    case VIRTIO_NET_Q_RX:
        rx_flush(n);
        break;
    case VIRTIO_NET_Q_TX:
        if (!n->tx_held)
            tx_process(n);
        break;
    case VIRTIO_NET_Q_CTRL:
        if (virtio_has_feature(dev, VIRTIO_NET_F_CTRL_VQ))
            ctrl_process(n);
        else
            complain(n, L_CTRL_OFF, "control queue used without CTRL_VQ: ignored");
        break;
    }
}

/* What the guest takes on receive, for a backend that could send more. */
static void tell_offloads(struct virtio_net *n, bool running)
{
    if (!n->be->ops->set_offloads)
        return;
    uint32_t o = 0;
    struct virtio_device *dev = &n->vdev;
    if (running && virtio_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM)) {
        o |= NET_OFFLOAD_CSUM;
        if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO4))
            o |= NET_OFFLOAD_TSO4;
        if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO6))
            o |= NET_OFFLOAD_TSO6;
        if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_UFO))
            o |= NET_OFFLOAD_UFO;
    }
    n->be->ops->set_offloads(n->be->opaque, o);
}

static void net_driver_ok(struct virtio_device *dev)
{
    struct virtio_net *n = dev->opaque;
    tell_offloads(n, true);
    rx_flush(n);
    tx_process(n);
}

static void filters_reset(struct virtio_net *n)
{
    /* Like QEMU: everything is received until the driver sets a filter. */
    n->promisc = true;
    n->allmulti = false;
    n->uc_overflow = n->mc_overflow = false;
    n->uc_count = n->mc_count = 0;
    memcpy(n->mac, n->default_mac, 6);
}

static void net_reset(struct virtio_device *dev)
{
    struct virtio_net *n = dev->opaque;
    for (unsigned i = 0; i < n->rx_nheld; i++)
        virtq_drop(&dev->queues[VIRTIO_NET_Q_RX], n->rx_held[i]);
    n->rx_nheld = 0;
    if (n->tx_held)
        virtq_drop(&dev->queues[VIRTIO_NET_Q_TX], n->tx_held);
    n->tx_held = NULL;
    /* Frames for the old driver instance mean nothing to the next one. */
    backlog_clear(n);
    tell_offloads(n, false);
    filters_reset(n);
    write_config(n);
}

static void net_config_write(struct virtio_device *dev, uint32_t offset, unsigned size)
{
    /* Read-only for a VERSION_1 driver (the MAC changes through the control queue). */
    write_config(dev->opaque);
}

/* The dependencies of 5.1.3.1: a driver that breaks them would get behaviour nobody
 * defined (e.g. segments it cannot checksum), so FEATURES_OK is refused. */
static bool net_validate_features(struct virtio_device *dev, uint64_t f)
{
#define HAS(bit) ((f >> (bit)) & 1)
    if ((HAS(VIRTIO_NET_F_CTRL_RX) || HAS(VIRTIO_NET_F_CTRL_MAC_ADDR)) &&
        !HAS(VIRTIO_NET_F_CTRL_VQ))
        return false;
    if ((HAS(VIRTIO_NET_F_GUEST_TSO4) || HAS(VIRTIO_NET_F_GUEST_TSO6) ||
         HAS(VIRTIO_NET_F_GUEST_UFO)) && !HAS(VIRTIO_NET_F_GUEST_CSUM))
        return false;
    if ((HAS(VIRTIO_NET_F_HOST_TSO4) || HAS(VIRTIO_NET_F_HOST_TSO6) ||
         HAS(VIRTIO_NET_F_HOST_UFO)) && !HAS(VIRTIO_NET_F_CSUM))
        return false;
#undef HAS
    return true;
}

static const struct virtio_device_ops net_ops = {
    .queue_notify = net_queue_notify,
    .reset = net_reset,
    .driver_ok = net_driver_ok,
    .config_write = net_config_write,
    .validate_features = net_validate_features,
};

struct virtio_net *virtio_net_new(const struct guest_mem *mem, struct net_backend *be,
                                  const uint8_t mac[6])
{
    if (!be || !be->ops || !be->ops->write_packet)
        return NULL;
    struct virtio_net *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->be = be;
    memcpy(n->default_mac, mac, 6);
    n->be_up = n->link_up = be->carrier;
    n->admin_up = true;
    n->mtu = be->mtu ? be->mtu : 1500;
    filters_reset(n);
    struct virtio_device *dev = &n->vdev;
    dev->name = "virtio-net";
    dev->device_id = VIRTIO_ID_NET;
    dev->ops = &net_ops;
    dev->opaque = n;
    dev->features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
                    1ULL << VIRTIO_NET_F_MTU | 1ULL << VIRTIO_NET_F_MRG_RXBUF |
                    1ULL << VIRTIO_NET_F_CTRL_VQ | 1ULL << VIRTIO_NET_F_CTRL_RX |
                    1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR;
    /* Without a vnet header, the device finishes transmit checksums itself (natively,
     * much cheaper than the guest's emulated CPU) and vouches for received ones only when
     * the backend made them. Segmentation offloads need a backend that carries them. */
    if (!be->vnet_hdr) {
        dev->features |= 1ULL << VIRTIO_NET_F_CSUM;
        if (be->csum_valid)
            dev->features |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
    }
    if (be->vnet_hdr && (be->offloads & NET_OFFLOAD_CSUM)) {
        dev->features |= 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM;
        if (be->offloads & NET_OFFLOAD_TSO4)
            dev->features |= 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO4;
        if (be->offloads & NET_OFFLOAD_TSO6)
            dev->features |= 1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_TSO6;
        if (be->offloads & NET_OFFLOAD_UFO)
            dev->features |= 1ULL << VIRTIO_NET_F_HOST_UFO | 1ULL << VIRTIO_NET_F_GUEST_UFO;
    }
    dev->config_len = 12;
    write_config(n);
    uint16_t sizes[3] = {QUEUE_SIZE, QUEUE_SIZE, 64};
    if (virtio_device_init(dev, mem, 3, sizes) < 0) {
        free(n);
        return NULL;
    }
    net_backend_attach(be, (struct net_frontend){.opaque = n,
                                                 .can_write_packet = fe_can_write_packet,
                                                 .write_packet = fe_write_packet,
                                                 .set_carrier = fe_set_carrier,
                                                 .tx_ready = fe_tx_ready});
    return n;
}

void virtio_net_free(struct virtio_net *n)
{
    if (!n)
        return;
    net_backend_attach(n->be, (struct net_frontend){0});
    net_reset(&n->vdev);
    virtio_device_cleanup(&n->vdev);
    free(n);
}

struct virtio_device *virtio_net_device(struct virtio_net *n)
{
    return &n->vdev;
}

const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n)
{
    return &n->stats;
}

unsigned virtio_net_backlog(const struct virtio_net *n)
{
    return n->bl_frames;
}

/* --- --net BACKEND[,mac=...][,backend options]: registration with the device model ---- */

enum net_kind { NET_USER, NET_STREAM, NET_TAP };

struct net_config {
    enum net_kind kind;
    char id[32];                /* its name for QMP's set_link: id=, or "net0", "net1", ... */
    bool link_down;             /* set_link down: kept across guest reboots */
    struct virtio_net *dev;     /* this boot's device, NULL between boots */
    struct link_control link;
    bool mac_set;
    uint8_t mac[6];
    struct net_user_config user;
    char *listen, *connect, *ifname;
    struct net_backend *be;     /* open between open_host and close_host */
};

static void net_free_config(void *p)
{
    struct net_config *c = p;
    if (!c)
        return;
    free(c->listen);
    free(c->connect);
    free(c->ifname);
    free(c);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char end;
    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &end) != 6 || strlen(s) != 17)
        return false;
    for (unsigned i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    /* A multicast address cannot be a station's own. */
    return !(mac[0] & 1);
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
    unsigned a, b, c, d;
    char end;
    if (!s || sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return false;
    *out = a << 24 | b << 16 | c << 8 | d;
    return true;
}

/* net=ADDR/BITS (8..30) or net=ADDR (a /24). */
static bool parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
    char buf[32];
    if (!s || strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    unsigned bits = 24;
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        *slash = 0;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (*end || end == slash + 1 || b < 8 || b > 30)
            return false;
        bits = (unsigned)b;
    }
    if (!parse_ipv4(buf, net))
        return false;
    *mask = ~0u << (32 - bits);
    *net &= *mask;
    return true;
}

static const char *parse_user(struct dev_opts *o, struct net_config *c)
{
    struct net_user_config *u = &c->user;
    bool dup = false;
    const struct dev_opt *restr = dev_opts_take(o, "restrict", &dup);
    const struct dev_opt *net = dev_opts_take(o, "net", &dup);
    const struct dev_opt *host = dev_opts_take(o, "host", &dup);
    const struct dev_opt *dhcp = dev_opts_take(o, "dhcpstart", &dup);
    if (dup)
        return "restrict=, net=, host= and dhcpstart= may each be given once";
    for (unsigned i = 0; i < o->count; i++) {
        struct dev_opt *it = &o->items[i];
        if (strcmp(it->key, "hostfwd"))
            continue;
        it->used = true;
        if (u->nfwd == NET_MAX_HOSTFWD)
            return "at most 16 hostfwd= per --net user";
        if (!it->value || net_parse_hostfwd(it->value, &u->fwd[u->nfwd]) < 0)
            return "hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT";
        u->nfwd++;
    }
    if (restr) {
        if (restr->value && !strcmp(restr->value, "on"))
            u->restrict_ = true;
        else if (!restr->value || strcmp(restr->value, "off"))
            return "restrict= is on or off";
    }
    u->net = 0x0a000200;        /* 10.0.2.0/24 */
    u->mask = 0xffffff00;
    if (net && !parse_net(net->value, &u->net, &u->mask))
        return "net= is an IPv4 network ADDR[/BITS], e.g. 10.0.2.0/24";
    u->host = u->net | 2;
    u->dhcp_start = u->net | 15;
    if (host && (!parse_ipv4(host->value, &u->host) || (u->host & u->mask) != u->net))
        return "host= is an IPv4 address inside net=";
    if (dhcp && (!parse_ipv4(dhcp->value, &u->dhcp_start) ||
                 (u->dhcp_start & u->mask) != u->net))
        return "dhcpstart= is an IPv4 address inside net=";
    return NULL;
}

static const char *parse_stream(struct dev_opts *o, struct net_config *c)
{
    bool dup = false;
    const struct dev_opt *l = dev_opts_take(o, "listen", &dup);
    const struct dev_opt *k = dev_opts_take(o, "connect", &dup);
    if (dup)
        return "listen= and connect= may each be given once";
    if (!!l == !!k)
        return "stream takes exactly one of listen=PATH and connect=PATH";
    const struct dev_opt *p = l ? l : k;
    if (!p->value || !*p->value)
        return "listen= and connect= need a socket path";
    char **dst = l ? &c->listen : &c->connect;
    *dst = strdup(p->value);
    return *dst ? NULL : "out of memory";
}

static const char *parse_tap(struct dev_opts *o, struct net_config *c)
{
    bool dup = false;
    const struct dev_opt *name = dev_opts_take(o, "ifname", &dup);
    if (dup)
        return "ifname= may be given once";
    if (!name)
        return NULL;
    /* IFNAMSIZ - 1; the kernel would refuse worse names less clearly. */
    if (!name->value || !*name->value || strlen(name->value) > 15 ||
        strpbrk(name->value, "/ \t\n:"))
        return "ifname= is an interface name of 1 to 15 characters";
    c->ifname = strdup(name->value);
    return c->ifname ? NULL : "out of memory";
}

static void *net_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *backend = dev_opts_take(o, "backend", &dup);
    const struct dev_opt *mac = dev_opts_take(o, "mac", &dup);
    const struct dev_opt *id = dev_opts_take(o, "id", &dup);
    struct net_config *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    const char *bad = NULL;
    if (dup)
        bad = "the backend, mac= and id= may each be given once";
    else if (!backend || !backend->value)
        bad = "no backend (user, stream or tap)";
    else if (!strcmp(backend->value, "user"))
        c->kind = NET_USER;
    else if (!strcmp(backend->value, "stream"))
        c->kind = NET_STREAM;
    else if (!strcmp(backend->value, "tap"))
        c->kind = NET_TAP;
    else
        bad = "unknown backend (user, stream or tap)";
    if (!bad && id) {
        if (!id->value || !link_control_name_valid(id->value))
            bad = "id= is 1 to 31 letters, digits, '-', '_' or '.'";
        else
            snprintf(c->id, sizeof(c->id), "%s", id->value);
    }
    if (!bad && mac) {
        c->mac_set = true;
        if (!parse_mac(mac->value, c->mac))
            bad = "mac= is six hex bytes like 52:54:00:12:34:56, not a multicast address";
    }
    if (!bad)
        bad = c->kind == NET_USER ? parse_user(o, c) :
              c->kind == NET_STREAM ? parse_stream(o, c) : parse_tap(o, c);
    if (bad) {
        snprintf(why, len, "%s", bad);
        net_free_config(c);
        return NULL;
    }
    return c;
}

static const char *net_check(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++) {
            const struct net_config *a = cfgs[i], *b = cfgs[j];
            if (a->id[0] && !strcmp(a->id, b->id))
                return "two --net options have the same id=";
        }
    return NULL;
}

/* QMP's set_link: the host pulls or plugs the cable. */
static void net_set_link(void *opaque, bool up)
{
    struct net_config *c = opaque;
    c->link_down = !up;
    if (c->dev)
        virtio_net_set_link(c->dev, up);
}

static void net_close_host(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct net_config *c = cfgs[i];
        link_control_remove(&c->link);
        net_backend_close(c->be);
        c->be = NULL;
    }
}

static int net_open_host(void *const *cfgs, unsigned n, const struct device_host_env *env)
{
    for (unsigned i = 0; i < n; i++) {
        struct net_config *c = cfgs[i];
        if (!c->mac_set) {
            /* Stable per NIC: eth0 is 52:54:00:12:34:56 on every run, as with QEMU. */
            static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
            memcpy(c->mac, base, 6);
            c->mac[5] = (uint8_t)(base[5] + i);
        }
        int ret;
        if (c->kind == NET_USER)
            ret = net_user_open(&c->user, env->loop, &c->be);
        else if (c->kind == NET_STREAM)
            ret = net_stream_open(c->listen, c->connect, env->loop, &c->be);
        else
            ret = net_tap_open(c->ifname, env->loop, &c->be);
        if (ret < 0) {
            net_close_host(cfgs, i);
            return ret;
        }
        if (!c->id[0])
            snprintf(c->id, sizeof(c->id), "net%u", i);
        c->link = (struct link_control){.name = c->id, .opaque = c, .set = net_set_link};
        link_control_add(&c->link);
    }
    return 0;
}

static struct virtio_device *net_create(void *const *cfgs, unsigned n,
                                        const struct device_env *env, void **state)
{
    struct net_config *c = cfgs[0];
    struct virtio_net *dev = virtio_net_new(env->mem, c->be, c->mac);
    if (dev) {
        dev->host = c;
        c->dev = dev;
        virtio_net_set_link(dev, !c->link_down);
    }
    *state = dev;
    return dev ? virtio_net_device(dev) : NULL;
}

static void net_destroy(void *state)
{
    struct virtio_net *n = state;
    if (n && n->host)
        ((struct net_config *)n->host)->dev = NULL;
    virtio_net_free(n);
}

static void net_dump(void *state)
{
    struct virtio_net *n = state;
    const struct virtio_net_stats *s = &n->stats;
    fprintf(stderr, "virtio-net %02x:%02x:%02x:%02x:%02x:%02x: link %s, rx %llu frames, tx %llu "
            "frames (largest %llu), backlog %u, held rx chains %u, dropped: backlog %llu "
            "filter %llu bad-rx %llu down %llu bad-tx %llu\n", n->mac[0], n->mac[1], n->mac[2],
            n->mac[3], n->mac[4], n->mac[5], n->link_up ? "up" : "down",
            (unsigned long long)s->rx_frames, (unsigned long long)s->tx_frames,
            (unsigned long long)s->tx_max_frame, n->bl_frames, n->rx_nheld,
            (unsigned long long)s->rx_dropped_backlog, (unsigned long long)s->rx_dropped_filter,
            (unsigned long long)s->rx_dropped_bad, (unsigned long long)s->rx_dropped_down,
            (unsigned long long)s->tx_dropped_bad);
}

static const struct device_type net_type = {
    .name = "net",
    .first_key = "backend",
    .usage = "user|stream|tap[,mac=52:54:00:XX:XX:XX][,id=NAME][,BACKEND OPTIONS]",
    .help = "add a virtio-net NIC (eth0, eth1, ... in the guest; the default MAC is\n"
            "52:54:00:12:34:56, then :57, ...). id= names it for QMP's set_link\n"
            "(default net0, net1, ...).\n"
            "user: user-mode networking (libslirp, no root): guest 10.0.2.15 by DHCP,\n"
            "  host and gateway 10.0.2.2, DNS 10.0.2.3; options\n"
            "  hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (repeatable,\n"
            "  HOSTADDR defaults to 127.0.0.1), restrict=on (only the host and forwarded\n"
            "  ports), net=ADDR[/BITS], host=ADDR, dhcpstart=ADDR.\n"
            "stream,listen=PATH | stream,connect=PATH: frames over a unix stream socket in\n"
            "  QEMU's -netdev stream format (a 4-byte big-endian length before each frame),\n"
            "  to another kite or a QEMU guest; a peer that goes away is a link down.\n"
            "tap[,ifname=NAME]: a Linux tap (created if absent; needs CAP_NET_ADMIN), with\n"
            "  checksum and TSO offloads passed through to the guest.",
    .max_instances = 8,
    .order = 20,
    .parse = net_parse,
    .free_config = net_free_config,
    .check = net_check,
    .open_host = net_open_host,
    .close_host = net_close_host,
    .create = net_create,
    .destroy = net_destroy,
    .dump = net_dump,
};
DEVICE_TYPE_REGISTER(net_type)
