/*
 * ns16550a, following the National Semiconductor PC16550D datasheet closely enough for
 * Linux's 8250 driver (autoconfig, THRE test, loopback test) and OpenSBI's polled console.
 *
 * The transmitter has no FIFO here: a byte written to THR is handed to the backend at once,
 * so LSR always reports THRE|TEMT and the "THR empty" interrupt is re-armed immediately
 * after each write, exactly as a real chip does once its shift register drains.
 *
 * There is no receive timer: while the FIFO holds fewer bytes than the trigger level the
 * chip reports the character-timeout interrupt at once instead of after four character
 * times. Drivers treat both the same way (drain while LSR.DR), and the guest sees its
 * input sooner.
 */
#include "hw/uart16550.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"

#define UART_REGION_SIZE 0x100

/* Register offsets (reg-shift 0) */
#define REG_RBR_THR_DLL 0
#define REG_IER_DLM     1
#define REG_IIR_FCR     2
#define REG_LCR         3
#define REG_MCR         4
#define REG_LSR         5
#define REG_MSR         6
#define REG_SCR         7

#define IER_ERBFI 0x01  /* received data available */
#define IER_ETBEI 0x02  /* THR empty */
#define IER_ELSI  0x04  /* receiver line status */
#define IER_EDSSI 0x08  /* modem status */
#define IER_MASK  0x0f

#define IIR_NO_INT   0x01
#define IIR_ID_MSR   0x00
#define IIR_ID_THRE  0x02
#define IIR_ID_RDA   0x04
#define IIR_ID_RLS   0x06
#define IIR_ID_CTI   0x0c
#define IIR_FIFO_ON  0xc0

#define FCR_ENABLE   0x01
#define FCR_CLR_RX   0x02
#define FCR_CLR_TX   0x04
#define FCR_TRIG_SHIFT 6

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

struct uart16550 {
    struct log_limit log;        /* log-once state of this instance */
    struct irq_line irq;
    struct char_backend out;

    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;            /* FIFO enable and trigger bits as last written */
    uint8_t msr_delta;      /* MSR bits 3..0, cleared by reading MSR */
    bool thr_pending;       /* THRE interrupt armed and not yet acknowledged */
    bool overrun;           /* only reachable in loopback mode */

    uint8_t rx[UART16550_FIFO_SIZE];
    unsigned rx_head, rx_count;
};

static const unsigned rx_trigger_levels[4] = {1, 4, 8, 14};

static bool fifo_enabled(const struct uart16550 *u)
{
    return u->fcr & FCR_ENABLE;
}

/* In 16450 mode the "FIFO" is the single receiver buffer register. */
static unsigned rx_capacity(const struct uart16550 *u)
{
    return fifo_enabled(u) ? UART16550_FIFO_SIZE : 1;
}

/* Modem inputs: a connected terminal when live, MCR outputs fed back in loopback. */
static uint8_t msr_status(const struct uart16550 *u)
{
    if (u->mcr & MCR_LOOP) {
        uint8_t s = 0;
        if (u->mcr & MCR_RTS)
            s |= MSR_CTS;
        if (u->mcr & MCR_DTR)
            s |= MSR_DSR;
        if (u->mcr & MCR_OUT1)
            s |= MSR_RI;
        if (u->mcr & MCR_OUT2)
            s |= MSR_DCD;
        return s;
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;
}

static void note_msr_change(struct uart16550 *u, uint8_t before, uint8_t after)
{
    uint8_t changed = before ^ after;
    if (changed & MSR_CTS)
        u->msr_delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        u->msr_delta |= MSR_DDSR;
    if ((before & MSR_RI) && !(after & MSR_RI))
        u->msr_delta |= MSR_TERI;
    if (changed & MSR_DCD)
        u->msr_delta |= MSR_DDCD;
}

/* The highest-priority pending interrupt, as IIR bits 3..0. */
static uint8_t pending_id(const struct uart16550 *u)
{
    if ((u->ier & IER_ELSI) && u->overrun)
        return IIR_ID_RLS;
    if ((u->ier & IER_ERBFI) && u->rx_count > 0) {
        if (fifo_enabled(u) && u->rx_count < rx_trigger_levels[u->fcr >> FCR_TRIG_SHIFT])
            return IIR_ID_CTI;
        return IIR_ID_RDA;
    }
    if ((u->ier & IER_ETBEI) && u->thr_pending)
        return IIR_ID_THRE;
    if ((u->ier & IER_EDSSI) && u->msr_delta)
        return IIR_ID_MSR;
    return IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
    irq_set(&u->irq, pending_id(u) != IIR_NO_INT);
}

static void rx_push(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->overrun = true;
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
    u->rx_count++;
}

static uint8_t rx_pop(struct uart16550 *u)
{
    if (u->rx_count == 0)
        return 0;
    uint8_t byte = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
    u->rx_count--;
    return byte;
}

static void rx_clear(struct uart16550 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        rx_push(u, byte);
    else if (u->out.write)
        u->out.write(u->out.opaque, &byte, 1);
    /* The byte left at once: THR is empty again, which re-raises THRE. */
    u->thr_pending = true;
}

static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v = 0;

    if (size != 1) {
        log_once_in(&u->log, LOG_WARN, "uart", "ignoring %u-byte read at offset %#llx", size,
                    (unsigned long long)offset);
        return 0;
    }
    switch (offset) {
    case REG_RBR_THR_DLL:
        v = (u->lcr & LCR_DLAB) ? u->dll : rx_pop(u);
        break;
    case REG_IER_DLM:
        v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
        break;
    case REG_IIR_FCR: {
        uint8_t id = pending_id(u);
        /* Reading IIR acknowledges THRE only when THRE is what it reports. */
        if (id == IIR_ID_THRE)
            u->thr_pending = false;
        v = id | (fifo_enabled(u) ? IIR_FIFO_ON : 0);
        break;
    }
    case REG_LCR:
        v = u->lcr;
        break;
    case REG_MCR:
        v = u->mcr;
        break;
    case REG_LSR:
        v = LSR_THRE | LSR_TEMT;
        if (u->rx_count > 0)
            v |= LSR_DR;
        if (u->overrun)
            v |= LSR_OE;
        u->overrun = false;
        break;
    case REG_MSR:
        v = msr_status(u) | u->msr_delta;
        u->msr_delta = 0;
        break;
    case REG_SCR:
        v = u->scr;
        break;
    default:
        log_once_in(&u->log, LOG_DEBUG, "uart",
                    "read of unknown offset %#llx", (unsigned long long)offset);
        break;
    }
    update_irq(u);
    return v;
}

