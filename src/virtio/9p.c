#define _GNU_SOURCE
#include "virtio/9p.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/fs.h"
#include "core/device_registry.h"
#include "core/log.h"

/* Message types (9P2000.L; the R-message is T + 1). */
enum {
    P9_RLERROR = 7,
    P9_TSTATFS = 8,
    P9_TLOPEN = 12,
    P9_TLCREATE = 14,
    P9_TSYMLINK = 16,
    P9_TMKNOD = 18,
    P9_TRENAME = 20,
    P9_TREADLINK = 22,
    P9_TGETATTR = 24,
    P9_TSETATTR = 26,
    P9_TXATTRWALK = 30,
    P9_TXATTRCREATE = 32,
    P9_TREADDIR = 40,
    P9_TFSYNC = 50,
    P9_TLOCK = 52,
    P9_TGETLOCK = 54,
    P9_TLINK = 70,
    P9_TMKDIR = 72,
    P9_TRENAMEAT = 74,
    P9_TUNLINKAT = 76,
    P9_TVERSION = 100,
    P9_TAUTH = 102,
    P9_TATTACH = 104,
    P9_TFLUSH = 108,
    P9_TWALK = 110,
    P9_TREAD = 116,
    P9_TWRITE = 118,
    P9_TCLUNK = 120,
    P9_TREMOVE = 122,
};

#define P9_HDR 7u               /* size[4] type[1] tag[2] */
#define P9_NOTAG 0xffffu
#define P9_NOFID 0xffffffffu
#define P9_GETATTR_BASIC 0x7ffull
#define P9_NAME_MAX 255u
#define P9_TARGET_MAX 4095u
/* Every message but Twrite is small: its strings are bounded above. */
#define P9_SMALL_MAX 8192u
#define P9_TWRITE_HDR 23u       /* header, fid[4] offset[8] count[4] */
#define P9_RREAD_HDR 11u        /* header, count[4] */
#define P9_AT_REMOVEDIR 0x200u

enum fid_kind { FID_NODE, FID_XATTR_READ, FID_XATTR_WRITE };

struct fid {
    uint32_t id;
    enum fid_kind kind;
    struct fs_node *node;       /* NULL for an xattr being read */
    uint32_t uid;               /* who attached: the owner of what this fid creates */
    /* xattrs: the value read (whole, at walk time) or being written. */
    uint8_t *xbuf;
    uint64_t xlen, xcopied;
    char *xname;
    int xflags;
    struct fid *next;
};

#define FID_BUCKETS 1024

struct virtio_9p {
    struct virtio_device vdev;
    struct fs_device *fs;
    uint32_t msize;             /* 0 until Tversion */
    struct fid *fids[FID_BUCKETS];
    unsigned nfids;
    uint8_t *req;               /* a copy of one small request (the guest may rewrite it) */
    uint8_t *rep;               /* one reply being built (up to msize) */
    struct iovec *iov;          /* scratch slices of a chain, P9_QUEUE_SIZE entries */
    struct virtio_9p_stats stats;
    struct log_limit logged;    /* each complaint once per device */
    /* Decoded strings too large for the stack of one request. */
    char walk_names[P9_MAX_WALK][P9_NAME_MAX + 1];
    char target[P9_TARGET_MAX + 1];
};

#define COMPLAIN(p, ...) log_once_in(&(p)->logged, LOG_WARN, "virtio-9p", __VA_ARGS__)

/* --- decoding: a cursor over the request's copy -------------------------------------- */

struct cur {
    const uint8_t *b;
    size_t len, pos;
    int err;                    /* first error, negative errno; then every read gives 0 */
};

static const uint8_t *take(struct cur *c, size_t n)
{
    if (c->err || n > c->len - c->pos) {
        if (!c->err)
            c->err = -EINVAL;
        return NULL;
    }
    const uint8_t *p = c->b + c->pos;
    c->pos += n;
    return p;
}

static uint8_t g8(struct cur *c)
{
    const uint8_t *p = take(c, 1);
    return p ? p[0] : 0;
}

