/*
 * virtio-9p through virtio-mmio in front of the real host-directory backend, driven by the
 * simulated driver as a hostile guest: raw 9P messages that try to leave the share (".."
 * past the root, names with '/', host symlinks pointing out), open special files, lie in
 * their size fields, overflow counts and exhaust fids. Each gets an Rlerror (or a reply
 * that stays inside the share) and nothing outside the share is read, created or changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/fs.h"
#include "test_virtio_driver.h"
#include "virtio/9p.h"

#define QSIZE 256
#define Q0 (SIM_RAM_BASE + 0x1000)
#define REQ (SIM_RAM_BASE + 0x10000)    /* up to 64 KiB of request */
#define REP (SIM_RAM_BASE + 0x40000)    /* up to 512 KiB of reply */
#define REP_MAX 0x80000u

enum { RLERROR = 7, TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16, TMKNOD = 18,
       TREADLINK = 22, TGETATTR = 24, TSETATTR = 26, TXATTRWALK = 30, TXATTRCREATE = 32,
       TREADDIR = 40, TLOCK = 52, TLINK = 70, TMKDIR = 72, TRENAMEAT = 74, TUNLINKAT = 76,
       TVERSION = 100, TATTACH = 104, TFLUSH = 108, TWALK = 110, TREAD = 116, TWRITE = 118,
       TCLUNK = 120, TREMOVE = 122, TRENAME = 20 };

struct fix {
    char top[64];               /* holds share/ and the things outside it */
    char share[96];
    struct sim_ram ram;
    struct fs_device *fs;
    struct virtio_9p *p9;
    struct sim_drv d;
    uint8_t *rep;               /* the last reply */
    uint32_t rep_len;
};

/* --- message building ---------------------------------------------------------------- */

struct msg {
    uint8_t b[65536];
    size_t n;
};

static void w8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void w16(struct msg *m, uint16_t v) { w8(m, (uint8_t)v); w8(m, (uint8_t)(v >> 8)); }
static void w32(struct msg *m, uint32_t v) { w16(m, (uint16_t)v); w16(m, (uint16_t)(v >> 16)); }
static void w64(struct msg *m, uint64_t v) { w32(m, (uint32_t)v); w32(m, (uint32_t)(v >> 32)); }
static void wstr(struct msg *m, const char *s)
{
    w16(m, (uint16_t)strlen(s));
    memcpy(m->b + m->n, s, strlen(s));
    m->n += strlen(s);
}

static void begin(struct msg *m, uint8_t type, uint16_t tag)
{
    m->n = 0;
    w32(m, 0);
    w8(m, type);
    w16(m, tag);
}

static void finish(struct msg *m)
{
    uint32_t n = (uint32_t)m->n;
    memcpy(m->b, &n, 4);
}

static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* --- the driver ------------------------------------------------------------------------ */

/*
 * Sends `len` bytes of request in readable pieces of `piece` bytes and offers `in_total`
 * writable bytes, the first `in_first` of them in a buffer of their own (Linux's shape).
 * Returns the used length; the reply is in f->rep.
 */
static uint32_t xfer_shape(struct fix *f, const void *req, size_t len, size_t piece,
                           size_t in_first, size_t in_total)
{
    memcpy(sim_host(&f->ram, REQ), req, len);
    memset(sim_host(&f->ram, REP), 0xee, in_total ? in_total : 16);
    struct { uint64_t gpa; uint32_t len; uint16_t flags; } ds[QSIZE];
    unsigned n = 0;
    for (size_t off = 0; off < len; off += piece) {
        size_t part = len - off < piece ? len - off : piece;
        ds[n++] = (typeof(ds[0])){REQ + off, (uint32_t)part, 0};
    }
    if (in_first && in_first < in_total) {
        ds[n++] = (typeof(ds[0])){REP, (uint32_t)in_first, VIRTQ_DESC_F_WRITE};
        ds[n++] = (typeof(ds[0])){REP + in_first, (uint32_t)(in_total - in_first),
                                  VIRTQ_DESC_F_WRITE};
    } else if (in_total) {
        ds[n++] = (typeof(ds[0])){REP, (uint32_t)in_total, VIRTQ_DESC_F_WRITE};
    }
    assert_true(n > 0 && n <= QSIZE);
    for (unsigned i = 0; i < n; i++)
        sim_set_desc(&f->d, 0, i, ds[i].gpa, ds[i].len,
                     (uint16_t)(ds[i].flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
                     (uint16_t)(i + 1 < n ? i + 1 : 0));
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    virtio_9p_wait(f->p9);
    uint32_t id, used;
    assert_true(sim_reap(&f->d, 0, &id, &used));
    assert_int_equal(id, 0);
    f->rep = sim_host(&f->ram, REP);
    f->rep_len = used;
    if (used >= 7)
        assert_int_equal(r32(f->rep), used);    /* the used length is the reply's size */
    return used;
}

static uint32_t xfer(struct fix *f, struct msg *m)
{
    finish(m);
    return xfer_shape(f, m->b, m->n, 4096, 11, REP_MAX);
}

static uint8_t rtype(struct fix *f) { return f->rep[4]; }
static uint16_t rtag(struct fix *f) { return (uint16_t)(f->rep[5] | f->rep[6] << 8); }

/* The errno of an Rlerror reply, or 0 if the reply is not one. */
static int rerr(struct fix *f)
{
    return rtype(f) == RLERROR ? (int)r32(f->rep + 7) : 0;
}

#define assert_ok(f, type) assert_int_equal(rtype(f), (type) + 1)
#define assert_err(f, e) do { assert_int_equal(rtype(f), RLERROR); \
                              assert_int_equal(rerr(f), (e)); } while (0)

/* --- 9P conversations ------------------------------------------------------------------ */

static void version(struct fix *f, uint32_t msize)
{
    struct msg m;
    begin(&m, TVERSION, 0xffff);
    w32(&m, msize);
    wstr(&m, "9P2000.L");
    xfer(f, &m);
    assert_ok(f, TVERSION);
}

static void attach(struct fix *f, uint32_t fid, uint32_t uid)
{
    struct msg m;
    begin(&m, TATTACH, 1);
    w32(&m, fid);
    w32(&m, ~0u);
    wstr(&m, "root");
    wstr(&m, "");
    w32(&m, uid);
    xfer(f, &m);
}

