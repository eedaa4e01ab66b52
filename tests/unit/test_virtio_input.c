/*
 * virtio-input through virtio-mmio and a simulated driver: the config select/subsel
 * protocol of each kind (and a driver writing where it must not), events in whole groups
 * ended by SYN_REPORT, a bounded backlog that drops whole groups when the driver posts no
 * buffers, hostile event and status buffers, and LED changes reported to the host.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/device_registry.h"
#include "core/input.h"
#include "test_virtio_driver.h"
#include "virtio/input.h"

#define EVQ (SIM_RAM_BASE + 0x1000)
#define STQ (SIM_RAM_BASE + 0x4000)
#define EVBUF (SIM_RAM_BASE + 0x10000)
#define STBUF (SIM_RAM_BASE + 0x20000)
#define QSIZE 64

struct fix {
    struct sim_ram ram;
    struct virtio_input *in;
    struct sim_drv d;
    unsigned ev_next;           /* next event descriptor to post */
    unsigned st_next;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_mmio_free(f->d.t);
    virtio_input_free(f->in);
    sim_ram_free(&f->ram);
    free(f);
    input_set_led_listener(NULL, NULL);
    return 0;
}

static void make(struct fix *f, enum virtio_input_kind kind, const char *id)
{
    struct virtio_input_config cfg = {.kind = kind};
    snprintf(cfg.id, sizeof(cfg.id), "%s", id);
    f->in = virtio_input_new(&f->ram.mem, &cfg);
    assert_non_null(f->in);
    sim_attach(&f->d, &f->ram, virtio_input_device(f->in));
    assert_true(sim_negotiate(&f->d, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, EVQ), 1);
    assert_int_equal(sim_queue_setup(&f->d, 1, QSIZE, STQ), 1);
    assert_true(sim_driver_ok(&f->d));
}

/* Config access as the driver does it: select, subsel, then size and the union. */
static uint8_t cfg_select(struct fix *f, uint8_t select, uint8_t subsel)
{
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 0, select, 1);
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 1, subsel, 1);
    return (uint8_t)virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 2, 1);
}

static uint32_t cfg_u32(struct fix *f, unsigned off)
{
    return (uint32_t)virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 8 + off, 4);
}

static uint8_t cfg_u8(struct fix *f, unsigned off)
{
    return (uint8_t)virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 8 + off, 1);
}

static bool cfg_bit(struct fix *f, unsigned bit)
{
    return (cfg_u8(f, bit / 8) >> (bit % 8)) & 1;
}

/* Posts n event buffers of `len` bytes (device-writable unless `readable`). */
static void post_events(struct fix *f, unsigned n, uint32_t len, bool readable)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned d = f->ev_next++ % QSIZE;
        sim_set_desc(&f->d, 0, d, EVBUF + 16ULL * d, len, readable ? 0 : VIRTQ_DESC_F_WRITE,
                     0);
        sim_post(&f->d, 0, (uint16_t)d);
    }
    sim_notify(&f->d, 0);
}

struct ev {
    uint16_t type, code;
    int32_t value;
};

/* Takes the next used event buffer; false if none. */
static bool reap_event(struct fix *f, struct ev *ev, uint32_t *len)
{
    uint32_t id;
    if (!sim_reap(&f->d, 0, &id, len))
        return false;
    assert_true(id < QSIZE);
    memcpy(ev, sim_host(&f->ram, EVBUF + 16ULL * id), 8);
    return true;
}

static void expect_event(struct fix *f, uint16_t type, uint16_t code, int32_t value)
{
    struct ev ev;
    uint32_t len;
    assert_true(reap_event(f, &ev, &len));
    assert_int_equal(len, 8);
    assert_int_equal(ev.type, type);
    assert_int_equal(ev.code, code);
    assert_int_equal(ev.value, value);
}

static struct input_sink *sink(const char *id, unsigned cap)
{
    struct input_sink *s = input_sink_find(id, cap);
    assert_non_null(s);
    return s;
}

static void send(struct input_sink *s, uint16_t type, uint16_t code, int32_t value)
{
    s->event(s->opaque, type, code, value);
}

