/*
 * PCI device framework (hw/pci.c): config-space masks, BAR sizing and moving, the
 * capability list, accesses straddling capabilities or running past 4 KiB, INTx gating,
 * MSI-X (table writes of every size, masking, pending bits, vectors beyond the table).
 * Everything is driven through the guest-side calls the host bridge uses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/pci.h"
#include "test_pci_device.h"

struct msi_log {
    unsigned count;
    uint64_t addr;
    uint32_t data;
};

static void record_msi(void *opaque, uint64_t addr, uint32_t data)
{
    struct msi_log *l = opaque;
    l->count++;
    l->addr = addr;
    l->data = data;
}

struct intx_log {
    unsigned changes;
    int level;
};

static void record_intx(void *opaque, struct pci_device *d, int level)
{
    struct intx_log *l = opaque;
    l->changes++;
    l->level = level;
}

static unsigned remaps;

static void count_remap(void *opaque)
{
    remaps++;
}

struct fixture {
    struct tdev t;
    struct msi_log msi;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(tdev_init(&f->t, "tdev"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pci_device_free(f->t.d);
    test_free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, unsigned off, unsigned size)
{
    return pci_config_read(f->t.d, off, size);
}

static void wr(struct fixture *f, unsigned off, uint32_t v, unsigned size)
{
    pci_config_write(f->t.d, off, v, size);
}

static void test_header_read_only(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, PCI_VENDOR_ID, 2), TDEV_VENDOR);
    assert_int_equal(rd(f, PCI_DEVICE_ID, 2), TDEV_DEVICE);
    assert_int_equal(rd(f, PCI_VENDOR_ID, 4), TDEV_VENDOR | TDEV_DEVICE << 16);
    assert_int_equal(rd(f, PCI_REVISION_ID, 4), 0xff000002);
    wr(f, PCI_VENDOR_ID, 0xffffffff, 4);
    wr(f, PCI_REVISION_ID, 0, 4);
    wr(f, PCI_HEADER_TYPE, 0xff, 1);
    wr(f, PCI_SUBSYSTEM_VENDOR_ID, 0, 4);
    wr(f, PCI_INTERRUPT_PIN, 4, 1);
    wr(f, PCI_CAPABILITY_LIST, 0x80, 1);
    assert_int_equal(rd(f, PCI_VENDOR_ID, 4), TDEV_VENDOR | TDEV_DEVICE << 16);
    assert_int_equal(rd(f, PCI_REVISION_ID, 4), 0xff000002);
    assert_int_equal(rd(f, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(rd(f, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x0001abcd);
    assert_int_equal(rd(f, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(rd(f, PCI_CAPABILITY_LIST, 1), 0x40);
    /* Writable: interrupt line and cache line size; the latency timer is not. */
    wr(f, PCI_INTERRUPT_LINE, 0x21, 1);
    assert_int_equal(rd(f, PCI_INTERRUPT_LINE, 1), 0x21);
    wr(f, PCI_CACHE_LINE_SIZE, 0xffff, 2);
    assert_int_equal(rd(f, PCI_CACHE_LINE_SIZE, 2), 0x00ff);
    /* The expansion ROM BAR is not implemented: sizing it gives 0. */
    wr(f, PCI_ROM_ADDRESS, 0xffffffff, 4);
    assert_int_equal(rd(f, PCI_ROM_ADDRESS, 4), 0);
}