/* Twalk of up to 20 names; returns the number of qids in an Rwalk, or -errno. */
static int walk(struct fix *f, uint32_t fid, uint32_t newfid, unsigned n, const char **names)
{
    struct msg m;
    begin(&m, TWALK, 2);
    w32(&m, fid);
    w32(&m, newfid);
    w16(&m, (uint16_t)n);
    for (unsigned i = 0; i < n; i++)
        wstr(&m, names[i]);
    xfer(f, &m);
    if (rtype(f) == RLERROR)
        return -rerr(f);
    assert_ok(f, TWALK);
    return f->rep[7] | f->rep[8] << 8;
}

static uint64_t walk_qid_path(struct fix *f, unsigned i)
{
    return r64(f->rep + 9 + 13 * i + 5);
}

static uint8_t walk_qid_type(struct fix *f, unsigned i)
{
    return f->rep[9 + 13 * i];
}

static int lopen(struct fix *f, uint32_t fid, uint32_t flags)
{
    struct msg m;
    begin(&m, TLOPEN, 3);
    w32(&m, fid);
    w32(&m, flags);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static int clunk(struct fix *f, uint32_t fid)
{
    struct msg m;
    begin(&m, TCLUNK, 4);
    w32(&m, fid);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

/* Tread; returns the count (data at f->rep + 11) or -errno. */
static int rd(struct fix *f, uint32_t fid, uint64_t off, uint32_t count)
{
    struct msg m;
    begin(&m, TREAD, 5);
    w32(&m, fid);
    w64(&m, off);
    w32(&m, count);
    xfer(f, &m);
    if (rtype(f) == RLERROR)
        return -rerr(f);
    assert_ok(f, TREAD);
    return (int)r32(f->rep + 7);
}

static int create(struct fix *f, uint32_t fid, const char *name, uint32_t flags, uint32_t mode,
                  uint32_t gid)
{
    struct msg m;
    begin(&m, TLCREATE, 6);
    w32(&m, fid);
    wstr(&m, name);
    w32(&m, flags);
    w32(&m, mode);
    w32(&m, gid);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static int mkdir9(struct fix *f, uint32_t dfid, const char *name)
{
    struct msg m;
    begin(&m, TMKDIR, 7);
    w32(&m, dfid);
    wstr(&m, name);
    w32(&m, 0755);
    w32(&m, 0);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static int unlinkat9(struct fix *f, uint32_t dfid, const char *name, uint32_t flags)
{
    struct msg m;
    begin(&m, TUNLINKAT, 8);
    w32(&m, dfid);
    wstr(&m, name);
    w32(&m, flags);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static uint32_t getattr_mode(struct fix *f, uint32_t fid, uint32_t *uid)
{
    struct msg m;
    begin(&m, TGETATTR, 9);
    w32(&m, fid);
    w64(&m, 0x7ff);
    xfer(f, &m);
    assert_ok(f, TGETATTR);
    if (uid)
        *uid = r32(f->rep + 7 + 8 + 13 + 4);
    return r32(f->rep + 7 + 8 + 13);
}

/* --- fixture --------------------------------------------------------------------------- */

static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static void make(struct fix *f, bool ro, enum fs_security sec)
{
    struct fs_config c = {.path = f->share, .read_only = ro, .security = sec};
    assert_int_equal(fs_local_open(&c, &f->fs), 0);
    f->p9 = virtio_9p_new(&f->ram.mem, f->fs, "host", P9_WORKERS, NULL);
    assert_non_null(f->p9);
    sim_attach(&f->d, &f->ram, virtio_9p_device(f->p9));
    assert_true(sim_negotiate(&f->d, (1ULL << VIRTIO_F_VERSION_1) |
                                         (1ULL << VIRTIO_9P_F_MOUNT_TAG)));
    assert_int_equal(sim_queue_setup(&f->d, 0, QSIZE, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
}

static int setup_common(void **state, bool ro, enum fs_security sec)
{
    struct fix *f = calloc(1, sizeof(*f));
    snprintf(f->top, sizeof(f->top), "/tmp/kite-9p-test.XXXXXX");
    assert_non_null(mkdtemp(f->top));
    snprintf(f->share, sizeof(f->share), "%s/share", f->top);
    assert_int_equal(mkdir(f->share, 0755), 0);
    char p[256];
    /* Outside the share: what a guest must never reach. */
    snprintf(p, sizeof(p), "%s/secret.txt", f->top);
    put_file(p, "outside");
    snprintf(p, sizeof(p), "%s/share/a.txt", f->top);
    put_file(p, "hello, share");
    snprintf(p, sizeof(p), "%s/share/sub", f->top);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/share/out", f->top);
    assert_int_equal(symlink(f->top, p), 0);
    snprintf(p, sizeof(p), "%s/share/etc", f->top);
    assert_int_equal(symlink("/etc", p), 0);
    snprintf(p, sizeof(p), "%s/share/secret-link", f->top);
    assert_int_equal(symlink("../secret.txt", p), 0);
    snprintf(p, sizeof(p), "%s/share/fifo", f->top);
    assert_int_equal(mkfifo(p, 0666), 0);
    sim_ram_init(&f->ram);
    make(f, ro, sec);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_common(state, false, FS_SECURITY_PASSTHROUGH); }
static int setup_ro(void **state) { return setup_common(state, true, FS_SECURITY_PASSTHROUGH); }
static int setup_mapped(void **state) { return setup_common(state, false, FS_SECURITY_MAPPED); }

/* Nothing outside the share changed: the top holds exactly share/ and secret.txt. */
static void assert_outside_intact(struct fix *f)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/secret.txt", f->top);
    char *s = slurp(p);
    assert_non_null(s);
    assert_string_equal(s, "outside");
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 2", f->top);
    assert_int_equal(system(cmd), 0);
}

static void gate_set(bool open);

static int teardown(void **state)
{
    struct fix *f = *state;
    gate_set(true);     /* a failed test may leave reads stuck in the gate */
    assert_outside_intact(f);
    virtio_mmio_free(f->d.t);
    virtio_9p_free(f->p9);
    /* Every fid's host descriptor went with the device. */
    assert_int_equal(fs_local_open_nodes(f->fs), 0);
    fs_local_close(f->fs);
    sim_ram_free(&f->ram);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void session(struct fix *f)
{
    version(f, 512000);
    attach(f, 0, 0);
    assert_ok(f, TATTACH);
}

/* --- tests ----------------------------------------------------------------------------- */

static void test_config_and_read(void **state)
{
    struct fix *f = *state;
    struct virtio_device *dev = virtio_9p_device(f->p9);
    assert_int_equal(dev->device_id, 9);
    assert_int_equal(virtio_config_read(dev, 0, 2), 4);
    assert_int_equal(virtio_config_read(dev, 2, 4), 0x74736f68);   /* "host" */
    session(f);
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, 1, 1, a), 1);
    assert_int_equal(lopen(f, 1, O_RDONLY), 0);
    assert_int_equal(rd(f, 1, 0, 4096), 12);
    assert_memory_equal(f->rep + 11, "hello, share", 12);
    assert_int_equal(rd(f, 1, 7, 100), 5);
    assert_memory_equal(f->rep + 11, "share", 5);
    /* A clone of an open fid names the same file, and is not open itself. */
    assert_int_equal(walk(f, 1, 2, 0, NULL), 0);
    assert_int_equal(getattr_mode(f, 2, NULL), S_IFREG | 0644);
    assert_int_equal(rd(f, 2, 0, 10), -EBADF);
    assert_int_equal(lopen(f, 2, O_RDONLY), 0);
    assert_int_equal(rd(f, 2, 0, 5), 5);
    /* And walks go on from a clone of an open directory. */
    const char *none[] = {"sub"};
    assert_int_equal(walk(f, 0, 3, 0, NULL), 0);
    assert_int_equal(lopen(f, 3, O_RDONLY | O_DIRECTORY), 0);
    assert_int_equal(walk(f, 3, 4, 0, NULL), 0);
    assert_int_equal(walk(f, 4, 5, 1, none), 1);
}

static void test_version_negotiation(void **state)
{
    struct fix *f = *state;
    struct msg m;
    /* msize above the cap comes back capped; below the floor is refused. */
    begin(&m, TVERSION, 0xffff);
    w32(&m, 64u << 20);
    wstr(&m, "9P2000.L");
    xfer(f, &m);
    assert_ok(f, TVERSION);
    assert_int_equal(r32(f->rep + 7), P9_MSIZE_MAX);
    begin(&m, TVERSION, 0xffff);
    w32(&m, 100);
    wstr(&m, "9P2000.L");
    xfer(f, &m);
    assert_err(f, EINVAL);
    /* Another dialect: "unknown", and nothing but Tversion works after it. */
    begin(&m, TVERSION, 0xffff);
    w32(&m, 8192);
    wstr(&m, "9P2000.u");
    xfer(f, &m);
    assert_ok(f, TVERSION);
    assert_int_equal(f->rep[11], 7);
    assert_memory_equal(f->rep + 13, "unknown", 7);
    attach(f, 0, 0);
    assert_err(f, EPROTO);
    version(f, 8192);
    attach(f, 0, 0);
    assert_ok(f, TATTACH);
}

static void test_dotdot_stays_at_root(void **state)
{
    struct fix *f = *state;
    session(f);
    assert_int_equal(walk(f, 0, 1, 0, NULL), 0);
    const char *up[] = {".."};
    assert_int_equal(walk(f, 0, 2, 1, up), 1);
    uint64_t root = walk_qid_path(f, 0);
    struct stat st;
    assert_int_equal(stat(f->share, &st), 0);
    assert_int_equal(root, st.st_ino);
    /* Up and up and sideways: still the share, where secret.txt does not exist. */
    const char *esc[] = {"..", "..", "..", "secret.txt"};
    assert_int_equal(walk(f, 0, 3, 4, esc), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(walk_qid_path(f, i), st.st_ino);
    assert_int_equal(lopen(f, 3, O_RDONLY), -EBADF);    /* newfid 3 was not made */
    const char *sub[] = {"sub", "..", "..", "secret.txt"};
    assert_int_equal(walk(f, 0, 3, 4, sub), 3);
    assert_int_equal(walk_qid_path(f, 2), st.st_ino);
    /* From a subdirectory fid too. */
    const char *s1[] = {"sub"};
    assert_int_equal(walk(f, 0, 4, 1, s1), 1);
    const char *s2[] = {"..", "..", "secret.txt"};
    assert_int_equal(walk(f, 4, 5, 3, s2), 2);
}

static void test_bad_names(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *slash[] = {"../secret.txt"};
    assert_int_equal(walk(f, 0, 1, 1, slash), -EINVAL);
    const char *abs[] = {"/etc"};
    assert_int_equal(walk(f, 0, 1, 1, abs), -EINVAL);
    const char *empty[] = {""};
    assert_int_equal(walk(f, 0, 1, 1, empty), -EINVAL);
    const char *dot[] = {"."};
    assert_int_equal(walk(f, 0, 1, 1, dot), -EINVAL);
    assert_int_equal(walk(f, 0, 1, 0, NULL), 0);
    assert_int_equal(create(f, 1, "x/y", O_RDWR, 0644, 0), -EINVAL);
    assert_int_equal(create(f, 1, "..", O_RDWR, 0644, 0), -EINVAL);
    assert_int_equal(mkdir9(f, 0, "."), -EINVAL);
    assert_int_equal(mkdir9(f, 0, "../escape"), -EINVAL);
    assert_int_equal(unlinkat9(f, 0, "..", 0x200), -EINVAL);
    assert_int_equal(unlinkat9(f, 0, "../secret.txt", 0), -EINVAL);
    /* A string with a NUL in it: "a.txt\0/../../secret.txt". */
    struct msg m;
    begin(&m, TWALK, 2);
    w32(&m, 0);
    w32(&m, 7);
    w16(&m, 1);
    const char nul[] = "a.txt\0../secret.txt";
    w16(&m, sizeof(nul) - 1);
    memcpy(m.b + m.n, nul, sizeof(nul) - 1);
    m.n += sizeof(nul) - 1;
    xfer(f, &m);
    assert_err(f, EINVAL);
    /* A string whose length runs past the message. */
    begin(&m, TWALK, 2);
    w32(&m, 0);
    w32(&m, 7);
    w16(&m, 1);
    w16(&m, 60000);
    wstr(&m, "a");
    xfer(f, &m);
    assert_err(f, EINVAL);
    assert_int_equal(lopen(f, 7, O_RDONLY), -EBADF);
    /* A name too long for any host filesystem. */
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    const char *ln[] = {longname};
    assert_int_equal(walk(f, 0, 8, 1, ln), -ENAMETOOLONG);
}

static void test_symlinks_never_followed(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *out[] = {"out", "secret.txt"};
    assert_int_equal(walk(f, 0, 1, 2, out), 1);
    assert_int_equal(walk_qid_type(f, 0), 0x02);    /* a symlink, and the walk stops */
    const char *etc[] = {"etc", "passwd"};
    assert_int_equal(walk(f, 0, 1, 2, etc), 1);
    const char *l1[] = {"secret-link"};
    assert_int_equal(walk(f, 0, 1, 1, l1), 1);
    assert_int_equal(lopen(f, 1, O_RDONLY), -ELOOP);
    assert_int_equal(getattr_mode(f, 1, NULL) & S_IFMT, S_IFLNK);
    struct msg m;
    begin(&m, TREADLINK, 3);
    w32(&m, 1);
    xfer(f, &m);
    assert_ok(f, TREADLINK);
    assert_int_equal(f->rep[7], 13);
    assert_memory_equal(f->rep + 9, "../secret.txt", 13);
    /* Creating through a symlink's name neither follows it nor writes outside. */
    const char *root[] = {"etc"};
    assert_int_equal(walk(f, 0, 2, 0, root), 0);
    assert_int_equal(create(f, 2, "secret-link", O_RDWR | O_TRUNC, 0644, 0), -ELOOP);
    assert_int_equal(walk(f, 0, 3, 1, root), 1);
    assert_int_equal(mkdir9(f, 3, "x"), -ENOTDIR);
}

static void test_special_files_not_opened(void **state)
{
    struct fix *f = *state;
    char p[256];
    snprintf(p, sizeof(p), "%s/null", f->share);
    bool have_dev = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
    session(f);
    const char *fifo[] = {"fifo"};
    assert_int_equal(walk(f, 0, 1, 1, fifo), 1);
    /* A fifo opened for reading would block forever: it is never opened. */
    assert_int_equal(lopen(f, 1, O_RDONLY), -EACCES);
    assert_int_equal(lopen(f, 1, O_WRONLY), -EACCES);
    if (have_dev) {
        const char *dev[] = {"null"};
        assert_int_equal(walk(f, 0, 2, 1, dev), 1);
        assert_int_equal(lopen(f, 2, O_RDWR), -EACCES);
    }
    /* The guest may still make them (passthrough, as root) but not open them. */
    struct msg m;
    begin(&m, TMKNOD, 3);
    w32(&m, 0);
    wstr(&m, "fifo2");
    w32(&m, S_IFIFO | 0644);
    w32(&m, 0);
    w32(&m, 0);
    w32(&m, 0);
    xfer(f, &m);
    if (geteuid() == 0) {
        assert_ok(f, TMKNOD);
        const char *f2[] = {"fifo2"};
        assert_int_equal(walk(f, 0, 4, 1, f2), 1);
        assert_int_equal(lopen(f, 4, O_RDONLY), -EACCES);
    }
    /* But no host device nodes, whatever kite may do: a guest's 0666 block device would
     * be the host's disk to every host user who reaches the share. */
    begin(&m, TMKNOD, 5);
    w32(&m, 0);
    wstr(&m, "sda");
    w32(&m, S_IFBLK | 0666);
    w32(&m, 8);
    w32(&m, 0);
    w32(&m, 0);
    xfer(f, &m);
    assert_err(f, EPERM);
    snprintf(p, sizeof(p), "%s/sda", f->share);
    struct stat st;
    assert_int_equal(lstat(p, &st), -1);
}

static void test_walk_limits_and_fids(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *names[17];
    for (int i = 0; i < 17; i++)
        names[i] = "sub";
    assert_int_equal(walk(f, 0, 1, 17, names), -EINVAL);
    /* Attach twice on one fid, clunk unknown fids, walk onto a fid in use. */
    attach(f, 0, 0);
    assert_err(f, EBADF);
    assert_int_equal(clunk(f, 12345), -EBADF);
    assert_int_equal(clunk(f, ~0u), -EBADF);
    assert_int_equal(walk(f, 0, 1, 0, NULL), 0);
    assert_int_equal(walk(f, 0, 1, 0, NULL), -EBADF);
    assert_int_equal(clunk(f, 1), 0);
    assert_int_equal(clunk(f, 1), -EBADF);
    /* 100,000 fids: the cap holds, each refusal is an Rlerror, and host fds stay bounded. */
    unsigned ok = 0, refused = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        int r = walk(f, 0, 100 + i, 0, NULL);
        if (r == 0)
            ok++;
        else {
            assert_int_equal(r, -ENFILE);
            refused++;
        }
    }
    assert_int_equal(ok, P9_MAX_FIDS - 1);
    assert_int_equal(refused, 100000 - ok);
    assert_int_equal(fs_local_open_nodes(f->fs), P9_MAX_FIDS);
    /* Tversion drops every fid (and its descriptor). */
    version(f, 8192);
    assert_int_equal(virtio_9p_stats(f->p9)->fids, 0);
    assert_int_equal(fs_local_open_nodes(f->fs), 0);
    assert_int_equal(lopen(f, 0, O_RDONLY), -EBADF);
}

static void test_size_fields_checked(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, 1, 1, a), 1);
    assert_int_equal(lopen(f, 1, O_RDWR), 0);
    /* A size field larger than the chain. */
    struct msg m;
    begin(&m, TREAD, 9);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 100);
    finish(&m);
    uint32_t big = 5000;
    memcpy(m.b, &big, 4);
    xfer_shape(f, m.b, m.n, 4096, 11, 4096);
    assert_err(f, EINVAL);
    assert_int_equal(rtag(f), 9);
    /* Smaller than a header. */
    uint32_t tiny = 3;
    memcpy(m.b, &tiny, 4);
    xfer_shape(f, m.b, m.n, 4096, 11, 4096);
    assert_err(f, EINVAL);
    /* A chain of three bytes: no tag to answer to. */
    xfer_shape(f, m.b, 3, 4096, 11, 4096);
    assert_err(f, EINVAL);
    assert_int_equal(rtag(f), 0xffff);
    /* A truncated message: the size is right but the fields stop early. */
    begin(&m, TREAD, 10);
    w32(&m, 1);
    finish(&m);
    xfer_shape(f, m.b, m.n, 4096, 11, 4096);
    assert_err(f, EINVAL);
    /* No room even for an Rlerror: returned empty, nothing written past the buffer. */
    begin(&m, TREAD, 11);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 100);
    finish(&m);
    assert_int_equal(xfer_shape(f, m.b, m.n, 4096, 0, 10), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f->rep[i], 0xee);
    /* No writable part at all. */
    assert_int_equal(xfer_shape(f, m.b, m.n, 4096, 0, 0), 0);
    /* Twrite whose count claims more data than the message holds. */
    begin(&m, TWRITE, 12);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 1000000);
    memcpy(m.b + m.n, "xyz", 3);
    m.n += 3;
    xfer(f, &m);
    assert_err(f, EINVAL);
    char p[256];
    snprintf(p, sizeof(p), "%s/a.txt", f->share);
    assert_string_equal(slurp(p), "hello, share");
    /* Only Tversion before a session. */
    version(f, 8192);
    begin(&m, 0xee, 13);
    xfer(f, &m);
    assert_err(f, EOPNOTSUPP);
}

