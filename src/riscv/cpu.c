/*
 * The RV64GC hart: public interface, run loop and the instruction interpreter.
 *
 * rv_cpu_run() alternates between looking at events (stop requests, interrupts that may
 * have become deliverable) and an inner loop that executes instructions until `instret`
 * reaches `limit`. Anything that needs the run loop's attention (a device raising an
 * interrupt from inside an MMIO access, a CSR write that unmasks one, wfi) sets a flag and
 * zeroes `limit`. Such things only happen inside calls out of the inner loop's fast path,
 * so the inner loop looks at `limit` only after those; a plain instruction pays for one
 * decrement of a register-held budget.
 */
#include "riscv/cpu_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "riscv/jit/jit.h"

#define MISA_RV64 (2ULL << 62)
#define MISA_EXT(c) (1ULL << ((c) - 'A'))

struct rv_cpu *rv_cpu_new(const struct rv_phys *phys, uint64_t hartid)
{
    rv_rvc_init();
    struct rv_cpu *cpu = calloc(1, sizeof(*cpu));
    if (!cpu)
        return NULL;
    cpu->phys = *phys;
    cpu->slow_page = phys->slow_page ? (phys->slow_page & RV_PAGE_MASK) : RV_TLB_NONE;
    cpu->hartid = hartid;
    if (rv_dcache_init(cpu) < 0) {
        free(cpu);
        return NULL;
    }
    rv_cpu_reset(cpu, phys->ram_base, 0);
    return cpu;
}

void rv_cpu_free(struct rv_cpu *cpu)
{
    if (!cpu)
        return;
    log_info("riscv", "decode cache: %llu code pages, %llu evicted, %llu invalidated, "
             "%llu flushes; %llu record pages (%llu KiB), records taken away %llu times",
             (unsigned long long)cpu->dc.stat_decoded_pages,
             (unsigned long long)cpu->dc.stat_evictions,
             (unsigned long long)cpu->dc.stat_invalidations,
             (unsigned long long)cpu->dc.stat_flushes,
             (unsigned long long)cpu->dc.stat_rec_pages,
             (unsigned long long)(cpu->dc.stat_rec_pages * (RV_DPAGE_SLOTS + 2) *
                                  sizeof(struct rv_drec) >> 10),
             (unsigned long long)cpu->dc.stat_rec_evictions);
    rv_tlb_log_stats(cpu);
    if (cpu->jit) {
        rv_jit_log_stats(cpu->jit);
        rv_jit_free(cpu->jit);
    }
    rv_dcache_destroy(cpu);
    free(cpu);
}

void rv_cpu_reset(struct rv_cpu *cpu, uint64_t pc, uint64_t a1)
{
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(&cpu->fp, 0, sizeof(cpu->fp));
    cpu->x[10] = cpu->hartid;
    cpu->x[11] = a1;
    cpu->pc = pc;
    cpu->priv = RV_PRIV_M;
    cpu->mstatus = (2ULL << 32) | (2ULL << 34); /* UXL = SXL = 64-bit */
    cpu->misa = MISA_RV64 | MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('F') |
                MISA_EXT('D') | MISA_EXT('C') | MISA_EXT('S') | MISA_EXT('U');
    cpu->medeleg = cpu->mideleg = 0;
    cpu->mie = cpu->mip = 0;
    cpu->seip_sw = false;
    cpu->mtvec = cpu->stvec = 0;
    cpu->mepc = cpu->sepc = 0;
    cpu->mcause = cpu->scause = 0;
    cpu->mtval = cpu->stval = 0;
    cpu->mscratch = cpu->sscratch = 0;
    cpu->satp = 0;
    cpu->mcounteren = cpu->scounteren = 0;
    cpu->menvcfg = cpu->senvcfg = 0;
    cpu->mcountinhibit = 0;
    cpu->stimecmp = UINT64_MAX;
    cpu->mtimecmp = UINT64_MAX;
    cpu->instret_base = cpu->cycle_base = cpu->instret;
    cpu->instret_held = cpu->cycle_held = 0;
    memset(cpu->pmpcfg, 0, sizeof(cpu->pmpcfg));
    memset(cpu->pmpaddr, 0, sizeof(cpu->pmpaddr));
    cpu->resv_valid = false;
    rv_trig_reset(cpu);
    cpu->stop_req = false;
    cpu->wfi_exit = false;
    rv_tlb_reset(cpu);
    rv_dcache_flush(cpu); /* whatever was loaded since, a reset starts from fresh bytes */
    rv_csr_mode_changed(cpu);
    cpu->irq_check = true;
}

void rv_cpu_request_stop(struct rv_cpu *cpu)
{
    cpu->stop_req = true;
    cpu->limit = 0;
}

void rv_cpu_set_mip(struct rv_cpu *cpu, uint64_t mask, bool level)
{
    uint64_t old = cpu->mip;
    if (level)
        cpu->mip |= mask;
    else
        cpu->mip &= ~mask;
    if ((cpu->mip & ~old) & cpu->mie)
        rv_cpu_kick(cpu);
}

void rv_cpu_set_mtimecmp(struct rv_cpu *cpu, uint64_t value)
{
    cpu->mtimecmp = value;
    uint64_t now = clock_mtime();
    rv_cpu_set_mip(cpu, MIP_MTIP, now >= value);
}

uint64_t rv_cpu_get_mtimecmp(const struct rv_cpu *cpu)
{
    return cpu->mtimecmp;
}

static void hart_if_set_pending(void *opaque, uint64_t mask, bool level)
{
    rv_cpu_set_mip(opaque, mask, level);
}

static uint64_t hart_if_get_timecmp(void *opaque)
{
    return rv_cpu_get_mtimecmp(opaque);
}

static void hart_if_set_timecmp(void *opaque, uint64_t value)
{
    rv_cpu_set_mtimecmp(opaque, value);
    rv_cpu_update_timers(opaque, clock_mtime());
}

struct hart_if rv_cpu_hart_if(struct rv_cpu *cpu)
{
    return (struct hart_if){.opaque = cpu, .set_pending = hart_if_set_pending,
                            .get_timecmp = hart_if_get_timecmp,
                            .set_timecmp = hart_if_set_timecmp};
}

