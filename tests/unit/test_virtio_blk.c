/*
 * virtio-blk through virtio-mmio, driven by the simulated driver as a hostile guest would,
 * in front of the real raw-file backend on a temporary image (io_uring and the worker
 * threads both). Every malformed request gets its status (IOERR / UNSUPP) and comes back;
 * good requests move the right bytes between guest RAM and the file.
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
#include <unistd.h>

#include <cmocka.h>

#include "backend/block.h"
#include "core/event_loop.h"
#include "test_virtio_driver.h"
#include "virtio/blk.h"

#define IMG_SIZE (256u * 1024)          /* 512 sectors */
#define CAPACITY (IMG_SIZE / 512)
#define QSIZE 64
#define Q0 (SIM_RAM_BASE + 0x1000)
#define HDR (SIM_RAM_BASE + 0x4000)     /* QSIZE headers of 16 bytes */
#define STATUS (SIM_RAM_BASE + 0x5000)  /* QSIZE status bytes */
#define DATA (SIM_RAM_BASE + 0x10000)   /* QSIZE buffers of 4 KiB */

struct fix {
    char dir[64], path[128];
    struct sim_ram ram;
    struct event_loop loop;
    struct block_device *bd;
    struct virtio_blk *blk;
    struct sim_drv d;
    const char *engine;
};

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off * 13 + 1 + (off >> 9));
}

static void make_image(struct fix *f)
{
    FILE *img = fopen(f->path, "wb");
    assert_non_null(img);
    for (uint64_t i = 0; i < IMG_SIZE; i++)
        fputc(pattern(i), img);
    fclose(img);
}

