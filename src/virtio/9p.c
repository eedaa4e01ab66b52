#define _GNU_SOURCE
#include "virtio/9p.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "backend/fs.h"
#include "core/device_registry.h"
#include "core/event_loop.h"
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
/* How long a notify waits for the workers before leaving replies to the event loop. */
#define P9_AWAIT_NS 200000L
/* How long a thread spins for a hand-over before it sleeps. */
#define P9_SPIN_NS 50000u
#define P9_TWRITE_HDR 23u       /* header, fid[4] offset[8] count[4] */
#define P9_RREAD_HDR 11u        /* header, count[4] */
#define P9_AT_REMOVEDIR 0x200u

enum fid_kind { FID_NODE, FID_XATTR_READ, FID_XATTR_WRITE };

/*
 * A backend node as fids and requests in flight share it. A node never changes once made
 * (lopen and lcreate make a new one and swap it into the fid), so a request can use it
 * without a lock while another request replaces or clunks the fid: the last reference
 * releases it. `parent` and `name` say where it was walked to, for Tremove and Trename.
 * A node lives while refs or kids are non-zero; it lets go of its parent when refs is 0.
 */
struct p9_node {
    struct fs_node *fs;
    unsigned refs;              /* fids and requests holding it; under p->lock */
    unsigned kids;              /* nodes whose parent it is (or about to be); under p->lock */
    bool opened;                /* came from lopen/lcreate: the handle is the open file */
    struct p9_node *parent;     /* under p->lock; NULL at the root */
    char *name;                 /* under p->lock */
};

struct fid {
    uint32_t id;
    enum fid_kind kind;
    struct p9_node *node;       /* NULL for an xattr being read */
    uint32_t uid;               /* who attached: the owner of what this fid creates */
    /* xattrs: the value read (whole, at walk time) or being written. */
    uint8_t *xbuf;
    uint64_t xlen, xcopied;
    char *xname;
    int xflags;
    struct fid *next;
};

#define FID_BUCKETS 1024
/* Nodes alive (fids, their parents, requests in flight): each holds one host fd. */
#define P9_MAX_NODES (2 * P9_MAX_FIDS)

/* One thread's scratch for decoding and building a reply. */
struct p9_scratch {
    uint8_t *req;               /* a copy of one small request (the guest may rewrite it) */
    uint8_t *rep;               /* one reply being built (up to msize) */
    struct iovec *iov;          /* slices of a chain, P9_QUEUE_SIZE entries */
    char walk_names[P9_MAX_WALK][P9_NAME_MAX + 1];
    char target[P9_TARGET_MAX + 1];
};

/* One request from pop to push. */
struct p9_job {
    struct virtq_elem *e;
    uint16_t tag;
    uint8_t type;
    bool running;               /* a worker took it (under pool.lock) */
    bool awaited;               /* the notify that queued it still waits for it (pool.lock) */
    bool is_flush;              /* a valid Tflush, answered... */
    uint16_t oldtag;            /* ...once the request with this tag is back */
    uint32_t len;               /* the used length, once done */
    struct p9_job *next;        /* todo or done list */
    struct p9_job *flushers;    /* Tflushes waiting for this one, pushed right after it */
    struct p9_job *in_flight_next, **in_flight_prev;    /* event-loop thread only */
};

struct p9_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* todo grew, or stop */
    pthread_cond_t idle;        /* a job finished */
    struct p9_job *todo, **todo_tail;
    struct p9_job *done, **done_tail;
    unsigned busy;              /* jobs a worker holds */
    unsigned awaited;           /* jobs the current notify waits for (atomic: spun on) */
    unsigned queued;            /* jobs ever queued (atomic: a spinning worker watches it) */
    bool spinner;               /* a worker is spinning for the next job */
    bool stop;
    unsigned nthreads;
    pthread_t threads[P9_WORKERS_MAX];
    struct p9_scratch scratch[P9_WORKERS_MAX];
    int efd;                    /* tells the event loop that `done` has jobs */
    struct event_loop *loop;
};

