/*
 * The virtio-mmio transport and the VirtIO core, driven through registers by a simulated
 * driver: identity, feature negotiation (FEATURES_OK refused for features never offered),
 * queue setup checks, the freeze after DRIVER_OK, interrupts, config space and
 * generation, DEVICE_NEEDS_RESET and reset with requests in flight. A second device on its
 * own transport must keep working whatever the first one is put through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio/device.h"
#include "virtio/mmio.h"

#define TEST_DEVICE_ID 42
#define QMAX 64
#define Q0 (SIM_RAM_BASE + 0x1000)
#define Q1 (SIM_RAM_BASE + 0x4000)
#define OTHER_Q0 (SIM_RAM_BASE + 0x8000)
#define BUF (SIM_RAM_BASE + 0x20000)
#define FEATURE_TEST (1ULL << 5)       /* a device-specific feature the test device offers */

/* A test device: two queues; requests are completed with their writable length, filled
 * with 0xab, unless `hold` is set, in which case the device keeps them. */
struct echo {
    struct virtio_device dev;
    bool hold;
    struct virtq_elem *held[8];
    unsigned nheld;
    unsigned resets, notifies, driver_oks, config_writes;
    uint64_t refuse;            /* validate_features refuses any of these bits */
};

static void echo_notify(struct virtio_device *dev, unsigned q)
{
    struct echo *e = dev->opaque;
    e->notifies++;
    struct virtq_elem *el;
    while (virtio_pop(dev, q, &el)) {
        if (e->hold && e->nheld < 8) {
            e->held[e->nheld++] = el;
            continue;
        }
        for (unsigned i = 0; i < el->in_num; i++)
            memset(el->iov[el->out_num + i].iov_base, 0xab, el->iov[el->out_num + i].iov_len);
        virtio_complete(dev, q, el, (uint32_t)el->in_len);
    }
}

static void echo_reset(struct virtio_device *dev)
{
    struct echo *e = dev->opaque;
    e->resets++;
    for (unsigned i = 0; i < e->nheld; i++)
        virtq_drop(&dev->queues[0], e->held[i]);
    e->nheld = 0;
}

static void echo_driver_ok(struct virtio_device *dev)
{
    ((struct echo *)dev->opaque)->driver_oks++;
}

static void echo_config_write(struct virtio_device *dev, uint32_t offset, unsigned size)
{
    ((struct echo *)dev->opaque)->config_writes++;
}

static bool echo_validate(struct virtio_device *dev, uint64_t features)
{
    return !(features & ((struct echo *)dev->opaque)->refuse);
}

static const struct virtio_device_ops echo_ops = {
    .queue_notify = echo_notify,
    .reset = echo_reset,
    .driver_ok = echo_driver_ok,
    .config_write = echo_config_write,
    .validate_features = echo_validate,
};

static void echo_init(struct echo *e, struct sim_ram *ram, const char *name)
{
    memset(e, 0, sizeof(*e));
    e->dev.name = name;
    e->dev.device_id = TEST_DEVICE_ID;
    e->dev.features = FEATURE_TEST;
    e->dev.config_len = 8;
    uint32_t cfg[2] = {0x11223344, 0};
    memcpy(e->dev.config, cfg, 8);
    e->dev.ops = &echo_ops;
    e->dev.opaque = e;
    uint16_t max[2] = {QMAX, 8};
    assert_int_equal(virtio_device_init(&e->dev, &ram->mem, 2, max), 0);
}

struct fix {
    struct sim_ram ram;
    struct echo a, b;
    struct sim_drv da, db;      /* da drives a (under test), db drives b (the bystander) */
};

