/*
 * A message-signalled interrupt sink: where a device's MSI (a 32-bit write of `data` to
 * `addr`) goes. The interrupt controller that receives MSIs (the RISC-V IMSIC) implements
 * it; PCI MSI-X hands it the address and data the guest programmed, unchecked: the sink
 * decides what an address means and drops what it does not recognise.
 */
#ifndef KITE_CORE_MSI_H
#define KITE_CORE_MSI_H

#include <stdbool.h>
#include <stdint.h>

struct msi_sink {
    void *opaque;
    void (*send)(void *opaque, uint64_t addr, uint32_t data);
};

static inline bool msi_sink_present(const struct msi_sink *s)
{
    return s && s->send;
}

static inline void msi_send(const struct msi_sink *s, uint64_t addr, uint32_t data)
{
    if (msi_sink_present(s))
        s->send(s->opaque, addr, data);
}

#endif
