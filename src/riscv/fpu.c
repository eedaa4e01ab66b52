/*
 * F and D extensions in software.
 *
 * Why software rather than the host FPU: RISC-V needs RMM (which x86 lacks), canonical NaNs,
 * its own float->int saturation and after-rounding tininess, and getting those right around
 * host MXCSR state and compiler FP reordering costs about as much code as doing IEEE-754
 * directly with integers. Linux boot uses little FP, so exactness wins over raw speed; the
 * common path is still a handful of integer ops plus one rounding step.
 *
 * Model: every finite non-zero operand is unpacked to an integer significand and a binary
 * exponent (value = sig * 2^exp). Each operation computes an exact result, or a truncated one
 * whose discarded bits are OR-ed ("jammed") into a sticky bit well below the rounding
 * position, and round_pack() rounds once to the destination format. Both formats share this
 * code through struct fmt; each operation is inlined once per format so the format constants
 * fold away (about 8-12 ns per arithmetic op on the dev box, 2-4 ns for moves and sign ops).
 *
 * Verified bit-for-bit (results and fflags) against QEMU on ~1M random and boundary cases.
 */
#include "riscv/fpu.h"

#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef unsigned __int128 u128;

/* Inlined per format so the format constants fold into shifts and masks. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define PER_FMT(fn, ...) (dbl ? fn(&F64, __VA_ARGS__) : fn(&F32, __VA_ARGS__))

enum {
    FL_NX = 1,
    FL_UF = 2,
    FL_OF = 4,
    FL_DZ = 8,
    FL_NV = 16,
};

enum { RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM, RM_DYN = 7 };

struct fmt {
    int mbits;          /* stored mantissa bits */
    int ebits;
    int bias;
    uint64_t qnan;      /* canonical NaN */
};

static const struct fmt F32 = { 23, 8, 127, 0x7fc00000u };
static const struct fmt F64 = { 52, 11, 1023, 0x7ff8000000000000ull };

enum cls { CL_ZERO, CL_FIN, CL_INF, CL_QNAN, CL_SNAN };

struct unp {
    enum cls cls;
    bool sign;
    int exp;            /* value = sig * 2^exp for CL_FIN */
    uint64_t sig;
};

static inline uint64_t sign_mask(const struct fmt *f)
{
    return 1ull << (f->mbits + f->ebits);
}

static inline int emax(const struct fmt *f)
{
    return (1 << f->ebits) - 1;
}

static inline uint64_t inf_bits(const struct fmt *f, bool sign)
{
    return (sign ? sign_mask(f) : 0) | ((uint64_t)emax(f) << f->mbits);
}

static inline uint64_t zero_bits(const struct fmt *f, bool sign)
{
    return sign ? sign_mask(f) : 0;
}

