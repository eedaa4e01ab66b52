/*
 * The virtio-mmio transport, version 2 (VirtIO 1.2, 4.2): one register page per device.
 * Registers take 32-bit accesses only; the config space at 0x100 takes 8, 16 and 32-bit
 * ones. Anything else is ignored (reads as 0) and logged once.
 */
#ifndef KITE_VIRTIO_MMIO_H
#define KITE_VIRTIO_MMIO_H

#include <stdint.h>

#include "core/irq.h"
#include "core/mmio.h"
#include "virtio/device.h"

#define VIRTIO_MMIO_SIZE 0x1000ULL

/* Register offsets (4.2.2). */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u    /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4554494bu         /* "KITE" */

struct virtio_mmio;

/* Binds `dev` (already initialised) to a register page raising `irq`. NULL on ENOMEM. */
struct virtio_mmio *virtio_mmio_new(struct virtio_device *dev, struct irq_line irq);
void virtio_mmio_free(struct virtio_mmio *t);
struct mmio_region virtio_mmio_region(struct virtio_mmio *t, uint64_t base);

/* For tests: the region callbacks without a bus. */
uint64_t virtio_mmio_read(void *opaque, uint64_t offset, unsigned size);
void virtio_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#endif
