/*
 * Differential test of the two engines: random RV64GC instruction streams run on a hart
 * with the interpreter and on one with the JIT, in slices of random length, and after
 * every slice the two must agree on pc, privilege, instret (the run's count, and minstret
 * as software reads it, mcountinhibit included), every register, the trap CSRs, the FP
 * state, all of RAM and what the MMIO device saw.
 *
 * The streams mix ALU, M, loads and stores (through pointers into data, into the code
 * itself, into the MMIO device, and garbage that faults), branches and jumps both ways,
 * CSR accesses, atomics, FP, fence.i, compressed instructions and code that straddles a
 * page boundary. Half the programs run in S- or U-mode under Sv39 page tables the test
 * builds (4 KiB pages with random permissions and A/D bits, sometimes a megapage, global
 * or not), some entering the code through a second virtual address that aliases it, with
 * sfence.vma in the mix; their page faults go to the same M-mode handler. Code pages may
 * have A or D clear (the hart sets them); the second code page may not be executable in
 * the stream's mode (and is then in the TLB as readable before the stream starts); an
 * ecall from a paged stream (in half of them, any trap but a fetch fault) makes the
 * handler point the alias at a second, slightly different copy of the code, or back, and
 * run sfence.vma, so the stream goes on in other code at the same virtual address.
 * Deterministic: program i uses seed KITE_JIT_DIFF_SEED + i (default 1);
 * KITE_JIT_DIFF_PROGRAMS sets how many (default 150, a few seconds under ASan).
 */
#include "test_cpu_harness.h"

#include <stdio.h>

#include "riscv/cpu_internal.h"

#define CODE (RAM_BASE + 0x10000)
#define DATA_AREA (RAM_BASE + 0x40000)
#define BUDGET 20000
/* Paged programs: page tables here, and the code seen a second time at ALIAS. */
#define PT_AREA (RAM_BASE + 0x300000)
#define ALIAS (0x40000000ULL + 0x10000)
/* The alias's other target: the stream with some instructions replaced (same lengths). */
#define CODE2 (CODE + 0x8000)
/* The M handler's remapping routine for ecalls from paged streams. */
#define M_REMAP (RAM_BASE + 0x8000)
/* The routine counts its runs here, off its own page: a store into code drops decoded
 * code, which would hide stale translations from the test. */
#define REMAP_COUNT (M_REMAP + 0x1000)
/* The routine flips the PTEs' PPNs with one lui-made mask. */
_Static_assert(((CODE2 - CODE) >> 12 << 10) % 0x1000 == 0, "CODE2's PPN mask needs low bits");
#define PTE_V 0x1
#define PTE_R 0x2
#define PTE_W 0x4
#define PTE_X 0x8
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80

/* How the stream runs: M-mode on physical addresses, or S/U-mode under paging. */
static struct {
    bool on;
    int priv;                   /* 1 = S, 0 = U */
    uint64_t next_table;        /* page-table allocator */
    bool page2_noexec;          /* the second code page is readable but not executable */
} paged;

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dULL;
}