static void bring_up(struct sim_drv *d, uint64_t q0)
{
    assert_true(sim_negotiate(d, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(d, 0, 16, q0), 1);
    assert_true(sim_driver_ok(d));
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    echo_init(&f->a, &f->ram, "echo-a");
    echo_init(&f->b, &f->ram, "echo-b");
    sim_attach(&f->da, &f->ram, &f->a.dev);
    sim_attach(&f->db, &f->ram, &f->b.dev);
    bring_up(&f->db, OTHER_Q0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    for (unsigned i = 0; i < f->a.nheld; i++)
        virtq_drop(&f->a.dev.queues[0], f->a.held[i]);
    virtio_mmio_free(f->da.t);
    virtio_mmio_free(f->db.t);
    virtio_device_cleanup(&f->a.dev);
    virtio_device_cleanup(&f->b.dev);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

/* One 16-byte request on queue 0 of d: completed, filled, interrupt raised and acked. */
static void assert_serves(struct sim_drv *d, uint64_t buf)
{
    memset(sim_host(d->ram, buf), 0, 16);
    sim_set_desc(d, 0, 1, buf, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(d, 0, 1);
    unsigned raises = d->irq_raises;
    sim_notify(d, 0);
    uint32_t id, len;
    assert_true(sim_reap(d, 0, &id, &len));
    assert_int_equal(id, 1);
    assert_int_equal(len, 16);
    assert_int_equal(((uint8_t *)sim_host(d->ram, buf))[15], 0xab);
    assert_int_equal(d->irq_raises, raises + 1);
    assert_int_equal(d->irq_level, 1);
    assert_int_equal(sim_ack(d) & VIRTIO_INT_USED, VIRTIO_INT_USED);
    assert_int_equal(d->irq_level, 0);
}

static void assert_bystander_ok(struct fix *f)
{
    assert_serves(&f->db, BUF + 0x1000);
}

static char *capture(struct sim_capture *c)
{
    return sim_capture_end(c);
}

/* ---- identity and registers ---- */

static void test_identity(void **state)
{
    struct fix *f = *state;
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_MAGIC), 0x74726976);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_VERSION), 2);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_DEVICE_ID), TEST_DEVICE_ID);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    /* No shared memory regions: length ~0 in both halves. */
    sim_wr(&f->da, VIRTIO_MMIO_SHM_SEL, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM_MAX), 8);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 2);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void test_features_offered(void **state)
{
    struct fix *f = *state;
    uint64_t off = sim_offered(&f->da);
    assert_true(off & (1ULL << VIRTIO_F_VERSION_1));
    assert_true(off & (1ULL << VIRTIO_F_INDIRECT_DESC));
    assert_true(off & (1ULL << VIRTIO_F_EVENT_IDX));
    assert_true(off & FEATURE_TEST);
    sim_wr(&f->da, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_DEVICE_FEATURES), 0);
    assert_true(sim_negotiate(&f->da, off));
    assert_int_equal(f->a.dev.guest_features, off);
}

static void test_bad_width_and_offsets(void **state)
{
    struct fix *f = *state;
    struct sim_capture c;
    sim_capture_start(&c);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_MAGIC, 2), 0);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_MAGIC, 8), 0);
    virtio_mmio_write(f->da.t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
    assert_int_equal(sim_rd(&f->da, 0x0e0), 0);          /* undefined */
    sim_wr(&f->da, 0x0e0, 1);
    sim_wr(&f->da, VIRTIO_MMIO_MAGIC, 0);                /* read-only */
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_MAGIC + 1, 4), 0);   /* unaligned */
    char *log = capture(&c);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_MAGIC), 0x74726976);
    assert_non_null(strstr(log, "register read at 0x0 ignored"));
    assert_non_null(strstr(log, "undefined register 0xe0"));
    assert_non_null(strstr(log, "read-only register 0x0"));
    /* Logged once per kind: the width complaint appears a single time. */
    const char *first = strstr(log, "-byte register");
    assert_non_null(first);
    assert_null(strstr(first + 1, "-byte register"));
    free(log);
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

/* Every register of the version 2 layout at its offset (4.2.2): queue layout registers read
 * back what was written, feature words are selected, SHM regions read as absent. */