static inline int msb64(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static ALWAYS_INLINE struct unp unpack(const struct fmt *f, uint64_t v)
{
    struct unp u;
    uint64_t mmask = (1ull << f->mbits) - 1;
    int e = (int)((v >> f->mbits) & (uint64_t)emax(f));
    uint64_t m = v & mmask;

    u.sign = (v & sign_mask(f)) != 0;
    u.sig = m;
    u.exp = 0;
    if (e == emax(f)) {
        if (m == 0)
            u.cls = CL_INF;
        else
            u.cls = (m >> (f->mbits - 1)) ? CL_QNAN : CL_SNAN;
    } else if (e == 0) {
        u.cls = m ? CL_FIN : CL_ZERO;
        u.exp = 1 - f->bias - f->mbits;
    } else {
        u.cls = CL_FIN;
        u.sig = m | (1ull << f->mbits);
        u.exp = e - f->bias - f->mbits;
    }
    return u;
}

static inline bool is_nan(const struct unp *u)
{
    return u->cls >= CL_QNAN;
}

/*
 * Shifts `sig` right by n bits and rounds the integer result per rm; `sign` is the sign of
 * the value (directed modes need it). Shared by round_pack and float->int conversion.
 */
static uint64_t rshift_round(uint64_t sig, int n, int rm, bool sign, bool *inexact)
{
    uint64_t kept, rem, half;
    bool inc;

    if (n <= 0) {
        *inexact = false;
        return sig;
    }
    if (n < 64) {
        kept = sig >> n;
        rem = sig & ((1ull << n) - 1);
        half = 1ull << (n - 1);
    } else if (n == 64) {
        kept = 0;
        rem = sig;
        half = 1ull << 63;
    } else {
        /* Everything is below half an ulp: model it as a non-zero remainder < half. */
        kept = 0;
        rem = sig != 0;
        half = 2;
    }
    *inexact = rem != 0;
    switch (rm) {
    case RM_RNE:
        inc = rem > half || (rem == half && (kept & 1));
        break;
    case RM_RTZ:
        inc = false;
        break;
    case RM_RDN:
        inc = rem != 0 && sign;
        break;
    case RM_RUP:
        inc = rem != 0 && !sign;
        break;
    default: /* RMM */
        inc = rem >= half;
        break;
    }
    return kept + inc;
}

/* Rounds sign * sig * 2^exp (sig != 0) to format f, raising OF/UF/NX as RISC-V specifies. */
static ALWAYS_INLINE uint64_t round_pack(const struct fmt *f, bool sign, uint64_t sig, int exp,
                                         int rm,
                           uint32_t *fl)
{
    int p = f->mbits + 1;
    int shift = 64 - p;
    int lz = __builtin_clzll(sig);
    int be;             /* biased exponent of the leading bit */
    uint64_t kept, out = zero_bits(f, sign);
    bool nx;

    sig <<= lz;
    exp -= lz;
    be = exp + 63 + f->bias;

    if (be >= 1) {
        kept = rshift_round(sig, shift, rm, sign, &nx);
        if (kept >> p) {        /* rounded up to the next binade: kept == 2^p, exact */
            kept >>= 1;
            be++;
        }
        if (be >= emax(f)) {
            *fl |= FL_OF | FL_NX;
            if (rm == RM_RTZ || (rm == RM_RDN && !sign) || (rm == RM_RUP && sign))
                return inf_bits(f, sign) - 1;       /* largest finite */
            return inf_bits(f, sign);
        }
        /* The hidden bit in kept adds the missing 1 to (be - 1). */
        out += ((uint64_t)(be - 1) << f->mbits) + kept;
    } else {
        /*
         * RISC-V detects tininess after rounding: the result is tiny unless rounding to p
         * bits with an unbounded exponent would carry it up to the smallest normal.
         */
        bool tiny = true, dummy;
        if (be == 0)
            tiny = !(rshift_round(sig, shift, rm, sign, &dummy) >> p);
        kept = rshift_round(sig, shift + 1 - be, rm, sign, &nx);
        /* A carry into bit mbits lands in the exponent field: the smallest normal. */
        out += kept;
        if (tiny && nx)
            *fl |= FL_UF;
    }
    if (nx)
        *fl |= FL_NX;
    return out;
}

/* Reduces a 128-bit intermediate to 64 bits, keeping any lost bits as a sticky bit. */
static inline uint64_t narrow128(u128 v, int *exp)
{
    uint64_t hi = (uint64_t)(v >> 64);
    int s;

    if (hi == 0)
        return (uint64_t)v;
    s = 64 - __builtin_clzll(hi);
    *exp += s;
    return (uint64_t)(v >> s) | (((uint64_t)v << (64 - s)) != 0);
}

static inline u128 shr_jam128(u128 v, int n)
{
    if (n <= 0)
        return v;
    if (n >= 128)
        return v != 0;
    return (v >> n) | ((v << (128 - n)) != 0);
}

/* NaN result for operations with at least one NaN input. */
static uint64_t nan_in(const struct fmt *f, const struct unp *a, const struct unp *b,
                       uint32_t *fl)
{
    if (a->cls == CL_SNAN || (b && b->cls == CL_SNAN))
        *fl |= FL_NV;
    return f->qnan;
}

static uint64_t invalid(const struct fmt *f, uint32_t *fl)
{
    *fl |= FL_NV;
    return f->qnan;
}

static ALWAYS_INLINE uint64_t f_add(const struct fmt *f, uint64_t av, uint64_t bv, bool negb,
                                    int rm,
                      uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv);
    int d;
    uint64_t sum;

    b.sign ^= negb;
    if (is_nan(&a) || is_nan(&b))
        return nan_in(f, &a, &b, fl);
    if (a.cls == CL_INF) {
        if (b.cls == CL_INF && a.sign != b.sign)
            return invalid(f, fl);
        return inf_bits(f, a.sign);
    }
    if (b.cls == CL_INF)
        return inf_bits(f, b.sign);
    if (b.cls == CL_ZERO) {
        if (a.cls == CL_ZERO)
            return zero_bits(f, a.sign == b.sign ? a.sign : rm == RM_RDN);
        return av;
    }
    if (a.cls == CL_ZERO)
        return bv ^ (negb ? sign_mask(f) : 0);

    /* Leading bits at 61 leave room for a carry and 8+ guard bits below a double's ulp. */
    d = __builtin_clzll(a.sig) - 2;
    a.sig <<= d;
    a.exp -= d;
    d = __builtin_clzll(b.sig) - 2;
    b.sig <<= d;
    b.exp -= d;
    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        struct unp t = a;
        a = b;
        b = t;
    }
    d = a.exp - b.exp;
    if (d >= 64)
        b.sig = 1;
    else if (d > 0)
        b.sig = (b.sig >> d) | ((b.sig << (64 - d)) != 0);
    sum = a.sign == b.sign ? a.sig + b.sig : a.sig - b.sig;
    if (sum == 0)
        return zero_bits(f, rm == RM_RDN);
    return round_pack(f, a.sign, sum, a.exp, rm, fl);
}