struct virtio_9p {
    struct virtio_device vdev;
    struct fs_device *fs;
    /* Guards msize, the fid table, node references, stats. Never held across host work. */
    pthread_mutex_t lock;
    uint32_t msize;             /* 0 until Tversion */
    struct fid *fids[FID_BUCKETS];
    unsigned nfids, nnodes;
    struct virtio_9p_stats stats;
    struct log_limit logged;    /* each complaint once per device */
    struct p9_scratch inline_scratch;   /* for requests run on the event-loop thread */
    struct p9_job *in_flight;   /* popped, not yet pushed (event-loop thread only) */
    bool threaded;
    struct p9_pool pool;
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

/* --- nodes and fids -------------------------------------------------------------------- */

/* Wraps a backend node walked to as parent/name (parent NULL: the root; the caller holds a
 * reference to it for the call). Takes fsn, releasing it on failure. */
static int node_wrap(struct virtio_9p *p, struct fs_node *fsn, struct p9_node *parent,
                     const char *name, bool opened, struct p9_node **out)
{
    struct p9_node *n = calloc(1, sizeof(*n));
    char *nm = name ? strdup(name) : NULL;
    int err = !n || (name && !nm) ? -ENOMEM : 0;
    pthread_mutex_lock(&p->lock);
    if (!err && p->nnodes >= P9_MAX_NODES)
        err = -ENFILE;
    if (!err) {
        p->nnodes++;
        *n = (struct p9_node){.fs = fsn, .refs = 1, .opened = opened, .parent = parent,
                              .name = nm};
        if (parent)
            parent->kids++;
    }
    pthread_mutex_unlock(&p->lock);
    if (err) {
        if (err == -ENFILE)
            COMPLAIN(p, "guest holds %u walked nodes, the limit: further walks refused",
                     P9_MAX_NODES);
        p->fs->ops->release(p->fs, fsn);
        free(nm);
        free(n);
        return err;
    }
    *out = n;
    return 0;
}

/* One kid fewer: the node goes into dead[] once nothing at all refers to it. p->lock held. */
static void kid_gone_locked(struct virtio_9p *p, struct p9_node *n, struct p9_node **dead,
                            unsigned *ndead)
{
    if (--n->kids == 0 && n->refs == 0) {
        p->nnodes--;
        dead[(*ndead)++] = n;
    }
}

static void nodes_free(struct virtio_9p *p, struct p9_node **dead, unsigned ndead)
{
    for (unsigned i = 0; i < ndead; i++) {
        p->fs->ops->release(p->fs, dead[i]->fs);
        free(dead[i]->name);
        free(dead[i]);
    }
}

/*
 * Drops a reference (a fid's or a request's). A node no one holds any more cannot be
 * removed or renamed by a fid again, so it lets go of its parent at once: a dead node
 * lives on only as the parent of live ones, and chains never grow past one dead level.
 */
static void node_put(struct virtio_9p *p, struct p9_node *n)
{
    struct p9_node *dead[2];
    unsigned ndead = 0;
    if (!n)
        return;
    pthread_mutex_lock(&p->lock);
    if (--n->refs == 0) {
        struct p9_node *up = n->parent;
        n->parent = NULL;
        if (n->kids == 0) {
            p->nnodes--;
            dead[ndead++] = n;
        }
        if (up)
            kid_gone_locked(p, up, dead, &ndead);
    }
    pthread_mutex_unlock(&p->lock);
    nodes_free(p, dead, ndead);
}

/* Drops a kid reference taken by node_origin. */
static void kid_put(struct virtio_9p *p, struct p9_node *n)
{
    struct p9_node *dead[1];
    unsigned ndead = 0;
    if (!n)
        return;
    pthread_mutex_lock(&p->lock);
    kid_gone_locked(p, n, dead, &ndead);
    pthread_mutex_unlock(&p->lock);
    nodes_free(p, dead, ndead);
}

/* Where n (held by the caller) was walked to: its parent, kept alive by a kid reference
 * (kid_put it; NULL at the root), and a copy of its name. */
static int node_origin(struct virtio_9p *p, struct p9_node *n, struct p9_node **parent,
                       char **name)
{
    pthread_mutex_lock(&p->lock);
    *parent = n->parent;
    *name = n->name ? strdup(n->name) : NULL;
    bool nomem = n->name && !*name;
    if (*parent && !nomem)
        (*parent)->kids++;
    pthread_mutex_unlock(&p->lock);
    if (nomem) {
        *parent = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* A new node for the file n names (a clone or an open file), walked to as n was. */
static int node_sibling(struct virtio_9p *p, struct p9_node *n, struct fs_node *fsn,
                        bool opened, struct p9_node **out)
{
    struct p9_node *parent;
    char *name;
    int e = node_origin(p, n, &parent, &name);
    if (e == 0)
        e = node_wrap(p, fsn, parent, name, opened, out);
    else
        p->fs->ops->release(p->fs, fsn);
    kid_put(p, parent);
    free(name);
    return e;
}

/* The fid table: p->lock held. */
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

/* A new fid `id` (which must be unused); NULL with *err set otherwise. p->lock held. */
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

/* What a fid held, taken out under the lock and freed after it (node_put locks). */
struct fid_old {
    struct p9_node *node;
    uint8_t *xbuf;
    char *xname;
};

static struct fid_old fid_strip(struct fid *f)
{
    struct fid_old o = {.node = f->node, .xbuf = f->xbuf, .xname = f->xname};
    f->node = NULL;
    f->xbuf = NULL;
    f->xname = NULL;
    f->kind = FID_NODE;
    return o;
}

static void fid_old_free(struct virtio_9p *p, struct fid_old *o)
{
    node_put(p, o->node);
    free(o->xbuf);
    free(o->xname);
}

/* Takes fid `id` out of the table (NULL if there is none); the caller frees it. */
static struct fid *fid_unlink(struct virtio_9p *p, uint32_t id)
{
    pthread_mutex_lock(&p->lock);
    struct fid **s = fid_slot(p, id);
    struct fid *f = *s;
    if (f) {
        *s = f->next;
        p->nfids--;
        p->stats.fids = p->nfids;
    }
    pthread_mutex_unlock(&p->lock);
    return f;
}

/* Frees an unlinked fid; an xattr being written is set first (its result returned). */
static int fid_free(struct virtio_9p *p, struct fid *f)
{
    int r = 0;
    if (f->kind == FID_XATTR_WRITE) {
        if (f->xcopied != f->xlen)
            r = -EINVAL;
        else
            r = p->fs->ops->setxattr(p->fs, f->node->fs, f->xname, f->xlen ? f->xbuf : NULL,
                                     (size_t)f->xlen, f->xflags);
    }
    struct fid_old o = fid_strip(f);
    fid_old_free(p, &o);
    free(f);
    return r;
}

static int fid_clunk(struct virtio_9p *p, uint32_t id)
{
    struct fid *f = fid_unlink(p, id);
    return f ? fid_free(p, f) : -EBADF;
}

static void fids_drop_all(struct virtio_9p *p)
{
    struct fid *all = NULL;
    pthread_mutex_lock(&p->lock);
    for (unsigned b = 0; b < FID_BUCKETS; b++) {
        while (p->fids[b]) {
            struct fid *f = p->fids[b];
            p->fids[b] = f->next;
            f->next = all;
            all = f;
        }
    }
    p->nfids = 0;
    p->stats.fids = 0;
    pthread_mutex_unlock(&p->lock);
    while (all) {
        struct fid *f = all;
        all = f->next;
        struct fid_old o = fid_strip(f);
        fid_old_free(p, &o);
        free(f);
    }
}

/* The node a fid names (not an xattr in progress), referenced: node_put it after use. */
static struct p9_node *fid_node(struct virtio_9p *p, uint32_t id, uint32_t *uid, int *err)
{
    struct p9_node *n = NULL;
    pthread_mutex_lock(&p->lock);
    struct fid *f = fid_get(p, id);
    if (f && f->kind == FID_NODE && f->node) {
        n = f->node;
        n->refs++;
        if (uid)
            *uid = f->uid;
    } else {
        *err = -EBADF;
    }
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* Points fid `id` at n (referenced by the caller, given to the fid), if it still names a
 * node: a concurrent clunk or xattr request wins, and n is dropped. */
static int fid_replace_node(struct virtio_9p *p, uint32_t id, struct p9_node *n)
{
    struct fid_old o = {0};
    int r = 0;
    pthread_mutex_lock(&p->lock);
    struct fid *f = fid_get(p, id);
    if (f && f->kind == FID_NODE && f->node) {
        o.node = f->node;
        f->node = n;
    } else {
        o.node = n;
        r = -EBADF;
    }
    pthread_mutex_unlock(&p->lock);
    fid_old_free(p, &o);
    return r;
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
    struct p9_scratch *x;       /* this thread's buffers */
    struct p9_job *job;
    uint8_t type;
    uint16_t tag;
    uint32_t size;              /* the T-message's size field */
    uint32_t msize;             /* as it was when the request began */
    struct cur in;
    struct out out;             /* the R-message, from its header on */
    uint32_t reply_len;         /* set when the reply went to the chain already (Rread) */
};

static void begin_reply(struct req *r, uint8_t type, size_t cap)
{
    r->out = (struct out){.b = r->x->rep, .cap = cap};
    p32(&r->out, 0);
    p8(&r->out, type);
    p16(&r->out, r->tag);
}

/* Room for the reply in the chain and in msize. */
static size_t reply_room(const struct req *r)
{
    uint64_t room = r->e->in_len;
    uint32_t ms = r->msize ? r->msize : P9_MSIZE_MAX;
    return room < ms ? (size_t)room : ms;
}

/* An empty reply of the request's own type, or its error. */
static void reply_status(struct req *r, int e)
{
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, r->type + 1, reply_room(r));
}

static void reply_qid(struct req *r, int e, const struct fs_qid *q)
{
    reply_status(r, e);
    if (e >= 0)
        pqid(&r->out, q);
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
    /* A new session: every fid of the old one is gone (requests still running on one
     * keep their node until they finish). */
    fids_drop_all(p);
    if (msize < P9_MSIZE_MIN) {
        r->in.err = -EINVAL;
        return;
    }
    if (msize > P9_MSIZE_MAX)
        msize = P9_MSIZE_MAX;
    bool ours = !strcmp(version, "9P2000.L");
    pthread_mutex_lock(&p->lock);
    p->msize = ours ? msize : 0;
    pthread_mutex_unlock(&p->lock);
    r->msize = ours ? msize : 0;
    begin_reply(r, P9_TVERSION + 1, reply_room(r));
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
    struct fs_node *root;
    struct p9_node *n;
    int e = p->fs->ops->root(p->fs, &root);
    if (e == 0)
        e = node_wrap(p, root, NULL, NULL, false, &n);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    struct fs_qid q;
    p->fs->ops->qid(p->fs, n->fs, &q);
    pthread_mutex_lock(&p->lock);
    struct fid *f = fid_new(p, fid, &e);
    if (f) {
        f->node = n;
        f->uid = uid == P9_NOFID ? 65534 : uid;
    }
    pthread_mutex_unlock(&p->lock);
    if (!f) {
        node_put(p, n);
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TATTACH + 1, reply_room(r));
    pqid(&r->out, &q);
}

/* Installs n (the caller's reference) as fid `newfid`, a copy of fid `fid`'s uid; fid ==
 * newfid replaces what fid held. */
static int fid_install(struct virtio_9p *p, uint32_t fid, uint32_t newfid, uint32_t uid,
                       struct p9_node *n)
{
    struct fid_old o = {0};
    int e = 0;
    pthread_mutex_lock(&p->lock);
    struct fid *to = newfid == fid ? fid_get(p, fid) : fid_new(p, newfid, &e);
    if (!to && !e)
        e = -EBADF;             /* fid was clunked meanwhile */
    if (to) {
        o = fid_strip(to);
        to->node = n;
        to->uid = uid;
    }
    pthread_mutex_unlock(&p->lock);
    if (!to)
        o.node = n;
    fid_old_free(p, &o);
    return e;
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
    char (*names)[P9_NAME_MAX + 1] = r->x->walk_names;
    for (unsigned i = 0; i < n; i++)
        gstr(&r->in, names[i], P9_NAME_MAX);
    if (r->in.err)
        return;
    uint32_t uid = 0;
    struct p9_node *from = fid_node(p, fid, &uid, &r->in.err);
    if (!from)
        return;
    pthread_mutex_lock(&p->lock);
    bool taken = newfid != fid && fid_get(p, newfid);
    pthread_mutex_unlock(&p->lock);
    const struct fs_ops *ops = p->fs->ops;
    struct fs_qid qids[P9_MAX_WALK];
    unsigned done = 0;
    struct p9_node *cur = NULL;
    int e = taken ? -EBADF : 0;
    if (!e && n == 0) {
        /* A clone: a new handle on the same file, never a second open file. */
        struct fs_node *c;
        e = ops->clone(p->fs, from->fs, &c);
        if (e == 0)
            e = node_sibling(p, from, c, false, &cur);
    } else if (!e) {
        struct p9_node *at = from;
        pthread_mutex_lock(&p->lock);
        at->refs++;
        pthread_mutex_unlock(&p->lock);
        for (; done < n; done++) {
            struct fs_node *next;
            struct p9_node *nn;
            e = ops->walk(p->fs, at->fs, names[done], &next);
            if (e < 0)
                break;
            /* ".." has no name to remove or rename it by. */
            bool up = !strcmp(names[done], "..");
            e = node_wrap(p, next, up ? NULL : at, up ? NULL : names[done], false, &nn);
            if (e < 0)
                break;
            node_put(p, at);
            ops->qid(p->fs, nn->fs, &qids[done]);
            at = nn;
        }
        if (done == n)
            cur = at;
        else
            node_put(p, at);
    }
    node_put(p, from);
    if (done == 0 && n > 0) {
        r->in.err = e;
        return;
    }
    if (done == n) {
        /* Complete: newfid names the result (replacing fid's node if they are one). */
        if (e == 0 && !cur)
            e = -EBADF;
        if (e == 0)
            e = fid_install(p, fid, newfid, uid, cur);
        if (e < 0) {
            r->in.err = e;
            return;
        }
    }
    begin_reply(r, P9_TWALK + 1, reply_room(r));
    p16(&r->out, (uint16_t)done);
    for (unsigned i = 0; i < done; i++)
        pqid(&r->out, &qids[i]);
}

static void op_lopen(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), flags = g32(&r->in);
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    struct fs_qid q;
    struct p9_node *opened = NULL;
    /* Opened on a clone, swapped in after: the node the fid holds is shared and never
     * changes. A fid open already cannot be opened again. */
    struct fs_node *c = NULL;
    int e = n->opened ? -EBADF : p->fs->ops->clone(p->fs, n->fs, &c);
    if (e == 0) {
        e = p->fs->ops->open(p->fs, c, flags, &q);
        if (e < 0)
            p->fs->ops->release(p->fs, c);
    }
    if (e == 0)
        e = node_sibling(p, n, c, true, &opened);
    node_put(p, n);
    if (e == 0)
        e = fid_replace_node(p, fid, opened);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TLOPEN + 1, reply_room(r));
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
    uint32_t uid = 0;
    struct p9_node *dir = fid_node(p, fid, &uid, &r->in.err);
    if (!dir)
        return;
    struct fs_cred cred = {.uid = uid, .gid = gid};
    struct fs_qid q;
    struct p9_node *made = NULL;
    /* Created through a clone of the directory, which becomes the new file. */
    struct fs_node *c = NULL;
    int e = dir->opened ? -EBADF : p->fs->ops->clone(p->fs, dir->fs, &c);
    if (e == 0) {
        e = p->fs->ops->create(p->fs, c, name, flags, mode, &cred, &q);
        if (e < 0)
            p->fs->ops->release(p->fs, c);
    }
    if (e == 0)
        e = node_wrap(p, c, dir, name, true, &made);
    node_put(p, dir);
    if (e == 0)
        e = fid_replace_node(p, fid, made);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TLCREATE + 1, reply_room(r));
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
    size_t room = reply_room(r);
    if (room < P9_RREAD_HDR) {
        r->in.err = -ENOBUFS;
        return;
    }
    if (count > room - P9_RREAD_HDR)
        count = (uint32_t)(room - P9_RREAD_HDR);
    ssize_t got = -EBADF;
    struct p9_node *n = NULL;
    pthread_mutex_lock(&p->lock);
    struct fid *f = fid_get(p, fid);
    if (f && f->kind == FID_XATTR_READ) {
        /* A value read whole at walk time: copied out under the lock that guards it. */
        uint64_t left = off < f->xlen ? f->xlen - off : 0;
        got = (ssize_t)(count < left ? count : left);
        virtq_elem_write(r->e, P9_RREAD_HDR, f->xbuf + (got ? off : 0), (size_t)got);
    } else if (f && f->kind == FID_NODE && f->node) {
        n = f->node;
        n->refs++;
    }
    pthread_mutex_unlock(&p->lock);
    if (n) {
        /* Straight into the guest's buffers, after the reply header. */
        struct virtq_elem *e = r->e;
        unsigned k = slice(e->iov + e->out_num, e->in_num, P9_RREAD_HDR, count, r->x->iov);
        got = k ? p->fs->ops->read(p->fs, n->fs, off, r->x->iov, k) : 0;
        node_put(p, n);
    }
    if (got < 0) {
        r->in.err = (int)got;
        return;
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
    ssize_t done = -EBADF;
    struct p9_node *n = NULL;
    pthread_mutex_lock(&p->lock);
    struct fid *f = fid_get(p, fid);
    if (f && f->kind == FID_XATTR_WRITE) {
        /* In order, into the buffer the fid owns; set on the file at clunk. */
        if (off != f->xcopied || count > f->xlen - f->xcopied) {
            done = -EINVAL;
        } else {
            virtq_elem_read(r->e, P9_TWRITE_HDR, f->xbuf + off, count);
            f->xcopied += count;
            done = count;
        }
    } else if (f && f->kind == FID_NODE && f->node) {
        n = f->node;
        n->refs++;
    }
    pthread_mutex_unlock(&p->lock);
    if (n) {
        struct virtq_elem *e = r->e;
        unsigned k = slice(e->iov, e->out_num, P9_TWRITE_HDR, count, r->x->iov);
        done = k ? p->fs->ops->write(p->fs, n->fs, off, r->x->iov, k) : 0;
        node_put(p, n);
    }
    if (done < 0) {
        r->in.err = (int)done;
        return;
    }
    begin_reply(r, P9_TWRITE + 1, reply_room(r));
    p32(&r->out, (uint32_t)done);
}

static void op_clunk(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    reply_status(r, fid_clunk(p, fid));
}

/* Tremove: unlinks the file the fid was walked to, and clunks the fid whatever happens. */
static void op_remove(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    struct fid *f = fid_unlink(p, fid);
    if (!f) {
        r->in.err = -EBADF;
        return;
    }
    int e = -EBADF;
    if (f->kind == FID_NODE && f->node) {
        struct p9_node *dir;
        char *name;
        e = node_origin(p, f->node, &dir, &name);
        if (e == 0)
            e = dir ? p->fs->ops->remove(p->fs, dir->fs, name, f->node->fs) : -EBUSY;
        kid_put(p, dir);
        free(name);
    }
    fid_free(p, f);
    reply_status(r, e);
}

/* Trename: moves the file the fid was walked to into dfid's directory as `name`. */
static void op_rename(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    struct p9_node *to = n ? fid_node(p, dfid, NULL, &r->in.err) : NULL;
    struct p9_node *dir = NULL;
    char *old = NULL;
    int e = r->in.err;
    if (to)
        e = node_origin(p, n, &dir, &old);
    if (to && e == 0)
        e = dir ? p->fs->ops->rename(p->fs, dir->fs, old, n->fs, to->fs, name) : -EBUSY;
    char *nm = e == 0 ? strdup(name) : NULL;
    if (e == 0 && nm) {
        /* The fid's file now lives at to/name: later Tremove and Trename go there. */
        pthread_mutex_lock(&p->lock);
        struct p9_node *was = n->parent;
        free(n->name);
        n->name = nm;
        n->parent = to;
        to->kids++;
        pthread_mutex_unlock(&p->lock);
        kid_put(p, was);
    }
    kid_put(p, dir);
    node_put(p, to);
    node_put(p, n);
    free(old);
    reply_status(r, e);
}

static void op_getattr(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    g64(&r->in);                        /* request mask: the basic set is always there */
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    struct fs_attr a;
    int e = p->fs->ops->getattr(p->fs, n->fs, &a);
    node_put(p, n);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TGETATTR + 1, reply_room(r));
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
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    int e = p->fs->ops->setattr(p->fs, n->fs, &s);
    node_put(p, n);
    reply_status(r, e);
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
    size_t room = reply_room(r);
    if (room < P9_RREAD_HDR) {
        r->in.err = -ENOBUFS;
        return;
    }
    if (count > room - P9_RREAD_HDR)
        count = (uint32_t)(room - P9_RREAD_HDR);
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    /* Entries go after a count we fill in last. */
    struct out data = {.b = r->x->rep + P9_RREAD_HDR, .cap = count};
    struct dir_fill fill = {.o = &data};
    int e = p->fs->ops->readdir(p->fs, n->fs, off, dir_entry, &fill);
    node_put(p, n);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TREADDIR + 1, P9_RREAD_HDR);
    p32(&r->out, (uint32_t)data.pos);
    r->out.cap = P9_RREAD_HDR + data.pos;
    r->out.pos = r->out.cap;
}