static void test_register_layout_v2(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(sim_rd(&f->da, 0x034), 8);                 /* QueueNumMax */
    sim_wr(&f->da, 0x038, 4);                                   /* QueueNum */
    sim_wr(&f->da, 0x080, 0x11111110);
    sim_wr(&f->da, 0x084, 0x22222222);
    sim_wr(&f->da, 0x090, 0x33333332);
    sim_wr(&f->da, 0x094, 0x44444444);
    sim_wr(&f->da, 0x0a0, 0x55555554);
    sim_wr(&f->da, 0x0a4, 0x66666666);
    struct virtq *vq = &f->a.dev.queues[1];
    assert_int_equal(vq->size, 4);
    assert_int_equal(vq->desc_gpa, 0x2222222211111110ULL);
    assert_int_equal(vq->avail_gpa, 0x4444444433333332ULL);
    assert_int_equal(vq->used_gpa, 0x6666666655555554ULL);
    assert_int_equal(sim_rd(&f->da, 0x038), 4);
    assert_int_equal(sim_rd(&f->da, 0x080), 0x11111110);
    assert_int_equal(sim_rd(&f->da, 0x084), 0x22222222);
    assert_int_equal(sim_rd(&f->da, 0x090), 0x33333332);
    assert_int_equal(sim_rd(&f->da, 0x094), 0x44444444);
    assert_int_equal(sim_rd(&f->da, 0x0a0), 0x55555554);
    assert_int_equal(sim_rd(&f->da, 0x0a4), 0x66666666);
    /* Those addresses are nowhere near RAM: enabling fails and logs. */
    struct sim_capture c;
    sim_capture_start(&c);
    sim_wr(&f->da, 0x044, 1);                                   /* QueueReady */
    char *log = capture(&c);
    assert_int_equal(sim_rd(&f->da, 0x044), 0);
    assert_non_null(strstr(log, "not in RAM"));
    free(log);
    /* Feature words through DeviceFeaturesSel (0x014) and DriverFeaturesSel (0x024). */
    sim_wr(&f->da, 0x014, 1);
    assert_int_equal(sim_rd(&f->da, 0x010), 1u << (VIRTIO_F_VERSION_1 - 32));
    sim_wr(&f->da, 0x014, 0);
    assert_int_equal(sim_rd(&f->da, 0x010) & (uint32_t)FEATURE_TEST, (uint32_t)FEATURE_TEST);
    assert_int_equal(sim_rd(&f->da, 0x070), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                                VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(sim_rd(&f->da, 0x0fc), f->a.dev.config_generation);
    assert_int_equal(virtio_mmio_read(f->da.t, 0x100, 4), 0x11223344);
    /* Shared memory regions: none exists, whichever is selected; length and base ~0. */
    for (uint32_t sel = 0; sel < 3; sel++) {
        sim_wr(&f->da, 0x0ac, sel);
        assert_int_equal(sim_rd(&f->da, 0x0b0), 0xffffffffu);
        assert_int_equal(sim_rd(&f->da, 0x0b4), 0xffffffffu);
        assert_int_equal(sim_rd(&f->da, 0x0b8), 0xffffffffu);
        assert_int_equal(sim_rd(&f->da, 0x0bc), 0xffffffffu);
    }
}

/* Several undefined offsets and widths: each ignored, each kind logged a single time. */
static void test_undefined_offsets_logged_once(void **state)
{
    struct fix *f = *state;
    static const uint64_t holes[] = {0x018, 0x01c, 0x028, 0x03c, 0x040, 0x048, 0x054,
                                     0x068, 0x074, 0x088, 0x098, 0x0a8, 0x0c0, 0x0f8};
    struct sim_capture c;
    sim_capture_start(&c);
    for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        assert_int_equal(sim_rd(&f->da, holes[i]), 0);
        sim_wr(&f->da, holes[i], 0xffffffffu);
    }
    for (unsigned w = 1; w <= 8; w *= 2)
        if (w != 4)
            virtio_mmio_write(f->da.t, VIRTIO_MMIO_QUEUE_NUM, 2, w);
    char *log = capture(&c);
    /* Reads and writes of holes are one kind of complaint, bad widths another. */
    const char *kinds[] = {"undefined register", "-byte register write"};
    for (size_t k = 0; k < 2; k++) {
        const char *p = strstr(log, kinds[k]);
        assert_non_null(p);
        assert_null(strstr(p + 1, kinds[k]));
    }
    free(log);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM), QMAX);
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

