/* The hart: instruction groups, CSRs, traps, interrupts, timers, wfi, self-modifying code. */
#include "test_cpu_harness.h"

#include "riscv/cpu_internal.h"

static int setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int teardown(void **state)
{
    harness_free(*state);
    return 0;
}

static void test_alu(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 1, 5);
    rv_cpu_set_xreg(h->cpu, 2, (uint64_t)-7);
    rv_cpu_set_xreg(h->cpu, 7, 65);
    op(&p, ADD(3, 1, 2));
    op(&p, SUB(4, 1, 2));
    op(&p, SLT(5, 2, 1));
    op(&p, SLTU(6, 2, 1));
    op(&p, SLL(8, 1, 7));      /* shift amount masked to 1 */
    op(&p, SRAI(9, 2, 1));
    op(&p, SRLI(10, 2, 60));
    op(&p, LUI(11, 0x7ffff));
    op(&p, ADDIW(11, 11, 0x7ff));
    op(&p, ADDW(13, 11, 11));  /* wraps to negative: sign-extended */
    op(&p, SRAIW(14, 2, 1));
    op(&p, SRLIW(15, 2, 28));
    op(&p, SLLW(16, 1, 7));    /* 65 & 31 = 1 */
    op(&p, LUI(17, 0x80000));
    uint64_t auipc_pc = p.pc;
    op(&p, AUIPC(18, 1));
    op(&p, SLTIU(19, 1, -1));
    op(&p, XORI(20, 1, -1));
    op(&p, SRA(21, 2, 7));     /* -7 >> 1 */
    op(&p, SUBW(22, 0, 11));
    op(&p, ADDI(0, 1, 1));     /* x0 stays zero */
    op(&p, ANDI(23, 2, 0x0f0));
    op(&p, ORI(24, 0, -2048));
    op(&p, SRAW(25, 17, 7));   /* 0x80000000 >> 1 arithmetic, 32-bit */
    op(&p, SRLW(26, 17, 7));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), (uint64_t)-2);
    assert_int_equal(X(h, 4), 12);
    assert_int_equal(X(h, 5), 1);
    assert_int_equal(X(h, 6), 0);
    assert_int_equal(X(h, 8), 10);
    assert_int_equal(X(h, 9), (uint64_t)-4);
    assert_int_equal(X(h, 10), 0xf);
    assert_int_equal(X(h, 11), 0x7ffff7ff);
    assert_int_equal(X(h, 13), 0xffffffffffffeffeULL);
    assert_int_equal(X(h, 14), (uint64_t)-4);
    assert_int_equal(X(h, 15), 0xf);
    assert_int_equal(X(h, 16), 10);
    assert_int_equal(X(h, 17), 0xffffffff80000000ULL);
    assert_int_equal(X(h, 18), auipc_pc + 0x1000);
    assert_int_equal(X(h, 19), 1);
    assert_int_equal(X(h, 20), ~5ULL);
    assert_int_equal(X(h, 21), (uint64_t)-4);
    assert_int_equal(X(h, 22), (uint64_t)(int64_t)-0x7ffff7ff);
    assert_int_equal(X(h, 0), 0);
    assert_int_equal(X(h, 23), 0x0f0);
    assert_int_equal(X(h, 24), (uint64_t)-2048);
    assert_int_equal(X(h, 25), 0xffffffffc0000000ULL);
    assert_int_equal(X(h, 26), 0x40000000);
}

static void test_muldiv(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 1, (uint64_t)INT64_MIN);
    rv_cpu_set_xreg(h->cpu, 2, (uint64_t)-1);
    rv_cpu_set_xreg(h->cpu, 3, 0);
    rv_cpu_set_xreg(h->cpu, 4, 7);
    rv_cpu_set_xreg(h->cpu, 5, (uint64_t)-3);
    rv_cpu_set_xreg(h->cpu, 18, 0xffffffff80000000ULL);
    op(&p, DIV(6, 1, 2));
    op(&p, REM(7, 1, 2));
    op(&p, DIV(8, 4, 3));
    op(&p, DIVU(9, 4, 3));
    op(&p, REM(10, 4, 3));
    op(&p, REMU(11, 4, 3));
    op(&p, DIV(12, 4, 5));
    op(&p, REM(13, 4, 5));
    op(&p, MULH(14, 1, 1));
    op(&p, MULHU(15, 2, 2));
    op(&p, MULHSU(16, 2, 2));
    op(&p, MUL(17, 4, 5));
    op(&p, DIVW(19, 18, 2));
    op(&p, REMW(20, 18, 2));
    op(&p, DIVUW(21, 4, 3));
    op(&p, REMUW(22, 2, 3));
    op(&p, MULW(23, 18, 18));
    op(&p, DIVW(24, 4, 3));
    op(&p, REMW(25, 5, 3));
    op(&p, DIVU(26, 2, 4));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 6), (uint64_t)INT64_MIN);
    assert_int_equal(X(h, 7), 0);
    assert_int_equal(X(h, 8), UINT64_MAX);
    assert_int_equal(X(h, 9), UINT64_MAX);
    assert_int_equal(X(h, 10), 7);
    assert_int_equal(X(h, 11), 7);
    assert_int_equal(X(h, 12), (uint64_t)-2);
    assert_int_equal(X(h, 13), 1);
    assert_int_equal(X(h, 14), 0x4000000000000000ULL);
    assert_int_equal(X(h, 15), 0xfffffffffffffffeULL);
    assert_int_equal(X(h, 16), UINT64_MAX);
    assert_int_equal(X(h, 17), (uint64_t)-21);
    assert_int_equal(X(h, 19), 0xffffffff80000000ULL);
    assert_int_equal(X(h, 20), 0);
    assert_int_equal(X(h, 21), UINT64_MAX);
    assert_int_equal(X(h, 22), UINT64_MAX);
    assert_int_equal(X(h, 23), 0);
    assert_int_equal(X(h, 24), UINT64_MAX);
    assert_int_equal(X(h, 25), (uint64_t)-3);
    assert_int_equal(X(h, 26), UINT64_MAX / 7);
}

