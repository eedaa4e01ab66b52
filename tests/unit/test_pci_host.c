/*
 * ECAM host bridge (hw/pci_host.c), driven through kite's MMIO bus as the hart drives
 * it: every bus/device/function at every width, slots, BAR dispatch through the windows,
 * BARs moved over RAM, over each other and to the top of the address space, half-written
 * 64-bit BARs with decoding on, the INTx swizzle on shared lines, MSI-X through a window,
 * unplugging, and the device-tree node next to QEMU virt's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "core/mmio.h"
#include "hw/pci_host.h"
#include "riscv/fdt.h"
#include "test_pci_device.h"

#define ECAM 0x30000000ULL
#define PIO 0x03000000ULL
#define MMIO32 0x40000000ULL
#define MMIO64 0x400000000ULL
#define RAM 0x80000000ULL

#define CFG(dev, reg) (ECAM + ((uint64_t)(dev) << 15) + (reg))

struct sentinel {
    unsigned reads, writes;
};

static uint64_t sentinel_read(void *opaque, uint64_t off, unsigned size)
{
    ((struct sentinel *)opaque)->reads++;
    return 0x5a5a5a5a;
}

static void sentinel_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    ((struct sentinel *)opaque)->writes++;
}

static int line_level[4];

static void set_line(void *opaque, int line, int level)
{
    line_level[line - 32] = level;
}

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

struct fixture {
    struct mmio_bus bus;
    struct pci_host *h;
    struct pci_host_config cfg;
    struct sentinel ram;        /* stands in for whatever else lives at an address */
    struct msi_log msi;
    struct tdev t[2];
};

static struct pci_host_config virt_config(struct msi_log *msi)
{
    struct pci_host_config c = {.ecam_base = ECAM, .io_base = PIO, .io_size = 0x10000,
                                .mmio32_base = MMIO32, .mmio32_size = 0x40000000,
                                .mmio64_base = MMIO64, .mmio64_size = 0x400000000ULL,
                                .msi = {.opaque = msi, .send = record_msi}};
    for (int i = 0; i < 4; i++)
        c.intx[i] = (struct irq_line){.set = set_line, .line = 32 + i};
    return c;
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    memset(line_level, 0, sizeof(line_level));
    f->cfg = virt_config(&f->msi);
    f->h = pci_host_new(&f->cfg);
    assert_non_null(f->h);
    assert_int_equal(pci_host_map(f->h, &f->bus), 0);
    struct mmio_region ram = {.name = "ram", .base = RAM, .size = 0x100000, .opaque = &f->ram,
                              .read = sentinel_read, .write = sentinel_write};
    assert_int_equal(mmio_bus_add(&f->bus, &ram), 0);
    assert_int_equal(tdev_init(&f->t[0], "tdev0"), 0);
    assert_int_equal(tdev_init(&f->t[1], "tdev1"), 0);
    assert_int_equal(pci_host_plug(f->h, f->t[0].d, 1), 1);
    assert_int_equal(pci_host_plug(f->h, f->t[1].d, 5), 5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pci_host_free(f->h);
    pci_device_free(f->t[0].d);
    pci_device_free(f->t[1].d);
    test_free(f);
    return 0;
}

static uint64_t rd(struct fixture *f, uint64_t addr, unsigned size)
{
    uint64_t v = 0xdead;
    assert_true(mmio_bus_read(&f->bus, addr, size, &v));
    return v;
}

static void wr(struct fixture *f, uint64_t addr, uint64_t v, unsigned size)
{
    assert_true(mmio_bus_write(&f->bus, addr, size, v));
}

static uint64_t all_ones(unsigned size)
{
    return size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static void test_ecam_every_function(void **state)
{
    struct fixture *f = *state;
    static const unsigned widths[] = {1, 2, 4, 8};
    for (unsigned bus = 0; bus < 256; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            for (unsigned fn = 0; fn < 8; fn++) {
                uint64_t base = ECAM + ((uint64_t)bus << 20) + (dev << 15) + (fn << 12);
                bool present = bus == 0 && fn == 0 && (dev == 0 || dev == 1 || dev == 5);
                uint32_t id = dev == 0 ? 0x00081b36 : TDEV_DEVICE << 16 | TDEV_VENDOR;
                for (size_t w = 0; w < 4; w++) {
                    unsigned size = widths[w];
                    uint64_t v = rd(f, base, size);
                    if (present) {
                        uint64_t want = id;
                        if (size == 8)
                            want |= (uint64_t)rd(f, base + 4, 4) << 32;
                        assert_int_equal(v, want & all_ones(size));
                    } else {
                        assert_int_equal(v, all_ones(size));
                        assert_int_equal(rd(f, base + 0xff8, size), all_ones(size));
                    }
                }
                if (!present)
                    wr(f, base + PCI_COMMAND, 0xffff, 2);
            }
        }
    }
    /* Writes to absent functions touched nobody. */
    assert_int_equal(rd(f, CFG(1, PCI_COMMAND), 2), 0);
    assert_int_equal(rd(f, CFG(5, PCI_COMMAND), 2), 0);
    assert_int_equal(rd(f, CFG(0, PCI_COMMAND), 2), 0);
}

static void test_host_bridge_function(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, CFG(0, PCI_VENDOR_ID), 4), 0x00081b36);
    assert_int_equal(rd(f, CFG(0, PCI_REVISION_ID), 4) >> 8, 0x060000);
    assert_int_equal(rd(f, CFG(0, PCI_HEADER_TYPE), 1), 0);
    assert_int_equal(rd(f, CFG(0, PCI_INTERRUPT_PIN), 1), 0);
    for (int b = 0; b < 6; b++) {
        wr(f, CFG(0, PCI_BAR0 + 4 * b), 0xffffffff, 4);
        assert_int_equal(rd(f, CFG(0, PCI_BAR0 + 4 * b), 4), 0);
    }
    /* 8-byte config accesses: low dword first, both halves. */
    wr(f, CFG(1, PCI_BAR0), 0x0000000040000000ULL, 8);
    assert_int_equal(rd(f, CFG(1, PCI_BAR0), 4), 0x40000000);
    assert_int_equal(rd(f, CFG(1, PCI_BAR0), 8), 0x40000000);
    assert_non_null(pci_host_device(f->h, 0));
    assert_ptr_equal(pci_host_device(f->h, 1), f->t[0].d);
    assert_null(pci_host_device(f->h, 2));
    assert_null(pci_host_device(f->h, 32));
    assert_null(pci_host_device(f->h, -1));
}