static uint16_t g16(struct cur *c)
{
    const uint8_t *p = take(c, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

static uint32_t g32(struct cur *c)
{
    const uint8_t *p = take(c, 4);
    return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24
             : 0;
}

static uint64_t g64(struct cur *c)
{
    uint64_t lo = g32(c);
    return lo | (uint64_t)g32(c) << 32;
}

/* A string of at most `max` bytes into out[max + 1]; embedded NULs refused. */
static void gstr(struct cur *c, char *out, size_t max)
{
    out[0] = 0;
    uint16_t n = g16(c);
    const uint8_t *p = take(c, n);
    if (!p)
        return;
    if (n > max) {
        c->err = -ENAMETOOLONG;
        return;
    }
    if (memchr(p, 0, n)) {
        c->err = -EINVAL;
        return;
    }
    memcpy(out, p, n);
    out[n] = 0;
}

/* --- encoding: the reply buffer -------------------------------------------------------- */

struct out {
    uint8_t *b;
    size_t cap, pos;
    bool overflow;
};

static uint8_t *put(struct out *o, size_t n)
{
    if (o->overflow || n > o->cap - o->pos) {
        o->overflow = true;
        return NULL;
    }
    uint8_t *p = o->b + o->pos;
    o->pos += n;
    return p;
}

static void p8(struct out *o, uint8_t v)
{
    uint8_t *p = put(o, 1);
    if (p)
        p[0] = v;
}

static void p16(struct out *o, uint16_t v)
{
    uint8_t *p = put(o, 2);
    if (p) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    }
}

static void p32(struct out *o, uint32_t v)
{
    uint8_t *p = put(o, 4);
    if (p)
        for (int i = 0; i < 4; i++)
            p[i] = (uint8_t)(v >> (8 * i));
}

static void p64(struct out *o, uint64_t v)
{
    p32(o, (uint32_t)v);
    p32(o, (uint32_t)(v >> 32));
}

static void pstr(struct out *o, const char *s, size_t n)
{
    p16(o, (uint16_t)n);
    uint8_t *p = put(o, n);
    if (p)
        memcpy(p, s, n);
}

static void pqid(struct out *o, const struct fs_qid *q)
{
    p8(o, q->type);
    p32(o, q->version);
    p64(o, q->path);
}

/* --- fids ------------------------------------------------------------------------------ */

static struct fid **fid_slot(struct virtio_9p *p, uint32_t id)
{
    struct fid **s = &p->fids[(id * 2654435761u) >> 22];
    while (*s && (*s)->id != id)
        s = &(*s)->next;
    return s;
}

static struct fid *fid_get(struct virtio_9p *p, uint32_t id)
{
    return *fid_slot(p, id);
}

/* A new fid `id` (which must be unused); NULL with *err set otherwise. */
static struct fid *fid_new(struct virtio_9p *p, uint32_t id, int *err)
{
    struct fid **s = fid_slot(p, id);
    if (*s || id == P9_NOFID) {
        *err = -EBADF;
        return NULL;
    }
    if (p->nfids >= P9_MAX_FIDS) {
        COMPLAIN(p, "guest holds %u fids, the limit: further ones refused",
                 P9_MAX_FIDS);
        *err = -ENFILE;
        return NULL;
    }
    struct fid *f = calloc(1, sizeof(*f));
    if (!f) {
        *err = -ENOMEM;
        return NULL;
    }
    f->id = id;
    *s = f;
    p->nfids++;
    p->stats.fids = p->nfids;
    return f;
}

static void fid_release_state(struct virtio_9p *p, struct fid *f)
{
    if (f->node)
        p->fs->ops->release(p->fs, f->node);
    f->node = NULL;
    free(f->xbuf);
    free(f->xname);
    f->xbuf = NULL;
    f->xname = NULL;
    f->kind = FID_NODE;
}

/* Unlinks and frees fid `id`; an xattr being written is set first (its result returned). */
static int fid_clunk(struct virtio_9p *p, uint32_t id)
{
    struct fid **s = fid_slot(p, id);
    struct fid *f = *s;
    if (!f)
        return -EBADF;
    int r = 0;
    if (f->kind == FID_XATTR_WRITE) {
        if (f->xcopied != f->xlen)
            r = -EINVAL;
        else
            r = p->fs->ops->setxattr(p->fs, f->node, f->xname, f->xlen ? f->xbuf : NULL,
                                     (size_t)f->xlen, f->xflags);
    }
    *s = f->next;
    fid_release_state(p, f);
    free(f);
    p->nfids--;
    p->stats.fids = p->nfids;
    return r;
}

static void fids_drop_all(struct virtio_9p *p)
{
    for (unsigned b = 0; b < FID_BUCKETS; b++) {
        while (p->fids[b]) {
            struct fid *f = p->fids[b];
            p->fids[b] = f->next;
            fid_release_state(p, f);
            free(f);
        }
    }
    p->nfids = 0;
    p->stats.fids = 0;
}

/* A fid that names a file (not an xattr in progress). */
static struct fid *node_fid(struct virtio_9p *p, uint32_t id, int *err)
{
    struct fid *f = fid_get(p, id);
    if (!f || f->kind != FID_NODE || !f->node) {
        *err = -EBADF;
        return NULL;
    }
    return f;
}

/* --- chains ---------------------------------------------------------------------------- */

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

/* --- one request ----------------------------------------------------------------------- */

struct req {
    struct virtq_elem *e;
    uint8_t type;
    uint16_t tag;
    uint32_t size;              /* the T-message's size field */
    struct cur in;
    struct out out;             /* the R-message, from its header on */
    uint32_t reply_len;         /* set when the reply went to the chain already (Rread) */
};

static void begin_reply(struct virtio_9p *p, struct req *r, uint8_t type, size_t cap)
{
    r->out = (struct out){.b = p->rep, .cap = cap};
    p32(&r->out, 0);
    p8(&r->out, type);
    p16(&r->out, r->tag);
}

/* Room for the reply in the chain and in msize. */
static size_t reply_room(const struct virtio_9p *p, const struct req *r)
{
    uint64_t room = r->e->in_len;
    uint32_t ms = p->msize ? p->msize : P9_MSIZE_MAX;
    return room < ms ? (size_t)room : ms;
}

static void op_version(struct virtio_9p *p, struct req *r)
{
    uint32_t msize = g32(&r->in);
    char version[32];
    gstr(&r->in, version, sizeof(version) - 1);
    if (r->in.err == -ENAMETOOLONG)
        r->in.err = 0, version[0] = 0;
    if (r->in.err)
        return;
    /* A new session: every fid of the old one is gone. */
    fids_drop_all(p);
    if (msize < P9_MSIZE_MIN) {
        r->in.err = -EINVAL;
        return;
    }
    if (msize > P9_MSIZE_MAX)
        msize = P9_MSIZE_MAX;
    bool ours = !strcmp(version, "9P2000.L");
    p->msize = ours ? msize : 0;
    begin_reply(p, r, P9_TVERSION + 1, reply_room(p, r));
    p32(&r->out, msize);
    const char *v = ours ? "9P2000.L" : "unknown";
    pstr(&r->out, v, strlen(v));
}

static void op_attach(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    g32(&r->in);                        /* afid: no authentication */
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);    /* uname */
    gstr(&r->in, name, P9_NAME_MAX);    /* aname: there is one tree */
    uint32_t uid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = fid_new(p, fid, &r->in.err);
    if (!f)
        return;
    int e = p->fs->ops->root(p->fs, &f->node);
    if (e < 0) {
        fid_clunk(p, fid);
        r->in.err = e;
        return;
    }
    f->uid = uid == P9_NOFID ? 65534 : uid;
    struct fs_qid q;
    p->fs->ops->qid(p->fs, f->node, &q);
    begin_reply(p, r, P9_TATTACH + 1, reply_room(p, r));
    pqid(&r->out, &q);
}

