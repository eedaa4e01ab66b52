/*
 * virtio-console through virtio-mmio with a recording backend: output flows only as fast
 * as the backend takes it and none is lost, input lands only in buffers the guest posted
 * and only while the port is open, the multiport control protocol announces ports, names
 * and connections, and a hostile driver's control messages are logged and survived.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio/console.h"

#define QBASE(q) (SIM_RAM_BASE + 0x1000 + 0x1000ULL * (q))
#define BUF (SIM_RAM_BASE + 0x40000)
#define QSIZE 16

/* The host end: records what it got, with a settable room and connection. */
struct rec_backend {
    uint8_t got[8192];
    size_t len;
    size_t room;            /* SIZE_MAX = unlimited */
    bool connected;
};

static void rec_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct rec_backend *b = opaque;
    assert_true(len <= b->room);
    assert_true(b->len + len <= sizeof(b->got));
    memcpy(b->got + b->len, buf, len);
    b->len += len;
    if (b->room != SIZE_MAX)
        b->room -= len;
}

static size_t rec_room(void *opaque)
{
    struct rec_backend *b = opaque;
    return b->connected ? b->room : 0;
}

static bool rec_connected(void *opaque)
{
    return ((struct rec_backend *)opaque)->connected;
}

struct fix {
    struct sim_ram ram;
    struct rec_backend be[2];
    struct virtio_console *con;
    struct sim_drv d;
    struct char_frontend fe[2];
    uint16_t next_desc[8];
};

static struct char_backend backend_of(struct rec_backend *b)
{
    return (struct char_backend){.opaque = b, .write = rec_write, .write_room = rec_room,
                                 .connected = rec_connected};
}

static void start(struct fix *f, bool multiport, unsigned ports, bool has_size)
{
    struct virtio_console_port_config pc[2] = {
        {.name = multiport ? "org.kite.a" : NULL, .backend = backend_of(&f->be[0])},
        {.name = "b", .backend = backend_of(&f->be[1])},
    };
    struct virtio_console_config cfg = {.multiport = multiport, .num_ports = ports,
                                        .ports = pc, .has_size = has_size, .cols = 101,
                                        .rows = 37};
    f->con = virtio_console_new(&f->ram.mem, &cfg);
    assert_non_null(f->con);
    for (unsigned i = 0; i < ports; i++)
        f->fe[i] = virtio_console_frontend(f->con, i);
    sim_attach(&f->d, &f->ram, virtio_console_device(f->con));
    uint64_t feat = (1ULL << VIRTIO_F_VERSION_1) |
                    (multiport ? 1ULL << VIRTIO_CONSOLE_F_MULTIPORT : 0) |
                    (has_size ? 1ULL << VIRTIO_CONSOLE_F_SIZE : 0);
    assert_true(sim_negotiate(&f->d, feat));
    unsigned queues = multiport ? 2 + 2 * ports : 2;
    for (unsigned q = 0; q < queues; q++)
        assert_int_equal(sim_queue_setup(&f->d, q, QSIZE, QBASE(q)), 1);
    assert_true(sim_driver_ok(&f->d));
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    for (int i = 0; i < 2; i++)
        f->be[i] = (struct rec_backend){.room = SIZE_MAX, .connected = true};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_mmio_free(f->d.t);
    virtio_console_free(f->con);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

/* Posts one buffer of `len` bytes at gpa on queue q; returns its head. */
static uint16_t post(struct fix *f, unsigned q, uint64_t gpa, uint32_t len, bool writable)
{
    uint16_t head = f->next_desc[q]++ % QSIZE;
    sim_set_desc(&f->d, q, head, gpa, len, writable ? VIRTQ_DESC_F_WRITE : 0, 0);
    sim_post(&f->d, q, head);
    sim_notify(&f->d, q);
    return head;
}

static uint16_t transmit(struct fix *f, unsigned q, uint64_t gpa, const char *text)
{
    memcpy(sim_host(&f->ram, gpa), text, strlen(text));
    return post(f, q, gpa, (uint32_t)strlen(text), false);
}

static void test_output_reaches_backend(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    uint16_t head = transmit(f, 1, BUF, "hello, host");
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 1, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 0);
    assert_int_equal(f->be[0].len, 11);
    assert_memory_equal(f->be[0].got, "hello, host", 11);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_USED);
}

