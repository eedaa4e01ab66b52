/*
 * Between the guest side of the JIT (jit.c: finding, decoding and caching blocks, and the
 * helpers generated code calls) and a host backend (x86_64_backend.c) that turns a decoded
 * block into machine code. A second host architecture implements jit_backend_emit().
 */
#ifndef KITE_RISCV_JIT_BACKEND_H
#define KITE_RISCV_JIT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riscv/cpu_internal.h"

/* A block is at most this many guest instructions, so interrupts wait at most that long. */
#define JIT_MAX_INSNS 64

/* One decoded guest instruction (fields as in struct rv_drec; op is an enum rv_op). */
struct jit_insn {
    uint64_t pc;
    int32_t imm;
    uint32_t insn;     /* RV_OP_GENERIC: the 32-bit instruction (expanded if compressed) */
    uint32_t raw;      /* as in memory (16 bits if compressed): what tval reports */
    uint8_t op, rd, rs1, rs2, len;
};

/* Code all blocks share, made once before any (jit_backend_stubs): execute addresses. */
struct jit_stubs {
    uintptr_t load, store;     /* the slow paths of loads and stores */
    uintptr_t generic;         /* rv_jit_generic's */
};

/*
 * A run of instructions in one guest page. Only the last may be a jump (jal, jalr) or a
 * SYSTEM instruction; conditional branches may come anywhere (a taken one leaves the
 * block). If the last does not transfer control, the block falls through to the
 * instruction after it.
 */
struct jit_block_src {
    unsigned n;
    uintptr_t tag;             /* stored in cpu->jit_block when it leaves by a chainable exit */
    uintptr_t jump_cache;      /* the JIT's struct jit_jc_entry[JIT_JC_SIZE] */
    struct jit_stubs stubs;
    struct jit_insn in[JIT_MAX_INSNS];
};

/*
 * The jump cache: guest pc -> chain entry of its block, for exits whose target is not
 * known when the block is translated (jalr) or lies in another page. An entry is good
 * while cpu->code_epoch still has the value it was filled with (no decoded code was
 * forgotten since) and the fetch TLB (cpu->itlb) still maps the pc's page to the same
 * host page: TLB flushes, sfence.vma and privilege changes need no epoch of their own.
 */
#define JIT_JC_BITS 12
#define JIT_JC_SIZE (1u << JIT_JC_BITS)
#define JIT_JC_SHIFT 6         /* log2 of the entry size */
struct jit_jc_entry {
    uint64_t vpc;
    uint64_t epoch;
    uint64_t addend;           /* of the fetch TLB entry it was filled under */
    uintptr_t entry;
    uintptr_t block;           /* the front end's struct jit_block */
    uint64_t unused[3];
};

/* True for the SYSTEM instructions (CSRs, ecall, xRET, wfi, sfence.vma) that end a block. */
static inline bool jit_insn_is_system(const struct jit_insn *i)
{
    return i->op == RV_OP_GENERIC && (i->insn & 0x7f) == 0x73;
}

/* What jit_backend_emit says about the code it made. */
struct jit_emitted {
    size_t chain_entry;        /* the offset where other blocks may jump in (see below) */
    bool loop;                 /* it loops back to its start in host registers */
};

/*
 * Host code for `b`, a function void f(struct rv_cpu *) that runs the block and leaves pc
 * and instret for the next one. `exec` is the address `buf` will run at. Returns its size,
 * or -ENOSPC if `cap` bytes do not suffice.
 *
 * Chaining: an exit to a constant guest address in the block's own page stores the
 * execute-view address of a patchable jump in cpu->jit_exit before it returns. The front
 * end may point that jump (jit_backend_chain) at the chain entry of the block for that
 * address, if it comes from the same page and generation. Other exits look their target
 * up in the jump cache and jump there if it hits. A chain entry returns to the front end,
 * with pc set to its block's start and instret counted, unless the whole block fits under
 * cpu->limit (which a kick sets to 0), so budgets and interrupts work as without chaining.
 * Neither pc nor instret is kept in memory while generated code runs: helpers find them
 * set when they are called, and the front end when the code returns.
 */
long jit_backend_emit(const struct jit_block_src *b, uint8_t *buf, size_t cap,
                      uintptr_t exec, struct jit_emitted *out);
/*
 * The shared code into `buf` (`exec` is where it will run), which must stay within 2 GiB
 * of every block. Returns its size or a negative errno.
 */
long jit_backend_stubs(uint8_t *buf, size_t cap, uintptr_t exec, struct jit_stubs *out);
/* Points the jump at `site` (write view; `site_exec` is where it runs) to `target`. */
void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target);
/* Undoes jit_backend_chain: the exit at `site` returns to the front end again. */
void jit_backend_unchain(uint8_t *site, uintptr_t site_exec);
/* Whether this build has a backend for the host it runs on. */
bool jit_backend_available(void);

/*
 * Helpers the generated code calls. `info` packs the instruction's index k in its block
 * (bits 0-7), length (8-11), rd (12-17), rs2 (18-23) and op (24-31): 32 bits, so one
 * immediate carries it. While a helper runs,
 * cpu->pc and cpu->instret are those of instruction k, as in the interpreter. A nonzero
 * return means the block must end now: pc and instret are already set for what follows
 * (a trap was taken, an interrupt or stop is due, or code the block came from changed).
 */
#define JIT_INFO(k, len, rd, rs2, op)                                                     \
    ((uint32_t)(k) | (uint32_t)(len) << 8 | (uint32_t)(rd) << 12 | (uint32_t)(rs2) << 18 | \
     (uint32_t)(op) << 24)
_Static_assert(JIT_MAX_INSNS <= 256 && RV_OP_COUNT <= 256, "JIT_INFO fields");
int rv_jit_load_slow(struct rv_cpu *cpu, uint64_t va, uint64_t pc, uint64_t info);
int rv_jit_store_slow(struct rv_cpu *cpu, uint64_t va, uint64_t pc, uint64_t info);
/* F/D, A: what the interpreter does, as a call. insn_raw = insn | raw << 32. */
int rv_jit_generic(struct rv_cpu *cpu, uint64_t pc, uint64_t info, uint64_t insn_raw);
/*
 * OP-FP and the fused multiply-adds, straight to the FPU: 0 when done, nonzero when the
 * instruction must go through rv_jit_generic (which then raises its exception).
 */
int rv_jit_fp(struct rv_cpu *cpu, uint64_t insn);
/*
 * SYSTEM: always ends the block. 0: it is done and nothing asks the run loop to look, so
 * the code may go on at cpu->pc (instret counted); nonzero: return to the front end.
 */
int rv_jit_system(struct rv_cpu *cpu, uint64_t pc, uint64_t info, uint64_t insn_raw);
/* Division and the rarer multiplications, with RISC-V's results for x/0 and overflow. */
uint64_t rv_jit_muldiv(uint64_t a, uint64_t b, uint64_t op);

#endif
