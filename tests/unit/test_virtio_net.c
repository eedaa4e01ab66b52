/*
 * virtio-net through virtio-mmio against a fake backend: frames both ways, the hostile
 * chains design.md lists (short headers, tiny receive buffers, huge frames, writable
 * transmit buffers), the bounded backlog, the control queue and carrier changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio/net.h"

#define QRX (SIM_RAM_BASE + 0x1000)
#define QTX (SIM_RAM_BASE + 0x4000)
#define QCTRL (SIM_RAM_BASE + 0x8000)
#define BUF (SIM_RAM_BASE + 0x20000)
#define BIG (SIM_RAM_BASE + 0x40000)    /* room for one frame of ~128 KiB */

#define HDR NET_VNET_HDR_LEN
#define MAX_SENT 64

struct fake_backend {
    struct net_backend be;
    unsigned sent;
    size_t sent_len[MAX_SENT];
    uint8_t last[NET_MAX_FRAME + HDR + 64];
    size_t last_len;
    bool refuse;            /* answer -EAGAIN */
};

static int fake_write(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    struct fake_backend *b = opaque;
    if (b->refuse)
        return -EAGAIN;
    size_t len = 0;
    for (unsigned i = 0; i < iovcnt; i++) {
        assert_true(len + iov[i].iov_len <= sizeof(b->last));
        memcpy(b->last + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    b->last_len = len;
    if (b->sent < MAX_SENT)
        b->sent_len[b->sent] = len;
    b->sent++;
    return 0;
}

static const struct net_backend_ops fake_ops = {.write_packet = fake_write};

struct fix {
    struct sim_ram ram;
    struct fake_backend fb;
    struct virtio_net *net;
    struct sim_drv d;
    uint16_t next_desc[3];
};

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static uint64_t base_features(void)
{
    return 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS;
}

/* Creates the device and runs the driver up to DRIVER_OK with `features`. */
static void start(struct fix *f, uint64_t features)
{
    f->net = virtio_net_new(&f->ram.mem, &f->fb.be, MAC);
    assert_non_null(f->net);
    sim_attach(&f->d, &f->ram, virtio_net_device(f->net));
    assert_true(sim_negotiate(&f->d, features));
    assert_true(sim_queue_setup(&f->d, VIRTIO_NET_Q_RX, 64, QRX));
    assert_true(sim_queue_setup(&f->d, VIRTIO_NET_Q_TX, 64, QTX));
    assert_true(sim_queue_setup(&f->d, VIRTIO_NET_Q_CTRL, 16, QCTRL));
    assert_true(sim_driver_ok(&f->d));
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    f->fb.be = (struct net_backend){.ops = &fake_ops, .opaque = &f->fb, .kind = "fake",
                                    .carrier = true};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_mmio_free(f->d.t);
    virtio_net_free(f->net);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

/* Posts a chain of `n` descriptors (addr[i], len[i]) on queue q; returns its head. */
static uint16_t post_chain(struct fix *f, unsigned q, unsigned n, const uint64_t *addr,
                           const uint32_t *len, const bool *writable)
{
    uint16_t size = f->d.q[q].size;
    uint16_t head = f->next_desc[q] % size;
    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % size);
        uint16_t flags = (uint16_t)((writable[i] ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        sim_set_desc(&f->d, q, idx, addr[i], len[i], flags, (uint16_t)((idx + 1) % size));
    }
    f->next_desc[q] = (uint16_t)(f->next_desc[q] + n);
    sim_post(&f->d, q, head);
    return head;
}

static uint16_t post_rx(struct fix *f, uint64_t addr, uint32_t len)
{
    bool w = true;
    return post_chain(f, VIRTIO_NET_Q_RX, 1, &addr, &len, &w);
}

/* Writes a vnet header + frame of `len` bytes (pattern by seed) at addr. */
static void make_frame(struct fix *f, uint64_t addr, size_t len, uint8_t seed,
                       const uint8_t *dst)
{
    uint8_t *p = sim_host(&f->ram, addr);
    memset(p, 0, HDR);
    for (size_t i = 0; i < len; i++)
        p[HDR + i] = (uint8_t)(seed + i * 7);
    if (dst && len >= 6)
        memcpy(p + HDR, dst, 6);
}

/* A frame the backend delivers to the device (no vnet header: the plain backend). */
static void deliver(struct fix *f, size_t len, uint8_t seed, const uint8_t *dst)
{
    static uint8_t buf[NET_MAX_FRAME + 64];
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 7);
    if (dst)
        memcpy(buf, dst, 6);
    struct iovec iov = {buf, len};
    net_backend_deliver(&f->fb.be, &iov, 1);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void test_features_and_config(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    uint64_t offered = sim_offered(&f->d);
    assert_true(offered & 1ULL << VIRTIO_NET_F_MRG_RXBUF);
    assert_true(offered & 1ULL << VIRTIO_NET_F_CTRL_VQ);
    assert_true(offered & 1ULL << VIRTIO_NET_F_MTU);
    /* Without a vnet header the device finishes transmit checksums itself, vouches for
     * received ones only if the backend made them, and offers no segmentation. */
    assert_true(offered & 1ULL << VIRTIO_NET_F_CSUM);
    assert_false(offered & 1ULL << VIRTIO_NET_F_GUEST_CSUM);
    assert_false(offered & 1ULL << VIRTIO_NET_F_HOST_TSO4);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + i, 1), MAC[i]);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 10, 2), 1500);
    /* The config space is read-only: a write does not change the MAC. */
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 0, 0xff, 1);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 0, 1), MAC[0]);
}