static void test_output_waits_for_room(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    f->be[0].room = 3;
    transmit(f, 1, BUF, "abcdefgh");
    uint32_t id, len;
    /* Only what fits went out; the buffer stays with the device, nothing is dropped. */
    assert_false(sim_reap(&f->d, 1, &id, &len));
    assert_int_equal(f->be[0].len, 3);
    transmit(f, 1, BUF + 0x100, "XY");
    assert_int_equal(f->be[0].len, 3);
    f->be[0].room = 4;
    f->fe[0].wakeup(f->fe[0].opaque);
    assert_int_equal(f->be[0].len, 7);
    assert_false(sim_reap(&f->d, 1, &id, &len));
    f->be[0].room = SIZE_MAX;
    f->fe[0].wakeup(f->fe[0].opaque);
    assert_int_equal(f->be[0].len, 10);
    assert_memory_equal(f->be[0].got, "abcdefghXY", 10);
    assert_true(sim_reap(&f->d, 1, &id, &len));
    assert_true(sim_reap(&f->d, 1, &id, &len));
}

static void test_input_needs_guest_buffers(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    struct char_frontend *fe = &f->fe[0];
    assert_int_equal(fe->can_receive(fe->opaque), 0);
    uint16_t head = post(f, 0, BUF, 16, true);
    assert_int_equal(fe->can_receive(fe->opaque), 16);
    fe->receive(fe->opaque, (const uint8_t *)"ls\r", 3);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 3);
    assert_memory_equal(sim_host(&f->ram, BUF), "ls\r", 3);
    assert_int_equal(f->ram.dirty_bytes, 3);
    /* That buffer is used up: no room until the guest posts another. */
    assert_int_equal(fe->can_receive(fe->opaque), 0);
}

static void test_input_buffer_readable_is_returned(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    struct sim_capture cap;
    sim_capture_start(&cap);
    uint16_t bad = post(f, 0, BUF, 16, false);
    uint16_t good = post(f, 0, BUF + 0x100, 8, true);
    struct char_frontend *fe = &f->fe[0];
    assert_int_equal(fe->can_receive(fe->opaque), 8);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "device-readable"));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, bad);
    assert_int_equal(len, 0);
    fe->receive(fe->opaque, (const uint8_t *)"x", 1);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, good);
    assert_int_equal(len, 1);
}

static void test_size_and_resize(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, true);
    assert_true(sim_offered(&f->d) & (1ULL << VIRTIO_CONSOLE_F_SIZE));
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 0, 2), 101);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 2, 2), 37);
    sim_ack(&f->d);
    uint32_t gen = sim_rd(&f->d, VIRTIO_MMIO_CONFIG_GENERATION);
    f->fe[0].resize(f->fe[0].opaque, 132, 43);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 0, 2), 132);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 2, 2), 43);
    assert_int_not_equal(sim_rd(&f->d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_CONFIG);
}

static void test_no_size_without_terminal(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    assert_false(sim_offered(&f->d) & (1ULL << VIRTIO_CONSOLE_F_SIZE));
    sim_ack(&f->d);
    f->fe[0].resize(f->fe[0].opaque, 132, 43);
    assert_int_equal(sim_ack(&f->d), 0);
}

/* --- multiport ------------------------------------------------------------------------ */

#define CTRL_RX 2
#define CTRL_TX 3

static void ctrl_send(struct fix *f, uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[8];
    memcpy(m, &id, 4);
    memcpy(m + 4, &event, 2);
    memcpy(m + 6, &value, 2);
    static unsigned n;
    uint64_t gpa = BUF + 0x8000 + 16 * (n++ % 64);
    memcpy(sim_host(&f->ram, gpa), m, 8);
    post(f, CTRL_TX, gpa, 8, false);
}

struct msg {
    uint32_t id;
    uint16_t event, value;
    char name[64];
};

/* Gives the device control buffers, then collects what it sent. */
static unsigned ctrl_collect(struct fix *f, struct msg *out, unsigned max)
{
    unsigned n = 0;
    uint32_t head, len;
    while (sim_reap(&f->d, CTRL_RX, &head, &len) && n < max) {
        uint8_t *p = sim_host(&f->ram, BUF + 0x10000 + 0x100ULL * head);
        assert_true(len >= 8);
        memcpy(&out[n].id, p, 4);
        memcpy(&out[n].event, p + 4, 2);
        memcpy(&out[n].value, p + 6, 2);
        out[n].name[0] = 0;
        if (len > 8)
            memcpy(out[n].name, p + 8, len - 8 < 63 ? len - 8 : 63);
        n++;
        /* Recycle the buffer, as Linux does. */
        sim_set_desc(&f->d, CTRL_RX, (uint16_t)head, BUF + 0x10000 + 0x100ULL * head, 0x100,
                     VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->d, CTRL_RX, (uint16_t)head);
    }
    sim_notify(&f->d, CTRL_RX);
    return n;
}