static void write_fcr(struct uart16550 *u, uint8_t v)
{
    /* Switching between 16450 and FIFO mode empties the FIFOs (datasheet, FCR bit 0). */
    if ((v ^ u->fcr) & FCR_ENABLE)
        rx_clear(u);
    u->fcr = v & (FCR_ENABLE | (3 << FCR_TRIG_SHIFT));
    if ((v & FCR_ENABLE) && (v & FCR_CLR_RX))
        rx_clear(u);
    /* FCR_CLR_TX: the transmit side never holds anything. */
}

static void uart_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v = (uint8_t)value;

    if (size != 1) {
        log_once_in(&u->log, LOG_WARN, "uart", "ignoring %u-byte write at offset %#llx", size,
                    (unsigned long long)offset);
        return;
    }
    switch (offset) {
    case REG_RBR_THR_DLL:
        if (u->lcr & LCR_DLAB)
            u->dll = v;
        else
            transmit(u, v);
        break;
    case REG_IER_DLM:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            uint8_t old = u->ier;
            u->ier = v & IER_MASK;
            /*
             * Enabling ETBEI while THR is empty raises THRE at once; Linux's startup test
             * toggles ETBEI and expects the interrupt both times.
             */
            if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
                u->thr_pending = true;
            else if (!(u->ier & IER_ETBEI))
                u->thr_pending = false;
        }
        break;
    case REG_IIR_FCR:
        write_fcr(u, v);
        break;
    case REG_LCR:
        u->lcr = v;
        break;
    case REG_MCR: {
        uint8_t before = msr_status(u);
        u->mcr = v & MCR_MASK;
        note_msr_change(u, before, msr_status(u));
        break;
    }
    case REG_LSR:
    case REG_MSR:
        /* Read-only on a 16550 (factory test only). */
        break;
    case REG_SCR:
        u->scr = v;
        break;
    default:
        log_once_in(&u->log, LOG_DEBUG, "uart",
                    "write of unknown offset %#llx", (unsigned long long)offset);
        break;
    }
    update_irq(u);
}

static size_t uart_can_receive(void *opaque)
{
    struct uart16550 *u = opaque;
    /* In loopback the serial input is disconnected: hold host input back, don't drop it. */
    if (u->mcr & MCR_LOOP)
        return 0;
    return rx_capacity(u) - u->rx_count;
}

static void uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct uart16550 *u = opaque;
    size_t room = uart_can_receive(u);
    if (len > room) {
        log_once_in(&u->log, LOG_ERROR, "uart",
                    "backend delivered %zu bytes with room for %zu", len, room);
        len = room;
    }
    for (size_t i = 0; i < len; i++)
        rx_push(u, buf[i]);
    update_irq(u);
}

struct uart16550 *uart16550_new(struct irq_line irq, struct char_backend out)
{
    struct uart16550 *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->irq = irq;
    u->out = out;
    return u;
}

void uart16550_free(struct uart16550 *u)
{
    free(u);
}

struct mmio_region uart16550_region(struct uart16550 *u, uint64_t base)
{
    return (struct mmio_region){
        .name = "uart16550",
        .base = base,
        .size = UART_REGION_SIZE,
        .opaque = u,
        .read = uart_read,
        .write = uart_write,
    };
}

struct char_frontend uart16550_frontend(struct uart16550 *u)
{
    return (struct char_frontend){
        .opaque = u,
        .can_receive = uart_can_receive,
        .receive = uart_receive,
    };
}
