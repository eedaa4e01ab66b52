#include "virtio/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtqueues are little-endian: kite's ring accessors assume a little-endian host"
#endif

/*
 * Ring layout (2.7.5-2.7.8):
 *   desc[i]  = { le64 addr; le32 len; le16 flags; le16 next; }          16 bytes
 *   avail    = { le16 flags; le16 idx; le16 ring[size]; le16 used_event; }
 *   used     = { le16 flags; le16 idx; { le32 id; le32 len; } ring[size]; le16 avail_event; }
 * The guest may change any of it at any time: each field is loaded once into a local.
 */
struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static const char *const error_names[VIRTQ_ERR_COUNT] = {
    [VIRTQ_ERR_HEAD_RANGE] = "head index out of range",
    [VIRTQ_ERR_AVAIL_JUMP] = "avail.idx ran more than the queue size ahead",
    [VIRTQ_ERR_NEXT_RANGE] = "next index out of range",
    [VIRTQ_ERR_CHAIN_LOOP] = "chain longer than the queue (descriptor loop)",
    [VIRTQ_ERR_INDIRECT_OFF] = "indirect descriptor without VIRTIO_F_INDIRECT_DESC",
    [VIRTQ_ERR_INDIRECT_NESTED] = "nested indirect table",
    [VIRTQ_ERR_INDIRECT_NEXT] = "indirect descriptor with the NEXT flag",
    [VIRTQ_ERR_INDIRECT_LEN] = "indirect table length not a non-zero multiple of 16",
    [VIRTQ_ERR_INDIRECT_RAM] = "indirect table outside RAM",
    [VIRTQ_ERR_ORDER] = "readable descriptor after a writable one",
    [VIRTQ_ERR_TOO_BIG] = "chain longer than the device accepts",
    [VIRTQ_ERR_BUF_RAM] = "buffer outside RAM",
    [VIRTQ_ERR_EMPTY] = "chain of zero bytes",
};

const char *virtq_error_name(enum virtq_error err)
{
    return (unsigned)err < VIRTQ_ERR_COUNT ? error_names[err] : "?";
}

static uint16_t load16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

static void store16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static void store32(uint8_t *p, uint32_t v)
{
    __atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static void complain(struct virtq *vq, enum virtq_error err, uint16_t head, uint64_t detail)
{
    vq->errors[err]++;
    if (vq->logged & (1u << err))
        return;
    vq->logged |= 1u << err;
    log_warn("virtq", "%s: %s (head %u, 0x%llx)", vq->name ? vq->name : "queue",
             error_names[err], head, (unsigned long long)detail);
}

int virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t max_size,
               const char *name)
{
    memset(vq, 0, sizeof(*vq));
    if (!max_size)
        max_size = VIRTQ_DEFAULT_MAX_SIZE;
    if (max_size > VIRTQ_MAX_SIZE || (max_size & (max_size - 1)))
        return -EINVAL;
    vq->mem = mem;
    vq->name = name;
    vq->max_size = max_size;
    vq->max_chain_bytes = UINT32_MAX;
    vq->scratch_iov = calloc(max_size, sizeof(*vq->scratch_iov));
    vq->scratch_gpa = calloc(max_size, sizeof(*vq->scratch_gpa));
    vq->scratch_write = calloc(max_size, 1);
    if (!vq->scratch_iov || !vq->scratch_gpa || !vq->scratch_write) {
        virtq_cleanup(vq);
        return -ENOMEM;
    }
    virtq_reset(vq);
    return 0;
}

void virtq_cleanup(struct virtq *vq)
{
    for (unsigned c = 0; c < VIRTQ_POOL_CLASSES; c++) {
        while (vq->pool[c]) {
            struct virtq_elem *e = vq->pool[c];
            vq->pool[c] = e->next_free;
            free(e);
        }
        vq->pooled[c] = 0;
    }
    free(vq->scratch_iov);
    free(vq->scratch_gpa);
    free(vq->scratch_write);
    vq->scratch_iov = NULL;
    vq->scratch_gpa = NULL;
    vq->scratch_write = NULL;
}

void virtq_reset(struct virtq *vq)
{
    vq->size = vq->max_size;
    vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
    vq->ready = vq->broken = false;
    vq->desc = vq->avail = vq->used = NULL;
    vq->last_avail = vq->shadow_avail = vq->used_idx = 0;
    vq->signalled_used = 0;
    vq->signalled_valid = true;
    /* Requests still held by the device belong to the old epoch: pushing them is a no-op. */
    vq->epoch++;
    vq->inflight = 0;
}