static void test_offloads_with_vnet_backend(void **state)
{
    struct fix *f = *state;
    f->fb.be.vnet_hdr = true;
    f->fb.be.offloads = NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4;
    start(f, base_features());
    uint64_t offered = sim_offered(&f->d);
    assert_true(offered & 1ULL << VIRTIO_NET_F_CSUM);
    assert_true(offered & 1ULL << VIRTIO_NET_F_GUEST_CSUM);
    assert_true(offered & 1ULL << VIRTIO_NET_F_HOST_TSO4);
    assert_false(offered & 1ULL << VIRTIO_NET_F_HOST_TSO6);
}

static void test_feature_dependencies(void **state)
{
    struct fix *f = *state;
    f->fb.be.vnet_hdr = true;
    f->fb.be.offloads = NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4;
    f->net = virtio_net_new(&f->ram.mem, &f->fb.be, MAC);
    sim_attach(&f->d, &f->ram, virtio_net_device(f->net));
    /* CTRL_RX needs CTRL_VQ; HOST_TSO4 needs CSUM; GUEST_TSO4 needs GUEST_CSUM. */
    assert_false(sim_negotiate(&f->d, base_features() | 1ULL << VIRTIO_NET_F_CTRL_RX));
    assert_false(sim_negotiate(&f->d, base_features() | 1ULL << VIRTIO_NET_F_HOST_TSO4));
    assert_false(sim_negotiate(&f->d, base_features() | 1ULL << VIRTIO_NET_F_GUEST_TSO4));
    assert_true(sim_negotiate(&f->d, base_features() | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
                                         1ULL << VIRTIO_NET_F_GUEST_CSUM |
                                         1ULL << VIRTIO_NET_F_CTRL_RX |
                                         1ULL << VIRTIO_NET_F_CTRL_VQ));
}

static void test_tx_header_split_across_descriptors(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    make_frame(f, BUF, 60, 3, NULL);
    /* 5 bytes of header, then 7 more + the frame: the header straddles two buffers. */
    uint64_t a[2] = {BUF, BUF + 5};
    uint32_t l[2] = {5, 7 + 60};
    bool w[2] = {false, false};
    post_chain(f, VIRTIO_NET_Q_TX, 2, a, l, w);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(f->fb.last_len, 60);
    assert_memory_equal(f->fb.last, (uint8_t *)sim_host(&f->ram, BUF) + HDR, 60);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len));
    assert_int_equal(len, 0);
    assert_int_equal(virtio_net_stats(f->net)->tx_frames, 1);
}