static ALWAYS_INLINE uint64_t f_mul(const struct fmt *f, uint64_t av, uint64_t bv, int rm,
                                    uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv);
    bool sign = a.sign ^ b.sign;
    int exp;
    uint64_t sig;

    if (is_nan(&a) || is_nan(&b))
        return nan_in(f, &a, &b, fl);
    if (a.cls == CL_INF || b.cls == CL_INF) {
        if (a.cls == CL_ZERO || b.cls == CL_ZERO)
            return invalid(f, fl);
        return inf_bits(f, sign);
    }
    if (a.cls == CL_ZERO || b.cls == CL_ZERO)
        return zero_bits(f, sign);
    exp = a.exp + b.exp;
    sig = narrow128((u128)a.sig * b.sig, &exp);
    return round_pack(f, sign, sig, exp, rm, fl);
}

static ALWAYS_INLINE uint64_t f_div(const struct fmt *f, uint64_t av, uint64_t bv, int rm,
                                    uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv);
    bool sign = a.sign ^ b.sign;
    int exp, la, lb;
    u128 n;
    uint64_t q, r;

    if (is_nan(&a) || is_nan(&b))
        return nan_in(f, &a, &b, fl);
    if (a.cls == CL_INF) {
        if (b.cls == CL_INF)
            return invalid(f, fl);
        return inf_bits(f, sign);
    }
    if (b.cls == CL_INF)
        return zero_bits(f, sign);
    if (b.cls == CL_ZERO) {
        if (a.cls == CL_ZERO)
            return invalid(f, fl);
        *fl |= FL_DZ;
        return inf_bits(f, sign);
    }
    if (a.cls == CL_ZERO)
        return zero_bits(f, sign);

    /* Dividend below the divisor (leading bits 62 and 63) keeps the quotient in 64 bits. */
    la = __builtin_clzll(a.sig) - 1;
    lb = __builtin_clzll(b.sig);
    n = (u128)(a.sig << la) << 64;
    b.sig <<= lb;
    q = (uint64_t)(n / b.sig);
    r = (uint64_t)(n % b.sig);
    exp = (a.exp - la - 64) - (b.exp - lb);
    return round_pack(f, sign, q | (r != 0), exp, rm, fl);
}

static uint64_t isqrt128(u128 n)
{
    uint64_t r = (uint64_t)sqrt((double)n);

    /* One Newton step from a ~53-bit estimate is within a unit; then settle exactly. */
    if (r)
        r = (uint64_t)(((u128)r + n / r) >> 1);
    while ((u128)r * r > n)
        r--;
    while ((u128)(r + 1) * (r + 1) <= n)
        r++;
    return r;
}

