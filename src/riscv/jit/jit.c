/*
 * The guest side of the JIT: finding the block for the current pc, decoding guest code into
 * a jit_block_src for the backend, the block cache, and the helpers generated code calls
 * for everything outside its fast paths.
 *
 * Exactness comes from sharing, not re-implementing: instructions are decoded by the
 * interpreter's decoder, slow loads and stores go through the same MMU paths, and SYSTEM
 * instructions, LR/SC, the rarer AMOs and F/D outside the backend's fast paths run the
 * interpreter's (or the FPU's) own code. Generated code stores pc, instret and the guest
 * registers it holds before any call that can trap, and a block ends as soon as a helper
 * reports a trap, a kick (interrupt, stop, wfi) or that decoded code was forgotten.
 */
#include "riscv/jit/jit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "riscv/jit/codebuf.h"
#include "riscv/jit/jit_backend.h"

/*
 * The code buffer and the block pool are split into JIT_REGIONS regions used in turn: when
 * the current one is full, the oldest is emptied and reused, so the code translated most
 * recently (the hot code, mostly) survives. A Debian boot translates about 35 MiB of
 * code; 8 MiB holds what it keeps using. Blocks average about 480 bytes of host code.
 */
#define JIT_CODE_SIZE (8u << 20)   /* bytes of host code */
#define JIT_MAX_BLOCKS 20480u      /* block records */
#define JIT_REGIONS 4
#define JIT_REGION_CODE (JIT_CODE_SIZE / JIT_REGIONS)
#define JIT_STUB_AREA 4096u        /* before the regions: code every block calls */
#define JIT_REGION_START(r) (JIT_STUB_AREA + (size_t)(r) * JIT_REGION_CODE)
#define JIT_REGION_BLOCKS (JIT_MAX_BLOCKS / JIT_REGIONS)
#define JIT_HOT_RUNS 3             /* a block gets code the n-th time it runs */
#define JIT_HEAT_BITS 16
#define JIT_HEAT_SIZE (1u << JIT_HEAT_BITS)
#define JIT_HASH_BITS 14
#define JIT_HASH_SIZE (1u << JIT_HASH_BITS)
/* Chained jumps into one region from newer ones, kept to be undone (see chain()). */
#define JIT_REGION_LINKS 4096u

struct jit_block {
    uint64_t vpc;
    void (*code)(struct rv_cpu *); /* NULL: the interpreter runs the first instruction */
    uint32_t ram_page;             /* RAM page of the code, and the decode-cache page */
    uint32_t dslot;                /* (index and generation) that must still hold it */
    uint32_t gen;
    uint32_t n;                    /* guest instructions */
    uintptr_t chain;               /* where chained blocks jump in (execute view) */
    struct jit_block *next;        /* in its hash bucket */
};

struct rv_jit {
    struct jit_codebuf cb;
    struct jit_block *pool;
    uint32_t used;                 /* block records in use, in all regions */
    unsigned region;               /* the region being filled */
    uint32_t region_used[JIT_REGIONS]; /* block records of each region */
    size_t region_end;             /* end of the current region's code */
    uint64_t resets;               /* regions emptied and whole flushes, so far */
    struct jit_jc_entry jc[JIT_JC_SIZE]; /* the jump cache (see jit_backend.h) */
    struct jit_block *hash[JIT_HASH_SIZE]; /* buckets on (vpc, ram page), newest first */
    uint32_t links[JIT_REGIONS][JIT_REGION_LINKS]; /* code buffer offsets of the jumps */
    uint32_t nlinks[JIT_REGIONS];
    struct jit_block_src src;      /* scratch for the translator */
    struct rv_jit_stats st;
    uint64_t dc_flushes;           /* the decode cache's flush count when last looked at */
    /*
     * Code that ran before it had a block, by (pc, page) hash: how often, and the length
     * in instructions of the newest block there (tag), so a cold run needs no decoding.
     * Lossy: keys that share an entry share its count, which only makes them hot sooner,
     * and nothing needs to be kept coherent (a stale length only moves where the
     * interpreter stops).
     */
    struct jit_heat {
        uint16_t tag;
        uint8_t runs;
        uint8_t n;
    } heat[JIT_HEAT_SIZE];
    uint8_t hot_runs;              /* JIT_HOT_RUNS unless a test asks otherwise */
    struct jit_block cold;         /* what find_block returns for code still running cold */
    FILE *dump;                    /* KITE_JIT_DUMP: where every block is described */
};

