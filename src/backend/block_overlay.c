/*
 * The snapshot overlay: a sparse temporary file as large as the image, and a bitmap of
 * 64 KiB clusters saying which ones the overlay holds. Reads take each run of clusters
 * from wherever it is; a write first copies up a cluster it covers only in part, then
 * writes into the overlay; zeroing marks whole clusters as held (and zero) without
 * reading the image. The image itself is never written.
 *
 * Runs on the worker-thread engine with a single worker, so the bitmap needs no lock and
 * no two ios touch a cluster at once.
 */
#define _GNU_SOURCE
#include "backend/block_overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLUSTER (64u * 1024)

struct block_overlay {
    int base_fd, over_fd;
    uint64_t size;
    uint64_t nclusters;
    uint8_t *present;
    uint8_t *bounce;            /* one cluster, for copy-up and for writing zeros */
};

static bool held(const struct block_overlay *o, uint64_t c)
{
    return o->present[c / 8] & (1u << (c % 8));
}

static void hold(struct block_overlay *o, uint64_t c)
{
    o->present[c / 8] |= (uint8_t)(1u << (c % 8));
}

int block_overlay_new(int base_fd, int over_fd, uint64_t size, struct block_overlay **out)
{
    *out = NULL;
    if (ftruncate(over_fd, (off_t)size) < 0)
        return -errno;
    struct block_overlay *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->base_fd = base_fd;
    o->over_fd = over_fd;
    o->size = size;
    o->nclusters = (size + CLUSTER - 1) / CLUSTER;
    o->present = calloc((size_t)((o->nclusters + 7) / 8), 1);
    o->bounce = aligned_alloc(4096, CLUSTER);
    if (!o->present || !o->bounce) {
        block_overlay_free(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}

void block_overlay_free(struct block_overlay *o)
{
    if (!o)
        return;
    free(o->present);
    free(o->bounce);
    free(o);
}

/* Full pread/pwrite of one buffer; a short read (the image shrank) is -EIO. */
static int whole(int fd, void *buf, size_t len, uint64_t off, bool write)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write ? pwrite(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done))
                          : pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* Moves bytes [from, to) of the io (relative to its start) between its iovecs and fd. */
static int transfer(const struct block_io *io, int fd, uint64_t from, uint64_t to, bool write)
{
    uint64_t pos = 0;
    for (unsigned i = 0; i < io->iovcnt && pos < to; i++) {
        uint64_t l = io->iov[i].iov_len;
        if (pos + l > from) {
            uint64_t a = from > pos ? from - pos : 0;
            uint64_t b = to < pos + l ? to - pos : l;
            int ret = whole(fd, (uint8_t *)io->iov[i].iov_base + a, (size_t)(b - a),
                            io->offset + pos + a, write);
            if (ret < 0)
                return ret;
        }
        pos += l;
    }
    return 0;
}

static uint64_t cluster_len(const struct block_overlay *o, uint64_t c)
{
    uint64_t start = c * CLUSTER;
    return o->size - start < CLUSTER ? o->size - start : CLUSTER;
}

static int copy_up(struct block_overlay *o, uint64_t c)
{
    if (held(o, c))
        return 0;
    size_t len = (size_t)cluster_len(o, c);
    int ret = whole(o->base_fd, o->bounce, len, c * CLUSTER, false);
    if (ret == 0)
        ret = whole(o->over_fd, o->bounce, len, c * CLUSTER, true);
    if (ret == 0)
        hold(o, c);
    return ret;
}

static int read_io(struct block_overlay *o, const struct block_io *io)
{
    uint64_t pos = io->offset, end = io->offset + io->len;
    while (pos < end) {
        /* The longest run of clusters from pos that all live in the same file. */
        uint64_t c = pos / CLUSTER;
        bool in_overlay = held(o, c);
        uint64_t run_end = (c + 1) * CLUSTER;
        while (run_end < end && held(o, run_end / CLUSTER) == in_overlay)
            run_end += CLUSTER;
        if (run_end > end)
            run_end = end;
        int ret = transfer(io, in_overlay ? o->over_fd : o->base_fd, pos - io->offset,
                           run_end - io->offset, false);
        if (ret < 0)
            return ret;
        pos = run_end;
    }
    return 0;
}

/*
 * Before io overwrites part of a cluster, the cluster's other bytes must come from the base
 * image: copies up the partly covered clusters (only the first and last can be).
 */
static int copy_up_edges(struct block_overlay *o, const struct block_io *io)
{
    uint64_t end = io->offset + io->len;
    uint64_t first = io->offset / CLUSTER, last = (end - 1) / CLUSTER;
    for (uint64_t c = first; c <= last; c += (last > first ? last - first : 1)) {
        bool covered = io->offset <= c * CLUSTER && end >= c * CLUSTER + cluster_len(o, c);
        if (!covered) {
            int ret = copy_up(o, c);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

/* Zeros [off, off + len) of the overlay file. */
static int zero_overlay(struct block_overlay *o, uint64_t off, uint64_t len)
{
    int keep = FALLOC_FL_KEEP_SIZE;
    if (fallocate(o->over_fd, FALLOC_FL_PUNCH_HOLE | keep, (off_t)off, (off_t)len) == 0 ||
        fallocate(o->over_fd, FALLOC_FL_ZERO_RANGE | keep, (off_t)off, (off_t)len) == 0)
        return 0;
    memset(o->bounce, 0, CLUSTER);
    while (len) {
        size_t n = len < CLUSTER ? (size_t)len : CLUSTER;
        int ret = whole(o->over_fd, o->bounce, n, off, true);
        if (ret < 0)
            return ret;
        off += n;
        len -= n;
    }
    return 0;
}

/* A write (or, with zero, a write of zeros): the overlay takes the bytes and from then on
 * holds the clusters they touch. */
static int overwrite_io(struct block_overlay *o, const struct block_io *io, bool zero)
{
    int ret = copy_up_edges(o, io);
    if (ret < 0)
        return ret;
    ret = zero ? zero_overlay(o, io->offset, io->len)
               : transfer(io, o->over_fd, 0, io->len, true);
    if (ret < 0)
        return ret;
    uint64_t first = io->offset / CLUSTER, last = (io->offset + io->len - 1) / CLUSTER;
    for (uint64_t c = first; c <= last; c++)
        hold(o, c);
    return 0;
}

int block_overlay_run(struct block_overlay *o, const struct block_io *io)
{
    if (io->offset > o->size || io->len > o->size - io->offset)
        return -EIO;
    if (io->len == 0 || io->op == BLOCK_OP_FLUSH)
        return 0;
    switch (io->op) {
    case BLOCK_OP_READ: return read_io(o, io);
    case BLOCK_OP_WRITE: return overwrite_io(o, io, false);
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES: return overwrite_io(o, io, true);
    case BLOCK_OP_FLUSH: return 0;
    }
    return -EIO;
}
