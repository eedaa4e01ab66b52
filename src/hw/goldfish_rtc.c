#include "hw/goldfish_rtc.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"

#define RTC_TIME_LOW        0x00
#define RTC_TIME_HIGH       0x04
#define RTC_ALARM_LOW       0x08
#define RTC_ALARM_HIGH      0x0c
#define RTC_IRQ_ENABLED     0x10
#define RTC_CLEAR_ALARM     0x14
#define RTC_ALARM_STATUS    0x18
#define RTC_CLEAR_INTERRUPT 0x1c

struct goldfish_rtc {
    struct log_limit log;        /* log-once state of this instance */
    struct irq_line irq;
    uint64_t offset;        /* guest time - host realtime, modulo 2^64 */
    uint32_t time_high;     /* latched by reading TIME_LOW so the pair is consistent */
    uint64_t alarm;         /* guest time */
    bool alarm_armed;
    bool irq_enabled;
    bool irq_pending;
};

static uint64_t guest_now(const struct goldfish_rtc *r)
{
    return clock_wall_ns() + r->offset;
}

static void update_irq(struct goldfish_rtc *r)
{
    irq_set(&r->irq, r->irq_enabled && r->irq_pending);
}

static void check_alarm(struct goldfish_rtc *r)
{
    if (r->alarm_armed && guest_now(r) >= r->alarm) {
        r->alarm_armed = false;
        r->irq_pending = true;
    }
}

void goldfish_rtc_poll(struct goldfish_rtc *r)
{
    check_alarm(r);
    update_irq(r);
}

uint64_t goldfish_rtc_next_alarm(const struct goldfish_rtc *r)
{
    if (!r->alarm_armed)
        return UINT64_MAX;
    return r->alarm - r->offset;
}

/* Replaces the 32 bits at `shift` of the guest clock, keeping the other half. */
static void set_time_half(struct goldfish_rtc *r, unsigned shift, uint32_t value)
{
    uint64_t now = guest_now(r);
    uint64_t mask = 0xffffffffULL << shift;
    uint64_t wanted = (now & ~mask) | ((uint64_t)value << shift);
    r->offset += wanted - now;
}

static uint64_t rtc_read(void *opaque, uint64_t offset, unsigned size)
{
    struct goldfish_rtc *r = opaque;
    uint64_t v = 0;

    if (size != 4 || (offset & 3)) {
        log_once_in(&r->log, LOG_WARN, "rtc", "ignoring %u-byte read at offset %#llx", size,
                    (unsigned long long)offset);
        return 0;
    }
    switch (offset) {
    case RTC_TIME_LOW: {
        uint64_t now = guest_now(r);
        r->time_high = (uint32_t)(now >> 32);
        v = (uint32_t)now;
        break;
    }
    case RTC_TIME_HIGH:
        v = r->time_high;
        break;
    case RTC_ALARM_LOW:
        v = (uint32_t)r->alarm;
        break;
    case RTC_ALARM_HIGH:
        v = (uint32_t)(r->alarm >> 32);
        break;
    case RTC_IRQ_ENABLED:
        v = r->irq_enabled;
        break;
    case RTC_ALARM_STATUS:
        check_alarm(r);
        v = r->alarm_armed;
        break;
    default:
        log_once_in(&r->log, LOG_DEBUG, "rtc",
                    "read of unknown offset %#llx", (unsigned long long)offset);
        break;
    }
    goldfish_rtc_poll(r);
    return v;
}

static void rtc_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct goldfish_rtc *r = opaque;
    uint32_t v = (uint32_t)value;

    if (size != 4 || (offset & 3)) {
        log_once_in(&r->log, LOG_WARN, "rtc", "ignoring %u-byte write at offset %#llx", size,
                    (unsigned long long)offset);
        return;
    }
    switch (offset) {
    case RTC_TIME_LOW:
        set_time_half(r, 0, v);
        break;
    case RTC_TIME_HIGH:
        set_time_half(r, 32, v);
        break;
    case RTC_ALARM_LOW:
        /* Linux writes ALARM_HIGH first; the low half arms the alarm. */
        r->alarm = (r->alarm & ~0xffffffffULL) | v;
        r->alarm_armed = true;
        break;
    case RTC_ALARM_HIGH:
        r->alarm = (r->alarm & 0xffffffffULL) | ((uint64_t)v << 32);
        break;
    case RTC_IRQ_ENABLED:
        r->irq_enabled = v & 1;
        break;
    case RTC_CLEAR_ALARM:
        r->alarm_armed = false;
        break;
    case RTC_CLEAR_INTERRUPT:
        r->irq_pending = false;
        break;
    default:
        log_once_in(&r->log, LOG_DEBUG, "rtc",
                    "write of unknown offset %#llx", (unsigned long long)offset);
        break;
    }
    goldfish_rtc_poll(r);
}

struct goldfish_rtc *goldfish_rtc_new(struct irq_line irq)
{
    struct goldfish_rtc *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->irq = irq;
    return r;
}

void goldfish_rtc_free(struct goldfish_rtc *r)
{
    free(r);
}

struct mmio_region goldfish_rtc_region(struct goldfish_rtc *r, uint64_t base)
{
    return (struct mmio_region){
        .name = "goldfish-rtc",
        .base = base,
        .size = GOLDFISH_RTC_REGION_SIZE,
        .opaque = r,
        .read = rtc_read,
        .write = rtc_write,
    };
}
