/*
 * Guest physical RAM as devices see it. A device turns a guest-physical range into a host
 * pointer only through guest_mem_map(), which checks that the whole range lies in RAM:
 * NULL is an answer (the guest gave a bad address), never a crash.
 *
 * Whatever a device writes into guest RAM it reports with guest_mem_dirty(), so that an
 * engine caching decoded guest code (the RISC-V interpreter) can drop stale entries.
 */
#ifndef KITE_CORE_GUEST_MEM_H
#define KITE_CORE_GUEST_MEM_H

#include <stdint.h>

struct guest_mem {
    uint64_t base, size;
    uint8_t *host;          /* host mapping of [base, base + size) */
    /* Called for every range a device wrote; NULL = nobody cares. */
    void (*on_write)(void *opaque, uint64_t gpa, uint64_t len);
    void *opaque;
};

/* Host pointer for [gpa, gpa + len), or NULL unless the whole range is RAM (len 0: gpa
 * must still be inside RAM or at its end). Never overflows on hostile gpa/len. */
void *guest_mem_map(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Reports that a device wrote [gpa, gpa + len) (no-op for len 0 or no listener). */
void guest_mem_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
