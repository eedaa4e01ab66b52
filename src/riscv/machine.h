/* kite's RISC-V machine: a QEMU-virt-like board around one RV64GC hart. */
#ifndef KITE_RISCV_MACHINE_H
#define KITE_RISCV_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses of `kite run`, documented in the README and `kite run --help`. */
enum kite_exit {
    KITE_EXIT_OK = 0,          /* guest powered off (or bare-metal test passed) */
    KITE_EXIT_GUEST_FAIL = 1,  /* guest reported failure (sifive,test FAIL) or a runtime error */
    KITE_EXIT_USAGE = 2,       /* bad command line or image: nothing ran */
    KITE_EXIT_REBOOT = 3,      /* guest asked to reboot and --no-reboot was given */
};

#define RV_VIRTIO_SLOTS 8       /* virtio-mmio slots of the virt board (VIRT_VIRTIO_SLOTS) */

struct device_list;

/* --uart: which serial ports the board has. The one that gets kite's stdio input is the
 * 16550 unless the SiFive UART is the only one. */
enum rv_uart { RV_UART_NS16550A, RV_UART_SIFIVE, RV_UART_BOTH };

struct rv_machine_config {
    uint64_t ram_size;
    const char *bios;       /* firmware: raw binary at RAM base, or ELF (bare-metal tests) */
    const char *kernel;     /* raw RISC-V Image, loaded at RAM base + 2 MiB; NULL = none */
    const char *initrd;
    const char *append;     /* kernel command line */
    bool no_reboot;
    /* The VirtIO devices (from the device registry), and the transport of those that do
     * not name one. */
    const struct device_list *devices;
    int default_transport;  /* enum virtio_transport_kind: MMIO or PCI */
    bool aia;               /* --irqchip aia: APLIC + IMSIC instead of the PLIC */
    int engine;             /* enum rv_engine: 0 = the JIT where the host has one */
    enum rv_uart uart;
    const char *qmp_path;   /* --qmp: the QMP socket, NULL = none */
    /* --icount[=SHIFT]: guest time from retired instructions (2^shift ns each), host I/O
     * completed at deterministic points, seeded entropy: the same inputs replay exactly. */
    bool icount;
    unsigned icount_shift;
};

/*
 * Where the board puts the devices: checks that they fit (virtio-mmio slots, PCI slots)
 * and returns how many virtio-mmio slots they fill, or -1 with a reason in *why.
 */
int rv_machine_place_devices(const struct rv_machine_config *cfg, const char **why);

/* Builds the machine, runs it until the guest stops, returns a kite_exit (or, for a
 * bare-metal HTIF test that failed, the failing test number). */
int rv_machine_run(const struct rv_machine_config *cfg);

#endif
