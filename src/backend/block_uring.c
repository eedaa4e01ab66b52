/*
 * The io_uring engine of the raw-file backend. At most `entries` ios are in the ring at a
 * time; more wait, in order, on a list inside this struct (no allocation: the list is
 * threaded through the ios themselves). The ring's eventfd is the backend's, so
 * completions wake the machine's event loop.
 *
 * What io_uring cannot finish in one go (a short transfer, a buffer O_DIRECT refuses, a
 * fallocate mode the filesystem lacks) goes to the worker threads, which resume from
 * io->progress.
 */
#define _GNU_SOURCE
#include "backend/block_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

struct block_uring {
    struct block_file *bd;
    struct io_uring ring;
    unsigned entries;
    unsigned in_ring;           /* submitted or prepared, no CQE yet */
    unsigned prepared;          /* SQEs not yet passed to io_uring_submit */
    struct block_io *wait, **wait_tail;
};

struct block_uring *block_uring_new(struct block_file *bd, unsigned entries, int *why)
{
    struct block_uring *u = calloc(1, sizeof(*u));
    if (!u) {
        *why = -ENOMEM;
        return NULL;
    }
    int ret = io_uring_queue_init(entries, &u->ring, 0);
    if (ret < 0) {
        *why = ret;
        free(u);
        return NULL;
    }
    ret = io_uring_register_eventfd(&u->ring, bd->efd);
    if (ret < 0) {
        *why = ret;
        io_uring_queue_exit(&u->ring);
        free(u);
        return NULL;
    }
    u->bd = bd;
    u->entries = entries;
    u->wait_tail = &u->wait;
    return u;
}

static int fallocate_mode(const struct block_io *io)
{
    if (io->op == BLOCK_OP_DISCARD || io->may_unmap)
        return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

/* Puts io in the ring; false if there is no room. */
static bool prepare(struct block_uring *u, struct block_io *io)
{
    if (u->in_ring >= u->entries)
        return false;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe)
        return false;
    int fd = u->bd->fd;
    switch (io->op) {
    case BLOCK_OP_READ:
        io_uring_prep_readv(sqe, fd, io->iov, io->iovcnt, io->offset);
        break;
    case BLOCK_OP_WRITE:
        io_uring_prep_writev(sqe, fd, io->iov, io->iovcnt, io->offset);
        break;
    case BLOCK_OP_FLUSH:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        break;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        io_uring_prep_fallocate(sqe, fd, fallocate_mode(io), io->offset, io->len);
        break;
    }
    io_uring_sqe_set_data(sqe, io);
    u->in_ring++;
    u->prepared++;
    return true;
}

void block_uring_queue(struct block_uring *u, struct block_io *io)
{
    if (!u->wait && prepare(u, io))
        return;
    io->next = NULL;
    *u->wait_tail = io;
    u->wait_tail = &io->next;
}

void block_uring_submit(struct block_uring *u)
{
    if (!u->prepared)
        return;
    int ret = io_uring_submit(&u->ring);
    if (ret >= 0) {
        u->prepared = 0;
        return;
    }
    /* The SQEs stay in the ring and go with the next submit. Nothing may wait for a
     * submit that never comes: wake the loop, whose reap submits again. */
    log_once(LOG_WARN, "block", "io_uring_submit failed (%d): retrying", ret);
    uint64_t one = 1;
    if (write(u->bd->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_once(LOG_ERROR, "block", "cannot wake the event loop: %s", strerror(errno));
}

/* What a CQE means for io: true if the io is finished (with *result). */
static bool finished(struct block_uring *u, struct block_io *io, int res, int *result)
{
    struct block_file *bd = u->bd;
    switch (io->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        if (res == -EINVAL && bd->direct && !io->use_buffered) {
            io->use_buffered = true;    /* not aligned for O_DIRECT: buffered instead */
            return false;
        }
        if (res == -EAGAIN || res == -EINTR)
            return false;
        if (res < 0) {
            *result = res;
            return true;
        }
        if (res == 0 && io->op == BLOCK_OP_READ && io->len) {
            *result = -EIO;             /* end of file: the image shrank under us */
            return true;
        }
        io->progress += (uint64_t)res;
        if (io->progress >= io->len) {
            *result = 0;
            return true;
        }
        return false;                   /* short: the thread finishes it */
    case BLOCK_OP_FLUSH:
        *result = res < 0 ? res : 0;
        return true;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        if (res < 0)
            return false;               /* the thread has the fallbacks */
        *result = 0;
        return true;
    }
    *result = -EIO;
    return true;
}

void block_uring_reap(struct block_uring *u)
{
    struct io_uring_cqe *cqe;
    while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        struct block_io *io = io_uring_cqe_get_data(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&u->ring, cqe);
        u->in_ring--;
        if (!io)
            continue;
        int result;
        if (finished(u, io, res, &result))
            block_complete(u->bd, io, result);
        else
            block_to_thread(u->bd, io);
    }
    while (u->wait && prepare(u, u->wait)) {
        u->wait = u->wait->next;
        if (!u->wait)
            u->wait_tail = &u->wait;
    }
    block_uring_submit(u);
}

void block_uring_free(struct block_uring *u)
{
    if (!u)
        return;
    io_uring_queue_exit(&u->ring);
    free(u);
}