static unsigned below(struct rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

static int32_t simm(struct rng *r, int bits)
{
    return (int32_t)(rnd(r) & ((1u << bits) - 1)) - (1 << (bits - 1));
}

/*
 * Inside a generated loop (see put_loop()) every register an instruction names comes from
 * a small pool, so the JIT can keep the loop in host registers.
 */
static struct {
    unsigned n;                 /* 0: no pool */
    uint32_t reg[6];
} pool;

static uint32_t reg_any(struct rng *r)
{
    return pool.n ? pool.reg[below(r, pool.n)] : below(r, 32);
}

/* Destination registers: mostly not the pointer registers x2-x5, so memory ops keep hitting. */
static uint32_t rd_of(struct rng *r)
{
    if (pool.n)
        return pool.reg[1 + below(r, pool.n - 1)]; /* not reg[0], the loop's counter */
    uint32_t rd = below(r, 32);
    if (rd >= 2 && rd <= 5 && below(r, 8))
        rd = 6 + below(r, 20);
    return rd;
}

static uint32_t base_reg(struct rng *r)
{
    static const uint32_t bases[] = {2, 2, 3, 3, 4, 5};
    if (pool.n)
        return below(r, 8) ? pool.reg[pool.n - 1] : reg_any(r); /* reg[n-1]: a pointer */
    if (below(r, 16) == 0)
        return below(r, 32); /* anything: usually faults */
    return bases[below(r, sizeof(bases) / sizeof(bases[0]))];
}

/* A quarter of the programs are half FP, so FP sequences (and the inline paths) run hot. */
static bool fp_heavy;

static uint32_t gen32(struct rng *r, unsigned slot, unsigned nslots)
{
    uint32_t rd = rd_of(r), rs1 = reg_any(r), rs2 = reg_any(r);
    switch (fp_heavy && below(r, 2) ? 20 : below(r, 24)) {
    case 0: case 1: case 2: { /* OP */
        static const uint32_t f7[] = {0, 0, 0x20, 1};
        uint32_t f = f7[below(r, 4)], f3 = below(r, 8);
        if (f == 0x20 && f3 != 0 && f3 != 5)
            f = 0;
        return enc_r(f, rs2, rs1, f3, rd, 0x33);
    }
    case 3: case 4: { /* OP-32 */
        static const uint32_t f3s[] = {0, 1, 5, 4, 5, 6, 7, 0};
        uint32_t f3 = f3s[below(r, 8)], f = below(r, 3) == 0 ? 1 : 0;
        if (!f && (f3 == 0 || f3 == 5) && below(r, 2))
            f = 0x20;
        if (!f && f3 != 0 && f3 != 1 && f3 != 5)
            f = 1;
        return enc_r(f, rs2, rs1, f3, rd, 0x3b);
    }
    case 5: case 6: case 7: { /* OP-IMM */
        uint32_t f3 = below(r, 8);
        if (f3 == 1)
            return SLLI(rd, rs1, below(r, 64));
        if (f3 == 5)
            return below(r, 2) ? SRLI(rd, rs1, below(r, 64)) : SRAI(rd, rs1, below(r, 64));
        return enc_i(0x13, rd, f3, rs1, simm(r, 12));
    }
    case 8: { /* OP-IMM-32 */
        switch (below(r, 4)) {
        case 0: return SLLIW(rd, rs1, below(r, 32));
        case 1: return SRLIW(rd, rs1, below(r, 32));
        case 2: return SRAIW(rd, rs1, below(r, 32));
        default: return ADDIW(rd, rs1, simm(r, 12));
        }
    }
    case 9: return below(r, 2) ? LUI(rd, rnd(r) & 0xfffff) : AUIPC(rd, rnd(r) & 0xfffff);
    case 10: case 11: case 12: /* loads */
        return enc_i(0x03, rd, below(r, 7), base_reg(r), simm(r, 12));
    case 13: case 14: /* stores */
        return enc_s(0x23, below(r, 4), base_reg(r), rs2, simm(r, 12));
    case 15: case 16: { /* branches, both ways, mostly staying in the stream */
        static const uint32_t f3s[] = {0, 1, 4, 5, 6, 7};
        int32_t lo = -(int32_t)slot, hi = (int32_t)(nslots - slot);
        int32_t off = lo + (int32_t)below(r, (unsigned)(hi - lo + 1));
        if (off < -64 || off > 64)
            off = (int32_t)below(r, 17) - 8;
        return enc_b(f3s[below(r, 6)], rs1, rs2, off * 2);
    }
    case 17: { /* jal / jalr */
        if (below(r, 3))
            return JAL(rd, ((int32_t)below(r, 33) - 16) * 2);
        return JALR(rd, below(r, 4) ? 4 : rs1, simm(r, 8));
    }
    case 18: { /* CSRs the machine cannot see change between runs */
        static const uint32_t csrs[] = {C_INSTRET, C_CYCLE, C_MSCRATCH, C_MSCRATCH, 0x001,
                                        0x003, C_MEPC, C_MCAUSE, 0x320 /* mcountinhibit */};
        uint32_t csr = csrs[below(r, sizeof(csrs) / sizeof(csrs[0]))];
        if (csr == C_INSTRET || csr == C_CYCLE || csr == C_MEPC || csr == C_MCAUSE)
            return CSRR(rd, csr);
        return enc_i(0x73, rd, 1 + below(r, 3), rs1, (int32_t)csr);
    }
    case 19: { /* atomics on a data pointer (misaligned ones trap) */
        static const uint32_t f5[] = {0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c,
                                      0x02, 0x03};
        uint32_t f = f5[below(r, 11)];
        return AMO(f, 2 + below(r, 2), rd, below(r, 2) ? 2 : 3, f == 0x02 ? 0 : rs2);
    }
    case 20: { /* FP: moves in and out, arithmetic, FP loads and stores */
        /* Rounding modes: the five, a reserved one (illegal) and dynamic (frm decides). */
        static const uint32_t rms[] = {0, 1, 2, 3, 4, 5, 7, 7};
        uint32_t rm = rms[below(r, 8)], fmt = below(r, 2), rs3 = below(r, 32);
        switch (below(r, 13)) {
        case 12: /* frm = a small value: 0 mostly, a reserved one sometimes */
            return enc_i(0x73, 0, 5, below(r, 2) ? 0 : below(r, 8), 0x002); /* csrrwi */
        case 0: return enc_r(0x79, 0, rs1, 0, rd, 0x53); /* fmv.d.x */
        case 1: return enc_r(0x71, 0, rs1, 0, rd, 0x53); /* fmv.x.d */
        case 2: return enc_r(0x01, rs2, rs1, 7, rd, 0x53); /* fadd.d */
        case 3: return enc_r(0x09, rs2, rs1, 7, rd, 0x53); /* fmul.d */
        case 4: return FLD(rd, 2, simm(r, 12) & ~7);
        case 5: return FSD(rs2, 3, simm(r, 12) & ~7);
        case 6: return enc_i(0x07, rd, 2, 2, simm(r, 12) & ~3); /* flw (NaN-boxes) */
        case 7: return enc_s(0x27, 2, 3, rs2, simm(r, 12) & ~3); /* fsw */
        case 8: /* fmadd, fmsub, fnmsub, fnmadd (.s or .d) */
            return rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 |
                   (0x43 + 4 * below(r, 4));
        case 9: { /* fsub, fdiv, fsqrt (.s or .d) */
            static const uint32_t f5[] = {0x01, 0x03, 0x0b};
            uint32_t f = f5[below(r, 3)];
            return enc_r(f << 2 | fmt, f == 0x0b && below(r, 8) ? 0 : rs2, rs1, rm, rd, 0x53);
        }
        case 10: /* fcvt.w.d / fcvt.l.s into an integer register, or feq */
            return below(r, 2) ? enc_r(0x60 | fmt, below(r, 4), rs1, rm, rd, 0x53)
                               : enc_r(0x50 | fmt, rs2, rs1, 2, rd, 0x53);
        default: /* fcvt.{s,d}.{w,wu,l,lu} from an integer register */
            return enc_r(0x68 | fmt, below(r, 4), rs1, rm, rd, 0x53);
        }
    }
    case 21:
        if (paged.on && below(r, 3) == 0)
            return SFENCE_VMA(below(r, 2) ? 0 : base_reg(r), below(r, 2) ? 0 : rs2);
        return below(r, 2) ? FENCE_I : FENCE;
    case 22: /* ecalls: in paged streams, each remaps the alias (see build()) */
        return below(r, paged.on ? 3 : 8) ? ADDI(rd, rs1, simm(r, 12)) : ECALL;
    default: return MUL(rd, rs1, rs2) ^ (below(r, 2) ? 0 : (1u << 12)); /* mul / mulh */
    }
}

static uint16_t gen16(struct rng *r)
{
    for (;;) {
        uint16_t c = (uint16_t)rnd(r);
        if ((c & 3) != 3 && rv_rvc_table[c])
            return c;
    }
}

struct machine_pair {
    struct harness *h[2]; /* interpreter, JIT */
};

static uint64_t code_start;
static uint64_t executed; /* instructions compared, for the summary line */
static unsigned paged_programs;
static uint64_t remaps;   /* the alias moved to the other copy of the code */
static uint64_t loops;    /* translations that loop in host registers */

static void put64_both(struct machine_pair *m, uint64_t pa, uint64_t v)
{
    put64(m->h[0], pa, v);
    put64(m->h[1], pa, v);
}

static uint64_t pt_alloc(void)
{
    uint64_t t = paged.next_table;
    paged.next_table += 0x1000;
    assert_true(paged.next_table <= PT_AREA + 0x80000);
    return t;
}

/* The level-0 PTE that maps va (4 KiB pages only). */
static uint64_t pt_leaf(struct machine_pair *m, uint64_t va)
{
    uint64_t t = PT_AREA;
    for (int level = 2; level > 0; level--) {
        uint64_t pte = get64(m->h[0], t + 8 * ((va >> (12 + 9 * level)) & 0x1ff));
        assert_true((pte & PTE_V) && !(pte & (PTE_R | PTE_X)));
        t = (pte >> 10) << 12;
    }
    return t + 8 * ((va >> 12) & 0x1ff);
}

/* The table one level down from entry `pte_pa`, made if missing. */
static uint64_t pt_down(struct machine_pair *m, uint64_t pte_pa)
{
    uint64_t pte = get64(m->h[0], pte_pa);
    if (pte & PTE_V)
        return (pte >> 10) << 12;
    uint64_t t = pt_alloc();
    put64_both(m, pte_pa, ((t >> 12) << 10) | PTE_V);
    return t;
}

/* Maps va to pa with `flags` (leaf), at level 0 (4 KiB) or 1 (2 MiB). */
static void pt_map(struct machine_pair *m, uint64_t va, uint64_t pa, uint64_t flags, int level)
{
    uint64_t t = PT_AREA + 0; /* the root */
    t = pt_down(m, t + 8 * ((va >> 30) & 0x1ff));
    if (level == 1) {
        put64_both(m, t + 8 * ((va >> 21) & 0x1ff), ((pa >> 12) << 10) | flags | PTE_V);
        return;
    }
    t = pt_down(m, t + 8 * ((va >> 21) & 0x1ff));
    put64_both(m, t + 8 * ((va >> 12) & 0x1ff), ((pa >> 12) << 10) | flags | PTE_V);
}

/* The page tables of a paged program: code (twice), data, the device. */
static void build_tables(struct machine_pair *m, struct rng *r)
{
    paged.next_table = PT_AREA + 0x1000;
    uint64_t u = paged.priv == 0 ? PTE_U : 0;
    /*
     * Code: readable (the M handler reads the faulting instruction through it) and
     * writable (streams store into their code). A and D are mostly set; clear ones the
     * hart sets on the first fetch, read or store. The second page is sometimes not
     * executable in the stream's mode (no X, or the other U): a stream running into it
     * takes a fetch fault, and no other fault can have its pc there (which keeps the
     * handler's read of the faulting instruction from faulting itself).
     */
    uint64_t code_flags[2];
    for (int i = 0; i < 2; i++) {
        code_flags[i] = PTE_R | PTE_W | PTE_X | u;
        code_flags[i] |= below(r, 4) ? PTE_A | PTE_D : below(r, 2) ? PTE_A : 0;
    }
    paged.page2_noexec = false;
    switch (below(r, 8)) {
    case 0: case 1: code_flags[1] &= ~PTE_X; paged.page2_noexec = true; break;
    case 2: code_flags[1] ^= PTE_U; break;
    default: break;
    }
    bool mega = below(r, 4) == 0;
    if (mega) {
        /* One 2 MiB page over code and data alike. */
        pt_map(m, RAM_BASE, RAM_BASE, code_flags[0] | (below(r, 2) ? PTE_G : 0), 1);
    } else {
        for (uint64_t a = CODE; a < CODE + 0x2000; a += 0x1000)
            pt_map(m, a, a, code_flags[(a - CODE) >> 12] | (below(r, 2) ? PTE_G : 0), 0);
        static const uint64_t data_perm[] = {
            PTE_R | PTE_W, PTE_R | PTE_W, PTE_R | PTE_W, PTE_R, PTE_R | PTE_X, PTE_X,
            PTE_W | PTE_R | PTE_X, 0,
        };
        for (uint64_t a = DATA_AREA; a < DATA_AREA + 0x10000; a += 0x1000) {
            uint64_t perm = data_perm[below(r, 8)];
            if (!perm)
                continue;       /* unmapped: every access faults */
            /* A and D: mostly set; clear ones make the hart set them or fault. */
            uint64_t ad = below(r, 4) ? PTE_A | PTE_D : below(r, 2) ? PTE_A : 0;
            /* U pages in S-mode (no SUM) fault too; S pages in U-mode always. */
            uint64_t uu = below(r, 8) ? u : u ^ PTE_U;
            pt_map(m, a, a, perm | ad | uu | (below(r, 4) ? 0 : PTE_G), 0);
        }
    }
    for (uint64_t a = CODE; a < CODE + 0x2000; a += 0x1000)
        pt_map(m, ALIAS + (a - CODE), a, code_flags[(a - CODE) >> 12], 0);
    pt_map(m, DEV_BASE, DEV_BASE, PTE_R | PTE_W | PTE_A | PTE_D | u, 0);
}

/* Writes the same random program into both harnesses and sets the same registers. */
static void put_insn(struct machine_pair *m, uint64_t pc, uint32_t w)
{
    const uint64_t copy = CODE2 - CODE;
    for (int k = 0; k < 2; k++) {
        put16(m->h[k], pc, (uint16_t)w);
        put16(m->h[k], pc + 2, (uint16_t)(w >> 16));
        put16(m->h[k], pc + copy, (uint16_t)w);
        put16(m->h[k], pc + copy + 2, (uint16_t)(w >> 16));
    }
}

/*
 * A counted loop whose body draws its registers from a pool of up to six, one of them a
 * data pointer: `li c, K; loop: body; addi c, c, -1; bne c, x0, loop`. The JIT keeps such
 * a loop in host registers; its branches become side exits, its loads, stores and FP
 * helpers slow paths inside the loop. Returns the pc after it.
 */
static uint64_t put_loop(struct machine_pair *m, struct rng *r, uint64_t pc, unsigned slot,
                         unsigned nslots)
{
    static const uint32_t pointers[] = {2, 3, 4, 5};
    pool.n = 3 + below(r, 4);
    pool.reg[pool.n - 1] = pointers[below(r, 4)];
    for (unsigned k = 0; k + 1 < pool.n; k++) {
        uint32_t g;
        bool dup;
        do { /* x6..x29: the handler uses x30 and x31 */
            g = 6 + below(r, 24);
            dup = false;
            for (unsigned j = 0; j < k; j++)
                dup |= pool.reg[j] == g;
        } while (dup);
        pool.reg[k] = g;
    }
    put_insn(m, pc, ADDI(pool.reg[0], 0, 1 + (int32_t)below(r, 20)));
    pc += 4;
    uint64_t head = pc;
    unsigned len = 2 + below(r, 10);
    for (unsigned k = 0; k < len; k++) {
        uint32_t w;
        do { /* mostly no jumps or SYSTEM, which would end the block */
            w = gen32(r, slot + (unsigned)(pc - head) / 2, nslots);
        } while (((w & 0x7f) == 0x73 || (w & 0x7f) == 0x6f || (w & 0x7f) == 0x67) &&
                 below(r, 8));
        put_insn(m, pc, w);
        pc += 4;
    }
    put_insn(m, pc, ADDI(pool.reg[0], pool.reg[0], -1));
    pc += 4;
    put_insn(m, pc, BNE(pool.reg[0], 0, (int32_t)(head - pc)));
    pc += 4;
    pool.n = 0;
    return pc;
}

static void build(struct machine_pair *m, struct rng *r)
{
    if (paged.on)
        build_tables(m, r);
    uint64_t entry = code_start;
    if (paged.on && below(r, 2) == 0)
        entry = ALIAS + (code_start - CODE);        /* the same code, another address */
    uint64_t asid = below(r, 4);
    unsigned fs_pick = below(r, 8);
    for (int k = 0; k < 2; k++) {
        struct prog p = prog_begin(m->h[k]);
        /* FS: Initial mostly; Off (every FP instruction illegal), Clean and Dirty too. */
        static const uint64_t fs_states[] = {0, 2, 3, 1, 1, 1, 1, 1};
        li(&p, 31, fs_states[fs_pick] << 13);
        op(&p, CSRRS(0, C_MSTATUS, 31));
        if (!paged.on) {
            li(&p, 31, code_start);
            op(&p, JALR(0, 31, 0));
            continue;
        }
        li(&p, 31, (8ULL << 60) | (asid << 44) | (PT_AREA >> 12));  /* Sv39 */
        op(&p, CSRW(C_SATP, 31));
        op(&p, SFENCE_VMA(0, 0));
        li(&p, 31, MSTATUS_MPP);
        op(&p, CSRRC(0, C_MSTATUS, 31));
        li(&p, 31, (uint64_t)paged.priv << MSTATUS_MPP_SHIFT);
        op(&p, CSRRS(0, C_MSTATUS, 31));
        if (paged.page2_noexec) {
            /*
             * Read the page the stream may not execute, through both its addresses, as
             * the stream would (MPRV): the TLB then holds it readable, and running into
             * it must still fault rather than take the entry as good for fetching.
             */
            li(&p, 31, MSTATUS_MPRV);
            op(&p, CSRRS(0, C_MSTATUS, 31));
            li(&p, 31, CODE + 0x1000);
            op(&p, LHU(31, 31, 0));
            li(&p, 31, ALIAS + 0x1000);
            op(&p, LHU(31, 31, 0));
            li(&p, 31, MSTATUS_MPRV);
            op(&p, CSRRC(0, C_MSTATUS, 31));
        }
        li(&p, 31, entry);
        op(&p, CSRW(C_MEPC, 31));
        op(&p, MRET);
    }
    /* Random data, identical on both. */
    for (uint64_t a = DATA_AREA; a < DATA_AREA + 0x10000; a += 8) {
        uint64_t v = rnd(r);
        put64(m->h[0], a, v);
        put64(m->h[1], a, v);
    }
    /* The stream, sometimes starting close to a page end so it straddles into the next. */
    unsigned n = 60 + below(r, 200);
    unsigned nslots = n * 2;
    uint64_t pc = code_start;
    /* CODE2 holds the same stream with one instruction in eight replaced by another of
     * the same length, so both copies have their instructions at the same offsets. */
    const uint64_t copy = CODE2 - CODE;
    for (unsigned i = 0; i < n; i++) {
        unsigned slot = (unsigned)((pc - code_start) / 2);
        if (below(r, 24) == 0 && i + 16 < n) {
            pc = put_loop(m, r, pc, slot, nslots);
            continue;
        }
        bool other = below(r, 8) == 0;
        if (below(r, 3) == 0) {
            uint16_t c = gen16(r), c2 = other ? gen16(r) : c;
            for (int k = 0; k < 2; k++) {
                put16(m->h[k], pc, c);
                put16(m->h[k], pc + copy, c2);
            }
            pc += 2;
        } else {
            uint32_t w = gen32(r, slot, nslots), w2 = other ? gen32(r, slot, nslots) : w;
            for (int k = 0; k < 2; k++) {
                put16(m->h[k], pc, (uint16_t)w);
                put16(m->h[k], pc + 2, (uint16_t)(w >> 16));
                put16(m->h[k], pc + copy, (uint16_t)w2);
                put16(m->h[k], pc + copy + 2, (uint16_t)(w2 >> 16));
            }
            pc += 4;
        }
    }
    /* The end: wfi in M-mode; a paged stream gets there by fetching from address 0,
     * which no page maps (wfi in U-mode would only trap). */
    uint64_t final_wfi = pc;
    if (paged.on) {
        for (int k = 0; k < 2; k++) {
            put32(m->h[k], pc, JALR(0, 0, 0));
            put32(m->h[k], pc + copy, JALR(0, 0, 0));
        }
        final_wfi = pc + 4;
    }
    put32(m->h[0], final_wfi, WFI);
    put32(m->h[1], final_wfi, WFI);
    /* Where the M handler swaps the alias between the copies: its two leaf PTEs. */
    uint64_t alias_pte[2] = {0, 0};
    bool remap_all = below(r, 2), remap_every_trap = below(r, 2);
    if (paged.on) {
        alias_pte[0] = pt_leaf(m, ALIAS);
        alias_pte[1] = pt_leaf(m, ALIAS + 0x1000);
    }
    /*
     * The M-mode handler resumes after the trapping instruction (its length from its first
     * parcel, read through the stream's own translation: MPRV), so one fault does not end
     * the stream; after a fetch fault it goes to the final wfi, in M-mode. It uses x30 and
     * x31 as scratch.
     */
    for (int k = 0; k < 2; k++) {
        struct prog hp = {m->h[k], M_HANDLER};
        op(&hp, CSRR(30, C_MCAUSE));
        op(&hp, ADDI(31, 30, -RV_EXC_INSN_ACCESS));
        uint64_t to_fetch1 = hp.pc;
        op(&hp, 0); /* BEQ to the fetch-fault path, patched below */
        op(&hp, ADDI(31, 30, -RV_EXC_INSN_PAGE));
        uint64_t to_fetch2 = hp.pc;
        op(&hp, 0);
        if (paged.on) {
            /* An ecall from U or S (cause 8 or 9), or any trap: the remapping first. */
            if (!remap_every_trap) {
                op(&hp, ADDI(31, 30, -RV_EXC_ECALL_U));
                op(&hp, SRLI(31, 31, 1));
                op(&hp, BNE(31, 0, 8));
            }
            op(&hp, JAL(0, (int32_t)(M_REMAP - hp.pc)));
        }
        uint64_t resume = hp.pc;
        op(&hp, LUI(31, MSTATUS_MPRV >> 12));
        op(&hp, CSRRS(0, C_MSTATUS, 31));
        op(&hp, CSRR(30, C_MEPC));
        op(&hp, LHU(31, 30, 0));
        op(&hp, ANDI(31, 31, 3));
        op(&hp, ADDI(31, 31, -3));
        op(&hp, ADDI(30, 30, 2));
        op(&hp, BNE(31, 0, 8));
        op(&hp, ADDI(30, 30, 2));
        op(&hp, CSRW(C_MEPC, 30));
        op(&hp, LUI(31, MSTATUS_MPRV >> 12));
        op(&hp, CSRRC(0, C_MSTATUS, 31));
        op(&hp, MRET);
        /* A fetch fault: to the final wfi, in M-mode. */
        put32(m->h[k], to_fetch1, BEQ(31, 0, (int32_t)(hp.pc - to_fetch1)));
        put32(m->h[k], to_fetch2, BEQ(31, 0, (int32_t)(hp.pc - to_fetch2)));
        li(&hp, 30, final_wfi);
        op(&hp, CSRW(C_MEPC, 30));
        li(&hp, 31, MSTATUS_MPP);
        op(&hp, CSRRS(0, C_MSTATUS, 31));
        op(&hp, MRET);
        assert_true(hp.pc <= S_HANDLER);
        if (!paged.on)
            continue;
        /*
         * The remapping routine: flips the alias's two leaf PTEs between CODE and CODE2
         * (their PPNs differ in one bit), fences all of the address space or only the two
         * pages, and goes on as for any other trap.
         */
        struct prog rp = {m->h[k], M_REMAP};
        li(&rp, 31, REMAP_COUNT);
        op(&rp, LD(30, 31, 0));
        op(&rp, ADDI(30, 30, 1));
        op(&rp, SD(30, 31, 0));
        for (int i = 0; i < 2; i++) {
            li(&rp, 31, alias_pte[i]);
            op(&rp, LD(30, 31, 0));
            op(&rp, LUI(31, (uint32_t)(((copy >> 12) << 10) >> 12)));
            op(&rp, XOR(30, 30, 31));
            li(&rp, 31, alias_pte[i]);
            op(&rp, SD(30, 31, 0));
        }
        if (remap_all) {
            op(&rp, SFENCE_VMA(0, 0));
        } else {
            for (int i = 0; i < 2; i++) {
                li(&rp, 31, ALIAS + 0x1000 * (uint64_t)i);
                op(&rp, SFENCE_VMA(31, 0));
            }
        }
        op(&rp, JAL(0, (int32_t)(resume - rp.pc)));
        assert_true(rp.pc < M_REMAP + 0x1000);
    }

    /* Random, small, or the edge values of division and shifts. */
    static const uint64_t edges[] = {0, 1, UINT64_MAX, 1ULL << 63, 0x80000000ULL,
                                     0xffffffff80000000ULL, 0x7fffffffffffffffULL,
                                     0xffffffffULL, 63, 64};
    uint64_t regs[32];
    for (int i = 1; i < 32; i++) {
        unsigned kind = below(r, 8);
        regs[i] = kind < 5 ? rnd(r)
                  : kind < 7 ? (uint64_t)simm(r, 8)
                             : edges[below(r, sizeof(edges) / sizeof(edges[0]))];
    }
    regs[2] = DATA_AREA + 0x8000 + (uint64_t)(simm(r, 12) & ~7);
    regs[3] = DATA_AREA + 0x4000 + (uint64_t)simm(r, 12);
    regs[4] = code_start + (uint64_t)below(r, nslots) * 2; /* stores here rewrite code */
    if (paged.on && below(r, 2))
        regs[4] += ALIAS - CODE;                            /* through the alias */
    regs[5] = DEV_BASE + 0x200;
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < 32; i++)
            rv_cpu_set_xreg(m->h[k]->cpu, i, regs[i]);
    /*
     * FP registers: mostly doubles of moderate size (so sums and products stay normal and
     * the JIT's inline FP runs), some boxed singles, random bits and zeros; NX set or not
     * (the inline path needs it).
     */
    uint32_t fflags = below(r, 4) ? 1 : 0;
    for (int i = 0; i < 32; i++) {
        unsigned kind = below(r, 8);
        uint64_t v = rnd(r), f;
        if (kind < 5)
            f = (v & 0x800fffffffffffffULL) | (uint64_t)(1023 - 8 + below(r, 16)) << 52;
        else if (kind == 5)
            f = 0xffffffff00000000ULL | (uint32_t)((v & 0x807fffff) | (127 - 4 + below(r, 8)) << 23);
        else
            f = kind == 6 ? v : 0;
        for (int k = 0; k < 2; k++)
            m->h[k]->cpu->fp.f[i] = f;
    }
    for (int k = 0; k < 2; k++)
        m->h[k]->cpu->fp.fflags = fflags;
}

