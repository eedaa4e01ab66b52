#include "hw/syscon.h"

#include <stdlib.h>

#include "core/log.h"

#define TEST_FAIL  0x3333u
#define TEST_PASS  0x5555u
#define TEST_RESET 0x7777u

struct syscon {
    struct log_limit log;        /* log-once state of this instance */
    void (*on_event)(void *opaque, enum syscon_event ev, unsigned code);
    void *opaque;
};

static uint64_t syscon_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void signal_event(struct syscon *s, enum syscon_event ev, unsigned code)
{
    if (s->on_event)
        s->on_event(s->opaque, ev, code);
}

static void syscon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct syscon *s = opaque;

    /* QEMU's sifive_test takes 2- and 4-byte writes; a 2-byte write carries no fail code. */
    if (offset != 0 || (size != 4 && size != 2)) {
        log_once_in(&s->log, LOG_WARN, "syscon", "ignoring %u-byte write at offset %#llx", size,
                    (unsigned long long)offset);
        return;
    }
    uint32_t v = (uint32_t)value;
    if (size == 2)
        v &= 0xffff;
    switch (v & 0xffff) {
    case TEST_PASS:
        signal_event(s, SYSCON_POWEROFF, 0);
        break;
    case TEST_RESET:
        signal_event(s, SYSCON_REBOOT, 0);
        break;
    case TEST_FAIL:
        signal_event(s, SYSCON_FAIL, v >> 16);
        break;
    default:
        log_once_in(&s->log, LOG_WARN, "syscon", "ignoring unknown command %#x", v);
        break;
    }
}

struct syscon *syscon_new(void (*on_event)(void *opaque, enum syscon_event ev, unsigned code),
                          void *opaque)
{
    struct syscon *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->on_event = on_event;
    s->opaque = opaque;
    return s;
}

void syscon_free(struct syscon *s)
{
    free(s);
}

struct mmio_region syscon_region(struct syscon *s, uint64_t base)
{
    return (struct mmio_region){
        .name = "syscon",
        .base = base,
        .size = SYSCON_REGION_SIZE,
        .opaque = s,
        .read = syscon_read,
        .write = syscon_write,
    };
}