bool rv_jit_available(void)
{
    return jit_backend_available();
}

struct rv_jit *rv_jit_new(int *err)
{
    if (!jit_backend_available()) {
        *err = -ENOTSUP;
        return NULL;
    }
    struct rv_jit *jit = calloc(1, sizeof(*jit));
    if (!jit) {
        *err = -ENOMEM;
        return NULL;
    }
    jit->pool = calloc(JIT_MAX_BLOCKS, sizeof(*jit->pool));
    int r = jit->pool ? jit_codebuf_init(&jit->cb, JIT_STUB_AREA + JIT_CODE_SIZE) : -ENOMEM;
    if (r == 0) {
        long n = jit_backend_stubs(jit->cb.rw, JIT_STUB_AREA, (uintptr_t)jit->cb.rx,
                                   &jit->src.stubs);
        if (n < 0) {
            jit_codebuf_destroy(&jit->cb);
            r = (int)n;
        }
        jit->cb.keep = jit->cb.used = JIT_STUB_AREA;
    }
    if (r < 0) {
        free(jit->pool);
        free(jit);
        *err = r;
        return NULL;
    }
    for (unsigned i = 0; i < JIT_JC_SIZE; i++)
        jit->jc[i].vpc = UINT64_MAX; /* odd: never a pc */
    jit->src.jump_cache = (uintptr_t)jit->jc;
    jit->hot_runs = JIT_HOT_RUNS;
    jit->region_end = JIT_REGION_START(1);
    /*
     * KITE_JIT_DUMP=1: to stderr, a line at a time; =PATH: to that file through a large
     * buffer, so a run that translates much is not slowed down by its own dump.
     */
    const char *d = getenv("KITE_JIT_DUMP");
    if (d && *d && strcmp(d, "0") != 0) {
        jit->dump = strcmp(d, "1") == 0 ? stderr : fopen(d, "w");
        if (!jit->dump)
            log_warn("jit", "KITE_JIT_DUMP: cannot write %s: %s", d, strerror(errno));
        else if (jit->dump != stderr)
            setvbuf(jit->dump, NULL, _IOFBF, 1u << 20);
    }
    return jit;
}

void rv_jit_free(struct rv_jit *jit)
{
    if (!jit)
        return;
    if (jit->dump && jit->dump != stderr)
        fclose(jit->dump);
    jit_codebuf_destroy(&jit->cb);
    free(jit->pool);
    free(jit);
}

void rv_jit_set_hot_runs(struct rv_jit *jit, unsigned runs)
{
    jit->hot_runs = (uint8_t)(runs < 1 ? 1 : runs > 255 ? 255 : runs);
}

void rv_jit_get_stats(const struct rv_jit *jit, struct rv_jit_stats *st)
{
    *st = jit->st;
}

void rv_jit_log_stats(const struct rv_jit *jit)
{
    log_info("jit", "%llu blocks translated (%llu guest instructions, %llu KiB host code, "
             "%llu loops in registers), %llu chained, %llu cache flushes, %llu regions reused, %llu interpreter steps, "
             "%llu dispatches (%llu from the jump cache)",
             (unsigned long long)jit->st.blocks, (unsigned long long)jit->st.guest_insns,
             (unsigned long long)(jit->st.code_bytes >> 10),
             (unsigned long long)jit->st.loops,
             (unsigned long long)jit->st.chains,
             (unsigned long long)jit->st.flushes, (unsigned long long)jit->st.evictions,
             (unsigned long long)jit->st.interp_steps,
             (unsigned long long)jit->st.dispatches, (unsigned long long)jit->st.jc_hits);
}

