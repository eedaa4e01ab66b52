/*
 * Split virtqueues (VirtIO 1.2, 2.7): the device side of the descriptor table, the available
 * ring and the used ring, for one queue.
 *
 * Nothing the guest wrote is trusted: every index is read once and range-checked, chains
 * are bounded by the queue size (so loops end), indirect tables are checked, and each
 * buffer is mapped as a whole through guest_mem_map(). A popped request comes back as
 * iovecs pointing straight into guest RAM (zero copy): the readable ones first, then the
 * writable ones.
 *
 * A malformed chain whose head is valid is completed at once with length 0 (the driver gets
 * its buffer back) and logged once per queue and kind. A driver that breaks the ring itself
 * (avail.idx running more than the queue size ahead, a head index out of range) stops the
 * queue and calls on_broken, which the VirtIO core turns into DEVICE_NEEDS_RESET.
 */
#ifndef KITE_VIRTIO_QUEUE_H
#define KITE_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"

#define VIRTQ_MAX_SIZE 32768          /* the split-ring limit */
#define VIRTQ_DEFAULT_MAX_SIZE 256

/* Feature bits the queue implements (the core offers them for every device). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* What went wrong, for the log and for tests (virtq.errors counts each kind). */
enum virtq_error {
    VIRTQ_ERR_HEAD_RANGE,       /* head index >= queue size (ring broken) */
    VIRTQ_ERR_AVAIL_JUMP,       /* avail.idx - last seen > queue size (ring broken) */
    VIRTQ_ERR_NEXT_RANGE,       /* next index >= table size */
    VIRTQ_ERR_CHAIN_LOOP,       /* more descriptors than the queue size: a loop */
    VIRTQ_ERR_INDIRECT_OFF,     /* INDIRECT without VIRTIO_F_INDIRECT_DESC */
    VIRTQ_ERR_INDIRECT_NESTED,
    VIRTQ_ERR_INDIRECT_NEXT,    /* INDIRECT together with NEXT */
    VIRTQ_ERR_INDIRECT_LEN,     /* table length 0 or not a multiple of 16 */
    VIRTQ_ERR_INDIRECT_RAM,     /* table not in RAM */
    VIRTQ_ERR_ORDER,            /* readable descriptor after a writable one */
    VIRTQ_ERR_TOO_BIG,          /* total length above the queue's limit */
    VIRTQ_ERR_BUF_RAM,          /* buffer not wholly in RAM (or gpa + len overflows) */
    VIRTQ_ERR_EMPTY,            /* chain with no bytes at all */
    VIRTQ_ERR_COUNT
};

struct virtq_elem {
    uint16_t head;
    uint32_t epoch;             /* queue epoch at pop: completions after a reset are dropped */
    unsigned out_num, in_num;   /* iov[0..out_num) readable, iov[out_num..+in_num) writable */
    uint64_t out_len, in_len;   /* bytes in each part */
    struct iovec *iov;
    uint64_t *in_gpa;           /* guest address of each writable iovec (dirty reporting) */
    /* The queue's element pool: room for 1 << size_class iovecs; next free element. */
    unsigned size_class;
    struct virtq_elem *next_free;
};

/* Freed elements are kept per size class (powers of two up to VIRTQ_MAX_SIZE iovecs) for
 * the next pop, so a steady stream of requests allocates nothing. */
#define VIRTQ_POOL_CLASSES 16
#define VIRTQ_POOL_PER_CLASS 64

struct virtq {
    /* Set up by the transport before virtq_enable(); read-only afterwards. */
    uint16_t max_size;          /* the device's maximum (power of two) */
    uint16_t size;              /* chosen by the driver */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Per device: negotiated features and the cap on a chain's total length. */
    bool event_idx, indirect;
    uint64_t max_chain_bytes;   /* default UINT32_MAX */
    const struct guest_mem *mem;
    void (*on_broken)(void *opaque);
    void *opaque;
    const char *name;           /* for log lines, e.g. "virtio-rng.0" */

