/*
 * SiFive UART: FIFO flags, watermark interrupts as the FU540 manual defines them, output
 * paced by the backend, host input held back (never dropped) by a full receive FIFO, and
 * hostile access widths and offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/sifive_uart.h"

#define TXDATA 0x00
#define RXDATA 0x04
#define TXCTRL 0x08
#define RXCTRL 0x0c
#define IE     0x10
#define IP     0x14
#define DIV    0x18

#define FULL  (1u << 31)
#define EMPTY (1u << 31)
#define TXEN  1u
#define RXEN  1u
#define CNT(n) ((uint32_t)(n) << 16)
#define TXWM  1u
#define RXWM  2u

#define IRQ_LINE 12

struct fixture {
    struct sifive_uart *u;
    struct mmio_region r;
    struct char_frontend fe;
    int irq_level;
    /* Backend: takes at most `room` bytes when `paced`, everything otherwise. */
    bool paced;
    size_t room;
    uint8_t out[8192];
    size_t out_len;
};

static void fake_irq(void *opaque, int line, int level)
{
    struct fixture *f = opaque;
    assert_int_equal(line, IRQ_LINE);
    f->irq_level = level;
}

static void fake_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct fixture *f = opaque;
    if (f->paced) {
        assert_true(len <= f->room);
        f->room -= len;
    }
    assert_true(f->out_len + len <= sizeof(f->out));
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
}

static size_t fake_write_room(void *opaque)
{
    struct fixture *f = opaque;
    return f->paced ? f->room : sizeof(f->out) - f->out_len;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    struct irq_line irq = {.set = fake_irq, .opaque = &f, .line = IRQ_LINE};
    struct char_backend out = {.opaque = &f, .write = fake_write, .write_room = fake_write_room};
    f.u = sifive_uart_new(irq, out);
    assert_non_null(f.u);
    f.r = sifive_uart_region(f.u, 0x10010000);
    f.fe = sifive_uart_frontend(f.u);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sifive_uart_free(f->u);
    return 0;
}

static uint32_t rd(struct fixture *f, unsigned off)
{
    return (uint32_t)f->r.read(f->r.opaque, off, 4);
}

static void wr(struct fixture *f, unsigned off, uint32_t v)
{
    f->r.write(f->r.opaque, off, v, 4);
}

static void test_region_and_reset(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->r.base, 0x10010000);
    assert_int_equal(f->r.size, 0x1000);
    /* Out of reset: both sides disabled, counts 0, nothing pending or enabled. */
    assert_int_equal(rd(f, TXCTRL), 0);
    assert_int_equal(rd(f, RXCTRL), 0);
    assert_int_equal(rd(f, IE), 0);
    assert_int_equal(rd(f, IP), 0);
    assert_int_equal(rd(f, TXDATA), 0);
    assert_int_equal(rd(f, RXDATA), EMPTY);
    assert_int_equal(f->irq_level, 0);
    /* With rxen clear the receiver takes nothing: input waits on the host. */
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
}

static void test_control_registers_masked(void **state)
{
    struct fixture *f = *state;
    wr(f, TXCTRL, 0xffffffff);
    assert_int_equal(rd(f, TXCTRL), CNT(7) | 3);
    wr(f, RXCTRL, 0xffffffff);
    assert_int_equal(rd(f, RXCTRL), CNT(7) | 1);
    wr(f, IE, 0xffffffff);
    assert_int_equal(rd(f, IE), TXWM | RXWM);
    wr(f, DIV, 0xabcd1234);
    assert_int_equal(rd(f, DIV), 0x1234);
}

static void test_transmit(void **state)
{
    struct fixture *f = *state;
    wr(f, TXCTRL, TXEN);
    /* Only the low 8 bits are data. */
    wr(f, TXDATA, 0x141);
    wr(f, TXDATA, 'B');
    assert_int_equal(f->out_len, 2);
    assert_memory_equal(f->out, "AB", 2);
    assert_int_equal(rd(f, TXDATA) & FULL, 0);
}

/* With txen clear the FIFO fills: eight entries, then the full flag, then writes ignored. */
static void test_tx_fifo_full_flag(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(rd(f, TXDATA), 0);
        wr(f, TXDATA, '0' + i);
    }
    assert_int_equal(rd(f, TXDATA), FULL);
    wr(f, TXDATA, 'X');
    assert_int_equal(f->out_len, 0);
    /* Enabling the transmitter sends what was queued, in order, without the ignored byte. */
    wr(f, TXCTRL, TXEN);
    assert_int_equal(f->out_len, 8);
    assert_memory_equal(f->out, "01234567", 8);
    assert_int_equal(rd(f, TXDATA), 0);
}