static void op_statfs(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    struct fs_statfs st;
    int e = p->fs->ops->statfs(p->fs, n->fs, &st);
    node_put(p, n);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TSTATFS + 1, reply_room(r));
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

static void op_mkdir(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t mode = g32(&r->in), gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fs_cred cred = {.gid = gid};
    struct p9_node *d = fid_node(p, dfid, &cred.uid, &r->in.err);
    if (!d)
        return;
    struct fs_qid q;
    int e = p->fs->ops->mkdir(p->fs, d->fs, name, mode, &cred, &q);
    node_put(p, d);
    reply_qid(r, e, &q);
}

static void op_symlink(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    char *target = r->x->target;
    gstr(&r->in, name, P9_NAME_MAX);
    gstr(&r->in, target, P9_TARGET_MAX);
    uint32_t gid = g32(&r->in);
    if (r->in.err)
        return;
    struct fs_cred cred = {.gid = gid};
    struct p9_node *d = fid_node(p, dfid, &cred.uid, &r->in.err);
    if (!d)
        return;
    struct fs_qid q;
    int e = p->fs->ops->symlink(p->fs, d->fs, name, target, &cred, &q);
    node_put(p, d);
    reply_qid(r, e, &q);
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
    struct fs_cred cred = {.gid = gid};
    struct p9_node *d = fid_node(p, dfid, &cred.uid, &r->in.err);
    if (!d)
        return;
    struct fs_qid q;
    int e = p->fs->ops->mknod(p->fs, d->fs, name, mode, makedev(major, minor), &cred, &q);
    node_put(p, d);
    reply_qid(r, e, &q);
}