/* Division by -1 (a negation) and 32-bit forms ignoring the upper halves of their inputs. */
static void test_div_minus_one_and_w(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 1, 7);
    rv_cpu_set_xreg(h->cpu, 2, (uint64_t)-1);
    rv_cpu_set_xreg(h->cpu, 3, 0x1234567800000007ULL);
    rv_cpu_set_xreg(h->cpu, 4, 0xffffffff0000000aULL);
    rv_cpu_set_xreg(h->cpu, 5, 0x100000003ULL);
    rv_cpu_set_xreg(h->cpu, 6, (uint64_t)-7);
    op(&p, DIV(10, 1, 2));
    op(&p, REM(11, 1, 2));
    op(&p, DIVW(12, 3, 2));
    op(&p, REMW(13, 3, 2));
    op(&p, DIV(14, 6, 2));
    op(&p, DIVUW(15, 4, 5));
    op(&p, REMUW(16, 4, 5));
    op(&p, DIVW(17, 4, 5));
    op(&p, REMW(18, 6, 5));
    op(&p, DIVU(19, 1, 2));
    op(&p, REMU(20, 1, 2));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 10), (uint64_t)-7);
    assert_int_equal(X(h, 11), 0);
    assert_int_equal(X(h, 12), (uint64_t)-7);
    assert_int_equal(X(h, 13), 0);
    assert_int_equal(X(h, 14), 7);
    assert_int_equal(X(h, 15), 3);
    assert_int_equal(X(h, 16), 1);
    assert_int_equal(X(h, 17), 3);
    assert_int_equal(X(h, 18), (uint64_t)-1);
    assert_int_equal(X(h, 19), 0);
    assert_int_equal(X(h, 20), 7);
}

static void test_load_store(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 1, DATA);
    rv_cpu_set_xreg(h->cpu, 10, 0x0123456789abcdefULL);
    rv_cpu_set_xreg(h->cpu, 12, DATA + 0xffd); /* 8 bytes across a page boundary */
    op(&p, LI(2, -2));
    op(&p, SD(2, 1, 0));
    op(&p, LB(3, 1, 0));
    op(&p, LBU(4, 1, 0));
    op(&p, LH(5, 1, 0));
    op(&p, LHU(6, 1, 0));
    op(&p, LW(7, 1, 0));
    op(&p, LWU(8, 1, 0));
    op(&p, LD(9, 1, 0));
    op(&p, SD(10, 12, 0));
    op(&p, LD(11, 12, 0));
    op(&p, LW(13, 12, 2));
    op(&p, SH(10, 1, 9));
    op(&p, LHU(14, 1, 9));
    op(&p, SB(10, 1, 16));
    op(&p, LBU(15, 1, 16));
    op(&p, SW(10, 1, 20));
    op(&p, LW(16, 1, 20));
    op(&p, ADDI(20, 1, 64));
    op(&p, SD(10, 20, -32)); /* negative store offset */
    op(&p, LD(21, 1, 32));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), (uint64_t)-2);
    assert_int_equal(X(h, 4), 0xfe);
    assert_int_equal(X(h, 5), (uint64_t)-2);
    assert_int_equal(X(h, 6), 0xfffe);
    assert_int_equal(X(h, 7), (uint64_t)-2);
    assert_int_equal(X(h, 8), 0xfffffffe);
    assert_int_equal(X(h, 9), (uint64_t)-2);
    assert_int_equal(X(h, 11), 0x0123456789abcdefULL);
    assert_int_equal(*(uint8_t *)gpa(h, DATA + 0xffd), 0xef);
    assert_int_equal(*(uint8_t *)gpa(h, DATA + 0x1004), 0x01);
    assert_int_equal(X(h, 13), 0x456789abULL);
    assert_int_equal(X(h, 14), 0xcdef);
    assert_int_equal(X(h, 15), 0xef);
    assert_int_equal(X(h, 16), 0xffffffff89abcdefULL);
    assert_int_equal(X(h, 21), 0x0123456789abcdefULL);
    assert_int_equal(X(h, 27), 0); /* no trap */
}

static void test_branches_jumps(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    assert_int_equal(X(h, 11), 0x1234); /* a1 from reset */
    assert_int_equal(X(h, 10), 0);      /* a0 = hartid */
    rv_cpu_set_xreg(h->cpu, 11, 0);
    op(&p, LI(1, 0));
    op(&p, LI(2, 10));
    op(&p, ADD(1, 1, 2));       /* loop: */
    op(&p, ADDI(2, 2, -1));
    op(&p, BNE(2, 0, -8));
    uint64_t jal_pc = p.pc;
    op(&p, JAL(5, 8));
    op(&p, LI(6, 99));          /* skipped */
    op(&p, AUIPC(7, 0));
    op(&p, JALR(8, 7, 17));     /* x7 + 17, bit 0 cleared: x7 + 16 */
    op(&p, LI(9, 99));          /* skipped */
    op(&p, LI(9, 99));          /* skipped */
    op(&p, LI(10, -1));         /* x7 + 16 */
    op(&p, BLT(10, 0, 8));
    op(&p, LI(11, 99));         /* skipped */
    op(&p, BGEU(10, 0, 8));
    op(&p, LI(12, 99));         /* skipped */
    op(&p, BGE(10, 0, 8));      /* not taken */
    op(&p, LI(13, 1));
    op(&p, BLTU(10, 0, 8));     /* not taken */
    op(&p, LI(14, 1));
    op(&p, BEQ(0, 0, 8));
    op(&p, LI(15, 99));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 1), 55);
    assert_int_equal(X(h, 5), jal_pc + 4);
    assert_int_equal(X(h, 6), 0);
    assert_int_equal(X(h, 8), jal_pc + 16);
    assert_int_equal(X(h, 9), 0);
    assert_int_equal(X(h, 10), (uint64_t)-1);
    assert_int_equal(X(h, 11), 0);
    assert_int_equal(X(h, 12), 0);
    assert_int_equal(X(h, 13), 1);
    assert_int_equal(X(h, 14), 1);
    assert_int_equal(X(h, 15), 0);
}

static const uint32_t rvc_pairs[][2] = {
#include "test_cpu_rvc_pairs.h"
};

static void test_rvc_expansion(void **state)
{
    (void)state;
    rv_rvc_init();
    for (size_t i = 0; i < sizeof(rvc_pairs) / sizeof(rvc_pairs[0]); i++) {
        if (rv_rvc_table[rvc_pairs[i][0]] != rvc_pairs[i][1])
            fail_msg("c %04x expands to %08x, want %08x", rvc_pairs[i][0],
                     rv_rvc_table[rvc_pairs[i][0]], rvc_pairs[i][1]);
    }
    /* Reserved encodings. */
    static const uint16_t reserved[] = {0x0000, 0x0004, 0x4002, 0x2001, 0x6181, 0x6101,
                                        0x8002, 0x8000, 0x9c41, 0x9c61, 0x6002};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        assert_int_equal(rv_rvc_table[reserved[i]], 0);
}

