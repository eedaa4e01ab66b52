/*
 * Block backends: where a virtio-blk device's sectors live. The device never calls the host
 * OS itself; it fills in a block_io and submits it, and the backend calls io->done() later
 * on the machine's event loop (never from inside block_submit, so a device is not
 * re-entered while it walks its queue). Every submitted io is completed exactly once,
 * errors included.
 *
 * The raw-file backend (block_file.c) runs requests on io_uring with a bounded number in
 * flight, its iovecs pointing straight into guest RAM; without io_uring (or with
 * KITE_BLOCK_BACKEND=thread) a small pool of worker threads runs preadv/pwritev instead;
 * snapshot disks always use one worker, which runs the copy-on-write overlay.
 * Completions reach the event loop through one eventfd per image.
 */
#ifndef KITE_BACKEND_BLOCK_H
#define KITE_BACKEND_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/event_loop.h"

#define BLOCK_SECTOR 512u

enum block_op {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,          /* everything completed before it is durable */
    BLOCK_OP_DISCARD,        /* the range may read back as anything (here: zeros) */
    BLOCK_OP_WRITE_ZEROES,   /* the range reads back as zeros */
};

struct block_io {
    /* Filled in by the caller. */
    enum block_op op;
    uint64_t offset;            /* bytes; read/write/discard/write-zeroes */
    uint64_t len;               /* bytes; for read/write the sum of the iovecs */
    const struct iovec *iov;    /* read/write: not modified by the backend */
    unsigned iovcnt;
    bool may_unmap;             /* write-zeroes: deallocating is fine */
    /* result: 0, or a negative errno (a short transfer is -EIO). */
    void (*done)(struct block_io *io, int result);
    void *opaque;

    /* The backend's. */
    struct block_io *next;
    uint64_t progress;          /* bytes already transferred (a short transfer resumes) */
    int result;
    bool use_buffered;          /* cache=none: this io is not O_DIRECT-aligned */
};

enum block_cache {
    BLOCK_CACHE_WRITEBACK,      /* host page cache; FLUSH = fdatasync */
    BLOCK_CACHE_NONE,           /* O_DIRECT; FLUSH = fdatasync */
    BLOCK_CACHE_UNSAFE,         /* host page cache; FLUSH does nothing */
};

struct block_config {
    const char *path;
    bool read_only;
    bool snapshot;              /* the image is only read; writes go to a temporary overlay */
    enum block_cache cache;
    /*
     * Run each io inside submit, on the caller's thread (--icount): its completion is then
     * ready, in submission order, at the loop's next look, however slow the host is. done()
     * still runs on the loop, never inside submit.
     */
    bool sync;
};

/*
 * A block device as devices see it: every backend's device starts with this struct and
 * provides the operations, so a device (virtio-blk) never knows which backend it has.
 */
struct block_device;
struct block_ops {
    uint64_t (*size)(const struct block_device *bd);          /* bytes */
    bool (*read_only)(const struct block_device *bd);
    const char *(*path)(const struct block_device *bd);       /* for messages */
    const char *(*engine_name)(const struct block_device *bd);
    /* Queues an io; its done() runs later on the event loop (also for errors). */
    void (*submit)(struct block_device *bd, struct block_io *io);
    /* Starts what was queued since the last call (one io_uring_submit for a batch). */
    void (*unplug)(struct block_device *bd);
    /* Blocks until no io is in flight, delivering every completion (reset, teardown). */
    void (*drain)(struct block_device *bd);
    /* ios submitted and not yet completed. */
    unsigned (*inflight)(const struct block_device *bd);
    /* Waits for everything in flight, then frees the device. */
    void (*close)(struct block_device *bd);
};

struct block_device {
    const struct block_ops *ops;
};

static inline uint64_t block_size(const struct block_device *bd) { return bd->ops->size(bd); }
static inline bool block_read_only(const struct block_device *bd)
{
    return bd->ops->read_only(bd);
}
static inline const char *block_path(const struct block_device *bd) { return bd->ops->path(bd); }
static inline const char *block_engine_name(const struct block_device *bd)
{
    return bd->ops->engine_name(bd);
}
static inline void block_submit(struct block_device *bd, struct block_io *io)
{
    bd->ops->submit(bd, io);
}
static inline void block_unplug(struct block_device *bd) { bd->ops->unplug(bd); }
static inline void block_drain(struct block_device *bd) { bd->ops->drain(bd); }
static inline unsigned block_inflight(const struct block_device *bd)
{
    return bd->ops->inflight(bd);
}
static inline void block_close(struct block_device *bd)
{
    if (bd)
        bd->ops->close(bd);
}

/*
 * The raw-file backend: opens a raw image and registers its completion eventfd on `loop`.
 * A missing file, a directory, a size that is not a positive multiple of 512, or an image
 * another process holds locked (writable images take an exclusive flock, read-only ones a
 * shared one) fails with one error line logged and a negative errno.
 */
int block_open(const struct block_config *cfg, struct event_loop *loop,
               struct block_device **out);

#endif
