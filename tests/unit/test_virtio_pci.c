/*
 * virtio-pci driven the way a guest does it: through the ECAM host bridge's config space
 * and BARs the test programs into the PCI windows, on kite's MMIO bus. Identity and
 * capabilities, bring-up with INTx and with MSI-X, and a hostile driver: queue_select out
 * of range, re-configuration after DRIVER_OK, MSI-X vectors beyond the table, odd widths,
 * bad notifies and a misused PCI-configuration window. Each leaves a log line and a device
 * that still works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mmio.h"
#include "hw/pci_host.h"
#include "test_virtio_driver.h"
#include "virtio/device.h"
#include "virtio/pci.h"

#define ECAM 0x30000000ULL
#define MMIO32 0x40000000ULL
#define MMIO64 0x400000000ULL
#define SLOT 3
#define CFG(off) (ECAM + ((uint64_t)SLOT << 15) + (off))
#define BAR4_AT MMIO64                  /* where the test puts the virtio registers */
#define BAR1_AT MMIO32                  /* and the MSI-X table */
#define COMMON(off) (BAR4_AT + VIRTIO_PCI_COMMON + (off))
#define TEST_DEVICE_ID 4
#define Q0 (SIM_RAM_BASE + 0x1000)
#define Q1 (SIM_RAM_BASE + 0x4000)
#define BUF (SIM_RAM_BASE + 0x20000)
#define MSI_ADDR 0x28000000ULL

struct echo {
    struct virtio_device dev;
    unsigned notifies;
};

static void echo_notify(struct virtio_device *dev, unsigned q)
{
    struct echo *e = dev->opaque;
    e->notifies++;
    struct virtq_elem *el;
    while (virtio_pop(dev, q, &el)) {
        for (unsigned i = 0; i < el->in_num; i++)
            memset(el->iov[el->out_num + i].iov_base, 0xab, el->iov[el->out_num + i].iov_len);
        virtio_complete(dev, q, el, (uint32_t)el->in_len);
    }
}

static const struct virtio_device_ops echo_ops = {.queue_notify = echo_notify};

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

static int intx[4];

static void set_intx(void *opaque, int line, int level)
{
    intx[line - 32] = level;
}

struct fix {
    struct sim_ram ram;
    struct echo e;
    struct sim_drv d;               /* only its ring helpers: no virtio-mmio here */
    struct mmio_bus bus;
    struct pci_host *host;
    struct virtio_pci *t;
    struct msi_log msi;
};

static uint64_t rd(struct fix *f, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    assert_true(mmio_bus_read(&f->bus, addr, size, &v));
    return v;
}

static void wr(struct fix *f, uint64_t addr, uint64_t v, unsigned size)
{
    assert_true(mmio_bus_write(&f->bus, addr, size, v));
}

/* The INTx line of slot 3, pin A after the swizzle. */
static int line(void)
{
    return intx[(SLOT + 1 - 1) % 4];
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    f->e.dev.name = "echo";
    f->e.dev.device_id = TEST_DEVICE_ID;
    f->e.dev.config_len = 8;
    uint32_t cfg[2] = {0x11223344, 0x55667788};
    memcpy(f->e.dev.config, cfg, 8);
    f->e.dev.ops = &echo_ops;
    f->e.dev.opaque = &f->e;
    uint16_t max[2] = {64, 8};
    assert_int_equal(virtio_device_init(&f->e.dev, &f->ram.mem, 2, max), 0);
    f->d.ram = &f->ram;
    f->d.dev = &f->e.dev;
    memset(intx, 0, sizeof(intx));
    struct pci_host_config pc = {.ecam_base = ECAM, .io_base = 0x03000000, .io_size = 0x10000,
                                 .mmio32_base = MMIO32, .mmio32_size = 0x40000000,
                                 .mmio64_base = MMIO64, .mmio64_size = 0x400000000ULL,
                                 .msi = {.opaque = &f->msi, .send = record_msi}};
    for (int i = 0; i < 4; i++)
        pc.intx[i] = (struct irq_line){.set = set_intx, .line = 32 + i};
    f->host = pci_host_new(&pc);
    assert_non_null(f->host);
    assert_int_equal(pci_host_map(f->host, &f->bus), 0);
    f->t = virtio_pci_new(&f->e.dev);
    assert_non_null(f->t);
    assert_int_equal(pci_host_plug(f->host, virtio_pci_function(f->t), SLOT), SLOT);
    /* What Linux does: place the BARs, turn on memory decoding and bus mastering. */
    wr(f, CFG(PCI_BAR0 + 4 * 1), BAR1_AT, 4);
    wr(f, CFG(PCI_BAR0 + 4 * 4), (uint32_t)BAR4_AT, 4);
    wr(f, CFG(PCI_BAR0 + 4 * 5), BAR4_AT >> 32, 4);
    wr(f, CFG(PCI_COMMAND), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_pci_free(f->t);
    pci_host_free(f->host);
    virtio_device_cleanup(&f->e.dev);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

static bool negotiate(struct fix *f, uint64_t features)
{
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), VIRTIO_STATUS_ACKNOWLEDGE, 1);
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    for (unsigned sel = 0; sel < 2; sel++) {
        wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), sel, 4);
        wr(f, COMMON(VIRTIO_PCI_COMMON_GF), (uint32_t)(features >> (32 * sel)), 4);
    }
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
       VIRTIO_STATUS_FEATURES_OK, 1);
    return rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_FEATURES_OK;
}