static const char *area_problem(const struct virtq *vq, uint64_t gpa, uint64_t len,
                                uint64_t align, uint8_t **host)
{
    if (gpa & (align - 1))
        return "misaligned";
    *host = guest_mem_map(vq->mem, gpa, len);
    return *host ? NULL : "not in RAM";
}

int virtq_enable(struct virtq *vq)
{
    const char *name = vq->name ? vq->name : "queue";
    uint32_t n = vq->size;
    if (n == 0 || (n & (n - 1)) || n > vq->max_size) {
        log_warn("virtq", "%s: queue size %u refused (power of two, 1..%u)", name, n,
                 vq->max_size);
        return -EINVAL;
    }
    static const char *const area[3] = {"descriptor table", "driver area", "device area"};
    const uint64_t gpa[3] = {vq->desc_gpa, vq->avail_gpa, vq->used_gpa};
    const uint64_t len[3] = {virtq_desc_bytes(n), virtq_avail_bytes(n), virtq_used_bytes(n)};
    const uint64_t align[3] = {16, 2, 4};
    uint8_t *host[3];
    for (int i = 0; i < 3; i++) {
        const char *why = area_problem(vq, gpa[i], len[i], align[i], &host[i]);
        if (why) {
            log_warn("virtq", "%s: %s at 0x%llx (+%llu) %s: queue not enabled", name, area[i],
                     (unsigned long long)gpa[i], (unsigned long long)len[i], why);
            return -EINVAL;
        }
    }
    vq->desc = host[0];
    vq->avail = host[1];
    vq->used = host[2];
    vq->last_avail = vq->shadow_avail = vq->used_idx = 0;
    /* Nothing used yet, nothing to signal: no interrupt until something is pushed. */
    vq->signalled_used = 0;
    vq->signalled_valid = true;
    vq->inflight = 0;
    vq->broken = false;
    /* The device area starts clean: flags 0 (notify us), idx 0, avail_event 0. */
    store16(vq->used, 0);
    __atomic_store_n((uint16_t *)(void *)(vq->used + 2), 0, __ATOMIC_RELEASE);
    store16(vq->used + 4 + 8 * n, 0);
    vq->ready = true;
    return 0;
}

static void mark_broken(struct virtq *vq, enum virtq_error err, uint16_t head, uint64_t detail)
{
    complain(vq, err, head, detail);
    vq->broken = true;
    vq->ready = false;
    if (vq->on_broken)
        vq->on_broken(vq->opaque);
}

static void publish_used(struct virtq *vq, uint16_t head, uint32_t len)
{
    uint8_t *e = vq->used + 4 + 8 * (vq->used_idx & (vq->size - 1));
    store32(e, head);
    store32(e + 4, len);
    vq->used_idx++;
    /* The element must be visible before the index that hands it over. */
    __atomic_store_n((uint16_t *)(void *)(vq->used + 2), vq->used_idx, __ATOMIC_RELEASE);
}

/* Reads avail.idx once; false (and the queue broken) if it ran too far ahead. */
static bool refresh_avail(struct virtq *vq)
{
    uint16_t idx = __atomic_load_n((const uint16_t *)(const void *)(vq->avail + 2),
                                   __ATOMIC_ACQUIRE);
    if ((uint16_t)(idx - vq->last_avail) > vq->size) {
        mark_broken(vq, VIRTQ_ERR_AVAIL_JUMP, 0, idx);
        return false;
    }
    vq->shadow_avail = idx;
    return true;
}

bool virtq_has_avail(struct virtq *vq)
{
    if (!vq->ready)
        return false;
    if (vq->shadow_avail != vq->last_avail)
        return true;
    return refresh_avail(vq) && vq->shadow_avail != vq->last_avail;
}