static void test_tx_hostile_chains(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    make_frame(f, BUF, 100, 9, NULL);
    struct sim_capture cap;
    sim_capture_start(&cap);
    /* Shorter than the 12-byte header (QEMU 7.2 aborted on this). */
    uint64_t a1 = BUF;
    uint32_t l1 = 8;
    bool ro = false, wr = true;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a1, &l1, &ro);
    /* The header alone: a zero-length frame. */
    uint32_t l2 = HDR;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a1, &l2, &ro);
    /* A device-writable buffer in a transmit chain. */
    uint64_t a3[2] = {BUF, BUF + 0x1000};
    uint32_t l3[2] = {HDR + 100, 64};
    bool w3[2] = {false, true};
    post_chain(f, VIRTIO_NET_Q_TX, 2, a3, l3, w3);
    /* Above 65,550 bytes of frame. */
    uint64_t a4 = BIG;
    uint32_t l4 = HDR + NET_MAX_FRAME + 1;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a4, &l4, &ro);
    /* NEEDS_CSUM without CSUM negotiated. */
    uint8_t *h = sim_host(&f->ram, BUF + 0x2000);
    memcpy(h, sim_host(&f->ram, BUF), HDR + 100);
    h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    uint64_t a5 = BUF + 0x2000;
    uint32_t l5 = HDR + 100;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a5, &l5, &ro);
    /* GSO without HOST_TSO4. */
    uint8_t *g = sim_host(&f->ram, BUF + 0x3000);
    memcpy(g, sim_host(&f->ram, BUF), HDR + 100);
    g[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    uint64_t a6 = BUF + 0x3000;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a6, &l5, &ro);
    /* And a good one after all that. */
    uint32_t l7 = HDR + 100;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a1, &l7, &ro);
    (void)wr;
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "shorter than the 12-byte header"));
    assert_non_null(strstr(log, "device-writable"));
    assert_non_null(strstr(log, "limit 65550"));
    assert_non_null(strstr(log, "not negotiated"));
    free(log);
    /* Only the good frame reached the backend; every chain came back. */
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(f->fb.last_len, 100);
    assert_int_equal(virtio_net_stats(f->net)->tx_dropped_bad, 6);
    unsigned back = 0;
    uint32_t id, len;
    while (sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len))
        back++;
    assert_int_equal(back, 7);
    assert_false(sim_rd(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The Internet checksum over buf[0..len), folded, not inverted. */
static uint16_t ones_sum(const uint8_t *buf, size_t len)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += i & 1 ? buf[i] : (uint64_t)buf[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void test_tx_checksum_completed_by_device(void **state)
{
    struct fix *f = *state;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_CSUM);
    make_frame(f, BUF, 301, 11, NULL);
    uint8_t *h = sim_host(&f->ram, BUF);
    h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h[6] = 34;  /* csum_start */
    h[8] = 16;  /* csum_offset: the field at 50..51 of the frame */
    h[HDR + 50] = 0x12;     /* the driver's pseudo-header sum */
    h[HDR + 51] = 0x34;
    uint8_t before[HDR + 301];
    memcpy(before, h, sizeof(before));
    /* The field straddles two descriptors (frame bytes 0..50 | 51..). */
    uint64_t a[2] = {BUF, BUF + HDR + 51};
    uint32_t l[2] = {HDR + 51, 250};
    bool ro[2] = {false, false};
    post_chain(f, VIRTIO_NET_Q_TX, 2, a, l, ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(f->fb.last_len, 301);
    /* What was sent verifies as a receiver checks it: the pseudo-header sum (the value
     * the driver left in the field) plus the sum over [start, end) is all ones. */
    uint32_t total = ones_sum(f->fb.last + 34, 301 - 34) + 0x1234u;
    total = (total & 0xffff) + (total >> 16);
    assert_int_equal(total, 0xffff);
    /* Everything else is the guest's bytes, and guest RAM was not written. */
    assert_memory_equal(f->fb.last, before + HDR, 50);
    assert_memory_equal(f->fb.last + 52, before + HDR + 52, 301 - 52);
    assert_memory_equal(h, before, sizeof(before));

    /* A checksum field beyond the frame: dropped, not sent. */
    h[6] = 0x2c;
    h[7] = 0x01;    /* start 300, + 16 > 301 */
    uint64_t a1 = BUF;
    uint32_t l1 = HDR + 301;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a1, &l1, ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(virtio_net_stats(f->net)->tx_dropped_bad, 1);
}

static void test_rx_data_valid_from_trusted_backend(void **state)
{
    struct fix *f = *state;
    f->fb.be.csum_valid = true;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_GUEST_CSUM);
    assert_true(sim_offered(&f->d) & 1ULL << VIRTIO_NET_F_GUEST_CSUM);
    post_rx(f, BUF, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 100, 4, NULL);
    assert_int_equal(*(uint8_t *)sim_host(&f->ram, BUF), VIRTIO_NET_HDR_F_DATA_VALID);
}

static void test_tx_max_frame_passes(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    make_frame(f, BIG, NET_MAX_FRAME, 1, NULL);
    uint64_t a = BIG;
    uint32_t l = HDR + NET_MAX_FRAME;
    bool ro = false;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a, &l, &ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(f->fb.last_len, NET_MAX_FRAME);
}

static void test_tx_backpressure(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    make_frame(f, BUF, 80, 5, NULL);
    uint64_t a = BUF;
    uint32_t l = HDR + 80;
    bool ro = false;
    f->fb.refuse = true;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a, &l, &ro);
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a, &l, &ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    uint32_t id, len;
    /* Held, not completed and not lost. */
    assert_false(sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len));
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 0);
    f->fb.refuse = false;
    net_backend_tx_ready(&f->fb.be);
    assert_int_equal(f->fb.sent, 2);
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len));
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len));
}