/* A backend with no room leaves bytes in the FIFO; its wakeup() sends them. */
static void test_tx_paced_by_backend(void **state)
{
    struct fixture *f = *state;
    f->paced = true;
    f->room = 3;
    wr(f, IE, TXWM);
    /* Queued with the transmitter off, then released into a backend with room for 3. */
    for (int i = 0; i < 8; i++)
        wr(f, TXDATA, 'a' + i);
    wr(f, TXCTRL, TXEN | CNT(1));
    assert_int_equal(f->out_len, 3);
    assert_memory_equal(f->out, "abc", 3);
    /* Five queued: room for three more, txwm (fewer than 1) not pending. */
    assert_int_equal(rd(f, TXDATA), 0);
    wr(f, TXDATA, 'i');
    wr(f, TXDATA, 'j');
    wr(f, TXDATA, 'k');
    assert_int_equal(rd(f, TXDATA), FULL);
    wr(f, TXDATA, 'Z');             /* ignored */
    assert_int_equal(rd(f, IP) & TXWM, 0);
    assert_int_equal(f->irq_level, 0);
    /* A little room at a time: never more than the backend offers. */
    f->room = 2;
    f->fe.wakeup(f->fe.opaque);
    assert_int_equal(f->out_len, 5);
    assert_int_equal(rd(f, TXDATA), 0);
    /* The FIFO wraps around its end: drained in two runs, in order. */
    f->room = 100;
    f->fe.wakeup(f->fe.opaque);
    assert_int_equal(f->out_len, 11);
    assert_memory_equal(f->out, "abcdefghijk", 11);
    assert_int_equal(rd(f, IP) & TXWM, TXWM);
    assert_int_equal(f->irq_level, 1);
}

/* txwm: pending while the TX FIFO holds fewer than txcnt entries. */
static void test_txwm_watermark(void **state)
{
    struct fixture *f = *state;
    /* txcnt = 0: never pending ("fewer than 0" is impossible). */
    assert_int_equal(rd(f, IP) & TXWM, 0);
    wr(f, TXCTRL, CNT(3));          /* txen clear: the FIFO keeps what is written */
    assert_int_equal(rd(f, IP) & TXWM, TXWM);
    assert_int_equal(f->irq_level, 0);      /* not enabled */
    wr(f, IE, TXWM);
    assert_int_equal(f->irq_level, 1);
    wr(f, TXDATA, 'a');
    wr(f, TXDATA, 'b');
    assert_int_equal(rd(f, IP) & TXWM, TXWM);   /* 2 < 3 */
    assert_int_equal(f->irq_level, 1);
    wr(f, TXDATA, 'c');
    assert_int_equal(rd(f, IP) & TXWM, 0);      /* 3 is not fewer than 3 */
    assert_int_equal(f->irq_level, 0);
    /* Draining brings it back. */
    wr(f, TXCTRL, CNT(3) | TXEN);
    assert_int_equal(f->out_len, 3);
    assert_int_equal(rd(f, IP) & TXWM, TXWM);
    assert_int_equal(f->irq_level, 1);
    wr(f, IE, 0);
    assert_int_equal(f->irq_level, 0);
}

/* rxwm: pending while the RX FIFO holds more than rxcnt entries. */
static void test_rxwm_watermark(void **state)
{
    struct fixture *f = *state;
    wr(f, RXCTRL, RXEN | CNT(2));
    wr(f, IE, RXWM);
    const uint8_t in[] = "xyz";
    assert_int_equal(char_frontend_deliver(&f->fe, in, 2), 2);
    assert_int_equal(rd(f, IP) & RXWM, 0);      /* 2 is not more than 2 */
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(char_frontend_deliver(&f->fe, in + 2, 1), 1);
    assert_int_equal(rd(f, IP) & RXWM, RXWM);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, RXDATA), 'x');
    assert_int_equal(f->irq_level, 0);          /* back to 2 */
    /* Lowering the watermark raises it again; disabling it lowers the line. */
    wr(f, RXCTRL, RXEN | CNT(0));
    assert_int_equal(f->irq_level, 1);
    wr(f, IE, 0);
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, IP) & RXWM, RXWM);
    assert_int_equal(rd(f, RXDATA), 'y');
    assert_int_equal(rd(f, RXDATA), 'z');
    assert_int_equal(rd(f, RXDATA), EMPTY);
    assert_int_equal(rd(f, IP) & RXWM, 0);
}

/*
 * Host input larger than the FIFO: the frontend takes eight bytes, then says it has no
 * room; as the guest reads, the rest goes in. Every byte arrives, in order.
 */