static bool block_valid(const struct rv_cpu *cpu, const struct jit_block *b)
{
    return cpu->dc.map[b->ram_page] == b->dslot + 1 && cpu->dc.pages[b->dslot].gen == b->gen;
}

static unsigned hash_of(uint64_t vpc, uint64_t ram_page)
{
    /* Multiplicative hashing, top bits: vpc and page are often linearly related. */
    uint64_t k = (vpc >> 1) ^ (ram_page << 40);
    return (unsigned)((k * 0x9e3779b97f4a7c15ULL) >> (64 - JIT_HASH_BITS));
}

/* ---- helpers called from generated code ---- */

static int take_trap(struct rv_cpu *cpu)
{
    rv_cpu_take_trap(cpu, cpu->exc_cause, cpu->exc_tval);
    cpu->instret++; /* a trapping instruction uses up budget, as in the interpreter */
    return 1;
}

/*
 * Instruction k finished without trapping: go on in the block, or leave it at npc. It
 * leaves if an interrupt or stop is due, or if decoded code was forgotten while the
 * instruction ran (`epoch` is cpu->code_epoch from before it): the block's own code may
 * be what changed.
 */
static int after(struct rv_cpu *cpu, uint64_t npc, unsigned k, uint64_t epoch)
{
    if (rv_unlikely(cpu->limit == 0 || cpu->code_epoch != epoch)) {
        cpu->pc = npc;
        cpu->instret++;
        return 1;
    }
    cpu->instret -= k; /* the block adds its whole length when it leaves */
    return 0;
}

#define INFO_K(i) ((unsigned)((i) & 0xff))
#define INFO_LEN(i) ((unsigned)(((i) >> 8) & 0xf))
#define INFO_RD(i) ((unsigned)(((i) >> 12) & 0x3f))
#define INFO_RS2(i) ((unsigned)(((i) >> 18) & 0x3f))
#define INFO_OP(i) ((unsigned)(((i) >> 24) & 0xff))

int rv_jit_load_slow(struct rv_cpu *cpu, uint64_t va, uint64_t pc, uint64_t info)
{
    unsigned k = INFO_K(info), op = INFO_OP(info);
    uint64_t epoch = cpu->code_epoch;
    cpu->pc = pc;
    cpu->instret += k;
    unsigned size;
    switch (op) {
    case RV_OP_LB: case RV_OP_LBU: size = 1; break;
    case RV_OP_LH: case RV_OP_LHU: size = 2; break;
    case RV_OP_LW: case RV_OP_LWU: size = 4; break;
    default: size = 8; break;
    }
    uint64_t v;
    if (rv_mmu_load_slow(cpu, va, size, &v))
        return take_trap(cpu);
    switch (op) {
    case RV_OP_LB: v = (uint64_t)(int64_t)(int8_t)v; break;
    case RV_OP_LH: v = (uint64_t)(int64_t)(int16_t)v; break;
    case RV_OP_LW: v = (uint64_t)(int64_t)(int32_t)v; break;
    default: break;
    }
    cpu->x[INFO_RD(info)] = v;
    return after(cpu, pc + INFO_LEN(info), k, epoch);
}

int rv_jit_store_slow(struct rv_cpu *cpu, uint64_t va, uint64_t pc, uint64_t info)
{
    unsigned k = INFO_K(info), op = INFO_OP(info);
    uint64_t epoch = cpu->code_epoch;
    cpu->pc = pc;
    cpu->instret += k;
    unsigned size = op == RV_OP_SB ? 1 : op == RV_OP_SH ? 2 : op == RV_OP_SW ? 4 : 8;
    if (rv_mmu_store_slow(cpu, va, size, cpu->x[INFO_RS2(info)]))
        return take_trap(cpu);
    return after(cpu, pc + INFO_LEN(info), k, epoch);
}

