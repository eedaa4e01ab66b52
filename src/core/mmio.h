/*
 * MMIO dispatch: a sorted table of device regions in guest-physical space.
 * Offsets handed to a device are relative to its base and always < size.
 */
#ifndef KITE_CORE_MMIO_H
#define KITE_CORE_MMIO_H

#include <stdbool.h>
#include <stdint.h>

struct mmio_region {
    const char *name;
    uint64_t base;
    uint64_t size;
    void *opaque;
    /* size is 1, 2, 4 or 8. A device ignores widths it does not support (and logs once). */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
};

#define MMIO_MAX_REGIONS 64

struct mmio_bus {
    struct mmio_region regions[MMIO_MAX_REGIONS];
    int count;
};

/* Returns 0, or -EEXIST on overlap, -ENOSPC when the table is full. */
int mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *region);
const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t addr);
/* false when no device claims [addr, addr+size): the caller raises an access fault. */
bool mmio_bus_read(const struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *value);
bool mmio_bus_write(const struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t value);

#endif