static void op_link(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in), fid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    if (r->in.err)
        return;
    struct p9_node *d = fid_node(p, dfid, NULL, &r->in.err);
    struct p9_node *f = d ? fid_node(p, fid, NULL, &r->in.err) : NULL;
    if (f)
        reply_status(r, p->fs->ops->link(p->fs, d->fs, name, f->fs));
    node_put(p, f);
    node_put(p, d);
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
    struct p9_node *od = fid_node(p, ofid, NULL, &r->in.err);
    struct p9_node *nd = od ? fid_node(p, nfid, NULL, &r->in.err) : NULL;
    if (nd)
        reply_status(r, p->fs->ops->renameat(p->fs, od->fs, oname, nd->fs, nname));
    node_put(p, nd);
    node_put(p, od);
}

static void op_unlinkat(struct virtio_9p *p, struct req *r)
{
    uint32_t dfid = g32(&r->in);
    char name[P9_NAME_MAX + 1];
    gstr(&r->in, name, P9_NAME_MAX);
    uint32_t flags = g32(&r->in);
    if (r->in.err)
        return;
    if (flags & ~P9_AT_REMOVEDIR) {
        r->in.err = -EINVAL;
        return;
    }
    struct p9_node *d = fid_node(p, dfid, NULL, &r->in.err);
    if (!d)
        return;
    int hflags = flags & P9_AT_REMOVEDIR ? AT_REMOVEDIR : 0;
    reply_status(r, p->fs->ops->unlinkat(p->fs, d->fs, name, hflags));
    node_put(p, d);
}