/* ---- negotiation ---- */

static void test_features_ok_refused_unoffered(void **state)
{
    struct fix *f = *state;
    struct sim_capture c;
    sim_capture_start(&c);
    /* VIRTIO_F_RING_PACKED (34) is never offered. */
    bool ok = sim_negotiate(&f->da, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 34));
    char *log = capture(&c);
    assert_false(ok);
    assert_non_null(strstr(log, "never offered"));
    free(log);
    /* Without FEATURES_OK, DRIVER_OK does not stick either. */
    assert_false(sim_driver_ok(&f->da));
    /* A fresh, honest negotiation after a reset works. */
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

static void test_features_ok_refused_high_word(void **state)
{
    struct fix *f = *state;
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 3);
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                           VIRTIO_STATUS_FEATURES_OK);
    assert_false(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
}

static void test_features_ok_refused_legacy(void **state)
{
    struct fix *f = *state;
    assert_false(sim_negotiate(&f->da, FEATURE_TEST));
    assert_false(sim_driver_ok(&f->da));
    assert_bystander_ok(f);
}

static void test_features_frozen_after_features_ok(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    sim_wr(&f->da, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)FEATURE_TEST);
    assert_int_equal(f->a.dev.guest_features, 1ULL << VIRTIO_F_VERSION_1);
}

static void test_status_bits_cannot_be_cleared(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_true(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
    /* NEEDS_RESET cannot be set by the driver. */
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, sim_rd(&f->da, VIRTIO_MMIO_STATUS) | 64);
    assert_false(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_serves(&f->da, BUF);
    assert_int_equal(f->a.driver_oks, 1);
}

/* ---- queue setup ---- */

static void expect_queue_refused(struct fix *f, uint32_t size, uint64_t desc, uint64_t avail,
                                 uint64_t used, const char *why)
{
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    struct sim_capture c;
    sim_capture_start(&c);
    uint32_t ready = sim_queue_setup_at(&f->da, 0, size, desc, avail, used);
    char *log = capture(&c);
    assert_int_equal(ready, 0);
    assert_non_null(strstr(log, why));
    free(log);
    assert_false(f->a.dev.queues[0].ready);
    /* The driver can fix its mistake and go on. */
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    assert_true(sim_driver_ok(&f->da));
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

static void test_queue_size_zero(void **state)
{
    expect_queue_refused(*state, 0, Q0, Q0 + 0x400, Q0 + 0x800, "queue size 0 refused");
}

static void test_queue_size_not_power_of_two(void **state)
{
    expect_queue_refused(*state, 24, Q0, Q0 + 0x400, Q0 + 0x800, "queue size 24 refused");
}

static void test_queue_size_above_max(void **state)
{
    expect_queue_refused(*state, QMAX * 2, Q0, Q0 + 0x800, Q0 + 0x1000,
                         "queue size 128 refused");
}

static void test_queue_size_huge(void **state)
{
    expect_queue_refused(*state, 0x10000, Q0, Q0 + 0x400, Q0 + 0x800, "refused");
}

static void test_queue_desc_outside_ram(void **state)
{
    expect_queue_refused(*state, 16, 0x10000, Q0 + 0x400, Q0 + 0x800,
                         "descriptor table at 0x10000");
}

static void test_queue_used_straddles_ram_end(void **state)
{
    expect_queue_refused(*state, 16, Q0, Q0 + 0x400, SIM_RAM_BASE + SIM_RAM_SIZE - 64,
                         "device area");
}

static void test_queue_driver_area_wraps(void **state)
{
    expect_queue_refused(*state, 16, Q0, 0xfffffffffffffff0ULL, Q0 + 0x800, "driver area");
}

static void test_queue_misaligned(void **state)
{
    expect_queue_refused(*state, 16, Q0 + 8, Q0 + 0x400, Q0 + 0x800, "misaligned");
}

static void test_queue_frozen_after_driver_ok(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    struct sim_capture c;
    sim_capture_start(&c);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 0);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_NUM, 4);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(Q0 + 0x10000));
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_READY, 0);
    /* And queue 1, never set up, cannot be set up now. */
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 1);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_NUM, 4);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(Q0 + 0x10000));
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_READY, 1);
    char *log = capture(&c);
    assert_non_null(strstr(log, "after DRIVER_OK"));
    free(log);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM), 8);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM), 16);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)Q0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_READY), 1);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

