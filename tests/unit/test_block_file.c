/*
 * The raw-file block backend on real temporary files, with both engines (io_uring and the
 * worker threads, chosen by KITE_BLOCK_BACKEND as kite's users can): data round trips,
 * flush, discard and write-zeroes reach the file, errors come back as results (never a
 * lost io), many ios at once are all completed, and the open-time checks refuse what they
 * must (missing file, directory, bad size, an image locked by another opener).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/block.h"
#include "backend/block_internal.h"
#include "core/event_loop.h"

#define IMG_SIZE (1u << 20)

struct fix {
    char dir[64];
    char path[128];
    struct event_loop loop;
    struct block_device *bd;
    const char *engine;
    bool sync;                  /* block_config.sync (--icount) */
};

struct waiter {
    struct block_io io;
    int result;
    bool done;
    unsigned *counter;
    unsigned seq;               /* how many completed before this one (with counter) */
};

static void on_done(struct block_io *io, int result)
{
    struct waiter *w = io->opaque;
    assert_false(w->done);      /* exactly once */
    w->done = true;
    w->result = result;
    if (w->counter)
        w->seq = (*w->counter)++;
}

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off * 7 + 3 + (off >> 9));
}

static void write_image(const char *path, uint64_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (uint64_t i = 0; i < size; i++)
        fputc(pattern(i), f);
    fclose(f);
}

static void read_file(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static int setup_engine(void **state, const char *engine)
{
    struct fix *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kite-blk-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
    write_image(f->path, IMG_SIZE);
    event_loop_init(&f->loop);
    f->engine = engine;
    setenv("KITE_BLOCK_BACKEND", engine, 1);
    *state = f;
    return 0;
}

static int setup_uring(void **state) { return setup_engine(state, "io_uring"); }
static int setup_thread(void **state) { return setup_engine(state, "thread"); }
static int setup_sync(void **state)
{
    setup_engine(state, "synchronous");
    unsetenv("KITE_BLOCK_BACKEND");
    ((struct fix *)*state)->sync = true;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    block_close(f->bd);
    assert_int_equal(f->loop.count, 0);     /* the eventfd left the loop */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("KITE_BLOCK_BACKEND");
    free(f);
    return 0;
}

static void open_rw(struct fix *f, bool ro)
{
    struct block_config cfg = {.path = f->path, .read_only = ro, .sync = f->sync};
    assert_int_equal(block_open(&cfg, &f->loop, &f->bd), 0);
    assert_string_equal(block_engine_name(f->bd), f->engine);
}

/* Runs the loop until w is done; a lost io fails here instead of hanging. */
static void wait_for(struct fix *f, struct waiter *w)
{
    for (int i = 0; !w->done; i++) {
        assert_true(i < 200);
        event_loop_poll(&f->loop, 100000000ULL);
    }
}

static int run(struct fix *f, enum block_op op, uint64_t off, struct iovec *iov, unsigned n)
{
    struct waiter w = {0};
    uint64_t len = 0;
    for (unsigned i = 0; i < n; i++)
        len += iov[i].iov_len;
    w.io = (struct block_io){.op = op, .offset = off, .len = len, .iov = iov, .iovcnt = n,
                             .done = on_done, .opaque = &w};
    block_submit(f->bd, &w.io);
    /* Never completed inside submit. */
    assert_false(w.done);
    block_unplug(f->bd);
    wait_for(f, &w);
    return w.result;
}

static int run_range(struct fix *f, enum block_op op, uint64_t off, uint64_t len, bool unmap)
{
    struct waiter w = {0};
    w.io = (struct block_io){.op = op, .offset = off, .len = len, .may_unmap = unmap,
                             .done = on_done, .opaque = &w};
    block_submit(f->bd, &w.io);
    block_unplug(f->bd);
    wait_for(f, &w);
    return w.result;
}

static void test_read_scattered(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    assert_int_equal(block_size(f->bd), IMG_SIZE);
    uint8_t a[100], b[412], c[1024];
    struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
    assert_int_equal(run(f, BLOCK_OP_READ, 4096, iov, 3), 0);
    for (unsigned i = 0; i < sizeof(a); i++)
        assert_int_equal(a[i], pattern(4096 + i));
    for (unsigned i = 0; i < sizeof(b); i++)
        assert_int_equal(b[i], pattern(4096 + 100 + i));
    for (unsigned i = 0; i < sizeof(c); i++)
        assert_int_equal(c[i], pattern(4096 + 512 + i));
    assert_int_equal(block_inflight(f->bd), 0);
}

static void test_write_flush_reaches_file(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    uint8_t buf[2048];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0xa5 ^ i);
    struct iovec iov[2] = {{buf, 1000}, {buf + 1000, 1048}};
    assert_int_equal(run(f, BLOCK_OP_WRITE, 8192, iov, 2), 0);
    assert_int_equal(run(f, BLOCK_OP_FLUSH, 0, NULL, 0), 0);
    uint8_t back[2048];
    read_file(f->path, 8192, back, sizeof(back));
    assert_memory_equal(back, buf, sizeof(buf));
    /* Neighbours untouched. */
    uint8_t before;
    read_file(f->path, 8191, &before, 1);
    assert_int_equal(before, pattern(8191));
}

