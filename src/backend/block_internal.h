/*
 * Inside the raw-file block backend: the state the two engines (io_uring, worker threads)
 * share. Not for devices: they see only backend/block.h.
 */
#ifndef KITE_BACKEND_BLOCK_INTERNAL_H
#define KITE_BACKEND_BLOCK_INTERNAL_H

#include "backend/block.h"

struct block_uring;
struct block_thread;
struct block_overlay;

/* The raw-file backend's block device (devices see its `base` only). */
struct block_file {
    struct block_device base;
    char *path;
    int fd;                     /* the image (or the snapshot overlay); O_DIRECT for cache=none */
    int fd_buffered;            /* same file without O_DIRECT (== fd unless cache=none) */
    int fd_base;                /* snapshot: the untouched image, kept open for its lock */
    bool direct;
    uint64_t size;
    bool read_only;
    bool flush_noop;            /* cache=unsafe, snapshot */
    bool sync;                  /* block_config.sync: ios run inside submit */
    struct event_loop *loop;
    int efd;                    /* completions of both engines are signalled here */
    bool efd_added;
    unsigned inflight;
    struct block_io *early, **early_tail;   /* completed at submit, delivered on the loop */
    struct block_uring *uring;              /* NULL: every io goes to the worker threads */
    struct block_thread *thread;            /* started on first use */
    struct block_overlay *overlay;          /* snapshot: every io goes through it */
};

/* Engine -> backend: an io finished (loop thread only). */
void block_complete(struct block_file *bd, struct block_io *io, int result);
/* Runs an io synchronously from io->progress on (worker threads): 0 or -errno. */
int block_run_sync(struct block_file *bd, struct block_io *io);
/* Hands an io to the worker threads (started on first use); on failure completes it. */
void block_to_thread(struct block_file *bd, struct block_io *io);

/* io_uring engine (block_uring.c). NULL when io_uring is unavailable (*why says why). */
struct block_uring *block_uring_new(struct block_file *bd, unsigned entries, int *why);
void block_uring_queue(struct block_uring *u, struct block_io *io);
void block_uring_submit(struct block_uring *u);
void block_uring_reap(struct block_uring *u);
void block_uring_free(struct block_uring *u);

/* Worker threads (block_thread.c): preadv/pwritev/fdatasync/fallocate off the loop. */
struct block_thread *block_thread_new(struct block_file *bd, unsigned workers);
void block_thread_queue(struct block_thread *t, struct block_io *io);
void block_thread_reap(struct block_thread *t);
void block_thread_free(struct block_thread *t);

#endif