int rv_jit_generic(struct rv_cpu *cpu, uint64_t pc, uint64_t info, uint64_t insn_raw)
{
    unsigned k = INFO_K(info), len = INFO_LEN(info);
    uint64_t epoch = cpu->code_epoch;
    cpu->pc = pc;
    cpu->instret += k; /* CSR-like reads of instret see the current count */
    int r = rv_cpu_exec_generic(cpu, (uint32_t)insn_raw, (uint32_t)(insn_raw >> 32), pc + len);
    cpu->x[0] = 0;
    if (r < 0)
        return take_trap(cpu);
    if (r > 0) {
        cpu->instret++;
        return 1;
    }
    return after(cpu, pc + len, k, epoch);
}

int rv_jit_fp(struct rv_cpu *cpu, uint64_t insn)
{
    return !rv_fp_arith(cpu, (uint32_t)insn);
}

int rv_jit_system(struct rv_cpu *cpu, uint64_t pc, uint64_t info, uint64_t insn_raw)
{
    unsigned k = INFO_K(info), len = INFO_LEN(info);
    cpu->pc = pc;
    cpu->instret += k;
    int r = rv_cpu_exec_generic(cpu, (uint32_t)insn_raw, (uint32_t)(insn_raw >> 32), pc + len);
    cpu->x[0] = 0;
    if (r < 0)
        return take_trap(cpu);
    if (r == 0)
        cpu->pc = pc + len;
    cpu->instret++;
    /*
     * Done: the block goes on through the jump cache at the new pc unless something
     * zeroed cpu->limit (an interrupt may now be taken, a stop, wfi, a trigger armed).
     */
    return cpu->limit == 0;
}

static inline int64_t sext32(uint64_t v)
{
    return (int64_t)(int32_t)(uint32_t)v;
}

uint64_t rv_jit_muldiv(uint64_t a, uint64_t b, uint64_t op)
{
    uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
    switch (op) {
    case RV_OP_MULHSU:
        return (uint64_t)(((__int128)(int64_t)a * (__int128)(unsigned __int128)b) >> 64);
    case RV_OP_DIV:
        if (b == 0)
            return UINT64_MAX;
        if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
            return a;
        return (uint64_t)((int64_t)a / (int64_t)b);
    case RV_OP_DIVU:
        return b ? a / b : UINT64_MAX;
    case RV_OP_REM:
        if (b == 0)
            return a;
        if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
            return 0;
        return (uint64_t)((int64_t)a % (int64_t)b);
    case RV_OP_REMU:
        return b ? a % b : a;
    case RV_OP_DIVW:
        if (b32 == 0)
            return UINT64_MAX;
        if ((int32_t)a32 == INT32_MIN && (int32_t)b32 == -1)
            return (uint64_t)sext32(a32);
        return (uint64_t)(int64_t)((int32_t)a32 / (int32_t)b32);
    case RV_OP_DIVUW:
        return b32 ? (uint64_t)sext32(a32 / b32) : UINT64_MAX;
    case RV_OP_REMW:
        if (b32 == 0)
            return (uint64_t)sext32(a32);
        if ((int32_t)a32 == INT32_MIN && (int32_t)b32 == -1)
            return 0;
        return (uint64_t)(int64_t)((int32_t)a32 % (int32_t)b32);
    default: /* RV_OP_REMUW */
        return (uint64_t)sext32(b32 ? a32 % b32 : a32);
    }
}

/* ---- translation ---- */

static bool is_cond_branch(const struct jit_insn *i)
{
    return i->op >= RV_OP_BEQ && i->op <= RV_OP_BGEU;
}

/*
 * Jumps, SYSTEM instructions and conditional branches end a block. Decoding goes on past a
 * conditional branch (see decode_block), and stops at one that goes back to the block's
 * start: a loop, which the backend keeps in registers.
 */