static void test_discard_and_write_zeroes(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    static uint8_t z[65536], back[65536];
    assert_int_equal(run_range(f, BLOCK_OP_WRITE_ZEROES, 65536, 65536, false), 0);
    read_file(f->path, 65536, back, sizeof(back));
    assert_memory_equal(back, z, sizeof(z));
    assert_int_equal(run_range(f, BLOCK_OP_WRITE_ZEROES, 2 * 65536, 65536, true), 0);
    read_file(f->path, 2 * 65536, back, sizeof(back));
    assert_memory_equal(back, z, sizeof(z));
    assert_int_equal(run_range(f, BLOCK_OP_DISCARD, 4 * 65536, 65536, false), 0);
    read_file(f->path, 4 * 65536, back, sizeof(back));
    assert_memory_equal(back, z, sizeof(z));    /* ext4/tmpfs punch holes: zeros */
    /* Only the range. */
    uint8_t edge[2];
    read_file(f->path, 65535, edge, 1);
    read_file(f->path, 3 * 65536, edge + 1, 1);
    assert_int_equal(edge[0], pattern(65535));
    assert_int_equal(edge[1], pattern(3 * 65536));
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, IMG_SIZE);     /* never grows or shrinks the image */
}

static void test_errors_are_results(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    uint8_t buf[1024];
    struct iovec iov = {buf, sizeof(buf)};
    /* Beyond the end, and an offset + len that would overflow. */
    assert_int_equal(run(f, BLOCK_OP_READ, IMG_SIZE - 512, &iov, 1), -EIO);
    assert_int_equal(run_range(f, BLOCK_OP_DISCARD, UINT64_MAX - 100, 1024, false), -EIO);
    /* The image shrinks under us: reads past the new end fail, kite goes on. */
    assert_int_equal(truncate(f->path, IMG_SIZE / 2), 0);
    assert_int_equal(run(f, BLOCK_OP_READ, IMG_SIZE / 2 + 4096, &iov, 1), -EIO);
    assert_int_equal(run(f, BLOCK_OP_READ, IMG_SIZE / 2 - 512, &iov, 1), -EIO);
    assert_int_equal(run(f, BLOCK_OP_READ, 0, &iov, 1), 0);
    assert_int_equal(buf[5], pattern(5));
    assert_int_equal(block_inflight(f->bd), 0);
}