static void test_config_keyboard(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_KEYBOARD, "kbd");
    uint8_t n = cfg_select(f, VIRTIO_INPUT_CFG_ID_NAME, 0);
    char name[129] = {0};
    for (unsigned i = 0; i < n; i++)
        name[i] = (char)cfg_u8(f, i);
    assert_string_equal(name, "kite virtio keyboard");
    n = cfg_select(f, VIRTIO_INPUT_CFG_ID_SERIAL, 0);
    assert_int_equal(n, 3);
    assert_int_equal(cfg_u8(f, 0), 'k');
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_ID_DEVIDS, 0), 8);
    assert_int_equal(cfg_u32(f, 0) & 0xffff, VIRTIO_INPUT_BUS_VIRTUAL);
    /* Every key of a keyboard, no buttons. */
    assert_true(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_KEY) >= 32);
    assert_true(cfg_bit(f, 1));         /* KEY_ESC */
    assert_true(cfg_bit(f, 30));        /* KEY_A */
    assert_true(cfg_bit(f, 58));        /* KEY_CAPSLOCK */
    assert_true(cfg_bit(f, 103));       /* KEY_UP */
    assert_false(cfg_bit(f, 0));
    assert_true(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_REP) > 0);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_LED), 1);
    assert_true(cfg_bit(f, 0) && cfg_bit(f, 1) && cfg_bit(f, 2));
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_REL), 0);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_ABS), 0);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_ABS_INFO, 0), 0);
}

static void test_config_mouse_tablet(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_MOUSE, "m");
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_REL), 2);
    assert_true(cfg_bit(f, INPUT_REL_X) && cfg_bit(f, INPUT_REL_Y) &&
                cfg_bit(f, INPUT_REL_WHEEL));
    assert_true(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_KEY) > 0);
    assert_true(cfg_bit(f, INPUT_BTN_LEFT) && cfg_bit(f, INPUT_BTN_RIGHT) &&
                cfg_bit(f, INPUT_BTN_MIDDLE));
    assert_false(cfg_bit(f, 30));
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_ABS), 0);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_LED), 0);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_PROP_BITS, 0), 1);

    struct fix t = {0};
    sim_ram_init(&t.ram);
    make(&t, VIRTIO_INPUT_TABLET, "t");
    assert_int_equal(cfg_select(&t, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_ABS), 1);
    assert_true(cfg_bit(&t, INPUT_ABS_X) && cfg_bit(&t, INPUT_ABS_Y));
    for (unsigned axis = 0; axis < 2; axis++) {
        assert_int_equal(cfg_select(&t, VIRTIO_INPUT_CFG_ABS_INFO, (uint8_t)axis), 20);
        assert_int_equal(cfg_u32(&t, 0), 0);
        assert_int_equal(cfg_u32(&t, 4), 32767);
    }
    assert_int_equal(cfg_select(&t, VIRTIO_INPUT_CFG_ABS_INFO, 2), 0);
    assert_int_equal(cfg_select(&t, VIRTIO_INPUT_CFG_EV_BITS, INPUT_EV_REL), 0);
    virtio_mmio_free(t.d.t);
    virtio_input_free(t.in);
    sim_ram_free(&t.ram);
}

/* Selects and subsels the device does not have read as size 0 with a zero union, and the
 * bytes after select/subsel cannot be changed by the driver. */
static void test_config_hostile(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_TABLET, "t");
    static const uint8_t bad[][2] = {{0x00, 0}, {0x04, 0}, {0x0f, 0}, {0x13, 0}, {0xff, 0xff},
                                     {VIRTIO_INPUT_CFG_ID_NAME, 1},
                                     {VIRTIO_INPUT_CFG_ID_DEVIDS, 200},
                                     {VIRTIO_INPUT_CFG_EV_BITS, 0xff},
                                     {VIRTIO_INPUT_CFG_ABS_INFO, 0xff},
                                     {VIRTIO_INPUT_CFG_PROP_BITS, 7}};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* Leave something behind in the union first. */
        assert_true(cfg_select(f, VIRTIO_INPUT_CFG_ID_NAME, 0) > 0);
        assert_int_equal(cfg_select(f, bad[i][0], bad[i][1]), 0);
        for (unsigned off = 0; off < 128; off += 4)
            assert_int_equal(cfg_u32(f, off), 0);
    }
    struct sim_capture cap;
    sim_capture_start(&cap);
    assert_int_equal(cfg_select(f, VIRTIO_INPUT_CFG_ABS_INFO, 0), 20);
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 2, 99, 1);
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 12, 5, 4);   /* abs.max */
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 132, 0xffffffff, 4);
    virtio_mmio_write(f->d.t, VIRTIO_MMIO_CONFIG + 134, 0xffff, 4);     /* past the end */
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "read-only config"));
    /* Once per device, not per write. */
    assert_null(strstr(strstr(log, "read-only config") + 1, "read-only config"));
    free(log);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 2, 1), 20);
    assert_int_equal(cfg_u32(f, 4), 32767);
    assert_int_equal(cfg_u32(f, 124), 0);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 0, 1),
                     VIRTIO_INPUT_CFG_ABS_INFO);
}

