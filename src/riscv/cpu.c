/*
 * The RV64GC hart: public interface, run loop and the instruction interpreter.
 *
 * rv_cpu_run() alternates between looking at events (stop requests, interrupts that may
 * have become deliverable) and an inner loop that executes instructions until `instret`
 * reaches `limit`. Anything that needs the run loop's attention (a device raising an
 * interrupt from inside an MMIO access, a CSR write that unmasks one, wfi) sets a flag and
 * zeroes `limit`, so the inner loop pays for one compare per instruction and nothing more.
 */
#include "riscv/cpu_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"

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
    rv_cpu_reset(cpu, phys->ram_base, 0);
    return cpu;
}

void rv_cpu_free(struct rv_cpu *cpu)
{
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
    memset(cpu->pmpcfg, 0, sizeof(cpu->pmpcfg));
    memset(cpu->pmpaddr, 0, sizeof(cpu->pmpaddr));
    cpu->resv_valid = false;
    cpu->stop_req = false;
    cpu->wfi_exit = false;
    rv_mmu_flush_all(cpu);
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

uint64_t rv_cpu_instret(const struct rv_cpu *cpu)
{
    return cpu->instret - cpu->instret_base;
}

void rv_cpu_dump(const struct rv_cpu *cpu)
{
    static const char *const names[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
        "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
        "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    fprintf(stderr, "hart %llu: pc %016llx priv %d instret %llu\r\n",
            (unsigned long long)cpu->hartid, (unsigned long long)cpu->pc, cpu->priv,
            (unsigned long long)(cpu->instret - cpu->instret_base));
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

    switch (f5) {
    case 0x02: /* lr */
        if (rs2)
            return rv_raise(cpu, RV_EXC_ILLEGAL, insn);
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_LOAD_MISALIGNED, va);
        if (rv_mmu_translate(cpu, va, RV_ACC_R, &pa) ||
            rv_mmu_phys_read(cpu, pa, size, &old, va, RV_ACC_R))
            return -1;
        cpu->resv_addr = pa;
        cpu->resv_valid = true;
        cpu->x[rd] = word ? (uint64_t)sext32(old) : old;
        return 0;
    case 0x03: /* sc */
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_STORE_MISALIGNED, va);
        if (rv_mmu_translate(cpu, va, RV_ACC_W, &pa))
            return -1;
        if (cpu->resv_valid && cpu->resv_addr == pa) {
            if (rv_mmu_phys_write(cpu, pa, size, cpu->x[rs2], va))
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
        if (va & (size - 1))
            return rv_raise(cpu, RV_EXC_STORE_MISALIGNED, va);
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
        unsigned rs1 = (insn >> 15) & 31;
        if (rs1)
            rv_mmu_flush_page(cpu, cpu->x[rs1]);
        else
            rv_mmu_flush_all(cpu);
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
 * Executes instructions until instret reaches limit. Every exit path leaves cpu->pc at
 * the next instruction to run.
 */
static void exec_loop(struct rv_cpu *cpu)
{
    uint64_t *const x = cpu->x;

    while (rv_likely(cpu->instret < cpu->limit)) {
        uint64_t pc = cpu->pc;
        uint32_t insn, raw;
        uint64_t npc;

        if (rv_likely((pc & RV_PAGE_MASK) == cpu->fetch_vpage && (pc & 0xfff) <= 0xffc)) {
            memcpy(&insn, cpu->fetch_host + (pc & 0xfff), 4);
        } else if (rv_mmu_fetch_slow(cpu, pc, &insn)) {
            goto trap;
        }
        if ((insn & 3) != 3) {
            raw = insn & 0xffff;
            insn = rv_rvc_table[raw];
            npc = pc + 2;
            if (rv_unlikely(!insn)) {
                rv_raise(cpu, RV_EXC_ILLEGAL, raw);
                goto trap;
            }
        } else {
            raw = insn;
            npc = pc + 4;
        }

        x[0] = 0;
        unsigned rd = (insn >> 7) & 31;
        unsigned rs1 = (insn >> 15) & 31;
        unsigned rs2 = (insn >> 20) & 31;
        unsigned f3 = (insn >> 12) & 7;
        int64_t imm_i = (int32_t)insn >> 20;

        switch (insn & 0x7f) {
        case 0x37: /* lui */
            x[rd] = (uint64_t)(int64_t)(int32_t)(insn & 0xfffff000);
            break;
        case 0x17: /* auipc */
            x[rd] = pc + (uint64_t)(int64_t)(int32_t)(insn & 0xfffff000);
            break;
        case 0x6f: { /* jal */
            int64_t imm = (int32_t)(((uint32_t)((int32_t)(insn & 0x80000000) >> 11)) |
                                    (insn & 0xff000) | ((insn >> 9) & 0x800) |
                                    ((insn >> 20) & 0x7fe));
            x[rd] = npc;
            npc = pc + (uint64_t)imm;
            break;
        }
        case 0x67: { /* jalr */
            if (rv_unlikely(f3 != 0))
                goto illegal;
            uint64_t t = (x[rs1] + (uint64_t)imm_i) & ~1ULL;
            x[rd] = npc;
            npc = t;
            break;
        }
        case 0x63: { /* branches */
            uint64_t a = x[rs1], b = x[rs2];
            bool taken;
            switch (f3) {
            case 0: taken = a == b; break;
            case 1: taken = a != b; break;
            case 4: taken = (int64_t)a < (int64_t)b; break;
            case 5: taken = (int64_t)a >= (int64_t)b; break;
            case 6: taken = a < b; break;
            case 7: taken = a >= b; break;
            default: goto illegal;
            }
            if (taken) {
                int64_t imm = (int32_t)(((uint32_t)((int32_t)(insn & 0x80000000) >> 19)) |
                                        ((insn & 0x80) << 4) | ((insn >> 20) & 0x7e0) |
                                        ((insn >> 7) & 0x1e));
                npc = pc + (uint64_t)imm;
            }
            break;
        }
        case 0x03: { /* loads */
            uint64_t a = x[rs1] + (uint64_t)imm_i, v;
            switch (f3) {
            case 0: if (rv_load(cpu, a, 1, &v)) goto trap; x[rd] = (uint64_t)(int64_t)(int8_t)v; break;
            case 1: if (rv_load(cpu, a, 2, &v)) goto trap; x[rd] = (uint64_t)(int64_t)(int16_t)v; break;
            case 2: if (rv_load(cpu, a, 4, &v)) goto trap; x[rd] = (uint64_t)(int64_t)(int32_t)v; break;
            case 3: if (rv_load(cpu, a, 8, &v)) goto trap; x[rd] = v; break;
            case 4: if (rv_load(cpu, a, 1, &v)) goto trap; x[rd] = v; break;
            case 5: if (rv_load(cpu, a, 2, &v)) goto trap; x[rd] = v; break;
            case 6: if (rv_load(cpu, a, 4, &v)) goto trap; x[rd] = v; break;
            default: goto illegal;
            }
            break;
        }
        case 0x23: { /* stores */
            int64_t imm = (int32_t)((insn & 0xfe000000) | ((insn >> 7 & 31) << 20)) >> 20;
            uint64_t a = x[rs1] + (uint64_t)imm;
            if (rv_unlikely(f3 > 3))
                goto illegal;
            if (rv_store(cpu, a, 1u << f3, x[rs2]))
                goto trap;
            break;
        }
        case 0x13: { /* op-imm */
            uint64_t a = x[rs1];
            switch (f3) {
            case 0: x[rd] = a + (uint64_t)imm_i; break;
            case 1:
                if (rv_unlikely(insn >> 26))
                    goto illegal;
                x[rd] = a << (imm_i & 63);
                break;
            case 2: x[rd] = (int64_t)a < imm_i; break;
            case 3: x[rd] = a < (uint64_t)imm_i; break;
            case 4: x[rd] = a ^ (uint64_t)imm_i; break;
            case 5:
                if ((insn >> 26) == 0)
                    x[rd] = a >> (imm_i & 63);
                else if ((insn >> 26) == 0x10)
                    x[rd] = (uint64_t)((int64_t)a >> (imm_i & 63));
                else
                    goto illegal;
                break;
            case 6: x[rd] = a | (uint64_t)imm_i; break;
            default: x[rd] = a & (uint64_t)imm_i; break;
            }
            break;
        }
        case 0x1b: { /* op-imm-32 */
            uint64_t a = x[rs1];
            unsigned sh = rs2;
            switch (f3) {
            case 0: x[rd] = (uint64_t)sext32(a + (uint64_t)imm_i); break;
            case 1:
                if (insn >> 25)
                    goto illegal;
                x[rd] = (uint64_t)sext32(a << sh);
                break;
            case 5:
                if ((insn >> 25) == 0)
                    x[rd] = (uint64_t)sext32((uint32_t)a >> sh);
                else if ((insn >> 25) == 0x20)
                    x[rd] = (uint64_t)(int64_t)((int32_t)(uint32_t)a >> sh);
                else
                    goto illegal;
                break;
            default: goto illegal;
            }
            break;
        }
        case 0x33: { /* op */
            uint64_t a = x[rs1], b = x[rs2];
            switch (insn >> 25) {
            case 0x00:
                switch (f3) {
                case 0: x[rd] = a + b; break;
                case 1: x[rd] = a << (b & 63); break;
                case 2: x[rd] = (int64_t)a < (int64_t)b; break;
                case 3: x[rd] = a < b; break;
                case 4: x[rd] = a ^ b; break;
                case 5: x[rd] = a >> (b & 63); break;
                case 6: x[rd] = a | b; break;
                default: x[rd] = a & b; break;
                }
                break;
            case 0x20:
                if (f3 == 0)
                    x[rd] = a - b;
                else if (f3 == 5)
                    x[rd] = (uint64_t)((int64_t)a >> (b & 63));
                else
                    goto illegal;
                break;
            case 0x01:
                switch (f3) {
                case 0: x[rd] = a * b; break;
                case 1: x[rd] = (uint64_t)(((__int128)(int64_t)a * (__int128)(int64_t)b) >> 64); break;
                case 2: x[rd] = (uint64_t)(((__int128)(int64_t)a * (__int128)(unsigned __int128)b) >> 64); break;
                case 3: x[rd] = (uint64_t)(((unsigned __int128)a * b) >> 64); break;
                case 4:
                    if (b == 0)
                        x[rd] = UINT64_MAX;
                    else if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
                        x[rd] = a;
                    else
                        x[rd] = (uint64_t)((int64_t)a / (int64_t)b);
                    break;
                case 5: x[rd] = b ? a / b : UINT64_MAX; break;
                case 6:
                    if (b == 0)
                        x[rd] = a;
                    else if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
                        x[rd] = 0;
                    else
                        x[rd] = (uint64_t)((int64_t)a % (int64_t)b);
                    break;
                default: x[rd] = b ? a % b : a; break;
                }
                break;
            default: goto illegal;
            }
            break;
        }
        case 0x3b: { /* op-32 */
            uint32_t a = (uint32_t)x[rs1], b = (uint32_t)x[rs2];
            switch (insn >> 25) {
            case 0x00:
                if (f3 == 0) x[rd] = (uint64_t)sext32(a + b);
                else if (f3 == 1) x[rd] = (uint64_t)sext32(a << (b & 31));
                else if (f3 == 5) x[rd] = (uint64_t)sext32(a >> (b & 31));
                else goto illegal;
                break;
            case 0x20:
                if (f3 == 0) x[rd] = (uint64_t)sext32(a - b);
                else if (f3 == 5) x[rd] = (uint64_t)(int64_t)((int32_t)a >> (b & 31));
                else goto illegal;
                break;
            case 0x01:
                switch (f3) {
                case 0: x[rd] = (uint64_t)sext32(a * b); break;
                case 4:
                    if (b == 0)
                        x[rd] = UINT64_MAX;
                    else if ((int32_t)a == INT32_MIN && (int32_t)b == -1)
                        x[rd] = (uint64_t)sext32(a);
                    else
                        x[rd] = (uint64_t)(int64_t)((int32_t)a / (int32_t)b);
                    break;
                case 5: x[rd] = b ? (uint64_t)sext32(a / b) : UINT64_MAX; break;
                case 6:
                    if (b == 0)
                        x[rd] = (uint64_t)sext32(a);
                    else if ((int32_t)a == INT32_MIN && (int32_t)b == -1)
                        x[rd] = 0;
                    else
                        x[rd] = (uint64_t)(int64_t)((int32_t)a % (int32_t)b);
                    break;
                case 7: x[rd] = (uint64_t)sext32(b ? a % b : a); break;
                default: goto illegal;
                }
                break;
            default: goto illegal;
            }
            break;
        }
        case 0x0f: /* fence, fence.i */
            if (f3 == 0)
                break;
            if (f3 == 1) {
                /* Code is fetched from RAM every time; nothing cached to invalidate. */
                break;
            }
            goto illegal;
        case 0x73: /* system */
            cpu->pc = pc;
            if (f3 == 0) {
                int r = exec_priv(cpu, insn, raw, npc);
                if (r < 0)
                    goto trap;
                if (r > 0) {
                    cpu->instret++;
                    continue; /* pc set by mret/sret/wfi */
                }
            } else if (f3 == 4) {
                goto illegal;
            } else if (exec_csr(cpu, insn, raw)) {
                goto trap;
            }
            break;
        case 0x2f: /* atomics */
            if (exec_amo(cpu, insn, rd, rs1, rs2)) {
                cpu->pc = pc;
                goto trap;
            }
            break;
        case 0x07: { /* flw, fld */
            if (rv_unlikely(fs_off(cpu)) || (f3 != 2 && f3 != 3))
                goto illegal;
            uint64_t a = x[rs1] + (uint64_t)imm_i, v;
            if (f3 == 2) {
                if (rv_load(cpu, a, 4, &v))
                    goto trap;
                cpu->fp.f[rd] = v | 0xffffffff00000000ULL;
            } else {
                if (rv_load(cpu, a, 8, &v))
                    goto trap;
                cpu->fp.f[rd] = v;
            }
            fs_dirty(cpu);
            break;
        }
        case 0x27: { /* fsw, fsd */
            if (rv_unlikely(fs_off(cpu)) || (f3 != 2 && f3 != 3))
                goto illegal;
            int64_t imm = (int32_t)((insn & 0xfe000000) | ((insn >> 7 & 31) << 20)) >> 20;
            uint64_t a = x[rs1] + (uint64_t)imm;
            if (rv_store(cpu, a, f3 == 2 ? 4 : 8, cpu->fp.f[rs2]))
                goto trap;
            break;
        }
        case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
            if (rv_unlikely(fs_off(cpu)))
                goto illegal;
            if (rv_fpu_exec(&cpu->fp, x, insn) != RV_FPU_OK)
                goto illegal;
            fs_dirty(cpu);
            break;
        default:
            goto illegal;
        }
        cpu->pc = npc;
        cpu->instret++;
        continue;

    illegal:
        rv_raise(cpu, RV_EXC_ILLEGAL, raw);
    trap:
        /* The trapping instruction still uses up budget so a fault loop cannot hang us. */
        cpu->pc = pc;
        rv_cpu_take_trap(cpu, cpu->exc_cause, cpu->exc_tval);
        cpu->instret++;
    }
    x[0] = 0;
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
        exec_loop(cpu);
        if (cpu->wfi_exit) {
            cpu->wfi_exit = false;
            /* An interrupt may have arrived during the slice after the wfi. */
            if (!rv_cpu_interrupt_pending(cpu))
                return RV_RUN_WFI;
        }
    }
}
