/*
 * SiFive UART (sifive,uart0 / sifive,fu540-c000-uart0) as described in the FU540-C000
 * manual: 32-bit registers txdata, rxdata, txctrl, rxctrl, ie, ip, div; 8-entry transmit
 * and receive FIFOs; transmit and receive watermark interrupts.
 *
 * Bytes are not timed by the divisor: the transmit FIFO drains into the host backend as fast
 * as the backend takes them, and host input enters the receive FIFO while it has room (the
 * frontend reports no room otherwise, so typed input waits on the host, never dropped).
 */
#ifndef KITE_HW_SIFIVE_UART_H
#define KITE_HW_SIFIVE_UART_H

#include <stdint.h>

#include "core/chardev.h"
#include "core/irq.h"
#include "core/mmio.h"

#define SIFIVE_UART_FIFO_SIZE 8
#define SIFIVE_UART_REGION_SIZE 0x1000

struct sifive_uart;

/* Returns NULL on allocation failure. `out.write` may be NULL (output discarded). */
struct sifive_uart *sifive_uart_new(struct irq_line irq, struct char_backend out);
void sifive_uart_free(struct sifive_uart *u);
/* The register window: SIFIVE_UART_REGION_SIZE bytes, registers at 0x00..0x18. */
struct mmio_region sifive_uart_region(struct sifive_uart *u, uint64_t base);
/* Where host input goes; its wakeup() resumes output held back by a slow backend. */
struct char_frontend sifive_uart_frontend(struct sifive_uart *u);

#endif