static void test_events_in_groups(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_KEYBOARD, "kbd");
    struct input_sink *s = sink(NULL, INPUT_CAP_KEY);
    assert_string_equal(s->id, "kbd");
    assert_null(input_sink_find(NULL, INPUT_CAP_ABS));
    post_events(f, 8, 8, false);
    send(s, INPUT_EV_KEY, 30, 1);
    send(s, INPUT_EV_KEY, 48, 1);
    /* Not before the group ends. */
    assert_int_equal(sim_used_idx(&f->d, 0), 0);
    s->sync(s->opaque);
    expect_event(f, INPUT_EV_KEY, 30, 1);
    expect_event(f, INPUT_EV_KEY, 48, 1);
    expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
    assert_true(sim_ack(&f->d) & VIRTIO_INT_USED);
    /* Codes the keyboard does not have are not sent; an empty group sends nothing. */
    send(s, INPUT_EV_KEY, INPUT_BTN_LEFT, 1);
    send(s, INPUT_EV_REL, INPUT_REL_X, 5);
    s->sync(s->opaque);
    struct ev ev;
    uint32_t len;
    assert_false(reap_event(f, &ev, &len));
    send(s, INPUT_EV_KEY, 30, 0);
    s->sync(s->opaque);
    expect_event(f, INPUT_EV_KEY, 30, 0);
    expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
    assert_int_equal(virtio_input_stats(f->in).delivered, 5);
}

static void test_tablet_clamps(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_TABLET, "tab");
    struct input_sink *s = sink("tab", INPUT_CAP_ABS);
    post_events(f, 8, 16, false);
    send(s, INPUT_EV_ABS, INPUT_ABS_X, 40000);
    send(s, INPUT_EV_ABS, INPUT_ABS_Y, -3);
    s->sync(s->opaque);
    expect_event(f, INPUT_EV_ABS, INPUT_ABS_X, 32767);
    expect_event(f, INPUT_EV_ABS, INPUT_ABS_Y, 0);
    expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
}

/* With no buffers posted the backlog fills to its bound; a group that does not fit is
 * dropped whole; once buffers come, what was kept arrives in order, in whole groups. */
static void test_backlog_bounded(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_MOUSE, "m");
    struct input_sink *s = sink("m", INPUT_CAP_REL);
    /* Groups of 3 (X, Y, SYN): 85 fit in 256, the 86th would leave half of it behind. */
    for (int g = 0; g < 1000; g++) {
        send(s, INPUT_EV_REL, INPUT_REL_X, g);
        send(s, INPUT_EV_REL, INPUT_REL_Y, -g);
        s->sync(s->opaque);
    }
    struct virtio_input_stats st = virtio_input_stats(f->in);
    assert_int_equal(st.backlog, 255);
    assert_int_equal(st.dropped_groups, 1000 - 85);
    assert_int_equal(st.delivered, 0);
    for (int g = 0; g < 85; g++) {
        if (g % 20 == 0)
            post_events(f, 60, 8, false);
        expect_event(f, INPUT_EV_REL, INPUT_REL_X, g);
        expect_event(f, INPUT_EV_REL, INPUT_REL_Y, -g);
        expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
    }
    assert_int_equal(virtio_input_stats(f->in).backlog, 0);
    assert_int_equal(virtio_input_stats(f->in).delivered, 255);
}

static void test_oversized_group_dropped(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_KEYBOARD, "k");
    struct input_sink *s = sink("k", INPUT_CAP_KEY);
    post_events(f, 64, 8, false);
    for (int i = 0; i < 100; i++)
        send(s, INPUT_EV_KEY, (uint16_t)(1 + i), 1);
    s->sync(s->opaque);
    struct ev ev;
    uint32_t len;
    assert_false(reap_event(f, &ev, &len));
    assert_int_equal(virtio_input_stats(f->in).dropped_groups, 1);
    /* The next group is whole. */
    send(s, INPUT_EV_KEY, 2, 1);
    s->sync(s->opaque);
    expect_event(f, INPUT_EV_KEY, 2, 1);
    expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
}

/* Event buffers that are too short or device-readable come back empty; the event goes into
 * the next good buffer. */
static void test_bad_event_buffers(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_KEYBOARD, "k");
    struct input_sink *s = sink("k", INPUT_CAP_KEY);
    struct sim_capture cap;
    sim_capture_start(&cap);
    post_events(f, 1, 4, false);
    post_events(f, 1, 8, true);
    post_events(f, 2, 8, false);
    send(s, INPUT_EV_KEY, 16, 1);
    s->sync(s->opaque);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "event buffer"));
    free(log);
    struct ev ev;
    uint32_t len;
    assert_true(reap_event(f, &ev, &len));
    assert_int_equal(len, 0);
    assert_true(reap_event(f, &ev, &len));
    assert_int_equal(len, 0);
    expect_event(f, INPUT_EV_KEY, 16, 1);
    expect_event(f, INPUT_EV_SYN, INPUT_SYN_REPORT, 0);
}