static void op_walk(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), newfid = g32(&r->in);
    uint16_t n = g16(&r->in);
    if (r->in.err)
        return;
    if (n > P9_MAX_WALK) {
        r->in.err = -EINVAL;
        return;
    }
    char (*names)[P9_NAME_MAX + 1] = p->walk_names;
    for (unsigned i = 0; i < n; i++)
        gstr(&r->in, names[i], P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *from = node_fid(p, fid, &r->in.err);
    if (!from)
        return;
    if (newfid != fid && fid_get(p, newfid)) {
        r->in.err = -EBADF;
        return;
    }
    const struct fs_ops *ops = p->fs->ops;
    struct fs_node *cur;
    int e = ops->clone(p->fs, from->node, &cur);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    struct fs_qid qids[P9_MAX_WALK];
    unsigned done = 0;
    for (; done < n; done++) {
        struct fs_node *next;
        e = ops->walk(p->fs, cur, names[done], &next);
        if (e < 0)
            break;
        ops->release(p->fs, cur);
        cur = next;
        ops->qid(p->fs, cur, &qids[done]);
    }
    if (done == 0 && n > 0) {
        ops->release(p->fs, cur);
        r->in.err = e;
        return;
    }
    if (done == n) {
        /* Complete: newfid names the result (replacing fid's node if they are one). */
        struct fid *to;
        if (newfid == fid) {
            to = from;
            fid_release_state(p, to);
        } else {
            to = fid_new(p, newfid, &e);
            if (!to) {
                ops->release(p->fs, cur);
                r->in.err = e;
                return;
            }
            to->uid = from->uid;
        }
        to->node = cur;
    } else {
        ops->release(p->fs, cur);
    }
    begin_reply(p, r, P9_TWALK + 1, reply_room(p, r));
    p16(&r->out, (uint16_t)done);
    for (unsigned i = 0; i < done; i++)
        pqid(&r->out, &qids[i]);
}

static void op_lopen(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), flags = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    struct fs_qid q;
    int e = p->fs->ops->open(p->fs, f->node, flags, &q);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TLOPEN + 1, reply_room(p, r));
    pqid(&r->out, &q);
    p32(&r->out, 0);
}

static void op_lcreate(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t flags = g32(&r->in), mode = g32(&r->in), gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    struct fs_cred cred = {.uid = f->uid, .gid = gid};
    struct fs_qid q;
    int e = p->fs->ops->create(p->fs, f->node, name, flags, mode, &cred, &q);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TLCREATE + 1, reply_room(p, r));
    pqid(&r->out, &q);
    p32(&r->out, 0);
}

static void op_read(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    uint64_t off = g64(&r->in);
    uint32_t count = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = fid_get(p, fid);
    if (!f || f->kind == FID_XATTR_WRITE || (f->kind == FID_NODE && !f->node)) {
        r->in.err = -EBADF;
        return;
    }
    size_t room = reply_room(p, r);
    if (room < P9_RREAD_HDR) {
        r->in.err = -ENOBUFS;
        return;
    }
    if (count > room - P9_RREAD_HDR)
        count = (uint32_t)(room - P9_RREAD_HDR);
    ssize_t got;
    if (f->kind == FID_XATTR_READ) {
        uint64_t left = off < f->xlen ? f->xlen - off : 0;
        got = (ssize_t)(count < left ? count : left);
        virtq_elem_write(r->e, P9_RREAD_HDR, f->xbuf + (got ? off : 0), (size_t)got);
    } else {
        /* Straight into the guest's buffers, after the reply header. */
        struct virtq_elem *e = r->e;
        unsigned k = slice(e->iov + e->out_num, e->in_num, P9_RREAD_HDR, count, p->iov);
        got = k ? p->fs->ops->read(p->fs, f->node, off, p->iov, k) : 0;
        if (got < 0) {
            r->in.err = (int)got;
            return;
        }
    }
    uint8_t hdr[P9_RREAD_HDR];
    struct out o = {.b = hdr, .cap = sizeof(hdr)};
    p32(&o, P9_RREAD_HDR + (uint32_t)got);
    p8(&o, P9_TREAD + 1);
    p16(&o, r->tag);
    p32(&o, (uint32_t)got);
    virtq_elem_write(r->e, 0, hdr, sizeof(hdr));
    r->reply_len = P9_RREAD_HDR + (uint32_t)got;
}