void rv_cpu_update_timers(struct rv_cpu *cpu, uint64_t mtime)
{
    rv_cpu_set_mip(cpu, MIP_MTIP, mtime >= cpu->mtimecmp);
    rv_csr_update_stip(cpu, mtime);
}

uint64_t rv_cpu_next_timer(const struct rv_cpu *cpu)
{
    uint64_t t = UINT64_MAX;
    if (cpu->mie & MIP_MTIP)
        t = cpu->mtimecmp;
    if ((cpu->menvcfg & MENVCFG_STCE) && (cpu->mie & MIP_STIP) && cpu->stimecmp < t)
        t = cpu->stimecmp;
    return t;
}

bool rv_cpu_interrupt_pending(const struct rv_cpu *cpu)
{
    return (rv_csr_mip(cpu) & cpu->mie) != 0;
}

uint64_t rv_cpu_get_pc(const struct rv_cpu *cpu)
{
    return cpu->pc;
}

uint64_t rv_cpu_get_xreg(const struct rv_cpu *cpu, int reg)
{
    if (reg <= 0 || reg > 31)
        return 0;
    return cpu->x[reg];
}

void rv_cpu_set_xreg(struct rv_cpu *cpu, int reg, uint64_t value)
{
    if (reg > 0 && reg <= 31)
        cpu->x[reg] = value;
}

uint64_t rv_cpu_get_freg(const struct rv_cpu *cpu, int reg)
{
    if (reg < 0 || reg > 31)
        return 0;
    return cpu->fp.f[reg];
}

int rv_cpu_get_priv(const struct rv_cpu *cpu)
{
    return cpu->priv;
}

uint64_t rv_cpu_retired(const struct rv_cpu *cpu)
{
    return cpu->instret;
}

uint64_t rv_cpu_instret(const struct rv_cpu *cpu)
{
    return rv_csr_minstret(cpu);
}

void rv_cpu_dump(const struct rv_cpu *cpu)
{
    static const char *const names[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
        "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
        "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    fprintf(stderr, "hart %llu: pc %016llx priv %d instret %llu\r\n",
            (unsigned long long)cpu->hartid, (unsigned long long)cpu->pc, cpu->priv,
            (unsigned long long)rv_csr_minstret(cpu));
    for (int i = 1; i < 32; i++) {
        fprintf(stderr, "%4s %016llx%s", names[i], (unsigned long long)cpu->x[i],
                (i % 4 == 3) ? "\r\n" : "  ");
    }
    fprintf(stderr, "\r\n");
    fprintf(stderr, "mstatus %016llx mip %016llx mie %016llx mideleg %016llx\r\n",
            (unsigned long long)cpu->mstatus, (unsigned long long)rv_csr_mip(cpu),
            (unsigned long long)cpu->mie, (unsigned long long)cpu->mideleg);
    fprintf(stderr, "mepc %016llx mcause %016llx mtval %016llx mtvec %016llx\r\n",
            (unsigned long long)cpu->mepc, (unsigned long long)cpu->mcause,
            (unsigned long long)cpu->mtval, (unsigned long long)cpu->mtvec);
    fprintf(stderr, "sepc %016llx scause %016llx stval %016llx stvec %016llx\r\n",
            (unsigned long long)cpu->sepc, (unsigned long long)cpu->scause,
            (unsigned long long)cpu->stval, (unsigned long long)cpu->stvec);
    fprintf(stderr, "satp %016llx medeleg %016llx menvcfg %016llx\r\n",
            (unsigned long long)cpu->satp, (unsigned long long)cpu->medeleg,
            (unsigned long long)cpu->menvcfg);
}

/* ---------------------------------------------------------------------------------- */

static inline int64_t sext32(uint64_t v)
{
    return (int64_t)(int32_t)(uint32_t)v;
}

static uint64_t amo_compute(unsigned f5, uint64_t old, uint64_t src, bool word)
{
    if (word) {
        old = (uint64_t)sext32(old);
        src = (uint64_t)sext32(src);
    }
    switch (f5) {
    case 0x01: return src;
    case 0x00: return old + src;
    case 0x04: return old ^ src;
    case 0x0c: return old & src;
    case 0x08: return old | src;
    case 0x10: return (int64_t)old < (int64_t)src ? old : src;
    case 0x14: return (int64_t)old > (int64_t)src ? old : src;
    case 0x18: return old < src ? old : src;
    default: return old > src ? old : src; /* 0x1c, maxu */
    }
}

/*
 * The TLB fast path for LR, SC and AMOs: the host address of an aligned va when its entry
 * allows what the instruction needs (reading and/or writing without a walk, A and D
 * already set), else NULL. *pa gets the physical address for the reservation.
 */