static void test_rx_single_buffer(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    uint16_t head = post_rx(f, BUF, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 100, 4, NULL);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, HDR + 100);
    const uint8_t *p = sim_host(&f->ram, BUF);
    assert_int_equal(rd16(p + 10), 1);  /* num_buffers is 1 without MRG_RXBUF */
    assert_int_equal(p[0], 0);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(p[HDR + i], (uint8_t)(4 + i * 7));
    assert_true(sim_ack(&f->d) & VIRTIO_INT_USED);
}

static void test_rx_tiny_buffers_without_mrg(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    struct sim_capture cap;
    sim_capture_start(&cap);
    post_rx(f, BUF, 8);             /* cannot even hold the header */
    post_rx(f, BUF + 0x100, 50);    /* holds the header, not the frame */
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 100, 4, NULL);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "smaller than the 12-byte header"));
    assert_non_null(strstr(log, "too small"));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(len, 0);
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(len, 0);
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_bad, 1);
    /* Nothing is stuck: a proper buffer takes the next frame. */
    post_rx(f, BUF + 0x1000, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 100, 4, NULL);
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(len, HDR + 100);
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 1);
}

static void test_rx_mergeable(void **state)
{
    struct fix *f = *state;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_MRG_RXBUF);
    uint16_t h0 = post_rx(f, BUF, 64);
    uint16_t h1 = post_rx(f, BUF + 0x100, 64);
    /* Only two posted: a 150-byte frame needs three, so it waits (not dropped). */
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 150, 2, NULL);
    uint32_t id, len;
    assert_false(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(virtio_net_backlog(f->net), 1);
    uint16_t h2 = post_rx(f, BUF + 0x200, 64);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    assert_int_equal(virtio_net_backlog(f->net), 0);
    uint16_t heads[3] = {h0, h1, h2};
    uint32_t lens[3] = {64, 64, HDR + 150 - 128};
    for (unsigned i = 0; i < 3; i++) {
        assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
        assert_int_equal(id, heads[i]);
        assert_int_equal(len, lens[i]);
    }
    const uint8_t *p = sim_host(&f->ram, BUF);
    assert_int_equal(rd16(p + 10), 3);
    /* The frame continues across the three buffers in order. */
    uint8_t got[150];
    memcpy(got, p + HDR, 52);
    memcpy(got + 52, sim_host(&f->ram, BUF + 0x100), 64);
    memcpy(got + 116, sim_host(&f->ram, BUF + 0x200), 34);
    for (size_t i = 0; i < 150; i++)
        assert_int_equal(got[i], (uint8_t)(2 + i * 7));
}

