/*
 * ns16550a UART as on QEMU's virt board: 8-bit registers at stride 1, a 16-byte receive
 * FIFO, and a transmitter that is always empty because every THR write goes straight to
 * the host backend.
 */
#ifndef KITE_HW_UART16550_H
#define KITE_HW_UART16550_H

#include <stdint.h>

#include "core/chardev.h"
#include "core/irq.h"
#include "core/mmio.h"

#define UART16550_FIFO_SIZE 16

struct uart16550;

/* Returns NULL on allocation failure. `out.write` may be NULL (output discarded). */
struct uart16550 *uart16550_new(struct irq_line irq, struct char_backend out);
void uart16550_free(struct uart16550 *u);
/* The register window (size VIRT_UART0_SIZE-compatible 0x100; registers at 0..7). */
struct mmio_region uart16550_region(struct uart16550 *u, uint64_t base);
/* Where host input goes: can_receive() is the free space in the receive FIFO. */
struct char_frontend uart16550_frontend(struct uart16550 *u);

#endif
