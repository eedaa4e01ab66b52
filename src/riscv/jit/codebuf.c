/* W^X code memory: two views of one memfd (see codebuf.h). */
#define _GNU_SOURCE
#include "riscv/jit/codebuf.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int jit_codebuf_init(struct jit_codebuf *cb, size_t size)
{
    cb->rw = cb->rx = NULL;
    cb->size = cb->used = cb->keep = 0;
    int fd = memfd_create("kite-jit", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    /*
     * Populated up front: a Linux boot fills the whole buffer anyway, and faulting it in
     * page by page, once through each view, cost ~4,100 page faults per boot (3% of the
     * boot time where a fault means a hypervisor exit).
     */
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (rw == MAP_FAILED) {
        int e = -errno;
        close(fd);
        return e;
    }
    void *rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_POPULATE, fd, 0);
    int e = rx == MAP_FAILED ? -errno : 0;
    close(fd); /* the mappings keep the memory */
    if (e) {
        munmap(rw, size);
        return e;
    }
    cb->rw = rw;
    cb->rx = rx;
    cb->size = size;
    return 0;
}

void jit_codebuf_reset(struct jit_codebuf *cb)
{
    /* Frees the memfd's pages (both views see zeros again); failure only costs memory. */
    size_t from = (cb->keep + 4095) & ~(size_t)4095;
    size_t to = (cb->used + 4095) & ~(size_t)4095;
    if (to > cb->size)
        to = cb->size;
    if (to > from)
        (void)madvise(cb->rw + from, to - from, MADV_REMOVE);
    cb->used = cb->keep;
}

void jit_codebuf_destroy(struct jit_codebuf *cb)
{
    if (cb->rw)
        munmap(cb->rw, cb->size);
    if (cb->rx)
        munmap(cb->rx, cb->size);
    cb->rw = cb->rx = NULL;
    cb->size = cb->used = cb->keep = 0;
}