static void test_rx_frame_larger_than_all_buffers(void **state)
{
    struct fix *f = *state;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_MRG_RXBUF);
    /* 64 buffers of 16 bytes can never hold a 2000-byte frame: dropped, never waited on. */
    for (unsigned i = 0; i < 64; i++)
        post_rx(f, BUF + 0x20ULL * i, 16);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 2000, 1, NULL);
    assert_int_equal(virtio_net_backlog(f->net), 0);
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_bad, 1);
    /* The buffers still serve small frames. */
    deliver(f, 20, 1, NULL);
    uint32_t id, len, total = 0;
    unsigned n = 0;
    while (sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len)) {
        total += len;
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(total, HDR + 20);
}

static void test_rx_backlog_is_bounded(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    struct sim_capture cap;
    sim_capture_start(&cap);
    for (unsigned i = 0; i < VIRTIO_NET_BACKLOG_FRAMES + 500; i++)
        deliver(f, 60, (uint8_t)i, NULL);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "frames dropped"));
    /* Logged once, not 500 times. */
    assert_null(strstr(strstr(log, "frames dropped") + 1, "frames dropped"));
    free(log);
    assert_int_equal(virtio_net_backlog(f->net), VIRTIO_NET_BACKLOG_FRAMES);
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_backlog, 500);
    assert_false(f->fb.be.fe.can_write_packet(f->fb.be.fe.opaque));
    /* The oldest frames come out first once buffers arrive. */
    for (unsigned i = 0; i < 4; i++)
        post_rx(f, BUF + 0x800ULL * i, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    assert_int_equal(virtio_net_backlog(f->net), VIRTIO_NET_BACKLOG_FRAMES - 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(*(uint8_t *)sim_host(&f->ram, BUF + 0x800ULL * i + HDR), (uint8_t)i);
    assert_true(f->fb.be.fe.can_write_packet(f->fb.be.fe.opaque));
    /* A reset forgets the backlog. */
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(virtio_net_backlog(f->net), 0);
}

static void test_rx_before_driver_ok(void **state)
{
    struct fix *f = *state;
    f->net = virtio_net_new(&f->ram.mem, &f->fb.be, MAC);
    sim_attach(&f->d, &f->ram, virtio_net_device(f->net));
    assert_false(f->fb.be.fe.can_write_packet(f->fb.be.fe.opaque));
    deliver(f, 60, 0, NULL);
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_down, 1);
    assert_int_equal(virtio_net_backlog(f->net), 0);
}

/* Sends a control command (out bytes) with a 1-byte ack buffer; returns the ack or -1. */
static int ctrl(struct fix *f, const uint8_t *cmd, uint32_t len)
{
    memcpy(sim_host(&f->ram, BUF + 0x4000), cmd, len);
    *(uint8_t *)sim_host(&f->ram, BUF + 0x5000) = 0xee;
    uint64_t a[2] = {BUF + 0x4000, BUF + 0x5000};
    uint32_t l[2] = {len, 1};
    bool w[2] = {false, true};
    post_chain(f, VIRTIO_NET_Q_CTRL, 2, a, l, w);
    sim_notify(&f->d, VIRTIO_NET_Q_CTRL);
    uint32_t id, used;
    if (!sim_reap(&f->d, VIRTIO_NET_Q_CTRL, &id, &used) || used != 1)
        return -1;
    return *(uint8_t *)sim_host(&f->ram, BUF + 0x5000);
}

