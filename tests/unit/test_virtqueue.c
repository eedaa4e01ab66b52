/*
 * Split virtqueue walker: well-formed chains (direct and indirect), then every hostile
 * ring from the design's rules, each checked for its log line, its outcome (request
 * completed with length 0, or the queue broken) and that the queue or a second queue
 * keeps serving afterwards.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio/queue.h"

#define QSIZE 16
#define DESC0 (SIM_RAM_BASE + 0x1000)
#define AVAIL0 (SIM_RAM_BASE + 0x2000)
#define USED0 (SIM_RAM_BASE + 0x3000)
#define DESC1 (SIM_RAM_BASE + 0x5000)
#define AVAIL1 (SIM_RAM_BASE + 0x6000)
#define USED1 (SIM_RAM_BASE + 0x7000)
#define BUF (SIM_RAM_BASE + 0x10000)    /* data buffers from here */
#define TABLE (SIM_RAM_BASE + 0x8000)   /* indirect tables */

struct fix {
    struct sim_ram ram;
    struct virtq vq, other;
    struct sim_drv d;       /* d.q[0] drives vq, d.q[1] drives other; no transport */
    int broken_calls;
};

static void on_broken(void *opaque)
{
    ((struct fix *)opaque)->broken_calls++;
}

static void start_queue(struct fix *f, struct virtq *vq, unsigned q, uint64_t desc,
                        uint64_t avail, uint64_t used)
{
    assert_int_equal(virtq_init(vq, &f->ram.mem, QSIZE, q ? "test.1" : "test.0"), 0);
    vq->on_broken = on_broken;
    vq->opaque = f;
    vq->size = QSIZE;
    vq->desc_gpa = desc;
    vq->avail_gpa = avail;
    vq->used_gpa = used;
    assert_int_equal(virtq_enable(vq), 0);
    f->d.q[q] = (struct sim_queue){.size = QSIZE, .desc = desc, .avail = avail, .used = used};
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    f->d.ram = &f->ram;
    start_queue(f, &f->vq, 0, DESC0, AVAIL0, USED0);
    start_queue(f, &f->other, 1, DESC1, AVAIL1, USED1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtq_cleanup(&f->vq);
    virtq_cleanup(&f->other);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

/* A well-formed one-buffer request on queue q completes: the queue still works. */
static void assert_queue_serves(struct fix *f, struct virtq *vq, unsigned q)
{
    sim_set_desc(&f->d, q, 5, BUF + 0x4000, 32, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, q, 5);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(vq, &e), 1);
    assert_int_equal(e->head, 5);
    assert_int_equal(e->in_num, 1);
    assert_int_equal(e->in_len, 32);
    virtq_push(vq, e, 32);
    uint32_t id, len;
    while (sim_reap(&f->d, q, &id, &len))
        if (id == 5 && len == 32)
            return;
    fail_msg("request on queue %u not completed", q);
}

/* Pops with stderr captured: expects no request, one used element (head, len 0), the
 * error counted and its log line. Then checks both queues still serve. */
static void expect_failed_request(struct fix *f, uint16_t head, enum virtq_error err)
{
    struct sim_capture c;
    sim_capture_start(&c);
    struct virtq_elem *e;
    int r = virtq_pop(&f->vq, &e);
    char *log = sim_capture_end(&c);
    assert_int_equal(r, 0);
    assert_null(e);
    assert_int_equal(f->vq.errors[err], 1);
    assert_non_null(strstr(log, virtq_error_name(err)));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 0);
    assert_false(f->vq.broken);
    assert_int_equal(f->broken_calls, 0);
    assert_int_equal(f->vq.inflight, 0);
    assert_queue_serves(f, &f->vq, 0);
    assert_queue_serves(f, &f->other, 1);
}

static void expect_broken(struct fix *f, enum virtq_error err)
{
    struct sim_capture c;
    sim_capture_start(&c);
    struct virtq_elem *e;
    int r = virtq_pop(&f->vq, &e);
    char *log = sim_capture_end(&c);
    assert_int_equal(r, 0);
    assert_true(f->vq.broken);
    assert_false(f->vq.ready);
    assert_int_equal(f->broken_calls, 1);
    assert_int_equal(f->vq.errors[err], 1);
    assert_non_null(strstr(log, virtq_error_name(err)));
    free(log);
    /* Stopped: nothing more comes out of it, even a valid request... */
    sim_set_desc(&f->d, 0, 1, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 1);
    assert_int_equal(virtq_pop(&f->vq, &e), 0);
    assert_int_equal(f->broken_calls, 1);
    /* ...but the other queue is untouched. */
    assert_queue_serves(f, &f->other, 1);
}

