/*
 * PCI device framework: one PCI function (type 0 header) as the guest sees it through
 * configuration space and its BARs. A device model (virtio-pci, a test device) describes
 * itself with struct pci_device_info, declares its BARs, capabilities and MSI-X, and gets
 * callbacks for the BAR accesses and config writes it cares about. Everything else (masks,
 * BAR sizing, the capability list, INTx gating, the MSI-X table and PBA) is done here.
 *
 * Life of a device:
 *     struct pci_device *d = pci_device_new(&info);
 *     pci_device_add_bar(d, 1, PCI_BAR_MEM32, 4096);           BARs before pci_msix_init
 *     pci_device_add_bar(d, 4, PCI_BAR_MEM64, 16384);
 *     off = pci_add_capability(d, PCI_CAP_ID_VNDR, bytes, len);  as many as fit in 256 bytes
 *     pci_msix_init(d, nvec, 1, 0, 1, 0x800);                   table and PBA in BAR 1 (MEM32)
 *     pci_host_plug(host, d, slot);                             see hw/pci_host.h
 *     ... pci_set_irq(d, 1) / pci_msix_notify(d, v) while running ...
 *     pci_device_free(d);                                       unplugs it too
 *
 * Configuration space rules (what the guest can do):
 * - 4 KiB per function; every byte has a write mask (bits the guest may change) and a
 *   write-1-to-clear mask. Bytes 0x100..0xfff read 0 (no extended capabilities) and are
 *   read-only. Accesses of 1, 2 or 4 bytes at any offset are served byte by byte (an
 *   unaligned one is logged once); bytes past 4 KiB read 0xff and are not written.
 * - Command: I/O and memory decoding, bus master, parity/SERR enables and INTx disable are
 *   writable; status has the error bits as W1C, "capabilities list" and "interrupt
 *   status" read-only.
 * - BARs are sized the usual way (write all-ones, read the mask) with decoding on or off.
 *   A BAR decodes when its space is enabled in the command register and it is fully
 *   programmed: a 64-bit BAR whose low dword was written does not decode until its high
 *   dword is written too. Where a decoding BAR ends up (windows, overlaps) is the host
 *   bridge's business: see hw/pci_host.h.
 * - The expansion ROM BAR is not implemented (reads 0 whatever is written).
 *
 * Threading: none; everything runs on the machine's thread.
 */
#ifndef KITE_HW_PCI_H
#define KITE_HW_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/msi.h"

#define PCI_CONFIG_SIZE     4096u
#define PCI_CONFIG_STD_SIZE 256u    /* standard capabilities live below this */
#define PCI_NUM_BARS        6
#define PCI_MSIX_MAX_VECTORS 2048u

/* Type 0 header offsets. */
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_REVISION_ID     0x08
#define PCI_CLASS_PROG      0x09
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10    /* BAR i at PCI_BAR0 + 4 * i */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_ROM_ADDRESS     0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d

#define PCI_COMMAND_IO            0x0001
#define PCI_COMMAND_MEMORY        0x0002
#define PCI_COMMAND_MASTER        0x0004
#define PCI_COMMAND_PARITY        0x0040
#define PCI_COMMAND_SERR          0x0100
#define PCI_COMMAND_INTX_DISABLE  0x0400

#define PCI_STATUS_INTERRUPT      0x0008
#define PCI_STATUS_CAP_LIST       0x0010
#define PCI_STATUS_W1C            0xf900  /* parity, aborts, SERR: write 1 to clear */

#define PCI_BAR_SPACE_IO          0x1
#define PCI_BAR_MEM_TYPE_64       0x4
#define PCI_BAR_MEM_PREFETCH      0x8

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

/* MSI-X capability: message control word and the table/PBA offset dwords. */
#define PCI_MSIX_FLAGS            2
#define PCI_MSIX_TABLE            4
#define PCI_MSIX_PBA              8
#define PCI_MSIX_CAP_SIZE         12
#define PCI_MSIX_FLAGS_QSIZE      0x07ff
#define PCI_MSIX_FLAGS_MASKALL    0x4000
#define PCI_MSIX_FLAGS_ENABLE     0x8000
#define PCI_MSIX_ENTRY_SIZE       16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1

