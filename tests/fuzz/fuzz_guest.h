/*
 * What the libFuzzer targets share: the fuzz input read as a hostile guest. The guest owns
 * RAM_SIZE bytes of RAM at RAM_BASE (loaded from the start of the input) and the rest of
 * the input is its stream of operations: register accesses, RAM edits, ring addresses.
 * Every helper consumes input the same way in every target, so seeds stay valid.
 */
#ifndef KITE_FUZZ_GUEST_H
#define KITE_FUZZ_GUEST_H

#include <stdint.h>
#include <string.h>

#include "virtio/mmio.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE 0x10000ULL

struct input {
    const uint8_t *p;
    size_t left;
};

/* The next n bytes, little-endian (0 past the end). */
static inline uint64_t take(struct input *in, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && in->left; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

/* RAM from the input: a 2-byte length, then that many bytes (the rest of RAM zero).
 * Returns the image length. */
static inline size_t fuzz_load_ram(struct input *in, uint8_t *ram)
{
    size_t image = take(in, 2) % (RAM_SIZE + 1);
    if (image > in->left)
        image = in->left;
    memset(ram, 0, RAM_SIZE);
    memcpy(ram, in->p, image);
    in->p += image;
    in->left -= image;
    return image;
}

static inline void fuzz_irq_set(void *opaque, int line, int level)
{
    (void)line;
    *(int *)opaque = level;
}

/* A gpa that is usually in RAM (and sometimes anywhere). */
static inline uint64_t pick_gpa(struct input *in)
{
    uint8_t kind = (uint8_t)take(in, 1);
    uint64_t v = take(in, 2);
    switch (kind & 3) {
    case 0: return RAM_BASE + (v % RAM_SIZE);
    case 1: return RAM_BASE + ((v << 4) % RAM_SIZE);
    case 2: return RAM_BASE + RAM_SIZE - (v & 0xff);
    default: return take(in, 8);
    }
}

/* Programs the selected queue's descriptor, driver and device areas from the input. */
static inline void fuzz_queue_areas(struct virtio_mmio *t, struct input *in)
{
    uint64_t gpa[3] = {pick_gpa(in), pick_gpa(in), pick_gpa(in)};
    for (int i = 0; i < 3; i++) {
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_DESC_LOW + 0x10 * i, (uint32_t)gpa[i], 4);
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_DESC_HIGH + 0x10 * i, (uint32_t)(gpa[i] >> 32),
                          4);
    }
}

/* A register write of any width at any offset. */
static inline void fuzz_reg_write(struct virtio_mmio *t, struct input *in)
{
    uint64_t off = take(in, 2) % VIRTIO_MMIO_SIZE;
    unsigned w = 1u << (take(in, 1) % 4);
    uint64_t v = take(in, 4);
    if (off + w <= VIRTIO_MMIO_SIZE)
        virtio_mmio_write(t, off, v, w);
}

/* A register or config read of any width at any offset. */
static inline void fuzz_reg_read(struct virtio_mmio *t, struct input *in)
{
    uint64_t off = take(in, 2) % VIRTIO_MMIO_SIZE;
    unsigned w = 1u << (take(in, 1) % 4);
    if (off + w <= VIRTIO_MMIO_SIZE)
        (void)virtio_mmio_read(t, off, w);
}

/* The guest rewrites up to 31 bytes of its RAM (rings, descriptors, buffers). */
static inline void fuzz_ram_edit(uint8_t *ram, struct input *in)
{
    uint64_t off = take(in, 2) % RAM_SIZE;
    unsigned n = (unsigned)take(in, 1) % 32;
    for (unsigned i = 0; i < n && off + i < RAM_SIZE; i++)
        ram[off + i] = (uint8_t)take(in, 1);
}

#endif
