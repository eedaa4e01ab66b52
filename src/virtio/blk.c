#include "virtio/blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_registry.h"
#include "core/log.h"

struct blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_range {          /* virtio_blk_discard_write_zeroes */
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};
#define BLK_RANGE_F_UNMAP 1u

struct virtio_blk;

struct blk_req {
    struct virtio_blk *blk;
    unsigned q;                 /* the queue it came from, and goes back to */
    struct virtq_elem *elem;
    uint8_t *status;
    uint32_t type;
    struct block_io io;
    unsigned range_next, range_count;
    struct blk_range ranges[VIRTIO_BLK_MAX_SEGMENTS];
    struct iovec iov[];
};

struct virtio_blk {
    struct log_limit log;        /* log-once state of this instance */
    struct virtio_device vdev;
    struct block_device *bd;
    uint64_t capacity;          /* sectors */
    bool read_only;
    bool quiesce;               /* draining for a reset or teardown: take no new requests */
    char serial[VIRTIO_BLK_ID_BYTES];
    size_t serial_len;
    struct virtio_blk_stats stats;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* The iovecs covering [skip, skip + len) of src, into dst; returns how many. */
static unsigned slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
                      struct iovec *dst)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n && len; i++) {
        uint64_t l = src[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        uint64_t part = l - skip < len ? l - skip : len;
        dst[k++] = (struct iovec){.iov_base = (uint8_t *)src[i].iov_base + skip,
                                  .iov_len = (size_t)part};
        len -= part;
        skip = 0;
    }
    return k;
}

static void process(struct virtio_blk *b, unsigned q);

/* Sets the status, returns the chain to the driver, interrupts it if it wants. */
static void finish(struct virtio_blk *b, unsigned q, struct virtq_elem *e, uint8_t *status,
                   uint8_t st)
{
    struct virtq *vq = &b->vdev.queues[q];
    /* After a reset the buffers are the guest's again: write nothing into them. */
    if (e->epoch == vq->epoch && vq->ready)
        *status = st;
    switch (st) {
    case VIRTIO_BLK_S_OK: b->stats.ok++; break;
    case VIRTIO_BLK_S_IOERR: b->stats.ioerr++; break;
    default: b->stats.unsupp++; break;
    }
    /* The status byte is the last writable byte: the whole writable part counts as
     * written (it is also what a failed read may have touched, for dirty reporting). */
    virtq_push(vq, e, (uint32_t)e->in_len);
    virtio_queue_kick_guest(&b->vdev, q);
}

static void req_done(struct block_io *io, int result);

static void submit_range(struct blk_req *r)
{
    const struct blk_range *g = &r->ranges[r->range_next++];
    r->io = (struct block_io){
        .op = r->type == VIRTIO_BLK_T_DISCARD ? BLOCK_OP_DISCARD : BLOCK_OP_WRITE_ZEROES,
        .offset = g->sector * BLOCK_SECTOR,
        .len = (uint64_t)g->num_sectors * BLOCK_SECTOR,
        .may_unmap = g->flags & BLK_RANGE_F_UNMAP,
        .done = req_done,
        .opaque = r,
    };
    block_submit(r->blk->bd, &r->io);
}

static void req_done(struct block_io *io, int result)
{
    struct blk_req *r = io->opaque;
    struct virtio_blk *b = r->blk;
    if (result < 0)
        log_once_in(&b->log, LOG_WARN, "virtio-blk",
                    "%s: host I/O error (%s): IOERR to the guest", block_path(b->bd),
                    strerror(-result));
    if (result == 0 && r->range_next < r->range_count) {
        submit_range(r);
        block_unplug(b->bd);
        return;
    }
    if (result == 0) {
        if (r->type == VIRTIO_BLK_T_IN)
            b->stats.bytes_read += io->len;
        else if (r->type == VIRTIO_BLK_T_OUT)
            b->stats.bytes_written += io->len;
    }
    unsigned q = r->q;
    finish(b, q, r->elem, r->status, result < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
    free(r);
    /* A full queue stopped taking requests: this completion made room. */
    if (!b->quiesce && virtq_has_avail(&b->vdev.queues[q]))
        process(b, q);
}

/* sector + bytes lies within the disk (no overflow on hostile values). */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t n = bytes / BLOCK_SECTOR;
    return sector <= b->capacity && n <= b->capacity - sector;
}

#define REJECT(st, ...)                                             \
    do {                                                            \
        log_once_in(&b->log, LOG_WARN, "virtio-blk", __VA_ARGS__);  \
        finish(b, q, e, status, st);                                \
        return;                                                     \
    } while (0)

