/*
 * SiFive UART, following chapter "Universal Asynchronous Receiver/Transmitter" of the
 * FU540-C000 manual closely enough for Linux's SERIAL_SIFIVE driver and OpenSBI's console.
 *
 * Watermarks, as the manual defines them: txwm is pending while the transmit FIFO holds
 * strictly fewer than txcnt entries, rxwm while the receive FIFO holds strictly more than
 * rxcnt. The interrupt line is (ip & ie) != 0.
 *
 * Where kite departs from a chip on a wire: nothing is timed by div (the transmit FIFO
 * drains as fast as the host backend accepts bytes, and stays full while the backend has
 * no room), and a full receive FIFO holds the host side back instead of losing bytes.
 * With rxen clear the receiver takes nothing, so typed input waits until a driver enables
 * it rather than being dropped as the chip would drop it.
 */
#include "hw/sifive_uart.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"

#define REG_TXDATA 0x00
#define REG_RXDATA 0x04
#define REG_TXCTRL 0x08
#define REG_RXCTRL 0x0c
#define REG_IE     0x10
#define REG_IP     0x14
#define REG_DIV    0x18

#define TXDATA_FULL  (1u << 31)
#define RXDATA_EMPTY (1u << 31)

#define TXCTRL_TXEN  (1u << 0)
#define TXCTRL_NSTOP (1u << 1)
#define RXCTRL_RXEN  (1u << 0)
#define CTRL_CNT_SHIFT 16
#define CTRL_CNT_MASK  (7u << CTRL_CNT_SHIFT)
#define TXCTRL_MASK  (TXCTRL_TXEN | TXCTRL_NSTOP | CTRL_CNT_MASK)
#define RXCTRL_MASK  (RXCTRL_RXEN | CTRL_CNT_MASK)

#define IP_TXWM (1u << 0)
#define IP_RXWM (1u << 1)
#define IE_MASK (IP_TXWM | IP_RXWM)

#define DIV_MASK 0xffffu

struct fifo {
    uint8_t data[SIFIVE_UART_FIFO_SIZE];
    unsigned head, count;
};

struct sifive_uart {
    struct irq_line irq;
    struct char_backend out;
    uint32_t txctrl, rxctrl, ie, div;
    struct fifo tx, rx;
    struct log_limit log;        /* log-once state of this instance */
};

static bool fifo_push(struct fifo *f, uint8_t byte)
{
    if (f->count >= SIFIVE_UART_FIFO_SIZE)
        return false;
    f->data[(f->head + f->count) % SIFIVE_UART_FIFO_SIZE] = byte;
    f->count++;
    return true;
}

static uint8_t fifo_pop(struct fifo *f)
{
    uint8_t byte = f->data[f->head];
    f->head = (f->head + 1) % SIFIVE_UART_FIFO_SIZE;
    f->count--;
    return byte;
}

static unsigned txcnt(const struct sifive_uart *u)
{
    return (u->txctrl & CTRL_CNT_MASK) >> CTRL_CNT_SHIFT;
}

static unsigned rxcnt(const struct sifive_uart *u)
{
    return (u->rxctrl & CTRL_CNT_MASK) >> CTRL_CNT_SHIFT;
}

static uint32_t pending(const struct sifive_uart *u)
{
    uint32_t ip = 0;
    if (u->tx.count < txcnt(u))
        ip |= IP_TXWM;
    if (u->rx.count > rxcnt(u))
        ip |= IP_RXWM;
    return ip;
}

static void update_irq(struct sifive_uart *u)
{
    irq_set(&u->irq, (pending(u) & u->ie) != 0);
}

/* Moves bytes from the transmit FIFO to the backend while it has room and txen is set. */
static void tx_drain(struct sifive_uart *u)
{
    if (!(u->txctrl & TXCTRL_TXEN))
        return;
    while (u->tx.count > 0) {
        size_t room = u->tx.count;
        if (u->out.write && u->out.write_room) {
            room = u->out.write_room(u->out.opaque);
            if (room == 0)
                return;     /* the backend's wakeup() brings us back */
        }
        /* At most the contiguous run up to the end of the ring; the loop takes the rest. */
        size_t run = SIFIVE_UART_FIFO_SIZE - u->tx.head;
        size_t n = u->tx.count;
        if (n > run)
            n = run;
        if (n > room)
            n = room;
        if (u->out.write)
            u->out.write(u->out.opaque, u->tx.data + u->tx.head, n);
        u->tx.head = (u->tx.head + (unsigned)n) % SIFIVE_UART_FIFO_SIZE;
        u->tx.count -= (unsigned)n;
    }
}