enum pci_bar_type {
    PCI_BAR_NONE = 0,
    PCI_BAR_MEM32,      /* 32-bit memory BAR: size 16 bytes .. 2 GiB */
    PCI_BAR_MEM64,      /* 64-bit memory BAR: takes two slots (index and index + 1) */
    PCI_BAR_MEM64_PREFETCH,
    PCI_BAR_IO,         /* I/O BAR: size 4 .. 256 bytes */
};

struct pci_device_info {
    const char *name;               /* for log lines; kept as a pointer */
    uint16_t vendor_id, device_id;
    uint16_t subsystem_vendor_id, subsystem_id;
    uint8_t revision;
    uint32_t class_code;            /* base class << 16 | subclass << 8 | prog-if */
    uint8_t interrupt_pin;          /* 0 = no INTx, 1..4 = INTA..INTD */

    void *opaque;                   /* passed to every callback below */
    /*
     * BAR accesses the framework does not serve itself (everything but the MSI-X table and
     * PBA). `bar` is the BAR's index (the low one for 64-bit BARs); offset + size never
     * exceeds the BAR's size; size is 1, 2, 4 or 8. NULL: reads 0, writes are dropped.
     */
    uint64_t (*bar_read)(void *opaque, int bar, uint64_t offset, unsigned size);
    void (*bar_write)(void *opaque, int bar, uint64_t offset, uint64_t value, unsigned size);
    /*
     * Called after a guest config write was applied through the masks, with the access as
     * the guest made it (offset < PCI_CONFIG_SIZE, size 1..4, value as written). Optional.
     */
    void (*config_write)(void *opaque, unsigned offset, uint32_t value, unsigned size);
    /*
     * Called for every guest config read with the value the framework computed from the
     * stored bytes; returns the value the guest sees (e.g. virtio's pci_cfg_data window).
     * Optional.
     */
    uint32_t (*config_read)(void *opaque, unsigned offset, unsigned size, uint32_t value);
};

struct pci_device;

/* Returns NULL on allocation failure or an invalid info (interrupt_pin > 4). */
struct pci_device *pci_device_new(const struct pci_device_info *info);
/* Unplugs the device from its host bridge first, if it is plugged. NULL is fine. */
void pci_device_free(struct pci_device *d);
const char *pci_device_name(const struct pci_device *d);

/*
 * Declares BAR `index` (0..5; a 64-bit BAR also takes index + 1, so index <= 4). size is
 * a power of two: 16 bytes .. 2 GiB for MEM32, 16 bytes .. 2^63 for MEM64, 4..256 for IO.
 * Returns 0, or -EINVAL (bad index, type or size) / -EBUSY (slot already used).
 */
int pci_device_add_bar(struct pci_device *d, int index, enum pci_bar_type type, uint64_t size);

/*
 * Appends a capability to the list in standard config space (4-byte aligned, after the
 * header and any earlier capability) and returns its offset, or -EINVAL (len < 2 or
 * > 252) / -ENOSPC (does not fit below 256). `data` is the whole capability, header
 * included: data[0] and data[1] (ID and next pointer) are overwritten with `id` and the
 * list link. The bytes are read-only to the guest; pci_config_set_wmask opens some.
 * Example: virtio-pci's struct virtio_pci_cap, with id PCI_CAP_ID_VNDR and cap_len in it.
 */
int pci_add_capability(struct pci_device *d, uint8_t id, const void *data, unsigned len);

/*
 * Lets the guest write the bits of `mask` in the `len` bytes from `offset` (within one
 * capability the device added, e.g. virtio_pci_cfg_cap's bar/offset/length/data fields).
 * Returns 0 or -EINVAL when the range is not inside a capability the device added.
 */
int pci_config_set_wmask(struct pci_device *d, unsigned offset, unsigned len, uint8_t mask);

/* Device-side access to config space: no masks, no callbacks. size 1, 2 or 4; offsets
 * past the end read 0 and are not written. */
uint32_t pci_config_get(const struct pci_device *d, unsigned offset, unsigned size);
void pci_config_set(struct pci_device *d, unsigned offset, uint32_t value, unsigned size);