static void op_readlink(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in);
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    char *target = r->x->target;
    ssize_t len = p->fs->ops->readlink(p->fs, n->fs, target, P9_TARGET_MAX + 1);
    node_put(p, n);
    if (len < 0) {
        r->in.err = (int)len;
        return;
    }
    if ((size_t)len > P9_TARGET_MAX) {
        r->in.err = -ENAMETOOLONG;
        return;
    }
    begin_reply(r, P9_TREADLINK + 1, reply_room(r));
    pstr(&r->out, target, (size_t)len);
}

static void op_fsync(struct virtio_9p *p, struct req *r)
{
    uint32_t fid = g32(&r->in), datasync = g32(&r->in);
    if (r->in.err)
        return;
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    reply_status(r, p->fs->ops->fsync(p->fs, n->fs, datasync != 0));
    node_put(p, n);
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
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    int st = p->fs->ops->lock(p->fs, n->fs, type, start, length);
    node_put(p, n);
    if (st < 0) {
        r->in.err = st;
        return;
    }
    begin_reply(r, P9_TLOCK + 1, reply_room(r));
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
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    int e = p->fs->ops->getlock(p->fs, n->fs, &type, &start, &length);
    node_put(p, n);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TGETLOCK + 1, reply_room(r));
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
    uint32_t uid = 0;
    struct p9_node *n = fid_node(p, fid, &uid, &r->in.err);
    if (!n)
        return;
    const char *xn = name[0] ? name : NULL;
    const struct fs_ops *ops = p->fs->ops;
    uint8_t *buf = NULL;
    ssize_t got = ops->getxattr(p->fs, n->fs, xn, NULL, 0);
    if (got > (ssize_t)P9_XATTR_MAX)
        got = -E2BIG;
    if (got >= 0) {
        size_t size = (size_t)got;
        buf = malloc(size ? size : 1);
        got = !buf ? -ENOMEM : size ? ops->getxattr(p->fs, n->fs, xn, buf, size) : 0;
    }
    node_put(p, n);
    int e = got < 0 ? (int)got : 0;
    struct fid_old o = {0};
    if (e == 0) {
        pthread_mutex_lock(&p->lock);
        struct fid *x = newfid == fid ? fid_get(p, fid) : fid_new(p, newfid, &e);
        if (!x && !e)
            e = -EBADF;
        if (x) {
            o = fid_strip(x);
            x->uid = uid;
            x->kind = FID_XATTR_READ;
            x->xbuf = buf;
            x->xlen = (uint64_t)got;
            buf = NULL;
        }
        pthread_mutex_unlock(&p->lock);
    }
    fid_old_free(p, &o);
    free(buf);
    if (e < 0) {
        r->in.err = e;
        return;
    }
    begin_reply(r, P9_TXATTRWALK + 1, reply_room(r));
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
    struct p9_node *n = fid_node(p, fid, NULL, &r->in.err);
    if (!n)
        return;
    int e = p->fs->ops->xattr_settable(p->fs, n->fs, name);
    node_put(p, n);
    if (e == 0 && size > P9_XATTR_MAX)
        e = -E2BIG;
    uint8_t *buf = NULL;
    char *xname = NULL;
    if (e == 0) {
        buf = malloc(size ? (size_t)size : 1);
        xname = strdup(name);
        if (!buf || !xname)
            e = -ENOMEM;
    }
    if (e == 0) {
        /* The fid keeps its node: the value is set on it at clunk, once all of it came. */
        pthread_mutex_lock(&p->lock);
        struct fid *f = fid_get(p, fid);
        if (f && f->kind == FID_NODE && f->node) {
            f->kind = FID_XATTR_WRITE;
            f->xbuf = buf;
            f->xname = xname;
            f->xlen = size;
            f->xcopied = 0;
            f->xflags = (int)flags;
            buf = NULL;
            xname = NULL;
        } else {
            e = -EBADF;
        }
        pthread_mutex_unlock(&p->lock);
    }
    free(buf);
    free(xname);
    reply_status(r, e);
}