static void test_queue_frozen_while_ready(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_NUM, 8);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM), 16);
    /* Disabling (before DRIVER_OK) unfreezes it. */
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_READY, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(sim_queue_setup(&f->da, 0, 8, Q0), 1);
    assert_true(sim_driver_ok(&f->da));
    assert_serves(&f->da, BUF);
}

static void test_notify_missing_queue(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    struct sim_capture c;
    sim_capture_start(&c);
    sim_notify(&f->da, 7);
    sim_notify(&f->da, 0xffffffffu);
    sim_notify(&f->da, 1);      /* exists, never enabled */
    char *log = capture(&c);
    assert_non_null(strstr(log, "notify for queue 7, which does not exist"));
    assert_null(strstr(log, "4294967295"));     /* logged once */
    assert_non_null(strstr(log, "notify for queue 1 before it is live"));
    free(log);
    assert_int_equal(f->a.notifies, 0);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

static void test_notify_before_driver_ok_ignored(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    sim_set_desc(&f->da, 0, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->da, 0, 0);
    sim_notify(&f->da, 0);
    assert_int_equal(f->a.notifies, 0);
    assert_int_equal(sim_used_idx(&f->da, 0), 0);
}

/* An indirect table of three (readable header, two writable buffers) for queue 0 of d. */
static void post_indirect(struct sim_drv *d, uint16_t head, uint64_t table, uint64_t buf)
{
    sim_set_desc_raw(d->ram, table, 0, buf, 8, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc_raw(d->ram, table, 1, buf + 0x100, 24, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
                     2);
    sim_set_desc_raw(d->ram, table, 2, buf + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(d, 0, head, table, 48, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(d, 0, head);
}

static void test_indirect_through_transport(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, (1ULL << VIRTIO_F_VERSION_1) |
                                          (1ULL << VIRTIO_F_INDIRECT_DESC)));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    assert_true(sim_driver_ok(&f->da));
    assert_true(f->a.dev.queues[0].indirect);
    memset(sim_host(&f->ram, BUF), 0, 0x300);
    post_indirect(&f->da, 3, BUF + 0x8000, BUF);
    sim_notify(&f->da, 0);
    uint32_t id, len;
    assert_true(sim_reap(&f->da, 0, &id, &len));
    assert_int_equal(id, 3);
    assert_int_equal(len, 32);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF + 0x100))[23], 0xab);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF + 0x200))[7], 0xab);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF))[0], 0);     /* readable: untouched */
    assert_int_equal(sim_ack(&f->da), VIRTIO_INT_USED);
}

/* The driver did not accept INDIRECT_DESC and uses it anyway: that request fails (length
 * 0, interrupt, one log line), the device and its neighbour go on. */
