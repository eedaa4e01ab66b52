/*
 * RISC-V APLIC, MSI delivery mode only (AIA 1.0, chapter 4).
 *
 * Interrupt state (wire level, pending, enabled) belongs to a source, whichever domain
 * owns it; sourcecfg and target are per domain, and only the owning domain's count. A
 * source leaving a domain (delegated away, made inactive) loses its pending and enabled
 * bits, so nothing stale is forwarded when it comes back.
 *
 * Level-sensitive sources in MSI mode become pending when their rectified input rises
 * (or on setip while it is high) and stop being pending once forwarded: Linux writes
 * setipnum at the end of its handler to re-arm a line that is still asserted.
 */
#include "hw/aplic.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

#define NSRC   APLIC_NUM_SOURCES
#define WORDS  ((NSRC + 1 + 31) / 32)

#define REG_DOMAINCFG    0x0000
#define REG_SOURCECFG    0x0004      /* source i at 0x0004 + 4 * (i - 1) */
#define REG_MMSIADDRCFG  0x1bc0
#define REG_MMSIADDRCFGH 0x1bc4
#define REG_SMSIADDRCFG  0x1bc8
#define REG_SMSIADDRCFGH 0x1bcc
#define REG_SETIP        0x1c00
#define REG_SETIPNUM     0x1cdc
#define REG_IN_CLRIP     0x1d00
#define REG_CLRIPNUM     0x1ddc
#define REG_SETIE        0x1e00
#define REG_SETIENUM     0x1edc
#define REG_CLRIE        0x1f00
#define REG_CLRIENUM     0x1fdc
#define REG_SETIPNUM_LE  0x2000
#define REG_SETIPNUM_BE  0x2004
#define REG_GENMSI       0x3000
#define REG_TARGET       0x3004      /* source i at 0x3004 + 4 * (i - 1) */
#define BITMAP_REGS      32          /* setip[0..31] and friends */

#define DOMAINCFG_FIXED  0x80000000u /* bits 31:24 read 0x80 */
#define DOMAINCFG_IE     (1u << 8)
#define DOMAINCFG_DM     (1u << 2)   /* MSI mode, read-only here */

#define SOURCECFG_D      (1u << 10)
#define SM_MASK          7u
enum { SM_INACTIVE = 0, SM_DETACHED = 1, SM_EDGE1 = 4, SM_EDGE0 = 5, SM_LEVEL1 = 6,
       SM_LEVEL0 = 7 };

#define TARGET_HART_SHIFT 18
#define TARGET_HART_MASK  0x3fffu
#define TARGET_EIID_MASK  0x7ffu     /* the guest index (17:12) is read-only 0: no H */
#define GENMSI_WRITABLE   ((TARGET_HART_MASK << TARGET_HART_SHIFT) | TARGET_EIID_MASK)

#define MSICFGH_L         (1u << 31)
#define MSICFGH_M_MASK    0x9f77ffffu /* L, HHXS, LHXS, HHXW, LHXW, PPN[43:32] */
#define MSICFGH_S_MASK    0x00700fffu /* LHXS, PPN[43:32] */
#define PAGE_SHIFT        12

/* What a guest did wrong, logged once per APLIC and kind. */
enum { BAD_WIDTH = 1u << 0, BAD_OFFSET = 1u << 1, BAD_SOURCE = 1u << 2, BAD_SM = 1u << 3 };

struct aplic_domain {
    uint32_t ie;                     /* domaincfg.IE */
    uint32_t sourcecfg[NSRC + 1];
    uint32_t target[NSRC + 1];
    uint32_t genmsi;
};

/* What each domain's MMIO window is handed as its opaque. */
struct aplic_view {
    struct aplic *a;
    enum aplic_domain_id d;
};

struct aplic {
    struct aplic_domain dom[2];
    struct aplic_view views[2];
    uint32_t wire[WORDS];            /* the devices' lines, before rectifying */
    uint32_t pending[WORDS];
    uint32_t enabled[WORDS];
    uint32_t mmsiaddrcfg, mmsiaddrcfgh, smsiaddrcfg, smsiaddrcfgh;
    struct msi_sink sink;
    unsigned complained;
};