static void test_counts_clamped(void **state)
{
    struct fix *f = *state;
    version(f, 8192);
    attach(f, 0, 0);
    char p[256];
    snprintf(p, sizeof(p), "%s/big", f->share);
    FILE *fp = fopen(p, "w");
    for (int i = 0; i < 100000; i++)
        fputc('a' + i % 26, fp);
    fclose(fp);
    const char *b[] = {"big"};
    assert_int_equal(walk(f, 0, 1, 1, b), 1);
    assert_int_equal(lopen(f, 1, O_RDONLY), 0);
    /* A count far beyond msize: the reply still fits msize. */
    assert_int_equal(rd(f, 1, 0, 0xffffffffu), 8192 - 11);
    assert_int_equal(f->rep_len, 8192);
    assert_int_equal(f->rep[11 + 27], 'b');
    /* And beyond the chain's writable part. */
    struct msg m;
    begin(&m, TREAD, 5);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 8000);
    finish(&m);
    assert_int_equal(xfer_shape(f, m.b, m.n, 4096, 11, 111), 111);
    assert_int_equal(r32(f->rep + 7), 100);
    /* An offset past the end reads nothing; a huge one is refused. */
    assert_int_equal(rd(f, 1, 1ull << 40, 100), 0);
    assert_int_equal(rd(f, 1, ~0ull, 100), -EINVAL);
    /* A request larger than msize. */
    begin(&m, TWRITE, 6);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 9000);
    m.n += 9000;
    xfer(f, &m);
    assert_err(f, EINVAL);
}