/* Sets up queue q of `size` at `base` the way Linux does (64-bit fields as two halves). */
static uint16_t queue_setup(struct fix *f, unsigned q, uint16_t size, uint64_t base)
{
    uint64_t avail = base + 16ULL * size, used = (avail + 6 + 2ULL * size + 3) & ~3ULL;
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), q, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), size, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), (uint32_t)base, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), base >> 32, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), avail, 8);      /* an 8-byte write works too */
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), (uint32_t)used, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), used >> 32, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
    uint16_t en = (uint16_t)rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2);
    if (en && q < 8)
        f->d.q[q] = (struct sim_queue){.size = size, .desc = base, .avail = avail, .used = used};
    return en;
}

static void driver_ok(struct fix *f)
{
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
    assert_true(rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_DRIVER_OK);
}

static void notify(struct fix *f, unsigned q)
{
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), q, 2);
    uint16_t off = (uint16_t)rd(f, COMMON(VIRTIO_PCI_COMMON_Q_NOFF), 2);
    wr(f, BAR4_AT + VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULTIPLIER * off, q, 2);
}

static void bring_up(struct fix *f)
{
    assert_true(negotiate(f, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(queue_setup(f, 0, 16, Q0), 1);
    assert_int_equal(queue_setup(f, 1, 8, Q1), 1);
    driver_ok(f);
}

/* One request on queue q: completed and filled. */
static void assert_serves(struct fix *f, unsigned q, uint16_t head)
{
    memset(sim_host(&f->ram, BUF), 0, 16);
    sim_set_desc(&f->d, q, head, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, q, head);
    notify(f, q);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, q, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 16);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF))[15], 0xab);
}

/* ---- identity ---- */

