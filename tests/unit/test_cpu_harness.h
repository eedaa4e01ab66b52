/*
 * Shared by the hart tests: a tiny machine (RAM at 0x80000000, one test device on the MMIO
 * bus) and instruction encoders. Encodings were checked against riscv64-unknown-elf-as.
 */
#ifndef KITE_TEST_CPU_HARNESS_H
#define KITE_TEST_CPU_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/mmio.h"
#include "riscv/cpu.h"
#include "riscv/cpu_internal.h"
#include "riscv/jit/jit.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (4ULL << 20)
#define DEV_BASE 0x10000000ULL
#define DEV_SIZE 0x1000ULL

struct harness {
    struct mmio_bus bus;
    struct rv_phys phys;
    uint8_t *ram;
    struct rv_cpu *cpu;
    uint64_t dev_last_write;
    uint64_t dev_last_offset;
    unsigned dev_writes;
    uint64_t slow_value;
    bool slow_page_used;
};

static inline uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct harness *h = opaque;
    (void)size;
    return 0x1122334455667788ULL + offset + h->dev_writes;
}

static inline void dev_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct harness *h = opaque;
    (void)size;
    h->dev_last_write = value;
    h->dev_last_offset = offset;
    h->dev_writes++;
    /* Offset 0x100 raises MEIP, 0x108 lowers it: an interrupt from inside an access. */
    if (offset == 0x100)
        rv_cpu_set_mip(h->cpu, MIP_MEIP, true);
    if (offset == 0x108)
        rv_cpu_set_mip(h->cpu, MIP_MEIP, false);
}

static inline uint64_t slow_read(void *opaque, uint64_t offset, unsigned size)
{
    struct harness *h = opaque;
    (void)offset;
    (void)size;
    h->slow_page_used = true;
    return h->slow_value;
}

static inline void slow_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct harness *h = opaque;
    (void)offset;
    (void)size;
    h->slow_page_used = true;
    h->slow_value = value;
}

#define SLOW_PAGE (RAM_BASE + 0x3ff000ULL)

/* The engine every hart of the test runs on; a *_jit.c test redefines it and includes
 * the interpreter's test file, so one set of tests covers both engines. */
#ifndef HARNESS_ENGINE
#define HARNESS_ENGINE RV_ENGINE_INTERP
#endif

static inline struct harness *harness_new(void)
{
    struct harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->ram = calloc(1, RAM_SIZE);
    assert_non_null(h->ram);
    struct mmio_region dev = {"testdev", DEV_BASE, DEV_SIZE, h, dev_read, dev_write};
    assert_int_equal(mmio_bus_add(&h->bus, &dev), 0);
    struct mmio_region slow = {"slow", SLOW_PAGE, 0x1000, h, slow_read, slow_write};
    assert_int_equal(mmio_bus_add(&h->bus, &slow), 0);
    h->phys.ram_base = RAM_BASE;
    h->phys.ram_size = RAM_SIZE;
    h->phys.ram = h->ram;
    h->phys.mmio = &h->bus;
    h->phys.slow_page = SLOW_PAGE;
    h->cpu = rv_cpu_new(&h->phys, 0);
    assert_non_null(h->cpu);
    if (HARNESS_ENGINE == RV_ENGINE_JIT && !rv_cpu_jit_available())
        skip();
    assert_int_equal(rv_cpu_set_engine(h->cpu, HARNESS_ENGINE), 0);
    /* Most tests run their code once: have the JIT translate it at once, not interpret. */
    if (h->cpu->jit)
        rv_jit_set_hot_runs(h->cpu->jit, 1);
    rv_cpu_reset(h->cpu, RAM_BASE, 0x1234);
    clock_mtime_reset();
    return h;
}

static inline void harness_free(struct harness *h)
{
    rv_cpu_free(h->cpu);
    free(h->ram);
    free(h);
}

static inline void *gpa(struct harness *h, uint64_t pa)
{
    assert_true(pa >= RAM_BASE && pa < RAM_BASE + RAM_SIZE);
    return h->ram + (pa - RAM_BASE);
}

