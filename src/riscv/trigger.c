/*
 * Sdtrig: the trigger module (RISC-V debug spec 1.0, "Sdtrig"), as M-mode software sees it.
 *
 * RV_NTRIG address-match triggers, each either type 2 (mcontrol) or type 6 (mcontrol6),
 * that raise a breakpoint exception (action 0) before an instruction at a matching address
 * executes or before a load or store to a matching address is made. What is implemented
 * of the WARL fields: match = equal, >= or < on the virtual address; any access size; no
 * data (select) match, no chaining, no other actions, timing "before"; the hit bit. There
 * is no Debug Mode, so dmode stays 0. tdata3 (textra) is all zero: no context conditions.
 *
 * Reentrancy (the spec's "Native Triggers"): kite takes the first of its two options, so
 * breakpoints can still be delegated to S-mode: action-0 triggers do not match in M-mode
 * while mstatus.MIE is 0, nor in S-mode while SIE is 0 if breakpoints are delegated. A trap
 * handler thus never re-fires the trigger that sent it there. tcontrol does not exist.
 *
 * Cost: nothing while no trigger is armed. cpu->trig_armed says which kinds of access some
 * trigger may fire on; while it holds load or store, translate_fill() installs no read or
 * write tags, so every access reaches the slow path and rv_trig_mem(); while it holds
 * execute, the run loop steps one instruction at a time through rv_trig_exec() instead of
 * running translated code or the threaded interpreter freely.
 */
#include "riscv/cpu_internal.h"

enum {
    CSR_TSELECT = 0x7a0, CSR_TDATA1 = 0x7a1, CSR_TDATA2 = 0x7a2, CSR_TDATA3 = 0x7a3,
    CSR_TINFO = 0x7a4,
};

#define TYPE_SHIFT 60
#define TYPE_MCONTROL 2ULL
#define TYPE_MCONTROL6 6ULL
#define TYPE_DISABLED 15ULL

/* Fields at the same place in mcontrol and mcontrol6. */
#define T_LOAD (1ULL << 0)
#define T_STORE (1ULL << 1)
#define T_EXECUTE (1ULL << 2)
#define T_U (1ULL << 3)
#define T_S (1ULL << 4)
#define T_M (1ULL << 6)
#define T_MATCH_SHIFT 7
#define T_MATCH (15ULL << T_MATCH_SHIFT)
#define T_ACTION_SHIFT 12
/* Where they differ. */
#define MCONTROL_SELECT (1ULL << 19)
#define MCONTROL_HIT (1ULL << 20)
#define MCONTROL6_SELECT (1ULL << 21)
#define MCONTROL6_HIT0 (1ULL << 22)

enum { MATCH_EQUAL = 0, MATCH_GE = 2, MATCH_LT = 3 };

/* tinfo: Sdtrig 1.0, and the types a trigger can take (15: disabled). */
#define TINFO_VERSION_1 (1ULL << 24)
#define TINFO ((1ULL << TYPE_MCONTROL) | (1ULL << TYPE_MCONTROL6) | (1ULL << TYPE_DISABLED) | \
               TINFO_VERSION_1)

#define DISABLED (TYPE_DISABLED << TYPE_SHIFT)

bool rv_trig_is_csr(unsigned csr)
{
    return csr >= CSR_TSELECT && csr <= CSR_TINFO;
}

static unsigned type_of(uint64_t tdata1)
{
    return (unsigned)(tdata1 >> TYPE_SHIFT);
}

static uint64_t hit_bit(uint64_t tdata1)
{
    return type_of(tdata1) == TYPE_MCONTROL ? MCONTROL_HIT : MCONTROL6_HIT0;
}

/*
 * The legal value closest to what was written (tdata1 is WARL). A configuration this
 * module cannot honour (a data match, another action, an unknown match mode or type)
 * becomes a disabled trigger rather than one that fires on something else; fields that only
 * narrow or describe (size, timing, chain, uncertainen) read back as the one value kept.
 */
static uint64_t legalize(uint64_t v)
{
    uint64_t type = v >> TYPE_SHIFT;
    uint64_t keep = T_LOAD | T_STORE | T_EXECUTE | T_U | T_S | T_M | T_MATCH;
    bool select;
    if (type == TYPE_MCONTROL) {
        keep |= MCONTROL_HIT;
        select = v & MCONTROL_SELECT;
    } else if (type == TYPE_MCONTROL6) {
        keep |= MCONTROL6_HIT0;
        select = v & MCONTROL6_SELECT;
    } else {
        return DISABLED;
    }
    unsigned action = (unsigned)(v >> T_ACTION_SHIFT) & 15;
    unsigned match = (unsigned)((v & T_MATCH) >> T_MATCH_SHIFT);
    /* Action 1 (enter Debug Mode) needs dmode = 1; the spec asks for action 0 instead. */
    if ((action != 0 && action != 1) || select ||
        (match != MATCH_EQUAL && match != MATCH_GE && match != MATCH_LT))
        return DISABLED;
    return type << TYPE_SHIFT | (v & keep);
}

