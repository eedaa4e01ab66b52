/*
 * The raw-file block backend: opening and locking an image, the snapshot overlay, and the
 * path of an io from block_submit() to its done() on the event loop. The engines that do
 * the I/O are block_uring.c and block_thread.c.
 *
 * Snapshot: the image is opened read-only; the guest's writes go to a copy-on-write
 * overlay (block_overlay.c) in an anonymous temporary file (O_TMPFILE, or a name unlinked
 * at once), which vanishes when kite exits, however it exits.
 */
#define _GNU_SOURCE
#include "backend/block_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/block_overlay.h"
#include "core/log.h"

#define URING_ENTRIES 128
#define WORKERS 4
#define ZERO_CHUNK (64u * 1024)

static const uint8_t zero_chunk[ZERO_CHUNK];

static struct block_file *file_of(struct block_device *base)
{
    return (struct block_file *)base;
}

static const struct block_file *cfile_of(const struct block_device *base)
{
    return (const struct block_file *)base;
}

static uint64_t file_size(const struct block_device *b) { return cfile_of(b)->size; }
static bool file_read_only(const struct block_device *b) { return cfile_of(b)->read_only; }
static const char *file_path(const struct block_device *b) { return cfile_of(b)->path; }
static unsigned file_inflight(const struct block_device *b) { return cfile_of(b)->inflight; }

static const char *file_engine_name(const struct block_device *b)
{
    const struct block_file *bd = cfile_of(b);
    return bd->sync ? "synchronous" : bd->uring ? "io_uring" : "thread";
}

/* ---- synchronous I/O (worker threads) ---- */

static int rw_sync(struct block_file *bd, struct block_io *io)
{
    if (io->iovcnt == 0)
        return io->len ? -EIO : 0;
    struct iovec *v = malloc(io->iovcnt * sizeof(*v));
    if (!v)
        return -ENOMEM;
    memcpy(v, io->iov, io->iovcnt * sizeof(*v));
    /* Skip what was already transferred. */
    unsigned first = 0;
    uint64_t skip = io->progress;
    while (first < io->iovcnt && skip >= v[first].iov_len) {
        skip -= v[first].iov_len;
        first++;
    }
    if (first < io->iovcnt) {
        v[first].iov_base = (uint8_t *)v[first].iov_base + skip;
        v[first].iov_len -= skip;
    }
    int ret = 0;
    while (io->progress < io->len && first < io->iovcnt) {
        int fd = io->use_buffered ? bd->fd_buffered : bd->fd;
        int cnt = (int)(io->iovcnt - first < 1024 ? io->iovcnt - first : 1024);
        off_t at = (off_t)(io->offset + io->progress);
        ssize_t n = io->op == BLOCK_OP_READ ? preadv(fd, v + first, cnt, at)
                                            : pwritev(fd, v + first, cnt, at);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EINVAL && bd->direct && !io->use_buffered) {
                io->use_buffered = true;
                continue;
            }
            ret = -errno;
            break;
        }
        if (n == 0) {
            ret = -EIO;     /* end of file (the image shrank), or a write that makes no way */
            break;
        }
        io->progress += (uint64_t)n;
        uint64_t left = (uint64_t)n;
        while (first < io->iovcnt && left >= v[first].iov_len) {
            left -= v[first].iov_len;
            first++;
        }
        if (first < io->iovcnt) {
            v[first].iov_base = (uint8_t *)v[first].iov_base + left;
            v[first].iov_len -= left;
        }
    }
    if (!ret && io->progress < io->len)
        ret = -EIO;
    free(v);
    return ret;
}

