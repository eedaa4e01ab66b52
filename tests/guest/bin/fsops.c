/*
 * Filesystem calls busybox has no applet for, for the guest tests of shared folders:
 *   fsops setxattr FILE NAME VALUE    set a user xattr
 *   fsops getxattr FILE NAME          print its value
 *   fsops fcntl FILE                  try a write lock (F_SETLK): prints "locked" or "busy"
 *   fsops flock FILE                  try flock(LOCK_EX|LOCK_NB): prints "locked" or "busy"
 *   fsops lockpair FILE               a child tries to lock what its parent holds (fcntl and
 *                                     flock): prints "fcntl:busy flock:busy" when both conflict
 *   fsops unlinked FILE               write, unlink while open, read back: prints what came back
 * Exit status 0 when the calls worked (whatever the answer), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "fsops: %s: %s\n", what, strerror(errno));
    return 1;
}

static int try_fcntl(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return 1;
    return errno == EAGAIN || errno == EACCES ? 0 : -1;
}

static int try_flock(int fd)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 1;
    return errno == EWOULDBLOCK ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *cmd = argv[1], *file = argv[2];
    if (!strcmp(cmd, "setxattr") && argc == 5) {
        if (setxattr(file, argv[3], argv[4], strlen(argv[4]), 0) < 0)
            return fail("setxattr");
        return 0;
    }
    if (!strcmp(cmd, "getxattr") && argc == 4) {
        char buf[4096];
        ssize_t n = getxattr(file, argv[3], buf, sizeof(buf) - 1);
        if (n < 0)
            return fail("getxattr");
        buf[n] = 0;
        printf("%s\n", buf);
        return 0;
    }
    if (!strcmp(cmd, "fcntl") || !strcmp(cmd, "flock")) {
        int fd = open(file, O_RDWR);
        if (fd < 0)
            return fail("open");
        int r = cmd[1] == 'c' ? try_fcntl(fd) : try_flock(fd);
        if (r < 0)
            return fail(cmd);
        printf("%s\n", r ? "locked" : "busy");
        return 0;
    }
    if (!strcmp(cmd, "lockpair")) {
        /* One kind at a time: the server keeps each open's locks apart (OFD locks), so a
         * process's fcntl lock and its flock on one file would conflict there. */
        int fd = open(file, O_RDWR);
        if (fd < 0)
            return fail("open");
        const char *res[2];
        for (int kind = 0; kind < 2; kind++) {
            if ((kind ? try_flock(fd) : try_fcntl(fd)) != 1)
                return fail("lock in the parent");
            pid_t pid = fork();
            if (pid == 0) {
                int c = open(file, O_RDWR);
                int r = c < 0 ? -1 : kind ? try_flock(c) : try_fcntl(c);
                _exit(r == 0 ? 10 : r > 0 ? 11 : 12);
            }
            int st;
            waitpid(pid, &st, 0);
            int code = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
            res[kind] = code == 10 ? "busy" : code == 11 ? "locked" : "error";
            struct flock un = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
            if (kind ? flock(fd, LOCK_UN) : fcntl(fd, F_SETLK, &un))
                return fail("unlock");
        }
        printf("fcntl:%s flock:%s\n", res[0], res[1]);
        return 0;
    }
    if (!strcmp(cmd, "unlinked")) {
        int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return fail("open");
        const char msg[] = "still-here";
        if (write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
            return fail("write");
        if (unlink(file) < 0)
            return fail("unlink");
        if (access(file, F_OK) == 0)
            return fail("the name is still there");
        char buf[64] = {0};
        if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
            return fail("pread");
        printf("%s\n", buf);
        return 0;
    }
    return 2;
}