static void test_split_messages_and_write(void **state)
{
    struct fix *f = *state;
    session(f);
    assert_int_equal(walk(f, 0, 1, 0, NULL), 0);
    assert_int_equal(create(f, 1, "new.txt", O_RDWR, 0640, 0), 0);
    /* A Twrite split into 7-byte pieces, the reply header in its own 11 bytes. */
    struct msg m;
    begin(&m, TWRITE, 20);
    w32(&m, 1);
    w64(&m, 0);
    const char data[] = "written through many small descriptors";
    w32(&m, sizeof(data) - 1);
    memcpy(m.b + m.n, data, sizeof(data) - 1);
    m.n += sizeof(data) - 1;
    finish(&m);
    assert_int_equal(xfer_shape(f, m.b, m.n, 7, 11, 4096), 11);
    assert_ok(f, TWRITE);
    assert_int_equal(r32(f->rep + 7), sizeof(data) - 1);
    char p[256];
    snprintf(p, sizeof(p), "%s/new.txt", f->share);
    assert_string_equal(slurp(p), data);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    /* Read back into a reply split 11 + 5 + rest. */
    begin(&m, TREAD, 21);
    w32(&m, 1);
    w64(&m, 8);
    w32(&m, 7);
    finish(&m);
    assert_int_equal(xfer_shape(f, m.b, m.n, 3, 11, 18), 18);
    assert_memory_equal(f->rep + 11, "through", 7);
    /* Tflush answers. */
    begin(&m, TFLUSH, 22);
    w16(&m, 21);
    xfer(f, &m);
    assert_ok(f, TFLUSH);
}