static inline uint8_t *amo_host(struct rv_cpu *cpu, uint64_t va, bool r, bool w, uint64_t *pa)
{
    const struct rv_tlb_entry *e = &cpu->dtlb[(va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    uint64_t page = va & RV_PAGE_MASK;
    if ((r && e->tag_r != page) || (w && e->tag_w != page))
        return NULL;
    uint8_t *h = (uint8_t *)(uintptr_t)(va + e->addend);
    *pa = cpu->phys.ram_base + (uint64_t)(h - cpu->phys.ram);
    return h;
}

static inline uint64_t host_read(const uint8_t *h, unsigned size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, h, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, h, 8);
    return v;
}

static inline void host_write(uint8_t *h, unsigned size, uint64_t val)
{
    if (size == 4) {
        uint32_t v = (uint32_t)val;
        memcpy(h, &v, 4);
    } else {
        memcpy(h, &val, 8);
    }
}

/* A, returns 0 or -1 with the exception set (illegal encodings included). */
static int exec_amo(struct rv_cpu *cpu, uint32_t insn, unsigned rd, unsigned rs1, unsigned rs2)
{
    unsigned f3 = (insn >> 12) & 7;
    unsigned f5 = insn >> 27;
    if (f3 != 2 && f3 != 3)
        return rv_raise(cpu, RV_EXC_ILLEGAL, insn);
    bool word = f3 == 2;
    unsigned size = word ? 4 : 8;
    uint64_t va = cpu->x[rs1];
    uint64_t pa, old;
    uint8_t *h;

    switch (f5) {
    case 0x02: /* lr */
        if (rs2)
            return rv_raise(cpu, RV_EXC_ILLEGAL, insn);
        if (rv_trig_mem(cpu, va, size, RV_TRIG_LOAD))
            return -1;
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_LOAD_MISALIGNED, va);
        if ((h = amo_host(cpu, va, true, false, &pa)) != NULL)
            old = host_read(h, size);
        else if (rv_mmu_translate(cpu, va, RV_ACC_R, &pa) ||
                 rv_mmu_phys_read(cpu, pa, size, &old, va, RV_ACC_R))
            return -1;
        cpu->resv_addr = pa;
        cpu->resv_valid = true;
        cpu->x[rd] = word ? (uint64_t)sext32(old) : old;
        return 0;
    case 0x03: /* sc */
        /* Checked as a store whether it would succeed or not (the spec leaves it open). */
        if (rv_trig_mem(cpu, va, size, RV_TRIG_STORE))
            return -1;
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_STORE_MISALIGNED, va);
        /* Permission is checked whether or not the reservation holds. */
        h = amo_host(cpu, va, false, true, &pa);
        if (!h && rv_mmu_translate(cpu, va, RV_ACC_W, &pa))
            return -1;
        if (cpu->resv_valid && cpu->resv_addr == pa) {
            if (h)
                host_write(h, size, cpu->x[rs2]);
            else if (rv_mmu_phys_write(cpu, pa, size, cpu->x[rs2], va))
                return -1;
            cpu->resv_valid = false;
            cpu->x[rd] = 0;
        } else {
            cpu->resv_valid = false;
            cpu->x[rd] = 1;
        }
        return 0;
    case 0x01: case 0x00: case 0x04: case 0x0c: case 0x08:
    case 0x10: case 0x14: case 0x18: case 0x1c: {
        /* An AMO is a load and a store to its address. */
        if (rv_trig_mem(cpu, va, size, RV_TRIG_LOAD) ||
            rv_trig_mem(cpu, va, size, RV_TRIG_STORE))
            return -1;
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_STORE_MISALIGNED, va);
        if ((h = amo_host(cpu, va, true, true, &pa)) != NULL) {
            old = host_read(h, size);
            host_write(h, size, amo_compute(f5, old, cpu->x[rs2], word));
            cpu->x[rd] = word ? (uint64_t)sext32(old) : old;
            return 0;
        }
        if (rv_mmu_translate(cpu, va, RV_ACC_W, &pa) ||
            rv_mmu_phys_read(cpu, pa, size, &old, va, RV_ACC_W))
            return -1;
        uint64_t nv = amo_compute(f5, old, cpu->x[rs2], word);
        if (rv_mmu_phys_write(cpu, pa, size, nv, va))
            return -1;
        cpu->x[rd] = word ? (uint64_t)sext32(old) : old;
        return 0;
    }
    default:
        return rv_raise(cpu, RV_EXC_ILLEGAL, insn);
    }
}

/* Zicsr. `raw` is what mtval reports for an illegal access. */
static int exec_csr(struct rv_cpu *cpu, uint32_t insn, uint32_t raw)
{
    unsigned f3 = (insn >> 12) & 7;
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
    unsigned csr = insn >> 20;
    uint64_t src = (f3 & 4) ? rs1 : cpu->x[rs1];
    uint64_t old = 0;
    bool do_read = (f3 & 3) != 1 || rd != 0;  /* csrrw with rd=x0 does not read */
    bool do_write = (f3 & 3) == 1 || rs1 != 0; /* csrrs/c with x0/0 do not write */
    if (do_read && rv_csr_read(cpu, csr, &old))
        return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
    if (do_write) {
        uint64_t nv;
        switch (f3 & 3) {
        case 1: nv = src; break;
        case 2: nv = old | src; break;
        default: nv = old & ~src; break;
        }
        if (!do_read) {
            /* Still honour the access rules of the CSR for a write-only csrrw. */
            uint64_t dummy;
            if (rv_csr_read(cpu, csr, &dummy))
                return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        }
        if (rv_csr_write(cpu, csr, nv))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
    }
    cpu->x[rd] = old;
    return 0;
}

/* SYSTEM with funct3 = 0: returns 0 (pc already set when it changes flow), -1 to trap. */
static int exec_priv(struct rv_cpu *cpu, uint32_t insn, uint32_t raw, uint64_t npc)
{
    switch (insn) {
    case 0x00000073: /* ecall */
        return rv_raise(cpu, RV_EXC_ECALL_U + (uint64_t)cpu->priv, 0);
    case 0x00100073: /* ebreak */
        return rv_raise(cpu, RV_EXC_BREAKPOINT, cpu->pc);
    case 0x30200073: /* mret */
        if (cpu->priv != RV_PRIV_M)
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        rv_cpu_mret(cpu);
        return 1;
    case 0x10200073: /* sret */
        if (cpu->priv < RV_PRIV_S ||
            (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TSR)))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        rv_cpu_sret(cpu);
        return 1;
    case 0x10500073: /* wfi */
        if (cpu->priv == RV_PRIV_U ||
            (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TW)))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        cpu->pc = npc;
        if (!(rv_csr_mip(cpu) & cpu->mie)) {
            cpu->wfi_exit = true;
            cpu->limit = 0;
        }
        return 1;
    default:
        break;
    }
    if ((insn >> 25) == 0x09 && ((insn >> 7) & 31) == 0) { /* sfence.vma */
        if (cpu->priv == RV_PRIV_U ||
            (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM)))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        unsigned rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
        rv_tlb_sfence(cpu, rs1 != 0, cpu->x[rs1], rs2 != 0, cpu->x[rs2]);
        return 0;
    }
    return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
}

static inline bool fs_off(const struct rv_cpu *cpu)
{
    return !(cpu->mstatus & MSTATUS_FS);
}

static inline void fs_dirty(struct rv_cpu *cpu)
{
    cpu->mstatus |= MSTATUS_FS | MSTATUS_SD;
}

/*
 * The instructions that stay out of the threaded fast path: SYSTEM, atomics and floating
 * point. Returns 0 (continue at npc), 1 (cpu->pc already set: mret, sret, wfi) or -1 with
 * the exception set.
 */
