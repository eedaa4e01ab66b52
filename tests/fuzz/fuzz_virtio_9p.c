/*
 * libFuzzer target: the 9P2000.L decoder and server of virtio-9p, in front of the real
 * host-directory backend on a temporary share (with a file, a directory, a symlink out of
 * the share and a fifo). Each input is a session: Tversion and Tattach, then messages the
 * input spells out byte for byte, each sent as a chain of a shape the input picks (piece
 * size of the request, room and split of the reply). After every message the reply must
 * be well formed (used length == its size field, within the writable room); after the
 * session every fid's host descriptor must be gone, and nothing outside the share may
 * have appeared.
 *
 * Input: msize[4], then per message: flags[1] len[2] piece[1] room[3] bytes[len].
 * flags bit 0: kite writes the right size field into bytes[0..4) (most messages are meant
 * to be well framed so that the fields behind reach the server).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/fs.h"
#include "core/log.h"
#include "virtio/9p.h"
#include "virtio/mmio.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (1ULL << 20)
#define QSIZE 256
#define Q0 (RAM_BASE + 0x1000)
#define REQ (RAM_BASE + 0x10000)
#define REQ_MAX 0x10000u
#define REP (RAM_BASE + 0x40000)
#define REP_MAX 0x80000u

static uint8_t *ram;
static struct guest_mem mem;
static char top[64], share[96];
static struct fs_device *fs;

static void put(const char *name, const char *text)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/%s", share, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void on_irq(void *opaque, int line, int level)
{
    (void)opaque;
    (void)line;
    (void)level;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* The share and everything the guest made in it go when the fuzzer exits. */