struct seen {
    unsigned count;
    unsigned char hit[300];
};

static void test_readdir_complete(void **state)
{
    struct fix *f = *state;
    char p[256];
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "%s/sub/entry-%03d", f->share, i);
        put_file(p, "");
    }
    session(f);
    const char *s[] = {"sub"};
    assert_int_equal(walk(f, 0, 1, 1, s), 1);
    assert_int_equal(lopen(f, 1, O_RDONLY | O_DIRECTORY), 0);
    struct seen seen = {0};
    uint64_t off = 0;
    unsigned dots = 0, calls = 0;
    for (;;) {
        struct msg m;
        begin(&m, TREADDIR, 30);
        w32(&m, 1);
        w64(&m, off);
        w32(&m, 500);           /* a few entries at a time */
        xfer(f, &m);
        assert_ok(f, TREADDIR);
        uint32_t n = r32(f->rep + 7);
        assert_true(n <= 500);
        if (!n)
            break;
        calls++;
        const uint8_t *e = f->rep + 11, *end = e + n;
        while (e < end) {
            off = r64(e + 13);
            uint16_t nl = (uint16_t)(e[22] | e[23] << 8);
            char name[300];
            memcpy(name, e + 24, nl);
            name[nl] = 0;
            int idx;
            if (!strcmp(name, ".") || !strcmp(name, ".."))
                dots++;
            else {
                assert_int_equal(sscanf(name, "entry-%d", &idx), 1);
                assert_int_equal(seen.hit[idx], 0);
                seen.hit[idx] = 1;
                seen.count++;
            }
            e += 24 + nl;
        }
    }
    assert_int_equal(seen.count, 300);
    assert_int_equal(dots, 2);
    assert_true(calls > 10);
}