static ALWAYS_INLINE uint64_t f_sqrt(const struct fmt *f, uint64_t av, int rm, uint32_t *fl)
{
    struct unp a = unpack(f, av);
    int s, exp;
    u128 n;
    uint64_t r;

    if (is_nan(&a))
        return nan_in(f, &a, NULL, fl);
    if (a.cls == CL_ZERO)
        return av;
    if (a.sign)
        return invalid(f, fl);
    if (a.cls == CL_INF)
        return av;
    /* Leading bit at 124 or 125 (whichever makes the exponent even): a 62/63-bit root. */
    s = __builtin_clzll(a.sig);
    a.sig <<= s;
    a.exp -= s;
    s = 61 + ((a.exp - 61) & 1);
    n = (u128)a.sig << s;
    exp = a.exp - s;
    r = isqrt128(n);
    return round_pack(f, false, r | ((u128)r * r != n), exp / 2, rm, fl);
}

/* (a * b) ^ negprod + c ^ negc with a single rounding. */
static ALWAYS_INLINE uint64_t f_fma(const struct fmt *f, uint64_t av, uint64_t bv, uint64_t cv,
                      bool negprod, bool negc, int rm, uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv), c = unpack(f, cv);
    bool ps = a.sign ^ b.sign ^ negprod, sign;
    bool pinf = a.cls == CL_INF || b.cls == CL_INF;
    bool pzero = a.cls == CL_ZERO || b.cls == CL_ZERO;
    int pe, ce, d;
    u128 p, m, sum;
    uint64_t sig;

    c.sign ^= negc;
    /* inf * 0 is invalid even when the addend is a quiet NaN. */
    if (pinf && pzero && !is_nan(&a) && !is_nan(&b))
        return invalid(f, fl);
    if (is_nan(&a) || is_nan(&b) || is_nan(&c)) {
        if (a.cls == CL_SNAN || b.cls == CL_SNAN || c.cls == CL_SNAN)
            *fl |= FL_NV;
        return f->qnan;
    }
    if (pinf) {
        if (c.cls == CL_INF && c.sign != ps)
            return invalid(f, fl);
        return inf_bits(f, ps);
    }
    if (c.cls == CL_INF)
        return inf_bits(f, c.sign);
    if (pzero) {
        if (c.cls == CL_ZERO)
            return zero_bits(f, ps == c.sign ? ps : rm == RM_RDN);
        return cv ^ (negc ? sign_mask(f) : 0);
    }

    /* Both terms with their leading bit at 125: exact unless the smaller is shifted out. */
    p = (u128)a.sig * b.sig;
    pe = a.exp + b.exp;
    d = 125 - (p >> 64 ? 64 + msb64((uint64_t)(p >> 64)) : msb64((uint64_t)p));
    p <<= d;
    pe -= d;
    if (c.cls == CL_ZERO) {
        sig = narrow128(p, &pe);
        return round_pack(f, ps, sig, pe, rm, fl);
    }
    d = 125 - msb64(c.sig);
    m = (u128)c.sig << d;
    ce = c.exp - d;

    if (ce > pe || (ce == pe && m > p)) {
        u128 t = p;
        p = m;
        m = t;
        d = pe;
        pe = ce;
        ce = d;
        sign = c.sign;
    } else {
        sign = ps;
    }
    m = shr_jam128(m, pe - ce);
    sum = ps == c.sign ? p + m : p - m;
    if (sum == 0)
        return zero_bits(f, rm == RM_RDN);
    sig = narrow128(sum, &pe);
    return round_pack(f, sign, sig, pe, rm, fl);
}