static void test_read_only(void **state)
{
    struct fix *f = *state;
    open_rw(f, true);
    assert_true(block_read_only(f->bd));
    uint8_t buf[512] = {1};
    struct iovec iov = {buf, sizeof(buf)};
    assert_int_equal(run(f, BLOCK_OP_WRITE, 0, &iov, 1), -EROFS);
    assert_int_equal(run_range(f, BLOCK_OP_WRITE_ZEROES, 0, 512, false), -EROFS);
    assert_int_equal(run_range(f, BLOCK_OP_DISCARD, 0, 512, false), -EROFS);
    assert_int_equal(run(f, BLOCK_OP_FLUSH, 0, NULL, 0), 0);
    assert_int_equal(run(f, BLOCK_OP_READ, 0, &iov, 1), 0);
    uint8_t back[512];
    read_file(f->path, 0, back, sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], pattern(i));
}

/* Far more ios than the ring holds: all complete, each exactly once, data right. */
static void test_many_in_flight(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    enum { N = 1000 };
    static struct waiter w[N];
    static uint8_t bufs[N][512];
    static struct iovec iov[N];
    unsigned done = 0;
    for (unsigned i = 0; i < N; i++) {
        uint64_t off = (uint64_t)(i % 2048) * 512;
        iov[i] = (struct iovec){bufs[i], 512};
        w[i] = (struct waiter){.counter = &done};
        w[i].io = (struct block_io){.op = BLOCK_OP_READ, .offset = off, .len = 512,
                                    .iov = &iov[i], .iovcnt = 1, .done = on_done,
                                    .opaque = &w[i]};
        block_submit(f->bd, &w[i].io);
    }
    assert_int_equal(block_inflight(f->bd), N);
    block_unplug(f->bd);
    for (int k = 0; done < N; k++) {
        assert_true(k < 2000);
        event_loop_poll(&f->loop, 100000000ULL);
    }
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(w[i].result, 0);
        assert_int_equal(bufs[i][17], pattern((uint64_t)(i % 2048) * 512 + 17));
    }
    assert_int_equal(block_inflight(f->bd), 0);
}

/* block_drain delivers everything, without the caller polling. */
static void test_drain(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    unsigned done = 0;
    static struct waiter w[40];
    static uint8_t buf[40][4096];
    static struct iovec iov[40];
    for (unsigned i = 0; i < 40; i++) {
        iov[i] = (struct iovec){buf[i], 4096};
        w[i] = (struct waiter){.counter = &done};
        w[i].io = (struct block_io){.op = i % 2 ? BLOCK_OP_WRITE : BLOCK_OP_READ,
                                    .offset = 4096ULL * i, .len = 4096, .iov = &iov[i],
                                    .iovcnt = 1, .done = on_done, .opaque = &w[i]};
        block_submit(f->bd, &w[i].io);
    }
    block_drain(f->bd);
    assert_int_equal(done, 40);
    assert_int_equal(block_inflight(f->bd), 0);
}

/*
 * --icount: every io has finished when submit returns, so one look at the loop that does
 * not wait delivers them all, in the order they were submitted, however slow the disk.
 */
static void test_sync_ready_at_first_look(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    enum { N = 64 };
    static struct waiter w[N];
    static uint8_t buf[N][512];
    static struct iovec iov[N];
    unsigned done = 0;
    for (unsigned i = 0; i < N; i++) {
        iov[i] = (struct iovec){buf[i], 512};
        w[i] = (struct waiter){.counter = &done};
        /* Writes then reads of one sector: only in-order completion reads what was written. */
        memset(buf[i], 0xa0 + (i & 15), 512);
        w[i].io = (struct block_io){.op = i % 2 ? BLOCK_OP_READ : BLOCK_OP_WRITE,
                                    .offset = 512ULL * (i / 2), .len = 512, .iov = &iov[i],
                                    .iovcnt = 1, .done = on_done, .opaque = &w[i]};
        block_submit(f->bd, &w[i].io);
        assert_false(w[i].done);            /* still never inside submit */
    }
    block_unplug(f->bd);
    event_loop_poll(&f->loop, 0);
    assert_int_equal(done, N);
    assert_int_equal(block_inflight(f->bd), 0);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(w[i].seq, i);
    for (unsigned i = 1; i < N; i += 2) {
        assert_int_equal(w[i].result, 0);
        assert_int_equal(buf[i][100], 0xa0 + ((i - 1) & 15));
    }
}