static void test_odd_ecam_accesses(void **state)
{
    struct fixture *f = *state;
    /* Unaligned: bytes 1..4 of the bridge's header. */
    assert_int_equal(rd(f, CFG(0, 1), 4), 0x0000081b);
    /* Running past a function's 4 KiB: the bytes beyond read all-ones. */
    assert_int_equal(rd(f, CFG(1, 0xffe), 4), 0xffff0000);
    assert_int_equal(rd(f, CFG(1, 0xffc), 8), 0xffffffff00000000ULL);
    wr(f, CFG(1, 0xffe), 0xffffffff, 4);
    assert_int_equal(rd(f, CFG(2, 0), 4), 0xffffffff);
    /* A width the bus never produces, straight into the region: refused. */
    const struct mmio_region *r = mmio_bus_find(&f->bus, ECAM);
    assert_non_null(r);
    assert_int_equal(r->read(r->opaque, 0, 3), 0xffffff);
    assert_int_equal(r->read(r->opaque, 0, 16), UINT64_MAX);
    r->write(r->opaque, PCI_COMMAND + (1 << 15), 0xffff, 3);
    assert_int_equal(rd(f, CFG(1, PCI_COMMAND), 2), 0);
    /* The last byte of ECAM is bus 255's last function. */
    assert_int_equal(rd(f, ECAM + PCI_HOST_ECAM_SIZE - 1, 1), 0xff);
}

