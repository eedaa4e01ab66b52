/*
 * Goldfish RTC (google,goldfish-rtc) as on QEMU's virt board: a 64-bit nanosecond wall
 * clock (host CLOCK_REALTIME plus an offset the guest may set) and a one-shot alarm.
 *
 * The alarm is checked on every register access and whenever the machine calls
 * goldfish_rtc_poll(); without polling it fires late (at the next access), never early.
 */
#ifndef KITE_HW_GOLDFISH_RTC_H
#define KITE_HW_GOLDFISH_RTC_H

#include <stdint.h>

#include "core/irq.h"
#include "core/mmio.h"

#define GOLDFISH_RTC_REGION_SIZE 0x1000ULL     /* == VIRT_RTC_SIZE */

struct goldfish_rtc;

struct goldfish_rtc *goldfish_rtc_new(struct irq_line irq);
void goldfish_rtc_free(struct goldfish_rtc *r);
struct mmio_region goldfish_rtc_region(struct goldfish_rtc *r, uint64_t base);
/* Fires the alarm if its time has come. Cheap; optional. */
void goldfish_rtc_poll(struct goldfish_rtc *r);
/* Host CLOCK_REALTIME nanoseconds at which the armed alarm fires; UINT64_MAX if none. */
uint64_t goldfish_rtc_next_alarm(const struct goldfish_rtc *r);

#endif