static void file_read(struct fix *f, uint64_t off, void *buf, size_t len)
{
    int fd = open(f->path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void start_queue(struct fix *f, bool ro, const char *serial, uint32_t qsize,
                        uint64_t qbase);

static void start(struct fix *f, bool ro, const char *serial)
{
    start_queue(f, ro, serial, QSIZE, Q0);
}

static void start_queue(struct fix *f, bool ro, const char *serial, uint32_t qsize,
                        uint64_t qbase)
{
    struct block_config bc = {.path = f->path, .read_only = ro};
    assert_int_equal(block_open(&bc, &f->loop, &f->bd), 0);
    struct virtio_blk_config cfg = {.serial = serial};
    f->blk = virtio_blk_new(&f->ram.mem, f->bd, &cfg);
    assert_non_null(f->blk);
    sim_attach(&f->d, &f->ram, virtio_blk_device(f->blk));
    uint64_t feat = sim_offered(&f->d);
    assert_true(sim_negotiate(&f->d, feat));
    assert_int_equal(sim_queue_setup(&f->d, 0, qsize, qbase), 1);
    assert_true(sim_driver_ok(&f->d));
}

static int setup_engine(void **state, const char *engine)
{
    struct fix *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kite-vblk-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
    make_image(f);
    sim_ram_init(&f->ram);
    event_loop_init(&f->loop);
    f->engine = engine;
    setenv("KITE_BLOCK_BACKEND", engine, 1);
    *state = f;
    return 0;
}

static int setup_uring(void **state) { return setup_engine(state, "io_uring"); }
static int setup_thread(void **state) { return setup_engine(state, "thread"); }

static int setup_rw(void **state)
{
    setup_uring(state);
    start(*state, false, "kite-serial-1");
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    if (f->blk) {
        virtio_mmio_free(f->d.t);
        virtio_blk_free(f->blk);
    }
    block_close(f->bd);
    sim_ram_free(&f->ram);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("KITE_BLOCK_BACKEND");
    free(f);
    return 0;
}

static void put_header(struct fix *f, unsigned slot, uint32_t type, uint64_t sector)
{
    uint8_t *h = sim_host(&f->ram, HDR + 16 * slot);
    uint32_t zero = 0;
    memcpy(h, &type, 4);
    memcpy(h + 4, &zero, 4);
    memcpy(h + 8, &sector, 8);
}

static uint8_t *status_of(struct fix *f, unsigned slot)
{
    return sim_host(&f->ram, STATUS + slot);
}

/* A well-formed request: header, one data buffer (len may be 0), status. Uses
 * descriptors 3*slot .. 3*slot+2. */
static void post_request(struct fix *f, unsigned slot, uint32_t type, uint64_t sector,
                         uint32_t len, bool data_writable)
{
    put_header(f, slot, type, sector);
    *status_of(f, slot) = 0xff;
    unsigned d = 3 * slot;
    sim_set_desc(&f->d, 0, d, HDR + 16 * slot, 16, VIRTQ_DESC_F_NEXT, d + 1);
    if (len) {
        sim_set_desc(&f->d, 0, d + 1, DATA + 4096ULL * slot, len,
                     VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), d + 2);
        sim_set_desc(&f->d, 0, d + 2, STATUS + slot, 1, VIRTQ_DESC_F_WRITE, 0);
    } else {
        sim_set_desc(&f->d, 0, d, HDR + 16 * slot, 16, VIRTQ_DESC_F_NEXT, d + 2);
        sim_set_desc(&f->d, 0, d + 2, STATUS + slot, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    sim_post(&f->d, 0, (uint16_t)d);
}

/* Runs the event loop until a used element arrives; returns its id and length. */
static void reap(struct fix *f, uint32_t *id, uint32_t *len)
{
    for (int i = 0; !sim_reap(&f->d, 0, id, len); i++) {
        assert_true(i < 200);      /* a dropped request fails here instead of hanging */
        event_loop_poll(&f->loop, 100000000ULL);
    }
}

/* Notifies, waits for the one request at descriptor `head`, returns its status. */
static uint8_t complete_one(struct fix *f, unsigned slot, uint32_t *len_out)
{
    sim_notify(&f->d, 0);
    uint32_t id, len;
    reap(f, &id, &len);
    assert_int_equal(id, 3 * slot);
    if (len_out)
        *len_out = len;
    return *status_of(f, slot);
}

static uint8_t do_request(struct fix *f, uint32_t type, uint64_t sector, uint32_t len,
                          bool writable)
{
    post_request(f, 0, type, sector, len, writable);
    return complete_one(f, 0, NULL);
}

static void test_config_and_features(void **state)
{
    struct fix *f = *state;
    assert_int_equal(sim_rd(&f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    uint64_t cap = (uint64_t)sim_rd(&f->d, 0x100 + 4) << 32 | sim_rd(&f->d, 0x100);
    assert_int_equal(cap, CAPACITY);
    assert_int_equal(sim_rd(&f->d, 0x100 + VIRTIO_BLK_CFG_BLK_SIZE), 512);
    assert_int_equal(sim_rd(&f->d, 0x100 + VIRTIO_BLK_CFG_SEG_MAX), VIRTIO_BLK_SEG_MAX);
    assert_int_equal(sim_rd(&f->d, 0x100 + VIRTIO_BLK_CFG_SIZE_MAX), VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(sim_rd(&f->d, 0x100 + VIRTIO_BLK_CFG_MAX_DISCARD_SEG),
                     VIRTIO_BLK_MAX_SEGMENTS);
    uint64_t feat = sim_offered(&f->d);
    assert_true(feat & (1ULL << VIRTIO_BLK_F_FLUSH));
    assert_true(feat & (1ULL << VIRTIO_BLK_F_DISCARD));
    assert_true(feat & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
    assert_true(feat & (1ULL << VIRTIO_BLK_F_SEG_MAX));
    assert_true(feat & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
    assert_true(feat & (1ULL << VIRTIO_F_EVENT_IDX));
    assert_true(feat & (1ULL << VIRTIO_F_INDIRECT_DESC));
    assert_false(feat & (1ULL << VIRTIO_BLK_F_RO));
    assert_false(feat & (1ULL << VIRTIO_BLK_F_MQ));     /* one queue: no MQ */
    /* The worst legal request fits the queue: header + SEG_MAX buffers + status, plus the
     * indirect descriptor that carries them. */
    assert_true(VIRTIO_BLK_SEG_MAX + 3 <= VIRTIO_BLK_QUEUE_SIZE);
    assert_true((uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX <= VIRTIO_BLK_MAX_REQUEST);
}

static void test_read_pattern_scattered(void **state)
{
    struct fix *f = *state;
    /* 4 KiB from sector 8 into three odd-sized buffers; the status shares the last one. */
    put_header(f, 0, VIRTIO_BLK_T_IN, 8);
    sim_set_desc(&f->d, 0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, DATA, 1000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    sim_set_desc(&f->d, 0, 2, DATA + 8192, 3000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
    sim_set_desc(&f->d, 0, 3, DATA + 16384, 97, VIRTQ_DESC_F_WRITE, 0);
    ((uint8_t *)sim_host(&f->ram, DATA + 16384))[96] = 0xff;
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    uint32_t id, len;
    reap(f, &id, &len);
    assert_int_equal(id, 0);
    assert_int_equal(len, 4097);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA + 16384))[96], VIRTIO_BLK_S_OK);
    uint8_t *a = sim_host(&f->ram, DATA), *b = sim_host(&f->ram, DATA + 8192),
            *c = sim_host(&f->ram, DATA + 16384);
    uint64_t base = 8 * 512;
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(a[i], pattern(base + i));
    for (unsigned i = 0; i < 3000; i++)
        assert_int_equal(b[i], pattern(base + 1000 + i));
    for (unsigned i = 0; i < 96; i++)
        assert_int_equal(c[i], pattern(base + 4000 + i));
    /* Everything the device wrote was reported (the hart's decoded-code cache). */
    assert_int_equal(f->ram.dirty_bytes, 4097);
    assert_int_equal(f->d.irq_level, 1);
    const struct virtio_blk_stats *s = virtio_blk_stats(f->blk);
    assert_int_equal(s->bytes_read, 4096);
}

static void test_write_flush_read_back(void **state)
{
    struct fix *f = *state;
    uint8_t *buf = sim_host(&f->ram, DATA);
    for (unsigned i = 0; i < 4096; i++)
        buf[i] = (uint8_t)(i ^ 0x5c);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 100, 4096, false), VIRTIO_BLK_S_OK);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
    uint8_t back[4096];
    file_read(f, 100 * 512, back, sizeof(back));
    assert_memory_equal(back, buf, 4096);
    memset(buf, 0, 4096);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 100, 4096, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(back, buf, 4096);
    /* The last sector of the disk is reachable, and no further. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, CAPACITY - 1, 512, false),
                     VIRTIO_BLK_S_OK);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, CAPACITY - 1, 512, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(back, buf, 512);
}

static void test_header_split_across_buffers(void **state)
{
    struct fix *f = *state;
    /* 16-byte header in 3 pieces: 5 + 7 + 4 bytes, then data and status. */
    uint8_t hdr[16] = {0};
    uint64_t sector = 3;
    memcpy(hdr + 8, &sector, 8);
    memcpy(sim_host(&f->ram, HDR), hdr, 5);
    memcpy(sim_host(&f->ram, HDR + 64), hdr + 5, 7);
    memcpy(sim_host(&f->ram, HDR + 128), hdr + 12, 4);
    sim_set_desc(&f->d, 0, 0, HDR, 5, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, HDR + 64, 7, VIRTQ_DESC_F_NEXT, 2);
    sim_set_desc(&f->d, 0, 2, HDR + 128, 4, VIRTQ_DESC_F_NEXT, 3);
    sim_set_desc(&f->d, 0, 3, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
    sim_set_desc(&f->d, 0, 4, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    *status_of(f, 0) = 0xff;
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    uint32_t id, len;
    reap(f, &id, &len);
    assert_int_equal(*status_of(f, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA))[7], pattern(3 * 512 + 7));
}

static void test_malformed_requests_complete(void **state)
{
    struct fix *f = *state;
    /* Unknown types: UNSUPP. */
    assert_int_equal(do_request(f, 99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(do_request(f, 10 /* GET_LIFETIME */, 0, 0, true), VIRTIO_BLK_S_UNSUPP);
    /* Beyond the end, straddling it, and a sector that overflows when scaled. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, CAPACITY, 512, true), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, CAPACITY - 1, 1024, true),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, UINT64_MAX / 256, 512, false),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true), VIRTIO_BLK_S_IOERR);
    /* Not a whole number of sectors. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 0, 100, true), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 0, 513, false), VIRTIO_BLK_S_IOERR);
    /* Data in the wrong direction: a read whose buffer is readable, a write whose buffer
     * is writable. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 0, 512, false), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 0, 512, true), VIRTIO_BLK_S_IOERR);
    /* A flush or get-id carrying data. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_FLUSH, 0, 512, false), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_GET_ID, 0, 0, false), VIRTIO_BLK_S_OK);
    /* Nothing reached the file. */
    uint8_t back[1024];
    file_read(f, 0, back, sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], pattern(i));
    const struct virtio_blk_stats *s = virtio_blk_stats(f->blk);
    assert_int_equal(s->unsupp, 2);
    assert_int_equal(s->ioerr, 9);
    assert_int_equal(virtio_blk_device(f->blk)->queues[0].inflight, 0);
}

static unsigned count_lines(const char *log, const char *needle)
{
    unsigned n = 0;
    for (const char *p = log; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* A complaint is logged once per disk: the second disk's identical one is logged too. */
static void test_log_once_per_disk(void **state)
{
    struct fix *f = *state;
    struct sim_capture c;
    sim_capture_start(&c);
    assert_int_equal(do_request(f, 99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(do_request(f, 99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    char *log = sim_capture_end(&c);
    assert_int_equal(count_lines(log, "request type 99 unsupported"), 1);
    free(log);

    /* A second disk on the same image, driven the same way. */
    struct virtio_blk *first = f->blk;
    virtio_mmio_free(f->d.t);
    struct virtio_blk_config cfg = {.serial = "second"};
    f->blk = virtio_blk_new(&f->ram.mem, f->bd, &cfg);
    assert_non_null(f->blk);
    sim_attach(&f->d, &f->ram, virtio_blk_device(f->blk));
    assert_true(sim_negotiate(&f->d, sim_offered(&f->d)));
    memset(sim_host(&f->ram, Q0), 0, HDR - Q0);     /* a fresh ring, as a new driver's */
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
    sim_capture_start(&c);
    assert_int_equal(do_request(f, 99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(do_request(f, 99, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
    log = sim_capture_end(&c);
    assert_int_equal(count_lines(log, "request type 99 unsupported"), 1);
    free(log);
    virtio_blk_free(first);
}

/*
 * A second block backend, written here without touching blk.c: a RAM disk whose
 * completions run from an event-loop timer (never inside submit, as block.h requires).
 */
struct ram_disk {
    struct block_device base;
    uint8_t data[CAPACITY * BLOCK_SECTOR];
    struct block_io *done_list[8];
    unsigned ndone, inflight, flushes;
    struct event_loop *loop;
    struct event_timer timer;
};

static uint64_t ram_size(const struct block_device *b)
{
    return sizeof(((const struct ram_disk *)b)->data);
}
static bool ram_ro(const struct block_device *b) { return false; }
static const char *ram_path(const struct block_device *b) { return "ram"; }
static unsigned ram_inflight(const struct block_device *b)
{
    return ((const struct ram_disk *)b)->inflight;
}

static void ram_fire(void *opaque)
{
    struct ram_disk *r = opaque;
    unsigned n = r->ndone;
    r->ndone = 0;
    for (unsigned i = 0; i < n; i++) {
        r->inflight--;
        r->done_list[i]->done(r->done_list[i], 0);
    }
}

static void ram_submit(struct block_device *b, struct block_io *io)
{
    struct ram_disk *r = (struct ram_disk *)b;
    assert_true(r->ndone < 8);
    uint64_t off = io->offset;
    for (unsigned i = 0; i < io->iovcnt; i++) {
        if (io->op == BLOCK_OP_READ)
            memcpy(io->iov[i].iov_base, r->data + off, io->iov[i].iov_len);
        else if (io->op == BLOCK_OP_WRITE)
            memcpy(r->data + off, io->iov[i].iov_base, io->iov[i].iov_len);
        off += io->iov[i].iov_len;
    }
    r->flushes += io->op == BLOCK_OP_FLUSH;
    r->inflight++;
    r->done_list[r->ndone++] = io;
    event_timer_arm(&r->timer, 1);
}

static void ram_nop(struct block_device *b) {}
static void ram_drain(struct block_device *b) { ram_fire(b); }
static void ram_close(struct block_device *b)
{
    struct ram_disk *r = (struct ram_disk *)b;
    event_loop_remove_timer(r->loop, &r->timer);
    free(r);
}

static const struct block_ops ram_ops = {
    .size = ram_size, .read_only = ram_ro, .path = ram_path, .engine_name = ram_path,
    .submit = ram_submit, .unplug = ram_nop, .drain = ram_drain, .inflight = ram_inflight,
    .close = ram_close,
};

static void test_second_backend(void **state)
{
    struct fix *f = *state;
    struct ram_disk *r = calloc(1, sizeof(*r));
    r->base.ops = &ram_ops;
    r->loop = &f->loop;
    r->timer = (struct event_timer){.fire = ram_fire, .opaque = r};
    assert_int_equal(event_loop_add_timer(&f->loop, &r->timer), 0);
    f->bd = &r->base;
    f->blk = virtio_blk_new(&f->ram.mem, f->bd, NULL);
    assert_non_null(f->blk);
    sim_attach(&f->d, &f->ram, virtio_blk_device(f->blk));
    assert_true(sim_negotiate(&f->d, sim_offered(&f->d)));
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
    uint64_t cap = (uint64_t)sim_rd(&f->d, 0x100 + 4) << 32 | sim_rd(&f->d, 0x100);
    assert_int_equal(cap, CAPACITY);
    memset(sim_host(&f->ram, DATA), 0x5a, 1024);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 3, 1024, false), VIRTIO_BLK_S_OK);
    assert_int_equal(r->data[3 * 512], 0x5a);
    assert_int_equal(r->data[3 * 512 + 1023], 0x5a);
    assert_int_equal(r->data[3 * 512 + 1024], 0);
    memset(sim_host(&f->ram, DATA), 0, 1024);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 3, 1024, true), VIRTIO_BLK_S_OK);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA))[1023], 0x5a);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
    assert_int_equal(r->flushes, 1);
}

static void test_bad_header_and_status(void **state)
{
    struct fix *f = *state;
    uint32_t id, len;
    /* A 10-byte header: IOERR in the status byte. */
    put_header(f, 0, VIRTIO_BLK_T_IN, 0);
    sim_set_desc(&f->d, 0, 0, HDR, 10, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    *status_of(f, 0) = 0xff;
    sim_post(&f->d, 0, 0);
    assert_int_equal(complete_one(f, 0, &len), VIRTIO_BLK_S_IOERR);
    assert_int_equal(len, 1);
    /* No header at all (only writable buffers). */
    sim_set_desc(&f->d, 0, 0, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    sim_set_desc(&f->d, 0, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    *status_of(f, 0) = 0xff;
    sim_post(&f->d, 0, 0);
    assert_int_equal(complete_one(f, 0, NULL), VIRTIO_BLK_S_IOERR);
    /* No writable byte for a status: handed back with length 0, nothing written. */
    put_header(f, 0, VIRTIO_BLK_T_OUT, 0);
    sim_set_desc(&f->d, 0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, DATA, 512, 0, 0);
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    reap(f, &id, &len);
    assert_int_equal(id, 0);
    assert_int_equal(len, 0);
    assert_int_equal(virtio_blk_stats(f->blk)->no_status, 1);
    /* A write whose status part is 2 bytes: IOERR in the last byte, file untouched. */
    memset(sim_host(&f->ram, DATA), 0x77, 512);
    put_header(f, 0, VIRTIO_BLK_T_OUT, 0);
    sim_set_desc(&f->d, 0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, DATA, 512, VIRTQ_DESC_F_NEXT, 2);
    sim_set_desc(&f->d, 0, 2, STATUS, 2, VIRTQ_DESC_F_WRITE, 0);
    *status_of(f, 1) = 0xff;
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    reap(f, &id, &len);
    assert_int_equal(*status_of(f, 1), VIRTIO_BLK_S_IOERR);
    uint8_t b;
    file_read(f, 0, &b, 1);
    assert_int_equal(b, pattern(0));
    /* The device still works. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
}

static void test_get_id(void **state)
{
    struct fix *f = *state;
    uint8_t *id = sim_host(&f->ram, DATA);
    memset(id, 0xaa, 20);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(id, "kite-serial-1\0\0\0\0\0\0\0", 20);
    /* A 5-byte buffer gets the first 5 bytes, nothing beyond. */
    memset(id, 0xaa, 20);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_GET_ID, 0, 5, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(id, "kite-", 5);
    assert_int_equal(id[5], 0xaa);
}

static void test_get_id_full_length_serial(void **state)
{
    setup_uring(state);
    struct fix *f = *state;
    start(f, false, "ABCDEFGHIJKLMNOPQRST");
    uint8_t *id = sim_host(&f->ram, DATA);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
    assert_memory_equal(id, "ABCDEFGHIJKLMNOPQRST", 20);    /* no terminator at 20 */
    /* 21 bytes is refused at creation. */
    struct virtio_blk_config cfg = {.serial = "ABCDEFGHIJKLMNOPQRSTU"};
    assert_null(virtio_blk_new(&f->ram.mem, f->bd, &cfg));
}

/* Ranges for DISCARD / WRITE_ZEROES at DATA + 4096 * slot. */
static void post_ranges(struct fix *f, unsigned slot, uint32_t type, unsigned n,
                        const uint64_t *sector, const uint32_t *num, const uint32_t *flags)
{
    put_header(f, slot, type, 0);
    uint8_t *p = sim_host(&f->ram, DATA + 4096ULL * slot);
    for (unsigned i = 0; i < n; i++) {
        memcpy(p + 16 * i, &sector[i], 8);
        memcpy(p + 16 * i + 8, &num[i], 4);
        memcpy(p + 16 * i + 12, &flags[i], 4);
    }
    *status_of(f, slot) = 0xff;
    unsigned d = 3 * slot;
    sim_set_desc(&f->d, 0, d, HDR + 16 * slot, 16, VIRTQ_DESC_F_NEXT, d + 1);
    sim_set_desc(&f->d, 0, d + 1, DATA + 4096ULL * slot, 16 * n, VIRTQ_DESC_F_NEXT, d + 2);
    sim_set_desc(&f->d, 0, d + 2, STATUS + slot, 1, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, (uint16_t)d);
}

static uint8_t ranges(struct fix *f, uint32_t type, unsigned n, const uint64_t *sector,
                      const uint32_t *num, const uint32_t *flags)
{
    post_ranges(f, 0, type, n, sector, num, flags);
    return complete_one(f, 0, NULL);
}

static bool file_zero(struct fix *f, uint64_t off, size_t len)
{
    uint8_t buf[8192];
    assert_true(len <= sizeof(buf));
    file_read(f, off, buf, len);
    for (size_t i = 0; i < len; i++)
        if (buf[i])
            return false;
    return true;
}

static void test_discard_write_zeroes(void **state)
{
    struct fix *f = *state;
    uint64_t s2[2] = {16, 64};
    uint32_t n2[2] = {8, 16}, fl2[2] = {0, 0};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 2, s2, n2, fl2), VIRTIO_BLK_S_OK);
    assert_true(file_zero(f, 16 * 512, 8 * 512));
    assert_true(file_zero(f, 64 * 512, 16 * 512));
    assert_false(file_zero(f, 24 * 512, 512));          /* between the ranges: kept */
    uint64_t s1[1] = {128};
    uint32_t n1[1] = {8}, unmap[1] = {1}, zero[1] = {0};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, s1, n1, unmap), VIRTIO_BLK_S_OK);
    assert_true(file_zero(f, 128 * 512, 8 * 512));
    s1[0] = 256;
    assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 1, s1, n1, zero), VIRTIO_BLK_S_OK);
    assert_true(file_zero(f, 256 * 512, 8 * 512));
    /* Hostile ranges: beyond the end, flags the type does not have, none, too many. */
    uint64_t end[1] = {CAPACITY - 4};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, end, n1, zero),
                     VIRTIO_BLK_S_IOERR);
    uint64_t huge[1] = {UINT64_MAX - 2};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 1, huge, n1, zero), VIRTIO_BLK_S_IOERR);
    assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 1, s1, n1, unmap), VIRTIO_BLK_S_UNSUPP);
    uint32_t badflag[1] = {4};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, s1, n1, badflag),
                     VIRTIO_BLK_S_UNSUPP);
    uint64_t s17[17];
    uint32_t n17[17], f17[17];
    for (unsigned i = 0; i < 17; i++) {
        s17[i] = 300 + i;
        n17[i] = 1;
        f17[i] = 0;
    }
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 17, s17, n17, f17),
                     VIRTIO_BLK_S_IOERR);
    assert_false(file_zero(f, 300 * 512, 512));         /* not even the first one ran */
    /* A bad second range fails the whole request before the first is run. */
    uint64_t mix[2] = {400, CAPACITY};
    uint32_t mixn[2] = {1, 1};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 2, mix, mixn, fl2),
                     VIRTIO_BLK_S_IOERR);
    assert_false(file_zero(f, 400 * 512, 512));
    /* Ranges of a length that is not a multiple of 16. */
    post_ranges(f, 0, VIRTIO_BLK_T_DISCARD, 1, s1, n1, zero);
    sim_set_desc(&f->d, 0, 1, DATA, 15, VIRTQ_DESC_F_NEXT, 2);
    assert_int_equal(complete_one(f, 0, NULL), VIRTIO_BLK_S_IOERR);
}