static bool ends_block(const struct jit_insn *i, uint64_t start)
{
    switch (i->op) {
    case RV_OP_JAL: case RV_OP_JALR:
    case RV_OP_FENCE_I:
        return true;
    case RV_OP_BEQ: case RV_OP_BNE: case RV_OP_BLT: case RV_OP_BGE:
    case RV_OP_BLTU: case RV_OP_BGEU:
        return i->pc + (uint64_t)(int64_t)i->imm == start;
    default:
        return jit_insn_is_system(i);
    }
}

/*
 * Decodes from `host` (the page's bytes) starting at pc, stopping after an instruction that
 * ends the block (see ends_block), before an illegal one (the interpreter raises it), before one that
 * straddles into the next page (which may be mapped elsewhere), and at the page's end.
 */
static void decode_block(struct jit_block_src *src, uint64_t pc, const uint8_t *host)
{
    uint64_t vpage = pc & RV_PAGE_MASK;
    unsigned off = (unsigned)(pc & 0xfff);
    src->n = 0;
    while (src->n < JIT_MAX_INSNS && off < RV_PAGE_SIZE) {
        uint16_t lo, hi = 0;
        memcpy(&lo, host + off, 2);
        if ((lo & 3) == 3) {
            if (off + 4 > RV_PAGE_SIZE)
                break;
            memcpy(&hi, host + off + 2, 2);
        }
        struct rv_drec r;
        rv_decode_insn(&r, lo, hi);
        unsigned op = (unsigned)(uintptr_t)r.h;
        if (op == RV_OP_ILLEGAL)
            break;
        struct jit_insn *i = &src->in[src->n++];
        *i = (struct jit_insn){.pc = vpage + off, .imm = r.imm, .op = (uint8_t)op,
                               .rd = r.rd, .rs1 = r.rs1, .rs2 = r.rs2, .len = r.len};
        i->raw = r.len == 2 ? lo : (uint32_t)lo | (uint32_t)hi << 16;
        if (op == RV_OP_GENERIC)
            i->insn = (uint32_t)r.imm;
        off += r.len;
        if (ends_block(i, pc))
            break;
    }
    /*
     * A block that closes a loop to its start keeps the conditional branches inside it as
     * side exits (a loop with an early exit, or an if, becomes one block the backend keeps
     * in registers). Any other block ends at its first conditional branch: longer blocks
     * there would mostly duplicate code run once (boot) in overlapping translations.
     */
    if (src->n == 0)
        return;
    const struct jit_insn *last = &src->in[src->n - 1];
    if (is_cond_branch(last) && last->pc + (uint64_t)(int64_t)last->imm == pc)
        return;
    for (unsigned k = 0; k < src->n; k++) {
        if (is_cond_branch(&src->in[k])) {
            src->n = k + 1;
            break;
        }
    }
}

static void flush_all(struct rv_cpu *cpu, struct rv_jit *jit)
{
    memset(jit->hash, 0, sizeof(jit->hash));
    jit->used = 0;
    memset(jit->region_used, 0, sizeof(jit->region_used));
    memset(jit->nlinks, 0, sizeof(jit->nlinks));
    jit->region = 0;
    jit->region_end = JIT_REGION_START(1);
    jit_codebuf_reset(&jit->cb);
    jit->st.flushes++;
    jit->resets++;
    rv_code_changed(cpu); /* the jump cache points into the old code */
    cpu->jit_block = 0;
}

static unsigned region_of(const struct rv_jit *jit, const struct jit_block *b)
{
    return (unsigned)((size_t)(b - jit->pool) / JIT_REGION_BLOCKS);
}

/* How many regions were started after b's: 0 for the current one. */
static unsigned age_of(const struct rv_jit *jit, const struct jit_block *b)
{
    return (jit->region + JIT_REGIONS - region_of(jit, b)) % JIT_REGIONS;
}