/*
 * Guest-side config access (what the host bridge's ECAM calls): masks, side effects,
 * callbacks. Any offset and size 1..4 is accepted (see the rules above).
 */
uint32_t pci_config_read(struct pci_device *d, unsigned offset, unsigned size);
void pci_config_write(struct pci_device *d, unsigned offset, uint32_t value, unsigned size);

/*
 * Guest-side BAR access (what the host bridge's windows call once they found the BAR):
 * MSI-X table and PBA first, then the device's callbacks. offset + size <= the BAR size,
 * size 1, 2, 4 or 8; anything else reads all-ones / is dropped, logged once.
 */
uint64_t pci_bar_read(struct pci_device *d, int bar, uint64_t offset, unsigned size);
void pci_bar_write(struct pci_device *d, int bar, uint64_t offset, uint64_t value,
                   unsigned size);

/*
 * Where BAR `bar` decodes, as far as the device is concerned: true with its type, base
 * and size when the BAR exists, its space is enabled in the command register and it is
 * fully programmed. For I/O BARs base is a PCI I/O address. base + size may overflow (a
 * BAR at the top of the address space): the host checks.
 */
bool pci_bar_decoding(const struct pci_device *d, int bar, enum pci_bar_type *type,
                      uint64_t *base, uint64_t *size);

/*
 * INTx: the device's level (1 asserted, 0 not). Shows in the status register's interrupt
 * bit; reaches the host bridge's line unless the guest set INTx disable or enabled MSI-X.
 * Does nothing for a device without an interrupt pin.
 */
void pci_set_irq(struct pci_device *d, int level);

/*
 * MSI-X with `nvectors` vectors (1..PCI_MSIX_MAX_VECTORS): adds the capability and puts
 * the table (16 bytes a vector) and the PBA (8 bytes per 64 vectors) at the given
 * offsets of the given memory BARs, which must be declared already. Offsets are 8-byte
 * aligned; table and PBA lie inside their BARs and do not overlap. The framework serves
 * every access to them; the rest of the BAR goes to the device. All vectors start
 * masked, as the spec says. Returns 0, -EINVAL, -EBUSY (already done), -ENOSPC or
 * -ENOMEM.
 */
int pci_msix_init(struct pci_device *d, unsigned nvectors, int table_bar, uint32_t table_offset,
                  int pba_bar, uint32_t pba_offset);
/* The number of vectors (0 without MSI-X): a vector number the guest gives (virtio's
 * queue_msix_vector) is valid only below it. */
unsigned pci_msix_vectors(const struct pci_device *d);
/* MSI-X is enabled in the message control word (the device must use it, not INTx). */
bool pci_msix_enabled(const struct pci_device *d);

enum pci_msix_result {
    PCI_MSIX_SENT = 0,      /* the message went to the MSI sink */
    PCI_MSIX_PENDING = 1,   /* masked (function or vector): the pending bit is set and the
                               message goes out when it is unmasked */
};
/*
 * Signals `vector`. Returns PCI_MSIX_SENT or PCI_MSIX_PENDING, or -EINVAL for a vector
 * at or beyond the table (never used as an index; logged once), -ENODEV when MSI-X is
 * not enabled (the device should use INTx; nothing is recorded).
 */
int pci_msix_notify(struct pci_device *d, unsigned vector);

/*
 * For the host bridge (hw/pci_host.c) only: how a plugged device reports to it. remap is
 * called when anything that decides where a BAR decodes may have changed (a BAR, the
 * command register); set_intx with the device's effective INTx level.
 */
struct pci_bus_link {
    void *opaque;
    void (*remap)(void *opaque);
    void (*set_intx)(void *opaque, struct pci_device *d, int level);
    void (*unplug)(void *opaque, struct pci_device *d);
    struct msi_sink msi;
};
/* Returns 0, or -EBUSY when the device is already plugged somewhere. */
int pci_device_link(struct pci_device *d, const struct pci_bus_link *link);
void pci_device_unlink(struct pci_device *d);
uint8_t pci_device_irq_pin(const struct pci_device *d);

#endif