static void write_txdata(struct sifive_uart *u, uint32_t v)
{
    /* A write while full is ignored, as on the chip (software checks the full flag first). */
    if (!fifo_push(&u->tx, (uint8_t)v)) {
        log_once_in(&u->log, LOG_DEBUG, "sifive-uart",
                    "txdata written while the FIFO is full: byte dropped");
        return;
    }
    tx_drain(u);
}

static uint32_t read_rxdata(struct sifive_uart *u)
{
    if (u->rx.count == 0)
        return RXDATA_EMPTY;
    return fifo_pop(&u->rx);
}

static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
    struct sifive_uart *u = opaque;
    uint32_t v = 0;

    if (size != 4) {
        log_once_in(&u->log, LOG_WARN, "sifive-uart",
                    "ignoring %u-byte read at offset %#llx (registers are 32-bit)", size,
                    (unsigned long long)offset);
        return 0;
    }
    switch (offset) {
    case REG_TXDATA:
        v = u->tx.count >= SIFIVE_UART_FIFO_SIZE ? TXDATA_FULL : 0;
        break;
    case REG_RXDATA:
        v = read_rxdata(u);
        break;
    case REG_TXCTRL:
        v = u->txctrl;
        break;
    case REG_RXCTRL:
        v = u->rxctrl;
        break;
    case REG_IE:
        v = u->ie;
        break;
    case REG_IP:
        v = pending(u);
        break;
    case REG_DIV:
        v = u->div;
        break;
    default:
        log_once_in(&u->log, LOG_WARN, "sifive-uart", "access to unknown offset %#llx",
                    (unsigned long long)offset);
        break;
    }
    update_irq(u);
    return v;
}

static void uart_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct sifive_uart *u = opaque;
    uint32_t v = (uint32_t)value;

    if (size != 4) {
        log_once_in(&u->log, LOG_WARN, "sifive-uart",
                    "ignoring %u-byte write at offset %#llx (registers are 32-bit)", size,
                    (unsigned long long)offset);
        return;
    }
    switch (offset) {
    case REG_TXDATA:
        write_txdata(u, v);
        break;
    case REG_RXDATA:
    case REG_IP:
        log_once_in(&u->log, LOG_DEBUG, "sifive-uart",
                    "write to read-only offset %#llx ignored", (unsigned long long)offset);
        break;
    case REG_TXCTRL:
        u->txctrl = v & TXCTRL_MASK;
        /* Bytes queued while txen was clear leave now. */
        tx_drain(u);
        break;
    case REG_RXCTRL:
        u->rxctrl = v & RXCTRL_MASK;
        break;
    case REG_IE:
        u->ie = v & IE_MASK;
        break;
    case REG_DIV:
        u->div = v & DIV_MASK;
        break;
    default:
        log_once_in(&u->log, LOG_WARN, "sifive-uart", "access to unknown offset %#llx",
                    (unsigned long long)offset);
        break;
    }
    update_irq(u);
}

static size_t uart_can_receive(void *opaque)
{
    struct sifive_uart *u = opaque;
    if (!(u->rxctrl & RXCTRL_RXEN))
        return 0;
    return SIFIVE_UART_FIFO_SIZE - u->rx.count;
}

static void uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct sifive_uart *u = opaque;
    size_t room = uart_can_receive(u);
    if (len > room) {
        log_once_in(&u->log, LOG_ERROR, "sifive-uart",
                    "internal: backend delivered %zu bytes with room for %zu", len, room);
        len = room;
    }
    for (size_t i = 0; i < len; i++)
        fifo_push(&u->rx, buf[i]);
    update_irq(u);
}

static void uart_wakeup(void *opaque)
{
    struct sifive_uart *u = opaque;
    tx_drain(u);
    update_irq(u);
}

struct sifive_uart *sifive_uart_new(struct irq_line irq, struct char_backend out)
{
    struct sifive_uart *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->irq = irq;
    u->out = out;
    return u;
}

void sifive_uart_free(struct sifive_uart *u)
{
    free(u);
}

struct mmio_region sifive_uart_region(struct sifive_uart *u, uint64_t base)
{
    return (struct mmio_region){
        .name = "sifive-uart",
        .base = base,
        .size = SIFIVE_UART_REGION_SIZE,
        .opaque = u,
        .read = uart_read,
        .write = uart_write,
    };
}

struct char_frontend sifive_uart_frontend(struct sifive_uart *u)
{
    return (struct char_frontend){
        .opaque = u,
        .can_receive = uart_can_receive,
        .receive = uart_receive,
        .wakeup = uart_wakeup,
    };
}