static void test_compressed_exec(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    /* c.li x8,-32 ; c.addi x8,5 ; c.mv x9,x8 ; c.slli x9,1  */
    put16(h, p.pc, 0x5401);
    put16(h, p.pc + 2, 0x0415);
    put16(h, p.pc + 4, 0x84a2);
    put16(h, p.pc + 6, 0x0486);
    p.pc += 8;
    /* A 32-bit instruction straddling a page boundary: jump to just before it. */
    uint64_t target = RAM_BASE + 0x3ffe;
    li(&p, 5, target);
    op(&p, JALR(0, 5, 0));
    put32(h, target, ADDI(6, 0, 42));
    put32(h, target + 4, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 8), (uint64_t)-27);
    assert_int_equal(X(h, 9), (uint64_t)-54);
    assert_int_equal(X(h, 6), 42);
    assert_int_equal(rv_cpu_get_pc(h->cpu), target + 8);
}

static void test_illegal_compressed(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    uint64_t at = p.pc;
    put16(h, p.pc, 0x0000);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 29), at);
    assert_int_equal(X(h, 30), 0);
}

static void test_amo(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put64(h, DATA, 100);
    put64(h, DATA + 8, 200);
    put64(h, DATA + 16, 0x7fffffff);
    put64(h, DATA + 24, 5);
    rv_cpu_set_xreg(h->cpu, 1, DATA);
    rv_cpu_set_xreg(h->cpu, 7, DATA + 8);
    rv_cpu_set_xreg(h->cpu, 10, DATA + 16);
    rv_cpu_set_xreg(h->cpu, 12, DATA + 24);
    rv_cpu_set_xreg(h->cpu, 4, 111);
    rv_cpu_set_xreg(h->cpu, 9, 1);
    rv_cpu_set_xreg(h->cpu, 13, (uint64_t)-9);
    op(&p, LR_D(2, 1));
    op(&p, SC_D(3, 1, 4));       /* succeeds */
    op(&p, SC_D(5, 1, 9));       /* no reservation: fails */
    op(&p, LR_D(2, 1));
    op(&p, SC_D(6, 7, 9));       /* other address: fails */
    op(&p, AMOADD_W(8, 10, 9));
    op(&p, AMOADD_W(11, 10, 9)); /* old value 0x80000000 sign-extended */
    op(&p, AMOMAX_D(14, 12, 13));
    op(&p, AMOMINU_D(15, 12, 13));
    op(&p, AMOSWAP_D(16, 12, 4));
    op(&p, AMOXOR_D(17, 12, 9));
    op(&p, LD(18, 12, 0));
    op(&p, ADDI(19, 1, 4));
    op(&p, AMOADD_D(20, 19, 9)); /* misaligned: store/AMO address misaligned */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), 0);
    assert_int_equal(get64(h, DATA), 111);
    assert_int_equal(X(h, 5), 1);
    assert_int_equal(X(h, 6), 1);
    assert_int_equal(get64(h, DATA + 8), 200);
    assert_int_equal(X(h, 8), 0x7fffffff);
    assert_int_equal(X(h, 11), 0xffffffff80000000ULL);
    assert_int_equal(get64(h, DATA + 16), 0x80000001ULL);
    assert_int_equal(X(h, 14), 5);   /* max(5, -9) = 5 stays */
    assert_int_equal(X(h, 15), 5);   /* minu(5, 2^64-9) = 5 */
    assert_int_equal(X(h, 16), 5);
    assert_int_equal(X(h, 17), 111);
    assert_int_equal(X(h, 18), 110);
    assert_int_equal(X(h, 28), RV_EXC_STORE_MISALIGNED);
    assert_int_equal(X(h, 30), DATA + 4);
}

/* An xRET ends any reservation: an SC after it fails. */
static void test_reservation_cleared_by_xret(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put64(h, DATA, 7);
    rv_cpu_set_xreg(h->cpu, 1, DATA);
    rv_cpu_set_xreg(h->cpu, 4, 111);
    op(&p, LR_D(2, 1));
    enter_mode(&p, RV_PRIV_M);  /* an mret, to the next instruction */
    op(&p, SC_D(3, 1, 4));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 7);
    assert_int_equal(X(h, 3), 1);
    assert_int_equal(get64(h, DATA), 7);
}

/*
 * A trap between LR and SC whose handler stores to the reserved word: the interrupted SC
 * must fail, or it would overwrite the handler's store (a lost update, as an interrupt
 * handler's atomic bit operation would be against an interrupted cmpxchg loop).
 */
static void test_reservation_cleared_by_trap(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    struct prog hp = {h, RAM_BASE + 0x1800};   /* the handler: store, skip the ecall, mret */
    op(&hp, SD(9, 1, 0));
    op(&hp, CSRR(31, C_MEPC));
    op(&hp, ADDI(31, 31, 4));
    op(&hp, CSRW(C_MEPC, 31));
    op(&hp, MRET);
    put64(h, DATA, 7);
    rv_cpu_set_xreg(h->cpu, 1, DATA);
    rv_cpu_set_xreg(h->cpu, 4, 111);
    rv_cpu_set_xreg(h->cpu, 9, 42);
    li(&p, 31, RAM_BASE + 0x1800);
    op(&p, CSRW(C_MTVEC, 31));
    op(&p, LR_D(2, 1));
    op(&p, ECALL);
    op(&p, SC_D(3, 1, 4));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 7);
    assert_int_equal(X(h, 3), 1);               /* failed */
    assert_int_equal(get64(h, DATA), 42);       /* the handler's store stands */
}

static void test_lr_misaligned(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 1, DATA + 2);
    op(&p, LR_W(2, 1));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_LOAD_MISALIGNED);
    assert_int_equal(X(h, 30), DATA + 2);
}

