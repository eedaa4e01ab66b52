/*
 * Filesystem backends (the FSDevice): what a virtio-9p device serves. The device speaks 9P
 * and never calls the host OS; it holds fs_node handles and asks the backend to walk, open,
 * read, create... one name at a time.
 *
 * The host-directory backend (fs_local.c) is a jail: every node holds a host file
 * descriptor (O_PATH until opened), never a path, and every lookup is one component
 * relative to a directory descriptor that does not follow symlinks. ".." at the share root
 * stays at the root; a name that is empty, ".", "..", or contains '/' is refused where one
 * name is expected; symlinks are returned as symlinks, never followed; device nodes, fifos
 * and sockets are never opened for I/O.
 *
 * Errors are negative errnos (Linux's, which 9P2000.L hands to the guest as they are).
 *
 * Thread safety: the operations may run concurrently (the 9P device's workers), on
 * different nodes or on one node; a node is never changed by one operation while another
 * uses it, except `open` and `create`, which the caller runs on a node of its own (a clone).
 */
#ifndef KITE_BACKEND_FS_H
#define KITE_BACKEND_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* How the guest's owners and modes reach the host. */
enum fs_security {
    FS_SECURITY_PASSTHROUGH,    /* files get the guest's uid, gid and mode for real */
    FS_SECURITY_MAPPED,         /* kite's uid, safe modes; the guest's in user.kite.* xattrs */
    FS_SECURITY_NONE,           /* as passthrough, ownership changes ignored */
};

struct fs_config {
    const char *path;           /* the shared host directory */
    bool read_only;             /* every change fails with -EROFS */
    enum fs_security security;
};

/* A 9P qid: what the guest uses to tell files apart. */
struct fs_qid {
    uint8_t type;               /* FS_QID_* */
    uint32_t version;
    uint64_t path;
};
#define FS_QID_DIR 0x80
#define FS_QID_SYMLINK 0x02
#define FS_QID_FILE 0x00

struct fs_attr {
    struct fs_qid qid;
    uint32_t mode;              /* type and permission bits, as st_mode */
    uint32_t uid, gid;
    uint64_t nlink, rdev, size, blksize, blocks;
    int64_t atime_sec, mtime_sec, ctime_sec;
    uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};

/* setattr's valid bits (the 9P2000.L values). */
#define FS_SET_MODE 0x1u
#define FS_SET_UID 0x2u
#define FS_SET_GID 0x4u
#define FS_SET_SIZE 0x8u
#define FS_SET_ATIME 0x10u
#define FS_SET_MTIME 0x20u
#define FS_SET_CTIME 0x40u
#define FS_SET_ATIME_SET 0x80u
#define FS_SET_MTIME_SET 0x100u

struct fs_setattr {
    uint32_t valid;
    uint32_t mode, uid, gid;
    uint64_t size;
    int64_t atime_sec, mtime_sec;
    uint32_t atime_nsec, mtime_nsec;
};

struct fs_statfs {
    uint32_t type, bsize, namelen;
    uint64_t blocks, bfree, bavail, files, ffree, fsid;
};

/* Who creates a file (the guest's ids; what passthrough gives the new file). */
struct fs_cred {
    uint32_t uid, gid;
};

/* One directory entry for readdir's callback; returns 0 to go on, > 0 to stop (full). */
typedef int (*fs_dirent_fn)(void *opaque, const struct fs_qid *qid, uint64_t next_offset,
                            uint8_t type, const char *name, size_t name_len);

/* Lock types and results (the 9P2000.L values). */
#define FS_LOCK_RDLCK 0
#define FS_LOCK_WRLCK 1
#define FS_LOCK_UNLCK 2
#define FS_LOCK_SUCCESS 0
#define FS_LOCK_BLOCKED 1

struct fs_node;
struct fs_device;

/*
 * The operations. `name` arguments are one component, checked by the backend
 * (fs_name_valid); nodes passed in belong to this device. A node is a directory, a file,
 * a symlink or a special file; `opened` ones came from open or create.
 */