static void test_command_and_status(void **state)
{
    struct fixture *f = *state;
    wr(f, PCI_COMMAND, 0xffff, 2);
    assert_int_equal(rd(f, PCI_COMMAND, 2), 0x0547);
    wr(f, PCI_COMMAND, 0, 2);
    assert_int_equal(rd(f, PCI_COMMAND, 2), 0);
    /* Status: capabilities bit is read-only and set; error bits are W1C. */
    assert_int_equal(rd(f, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
    pci_config_set(f->t.d, PCI_STATUS, 0xf900 | PCI_STATUS_CAP_LIST, 2);
    wr(f, PCI_STATUS, 0x0000, 2);
    assert_int_equal(rd(f, PCI_STATUS, 2), 0xf900 | PCI_STATUS_CAP_LIST);
    wr(f, PCI_STATUS, 0x2100 | PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT, 2);
    assert_int_equal(rd(f, PCI_STATUS, 2), 0xd800 | PCI_STATUS_CAP_LIST);
    /* A dword write at 0x04 reaches command and status at once. */
    wr(f, PCI_COMMAND, 0xffff0002, 4);
    assert_int_equal(rd(f, PCI_COMMAND, 4), PCI_STATUS_CAP_LIST << 16 | 2);
}

static void test_bar_sizing_32(void **state)
{
    struct fixture *f = *state;
    for (int decode = 0; decode < 2; decode++) {
        wr(f, PCI_COMMAND, decode ? PCI_COMMAND_MEMORY | PCI_COMMAND_IO : 0, 2);
        wr(f, PCI_BAR0, 0xffffffff, 4);
        assert_int_equal(rd(f, PCI_BAR0, 4), ~(TDEV_BAR0_SIZE - 1));
        /* Moved: the low bits are read-only type bits. */
        wr(f, PCI_BAR0, 0x40001fff, 4);
        assert_int_equal(rd(f, PCI_BAR0, 4), 0x40001000);
        /* I/O BAR: bit 0 set, 32 bytes. */
        wr(f, PCI_BAR0 + 16, 0xffffffff, 4);
        assert_int_equal(rd(f, PCI_BAR0 + 16, 4), ~(TDEV_BAR4_SIZE - 1) | 1);
        /* Unimplemented BARs stay 0. */
        wr(f, PCI_BAR0 + 4, 0xffffffff, 4);
        wr(f, PCI_BAR0 + 20, 0xffffffff, 4);
        assert_int_equal(rd(f, PCI_BAR0 + 4, 4), 0);
        assert_int_equal(rd(f, PCI_BAR0 + 20, 4), 0);
    }
    enum pci_bar_type type;
    uint64_t base, size;
    assert_true(pci_bar_decoding(f->t.d, 0, &type, &base, &size));
    assert_int_equal(type, PCI_BAR_MEM32);
    assert_int_equal(base, 0x40001000);
    assert_int_equal(size, TDEV_BAR0_SIZE);
    assert_true(pci_bar_decoding(f->t.d, 4, &type, &base, &size));
    assert_int_equal(type, PCI_BAR_IO);
    assert_int_equal(base, 0xffffffe0);
    assert_false(pci_bar_decoding(f->t.d, 1, &type, &base, &size));
    assert_false(pci_bar_decoding(f->t.d, 3, &type, &base, &size));
    assert_false(pci_bar_decoding(f->t.d, 6, &type, &base, &size));
    assert_false(pci_bar_decoding(f->t.d, -1, &type, &base, &size));
    /* Decoding off: the BAR keeps its address but does not decode. */
    wr(f, PCI_COMMAND, PCI_COMMAND_IO, 2);
    assert_false(pci_bar_decoding(f->t.d, 0, &type, &base, &size));
    assert_true(pci_bar_decoding(f->t.d, 4, &type, &base, &size));
    wr(f, PCI_COMMAND, 0, 2);
    assert_false(pci_bar_decoding(f->t.d, 4, &type, &base, &size));
}

static void test_bar_sizing_64(void **state)
{
    struct fixture *f = *state;
    enum pci_bar_type type;
    uint64_t base, size;
    unsigned lo = PCI_BAR0 + 8, hi = PCI_BAR0 + 12;
    wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    /* Linux's order: size the low dword, restore it, then the high one. */
    wr(f, lo, 0xffffffff, 4);
    assert_int_equal(rd(f, lo, 4), ~(TDEV_BAR2_SIZE - 1) | PCI_BAR_MEM_TYPE_64);
    assert_false(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    wr(f, lo, 0, 4);
    wr(f, hi, 0xffffffff, 4);
    assert_int_equal(rd(f, hi, 4), 0xffffffff);
    wr(f, hi, 0, 4);
    assert_int_equal(rd(f, hi, 4), 0);
    /* Moved above 4 GiB: half-written, it does not decode. */
    wr(f, lo, 0x00004000, 4);
    assert_false(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    wr(f, hi, 0x4, 4);
    assert_true(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    assert_int_equal(type, PCI_BAR_MEM64);
    assert_int_equal(base, 0x400004000ULL);
    assert_int_equal(size, TDEV_BAR2_SIZE);
    /* A byte write to the low dword counts as the start of a move too. */
    wr(f, lo + 1, 0x80, 1);
    assert_false(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    wr(f, hi, 0x4, 4);
    assert_true(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    assert_int_equal(base, 0x400008000ULL);
    /* A 64-bit BAR at the very top of the address space: reported as it is. */
    wr(f, lo, 0xffffc000, 4);
    wr(f, hi, 0xffffffff, 4);
    assert_true(pci_bar_decoding(f->t.d, 2, &type, &base, &size));
    assert_int_equal(base, 0xffffffffffffc000ULL);
}

static void test_add_bar_errors(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pci_device_add_bar(f->t.d, 0, PCI_BAR_MEM32, 4096), -EBUSY);
    assert_int_equal(pci_device_add_bar(f->t.d, 3, PCI_BAR_MEM32, 4096), -EBUSY);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_MEM64, 4096), -EBUSY);
    assert_int_equal(pci_device_add_bar(f->t.d, 5, PCI_BAR_MEM64, 4096), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 6, PCI_BAR_MEM32, 4096), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, -1, PCI_BAR_MEM32, 4096), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_MEM32, 3000), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_MEM32, 8), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_MEM32, 1ULL << 32), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_IO, 512), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, (enum pci_bar_type)99, 4096), -EINVAL);
    assert_int_equal(pci_device_add_bar(f->t.d, 1, PCI_BAR_MEM32, 1ULL << 31), 0);
    wr(f, PCI_BAR0 + 4, 0xffffffff, 4);
    assert_int_equal(rd(f, PCI_BAR0 + 4, 4), 0x80000000);
}