static void test_csr_basic(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 2, 0x55);
    rv_cpu_set_xreg(h->cpu, 4, 0xa0);
    rv_cpu_set_xreg(h->cpu, 6, 0x5);
    rv_cpu_set_xreg(h->cpu, 12, UINT64_MAX);
    rv_cpu_set_xreg(h->cpu, 14, 77);
    op(&p, CSRRW(1, C_MSCRATCH, 2));
    op(&p, CSRRS(3, C_MSCRATCH, 4));
    op(&p, CSRRC(5, C_MSCRATCH, 6));
    op(&p, CSRR(7, C_MSCRATCH));
    op(&p, CSRRWI(8, C_MSCRATCH, 31));
    op(&p, CSRR(9, C_MSCRATCH));
    op(&p, CSRR(10, C_MISA));
    op(&p, CSRR(11, C_MHARTID));
    op(&p, CSRW(0x3b0, 12));  /* pmpaddr0 */
    op(&p, CSRR(13, 0x3b0));
    op(&p, CSRR(14, 0xb03));  /* mhpmcounter3 */
    op(&p, CSRR(15, C_MSTATUS));
    op(&p, CSRW(0x3a0, 12));  /* pmpcfg0 */
    op(&p, CSRR(16, 0x3a0));
    op(&p, CSRR(17, C_INSTRET));
    op(&p, CSRR(18, C_INSTRET));
    uint64_t bad = p.pc;
    op(&p, CSRW(C_MHARTID, 1)); /* read-only: illegal */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 1), 0);
    assert_int_equal(X(h, 3), 0x55);
    assert_int_equal(X(h, 5), 0xf5);
    assert_int_equal(X(h, 7), 0xf0);
    assert_int_equal(X(h, 8), 0xf0);
    assert_int_equal(X(h, 9), 31);
    assert_int_equal(X(h, 10), (2ULL << 62) | 0x14112d);
    assert_int_equal(X(h, 11), 0);
    assert_int_equal(X(h, 13), (1ULL << 54) - 1);
    assert_int_equal(X(h, 14), 0);
    assert_int_equal(X(h, 15), 0xa00000000ULL);
    assert_int_equal(X(h, 16), 0x9f9f9f9f9f9f9f9fULL);
    assert_int_equal(X(h, 18) - X(h, 17), 1);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 29), bad);
    assert_int_equal(X(h, 30), CSRW(C_MHARTID, 1));
}

static void test_csr_unknown(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, CSRR(1, 0x7c0));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 30), CSRR(1, 0x7c0));
}

static void test_sstatus_view(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MSTATUS_MIE | MSTATUS_SIE | MSTATUS_FS | MSTATUS_TVM);
    op(&p, CSRRS(0, C_MSTATUS, 1));
    op(&p, CSRR(2, C_SSTATUS));
    op(&p, CSRW(C_SSTATUS, 0));
    op(&p, CSRR(3, C_MSTATUS));
    li(&p, 4, 0x1000); /* MPP = 2 is reserved: WARL keeps the old MPP */
    op(&p, CSRRS(0, C_MSTATUS, 4));
    op(&p, CSRR(5, C_MSTATUS));
    li(&p, 6, 5ULL << 60); /* unsupported satp mode: ignored */
    op(&p, CSRW(C_SATP, 6));
    op(&p, CSRR(7, C_SATP));
    op(&p, CSRR(8, C_MIE));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), MSTATUS_SIE | MSTATUS_FS | MSTATUS_SD | (2ULL << 32));
    assert_int_equal(X(h, 3), MSTATUS_MIE | MSTATUS_TVM | (2ULL << 32) | (2ULL << 34));
    assert_int_equal((X(h, 5) >> 11) & 3, 0);
    assert_int_equal(X(h, 7), 0);
}

static void test_ecall_delegation(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, LI(1, 1 << 8)); /* delegate ecall from U */
    op(&p, CSRW(C_MEDELEG, 1));
    enter_mode(&p, RV_PRIV_U);
    uint64_t ecall_pc = p.pc;
    op(&p, ECALL);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 1);
    assert_int_equal(X(h, 28), RV_EXC_ECALL_U);
    assert_int_equal(X(h, 29), ecall_pc);
    assert_int_equal(rv_cpu_get_priv(h->cpu), RV_PRIV_S);
}

static void test_ecall_from_s_and_m(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, LI(1, 1 << 8));
    op(&p, CSRW(C_MEDELEG, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, CSRR(5, C_SSTATUS)); /* legal in S */
    op(&p, ECALL);              /* not delegated: to M */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), RV_EXC_ECALL_S);
    assert_int_equal(rv_cpu_get_priv(h->cpu), RV_PRIV_M);

    struct prog q = prog_begin(h);
    op(&q, ECALL);
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_ECALL_M);
}

static void test_mret_sret_stack(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, CSRRSI(0, C_MSTATUS, 8)); /* MIE, to check the MPIE/MIE shuffle */
    enter_mode(&p, RV_PRIV_S);
    /* in S: sret to U (SPP = 0) at label */
    op(&p, AUIPC(1, 0));
    op(&p, ADDI(1, 1, 16));
    op(&p, CSRW(C_SEPC, 1));
    op(&p, SRET);
    /* in U: privileged CSR access traps to M */
    uint64_t bad = p.pc;
    op(&p, CSRR(2, C_MSTATUS));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 29), bad);
    assert_int_equal(X(h, 30), CSRR(2, C_MSTATUS));
    struct rv_cpu *c = h->cpu;
    /* trap from U: MPP = U; mret had set MIE = MPIE... */
    assert_int_equal((c->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, RV_PRIV_U);
    assert_false(c->mstatus & MSTATUS_MIE);
    assert_false(c->mstatus & MSTATUS_MPIE); /* MIE was 0 after the first mret */
    assert_true(c->mstatus & MSTATUS_SPIE);  /* sret sets SPIE */
}

static void test_illegal_and_ebreak(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    uint64_t at = p.pc;
    op(&p, 0xffffffffu);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 29), at);
    assert_int_equal(X(h, 30), 0xffffffffu);

    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    p = prog_begin(h);
    at = p.pc;
    op(&p, EBREAK);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_BREAKPOINT);
    assert_int_equal(X(h, 30), at);
}

/* Puts the hart in an endless loop with the given setup and returns the loop address. */
static uint64_t spin(struct prog *p)
{
    uint64_t at = p->pc;
    op(p, JAL(0, 0));
    return at;
}