static int write_zeroes_sync(struct block_file *bd, struct block_io *io)
{
    int keep = FALLOC_FL_KEEP_SIZE;
    if (io->op == BLOCK_OP_DISCARD || io->may_unmap) {
        if (fallocate(bd->fd_buffered, FALLOC_FL_PUNCH_HOLE | keep, (off_t)io->offset,
                      (off_t)io->len) == 0)
            return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
            return -errno;
        if (io->op == BLOCK_OP_DISCARD)
            return 0;       /* a hint only: the data may stay */
    }
    if (fallocate(bd->fd_buffered, FALLOC_FL_ZERO_RANGE | keep, (off_t)io->offset,
                  (off_t)io->len) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return -errno;
    /* The filesystem cannot zero a range: write the zeros. */
    uint64_t pos = io->offset, end = io->offset + io->len;
    while (pos < end) {
        size_t n = end - pos < ZERO_CHUNK ? (size_t)(end - pos) : ZERO_CHUNK;
        ssize_t w = pwrite(bd->fd_buffered, zero_chunk, n, (off_t)pos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        pos += (uint64_t)w;
    }
    return 0;
}

int block_run_sync(struct block_file *bd, struct block_io *io)
{
    if (bd->overlay)
        return block_overlay_run(bd->overlay, io);
    switch (io->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        return rw_sync(bd, io);
    case BLOCK_OP_FLUSH:
        return fdatasync(bd->fd) < 0 ? -errno : 0;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        return write_zeroes_sync(bd, io);
    }
    return -EIO;
}

/* ---- completion delivery (event loop) ---- */

void block_complete(struct block_file *bd, struct block_io *io, int result)
{
    if (bd->inflight)
        bd->inflight--;
    io->done(io, result);
}

/* Completes io on the loop, not now: done() never runs inside block_submit(). */
static void complete_later(struct block_file *bd, struct block_io *io, int result)
{
    io->result = result;
    io->next = NULL;
    *bd->early_tail = io;
    bd->early_tail = &io->next;
    uint64_t one = 1;
    while (write(bd->efd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

void block_to_thread(struct block_file *bd, struct block_io *io)
{
    if (!bd->thread) {
        /* The overlay's cluster map has one writer: its single worker. */
        bd->thread = block_thread_new(bd, bd->overlay ? 1 : WORKERS);
        if (!bd->thread) {
            log_once(LOG_ERROR, "block", "cannot start I/O worker threads: request failed");
            complete_later(bd, io, -ENOMEM);
            return;
        }
    }
    block_thread_queue(bd->thread, io);
}

static void on_ready(void *opaque, short revents)
{
    struct block_file *bd = opaque;
    uint64_t count;
    while (read(bd->efd, &count, sizeof(count)) < 0 && errno == EINTR) {
    }
    if (bd->uring)
        block_uring_reap(bd->uring);
    if (bd->thread)
        block_thread_reap(bd->thread);
    while (bd->early) {
        struct block_io *io = bd->early;
        bd->early = io->next;
        if (!bd->early)
            bd->early_tail = &bd->early;
        block_complete(bd, io, io->result);
    }
}

static void file_submit(struct block_device *b, struct block_io *io)
{
    struct block_file *bd = file_of(b);
    bd->inflight++;
    io->next = NULL;
    io->progress = 0;
    io->result = 0;
    io->use_buffered = false;
    bool writes = io->op == BLOCK_OP_WRITE || io->op == BLOCK_OP_DISCARD ||
                  io->op == BLOCK_OP_WRITE_ZEROES;
    if (writes && bd->read_only) {
        complete_later(bd, io, -EROFS);
        return;
    }
    if (io->op != BLOCK_OP_FLUSH && (io->offset > bd->size || io->len > bd->size - io->offset)) {
        complete_later(bd, io, -EIO);
        return;
    }
    if (io->op == BLOCK_OP_FLUSH && (bd->flush_noop || bd->read_only)) {
        complete_later(bd, io, 0);
        return;
    }
    if ((io->op == BLOCK_OP_READ || io->op == BLOCK_OP_WRITE) && io->len == 0) {
        complete_later(bd, io, 0);
        return;
    }
    if (bd->sync)
        complete_later(bd, io, block_run_sync(bd, io));
    else if (bd->uring)
        block_uring_queue(bd->uring, io);
    else
        block_to_thread(bd, io);
}

static void file_unplug(struct block_device *b)
{
    struct block_file *bd = file_of(b);
    if (bd->uring)
        block_uring_submit(bd->uring);
}

static void file_drain(struct block_device *b)
{
    struct block_file *bd = file_of(b);
    while (bd->inflight) {
        file_unplug(b);
        struct pollfd p = {.fd = bd->efd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        on_ready(bd, p.revents);
    }
}

/* ---- opening ---- */

static int image_size(int fd, const struct stat *st, uint64_t *size)
{
    if (S_ISREG(st->st_mode)) {
        *size = (uint64_t)st->st_size;
        return 0;
    }
    if (S_ISBLK(st->st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, size) < 0)
            return -errno;
        return 0;
    }
    return -EINVAL;
}

static int open_overlay_in(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT))
        return fd;
    char name[4096];
    if (snprintf(name, sizeof(name), "%s/kite-snapshot-XXXXXX", dir) >= (int)sizeof(name)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(name, O_CLOEXEC);
    if (fd >= 0)
        unlink(name);
    return fd;
}

static int make_snapshot(struct block_file *bd)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", bd->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    /* Next to the image first (a reflink is possible there), then $TMPDIR or /tmp. */
    int fd = open_overlay_in(dir);
    if (fd < 0)
        fd = open_overlay_in(tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (fd < 0) {
        int err = -errno;
        log_error("disk", "%s: cannot create a snapshot overlay: %s", bd->path, strerror(errno));
        return err;
    }
    bd->fd = bd->fd_buffered = fd;
    int ret = block_overlay_new(bd->fd_base, fd, bd->size, &bd->overlay);
    if (ret < 0)
        log_error("disk", "%s: cannot set up the snapshot overlay: %s", bd->path,
                  strerror(-ret));
    return ret;
}

static int open_image(struct block_file *bd, const struct block_config *cfg)
{
    const char *path = cfg->path;
    bool writable = !cfg->read_only && !cfg->snapshot;
    int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    int fd = open(path, flags);
    if (fd < 0) {
        int err = -errno;
        if (errno == EISDIR)
            log_error("disk", "%s is a directory, not a disk image", path);
        else
            log_error("disk", "cannot open %s: %s", path, strerror(errno));
        return err;
    }
    bd->fd_base = fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        log_error("disk", "cannot stat %s: %s", path, strerror(errno));
        return -errno;
    }
    if (S_ISDIR(st.st_mode)) {
        log_error("disk", "%s is a directory, not a disk image", path);
        return -EISDIR;
    }
    if (image_size(fd, &st, &bd->size) < 0) {
        log_error("disk", "%s is not a regular file or a block device", path);
        return -EINVAL;
    }
    if (bd->size == 0 || bd->size % BLOCK_SECTOR) {
        log_error("disk", "%s: size %llu is not a positive multiple of 512 bytes", path,
                  (unsigned long long)bd->size);
        return -EINVAL;
    }
    /* Two writers would corrupt the image: writers exclude everyone, readers share. */
    if (flock(fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
        int err = -errno;
        if (errno == EWOULDBLOCK)
            log_error("disk", "%s is in use: another kite (or program) has it locked%s", path,
                      writable ? "" : " for writing");
        else
            log_error("disk", "cannot lock %s: %s", path, strerror(errno));
        return err;
    }
    bd->read_only = cfg->read_only;
    if (cfg->snapshot)
        return make_snapshot(bd);
    bd->fd = bd->fd_buffered = fd;
    if (cfg->cache == BLOCK_CACHE_NONE) {
        int dfd = open(path, flags | O_DIRECT);
        if (dfd < 0) {
            int err = -errno;
            log_error("disk", "%s: cache=none needs O_DIRECT, which fails here: %s", path,
                      strerror(errno));
            return err;
        }
        bd->fd = dfd;
        bd->direct = true;
    }
    return 0;
}

static short want_events(void *opaque)
{
    return POLLIN;
}

static void close_fds(struct block_file *bd)
{
    if (bd->fd >= 0 && bd->fd != bd->fd_base)
        close(bd->fd);
    if (bd->fd_buffered >= 0 && bd->fd_buffered != bd->fd && bd->fd_buffered != bd->fd_base)
        close(bd->fd_buffered);
    if (bd->fd_base >= 0)
        close(bd->fd_base);
    bd->fd = bd->fd_buffered = bd->fd_base = -1;
}

static void file_close(struct block_device *b);

static const struct block_ops file_ops = {
    .size = file_size,
    .read_only = file_read_only,
    .path = file_path,
    .engine_name = file_engine_name,
    .submit = file_submit,
    .unplug = file_unplug,
    .drain = file_drain,
    .inflight = file_inflight,
    .close = file_close,
};

int block_open(const struct block_config *cfg, struct event_loop *loop,
               struct block_device **out)
{
    *out = NULL;
    struct block_file *bd = calloc(1, sizeof(*bd));
    if (!bd)
        return -ENOMEM;
    bd->base.ops = &file_ops;
    bd->fd = bd->fd_buffered = bd->fd_base = bd->efd = -1;
    bd->early_tail = &bd->early;
    bd->loop = loop;
    bd->path = strdup(cfg->path);
    int ret = bd->path ? open_image(bd, cfg) : -ENOMEM;
    if (ret < 0)
        goto fail;
    bd->flush_noop = cfg->snapshot || cfg->cache == BLOCK_CACHE_UNSAFE;
    bd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bd->efd < 0) {
        ret = -errno;
        log_error("disk", "%s: eventfd: %s", cfg->path, strerror(errno));
        goto fail;
    }
    const char *want = getenv("KITE_BLOCK_BACKEND");
    if (want && *want && strcmp(want, "thread") && strcmp(want, "io_uring")) {
        log_error("disk", "KITE_BLOCK_BACKEND=%s: use io_uring or thread", want);
        ret = -EINVAL;
        goto fail;
    }
    bd->sync = cfg->sync;
    if (cfg->sync) {
        /* Runs ios itself: no engine whose timing could reorder completions. */
    } else if (cfg->snapshot) {
        /* Snapshot ios may span the image and the overlay: the worker thread runs them. */
    } else if (!want || strcmp(want, "thread")) {
        int why = 0;
        bd->uring = block_uring_new(bd, URING_ENTRIES, &why);
        if (!bd->uring) {
            if (want && !strcmp(want, "io_uring")) {
                log_error("disk", "%s: io_uring unavailable: %s", cfg->path, strerror(-why));
                ret = why;
                goto fail;
            }
            log_warn("disk", "%s: io_uring unavailable (%s): using worker threads", cfg->path,
                     strerror(-why));
        }
    }
    log_info("disk", "%s: %llu bytes%s%s, %s engine", cfg->path,
             (unsigned long long)bd->size, bd->read_only ? ", read-only" : "",
             cfg->snapshot ? ", snapshot" : "", file_engine_name(&bd->base));
    if (loop) {
        struct event_source src = {.fd = bd->efd, .opaque = bd, .events = want_events,
                                   .ready = on_ready};
        if ((ret = event_loop_add(loop, &src)) < 0) {
            log_error("disk", "%s: no room in the event loop", cfg->path);
            goto fail;
        }
        bd->efd_added = true;
    }
    *out = &bd->base;
    return 0;
fail:
    block_uring_free(bd->uring);
    block_overlay_free(bd->overlay);
    if (bd->efd >= 0)
        close(bd->efd);
    close_fds(bd);
    free(bd->path);
    free(bd);
    return ret;
}

static void file_close(struct block_device *b)
{
    struct block_file *bd = file_of(b);
    file_drain(b);
    if (bd->efd_added)
        event_loop_remove(bd->loop, bd->efd);
    block_thread_free(bd->thread);
    block_uring_free(bd->uring);
    block_overlay_free(bd->overlay);
    close(bd->efd);
    close_fds(bd);
    free(bd->path);
    free(bd);
}