static void op_write(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    uint64_t off = g64(&r->in);
    uint32_t count = g32(&r->in);
    if (r->in.err)
        return;
    /* The data must lie inside the message, which lies inside the chain (checked). */
    if (count > r->size - P9_TWRITE_HDR) {
        r->in.err = -EINVAL;
        return;
    }
    struct fid *f = fid_get(p, fid);
    if (!f || f->kind == FID_XATTR_READ || !f->node) {
        r->in.err = -EBADF;
        return;
    }
    ssize_t done;
    if (f->kind == FID_XATTR_WRITE) {
        if (off != f->xcopied || count > f->xlen - f->xcopied) {
            r->in.err = -EINVAL;
            return;
        }
        virtq_elem_read(r->e, P9_TWRITE_HDR, f->xbuf + off, count);
        f->xcopied += count;
        done = count;
    } else {
        struct virtq_elem *e = r->e;
        unsigned k = slice(e->iov, e->out_num, P9_TWRITE_HDR, count, p->iov);
        done = k ? p->fs->ops->write(p->fs, f->node, off, p->iov, k) : 0;
        if (done < 0) {
            r->in.err = (int)done;
            return;
        }
    }
    begin_reply(p, r, P9_TWRITE + 1, reply_room(p, r));
    p32(&r->out, (uint32_t)done);
}

static void op_clunk(struct virtio_9p *p, struct req *r, bool remove)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    int e = fid_clunk(p, fid);
    /* Linux removes with Tunlinkat; a fid alone names no directory entry here. */
    if (e == 0 && remove)
        e = -EOPNOTSUPP;
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, (remove ? P9_TREMOVE : P9_TCLUNK) + 1, reply_room(p, r));
}

static void op_getattr(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    g64(&r->in);                        /* request mask: the basic set is always there */
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    struct fs_attr a;
    int e = p->fs->ops->getattr(p->fs, f->node, &a);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TGETATTR + 1, reply_room(p, r));
    struct out *o = &r->out;
    p64(o, P9_GETATTR_BASIC);
    pqid(o, &a.qid);
    p32(o, a.mode);
    p32(o, a.uid);
    p32(o, a.gid);
    p64(o, a.nlink);
    p64(o, a.rdev);
    p64(o, a.size);
    p64(o, a.blksize);
    p64(o, a.blocks);
    p64(o, (uint64_t)a.atime_sec);
    p64(o, a.atime_nsec);
    p64(o, (uint64_t)a.mtime_sec);
    p64(o, a.mtime_nsec);
    p64(o, (uint64_t)a.ctime_sec);
    p64(o, a.ctime_nsec);
    for (int i = 0; i < 4; i++)         /* btime, gen, data_version: not served */
        p64(o, 0);
}

static void op_setattr(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    struct fs_setattr s;
    s.valid = g32(&r->in);
    s.mode = g32(&r->in);
    s.uid = g32(&r->in);
    s.gid = g32(&r->in);
    s.size = g64(&r->in);
    s.atime_sec = (int64_t)g64(&r->in);
    s.atime_nsec = (uint32_t)g64(&r->in);
    s.mtime_sec = (int64_t)g64(&r->in);
    s.mtime_nsec = (uint32_t)g64(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    int e = p->fs->ops->setattr(p->fs, f->node, &s);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TSETATTR + 1, reply_room(p, r));
}

struct dir_fill {
    struct out *o;
};

static int dir_entry(void *opaque, const struct fs_qid *qid, uint64_t next, uint8_t type,
                     const char *name, size_t len)
{
    struct out *o = ((struct dir_fill *)opaque)->o;
    if (len > P9_NAME_MAX)
        return 0;               /* a host name the guest cannot hold: left out */
    if (o->cap - o->pos < 13 + 8 + 1 + 2 + len)
        return 1;
    pqid(o, qid);
    p64(o, next);
    p8(o, type);
    pstr(o, name, len);
    return 0;
}

static void op_readdir(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    uint64_t off = g64(&r->in);
    uint32_t count = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    size_t room = reply_room(p, r);
    if (room < P9_RREAD_HDR) {
        r->in.err = -ENOBUFS;
        return;
    }
    if (count > room - P9_RREAD_HDR)
        count = (uint32_t)(room - P9_RREAD_HDR);
    /* Entries go after a count we fill in last. */
    struct out data = {.b = p->rep + P9_RREAD_HDR, .cap = count};
    struct dir_fill fill = {.o = &data};
    int e = p->fs->ops->readdir(p->fs, f->node, off, dir_entry, &fill);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TREADDIR + 1, P9_RREAD_HDR);
    p32(&r->out, (uint32_t)data.pos);
    r->out.cap = P9_RREAD_HDR + data.pos;
    r->out.pos = r->out.cap;
}

static void op_statfs(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    struct fs_statfs st;
    int e = p->fs->ops->statfs(p->fs, f->node, &st);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TSTATFS + 1, reply_room(p, r));
    struct out *o = &r->out;
    p32(o, st.type);
    p32(o, st.bsize);
    p64(o, st.blocks);
    p64(o, st.bfree);
    p64(o, st.bavail);
    p64(o, st.files);
    p64(o, st.ffree);
    p64(o, st.fsid);
    p32(o, st.namelen);
}

static void reply_qid(struct virtio_9p *p, struct req *r, int e, const struct fs_qid *q)
{
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, r->type + 1, reply_room(p, r));
    if (q)
        pqid(&r->out, q);
}

