/*
 * A message-signalled interrupt: a 32-bit write of `data` to guest-physical `addr`.
 * Whoever raises MSIs (the APLIC in MSI mode, later PCI MSI-X) holds an msi_sink and never
 * knows which controller, if any, sits at the address; the sink drops what it cannot place.
 */
#ifndef KITE_CORE_MSI_H
#define KITE_CORE_MSI_H

#include <stdint.h>

struct msi_sink {
    void *opaque;
    void (*send)(void *opaque, uint64_t addr, uint32_t data);
};

static inline void msi_send(const struct msi_sink *s, uint64_t addr, uint32_t data)
{
    if (s->send)
        s->send(s->opaque, addr, data);
}

#endif