static void test_identity_and_capabilities(void **state)
{
    struct fix *f = *state;
    assert_int_equal(rd(f, CFG(PCI_VENDOR_ID), 2), VIRTIO_PCI_VENDOR);
    assert_int_equal(rd(f, CFG(PCI_DEVICE_ID), 2), VIRTIO_PCI_DEVICE_BASE + TEST_DEVICE_ID);
    assert_int_equal(rd(f, CFG(PCI_REVISION_ID), 1), 1);
    assert_int_equal(rd(f, CFG(PCI_SUBSYSTEM_VENDOR_ID), 2), VIRTIO_PCI_VENDOR);
    assert_int_equal(rd(f, CFG(PCI_INTERRUPT_PIN), 1), 1);
    assert_true(rd(f, CFG(PCI_STATUS), 2) & PCI_STATUS_CAP_LIST);
    /* Walk the list: the five virtio capabilities and MSI-X, each once. */
    unsigned seen = 0, msix = 0, hops = 0;
    for (unsigned p = (unsigned)rd(f, CFG(PCI_CAPABILITY_LIST), 1); p; hops++) {
        assert_true(hops < 16);
        unsigned id = (unsigned)rd(f, CFG(p), 1);
        if (id == PCI_CAP_ID_VNDR) {
            unsigned type = (unsigned)rd(f, CFG(p + 3), 1), bar = (unsigned)rd(f, CFG(p + 4), 1);
            uint32_t off = (uint32_t)rd(f, CFG(p + 8), 4), len = (uint32_t)rd(f, CFG(p + 12), 4);
            seen |= 1u << type;
            switch (type) {
            case VIRTIO_PCI_CAP_COMMON_CFG:
                assert_int_equal(bar, VIRTIO_PCI_BAR);
                assert_int_equal(off, VIRTIO_PCI_COMMON);
                assert_true(len >= VIRTIO_PCI_COMMON_END);
                break;
            case VIRTIO_PCI_CAP_NOTIFY_CFG:
                assert_int_equal(off, VIRTIO_PCI_NOTIFY);
                assert_int_equal(rd(f, CFG(p + 2), 1), 20);
                assert_int_equal(rd(f, CFG(p + 16), 4), VIRTIO_PCI_NOTIFY_MULTIPLIER);
                break;
            case VIRTIO_PCI_CAP_ISR_CFG: assert_int_equal(off, VIRTIO_PCI_ISR); break;
            case VIRTIO_PCI_CAP_DEVICE_CFG:
                assert_int_equal(off, VIRTIO_PCI_DEVICE);
                assert_int_equal(len, 8);
                break;
            case VIRTIO_PCI_CAP_PCI_CFG: assert_int_equal(rd(f, CFG(p + 2), 1), 20); break;
            default: fail_msg("unknown virtio capability type %u", type);
            }
        } else if (id == PCI_CAP_ID_MSIX) {
            msix++;
            /* 2 queues + config. */
            assert_int_equal((rd(f, CFG(p + 2), 2) & PCI_MSIX_FLAGS_QSIZE) + 1, 3);
        }
        p = (unsigned)rd(f, CFG(p + 1), 1);
    }
    assert_int_equal(seen, 0x3e);
    assert_int_equal(msix, 1);
    /* Config space and the common configuration read through the BAR. */
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_DEVICE, 4), 0x11223344);
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_DEVICE + 4, 2), 0x7788);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 1, 4);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_DF), 4) & 1, 1);   /* VERSION_1 */
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 64);   /* the maximum */
}

/* ---- interrupts ---- */

static void test_intx_and_isr(void **state)
{
    struct fix *f = *state;
    bring_up(f);
    assert_int_equal(line(), 0);
    assert_serves(f, 0, 3);
    assert_int_equal(line(), 1);
    /* Reading the ISR returns the reason and lowers the line. */
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_ISR, 1), VIRTIO_INT_USED);
    assert_int_equal(line(), 0);
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_ISR, 1), 0);
    virtio_config_changed(&f->e.dev);
    assert_int_equal(line(), 1);
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_ISR, 1), VIRTIO_INT_CONFIG);
    assert_int_equal(f->msi.count, 0);
}

/* Programs MSI-X vector v (unmasked) with data 0x100 + v and enables MSI-X. */
static void msix_vector(struct fix *f, unsigned v)
{
    uint64_t e = BAR1_AT + PCI_MSIX_ENTRY_SIZE * v;
    wr(f, e, MSI_ADDR, 4);
    wr(f, e + 4, 0, 4);
    wr(f, e + 8, 0x100 + v, 4);
    wr(f, e + 12, 0, 4);
}

static unsigned msix_cap(struct fix *f)
{
    for (unsigned p = (unsigned)rd(f, CFG(PCI_CAPABILITY_LIST), 1); p;
         p = (unsigned)rd(f, CFG(p + 1), 1))
        if (rd(f, CFG(p), 1) == PCI_CAP_ID_MSIX)
            return p;
    fail_msg("no MSI-X capability");
    return 0;
}