static void test_read_only(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, 1, 1, a), 1);
    assert_int_equal(lopen(f, 1, O_WRONLY), -EROFS);
    assert_int_equal(lopen(f, 1, O_RDONLY | O_TRUNC), -EROFS);
    assert_int_equal(walk(f, 0, 2, 0, NULL), 0);
    assert_int_equal(create(f, 2, "new", O_RDWR, 0644, 0), -EROFS);
    assert_int_equal(mkdir9(f, 0, "d"), -EROFS);
    assert_int_equal(unlinkat9(f, 0, "a.txt", 0), -EROFS);
    struct msg m;
    begin(&m, TSETATTR, 3);
    w32(&m, 1);
    w32(&m, 0x9);               /* mode and size */
    w32(&m, 0777);
    w32(&m, 0);
    w32(&m, 0);
    w64(&m, 0);
    for (int i = 0; i < 4; i++)
        w64(&m, 0);
    xfer(f, &m);
    assert_err(f, EROFS);
    begin(&m, TXATTRCREATE, 4);
    w32(&m, 1);
    wstr(&m, "user.x");
    w64(&m, 1);
    w32(&m, 0);
    xfer(f, &m);
    assert_err(f, EROFS);
    /* Reading is fine. */
    assert_int_equal(lopen(f, 1, O_RDONLY), 0);
    assert_int_equal(rd(f, 1, 0, 100), 12);
    char p[256];
    snprintf(p, sizeof(p), "%s/a.txt", f->share);
    assert_string_equal(slurp(p), "hello, share");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_xattrs(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, 1, 1, a), 1);
    assert_int_equal(walk(f, 0, 2, 1, a), 1);
    struct msg m;
    begin(&m, TXATTRCREATE, 4);
    w32(&m, 1);
    wstr(&m, "user.colour");
    w64(&m, 4);
    w32(&m, 0);
    xfer(f, &m);
    if (rtype(f) == RLERROR)
        skip();                 /* no user xattrs on this host filesystem */
    begin(&m, TWRITE, 5);
    w32(&m, 1);
    w64(&m, 0);
    w32(&m, 4);
    memcpy(m.b + m.n, "blue", 4);
    m.n += 4;
    xfer(f, &m);
    assert_ok(f, TWRITE);
    assert_int_equal(clunk(f, 1), 0);
    char p[256], v[16] = {0};
    snprintf(p, sizeof(p), "%s/a.txt", f->share);
    assert_int_equal(getxattr(p, "user.colour", v, sizeof(v)), 4);
    assert_string_equal(v, "blue");
    begin(&m, TXATTRWALK, 6);
    w32(&m, 2);
    w32(&m, 3);
    wstr(&m, "user.colour");
    xfer(f, &m);
    assert_ok(f, TXATTRWALK);
    assert_int_equal(r64(f->rep + 7), 4);
    assert_int_equal(rd(f, 3, 0, 100), 4);
    assert_memory_equal(f->rep + 11, "blue", 4);
    assert_int_equal(clunk(f, 3), 0);
    /* Namespaces other than user. are not the guest's. */
    begin(&m, TXATTRCREATE, 7);
    w32(&m, 2);
    wstr(&m, "trusted.evil");
    w64(&m, 1);
    w32(&m, 0);
    xfer(f, &m);
    assert_err(f, EOPNOTSUPP);
    /* A value larger than the cap. */
    begin(&m, TXATTRCREATE, 8);
    w32(&m, 2);
    wstr(&m, "user.huge");
    w64(&m, 1ull << 40);
    w32(&m, 0);
    xfer(f, &m);
    assert_err(f, E2BIG);
}

static void test_mapped_security(void **state)
{
    struct fix *f = *state;
    version(f, 512000);
    attach(f, 0, 1000);
    assert_ok(f, TATTACH);
    assert_int_equal(walk(f, 0, 1, 0, NULL), 0);
    int r = create(f, 1, "owned", O_RDWR, 04755, 1234);
    if (r == -EOPNOTSUPP || r == -ENOTSUP)
        skip();
    assert_int_equal(r, 0);
    char p[256];
    snprintf(p, sizeof(p), "%s/owned", f->share);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);         /* a safe mode on the host */
    assert_int_equal(st.st_uid, geteuid());
    const char *o[] = {"owned"};
    assert_int_equal(walk(f, 0, 2, 1, o), 1);
    uint32_t uid;
    assert_int_equal(getattr_mode(f, 2, &uid), S_IFREG | 04755);
    assert_int_equal(uid, 1000);
    assert_int_equal(r32(f->rep + 7 + 8 + 13 + 8), 1234);
    /* A device node is a plain host file that the guest sees as one, and cannot open. */
    struct msg m;
    begin(&m, TMKNOD, 3);
    w32(&m, 0);
    wstr(&m, "tty");
    w32(&m, S_IFCHR | 0620);
    w32(&m, 4);
    w32(&m, 1);
    w32(&m, 5);
    xfer(f, &m);
    assert_ok(f, TMKNOD);
    snprintf(p, sizeof(p), "%s/tty", f->share);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    const char *t[] = {"tty"};
    assert_int_equal(walk(f, 0, 3, 1, t), 1);
    assert_int_equal(getattr_mode(f, 3, NULL), S_IFCHR | 0620);
    assert_int_equal(r64(f->rep + 7 + 8 + 13 + 20), makedev(4, 1));
    assert_int_equal(lopen(f, 3, O_RDWR), -EACCES);
    /* A mode xattr a host user wrote with no sensible type does not turn the file into
     * something the guest's kernel cannot hold. */
    snprintf(p, sizeof(p), "%s/a.txt", f->share);
    assert_int_equal(setxattr(p, "user.kite.mode", "420", 3, 0), 0);
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, 4, 1, a), 1);
    assert_int_equal(getattr_mode(f, 4, NULL), S_IFREG | 0644);
    assert_int_equal(lopen(f, 4, O_RDONLY), 0);
    /* kite's own xattrs are not the guest's to read or write. */
    begin(&m, TXATTRCREATE, 4);
    w32(&m, 2);
    wstr(&m, "user.kite.uid");
    w64(&m, 1);
    w32(&m, 0);
    xfer(f, &m);
    assert_err(f, EOPNOTSUPP);
}

/* --- requests in flight: the worker pool, out-of-order replies, Tflush ------------------- */

/* Freezes every Tread inside the backend until opened, to hold requests in workers. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    unsigned waiting;
    ssize_t (*read)(struct fs_device *, struct fs_node *, uint64_t, const struct iovec *,
                    unsigned);
    struct fs_ops ops;
} gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static ssize_t gated_read(struct fs_device *fs, struct fs_node *n, uint64_t off,
                          const struct iovec *iov, unsigned iovcnt)
{
    pthread_mutex_lock(&gate.lock);
    gate.waiting++;
    pthread_cond_broadcast(&gate.cond);
    while (!gate.open)
        pthread_cond_wait(&gate.cond, &gate.lock);
    gate.waiting--;
    pthread_mutex_unlock(&gate.lock);
    return gate.read(fs, n, off, iov, iovcnt);
}

static void gate_install(struct fix *f)
{
    gate.ops = *f->fs->ops;
    gate.read = gate.ops.read;
    gate.ops.read = gated_read;
    gate.open = false;
    gate.waiting = 0;
    f->fs->ops = &gate.ops;
}

static void gate_set(bool open)
{
    pthread_mutex_lock(&gate.lock);
    gate.open = open;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
}

/* Waits (a hang bound, not a timing check) until n reads sit in the gate. */
static void gate_wait_for(unsigned n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&gate.lock);
    while (gate.waiting < n)
        assert_int_equal(pthread_cond_timedwait(&gate.cond, &gate.lock, &until), 0);
    pthread_mutex_unlock(&gate.lock);
}

