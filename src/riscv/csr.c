/* Control and status registers: privilege checks, WARL masks and their side effects. */
#include "riscv/cpu_internal.h"

#include "core/clock.h"

#define MIP_S_BITS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIE_WRITABLE (MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP)

#define MSTATUS_WRITABLE                                                                  \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | \
     MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |    \
     MSTATUS_TSR)
#define SSTATUS_READ                                                                      \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_VS | MSTATUS_FS |   \
     MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WRITABLE \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)

/* Exceptions S-mode may handle: all but ecall from M and the reserved codes. */
#define MEDELEG_WRITABLE 0xB3FFULL
#define MENVCFG_WRITABLE (MENVCFG_FIOM | MENVCFG_STCE)
#define PMPADDR_MASK ((1ULL << 54) - 1)

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xC00, CSR_TIME = 0xC01, CSR_INSTRET = 0xC02,
    CSR_HPMCOUNTER3 = 0xC03, CSR_HPMCOUNTER31 = 0xC1F,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10A, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14D, CSR_SATP = 0x180,
    CSR_MVENDORID = 0xF11, CSR_MARCHID = 0xF12, CSR_MIMPID = 0xF13, CSR_MHARTID = 0xF14,
    CSR_MCONFIGPTR = 0xF15,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304, CSR_MTVEC = 0x305, CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30A,
    CSR_MCOUNTINHIBIT = 0x320, CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33F,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
    CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3A0, CSR_PMPCFG15 = 0x3AF, CSR_PMPADDR0 = 0x3B0, CSR_PMPADDR63 = 0x3EF,
    CSR_MCYCLE = 0xB00, CSR_MINSTRET = 0xB02,
    CSR_MHPMCOUNTER3 = 0xB03, CSR_MHPMCOUNTER31 = 0xB1F,
    /* AIA: Smaia and Ssaia */
    CSR_MVIEN = 0x308, CSR_MVIP = 0x309, CSR_MISELECT = 0x350, CSR_MIREG = 0x351,
    CSR_MTOPEI = 0x35C, CSR_MTOPI = 0xFB0,
    CSR_SISELECT = 0x150, CSR_SIREG = 0x151, CSR_STOPEI = 0x15C, CSR_STOPI = 0xDB0,
};

/* iselect: the major interrupts' priority registers, then the interrupt file's. */
#define ISEL_IPRIO_FIRST 0x30
#define ISEL_IPRIO_LAST  0x3f
#define ISEL_FILE_FIRST  0x70
#define ISEL_FILE_LAST   0xff
#define ISELECT_MASK     0xfffULL
#define TOPI_IID_SHIFT   16

static bool has_aia(const struct rv_cpu *cpu)
{
    return cpu->irq_files.opaque != NULL;
}

void rv_cpu_attach_irq_files(struct rv_cpu *cpu, const struct hart_irq_files *files)
{
    cpu->irq_files = files ? *files : (struct hart_irq_files){0};
    if (has_aia(cpu) && (!files->ireg_read || !files->ireg_write || !files->topei ||
                         !files->claim))
        cpu->irq_files = (struct hart_irq_files){0};
    cpu->miselect = cpu->siselect = 0;
}

/*
 * mireg/sireg. The major interrupts' priorities are read-only zero (all at the default
 * order, which the spec allows); on RV64 their odd-numbered registers do not exist.
 */
static int ireg_read(struct rv_cpu *cpu, int file, uint64_t isel, uint64_t *val)
{
    if (isel >= ISEL_IPRIO_FIRST && isel <= ISEL_IPRIO_LAST) {
        if (isel & 1)
            return -1;
        *val = 0;
        return 0;
    }
    if (isel >= ISEL_FILE_FIRST && isel <= ISEL_FILE_LAST)
        return cpu->irq_files.ireg_read(cpu->irq_files.opaque, file, (unsigned)isel, val);
    return -1;
}

static int ireg_write(struct rv_cpu *cpu, int file, uint64_t isel, uint64_t val)
{
    if (isel >= ISEL_IPRIO_FIRST && isel <= ISEL_IPRIO_LAST)
        return (isel & 1) ? -1 : 0;
    if (isel >= ISEL_FILE_FIRST && isel <= ISEL_FILE_LAST)
        return cpu->irq_files.ireg_write(cpu->irq_files.opaque, file, (unsigned)isel, val);
    return -1;
}

/* The default priority order of major interrupts (AIA keeps the privileged spec's). */
static const int topi_order[] = {11, 3, 7, 9, 1, 5};

