/*
 * RV64C: every 16-bit encoding is expanded once, at start-up, into the 32-bit instruction
 * it stands for, so the executor handles a single format. Reserved encodings map to 0.
 */
#include "riscv/cpu_internal.h"

uint32_t rv_rvc_table[65536];

static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
                      unsigned op)
{
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

static uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

static uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
           ((u & 0x1f) << 7) | op;
}

static uint32_t enc_b(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) |
           (f3 << 12) | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}

static uint32_t enc_j(int32_t imm, unsigned rd)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
           (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

static uint32_t bit(uint32_t v, int hi, int lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static int32_t sext(uint32_t v, int bits)
{
    return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static uint32_t expand(uint32_t c)
{
    unsigned q = c & 3, f3 = bit(c, 15, 13);
    unsigned rd = bit(c, 11, 7), rs2 = bit(c, 6, 2);
    unsigned rdp = bit(c, 4, 2) + 8, rs1p = bit(c, 9, 7) + 8;
    int32_t imm6 = sext((bit(c, 12, 12) << 5) | bit(c, 6, 2), 6);

    switch (q) {
    case 0:
        switch (f3) {
        case 0: { /* c.addi4spn */
            uint32_t imm = (bit(c, 12, 11) << 4) | (bit(c, 10, 7) << 6) | (bit(c, 6, 6) << 2) |
                           (bit(c, 5, 5) << 3);
            if (!imm)
                return 0;
            return enc_i((int32_t)imm, 2, 0, rdp, 0x13);
        }
        case 1: /* c.fld */
        case 3: { /* c.ld */
            uint32_t imm = (bit(c, 12, 10) << 3) | (bit(c, 6, 5) << 6);
            return enc_i((int32_t)imm, rs1p, 3, rdp, f3 == 1 ? 0x07 : 0x03);
        }
        case 2: { /* c.lw */
            uint32_t imm = (bit(c, 12, 10) << 3) | (bit(c, 6, 6) << 2) | (bit(c, 5, 5) << 6);
            return enc_i((int32_t)imm, rs1p, 2, rdp, 0x03);
        }
        case 5: /* c.fsd */
        case 7: { /* c.sd */
            uint32_t imm = (bit(c, 12, 10) << 3) | (bit(c, 6, 5) << 6);
            return enc_s((int32_t)imm, rdp, rs1p, 3, f3 == 5 ? 0x27 : 0x23);
        }
        case 6: { /* c.sw */
            uint32_t imm = (bit(c, 12, 10) << 3) | (bit(c, 6, 6) << 2) | (bit(c, 5, 5) << 6);
            return enc_s((int32_t)imm, rdp, rs1p, 2, 0x23);
        }
        default:
            return 0;
        }
    case 1:
        switch (f3) {
        case 0: /* c.addi (c.nop, hints) */
            return enc_i(imm6, rd, 0, rd, 0x13);
        case 1: /* c.addiw */
            if (!rd)
                return 0;
            return enc_i(imm6, rd, 0, rd, 0x1b);
        case 2: /* c.li */
            return enc_i(imm6, 0, 0, rd, 0x13);
        case 3:
            if (rd == 2) { /* c.addi16sp */
                int32_t imm = sext((bit(c, 12, 12) << 9) | (bit(c, 6, 6) << 4) |
                                   (bit(c, 5, 5) << 6) | (bit(c, 4, 3) << 7) |
                                   (bit(c, 2, 2) << 5), 10);
                if (!imm)
                    return 0;
                return enc_i(imm, 2, 0, 2, 0x13);
            }
            /* c.lui */
            if (!imm6)
                return 0;
            return ((uint32_t)imm6 << 12) | (rd << 7) | 0x37;
        case 4: {
            unsigned f2 = bit(c, 11, 10);
            unsigned shamt = (bit(c, 12, 12) << 5) | bit(c, 6, 2);
            switch (f2) {
            case 0: /* c.srli */
                return enc_i((int32_t)shamt, rs1p, 5, rs1p, 0x13);
            case 1: /* c.srai */
                return enc_i((int32_t)(shamt | 0x400), rs1p, 5, rs1p, 0x13);
            case 2: /* c.andi */
                return enc_i(imm6, rs1p, 7, rs1p, 0x13);
            default: {
                unsigned f = bit(c, 6, 5);
                if (!bit(c, 12, 12)) {
                    static const unsigned f3s[4] = {0, 4, 6, 7};
                    return enc_r(f == 0 ? 0x20 : 0, rdp, rs1p, f3s[f], rs1p, 0x33);
                }
                if (f == 0) /* c.subw */
                    return enc_r(0x20, rdp, rs1p, 0, rs1p, 0x3b);
                if (f == 1) /* c.addw */
                    return enc_r(0, rdp, rs1p, 0, rs1p, 0x3b);
                return 0;
            }
            }
        }
        case 5: { /* c.j */
            int32_t imm = sext((bit(c, 12, 12) << 11) | (bit(c, 11, 11) << 4) |
                               (bit(c, 10, 9) << 8) | (bit(c, 8, 8) << 10) |
                               (bit(c, 7, 7) << 6) | (bit(c, 6, 6) << 7) |
                               (bit(c, 5, 3) << 1) | (bit(c, 2, 2) << 5), 12);
            return enc_j(imm, 0);
        }
        default: { /* c.beqz, c.bnez */
            int32_t imm = sext((bit(c, 12, 12) << 8) | (bit(c, 11, 10) << 3) |
                               (bit(c, 6, 5) << 6) | (bit(c, 4, 3) << 1) |
                               (bit(c, 2, 2) << 5), 9);
            return enc_b(imm, 0, rs1p, f3 == 6 ? 0 : 1);
        }
        }
    case 2:
        switch (f3) {
        case 0: { /* c.slli */
            unsigned shamt = (bit(c, 12, 12) << 5) | bit(c, 6, 2);
            return enc_i((int32_t)shamt, rd, 1, rd, 0x13);
        }
        case 1: /* c.fldsp */
        case 3: { /* c.ldsp */
            uint32_t imm = (bit(c, 12, 12) << 5) | (bit(c, 6, 5) << 3) | (bit(c, 4, 2) << 6);
            if (f3 == 3 && !rd)
                return 0;
            return enc_i((int32_t)imm, 2, 3, rd, f3 == 1 ? 0x07 : 0x03);
        }
        case 2: { /* c.lwsp */
            uint32_t imm = (bit(c, 12, 12) << 5) | (bit(c, 6, 4) << 2) | (bit(c, 3, 2) << 6);
            if (!rd)
                return 0;
            return enc_i((int32_t)imm, 2, 2, rd, 0x03);
        }
        case 4:
            if (!bit(c, 12, 12)) {
                if (!rs2) { /* c.jr */
                    if (!rd)
                        return 0;
                    return enc_i(0, rd, 0, 0, 0x67);
                }
                return enc_r(0, rs2, 0, 0, rd, 0x33); /* c.mv */
            }
            if (!rs2) {
                if (!rd)
                    return 0x00100073; /* c.ebreak */
                return enc_i(0, rd, 0, 1, 0x67); /* c.jalr */
            }
            return enc_r(0, rs2, rd, 0, rd, 0x33); /* c.add */
        case 5: /* c.fsdsp */
        case 7: { /* c.sdsp */
            uint32_t imm = (bit(c, 12, 10) << 3) | (bit(c, 9, 7) << 6);
            return enc_s((int32_t)imm, rs2, 2, 3, f3 == 5 ? 0x27 : 0x23);
        }
        default: { /* c.swsp */
            uint32_t imm = (bit(c, 12, 9) << 2) | (bit(c, 8, 7) << 6);
            return enc_s((int32_t)imm, rs2, 2, 2, 0x23);
        }
        }
    default:
        return 0;
    }
}

void rv_rvc_init(void)
{
    static bool done;
    if (done)
        return;
    for (uint32_t c = 0; c < 65536; c++)
        rv_rvc_table[c] = (c & 3) == 3 ? 0 : expand(c);
    done = true;
}