/* A transfer that stopped half way resumes from io->progress (what io_uring hands over). */
static void test_resume_short_transfer(void **state)
{
    struct fix *f = *state;
    open_rw(f, false);
    uint8_t a[300], b[724];
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    struct block_io io = {.op = BLOCK_OP_WRITE, .offset = 0, .len = 1024, .iov = iov,
                          .iovcnt = 2, .progress = 500};
    assert_int_equal(block_run_sync((struct block_file *)f->bd, &io), 0);
    assert_int_equal(io.progress, 1024);
    uint8_t back[1024];
    read_file(f->path, 0, back, sizeof(back));
    for (unsigned i = 0; i < 500; i++)
        assert_int_equal(back[i], pattern(i));      /* "already done": not rewritten */
    for (unsigned i = 500; i < 1024; i++)
        assert_int_equal(back[i], 0x22);
    /* The iovecs themselves are the caller's and unchanged. */
    assert_ptr_equal(iov[0].iov_base, a);
    assert_int_equal(iov[1].iov_len, sizeof(b));
}

static void test_cache_none_misaligned(void **state)
{
    struct fix *f = *state;
    struct block_config cfg = {.path = f->path, .cache = BLOCK_CACHE_NONE};
    int ret = block_open(&cfg, &f->loop, &f->bd);
    if (ret == -EINVAL) {
        skip();     /* the test directory's filesystem has no O_DIRECT */
    }
    assert_int_equal(ret, 0);
    /* Aligned: straight O_DIRECT. Misaligned by 1 byte: refused by O_DIRECT, done buffered. */
    uint8_t *mem = aligned_alloc(4096, 3 * 4096);
    struct iovec iov = {mem, 4096};
    assert_int_equal(run(f, BLOCK_OP_READ, 4096, &iov, 1), 0);
    assert_int_equal(mem[9], pattern(4096 + 9));
    iov = (struct iovec){mem + 1, 4096};
    assert_int_equal(run(f, BLOCK_OP_READ, 8192, &iov, 1), 0);
    assert_int_equal(mem[1 + 9], pattern(8192 + 9));
    memset(mem + 1, 0x5a, 4096);
    assert_int_equal(run(f, BLOCK_OP_WRITE, 12288, &iov, 1), 0);
    assert_int_equal(run(f, BLOCK_OP_FLUSH, 0, NULL, 0), 0);
    uint8_t back[4096];
    read_file(f->path, 12288, back, sizeof(back));
    assert_memory_equal(back, mem + 1, 4096);
    free(mem);
}

static void test_snapshot_leaves_image(void **state)
{
    struct fix *f = *state;
    /* A sparse tail: the copy must keep the image's size and contents. */
    assert_int_equal(truncate(f->path, 4 * IMG_SIZE), 0);
    struct block_config cfg = {.path = f->path, .snapshot = true};
    assert_int_equal(block_open(&cfg, &f->loop, &f->bd), 0);
    assert_int_equal(block_size(f->bd), 4 * IMG_SIZE);
    uint8_t buf[4096];
    memset(buf, 0xee, sizeof(buf));
    struct iovec iov = {buf, sizeof(buf)};
    assert_int_equal(run(f, BLOCK_OP_WRITE, 0, &iov, 1), 0);
    assert_int_equal(run(f, BLOCK_OP_FLUSH, 0, NULL, 0), 0);
    uint8_t back[4096];
    iov = (struct iovec){back, sizeof(back)};
    assert_int_equal(run(f, BLOCK_OP_READ, 0, &iov, 1), 0);
    assert_memory_equal(back, buf, sizeof(buf));        /* the guest sees its write */
    assert_int_equal(run(f, BLOCK_OP_READ, 8192, &iov, 1), 0);
    assert_int_equal(back[3], pattern(8192 + 3));       /* and the image elsewhere */
    assert_int_equal(run(f, BLOCK_OP_READ, 2 * IMG_SIZE, &iov, 1), 0);
    assert_int_equal(back[3], 0);
    /* Another writer is still kept out while the snapshot runs. */
    struct block_device *other;
    struct block_config rw = {.path = f->path};
    assert_int_equal(block_open(&rw, &f->loop, &other), -EWOULDBLOCK);
    block_close(f->bd);
    f->bd = NULL;
    read_file(f->path, 0, back, sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], pattern(i));
    /* The overlay vanished: the directory holds only the image. */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", f->dir);
    assert_int_equal(system(cmd), 0);
}

