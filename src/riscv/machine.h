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

/* --rng: a virtio-rng device fed by getrandom(), optionally rate limited. */
struct rv_rng_config {
    bool enabled;
    uint64_t rate;      /* bytes per second, 0 = unlimited */
    uint64_t burst;     /* bytes, 0 = rate */
};

/* --port NAME=stdio|pty|unix:PATH: a named virtio-console port and its host end. */
enum rv_port_kind { RV_PORT_STDIO, RV_PORT_PTY, RV_PORT_UNIX };
#define RV_MAX_PORTS 7
#define RV_VIRTIO_SLOTS 8       /* virtio-mmio slots of the virt board (VIRT_VIRTIO_SLOTS) */

struct rv_port_config {
    const char *name;
    enum rv_port_kind kind;
    const char *path;       /* RV_PORT_UNIX */
};

/* --disk: a virtio-blk device on a raw image. */
#define RV_MAX_DISKS 7
struct rv_disk_config {
    const char *path;
    bool read_only;
    bool snapshot;
    int cache;              /* enum block_cache */
    const char *serial;     /* NULL = none */
};

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
    struct rv_rng_config rng;
    bool virtio_console;    /* --console virtio: the guest console is hvc0, not the UART */
    enum rv_uart uart;
    struct rv_port_config ports[RV_MAX_PORTS];
    unsigned num_ports;
    struct rv_disk_config disks[RV_MAX_DISKS];  /* /dev/vda, /dev/vdb, ... in this order */
    int ndisks;
};

/* How many virtio-mmio slots the configuration fills (at most RV_VIRTIO_SLOTS fit). */
int rv_machine_virtio_slots(const struct rv_machine_config *cfg);

/* Builds the machine, runs it until the guest stops, returns a kite_exit (or, for a
 * bare-metal HTIF test that failed, the failing test number). */
int rv_machine_run(const struct rv_machine_config *cfg);

#endif