static void test_read_only_disk(void **state)
{
    setup_uring(state);
    struct fix *f = *state;
    start(f, true, NULL);
    assert_true(sim_offered(&f->d) & (1ULL << VIRTIO_BLK_F_RO));
    assert_false(sim_offered(&f->d) & (1ULL << VIRTIO_BLK_F_DISCARD));
    memset(sim_host(&f->ram, DATA), 0x99, 4096);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 0, 4096, false), VIRTIO_BLK_S_IOERR);
    uint64_t s1[1] = {0};
    uint32_t n1[1] = {8}, zero[1] = {0};
    /* Offered or not, a zeroing request does not touch a read-only disk. */
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, s1, n1, zero),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 0, 4096, true), VIRTIO_BLK_S_OK);
    uint8_t *p = sim_host(&f->ram, DATA);
    assert_int_equal(p[100], pattern(100));
    uint8_t back[4096];
    file_read(f, 0, back, sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], pattern(i));
    /* GET_ID without a serial: zeros. */
    memset(p, 0xaa, 20);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
    assert_int_equal(p[0], 0);
}

/* The whole queue at once, again and again: every request completes, each once. */
static void test_flood(void **state)
{
    struct fix *f = *state;
    for (unsigned round = 0; round < 8; round++) {
        for (unsigned s = 0; s < QSIZE / 3; s++) {
            post_request(f, s, s % 4 == 3 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 8 * s, 4096,
                         s % 4 != 3);
            if (s % 4 == 3)
                memset(sim_host(&f->ram, DATA + 4096ULL * s), (int)(round + s), 4096);
        }
        sim_notify(&f->d, 0);
        bool seen[QSIZE] = {false};
        for (unsigned k = 0; k < QSIZE / 3; k++) {
            uint32_t id, len;
            reap(f, &id, &len);
            assert_true(id % 3 == 0 && id / 3 < QSIZE / 3);
            assert_false(seen[id / 3]);
            seen[id / 3] = true;
            assert_int_equal(*status_of(f, id / 3), VIRTIO_BLK_S_OK);
        }
        uint32_t id, len;
        event_loop_poll(&f->loop, 0);
        assert_false(sim_reap(&f->d, 0, &id, &len));
    }
    assert_int_equal(virtio_blk_device(f->blk)->queues[0].inflight, 0);
    assert_int_equal(block_inflight(f->bd), 0);
    uint8_t b;
    file_read(f, 8 * 3 * 512 + 5, &b, 1);
    assert_int_equal(b, (uint8_t)(7 + 3));
}