static void test_ctrl_rx_filters(void **state)
{
    struct fix *f = *state;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_CTRL_VQ | 1ULL << VIRTIO_NET_F_CTRL_RX |
                 1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR);
    static const uint8_t other[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
    static const uint8_t listed[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* Promiscuous until the driver says otherwise. */
    for (unsigned i = 0; i < 8; i++)
        post_rx(f, BUF + 0x800ULL * i, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 60, 0, other);
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 1);

    const uint8_t promisc_off[3] = {VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0};
    assert_int_equal(ctrl(f, promisc_off, 3), VIRTIO_NET_OK);
    uint8_t table[2 + 4 + 6 + 4];
    table[0] = VIRTIO_NET_CTRL_MAC;
    table[1] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
    memcpy(table + 2, "\x01\0\0\0", 4);
    memcpy(table + 6, listed, 6);
    memcpy(table + 12, "\0\0\0\0", 4);
    assert_int_equal(ctrl(f, table, sizeof(table)), VIRTIO_NET_OK);
    deliver(f, 60, 0, other);      /* filtered */
    deliver(f, 60, 0, MAC);        /* ours */
    deliver(f, 60, 0, listed);     /* in the table */
    deliver(f, 60, 0, bcast);      /* broadcast */
    deliver(f, 60, 0, mcast);      /* multicast, not allowed */
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 4);
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_filter, 2);
    const uint8_t allmulti[3] = {VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, 1};
    assert_int_equal(ctrl(f, allmulti, 3), VIRTIO_NET_OK);
    deliver(f, 60, 0, mcast);
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 5);

    /* MAC_ADDR_SET changes the address the filter and the config space use. */
    uint8_t set[8] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET};
    memcpy(set + 2, other, 6);
    assert_int_equal(ctrl(f, set, sizeof(set)), VIRTIO_NET_OK);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 3, 1), 0xaa);
    deliver(f, 60, 0, other);
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 6);
}

static void test_ctrl_bad_commands(void **state)
{
    struct fix *f = *state;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_CTRL_VQ | 1ULL << VIRTIO_NET_F_CTRL_RX);
    struct sim_capture cap;
    sim_capture_start(&cap);
    /* A table count far beyond the bytes that follow. */
    uint8_t huge[2 + 4 + 4] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
                               0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    assert_int_equal(ctrl(f, huge, sizeof(huge)), VIRTIO_NET_ERR);
    /* Trailing bytes after the two tables. */
    uint8_t trailing[2 + 4 + 4 + 3] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET};
    assert_int_equal(ctrl(f, trailing, sizeof(trailing)), VIRTIO_NET_ERR);
    /* PROMISC with two data bytes; an unknown class; MAC_ADDR_SET not negotiated. */
    const uint8_t promisc2[4] = {VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0, 0};
    assert_int_equal(ctrl(f, promisc2, 4), VIRTIO_NET_ERR);
    const uint8_t unknown[3] = {42, 0, 0};
    assert_int_equal(ctrl(f, unknown, 3), VIRTIO_NET_ERR);
    uint8_t set[8] = {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET};
    assert_int_equal(ctrl(f, set, 8), VIRTIO_NET_ERR);
    /* One byte of command: no room for class + command, answered with nothing. */
    assert_int_equal(ctrl(f, unknown, 1), -1);
    /* No ack buffer at all. */
    uint64_t a = BUF + 0x4000;
    uint32_t l = 3;
    bool ro = false;
    post_chain(f, VIRTIO_NET_Q_CTRL, 1, &a, &l, &ro);
    sim_notify(&f->d, VIRTIO_NET_Q_CTRL);
    uint32_t id, used;
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_CTRL, &id, &used));
    assert_int_equal(used, 0);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "MAC_TABLE_SET"));
    assert_non_null(strstr(log, "1-byte ack"));
    free(log);
    /* Still promiscuous: no bad command changed the filter. */
    post_rx(f, BUF, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    static const uint8_t other[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
    deliver(f, 60, 0, other);
    assert_int_equal(virtio_net_stats(f->net)->rx_frames, 1);
}

static void test_carrier_change_interrupts(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    sim_ack(&f->d);
    uint32_t gen = sim_rd(&f->d, VIRTIO_MMIO_CONFIG_GENERATION);
    net_backend_set_carrier(&f->fb.be, false);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), 0);
    assert_int_not_equal(sim_rd(&f->d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_CONFIG);
    net_backend_set_carrier(&f->fb.be, true);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_CONFIG);
    /* The same state again is no change: no interrupt. */
    net_backend_set_carrier(&f->fb.be, true);
    assert_int_equal(sim_ack(&f->d), 0);
}