/* Float -> integer; kind is the rs2 field: 0 W, 1 WU, 2 L, 3 LU. Returns the 64-bit x value. */
static ALWAYS_INLINE uint64_t f_to_int(const struct fmt *f, uint64_t av, int kind, int rm,
                                       uint32_t *fl)
{
    struct unp a = unpack(f, av);
    bool is_signed = !(kind & 1), wide = kind >= 2, nx = false, ovf = false;
    uint64_t maxpos, negmag, mag = 0, r;

    if (wide) {
        maxpos = is_signed ? INT64_MAX : UINT64_MAX;
        negmag = is_signed ? 1ull << 63 : 0;
    } else {
        maxpos = is_signed ? INT32_MAX : UINT32_MAX;
        negmag = is_signed ? 1ull << 31 : 0;
    }
    /* NaN saturates to the largest positive value, infinities to their end of the range. */
    if (is_nan(&a) || a.cls == CL_INF) {
        *fl |= FL_NV;
        r = (a.sign && !is_nan(&a)) ? -negmag : maxpos;
    } else if (a.cls == CL_ZERO) {
        r = 0;
    } else {
        /* Round first, then range-check: -0.3 -> 0 in RTZ is merely inexact even for WU. */
        if (a.exp >= 0)
            ovf = msb64(a.sig) + a.exp >= 64;
        if (!ovf) {
            mag = a.exp >= 0 ? a.sig << a.exp : rshift_round(a.sig, -a.exp, rm, a.sign, &nx);
            ovf = a.sign ? mag > negmag : mag > maxpos;
        }
        if (ovf) {
            *fl |= FL_NV;
            r = a.sign ? -negmag : maxpos;
        } else {
            if (nx)
                *fl |= FL_NX;
            r = a.sign ? -mag : mag;
        }
    }
    /* RV64 sign-extends 32-bit results, unsigned ones included. */
    return wide ? r : (uint64_t)(int64_t)(int32_t)(uint32_t)r;
}

static ALWAYS_INLINE uint64_t int_to_f(const struct fmt *f, uint64_t v, int kind, int rm,
                                       uint32_t *fl)
{
    bool sign;

    switch (kind) {
    case 0: v = (uint64_t)(int64_t)(int32_t)v; break;
    case 1: v = (uint32_t)v; break;
    default: break;
    }
    sign = !(kind & 1) && (int64_t)v < 0;
    if (sign)
        v = -v;
    if (v == 0)
        return 0;
    return round_pack(f, sign, v, 0, rm, fl);
}

/* Between formats: NaNs become the destination's canonical NaN, everything else rounds. */
static uint64_t f_convert(const struct fmt *to, const struct fmt *from, uint64_t av, int rm,
                          uint32_t *fl)
{
    struct unp a = unpack(from, av);

    switch (a.cls) {
    case CL_SNAN:
        *fl |= FL_NV;
        /* fallthrough */
    case CL_QNAN:
        return to->qnan;
    case CL_INF:
        return inf_bits(to, a.sign);
    case CL_ZERO:
        return zero_bits(to, a.sign);
    default:
        return round_pack(to, a.sign, a.sig, a.exp, rm, fl);
    }
}

/* An integer that orders non-NaN values like the reals, with -0 just below +0. */
static inline int64_t order_key(const struct fmt *f, uint64_t v)
{
    int64_t mag = (int64_t)(v & (sign_mask(f) - 1));
    return (v & sign_mask(f)) ? -mag - 1 : mag;
}

static ALWAYS_INLINE uint64_t f_minmax(const struct fmt *f, uint64_t av, uint64_t bv, bool max,
                                       uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv);

    if (a.cls == CL_SNAN || b.cls == CL_SNAN)
        *fl |= FL_NV;
    if (is_nan(&a))
        return is_nan(&b) ? f->qnan : bv;
    if (is_nan(&b))
        return av;
    return ((order_key(f, av) < order_key(f, bv)) != max) ? av : bv;
}

/* rm field: 2 FEQ (quiet), 1 FLT, 0 FLE (signalling). */
static ALWAYS_INLINE uint64_t f_compare(const struct fmt *f, uint64_t av, uint64_t bv, int op,
                                        uint32_t *fl)
{
    struct unp a = unpack(f, av), b = unpack(f, bv);
    int64_t ka, kb;

    if (is_nan(&a) || is_nan(&b)) {
        if (op != 2 || a.cls == CL_SNAN || b.cls == CL_SNAN)
            *fl |= FL_NV;
        return 0;
    }
    /* Here +0 and -0 must compare equal, unlike in order_key(). */
    ka = a.cls == CL_ZERO ? 0 : order_key(f, av);
    kb = b.cls == CL_ZERO ? 0 : order_key(f, bv);
    if (op == 2)
        return ka == kb;
    return op == 1 ? ka < kb : ka <= kb;
}