static inline void put32(struct harness *h, uint64_t pa, uint32_t v)
{
    memcpy(gpa(h, pa), &v, 4);
}

static inline void put16(struct harness *h, uint64_t pa, uint16_t v)
{
    memcpy(gpa(h, pa), &v, 2);
}

static inline void put64(struct harness *h, uint64_t pa, uint64_t v)
{
    memcpy(gpa(h, pa), &v, 8);
}

static inline uint64_t get64(struct harness *h, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, gpa(h, pa), 8);
    return v;
}

/* Writes a program of 32-bit words at pa; returns the address after it. */
static inline uint64_t emit(struct harness *h, uint64_t pa, const uint32_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put32(h, pa + 4 * i, w[i]);
    return pa + 4 * n;
}
#define EMIT(h, pa, ...)                                                      \
    emit((h), (pa), (const uint32_t[]){__VA_ARGS__},                          \
         sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static inline uint64_t X(struct harness *h, int r)
{
    return rv_cpu_get_xreg(h->cpu, r);
}

/* --- encoders --- */
static inline uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd,
                             uint32_t op)
{
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
static inline uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
static inline uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
           ((u & 0x1f) << 7) | op;
}
static inline uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) |
           (f3 << 12) | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
static inline uint32_t enc_j(uint32_t rd, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
           (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define LI(rd, imm) ADDI(rd, 0, imm)
#define SLLI(rd, rs1, sh) enc_i(0x13, rd, 1, rs1, sh)
#define SRLI(rd, rs1, sh) enc_i(0x13, rd, 5, rs1, sh)
#define SRAI(rd, rs1, sh) enc_i(0x13, rd, 5, rs1, 0x400 | (sh))
#define SLTI(rd, rs1, imm) enc_i(0x13, rd, 2, rs1, imm)
#define SLTIU(rd, rs1, imm) enc_i(0x13, rd, 3, rs1, imm)
#define XORI(rd, rs1, imm) enc_i(0x13, rd, 4, rs1, imm)
#define ORI(rd, rs1, imm) enc_i(0x13, rd, 6, rs1, imm)
#define ANDI(rd, rs1, imm) enc_i(0x13, rd, 7, rs1, imm)
#define ADDIW(rd, rs1, imm) enc_i(0x1b, rd, 0, rs1, imm)
#define SLLIW(rd, rs1, sh) enc_i(0x1b, rd, 1, rs1, sh)
#define SRLIW(rd, rs1, sh) enc_i(0x1b, rd, 5, rs1, sh)
#define SRAIW(rd, rs1, sh) enc_i(0x1b, rd, 5, rs1, 0x400 | (sh))
#define LUI(rd, imm20) (((uint32_t)(imm20) << 12) | ((rd) << 7) | 0x37)
#define AUIPC(rd, imm20) (((uint32_t)(imm20) << 12) | ((rd) << 7) | 0x17)
#define ADD(rd, a, b) enc_r(0, b, a, 0, rd, 0x33)
#define SUB(rd, a, b) enc_r(0x20, b, a, 0, rd, 0x33)
#define SLL(rd, a, b) enc_r(0, b, a, 1, rd, 0x33)
#define SLT(rd, a, b) enc_r(0, b, a, 2, rd, 0x33)
#define SLTU(rd, a, b) enc_r(0, b, a, 3, rd, 0x33)
#define XOR(rd, a, b) enc_r(0, b, a, 4, rd, 0x33)
#define SRL(rd, a, b) enc_r(0, b, a, 5, rd, 0x33)
#define SRA(rd, a, b) enc_r(0x20, b, a, 5, rd, 0x33)
#define OR(rd, a, b) enc_r(0, b, a, 6, rd, 0x33)
#define AND(rd, a, b) enc_r(0, b, a, 7, rd, 0x33)
#define ADDW(rd, a, b) enc_r(0, b, a, 0, rd, 0x3b)
#define SUBW(rd, a, b) enc_r(0x20, b, a, 0, rd, 0x3b)
#define SLLW(rd, a, b) enc_r(0, b, a, 1, rd, 0x3b)
#define SRLW(rd, a, b) enc_r(0, b, a, 5, rd, 0x3b)
#define SRAW(rd, a, b) enc_r(0x20, b, a, 5, rd, 0x3b)
#define MUL(rd, a, b) enc_r(1, b, a, 0, rd, 0x33)
#define MULH(rd, a, b) enc_r(1, b, a, 1, rd, 0x33)
#define MULHSU(rd, a, b) enc_r(1, b, a, 2, rd, 0x33)
#define MULHU(rd, a, b) enc_r(1, b, a, 3, rd, 0x33)
#define DIV(rd, a, b) enc_r(1, b, a, 4, rd, 0x33)
#define DIVU(rd, a, b) enc_r(1, b, a, 5, rd, 0x33)
#define REM(rd, a, b) enc_r(1, b, a, 6, rd, 0x33)
#define REMU(rd, a, b) enc_r(1, b, a, 7, rd, 0x33)
#define MULW(rd, a, b) enc_r(1, b, a, 0, rd, 0x3b)
#define DIVW(rd, a, b) enc_r(1, b, a, 4, rd, 0x3b)
#define DIVUW(rd, a, b) enc_r(1, b, a, 5, rd, 0x3b)
#define REMW(rd, a, b) enc_r(1, b, a, 6, rd, 0x3b)
#define REMUW(rd, a, b) enc_r(1, b, a, 7, rd, 0x3b)
#define LB(rd, rs1, imm) enc_i(0x03, rd, 0, rs1, imm)
#define LH(rd, rs1, imm) enc_i(0x03, rd, 1, rs1, imm)
#define LW(rd, rs1, imm) enc_i(0x03, rd, 2, rs1, imm)
#define LD(rd, rs1, imm) enc_i(0x03, rd, 3, rs1, imm)
#define LBU(rd, rs1, imm) enc_i(0x03, rd, 4, rs1, imm)
#define LHU(rd, rs1, imm) enc_i(0x03, rd, 5, rs1, imm)
#define LWU(rd, rs1, imm) enc_i(0x03, rd, 6, rs1, imm)
#define SB(rs2, rs1, imm) enc_s(0x23, 0, rs1, rs2, imm)
#define SH(rs2, rs1, imm) enc_s(0x23, 1, rs1, rs2, imm)
#define SW(rs2, rs1, imm) enc_s(0x23, 2, rs1, rs2, imm)
#define SD(rs2, rs1, imm) enc_s(0x23, 3, rs1, rs2, imm)
#define FLD(rd, rs1, imm) enc_i(0x07, rd, 3, rs1, imm)
#define FLW(rd, rs1, imm) enc_i(0x07, rd, 2, rs1, imm)
#define FSD(rs2, rs1, imm) enc_s(0x27, 3, rs1, rs2, imm)
#define FSW(rs2, rs1, imm) enc_s(0x27, 2, rs1, rs2, imm)
#define BEQ(a, b, off) enc_b(0, a, b, off)
#define BNE(a, b, off) enc_b(1, a, b, off)
#define BLT(a, b, off) enc_b(4, a, b, off)
#define BGE(a, b, off) enc_b(5, a, b, off)
#define BLTU(a, b, off) enc_b(6, a, b, off)
#define BGEU(a, b, off) enc_b(7, a, b, off)
#define JAL(rd, off) enc_j(rd, off)
#define JALR(rd, rs1, imm) enc_i(0x67, rd, 0, rs1, imm)
#define CSRRW(rd, csr, rs1) enc_i(0x73, rd, 1, rs1, csr)
#define CSRRS(rd, csr, rs1) enc_i(0x73, rd, 2, rs1, csr)
#define CSRRC(rd, csr, rs1) enc_i(0x73, rd, 3, rs1, csr)
#define CSRRWI(rd, csr, imm) enc_i(0x73, rd, 5, imm, csr)
#define CSRRSI(rd, csr, imm) enc_i(0x73, rd, 6, imm, csr)
#define CSRRCI(rd, csr, imm) enc_i(0x73, rd, 7, imm, csr)
#define CSRR(rd, csr) CSRRS(rd, csr, 0)
#define CSRW(csr, rs1) CSRRW(0, csr, rs1)
#define AMO(f5, f3, rd, rs1, rs2) enc_r((f5) << 2, rs2, rs1, f3, rd, 0x2f)
#define LR_W(rd, rs1) AMO(0x02, 2, rd, rs1, 0)
#define LR_D(rd, rs1) AMO(0x02, 3, rd, rs1, 0)
#define SC_W(rd, rs1, rs2) AMO(0x03, 2, rd, rs1, rs2)
#define SC_D(rd, rs1, rs2) AMO(0x03, 3, rd, rs1, rs2)
#define AMOSWAP_D(rd, rs1, rs2) AMO(0x01, 3, rd, rs1, rs2)
#define AMOADD_W(rd, rs1, rs2) AMO(0x00, 2, rd, rs1, rs2)
#define AMOADD_D(rd, rs1, rs2) AMO(0x00, 3, rd, rs1, rs2)
#define AMOAND_D(rd, rs1, rs2) AMO(0x0c, 3, rd, rs1, rs2)
#define AMOOR_W(rd, rs1, rs2) AMO(0x08, 2, rd, rs1, rs2)
#define AMOXOR_D(rd, rs1, rs2) AMO(0x04, 3, rd, rs1, rs2)
#define AMOMIN_W(rd, rs1, rs2) AMO(0x10, 2, rd, rs1, rs2)
#define AMOMAX_D(rd, rs1, rs2) AMO(0x14, 3, rd, rs1, rs2)
#define AMOMINU_D(rd, rs1, rs2) AMO(0x18, 3, rd, rs1, rs2)
#define AMOMAXU_W(rd, rs1, rs2) AMO(0x1c, 2, rd, rs1, rs2)
#define ECALL 0x00000073u
#define EBREAK 0x00100073u
#define MRET 0x30200073u
#define SRET 0x10200073u
#define WFI 0x10500073u
#define FENCE 0x0ff0000fu
#define FENCE_I 0x0000100fu
#define SFENCE_VMA(rs1, rs2) enc_r(0x09, rs2, rs1, 0, 0, 0x73)
#define NOP ADDI(0, 0, 0)

/* CSR numbers used by tests */
#define C_MSTATUS 0x300
#define C_MISA 0x301
#define C_MEDELEG 0x302
#define C_MIDELEG 0x303
#define C_MIE 0x304
#define C_MTVEC 0x305
#define C_MCOUNTEREN 0x306
#define C_MENVCFG 0x30A
#define C_MSCRATCH 0x340
#define C_MEPC 0x341
#define C_MCAUSE 0x342
#define C_MTVAL 0x343
#define C_MIP 0x344
#define C_MHARTID 0xF14
#define C_SSTATUS 0x100
#define C_SIE 0x104
#define C_STVEC 0x105
#define C_SEPC 0x141
#define C_SCAUSE 0x142
#define C_STVAL 0x143
#define C_SIP 0x144
#define C_STIMECMP 0x14D
#define C_SATP 0x180
#define C_TIME 0xC01
#define C_CYCLE 0xC00
#define C_INSTRET 0xC02

/*
 * Loads a 64-bit constant into rd with lui/addi/slli steps; returns the number of words
 * written (at most 8).
 */
static inline size_t li64(uint32_t *out, uint32_t rd, uint64_t v)
{
    /* Build from the top 32 bits down, 11/11/10 bits at a time after the first 32. */
    size_t n = 0;
    int64_t hi = (int64_t)v >> 32;
    uint32_t lo = (uint32_t)v;
    /* hi part via lui+addiw (sign-correct for 32-bit values) */
    int32_t h32 = (int32_t)hi;
    int32_t h_lo12 = (int32_t)((uint32_t)h32 << 20) >> 20;
    uint32_t h_hi20 = (uint32_t)(h32 - h_lo12) >> 12;
    out[n++] = LUI(rd, h_hi20 & 0xfffff);
    out[n++] = ADDIW(rd, rd, h_lo12);
    /* then shift in the low 32 bits as 11 + 11 + 10 unsigned chunks */
    out[n++] = SLLI(rd, rd, 11);
    out[n++] = ORI(rd, rd, (int32_t)((lo >> 21) & 0x7ff));
    out[n++] = SLLI(rd, rd, 11);
    out[n++] = ORI(rd, rd, (int32_t)((lo >> 10) & 0x7ff));
    out[n++] = SLLI(rd, rd, 10);
    out[n++] = ORI(rd, rd, (int32_t)(lo & 0x3ff));
    return n;
}

/* Emits li64 at pa; returns the address after it. */
static inline uint64_t emit_li(struct harness *h, uint64_t pa, uint32_t rd, uint64_t v)
{
    uint32_t w[8];
    size_t n = li64(w, rd, v);
    return emit(h, pa, w, n);
}

/* --- program builder --- */
struct prog {
    struct harness *h;
    uint64_t pc;
};

static inline void op(struct prog *p, uint32_t w)
{
    put32(p->h, p->pc, w);
    p->pc += 4;
}

static inline void li(struct prog *p, uint32_t rd, uint64_t v)
{
    p->pc = emit_li(p->h, p->pc, rd, v);
}

#define M_HANDLER (RAM_BASE + 0x1000)
#define S_HANDLER (RAM_BASE + 0x1100)
#define DATA (RAM_BASE + 0x2000)

/*
 * Standard layout: trap handlers that record cause/epc/tval in x28/x29/x30, mark x27 with
 * the mode that took the trap (3 or 1) and stop with wfi; test code starts at RAM_BASE.
 */
static inline struct prog prog_begin(struct harness *h)
{
    struct prog hp = {h, M_HANDLER};
    op(&hp, CSRR(28, C_MCAUSE));
    op(&hp, CSRR(29, C_MEPC));
    op(&hp, CSRR(30, C_MTVAL));
    op(&hp, LI(27, 3));
    op(&hp, CSRW(C_MIE, 0)); /* so the wfi below really stops */
    op(&hp, WFI);
    hp.pc = S_HANDLER;
    op(&hp, CSRR(28, C_SCAUSE));
    op(&hp, CSRR(29, C_SEPC));
    op(&hp, CSRR(30, C_STVAL));
    op(&hp, LI(27, 1));
    op(&hp, CSRW(C_SIE, 0));
    op(&hp, WFI);
    struct prog p = {h, RAM_BASE};
    li(&p, 31, M_HANDLER);
    op(&p, CSRW(C_MTVEC, 31));
    li(&p, 31, S_HANDLER);
    op(&p, CSRW(C_STVEC, 31));
    return p;
}

/* mret into `mode`, continuing with the next instruction after this sequence. */
static inline void enter_mode(struct prog *p, int mode)
{
    static const uint32_t lui_imm[4] = {0, 1, 0, 2};
    op(p, AUIPC(31, 0));
    op(p, ADDI(31, 31, 40));
    op(p, CSRW(C_MEPC, 31));
    op(p, LUI(31, 2));
    op(p, ADDI(31, 31, -2048)); /* 0x1800: MPP */
    op(p, CSRRC(0, C_MSTATUS, 31));
    op(p, LUI(31, lui_imm[mode]));
    op(p, ADDI(31, 31, mode ? -2048 : 0));
    op(p, CSRRS(0, C_MSTATUS, 31));
    op(p, MRET);
}

static inline enum rv_run_exit run(struct harness *h)
{
    return rv_cpu_run(h->cpu, 100000);
}

#endif