static void test_slots(void **state)
{
    struct fixture *f = *state;
    struct tdev extra[PCI_HOST_SLOTS];
    int plugged = 0;
    assert_int_equal(pci_host_plug(f->h, f->t[0].d, 3), -EBUSY);    /* already plugged */
    assert_int_equal(pci_host_plug(f->h, NULL, 3), -EBUSY);
    for (int i = 0; i < PCI_HOST_SLOTS; i++) {
        assert_int_equal(tdev_init(&extra[i], "extra"), 0);
        int s = pci_host_plug(f->h, extra[i].d, -1);
        if (s < 0) {
            assert_int_equal(s, -ENOSPC);
            pci_device_free(extra[i].d);
            extra[i].d = NULL;
            break;
        }
        plugged++;
    }
    /* Slots 1 and 5 were taken: next-free filled 2..4, 6..31. */
    assert_int_equal(plugged, 29);
    assert_ptr_equal(pci_host_device(f->h, 2), extra[0].d);
    assert_ptr_equal(pci_host_device(f->h, 6), extra[3].d);
    for (int dev = 1; dev < 32; dev++)
        assert_int_equal(rd(f, CFG(dev, 0), 2), TDEV_VENDOR);
    /* Freeing a plugged device frees its slot; explicit slots are checked. */
    pci_device_free(extra[5].d);
    extra[5].d = NULL;
    assert_int_equal(rd(f, CFG(8, 0), 4), 0xffffffff);
    struct tdev again;
    assert_int_equal(tdev_init(&again, "again"), 0);
    assert_int_equal(pci_host_plug(f->h, again.d, 0), -EINVAL);
    assert_int_equal(pci_host_plug(f->h, again.d, 32), -EINVAL);
    assert_int_equal(pci_host_plug(f->h, again.d, 7), -EBUSY);
    assert_int_equal(pci_host_plug(f->h, again.d, 8), 8);
    assert_int_equal(rd(f, CFG(8, 0), 2), TDEV_VENDOR);
    pci_device_free(again.d);
    /* A device plugged into one host cannot be plugged into a second. */
    struct msi_log msi = {0};
    struct pci_host_config cfg = virt_config(&msi);
    struct pci_host *other = pci_host_new(&cfg);
    assert_non_null(other);
    assert_int_equal(pci_host_plug(other, f->t[0].d, 3), -EBUSY);
    assert_int_equal(pci_host_plug(other, f->t[0].d, -1), -EBUSY);
    assert_null(pci_host_device(other, 1));
    pci_host_free(other);
    assert_ptr_equal(pci_host_device(f->h, 1), f->t[0].d);
    for (int i = 0; i < plugged; i++)
        pci_device_free(extra[i].d);
}