/* DISCARD and WRITE_ZEROES: ranges after the header, all checked before any is run. */
static void handle_ranges(struct virtio_blk *b, unsigned q, struct virtq_elem *e,
                          uint8_t *status, const struct blk_header *h)
{
    bool discard = h->type == VIRTIO_BLK_T_DISCARD;
    unsigned feature = discard ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES;
    if (!virtio_has_feature(&b->vdev, feature) || b->read_only)
        REJECT(b->read_only ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_UNSUPP,
               "discard/write-zeroes on a disk that did not offer it (or read-only)");
    uint64_t payload = e->out_len - sizeof(*h);
    if (e->in_len != 1 || payload == 0 || payload % sizeof(struct blk_range) ||
        payload / sizeof(struct blk_range) > VIRTIO_BLK_MAX_SEGMENTS)
        REJECT(VIRTIO_BLK_S_IOERR, "discard/write-zeroes request of bad size (%llu bytes of "
               "ranges, %llu writable)", (unsigned long long)payload,
               (unsigned long long)e->in_len);
    struct blk_req *r = calloc(1, sizeof(*r));
    if (!r)
        REJECT(VIRTIO_BLK_S_IOERR, "out of memory: request failed");
    r->range_count = (unsigned)(payload / sizeof(struct blk_range));
    /* One copy: the guest may rewrite its buffer while we look. */
    virtq_elem_read(e, sizeof(*h), r->ranges, (size_t)payload);
    for (unsigned i = 0; i < r->range_count; i++) {
        struct blk_range g = r->ranges[i];
        uint32_t allowed = discard ? 0 : BLK_RANGE_F_UNMAP;
        uint8_t st = VIRTIO_BLK_S_OK;
        if (g.flags & ~allowed)
            st = VIRTIO_BLK_S_UNSUPP;
        else if (g.num_sectors > VIRTIO_BLK_MAX_RANGE_SECTORS ||
                 !in_range(b, g.sector, (uint64_t)g.num_sectors * BLOCK_SECTOR))
            st = VIRTIO_BLK_S_IOERR;
        if (st != VIRTIO_BLK_S_OK) {
            free(r);
            REJECT(st, "discard/write-zeroes range %llu+%u (flags 0x%x) beyond the disk, "
                   "the limit, or with unsupported flags", (unsigned long long)g.sector,
                   g.num_sectors, g.flags);
        }
    }
    r->blk = b;
    r->q = q;
    r->elem = e;
    r->status = status;
    r->type = h->type;
    submit_range(r);
}

/* IN and OUT: data buffers straight to the backend. */
static void handle_rw(struct virtio_blk *b, unsigned q, struct virtq_elem *e,
                      uint8_t *status, const struct blk_header *h)
{
    bool in = h->type == VIRTIO_BLK_T_IN;
    if (!in && b->read_only)
        REJECT(VIRTIO_BLK_S_IOERR, "write to a read-only disk: IOERR");
    uint64_t len;
    if (in) {
        if (e->out_len != sizeof(*h))
            REJECT(VIRTIO_BLK_S_IOERR, "read with %llu readable bytes (header is 16)",
                   (unsigned long long)e->out_len);
        len = e->in_len - 1;
    } else {
        if (e->in_len != 1)
            REJECT(VIRTIO_BLK_S_IOERR, "write with %llu writable bytes (status is 1)",
                   (unsigned long long)e->in_len);
        len = e->out_len - sizeof(*h);
    }
    if (len % BLOCK_SECTOR)
        REJECT(VIRTIO_BLK_S_IOERR, "%s of %llu bytes: not a multiple of 512",
               in ? "read" : "write", (unsigned long long)len);
    if (!in_range(b, h->sector, len))
        REJECT(VIRTIO_BLK_S_IOERR, "%s at sector %llu (+%llu bytes) beyond the disk end "
               "(%llu sectors)", in ? "read" : "write", (unsigned long long)h->sector,
               (unsigned long long)len, (unsigned long long)b->capacity);
    unsigned n = in ? e->in_num : e->out_num;
    struct blk_req *r = malloc(sizeof(*r) + n * sizeof(struct iovec));
    if (!r)
        REJECT(VIRTIO_BLK_S_IOERR, "out of memory: request failed");
    unsigned cnt = in ? slice(e->iov + e->out_num, e->in_num, 0, len, r->iov)
                      : slice(e->iov, e->out_num, sizeof(*h), len, r->iov);
    r->blk = b;
    r->q = q;
    r->elem = e;
    r->status = status;
    r->type = h->type;
    r->range_next = r->range_count = 0;
    r->io = (struct block_io){
        .op = in ? BLOCK_OP_READ : BLOCK_OP_WRITE,
        .offset = h->sector * BLOCK_SECTOR,
        .len = len,
        .iov = r->iov,
        .iovcnt = cnt,
        .done = req_done,
        .opaque = r,
    };
    block_submit(b->bd, &r->io);
}