int rv_cpu_exec_generic(struct rv_cpu *cpu, uint32_t insn, uint32_t raw, uint64_t npc)
{
    uint64_t *const x = cpu->x;
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    unsigned f3 = (insn >> 12) & 7;

    switch (insn & 0x7f) {
    case 0x73: /* system */
        if (f3 == 0)
            return exec_priv(cpu, insn, raw, npc);
        if (f3 == 4)
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        return exec_csr(cpu, insn, raw);
    case 0x2f: /* atomics */
        return exec_amo(cpu, insn, rd, rs1, rs2);
    case 0x07: { /* flw, fld */
        if (rv_unlikely(fs_off(cpu)) || (f3 != 2 && f3 != 3))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        uint64_t a = x[rs1] + (uint64_t)(int64_t)((int32_t)insn >> 20), v;
        if (rv_load(cpu, a, f3 == 2 ? 4 : 8, &v))
            return -1;
        cpu->fp.f[rd] = f3 == 2 ? (v | 0xffffffff00000000ULL) : v;
        fs_dirty(cpu);
        return 0;
    }
    case 0x27: { /* fsw, fsd */
        if (rv_unlikely(fs_off(cpu)) || (f3 != 2 && f3 != 3))
            return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
        int64_t imm = (int32_t)((insn & 0xfe000000) | ((insn >> 7 & 31) << 20)) >> 20;
        return rv_store(cpu, x[rs1] + (uint64_t)imm, f3 == 2 ? 4 : 8, cpu->fp.f[rs2]);
    }
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        return rv_fp_arith(cpu, insn) ? 0 : rv_raise(cpu, RV_EXC_ILLEGAL, raw);
    default:
        return rv_raise(cpu, RV_EXC_ILLEGAL, raw);
    }
}

/* Decoder tables: funct3 -> handler, RV_OP_ILLEGAL where the encoding is reserved. */
static const uint8_t op_branch[8] = {RV_OP_BEQ, RV_OP_BNE, RV_OP_ILLEGAL, RV_OP_ILLEGAL,
                                     RV_OP_BLT, RV_OP_BGE, RV_OP_BLTU, RV_OP_BGEU};
static const uint8_t op_load[8] = {RV_OP_LB, RV_OP_LH, RV_OP_LW, RV_OP_LD,
                                   RV_OP_LBU, RV_OP_LHU, RV_OP_LWU, RV_OP_ILLEGAL};
static const uint8_t op_store[8] = {RV_OP_SB, RV_OP_SH, RV_OP_SW, RV_OP_SD,
                                    RV_OP_ILLEGAL, RV_OP_ILLEGAL, RV_OP_ILLEGAL, RV_OP_ILLEGAL};
static const uint8_t op_imm[8] = {RV_OP_ADDI, RV_OP_SLLI, RV_OP_SLTI, RV_OP_SLTIU,
                                  RV_OP_XORI, RV_OP_SRLI, RV_OP_ORI, RV_OP_ANDI};
static const uint8_t op_reg[8] = {RV_OP_ADD, RV_OP_SLL, RV_OP_SLT, RV_OP_SLTU,
                                  RV_OP_XOR, RV_OP_SRL, RV_OP_OR, RV_OP_AND};
static const uint8_t op_mul[8] = {RV_OP_MUL, RV_OP_MULH, RV_OP_MULHSU, RV_OP_MULHU,
                                  RV_OP_DIV, RV_OP_DIVU, RV_OP_REM, RV_OP_REMU};
static const uint8_t op_mulw[8] = {RV_OP_MULW, RV_OP_ILLEGAL, RV_OP_ILLEGAL, RV_OP_ILLEGAL,
                                   RV_OP_DIVW, RV_OP_DIVUW, RV_OP_REMW, RV_OP_REMUW};

/* True for handlers whose only effect is writing rd: with rd = x0 they are a nop. */
static bool pure_alu(unsigned op)
{
    return (op >= RV_OP_LUI && op <= RV_OP_AUIPC) || op >= RV_OP_ADDI;
}

/*
 * Decodes a 32-bit instruction (`insn`, already expanded from `raw` when len is 2) into a
 * record. Everything the fast handlers need is checked here, once: a record never holds a
 * reserved encoding except as RV_OP_ILLEGAL.
 */
