/*
 * The host-directory FSDevice: a jail around one host directory (see fs.h).
 *
 * Every node owns one host descriptor. A walked node holds an O_PATH descriptor taken with
 * O_NOFOLLOW (through openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS where the kernel has it), so a symlink is a node of its own and is
 * never followed. Operations that have no O_PATH form (open, chmod, truncate, xattrs) go
 * through /proc/self/fd/N, which names exactly the inode the descriptor holds: a rename
 * elsewhere cannot redirect it, and it cannot name anything that was not walked to.
 */
#define _GNU_SOURCE
#include "backend/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/log.h"

struct fs_node {
    int fd;
    bool opened;                /* fd came from open/create (not O_PATH) */
    uint32_t type;              /* S_IFMT bits */
    dev_t dev;
    ino_t ino;
};

struct fs_local {
    struct fs_device pub;
    int root_fd;                /* O_PATH of the share */
    dev_t root_dev;
    ino_t root_ino;
    enum fs_security security;
    unsigned nodes;             /* atomic: the 9P workers open and release concurrently */
    struct log_limit logged;
};

#define MAPPED_UID "user.kite.uid"
#define MAPPED_GID "user.kite.gid"
#define MAPPED_MODE "user.kite.mode"
#define MAPPED_RDEV "user.kite.rdev"
#define MAPPED_PREFIX "user.kite."
#define XATTR_LIST_MAX_BYTES 65536

/* Written once (to false) by whichever worker first meets an old kernel: a relaxed flag. */
static bool have_openat2 = true;

static struct fs_local *L(struct fs_device *fs)
{
    return (struct fs_local *)fs;
}