static void op_mkdir(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t mode = g32(&r->in), gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *d = node_fid(p, dfid, &r->in.err);
    if (!d)
        return;
    struct fs_cred cred = {.uid = d->uid, .gid = gid};
    struct fs_qid q;
    reply_qid(p, r, p->fs->ops->mkdir(p->fs, d->node, name, mode, &cred, &q), &q);
}

static void op_symlink(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    char *target = p->target;
    gstr(&r->in, name, P9_NAME_MAX);
    gstr(&r->in, target, P9_TARGET_MAX);
    uint32_t gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *d = node_fid(p, dfid, &r->in.err);
    if (!d)
        return;
    struct fs_cred cred = {.uid = d->uid, .gid = gid};
    struct fs_qid q;
    reply_qid(p, r, p->fs->ops->symlink(p->fs, d->node, name, target, &cred, &q), &q);
}

static void op_mknod(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t mode = g32(&r->in), major = g32(&r->in), minor = g32(&r->in);
    uint32_t gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *d = node_fid(p, dfid, &r->in.err);
    if (!d)
        return;
    struct fs_cred cred = {.uid = d->uid, .gid = gid};
    struct fs_qid q;
    reply_qid(p, r, p->fs->ops->mknod(p->fs, d->node, name, mode, makedev(major, minor), &cred,
                                      &q), &q);
}

static void op_link(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in), fid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *d = node_fid(p, dfid, &r->in.err);
    struct fid *f = d ? node_fid(p, fid, &r->in.err) : NULL;
    if (!f)
        return;
    reply_qid(p, r, p->fs->ops->link(p->fs, d->node, name, f->node), NULL);
}

static void op_renameat(struct virtio_9p *p, struct req *r)
{
    uint32_t ofid = g32(&r->in);
    char oname[P9_NAME_MAX + 1], nname[P9_NAME_MAX + 1];
    gstr(&r->in, oname, P9_NAME_MAX);
    uint32_t nfid = g32(&r->in);
    gstr(&r->in, nname, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *od = node_fid(p, ofid, &r->in.err);
    struct fid *nd = od ? node_fid(p, nfid, &r->in.err) : NULL;
    if (!nd)
        return;
    reply_qid(p, r, p->fs->ops->renameat(p->fs, od->node, oname, nd->node, nname), NULL);
}

static void op_unlinkat(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t flags = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *d = node_fid(p, dfid, &r->in.err);
    if (!d)
        return;
    if (flags & ~P9_AT_REMOVEDIR) {
        r->in.err = -EINVAL;
        return;
    }
    int hflags = flags & P9_AT_REMOVEDIR ? AT_REMOVEDIR : 0;
    reply_qid(p, r, p->fs->ops->unlinkat(p->fs, d->node, name, hflags), NULL);
}

static void op_readlink(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    char target[P9_TARGET_MAX + 1];
    ssize_t n = p->fs->ops->readlink(p->fs, f->node, target, sizeof(target));
    if (n < 0) {
        r->in.err = (int)n;
        return;
    }
    if ((size_t)n > P9_TARGET_MAX) {
        r->in.err = -ENAMETOOLONG;
        return;
    }
    begin_reply(p, r, P9_TREADLINK + 1, reply_room(p, r));
    pstr(&r->out, target, (size_t)n);
}

static void op_fsync(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), datasync = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    reply_qid(p, r, p->fs->ops->fsync(p->fs, f->node, datasync != 0), NULL);
}