static void test_interrupt_m(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, LI(1, (int32_t)MIP_MTIP));
    op(&p, CSRW(C_MIE, 1));
    uint64_t loop = spin(&p);
    assert_int_equal(rv_cpu_run(h->cpu, 1000), RV_RUN_BUDGET); /* MIE = 0 */
    rv_cpu_set_mip(h->cpu, MIP_MTIP, true);
    assert_int_equal(rv_cpu_run(h->cpu, 1000), RV_RUN_BUDGET); /* still masked globally */
    assert_int_equal(X(h, 27), 0);
    /* Unmask from outside through a tiny program: csrsi mstatus, MIE; then spin. */
    struct prog q = {h, loop};
    op(&q, CSRRSI(0, C_MSTATUS, 8));
    spin(&q);
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    rv_cpu_set_mip(h->cpu, MIP_MTIP, true);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 7);
    assert_int_equal(X(h, 29), loop + 4);
}

static void test_interrupt_priority_and_vectored(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    /* Vectored mtvec: MEI (11) goes to base + 44. */
    uint64_t base = RAM_BASE + 0x1800;
    struct prog v = {h, base + 4 * 11};
    op(&v, CSRR(28, C_MCAUSE));
    op(&v, LI(26, 11));
    op(&v, CSRW(C_MIE, 0));
    op(&v, WFI);
    li(&p, 1, base | 1);
    op(&p, CSRW(C_MTVEC, 1));
    li(&p, 1, MIP_MEIP | MIP_MTIP | MIP_MSIP);
    op(&p, CSRW(C_MIE, 1));
    op(&p, CSRRSI(0, C_MSTATUS, 8));
    spin(&p);
    rv_cpu_set_mip(h->cpu, MIP_MTIP | MIP_MSIP | MIP_MEIP, true);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 26), 11);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 11);
    assert_false(rv_cpu_interrupt_pending(h->cpu)); /* handler cleared mie */
}

static void test_interrupt_m_taken_in_s(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_MSIP);
    op(&p, CSRW(C_MIE, 1));
    enter_mode(&p, RV_PRIV_S); /* MIE = 0, but M interrupts are always on below M */
    uint64_t loop = spin(&p);
    rv_cpu_set_mip(h->cpu, MIP_MSIP, true);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 3);
    assert_int_equal(X(h, 29), loop);
}

static void test_interrupt_delegated(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_SEIP | MIP_SSIP);
    op(&p, CSRW(C_MIDELEG, 1));
    op(&p, CSRW(C_MIE, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, LI(2, (int32_t)MIP_SSIP));
    op(&p, CSRRS(0, C_SIP, 2)); /* self-IPI from S: SIE still 0, not taken */
    op(&p, LI(3, 7));
    op(&p, CSRRSI(0, C_SSTATUS, 2)); /* SIE: now taken */
    uint64_t after = p.pc;
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), 7);
    assert_int_equal(X(h, 27), 1);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 1);
    assert_int_equal(X(h, 29), after);
}

/*
 * An interrupt pending while it could not be taken, made deliverable by an xRET alone:
 * S-mode with SIE clear sends itself an IPI, then srets to U, where S interrupts are always
 * on. It must be taken at the sret's target, before the instruction there runs.
 */
static void test_interrupt_taken_at_sret(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_SSIP);
    op(&p, CSRW(C_MIDELEG, 1));
    op(&p, CSRW(C_MIE, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, CSRRS(0, C_SIP, 1)); /* pending; SIE is 0 in S: not taken */
    op(&p, LI(3, 5));
    op(&p, AUIPC(2, 0));
    op(&p, ADDI(2, 2, 24));     /* the instruction after the sret */
    op(&p, CSRW(C_SEPC, 2));
    op(&p, LI(4, 0x100));
    op(&p, CSRRC(0, C_SSTATUS, 4)); /* SPP = U */
    op(&p, SRET);
    uint64_t target = p.pc;
    op(&p, LI(3, 7));
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 1);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 1);
    assert_int_equal(X(h, 29), target);
    assert_int_equal(X(h, 3), 5);
}

static void test_interrupt_from_mmio(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_MEIP);
    op(&p, CSRW(C_MIE, 1));
    op(&p, CSRRSI(0, C_MSTATUS, 8));
    li(&p, 2, DEV_BASE);
    op(&p, SW(0, 2, 0x100)); /* the device raises MEIP inside the access */
    uint64_t next = p.pc;
    op(&p, LI(3, 1));
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 11);
    assert_int_equal(X(h, 29), next);
    assert_int_equal(X(h, 3), 0);
}

/*
 * A load fault in the middle of straight-line code (one block for the JIT): what ran
 * before it is done, nothing after it is, and pc, mepc and instret are exact.
 */
static void test_fault_mid_block(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, 0x40000000);
    op(&p, LI(5, 1));
    op(&p, CSRR(9, C_INSTRET)); /* instret inside a block: instructions before this one */
    uint64_t csrr_at = p.pc - 4;
    op(&p, LI(6, 2));
    uint64_t ld_at = p.pc;
    op(&p, LD(7, 1, 8));
    op(&p, LI(8, 3));
    op(&p, LI(5, 4));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_LOAD_ACCESS);
    assert_int_equal(X(h, 29), ld_at);
    assert_int_equal(X(h, 30), 0x40000008);
    assert_int_equal(X(h, 5), 1);
    assert_int_equal(X(h, 6), 2);
    assert_int_equal(X(h, 7), 0);
    assert_int_equal(X(h, 8), 0);
    assert_int_equal(X(h, 9), (csrr_at - RAM_BASE) / 4);
    /*
     * Everything before the faulting load, which does not retire, then the handler's six
     * (its wfi included). The run's own count (budget, --icount's clock) includes the load.
     */
    assert_int_equal(rv_cpu_instret(h->cpu), (ld_at - RAM_BASE) / 4 + 6);
    assert_int_equal(rv_cpu_retired(h->cpu), (ld_at - RAM_BASE) / 4 + 1 + 6);
    assert_int_equal(rv_cpu_get_pc(h->cpu), M_HANDLER + 6 * 4);

    /* A store fault after an MMIO load in the same straight-line run. */
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    uint64_t ran0 = rv_cpu_retired(h->cpu); /* a reset restarts minstret, not this */
    p = prog_begin(h);
    li(&p, 1, DEV_BASE);
    op(&p, LD(2, 1, 8));
    op(&p, LI(3, 5));
    uint64_t sd_at = p.pc;
    op(&p, SD(3, 0, 16));
    op(&p, LI(3, 6));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 0x1122334455667788ULL + 8);
    assert_int_equal(X(h, 3), 5);
    assert_int_equal(X(h, 28), RV_EXC_STORE_ACCESS);
    assert_int_equal(X(h, 29), sd_at);
    assert_int_equal(rv_cpu_instret(h->cpu), (sd_at - RAM_BASE) / 4 + 6);
    assert_int_equal(rv_cpu_retired(h->cpu) - ran0, (sd_at - RAM_BASE) / 4 + 1 + 6);
}

