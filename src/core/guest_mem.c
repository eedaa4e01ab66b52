#include "core/guest_mem.h"

#include <stddef.h>

void *guest_mem_map(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    if (!m || !m->host || gpa < m->base)
        return NULL;
    uint64_t off = gpa - m->base;
    if (off > m->size || len > m->size - off)
        return NULL;
    return m->host + off;
}

void guest_mem_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    if (m && m->on_write && len)
        m->on_write(m->opaque, gpa, len);
}