static void decode(const void *const *ops, struct rv_drec *r, uint32_t insn, uint32_t raw,
                   unsigned len)
{
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    unsigned f3 = (insn >> 12) & 7, f7 = insn >> 25;
    int32_t imm = (int32_t)insn >> 20;
    unsigned op = RV_OP_ILLEGAL;

    switch (insn & 0x7f) {
    case 0x37: op = RV_OP_LUI; imm = (int32_t)(insn & 0xfffff000); break;
    case 0x17: op = RV_OP_AUIPC; imm = (int32_t)(insn & 0xfffff000); break;
    case 0x6f:
        op = RV_OP_JAL;
        imm = (int32_t)(((uint32_t)((int32_t)(insn & 0x80000000) >> 11)) | (insn & 0xff000) |
                        ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7fe));
        break;
    case 0x67:
        if (f3 == 0)
            op = RV_OP_JALR;
        break;
    case 0x63:
        op = op_branch[f3];
        imm = (int32_t)(((uint32_t)((int32_t)(insn & 0x80000000) >> 19)) |
                        ((insn & 0x80) << 4) | ((insn >> 20) & 0x7e0) | ((insn >> 7) & 0x1e));
        break;
    case 0x03: op = op_load[f3]; break;
    case 0x23:
        op = op_store[f3];
        imm = (int32_t)((insn & 0xfe000000) | ((insn >> 7 & 31) << 20)) >> 20;
        break;
    case 0x13:
        op = op_imm[f3];
        if (f3 == 1) {
            if (insn >> 26)
                op = RV_OP_ILLEGAL;
            imm &= 63;
        } else if (f3 == 5) {
            if ((insn >> 26) == 0x10)
                op = RV_OP_SRAI;
            else if (insn >> 26)
                op = RV_OP_ILLEGAL;
            imm &= 63;
        }
        break;
    case 0x1b:
        if (f3 == 0) {
            op = RV_OP_ADDIW;
        } else if (f3 == 1 && f7 == 0) {
            op = RV_OP_SLLIW;
            imm = (int32_t)rs2;
        } else if (f3 == 5 && (f7 == 0 || f7 == 0x20)) {
            op = f7 ? RV_OP_SRAIW : RV_OP_SRLIW;
            imm = (int32_t)rs2;
        }
        break;
    case 0x33:
        if (f7 == 0)
            op = op_reg[f3];
        else if (f7 == 0x20 && f3 == 0)
            op = RV_OP_SUB;
        else if (f7 == 0x20 && f3 == 5)
            op = RV_OP_SRA;
        else if (f7 == 1)
            op = op_mul[f3];
        break;
    case 0x3b:
        if (f7 == 0 && (f3 == 0 || f3 == 1 || f3 == 5))
            op = f3 == 0 ? RV_OP_ADDW : f3 == 1 ? RV_OP_SLLW : RV_OP_SRLW;
        else if (f7 == 0x20 && (f3 == 0 || f3 == 5))
            op = f3 == 0 ? RV_OP_SUBW : RV_OP_SRAW;
        else if (f7 == 1)
            op = op_mulw[f3];
        break;
    case 0x0f:
        if (f3 == 0)
            op = RV_OP_NOP;
        else if (f3 == 1)
            op = RV_OP_FENCE_I;
        break;
    case 0x73: case 0x2f: case 0x07: case 0x27:
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        op = RV_OP_GENERIC;
        break;
    default:
        break;
    }

    r->len = (uint8_t)len;
    r->rs1 = (uint8_t)rs1;
    r->rs2 = (uint8_t)rs2;
    r->rd = (uint8_t)(rd ? rd : 32);
    r->imm = imm;
    if (op == RV_OP_ILLEGAL) {
        r->imm = (int32_t)raw;
    } else if (op == RV_OP_GENERIC) {
        r->imm = (int32_t)insn;
        r->rd = (uint8_t)(raw & 0xff);
        r->rs1 = (uint8_t)((raw >> 8) & 0xff);
    } else if (rd == 0 && pure_alu(op)) {
        op = RV_OP_NOP;
    }
    r->h = ops[op * 2 + (len == 4)];
}

/* Decodes the instruction whose first 16 bits are `lo` and, if 32-bit, upper bits `hi`. */
static void decode_parcels(const void *const *ops, struct rv_drec *r, uint32_t lo, uint32_t hi)
{
    if ((lo & 3) != 3) {
        uint32_t insn = rv_rvc_table[lo & 0xffff];
        if (!insn) {
            r->h = ops[RV_OP_ILLEGAL * 2];
            r->imm = (int32_t)(lo & 0xffff);
            r->len = 2;
            return;
        }
        decode(ops, r, insn, lo & 0xffff, 2);
    } else {
        uint32_t insn = (lo & 0xffff) | (hi << 16);
        decode(ops, r, insn, insn, 4);
    }
}

void rv_decode_insn(struct rv_drec *r, uint32_t lo, uint32_t hi)
{
    static const void *ids[RV_OP_COUNT * 2];
    static bool ready;
    if (!ready) {
        for (unsigned i = 0; i < RV_OP_COUNT * 2; i++)
            ids[i] = (const void *)(uintptr_t)(i / 2);
        ready = true;
    }
    decode_parcels(ids, r, lo, hi);
}

/*
 * Executes instructions until instret reaches limit (or a kick zeroes limit). Every exit
 * path leaves cpu->pc at the next instruction to run.
 *
 * Threaded dispatch over decoded records: a handler ends by jumping straight to the next
 * record's label. Straight-line code advances the record pointer; jumps within the current
 * code page index its records; anything else goes through `lookup`. After anything that
 * leaves the fast path (slow loads and stores, CSRs, traps), the handler also goes through
 * `lookup`, because the callee may have flushed the TLB or the decode cache, and looks at
 * limit, because it may have raised an interrupt or asked the loop to stop.
 */
/*
 * Threaded dispatch only pays if every handler keeps its own indirect jump (one branch
 * predictor entry per handler). GCC's cross-jumping merges those identical tails into one
 * shared jump, and its GCSE pass hurts computed-goto code (GCC manual, -fno-gcse).
 */