/* Walks the list as a guest does: IDs in order, every pointer inside 0x40..0xff. */
static int walk(struct fixture *f, uint8_t *ids, int max)
{
    int n = 0;
    unsigned ptr = rd(f, PCI_CAPABILITY_LIST, 1);
    while (ptr && n < max) {
        assert_true(ptr >= 0x40 && ptr <= 0xfc);
        assert_int_equal(ptr % 4, 0);
        ids[n++] = (uint8_t)rd(f, ptr, 1);
        ptr = rd(f, ptr + 1, 1);
    }
    assert_int_equal(ptr, 0);
    return n;
}

static void test_capability_list(void **state)
{
    struct fixture *f = *state;
    uint8_t ids[64];
    assert_int_equal(walk(f, ids, 64), 2);
    assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
    assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
    assert_int_equal(f->t.vndr_cap, 0x40);
    /* The vendor capability keeps its own bytes after the header. */
    assert_int_equal(rd(f, 0x42, 2), 0x4210);
    assert_int_equal(rd(f, 0x44, 4), 0x04030201);
    /* Filling standard config space: offsets go up 4-aligned until nothing fits. */
    uint8_t body[6] = {0};
    int last = 0, added = 0;
    for (;;) {
        int off = pci_add_capability(f->t.d, 0x0a, body, sizeof(body));
        if (off < 0) {
            assert_int_equal(off, -ENOSPC);
            break;
        }
        assert_true(off > last && off % 4 == 0 && off + 6 <= 256);
        last = off;
        added++;
    }
    assert_int_equal(added, 20);   /* 0x5c, 0x64, ... 0xf4 */
    assert_int_equal(walk(f, ids, 64), 2 + added);
    assert_int_equal(pci_add_capability(f->t.d, 0x0a, body, 1), -EINVAL);
    assert_int_equal(pci_add_capability(f->t.d, 0x0a, NULL, 4), -EINVAL);
    assert_int_equal(pci_add_capability(f->t.d, 0x0a, body, 300), -EINVAL);
    /* Extended space has no capabilities. */
    assert_int_equal(rd(f, 0x100, 4), 0);
}