static void handle(struct virtio_blk *b, unsigned q, struct virtq_elem *e)
{
    b->stats.requests++;
    if (e->in_len == 0) {
        /* No byte to put a status in: all we can do is hand the chain back. */
        log_once_in(&b->log, LOG_WARN, "virtio-blk",
                    "request without a writable status byte: returned unanswered");
        b->stats.no_status++;
        virtq_push(&b->vdev.queues[q], e, 0);
        virtio_queue_kick_guest(&b->vdev, q);
        return;
    }
    const struct iovec *last = &e->iov[e->out_num + e->in_num - 1];
    uint8_t *status = (uint8_t *)last->iov_base + last->iov_len - 1;
    struct blk_header h;
    if (virtq_elem_read(e, 0, &h, sizeof(h)) < sizeof(h))
        REJECT(VIRTIO_BLK_S_IOERR, "request header of %llu bytes (needs 16)",
               (unsigned long long)e->out_len);
    switch (h.type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        handle_rw(b, q, e, status, &h);
        return;
    case VIRTIO_BLK_T_FLUSH: {
        if (e->out_len != sizeof(h) || e->in_len != 1)
            REJECT(VIRTIO_BLK_S_IOERR, "flush of bad size (%llu readable, %llu writable)",
                   (unsigned long long)e->out_len, (unsigned long long)e->in_len);
        struct blk_req *r = calloc(1, sizeof(*r));
        if (!r)
            REJECT(VIRTIO_BLK_S_IOERR, "out of memory: request failed");
        *r = (struct blk_req){.blk = b, .q = q, .elem = e, .status = status, .type = h.type};
        r->io = (struct block_io){.op = BLOCK_OP_FLUSH, .done = req_done, .opaque = r};
        block_submit(b->bd, &r->io);
        return;
    }
    case VIRTIO_BLK_T_GET_ID: {
        if (e->out_len != sizeof(h))
            REJECT(VIRTIO_BLK_S_IOERR, "get-id with %llu readable bytes",
                   (unsigned long long)e->out_len);
        uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
        memcpy(id, b->serial, b->serial_len);
        uint64_t room = e->in_len - 1;
        virtq_elem_write(e, 0, id, room < sizeof(id) ? (size_t)room : sizeof(id));
        finish(b, q, e, status, VIRTIO_BLK_S_OK);
        return;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (e->out_len < sizeof(h) + sizeof(struct blk_range))
            REJECT(VIRTIO_BLK_S_IOERR, "discard/write-zeroes without ranges");
        handle_ranges(b, q, e, status, &h);
        return;
    default:
        REJECT(VIRTIO_BLK_S_UNSUPP, "request type %u unsupported", h.type);
    }
}

static void process(struct virtio_blk *b, unsigned q)
{
    struct virtio_device *dev = &b->vdev;
    struct virtq *vq = &dev->queues[q];
    for (;;) {
        /* No notifications while we are taking requests anyway. */
        virtq_set_notification(vq, false);
        struct virtq_elem *e;
        while (virtio_pop(dev, q, &e))
            handle(b, q, e);
        bool more = virtq_set_notification(vq, true);
        /* Full: a completion will call us again. */
        if (!more || vq->inflight >= vq->size || !virtio_driver_ok(dev))
            break;
    }
    block_unplug(b->bd);
}

static void blk_queue_notify(struct virtio_device *dev, unsigned q)
{
    struct virtio_blk *b = dev->opaque;
    if (!b->quiesce)
        process(b, q);
}

static void blk_driver_ok(struct virtio_device *dev)
{
    for (unsigned q = 0; q < dev->num_queues; q++)
        if (dev->queues[q].ready)
            blk_queue_notify(dev, q);
}

static void blk_reset(struct virtio_device *dev)
{
    struct virtio_blk *b = dev->opaque;
    /* Requests in flight point into guest RAM: wait for them, as a disk controller would,
     * so that nothing is written into the guest after it reset us. */
    b->quiesce = true;
    block_drain(b->bd);
    b->quiesce = false;
}

static const struct virtio_device_ops blk_ops = {
    .queue_notify = blk_queue_notify,
    .reset = blk_reset,
    .driver_ok = blk_driver_ok,
};

static void fill_config(struct virtio_blk *b)
{
    uint8_t *c = b->vdev.config;
    memset(c, 0, VIRTIO_MAX_CONFIG);
    put64(c + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
    put32(c + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
    put32(c + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    put32(c + VIRTIO_BLK_CFG_BLK_SIZE, BLOCK_SECTOR);
    /* 4 KiB physical blocks, the host page and filesystem block size. */
    c[VIRTIO_BLK_CFG_PHYS_EXP] = 3;
    put16(c + VIRTIO_BLK_CFG_MIN_IO, 8);
    put32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_RANGE_SECTORS);
    put32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_SEGMENTS);
    put32(c + VIRTIO_BLK_CFG_DISCARD_ALIGN, 8);
    put32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_RANGE_SECTORS);
    put32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, VIRTIO_BLK_MAX_SEGMENTS);
    c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
    put16(c + VIRTIO_BLK_CFG_NUM_QUEUES, (uint16_t)b->vdev.num_queues);
    b->vdev.config_len = VIRTIO_BLK_CFG_LEN;
}