/* Walks the chain at `head` into the scratch buffers. Returns 0 or the error. */
static int walk_chain(struct virtq *vq, uint16_t head, unsigned *nbuf, uint64_t *detail)
{
    const uint8_t *table = vq->desc;
    uint32_t table_size = vq->size;
    uint32_t idx = head, count = 0;
    bool in_indirect = false, seen_write = false;
    uint64_t total = 0;
    unsigned n = 0;
    for (;;) {
        if (idx >= table_size) {
            *detail = idx;
            return VIRTQ_ERR_NEXT_RANGE;
        }
        /* Every descriptor, indirect ones included, counts toward the queue size. */
        if (++count > vq->size) {
            *detail = count;
            return VIRTQ_ERR_CHAIN_LOOP;
        }
        struct desc d;
        memcpy(&d, table + 16 * idx, sizeof(d));
        *detail = d.addr;
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return VIRTQ_ERR_INDIRECT_OFF;
            if (in_indirect)
                return VIRTQ_ERR_INDIRECT_NESTED;
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return VIRTQ_ERR_INDIRECT_NEXT;
            if (d.len == 0 || d.len % 16)
                return VIRTQ_ERR_INDIRECT_LEN;
            table = guest_mem_map(vq->mem, d.addr, d.len);
            if (!table)
                return VIRTQ_ERR_INDIRECT_RAM;
            table_size = d.len / 16;
            in_indirect = true;
            idx = 0;
            continue;
        }
        bool write = d.flags & VIRTQ_DESC_F_WRITE;
        if (write)
            seen_write = true;
        else if (seen_write)
            return VIRTQ_ERR_ORDER;
        total += d.len;     /* at most 32768 * 4 GiB: no overflow in 64 bits */
        if (total > vq->max_chain_bytes) {
            *detail = total;
            return VIRTQ_ERR_TOO_BIG;
        }
        if (d.len) {
            void *p = guest_mem_map(vq->mem, d.addr, d.len);
            if (!p)
                return VIRTQ_ERR_BUF_RAM;
            vq->scratch_iov[n] = (struct iovec){.iov_base = p, .iov_len = d.len};
            vq->scratch_gpa[n] = d.addr;
            vq->scratch_write[n] = write;
            n++;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        idx = d.next;
    }
    if (total == 0)
        return VIRTQ_ERR_EMPTY;
    *nbuf = n;
    return -1;
}

static unsigned size_class(unsigned n)
{
    unsigned c = 0;
    while ((1u << c) < n)
        c++;
    return c;
}

/* An element with room for n iovecs (and as many guest addresses), from the pool. */
static struct virtq_elem *elem_get(struct virtq *vq, unsigned n)
{
    unsigned c = size_class(n);
    if (c >= VIRTQ_POOL_CLASSES)
        return NULL;
    struct virtq_elem *e = vq->pool[c];
    if (e) {
        vq->pool[c] = e->next_free;
        vq->pooled[c]--;
    } else {
        size_t cap = (size_t)1 << c;
        e = malloc(sizeof(*e) + cap * (sizeof(struct iovec) + sizeof(uint64_t)));
        if (!e)
            return NULL;
        e->size_class = c;
    }
    e->next_free = NULL;
    e->iov = (struct iovec *)(e + 1);
    e->in_gpa = (uint64_t *)(e->iov + ((size_t)1 << c));
    return e;
}

static void elem_put(struct virtq *vq, struct virtq_elem *e)
{
    unsigned c = e->size_class;
    if (c >= VIRTQ_POOL_CLASSES || vq->pooled[c] >= VIRTQ_POOL_PER_CLASS) {
        free(e);
        return;
    }
    e->next_free = vq->pool[c];
    vq->pool[c] = e;
    vq->pooled[c]++;
}

static struct virtq_elem *make_elem(struct virtq *vq, uint16_t head, unsigned n)
{
    unsigned in_num = 0;
    for (unsigned i = 0; i < n; i++)
        in_num += vq->scratch_write[i];
    struct virtq_elem *e = elem_get(vq, n);
    if (!e)
        return NULL;
    e->head = head;
    e->epoch = vq->epoch;
    e->out_num = n - in_num;
    e->in_num = in_num;
    e->out_len = e->in_len = 0;
    for (unsigned i = 0; i < n; i++) {
        e->iov[i] = vq->scratch_iov[i];
        if (vq->scratch_write[i]) {
            e->in_gpa[i - e->out_num] = vq->scratch_gpa[i];
            e->in_len += vq->scratch_iov[i].iov_len;
        } else {
            e->out_len += vq->scratch_iov[i].iov_len;
        }
    }
    return e;
}