#define SLOT_REQ(s) (REQ + (uint64_t)(s) * 0x1000)
#define SLOT_REP(s) (REP + (uint64_t)(s) * 0x8000)

/* Posts a request in slot s (descriptors 2s, 2s+1) without waiting for its reply. */
static void post(struct fix *f, unsigned s, struct msg *m)
{
    finish(m);
    memcpy(sim_host(&f->ram, SLOT_REQ(s)), m->b, m->n);
    memset(sim_host(&f->ram, SLOT_REP(s)), 0xee, 0x8000);
    sim_set_desc(&f->d, 0, 2 * s, SLOT_REQ(s), (uint32_t)m->n, VIRTQ_DESC_F_NEXT,
                 (uint16_t)(2 * s + 1));
    sim_set_desc(&f->d, 0, 2 * s + 1, SLOT_REP(s), 0x8000, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, (uint16_t)(2 * s));
    sim_notify(&f->d, 0);
}

/* The next reply the device returns (polling its completions); its slot. */
static unsigned collect(struct fix *f)
{
    uint32_t id, len;
    for (int i = 0; !sim_reap(&f->d, 0, &id, &len); i++) {
        assert_true(i < 20000);         /* 20 s: a hang, not a slow host */
        if (!virtio_9p_poll(f->p9))
            usleep(1000);
    }
    unsigned s = id / 2;
    f->rep = sim_host(&f->ram, SLOT_REP(s));
    f->rep_len = len;
    assert_int_equal(r32(f->rep), len);
    return s;
}

static void read_msg(struct msg *m, uint16_t tag, uint32_t fid)
{
    begin(m, TREAD, tag);
    w32(m, fid);
    w64(m, 0);
    w32(m, 100);
}

static void flush_msg(struct msg *m, uint16_t tag, uint16_t oldtag)
{
    begin(m, TFLUSH, tag);
    w16(m, oldtag);
}

static void open_a(struct fix *f, uint32_t fid)
{
    const char *a[] = {"a.txt"};
    assert_int_equal(walk(f, 0, fid, 1, a), 1);
    assert_int_equal(lopen(f, fid, O_RDONLY), 0);
}

static void test_replies_out_of_order_and_flush_waits(void **state)
{
    struct fix *f = *state;
    session(f);
    open_a(f, 1);
    gate_install(f);
    struct msg m;
    read_msg(&m, 100, 1);
    post(f, 0, &m);
    gate_wait_for(1);
    /* A request after the stuck read is answered first. */
    begin(&m, TGETATTR, 101);
    w32(&m, 0);
    w64(&m, 0x7ff);
    post(f, 1, &m);
    assert_int_equal(collect(f), 1);
    assert_int_equal(rtag(f), 101);
    assert_ok(f, TGETATTR);
    /* Tflush of the running read waits for it: no Rflush while it is stuck. */
    uint16_t before = sim_used_idx(&f->d, 0);
    flush_msg(&m, 102, 100);
    post(f, 2, &m);
    virtio_9p_poll(f->p9);
    assert_int_equal(sim_used_idx(&f->d, 0), before);
    gate_set(true);
    assert_int_equal(collect(f), 0);
    assert_int_equal(rtag(f), 100);
    assert_ok(f, TREAD);
    assert_memory_equal(f->rep + 11, "hello, share", 12);
    assert_int_equal(collect(f), 2);
    assert_int_equal(rtag(f), 102);
    assert_ok(f, TFLUSH);
    assert_int_equal(f->rep_len, 7);
}

static void test_flush_cancels_a_queued_request(void **state)
{
    struct fix *f = *state;
    session(f);
    open_a(f, 1);
    gate_install(f);
    struct msg m;
    /* Every worker stuck in a read... */
    for (unsigned i = 0; i < P9_WORKERS; i++) {
        read_msg(&m, (uint16_t)(200 + i), 1);
        post(f, i, &m);
    }
    gate_wait_for(P9_WORKERS);
    /* ...so this one waits in the queue, and a Tflush cancels it at once: its chain comes
     * back (Rlerror EINTR), then the Rflush, while the others still run. */
    read_msg(&m, 210, 1);
    post(f, 8, &m);
    flush_msg(&m, 211, 210);
    post(f, 9, &m);
    assert_int_equal(collect(f), 8);
    assert_int_equal(rtag(f), 210);
    assert_err(f, EINTR);
    assert_int_equal(collect(f), 9);
    assert_int_equal(rtag(f), 211);
    assert_ok(f, TFLUSH);
    /* A tag nobody uses: Rflush at once. */
    flush_msg(&m, 212, 999);
    post(f, 10, &m);
    assert_int_equal(collect(f), 10);
    assert_ok(f, TFLUSH);
    gate_set(true);
    bool seen[P9_WORKERS] = {false};
    for (unsigned i = 0; i < P9_WORKERS; i++) {
        unsigned s = collect(f);
        assert_true(s < P9_WORKERS && !seen[s]);
        seen[s] = true;
        assert_int_equal(rtag(f), 200 + s);
        assert_ok(f, TREAD);
        assert_int_equal(r32(f->rep + 7), 12);
    }
}

static void *open_gate_later(void *unused)
{
    usleep(100 * 1000);
    gate_set(true);
    return NULL;
}