static void remove_top(void)
{
    fs_local_close(fs);
    nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_threshold = LOG_ERROR;
    snprintf(top, sizeof(top), "/tmp/kite-fuzz-9p.XXXXXX");
    if (!mkdtemp(top))
        abort();
    snprintf(share, sizeof(share), "%s/share", top);
    mkdir(share, 0755);
    put("a", "hello fuzz");
    char p[160];
    snprintf(p, sizeof(p), "%s/d", share);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/out", share);
    if (symlink(top, p) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/fifo", share);
    mkfifo(p, 0644);
    snprintf(p, sizeof(p), "%s/outside", top);
    FILE *f = fopen(p, "w");
    fputs("outside", f);
    fclose(f);
    struct fs_config c = {.path = share, .security = FS_SECURITY_NONE};
    if (fs_local_open(&c, &fs) < 0)
        abort();
    atexit(remove_top);
    ram = aligned_alloc(4096, RAM_SIZE);
    mem = (struct guest_mem){.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    return 0;
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
    virtio_mmio_write(t, off, v, 4);
}

struct drv {
    struct virtio_mmio *t;
    uint16_t avail_idx, used_seen;
};

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = ram + (Q0 - RAM_BASE) + 16 * i;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

/* Sends one message; checks the reply's framing. */
static void send(struct drv *d, const uint8_t *msg, size_t len, size_t piece, size_t room,
                 size_t first)
{
    memcpy(ram + (REQ - RAM_BASE), msg, len);
    unsigned n = 0;
    struct { uint64_t a; uint32_t l; uint16_t f; } ds[QSIZE];
    for (size_t off = 0; off < len && n < QSIZE - 2; off += piece) {
        size_t part = len - off < piece ? len - off : piece;
        ds[n++] = (typeof(ds[0])){REQ + off, (uint32_t)part, 0};
    }
    if (first && first < room) {
        ds[n++] = (typeof(ds[0])){REP, (uint32_t)first, 2};
        ds[n++] = (typeof(ds[0])){REP + first, (uint32_t)(room - first), 2};
    } else if (room) {
        ds[n++] = (typeof(ds[0])){REP, (uint32_t)room, 2};
    }
    if (!n)
        return;
    for (unsigned i = 0; i < n; i++)
        desc(i, ds[i].a, ds[i].l, (uint16_t)(ds[i].f | (i + 1 < n ? 1 : 0)),
             (uint16_t)(i + 1 < n ? i + 1 : 0));
    uint64_t avail = Q0 + 16 * QSIZE;
    uint8_t *a = ram + (avail - RAM_BASE);
    memset(a + 4 + 2 * (d->avail_idx % QSIZE), 0, 2);
    d->avail_idx++;
    memcpy(a + 2, &d->avail_idx, 2);
    wr(d->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint64_t used = (avail + 6 + 2 * QSIZE + 3) & ~3ull;
    uint8_t *u = ram + (used - RAM_BASE);
    uint16_t uidx;
    memcpy(&uidx, u + 2, 2);
    if (uidx != (uint16_t)(d->used_seen + 1))
        abort();                /* every request is answered, at once */
    uint32_t ulen;
    memcpy(&ulen, u + 4 + 8 * (d->used_seen % QSIZE) + 4, 4);
    d->used_seen++;
    if (ulen > room)
        abort();
    if (ulen) {
        uint32_t size;
        memcpy(&size, ram + (REP - RAM_BASE), 4);
        if (ulen < 7 || size != ulen)
            abort();
    }
}

static size_t frame(uint8_t *b, uint8_t type, uint16_t tag, size_t n)
{
    uint32_t s = (uint32_t)n;
    memcpy(b, &s, 4);
    b[4] = type;
    memcpy(b + 5, &tag, 2);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtio_9p *p = virtio_9p_new(&mem, fs, "fuzz", 0, NULL);
    if (!p)
        abort();
    struct drv d = {0};
    struct irq_line irq = {.set = on_irq};
    d.t = virtio_mmio_new(virtio_9p_device(p), irq);
    wr(d.t, VIRTIO_MMIO_STATUS, 0);
    wr(d.t, VIRTIO_MMIO_STATUS, 3);
    wr(d.t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d.t, VIRTIO_MMIO_DRIVER_FEATURES, 1);        /* VERSION_1 */
    wr(d.t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d.t, VIRTIO_MMIO_DRIVER_FEATURES, 1);        /* MOUNT_TAG */
    wr(d.t, VIRTIO_MMIO_STATUS, 11);
    uint64_t avail = Q0 + 16 * QSIZE, used = (avail + 6 + 2 * QSIZE + 3) & ~3ull;
    memset(ram + (Q0 - RAM_BASE), 0, used + 6 + 8 * QSIZE - Q0);
    wr(d.t, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(d.t, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(d.t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)Q0);
    wr(d.t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(Q0 >> 32));
    wr(d.t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(d.t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(d.t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(d.t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(d.t, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(d.t, VIRTIO_MMIO_STATUS, 15);

    size_t pos = 0;
    uint32_t msize = 8192;
    if (size >= 4) {
        memcpy(&msize, data, 4);
        pos = 4;
    }
    static uint8_t m[REQ_MAX];
    /* Tversion, Tattach fid 0: the session the messages run in. */
    size_t n = 7;
    memcpy(m + n, &msize, 4);
    n += 4;
    m[n++] = 8;
    m[n++] = 0;
    memcpy(m + n, "9P2000.L", 8);
    n += 8;
    send(&d, m, frame(m, 100, 0xffff, n), 4096, REP_MAX, 11);
    n = 7;
    memset(m + n, 0, 4);        /* fid 0 */
    memset(m + n + 4, 0xff, 4); /* no afid */
    memset(m + n + 8, 0, 4);    /* two empty strings */
    memset(m + n + 12, 0, 4);   /* uid 0 */
    n += 16;
    send(&d, m, frame(m, 104, 1, n), 4096, REP_MAX, 11);

    while (pos + 7 <= size) {
        uint8_t flags = data[pos];
        size_t len = (size_t)(data[pos + 1] | data[pos + 2] << 8);
        size_t piece = data[pos + 3] ? data[pos + 3] : 4096;
        size_t room = (size_t)(data[pos + 4] | data[pos + 5] << 8 | data[pos + 6] << 16) %
                      (REP_MAX + 1);
        pos += 7;
        if (len > size - pos)
            len = size - pos;
        memcpy(m, data + pos, len);
        pos += len;
        if ((flags & 1) && len >= 4) {
            uint32_t s = (uint32_t)len;
            memcpy(m, &s, 4);
        }
        send(&d, m, len, piece, room, (flags & 2) ? 11 : 0);
    }

    virtio_mmio_free(d.t);
    virtio_9p_free(p);
    if (fs_local_open_nodes(fs) != 0)
        abort();                /* a descriptor outlived its fid */
    /* Nothing new next to the share. */
    DIR *dir = opendir(top);
    unsigned entries = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        entries++;
    closedir(dir);
    if (entries != 4)           /* ".", "..", share, outside */
        abort();
    return 0;
}