/* The copy-on-write overlay against a model: random writes, zeroings and reads of any
 * sector-aligned size, across cluster edges and the partial last cluster, give what a
 * plain buffer gives; the image is unchanged at the end. */
static void test_snapshot_matches_model(void **state)
{
    struct fix *f = *state;
    const uint64_t size = IMG_SIZE + 3 * 512;       /* the last 64 KiB cluster is partial */
    write_image(f->path, size);
    struct block_config cfg = {.path = f->path, .snapshot = true};
    assert_int_equal(block_open(&cfg, &f->loop, &f->bd), 0);
    uint8_t *model = malloc(size), *buf = malloc(256 * 1024), *back = malloc(256 * 1024);
    for (uint64_t i = 0; i < size; i++)
        model[i] = pattern(i);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int step = 0; step < 400; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t sectors = size / 512;
        uint64_t first = x % sectors;
        uint64_t n = 1 + (x >> 20) % 300;           /* up to 150 KiB: spans clusters */
        if (first + n > sectors)
            n = sectors - first;
        uint64_t off = first * 512, len = n * 512;
        struct iovec iov[2] = {{buf, len / 2 - (len / 2) % 512 + 100},
                               {buf + len / 2 - (len / 2) % 512 + 100, 0}};
        iov[1].iov_len = len - iov[0].iov_len;      /* two buffers, split mid-sector */
        switch ((x >> 40) % 4) {
        case 0:
            for (uint64_t i = 0; i < len; i++)
                buf[i] = (uint8_t)(step * 37 + i);
            assert_int_equal(run(f, BLOCK_OP_WRITE, off, iov, 2), 0);
            memcpy(model + off, buf, len);
            break;
        case 1:
            assert_int_equal(run_range(f, (x >> 50) & 1 ? BLOCK_OP_DISCARD
                                                         : BLOCK_OP_WRITE_ZEROES,
                                       off, len, (x >> 51) & 1), 0);
            memset(model + off, 0, len);
            break;
        default: {
            struct iovec riov[2] = {{back, iov[0].iov_len}, {back + iov[0].iov_len,
                                                             iov[1].iov_len}};
            assert_int_equal(run(f, BLOCK_OP_READ, off, riov, 2), 0);
            assert_memory_equal(back, model + off, len);
        }
        }
    }
    /* A full read at the end. */
    for (uint64_t off = 0; off < size; off += 128 * 1024) {
        uint64_t len = size - off < 128 * 1024 ? size - off : 128 * 1024;
        struct iovec iov = {back, len};
        assert_int_equal(run(f, BLOCK_OP_READ, off, &iov, 1), 0);
        assert_memory_equal(back, model + off, len);
    }
    block_close(f->bd);
    f->bd = NULL;
    for (uint64_t off = 0; off < size; off += 128 * 1024) {
        uint64_t len = size - off < 128 * 1024 ? size - off : 128 * 1024;
        read_file(f->path, off, back, len);
        for (uint64_t i = 0; i < len; i++)
            assert_int_equal(back[i], pattern(off + i));
    }
    free(model);
    free(buf);
    free(back);
}