static void test_reset_waits_for_running_requests(void **state)
{
    struct fix *f = *state;
    session(f);
    open_a(f, 1);
    gate_install(f);
    struct msg m;
    read_msg(&m, 300, 1);
    post(f, 0, &m);
    gate_wait_for(1);
    uint16_t before = sim_used_idx(&f->d, 0);
    /* The reset returns only once the read is out of guest memory; nothing is answered. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, open_gate_later, NULL), 0);
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    pthread_join(t, NULL);
    assert_int_equal(gate.waiting, 0);
    virtio_9p_poll(f->p9);
    assert_int_equal(sim_used_idx(&f->d, 0), before);
    assert_int_equal(virtio_9p_stats(f->p9)->fids, 0);
}

/* --- Tremove and Trename: by the fid's own file, never by a name someone reused ------- */

static int remove9(struct fix *f, uint32_t fid)
{
    struct msg m;
    begin(&m, TREMOVE, 20);
    w32(&m, fid);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static int rename9(struct fix *f, uint32_t fid, uint32_t dfid, const char *name)
{
    struct msg m;
    begin(&m, TRENAME, 21);
    w32(&m, fid);
    w32(&m, dfid);
    wstr(&m, name);
    xfer(f, &m);
    return rtype(f) == RLERROR ? -rerr(f) : 0;
}

static bool host_exists(struct fix *f, const char *rel)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", f->share, rel);
    struct stat st;
    return lstat(p, &st) == 0;
}

static void host_put(struct fix *f, const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", f->share, rel);
    put_file(p, text);
}

static void test_remove_and_rename(void **state)
{
    struct fix *f = *state;
    session(f);
    host_put(f, "r1.txt", "one");
    const char *r1[] = {"r1.txt"};
    assert_int_equal(walk(f, 0, 1, 1, r1), 1);
    assert_int_equal(remove9(f, 1), 0);
    assert_false(host_exists(f, "r1.txt"));
    assert_int_equal(clunk(f, 1), -EBADF);          /* Tremove clunked it */
    /* The root, and a node reached by "..", have no name to remove. */
    assert_int_equal(walk(f, 0, 2, 0, NULL), 0);
    assert_int_equal(remove9(f, 2), -EBUSY);
    const char *up[] = {"sub", ".."};
    assert_int_equal(walk(f, 0, 2, 2, up), 2);
    assert_int_equal(remove9(f, 2), -EBUSY);
    assert_true(host_exists(f, "sub"));
    /* Trename moves the fid's file; its later Tremove finds it where it went. */
    host_put(f, "r2.txt", "two");
    const char *r2[] = {"r2.txt"}, *sub[] = {"sub"};
    assert_int_equal(walk(f, 0, 3, 1, r2), 1);
    assert_int_equal(walk(f, 0, 4, 1, sub), 1);
    assert_int_equal(rename9(f, 3, 4, "moved"), 0);
    assert_false(host_exists(f, "r2.txt"));
    assert_true(host_exists(f, "sub/moved"));
    assert_int_equal(rename9(f, 3, 4, "../escape"), -EINVAL);
    assert_int_equal(rename9(f, 3, 4, ".."), -EINVAL);
    assert_int_equal(remove9(f, 3), 0);
    assert_false(host_exists(f, "sub/moved"));
    /* A name reused on the host since the walk is someone else's file: left alone. */
    host_put(f, "r3.txt", "three");
    const char *r3[] = {"r3.txt"};
    assert_int_equal(walk(f, 0, 5, 1, r3), 1);
    char a[256], b[256];
    snprintf(a, sizeof(a), "%s/r3.txt", f->share);
    snprintf(b, sizeof(b), "%s/r3-old.txt", f->share);
    assert_int_equal(rename(a, b), 0);
    host_put(f, "r3.txt", "new three");
    assert_int_equal(walk(f, 0, 6, 1, r3), 1);
    assert_int_equal(rename9(f, 5, 4, "stolen"), -ENOENT);
    assert_int_equal(remove9(f, 5), -ENOENT);
    assert_true(host_exists(f, "r3.txt"));
    assert_true(host_exists(f, "r3-old.txt"));
    assert_false(host_exists(f, "sub/stolen"));
    /* A removed directory must be empty; a walked symlink is removed, not its target. */
    host_put(f, "sub/keep", "k");
    assert_int_equal(walk(f, 0, 7, 1, sub), 1);
    assert_int_equal(remove9(f, 7), -ENOTEMPTY);
    assert_true(host_exists(f, "sub/keep"));
    const char *etc[] = {"etc"};
    assert_int_equal(walk(f, 0, 8, 1, etc), 1);
    assert_int_equal(remove9(f, 8), 0);
    assert_false(host_exists(f, "etc"));
    struct stat st;
    assert_int_equal(stat("/etc/passwd", &st), 0);
}

/* A fid keeps the directory it was walked from, but no further ancestors: walking down 40
 * levels one step at a time (clunking behind), or 16 at once, holds 3 host descriptors. */
static void test_walked_nodes_stay_bounded(void **state)
{
    struct fix *f = *state;
    session(f);
    char path[512];
    snprintf(path, sizeof(path), "%s", f->share);
    for (int i = 1; i <= 40; i++) {
        size_t l = strlen(path);
        snprintf(path + l, sizeof(path) - l, "/n%d", i);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    char names[40][8];
    const char *np[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "n%d", i + 1);
        np[i] = names[i];
    }
    uint32_t cur = 1;
    assert_int_equal(walk(f, 0, cur, 1, np), 1);
    for (int i = 1; i < 40; i++) {
        assert_int_equal(walk(f, cur, cur + 1, 1, np + i), 1);
        assert_int_equal(clunk(f, cur), 0);
        cur++;
    }
    assert_int_equal(fs_local_open_nodes(f->fs), 3);   /* root, n40, and n39 */
    assert_int_equal(clunk(f, cur), 0);
    assert_int_equal(fs_local_open_nodes(f->fs), 1);
    assert_int_equal(walk(f, 0, 1, 16, np), 16);
    assert_int_equal(fs_local_open_nodes(f->fs), 3);   /* root, n16, and n15 */
    /* The deep fid can still remove itself (its parent is what it needs). */
    assert_int_equal(remove9(f, 1), -ENOTEMPTY);
    assert_int_equal(fs_local_open_nodes(f->fs), 1);
}

static void test_remove_refused_read_only(void **state)
{
    struct fix *f = *state;
    session(f);
    const char *a[] = {"a.txt"}, *sub[] = {"sub"};
    assert_int_equal(walk(f, 0, 1, 1, a), 1);
    assert_int_equal(walk(f, 0, 2, 1, sub), 1);
    assert_int_equal(rename9(f, 1, 2, "x"), -EROFS);
    assert_int_equal(remove9(f, 1), -EROFS);
    assert_true(host_exists(f, "a.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_config_and_read),
        T(test_version_negotiation),
        T(test_dotdot_stays_at_root),
        T(test_bad_names),
        T(test_symlinks_never_followed),
        T(test_special_files_not_opened),
        T(test_walk_limits_and_fids),
        T(test_size_fields_checked),
        T(test_counts_clamped),
        T(test_split_messages_and_write),
        T(test_readdir_complete),
        T(test_xattrs),
        T(test_replies_out_of_order_and_flush_waits),
        T(test_flush_cancels_a_queued_request),
        T(test_reset_waits_for_running_requests),
        T(test_remove_and_rename),
        T(test_walked_nodes_stay_bounded),
        cmocka_unit_test_setup_teardown(test_remove_refused_read_only, setup_ro, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
        cmocka_unit_test_setup_teardown(test_mapped_security, setup_mapped, teardown),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