struct leds_seen {
    char id[32];
    unsigned count;
    unsigned code[8];
    bool on[8];
};

static void on_led(void *opaque, const char *id, unsigned code, bool on)
{
    struct leds_seen *l = opaque;
    snprintf(l->id, sizeof(l->id), "%s", id);
    if (l->count < 8) {
        l->code[l->count] = code;
        l->on[l->count] = on;
    }
    l->count++;
}

/* Posts one status buffer holding `len` bytes of an event. */
static void post_status(struct fix *f, uint16_t type, uint16_t code, uint32_t value,
                        uint32_t len, uint16_t flags)
{
    unsigned d = f->st_next++ % QSIZE;
    uint8_t *p = sim_host(&f->ram, STBUF + 16ULL * d);
    memcpy(p, &type, 2);
    memcpy(p + 2, &code, 2);
    memcpy(p + 4, &value, 4);
    sim_set_desc(&f->d, 1, d, STBUF + 16ULL * d, len, flags, 0);
    sim_post(&f->d, 1, (uint16_t)d);
    sim_notify(&f->d, 1);
}

static void test_status_leds(void **state)
{
    struct fix *f = *state;
    struct leds_seen seen = {0};
    input_set_led_listener(on_led, &seen);
    make(f, VIRTIO_INPUT_KEYBOARD, "kbd");
    post_status(f, INPUT_EV_LED, 1, 1, 8, 0);   /* caps lock on */
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.id, "kbd");
    assert_int_equal(seen.code[0], 1);
    assert_true(seen.on[0]);
    post_status(f, INPUT_EV_LED, 1, 1, 8, 0);   /* no change: not reported again */
    assert_int_equal(seen.count, 1);
    struct sim_capture cap;
    sim_capture_start(&cap);
    post_status(f, INPUT_EV_LED, 0, 1, 7, 0);           /* short */
    post_status(f, INPUT_EV_LED, 0, 1, 16, 0);          /* long */
    post_status(f, INPUT_EV_LED, 0, 1, 8, VIRTQ_DESC_F_WRITE);
    post_status(f, INPUT_EV_KEY, 30, 1, 8, 0);          /* not an LED */
    post_status(f, INPUT_EV_LED, 200, 1, 8, 0);         /* no such LED */
    post_status(f, INPUT_EV_LED, 2, 7, 8, 0);           /* not 0/1 */
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "status buffer"));
    assert_non_null(strstr(log, "status event"));
    free(log);
    assert_int_equal(seen.count, 1);
    assert_int_equal(virtio_input_stats(f->in).leds, 2);
    /* Every buffer came back, garbage included. */
    unsigned used = 0;
    uint32_t id, len;
    while (sim_reap(&f->d, 1, &id, &len))
        used++;
    assert_int_equal(used, 8);
    post_status(f, INPUT_EV_LED, 1, 0, 8, 0);
    assert_int_equal(seen.count, 2);
    assert_false(seen.on[1]);
    assert_int_equal(virtio_input_stats(f->in).leds, 0);
}

/* A reset forgets what waited for the old driver. */
static void test_reset_clears_backlog(void **state)
{
    struct fix *f = *state;
    make(f, VIRTIO_INPUT_KEYBOARD, "k");
    struct input_sink *s = sink("k", INPUT_CAP_KEY);
    send(s, INPUT_EV_KEY, 30, 1);
    s->sync(s->opaque);
    assert_int_equal(virtio_input_stats(f->in).backlog, 2);
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(virtio_input_stats(f->in).backlog, 0);
}

static void test_options(void **state)
{
    struct device_list l = {0};
    char why[200];
    const struct device_type *t = device_type_find("input");
    assert_non_null(t);
    assert_int_equal(device_list_add(&l, t, "keyboard", why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, t, "tablet,serial=abc", why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, t, "mouse,id=pointer", why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, t, "joystick", why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "keyboard, mouse or tablet"));
    assert_int_equal(device_list_add(&l, t, "mouse,id=a b", why, sizeof(why)), -EINVAL);
    assert_int_equal(device_list_add(&l, t, "mouse,speed=3", why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "speed"));
    assert_null(device_list_check(&l));
    assert_string_equal(((struct virtio_input_config *)l.items[0].cfg)->id, "input0");
    assert_string_equal(((struct virtio_input_config *)l.items[1].cfg)->id, "input1");
    assert_string_equal(((struct virtio_input_config *)l.items[2].cfg)->id, "pointer");
    assert_int_equal(device_list_add(&l, t, "keyboard,id=input1", why, sizeof(why)), 0);
    assert_non_null(device_list_check(&l));
    device_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_keyboard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_mouse_tablet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_in_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tablet_clamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_group_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_event_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_leds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_clears_backlog, setup, teardown),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