/* ---- well-formed chains ---- */

static void test_chain_readable_then_writable(void **state)
{
    struct fix *f = *state;
    memcpy(sim_host(&f->ram, BUF), "hello", 5);
    sim_set_desc(&f->d, 0, 3, BUF, 5, VIRTQ_DESC_F_NEXT, 7);
    sim_set_desc(&f->d, 0, 7, BUF + 0x100, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    sim_set_desc(&f->d, 0, 2, BUF + 0x1000, 28, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 3);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->head, 3);
    assert_int_equal(e->out_num, 1);
    assert_int_equal(e->in_num, 2);
    assert_int_equal(e->out_len, 5);
    assert_int_equal(e->in_len, 128);
    /* Zero copy: the iovecs point into guest RAM. */
    assert_ptr_equal(e->iov[0].iov_base, sim_host(&f->ram, BUF));
    assert_ptr_equal(e->iov[1].iov_base, sim_host(&f->ram, BUF + 0x100));
    assert_ptr_equal(e->iov[2].iov_base, sim_host(&f->ram, BUF + 0x1000));
    assert_memory_equal(e->iov[0].iov_base, "hello", 5);
    assert_int_equal(f->vq.inflight, 1);
    /* 110 bytes written: all of the first writable buffer, 10 of the second, reported. */
    virtq_push(&f->vq, e, 110);
    assert_int_equal(f->ram.dirty_bytes, 110);
    assert_int_equal(f->ram.dirty_calls, 2);
    assert_int_equal(f->ram.dirty_lo, BUF + 0x100);
    assert_int_equal(f->ram.dirty_hi, BUF + 0x1000 + 10);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 3);
    assert_int_equal(len, 110);
    assert_int_equal(f->vq.inflight, 0);
    assert_false(sim_reap(&f->d, 0, &id, &len));
}

/* Completed elements go back to the queue's pool: the next pop of a like-sized chain
 * reuses one instead of allocating, and the pool never grows past its cap. */