static void op_lock(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    uint8_t type = g8(&r->in);
    g32(&r->in);                        /* flags: the guest retries a blocked lock itself */
    uint64_t start = g64(&r->in), length = g64(&r->in);
    g32(&r->in);                        /* proc_id */
    char client[P9_NAME_MAX + 1];
    gstr(&r->in, client, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    int st = p->fs->ops->lock(p->fs, f->node, type, start, length);
    if (st < 0) {
        r->in.err = st;
        return;
    }
    begin_reply(p, r, P9_TLOCK + 1, reply_room(p, r));
    p8(&r->out, (uint8_t)st);
}

static void op_getlock(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    uint8_t type = g8(&r->in);
    uint64_t start = g64(&r->in), length = g64(&r->in);
    uint32_t proc_id = g32(&r->in);
    char client[P9_NAME_MAX + 1];
    gstr(&r->in, client, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    int e = p->fs->ops->getlock(p->fs, f->node, &type, &start, &length);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(p, r, P9_TGETLOCK + 1, reply_room(p, r));
    p8(&r->out, type);
    p64(&r->out, start);
    p64(&r->out, length);
    p32(&r->out, proc_id);
    pstr(&r->out, client, strlen(client));
}

static void op_xattrwalk(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), newfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    if (newfid != fid && fid_get(p, newfid)) {
        r->in.err = -EBADF;
        return;
    }
    const char *n = name[0] ? name : NULL;
    const struct fs_ops *ops = p->fs->ops;
    ssize_t size = ops->getxattr(p->fs, f->node, n, NULL, 0);
    if (size < 0) {
        r->in.err = (int)size;
        return;
    }
    if ((size_t)size > P9_XATTR_MAX) {
        r->in.err = -E2BIG;
        return;
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        r->in.err = -ENOMEM;
        return;
    }
    ssize_t got = size ? ops->getxattr(p->fs, f->node, n, buf, (size_t)size) : 0;
    if (got < 0) {
        free(buf);
        r->in.err = (int)got;
        return;
    }
    struct fid *x = newfid == fid ? f : fid_new(p, newfid, &r->in.err);
    if (!x) {
        free(buf);
        return;
    }
    if (x == f)
        fid_release_state(p, x);
    else
        x->uid = f->uid;
    x->kind = FID_XATTR_READ;
    x->xbuf = buf;
    x->xlen = (uint64_t)got;
    begin_reply(p, r, P9_TXATTRWALK + 1, reply_room(p, r));
    p64(&r->out, (uint64_t)got);
}

static void op_xattrcreate(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint64_t size = g64(&r->in);
    uint32_t flags = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = node_fid(p, fid, &r->in.err);
    if (!f)
        return;
    int e = p->fs->ops->xattr_settable(p->fs, f->node, name);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    if (size > P9_XATTR_MAX) {
        r->in.err = -E2BIG;
        return;
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    char *xname = strdup(name);
    if (!buf || !xname) {
        free(buf);
        free(xname);
        r->in.err = -ENOMEM;
        return;
    }
    /* The fid keeps its node: the value is set on it at clunk, once all of it came. */
    f->kind = FID_XATTR_WRITE;
    f->xbuf = buf;
    f->xname = xname;
    f->xlen = size;
    f->xcopied = 0;
    f->xflags = (int)flags;
    begin_reply(p, r, P9_TXATTRCREATE + 1, reply_room(p, r));
}

static void op_flush(struct virtio_9p *p, struct req *r)
{
    g16(&r->in);                        /* oldtag: requests finish before the next starts */
    if (r->in.err)
        return;
    begin_reply(p, r, P9_TFLUSH + 1, reply_room(p, r));
}

static void dispatch(struct virtio_9p *p, struct req *r)
{
    if (r->type != P9_TVERSION && !p->msize) {
        COMPLAIN(p, "request type %u before Tversion: refused", r->type);
        r->in.err = -EPROTO;
        return;
    }
    switch (r->type) {
    case P9_TVERSION: op_version(p, r); break;
    case P9_TATTACH: op_attach(p, r); break;
    case P9_TWALK: op_walk(p, r); break;
    case P9_TLOPEN: op_lopen(p, r); break;
    case P9_TLCREATE: op_lcreate(p, r); break;
    case P9_TREAD: op_read(p, r); break;
    case P9_TWRITE: op_write(p, r); break;
    case P9_TCLUNK: op_clunk(p, r, false); break;
    case P9_TREMOVE: op_clunk(p, r, true); break;
    case P9_TGETATTR: op_getattr(p, r); break;
    case P9_TSETATTR: op_setattr(p, r); break;
    case P9_TREADDIR: op_readdir(p, r); break;
    case P9_TSTATFS: op_statfs(p, r); break;
    case P9_TMKDIR: op_mkdir(p, r); break;
    case P9_TSYMLINK: op_symlink(p, r); break;
    case P9_TMKNOD: op_mknod(p, r); break;
    case P9_TLINK: op_link(p, r); break;
    case P9_TRENAMEAT: op_renameat(p, r); break;
    case P9_TUNLINKAT: op_unlinkat(p, r); break;
    case P9_TREADLINK: op_readlink(p, r); break;
    case P9_TFSYNC: op_fsync(p, r); break;
    case P9_TLOCK: op_lock(p, r); break;
    case P9_TGETLOCK: op_getlock(p, r); break;
    case P9_TXATTRWALK: op_xattrwalk(p, r); break;
    case P9_TXATTRCREATE: op_xattrcreate(p, r); break;
    case P9_TFLUSH: op_flush(p, r); break;
    case P9_TRENAME:            /* Linux renames with Trenameat: a fid has no name here */
    case P9_TAUTH:              /* no authentication */
        r->in.err = -EOPNOTSUPP;
        break;
    default:
        COMPLAIN(p, "unknown request type %u: Rlerror", r->type);
        r->in.err = -EOPNOTSUPP;
        break;
    }
}

/* Answers one chain; returns the used length (the reply's size). */
static uint32_t handle(struct virtio_9p *p, struct virtq_elem *e)
{
    p->stats.requests++;
    struct req r = {.e = e, .tag = P9_NOTAG};
    uint8_t hdr[P9_TWRITE_HDR];
    size_t have = virtq_elem_read(e, 0, hdr, sizeof(hdr));
    int err = 0;
    if (have < P9_HDR) {
        COMPLAIN(p, "request of %zu bytes (a header is 7): Rlerror", have);
        err = -EINVAL;
    } else {
        struct cur c = {.b = hdr, .len = have};
        r.size = g32(&c);
        r.type = g8(&c);
        r.tag = g16(&c);
        uint32_t limit = p->msize ? p->msize : P9_MSIZE_MAX;
        /* The size field against the chain and msize: the one check every read relies on. */
        if (r.size < P9_HDR || r.size > e->out_len || r.size > limit ||
            (r.type != P9_TWRITE && r.size > P9_SMALL_MAX) ||
            (r.type == P9_TWRITE && r.size < P9_TWRITE_HDR)) {
            COMPLAIN(p, "request type %u says %u bytes, the chain has %llu and "
                     "msize is %u: Rlerror", r.type, r.size, (unsigned long long)e->out_len,
                     limit);
            err = -EINVAL;
        }
    }
    if (!err) {
        /* One private copy: the guest may rewrite its buffers while we decode. */
        size_t n = r.type == P9_TWRITE ? P9_TWRITE_HDR : r.size;
        if (virtq_elem_read(e, 0, p->req, n) < n)
            err = -EINVAL;
        r.in = (struct cur){.b = p->req, .len = n, .pos = P9_HDR};
        if (!err)
            dispatch(p, &r);
        err = r.in.err;
        if (!err && r.out.overflow)
            err = -ENOBUFS;
        if (err == -EINVAL || err == -ENAMETOOLONG)
            COMPLAIN(p, "request type %u: bad fields or strings (%s): Rlerror",
                     r.type, strerror(-err));
    }
    if (!err && r.reply_len)
        return r.reply_len;
    if (!err) {
        struct out *o = &r.out;
        uint8_t *b = o->b;
        uint32_t len = (uint32_t)o->pos;
        b[0] = (uint8_t)len;
        b[1] = (uint8_t)(len >> 8);
        b[2] = (uint8_t)(len >> 16);
        b[3] = (uint8_t)(len >> 24);
        if (len <= e->in_len) {
            virtq_elem_write(e, 0, b, len);
            return len;
        }
        err = -ENOBUFS;
    }
    p->stats.errors++;
    if (err == -EINVAL || err == -ENAMETOOLONG || err == -EPROTO)
        p->stats.bad_messages++;
    uint8_t le[11];
    struct out o = {.b = le, .cap = sizeof(le)};
    p32(&o, sizeof(le));
    p8(&o, P9_RLERROR);
    p16(&o, r.tag);
    p32(&o, (uint32_t)-err);
    if (e->in_len < sizeof(le)) {
        COMPLAIN(p, "request with %llu writable bytes, no room for even "
                 "an Rlerror: returned empty", (unsigned long long)e->in_len);
        return 0;
    }
    virtq_elem_write(e, 0, le, sizeof(le));
    return sizeof(le);
}

static void process(struct virtio_9p *p)
{
    struct virtio_device *dev = &p->vdev;
    struct virtq *vq = &dev->queues[0];
    for (;;) {
        virtq_set_notification(vq, false);
        struct virtq_elem *e;
        bool any = false;
        while (virtio_pop(dev, 0, &e)) {
            uint32_t len = handle(p, e);
            virtq_push(vq, e, len);
            any = true;
        }
        if (any)
            virtio_queue_kick_guest(dev, 0);
        if (!virtq_set_notification(vq, true) || !virtio_driver_ok(dev))
            break;
    }
}

static void p9_queue_notify(struct virtio_device *dev, unsigned q)
{
    process(dev->opaque);
}

static void p9_driver_ok(struct virtio_device *dev)
{
    process(dev->opaque);
}

static void p9_reset(struct virtio_device *dev)
{
    struct virtio_9p *p = dev->opaque;
    fids_drop_all(p);
    p->msize = 0;
}

static const struct virtio_device_ops p9_ops = {
    .queue_notify = p9_queue_notify,
    .reset = p9_reset,
    .driver_ok = p9_driver_ok,
};

struct virtio_9p *virtio_9p_new(const struct guest_mem *mem, struct fs_device *fs,
                                const char *tag)
{
    size_t tl = tag ? strlen(tag) : 0;
    if (!fs || !tl || tl > P9_TAG_MAX)
        return NULL;
    struct virtio_9p *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->fs = fs;
    p->req = malloc(P9_SMALL_MAX);
    p->rep = malloc(P9_MSIZE_MAX);
    p->iov = calloc(P9_QUEUE_SIZE, sizeof(*p->iov));
    p->vdev.name = "virtio-9p";
    p->vdev.device_id = VIRTIO_ID_9P;
    p->vdev.ops = &p9_ops;
    p->vdev.opaque = p;
    p->vdev.features = 1ull << VIRTIO_9P_F_MOUNT_TAG;
    p->vdev.config[0] = (uint8_t)tl;
    p->vdev.config[1] = (uint8_t)(tl >> 8);
    memcpy(p->vdev.config + 2, tag, tl);
    p->vdev.config_len = (uint32_t)(2 + tl);
    uint16_t sizes[1] = {P9_QUEUE_SIZE};
    if (!p->req || !p->rep || !p->iov || virtio_device_init(&p->vdev, mem, 1, sizes) < 0) {
        free(p->req);
        free(p->rep);
        free(p->iov);
        free(p);
        return NULL;
    }
    /* A Twrite or an Rread of the largest msize, and the other half. */
    p->vdev.queues[0].max_chain_bytes = 2ull * P9_MSIZE_MAX + 4096;
    return p;
}

void virtio_9p_free(struct virtio_9p *p)
{
    if (!p)
        return;
    fids_drop_all(p);
    virtio_device_cleanup(&p->vdev);
    free(p->req);
    free(p->rep);
    free(p->iov);
    free(p);
}

struct virtio_device *virtio_9p_device(struct virtio_9p *p)
{
    return &p->vdev;
}

const struct virtio_9p_stats *virtio_9p_stats(const struct virtio_9p *p)
{
    return &p->stats;
}

/* --share HOSTDIR[,tag=TAG][,ro][,security=...]: registration with the device model. */

struct share_config {
    char *path;
    char *tag;                  /* NULL: host, host1, ... by position */
    char auto_tag[16];
    bool read_only;
    enum fs_security security;
    struct fs_device *fs;       /* the host end: opened once per run */
};

static void share_free_config(void *v)
{
    struct share_config *s = v;
    if (!s)
        return;
    free(s->path);
    free(s->tag);
    free(s);
}

static bool tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (!n || n > P9_TAG_MAX || t[0] == '.')
        return false;
    /* It names a directory under /mnt in the guest. */
    for (const char *c = t; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

static void *share_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *path = dev_opts_take(o, "path", &dup);
    const struct dev_opt *tag = dev_opts_take(o, "tag", &dup);
    const struct dev_opt *ro = dev_opts_take(o, "ro", &dup);
    const struct dev_opt *sec = dev_opts_take(o, "security", &dup);
    if (dup) {
        snprintf(why, len, "options are tag=TAG, ro, security=mapped|passthrough|none "
                 "(each once)");
        return NULL;
    }
    if (!path || !path->value || !*path->value) {
        snprintf(why, len, "no host directory");
        return NULL;
    }
    if (ro && ro->value) {
        snprintf(why, len, "ro takes no value");
        return NULL;
    }
    if (tag && (!tag->value || !tag_valid(tag->value))) {
        snprintf(why, len, "tag= is 1 to %d letters, digits, '_', '-' or '.' (not first)",
                 P9_TAG_MAX);
        return NULL;
    }
    /* Owners and modes for real need root; otherwise they live in xattrs. */
    enum fs_security security = geteuid() == 0 ? FS_SECURITY_PASSTHROUGH : FS_SECURITY_MAPPED;
    if (sec) {
        const char *v = sec->value ? sec->value : "";
        if (!strcmp(v, "passthrough"))
            security = FS_SECURITY_PASSTHROUGH;
        else if (!strcmp(v, "mapped"))
            security = FS_SECURITY_MAPPED;
        else if (!strcmp(v, "none"))
            security = FS_SECURITY_NONE;
        else {
            snprintf(why, len, "security= is mapped, passthrough or none");
            return NULL;
        }
    }
    struct stat st;
    if (stat(path->value, &st) < 0) {
        snprintf(why, len, "%s: %s", path->value, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s is not a directory", path->value);
        return NULL;
    }
    struct share_config *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->path = strdup(path->value);
    s->tag = tag ? strdup(tag->value) : NULL;
    s->read_only = ro != NULL;
    s->security = security;
    if (!s->path || (tag && !s->tag)) {
        share_free_config(s);
        return NULL;
    }
    return s;
}

static const char *share_tag(struct share_config *s)
{
    return s->tag ? s->tag : s->auto_tag;
}

/* Default tags by position, then every tag once. */
static const char *share_check(void *const *cfgs, unsigned n)
{
    static char why[128];
    unsigned next = 0;
    for (unsigned i = 0; i < n; i++) {
        struct share_config *s = cfgs[i];
        if (s->tag)
            continue;
        for (;; next++) {
            if (next)
                snprintf(s->auto_tag, sizeof(s->auto_tag), "host%u", next);
            else
                snprintf(s->auto_tag, sizeof(s->auto_tag), "host");
            bool taken = false;
            for (unsigned j = 0; j < n; j++) {
                struct share_config *o = cfgs[j];
                if (o->tag && !strcmp(o->tag, s->auto_tag))
                    taken = true;
            }
            if (!taken)
                break;
        }
        next++;
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(share_tag(cfgs[i]), share_tag(cfgs[j]))) {
                snprintf(why, sizeof(why), "--share: tag '%s' is used twice",
                         share_tag(cfgs[i]));
                return why;
            }
    return NULL;
}

static void share_close_host(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct share_config *s = cfgs[i];
        fs_local_close(s->fs);
        s->fs = NULL;
    }
}

static int share_open_host(void *const *cfgs, unsigned n, const struct device_host_env *env)
{
    /* Each fid may hold a descriptor: let kite have what the host allows. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (unsigned i = 0; i < n; i++) {
        struct share_config *s = cfgs[i];
        struct fs_config fc = {.path = s->path, .read_only = s->read_only,
                               .security = s->security};
        int r = fs_local_open(&fc, &s->fs);
        if (r < 0) {
            share_close_host(cfgs, i);
            return r;
        }
    }
    return 0;
}

static struct virtio_device *share_create(void *const *cfgs, unsigned n,
                                          const struct device_env *env, void **state)
{
    struct share_config *s = cfgs[0];
    struct virtio_9p *p = virtio_9p_new(env->mem, s->fs, share_tag(s));
    *state = p;
    return p ? virtio_9p_device(p) : NULL;
}

static void share_destroy(void *state)
{
    virtio_9p_free(state);
}

static const struct device_type share_type = {
    .name = "share",
    .first_key = "path",
    .usage = "HOSTDIR[,tag=TAG][,ro][,security=mapped|passthrough|none]",
    .help = "share a host directory with the guest over virtio-9p (9P2000.L); the default\n"
            "guest mounts it at /mnt/TAG (tag: host, then host1, ...). ro: every change\n"
            "fails with EROFS. security=passthrough (default as root): the guest's owners\n"
            "and modes for real; mapped (default otherwise): kept in user.kite.* xattrs;\n"
            "none: as passthrough, ownership changes ignored. Nothing outside HOSTDIR is\n"
            "reachable and host symlinks are never followed.",
    .max_instances = 8,
    .order = 30,
    .parse = share_parse,
    .free_config = share_free_config,
    .check = share_check,
    .open_host = share_open_host,
    .close_host = share_close_host,
    .create = share_create,
    .destroy = share_destroy,
};
DEVICE_TYPE_REGISTER(share_type)