static void give_ctrl_buffers(struct fix *f)
{
    for (uint16_t i = 0; i < 8; i++) {
        sim_set_desc(&f->d, CTRL_RX, i, BUF + 0x10000 + 0x100ULL * i, 0x100, VIRTQ_DESC_F_WRITE,
                     0);
        sim_post(&f->d, CTRL_RX, i);
    }
    sim_notify(&f->d, CTRL_RX);
}

static void bring_up_ports(struct fix *f, struct msg *m, unsigned *n)
{
    start(f, true, 2, false);
    assert_int_equal(virtio_mmio_read(f->d.t, VIRTIO_MMIO_CONFIG + 4, 4), 2);
    give_ctrl_buffers(f);
    ctrl_send(f, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    *n = ctrl_collect(f, m, 16);
    assert_int_equal(*n, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(m[i].event, VIRTIO_CONSOLE_DEVICE_ADD);
        assert_int_equal(m[i].id, i);
    }
    ctrl_send(f, 0, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl_send(f, 1, VIRTIO_CONSOLE_PORT_READY, 1);
    *n = ctrl_collect(f, m, 16);
}

static void test_ports_announced_with_names(void **state)
{
    struct fix *f = *state;
    f->be[1].connected = false;
    struct msg m[16];
    unsigned n;
    bring_up_ports(f, m, &n);
    assert_int_equal(n, 4);
    assert_int_equal(m[0].event, VIRTIO_CONSOLE_PORT_NAME);
    assert_int_equal(m[0].id, 0);
    assert_string_equal(m[0].name, "org.kite.a");
    assert_int_equal(m[1].event, VIRTIO_CONSOLE_PORT_OPEN);
    assert_int_equal(m[1].value, 1);
    assert_int_equal(m[2].event, VIRTIO_CONSOLE_PORT_NAME);
    assert_string_equal(m[2].name, "b");
    assert_int_equal(m[3].event, VIRTIO_CONSOLE_PORT_OPEN);
    assert_int_equal(m[3].id, 1);
    assert_int_equal(m[3].value, 0); /* nobody on the host end of port 1 yet */
    /* A client connects: the driver hears of it. */
    f->be[1].connected = true;
    f->fe[1].wakeup(f->fe[1].opaque);
    n = ctrl_collect(f, m, 16);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].event, VIRTIO_CONSOLE_PORT_OPEN);
    assert_int_equal(m[0].id, 1);
    assert_int_equal(m[0].value, 1);
}

static void test_port_input_only_while_open(void **state)
{
    struct fix *f = *state;
    struct msg m[16];
    unsigned n;
    bring_up_ports(f, m, &n);
    struct char_frontend *fe = &f->fe[1];
    post(f, 4, BUF, 32, true); /* port 1's receive queue */
    /* Linux drops data for a port no program has open: hold it back until then. */
    assert_int_equal(fe->can_receive(fe->opaque), 0);
    ctrl_send(f, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    assert_int_equal(fe->can_receive(fe->opaque), 32);
    fe->receive(fe->opaque, (const uint8_t *)"pong", 4);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 4, &id, &len));
    assert_int_equal(len, 4);
    assert_memory_equal(sim_host(&f->ram, BUF), "pong", 4);
    /* Port 1's output goes to its own backend, not port 0's. */
    transmit(f, 5, BUF + 0x200, "ping");
    assert_int_equal(f->be[1].len, 4);
    assert_int_equal(f->be[0].len, 0);
    ctrl_send(f, 1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    post(f, 4, BUF, 32, true);
    assert_int_equal(fe->can_receive(fe->opaque), 0);
}

static void test_output_held_while_disconnected(void **state)
{
    struct fix *f = *state;
    struct msg m[16];
    unsigned n;
    bring_up_ports(f, m, &n);
    f->be[1].connected = false;
    transmit(f, 5, BUF, "kept");
    uint32_t id, len;
    assert_false(sim_reap(&f->d, 5, &id, &len));
    f->be[1].connected = true;
    f->fe[1].wakeup(f->fe[1].opaque);
    assert_int_equal(f->be[1].len, 4);
    assert_true(sim_reap(&f->d, 5, &id, &len));
}

