#include "core/mmio.h"

#include <errno.h>
#include <string.h>

int mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *region)
{
    if (bus->count >= MMIO_MAX_REGIONS)
        return -ENOSPC;
    int pos = 0;
    while (pos < bus->count && bus->regions[pos].base < region->base)
        pos++;
    /* Reject overlap with either neighbour. */
    if (pos > 0) {
        const struct mmio_region *prev = &bus->regions[pos - 1];
        if (prev->base + prev->size > region->base)
            return -EEXIST;
    }
    if (pos < bus->count && region->base + region->size > bus->regions[pos].base)
        return -EEXIST;
    memmove(&bus->regions[pos + 1], &bus->regions[pos],
            (size_t)(bus->count - pos) * sizeof(*region));
    bus->regions[pos] = *region;
    bus->count++;
    return 0;
}

const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t addr)
{
    int lo = 0, hi = bus->count - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const struct mmio_region *r = &bus->regions[mid];
        if (addr < r->base)
            hi = mid - 1;
        else if (addr - r->base >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static const struct mmio_region *find_span(const struct mmio_bus *bus, uint64_t addr,
                                           unsigned size)
{
    const struct mmio_region *r = mmio_bus_find(bus, addr);
    if (!r || addr - r->base + size > r->size)
        return NULL;
    return r;
}

bool mmio_bus_read(const struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *value)
{
    const struct mmio_region *r = find_span(bus, addr, size);
    if (!r)
        return false;
    *value = r->read ? r->read(r->opaque, addr - r->base, size) : 0;
    return true;
}

bool mmio_bus_write(const struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
    const struct mmio_region *r = find_span(bus, addr, size);
    if (!r)
        return false;
    if (r->write)
        r->write(r->opaque, addr - r->base, value, size);
    return true;
}