/* mtopi/stopi: IID of the most urgent of `bits`, IPRIO 1 (no priorities configured). */
static uint64_t topi(uint64_t bits)
{
    for (unsigned i = 0; i < sizeof(topi_order) / sizeof(topi_order[0]); i++)
        if (bits & (1ULL << topi_order[i]))
            return (uint64_t)topi_order[i] << TOPI_IID_SHIFT | 1;
    return 0;
}

static int aia_read(struct rv_cpu *cpu, unsigned csr, uint64_t *val)
{
    if (!has_aia(cpu))
        return -1;
    switch (csr) {
    case CSR_MVIEN: *val = 0; return 0;
    case CSR_MVIP:
        *val = (cpu->mip & (MIP_SSIP | MIP_STIP)) | (cpu->seip_sw ? MIP_SEIP : 0);
        return 0;
    case CSR_MISELECT: *val = cpu->miselect; return 0;
    case CSR_SISELECT: *val = cpu->siselect; return 0;
    case CSR_MIREG: return ireg_read(cpu, HART_FILE_M, cpu->miselect, val);
    case CSR_SIREG: return ireg_read(cpu, HART_FILE_S, cpu->siselect, val);
    case CSR_MTOPEI:
        *val = cpu->irq_files.topei(cpu->irq_files.opaque, HART_FILE_M);
        return 0;
    case CSR_STOPEI:
        *val = cpu->irq_files.topei(cpu->irq_files.opaque, HART_FILE_S);
        return 0;
    case CSR_MTOPI: *val = topi(rv_csr_mip(cpu) & cpu->mie & ~cpu->mideleg); return 0;
    case CSR_STOPI: *val = topi(rv_csr_mip(cpu) & cpu->mie & cpu->mideleg); return 0;
    default: return -1;
    }
}

static int aia_write(struct rv_cpu *cpu, unsigned csr, uint64_t val)
{
    if (!has_aia(cpu))
        return -1;
    switch (csr) {
    case CSR_MVIEN: return 0;   /* no virtual S interrupts: read-only zero */
    case CSR_MVIP: {
        /* With mvien zero, mvip's bits are aliases of mip's software-writable ones. */
        uint64_t m = MIP_SSIP;
        if (!(cpu->menvcfg & MENVCFG_STCE))
            m |= MIP_STIP;
        cpu->mip = (cpu->mip & ~m) | (val & m);
        cpu->seip_sw = val & MIP_SEIP;
        rv_cpu_kick_if_pending(cpu);
        return 0;
    }
    case CSR_MISELECT: cpu->miselect = val & ISELECT_MASK; return 0;
    case CSR_SISELECT: cpu->siselect = val & ISELECT_MASK; return 0;
    case CSR_MIREG: return ireg_write(cpu, HART_FILE_M, cpu->miselect, val);
    case CSR_SIREG: return ireg_write(cpu, HART_FILE_S, cpu->siselect, val);
    case CSR_MTOPEI:
        cpu->irq_files.claim(cpu->irq_files.opaque, HART_FILE_M);
        return 0;
    case CSR_STOPEI:
        cpu->irq_files.claim(cpu->irq_files.opaque, HART_FILE_S);
        return 0;
    default: return -1;
    }
}

uint64_t rv_csr_mip(const struct rv_cpu *cpu)
{
    return cpu->mip | (cpu->seip_sw ? MIP_SEIP : 0);
}

void rv_csr_mode_changed(struct rv_cpu *cpu)
{
    cpu->dtlb = rv_tlb_set(cpu, rv_data_priv(cpu));
    cpu->itlb = rv_tlb_set(cpu, cpu->priv);
    cpu->fetch_vpage = RV_TLB_NONE;
}

void rv_csr_update_stip(struct rv_cpu *cpu, uint64_t mtime)
{
    if (!(cpu->menvcfg & MENVCFG_STCE))
        return;
    if (mtime >= cpu->stimecmp) {
        if (!(cpu->mip & MIP_STIP)) {
            cpu->mip |= MIP_STIP;
            rv_cpu_kick(cpu);
        }
    } else {
        cpu->mip &= ~MIP_STIP;
    }
}

static uint64_t sd_fixup(uint64_t s)
{
    if ((s & MSTATUS_FS) == MSTATUS_FS)
        return s | MSTATUS_SD;
    return s & ~MSTATUS_SD;
}