struct virtio_blk *virtio_blk_new(const struct guest_mem *mem, struct block_device *bd,
                                  const struct virtio_blk_config *cfg)
{
    if (!bd)
        return NULL;
    const char *serial = cfg && cfg->serial ? cfg->serial : "";
    unsigned nq = cfg && cfg->num_queues ? cfg->num_queues : 1;
    if (nq > VIRTIO_BLK_MAX_QUEUES) {
        log_error("virtio-blk", "%u queues asked for, at most %u", nq, VIRTIO_BLK_MAX_QUEUES);
        return NULL;
    }
    size_t serial_len = strlen(serial);
    if (serial_len > VIRTIO_BLK_ID_BYTES) {
        log_error("virtio-blk", "serial '%s' is longer than 20 bytes", serial);
        return NULL;
    }
    struct virtio_blk *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->bd = bd;
    b->capacity = block_size(bd) / BLOCK_SECTOR;
    b->read_only = block_read_only(bd);
    memcpy(b->serial, serial, serial_len);
    b->serial_len = serial_len;
    b->vdev.name = "virtio-blk";
    b->vdev.device_id = VIRTIO_ID_BLOCK;
    b->vdev.ops = &blk_ops;
    b->vdev.opaque = b;
    b->vdev.features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                       (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
                       (1ULL << VIRTIO_BLK_F_TOPOLOGY);
    if (b->read_only)
        b->vdev.features |= 1ULL << VIRTIO_BLK_F_RO;
    else
        b->vdev.features |= (1ULL << VIRTIO_BLK_F_DISCARD) |
                            (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    if (nq > 1)
        b->vdev.features |= 1ULL << VIRTIO_BLK_F_MQ;
    uint16_t sizes[VIRTIO_BLK_MAX_QUEUES];
    for (unsigned q = 0; q < nq; q++)
        sizes[q] = VIRTIO_BLK_QUEUE_SIZE;
    if (virtio_device_init(&b->vdev, mem, nq, sizes) < 0) {
        free(b);
        return NULL;
    }
    fill_config(b);
    /* The header, the largest legal data part and the status. */
    for (unsigned q = 0; q < nq; q++)
        b->vdev.queues[q].max_chain_bytes = VIRTIO_BLK_MAX_REQUEST + 64;
    return b;
}

void virtio_blk_free(struct virtio_blk *b)
{
    if (!b)
        return;
    b->quiesce = true;
    block_drain(b->bd);
    virtio_device_cleanup(&b->vdev);
    free(b);
}

struct virtio_device *virtio_blk_device(struct virtio_blk *b)
{
    return &b->vdev;
}

const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *b)
{
    return &b->stats;
}

/* --disk PATH[,ro][,serial=ID][,cache=MODE][,snapshot]: registration with the device model. */

struct disk_config {
    char *path;
    bool read_only, snapshot;
    enum block_cache cache;
    char *serial;
    struct block_device *bd;    /* the host end: opened once per run, outlives reboots */
};

static void disk_free_config(void *p)
{
    struct disk_config *d = p;
    if (!d)
        return;
    free(d->path);
    free(d->serial);
    free(d);
}

static bool serial_valid(const char *v, char *why, size_t len)
{
    if (strlen(v) > VIRTIO_BLK_ID_BYTES) {
        snprintf(why, len, "serial= takes at most %d characters", VIRTIO_BLK_ID_BYTES);
        return false;
    }
    for (const char *p = v; *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            snprintf(why, len, "serial= takes printable ASCII without spaces");
            return false;
        }
    }
    return true;
}