__attribute__((optimize("no-crossjumping", "no-gcse")))
void rv_cpu_interp(struct rv_cpu *cpu)
{
/* Handlers come in two copies, for 2- and 4-byte instructions (see H below). */
#define T(op, name) [RV_OP_##op * 2] = &&op_##name##_2, [RV_OP_##op * 2 + 1] = &&op_##name##_4
#define S(op, label) [RV_OP_##op * 2] = &&label, [RV_OP_##op * 2 + 1] = &&label
    static const void *const ops[RV_OP_COUNT * 2] = {
        S(DECODE, op_decode), S(LOOKUP, lookup), S(UNCACHED, op_uncached),
        S(ILLEGAL, op_illegal), S(GENERIC, op_generic), T(NOP, nop), T(FENCE_I, fence_i),
        T(LUI, lui), T(AUIPC, auipc), T(JAL, jal),
        T(JALR, jalr),
        T(BEQ, beq), T(BNE, bne), T(BLT, blt),
        T(BGE, bge), T(BLTU, bltu), T(BGEU, bgeu),
        T(LB, lb), T(LH, lh), T(LW, lw), T(LD, ld),
        T(LBU, lbu), T(LHU, lhu), T(LWU, lwu),
        T(SB, sb), T(SH, sh), T(SW, sw), T(SD, sd),
        T(ADDI, addi), T(SLTI, slti), T(SLTIU, sltiu),
        T(XORI, xori), T(ORI, ori), T(ANDI, andi),
        T(SLLI, slli), T(SRLI, srli), T(SRAI, srai),
        T(ADDIW, addiw), T(SLLIW, slliw), T(SRLIW, srliw),
        T(SRAIW, sraiw),
        T(ADD, add), T(SUB, sub), T(SLL, sll),
        T(SLT, slt), T(SLTU, sltu), T(XOR, xor),
        T(SRL, srl), T(SRA, sra), T(OR, or),
        T(AND, and),
        T(MUL, mul), T(MULH, mulh), T(MULHSU, mulhsu),
        T(MULHU, mulhu), T(DIV, div), T(DIVU, divu),
        T(REM, rem), T(REMU, remu),
        T(ADDW, addw), T(SUBW, subw), T(SLLW, sllw),
        T(SRLW, srlw), T(SRAW, sraw),
        T(MULW, mulw), T(DIVW, divw), T(DIVUW, divuw),
        T(REMW, remw), T(REMUW, remuw),
    };
    uint64_t *const x = cpu->x;
    const uint64_t end = cpu->limit;
    /* Before the budget check: the JIT calls with no budget once, to get this set up. */
    if (rv_unlikely(cpu->ops != ops)) {
        cpu->ops = ops;
        cpu->uncached[0] = (struct rv_drec){.h = ops[RV_OP_UNCACHED * 2], .len = 2};
        cpu->uncached[1].h = cpu->uncached[2].h = ops[RV_OP_LOOKUP * 2];
        cpu->tmp[1].h = cpu->tmp[2].h = ops[RV_OP_LOOKUP * 2];
        rv_dcache_flush(cpu); /* pages filled with another table's labels, if any */
    }
    if (cpu->instret >= end)
        return;
    /* Instructions left in this slice; instret is end - left, written back on exit. */
    uint64_t left = end - cpu->instret;
    uint64_t pc = cpu->pc;
    struct rv_drec *rec;
    goto lookup;

/* Field access for the current record. */
#define RD (rec->rd)
#define RS1 (x[rec->rs1])
#define RS2 (x[rec->rs2])
#define IMM ((uint64_t)(int64_t)rec->imm)
/* Counts the instruction just completed and ends the slice when the budget is spent. */
#define COUNT()                             \
    do {                                    \
        if (rv_unlikely(--left == 0))       \
            goto out;                       \
    } while (0)
/*
 * Straight-line successor: the next record of the same page (or a sentinel). L is the
 * instruction length, a constant in each copy of a handler, so moving to the next record
 * does not wait for a load.
 */
#define NEXT()                              \
    do {                                    \
        pc += L;                            \
        rec += L >> 1;                      \
        COUNT();                            \
        goto *rec->h;                       \
    } while (0)
/* Defines handler `name` twice: op_name_2 for 16-bit instructions, op_name_4 for 32-bit. */
#define H(name, ...)                        \
    op_##name##_2: {                        \
        enum { L = 2 };                     \
        __VA_ARGS__                         \
    }                                       \
    op_##name##_4: {                        \
        enum { L = 4 };                     \
        __VA_ARGS__                         \
    }
/* Control transfer: stay on the current code page's records when the target is there. */
#define JUMP(target)                                                  \
    do {                                                              \
        pc = (target);                                                \
        COUNT();                                                      \
        if (rv_likely((pc & RV_PAGE_MASK) == cpu->fetch_vpage)) {     \
            rec = cpu->fetch_code + ((pc & 0xfff) >> 1);              \
            goto *rec->h;                                             \
        }                                                             \
        goto lookup_far;                                              \
    } while (0)
/* After a call out of the fast path: pc is set; recheck everything. */
#define SLOW_NEXT() goto slow_next
#define ALU(expr)                           \
    do {                                    \
        x[RD] = (expr);                     \
        NEXT();                             \
    } while (0)
#define BRANCH(cond)                        \
    do {                                    \
        if (cond)                           \
            JUMP(pc + IMM);                 \
        NEXT();                             \
    } while (0)