static void complain(struct aplic *a, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void complain(struct aplic *a, unsigned kind, const char *fmt, ...)
{
    if (a->complained & kind)
        return;
    a->complained |= kind;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("aplic", "%s (logged once)", msg);
}

static bool bit_get(const uint32_t *map, unsigned i)
{
    return (map[i / 32] >> (i % 32)) & 1;
}

static void bit_set(uint32_t *map, unsigned i, bool on)
{
    if (on)
        map[i / 32] |= 1u << (i % 32);
    else
        map[i / 32] &= ~(1u << (i % 32));
}

static enum aplic_domain_id owner(const struct aplic *a, unsigned i)
{
    return (a->dom[APLIC_DOMAIN_M].sourcecfg[i] & SOURCECFG_D) ? APLIC_DOMAIN_S
                                                               : APLIC_DOMAIN_M;
}

/* The source mode in the domain that owns source i (SM_INACTIVE for a bad i). */
static unsigned mode(const struct aplic *a, unsigned i)
{
    if (i == 0 || i > NSRC)
        return SM_INACTIVE;
    return a->dom[owner(a, i)].sourcecfg[i] & SM_MASK;
}

static bool active_in(const struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    return i >= 1 && i <= NSRC && owner(a, i) == d && mode(a, i) != SM_INACTIVE;
}

static bool rectified(const struct aplic *a, unsigned i)
{
    bool w = bit_get(a->wire, i);
    switch (mode(a, i)) {
    case SM_EDGE1:
    case SM_LEVEL1:
        return w;
    case SM_EDGE0:
    case SM_LEVEL0:
        return !w;
    default:
        return false;   /* inactive, detached */
    }
}

static bool is_level(unsigned sm)
{
    return sm == SM_LEVEL1 || sm == SM_LEVEL0;
}

/*
 * The address of hart `hart`'s interrupt file of domain d's level: Base PPN with the
 * group index at bit HHXS+12 and the hart's index within its group at bit LHXS.
 */
static uint64_t msi_addr(const struct aplic *a, enum aplic_domain_id d, uint32_t hart)
{
    uint32_t mh = a->mmsiaddrcfgh;
    unsigned lhxw = (mh >> 12) & 0xf, hhxw = (mh >> 16) & 7, hhxs = (mh >> 24) & 0x1f;
    uint32_t lo = d == APLIC_DOMAIN_M ? a->mmsiaddrcfg : a->smsiaddrcfg;
    uint32_t hi = d == APLIC_DOMAIN_M ? a->mmsiaddrcfgh : a->smsiaddrcfgh;
    unsigned lhxs = (hi >> 20) & 7;
    uint64_t ppn = (uint64_t)(hi & 0xfff) << 32 | lo;
    uint64_t group = (hart >> lhxw) & ((1u << hhxw) - 1);
    uint64_t index = hart & ((1u << lhxw) - 1);
    ppn |= group << (hhxs + PAGE_SHIFT) | index << lhxs;
    return ppn << PAGE_SHIFT;
}

static void send(struct aplic *a, enum aplic_domain_id d, uint32_t target)
{
    uint32_t hart = (target >> TARGET_HART_SHIFT) & TARGET_HART_MASK;
    msi_send(&a->sink, msi_addr(a, d, hart), target & TARGET_EIID_MASK);
}

/* Forwards source i if it is pending and enabled in an enabled owning domain. */
static void deliver(struct aplic *a, unsigned i)
{
    enum aplic_domain_id d = owner(a, i);
    if (!active_in(a, d, i) || !a->dom[d].ie || !bit_get(a->pending, i) ||
        !bit_get(a->enabled, i))
        return;
    bit_set(a->pending, i, false);
    send(a, d, a->dom[d].target[i]);
}

static void deliver_all(struct aplic *a)
{
    for (unsigned i = 1; i <= NSRC; i++)
        deliver(a, i);
}

/* setip/setipnum: a request to set pending, which a level source takes only while high. */
static void request_pending(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    if (!active_in(a, d, i))
        return;
    if (is_level(mode(a, i)) && !rectified(a, i))
        return;
    bit_set(a->pending, i, true);
    deliver(a, i);
}

static void clear_pending(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    if (active_in(a, d, i))
        bit_set(a->pending, i, false);
}

static void set_enabled(struct aplic *a, enum aplic_domain_id d, unsigned i, bool on)
{
    if (!active_in(a, d, i))
        return;
    bit_set(a->enabled, i, on);
    if (on)
        deliver(a, i);
}

void aplic_set_irq(void *opaque, int source, int level)
{
    struct aplic *a = opaque;
    if (source < 1 || source > NSRC) {
        complain(a, BAD_SOURCE, "device line %d is not a source (1..%d)", source, NSRC);
        return;
    }
    unsigned i = (unsigned)source;
    bool before = rectified(a, i);
    bit_set(a->wire, i, level != 0);
    bool after = rectified(a, i);
    if (before == after || mode(a, i) == SM_INACTIVE)
        return;
    if (after)
        bit_set(a->pending, i, true);    /* a rising edge; for a level, becoming high */
    else if (is_level(mode(a, i)))
        bit_set(a->pending, i, false);
    deliver(a, i);
}

static void write_sourcecfg(struct aplic *a, enum aplic_domain_id d, unsigned i, uint32_t v)
{
    if (d == APLIC_DOMAIN_S && owner(a, i) != APLIC_DOMAIN_S)
        return;   /* not delegated here: read-only zero */
    uint32_t cfg;
    if (d == APLIC_DOMAIN_M && (v & SOURCECFG_D)) {
        cfg = SOURCECFG_D;   /* the only child is index 0 */
    } else {
        cfg = v & SM_MASK;   /* a leaf domain's D is read-only zero */
        if (cfg == 2 || cfg == 3) {
            complain(a, BAD_SM, "reserved source mode %u for source %u: inactive", cfg, i);
            cfg = SM_INACTIVE;
        }
    }
    enum aplic_domain_id old_owner = owner(a, i);
    a->dom[d].sourcecfg[i] = cfg;
    if (owner(a, i) != old_owner) {
        /* The source changes hands: the child starts from an inactive, untargeted source. */
        a->dom[APLIC_DOMAIN_S].sourcecfg[i] = 0;
        a->dom[APLIC_DOMAIN_S].target[i] = 0;
        bit_set(a->enabled, i, false);
    }
    if (!active_in(a, d, i)) {
        a->dom[d].target[i] = 0;
        bit_set(a->enabled, i, false);
    }
    bit_set(a->pending, i, is_level(mode(a, i)) && rectified(a, i));
    deliver(a, i);
}

static uint32_t read_bitmap(const struct aplic *a, enum aplic_domain_id d,
                            const uint32_t *map, unsigned k, bool rect)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        unsigned i = k * 32 + b;
        if (!active_in(a, d, i))
            continue;
        if (rect ? rectified(a, i) : bit_get(map, i))
            v |= 1u << b;
    }
    return v;
}