/* Tflush is answered on the event-loop thread, when the request it names is back. */
static void op_flush(struct virtio_9p *p, struct req *r)
{
    uint16_t oldtag = g16(&r->in);
    if (r->in.err)
        return;
    if (r->job) {
        r->job->is_flush = true;
        r->job->oldtag = oldtag;
    }
    begin_reply(r, P9_TFLUSH + 1, reply_room(r));
}

static void dispatch(struct virtio_9p *p, struct req *r)
{
    if (r->type != P9_TVERSION && !r->msize) {
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
    case P9_TCLUNK: op_clunk(p, r); break;
    case P9_TREMOVE: op_remove(p, r); break;
    case P9_TRENAME: op_rename(p, r); break;
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
    case P9_TAUTH:              /* no authentication */
        r->in.err = -EOPNOTSUPP;
        break;
    default:
        COMPLAIN(p, "unknown request type %u: Rlerror", r->type);
        r->in.err = -EOPNOTSUPP;
        break;
    }
}

/* An Rlerror into the chain; returns its length (0 if it has no room even for that). */
static uint32_t put_lerror(struct virtio_9p *p, struct virtq_elem *e, uint16_t tag, int err)
{
    uint8_t le[11];
    struct out o = {.b = le, .cap = sizeof(le)};
    p32(&o, sizeof(le));
    p8(&o, P9_RLERROR);
    p16(&o, tag);
    p32(&o, (uint32_t)-err);
    if (e->in_len < sizeof(le)) {
        COMPLAIN(p, "request with %llu writable bytes, no room for even "
                 "an Rlerror: returned empty", (unsigned long long)e->in_len);
        return 0;
    }
    virtq_elem_write(e, 0, le, sizeof(le));
    return sizeof(le);
}

static void count(struct virtio_9p *p, int err)
{
    pthread_mutex_lock(&p->lock);
    p->stats.requests++;
    if (err) {
        p->stats.errors++;
        if (err == -EINVAL || err == -ENAMETOOLONG || err == -EPROTO)
            p->stats.bad_messages++;
    }
    pthread_mutex_unlock(&p->lock);
}

/* Answers one chain with this thread's scratch x; returns the used length (the reply's
 * size). job is NULL when there is none to note a Tflush's old tag in. */
static uint32_t handle(struct virtio_9p *p, struct p9_scratch *x, struct p9_job *job,
                       struct virtq_elem *e)
{
    struct req r = {.e = e, .x = x, .job = job, .tag = P9_NOTAG};
    pthread_mutex_lock(&p->lock);
    r.msize = p->msize;
    pthread_mutex_unlock(&p->lock);
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
        uint32_t limit = r.msize ? r.msize : P9_MSIZE_MAX;
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
        if (virtq_elem_read(e, 0, x->req, n) < n)
            err = -EINVAL;
        r.in = (struct cur){.b = x->req, .len = n, .pos = P9_HDR};
        if (!err)
            dispatch(p, &r);
        err = r.in.err;
        if (!err && r.out.overflow)
            err = -ENOBUFS;
        if (err == -EINVAL || err == -ENAMETOOLONG)
            COMPLAIN(p, "request type %u: bad fields or strings (%s): Rlerror",
                     r.type, strerror(-err));
    }
    if (!err && r.reply_len) {
        count(p, 0);
        return r.reply_len;
    }
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
            count(p, 0);
            return len;
        }
        err = -ENOBUFS;
    }
    count(p, err);
    if (job)
        job->is_flush = false;  /* a Tflush that failed waits for nothing */
    return put_lerror(p, e, r.tag, err);
}