/* A full queue in flight and another ring's worth posted behind it: the device takes no
 * more than the queue size (back-pressure) and resumes from completions, without a new
 * notify. */
static void test_backpressure_resumes(void **state)
{
    struct fix *f = *state;
    const uint64_t tables = SIM_RAM_BASE + 0x40000;
    for (unsigned i = 0; i < QSIZE; i++) {
        uint64_t t = tables + 48ULL * i;
        put_header(f, i, VIRTIO_BLK_T_IN, i);
        sim_set_desc_raw(&f->ram, t, 0, HDR + 16 * i, 16, VIRTQ_DESC_F_NEXT, 1);
        sim_set_desc_raw(&f->ram, t, 1, DATA + 1024ULL * i, 512,
                         VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
        sim_set_desc_raw(&f->ram, t, 2, STATUS + i, 1, VIRTQ_DESC_F_WRITE, 0);
        sim_set_desc(&f->d, 0, i, t, 48, VIRTQ_DESC_F_INDIRECT, 0);
    }
    for (unsigned i = 0; i < QSIZE; i++)
        sim_post(&f->d, 0, (uint16_t)i);
    sim_notify(&f->d, 0);
    /* All taken; a second ring's worth is posted with no notify: only completions can
     * make the device look again. */
    assert_int_equal(virtio_blk_device(f->blk)->queues[0].inflight, QSIZE);
    for (unsigned i = 0; i < QSIZE; i++)
        sim_post(&f->d, 0, (uint16_t)i);
    unsigned got = 0;
    for (int k = 0; got < 2 * QSIZE; k++) {
        assert_true(k < 400);
        uint32_t id, len;
        while (sim_reap(&f->d, 0, &id, &len)) {
            assert_true(id < QSIZE);
            assert_int_equal(*status_of(f, id), VIRTIO_BLK_S_OK);
            assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA + 1024ULL * id))[0],
                             pattern(512ULL * id));
            got++;
        }
        if (got < 2 * QSIZE)
            event_loop_poll(&f->loop, 100000000ULL);
    }
    assert_int_equal(got, 2 * QSIZE);
    assert_int_equal(virtio_blk_device(f->blk)->queues[0].inflight, 0);
}