static void test_hostile_control_messages(void **state)
{
    struct fix *f = *state;
    struct msg m[16];
    unsigned n;
    bring_up_ports(f, m, &n);
    struct sim_capture cap;
    sim_capture_start(&cap);
    /* Too short to be a message. */
    memset(sim_host(&f->ram, BUF), 0, 8);
    post(f, CTRL_TX, BUF, 4, false);
    /* A port that does not exist, and an event no driver sends. */
    ctrl_send(f, 7, VIRTIO_CONSOLE_PORT_OPEN, 1);
    ctrl_send(f, 0xffffffffu, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl_send(f, 0, 0x7777, 1);
    /* A flood of DEVICE_READY: the answers are bounded. */
    for (int i = 0; i < 64; i++)
        ctrl_send(f, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    char *log = sim_capture_end(&cap);
    assert_non_null(strstr(log, "shorter than 8"));
    assert_non_null(strstr(log, "port 7 of 2"));
    assert_non_null(strstr(log, "unknown control event"));
    assert_non_null(strstr(log, "dropped"));
    free(log);
    /* Every message the driver sent came back. */
    uint32_t id, len;
    unsigned returned = 0;
    while (sim_reap(&f->d, CTRL_TX, &id, &len))
        returned++;
    assert_int_equal(returned, 3 + 1 + 3 + 64);
    /* The device still works. */
    ctrl_collect(f, m, 16);
    transmit(f, 1, BUF + 0x300, "ok");
    assert_int_equal(f->be[0].len, 2);
}

static void test_reset_drops_held_buffers(void **state)
{
    struct fix *f = *state;
    start(f, false, 1, false);
    f->be[0].room = 2;
    transmit(f, 1, BUF, "partial");
    post(f, 0, BUF + 0x100, 16, true);
    assert_int_equal(f->fe[0].can_receive(f->fe[0].opaque), 16);
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    /* After the reset there is nothing to receive into, and a wakeup is harmless. */
    assert_int_equal(f->fe[0].can_receive(f->fe[0].opaque), 0);
    f->be[0].room = SIZE_MAX;
    f->fe[0].wakeup(f->fe[0].opaque);
    assert_int_equal(f->be[0].len, 2);
    /* A fresh driver gets a working device. */
    memset(f->next_desc, 0, sizeof(f->next_desc));
    uint64_t feat = 1ULL << VIRTIO_F_VERSION_1;
    assert_true(sim_negotiate(&f->d, feat));
    memset(&f->d.q, 0, sizeof(f->d.q));
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, QBASE(4)), 1);
    assert_int_equal(sim_queue_setup(&f->d, 1, QSIZE, QBASE(5)), 1);
    assert_true(sim_driver_ok(&f->d));
    transmit(f, 1, BUF + 0x200, "again");
    assert_int_equal(f->be[0].len, 7);
}

static void test_bad_configurations(void **state)
{
    struct fix *f = *state;
    struct virtio_console_port_config pc[2] = {{.name = "a", .backend = backend_of(&f->be[0])},
                                              {.name = "a", .backend = backend_of(&f->be[1])}};
    struct sim_capture cap;
    sim_capture_start(&cap);
    struct virtio_console_config dup = {.multiport = true, .num_ports = 2, .ports = pc};
    assert_null(virtio_console_new(&f->ram.mem, &dup));
    pc[1].name = "bad name";
    assert_null(virtio_console_new(&f->ram.mem, &dup));
    struct virtio_console_config two_single = {.num_ports = 2, .ports = pc};
    assert_null(virtio_console_new(&f->ram.mem, &two_single));
    struct virtio_console_config many = {.multiport = true, .num_ports = 8, .ports = pc};
    assert_null(virtio_console_new(&f->ram.mem, &many));
    free(sim_capture_end(&cap));
    assert_true(virtio_console_name_valid("org.qemu.guest_agent.0"));
    assert_false(virtio_console_name_valid(""));
    assert_false(virtio_console_name_valid("../x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_reaches_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_waits_for_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_needs_guest_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_buffer_readable_is_returned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_and_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_size_without_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports_announced_with_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_input_only_while_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_held_while_disconnected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_control_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_drops_held_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_configurations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
