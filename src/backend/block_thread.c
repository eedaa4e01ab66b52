/*
 * The worker-thread engine of the raw-file backend: a few threads take ios from a FIFO,
 * run them with block_run_sync() and put them on a done list; the event loop learns of
 * it through the backend's eventfd and calls block_thread_reap().
 *
 * It serves every io when io_uring is unavailable (or KITE_BLOCK_BACKEND=thread), and the
 * rare ones io_uring hands over: a short transfer to finish, a misaligned O_DIRECT io, a
 * fallocate mode the filesystem lacks.
 */
#define _GNU_SOURCE
#include "backend/block_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCK_THREAD_MAX 8

struct block_thread {
    struct block_file *bd;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct block_io *todo, **todo_tail;
    struct block_io *done, **done_tail;
    bool stop;
    unsigned nthreads;
    pthread_t threads[BLOCK_THREAD_MAX];
};

static void signal_loop(struct block_file *bd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will look anyway. */
    while (write(bd->efd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

static void *worker(void *opaque)
{
    struct block_thread *t = opaque;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        while (!t->todo && !t->stop)
            pthread_cond_wait(&t->wake, &t->lock);
        if (!t->todo)
            break;
        struct block_io *io = t->todo;
        t->todo = io->next;
        if (!t->todo)
            t->todo_tail = &t->todo;
        pthread_mutex_unlock(&t->lock);

        io->result = block_run_sync(t->bd, io);

        pthread_mutex_lock(&t->lock);
        io->next = NULL;
        *t->done_tail = io;
        t->done_tail = &io->next;
        signal_loop(t->bd);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct block_thread *block_thread_new(struct block_file *bd, unsigned workers)
{
    struct block_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->bd = bd;
    t->todo_tail = &t->todo;
    t->done_tail = &t->done;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (workers > BLOCK_THREAD_MAX)
        workers = BLOCK_THREAD_MAX;
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&t->threads[i], NULL, worker, t) != 0)
            break;
        t->nthreads++;
    }
    if (!t->nthreads) {
        block_thread_free(t);
        return NULL;
    }
    return t;
}

void block_thread_queue(struct block_thread *t, struct block_io *io)
{
    io->next = NULL;
    pthread_mutex_lock(&t->lock);
    *t->todo_tail = io;
    t->todo_tail = &io->next;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void block_thread_reap(struct block_thread *t)
{
    pthread_mutex_lock(&t->lock);
    struct block_io *list = t->done;
    t->done = NULL;
    t->done_tail = &t->done;
    pthread_mutex_unlock(&t->lock);
    while (list) {
        struct block_io *io = list;
        list = io->next;
        block_complete(t->bd, io, io->result);
    }
}

void block_thread_free(struct block_thread *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
    for (unsigned i = 0; i < t->nthreads; i++)
        pthread_join(t->threads[i], NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t);
}
