/* Trap entry (exceptions and interrupts, with delegation) and mret/sret. */
#include "riscv/cpu_internal.h"

void rv_cpu_take_trap(struct rv_cpu *cpu, uint64_t cause, uint64_t tval)
{
    /* The code a trap interrupts may sit between LR and SC, and the handler may store to
     * the reserved word: that SC must fail, not overwrite the handler's update. */
    cpu->resv_valid = false;
    bool irq = cause & RV_CAUSE_IRQ;
    /*
     * An instruction that raises an exception does not retire (unprivileged spec, Zicntr:
     * "Instructions that cause synchronous exceptions, including ECALL and EBREAK, are not
     * considered to retire and hence do not increment the instret CSR"). Both engines still
     * count it in cpu->instret, the budget and --icount's clock, so that a fault loop uses
     * up its slice and time does not depend on what faulted: only minstret's view drops
     * it. An interrupt comes between instructions; nothing was counted for it.
     */
    if (!irq)
        cpu->instret_base++;
    uint64_t code = cause & ~RV_CAUSE_IRQ;
    uint64_t deleg = irq ? cpu->mideleg : cpu->medeleg;
    int from = cpu->priv;
    uint64_t pc = cpu->pc;

    if (from <= RV_PRIV_S && code < 64 && ((deleg >> code) & 1)) {
        cpu->scause = cause;
        cpu->sepc = pc;
        cpu->stval = tval;
        uint64_t s = cpu->mstatus;
        s &= ~(MSTATUS_SPP | MSTATUS_SPIE);
        if (s & MSTATUS_SIE)
            s |= MSTATUS_SPIE;
        if (from == RV_PRIV_S)
            s |= MSTATUS_SPP;
        s &= ~MSTATUS_SIE;
        cpu->mstatus = s;
        cpu->priv = RV_PRIV_S;
        uint64_t base = cpu->stvec & ~3ULL;
        cpu->pc = (irq && (cpu->stvec & 1)) ? base + 4 * code : base;
    } else {
        cpu->mcause = cause;
        cpu->mepc = pc;
        cpu->mtval = tval;
        uint64_t s = cpu->mstatus;
        s &= ~(MSTATUS_MPP | MSTATUS_MPIE);
        if (s & MSTATUS_MIE)
            s |= MSTATUS_MPIE;
        s |= (uint64_t)from << MSTATUS_MPP_SHIFT;
        s &= ~MSTATUS_MIE;
        cpu->mstatus = s;
        cpu->priv = RV_PRIV_M;
        uint64_t base = cpu->mtvec & ~3ULL;
        cpu->pc = (irq && (cpu->mtvec & 1)) ? base + 4 * code : base;
    }
    rv_csr_mode_changed(cpu);
}

/* Interrupt priority: MEI, MSI, MTI, SEI, SSI, STI. */
static const int irq_order[] = {11, 3, 7, 9, 1, 5};

static int pick(uint64_t bits)
{
    for (unsigned i = 0; i < sizeof(irq_order) / sizeof(irq_order[0]); i++) {
        if (bits & (1ULL << irq_order[i]))
            return irq_order[i];
    }
    return -1;
}

bool rv_cpu_take_interrupt(struct rv_cpu *cpu)
{
    uint64_t pending = rv_csr_mip(cpu) & cpu->mie;
    if (!pending)
        return false;
    uint64_t m_bits = pending & ~cpu->mideleg;
    uint64_t s_bits = pending & cpu->mideleg;
    bool m_on = cpu->priv < RV_PRIV_M || (cpu->mstatus & MSTATUS_MIE);
    bool s_on = cpu->priv < RV_PRIV_S || (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_SIE));
    int code = -1;
    if (m_on && m_bits)
        code = pick(m_bits);
    else if (s_on && s_bits)
        code = pick(s_bits);
    if (code < 0)
        return false;
    rv_cpu_take_trap(cpu, RV_CAUSE_IRQ | (uint64_t)code, 0);
    return true;
}

void rv_cpu_mret(struct rv_cpu *cpu)
{
    uint64_t s = cpu->mstatus;
    int mpp = (int)((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    s &= ~MSTATUS_MIE;
    if (s & MSTATUS_MPIE)
        s |= MSTATUS_MIE;
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;
    if (mpp != RV_PRIV_M)
        s &= ~MSTATUS_MPRV;
    cpu->mstatus = s;
    cpu->priv = mpp;
    cpu->pc = cpu->mepc;
    cpu->resv_valid = false;    /* xRET ends any reservation (one hart's context switch) */
    rv_csr_mode_changed(cpu);
    rv_cpu_kick_if_pending(cpu);
}

void rv_cpu_sret(struct rv_cpu *cpu)
{
    uint64_t s = cpu->mstatus;
    int spp = (s & MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
    s &= ~MSTATUS_SIE;
    if (s & MSTATUS_SPIE)
        s |= MSTATUS_SIE;
    s |= MSTATUS_SPIE;
    s &= ~MSTATUS_SPP;
    s &= ~MSTATUS_MPRV;
    cpu->mstatus = s;
    cpu->priv = spp;
    cpu->pc = cpu->sepc;
    cpu->resv_valid = false;
    rv_csr_mode_changed(cpu);
    rv_cpu_kick_if_pending(cpu);
}