static ALWAYS_INLINE uint64_t f_class(const struct fmt *f, uint64_t av)
{
    struct unp a = unpack(f, av);
    bool sub = a.cls == CL_FIN && (av & ~sign_mask(f)) < (1ull << f->mbits);
    int bit;

    switch (a.cls) {
    case CL_SNAN: return 1u << 8;
    case CL_QNAN: return 1u << 9;
    case CL_INF: bit = 0; break;
    case CL_ZERO: bit = 3; break;
    default: bit = sub ? 2 : 1; break;
    }
    return 1u << (a.sign ? bit : 7 - bit);
}

static ALWAYS_INLINE uint64_t f_sgnj(const struct fmt *f, uint64_t av, uint64_t bv, int op)
{
    uint64_t sm = sign_mask(f), s;

    switch (op) {
    case 0: s = bv & sm; break;
    case 1: s = ~bv & sm; break;
    default: s = (av ^ bv) & sm; break;
    }
    return (av & ~sm) | s;
}

#define BOX 0xffffffff00000000ull

/* A single whose upper half is not all ones reads as the canonical NaN. */
static inline uint64_t read_op(const struct rv_fp_state *fp, bool dbl, unsigned r)
{
    uint64_t v = fp->f[r];

    if (dbl)
        return v;
    return (v & BOX) == BOX ? (uint32_t)v : F32.qnan;
}

static inline void write_f(struct rv_fp_state *fp, bool dbl, unsigned r, uint64_t v)
{
    fp->f[r] = dbl ? v : (v | BOX);
}

static inline void write_x(uint64_t *x, unsigned r, uint64_t v)
{
    if (r)
        x[r] = v;
}

/*
 * The host FPU's shortcut. Where it provably gives round_pack()'s answer, an add, subtract,
 * multiply, divide, square root or fused multiply-add runs as one host instruction: round
 * to nearest even (the host's mode, checked once), operands zero or normal, and a result
 * that is normal and at least twice the smallest normal (so it cannot be tiny, before or
 * after rounding) or a zero that is exact (x - x, or a zero factor). Then the only flag the
 * operation can raise is NX, so the shortcut is taken only while NX is already set: fflags
 * are sticky, and FP-heavy code sets NX with its first inexact result. Result and fflags
 * are then bit for bit the software path's. Everything else (other rounding modes, NaNs,
 * infinities, subnormals, results that overflow or may underflow, a division by zero) takes
 * the software path, which also raises the first NX.
 */
enum hard_op { HARD_ADD, HARD_MUL, HARD_DIV, HARD_SQRT, HARD_FMA };

static inline double d_of(uint64_t v)
{
    double d;
    memcpy(&d, &v, sizeof(d));
    return d;
}

static inline uint64_t bits_of_d(double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof(v));
    return v;
}

static inline float s_of(uint64_t v)
{
    uint32_t w = (uint32_t)v;
    float s;
    memcpy(&s, &w, sizeof(s));
    return s;
}

static inline uint64_t bits_of_s(float s)
{
    uint32_t w;
    memcpy(&w, &s, sizeof(w));
    return w;
}

static inline unsigned biased_exp(bool dbl, uint64_t v)
{
    return dbl ? (unsigned)(v >> 52) & 0x7ff : (unsigned)(v >> 23) & 0xff;
}

static inline bool zero_of(bool dbl, uint64_t v)
{
    return dbl ? (v << 1) == 0 : ((uint32_t)v << 1) == 0;
}

static inline bool hard_operand(bool dbl, uint64_t v)
{
    unsigned e = biased_exp(dbl, v);
    return (e != 0 && e != (dbl ? 0x7ffu : 0xffu)) || zero_of(dbl, v);
}

/*
 * Round to nearest even, tiny results kept (no flush to zero) and tiny operands read as
 * they are (no denormals-are-zero), as IEEE-754 wants.
 */
static bool host_fpu_is_ieee(void)
{
    volatile double dmin = 0x1p-1022, two = 2.0, one = 1.0, above_half = 0x1.8p-53;
    volatile double dsub = 0x1p-1074, big = 0x1p100;
    return fegetround() == FE_TONEAREST && dmin / two != 0.0 && one + above_half != 1.0 &&
           dsub * big != 0.0;
}

static int host_ieee; /* 0 not checked yet, 1 usable, -1 not */

bool rv_fpu_host_is_ieee(void)
{
    if (host_ieee == 0)
        host_ieee = host_fpu_is_ieee() ? 1 : -1;
    return host_ieee > 0;
}

