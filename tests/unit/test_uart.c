/* ns16550a: register semantics, interrupts as Linux's 8250 driver relies on them, RX FIFO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/uart16550.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fixture {
    struct uart16550 *u;
    struct mmio_region r;
    struct char_frontend fe;
    int irq_level;
    int irq_calls;
    uint8_t out[256];
    size_t out_len;
};

static void fake_irq(void *opaque, int line, int level)
{
    struct fixture *f = opaque;
    assert_int_equal(line, 10);
    f->irq_level = level;
    f->irq_calls++;
}

static void fake_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct fixture *f = opaque;
    assert_true(f->out_len + len <= sizeof(f->out));
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    struct irq_line irq = {.set = fake_irq, .opaque = &f, .line = 10};
    struct char_backend out = {.opaque = &f, .write = fake_write};
    f.u = uart16550_new(irq, out);
    assert_non_null(f.u);
    f.r = uart16550_region(f.u, 0x10000000);
    f.fe = uart16550_frontend(f.u);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    uart16550_free(f->u);
    return 0;
}

static uint8_t rd(struct fixture *f, unsigned off)
{
    return (uint8_t)f->r.read(f->r.opaque, off, 1);
}

static void wr(struct fixture *f, unsigned off, uint8_t v)
{
    f->r.write(f->r.opaque, off, v, 1);
}

static void test_region(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->r.base, 0x10000000);
    assert_int_equal(f->r.size, 0x100);
    assert_ptr_equal(f->r.opaque, f->u);
}

static void test_transmit_and_lsr(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, LSR), 0x60);         /* THRE | TEMT, no data, no errors */
    wr(f, THR, 'h');
    wr(f, THR, 'i');
    assert_int_equal(f->out_len, 2);
    assert_memory_equal(f->out, "hi", 2);
    assert_int_equal(rd(f, LSR), 0x60);
    assert_int_equal(f->irq_level, 0);          /* no interrupt enabled */
}

static void test_scratch_lcr_mcr_ier(void **state)
{
    struct fixture *f = *state;
    wr(f, SCR, 0xa5);
    assert_int_equal(rd(f, SCR), 0xa5);
    wr(f, SCR, 0x5a);
    assert_int_equal(rd(f, SCR), 0x5a);
    wr(f, LCR, 0x1b);
    assert_int_equal(rd(f, LCR), 0x1b);
    /* IER keeps only its four defined bits (Linux rejects XScale-style UUE bit 6). */
    wr(f, IER, 0xff);
    assert_int_equal(rd(f, IER), 0x0f);
    wr(f, IER, 0);
    assert_int_equal(rd(f, IER), 0);
    wr(f, MCR, 0xff);
    assert_int_equal(rd(f, MCR), 0x1f);
    wr(f, MCR, 0);
}

static void test_divisor_latch(void **state)
{
    struct fixture *f = *state;
    wr(f, IER, 0x05);
    wr(f, LCR, 0x83);
    wr(f, DLL, 0x01);
    wr(f, DLM, 0x02);
    assert_int_equal(rd(f, DLL), 0x01);
    assert_int_equal(rd(f, DLM), 0x02);
    assert_int_equal(f->out_len, 0);            /* DLL write did not transmit */
    wr(f, LCR, 0x03);
    assert_int_equal(rd(f, IER), 0x05);         /* DLM write did not touch IER */
    assert_int_equal(rd(f, LCR), 0x03);
}

static void test_fifo_detection(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, IIR) & 0xc0, 0x00);  /* 16450 mode after reset */
    assert_int_equal(rd(f, IIR), 0x01);
    wr(f, FCR, 0x01);
    assert_int_equal(rd(f, IIR) & 0xc0, 0xc0);  /* 16550A: both FIFO bits */
    assert_int_equal(rd(f, IIR) & 0x20, 0);     /* not a TI16750 (no 64-byte FIFO bit) */
    /* IIR stays readable with DLAB set and is never 0, so no EFR is detected. */
    wr(f, LCR, 0xbf);
    assert_int_not_equal(rd(f, IIR), 0);
    wr(f, LCR, 0x03);
    wr(f, FCR, 0x00);
    assert_int_equal(rd(f, IIR) & 0xc0, 0x00);
}

static void test_loopback_msr(void **state)
{
    struct fixture *f = *state;
    /* Normal mode: a connected terminal (CTS, DSR, DCD). */
    assert_int_equal(rd(f, MSR) & 0xf0, 0xb0);
    /* Linux's autoconfig test: LOOP | OUT2 | RTS must read back as DCD | CTS. */
    wr(f, MCR, 0x10 | 0x0a);
    assert_int_equal(rd(f, MSR) & 0xf0, 0x90);
    wr(f, MCR, 0x10 | 0x05);                    /* DTR, OUT1 -> DSR, RI */
    uint8_t msr = rd(f, MSR);
    assert_int_equal(msr & 0xf0, 0x60);
    assert_int_equal(msr & 0x0b, 0x0b);         /* DCTS, DDSR, DDCD changed */
    assert_int_equal(rd(f, MSR) & 0x0f, 0);     /* deltas clear on read */
    wr(f, MCR, 0x10);                           /* RI falls: trailing edge */
    assert_int_equal(rd(f, MSR) & 0x04, 0x04);

    /* In loopback, transmitted bytes come back to the receiver instead of the host. */
    wr(f, FCR, 0x01);
    wr(f, THR, 'x');
    assert_int_equal(f->out_len, 0);
    assert_int_equal(rd(f, LSR) & 0x01, 1);
    assert_int_equal(rd(f, RBR), 'x');
    /* ...and host input waits (not dropped) until loopback ends. */
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
    wr(f, MCR, 0x0b);
    assert_int_equal(f->fe.can_receive(f->fe.opaque), UART16550_FIFO_SIZE);
    assert_int_equal(rd(f, MSR) & 0xf0, 0xb0);
}