/* Programs the test device in `slot` as Linux would: BARs first, then decoding. */
static void program(struct fixture *f, int slot, uint32_t bar0, uint64_t bar2, uint32_t bar4)
{
    wr(f, CFG(slot, PCI_COMMAND), 0, 2);
    wr(f, CFG(slot, PCI_BAR0), bar0, 4);
    wr(f, CFG(slot, PCI_BAR0 + 8), (uint32_t)bar2, 4);
    wr(f, CFG(slot, PCI_BAR0 + 12), (uint32_t)(bar2 >> 32), 4);
    wr(f, CFG(slot, PCI_BAR0 + 16), bar4, 4);
    wr(f, CFG(slot, PCI_COMMAND), PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
}

static void test_bar_dispatch(void **state)
{
    struct fixture *f = *state;
    struct tdev *t = &f->t[0];
    program(f, 1, MMIO32, MMIO64 + 0x4000, 0x1000);
    assert_int_equal(rd(f, MMIO32 + 0x10, 4), 0x10);
    assert_int_equal(rd(f, MMIO64 + 0x4000 + 0x100, 8), (2ULL << 24) | 0x100);
    assert_int_equal(rd(f, PIO + 0x1000 + 4, 2), (4u << 24 | 4) & 0xffff);
    wr(f, MMIO32 + 0xffc, 0xabcd, 4);
    assert_int_equal(t->last_bar, 0);
    assert_int_equal(t->last_off, 0xffc);
    assert_int_equal(t->last_val, 0xabcd);
    /* A 64-bit BAR in the 32-bit window works too. */
    wr(f, CFG(1, PCI_BAR0 + 8), 0x50000000, 4);
    wr(f, CFG(1, PCI_BAR0 + 12), 0, 4);
    assert_int_equal(rd(f, 0x50000000 + 0x20, 4), (2u << 24) | 0x20);
    unsigned reads = t->bar_reads, writes = t->bar_writes;
    /* Nobody there, or running past the BAR's end: all-ones, dropped. */
    assert_int_equal(rd(f, MMIO32 + 0x1000, 4), 0xffffffff);
    assert_int_equal(rd(f, MMIO32 + 0xffc, 8), UINT64_MAX);
    assert_int_equal(rd(f, MMIO64 + 0x4000, 4), 0xffffffff);
    assert_int_equal(rd(f, PIO + 0x1000 + 30, 4), 0xffffffff);
    assert_int_equal(rd(f, PIO, 1), 0xff);
    wr(f, MMIO32 + 0xffe, 0, 4);
    wr(f, MMIO32 + 0x3fff0000, 0, 8);
    assert_int_equal(t->bar_reads, reads);
    assert_int_equal(t->bar_writes, writes);
    struct pci_device *d;
    int bar;
    uint64_t off;
    d = pci_host_decode(f->h, false, 0x50000010, &bar, &off);
    assert_ptr_equal(d, t->d);
    assert_int_equal(bar, 2);
    assert_int_equal(off, 0x10);
    d = pci_host_decode(f->h, true, 0x1001, &bar, &off);
    assert_ptr_equal(d, t->d);
    assert_int_equal(bar, 4);
    assert_null(pci_host_decode(f->h, true, 0x1020, &bar, &off));
    /* Decoding off: gone. */
    wr(f, CFG(1, PCI_COMMAND), PCI_COMMAND_IO, 2);
    assert_int_equal(rd(f, MMIO32 + 0x10, 4), 0xffffffff);
    assert_int_equal(rd(f, PIO + 0x1000 + 5, 1), 5);
    wr(f, CFG(1, PCI_COMMAND), 0, 2);
    assert_int_equal(rd(f, PIO + 0x1000, 1), 0xff);
    assert_int_equal(t->bar_reads, reads + 1);
}

static void test_bar_over_ram_and_outside(void **state)
{
    struct fixture *f = *state;
    struct tdev *t = &f->t[0];
    /* BAR0 over RAM, BAR2 in the UART's page, BAR4 past the I/O window. */
    program(f, 1, (uint32_t)RAM, 0x10000000, 0x10000);
    int bar;
    uint64_t off;
    assert_null(pci_host_decode(f->h, false, RAM, &bar, &off));
    assert_null(pci_host_decode(f->h, false, 0x10000000, &bar, &off));
    assert_null(pci_host_decode(f->h, true, 0x10000, &bar, &off));
    assert_int_equal(rd(f, RAM, 4), 0x5a5a5a5a);
    wr(f, RAM + 8, 1, 8);
    assert_int_equal(f->ram.reads, 1);
    assert_int_equal(f->ram.writes, 1);
    uint64_t v;
    assert_false(mmio_bus_read(&f->bus, 0x10000000, 4, &v));
    assert_int_equal(t->bar_reads + t->bar_writes, 0);
    /* Moved back into the windows, they decode. */
    program(f, 1, MMIO32 + 0x3000, MMIO64, 0xffe0);
    assert_int_equal(rd(f, MMIO32 + 0x3004, 4), 4);
    assert_int_equal(rd(f, MMIO64 + 8, 4), (2u << 24) | 8);
    assert_int_equal(rd(f, PIO + 0xffe0 + 31, 1), 31);
}

static void test_bar_at_top_of_address_space(void **state)
{
    struct fixture *f = *state;
    program(f, 1, 0xfffff000, 0xffffffffffffc000ULL, 0xffffffe0);
    int bar;
    uint64_t off;
    assert_null(pci_host_decode(f->h, false, 0xfffff000, &bar, &off));
    assert_null(pci_host_decode(f->h, false, 0xffffffffffffc000ULL, &bar, &off));
    assert_null(pci_host_decode(f->h, false, UINT64_MAX, &bar, &off));
    assert_null(pci_host_decode(f->h, true, 0xffffffe0, &bar, &off));
    /* Right at the top of each window is fine. */
    program(f, 1, 0x7ffff000, MMIO64 + 0x400000000ULL - 0x4000, 0xffe0);
    assert_int_equal(rd(f, 0x7ffffffc, 4), 0xffc);
    assert_int_equal(rd(f, MMIO64 + 0x400000000ULL - 8, 8), (2ULL << 24) | 0x3ff8);
    assert_int_equal(rd(f, MMIO32 + 0x3ffffff0, 8), (0ULL << 24) | 0xff0);
}

static void test_bar_over_another_bar(void **state)
{
    struct fixture *f = *state;
    struct tdev *a = &f->t[0], *b = &f->t[1];
    /* Slot 5's BAR0 over slot 1's: the lower slot wins. */
    program(f, 1, MMIO32, MMIO64, 0x1000);
    program(f, 5, MMIO32, MMIO64 + 0x10000, 0x2000);
    assert_int_equal(rd(f, MMIO32 + 0x40, 4), 0x40);
    assert_int_equal(a->bar_reads, 1);
    assert_int_equal(b->bar_reads, 0);
    /* Slot 5's 16 KiB BAR2 partly over slot 1's BAR0: it decodes nowhere. */
    wr(f, CFG(5, PCI_BAR0 + 8), (uint32_t)MMIO32, 4);
    wr(f, CFG(5, PCI_BAR0 + 12), 0, 4);
    assert_int_equal(rd(f, MMIO32 + 0x2000 + 0x100, 4), 0xffffffff);
    assert_int_equal(b->bar_reads, 0);
    /* Slot 1 stops decoding memory: slot 5's BAR0 wins its place back, BAR2 still
     * overlaps BAR0 of its own device and loses to it. */
    wr(f, CFG(1, PCI_COMMAND), PCI_COMMAND_IO, 2);
    assert_int_equal(rd(f, MMIO32 + 0x40, 4), 0x40);
    assert_int_equal(b->bar_reads, 1);
    assert_int_equal(b->last_bar, 0);
    assert_int_equal(rd(f, MMIO32 + 0x2000, 4), 0xffffffff);
    /* Moving slot 5's BAR0 away leaves BAR2 alone at MMIO32. */
    wr(f, CFG(5, PCI_BAR0), (uint32_t)MMIO32 + 0x100000, 4);
    assert_int_equal(rd(f, MMIO32 + 0x2000 + 4, 4), 0);   /* MSI-X table: vector 0 addr hi */
    assert_int_equal(rd(f, MMIO32 + 0x10, 4), (2u << 24) | 0x10);
    assert_int_equal(b->last_bar, 2);
    /* I/O BARs overlap the same way. */
    wr(f, CFG(1, PCI_BAR0 + 16), 0x2000, 4);
    wr(f, CFG(1, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    unsigned ar = a->bar_reads;
    assert_int_equal(rd(f, PIO + 0x2000 + 3, 1), 3);
    assert_int_equal(a->bar_reads, ar + 1);
}

static void test_half_written_bar_decoding_on(void **state)
{
    struct fixture *f = *state;
    program(f, 1, MMIO32, MMIO64 + 0x8000, 0x1000);
    int bar;
    uint64_t off;
    uint64_t lo = CFG(1, PCI_BAR0 + 8), hi = CFG(1, PCI_BAR0 + 12);
    assert_non_null(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off));
    /* Sizing with memory decoding left on, in Linux's order. */
    wr(f, lo, 0xffffffff, 4);
    assert_null(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off));
    assert_null(pci_host_decode(f->h, false, 0x4ffffc000ULL, &bar, &off));
    assert_int_equal(rd(f, 0x4ffffc000ULL, 4), 0xffffffff);
    wr(f, lo, 0x8004, 4);
    assert_null(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off));
    wr(f, hi, 0xffffffff, 4);
    assert_null(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off));
    wr(f, hi, 4, 4);
    assert_ptr_equal(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off), f->t[0].d);
    assert_int_equal(bar, 2);
    /* A move in two writes decodes only at the new place, once both are in. */
    wr(f, lo, 0x4000, 4);
    assert_null(pci_host_decode(f->h, false, MMIO64 + 0x8000, &bar, &off));
    assert_null(pci_host_decode(f->h, false, MMIO64 + 0x4000, &bar, &off));
    wr(f, hi, 5, 4);
    assert_non_null(pci_host_decode(f->h, false, 0x500004000ULL, &bar, &off));
}