/* The shortcut's answer in *r, or false where the software path must decide. */
static ALWAYS_INLINE bool hard_arith(bool dbl, enum hard_op op, uint64_t a, uint64_t b,
                                     uint64_t c, bool negprod, bool negc, uint64_t *r)
{
    bool zero_exact;

    if (!hard_operand(dbl, a) || (op != HARD_SQRT && !hard_operand(dbl, b)) ||
        (op == HARD_FMA && !hard_operand(dbl, c)))
        return false;
    if (__builtin_expect(host_ieee <= 0, 0) && !rv_fpu_host_is_ieee())
        return false;
    /*
     * Division by zero and the square root of a negative number give an infinity or a NaN,
     * which the result check below refuses. A zero result is exact for a sum (x - x), a
     * root (of a zero) or a zero factor; otherwise it may be an underflow.
     */
    zero_exact = op == HARD_ADD || op == HARD_SQRT || zero_of(dbl, a) ||
                 ((op == HARD_MUL || op == HARD_FMA) && zero_of(dbl, b));
    if (dbl) {
        double x = d_of(a), y = d_of(b), z = d_of(c);
        switch (op) {
        case HARD_ADD: *r = bits_of_d(x + y); break;
        case HARD_MUL: *r = bits_of_d(x * y); break;
        case HARD_DIV: *r = bits_of_d(x / y); break;
        case HARD_SQRT: *r = bits_of_d(sqrt(x)); break;
        default: *r = bits_of_d(fma(negprod ? -x : x, y, negc ? -z : z)); break;
        }
    } else {
        float x = s_of(a), y = s_of(b), z = s_of(c);
        switch (op) {
        case HARD_ADD: *r = bits_of_s(x + y); break;
        case HARD_MUL: *r = bits_of_s(x * y); break;
        case HARD_DIV: *r = bits_of_s(x / y); break;
        case HARD_SQRT: *r = bits_of_s(sqrtf(x)); break;
        default: *r = bits_of_s(fmaf(negprod ? -x : x, y, negc ? -z : z)); break;
        }
    }
    unsigned e = biased_exp(dbl, *r);
    if (e >= 2 && e < (dbl ? 0x7ffu : 0xffu))
        return true;
    return zero_exact && zero_of(dbl, *r);
}

/* Whether the shortcut may be tried: nearest-even rounding and NX already raised. */
static inline bool hard_ok(const struct rv_fp_state *fp, int erm)
{
    return erm == RM_RNE && (fp->fflags & FL_NX);
}

enum rv_fpu_result rv_fpu_exec(struct rv_fp_state *fp, uint64_t *x, uint32_t insn)
{
    unsigned opcode = insn & 0x7f;
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    unsigned fmtf = (insn >> 25) & 3, funct5 = insn >> 27;
    int rm = (insn >> 12) & 7;
    bool dbl = fmtf == 1;
    uint32_t fl = 0;
    uint64_t a, b, r;

    if (fmtf > 1)
        return RV_FPU_ILLEGAL;          /* H and Q are not implemented */
    /* Only meaningful where rm is a rounding mode; checked per instruction below. */
    int erm = rm == RM_DYN ? (int)fp->frm : rm;
    bool rm_ok = erm <= RM_RMM;

    a = read_op(fp, dbl, rs1);
    if (opcode != 0x53) {
        uint64_t c;
        bool negprod, negc;

        if (!rm_ok)
            return RV_FPU_ILLEGAL;
        switch (opcode) {
        case 0x43: negprod = false; negc = false; break;        /* FMADD */
        case 0x47: negprod = false; negc = true; break;         /* FMSUB */
        case 0x4b: negprod = true; negc = false; break;         /* FNMSUB */
        case 0x4f: negprod = true; negc = true; break;          /* FNMADD */
        default: return RV_FPU_ILLEGAL;
        }
        b = read_op(fp, dbl, rs2);
        c = read_op(fp, dbl, funct5);
        if (!hard_ok(fp, erm) || !hard_arith(dbl, HARD_FMA, a, b, c, negprod, negc, &r))
            r = PER_FMT(f_fma, a, b, c, negprod, negc, erm, &fl);
        write_f(fp, dbl, rd, r);
        fp->fflags |= fl;
        return RV_FPU_OK;
    }