static void test_msix_per_queue(void **state)
{
    struct fix *f = *state;
    for (unsigned v = 0; v < 3; v++)
        msix_vector(f, v);
    wr(f, CFG(msix_cap(f) + 2), PCI_MSIX_FLAGS_ENABLE, 2);
    assert_true(negotiate(f, 1ULL << VIRTIO_F_VERSION_1));
    wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 0, 2);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), 0);
    assert_int_equal(queue_setup(f, 0, 16, Q0), 1);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 1, 2);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2), 1);
    assert_int_equal(queue_setup(f, 1, 8, Q1), 1);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 2);
    driver_ok(f);
    assert_serves(f, 1, 0);
    assert_int_equal(f->msi.count, 1);
    assert_int_equal(f->msi.addr, MSI_ADDR);
    assert_int_equal(f->msi.data, 0x102);
    assert_serves(f, 0, 0);
    assert_int_equal(f->msi.data, 0x101);
    virtio_config_changed(&f->e.dev);
    assert_int_equal(f->msi.count, 3);
    assert_int_equal(f->msi.data, 0x100);
    /* No INTx and no ISR bits while MSI-X is on. */
    assert_int_equal(line(), 0);
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_ISR, 1), 0);
    /* A queue the driver left on NO_VECTOR interrupts nobody. */
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 0, 1);                     /* reset */
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
    assert_true(negotiate(f, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(queue_setup(f, 0, 16, Q0 + 0x10000), 1);
    driver_ok(f);
    f->d.q[0].used_seen = 0;
    f->d.q[0].avail_idx = 0;
    assert_serves(f, 0, 1);
    assert_int_equal(f->msi.count, 3);
}

/* ---- a hostile driver ---- */

static void test_vector_beyond_table(void **state)
{
    struct fix *f = *state;
    struct sim_capture c;
    sim_capture_start(&c);
    wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 3, 2);                      /* table has 0..2 */
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 1, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 0xfffe, 2);
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "beyond the table"));
    free(log);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
    /* MSI-X on, queue 1 without a vector: serving it raises nothing, and nothing breaks. */
    msix_vector(f, 0);
    wr(f, CFG(msix_cap(f) + 2), PCI_MSIX_FLAGS_ENABLE, 2);
    bring_up(f);
    assert_serves(f, 1, 2);
    assert_int_equal(f->msi.count, 0);
}

static void test_queue_select_out_of_range(void **state)
{
    struct fix *f = *state;
    assert_true(negotiate(f, 1ULL << VIRTIO_F_VERSION_1));
    struct sim_capture c;
    sim_capture_start(&c);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 99, 2);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 0);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 16, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), (uint32_t)Q0, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 0, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "does not exist"));
    free(log);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
    /* The real queues are untouched and work. */
    assert_int_equal(queue_setup(f, 0, 16, Q0), 1);
    assert_int_equal(queue_setup(f, 1, 8, Q1), 1);
    driver_ok(f);
    assert_serves(f, 0, 0);
}

static void test_frozen_after_driver_ok(void **state)
{
    struct fix *f = *state;
    bring_up(f);
    struct sim_capture c;
    sim_capture_start(&c);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 4, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), (uint32_t)(Q0 + 0x800), 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), 1, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 0, 2);                  /* only 1 may be written */
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "after DRIVER_OK"));
    assert_non_null(strstr(log, "queue_enable written with 0"));
    free(log);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 16);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 8), Q0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 1);
    assert_serves(f, 0, 5);
}

static void test_odd_widths_and_offsets(void **state)
{
    struct fix *f = *state;
    struct sim_capture c;
    sim_capture_start(&c);
    /* A 1-byte write to a 2-byte field, a 2-byte write to the status byte's neighbour, a
     * write to a read-only field and one past the structure: all ignored. */
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 1, 1);
    wr(f, COMMON(VIRTIO_PCI_COMMON_NUMQ), 7, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO + 2), 0x1234, 4);
    wr(f, COMMON(VIRTIO_PCI_COMMON_END + 4), 1, 4);
    wr(f, BAR4_AT + VIRTIO_PCI_ISR, 1, 1);
    uint64_t v = rd(f, BAR4_AT + VIRTIO_PCI_DEVICE, 8);
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "field is 2 bytes"));
    assert_non_null(strstr(log, "read-only or undefined"));
    assert_non_null(strstr(log, "past the common config"));
    assert_non_null(strstr(log, "ISR status ignored"));
    assert_non_null(strstr(log, "device config read ignored"));
    free(log);
    assert_int_equal(v, 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2), 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 2);
    /* Reads of any width and alignment inside the structure are served. */
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_NUMQ + 1), 1), 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 4) >> 16, 2);
    bring_up(f);
    assert_serves(f, 0, 0);
}