/*
 * Moves on to the next region, emptying it: its blocks leave their hash buckets and no
 * longer run. Nothing else can reach them: the jump cache is dropped (the epoch), and the
 * chained jumps into the region from newer ones go back to returning to the front end
 * (the region emptied is the oldest, so no other region jumps into it unrecorded).
 */
static void next_region(struct rv_cpu *cpu, struct rv_jit *jit)
{
    jit->region = (jit->region + 1) % JIT_REGIONS;
    for (uint32_t i = 0; i < jit->nlinks[jit->region]; i++) {
        uint32_t off = jit->links[jit->region][i];
        jit_backend_unchain(jit->cb.rw + off, (uintptr_t)jit->cb.rx + off);
    }
    jit->nlinks[jit->region] = 0;
    struct jit_block *first = &jit->pool[jit->region * JIT_REGION_BLOCKS];
    for (uint32_t i = 0; i < jit->region_used[jit->region]; i++) {
        struct jit_block *b = &first[i];
        struct jit_block **p = &jit->hash[hash_of(b->vpc, b->ram_page)];
        while (*p && *p != b)
            p = &(*p)->next;
        if (*p)
            *p = b->next;
    }
    jit->used -= jit->region_used[jit->region];
    jit->region_used[jit->region] = 0;
    jit->cb.used = JIT_REGION_START(jit->region);
    jit->region_end = JIT_REGION_START(jit->region + 1);
    jit->st.evictions++;
    jit->resets++;
    rv_code_changed(cpu);
    cpu->jit_block = 0;
}

static void dump_block(FILE *out, const struct jit_block_src *src, const uint8_t *code,
                       long size, size_t offset)
{
    fprintf(out, "jit: block at %016llx, %u guest instructions, %ld bytes of host code at "
            "buffer offset 0x%zx\n", (unsigned long long)src->in[0].pc, src->n, size, offset);
    for (unsigned k = 0; k < src->n; k++) {
        const struct jit_insn *i = &src->in[k];
        fprintf(out, "  guest %016llx: %0*x  (op %u rd %u rs1 %u rs2 %u imm %d)\n",
                (unsigned long long)i->pc, i->len * 2, i->raw, i->op, i->rd, i->rs1, i->rs2,
                i->imm);
    }
    /* The hex by hand: a boot dumps tens of megabytes of it, printf per byte is slow. */
    static const char hex[] = "0123456789abcdef";
    for (long o = 0; o < size; o += 16) {
        char line[16 * 3 + 2], *p = line;
        for (long j = o; j < size && j < o + 16; j++) {
            *p++ = ' ';
            *p++ = hex[code[j] >> 4];
            *p++ = hex[code[j] & 15];
        }
        *p++ = '\n';
        *p = 0;
        fprintf(out, "  host +%04lx:", o);
        fputs(line, out);
    }
}

/* Emits the block's code; false if the current region is full. */
static bool emit(struct rv_jit *jit, struct jit_block *b)
{
    jit->src.tag = (uintptr_t)b;
    size_t start = (jit->cb.used + 15) & ~(size_t)15;
    if (start >= jit->region_end)
        return false;
    uint8_t *rw = jit->cb.rw + start;
    uintptr_t exec = (uintptr_t)jit_codebuf_exec_addr(&jit->cb, rw);
    struct jit_emitted out = {0};
    long size = jit_backend_emit(&jit->src, rw, jit->region_end - start, exec, &out);
    if (size < 0)
        return false;
    jit->cb.used = start + (size_t)size;
    b->code = (void (*)(struct rv_cpu *))exec;
    b->chain = exec + out.chain_entry;
    jit->st.code_bytes += (uint64_t)size;
    jit->st.loops += out.loop;
    if (jit->dump)
        dump_block(jit->dump, &jit->src, rw, size, start);
    return true;
}