static void write_mstatus(struct rv_cpu *cpu, uint64_t val, uint64_t writable)
{
    uint64_t old = cpu->mstatus;
    uint64_t s = (old & ~writable) | (val & writable);
    /* MPP is WARL over the implemented modes; 2 (reserved) keeps the old value. */
    if (((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)
        s = (s & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    s = sd_fixup(s);
    cpu->mstatus = s;
    if ((old ^ s) & (MSTATUS_SUM | MSTATUS_MXR))
        rv_tlb_sum_mxr_changed(cpu, old);
    if ((old ^ s) & (MSTATUS_MPRV | MSTATUS_MPP))
        rv_csr_mode_changed(cpu);
    /* Only enabling can make an interrupt deliverable (and local_irq_save() is frequent). */
    if (~old & s & (MSTATUS_MIE | MSTATUS_SIE))
        rv_cpu_kick_if_pending(cpu);
}

/* Zicntr/Zihpm visibility in S and U. */
static bool counter_allowed(const struct rv_cpu *cpu, unsigned csr)
{
    unsigned bit = csr - CSR_CYCLE;
    if (cpu->priv < RV_PRIV_M && !((cpu->mcounteren >> bit) & 1))
        return false;
    if (cpu->priv < RV_PRIV_S && !((cpu->scounteren >> bit) & 1))
        return false;
    return true;
}

static bool stimecmp_allowed(const struct rv_cpu *cpu)
{
    if (cpu->priv == RV_PRIV_M)
        return true;
    return (cpu->mcounteren & 2) && (cpu->menvcfg & MENVCFG_STCE);
}

static bool fs_on(const struct rv_cpu *cpu)
{
    return (cpu->mstatus & MSTATUS_FS) != 0;
}

static void fs_dirty(struct rv_cpu *cpu)
{
    cpu->mstatus |= MSTATUS_FS | MSTATUS_SD;
}

uint64_t rv_csr_minstret(const struct rv_cpu *cpu)
{
    if (cpu->mcountinhibit & MCOUNTINHIBIT_IR)
        return cpu->instret_held;
    return cpu->instret - cpu->instret_base;
}

static uint64_t mcycle(const struct rv_cpu *cpu)
{
    if (cpu->mcountinhibit & MCOUNTINHIBIT_CY)
        return cpu->cycle_held;
    return cpu->instret - cpu->cycle_base;
}

/*
 * mcountinhibit stops mcycle (CY) and minstret (IR) by holding their values here, at the
 * write, rather than by a test in the engines' per-block counting. "Any CSR write takes
 * effect after the writing instruction has otherwise completed" (privileged spec, the
 * counter CSRs): the write that stops a counter is itself still counted, the one that
 * restarts it is not. The counters live on cpu->instret, which runs on regardless: time
 * under --icount, slices and budgets do not stop with an inhibited counter.
 */
static void write_mcountinhibit(struct rv_cpu *cpu, uint64_t val)
{
    uint64_t old = cpu->mcountinhibit;
    uint64_t now = cpu->instret + 1; /* as the next instruction will see it */
    if ((old ^ val) & MCOUNTINHIBIT_IR) {
        if (val & MCOUNTINHIBIT_IR)
            cpu->instret_held = now - cpu->instret_base;
        else
            cpu->instret_base = now - cpu->instret_held;
    }
    if ((old ^ val) & MCOUNTINHIBIT_CY) {
        if (val & MCOUNTINHIBIT_CY)
            cpu->cycle_held = now - cpu->cycle_base;
        else
            cpu->cycle_base = now - cpu->cycle_held;
    }
    cpu->mcountinhibit = val;
}

int rv_csr_read(struct rv_cpu *cpu, unsigned csr, uint64_t *val)
{
    if (cpu->priv < (int)((csr >> 8) & 3))
        return -1;
    uint64_t v;
    switch (csr) {
    case CSR_FFLAGS:
        if (!fs_on(cpu))
            return -1;
        v = cpu->fp.fflags & 0x1f;
        break;
    case CSR_FRM:
        if (!fs_on(cpu))
            return -1;
        v = cpu->fp.frm & 7;
        break;
    case CSR_FCSR:
        if (!fs_on(cpu))
            return -1;
        v = ((cpu->fp.frm & 7) << 5) | (cpu->fp.fflags & 0x1f);
        break;
    case CSR_CYCLE:
    case CSR_TIME:
    case CSR_INSTRET:
        if (!counter_allowed(cpu, csr))
            return -1;
        if (csr == CSR_CYCLE)
            v = mcycle(cpu);
        else if (csr == CSR_INSTRET)
            v = rv_csr_minstret(cpu);
        else
            v = clock_mtime();
        break;
    case CSR_SSTATUS: v = cpu->mstatus & SSTATUS_READ; break;
    case CSR_SIE: v = cpu->mie & cpu->mideleg & MIP_S_BITS; break;
    case CSR_STVEC: v = cpu->stvec; break;
    case CSR_SCOUNTEREN: v = cpu->scounteren; break;
    case CSR_SENVCFG: v = cpu->senvcfg; break;
    case CSR_SSCRATCH: v = cpu->sscratch; break;
    case CSR_SEPC: v = cpu->sepc; break;
    case CSR_SCAUSE: v = cpu->scause; break;
    case CSR_STVAL: v = cpu->stval; break;
    case CSR_SIP: v = rv_csr_mip(cpu) & cpu->mideleg & MIP_S_BITS; break;
    case CSR_STIMECMP:
        if (!stimecmp_allowed(cpu))
            return -1;
        v = cpu->stimecmp;
        break;
    case CSR_SATP:
        if (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM))
            return -1;
        v = cpu->satp;
        break;
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR:
        v = 0;
        break;
    case CSR_MHARTID: v = cpu->hartid; break;
    case CSR_MSTATUS: v = cpu->mstatus; break;
    case CSR_MISA: v = cpu->misa; break;
    case CSR_MEDELEG: v = cpu->medeleg; break;
    case CSR_MIDELEG: v = cpu->mideleg; break;
    case CSR_MIE: v = cpu->mie; break;
    case CSR_MTVEC: v = cpu->mtvec; break;
    case CSR_MCOUNTEREN: v = cpu->mcounteren; break;
    case CSR_MENVCFG: v = cpu->menvcfg; break;
    case CSR_MCOUNTINHIBIT: v = cpu->mcountinhibit; break;
    case CSR_MSCRATCH: v = cpu->mscratch; break;
    case CSR_MEPC: v = cpu->mepc; break;
    case CSR_MCAUSE: v = cpu->mcause; break;
    case CSR_MTVAL: v = cpu->mtval; break;
    case CSR_MIP: v = rv_csr_mip(cpu); break;
    case CSR_MCYCLE: v = mcycle(cpu); break;
    case CSR_MINSTRET: v = rv_csr_minstret(cpu); break;
    default:
        if (csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) {
            if (!counter_allowed(cpu, csr))
                return -1;
            v = 0;
        } else if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
                   (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
            v = 0;
        } else if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
            if (csr & 1)
                return -1; /* odd pmpcfg registers exist only on RV32 */
            v = cpu->pmpcfg[(csr - CSR_PMPCFG0) / 2];
        } else if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
            v = cpu->pmpaddr[csr - CSR_PMPADDR0];
        } else if (rv_trig_is_csr(csr)) {
            if (rv_trig_csr_read(cpu, csr, &v) < 0)
                return -1;
        } else if (aia_read(cpu, csr, &v) < 0) {
            return -1;
        }
        break;
    }
    *val = v;
    return 0;
}