static void test_host_file_shrinks(void **state)
{
    struct fix *f = *state;
    assert_int_equal(truncate(f->path, IMG_SIZE / 2), 0);
    /* Past the new end: the host read fails, the guest gets IOERR, kite goes on. */
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, CAPACITY - 8, 4096, true),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 0, 4096, true), VIRTIO_BLK_S_OK);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA))[1], pattern(1));
}

static void test_reset_with_requests_in_flight(void **state)
{
    struct fix *f = *state;
    for (unsigned s = 0; s < 16; s++)
        post_request(f, s, VIRTIO_BLK_T_IN, s, 4096, true);
    sim_notify(&f->d, 0);
    /* The driver resets while the reads are in flight: kite waits for them, so nothing
     * lands in guest memory after the reset returns. */
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(block_inflight(f->bd), 0);
    assert_int_equal(virtio_blk_device(f->blk)->queues[0].inflight, 0);
    unsigned before = f->ram.dirty_calls;
    event_loop_poll(&f->loop, 10000000ULL);
    assert_int_equal(f->ram.dirty_calls, before);
    /* Set up again: it works. */
    memset(sim_host(&f->ram, Q0), 0, 0x3000);
    assert_true(sim_negotiate(&f->d, sim_offered(&f->d)));
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 2, 512, true), VIRTIO_BLK_S_OK);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA))[0], pattern(1024));
}