int virtq_pop(struct virtq *vq, struct virtq_elem **out)
{
    *out = NULL;
    for (;;) {
        if (!vq->ready || vq->inflight >= vq->size)
            return 0;
        if (vq->shadow_avail == vq->last_avail &&
            (!refresh_avail(vq) || vq->shadow_avail == vq->last_avail))
            return 0;
        uint16_t slot = vq->last_avail & (vq->size - 1);
        uint16_t head = load16(vq->avail + 4 + 2 * slot);
        if (head >= vq->size) {
            /* No used element can name this request: the ring itself is broken. */
            mark_broken(vq, VIRTQ_ERR_HEAD_RANGE, head, slot);
            return 0;
        }
        vq->last_avail++;
        if (vq->event_idx) {
            /* Ask to be notified as soon as the driver adds past what we consumed. */
            store16(vq->used + 4 + 8 * vq->size, vq->last_avail);
        }
        unsigned n = 0;
        uint64_t detail = 0;
        int err = walk_chain(vq, head, &n, &detail);
        if (err >= 0) {
            complain(vq, err, head, detail);
            publish_used(vq, head, 0);
            continue;
        }
        struct virtq_elem *e = make_elem(vq, head, n);
        if (!e) {
            log_once(LOG_ERROR, "virtq", "out of memory: request failed");
            publish_used(vq, head, 0);
            continue;
        }
        vq->inflight++;
        *out = e;
        return 1;
    }
}

void virtq_drop(struct virtq *vq, struct virtq_elem *elem)
{
    if (!elem)
        return;
    if (elem->epoch == vq->epoch && vq->inflight)
        vq->inflight--;
    elem_put(vq, elem);
}

void virtq_push(struct virtq *vq, struct virtq_elem *elem, uint32_t written)
{
    if (!elem)
        return;
    if (elem->epoch != vq->epoch || !vq->ready) {
        /* The queue was reset (or stopped) while the device held this request. */
        virtq_drop(vq, elem);
        return;
    }
    if (written > elem->in_len)
        written = (uint32_t)elem->in_len;
    uint64_t left = written;
    for (unsigned i = 0; i < elem->in_num && left; i++) {
        uint64_t part = elem->iov[elem->out_num + i].iov_len;
        if (part > left)
            part = left;
        guest_mem_dirty(vq->mem, elem->in_gpa[i], part);
        left -= part;
    }
    publish_used(vq, elem->head, written);
    virtq_drop(vq, elem);
}

bool virtq_should_notify(struct virtq *vq)
{
    if (!vq->used || vq->broken)
        return false;
    uint16_t old = vq->signalled_used, now = vq->used_idx;
    bool valid = vq->signalled_valid;
    if (valid && old == now)
        return false;
    /* used.idx must be visible before we look at what the driver asked for. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool notify;
    if (vq->event_idx) {
        uint16_t event = load16(vq->avail + 4 + 2 * vq->size);
        /* vring_need_event: the driver wants an interrupt once used.idx passes event. */
        notify = !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
    } else {
        notify = !(load16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    vq->signalled_used = now;
    vq->signalled_valid = true;
    return notify;
}

bool virtq_set_notification(struct virtq *vq, bool enable)
{
    if (!vq->ready)
        return false;
    if (vq->event_idx) {
        if (enable)
            store16(vq->used + 4 + 8 * vq->size, vq->shadow_avail);
    } else {
        store16(vq->used, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
    }
    if (!enable)
        return false;
    /* The hint must be visible before we check again for buffers added meanwhile. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtq_has_avail(vq);
}

size_t virtq_elem_read(const struct virtq_elem *e, uint64_t offset, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < e->out_num && done < len; i++) {
        const struct iovec *iov = &e->iov[i];
        if (offset >= iov->iov_len) {
            offset -= iov->iov_len;
            continue;
        }
        size_t part = iov->iov_len - offset;
        if (part > len - done)
            part = len - done;
        memcpy((uint8_t *)buf + done, (const uint8_t *)iov->iov_base + offset, part);
        done += part;
        offset = 0;
    }
    return done;
}

size_t virtq_elem_write(struct virtq_elem *e, uint64_t offset, const void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < e->in_num && done < len; i++) {
        struct iovec *iov = &e->iov[e->out_num + i];
        if (offset >= iov->iov_len) {
            offset -= iov->iov_len;
            continue;
        }
        size_t part = iov->iov_len - offset;
        if (part > len - done)
            part = len - done;
        memcpy((uint8_t *)iov->iov_base + offset, (const uint8_t *)buf + done, part);
        done += part;
        offset = 0;
    }
    return done;
}