static void test_open_refusals(void **state)
{
    struct fix *f = *state;
    struct block_device *bd = NULL;
    char p[160];
    struct block_config cfg = {.path = p};
    snprintf(p, sizeof(p), "%s/missing.img", f->dir);
    assert_int_equal(block_open(&cfg, &f->loop, &bd), -ENOENT);
    snprintf(p, sizeof(p), "%s", f->dir);
    assert_int_equal(block_open(&cfg, &f->loop, &bd), -EISDIR);
    cfg.read_only = true;
    assert_int_equal(block_open(&cfg, &f->loop, &bd), -EISDIR);
    cfg.read_only = false;
    snprintf(p, sizeof(p), "%s/odd.img", f->dir);
    write_image(p, 1000);
    assert_int_equal(block_open(&cfg, &f->loop, &bd), -EINVAL);
    snprintf(p, sizeof(p), "%s/empty.img", f->dir);
    write_image(p, 0);
    assert_int_equal(block_open(&cfg, &f->loop, &bd), -EINVAL);
    assert_null(bd);
    assert_int_equal(f->loop.count, 0);
    /* Locks: a writer excludes writers and readers; readers share. */
    open_rw(f, false);
    struct block_config same = {.path = f->path};
    assert_int_equal(block_open(&same, &f->loop, &bd), -EWOULDBLOCK);
    same.read_only = true;
    assert_int_equal(block_open(&same, &f->loop, &bd), -EWOULDBLOCK);
    block_close(f->bd);
    f->bd = NULL;
    struct block_device *r1, *r2;
    assert_int_equal(block_open(&same, &f->loop, &r1), 0);
    assert_int_equal(block_open(&same, &f->loop, &r2), 0);
    same.read_only = false;
    assert_int_equal(block_open(&same, &f->loop, &bd), -EWOULDBLOCK);
    block_close(r1);
    block_close(r2);
    /* A path with spaces is just a path. */
    snprintf(p, sizeof(p), "%s/with some spaces.img", f->dir);
    write_image(p, 4096);
    assert_int_equal(block_open(&cfg, &f->loop, &bd), 0);
    assert_int_equal(block_size(bd), 4096);
    block_close(bd);
}

static void test_bad_engine_name(void **state)
{
    struct fix *f = *state;
    setenv("KITE_BLOCK_BACKEND", "magic", 1);
    struct block_config cfg = {.path = f->path};
    assert_int_equal(block_open(&cfg, &f->loop, &f->bd), -EINVAL);
    assert_null(f->bd);
}

int main(void)
{
#define BOTH(fn) {"uring_" #fn, fn, setup_uring, teardown, NULL}, \
                 {"thread_" #fn, fn, setup_thread, teardown, NULL}, \
                 {"sync_" #fn, fn, setup_sync, teardown, NULL}
    const struct CMUnitTest tests[] = {
        BOTH(test_read_scattered),
        BOTH(test_write_flush_reaches_file),
        BOTH(test_discard_and_write_zeroes),
        BOTH(test_errors_are_results),
        BOTH(test_read_only),
        BOTH(test_many_in_flight),
        BOTH(test_drain),
        {"uring_test_cache_none_misaligned", test_cache_none_misaligned, setup_uring, teardown,
         NULL},
        {"thread_test_cache_none_misaligned", test_cache_none_misaligned, setup_thread,
         teardown, NULL},
        {"uring_test_snapshot_leaves_image", test_snapshot_leaves_image, setup_uring, teardown,
         NULL},
        {"thread_test_snapshot_leaves_image", test_snapshot_leaves_image, setup_thread,
         teardown, NULL},
        cmocka_unit_test_setup_teardown(test_sync_ready_at_first_look, setup_sync, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_matches_model, setup_uring, teardown),
        cmocka_unit_test_setup_teardown(test_resume_short_transfer, setup_thread, teardown),
        cmocka_unit_test_setup_teardown(test_open_refusals, setup_uring, teardown),
        cmocka_unit_test_setup_teardown(test_bad_engine_name, setup_uring, teardown),
    };
#undef BOTH
    return cmocka_run_group_tests(tests, NULL, NULL);
}