/* The largest request the config space allows (SEG_MAX buffers in an indirect table on
 * a full-size queue) is accepted and moves every byte. */
static void test_largest_legal_request(void **state)
{
    setup_uring(state);
    struct fix *f = *state;
    const uint64_t qbase = SIM_RAM_BASE + 0x60000, table = SIM_RAM_BASE + 0x70000;
    const uint64_t data = SIM_RAM_BASE + 0x80000;
    start_queue(f, false, NULL, VIRTIO_BLK_QUEUE_SIZE, qbase);
    put_header(f, 0, VIRTIO_BLK_T_IN, 0);
    unsigned n = VIRTIO_BLK_SEG_MAX;
    sim_set_desc_raw(&f->ram, table, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    for (unsigned i = 0; i < n; i++)
        sim_set_desc_raw(&f->ram, table, 1 + i, data + 512ULL * i, 512,
                         VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(2 + i));
    sim_set_desc_raw(&f->ram, table, 1 + n, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, table, 16 * (n + 2), VIRTQ_DESC_F_INDIRECT, 0);
    *status_of(f, 0) = 0xff;
    sim_post(&f->d, 0, 0);
    assert_int_equal(complete_one(f, 0, NULL), VIRTIO_BLK_S_OK);
    uint8_t *p = sim_host(&f->ram, data);
    for (unsigned i = 0; i < 512 * n; i += 509)
        assert_int_equal(p[i], pattern(i));
    assert_int_equal(virtio_blk_stats(f->blk)->bytes_read, 512ULL * n);
}

/* With several queues (MQ), each request comes back on the queue it was posted to, and
 * the queues do not disturb each other. */
static void test_multi_queue(void **state)
{
    setup_uring(state);
    struct fix *f = *state;
    struct block_config bc = {.path = f->path};
    assert_int_equal(block_open(&bc, &f->loop, &f->bd), 0);
    struct virtio_blk_config cfg = {.num_queues = 4};
    f->blk = virtio_blk_new(&f->ram.mem, f->bd, &cfg);
    assert_non_null(f->blk);
    sim_attach(&f->d, &f->ram, virtio_blk_device(f->blk));
    uint64_t feat = sim_offered(&f->d);
    assert_true(feat & (1ULL << VIRTIO_BLK_F_MQ));
    assert_int_equal(sim_rd(&f->d, 0x100 + 32) >> 16, 4);      /* num_queues at 34 */
    assert_true(sim_negotiate(&f->d, feat));
    /* The driver uses queues 0 and 2 only. */
    const uint64_t q2 = SIM_RAM_BASE + 0x60000;
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, Q0), 1);
    assert_int_equal(sim_queue_setup(&f->d, 2, QSIZE, q2), 1);
    assert_true(sim_driver_ok(&f->d));
    for (unsigned round = 0; round < 4; round++) {
        /* Reads on queue 2 (slots 0..9), on queue 0 (slots 10..19), the same tables. */
        for (unsigned s = 0; s < 10; s++) {
            put_header(f, s, VIRTIO_BLK_T_IN, s);
            put_header(f, 10 + s, VIRTIO_BLK_T_IN, 100 + s);
            for (unsigned k = 0; k < 2; k++) {
                unsigned slot = s + 10 * k, q = k ? 0 : 2, d = 3 * s;
                struct sim_queue *sq = &f->d.q[q];
                sim_set_desc_raw(&f->ram, sq->desc, d, HDR + 16 * slot, 16,
                                 VIRTQ_DESC_F_NEXT, d + 1);
                sim_set_desc_raw(&f->ram, sq->desc, d + 1, DATA + 4096ULL * slot, 512,
                                 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, d + 2);
                sim_set_desc_raw(&f->ram, sq->desc, d + 2, STATUS + slot, 1,
                                 VIRTQ_DESC_F_WRITE, 0);
                *status_of(f, slot) = 0xff;
                sim_post(&f->d, q, (uint16_t)d);
            }
        }
        sim_notify(&f->d, 2);
        sim_notify(&f->d, 0);
        unsigned got[3] = {0};
        for (int k = 0; got[0] + got[2] < 20; k++) {
            assert_true(k < 200);
            uint32_t id, len;
            for (unsigned q = 0; q <= 2; q += 2)
                while (sim_reap(&f->d, q, &id, &len)) {
                    unsigned slot = id / 3 + (q == 0 ? 10 : 0);
                    assert_int_equal(*status_of(f, slot), VIRTIO_BLK_S_OK);
                    uint64_t sector = q == 0 ? 100 + id / 3 : id / 3;
                    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA + 4096ULL * slot))[5],
                                     pattern(512 * sector + 5));
                    got[q]++;
                }
            if (got[0] + got[2] < 20)
                event_loop_poll(&f->loop, 100000000ULL);
        }
        assert_int_equal(got[0], 10);
        assert_int_equal(got[2], 10);
    }
    /* A reset with both queues busy drains them. */
    for (unsigned s = 0; s < 5; s++)
        sim_post(&f->d, 2, (uint16_t)(3 * s));
    sim_notify(&f->d, 2);
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(block_inflight(f->bd), 0);
    /* More queues than the device supports is refused. */
    struct virtio_blk_config too_many = {.num_queues = VIRTIO_BLK_MAX_QUEUES + 1};
    assert_null(virtio_blk_new(&f->ram.mem, f->bd, &too_many));
}

