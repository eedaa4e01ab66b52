/*
 * Memory for generated host code, never writable and executable at once (W^X).
 *
 * One memfd is mapped twice: a read-write view the translator writes through and a
 * read-execute view the host runs. No address is ever both writable and executable, so a
 * stray write through a guest-controlled pointer cannot plant code.
 */
#ifndef KITE_RISCV_JIT_CODEBUF_H
#define KITE_RISCV_JIT_CODEBUF_H

#include <stddef.h>
#include <stdint.h>

struct jit_codebuf {
    uint8_t *rw;        /* write view */
    uint8_t *rx;        /* execute view of the same bytes */
    size_t size;
    size_t used;
    size_t keep;        /* bytes at the start a reset keeps (code every block shares) */
};

/* Returns 0 or a negative errno. */
int jit_codebuf_init(struct jit_codebuf *cb, size_t size);
void jit_codebuf_destroy(struct jit_codebuf *cb);
/*
 * Forgets everything written after the first `keep` bytes (the caller drops every pointer
 * into it first) and gives that memory back to the host until it is written again.
 */
void jit_codebuf_reset(struct jit_codebuf *cb);
/* Execute-view address of a write-view pointer. */
static inline const uint8_t *jit_codebuf_exec_addr(const struct jit_codebuf *cb,
                                                    const uint8_t *rw)
{
    return cb->rx + (rw - cb->rw);
}

#endif
