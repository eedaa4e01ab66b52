/*
 * The sifive,test device of QEMU's virt board: a guest writes a magic value to offset 0 to
 * power off, reboot or report a failure. Linux reaches it through syscon-poweroff and
 * syscon-reboot; OpenSBI through its sifive_test reset driver.
 */
#ifndef KITE_HW_SYSCON_H
#define KITE_HW_SYSCON_H

#include <stdint.h>

#include "core/mmio.h"

enum syscon_event { SYSCON_POWEROFF, SYSCON_REBOOT, SYSCON_FAIL };

#define SYSCON_REGION_SIZE 0x1000ULL    /* == VIRT_TEST_SIZE */

struct syscon;

/* `code` is the exit code for SYSCON_FAIL (value >> 16), 0 otherwise. NULL on no memory. */
struct syscon *syscon_new(void (*on_event)(void *opaque, enum syscon_event ev, unsigned code),
                          void *opaque);
void syscon_free(struct syscon *s);
struct mmio_region syscon_region(struct syscon *s, uint64_t base);

#endif