static void test_intx_swizzle(void **state)
{
    struct fixture *f = *state;
    /* Slot 1, INTA -> line (1 + 0) % 4 = source 33; slot 5 INTA -> source 33 too. */
    pci_set_irq(f->t[0].d, 1);
    assert_int_equal(line_level[1], 1);
    pci_set_irq(f->t[1].d, 1);
    pci_set_irq(f->t[0].d, 0);
    assert_int_equal(line_level[1], 1);     /* shared: slot 5 still asserts */
    pci_set_irq(f->t[1].d, 0);
    assert_int_equal(line_level[1], 0);
    /* Every slot lands on (slot + pin - 1) % 4. */
    struct tdev more[4];
    for (int s = 2; s <= 4; s++) {
        assert_int_equal(tdev_init(&more[s - 1], "more"), 0);
        assert_int_equal(pci_host_plug(f->h, more[s - 1].d, s), s);
        pci_set_irq(more[s - 1].d, 1);
        for (int l = 0; l < 4; l++)
            assert_int_equal(line_level[l], l == s % 4);
        pci_set_irq(more[s - 1].d, 0);
    }
    /* A device freed while asserting releases its line. */
    pci_set_irq(more[3].d, 1);
    assert_int_equal(line_level[0], 1);
    for (int s = 2; s <= 4; s++)
        pci_device_free(more[s - 1].d);
    assert_int_equal(line_level[0], 0);
    /* INTx disable through ECAM drops the line. */
    pci_set_irq(f->t[0].d, 1);
    wr(f, CFG(1, PCI_COMMAND), PCI_COMMAND_INTX_DISABLE, 2);
    assert_int_equal(line_level[1], 0);
    assert_true(rd(f, CFG(1, PCI_STATUS), 2) & PCI_STATUS_INTERRUPT);
}