/* --- the worker pool ------------------------------------------------------------------- */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void signal_loop(struct p9_pool *pool)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is non-zero already: the loop will look anyway. */
    while (write(pool->efd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

struct worker_arg {
    struct virtio_9p *p;
    unsigned index;
};

static void *worker(void *opaque)
{
    struct worker_arg *a = opaque;
    struct virtio_9p *p = a->p;
    struct p9_pool *pool = &p->pool;
    struct p9_scratch *x = &pool->scratch[a->index];
    free(a);
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        bool spun = false;      /* once after each job, then sleep */
        while (!pool->todo && !pool->stop) {
            /* One worker at a time watches for the next job a little before sleeping: a
             * guest streaming requests sends the next one soon, and waking a sleeping
             * thread costs more than the wait (an interprocessor interrupt, a hypervisor). */
            if (!pool->spinner && !spun) {
                spun = true;
                pool->spinner = true;
                unsigned seen = __atomic_load_n(&pool->queued, __ATOMIC_RELAXED);
                pthread_mutex_unlock(&pool->lock);
                uint64_t until = monotonic_ns() + P9_SPIN_NS;
                while (__atomic_load_n(&pool->queued, __ATOMIC_ACQUIRE) == seen &&
                       monotonic_ns() < until)
                    cpu_relax();
                pthread_mutex_lock(&pool->lock);
                pool->spinner = false;
                continue;
            }
            pthread_cond_wait(&pool->wake, &pool->lock);
        }
        if (!pool->todo)
            break;
        struct p9_job *job = pool->todo;
        pool->todo = job->next;
        if (!pool->todo)
            pool->todo_tail = &pool->todo;
        job->running = true;
        pool->busy++;
        pthread_mutex_unlock(&pool->lock);

        job->len = handle(p, x, job, job->e);

        pthread_mutex_lock(&pool->lock);
        pool->busy--;
        if (job->awaited) {
            job->awaited = false;
            __atomic_fetch_sub(&pool->awaited, 1, __ATOMIC_RELEASE);
        }
        job->next = NULL;
        bool first = !pool->done;
        *pool->done_tail = job;
        pool->done_tail = &job->next;
        pthread_cond_broadcast(&pool->idle);
        /* Once per batch, and not under the lock the loop takes to reap it. */
        if (first) {
            pthread_mutex_unlock(&pool->lock);
            signal_loop(pool);
            pthread_mutex_lock(&pool->lock);
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* --- requests in flight (the event-loop thread) ----------------------------------------- */

static void job_forget(struct virtio_9p *p, struct p9_job *job)
{
    *job->in_flight_prev = job->in_flight_next;
    if (job->in_flight_next)
        job->in_flight_next->in_flight_prev = job->in_flight_prev;
    free(job);
}

/* Returns a finished request's chain, then the Tflushes that waited for it. */
static void job_push(struct virtio_9p *p, struct p9_job *job)
{
    struct virtq *vq = &p->vdev.queues[0];
    virtq_push(vq, job->e, job->len);
    struct p9_job *f = job->flushers;
    job_forget(p, job);
    while (f) {
        struct p9_job *next = f->next;
        virtq_push(vq, f->e, f->len);
        job_forget(p, f);
        f = next;
    }
}

/* The request a Tflush names, if it is still ours (another Tflush is never waited for). */
static struct p9_job *find_tag(struct virtio_9p *p, const struct p9_job *flush)
{
    for (struct p9_job *j = p->in_flight; j; j = j->in_flight_next)
        if (j != flush && j->tag == flush->oldtag && j->type != P9_TFLUSH)
            return j;
    return NULL;
}

/* Tflush: a request no worker took yet is cancelled (answered EINTR, its chain back at
 * once); one running is waited for: the Rflush follows its reply. */
static void flush_job(struct virtio_9p *p, struct p9_job *flush)
{
    struct p9_job *old = flush->is_flush ? find_tag(p, flush) : NULL;
    if (!old) {
        job_push(p, flush);
        return;
    }
    struct p9_pool *pool = &p->pool;
    pthread_mutex_lock(&pool->lock);
    bool queued = !old->running;
    if (queued) {
        struct p9_job **s = &pool->todo;
        while (*s != old)
            s = &(*s)->next;
        *s = old->next;
        if (!*s)
            pool->todo_tail = s;
    } else {
        flush->next = old->flushers;
        old->flushers = flush;
    }
    pthread_mutex_unlock(&pool->lock);
    if (queued) {
        old->len = put_lerror(p, old->e, old->tag, -EINTR);
        count(p, -EINTR);
        old->next = NULL;
        job_push(p, old);
        job_push(p, flush);
    }
}

static unsigned reap(struct virtio_9p *p)
{
    struct p9_pool *pool = &p->pool;
    pthread_mutex_lock(&pool->lock);
    struct p9_job *list = pool->done;
    pool->done = NULL;
    pool->done_tail = &pool->done;
    pthread_mutex_unlock(&pool->lock);
    unsigned n = 0;
    while (list) {
        struct p9_job *job = list;
        list = job->next;
        job_push(p, job);
        n++;
    }
    return n;
}

/*
 * Gives the workers a moment to answer what this notify queued: most 9P requests take a
 * few microseconds of host work, and a reply ready before the guest resumes spares it a
 * sleep, an interrupt and a wake-up, which cost far more in emulation than the wait. The
 * host work still runs on a worker: a slow or stuck syscall costs the hart at most
 * P9_AWAIT_NS, then completes through the event loop. Returns whether anything was pushed.
 */
static bool await_batch(struct virtio_9p *p)
{
    struct p9_pool *pool = &p->pool;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += P9_AWAIT_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    /* Spin first (a quick reply comes within microseconds), then sleep until the end. */
    uint64_t spin_until = monotonic_ns() + P9_SPIN_NS;
    while (__atomic_load_n(&pool->awaited, __ATOMIC_ACQUIRE) && monotonic_ns() < spin_until)
        cpu_relax();
    pthread_mutex_lock(&pool->lock);
    while (pool->awaited &&
           pthread_cond_timedwait(&pool->idle, &pool->lock, &until) != ETIMEDOUT) {
    }
    if (pool->awaited) {
        /* Too slow: the rest completes through the event loop. */
        for (struct p9_job *j = pool->todo; j; j = j->next)
            j->awaited = false;
        for (struct p9_job *j = p->in_flight; j; j = j->in_flight_next)
            j->awaited = false;
        __atomic_store_n(&pool->awaited, 0, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&pool->lock);
    return reap(p) > 0;
}

static void process(struct virtio_9p *p)
{
    struct virtio_device *dev = &p->vdev;
    struct virtq *vq = &dev->queues[0];
    for (;;) {
        virtq_set_notification(vq, false);
        struct virtq_elem *e;
        bool any = false, queued = false;
        while (virtio_pop(dev, 0, &e)) {
            struct p9_job *job = calloc(1, sizeof(*job));
            if (!job) {
                virtq_push(vq, e, put_lerror(p, e, P9_NOTAG, -ENOMEM));
                any = true;
                continue;
            }
            job->e = e;
            uint8_t hdr[P9_HDR];
            if (virtq_elem_read(e, 0, hdr, sizeof(hdr)) == sizeof(hdr)) {
                job->type = hdr[4];
                job->tag = (uint16_t)(hdr[5] | hdr[6] << 8);
            }
            job->in_flight_next = p->in_flight;
            if (p->in_flight)
                p->in_flight->in_flight_prev = &job->in_flight_next;
            job->in_flight_prev = &p->in_flight;
            p->in_flight = job;
            if (!p->threaded || job->type == P9_TFLUSH) {
                /* No host work: answered here, in order with what it flushes. */
                job->len = handle(p, &p->inline_scratch, job, e);
                if (job->type == P9_TFLUSH && p->threaded)
                    flush_job(p, job);
                else
                    job_push(p, job);
                any = true;
                continue;
            }
            struct p9_pool *pool = &p->pool;
            pthread_mutex_lock(&pool->lock);
            *pool->todo_tail = job;
            pool->todo_tail = &job->next;
            job->awaited = true;
            __atomic_fetch_add(&pool->awaited, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&pool->queued, 1, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&pool->lock);
            /* After unlocking, so the worker it wakes does not block on the lock. */
            pthread_cond_signal(&pool->wake);
            queued = true;
        }
        if (queued && await_batch(p))
            any = true;
        if (any)
            virtio_queue_kick_guest(dev, 0);
        if (!virtq_set_notification(vq, true) || !virtio_driver_ok(dev))
            break;
    }
}

static short pool_events(void *opaque)
{
    return POLLIN;
}

static void pool_ready(void *opaque, short revents)
{
    struct virtio_9p *p = opaque;
    uint64_t v;
    while (read(p->pool.efd, &v, sizeof(v)) < 0 && errno == EINTR) {
    }
    if (reap(p))
        virtio_queue_kick_guest(&p->vdev, 0);
}

unsigned virtio_9p_poll(struct virtio_9p *p)
{
    if (!p->threaded)
        return 0;
    unsigned n = reap(p);
    if (n)
        virtio_queue_kick_guest(&p->vdev, 0);
    return n;
}

/* Waits until no worker holds or may take a request. */
static void pool_wait_idle(struct virtio_9p *p)
{
    struct p9_pool *pool = &p->pool;
    pthread_mutex_lock(&pool->lock);
    while (pool->todo || pool->busy)
        pthread_cond_wait(&pool->idle, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void virtio_9p_wait(struct virtio_9p *p)
{
    if (!p->threaded)
        return;
    pool_wait_idle(p);
    virtio_9p_poll(p);
}

static void p9_queue_notify(struct virtio_device *dev, unsigned q)
{
    process(dev->opaque);
}

static void p9_driver_ok(struct virtio_device *dev)
{
    process(dev->opaque);
}

/* Every request dropped, none answered: after a reset the buffers are the guest's. The
 * running ones point into guest RAM, so they are waited for, as a disk controller would. */
static void drop_in_flight(struct virtio_9p *p)
{
    if (p->threaded) {
        struct p9_pool *pool = &p->pool;
        pthread_mutex_lock(&pool->lock);
        pool->todo = NULL;
        pool->todo_tail = &pool->todo;
        while (pool->busy)
            pthread_cond_wait(&pool->idle, &pool->lock);
        pool->done = NULL;
        pool->done_tail = &pool->done;
        pthread_mutex_unlock(&pool->lock);
    }
    while (p->in_flight) {
        struct p9_job *job = p->in_flight;
        virtq_drop(&p->vdev.queues[0], job->e);
        job_forget(p, job);
    }
}

static void p9_reset(struct virtio_device *dev)
{
    struct virtio_9p *p = dev->opaque;
    drop_in_flight(p);
    fids_drop_all(p);
    pthread_mutex_lock(&p->lock);
    p->msize = 0;
    pthread_mutex_unlock(&p->lock);
}

static const struct virtio_device_ops p9_ops = {
    .queue_notify = p9_queue_notify,
    .reset = p9_reset,
    .driver_ok = p9_driver_ok,
};

static int scratch_init(struct p9_scratch *x)
{
    x->req = malloc(P9_SMALL_MAX);
    x->rep = malloc(P9_MSIZE_MAX);
    x->iov = calloc(P9_QUEUE_SIZE, sizeof(*x->iov));
    return x->req && x->rep && x->iov ? 0 : -ENOMEM;
}

static void scratch_free(struct p9_scratch *x)
{
    free(x->req);
    free(x->rep);
    free(x->iov);
}

static void pool_stop(struct virtio_9p *p)
{
    struct p9_pool *pool = &p->pool;
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pool->nthreads = 0;
    if (pool->loop)
        event_loop_remove(pool->loop, pool->efd);
    if (pool->efd >= 0)
        close(pool->efd);
    for (unsigned i = 0; i < P9_WORKERS_MAX; i++)
        scratch_free(&pool->scratch[i]);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->idle);
    pthread_mutex_destroy(&pool->lock);
}

static int pool_start(struct virtio_9p *p, unsigned workers, struct event_loop *loop)
{
    struct p9_pool *pool = &p->pool;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->idle, &ca);
    pthread_condattr_destroy(&ca);
    pool->todo_tail = &pool->todo;
    pool->done_tail = &pool->done;
    pool->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = pool->efd < 0 ? -errno : 0;
    for (unsigned i = 0; !err && i < workers; i++)
        err = scratch_init(&pool->scratch[i]);
    if (!err && loop) {
        struct event_source src = {.fd = pool->efd, .opaque = p, .events = pool_events,
                                   .ready = pool_ready};
        err = event_loop_add(loop, &src);
        if (!err)
            pool->loop = loop;
    }
    for (unsigned i = 0; !err && i < workers; i++) {
        struct worker_arg *a = malloc(sizeof(*a));
        if (!a) {
            err = -ENOMEM;
            break;
        }
        *a = (struct worker_arg){.p = p, .index = i};
        if (pthread_create(&pool->threads[i], NULL, worker, a) != 0) {
            free(a);
            err = -EAGAIN;
            break;
        }
        pool->nthreads++;
    }
    if (err)
        pool_stop(p);
    return err;
}

struct virtio_9p *virtio_9p_new(const struct guest_mem *mem, struct fs_device *fs,
                                const char *tag, unsigned workers, struct event_loop *loop)
{
    size_t tl = tag ? strlen(tag) : 0;
    if (!fs || !tl || tl > P9_TAG_MAX)
        return NULL;
    struct virtio_9p *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->fs = fs;
    pthread_mutex_init(&p->lock, NULL);
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
    p->pool.efd = -1;
    bool ok = scratch_init(&p->inline_scratch) == 0 &&
              virtio_device_init(&p->vdev, mem, 1, sizes) == 0;
    if (workers > P9_WORKERS_MAX)
        workers = P9_WORKERS_MAX;
    if (ok && workers) {
        ok = pool_start(p, workers, loop) == 0;
        p->threaded = ok;
        if (!ok)
            virtio_device_cleanup(&p->vdev);
    }
    if (!ok) {
        scratch_free(&p->inline_scratch);
        pthread_mutex_destroy(&p->lock);
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
    drop_in_flight(p);
    if (p->threaded)
        pool_stop(p);
    fids_drop_all(p);
    virtio_device_cleanup(&p->vdev);
    scratch_free(&p->inline_scratch);
    pthread_mutex_destroy(&p->lock);
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
    unsigned workers;
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
    const struct dev_opt *wk = dev_opts_take(o, "workers", &dup);
    if (dup) {
        snprintf(why, len, "options are tag=TAG, ro, security=mapped|passthrough|none, "
                 "workers=N (each once)");
        return NULL;
    }
    unsigned workers = P9_WORKERS;
    if (wk) {
        char *end = NULL;
        unsigned long v = wk->value ? strtoul(wk->value, &end, 10) : 0;
        if (!wk->value || !*wk->value || *end || v > P9_WORKERS_MAX) {
            snprintf(why, len, "workers= is 0 to %d", P9_WORKERS_MAX);
            return NULL;
        }
        workers = (unsigned)v;
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
    s->workers = workers;
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
    struct virtio_9p *p = virtio_9p_new(env->mem, s->fs, share_tag(s), s->workers, env->loop);
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
    .usage = "HOSTDIR[,tag=TAG][,ro][,security=mapped|passthrough|none][,workers=N]",
    .help = "share a host directory with the guest over virtio-9p (9P2000.L); the default\n"
            "guest mounts it at /mnt/TAG (tag: host, then host1, ...). ro: every change\n"
            "fails with EROFS. security=passthrough (default as root): the guest's owners\n"
            "and modes for real; mapped (default otherwise): kept in user.kite.* xattrs;\n"
            "none: as passthrough, ownership changes ignored. Nothing outside HOSTDIR is\n"
            "reachable and host symlinks are never followed. workers=N: host threads for\n"
            "the share (default 4, up to 16); 0 answers every request on kite's main\n"
            "thread (fastest on a host with no core to spare, but a slow host filesystem\n"
            "then stalls the guest).",
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