static void test_capability_write_masks(void **state)
{
    struct fixture *f = *state;
    unsigned c = (unsigned)f->t.vndr_cap;
    /* Only bytes 8..11 of the capability are writable; the header never is. */
    wr(f, c, 0xffffffff, 4);
    wr(f, c + 4, 0xffffffff, 4);
    wr(f, c + 8, 0xdeadbeef, 4);
    wr(f, c + 12, 0, 4);
    assert_int_equal(rd(f, c, 4), 0x42100000u | (unsigned)(f->t.msix_cap << 8) | 0x09);
    assert_int_equal(rd(f, c + 4, 4), 0x04030201);
    assert_int_equal(rd(f, c + 8, 4), 0xdeadbeef);
    assert_int_equal(rd(f, c + 12, 4), 0x09090909);
    /* A dword straddling the read-only and writable bytes changes only the latter. */
    wr(f, c + 6, 0x11223344, 4);
    assert_int_equal(rd(f, c + 4, 4), 0x04030201);
    assert_int_equal(rd(f, c + 8, 4), 0xdead1122);
    /* A read straddling two capabilities sees both. */
    assert_int_equal(rd(f, c + 14, 4), 0x00110909);
    assert_int_equal(f->t.last_cfg_off, c + 6);
    assert_int_equal(f->t.last_cfg_val, 0x11223344);
    assert_int_equal(f->t.last_cfg_size, 4);
    /* Masks only open inside capabilities the device added, never their headers. */
    assert_int_equal(pci_config_set_wmask(f->t.d, c, 2, 0xff), -EINVAL);
    assert_int_equal(pci_config_set_wmask(f->t.d, c + 14, 4, 0xff), -EINVAL);
    assert_int_equal(pci_config_set_wmask(f->t.d, 0x00, 2, 0xff), -EINVAL);
    assert_int_equal(pci_config_set_wmask(f->t.d, 0xf0, 4, 0xff), -EINVAL);
}

static void test_odd_config_accesses(void **state)
{
    struct fixture *f = *state;
    /* Unaligned: served byte by byte. */
    assert_int_equal(rd(f, 1, 4), (TDEV_VENDOR >> 8) | TDEV_DEVICE << 8 |
                                      (rd(f, PCI_COMMAND, 1) << 24));
    wr(f, 0x3b, 0x0005aa00, 4);   /* bytes 0x3b..0x3e: only the interrupt line writable */
    assert_int_equal(rd(f, PCI_INTERRUPT_LINE, 1), 0xaa);
    assert_int_equal(rd(f, PCI_INTERRUPT_PIN, 1), 1);
    /* Past 4 KiB: bytes beyond read all-ones, nothing is written out of bounds. */
    assert_int_equal(rd(f, 0xffe, 4), 0xffff0000);
    assert_int_equal(rd(f, 0xfff, 2), 0xff00);
    assert_int_equal(rd(f, 0x1000, 4), 0xffffffff);
    assert_int_equal(rd(f, 0xffffffff, 4), 0xffffffff);
    unsigned before = f->t.cfg_writes;
    wr(f, 0xffe, 0xffffffff, 4);
    wr(f, 0x1000, 0xffffffff, 4);
    wr(f, 0xffffffff, 0xffffffff, 4);
    assert_int_equal(rd(f, 0xffc, 4), 0);
    assert_int_equal(f->t.cfg_writes, before + 1);   /* the clipped one, at 0xffe */
    assert_int_equal(f->t.last_cfg_size, 2);
    /* Sizes other than 1..4 are refused. */
    assert_int_equal(rd(f, 0, 0), 0xffffffff);
    assert_int_equal(rd(f, 0, 8), 0xffffffff);
    wr(f, PCI_COMMAND, 2, 8);
    assert_int_equal(rd(f, PCI_COMMAND, 2), 0);
}