static void test_msix_through_window(void **state)
{
    struct fixture *f = *state;
    program(f, 1, MMIO32, MMIO64, 0x1000);
    uint64_t table = MMIO64 + TDEV_TABLE_OFF;
    wr(f, table + 16 * 2, 0x28001000, 4);
    wr(f, table + 16 * 2 + 4, 0, 4);
    wr(f, table + 16 * 2 + 8, 0x99, 4);
    wr(f, table + 16 * 2 + 12, 0, 4);
    unsigned cap = (unsigned)f->t[0].msix_cap;
    wr(f, CFG(1, cap + PCI_MSIX_FLAGS), PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(pci_msix_notify(f->t[0].d, 2), PCI_MSIX_SENT);
    assert_int_equal(f->msi.count, 1);
    assert_int_equal(f->msi.addr, 0x28001000);
    assert_int_equal(f->msi.data, 0x99);
    assert_int_equal(pci_msix_notify(f->t[0].d, 1), PCI_MSIX_PENDING);
    assert_int_equal(rd(f, MMIO64 + TDEV_PBA_OFF, 8), 2);
    assert_int_equal(pci_msix_notify(f->t[0].d, 8), -EINVAL);
    /* Odd-sized table writes through the window are dropped. */
    wr(f, table + 16 * 2 + 8, 0x11, 1);
    wr(f, table + 16 * 2 + 8, 0x1111, 2);
    assert_int_equal(rd(f, table + 16 * 2 + 8, 4), 0x99);
    assert_int_equal(f->t[0].bar_writes, 0);
}

static void test_free_order(void **state)
{
    (void)state;
    struct msi_log msi = {0};
    struct pci_host_config cfg = virt_config(&msi);
    struct pci_host *h = pci_host_new(&cfg);
    assert_non_null(h);
    struct tdev t;
    assert_int_equal(tdev_init(&t, "t"), 0);
    assert_int_equal(pci_host_plug(h, t.d, -1), 1);
    /* The host goes first; the device outlives it and is freed after (ASan watches). */
    pci_host_free(h);
    pci_set_irq(t.d, 1);
    pci_config_write(t.d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    pci_device_free(t.d);
    pci_host_free(NULL);
    /* Bad layouts are refused. */
    cfg.mmio32_size = 0;
    assert_null(pci_host_new(&cfg));
    cfg = virt_config(&msi);
    cfg.mmio32_base = 0xf0000000;
    assert_null(pci_host_new(&cfg));
    cfg = virt_config(&msi);
    cfg.mmio64_base = UINT64_MAX - 0x1000;
    assert_null(pci_host_new(&cfg));
    assert_null(pci_host_new(NULL));
}

/* QEMU 7.2 `-M virt` (dtc -I dtb): the PLIC's phandle is 3 there; kite's may differ. */
static const uint32_t qemu_map[16][6] = {
    {0x0000, 0, 0, 1, 3, 0x20}, {0x0000, 0, 0, 2, 3, 0x21}, {0x0000, 0, 0, 3, 3, 0x22},
    {0x0000, 0, 0, 4, 3, 0x23}, {0x0800, 0, 0, 1, 3, 0x21}, {0x0800, 0, 0, 2, 3, 0x22},
    {0x0800, 0, 0, 3, 3, 0x23}, {0x0800, 0, 0, 4, 3, 0x20}, {0x1000, 0, 0, 1, 3, 0x22},
    {0x1000, 0, 0, 2, 3, 0x23}, {0x1000, 0, 0, 3, 3, 0x20}, {0x1000, 0, 0, 4, 3, 0x21},
    {0x1800, 0, 0, 1, 3, 0x23}, {0x1800, 0, 0, 2, 3, 0x20}, {0x1800, 0, 0, 3, 3, 0x21},
    {0x1800, 0, 0, 4, 3, 0x22},
};
static const uint32_t qemu_ranges[21] = {
    0x1000000, 0, 0, 0, 0x3000000, 0, 0x10000,
    0x2000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000,
    0x3000000, 4, 0, 4, 0, 4, 0,
};

static void cells_equal(const void *fdt, int node, const char *name, const uint32_t *want,
                        int n, int skip_col, int period, uint32_t skip_val)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
    assert_non_null(p);
    assert_int_equal(len, n * 4);
    for (int i = 0; i < n; i++) {
        uint32_t w = (period && i % period == skip_col) ? skip_val : want[i];
        assert_int_equal(fdt32_to_cpu(p[i]), w);
    }
}

static void test_device_tree_node(void **state)
{
    (void)state;
    struct msi_log msi = {0};
    struct pci_host_config pc = virt_config(&msi);
    struct rv_fdt_config fc = {.ram_base = RAM, .ram_size = 512ULL << 20, .nharts = 1,
                               .isa = "rv64imafdc_zicsr", .bootargs = "", .pci = &pc};
    size_t size;
    void *fdt = rv_fdt_build(&fc, &size);
    assert_non_null(fdt);
    int node = fdt_path_offset(fdt, "/soc/pci@30000000");
    assert_true(node >= 0);
    assert_int_equal(fdt_node_check_compatible(fdt, node, "pci-host-ecam-generic"), 0);
    assert_string_equal(fdt_getprop(fdt, node, "device_type", NULL), "pci");
    uint32_t plic = fdt_get_phandle(fdt, fdt_path_offset(fdt, "/soc/plic@c000000"));
    assert_true(plic != 0);
    cells_equal(fdt, node, "interrupt-map", &qemu_map[0][0], 96, 4, 6, plic);
    static const uint32_t mask[4] = {0x1800, 0, 0, 7}, bus_range[2] = {0, 0xff},
                          reg[4] = {0, 0x30000000, 0, 0x10000000};
    cells_equal(fdt, node, "interrupt-map-mask", mask, 4, 0, 0, 0);
    cells_equal(fdt, node, "ranges", qemu_ranges, 21, 0, 0, 0);
    cells_equal(fdt, node, "bus-range", bus_range, 2, 0, 0, 0);
    cells_equal(fdt, node, "reg", reg, 4, 0, 0, 0);
    static const uint32_t three[1] = {3}, two[1] = {2}, one[1] = {1}, zero[1] = {0};
    cells_equal(fdt, node, "#address-cells", three, 1, 0, 0, 0);
    cells_equal(fdt, node, "#size-cells", two, 1, 0, 0, 0);
    cells_equal(fdt, node, "#interrupt-cells", one, 1, 0, 0, 0);
    cells_equal(fdt, node, "linux,pci-domain", zero, 1, 0, 0, 0);
    assert_non_null(fdt_getprop(fdt, node, "dma-coherent", NULL));
    assert_null(fdt_getprop(fdt, node, "msi-parent", NULL));
    free(fdt);
    /* Without PCI, no node. */
    fc.pci = NULL;
    fdt = rv_fdt_build(&fc, &size);
    assert_non_null(fdt);
    assert_true(fdt_path_offset(fdt, "/soc/pci@30000000") < 0);
    free(fdt);
}

/* msi-parent, written straight into a sequential-write tree. */
static void test_device_tree_msi_parent(void **state)
{
    (void)state;
    struct msi_log msi = {0};
    struct pci_host_config pc = virt_config(&msi);
    char buf[4096];
    assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
    assert_int_equal(fdt_finish_reservemap(buf), 0);
    assert_int_equal(fdt_begin_node(buf, ""), 0);
    assert_int_equal(pci_host_fdt(buf, &pc, 7, 1, 9), 0);
    assert_int_equal(fdt_end_node(buf), 0);
    assert_int_equal(fdt_finish(buf), 0);
    int node = fdt_path_offset(buf, "/pci@30000000");
    assert_true(node >= 0);
    static const uint32_t nine[1] = {9};
    cells_equal(buf, node, "msi-parent", nine, 1, 0, 0, 0);
    cells_equal(buf, node, "interrupt-map", &qemu_map[0][0], 96, 4, 6, 7);
}

/* Under the AIA the INTx lines go to the APLIC, whose specifiers are (source, flags). */
static void test_device_tree_two_cell_intc(void **state)
{
    (void)state;
    struct msi_log msi = {0};
    struct pci_host_config pc = virt_config(&msi);
    char buf[4096];
    assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
    assert_int_equal(fdt_finish_reservemap(buf), 0);
    assert_int_equal(fdt_begin_node(buf, ""), 0);
    assert_int_equal(pci_host_fdt(buf, &pc, 5, 2, 6), 0);
    assert_int_equal(fdt_end_node(buf), 0);
    assert_int_equal(fdt_finish(buf), 0);
    int node = fdt_path_offset(buf, "/pci@30000000");
    assert_true(node >= 0);
    int len;
    const fdt32_t *map = fdt_getprop(buf, node, "interrupt-map", &len);
    assert_non_null(map);
    assert_int_equal(len, 16 * 7 * 4);
    for (int e = 0; e < 16; e++) {
        const fdt32_t *c = map + 7 * e;
        unsigned slot = fdt32_to_cpu(c[0]) >> 11, pin = fdt32_to_cpu(c[3]);
        assert_int_equal(slot, (unsigned)e / 4);
        assert_int_equal(pin, (unsigned)e % 4 + 1);
        assert_int_equal(fdt32_to_cpu(c[4]), 5);
        /* The swizzle: slot S, pin P -> INT((S + P - 1) % 4) on sources 32..35. */
        assert_int_equal(fdt32_to_cpu(c[5]), 32 + (slot + pin - 1) % 4);
        assert_int_equal(fdt32_to_cpu(c[6]), 4);
    }
    /* Only 1 or 2 cells make sense. */
    assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
    assert_int_equal(fdt_finish_reservemap(buf), 0);
    assert_int_equal(fdt_begin_node(buf, ""), 0);
    assert_int_not_equal(pci_host_fdt(buf, &pc, 5, 3, 6), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ecam_every_function, setup, teardown),
        cmocka_unit_test(test_device_tree_two_cell_intc),
        cmocka_unit_test_setup_teardown(test_host_bridge_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_ecam_accesses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_dispatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_over_ram_and_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_at_top_of_address_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_over_another_bar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written_bar_decoding_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intx_swizzle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_through_window, setup, teardown),
        cmocka_unit_test(test_free_order),
        cmocka_unit_test(test_device_tree_node),
        cmocka_unit_test(test_device_tree_msi_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