/* A store into an instruction later in the same straight-line run takes effect. */
static void test_self_modifying_same_block(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 7, ADDI(5, 0, 2));
    li(&p, 8, 0); /* patched below to the target's address */
    uint64_t li8 = p.pc - 8 * 4;
    op(&p, LI(5, 9));
    op(&p, SW(7, 8, 0));
    op(&p, LI(6, 1));
    uint64_t target = p.pc;
    op(&p, ADDI(5, 0, 1));
    op(&p, WFI);
    struct prog q = {h, li8};
    li(&q, 8, target);
    /* Twice: the second run finds the code already translated or decoded. */
    for (int i = 0; i < 2; i++) {
        put32(h, target, ADDI(5, 0, 1));
        rv_cpu_invalidate_code(h->cpu, target, 4);
        rv_cpu_reset(h->cpu, RAM_BASE, 0);
        assert_int_equal(run(h), RV_RUN_WFI);
        assert_int_equal(X(h, 6), 1);
        assert_int_equal(X(h, 5), 2);
    }
}

/*
 * A device raises an interrupt from inside a store in a hot loop: it is taken right after
 * that store, with mepc naming the next instruction.
 */
static void test_interrupt_in_hot_loop(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_MEIP);
    op(&p, CSRW(C_MIE, 1));
    op(&p, CSRRSI(0, C_MSTATUS, 8));
    li(&p, 2, DEV_BASE);
    op(&p, LI(5, 2000));
    uint64_t loop = p.pc;
    op(&p, ADDI(6, 6, 3));
    op(&p, ADDI(5, 5, -1));
    op(&p, BNE(5, 0, (int32_t)(loop - p.pc)));
    op(&p, SW(0, 2, 0x100));
    uint64_t next = p.pc;
    op(&p, LI(3, 1));
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 11);
    assert_int_equal(X(h, 29), next);
    assert_int_equal(X(h, 6), 6000);
    assert_int_equal(X(h, 3), 0);
}

/* A budget that ends inside a run of straight-line code ends exactly there. */
static void test_budget_mid_block(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    uint64_t start = p.pc;
    for (int i = 0; i < 40; i++)
        op(&p, ADDI(5, 5, 1));
    spin(&p);
    uint64_t n = (start - RAM_BASE) / 4;
    assert_int_equal(rv_cpu_run(h->cpu, n + 17), RV_RUN_BUDGET);
    assert_int_equal(rv_cpu_instret(h->cpu), n + 17);
    assert_int_equal(X(h, 5), 17);
    assert_int_equal(rv_cpu_get_pc(h->cpu), start + 17 * 4);
    assert_int_equal(rv_cpu_run(h->cpu, 5), RV_RUN_BUDGET);
    assert_int_equal(X(h, 5), 22);
}

/*
 * Loops (a block that branches back to its start, which the JIT keeps in host registers
 * from pass to pass): a pass through the slow-path page goes through the helper, and the
 * pass that runs off the end of RAM faults with every register, mepc and minstret as
 * after exactly that many passes.
 */
static void test_loop_slow_page_and_fault(void **state)
{
    struct harness *h = *state;
    const uint64_t first = SLOW_PAGE - 16, ram_end = RAM_BASE + RAM_SIZE;
    put64(h, first, 1000);
    put64(h, first + 8, 2000);
    h->slow_value = 7;
    struct prog p = prog_begin(h);
    li(&p, 10, first);
    op(&p, LI(11, 2000));
    uint64_t loop = p.pc;
    op(&p, LD(6, 10, 0));
    op(&p, ADD(7, 7, 6));
    op(&p, ADDI(10, 10, 8));
    op(&p, ADDI(5, 5, 1));
    op(&p, BNE(5, 11, (int32_t)(loop - p.pc)));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    const uint64_t passes = 2 + 0x1000 / 8;
    assert_int_equal(X(h, 28), RV_EXC_LOAD_ACCESS);
    assert_int_equal(X(h, 29), loop);
    assert_int_equal(X(h, 30), ram_end);
    assert_int_equal(X(h, 5), passes);
    assert_int_equal(X(h, 10), ram_end);
    assert_int_equal(X(h, 7), 3000 + (passes - 2) * 7);
    assert_true(h->slow_page_used);
    /* The passes, not the load that faulted, then the handler's six. */
    assert_int_equal(rv_cpu_instret(h->cpu), (loop - RAM_BASE) / 4 + 5 * passes + 6);
}

/*
 * A loop with an early exit (a conditional branch inside it, a side exit of the JIT's
 * loop block): taken on the pass that finds a zero, never taken when there is none.
 */
static void test_loop_early_exit(void **state)
{
    struct harness *h = *state;
    const uint64_t data = RAM_BASE + 0x20000;
    for (int found = 1; found >= 0; found--) {
        for (int i = 0; i < 40; i++)
            put32(h, data + 4 * (uint64_t)i, (uint32_t)(i + 1));
        if (found)
            put32(h, data + 4 * 25, 0);
        rv_cpu_reset(h->cpu, RAM_BASE, 0);
        struct prog p = prog_begin(h);
        li(&p, 10, data);
        li(&p, 11, data + 4 * 40);
        op(&p, LI(7, 0));
        uint64_t loop = p.pc;
        op(&p, LW(6, 10, 0));
        uint64_t exit_branch = p.pc;
        op(&p, BEQ(6, 0, 0)); /* patched below to `out` */
        op(&p, ADD(7, 7, 6));
        op(&p, ADDI(10, 10, 4));
        op(&p, BNE(10, 11, (int32_t)(loop - p.pc)));
        op(&p, LI(8, 1)); /* only when the loop ran out */
        uint64_t out = p.pc;
        put32(h, exit_branch, BEQ(6, 0, (int32_t)(out - exit_branch)));
        op(&p, WFI);
        assert_int_equal(run(h), RV_RUN_WFI);
        if (found) {
            assert_int_equal(X(h, 7), 25 * 26 / 2);
            assert_int_equal(X(h, 10), data + 4 * 25);
            assert_int_equal(X(h, 8), 0);
            assert_int_equal(rv_cpu_instret(h->cpu), (loop - RAM_BASE) / 4 + 5 * 25 + 2 + 1);
        } else {
            assert_int_equal(X(h, 7), 40 * 41 / 2);
            assert_int_equal(X(h, 10), data + 4 * 40);
            assert_int_equal(X(h, 8), 1);
            assert_int_equal(rv_cpu_instret(h->cpu), (loop - RAM_BASE) / 4 + 5 * 40 + 1 + 1);
        }
    }
}