static void test_elements_reused_from_pool(void **state)
{
    struct fix *f = *state;
    struct virtq_elem *first = NULL;
    for (uint16_t i = 0; i < 3 * QSIZE; i++) {
        sim_set_desc(&f->d, 0, i % QSIZE, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->d, 0, i % QSIZE);
        struct virtq_elem *e;
        assert_int_equal(virtq_pop(&f->vq, &e), 1);
        if (!first)
            first = e;
        assert_ptr_equal(e, first);         /* the same element every time */
        assert_int_equal(e->in_len, 16);
        virtq_push(&f->vq, e, 16);
    }
    /* A burst of QSIZE requests in flight, then all completed: the pool keeps them, up to
     * its cap per size class. */
    struct virtq_elem *held[QSIZE];
    for (uint16_t i = 0; i < QSIZE; i++) {
        sim_set_desc(&f->d, 0, i, BUF + 64 * i, 64, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->d, 0, i);
    }
    for (uint16_t i = 0; i < QSIZE; i++)
        assert_int_equal(virtq_pop(&f->vq, &held[i]), 1);
    for (uint16_t i = 0; i < QSIZE; i++)
        virtq_push(&f->vq, held[i], 1);
    unsigned pooled = 0;
    for (unsigned c = 0; c < VIRTQ_POOL_CLASSES; c++) {
        assert_true(f->vq.pooled[c] <= VIRTQ_POOL_PER_CLASS);
        pooled += f->vq.pooled[c];
    }
    assert_int_equal(pooled, QSIZE);
    /* A longer chain needs a larger element: its iovecs are all there. */
    for (unsigned i = 0; i < 5; i++)
        sim_set_desc(&f->d, 0, i, BUF + 64 * i, 64, VIRTQ_DESC_F_WRITE |
                     (i < 4 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    sim_post(&f->d, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->in_num, 5);
    for (unsigned i = 0; i < 5; i++)
        assert_ptr_equal(e->iov[i].iov_base, sim_host(&f->ram, BUF + 64 * i));
    virtq_push(&f->vq, e, 320);
    assert_int_equal(f->ram.dirty_bytes, 3 * QSIZE * 16 + QSIZE + 320);
}

static void test_written_clamped_to_writable(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    virtq_push(&f->vq, e, 1000);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 16);
    assert_int_equal(f->ram.dirty_bytes, 16);
}

static void test_chain_of_queue_size_accepted(void **state)
{
    struct fix *f = *state;
    for (unsigned i = 0; i < QSIZE; i++)
        sim_set_desc(&f->d, 0, i, BUF + 64 * i, 64, VIRTQ_DESC_F_WRITE |
                     (i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    sim_post(&f->d, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->in_num, QSIZE);
    assert_int_equal(e->in_len, 64 * QSIZE);
    virtq_push(&f->vq, e, 0);
}

static void test_indirect(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 10, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc_raw(&f->ram, TABLE, 1, BUF + 0x100, 20, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    sim_set_desc_raw(&f->ram, TABLE, 2, BUF + 0x200, 30, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 4, TABLE, 48, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 4);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->head, 4);
    assert_int_equal(e->out_num, 1);
    assert_int_equal(e->in_num, 2);
    assert_int_equal(e->out_len, 10);
    assert_int_equal(e->in_len, 50);
    assert_ptr_equal(e->iov[2].iov_base, sim_host(&f->ram, BUF + 0x200));
    virtq_push(&f->vq, e, 50);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 4);
    assert_int_equal(len, 50);
}

/* A direct descriptor chained to an indirect one (allowed: only the table is special). */
static void test_indirect_after_direct(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF + 0x100, 20, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, BUF, 10, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->out_len, 10);
    assert_int_equal(e->in_len, 20);
    virtq_push(&f->vq, e, 0);
}

/* The spec asks no alignment of an indirect table: one at an odd address is read safely
 * (UBSan would flag a misaligned load) and served. */
static void test_indirect_table_unaligned_address(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    const uint64_t table = TABLE + 0x203;
    sim_set_desc_raw(&f->ram, table, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc_raw(&f->ram, table, 1, BUF + 0x100, 12, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 2, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 2);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    assert_int_equal(e->out_len, 4);
    assert_int_equal(e->in_len, 12);
    assert_ptr_equal(e->iov[1].iov_base, sim_host(&f->ram, BUF + 0x100));
    virtq_push(&f->vq, e, 12);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 2);
    assert_int_equal(len, 12);
}

/* ---- hostile chains: the request fails, the queue goes on ---- */

static void test_loop_self(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_CHAIN_LOOP);
}

static void test_loop_through_next(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
    sim_set_desc(&f->d, 0, 2, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_CHAIN_LOOP);
}

static void test_loop_inside_indirect_table(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc_raw(&f->ram, TABLE, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    sim_set_desc(&f->d, 0, 6, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 6);
    expect_failed_request(f, 6, VIRTQ_ERR_CHAIN_LOOP);
}

static void test_next_out_of_range(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 2, BUF, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    sim_post(&f->d, 0, 2);
    expect_failed_request(f, 2, VIRTQ_ERR_NEXT_RANGE);
}

static void test_indirect_next_out_of_table(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);   /* table of 2 */
    sim_set_desc(&f->d, 0, 1, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 1);
    expect_failed_request(f, 1, VIRTQ_ERR_NEXT_RANGE);
}

static void test_buffer_outside_ram(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, 0x1000, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_BUF_RAM);
}

static void test_buffer_straddles_ram_end(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 1, SIM_RAM_BASE + SIM_RAM_SIZE - 8, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 1);
    expect_failed_request(f, 1, VIRTQ_ERR_BUF_RAM);
}

static void test_buffer_addr_len_overflow(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 1, UINT64_MAX - 15, 0x100, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 1);
    expect_failed_request(f, 1, VIRTQ_ERR_BUF_RAM);
}

/* gpa - RAM base + len wraps to a small offset: only a check free of overflow refuses it. */
static void test_buffer_offset_len_overflow(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 1, UINT64_MAX - 15, 0x80001000u, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 1);
    expect_failed_request(f, 1, VIRTQ_ERR_BUF_RAM);
}

static void test_zero_length_chain(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    sim_set_desc(&f->d, 0, 1, BUF, 0, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_EMPTY);
}