/* virtio's pci_cfg_data window: the device supplies what a config read returns. */
static uint32_t window_read(void *opaque, unsigned offset, unsigned size, uint32_t value)
{
    return offset == 0x2c ? 0xcafef00d : value;
}

static void test_config_read_hook(void **state)
{
    (void)state;
    struct pci_device_info info = {.vendor_id = 1, .device_id = 2, .config_read = window_read};
    struct pci_device *d = pci_device_new(&info);
    assert_non_null(d);
    assert_int_equal(pci_config_read(d, 0, 4), 0x00020001);
    assert_int_equal(pci_config_read(d, 0x2c, 4), 0xcafef00d);
    assert_int_equal(pci_config_read(d, 0x2c, 2), 0xf00d);   /* cut to the access size */
    assert_int_equal(pci_config_get(d, 0x2c, 4), 0);
    pci_device_free(d);
    info.interrupt_pin = 5;
    assert_null(pci_device_new(&info));
    assert_null(pci_device_new(NULL));
}

static void test_intx(void **state)
{
    struct fixture *f = *state;
    struct intx_log l = {0};
    struct pci_bus_link link = {.opaque = &l, .set_intx = record_intx};
    assert_int_equal(pci_device_link(f->t.d, &link), 0);
    assert_int_equal(pci_device_link(f->t.d, &link), -EBUSY);
    pci_set_irq(f->t.d, 1);
    assert_int_equal(l.level, 1);
    assert_true(rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* INTx disable: the status still shows it, the line drops. */
    wr(f, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    assert_int_equal(l.level, 0);
    assert_true(rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    wr(f, PCI_COMMAND, 0, 2);
    assert_int_equal(l.level, 1);
    /* MSI-X enabled: no INTx. */
    wr(f, (unsigned)f->t.msix_cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(l.level, 0);
    wr(f, (unsigned)f->t.msix_cap + PCI_MSIX_FLAGS, 0, 2);
    assert_int_equal(l.level, 1);
    pci_set_irq(f->t.d, 0);
    assert_int_equal(l.level, 0);
    assert_false(rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    unsigned changes = l.changes;
    pci_set_irq(f->t.d, 0);
    assert_int_equal(l.changes, changes);
    pci_device_unlink(f->t.d);
}

static void test_remap_notifications(void **state)
{
    struct fixture *f = *state;
    struct pci_bus_link link = {.remap = count_remap};
    assert_int_equal(pci_device_link(f->t.d, &link), 0);
    remaps = 0;
    wr(f, PCI_BAR0, 0x40000000, 4);
    assert_int_equal(remaps, 1);
    wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_int_equal(remaps, 2);
    wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    assert_int_equal(remaps, 2);
    wr(f, PCI_INTERRUPT_LINE, 3, 1);
    assert_int_equal(remaps, 2);
    pci_device_unlink(f->t.d);
}

/* MSI-X set up as Linux does it: entries written, then enabled with the function mask. */
static void msix_setup(struct fixture *f)
{
    struct pci_bus_link link = {.msi = {.opaque = &f->msi, .send = record_msi}};
    assert_int_equal(pci_device_link(f->t.d, &link), 0);
    for (unsigned v = 0; v < TDEV_MSIX_VECTORS; v++) {
        uint64_t e = TDEV_TABLE_OFF + 16 * v;
        pci_bar_write(f->t.d, 2, e, 0x24000000 + 0x1000 * v, 4);
        pci_bar_write(f->t.d, 2, e + 4, 0, 4);
        pci_bar_write(f->t.d, 2, e + 8, 100 + v, 4);
    }
    wr(f, (unsigned)f->t.msix_cap + PCI_MSIX_FLAGS,
       PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    wr(f, (unsigned)f->t.msix_cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
}

static uint64_t pba(struct fixture *f)
{
    return pci_bar_read(f->t.d, 2, TDEV_PBA_OFF, 8);
}

static void test_msix_capability(void **state)
{
    struct fixture *f = *state;
    unsigned c = (unsigned)f->t.msix_cap;
    assert_int_equal(rd(f, c, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(rd(f, c + PCI_MSIX_FLAGS, 2), TDEV_MSIX_VECTORS - 1);
    assert_int_equal(rd(f, c + PCI_MSIX_TABLE, 4), TDEV_TABLE_OFF | 2);
    assert_int_equal(rd(f, c + PCI_MSIX_PBA, 4), TDEV_PBA_OFF | 2);
    /* The table size is read-only; enable and mask-all are not. */
    wr(f, c + PCI_MSIX_FLAGS, 0xffff, 2);
    assert_int_equal(rd(f, c + PCI_MSIX_FLAGS, 2), 0xc000 | (TDEV_MSIX_VECTORS - 1));
    assert_true(pci_msix_enabled(f->t.d));
    assert_int_equal(pci_msix_vectors(f->t.d), TDEV_MSIX_VECTORS);
    wr(f, c + PCI_MSIX_TABLE, 0, 4);
    assert_int_equal(rd(f, c + PCI_MSIX_TABLE, 4), TDEV_TABLE_OFF | 2);
    /* Every vector starts masked. */
    for (unsigned v = 0; v < TDEV_MSIX_VECTORS; v++)
        assert_int_equal(pci_bar_read(f->t.d, 2, TDEV_TABLE_OFF + 16 * v + 12, 4), 1);
    /* Bad placements are refused. */
    assert_int_equal(pci_msix_init(f->t.d, 4, 0, 0, 0, 0x800), -EBUSY);
    struct pci_device_info info = {.vendor_id = 1};
    struct pci_device *d = pci_device_new(&info);
    assert_non_null(d);
    assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 4096), 0);
    assert_int_equal(pci_device_add_bar(d, 1, PCI_BAR_IO, 64), 0);
    assert_int_equal(pci_msix_init(d, 0, 0, 0, 0, 0x800), -EINVAL);
    assert_int_equal(pci_msix_init(d, 2049, 0, 0, 0, 0x800), -EINVAL);
    assert_int_equal(pci_msix_init(d, 4, 1, 0, 0, 0x800), -EINVAL);     /* I/O BAR */
    assert_int_equal(pci_msix_init(d, 4, 2, 0, 0, 0x800), -EINVAL);     /* no BAR */
    assert_int_equal(pci_msix_init(d, 4, 0, 4, 0, 0x800), -EINVAL);     /* unaligned */
    assert_int_equal(pci_msix_init(d, 4, 0, 0, 0, 0x30), -EINVAL);      /* overlap */
    assert_int_equal(pci_msix_init(d, 4, 0, 0xff8, 0, 0x800), -EINVAL); /* past BAR */
    assert_int_equal(pci_msix_init(d, 256, 0, 0, 0, 0xff8), -EINVAL);
    assert_int_equal(pci_msix_init(d, 250, 0, 0, 0, 0xfa0), 0);
    assert_int_equal(pci_msix_vectors(d), 250);
    pci_device_free(d);
}

static void test_msix_delivery(void **state)
{
    struct fixture *f = *state;
    msix_setup(f);
    /* Masked at reset: pending, nothing sent. */
    assert_int_equal(pci_msix_notify(f->t.d, 3), PCI_MSIX_PENDING);
    assert_int_equal(f->msi.count, 0);
    assert_int_equal(pba(f), 1u << 3);
    /* Unmasking vector 3 sends its message and clears the bit. */
    pci_bar_write(f->t.d, 2, TDEV_TABLE_OFF + 16 * 3 + 12, 0, 4);
    assert_int_equal(f->msi.count, 1);
    assert_int_equal(f->msi.addr, 0x24003000);
    assert_int_equal(f->msi.data, 103);
    assert_int_equal(pba(f), 0);
    assert_int_equal(pci_msix_notify(f->t.d, 3), PCI_MSIX_SENT);
    assert_int_equal(f->msi.count, 2);
    /* A 64-bit address is sent whole. */
    pci_bar_write(f->t.d, 2, TDEV_TABLE_OFF + 16 * 3, 0x0000000412345678ULL, 8);
    assert_int_equal(pci_msix_notify(f->t.d, 3), PCI_MSIX_SENT);
    assert_int_equal(f->msi.addr, 0x412345678ULL);
    /* Function mask: pending until cleared. */
    unsigned c = (unsigned)f->t.msix_cap;
    wr(f, c + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    assert_int_equal(pci_msix_notify(f->t.d, 3), PCI_MSIX_PENDING);
    assert_int_equal(f->msi.count, 3);
    wr(f, c + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(f->msi.count, 4);
    assert_int_equal(pba(f), 0);
    /* Re-masking the vector keeps it pending across function unmask. */
    pci_bar_write(f->t.d, 2, TDEV_TABLE_OFF + 16 * 3 + 12, 1, 4);
    assert_int_equal(pci_msix_notify(f->t.d, 3), PCI_MSIX_PENDING);
    wr(f, c + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(f->msi.count, 4);
    assert_int_equal(pba(f), 1u << 3);
    /* MSI-X off: the device is told to use INTx, nothing recorded. */
    wr(f, c + PCI_MSIX_FLAGS, 0, 2);
    assert_int_equal(pci_msix_notify(f->t.d, 5), -ENODEV);
    assert_int_equal(pba(f), 1u << 3);
    pci_device_unlink(f->t.d);
}

static void test_msix_vector_beyond_table(void **state)
{
    struct fixture *f = *state;
    msix_setup(f);
    unsigned bad[] = {TDEV_MSIX_VECTORS, TDEV_MSIX_VECTORS + 1, 0xffff, 0x7fffffff,
                      0xffffffffu};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pci_msix_notify(f->t.d, bad[i]), -EINVAL);
    assert_int_equal(f->msi.count, 0);
    assert_int_equal(pba(f), 0);
    /* A device without MSI-X refuses every vector. */
    struct pci_device_info info = {.vendor_id = 1};
    struct pci_device *d = pci_device_new(&info);
    assert_non_null(d);
    assert_int_equal(pci_msix_notify(d, 0), -EINVAL);
    assert_int_equal(pci_msix_vectors(d), 0);
    assert_false(pci_msix_enabled(d));
    pci_device_free(d);
    pci_device_unlink(f->t.d);
}

static void test_msix_odd_table_accesses(void **state)
{
    struct fixture *f = *state;
    msix_setup(f);
    uint64_t e = TDEV_TABLE_OFF + 16;   /* vector 1 */
    uint32_t addr = (uint32_t)pci_bar_read(f->t.d, 2, e, 4);
    /* Byte and halfword writes and misaligned dwords are dropped. */
    pci_bar_write(f->t.d, 2, e, 0xff, 1);
    pci_bar_write(f->t.d, 2, e + 2, 0xffff, 2);
    pci_bar_write(f->t.d, 2, e + 1, 0xffffffff, 4);
    pci_bar_write(f->t.d, 2, e + 4, 0xffffffffffffffffULL, 8);   /* qword misaligned */
    pci_bar_write(f->t.d, 2, e + 12, 0, 1);                      /* byte unmask */
    assert_int_equal(pci_bar_read(f->t.d, 2, e, 4), addr);
    assert_int_equal(pci_bar_read(f->t.d, 2, e + 4, 4), 0);
    assert_int_equal(pci_bar_read(f->t.d, 2, e + 12, 4), 1);
    /* Reads of any size are served. */
    assert_int_equal(pci_bar_read(f->t.d, 2, e + 1, 1), (addr >> 8) & 0xff);
    assert_int_equal(pci_bar_read(f->t.d, 2, e + 2, 2), addr >> 16);
    /* Reserved vector-control bits stay 0; a qword write at +8 sets data and control. */
    pci_bar_write(f->t.d, 2, e + 8, 0xfffffffe00000077ULL, 8);
    assert_int_equal(pci_bar_read(f->t.d, 2, e + 8, 8), 0x77);
    /* Accesses straddling the end of the table or the PBA are refused whole. */
    uint64_t end = TDEV_TABLE_OFF + 16 * TDEV_MSIX_VECTORS;
    assert_int_equal(pci_bar_read(f->t.d, 2, end - 4, 8), UINT64_MAX);
    pci_bar_write(f->t.d, 2, end - 4, 0, 8);
    assert_int_equal(pci_bar_read(f->t.d, 2, end - 4, 4), 1);
    unsigned writes = f->t.bar_writes;
    /* The PBA is read-only. */
    assert_int_equal(pci_msix_notify(f->t.d, 7), PCI_MSIX_PENDING);
    pci_bar_write(f->t.d, 2, TDEV_PBA_OFF, 0, 8);
    pci_bar_write(f->t.d, 2, TDEV_PBA_OFF, 0, 1);
    assert_int_equal(pba(f), 1u << 7);
    assert_int_equal(pci_bar_read(f->t.d, 2, TDEV_PBA_OFF, 1), 0x80);
    assert_int_equal(f->t.bar_writes, writes);
    assert_int_equal(f->msi.count, 0);
    pci_device_unlink(f->t.d);
}

static void test_bar_callbacks(void **state)
{
    struct fixture *f = *state;
    /* Outside the MSI-X structures, BAR accesses reach the device. */
    assert_int_equal(pci_bar_read(f->t.d, 0, 0x10, 4), 0x10);
    assert_int_equal(pci_bar_read(f->t.d, 2, 0x100, 8), (2ULL << 24) | 0x100);
    assert_int_equal(f->t.last_size, 8);
    pci_bar_write(f->t.d, 4, 3, 0x1ff, 1);
    assert_int_equal(f->t.last_bar, 4);
    assert_int_equal(f->t.last_off, 3);
    assert_int_equal(f->t.last_val, 0xff);
    unsigned reads = f->t.bar_reads, writes = f->t.bar_writes;
    /* Past the BAR, bad widths, missing BARs: all-ones, nothing reaches the device. */
    assert_int_equal(pci_bar_read(f->t.d, 0, TDEV_BAR0_SIZE - 2, 4), 0xffffffff);
    assert_int_equal(pci_bar_read(f->t.d, 0, UINT64_MAX - 1, 4), 0xffffffff);
    assert_int_equal(pci_bar_read(f->t.d, 0, 0, 3), 0xffffff);
    assert_int_equal(pci_bar_read(f->t.d, 1, 0, 4), 0xffffffff);
    assert_int_equal(pci_bar_read(f->t.d, 3, 0, 4), 0xffffffff);
    assert_int_equal(pci_bar_read(f->t.d, 9, 0, 4), 0xffffffff);
    pci_bar_write(f->t.d, 4, TDEV_BAR4_SIZE, 0, 1);
    pci_bar_write(f->t.d, -1, 0, 0, 4);
    pci_bar_write(f->t.d, 0, 0, 0, 16);
    assert_int_equal(f->t.bar_reads, reads);
    assert_int_equal(f->t.bar_writes, writes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_sizing_32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_sizing_64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_bar_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capability_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capability_write_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_config_accesses, setup, teardown),
        cmocka_unit_test(test_config_read_hook),
        cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remap_notifications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_capability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_vector_beyond_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_odd_table_accesses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_callbacks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
