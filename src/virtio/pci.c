/* virtio-pci (modern): PCI capabilities and BAR registers -> the VirtIO core. */
#include "virtio/pci.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct virtio_pci {
    struct virtio_device *dev;
    struct pci_device *pci;
    struct log_limit log;
    uint32_t device_features_sel, driver_features_sel;
    uint16_t queue_sel;
    uint16_t config_vector;
    uint16_t queue_vector[VIRTIO_MAX_QUEUES];
    uint8_t isr;
    unsigned cfg_cap;           /* config-space offset of the virtio_pci_cfg_cap */
};

/* Offsets inside struct virtio_pci_cap and its two extended forms. */
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16
#define CAP_CFG_DATA 16

static void update_intx(struct virtio_pci *t)
{
    pci_set_irq(t->pci, t->isr != 0);
}

static void on_interrupt(void *opaque, uint32_t reason, unsigned queue)
{
    struct virtio_pci *t = opaque;
    if (pci_msix_enabled(t->pci)) {
        uint16_t v = queue == VIRTIO_NO_QUEUE ? t->config_vector
                     : queue < VIRTIO_MAX_QUEUES ? t->queue_vector[queue]
                                                 : VIRTIO_PCI_NO_VECTOR;
        /* NO_VECTOR: the driver asked for no interrupt for this queue (it polls). */
        if (v != VIRTIO_PCI_NO_VECTOR)
            pci_msix_notify(t->pci, v);
        return;
    }
    t->isr |= reason & (VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
    update_intx(t);
}

static void on_reset(void *opaque)
{
    struct virtio_pci *t = opaque;
    t->device_features_sel = t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->config_vector = VIRTIO_PCI_NO_VECTOR;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        t->queue_vector[q] = VIRTIO_PCI_NO_VECTOR;
    t->isr = 0;
    update_intx(t);
}

/* A vector the driver asks for: one of the table's, or NO_VECTOR (reads back as refused). */
static uint16_t checked_vector(struct virtio_pci *t, uint32_t v)
{
    if (v == VIRTIO_PCI_NO_VECTOR || v < pci_msix_vectors(t->pci))
        return (uint16_t)v;
    log_once_in(&t->log, LOG_WARN, t->dev->name,
                "MSI-X vector %u beyond the table of %u: refused", v,
                pci_msix_vectors(t->pci));
    return VIRTIO_PCI_NO_VECTOR;
}

/* ---- common configuration ---- */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* The structure as the driver would see it right now (reads take any bytes of it). */
static void common_image(struct virtio_pci *t, uint8_t img[VIRTIO_PCI_COMMON_END])
{
    struct virtio_device *dev = t->dev;
    struct virtq *vq = virtio_queue(dev, t->queue_sel);
    memset(img, 0, VIRTIO_PCI_COMMON_END);
    put32(img + VIRTIO_PCI_COMMON_DFSELECT, t->device_features_sel);
    put32(img + VIRTIO_PCI_COMMON_DF, (uint32_t)virtio_get_features(dev, t->device_features_sel));
    put32(img + VIRTIO_PCI_COMMON_GFSELECT, t->driver_features_sel);
    if (t->driver_features_sel < 2)
        put32(img + VIRTIO_PCI_COMMON_GF,
              (uint32_t)(dev->guest_features >> (32 * t->driver_features_sel)));
    put16(img + VIRTIO_PCI_COMMON_MSIX, t->config_vector);
    put16(img + VIRTIO_PCI_COMMON_NUMQ, (uint16_t)dev->num_queues);
    img[VIRTIO_PCI_COMMON_STATUS] = dev->status;
    img[VIRTIO_PCI_COMMON_CFGGENERATION] = (uint8_t)dev->config_generation;
    put16(img + VIRTIO_PCI_COMMON_Q_SELECT, t->queue_sel);
    if (vq) {
        put16(img + VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
        put16(img + VIRTIO_PCI_COMMON_Q_MSIX, t->queue_vector[t->queue_sel]);
        put16(img + VIRTIO_PCI_COMMON_Q_ENABLE, vq->ready);
        put16(img + VIRTIO_PCI_COMMON_Q_NOFF, t->queue_sel);
        put64(img + VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc_gpa);
        put64(img + VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail_gpa);
        put64(img + VIRTIO_PCI_COMMON_Q_USEDLO, vq->used_gpa);
        put16(img + VIRTIO_PCI_COMMON_Q_NDATA, t->queue_sel);
    } else {
        /* An absent queue reads as size 0 (4.1.4.3: "not available"). */
        put16(img + VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_PCI_NO_VECTOR);
    }
}

static uint64_t common_read(struct virtio_pci *t, uint64_t offset, unsigned size)
{
    if (offset >= VIRTIO_PCI_COMMON_END || size > VIRTIO_PCI_COMMON_END - offset)
        return 0;
    uint8_t img[VIRTIO_PCI_COMMON_END];
    common_image(t, img);
    uint64_t v = 0;
    memcpy(&v, img + offset, size);
    return v;
}

static void write_area(struct virtio_pci *t, enum virtq_area area, uint64_t offset,
                       uint64_t base, uint64_t value, unsigned size)
{
    uint64_t old = virtio_queue_area(t->dev, t->queue_sel, area), gpa;
    if (size == 8 && offset == base)
        gpa = value;
    else if (size == 4 && offset == base)
        gpa = (old & ~0xffffffffULL) | (uint32_t)value;
    else if (size == 4 && offset == base + 4)
        gpa = (old & 0xffffffffULL) | (uint64_t)(uint32_t)value << 32;
    else {
        log_once_in(&t->log, LOG_WARN, t->dev->name,
                    "%u-byte write at common config 0x%llx ignored", size,
                    (unsigned long long)offset);
        return;
    }
    virtio_queue_set_area(t->dev, t->queue_sel, area, gpa);
}

static void common_write(struct virtio_pci *t, uint64_t offset, uint64_t value, unsigned size)
{
    struct virtio_device *dev = t->dev;
    uint32_t v = (uint32_t)value;
    /* The 64-bit queue addresses take 4- and 8-byte writes; every other field its own size. */
    if (offset >= VIRTIO_PCI_COMMON_Q_DESCLO && offset < VIRTIO_PCI_COMMON_Q_NDATA) {
        uint64_t base = offset & ~7ULL;
        enum virtq_area area = base == VIRTIO_PCI_COMMON_Q_DESCLO ? VIRTQ_AREA_DESC
                               : base == VIRTIO_PCI_COMMON_Q_AVAILLO ? VIRTQ_AREA_DRIVER
                                                                     : VIRTQ_AREA_DEVICE;
        write_area(t, area, offset, base, value, size);
        return;
    }
    unsigned want;
    switch (offset) {
    case VIRTIO_PCI_COMMON_DFSELECT:
    case VIRTIO_PCI_COMMON_GFSELECT:
    case VIRTIO_PCI_COMMON_GF: want = 4; break;
    case VIRTIO_PCI_COMMON_STATUS: want = 1; break;
    case VIRTIO_PCI_COMMON_MSIX:
    case VIRTIO_PCI_COMMON_Q_SELECT:
    case VIRTIO_PCI_COMMON_Q_SIZE:
    case VIRTIO_PCI_COMMON_Q_MSIX:
    case VIRTIO_PCI_COMMON_Q_ENABLE: want = 2; break;
    default:
        log_once_in(&t->log, LOG_WARN, dev->name,
                    "write to read-only or undefined common config 0x%llx ignored",
                    (unsigned long long)offset);
        return;
    }
    if (size != want) {
        log_once_in(&t->log, LOG_WARN, dev->name,
                    "%u-byte write at common config 0x%llx ignored (field is %u bytes)", size,
                    (unsigned long long)offset, want);
        return;
    }
    switch (offset) {
    case VIRTIO_PCI_COMMON_DFSELECT: t->device_features_sel = v; break;
    case VIRTIO_PCI_COMMON_GFSELECT: t->driver_features_sel = v; break;
    case VIRTIO_PCI_COMMON_GF: virtio_set_driver_features(dev, t->driver_features_sel, v); break;
    case VIRTIO_PCI_COMMON_STATUS: virtio_set_status(dev, (uint8_t)v); break;
    case VIRTIO_PCI_COMMON_MSIX: t->config_vector = checked_vector(t, v); break;
    case VIRTIO_PCI_COMMON_Q_SELECT: t->queue_sel = (uint16_t)v; break;
    case VIRTIO_PCI_COMMON_Q_SIZE: virtio_queue_set_size(dev, t->queue_sel, v); break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        if (!virtio_queue(dev, t->queue_sel)) {
            log_once_in(&t->log, LOG_WARN, dev->name,
                        "MSI-X vector set for absent queue %u: ignored", t->queue_sel);
            break;
        }
        t->queue_vector[t->queue_sel] = checked_vector(t, v);
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        /* Only 1 may be written (4.1.4.3.2); a queue is stopped by a device reset. */
        if (v != 1) {
            log_once_in(&t->log, LOG_WARN, dev->name,
                        "queue_enable written with %u: ignored", v);
            break;
        }
        if (virtio_queue_set_ready(dev, t->queue_sel, true) < 0)
            log_once_in(&t->log, LOG_WARN, dev->name, "queue %u not enabled (see above)",
                        t->queue_sel);
        break;
    }
}

/* ---- the BARs ---- */

static uint64_t bar_read(void *opaque, int bar, uint64_t offset, unsigned size)
{
    struct virtio_pci *t = opaque;
    if (bar != VIRTIO_PCI_BAR)
        return 0;
    if (offset < VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_SIZE)
        return common_read(t, offset - VIRTIO_PCI_COMMON, size);
    if (offset < VIRTIO_PCI_DEVICE) {
        if (offset != VIRTIO_PCI_ISR)
            return 0;
        /* Reading the ISR acknowledges it (4.1.4.5). */
        uint8_t isr = t->isr;
        t->isr = 0;
        update_intx(t);
        return isr;
    }
    if (offset < VIRTIO_PCI_NOTIFY) {
        if (size > 4) {
            log_once_in(&t->log, LOG_WARN, t->dev->name,
                        "%u-byte device config read ignored", size);
            return 0;
        }
        return virtio_config_read(t->dev, (uint32_t)(offset - VIRTIO_PCI_DEVICE), size);
    }
    return 0;   /* the notify area reads as 0 */
}

static void notify_write(struct virtio_pci *t, uint64_t offset, uint64_t value, unsigned size)
{
    uint64_t rel = offset - VIRTIO_PCI_NOTIFY;
    if (rel % VIRTIO_PCI_NOTIFY_MULTIPLIER || (size != 2 && size != 4)) {
        log_once_in(&t->log, LOG_WARN, t->dev->name,
                    "%u-byte notify at 0x%llx: not a queue's notify address, ignored", size,
                    (unsigned long long)offset);
        return;
    }
    /* The address says which queue; the value should repeat it (no NOTIFICATION_DATA). */
    unsigned q = (unsigned)(rel / VIRTIO_PCI_NOTIFY_MULTIPLIER);
    if ((uint16_t)value != q)
        log_once_in(&t->log, LOG_WARN, t->dev->name,
                    "notify for queue %u written with %u: queue %u notified", q,
                    (unsigned)(uint16_t)value, q);
    virtio_queue_notified(t->dev, q);
}

static void bar_write(void *opaque, int bar, uint64_t offset, uint64_t value, unsigned size)
{
    struct virtio_pci *t = opaque;
    if (bar != VIRTIO_PCI_BAR)
        return;
    if (offset < VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_SIZE) {
        if (offset - VIRTIO_PCI_COMMON >= VIRTIO_PCI_COMMON_END) {
            log_once_in(&t->log, LOG_WARN, t->dev->name,
                        "write past the common config at 0x%llx ignored",
                        (unsigned long long)offset);
            return;
        }
        common_write(t, offset - VIRTIO_PCI_COMMON, value, size);
    } else if (offset < VIRTIO_PCI_DEVICE) {
        log_once_in(&t->log, LOG_WARN, t->dev->name, "write to the ISR status ignored");
    } else if (offset < VIRTIO_PCI_NOTIFY) {
        if (size > 4) {
            log_once_in(&t->log, LOG_WARN, t->dev->name,
                        "%u-byte device config write ignored", size);
            return;
        }
        virtio_config_write(t->dev, (uint32_t)(offset - VIRTIO_PCI_DEVICE), value, size);
    } else {
        notify_write(t, offset, value, size);
    }
}

/* ---- the PCI-configuration access window (virtio_pci_cfg_cap, 4.1.4.9) ---- */

/* The BAR access the window's bar/offset/length fields describe, if it is a valid one. */
static bool window_target(struct virtio_pci *t, uint64_t *offset, unsigned *len)
{
    unsigned bar = pci_config_get(t->pci, t->cfg_cap + CAP_BAR, 1);
    uint32_t off = pci_config_get(t->pci, t->cfg_cap + CAP_OFFSET, 4);
    uint32_t l = pci_config_get(t->pci, t->cfg_cap + CAP_LENGTH, 4);
    if (bar != VIRTIO_PCI_BAR || (l != 1 && l != 2 && l != 4) || off % l ||
        off > VIRTIO_PCI_BAR_SIZE - l) {
        log_once_in(&t->log, LOG_WARN, t->dev->name,
                    "PCI config window set to BAR %u offset 0x%x length %u: ignored", bar, off,
                    l);
        return false;
    }
    *offset = off;
    *len = l;
    return true;
}

static uint32_t config_read(void *opaque, unsigned offset, unsigned size, uint32_t value)
{
    struct virtio_pci *t = opaque;
    uint64_t off;
    unsigned len;
    if (offset != t->cfg_cap + CAP_CFG_DATA || !window_target(t, &off, &len))
        return value;
    return (uint32_t)bar_read(t, VIRTIO_PCI_BAR, off, len);
}

static void config_write(void *opaque, unsigned offset, uint32_t value, unsigned size)
{
    struct virtio_pci *t = opaque;
    uint64_t off;
    unsigned len;
    if (offset != t->cfg_cap + CAP_CFG_DATA || !window_target(t, &off, &len))
        return;
    uint64_t mask = len == 4 ? 0xffffffffULL : (1ULL << (8 * len)) - 1;
    bar_write(t, VIRTIO_PCI_BAR, off, value & mask, len);
}

/* ---- construction ---- */

static int add_cap(struct virtio_pci *t, uint8_t type, uint32_t offset, uint32_t length,
                   unsigned len, uint32_t extra)
{
    uint8_t cap[20] = {0};
    cap[2] = (uint8_t)len;      /* cap_len */
    cap[3] = type;
    cap[CAP_BAR] = type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : VIRTIO_PCI_BAR;
    put32(cap + CAP_OFFSET, offset);
    put32(cap + CAP_LENGTH, length);
    if (len > 16)
        put32(cap + 16, extra);
    return pci_add_capability(t->pci, PCI_CAP_ID_VNDR, cap, len);
}

/* PCI class codes by VirtIO device type, as guests and QEMU expect them. */
static uint32_t class_of(uint32_t device_id)
{
    switch (device_id) {
    case VIRTIO_ID_NET: return 0x020000;        /* network: Ethernet */
    case VIRTIO_ID_BLOCK: return 0x010000;      /* storage: SCSI */
    case VIRTIO_ID_CONSOLE: return 0x078000;    /* communication: other */
    case 18: return 0x098000;                   /* input: other */
    default: return 0xff0000;                   /* unassigned class */
    }
}

struct virtio_pci *virtio_pci_new(struct virtio_device *dev)
{
    struct virtio_pci *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->dev = dev;
    struct pci_device_info info = {
        .name = dev->name,
        .vendor_id = VIRTIO_PCI_VENDOR,
        .device_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dev->device_id),
        .subsystem_vendor_id = VIRTIO_PCI_VENDOR,
        .subsystem_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dev->device_id),
        .revision = 1,          /* modern only (4.1.2.1) */
        .class_code = class_of(dev->device_id),
        .interrupt_pin = 1,
        .opaque = t,
        .bar_read = bar_read,
        .bar_write = bar_write,
        .config_write = config_write,
        .config_read = config_read,
    };
    t->pci = pci_device_new(&info);
    if (!t->pci)
        goto fail;
    int cfg_cap;
    if (pci_device_add_bar(t->pci, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MEM32,
                           VIRTIO_PCI_MSIX_BAR_SIZE) < 0 ||
        pci_device_add_bar(t->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64_PREFETCH,
                           VIRTIO_PCI_BAR_SIZE) < 0 ||
        add_cap(t, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON, VIRTIO_PCI_COMMON_SIZE, 16,
                0) < 0 ||
        add_cap(t, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY,
                VIRTIO_PCI_NOTIFY_MULTIPLIER * dev->num_queues, 20,
                VIRTIO_PCI_NOTIFY_MULTIPLIER) < 0 ||
        add_cap(t, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 1, 16, 0) < 0 ||
        add_cap(t, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE,
                dev->config_len ? dev->config_len : 1, 16, 0) < 0 ||
        (cfg_cap = add_cap(t, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 20, 0)) < 0)
        goto fail;
    t->cfg_cap = (unsigned)cfg_cap;
    /* The window's bar, offset, length and data fields are the driver's to write. */
    if (pci_config_set_wmask(t->pci, t->cfg_cap + CAP_BAR, 1, 0xff) < 0 ||
        pci_config_set_wmask(t->pci, t->cfg_cap + CAP_OFFSET, 12, 0xff) < 0)
        goto fail;
    if (pci_msix_init(t->pci, dev->num_queues + 1, VIRTIO_PCI_MSIX_BAR, 0, VIRTIO_PCI_MSIX_BAR,
                      VIRTIO_PCI_MSIX_PBA) < 0)
        goto fail;
    dev->transport = (struct virtio_transport){.opaque = t, .interrupt = on_interrupt,
                                               .reset = on_reset};
    on_reset(t);
    return t;
fail:
    log_error("virtio-pci", "%s: cannot build its PCI function", dev->name);
    pci_device_free(t->pci);
    free(t);
    return NULL;
}

void virtio_pci_free(struct virtio_pci *t)
{
    if (!t)
        return;
    t->dev->transport = (struct virtio_transport){0};
    pci_device_free(t->pci);
    free(t);
}

struct pci_device *virtio_pci_function(struct virtio_pci *t)
{
    return t->pci;
}