/*
 * Loops with division, which takes a host register the JIT's loop could otherwise keep a
 * guest register in: with five registers (they fit beside it), six (they would fit
 * without the division) and seven (too many).
 */
static void test_loop_divide_and_many_registers(void **state)
{
    struct harness *h = *state;
    for (int nregs = 5; nregs <= 7; nregs++) {
        rv_cpu_reset(h->cpu, RAM_BASE, 0);
        struct prog p = prog_begin(h);
        op(&p, LI(8, 1));
        op(&p, LI(11, 300));
        li(&p, 9, 1000003);
        uint64_t loop = p.pc;
        /* x8 the divisor, x9 the dividend, x11 the end; x18-x21 as nregs allows */
        uint32_t rem = nregs == 5 ? 18 : 20;
        op(&p, DIVU(18, 9, 8));
        op(&p, ADD(19, 19, 18));
        op(&p, REMU(rem, 9, 8));
        op(&p, ADD(19, 19, rem));
        if (nregs == 7)
            op(&p, ADD(21, 21, 18));
        op(&p, ADDI(8, 8, 1));
        op(&p, BNE(8, 11, (int32_t)(loop - p.pc)));
        op(&p, WFI);
        assert_int_equal(run(h), RV_RUN_WFI);
        uint64_t q = 0, r = 0;
        for (uint64_t d = 1; d < 300; d++) {
            q += 1000003 / d;
            r += 1000003 % d;
        }
        assert_int_equal(X(h, 8), 300);
        assert_int_equal(X(h, 9), 1000003);
        assert_int_equal(X(h, 19), q + r);
        assert_int_equal(X(h, rem), 1000003 % 299);
        if (nregs > 5)
            assert_int_equal(X(h, 18), 1000003 / 299);
        assert_int_equal(X(h, 21), nregs == 7 ? q : 0);
    }
}

/* A budget that ends in the middle of a pass through a loop ends exactly there. */
static void test_budget_mid_loop(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, LI(6, 100));
    uint64_t loop = p.pc;
    op(&p, ADDI(5, 5, 1));
    op(&p, ADDI(6, 6, -1));
    op(&p, BNE(6, 0, (int32_t)(loop - p.pc)));
    spin(&p);
    uint64_t n = (loop - RAM_BASE) / 4;
    /* Twice through the loop first, so the JIT has it translated when the budget bites. */
    assert_int_equal(rv_cpu_run(h->cpu, n + 6), RV_RUN_BUDGET);
    assert_int_equal(rv_cpu_run(h->cpu, 3 * 10 + 2), RV_RUN_BUDGET);
    assert_int_equal(rv_cpu_instret(h->cpu), n + 3 * 12 + 2);
    assert_int_equal(X(h, 5), 13);
    assert_int_equal(X(h, 6), 87);
    assert_int_equal(rv_cpu_get_pc(h->cpu), loop + 8);
    assert_int_equal(rv_cpu_run(h->cpu, 1 + 3 * 87), RV_RUN_BUDGET);
    assert_int_equal(X(h, 5), 100);
    assert_int_equal(X(h, 6), 0);
    assert_int_equal(rv_cpu_get_pc(h->cpu), loop + 12);
}

static void test_timer(void **state)
{
    struct harness *h = *state;
    struct rv_cpu *c = h->cpu;
    struct prog p = prog_begin(h);
    li(&p, 1, MIP_MTIP);
    op(&p, CSRW(C_MIE, 1));
    op(&p, CSRR(5, C_MIP));
    op(&p, WFI);
    rv_cpu_set_mtimecmp(c, UINT64_MAX - 1);
    assert_int_equal(rv_cpu_get_mtimecmp(c), UINT64_MAX - 1);
    rv_cpu_set_mtimecmp(c, 5000);
    rv_cpu_update_timers(c, 4999);
    assert_false(rv_cpu_interrupt_pending(c));
    assert_int_equal(run(h), RV_RUN_WFI); /* nothing pending: the hart may sleep */
    assert_int_equal(X(h, 5), 0);
    assert_int_equal(rv_cpu_next_timer(c), 5000);
    rv_cpu_update_timers(c, 5000);
    assert_true(rv_cpu_interrupt_pending(c));
    rv_cpu_update_timers(c, 10);
    assert_false(rv_cpu_interrupt_pending(c));
}

static void test_sstc(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MENVCFG_STCE);
    op(&p, CSRW(C_MENVCFG, 1));
    op(&p, LI(1, 2)); /* TM */
    op(&p, CSRW(C_MCOUNTEREN, 1));
    li(&p, 1, UINT64_MAX);
    op(&p, CSRW(C_STIMECMP, 1));
    li(&p, 1, MIP_STIP);
    op(&p, CSRW(C_MIDELEG, 1));
    op(&p, CSRW(C_MIE, 1));
    op(&p, CSRW(C_MIP, 1)); /* STIP is not writable with STCE */
    op(&p, CSRR(6, C_MIP));
    enter_mode(&p, RV_PRIV_S);
    op(&p, CSRRSI(0, C_SSTATUS, 2));
    op(&p, CSRR(7, C_TIME));
    op(&p, LI(8, 1));
    op(&p, CSRW(C_STIMECMP, 8)); /* already passed: STIP now */
    uint64_t after = p.pc;
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 6), 0);
    assert_int_equal(X(h, 27), 1);
    assert_int_equal(X(h, 28), RV_CAUSE_IRQ | 5);
    assert_int_equal(X(h, 29), after);
}

static void test_sstc_gated(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    enter_mode(&p, RV_PRIV_S);
    op(&p, CSRR(1, C_STIMECMP)); /* STCE = 0: illegal in S */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
}

static void test_counter_gating(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, LI(1, 5)); /* CY, IR but not TM */
    op(&p, CSRW(C_MCOUNTEREN, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, CSRR(2, C_CYCLE));
    op(&p, LI(3, 1));
    op(&p, CSRR(4, C_TIME));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), 1);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 30), CSRR(4, C_TIME));
}