static void test_over_device_limit(void **state)
{
    struct fix *f = *state;
    f->vq.max_chain_bytes = 4096;
    sim_set_desc(&f->d, 0, 0, BUF, 4000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    sim_set_desc(&f->d, 0, 1, BUF + 4000, 97, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_TOO_BIG);
}

/* 4 GiB and more of real (lazily mapped) RAM: the sum, not the mapping, refuses it. */
static void test_chain_over_4gib(void **state)
{
    const uint64_t big = 5ULL << 30;
    uint8_t *host = mmap(NULL, big, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED)
        skip();
    struct guest_mem mem = {.base = SIM_RAM_BASE, .size = big, .host = host};
    struct virtq vq;
    assert_int_equal(virtq_init(&vq, &mem, QSIZE, "big"), 0);
    vq.size = QSIZE;
    vq.desc_gpa = DESC0;
    vq.avail_gpa = AVAIL0;
    vq.used_gpa = USED0;
    assert_int_equal(virtq_enable(&vq), 0);
    struct sim_ram ram = {.host = host, .mem = mem};
    struct sim_drv d = {.ram = &ram};
    d.q[0] = (struct sim_queue){.size = QSIZE, .desc = DESC0, .avail = AVAIL0, .used = USED0};
    sim_set_desc(&d, 0, 0, SIM_RAM_BASE + (1ULL << 30), 0xffffffffu,
                 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    sim_set_desc(&d, 0, 1, SIM_RAM_BASE + (1ULL << 30), 2, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&d, 0, 0);
    struct sim_capture c;
    sim_capture_start(&c);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&vq, &e), 0);
    char *log = sim_capture_end(&c);
    assert_int_equal(vq.errors[VIRTQ_ERR_TOO_BIG], 1);
    assert_non_null(strstr(log, virtq_error_name(VIRTQ_ERR_TOO_BIG)));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&d, 0, &id, &len));
    assert_int_equal(len, 0);
    /* Exactly 4 GiB - 1 is fine. */
    sim_set_desc(&d, 0, 2, SIM_RAM_BASE + (1ULL << 30), 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&d, 0, 2);
    assert_int_equal(virtq_pop(&vq, &e), 1);
    assert_int_equal(e->in_len, 0xffffffffu);
    virtq_push(&vq, e, 0);
    virtq_cleanup(&vq);
    munmap(host, big);
}

static void test_writable_before_readable(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 3, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
    sim_set_desc(&f->d, 0, 4, BUF + 8, 8, 0, 0);
    sim_post(&f->d, 0, 3);
    expect_failed_request(f, 3, VIRTQ_ERR_ORDER);
}

static void test_indirect_not_negotiated(void **state)
{
    struct fix *f = *state;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_OFF);
}

static void test_indirect_nested(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, TABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    sim_set_desc_raw(&f->ram, TABLE + 0x100, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_NESTED);
}

static void test_indirect_misaligned_length(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, TABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_LEN);
}

static void test_indirect_zero_length(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc(&f->d, 0, 0, TABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_LEN);
}

static void test_indirect_with_next(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc_raw(&f->ram, TABLE, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_NEXT);
}

static void test_indirect_table_outside_ram(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    sim_set_desc(&f->d, 0, 0, SIM_RAM_BASE + SIM_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_INDIRECT_RAM);
}