static bool compare(struct machine_pair *m, uint64_t seed, unsigned step)
{
    struct rv_cpu *a = m->h[0]->cpu, *b = m->h[1]->cpu;
    char what[64] = "";
    if (a->pc != b->pc)
        snprintf(what, sizeof(what), "pc");
    else if (a->priv != b->priv)
        snprintf(what, sizeof(what), "priv");
    else if (a->instret != b->instret)
        snprintf(what, sizeof(what), "instret");
    else if (rv_csr_minstret(a) != rv_csr_minstret(b) || a->mcountinhibit != b->mcountinhibit)
        snprintf(what, sizeof(what), "minstret");
    else if (a->mstatus != b->mstatus || a->mepc != b->mepc || a->mcause != b->mcause ||
             a->mtval != b->mtval || a->mscratch != b->mscratch || a->satp != b->satp)
        snprintf(what, sizeof(what), "trap CSRs");
    else if (memcmp(&a->fp, &b->fp, sizeof(a->fp)))
        snprintf(what, sizeof(what), "FP state");
    else if (a->resv_valid != b->resv_valid || (a->resv_valid && a->resv_addr != b->resv_addr))
        snprintf(what, sizeof(what), "reservation");
    else if (m->h[0]->dev_writes != m->h[1]->dev_writes ||
             m->h[0]->dev_last_write != m->h[1]->dev_last_write)
        snprintf(what, sizeof(what), "device writes");
    else if (memcmp(m->h[0]->ram, m->h[1]->ram, RAM_SIZE))
        snprintf(what, sizeof(what), "RAM");
    for (int i = 1; i < 32 && !what[0]; i++) {
        if (a->x[i] != b->x[i])
            snprintf(what, sizeof(what), "x%d", i);
    }
    if (!what[0])
        return true;
    fprintf(stderr, "engines differ (%s): seed %llu, slice %u, %s\n", what,
            (unsigned long long)seed, step,
            !paged.on ? "M-mode" : paged.priv ? "paged S-mode" : "paged U-mode");
    fprintf(stderr, "interpreter:\n");
    rv_cpu_dump(a);
    fprintf(stderr, "jit:\n");
    rv_cpu_dump(b);
    return false;
}