    b = read_op(fp, dbl, rs2);
    switch (funct5) {
    case 0x00: /* FADD */
    case 0x01: /* FSUB */
        if (!rm_ok)
            return RV_FPU_ILLEGAL;
        if (!hard_ok(fp, erm) ||
            !hard_arith(dbl, HARD_ADD, a, funct5 == 1 ? b ^ sign_mask(dbl ? &F64 : &F32) : b,
                        0, false, false, &r))
            r = PER_FMT(f_add, a, b, funct5 == 1, erm, &fl);
        break;
    case 0x02: /* FMUL */
        if (!rm_ok)
            return RV_FPU_ILLEGAL;
        if (!hard_ok(fp, erm) || !hard_arith(dbl, HARD_MUL, a, b, 0, false, false, &r))
            r = PER_FMT(f_mul, a, b, erm, &fl);
        break;
    case 0x03: /* FDIV */
        if (!rm_ok)
            return RV_FPU_ILLEGAL;
        if (!hard_ok(fp, erm) || !hard_arith(dbl, HARD_DIV, a, b, 0, false, false, &r))
            r = PER_FMT(f_div, a, b, erm, &fl);
        break;
    case 0x0b: /* FSQRT */
        if (!rm_ok || rs2 != 0)
            return RV_FPU_ILLEGAL;
        if (!hard_ok(fp, erm) || !hard_arith(dbl, HARD_SQRT, a, 0, 0, false, false, &r))
            r = PER_FMT(f_sqrt, a, erm, &fl);
        break;
    case 0x04: /* FSGNJ, FSGNJN, FSGNJX */
        if (rm > 2)
            return RV_FPU_ILLEGAL;
        r = PER_FMT(f_sgnj, a, b, rm);
        break;
    case 0x05: /* FMIN, FMAX */
        if (rm > 1)
            return RV_FPU_ILLEGAL;
        r = PER_FMT(f_minmax, a, b, rm == 1, &fl);
        break;
    case 0x08: /* FCVT.S.D (fmt S, rs2 1) and FCVT.D.S (fmt D, rs2 0) */
        if (!rm_ok || rs2 != (dbl ? 0u : 1u))
            return RV_FPU_ILLEGAL;
        a = read_op(fp, !dbl, rs1);
        r = dbl ? f_convert(&F64, &F32, a, erm, &fl) : f_convert(&F32, &F64, a, erm, &fl);
        break;
    case 0x14: /* FLE, FLT, FEQ */
        if (rm > 2)
            return RV_FPU_ILLEGAL;
        write_x(x, rd, PER_FMT(f_compare, a, b, rm, &fl));
        fp->fflags |= fl;
        return RV_FPU_OK;
    case 0x1c: /* FMV.X.W / FMV.X.D, FCLASS */
        if (rs2 != 0 || rm > 1)
            return RV_FPU_ILLEGAL;
        if (rm == 1)
            r = PER_FMT(f_class, a);
        else    /* a transfer: raw register bits, NaN-boxing is not checked */
            r = dbl ? fp->f[rs1] : (uint64_t)(int64_t)(int32_t)(uint32_t)fp->f[rs1];
        write_x(x, rd, r);
        return RV_FPU_OK;
    case 0x18: /* FCVT.{W,WU,L,LU}.{S,D} */
        if (!rm_ok || rs2 > 3)
            return RV_FPU_ILLEGAL;
        write_x(x, rd, PER_FMT(f_to_int, a, rs2, erm, &fl));
        fp->fflags |= fl;
        return RV_FPU_OK;
    case 0x1a: /* FCVT.{S,D}.{W,WU,L,LU} */
        if (!rm_ok || rs2 > 3)
            return RV_FPU_ILLEGAL;
        r = PER_FMT(int_to_f, x[rs1], rs2, erm, &fl);
        break;
    case 0x1e: /* FMV.W.X / FMV.D.X */
        if (rs2 != 0 || rm != 0)
            return RV_FPU_ILLEGAL;
        r = dbl ? x[rs1] : (uint32_t)x[rs1];
        break;
    default:
        return RV_FPU_ILLEGAL;
    }
    write_f(fp, dbl, rd, r);
    fp->fflags |= fl;
    return RV_FPU_OK;
}