static void test_thre_interrupt(void **state)
{
    struct fixture *f = *state;
    /* Linux's startup THRE test: enable ETBEI with THR empty -> IIR reports THRE. */
    wr(f, IER, 0x02);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
    /* Reading IIR while THRE is the reported source acknowledges it. */
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
    wr(f, IER, 0x00);
    wr(f, IER, 0x02);                           /* re-enabling raises it again */
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
    assert_int_equal(f->irq_level, 0);
    /* A THR write re-arms THRE once the byte is gone, which is immediate here. */
    wr(f, THR, 'a');
    assert_int_equal(f->irq_level, 1);
    /* Disabling ETBEI drops the line. */
    wr(f, IER, 0x00);
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
}

static void test_rx_priority_over_thre(void **state)
{
    struct fixture *f = *state;
    wr(f, FCR, 0x01);
    wr(f, IER, 0x03);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"z", 1);
    /* Received data outranks THRE (trigger level 1, so RDA rather than timeout). */
    assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, RBR), 'z');
    /* With the FIFO drained, the still-armed THRE is reported. */
    assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
    assert_int_equal(f->irq_level, 0);
}

static void test_rx_trigger_levels(void **state)
{
    struct fixture *f = *state;
    wr(f, FCR, 0x81);                           /* FIFO on, trigger level 8 */
    wr(f, IER, 0x01);
    assert_int_equal(f->irq_level, 0);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"abc", 3);
    /* Below the trigger level: reported as character timeout, line still raised. */
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR), 0xcc);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"defgh", 5);
    assert_int_equal(rd(f, IIR), 0xc4);
    for (int i = 0; i < 8; i++)
        assert_int_equal(rd(f, RBR), "abcdefgh"[i]);
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, IIR), 0xc1);
    /* Masking ERBFI masks the interrupt but the data stays readable. */
    wr(f, IER, 0x00);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"q", 1);
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, LSR) & 0x01, 1);
    assert_int_equal(rd(f, RBR), 'q');
}

static void test_rx_backpressure(void **state)
{
    struct fixture *f = *state;
    wr(f, FCR, 0x01);
    uint8_t in[40];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)('A' + i);
    size_t sent = 0, got = 0;
    uint8_t seen[40];

    /* Feed as fast as the UART accepts, drain in small bites: nothing lost, order kept. */
    while (got < sizeof(in)) {
        size_t room = f->fe.can_receive(f->fe.opaque);
        size_t n = sizeof(in) - sent < room ? sizeof(in) - sent : room;
        if (n) {
            f->fe.receive(f->fe.opaque, in + sent, n);
            sent += n;
        }
        if (sent < sizeof(in))
            assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
        for (int k = 0; k < 5 && (rd(f, LSR) & 0x01); k++)
            seen[got++] = rd(f, RBR);
    }
    assert_memory_equal(seen, in, sizeof(in));
    assert_int_equal(rd(f, LSR), 0x60);         /* no overrun reported */
}

static void test_rx_16450_mode(void **state)
{
    struct fixture *f = *state;
    /* Without FIFOs the receiver holds one byte. */
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 1);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"k", 1);
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 0);
    wr(f, IER, 0x01);
    assert_int_equal(rd(f, IIR), 0x04);
    assert_int_equal(rd(f, RBR), 'k');
    assert_int_equal(f->fe.can_receive(f->fe.opaque), 1);
    assert_int_equal(rd(f, RBR), 0);            /* empty reads harmlessly */
}

static void test_fifo_reset(void **state)
{
    struct fixture *f = *state;
    wr(f, FCR, 0x01);
    f->fe.receive(f->fe.opaque, (const uint8_t *)"abc", 3);
    wr(f, FCR, 0x03);                           /* clear RX FIFO */
    assert_int_equal(rd(f, LSR) & 0x01, 0);
    assert_int_equal(f->fe.can_receive(f->fe.opaque), UART16550_FIFO_SIZE);
}

static void test_bad_accesses(void **state)
{
    struct fixture *f = *state;
    /* Wider accesses and unknown offsets are ignored without side effects. */
    f->r.write(f->r.opaque, THR, 0x41424344, 4);
    assert_int_equal(f->out_len, 0);
    assert_int_equal(f->r.read(f->r.opaque, LSR, 4), 0);
    wr(f, 0x80, 0xff);
    assert_int_equal(rd(f, 0x80), 0);
    assert_int_equal(rd(f, 0xff), 0);
    /* A backend that ignores can_receive() loses only what did not fit. */
    uint8_t lots[64];
    memset(lots, 'x', sizeof(lots));
    f->fe.receive(f->fe.opaque, lots, sizeof(lots));
    assert_int_equal(rd(f, RBR), 'x');
    assert_int_equal(rd(f, LSR) & 0x01, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit_and_lsr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_lcr_mcr_ier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_divisor_latch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_detection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_msr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_priority_over_thre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_trigger_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_16450_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
    };
    return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