static bool run_one(uint64_t seed)
{
    struct rng r = {seed * 0x9e3779b97f4a7c15ULL + 1};
    struct machine_pair m;
    m.h[0] = harness_new();
    m.h[1] = harness_new();
    assert_int_equal(rv_cpu_set_engine(m.h[1]->cpu, RV_ENGINE_JIT), 0);
    /*
     * Mostly translated on the first run; every third seed keeps the default, so code
     * runs in the interpreter first and is translated while the program runs.
     */
    if (seed % 3)
        rv_jit_set_hot_runs(m.h[1]->cpu->jit, 1);
    code_start = CODE + (below(&r, 2) ? 0x1000 - 2 * below(&r, 40) : 2 * below(&r, 64));
    paged.on = below(&r, 2);
    fp_heavy = below(&r, 4) == 0;
    paged.priv = (int)below(&r, 2);
    if (paged.on)
        paged_programs++;
    build(&m, &r);
    bool ok = true;
    uint64_t total = 0;
    for (unsigned step = 0; ok && total < BUDGET; step++) {
        /* Mostly long slices (blocks run whole), some short ones that end mid-block. */
        uint64_t slice = below(&r, 4) ? 1 + below(&r, 300) : 1 + below(&r, 8);
        enum rv_run_exit ea = rv_cpu_run(m.h[0]->cpu, slice);
        enum rv_run_exit eb = rv_cpu_run(m.h[1]->cpu, slice);
        total += slice;
        if (ea != eb) {
            fprintf(stderr, "engines differ (run exit %d vs %d): seed %llu, slice %u\n", ea,
                    eb, (unsigned long long)seed, step);
            ok = false;
        }
        ok = ok && compare(&m, seed, step);
        if (ea == RV_RUN_WFI)
            break;
    }
    executed += m.h[0]->cpu->instret;
    remaps += get64(m.h[0], REMAP_COUNT);
    struct rv_jit_stats st;
    rv_jit_get_stats(m.h[1]->cpu->jit, &st);
    loops += st.loops;
    harness_free(m.h[0]);
    harness_free(m.h[1]);
    return ok;
}

static void test_random_streams(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    const char *s = getenv("KITE_JIT_DIFF_SEED");
    const char *n = getenv("KITE_JIT_DIFF_PROGRAMS");
    uint64_t seed0 = s ? strtoull(s, NULL, 0) : 1;
    unsigned programs = n ? (unsigned)strtoul(n, NULL, 0) : 150;
    unsigned failed = 0;
    for (unsigned i = 0; i < programs && failed < 5; i++) {
        if (!run_one(seed0 + i))
            failed++;
    }
    fprintf(stderr, "%u programs (%u paged) from seed %llu, %llu instructions on each "
            "engine, %llu remappings of running code, %llu loop translations\n", programs,
            paged_programs, (unsigned long long)seed0, (unsigned long long)executed,
            (unsigned long long)remaps, (unsigned long long)loops);
    assert_int_equal(failed, 0);
    /* The generator's loops must keep reaching the JIT's loop blocks. */
    if (programs >= 50)
        assert_true(loops > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