/* A record for the block just decoded into jit->src, in the pool and its hash bucket. */
static struct jit_block *add_block(struct rv_cpu *cpu, struct rv_jit *jit, uint64_t pc,
                                   uint64_t ram_page, uint32_t dslot)
{
    if (jit->region_used[jit->region] == JIT_REGION_BLOCKS)
        next_region(cpu, jit);
    struct jit_block *b = &jit->pool[jit->region * JIT_REGION_BLOCKS +
                                     jit->region_used[jit->region]++];
    jit->used++;
    *b = (struct jit_block){.vpc = pc, .ram_page = (uint32_t)ram_page, .dslot = dslot,
                            .gen = cpu->dc.pages[dslot].gen, .n = jit->src.n};
    struct jit_block **bucket = &jit->hash[hash_of(pc, ram_page)];
    b->next = *bucket;
    *bucket = b;
    return b;
}

/*
 * Translates the block at (pc, page) and files it, or, while it has run fewer than
 * hot_runs times, only counts the run and returns jit->cold for the interpreter: most
 * of a boot runs once or twice, the interpreter runs that for less than translating it
 * costs, and the code buffer keeps the code that is used.
 */
static struct jit_block *translate(struct rv_cpu *cpu, struct rv_jit *jit, uint64_t pc,
                                   uint64_t ram_page, const uint8_t *host)
{
    /*
     * The decode cache forgot every page since we last looked (fence.i, reset): every
     * block is stale, so the whole buffer is free to reuse without losing anything.
     */
    if (cpu->dc.stat_flushes != jit->dc_flushes) {
        jit->dc_flushes = cpu->dc.stat_flushes;
        if (jit->used)
            flush_all(cpu, jit);
    }
    uint64_t k = ((pc >> 1) ^ (ram_page << 40)) * 0x9e3779b97f4a7c15ULL;
    struct jit_heat *heat = &jit->heat[k >> (64 - JIT_HEAT_BITS)];
    uint16_t tag = (uint16_t)(k >> (48 - JIT_HEAT_BITS));
    if (heat->runs + 1 < jit->hot_runs) {
        heat->runs++;
        if (heat->tag != tag || !heat->n) {
            decode_block(&jit->src, pc, host);
            *heat = (struct jit_heat){.tag = tag, .runs = heat->runs,
                                      .n = (uint8_t)jit->src.n};
        }
        if (heat->n) {
            jit->cold = (struct jit_block){.vpc = pc, .n = heat->n};
            return &jit->cold;
        }
    }
    heat->runs = 0;
    decode_block(&jit->src, pc, host);
    /* Being a code page keeps it off the store fast path, so stores into it are seen. */
    uint32_t dslot = rv_dcache_track(cpu, ram_page);
    struct jit_block *b = add_block(cpu, jit, pc, ram_page, dslot);
    if (jit->src.n) {
        if (!emit(jit, b)) {
            /* b stays behind, filed without code: the newer record comes first. */
            next_region(cpu, jit);
            b = add_block(cpu, jit, pc, ram_page, dslot);
            if (!emit(jit, b))
                b->code = NULL; /* cannot happen: a block is far smaller than the buffer */
        }
        jit->st.blocks++;
        jit->st.guest_insns += jit->src.n;
    }
    return b;
}

/*
 * The block at cpu->pc, translating it if it is due; NULL when the interpreter must fetch.
 * A block without code runs in the interpreter.
 */