/* An indirect table bigger than the queue: its entries count toward the bound. */
static void test_indirect_counts_toward_bound(void **state)
{
    struct fix *f = *state;
    f->vq.indirect = true;
    for (unsigned i = 0; i < QSIZE; i++)
        sim_set_desc_raw(&f->ram, TABLE, i, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
                         (uint16_t)(i + 1));
    sim_set_desc_raw(&f->ram, TABLE, QSIZE, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_set_desc(&f->d, 0, 0, TABLE, 16 * (QSIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
    sim_post(&f->d, 0, 0);
    expect_failed_request(f, 0, VIRTQ_ERR_CHAIN_LOOP);
}

/* ---- hostile rings: the queue stops ---- */

static void test_head_out_of_range(void **state)
{
    struct fix *f = *state;
    sim_post(&f->d, 0, QSIZE);
    expect_broken(f, VIRTQ_ERR_HEAD_RANGE);
}

static void test_avail_idx_jump(void **state)
{
    struct fix *f = *state;
    sim_set_avail_idx(&f->d, 0, QSIZE + 1);
    expect_broken(f, VIRTQ_ERR_AVAIL_JUMP);
}

static void test_avail_idx_full_ring_ok(void **state)
{
    struct fix *f = *state;
    for (unsigned i = 0; i < QSIZE; i++) {
        sim_set_desc(&f->d, 0, i, BUF + 16 * i, 16, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->d, 0, (uint16_t)i);
    }
    struct virtq_elem *e[QSIZE];
    for (unsigned i = 0; i < QSIZE; i++)
        assert_int_equal(virtq_pop(&f->vq, &e[i]), 1);
    /* Bounded: with every entry in flight, the device takes no more (a driver reposting
     * heads it never got back cannot make the device hold more than the queue size). */
    sim_post(&f->d, 0, 0);
    struct virtq_elem *x;
    assert_int_equal(virtq_pop(&f->vq, &x), 0);
    for (unsigned i = 0; i < QSIZE; i++)
        virtq_push(&f->vq, e[i], 0);
    assert_int_equal(virtq_pop(&f->vq, &x), 1);
    virtq_push(&f->vq, x, 0);
    assert_false(f->vq.broken);
}

/* ---- queue setup ---- */

static void test_enable_checks(void **state)
{
    struct fix *f = *state;
    struct virtq vq;
    assert_int_equal(virtq_init(&vq, &f->ram.mem, QSIZE, "setup"), 0);
    struct { uint32_t size; uint64_t d, a, u; } bad[] = {
        {0, DESC0, AVAIL0, USED0},                          /* size 0 */
        {12, DESC0, AVAIL0, USED0},                         /* not a power of two */
        {QSIZE * 2, DESC0, AVAIL0, USED0},                  /* above the maximum */
        {QSIZE, 0x1000, AVAIL0, USED0},                     /* desc outside RAM */
        {QSIZE, DESC0, SIM_RAM_BASE + SIM_RAM_SIZE - 8, USED0},   /* avail straddles end */
        {QSIZE, DESC0, AVAIL0, UINT64_MAX - 3},             /* used wraps */
        {QSIZE, DESC0 + 8, AVAIL0, USED0},                  /* desc misaligned */
        {QSIZE, DESC0, AVAIL0 + 1, USED0},                  /* avail misaligned */
        {QSIZE, DESC0, AVAIL0, USED0 + 2},                  /* used misaligned */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        virtq_reset(&vq);
        vq.size = (uint16_t)bad[i].size;
        vq.desc_gpa = bad[i].d;
        vq.avail_gpa = bad[i].a;
        vq.used_gpa = bad[i].u;
        struct sim_capture c;
        sim_capture_start(&c);
        int r = virtq_enable(&vq);
        char *log = sim_capture_end(&c);
        assert_int_equal(r, -EINVAL);
        assert_false(vq.ready);
        assert_non_null(strstr(log, "setup"));
        free(log);
    }
    virtq_reset(&vq);
    vq.size = 4;
    vq.desc_gpa = DESC0;
    vq.avail_gpa = AVAIL0;
    vq.used_gpa = USED0;
    assert_int_equal(virtq_enable(&vq), 0);
    virtq_cleanup(&vq);
}

/* ---- notification suppression ---- */

static void complete_one(struct fix *f, uint16_t head)
{
    sim_set_desc(&f->d, 0, head, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, head);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    virtq_push(&f->vq, e, 8);
}

static void test_no_interrupt_flag(void **state)
{
    struct fix *f = *state;
    complete_one(f, 0);
    assert_true(virtq_should_notify(&f->vq));
    assert_false(virtq_should_notify(&f->vq));   /* nothing new */
    sim_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    complete_one(f, 1);
    assert_false(virtq_should_notify(&f->vq));
    sim_set_avail_flags(&f->d, 0, 0);
    complete_one(f, 2);
    assert_true(virtq_should_notify(&f->vq));
}

static void test_event_idx_suppression(void **state)
{
    struct fix *f = *state;
    f->vq.event_idx = true;
    /* The flag is ignored once EVENT_IDX is negotiated. */
    sim_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_false(virtq_should_notify(&f->vq));    /* nothing used yet */
    complete_one(f, 0);
    assert_true(virtq_should_notify(&f->vq));     /* used_event 0: 0 -> 1 crosses it */
    /* Driver: interrupt me when used.idx passes 2 (i.e. after the third completion). */
    sim_set_used_event(&f->d, 0, 2);
    complete_one(f, 1);
    assert_false(virtq_should_notify(&f->vq));    /* used.idx 2: not past 2 */
    complete_one(f, 2);
    assert_true(virtq_should_notify(&f->vq));     /* used.idx 3 crosses used_event 2 */
    complete_one(f, 3);
    complete_one(f, 4);
    assert_false(virtq_should_notify(&f->vq));    /* used_event still 2: already signalled */
    sim_set_used_event(&f->d, 0, 5);
    complete_one(f, 5);
    assert_true(virtq_should_notify(&f->vq));     /* 5 -> 6 crosses 5 */
    /* The device asks to hear about every new buffer past what it consumed. */
    assert_int_equal(sim_avail_event(&f->d, 0), 6);
}

static void test_device_notify_hint(void **state)
{
    struct fix *f = *state;
    assert_false(virtq_set_notification(&f->vq, false));
    assert_int_equal(sim_used_flags(&f->d, 0), VIRTQ_USED_F_NO_NOTIFY);
    assert_false(virtq_set_notification(&f->vq, true));
    assert_int_equal(sim_used_flags(&f->d, 0), 0);
    /* Buffers that arrived while notifications were off are reported on re-enabling. */
    virtq_set_notification(&f->vq, false);
    sim_set_desc(&f->d, 0, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    assert_true(virtq_set_notification(&f->vq, true));
}

/* With EVENT_IDX the device's hint is avail_event, and used.flags stays 0. */
static void test_device_notify_hint_event_idx(void **state)
{
    struct fix *f = *state;
    f->vq.event_idx = true;
    assert_false(virtq_set_notification(&f->vq, false));
    assert_int_equal(sim_used_flags(&f->d, 0), 0);
    for (uint16_t i = 0; i < 3; i++) {
        sim_set_desc(&f->d, 0, i, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
        sim_post(&f->d, 0, i);
    }
    /* Re-enabling reports the waiting buffers; consuming them moves avail_event along, so
     * the driver's next buffer (avail.idx 3 -> 4) crosses it and gets notified. */
    assert_true(virtq_set_notification(&f->vq, true));
    assert_int_equal(sim_used_flags(&f->d, 0), 0);
    struct virtq_elem *e;
    for (uint16_t i = 0; i < 3; i++) {
        assert_int_equal(virtq_pop(&f->vq, &e), 1);
        virtq_push(&f->vq, e, 0);
        assert_int_equal(sim_avail_event(&f->d, 0), i + 1);
    }
    assert_int_equal(virtq_pop(&f->vq, &e), 0);
    assert_false(virtq_set_notification(&f->vq, true));
    assert_int_equal(sim_avail_event(&f->d, 0), 3);
}

static void test_push_after_reset_ignored(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    struct virtq_elem *e;
    assert_int_equal(virtq_pop(&f->vq, &e), 1);
    virtq_reset(&f->vq);
    f->vq.size = QSIZE;
    f->vq.desc_gpa = DESC0;
    f->vq.avail_gpa = AVAIL0;
    f->vq.used_gpa = USED0;
    memset(sim_host(&f->ram, AVAIL0), 0, 0x1000);
    assert_int_equal(virtq_enable(&f->vq), 0);
    f->d.q[0].avail_idx = f->d.q[0].used_seen = 0;
    virtq_push(&f->vq, e, 8);    /* from before the reset: must not touch the new ring */
    assert_int_equal(sim_used_idx(&f->d, 0), 0);
    assert_int_equal(f->vq.inflight, 0);
    assert_queue_serves(f, &f->vq, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_chain_readable_then_writable),
        T(test_elements_reused_from_pool),
        T(test_written_clamped_to_writable),
        T(test_chain_of_queue_size_accepted),
        T(test_indirect),
        T(test_indirect_after_direct),
        T(test_indirect_table_unaligned_address),
        T(test_loop_self),
        T(test_loop_through_next),
        T(test_loop_inside_indirect_table),
        T(test_next_out_of_range),
        T(test_indirect_next_out_of_table),
        T(test_buffer_outside_ram),
        T(test_buffer_straddles_ram_end),
        T(test_buffer_addr_len_overflow),
        T(test_buffer_offset_len_overflow),
        T(test_zero_length_chain),
        T(test_over_device_limit),
        cmocka_unit_test(test_chain_over_4gib),
        T(test_writable_before_readable),
        T(test_indirect_not_negotiated),
        T(test_indirect_nested),
        T(test_indirect_misaligned_length),
        T(test_indirect_zero_length),
        T(test_indirect_with_next),
        T(test_indirect_table_outside_ram),
        T(test_indirect_counts_toward_bound),
        T(test_head_out_of_range),
        T(test_avail_idx_jump),
        T(test_avail_idx_full_ring_ok),
        T(test_enable_checks),
        T(test_no_interrupt_flag),
        T(test_event_idx_suppression),
        T(test_device_notify_hint),
        T(test_device_notify_hint_event_idx),
        T(test_push_after_reset_ignored),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