/* The host pulls the cable (QMP set_link): no carrier, nothing either way, until it is
 * plugged again; the backend's own carrier still counts after that. */
static void test_host_link_down(void **state)
{
    struct fix *f = *state;
    start(f, base_features());
    sim_ack(&f->d);
    virtio_net_set_link(f->net, false);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), 0);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_CONFIG);
    /* A frame from the backend is dropped, the posted buffer stays unused. */
    post_rx(f, BUF, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    deliver(f, 100, 4, NULL);
    uint32_t id, len;
    assert_false(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(virtio_net_stats(f->net)->rx_dropped_down, 1);
    /* A transmitted frame is completed (the guest gets its buffer back) but never sent. */
    make_frame(f, BUF + 0x4000, 60, 1, NULL);
    uint64_t a = BUF + 0x4000;
    uint32_t l = HDR + 60;
    bool ro = false;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a, &l, &ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_TX, &id, &len));
    assert_int_equal(f->fb.sent, 0);
    assert_int_equal(virtio_net_stats(f->net)->tx_dropped_down, 1);
    /* A backend carrier change meanwhile does not bring it up. */
    net_backend_set_carrier(&f->fb.be, false);
    net_backend_set_carrier(&f->fb.be, true);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), 0);
    virtio_net_set_link(f->net, true);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_true(sim_ack(&f->d) & VIRTIO_INT_CONFIG);
    deliver(f, 100, 4, NULL);
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(len, HDR + 100);
    /* Plugged by the host but no peer: still down. */
    net_backend_set_carrier(&f->fb.be, false);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 6, 2), 0);
}

static void test_vnet_backend_header_passes(void **state)
{
    struct fix *f = *state;
    f->fb.be.vnet_hdr = true;
    f->fb.be.offloads = NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4;
    start(f, base_features() | 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 |
                 1ULL << VIRTIO_NET_F_GUEST_CSUM);
    make_frame(f, BUF, 200, 1, NULL);
    uint8_t *h = sim_host(&f->ram, BUF);
    h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    h[10] = 7;  /* num_buffers: meaningless on transmit, not passed on */
    uint64_t a = BUF;
    uint32_t l = HDR + 200;
    bool ro = false;
    post_chain(f, VIRTIO_NET_Q_TX, 1, &a, &l, &ro);
    sim_notify(&f->d, VIRTIO_NET_Q_TX);
    assert_int_equal(f->fb.sent, 1);
    assert_int_equal(f->fb.last_len, HDR + 200);
    assert_int_equal(f->fb.last[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(f->fb.last[1], VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(f->fb.last[10], 0);
    /* Receive: the backend's header reaches the guest, with num_buffers set. */
    post_rx(f, BUF + 0x1000, 1526);
    sim_notify(&f->d, VIRTIO_NET_Q_RX);
    uint8_t frame[HDR + 60] = {VIRTIO_NET_HDR_F_DATA_VALID};
    struct iovec iov[2] = {{frame, 5}, {frame + 5, sizeof(frame) - 5}};
    net_backend_deliver(&f->fb.be, iov, 2);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, VIRTIO_NET_Q_RX, &id, &len));
    assert_int_equal(len, HDR + 60);
    const uint8_t *p = sim_host(&f->ram, BUF + 0x1000);
    assert_int_equal(p[0], VIRTIO_NET_HDR_F_DATA_VALID);
    assert_int_equal(rd16(p + 10), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offloads_with_vnet_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feature_dependencies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_header_split_across_descriptors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tx_hostile_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_checksum_completed_by_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_data_valid_from_trusted_backend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tx_max_frame_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_single_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_tiny_buffers_without_mrg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_frame_larger_than_all_buffers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rx_backlog_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_before_driver_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_rx_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_bad_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carrier_change_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_link_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vnet_backend_header_passes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