static struct jit_block *find_block(struct rv_cpu *cpu, struct rv_jit *jit)
{
    uint64_t pc = cpu->pc;
    uint64_t vpage = pc & RV_PAGE_MASK;
    const struct rv_tlb_entry *e = &cpu->itlb[(pc >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    if (rv_unlikely(e->tag_x != vpage)) {
        /* Fills the TLB; a fault or a non-RAM page is left to the interpreter. */
        if (rv_mmu_fetch_fill(cpu, pc) < 0 || e->tag_x != vpage)
            return NULL;
    }
    const uint8_t *host = (const uint8_t *)(uintptr_t)(vpage + e->addend);
    uint64_t ram_page = (uint64_t)(host - cpu->phys.ram) >> RV_PAGE_SHIFT;
    /*
     * The newest block for (pc, page) comes first; an older one for the same key is stale.
     * Stale blocks stay in their bucket until the next flush (the pool bounds them).
     */
    for (struct jit_block *b = jit->hash[hash_of(pc, ram_page)]; b; b = b->next) {
        if (b->vpc == pc && b->ram_page == ram_page) {
            if (rv_likely(block_valid(cpu, b)))
                return b;
            break;
        }
    }
    return translate(cpu, jit, pc, ram_page, host);
}

/*
 * Links the exit the last block left by (`site`, an execute-view address) straight to `b`.
 * Only within one page and generation: then both blocks go stale together, so a jump
 * between them never outlives either. A jump into a block of an older region (hot code
 * translated early, called from code translated since) is recorded with that region, to
 * be undone when it is emptied, which happens before the jumping block's region is: the
 * oldest goes first. Jumps into the same region or a newer one need no record.
 */
static void chain(struct rv_jit *jit, uintptr_t site, const struct jit_block *from,
                  const struct jit_block *b)
{
    if (b->ram_page != from->ram_page || b->dslot != from->dslot || b->gen != from->gen)
        return;
    if (age_of(jit, b) > age_of(jit, from)) {
        unsigned to = region_of(jit, b);
        if (jit->nlinks[to] == JIT_REGION_LINKS)
            return; /* it stays an exit to the front end */
        jit->links[to][jit->nlinks[to]++] = (uint32_t)(site - (uintptr_t)jit->cb.rx);
    }
    uint8_t *rw = jit->cb.rw + (site - (uintptr_t)jit->cb.rx);
    jit_backend_chain(rw, site, b->chain);
    jit->st.chains++;
}

void rv_jit_exec(struct rv_cpu *cpu)
{
    struct rv_jit *jit = cpu->jit;
    const uint64_t end = cpu->limit;
    cpu->jit_exit = 0;
    while (cpu->instret < end && cpu->limit == end) {
        uintptr_t site = cpu->jit_exit;
        const struct jit_block *from = (const struct jit_block *)cpu->jit_block;
        uint64_t resets = jit->resets;
        cpu->jit_exit = 0;
        /* The jump cache first: a hit is a block still valid for this pc. */
        uint64_t pc = cpu->pc;
        struct jit_jc_entry *j = &jit->jc[(pc >> 1) & (JIT_JC_SIZE - 1)];
        const struct rv_tlb_entry *e = &cpu->itlb[(pc >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
        struct jit_block *b;
        jit->st.dispatches++;
        if (j->vpc == pc && j->epoch == cpu->code_epoch &&
            e->tag_x == (pc & RV_PAGE_MASK) && e->addend == j->addend) {
            b = (struct jit_block *)j->block;
            jit->st.jc_hits++;
        } else {
            b = find_block(cpu, jit);
            /* find_block filled the TLB entry for pc unless it returned NULL. */
            if (b && b->code && e->tag_x == (pc & RV_PAGE_MASK))
                *j = (struct jit_jc_entry){.vpc = pc, .epoch = cpu->code_epoch,
                                           .addend = e->addend, .entry = b->chain,
                                           .block = (uintptr_t)b};
        }
        if (rv_likely(b && b->code && b->n <= end - cpu->instret)) {
            if (site && from && jit->resets == resets)
                chain(jit, site, from, b);
            b->code(cpu);
            continue;
        }
        /*
         * The interpreter: one instruction where there is no block, a block not yet
         * translated, or the rest of the slice when the block would overrun it (so
         * budgets end exactly where the interpreter's would).
         */
        uint64_t want = b && b->code ? end : cpu->instret + (b && b->n ? b->n : 1);
        if (want > end)
            want = end;
        jit->st.interp_steps++;
        cpu->limit = want;
        rv_cpu_interp(cpu);
        if (cpu->limit != want) {
            cpu->limit = 0; /* kicked: let the run loop look */
            return;
        }
        cpu->limit = end;
    }
}