static void write_bitmap(struct aplic *a, enum aplic_domain_id d, unsigned k, uint32_t v,
                         void (*op)(struct aplic *, enum aplic_domain_id, unsigned))
{
    for (unsigned b = 0; b < 32; b++)
        if (v & (1u << b))
            op(a, d, k * 32 + b);
}

static void op_set_ip(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    request_pending(a, d, i);
}

static void op_clr_ip(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    clear_pending(a, d, i);
}

static void op_set_ie(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    set_enabled(a, d, i, true);
}

static void op_clr_ie(struct aplic *a, enum aplic_domain_id d, unsigned i)
{
    set_enabled(a, d, i, false);
}

static bool msicfg_locked(const struct aplic *a)
{
    return a->mmsiaddrcfgh & MSICFGH_L;
}

static uint64_t region_read(void *opaque, uint64_t off, unsigned size)
{
    struct aplic_view *v = opaque;
    struct aplic *a = v->a;
    enum aplic_domain_id d = v->d;
    struct aplic_domain *dom = &a->dom[d];
    if (size != 4 || off % 4) {
        complain(a, BAD_WIDTH, "%u-byte read at 0x%llx ignored (aligned 32-bit only)", size,
                 (unsigned long long)off);
        return 0;
    }
    bool root = d == APLIC_DOMAIN_M;
    if (off == REG_DOMAINCFG)
        return DOMAINCFG_FIXED | (dom->ie ? DOMAINCFG_IE : 0) | DOMAINCFG_DM;
    if (off >= REG_SOURCECFG && off < REG_SOURCECFG + 4 * NSRC)
        return dom->sourcecfg[(off - REG_SOURCECFG) / 4 + 1];
    if (off >= REG_SOURCECFG && off < REG_MMSIADDRCFG)
        return 0;    /* sources this APLIC does not have */
    switch (off) {
    case REG_MMSIADDRCFG: return root ? a->mmsiaddrcfg : 0;
    case REG_MMSIADDRCFGH: return root ? a->mmsiaddrcfgh : 0;
    case REG_SMSIADDRCFG: return root ? a->smsiaddrcfg : 0;
    case REG_SMSIADDRCFGH: return root ? a->smsiaddrcfgh : 0;
    case REG_SETIPNUM: case REG_CLRIPNUM: case REG_SETIENUM: case REG_CLRIENUM:
    case REG_SETIPNUM_LE: case REG_SETIPNUM_BE:
        return 0;
    case REG_GENMSI:
        return dom->genmsi;   /* Busy is never set: the MSI went out at the write */
    default:
        break;
    }
    if (off >= REG_SETIP && off < REG_SETIP + 4 * BITMAP_REGS)
        return (off - REG_SETIP) / 4 < WORDS
                   ? read_bitmap(a, d, a->pending, (unsigned)(off - REG_SETIP) / 4, false) : 0;
    if (off >= REG_IN_CLRIP && off < REG_IN_CLRIP + 4 * BITMAP_REGS)
        return (off - REG_IN_CLRIP) / 4 < WORDS
                   ? read_bitmap(a, d, NULL, (unsigned)(off - REG_IN_CLRIP) / 4, true) : 0;
    if (off >= REG_SETIE && off < REG_SETIE + 4 * BITMAP_REGS)
        return (off - REG_SETIE) / 4 < WORDS
                   ? read_bitmap(a, d, a->enabled, (unsigned)(off - REG_SETIE) / 4, false) : 0;
    if (off >= REG_CLRIE && off < REG_CLRIE + 4 * BITMAP_REGS)
        return 0;
    if (off >= REG_TARGET && off < REG_TARGET + 4 * NSRC)
        return dom->target[(off - REG_TARGET) / 4 + 1];
    if (off >= REG_TARGET && off < REG_TARGET + 4 * 1023)
        return 0;
    complain(a, BAD_OFFSET, "read of unimplemented register 0x%llx (no direct mode)",
             (unsigned long long)off);
    return 0;
}