#define LOAD(size, type)                                                              \
    do {                                                                              \
        uint64_t a_ = RS1 + IMM;                                                      \
        const struct rv_tlb_entry *e_ =                                               \
            &cpu->dtlb[(a_ >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];                    \
        if (rv_likely(e_->tag_r == (a_ & (RV_PAGE_MASK | (size - 1))))) {             \
            type v_;                                                                  \
            memcpy(&v_, (const void *)(uintptr_t)(a_ + e_->addend), size);            \
            x[RD] = (uint64_t)(int64_t)v_;                                            \
            NEXT();                                                                   \
        }                                                                             \
        uint64_t w_;                                                                  \
        cpu->pc = pc;                                                                 \
        cpu->instret = end - left; /* a device may read the clock (--icount) */       \
        if (rv_mmu_load_slow(cpu, a_, size, &w_))                                     \
            goto trap;                                                                \
        x[RD] = (uint64_t)(int64_t)(type)w_;                                          \
        pc += L;                                                                      \
        SLOW_NEXT();                                                                  \
    } while (0)
#define STORE(size, type)                                                             \
    do {                                                                              \
        uint64_t a_ = RS1 + IMM;                                                      \
        const struct rv_tlb_entry *e_ =                                               \
            &cpu->dtlb[(a_ >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];                    \
        if (rv_likely(e_->tag_w == (a_ & (RV_PAGE_MASK | (size - 1))))) {             \
            type v_ = (type)RS2;                                                      \
            memcpy((void *)(uintptr_t)(a_ + e_->addend), &v_, size);                  \
            NEXT();                                                                   \
        }                                                                             \
        cpu->pc = pc;                                                                 \
        cpu->instret = end - left;                                                    \
        if (rv_mmu_store_slow(cpu, a_, size, RS2))                                    \
            goto trap;                                                                \
        pc += L;                                                                      \
        SLOW_NEXT();                                                                  \
    } while (0)

H(lui, ALU(IMM);)
H(auipc, ALU(pc + IMM);)
H(jal,
    uint64_t link = pc + L;
    x[RD] = link;
    JUMP(pc + IMM);
)
H(jalr,
    uint64_t t = (RS1 + IMM) & ~1ULL;
    x[RD] = pc + L;
    JUMP(t);
)
H(beq, BRANCH(RS1 == RS2);)
H(bne, BRANCH(RS1 != RS2);)
H(blt, BRANCH((int64_t)RS1 < (int64_t)RS2);)
H(bge, BRANCH((int64_t)RS1 >= (int64_t)RS2);)
H(bltu, BRANCH(RS1 < RS2);)
H(bgeu, BRANCH(RS1 >= RS2);)
H(lb, LOAD(1, int8_t);)
H(lh, LOAD(2, int16_t);)
H(lw, LOAD(4, int32_t);)
H(ld, LOAD(8, int64_t);)
H(lbu, LOAD(1, uint8_t);)
H(lhu, LOAD(2, uint16_t);)
H(lwu, LOAD(4, uint32_t);)
H(sb, STORE(1, uint8_t);)
H(sh, STORE(2, uint16_t);)
H(sw, STORE(4, uint32_t);)
H(sd, STORE(8, uint64_t);)
H(addi, ALU(RS1 + IMM);)
H(slti, ALU((int64_t)RS1 < (int64_t)IMM);)
H(sltiu, ALU(RS1 < IMM);)
H(xori, ALU(RS1 ^ IMM);)
H(ori, ALU(RS1 | IMM);)
H(andi, ALU(RS1 & IMM);)
H(slli, ALU(RS1 << rec->imm);)
H(srli, ALU(RS1 >> rec->imm);)
H(srai, ALU((uint64_t)((int64_t)RS1 >> rec->imm));)
H(addiw, ALU((uint64_t)sext32(RS1 + IMM));)
H(slliw, ALU((uint64_t)sext32(RS1 << rec->imm));)
H(srliw, ALU((uint64_t)sext32((uint32_t)RS1 >> rec->imm));)
H(sraiw, ALU((uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> rec->imm));)
H(add, ALU(RS1 + RS2);)
H(sub, ALU(RS1 - RS2);)
H(sll, ALU(RS1 << (RS2 & 63));)
H(slt, ALU((int64_t)RS1 < (int64_t)RS2);)
H(sltu, ALU(RS1 < RS2);)
H(xor, ALU(RS1 ^ RS2);)
H(srl, ALU(RS1 >> (RS2 & 63));)
H(sra, ALU((uint64_t)((int64_t)RS1 >> (RS2 & 63)));)
H(or, ALU(RS1 | RS2);)
H(and, ALU(RS1 & RS2);)
H(mul, ALU(RS1 * RS2);)
H(mulh, ALU((uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64));)
H(mulhsu, ALU((uint64_t)(((__int128)(int64_t)RS1 * (__int128)(unsigned __int128)RS2) >> 64));)
H(mulhu, ALU((uint64_t)(((unsigned __int128)RS1 * RS2) >> 64));)
H(div,
    uint64_t a = RS1, b = RS2;
    if (b == 0)
        ALU(UINT64_MAX);
    if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
        ALU(a);
    ALU((uint64_t)((int64_t)a / (int64_t)b));
)
H(divu,
    uint64_t a = RS1, b = RS2;
    ALU(b ? a / b : UINT64_MAX);
)
H(rem,
    uint64_t a = RS1, b = RS2;
    if (b == 0)
        ALU(a);
    if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
        ALU(0);
    ALU((uint64_t)((int64_t)a % (int64_t)b));
)
H(remu,
    uint64_t a = RS1, b = RS2;
    ALU(b ? a % b : a);
)
H(addw, ALU((uint64_t)sext32(RS1 + RS2));)
H(subw, ALU((uint64_t)sext32(RS1 - RS2));)
H(sllw, ALU((uint64_t)sext32((uint32_t)RS1 << (RS2 & 31)));)
H(srlw, ALU((uint64_t)sext32((uint32_t)RS1 >> (RS2 & 31)));)
H(sraw, ALU((uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> (RS2 & 31)));)
H(mulw, ALU((uint64_t)sext32((uint32_t)RS1 * (uint32_t)RS2));)
H(divw,
    uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
    if (b == 0)
        ALU(UINT64_MAX);
    if ((int32_t)a == INT32_MIN && (int32_t)b == -1)
        ALU((uint64_t)sext32(a));
    ALU((uint64_t)(int64_t)((int32_t)a / (int32_t)b));
)
H(divuw,
    uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
    ALU(b ? (uint64_t)sext32(a / b) : UINT64_MAX);
)
H(remw,
    uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
    if (b == 0)
        ALU((uint64_t)sext32(a));
    if ((int32_t)a == INT32_MIN && (int32_t)b == -1)
        ALU(0);
    ALU((uint64_t)(int64_t)((int32_t)a % (int32_t)b));
)
H(remuw,
    uint32_t a = (uint32_t)RS1, b = (uint32_t)RS2;
    ALU((uint64_t)sext32(b ? a % b : a));
)
H(nop, NEXT();)

/*
 * fence.i has nothing to do: the decode cache is always coherent. The hart's own stores
 * drop what they overwrite as they happen, and every other writer of RAM calls
 * rv_cpu_invalidate_code(). (Linux runs fence.i tens of thousands of times per boot, so
 * flushing here would cost more than all the decoding it saves.)
 */
H(fence_i, NEXT();)

op_generic: {
    uint32_t insn = (uint32_t)rec->imm;
    unsigned len = rec->len;
    /*
     * F and D without the trip through C and the code lookup after it: arithmetic, and
     * FP loads and stores that hit the TLB (a store hit is never into code: code pages
     * have no write tag), none of which can change the code page, the privilege or the
     * budget. Loads want FS Dirty already, as the JIT's do. The rest, faults and illegal
     * encodings included, takes the generic path below.
     */
    unsigned major = insn & 0x7f, f3 = (insn >> 12) & 7;
    if ((major & 0x73) == 0x43 || major == 0x53) {
        if (rv_fp_arith(cpu, insn))
            goto fp_next;
    } else if ((major == 0x07 || major == 0x27) && (f3 == 2 || f3 == 3) &&
               (major == 0x07 ? (cpu->mstatus & MSTATUS_FS) == MSTATUS_FS
                              : (cpu->mstatus & MSTATUS_FS) != 0)) {
        unsigned size = f3 == 2 ? 4 : 8;
        int32_t off = major == 0x07 ? (int32_t)insn >> 20
                    : ((int32_t)(insn & 0xfe000000u) >> 20) | (int32_t)((insn >> 7) & 31);
        uint64_t a = x[(insn >> 15) & 31] + (uint64_t)(int64_t)off, v;
        if (major == 0x07 && rv_load_fast(cpu, a, size, &v)) {
            cpu->fp.f[(insn >> 7) & 31] = size == 4 ? v | 0xffffffff00000000ULL : v; /* boxed */
            goto fp_next;
        }
        if (major == 0x27 && rv_store_fast(cpu, a, size, cpu->fp.f[(insn >> 20) & 31]))
            goto fp_next;
    }
    uint32_t raw = len == 2 ? (uint32_t)rec->rd | ((uint32_t)rec->rs1 << 8) : insn;
    cpu->pc = pc;
    cpu->instret = end - left; /* CSR reads of instret/cycle see the current count */
    int r = rv_cpu_exec_generic(cpu, insn, raw, pc + len);
    x[0] = 0; /* generic code writes x[rd] with rd = 0 too */
    if (r < 0)
        goto trap;
    pc = r > 0 ? cpu->pc : pc + len;
    SLOW_NEXT();
fp_next:
    pc += len;
    rec += len >> 1;
    COUNT();
    goto *rec->h;
}

op_illegal:
    rv_raise(cpu, RV_EXC_ILLEGAL, (uint32_t)rec->imm);
    goto trap;

op_decode: {
    /* First run of this slot of the current code page: decode it in place. */
    size_t slot = (size_t)(rec - cpu->fetch_code);
    if (rv_unlikely(slot >= RV_DPAGE_SLOTS || (pc & RV_PAGE_MASK) != cpu->fetch_vpage))
        goto lookup_far; /* cannot happen; refuse to decode from the wrong bytes */
    const uint8_t *p = cpu->fetch_host + slot * 2;
    uint16_t lo, hi = 0;
    memcpy(&lo, p, 2);
    if ((lo & 3) == 3 && slot == RV_DPAGE_SLOTS - 1) {
        /* Straddles into the next page, which may change independently: never cache. */
        rec->h = ops[RV_OP_UNCACHED * 2];
        rec->len = 4;
        goto op_uncached;
    }
    if ((lo & 3) == 3)
        memcpy(&hi, p + 2, 2);
    decode_parcels(ops, rec, lo, hi);
    goto *rec->h;
}

op_uncached: {
    /* Fetched through the slow path every time: page-straddling or not in RAM. */
    uint32_t insn;
    cpu->pc = pc;
    if (rv_mmu_fetch_slow(cpu, pc, &insn))
        goto trap;
    decode_parcels(ops, &cpu->tmp[0], insn & 0xffff, insn >> 16);
    rec = &cpu->tmp[0];
    goto *rec->h;
}

lookup_far:
    rec = rv_mmu_code_lookup(cpu, pc);
    if (rv_unlikely(!rec))
        goto trap;
    goto *rec->h;

lookup:
    if (rv_likely((pc & RV_PAGE_MASK) == cpu->fetch_vpage)) {
        rec = cpu->fetch_code + ((pc & 0xfff) >> 1);
        goto *rec->h;
    }
    goto lookup_far;

trap:
    /* The trapping instruction still uses up budget so a fault loop cannot hang us. */
    cpu->pc = pc;
    rv_cpu_take_trap(cpu, cpu->exc_cause, cpu->exc_tval);
    pc = cpu->pc;
    /* fall through */
slow_next:
    COUNT();
    if (rv_unlikely(cpu->limit != end))
        goto out;
    goto lookup;

out:
    cpu->pc = pc;
    cpu->instret = end - left;

#undef RD
#undef RS1
#undef RS2
#undef IMM
#undef COUNT
#undef NEXT
#undef JUMP
#undef SLOW_NEXT
#undef ALU
#undef H
#undef T
#undef S
#undef BRANCH
#undef LOAD
#undef STORE
}

bool rv_cpu_jit_available(void)
{
    return rv_jit_available();
}

int rv_cpu_set_engine(struct rv_cpu *cpu, enum rv_engine engine)
{
    if (engine == RV_ENGINE_INTERP) {
        rv_jit_free(cpu->jit);
        cpu->jit = NULL;
        return 0;
    }
    if (cpu->jit)
        return 0;
    int err = 0;
    struct rv_jit *j = rv_jit_new(&err);
    if (!j)
        return engine == RV_ENGINE_DEFAULT ? 0 : err;
    /* The JIT uses the interpreter's decode cache, which needs its handler table. */
    uint64_t saved = cpu->limit;
    cpu->limit = 0;
    rv_cpu_interp(cpu);
    cpu->limit = saved;
    cpu->jit = j;
    return 0;
}

/*
 * While an execute trigger is armed: one instruction at a time, each after a look at the
 * triggers, so a breakpoint is taken before the instruction at its address runs. Slow, but
 * only while someone is debugging; translated code and the threaded interpreter's free run
 * never pay for it.
 */
static void run_stepped(struct rv_cpu *cpu)
{
    const uint64_t end = cpu->limit;
    while (cpu->instret < end && cpu->limit == end && (cpu->trig_armed & RV_TRIG_EXEC)) {
        if (rv_trig_exec(cpu)) {
            rv_cpu_take_trap(cpu, cpu->exc_cause, cpu->exc_tval);
            cpu->instret++; /* the budget counts it, as it does every trapping instruction */
            continue;
        }
        uint64_t want = cpu->instret + 1;
        cpu->limit = want;
        rv_cpu_interp(cpu);
        if (cpu->limit != want) {
            cpu->limit = 0; /* kicked: let the run loop look */
            return;
        }
        cpu->limit = end;
    }
}

enum rv_run_exit rv_cpu_run(struct rv_cpu *cpu, uint64_t budget)
{
    uint64_t end = cpu->instret + budget;
    if (end < cpu->instret)
        end = UINT64_MAX;
    for (;;) {
        if (cpu->stop_req) {
            cpu->stop_req = false;
            return RV_RUN_STOP;
        }
        if (cpu->irq_check) {
            cpu->irq_check = false;
            rv_cpu_take_interrupt(cpu);
        }
        if (cpu->instret >= end)
            return RV_RUN_BUDGET;
        cpu->limit = end;
        if (rv_unlikely(cpu->trig_armed & RV_TRIG_EXEC))
            run_stepped(cpu);
        else if (cpu->jit)
            rv_jit_exec(cpu);
        else
            rv_cpu_interp(cpu);
        if (cpu->wfi_exit) {
            cpu->wfi_exit = false;
            /* An interrupt may have arrived during the slice after the wfi. */
            if (!rv_cpu_interrupt_pending(cpu))
                return RV_RUN_WFI;
        }
    }
}