static void test_rx_backpressure_never_drops(void **state)
{
    struct fixture *f = *state;
    uint8_t in[1000], got[1000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7 + 3);
    wr(f, RXCTRL, RXEN);
    wr(f, IE, RXWM);
    size_t sent = char_frontend_deliver(&f->fe, in, sizeof(in));
    assert_int_equal(sent, 8);
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
    size_t n = 0;
    while (n < sizeof(in)) {
        assert_int_equal(f->irq_level, 1);
        /* The guest reads a few bytes per interrupt, as a driver might. */
        for (int k = 0; k < 3; k++) {
            uint32_t v = rd(f, RXDATA);
            if (v & EMPTY)
                break;
            assert_true(n < sizeof(got));
            got[n++] = (uint8_t)v;
        }
        sent += char_frontend_deliver(&f->fe, in + sent, sizeof(in) - sent);
        assert_true(sent - n <= 8);
    }
    assert_memory_equal(got, in, sizeof(in));
    assert_int_equal(rd(f, RXDATA), EMPTY);
    assert_int_equal(f->irq_level, 0);
}

/* Clearing rxen holds input back; what is already queued is still readable. */
static void test_rx_disabled_holds_input(void **state)
{
    struct fixture *f = *state;
    wr(f, RXCTRL, RXEN);
    const uint8_t in[] = "hello";
    assert_int_equal(char_frontend_deliver(&f->fe, in, 2), 2);
    wr(f, RXCTRL, 0);
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
    assert_int_equal(char_frontend_deliver(&f->fe, in + 2, 3), 0);
    assert_int_equal(rd(f, RXDATA), 'h');
    assert_int_equal(rd(f, RXDATA), 'e');
    assert_int_equal(rd(f, RXDATA), EMPTY);
}

/* A backend that hands over more than it was offered: the excess is refused, not stored. */
static void test_receive_beyond_room(void **state)
{
    struct fixture *f = *state;
    wr(f, RXCTRL, RXEN);
    uint8_t in[20];
    memset(in, 'q', sizeof(in));
    f->fe.receive(f->fe.opaque, in, sizeof(in));
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
    int n = 0;
    while (!(rd(f, RXDATA) & EMPTY))
        n++;
    assert_int_equal(n, 8);
}

/* Wrong widths, unaligned and unknown offsets: ignored, reads give 0, state unchanged. */
static void test_hostile_accesses(void **state)
{
    struct fixture *f = *state;
    wr(f, TXCTRL, TXEN | CNT(1));
    wr(f, RXCTRL, RXEN);
    const uint8_t in[] = "k";
    char_frontend_deliver(&f->fe, in, 1);
    static const unsigned widths[] = {1, 2, 8};
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        for (unsigned off = 0; off <= DIV; off++) {
            f->r.write(f->r.opaque, off, 0xffffffffffffffffULL, widths[w]);
            assert_int_equal(f->r.read(f->r.opaque, off, widths[w]), 0);
        }
    }
    /* Nothing was sent, popped or reconfigured by those. */
    assert_int_equal(f->out_len, 0);
    assert_int_equal(rd(f, TXCTRL), TXEN | CNT(1));
    assert_int_equal(rd(f, IE), 0);
    /* 32-bit accesses at unaligned offsets and past the registers. */
    static const unsigned offs[] = {1, 2, 3, 5, 0x1a, 0x1c, 0x20, 0x100, 0xffc};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        wr(f, offs[i], 0xffffffff);
        assert_int_equal(rd(f, offs[i]), 0);
    }
    assert_int_equal(f->out_len, 0);
    assert_int_equal(rd(f, TXCTRL), TXEN | CNT(1));
    assert_int_equal(rd(f, RXCTRL), RXEN);
    assert_int_equal(rd(f, IE), 0);
    /* Read-only registers ignore writes. */
    wr(f, IP, 0xffffffff);
    wr(f, RXDATA, 'z');
    /* One byte is more than rxcnt 0; an empty TX FIFO holds fewer than txcnt 1. */
    assert_int_equal(rd(f, IP), RXWM | TXWM);
    assert_int_equal(rd(f, RXDATA), 'k');
    assert_int_equal(rd(f, RXDATA), EMPTY);
}

static size_t unpaced_bytes;

static void count_write(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    unpaced_bytes += len;
}

/* A backend without write_room (stdio) takes every byte at once; a NULL write discards. */
static void test_unpaced_and_null_backends(void **state)
{
    (void)state;
    struct char_backend backends[2] = {{.write = count_write}, {0}};
    unpaced_bytes = 0;
    for (int b = 0; b < 2; b++) {
        struct sifive_uart *u = sifive_uart_new((struct irq_line){0}, backends[b]);
        assert_non_null(u);
        struct mmio_region r = sifive_uart_region(u, 0);
        r.write(r.opaque, TXCTRL, TXEN, 4);
        for (int i = 0; i < 100; i++) {
            assert_int_equal(r.read(r.opaque, TXDATA, 4), 0);
            r.write(r.opaque, TXDATA, 'a', 4);
        }
        sifive_uart_free(u);
    }
    assert_int_equal(unpaced_bytes, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_region_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_registers_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_fifo_full_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_paced_by_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_txwm_watermark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rxwm_watermark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_backpressure_never_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_disabled_holds_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_beyond_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
        cmocka_unit_test(test_unpaced_and_null_backends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
