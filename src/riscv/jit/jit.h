/*
 * The JIT engine of the RV64 hart: translates guest code a block at a time into host code
 * and runs it, with the interpreter (cpu.c) for whatever it does not translate. Blocks are
 * keyed by guest virtual pc and the physical RAM page holding the code; they are valid as
 * long as the decode cache's page for that RAM page is (dcache.c bumps a generation each
 * time it forgets one), so the invalidation rules of the decode cache cover them too.
 */
#ifndef KITE_RISCV_JIT_H
#define KITE_RISCV_JIT_H

#include <stdint.h>

struct rv_cpu;
struct rv_jit;

#include <stdbool.h>

/* Whether this build has a backend for the host. */
bool rv_jit_available(void);
/* NULL with errno-style failure in *err (-ENOTSUP where no backend exists). */
struct rv_jit *rv_jit_new(int *err);
void rv_jit_free(struct rv_jit *jit);
/* Runs the hart until instret reaches cpu->limit or something zeroes cpu->limit. */
void rv_jit_exec(struct rv_cpu *cpu);
/*
 * Code is translated the `runs`-th time it runs (1: at once; the default suits a boot).
 * Tests that want every instruction translated set 1.
 */
void rv_jit_set_hot_runs(struct rv_jit *jit, unsigned runs);
/* Logs translation statistics (kite run -v). */
void rv_jit_log_stats(const struct rv_jit *jit);

struct rv_jit_stats {
    uint64_t blocks;        /* translations made */
    uint64_t guest_insns;   /* guest instructions in them */
    uint64_t code_bytes;    /* host code generated, in total */
    uint64_t chains;        /* exits linked straight to the next block */
    uint64_t loops;         /* translations that loop to their start in host registers */
    uint64_t dispatches;    /* blocks entered from C (not through a chain or jump cache) */
    uint64_t jc_hits;       /* ... of which the jump cache found */
    uint64_t flushes;       /* times the whole cache was dropped (fence.i, reset) */
    uint64_t evictions;     /* times the oldest region of the cache was emptied (full) */
    uint64_t interp_steps;  /* times the interpreter ran in between */
};
void rv_jit_get_stats(const struct rv_jit *jit, struct rv_jit_stats *st);

#endif