static void test_wfi(void **state)
{
    struct harness *h = *state;
    struct rv_cpu *c = h->cpu;
    struct prog p = prog_begin(h);
    op(&p, WFI);
    uint64_t after = p.pc;
    li(&p, 1, MIP_MTIP);
    op(&p, CSRW(C_MIE, 1)); /* MIE stays 0: pending+enabled wakes wfi but is not taken */
    op(&p, WFI);
    op(&p, LI(2, 9));
    spin(&p);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(rv_cpu_get_pc(c), after);
    rv_cpu_set_mip(c, MIP_MTIP, true);
    assert_int_equal(run(h), RV_RUN_BUDGET);
    assert_int_equal(X(h, 2), 9);
    assert_int_equal(X(h, 27), 0);
}

static void test_wfi_tw(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, MSTATUS_TW);
    op(&p, CSRRS(0, C_MSTATUS, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI); /* from the M handler */
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
    assert_int_equal(X(h, 30), WFI);
}

static void test_self_modifying(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    uint64_t f = RAM_BASE + 0x800;
    struct prog fp = {h, f};
    op(&fp, ADDI(5, 0, 1));
    op(&fp, JALR(0, 1, 0));
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 2));
    rv_cpu_set_xreg(h->cpu, 8, f);
    op(&p, JAL(1, (int32_t)(f - p.pc)));
    op(&p, ADD(6, 5, 0));
    op(&p, SW(7, 8, 0));
    op(&p, FENCE_I);
    op(&p, JAL(1, (int32_t)(f - p.pc)));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 6), 1);
    assert_int_equal(X(h, 5), 2);

    /* Patch code from outside between runs (as DMA would), then fence.i in the guest. */
    put32(h, f, ADDI(5, 0, 3));
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 4));
    rv_cpu_set_xreg(h->cpu, 8, f);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 6), 3);
    assert_int_equal(X(h, 5), 4);
}

static void test_access_faults(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, 0x40000000);
    op(&p, LD(2, 1, 8));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_LOAD_ACCESS);
    assert_int_equal(X(h, 30), 0x40000008);

    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    p = prog_begin(h);
    op(&p, SD(0, 0, 16));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_STORE_ACCESS);
    assert_int_equal(X(h, 30), 16);

    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    p = prog_begin(h);
    li(&p, 1, 0x50000000);
    op(&p, JALR(0, 1, 0));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_INSN_ACCESS);
    assert_int_equal(X(h, 29), 0x50000000);
    assert_int_equal(X(h, 30), 0x50000000);

    /* Past the end of RAM. */
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    p = prog_begin(h);
    li(&p, 1, RAM_BASE + RAM_SIZE - 4);
    op(&p, LD(2, 1, 0));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_LOAD_ACCESS);
    assert_int_equal(X(h, 30), RAM_BASE + RAM_SIZE);
}

static void test_mmio_and_slow_page(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, DEV_BASE);
    op(&p, LD(2, 1, 8));
    op(&p, LI(3, 0x5a));
    op(&p, SW(3, 1, 0x10));
    li(&p, 4, SLOW_PAGE);
    li(&p, 5, 0x1122334455667788ULL);
    op(&p, SD(5, 4, 0));
    op(&p, LD(6, 4, 0));
    op(&p, LW(7, 1, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 0x1122334455667788ULL + 8);
    assert_int_equal(h->dev_last_write, 0x5a);
    assert_int_equal(h->dev_last_offset, 0x10);
    assert_true(h->slow_page_used);
    assert_int_equal(X(h, 6), 0x1122334455667788ULL);
    assert_int_equal(get64(h, SLOW_PAGE), 0); /* RAM behind the slow page untouched */
    assert_int_equal(X(h, 7), 0x55667789ULL);  /* 32-bit read zero-extended then sign-ext */
}

static void test_budget_and_stop(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    spin(&p);
    uint64_t before = rv_cpu_instret(h->cpu);
    assert_int_equal(rv_cpu_run(h->cpu, 500), RV_RUN_BUDGET);
    assert_int_equal(rv_cpu_instret(h->cpu) - before, 500);
    rv_cpu_request_stop(h->cpu);
    assert_int_equal(rv_cpu_run(h->cpu, 500), RV_RUN_STOP);
    assert_int_equal(rv_cpu_run(h->cpu, 10), RV_RUN_BUDGET);
}

static void test_fp_load_store(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put64(h, DATA, 0x400921fb54442d18ULL);
    put64(h, DATA + 8, 0x3f800000ULL);
    rv_cpu_set_xreg(h->cpu, 1, DATA);
    li(&p, 2, MSTATUS_FS & (MSTATUS_FS >> 1)); /* FS = Initial */
    op(&p, CSRRS(0, C_MSTATUS, 2));
    op(&p, FLD(3, 1, 0));
    op(&p, FLW(4, 1, 8));
    op(&p, FSD(3, 1, 16));
    op(&p, FSW(4, 1, 24));
    op(&p, CSRR(5, C_MSTATUS));
    op(&p, CSRRWI(6, 0x002, 3)); /* frm */
    op(&p, CSRR(7, 0x003));
    op(&p, CSRW(C_MSTATUS, 0)); /* FS = Off: FP loads are illegal */
    op(&p, FLD(3, 1, 0));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(rv_cpu_get_freg(h->cpu, 3), 0x400921fb54442d18ULL);
    assert_int_equal(rv_cpu_get_freg(h->cpu, 4), 0xffffffff3f800000ULL);
    assert_int_equal(get64(h, DATA + 16), 0x400921fb54442d18ULL);
    assert_int_equal(get64(h, DATA + 24), 0x3f800000ULL);
    assert_int_equal(X(h, 5) & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS | MSTATUS_SD);
    assert_int_equal(X(h, 7), 3 << 5);
    assert_int_equal(X(h, 28), RV_EXC_ILLEGAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_muldiv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_div_minus_one_and_w, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_branches_jumps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rvc_expansion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compressed_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal_compressed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lr_misaligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservation_cleared_by_xret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservation_cleared_by_trap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sstatus_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecall_delegation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecall_from_s_and_m, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mret_sret_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal_and_ebreak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_m, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_priority_and_vectored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_m_taken_in_s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_delegated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_taken_at_sret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_from_mmio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sstc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sstc_gated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_gating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wfi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wfi_tw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_modifying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_and_slow_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fp_load_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_mid_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_modifying_same_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_in_hot_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_mid_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_slow_page_and_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_early_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_divide_and_many_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_mid_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