int rv_csr_write(struct rv_cpu *cpu, unsigned csr, uint64_t val)
{
    if (cpu->priv < (int)((csr >> 8) & 3))
        return -1;
    if (((csr >> 10) & 3) == 3)
        return -1; /* read-only by number */
    switch (csr) {
    case CSR_FFLAGS:
        if (!fs_on(cpu))
            return -1;
        cpu->fp.fflags = val & 0x1f;
        fs_dirty(cpu);
        break;
    case CSR_FRM:
        if (!fs_on(cpu))
            return -1;
        cpu->fp.frm = val & 7;
        fs_dirty(cpu);
        break;
    case CSR_FCSR:
        if (!fs_on(cpu))
            return -1;
        cpu->fp.fflags = val & 0x1f;
        cpu->fp.frm = (val >> 5) & 7;
        fs_dirty(cpu);
        break;
    case CSR_SSTATUS:
        write_mstatus(cpu, val, SSTATUS_WRITABLE);
        break;
    case CSR_SIE: {
        uint64_t m = cpu->mideleg & MIP_S_BITS;
        cpu->mie = (cpu->mie & ~m) | (val & m);
        rv_cpu_kick_if_pending(cpu);
        break;
    }
    case CSR_STVEC: cpu->stvec = val & ~2ULL; break;
    case CSR_SCOUNTEREN: cpu->scounteren = val & 0xffffffffULL; break;
    case CSR_SENVCFG: cpu->senvcfg = val & MENVCFG_FIOM; break;
    case CSR_SSCRATCH: cpu->sscratch = val; break;
    case CSR_SEPC: cpu->sepc = val & ~1ULL; break;
    case CSR_SCAUSE: cpu->scause = val; break;
    case CSR_STVAL: cpu->stval = val; break;
    case CSR_SIP: {
        uint64_t m = cpu->mideleg & MIP_SSIP;
        cpu->mip = (cpu->mip & ~m) | (val & m);
        rv_cpu_kick_if_pending(cpu);
        break;
    }
    case CSR_STIMECMP:
        if (!stimecmp_allowed(cpu))
            return -1;
        cpu->stimecmp = val;
        rv_csr_update_stip(cpu, clock_mtime());
        break;
    case CSR_SATP: {
        if (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM))
            return -1;
        uint64_t mode = val >> SATP_MODE_SHIFT;
        if (mode != 0 && mode != 8 && mode != 9)
            break; /* unsupported mode: the write has no effect */
        rv_tlb_set_satp(cpu, (mode << SATP_MODE_SHIFT) |
                                 (val & (SATP_ASID_MASK << SATP_ASID_SHIFT)) |
                                 (val & SATP_PPN_MASK));
        break;
    }
    case CSR_MSTATUS:
        write_mstatus(cpu, val, MSTATUS_WRITABLE);
        break;
    case CSR_MISA:
        break; /* WARL, fixed */
    case CSR_MEDELEG: cpu->medeleg = val & MEDELEG_WRITABLE; break;
    case CSR_MIDELEG:
        cpu->mideleg = val & MIP_S_BITS;
        rv_cpu_kick_if_pending(cpu);
        break;
    case CSR_MIE:
        cpu->mie = val & MIE_WRITABLE;
        rv_cpu_kick_if_pending(cpu);
        break;
    case CSR_MTVEC: cpu->mtvec = val & ~2ULL; break;
    case CSR_MCOUNTEREN: cpu->mcounteren = val & 0xffffffffULL; break;
    case CSR_MENVCFG: {
        uint64_t old = cpu->menvcfg;
        cpu->menvcfg = val & MENVCFG_WRITABLE;
        if ((old ^ cpu->menvcfg) & MENVCFG_STCE)
            rv_csr_update_stip(cpu, clock_mtime());
        break;
    }
    case CSR_MCOUNTINHIBIT: write_mcountinhibit(cpu, val & 0xfffffffdULL); break;
    case CSR_MSCRATCH: cpu->mscratch = val; break;
    case CSR_MEPC: cpu->mepc = val & ~1ULL; break;
    case CSR_MCAUSE: cpu->mcause = val; break;
    case CSR_MTVAL: cpu->mtval = val; break;
    case CSR_MIP: {
        uint64_t m = MIP_SSIP;
        if (!(cpu->menvcfg & MENVCFG_STCE))
            m |= MIP_STIP;
        cpu->mip = (cpu->mip & ~m) | (val & m);
        cpu->seip_sw = val & MIP_SEIP;
        rv_cpu_kick_if_pending(cpu);
        break;
    }
    /*
     * cpu->instret does not count the writing instruction yet, and both engines add it
     * once it completes. The written value must be what the next instruction sees (the
     * write suppresses this instruction's own increment), hence the + 1. A stopped
     * counter simply holds the value written.
     */
    case CSR_MCYCLE:
        if (cpu->mcountinhibit & MCOUNTINHIBIT_CY)
            cpu->cycle_held = val;
        else
            cpu->cycle_base = cpu->instret + 1 - val;
        break;
    case CSR_MINSTRET:
        if (cpu->mcountinhibit & MCOUNTINHIBIT_IR)
            cpu->instret_held = val;
        else
            cpu->instret_base = cpu->instret + 1 - val;
        break;
    default:
        if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
            (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
            break; /* not implemented: hardwired to zero */
        } else if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
            if (csr & 1)
                return -1;
            /* Keep R, W, X, A and L in every byte; PMP is not enforced. */
            cpu->pmpcfg[(csr - CSR_PMPCFG0) / 2] = val & 0x9f9f9f9f9f9f9f9fULL;
        } else if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
            cpu->pmpaddr[csr - CSR_PMPADDR0] = val & PMPADDR_MASK;
        } else if (rv_trig_is_csr(csr)) {
            if (rv_trig_csr_write(cpu, csr, val) < 0)
                return -1;
        } else if (aia_write(cpu, csr, val) < 0) {
            return -1;
        }
        break;
    }
    return 0;
}