static void write_msicfg(struct aplic *a, uint64_t off, uint32_t val)
{
    if (msicfg_locked(a))
        return;
    switch (off) {
    case REG_MMSIADDRCFG: a->mmsiaddrcfg = val; break;
    case REG_MMSIADDRCFGH: a->mmsiaddrcfgh = val & MSICFGH_M_MASK; break;
    case REG_SMSIADDRCFG: a->smsiaddrcfg = val; break;
    case REG_SMSIADDRCFGH: a->smsiaddrcfgh = val & MSICFGH_S_MASK; break;
    }
}

static void region_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    struct aplic_view *v = opaque;
    struct aplic *a = v->a;
    enum aplic_domain_id d = v->d;
    struct aplic_domain *dom = &a->dom[d];
    if (size != 4 || off % 4) {
        complain(a, BAD_WIDTH, "%u-byte write at 0x%llx ignored (aligned 32-bit only)", size,
                 (unsigned long long)off);
        return;
    }
    uint32_t val = (uint32_t)value;
    if (off == REG_DOMAINCFG) {
        dom->ie = val & DOMAINCFG_IE;
        deliver_all(a);
        return;
    }
    if (off >= REG_SOURCECFG && off < REG_SOURCECFG + 4 * NSRC) {
        write_sourcecfg(a, d, (unsigned)(off - REG_SOURCECFG) / 4 + 1, val);
        return;
    }
    if (off >= REG_SOURCECFG && off < REG_MMSIADDRCFG)
        return;
    if (off >= REG_MMSIADDRCFG && off <= REG_SMSIADDRCFGH) {
        if (d == APLIC_DOMAIN_M)
            write_msicfg(a, off, val);
        return;
    }
    switch (off) {
    case REG_SETIPNUM:
    case REG_SETIPNUM_LE:
        request_pending(a, d, val);
        return;
    case REG_SETIPNUM_BE:
        request_pending(a, d, __builtin_bswap32(val));
        return;
    case REG_CLRIPNUM: clear_pending(a, d, val); return;
    case REG_SETIENUM: set_enabled(a, d, val, true); return;
    case REG_CLRIENUM: set_enabled(a, d, val, false); return;
    case REG_GENMSI:
        dom->genmsi = val & GENMSI_WRITABLE;
        send(a, d, dom->genmsi);
        return;
    default:
        break;
    }
    if (off >= REG_SETIP && off < REG_SETIP + 4 * BITMAP_REGS) {
        write_bitmap(a, d, (unsigned)(off - REG_SETIP) / 4, val, op_set_ip);
        return;
    }
    if (off >= REG_IN_CLRIP && off < REG_IN_CLRIP + 4 * BITMAP_REGS) {
        write_bitmap(a, d, (unsigned)(off - REG_IN_CLRIP) / 4, val, op_clr_ip);
        return;
    }
    if (off >= REG_SETIE && off < REG_SETIE + 4 * BITMAP_REGS) {
        write_bitmap(a, d, (unsigned)(off - REG_SETIE) / 4, val, op_set_ie);
        return;
    }
    if (off >= REG_CLRIE && off < REG_CLRIE + 4 * BITMAP_REGS) {
        write_bitmap(a, d, (unsigned)(off - REG_CLRIE) / 4, val, op_clr_ie);
        return;
    }
    if (off >= REG_TARGET && off < REG_TARGET + 4 * NSRC) {
        unsigned i = (unsigned)(off - REG_TARGET) / 4 + 1;
        if (active_in(a, d, i))
            dom->target[i] = val & ((TARGET_HART_MASK << TARGET_HART_SHIFT) | TARGET_EIID_MASK);
        return;
    }
    if (off >= REG_TARGET && off < REG_TARGET + 4 * 1023)
        return;
    complain(a, BAD_OFFSET, "write of unimplemented register 0x%llx (no direct mode)",
             (unsigned long long)off);
}

struct mmio_region aplic_region(struct aplic *a, enum aplic_domain_id domain, uint64_t base)
{
    bool m = domain == APLIC_DOMAIN_M;
    return (struct mmio_region){.name = m ? "aplic-m" : "aplic-s", .base = base,
                                .size = APLIC_DOMAIN_SIZE,
                                .opaque = &a->views[m ? APLIC_DOMAIN_M : APLIC_DOMAIN_S],
                                .read = region_read, .write = region_write};
}

struct aplic *aplic_new(struct msi_sink sink)
{
    struct aplic *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->sink = sink;
    a->views[APLIC_DOMAIN_M] = (struct aplic_view){.a = a, .d = APLIC_DOMAIN_M};
    a->views[APLIC_DOMAIN_S] = (struct aplic_view){.a = a, .d = APLIC_DOMAIN_S};
    return a;
}

void aplic_free(struct aplic *a)
{
    free(a);
}