    /* State. */
    bool ready;                 /* enabled and not broken */
    bool broken;
    uint8_t *desc;              /* host views of the rings, valid while ready */
    uint8_t *avail;
    uint8_t *used;
    uint16_t last_avail;        /* next avail entry to consume */
    uint16_t shadow_avail;      /* last avail.idx read */
    uint16_t used_idx;          /* our copy of used.idx: never read back from the guest */
    uint16_t signalled_used;    /* used_idx at the last interrupt */
    bool signalled_valid;
    uint32_t epoch;
    unsigned inflight;          /* popped, not yet completed */
    unsigned long errors[VIRTQ_ERR_COUNT];
    uint32_t logged;            /* one bit per virtq_error: log once per queue and kind */
    struct virtq_elem *pool[VIRTQ_POOL_CLASSES];
    unsigned pooled[VIRTQ_POOL_CLASSES];
    struct iovec *scratch_iov;  /* walk buffers, max_size entries each */
    uint64_t *scratch_gpa;
    uint8_t *scratch_write;
};

/* Fills in defaults (max_size VIRTQ_DEFAULT_MAX_SIZE unless set) and allocates the walk
 * buffers. Returns 0 or -ENOMEM / -EINVAL. */
int virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t max_size,
               const char *name);
void virtq_cleanup(struct virtq *vq);

/* Byte sizes of the three areas for a queue of `size` entries (event fields included). */
static inline uint64_t virtq_desc_bytes(uint32_t size) { return 16ULL * size; }
static inline uint64_t virtq_avail_bytes(uint32_t size) { return 6ULL + 2ULL * size; }
static inline uint64_t virtq_used_bytes(uint32_t size) { return 6ULL + 8ULL * size; }

/*
 * Checks size (non-zero, power of two, <= max_size) and the three areas (in RAM, aligned
 * 16/2/4) and starts the queue. Returns 0, or -EINVAL after logging why (queue not ready).
 */
int virtq_enable(struct virtq *vq);
/* Back to the state after init (size = max_size, addresses 0, not ready). */
void virtq_reset(struct virtq *vq);

/*
 * Takes the next available request. Returns 1 with *out set, 0 when there is none (or the
 * queue is not ready, broken, or already has `size` requests in flight: back-pressure).
 * Malformed chains are completed with length 0 here and skipped.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem **out);
/*
 * Completes a request: `written` bytes (clamped to in_len) were written at the start of
 * the writable part; they are reported through guest_mem_dirty. The used element is
 * published before used.idx. Gives elem back to the queue's pool. A request from before a reset is just freed.
 */
void virtq_push(struct virtq *vq, struct virtq_elem *elem, uint32_t written);
/* Gives a popped request back without completing it (only for a device being reset). */
void virtq_drop(struct virtq *vq, struct virtq_elem *elem);
/* True if the driver should get a used-buffer interrupt for what was pushed since the
 * last one (EVENT_IDX / NO_INTERRUPT honoured); records that it got one. */
bool virtq_should_notify(struct virtq *vq);
/*
 * The device's hint to the driver: whether it wants to be notified of new buffers
 * (used.flags NO_NOTIFY, or avail_event with EVENT_IDX). Enabling returns true if buffers
 * arrived meanwhile, so the device must look again.
 */
bool virtq_set_notification(struct virtq *vq, bool enable);
/* True if the driver has made buffers available that were not popped yet. */
bool virtq_has_avail(struct virtq *vq);

/*
 * Copy between a request and a host buffer, starting `offset` bytes into the readable
 * (read) or writable (write) part. Return the bytes copied (short at the end of the part).
 * The caller reads a guest structure once into its own copy and validates that copy.
 */
size_t virtq_elem_read(const struct virtq_elem *e, uint64_t offset, void *buf, size_t len);
size_t virtq_elem_write(struct virtq_elem *e, uint64_t offset, const void *buf, size_t len);

const char *virtq_error_name(enum virtq_error err);

#endif