static void test_indirect_not_negotiated_through_transport(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    assert_false(f->a.dev.queues[0].indirect);
    memset(sim_host(&f->ram, BUF), 0, 0x300);
    post_indirect(&f->da, 3, BUF + 0x8000, BUF);
    struct sim_capture c;
    sim_capture_start(&c);
    sim_notify(&f->da, 0);
    char *log = capture(&c);
    assert_non_null(strstr(log, "without VIRTIO_F_INDIRECT_DESC"));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&f->da, 0, &id, &len));
    assert_int_equal(id, 3);
    assert_int_equal(len, 0);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF + 0x100))[0], 0);
    assert_int_equal(sim_ack(&f->da), VIRTIO_INT_USED);
    assert_false(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

/* Without EVENT_IDX, avail.flags NO_INTERRUPT suppresses the used-buffer interrupt; the
 * request is still completed. With EVENT_IDX negotiated the flag means nothing. */
static void test_no_interrupt_through_transport(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    sim_set_avail_flags(&f->da, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    unsigned raises = f->da.irq_raises;
    for (uint16_t i = 2; i < 5; i++) {
        sim_set_desc(&f->da, 0, i, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->da, 0, i);
        sim_notify(&f->da, 0);
    }
    assert_int_equal(sim_used_idx(&f->da, 0), 4);
    assert_int_equal(f->da.irq_raises, raises);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    sim_set_avail_flags(&f->da, 0, 0);
    f->da.q[0].used_seen = 4;
    assert_serves(&f->da, BUF);

    /* Same driver behaviour with EVENT_IDX: the flag is ignored, used_event rules. */
    memset(sim_host(&f->ram, Q0), 0, 0x1000);
    f->da.q[0] = (struct sim_queue){0};
    assert_true(sim_negotiate(&f->da, (1ULL << VIRTIO_F_VERSION_1) |
                                          (1ULL << VIRTIO_F_EVENT_IDX)));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    assert_true(sim_driver_ok(&f->da));
    sim_set_avail_flags(&f->da, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_serves(&f->da, BUF);                 /* used_event 0: interrupts */
}

/* ---- interrupts, config ---- */

static void test_interrupt_and_ack(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    /* Acking only some bits keeps the line up while others remain. */
    virtio_config_changed(&f->a.dev);
    sim_set_desc(&f->da, 0, 2, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->da, 0, 2);
    sim_notify(&f->da, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_INTERRUPT_STATUS),
                     VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
    sim_wr(&f->da, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
    assert_int_equal(f->da.irq_level, 1);
    sim_wr(&f->da, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
    assert_int_equal(f->da.irq_level, 0);
}

static void test_config_space_and_generation(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    uint32_t gen = sim_rd(&f->da, VIRTIO_MMIO_CONFIG_GENERATION);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG, 4), 0x11223344);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG + 1, 1), 0x33);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG + 2, 2), 0x1122);
    virtio_mmio_write(f->da.t, VIRTIO_MMIO_CONFIG + 4, 0x55, 1);
    assert_int_equal(f->a.config_writes, 1);
    assert_int_equal(f->a.dev.config[4], 0x55);
    f->a.dev.config[8] = 0x77;      /* beyond config_len: must never be read */
    struct sim_capture c;
    sim_capture_start(&c);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG + 6, 4), 0);    /* past end */
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG, 8), 0);        /* width */
    virtio_mmio_write(f->da.t, VIRTIO_MMIO_CONFIG + 0x200, 1, 4);
    char *log = capture(&c);
    assert_non_null(strstr(log, "outside 8 bytes"));
    assert_non_null(strstr(log, "8-byte config read"));
    free(log);
    /* A device-side change: new generation and a config interrupt. */
    f->a.dev.config[0] = 0x99;
    virtio_config_changed(&f->a.dev);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
    assert_int_equal(f->da.irq_level, 1);
    assert_int_equal(sim_ack(&f->da), VIRTIO_INT_CONFIG);
    assert_int_equal(virtio_mmio_read(f->da.t, VIRTIO_MMIO_CONFIG, 1), 0x99);
}

/* ---- broken rings, reset ---- */