/* Which kinds of access some trigger may fire on, for the fast paths to step aside. */
static void rearm(struct rv_cpu *cpu)
{
    uint8_t armed = 0;
    for (unsigned i = 0; i < RV_NTRIG; i++) {
        uint64_t t = cpu->trig[i].tdata1;
        unsigned type = type_of(t);
        if ((type == TYPE_MCONTROL || type == TYPE_MCONTROL6) && (t & (T_M | T_S | T_U)))
            armed |= (uint8_t)(t & (T_LOAD | T_STORE | T_EXECUTE));
    }
    cpu->trig_armed = armed;
    /* TLB entries may hold tags that now let an access skip the check. */
    if (armed & (RV_TRIG_LOAD | RV_TRIG_STORE))
        rv_tlb_flush_all(cpu);
    /* The run loop picks the way it runs code (stepping or not) at each slice. */
    rv_cpu_kick(cpu);
}

void rv_trig_reset(struct rv_cpu *cpu)
{
    cpu->tselect = 0;
    for (unsigned i = 0; i < RV_NTRIG; i++)
        cpu->trig[i] = (struct rv_trigger){.tdata1 = TYPE_MCONTROL << TYPE_SHIFT};
    cpu->trig_armed = 0;
}

int rv_trig_csr_read(struct rv_cpu *cpu, unsigned csr, uint64_t *val)
{
    const struct rv_trigger *t = &cpu->trig[cpu->tselect];
    switch (csr) {
    case CSR_TSELECT: *val = cpu->tselect; return 0;
    case CSR_TDATA1: *val = t->tdata1; return 0;
    case CSR_TDATA2: *val = t->tdata2; return 0;
    case CSR_TDATA3: *val = 0; return 0;
    case CSR_TINFO: *val = TINFO; return 0;
    default: return -1;
    }
}

int rv_trig_csr_write(struct rv_cpu *cpu, unsigned csr, uint64_t val)
{
    struct rv_trigger *t = &cpu->trig[cpu->tselect];
    switch (csr) {
    case CSR_TSELECT:
        /* WARL: an index with no trigger behind it leaves the selection as it was. */
        if (val < RV_NTRIG)
            cpu->tselect = (unsigned)val;
        return 0;
    case CSR_TDATA1:
        t->tdata1 = legalize(val);
        rearm(cpu);
        return 0;
    case CSR_TDATA2:
        t->tdata2 = val; /* the fast paths step aside for any address while armed */
        return 0;
    case CSR_TDATA3: /* textra: no context conditions implemented, all fields 0 */
    case CSR_TINFO:  /* read-only */
        return 0;
    default:
        return -1;
    }
}

/*
 * Whether action-0 triggers with these mode bits may match now (see the top of the file
 * for why interrupts being disabled in M-mode and delegated S-mode keeps them quiet).
 */
static bool mode_allows(const struct rv_cpu *cpu, uint64_t tdata1)
{
    switch (cpu->priv) {
    case RV_PRIV_M:
        return (tdata1 & T_M) && (cpu->mstatus & MSTATUS_MIE);
    case RV_PRIV_S:
        if (!(tdata1 & T_S))
            return false;
        return !((cpu->medeleg >> RV_EXC_BREAKPOINT) & 1) || (cpu->mstatus & MSTATUS_SIE);
    default:
        return tdata1 & T_U;
    }
}

/*
 * Matches the compare values lo..hi (the addresses of every byte accessed, lo <= hi)
 * against tdata2; on a match *tval is the lowest compare value that matched.
 */
static bool match(uint64_t tdata1, uint64_t tdata2, uint64_t lo, uint64_t hi, uint64_t *tval)
{
    switch ((tdata1 & T_MATCH) >> T_MATCH_SHIFT) {
    case MATCH_EQUAL:
        *tval = tdata2;
        return tdata2 >= lo && tdata2 <= hi;
    case MATCH_GE:
        *tval = lo > tdata2 ? lo : tdata2;
        return hi >= tdata2;
    default: /* MATCH_LT */
        *tval = lo;
        return lo < tdata2;
    }
}

/* The first trigger of `kind` that fires on lo..hi: hit set, breakpoint raised (-1). */
static int fire(struct rv_cpu *cpu, uint64_t kind, uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < RV_NTRIG; i++) {
        struct rv_trigger *t = &cpu->trig[i];
        unsigned type = type_of(t->tdata1);
        uint64_t tval;
        if ((type != TYPE_MCONTROL && type != TYPE_MCONTROL6) || !(t->tdata1 & kind) ||
            !mode_allows(cpu, t->tdata1) || !match(t->tdata1, t->tdata2, lo, hi, &tval))
            continue;
        t->tdata1 |= hit_bit(t->tdata1);
        return rv_raise(cpu, RV_EXC_BREAKPOINT, tval);
    }
    return 0;
}

int rv_trig_mem_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, unsigned kind)
{
    uint64_t hi = va + size - 1;
    if (hi < va)
        hi = UINT64_MAX; /* the access wraps around: its bytes up to the top still count */
    return fire(cpu, kind == RV_TRIG_LOAD ? T_LOAD : T_STORE, va, hi);
}

bool rv_trig_exec(struct rv_cpu *cpu)
{
    return fire(cpu, T_EXECUTE, cpu->pc, cpu->pc) < 0;
}
