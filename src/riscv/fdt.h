/*
 * The device tree kite hands to OpenSBI (and through it to Linux), modelled on QEMU's virt
 * board so stock firmware and kernels find every device. Addresses come from virt_map.h.
 */
#ifndef KITE_RISCV_FDT_H
#define KITE_RISCV_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/pci_host.h"

struct rv_fdt_config {
    uint64_t ram_base, ram_size;
    int nharts;
    const char *isa;                        /* e.g. "rv64imafdc_zicntr_zicsr_zifencei_sstc" */
    const char *bootargs;                   /* NULL = no bootargs property */
    uint64_t initrd_start, initrd_end;      /* 0,0 = none */
    int virtio_slots;                       /* describe virtio-mmio slots 0..n-1 */
    const struct pci_host_config *pci;      /* NULL = no PCIe host bridge */
    bool aia;                               /* APLIC + IMSICs instead of the PLIC */
    /* Serial ports: the ns16550a unless no_ns16550, a sifive,uart0 too when sifive_uart.
     * stdout-path names the 16550 when it is there. */
    bool sifive_uart;
    bool no_ns16550;
    /* /chosen/rng-seed from a fixed generator rather than the host's (--icount replays). */
    bool fixed_rng_seed;
};

#define RV_FDT_MAX_HARTS 64

/*
 * Returns a malloc'd, packed FDT blob and its size, or NULL (after logging why) on an
 * invalid configuration or allocation failure. The caller frees it.
 */
void *rv_fdt_build(const struct rv_fdt_config *cfg, size_t *size_out);

#endif