static void test_needs_reset_on_avail_jump(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    sim_set_avail_idx(&f->da, 0, 17);      /* queue of 16 */
    struct sim_capture c;
    sim_capture_start(&c);
    sim_notify(&f->da, 0);
    sim_notify(&f->da, 0);
    char *log = capture(&c);
    assert_non_null(strstr(log, "avail.idx ran more than the queue size ahead"));
    assert_non_null(strstr(log, "DEVICE_NEEDS_RESET"));
    free(log);
    assert_true(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->da.irq_level, 1);
    assert_int_equal(sim_ack(&f->da), VIRTIO_INT_CONFIG);
    assert_int_equal(sim_used_idx(&f->da, 0), 0);
    assert_bystander_ok(f);
    /* The driver resets and starts over: the device works again. */
    memset(sim_host(&f->ram, Q0), 0, 0x1000);
    f->da.q[0] = (struct sim_queue){0};
    bring_up(&f->da, Q0);
    assert_false(sim_rd(&f->da, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_serves(&f->da, BUF);
}

static void test_reset_mid_flight(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    f->a.hold = true;
    for (uint16_t i = 0; i < 3; i++) {
        sim_set_desc(&f->da, 0, i, BUF + 64 * i, 16, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->da, 0, i);
    }
    sim_notify(&f->da, 0);
    assert_int_equal(f->a.nheld, 3);
    assert_int_equal(f->a.dev.queues[0].inflight, 3);
    unsigned resets = f->a.resets;
    virtio_config_changed(&f->a.dev);          /* an interrupt pending across the reset */
    assert_int_equal(f->da.irq_level, 1);
    sim_wr(&f->da, VIRTIO_MMIO_QUEUE_SEL, 1);
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->a.resets, resets + 1);
    assert_int_equal(f->a.nheld, 0);
    assert_int_equal(f->a.dev.queues[0].inflight, 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(f->da.irq_level, 0);
    /* Initial state: QueueSel 0, the queue's layout registers cleared, size the maximum. */
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_NUM), QMAX);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_DRIVER_LOW), 0);
    assert_int_equal(sim_rd(&f->da, VIRTIO_MMIO_QUEUE_DEVICE_LOW), 0);
    /* Nothing was written into the abandoned ring. */
    assert_int_equal(sim_used_idx(&f->da, 0), 0);
    assert_int_equal(f->a.dev.guest_features, 0);
    f->a.hold = false;
    memset(sim_host(&f->ram, Q0), 0, 0x1000);
    f->da.q[0] = (struct sim_queue){0};
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
    assert_bystander_ok(f);
}

/* A request completed by the device after the driver reset the queue is dropped. */
static void test_late_completion_after_reset(void **state)
{
    struct fix *f = *state;
    bring_up(&f->da, Q0);
    struct virtq *vq = &f->a.dev.queues[0];
    sim_set_desc(&f->da, 0, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->da, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(vq, &e), 1);
    sim_wr(&f->da, VIRTIO_MMIO_STATUS, 0);
    memset(sim_host(&f->ram, Q0), 0, 0x1000);
    f->da.q[0] = (struct sim_queue){0};
    bring_up(&f->da, Q0);
    virtio_complete(&f->a.dev, 0, e, 16);
    assert_int_equal(sim_used_idx(&f->da, 0), 0);
    assert_int_equal(f->da.irq_level, 0);
    assert_serves(&f->da, BUF);
}

static void test_event_idx_through_transport(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, (1ULL << VIRTIO_F_VERSION_1) |
                                          (1ULL << VIRTIO_F_EVENT_IDX)));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    assert_true(sim_driver_ok(&f->da));
    assert_true(f->a.dev.queues[0].event_idx);
    assert_serves(&f->da, BUF);                 /* first completion interrupts */
    sim_set_used_event(&f->da, 0, 5);           /* not before used.idx passes 5 */
    unsigned raises = f->da.irq_raises;
    for (uint16_t i = 0; i < 4; i++) {
        sim_set_desc(&f->da, 0, i, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->da, 0, i);
        sim_notify(&f->da, 0);
    }
    assert_int_equal(sim_used_idx(&f->da, 0), 5);
    assert_int_equal(f->da.irq_raises, raises);     /* suppressed */
    sim_set_desc(&f->da, 0, 4, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->da, 0, 4);
    sim_notify(&f->da, 0);
    assert_int_equal(f->da.irq_raises, raises + 1);
}