struct fs_ops {
    int (*root)(struct fs_device *fs, struct fs_node **out);
    /* One step; ".." allowed (stays at the root). */
    int (*walk)(struct fs_device *fs, struct fs_node *dir, const char *name,
                struct fs_node **out);
    int (*clone)(struct fs_device *fs, struct fs_node *n, struct fs_node **out);
    void (*release)(struct fs_device *fs, struct fs_node *n);
    int (*qid)(struct fs_device *fs, struct fs_node *n, struct fs_qid *qid);
    /* Opens a walked node for I/O (Linux open flags); only regular files and directories. */
    int (*open)(struct fs_device *fs, struct fs_node *n, uint32_t flags, struct fs_qid *qid);
    /* Creates and opens dir/name; the node becomes the new file's (replacing dir's). */
    int (*create)(struct fs_device *fs, struct fs_node *dir, const char *name, uint32_t flags,
                  uint32_t mode, const struct fs_cred *cred, struct fs_qid *qid);
    ssize_t (*read)(struct fs_device *fs, struct fs_node *n, uint64_t off,
                    const struct iovec *iov, unsigned iovcnt);
    ssize_t (*write)(struct fs_device *fs, struct fs_node *n, uint64_t off,
                     const struct iovec *iov, unsigned iovcnt);
    int (*getattr)(struct fs_device *fs, struct fs_node *n, struct fs_attr *a);
    int (*setattr)(struct fs_device *fs, struct fs_node *n, const struct fs_setattr *s);
    /* Entries from cookie `off` (0 = start) of an opened directory. */
    int (*readdir)(struct fs_device *fs, struct fs_node *dir, uint64_t off, fs_dirent_fn fn,
                   void *opaque);
    int (*mkdir)(struct fs_device *fs, struct fs_node *dir, const char *name, uint32_t mode,
                 const struct fs_cred *cred, struct fs_qid *qid);
    int (*symlink)(struct fs_device *fs, struct fs_node *dir, const char *name,
                   const char *target, const struct fs_cred *cred, struct fs_qid *qid);
    int (*mknod)(struct fs_device *fs, struct fs_node *dir, const char *name, uint32_t mode,
                 uint64_t rdev, const struct fs_cred *cred, struct fs_qid *qid);
    int (*link)(struct fs_device *fs, struct fs_node *dir, const char *name,
                struct fs_node *target);
    int (*renameat)(struct fs_device *fs, struct fs_node *olddir, const char *oldname,
                    struct fs_node *newdir, const char *newname);
    /* flags: 0 or AT_REMOVEDIR. */
    int (*unlinkat)(struct fs_device *fs, struct fs_node *dir, const char *name, int flags);
    /* Tremove and Trename: n was walked to as dir/name; the name is acted on only while it
     * still names n's inode (-ENOENT otherwise). */
    int (*remove)(struct fs_device *fs, struct fs_node *dir, const char *name,
                  struct fs_node *n);
    int (*rename)(struct fs_device *fs, struct fs_node *dir, const char *name,
                  struct fs_node *n, struct fs_node *newdir, const char *newname);
    /* The target into buf (not terminated); returns its length. */
    ssize_t (*readlink)(struct fs_device *fs, struct fs_node *n, char *buf, size_t len);
    int (*statfs)(struct fs_device *fs, struct fs_node *n, struct fs_statfs *st);
    int (*fsync)(struct fs_device *fs, struct fs_node *n, bool datasync);
    /* Never waits: a conflicting lock gives FS_LOCK_BLOCKED (the guest retries). */
    int (*lock)(struct fs_device *fs, struct fs_node *n, uint8_t type, uint64_t start,
                uint64_t length);
    /* In: the lock asked about; out: the conflicting one, or type FS_LOCK_UNLCK. */
    int (*getlock)(struct fs_device *fs, struct fs_node *n, uint8_t *type, uint64_t *start,
                   uint64_t *length);
    /* name NULL lists the names; len 0 asks for the size. Returns the size. */
    ssize_t (*getxattr)(struct fs_device *fs, struct fs_node *n, const char *name, void *buf,
                        size_t len);
    /* Whether the guest may set `name` on n at all (asked before the value arrives). */
    int (*xattr_settable)(struct fs_device *fs, struct fs_node *n, const char *name);
    /* value NULL (len 0) removes. flags: XATTR_CREATE / XATTR_REPLACE. */
    int (*setxattr)(struct fs_device *fs, struct fs_node *n, const char *name,
                    const void *value, size_t len, int flags);
};

struct fs_device {
    const struct fs_ops *ops;
    bool read_only;
};

/* Opens the host-directory backend (logs why on failure). */
int fs_local_open(const struct fs_config *cfg, struct fs_device **out);
void fs_local_close(struct fs_device *fs);
/* How many nodes (each one host fd) are alive, for caps and tests. */
unsigned fs_local_open_nodes(const struct fs_device *fs);

/* A single name: not empty, not "." or "..", no '/'. (NUL cannot be in a C string; the
 * 9P decoder refuses strings that hold one.) */
bool fs_name_valid(const char *name);

#endif
