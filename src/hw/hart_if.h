/*
 * How board devices (interrupt controllers, the timer) reach a hart without knowing which
 * engine runs it. The engine hands each device one hart_if per hart; nothing in hw/
 * includes an engine's header.
 */
#ifndef KITE_HW_HART_IF_H
#define KITE_HW_HART_IF_H

#include <stdbool.h>
#include <stdint.h>

/* The RISC-V mip/mie bits a device can drive. */
#define MIP_SSIP (1ULL << 1)
#define MIP_MSIP (1ULL << 3)
#define MIP_STIP (1ULL << 5)
#define MIP_MTIP (1ULL << 7)
#define MIP_SEIP (1ULL << 9)
#define MIP_MEIP (1ULL << 11)

struct hart_if {
    void *opaque;
    /* Level-triggered: drive the bits of `mask` in the hart's mip high or low. */
    void (*set_pending)(void *opaque, uint64_t mask, bool level);
    /* The hart's mtimecmp (it compares it with mtime itself); setting it re-evaluates MTIP. */
    uint64_t (*get_timecmp)(void *opaque);
    void (*set_timecmp)(void *opaque, uint64_t value);
};

/*
 * The other direction, for a hart with an IMSIC (AIA Smaia/Ssaia): the hart's indirect CSRs
 * (miselect/mireg, siselect/sireg) and *topei reach the hart's interrupt files through this.
 * `file` is HART_FILE_M or HART_FILE_S; `isel` an iselect value in 0x70..0xff.
 */
enum { HART_FILE_M = 0, HART_FILE_S = 1 };

struct hart_irq_files {
    void *opaque;
    /* 0, or -1 when the register does not exist (the hart raises illegal instruction). */
    int (*ireg_read)(void *opaque, int file, unsigned isel, uint64_t *val);
    int (*ireg_write)(void *opaque, int file, unsigned isel, uint64_t val);
    /* *topei: identity << 16 | identity of the top pending-and-enabled one, or 0. */
    uint32_t (*topei)(void *opaque, int file);
    /* A write to *topei: clears the pending bit of what topei reports now. */
    void (*claim)(void *opaque, int file);
};

static inline void hart_set_pending(const struct hart_if *h, uint64_t mask, bool level)
{
    h->set_pending(h->opaque, mask, level);
}

#endif