static void *disk_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *path = dev_opts_take(o, "path", &dup);
    const struct dev_opt *ro = dev_opts_take(o, "ro", &dup);
    const struct dev_opt *snap = dev_opts_take(o, "snapshot", &dup);
    const struct dev_opt *serial = dev_opts_take(o, "serial", &dup);
    const struct dev_opt *cache = dev_opts_take(o, "cache", &dup);
    if (dup) {
        snprintf(why, len, "options are ro, serial=ID, cache=writeback|none|unsafe, snapshot "
                 "(each once)");
        return NULL;
    }
    if (!path || !path->value || !*path->value) {
        snprintf(why, len, "no image path");
        return NULL;
    }
    /* Flags take no value; "ro=on" style is not ours. */
    if ((ro && ro->value) || (snap && snap->value)) {
        snprintf(why, len, "ro and snapshot take no value");
        return NULL;
    }
    enum block_cache mode = BLOCK_CACHE_WRITEBACK;
    if (cache) {
        const char *v = cache->value ? cache->value : "";
        if (!strcmp(v, "writeback"))
            mode = BLOCK_CACHE_WRITEBACK;
        else if (!strcmp(v, "none"))
            mode = BLOCK_CACHE_NONE;
        else if (!strcmp(v, "unsafe"))
            mode = BLOCK_CACHE_UNSAFE;
        else {
            snprintf(why, len, "cache= is writeback, none or unsafe");
            return NULL;
        }
    }
    if (serial && (!serial->value || !serial_valid(serial->value, why, len))) {
        if (!serial->value)
            snprintf(why, len, "serial= needs a value");
        return NULL;
    }
    struct disk_config *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->path = strdup(path->value);
    d->serial = serial ? strdup(serial->value) : NULL;
    d->read_only = ro != NULL;
    d->snapshot = snap != NULL;
    d->cache = mode;
    if (!d->path || (serial && !d->serial)) {
        disk_free_config(d);
        return NULL;
    }
    return d;
}

static void disk_close_host(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct disk_config *d = cfgs[i];
        if (d->bd)
            block_close(d->bd);
        d->bd = NULL;
    }
}

static int disk_open_host(void *const *cfgs, unsigned n, const struct device_host_env *env)
{
    for (unsigned i = 0; i < n; i++) {
        struct disk_config *d = cfgs[i];
        struct block_config bc = {.path = d->path, .read_only = d->read_only,
                                  .snapshot = d->snapshot, .cache = d->cache,
                                  .sync = env->deterministic};
        int ret = block_open(&bc, env->loop, &d->bd);
        if (ret < 0) {
            disk_close_host(cfgs, i);
            return ret;
        }
    }
    return 0;
}

static struct virtio_device *disk_create(void *const *cfgs, unsigned n,
                                         const struct device_env *env, void **state)
{
    struct disk_config *d = cfgs[0];
    /* One request queue per hart (VIRTIO_BLK_F_MQ beyond one). */
    struct virtio_blk_config bc = {.serial = d->serial,
                                   .num_queues = env->nharts ? env->nharts : 1};
    struct virtio_blk *b = virtio_blk_new(env->mem, d->bd, &bc);
    *state = b;
    return b ? virtio_blk_device(b) : NULL;
}

static void disk_destroy(void *state)
{
    virtio_blk_free(state);
}

static const struct device_type disk_type = {
    .name = "disk",
    .first_key = "path",
    .usage = "PATH[,ro][,serial=ID][,cache=writeback|none|unsafe][,snapshot]",
    .help = "add a virtio-blk disk on a raw image (the first is /dev/vda, then /dev/vdb, ...).\n"
            "ro: read-only; serial=: up to 20 characters; cache=writeback (default, host\n"
            "page cache, guest flushes reach the disk), none (O_DIRECT), unsafe (flushes\n"
            "ignored); snapshot: the image is only read and writes go to a temporary\n"
            "overlay that vanishes on exit. A comma in PATH is written twice (,,).\n"
            "Writable images are locked: a second kite cannot open them.",
    .max_instances = 16,
    .order = 10,
    .parse = disk_parse,
    .free_config = disk_free_config,
    .open_host = disk_open_host,
    .close_host = disk_close_host,
    .create = disk_create,
    .destroy = disk_destroy,
};
DEVICE_TYPE_REGISTER(disk_type)