/* The data path on the worker-thread engine too. */
static void test_thread_engine_round_trip(void **state)
{
    struct fix *f = *state;
    start(f, false, NULL);
    assert_string_equal(block_engine_name(f->bd), "thread");
    memset(sim_host(&f->ram, DATA), 0x3c, 8192);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_OUT, 20, 4096, false), VIRTIO_BLK_S_OK);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
    memset(sim_host(&f->ram, DATA), 0, 4096);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, 20, 4096, true), VIRTIO_BLK_S_OK);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, DATA))[4095], 0x3c);
    assert_int_equal(do_request(f, VIRTIO_BLK_T_IN, CAPACITY, 512, true), VIRTIO_BLK_S_IOERR);
    uint64_t s1[1] = {20};
    uint32_t n1[1] = {8}, zero[1] = {0};
    assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, s1, n1, zero), VIRTIO_BLK_S_OK);
    assert_true(file_zero(f, 20 * 512, 4096));
    test_flood(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_rw, teardown)
#define R(fn) cmocka_unit_test_setup_teardown(fn, NULL, teardown)
        T(test_config_and_features),
        T(test_read_pattern_scattered),
        T(test_write_flush_read_back),
        T(test_header_split_across_buffers),
        T(test_malformed_requests_complete),
        T(test_log_once_per_disk),
        cmocka_unit_test_setup_teardown(test_second_backend, setup_uring, teardown),
        T(test_bad_header_and_status),
        T(test_get_id),
        R(test_get_id_full_length_serial),
        T(test_discard_write_zeroes),
        R(test_read_only_disk),
        R(test_largest_legal_request),
        R(test_multi_queue),
        T(test_flood),
        T(test_backpressure_resumes),
        T(test_host_file_shrinks),
        T(test_reset_with_requests_in_flight),
        cmocka_unit_test_setup_teardown(test_thread_engine_round_trip, setup_thread, teardown),
#undef T
#undef R
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