/* The device's validate hook can refuse a combination of offered features. */
static void test_features_ok_refused_by_device(void **state)
{
    struct fix *f = *state;
    f->a.refuse = FEATURE_TEST;
    struct sim_capture c;
    sim_capture_start(&c);
    bool ok = sim_negotiate(&f->da, (1ULL << VIRTIO_F_VERSION_1) | FEATURE_TEST);
    char *log = capture(&c);
    assert_false(ok);
    assert_non_null(strstr(log, "device refused"));
    free(log);
    /* Without the refused bit the same device comes up. */
    bring_up(&f->da, Q0);
    assert_serves(&f->da, BUF);
}

/* Interrupts name their queue, so a transport can pick a vector per queue. */
struct irq_record {
    void (*inner)(void *opaque, uint32_t reason, unsigned queue);
    void *inner_opaque;
    uint32_t reason;
    unsigned queue;
    unsigned count;
};

static void record_interrupt(void *opaque, uint32_t reason, unsigned queue)
{
    struct irq_record *r = opaque;
    r->reason = reason;
    r->queue = queue;
    r->count++;
    r->inner(r->inner_opaque, reason, queue);
}

static void test_interrupt_names_queue(void **state)
{
    struct fix *f = *state;
    assert_true(sim_negotiate(&f->da, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(&f->da, 0, 16, Q0), 1);
    assert_int_equal(sim_queue_setup(&f->da, 1, 8, Q1), 1);
    assert_true(sim_driver_ok(&f->da));
    struct irq_record r = {.inner = f->a.dev.transport.interrupt,
                           .inner_opaque = f->a.dev.transport.opaque};
    f->a.dev.transport.interrupt = record_interrupt;
    f->a.dev.transport.opaque = &r;
    sim_set_desc(&f->da, 1, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->da, 1, 0);
    sim_notify(&f->da, 1);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.reason, VIRTIO_INT_USED);
    assert_int_equal(r.queue, 1);
    virtio_config_changed(&f->a.dev);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.reason, VIRTIO_INT_CONFIG);
    assert_int_equal(r.queue, VIRTIO_NO_QUEUE);
    f->a.dev.transport.interrupt = r.inner;
    f->a.dev.transport.opaque = r.inner_opaque;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_identity),
        T(test_features_offered),
        T(test_bad_width_and_offsets),
        T(test_register_layout_v2),
        T(test_undefined_offsets_logged_once),
        T(test_features_ok_refused_unoffered),
        T(test_features_ok_refused_by_device),
        T(test_interrupt_names_queue),
        T(test_features_ok_refused_high_word),
        T(test_features_ok_refused_legacy),
        T(test_features_frozen_after_features_ok),
        T(test_status_bits_cannot_be_cleared),
        T(test_queue_size_zero),
        T(test_queue_size_not_power_of_two),
        T(test_queue_size_above_max),
        T(test_queue_size_huge),
        T(test_queue_desc_outside_ram),
        T(test_queue_used_straddles_ram_end),
        T(test_queue_driver_area_wraps),
        T(test_queue_misaligned),
        T(test_queue_frozen_after_driver_ok),
        T(test_queue_frozen_while_ready),
        T(test_notify_missing_queue),
        T(test_notify_before_driver_ok_ignored),
        T(test_indirect_through_transport),
        T(test_indirect_not_negotiated_through_transport),
        T(test_no_interrupt_through_transport),
        T(test_interrupt_and_ack),
        T(test_config_space_and_generation),
        T(test_needs_reset_on_avail_jump),
        T(test_reset_mid_flight),
        T(test_late_completion_after_reset),
        T(test_event_idx_through_transport),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