bool fs_name_valid(const char *name)
{
    return name && name[0] && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

static void proc_path(int fd, char buf[32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

static int new_node(struct fs_local *l, int fd, struct fs_node **out)
{
    struct stat st;
    if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct fs_node *n = malloc(sizeof(*n));
    if (!n) {
        close(fd);
        return -ENOMEM;
    }
    *n = (struct fs_node){.fd = fd, .type = st.st_mode & S_IFMT, .dev = st.st_dev,
                          .ino = st.st_ino};
    __atomic_fetch_add(&l->nodes, 1, __ATOMIC_RELAXED);
    *out = n;
    return 0;
}

static uint64_t qid_path(const struct fs_local *l, dev_t dev, ino_t ino)
{
    /* Files of other filesystems mounted inside the share must not share qids with ours. */
    if (dev == l->root_dev)
        return ino;
    return ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ull);
}

static uint8_t qid_type(uint32_t mode)
{
    if (S_ISDIR(mode))
        return FS_QID_DIR;
    if (S_ISLNK(mode))
        return FS_QID_SYMLINK;
    return FS_QID_FILE;
}

/* One component below dirfd, never following a symlink: an O_PATH descriptor. */
static int lookup(int dirfd, const char *name)
{
    if (__atomic_load_n(&have_openat2, __ATOMIC_RELAXED)) {
        struct open_how how = {
            .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != ENOSYS)
            return -errno;
        __atomic_store_n(&have_openat2, false, __ATOMIC_RELAXED);
    }
    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* --- mapped security: the guest's ids and mode in user.kite.* xattrs ------------------ */

static int map_set(int fd, const char *key, uint64_t v)
{
    char p[32], s[24];
    proc_path(fd, p);
    int len = snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
    return setxattr(p, key, s, (size_t)len, 0) < 0 ? -errno : 0;
}

static bool map_get(int fd, const char *key, uint64_t *v)
{
    char p[32], s[24];
    proc_path(fd, p);
    ssize_t n = getxattr(p, key, s, sizeof(s) - 1);
    if (n <= 0)
        return false;
    s[n] = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end)
        return false;
    *v = x;
    return true;
}

/* After creating fd's file for `cred`: the guest's owner and mode, as the model says. */
static int apply_owner(struct fs_local *l, int fd, uint32_t type, uint32_t mode, uint64_t rdev,
                       const struct fs_cred *cred)
{
    char p[32];
    proc_path(fd, p);
    switch (l->security) {
    case FS_SECURITY_MAPPED:
        /* User xattrs cannot live on a host symlink: it keeps kite's ids. */
        if (type == S_IFLNK)
            return 0;
        if (map_set(fd, MAPPED_UID, cred->uid) < 0 || map_set(fd, MAPPED_GID, cred->gid) < 0 ||
            map_set(fd, MAPPED_MODE, type | (mode & 07777)) < 0)
            return -errno;
        if ((type == S_IFCHR || type == S_IFBLK) && map_set(fd, MAPPED_RDEV, rdev) < 0)
            return -errno;
        return 0;
    case FS_SECURITY_PASSTHROUGH:
        if (fchownat(fd, "", cred->uid, cred->gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        /* the exact mode too, whatever kite's umask */
        __attribute__((fallthrough));
    case FS_SECURITY_NONE:
        if (type != S_IFLNK && chmod(p, mode & 07777) < 0)
            return -errno;
        return 0;
    }
    return 0;
}

/* --- the operations -------------------------------------------------------------------- */

static int op_root(struct fs_device *fs, struct fs_node **out)
{
    struct fs_local *l = L(fs);
    int fd = fcntl(l->root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    return new_node(l, fd, out);
}

static int op_walk(struct fs_device *fs, struct fs_node *dir, const char *name,
                   struct fs_node **out)
{
    struct fs_local *l = L(fs);
    if (dir->type != S_IFDIR)
        return -ENOTDIR;
    if (name && !strcmp(name, "..")) {
        /* The guest's root is the share: ".." there stays there. */
        if (dir->dev == l->root_dev && dir->ino == l->root_ino)
            return op_root(fs, out);
        int fd = openat(dir->fd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        return new_node(l, fd, out);
    }
    if (!fs_name_valid(name))
        return -EINVAL;
    int fd = lookup(dir->fd, name);
    if (fd < 0)
        return fd;
    return new_node(l, fd, out);
}

static int op_clone(struct fs_device *fs, struct fs_node *n, struct fs_node **out)
{
    struct fs_local *l = L(fs);
    /* A clone is a walk with no names: a path handle, never a second open file. */
    int fd;
    if (n->opened) {
        /* Through the magic link to the open file's inode (a regular file or directory):
         * a new handle of its own, not a second name for the open file description. */
        char p[32];
        proc_path(n->fd, p);
        fd = open(p, O_PATH | O_CLOEXEC);
    } else {
        fd = fcntl(n->fd, F_DUPFD_CLOEXEC, 0);
    }
    if (fd < 0)
        return -errno;
    int r = new_node(l, fd, out);
    if (r == 0 && n->opened)
        (*out)->opened = false;
    return r;
}

static void op_release(struct fs_device *fs, struct fs_node *n)
{
    if (!n)
        return;
    close(n->fd);
    __atomic_fetch_sub(&L(fs)->nodes, 1, __ATOMIC_RELAXED);
    free(n);
}

static int op_qid(struct fs_device *fs, struct fs_node *n, struct fs_qid *qid)
{
    *qid = (struct fs_qid){.type = qid_type(n->type), .path = qid_path(L(fs), n->dev, n->ino)};
    return 0;
}

/* What a plain host file may stand for under mapped; anything else in its xattr (a host
 * user can write user.kite.mode too) is ignored. */
static bool mapped_type_ok(uint32_t type)
{
    return type == S_IFREG || type == S_IFIFO || type == S_IFSOCK || type == S_IFCHR ||
           type == S_IFBLK;
}

/* The mapped type of a file (a guest fifo is a plain host file), or its real one. */
static uint32_t guest_type(struct fs_local *l, struct fs_node *n)
{
    uint64_t m;
    if (l->security == FS_SECURITY_MAPPED && n->type == S_IFREG &&
        map_get(n->fd, MAPPED_MODE, &m) && mapped_type_ok((uint32_t)m & S_IFMT))
        return (uint32_t)m & S_IFMT;
    return n->type;
}

static int host_flags(uint32_t flags, bool read_only)
{
    int acc = flags & O_ACCMODE;
    if (acc == 3)
        return -EINVAL;
    if (read_only && (acc != O_RDONLY || (flags & (O_TRUNC | O_APPEND))))
        return -EROFS;
    /* Only what means something for a regular file or directory; O_DIRECT, O_ASYNC,
     * O_NOATIME and the like are the guest's business. */
    return acc | (flags & (O_TRUNC | O_APPEND | O_SYNC | O_DSYNC)) | O_CLOEXEC | O_NOCTTY;
}

static int reopen(struct fs_node *n, int hflags)
{
    char p[32];
    proc_path(n->fd, p);
    int fd = open(p, hflags);
    if (fd < 0)
        return -errno;
    /* The same inode, still (nothing but a kernel bug could change it). */
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_ino != n->ino || st.st_dev != n->dev) {
        close(fd);
        return -EIO;
    }
    close(n->fd);
    n->fd = fd;
    n->opened = true;
    return 0;
}

static int op_open(struct fs_device *fs, struct fs_node *n, uint32_t flags, struct fs_qid *qid)
{
    struct fs_local *l = L(fs);
    if (n->opened)
        return -EBADF;
    int hf = host_flags(flags, fs->read_only);
    if (hf < 0)
        return hf;
    if (n->type == S_IFDIR) {
        if ((hf & O_ACCMODE) != O_RDONLY)
            return -EISDIR;
        hf = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    } else if (n->type == S_IFLNK) {
        return -ELOOP;
    } else if (n->type != S_IFREG || guest_type(l, n) != S_IFREG) {
        /* Device nodes, fifos and sockets are never opened on the host (CVE-2023-2861). */
        log_once_in(&l->logged, LOG_WARN, "fs", "guest tried to open a special file: "
                    "refused");
        return -EACCES;
    }
    int r = reopen(n, hf);
    if (r < 0)
        return r;
    return op_qid(fs, n, qid);
}

static int op_create(struct fs_device *fs, struct fs_node *dir, const char *name,
                     uint32_t flags, uint32_t mode, const struct fs_cred *cred,
                     struct fs_qid *qid)
{
    struct fs_local *l = L(fs);
    if (fs->read_only)
        return -EROFS;
    if (dir->type != S_IFDIR || dir->opened)
        return dir->type != S_IFDIR ? -ENOTDIR : -EBADF;
    if (!fs_name_valid(name))
        return -EINVAL;
    int hf = host_flags(flags, false);
    if (hf < 0)
        return hf;
    uint32_t host_mode = l->security == FS_SECURITY_MAPPED ? 0600 : (mode & 0777);
    /* O_EXCL always: with it O_CREAT never follows a symlink or opens a fifo. */
    int fd = openat(dir->fd, name, hf | O_CREAT | O_EXCL | O_NOFOLLOW, host_mode);
    bool made = fd >= 0;
    if (fd < 0 && errno == EEXIST && !(flags & O_EXCL)) {
        /* An existing file: open it as lopen would (regular files only). */
        struct fs_node *n;
        int r = op_walk(fs, dir, name, &n);
        if (r < 0)
            return r;
        r = op_open(fs, n, flags, qid);
        if (r < 0) {
            op_release(fs, n);
            return r;
        }
        close(dir->fd);
        *dir = *n;
        free(n);
        __atomic_fetch_sub(&l->nodes, 1, __ATOMIC_RELAXED);
        return 0;
    }
    if (fd < 0)
        return -errno;
    struct stat st;
    int r = fstat(fd, &st) < 0 ? -errno : 0;
    if (r == 0 && made)
        r = apply_owner(l, fd, S_IFREG, mode, 0, cred);
    if (r < 0) {
        close(fd);
        unlinkat(dir->fd, name, 0);
        return r;
    }
    close(dir->fd);
    *dir = (struct fs_node){.fd = fd, .opened = true, .type = S_IFREG, .dev = st.st_dev,
                            .ino = st.st_ino};
    return op_qid(fs, dir, qid);
}

static ssize_t op_read(struct fs_device *fs, struct fs_node *n, uint64_t off,
                       const struct iovec *iov, unsigned iovcnt)
{
    if (!n->opened || n->type != S_IFREG)
        return n->type == S_IFDIR ? -EISDIR : -EBADF;
    if (off > INT64_MAX)
        return -EINVAL;
    ssize_t r = preadv(n->fd, iov, (int)iovcnt, (off_t)off);
    return r < 0 ? -errno : r;
}

static ssize_t op_write(struct fs_device *fs, struct fs_node *n, uint64_t off,
                        const struct iovec *iov, unsigned iovcnt)
{
    if (fs->read_only)
        return -EROFS;
    if (!n->opened || n->type != S_IFREG)
        return n->type == S_IFDIR ? -EISDIR : -EBADF;
    if (off > INT64_MAX)
        return -EINVAL;
    ssize_t r = pwritev(n->fd, iov, (int)iovcnt, (off_t)off);
    return r < 0 ? -errno : r;
}

static int op_getattr(struct fs_device *fs, struct fs_node *n, struct fs_attr *a)
{
    struct fs_local *l = L(fs);
    struct stat st;
    if (fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    *a = (struct fs_attr){
        .mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid, .nlink = st.st_nlink,
        .rdev = st.st_rdev, .size = (uint64_t)st.st_size, .blksize = (uint64_t)st.st_blksize,
        .blocks = (uint64_t)st.st_blocks,
        .atime_sec = st.st_atim.tv_sec, .atime_nsec = (uint32_t)st.st_atim.tv_nsec,
        .mtime_sec = st.st_mtim.tv_sec, .mtime_nsec = (uint32_t)st.st_mtim.tv_nsec,
        .ctime_sec = st.st_ctim.tv_sec, .ctime_nsec = (uint32_t)st.st_ctim.tv_nsec,
    };
    if (l->security == FS_SECURITY_MAPPED && !S_ISLNK(st.st_mode)) {
        uint64_t v;
        if (map_get(n->fd, MAPPED_UID, &v))
            a->uid = (uint32_t)v;
        if (map_get(n->fd, MAPPED_GID, &v))
            a->gid = (uint32_t)v;
        if (map_get(n->fd, MAPPED_MODE, &v)) {
            /* A host directory stays a directory whatever its xattr says. */
            uint32_t type = st.st_mode & S_IFMT;
            if (S_ISREG(st.st_mode) && mapped_type_ok((uint32_t)v & S_IFMT))
                type = (uint32_t)v & S_IFMT;
            a->mode = type | ((uint32_t)v & 07777);
        }
        if (S_ISREG(st.st_mode) && map_get(n->fd, MAPPED_RDEV, &v))
            a->rdev = v;
    }
    a->qid = (struct fs_qid){.type = qid_type(st.st_mode),
                             .path = qid_path(l, st.st_dev, st.st_ino)};
    return 0;
}

static int op_setattr(struct fs_device *fs, struct fs_node *n, const struct fs_setattr *s)
{
    struct fs_local *l = L(fs);
    if (fs->read_only)
        return -EROFS;
    char p[32];
    proc_path(n->fd, p);
    bool lnk = n->type == S_IFLNK;
    if (s->valid & FS_SET_MODE) {
        if (l->security == FS_SECURITY_MAPPED) {
            if (!lnk) {
                uint32_t type = guest_type(l, n);
                if (map_set(n->fd, MAPPED_MODE, type | (s->mode & 07777)) < 0)
                    return -errno;
            }
        } else if (!lnk && chmod(p, s->mode & 07777) < 0) {
            return -errno;
        }
    }
    if (s->valid & (FS_SET_UID | FS_SET_GID)) {
        uid_t uid = s->valid & FS_SET_UID ? s->uid : (uid_t)-1;
        gid_t gid = s->valid & FS_SET_GID ? s->gid : (gid_t)-1;
        if (l->security == FS_SECURITY_MAPPED) {
            if (!lnk && (((s->valid & FS_SET_UID) && map_set(n->fd, MAPPED_UID, uid) < 0) ||
                         ((s->valid & FS_SET_GID) && map_set(n->fd, MAPPED_GID, gid) < 0)))
                return -errno;
        } else if (l->security == FS_SECURITY_PASSTHROUGH &&
                   fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
            return -errno;
        }
    }
    if (s->valid & FS_SET_SIZE) {
        if (n->type != S_IFREG)
            return n->type == S_IFDIR ? -EISDIR : -EINVAL;
        if (s->size > INT64_MAX)
            return -EFBIG;
        if (truncate(p, (off_t)s->size) < 0)
            return -errno;
    }
    if (s->valid & (FS_SET_ATIME | FS_SET_MTIME)) {
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
        if (s->valid & FS_SET_ATIME)
            ts[0] = s->valid & FS_SET_ATIME_SET
                        ? (struct timespec){.tv_sec = s->atime_sec, .tv_nsec = s->atime_nsec}
                        : (struct timespec){.tv_nsec = UTIME_NOW};
        if (s->valid & FS_SET_MTIME)
            ts[1] = s->valid & FS_SET_MTIME_SET
                        ? (struct timespec){.tv_sec = s->mtime_sec, .tv_nsec = s->mtime_nsec}
                        : (struct timespec){.tv_nsec = UTIME_NOW};
        if ((ts[0].tv_nsec >= 1000000000 && ts[0].tv_nsec != UTIME_NOW &&
             ts[0].tv_nsec != UTIME_OMIT) ||
            (ts[1].tv_nsec >= 1000000000 && ts[1].tv_nsec != UTIME_NOW &&
             ts[1].tv_nsec != UTIME_OMIT))
            return -EINVAL;
        int r = lnk ? utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
                    : utimensat(AT_FDCWD, p, ts, 0);
        if (r < 0)
            return -errno;
    }
    return 0;
}

static int op_readdir(struct fs_device *fs, struct fs_node *dir, uint64_t off, fs_dirent_fn fn,
                      void *opaque)
{
    struct fs_local *l = L(fs);
    if (!dir->opened || dir->type != S_IFDIR)
        return -EBADF;
    if (off > INT64_MAX || lseek(dir->fd, (off_t)off, SEEK_SET) < 0)
        return off > INT64_MAX ? -EINVAL : -errno;
    /* getdents64's d_off cookies are what the guest gets as offsets: stable across calls
     * and across entries added or removed meanwhile, as the host filesystem makes them. */
    char buf[16384] __attribute__((aligned(8)));
    for (;;) {
        long got = syscall(SYS_getdents64, dir->fd, buf, sizeof(buf));
        if (got < 0)
            return -errno;
        if (got == 0)
            return 0;
        for (long pos = 0; pos < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + pos);
            pos += d->d_reclen;
            uint8_t t = d->d_type;
            struct fs_qid q = {
                .type = t == DT_DIR ? FS_QID_DIR : t == DT_LNK ? FS_QID_SYMLINK : FS_QID_FILE,
                .path = qid_path(l, dir->dev, d->d_ino),
            };
            if (fn(opaque, &q, (uint64_t)d->d_off, t, d->d_name, strlen(d->d_name)) > 0)
                return 0;
        }
    }
}

/* Finishes a mkdir/symlink/mknod: owner and mode, the qid; undoes it on failure. */
static int finish_new(struct fs_local *l, struct fs_node *dir, const char *name, uint32_t type,
                      uint32_t mode, uint64_t rdev, const struct fs_cred *cred,
                      struct fs_qid *qid)
{
    int fd = lookup(dir->fd, name);
    int r = fd;
    if (fd >= 0) {
        struct stat st;
        r = fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        if (r == 0)
            r = apply_owner(l, fd, type, mode, rdev, cred);
        if (r == 0)
            *qid = (struct fs_qid){.type = qid_type(st.st_mode),
                                   .path = qid_path(l, st.st_dev, st.st_ino)};
        close(fd);
    }
    if (r < 0)
        unlinkat(dir->fd, name, type == S_IFDIR ? AT_REMOVEDIR : 0);
    return r;
}

static int check_dir_name(struct fs_device *fs, struct fs_node *dir, const char *name)
{
    if (fs->read_only)
        return -EROFS;
    if (dir->type != S_IFDIR)
        return -ENOTDIR;
    return fs_name_valid(name) ? 0 : -EINVAL;
}

static int op_mkdir(struct fs_device *fs, struct fs_node *dir, const char *name, uint32_t mode,
                    const struct fs_cred *cred, struct fs_qid *qid)
{
    struct fs_local *l = L(fs);
    int r = check_dir_name(fs, dir, name);
    if (r < 0)
        return r;
    if (mkdirat(dir->fd, name, l->security == FS_SECURITY_MAPPED ? 0700 : (mode & 0777)) < 0)
        return -errno;
    return finish_new(l, dir, name, S_IFDIR, mode, 0, cred, qid);
}

static int op_symlink(struct fs_device *fs, struct fs_node *dir, const char *name,
                      const char *target, const struct fs_cred *cred, struct fs_qid *qid)
{
    int r = check_dir_name(fs, dir, name);
    if (r < 0)
        return r;
    if (!target[0])
        return -ENOENT;
    /* The target is only text to the host: nothing here ever follows it. */
    if (symlinkat(target, dir->fd, name) < 0)
        return -errno;
    return finish_new(L(fs), dir, name, S_IFLNK, 0777, 0, cred, qid);
}

static int op_mknod(struct fs_device *fs, struct fs_node *dir, const char *name, uint32_t mode,
                    uint64_t rdev, const struct fs_cred *cred, struct fs_qid *qid)
{
    struct fs_local *l = L(fs);
    int r = check_dir_name(fs, dir, name);
    if (r < 0)
        return r;
    uint32_t type = mode & S_IFMT;
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
        type != S_IFBLK)
        return -EINVAL;
    /* A real device node would give every host user who can reach the share whatever
     * access the guest chose to a host device: only mapped has them (as plain files). */
    if (l->security != FS_SECURITY_MAPPED && (type == S_IFCHR || type == S_IFBLK))
        return -EPERM;
    if (l->security == FS_SECURITY_MAPPED) {
        /* A plain, empty host file; what it is to the guest lives in its xattrs. */
        int fd = openat(dir->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
        if (fd < 0)
            return -errno;
        close(fd);
    } else if (mknodat(dir->fd, name, type | (mode & 0777), (dev_t)rdev) < 0) {
        return -errno;
    }
    return finish_new(l, dir, name, type, mode, rdev, cred, qid);
}

static int op_link(struct fs_device *fs, struct fs_node *dir, const char *name,
                   struct fs_node *target)
{
    int r = check_dir_name(fs, dir, name);
    if (r < 0)
        return r;
    if (target->type == S_IFDIR)
        return -EPERM;
    char p[32];
    proc_path(target->fd, p);
    /* The magic link lands on the target's own inode (a symlink is linked, not followed). */
    if (linkat(AT_FDCWD, p, dir->fd, name, AT_SYMLINK_FOLLOW) < 0)
        return -errno;
    return 0;
}

static int op_renameat(struct fs_device *fs, struct fs_node *olddir, const char *oldname,
                       struct fs_node *newdir, const char *newname)
{
    int r = check_dir_name(fs, olddir, oldname);
    if (r == 0)
        r = check_dir_name(fs, newdir, newname);
    if (r < 0)
        return r;
    return renameat(olddir->fd, oldname, newdir->fd, newname) < 0 ? -errno : 0;
}

static int op_unlinkat(struct fs_device *fs, struct fs_node *dir, const char *name, int flags)
{
    int r = check_dir_name(fs, dir, name);
    if (r < 0)
        return r;
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return unlinkat(dir->fd, name, flags) < 0 ? -errno : 0;
}

/* Whether dir/name is still the inode n holds (it may have been renamed or replaced since
 * n was walked to: then the name is someone else's and must not be touched). */
static int still_named(struct fs_node *dir, const char *name, const struct fs_node *n)
{
    struct stat st;
    if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return st.st_ino == n->ino && st.st_dev == n->dev ? 0 : -ENOENT;
}

static int op_remove(struct fs_device *fs, struct fs_node *dir, const char *name,
                     struct fs_node *n)
{
    int r = check_dir_name(fs, dir, name);
    if (r == 0)
        r = still_named(dir, name, n);
    if (r < 0)
        return r;
    return unlinkat(dir->fd, name, n->type == S_IFDIR ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
}

static int op_rename(struct fs_device *fs, struct fs_node *dir, const char *name,
                     struct fs_node *n, struct fs_node *newdir, const char *newname)
{
    int r = check_dir_name(fs, dir, name);
    if (r == 0)
        r = check_dir_name(fs, newdir, newname);
    if (r == 0)
        r = still_named(dir, name, n);
    if (r < 0)
        return r;
    return renameat(dir->fd, name, newdir->fd, newname) < 0 ? -errno : 0;
}

static ssize_t op_readlink(struct fs_device *fs, struct fs_node *n, char *buf, size_t len)
{
    if (n->type != S_IFLNK)
        return -EINVAL;
    ssize_t r = readlinkat(n->fd, "", buf, len);
    return r < 0 ? -errno : r;
}

static int op_statfs(struct fs_device *fs, struct fs_node *n, struct fs_statfs *out)
{
    struct statfs st;
    if (fstatfs(n->fd, &st) < 0)
        return -errno;
    uint64_t fsid;
    memcpy(&fsid, &st.f_fsid, sizeof(fsid));
    *out = (struct fs_statfs){
        .type = (uint32_t)st.f_type, .bsize = (uint32_t)st.f_bsize,
        .namelen = (uint32_t)st.f_namelen, .blocks = st.f_blocks, .bfree = st.f_bfree,
        .bavail = st.f_bavail, .files = st.f_files, .ffree = st.f_ffree, .fsid = fsid,
    };
    return 0;
}

static int op_fsync(struct fs_device *fs, struct fs_node *n, bool datasync)
{
    if (!n->opened)
        return -EBADF;
    int r = datasync ? fdatasync(n->fd) : fsync(n->fd);
    return r < 0 ? -errno : 0;
}

static int to_flock(uint8_t type, uint64_t start, uint64_t length, struct flock *fl)
{
    short t = type == FS_LOCK_RDLCK ? F_RDLCK : type == FS_LOCK_WRLCK ? F_WRLCK
            : type == FS_LOCK_UNLCK ? F_UNLCK : -1;
    if (t < 0 || start > INT64_MAX || length > INT64_MAX)
        return -EINVAL;
    *fl = (struct flock){.l_type = t, .l_whence = SEEK_SET, .l_start = (off_t)start,
                         .l_len = (off_t)length};
    return 0;
}

static int op_lock(struct fs_device *fs, struct fs_node *n, uint8_t type, uint64_t start,
                   uint64_t length)
{
    if (!n->opened || n->type != S_IFREG)
        return -EBADF;
    struct flock fl;
    int r = to_flock(type, start, length, &fl);
    if (r < 0)
        return r;
    /* Open-file-description locks: each guest open (fid) owns its locks, so two guest
     * processes conflict as they would on a local disk, although kite is one process. */
    if (fcntl(n->fd, F_OFD_SETLK, &fl) < 0) {
        if (errno == EAGAIN || errno == EACCES)
            return FS_LOCK_BLOCKED;
        return -errno;
    }
    return FS_LOCK_SUCCESS;
}

static int op_getlock(struct fs_device *fs, struct fs_node *n, uint8_t *type, uint64_t *start,
                      uint64_t *length)
{
    if (!n->opened || n->type != S_IFREG)
        return -EBADF;
    struct flock fl;
    int r = to_flock(*type, *start, *length, &fl);
    if (r < 0)
        return r;
    if (fcntl(n->fd, F_OFD_GETLK, &fl) < 0)
        return -errno;
    *type = fl.l_type == F_RDLCK ? FS_LOCK_RDLCK : fl.l_type == F_WRLCK ? FS_LOCK_WRLCK
                                                                        : FS_LOCK_UNLCK;
    *start = (uint64_t)fl.l_start;
    *length = (uint64_t)fl.l_len;
    return 0;
}

/* Guests get the user namespace only; under mapped, not kite's own user.kite.*. */
static bool xattr_name_ok(struct fs_local *l, const char *name)
{
    if (strncmp(name, "user.", 5) || !name[5])
        return false;
    return l->security != FS_SECURITY_MAPPED || strncmp(name, MAPPED_PREFIX,
                                                        strlen(MAPPED_PREFIX));
}

static ssize_t op_getxattr(struct fs_device *fs, struct fs_node *n, const char *name, void *buf,
                           size_t len)
{
    struct fs_local *l = L(fs);
    if (n->type == S_IFLNK)
        return name ? -ENODATA : 0;
    char p[32];
    proc_path(n->fd, p);
    if (name) {
        if (!xattr_name_ok(l, name))
            return -ENODATA;
        ssize_t r = getxattr(p, name, len ? buf : NULL, len);
        return r < 0 ? -errno : r;
    }
    char *all = malloc(XATTR_LIST_MAX_BYTES);
    if (!all)
        return -ENOMEM;
    ssize_t got = listxattr(p, all, XATTR_LIST_MAX_BYTES);
    if (got < 0) {
        free(all);
        return -errno;
    }
    size_t out = 0;
    for (ssize_t i = 0; i < got;) {
        size_t nl = strnlen(all + i, (size_t)(got - i));
        if (i + (ssize_t)nl < got && xattr_name_ok(l, all + i)) {
            if (len && out + nl + 1 > len) {
                free(all);
                return -ERANGE;
            }
            if (len)
                memcpy((char *)buf + out, all + i, nl + 1);
            out += nl + 1;
        }
        i += (ssize_t)nl + 1;
    }
    free(all);
    return (ssize_t)out;
}

static int op_xattr_settable(struct fs_device *fs, struct fs_node *n, const char *name)
{
    if (fs->read_only)
        return -EROFS;
    if (!xattr_name_ok(L(fs), name))
        return -EOPNOTSUPP;
    return n->type == S_IFLNK ? -EPERM : 0;
}

static int op_setxattr(struct fs_device *fs, struct fs_node *n, const char *name,
                       const void *value, size_t len, int flags)
{
    int r = op_xattr_settable(fs, n, name);
    if (r < 0)
        return r;
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
        return -EINVAL;
    char p[32];
    proc_path(n->fd, p);
    r = value ? setxattr(p, name, value, len, flags) : removexattr(p, name);
    return r < 0 ? -errno : 0;
}

static const struct fs_ops local_ops = {
    .root = op_root, .walk = op_walk, .clone = op_clone, .release = op_release,
    .qid = op_qid, .open = op_open, .create = op_create, .read = op_read, .write = op_write,
    .getattr = op_getattr, .setattr = op_setattr, .readdir = op_readdir, .mkdir = op_mkdir,
    .symlink = op_symlink, .mknod = op_mknod, .link = op_link, .renameat = op_renameat,
    .unlinkat = op_unlinkat, .remove = op_remove, .rename = op_rename, .readlink = op_readlink, .statfs = op_statfs,
    .fsync = op_fsync, .lock = op_lock, .getlock = op_getlock, .getxattr = op_getxattr,
    .xattr_settable = op_xattr_settable, .setxattr = op_setxattr,
};

int fs_local_open(const struct fs_config *cfg, struct fs_device **out)
{
    int fd = open(cfg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        log_error("fs", "%s: %s", cfg->path,
                  e == ENOTDIR ? "not a directory" : strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        log_error("fs", "%s: %s", cfg->path, strerror(e));
        return -e;
    }
    struct fs_local *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        return -ENOMEM;
    }
    l->pub = (struct fs_device){.ops = &local_ops, .read_only = cfg->read_only};
    l->root_fd = fd;
    l->root_dev = st.st_dev;
    l->root_ino = st.st_ino;
    l->security = cfg->security;
    *out = &l->pub;
    return 0;
}

void fs_local_close(struct fs_device *fs)
{
    if (!fs)
        return;
    close(L(fs)->root_fd);
    free(L(fs));
}

unsigned fs_local_open_nodes(const struct fs_device *fs)
{
    return __atomic_load_n(&((const struct fs_local *)fs)->nodes, __ATOMIC_RELAXED);
}