static void test_bad_notifies(void **state)
{
    struct fix *f = *state;
    assert_true(negotiate(f, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(queue_setup(f, 0, 16, Q0), 1);
    sim_set_desc(&f->d, 0, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    struct sim_capture c;
    sim_capture_start(&c);
    notify(f, 0);                                       /* before DRIVER_OK */
    wr(f, BAR4_AT + VIRTIO_PCI_NOTIFY + 1, 0, 2);       /* between two queues */
    wr(f, BAR4_AT + VIRTIO_PCI_NOTIFY + 4 * 9, 9, 2);   /* a queue that does not exist */
    wr(f, BAR4_AT + VIRTIO_PCI_NOTIFY, 0, 8);           /* a width no driver uses */
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "before it is live"));
    assert_non_null(strstr(log, "not a queue's notify address"));
    assert_non_null(strstr(log, "does not exist"));
    free(log);
    assert_int_equal(f->e.notifies, 0);
    assert_int_equal(sim_used_idx(&f->d, 0), 0);
    assert_int_equal(queue_setup(f, 1, 8, Q1), 1);
    driver_ok(f);
    notify(f, 0);
    assert_int_equal(f->e.notifies, 1);
    assert_int_equal(sim_used_idx(&f->d, 0), 1);
}

static unsigned cfg_window(struct fix *f)
{
    for (unsigned p = (unsigned)rd(f, CFG(PCI_CAPABILITY_LIST), 1); p;
         p = (unsigned)rd(f, CFG(p + 1), 1))
        if (rd(f, CFG(p), 1) == PCI_CAP_ID_VNDR && rd(f, CFG(p + 3), 1) == VIRTIO_PCI_CAP_PCI_CFG)
            return p;
    fail_msg("no PCI-configuration access capability");
    return 0;
}

/* The driver reaches the BAR through config space alone (VirtIO 1.2, the PCI configuration
 * access capability). */
static void test_pci_cfg_window(void **state)
{
    struct fix *f = *state;
    unsigned w = cfg_window(f);
    wr(f, CFG(w + 4), VIRTIO_PCI_BAR, 1);
    wr(f, CFG(w + 8), VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_NUMQ, 4);
    wr(f, CFG(w + 12), 2, 4);
    assert_int_equal(rd(f, CFG(w + 16), 4) & 0xffff, 2);
    wr(f, CFG(w + 8), VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_STATUS, 4);
    wr(f, CFG(w + 12), 1, 4);
    wr(f, CFG(w + 16), VIRTIO_STATUS_ACKNOWLEDGE, 4);
    assert_int_equal(f->e.dev.status, VIRTIO_STATUS_ACKNOWLEDGE);
    /* Windows onto another BAR, of a bad length, misaligned or past the BAR do nothing. */
    struct sim_capture c;
    sim_capture_start(&c);
    const uint32_t bad[][3] = {{1, 0, 4}, {VIRTIO_PCI_BAR, 0, 3}, {VIRTIO_PCI_BAR, 2, 4},
                               {VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE - 2, 4},
                               {VIRTIO_PCI_BAR, 0xfffffffc, 4}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wr(f, CFG(w + 4), bad[i][0], 1);
        wr(f, CFG(w + 8), bad[i][1], 4);
        wr(f, CFG(w + 12), bad[i][2], 4);
        wr(f, CFG(w + 16), 0, 4);
        (void)rd(f, CFG(w + 16), 4);
    }
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "config window"));
    free(log);
    assert_int_equal(f->e.dev.status, VIRTIO_STATUS_ACKNOWLEDGE);
    /* The capability's own header stays read-only. */
    wr(f, CFG(w + 3), 0x77, 1);
    assert_int_equal(rd(f, CFG(w + 3), 1), VIRTIO_PCI_CAP_PCI_CFG);
}

static void test_reset_clears_transport(void **state)
{
    struct fix *f = *state;
    bring_up(f);
    wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 0, 2);
    assert_serves(f, 0, 0);
    assert_int_equal(line(), 1);
    wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 1, 2);
    wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 0, 1);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1), 0);
    assert_int_equal(line(), 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2), 0);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
    assert_int_equal(rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0);
    assert_int_equal(rd(f, BAR4_AT + VIRTIO_PCI_ISR, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_identity_and_capabilities),
        T(test_intx_and_isr),
        T(test_msix_per_queue),
        T(test_vector_beyond_table),
        T(test_queue_select_out_of_range),
        T(test_frozen_after_driver_ok),
        T(test_odd_widths_and_offsets),
        T(test_bad_notifies),
        T(test_pci_cfg_window),
        T(test_reset_clears_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
