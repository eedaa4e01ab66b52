/*
 * IMSIC: pending/enable/threshold, claims through *topei, eidelivery, identities out of
 * range, seteipnum from MMIO and from MSIs; then the hart's side: the AIA CSRs reaching the
 * files (siselect/sireg, stopei claim-on-write, stopi) as guest code executes them.
 */
#include "test_cpu_harness.h"

#include "hw/imsic.h"
#include "riscv/irqchip.h"

#define M_BASE 0x24000000ULL
#define S_BASE 0x28000000ULL
#define NHARTS 2

/* A hart as the IMSIC sees it: just the external-interrupt bits it drives. */
struct fake_hart {
    uint64_t mip;
};

static void fake_set_pending(void *opaque, uint64_t mask, bool level)
{
    struct fake_hart *h = opaque;
    h->mip = level ? (h->mip | mask) : (h->mip & ~mask);
}

struct fixture {
    struct fake_hart harts[NHARTS];
    struct imsic *s;
    struct hart_irq_files files[NHARTS];
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    struct hart_if his[NHARTS];
    for (int h = 0; h < NHARTS; h++)
        his[h] = (struct hart_if){.opaque = &f->harts[h], .set_pending = fake_set_pending};
    f->s = imsic_new(his, NHARTS, M_BASE, S_BASE);
    assert_non_null(f->s);
    for (int h = 0; h < NHARTS; h++)
        f->files[h] = imsic_hart_files(f->s, h);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    imsic_free(f->s);
    test_free(f);
    return 0;
}

static uint64_t ireg(struct fixture *f, int hart, int file, unsigned isel)
{
    uint64_t v = 0xdeadbeef;
    assert_int_equal(f->files[hart].ireg_read(f->files[hart].opaque, file, isel, &v), 0);
    return v;
}

static void set_ireg(struct fixture *f, int hart, int file, unsigned isel, uint64_t v)
{
    assert_int_equal(f->files[hart].ireg_write(f->files[hart].opaque, file, isel, v), 0);
}

/* Enables identity `id` in a file, keeping the others. */
static void enable(struct fixture *f, int hart, int file, unsigned id)
{
    unsigned isel = IMSIC_ISEL_EIE0 + (id / 64) * 2;
    set_ireg(f, hart, file, isel, ireg(f, hart, file, isel) | 1ULL << (id % 64));
}

static uint32_t top(struct fixture *f, int hart, int file)
{
    return f->files[hart].topei(f->files[hart].opaque, file);
}

static void test_pending_enable_threshold(void **state)
{
    struct fixture *f = *state;
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIDELIVERY, 1);
    imsic_send_msi(f->s, S_BASE, 70);
    /* Pending but not enabled: nothing to report, no SEIP. */
    assert_int_equal(top(f, 0, HART_FILE_S), 0);
    assert_int_equal(f->harts[0].mip, 0);
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIP0 + 2), 1ULL << 6);
    enable(f, 0, HART_FILE_S, 70);
    assert_int_equal(top(f, 0, HART_FILE_S), 70u << 16 | 70);
    assert_int_equal(f->harts[0].mip, MIP_SEIP);
    /* A lower identity is more urgent. */
    enable(f, 0, HART_FILE_S, 5);
    imsic_send_msi(f->s, S_BASE, 5);
    assert_int_equal(top(f, 0, HART_FILE_S), 5u << 16 | 5);
    /* Threshold P hides identities P and above. */
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EITHRESHOLD, 5);
    assert_int_equal(top(f, 0, HART_FILE_S), 0);
    assert_int_equal(f->harts[0].mip, 0);
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EITHRESHOLD, 6);
    assert_int_equal(top(f, 0, HART_FILE_S), 5u << 16 | 5);
    assert_int_equal(f->harts[0].mip, MIP_SEIP);
    /* The threshold holds 0..255 and no more. */
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EITHRESHOLD, 0x1ff);
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EITHRESHOLD), 0xff);
    /* The M file and the other hart saw none of it. */
    assert_int_equal(top(f, 0, HART_FILE_M), 0);
    assert_int_equal(top(f, 1, HART_FILE_S), 0);
    assert_int_equal(f->harts[1].mip, 0);
}

static void test_claim_through_topei(void **state)
{
    struct fixture *f = *state;
    set_ireg(f, 1, HART_FILE_M, IMSIC_ISEL_EIDELIVERY, 1);
    enable(f, 1, HART_FILE_M, 3);
    enable(f, 1, HART_FILE_M, 200);
    imsic_send_msi(f->s, M_BASE + 0x1000, 200);
    imsic_send_msi(f->s, M_BASE + 0x1000, 3);
    assert_int_equal(f->harts[1].mip, MIP_MEIP);
    f->files[1].claim(f->files[1].opaque, HART_FILE_M);
    assert_int_equal(top(f, 1, HART_FILE_M), 200u << 16 | 200);
    assert_int_equal(ireg(f, 1, HART_FILE_M, IMSIC_ISEL_EIP0), 0);
    f->files[1].claim(f->files[1].opaque, HART_FILE_M);
    assert_int_equal(top(f, 1, HART_FILE_M), 0);
    assert_int_equal(f->harts[1].mip, 0);
    /* A claim with nothing pending changes nothing. */
    f->files[1].claim(f->files[1].opaque, HART_FILE_M);
    assert_int_equal(ireg(f, 1, HART_FILE_M, IMSIC_ISEL_EIE0 + 6), 1ULL << (200 - 192));
}

static void test_eidelivery_off(void **state)
{
    struct fixture *f = *state;
    enable(f, 0, HART_FILE_M, 9);
    imsic_send_msi(f->s, M_BASE, 9);
    /* Reported through topei, but not signalled to the hart. */
    assert_int_equal(top(f, 0, HART_FILE_M), 9u << 16 | 9);
    assert_int_equal(f->harts[0].mip, 0);
    set_ireg(f, 0, HART_FILE_M, IMSIC_ISEL_EIDELIVERY, 1);
    assert_int_equal(f->harts[0].mip, MIP_MEIP);
    /* Only bit 0 is writable: APLIC direct mode (0x40000000) is not offered. */
    set_ireg(f, 0, HART_FILE_M, IMSIC_ISEL_EIDELIVERY, 0x40000000);
    assert_int_equal(ireg(f, 0, HART_FILE_M, IMSIC_ISEL_EIDELIVERY), 0);
    assert_int_equal(f->harts[0].mip, 0);
}

static void test_identities_out_of_range(void **state)
{
    struct fixture *f = *state;
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIDELIVERY, 1);
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIE0, ~0ULL);
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIE0 + 6, ~0ULL);
    imsic_send_msi(f->s, S_BASE, 0);
    imsic_send_msi(f->s, S_BASE, 256);
    imsic_send_msi(f->s, S_BASE, 0xffffffffu);
    assert_int_equal(top(f, 0, HART_FILE_S), 0);
    for (unsigned k = 0; k < 64; k += 2)
        assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIP0 + k), 0);
    /* Identity 0 does not exist; 255 does. */
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIE0), ~1ULL);
    imsic_send_msi(f->s, S_BASE, 255);
    assert_int_equal(top(f, 0, HART_FILE_S), 255u << 16 | 255);
    /* eip8 and up hold identities above 255: read-only zero, writable without effect. */
    set_ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIP0 + 8, ~0ULL);
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIP0 + 8), 0);
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIE0 + 62), 0);
    /* RV64 has no odd-numbered eip/eie, and 0x71, 0x73..0x7f are reserved. */
    uint64_t v;
    const struct hart_irq_files *fi = &f->files[0];
    assert_int_equal(fi->ireg_read(fi->opaque, HART_FILE_S, IMSIC_ISEL_EIP0 + 1, &v), -1);
    assert_int_equal(fi->ireg_write(fi->opaque, HART_FILE_S, IMSIC_ISEL_EIE0 + 63, 1), -1);
    assert_int_equal(fi->ireg_read(fi->opaque, HART_FILE_S, 0x71, &v), -1);
    assert_int_equal(fi->ireg_read(fi->opaque, HART_FILE_S, 0x7f, &v), -1);
    assert_int_equal(fi->ireg_read(fi->opaque, 7, IMSIC_ISEL_EIDELIVERY, &v), -1);
    /* A hart the IMSIC does not have gets no files. */
    assert_null(imsic_hart_files(f->s, NHARTS).opaque);
    assert_null(imsic_hart_files(f->s, -1).opaque);
}

static void test_seteipnum_mmio_and_msi_addresses(void **state)
{
    struct fixture *f = *state;
    struct mmio_region m = imsic_region(f->s, HART_FILE_M);
    struct mmio_region s = imsic_region(f->s, HART_FILE_S);
    assert_int_equal(m.base, M_BASE);
    assert_int_equal(s.base, S_BASE);
    assert_int_equal(s.size, NHARTS * 0x1000);
    for (int h = 0; h < NHARTS; h++)
        set_ireg(f, h, HART_FILE_S, IMSIC_ISEL_EIE0, ~0ULL);
    /* seteipnum_le of hart 1's S file, then seteipnum_be of hart 0's. */
    s.write(s.opaque, 0x1000, 12, 4);
    assert_int_equal(top(f, 1, HART_FILE_S), 12u << 16 | 12);
    s.write(s.opaque, 0x4, __builtin_bswap32(33), 4);
    assert_int_equal(top(f, 0, HART_FILE_S), 33u << 16 | 33);
    /* Other widths and offsets are ignored; every read is zero. */
    s.write(s.opaque, 0x0, 7, 8);
    s.write(s.opaque, 0x0, 7, 1);
    s.write(s.opaque, 0x8, 7, 4);
    s.write(s.opaque, 0xffc, 7, 4);
    assert_int_equal(top(f, 0, HART_FILE_S), 33u << 16 | 33);
    assert_int_equal(s.read(s.opaque, 0, 4), 0);
    /* MSIs: only the first word of a file page counts; other addresses are dropped. */
    struct msi_sink sink = imsic_msi_sink(f->s);
    msi_send(&sink, S_BASE + 0x1000, 2);
    assert_int_equal(top(f, 1, HART_FILE_S), 2u << 16 | 2);
    msi_send(&sink, S_BASE + 0x10, 1);
    msi_send(&sink, S_BASE + NHARTS * 0x1000, 1);
    msi_send(&sink, S_BASE - 0x1000, 1);
    msi_send(&sink, 0, 1);
    msi_send(&sink, ~0ULL, 1);
    assert_int_equal(ireg(f, 0, HART_FILE_S, IMSIC_ISEL_EIP0) & 2, 0);
    assert_int_equal(ireg(f, 1, HART_FILE_S, IMSIC_ISEL_EIP0) & 2, 0);
    /* An MSI to the M file lands there only. */
    msi_send(&sink, M_BASE, 1);
    assert_int_equal(ireg(f, 0, HART_FILE_M, IMSIC_ISEL_EIP0), 2);
}

static void test_bad_construction(void **state)
{
    struct hart_if h = {0};
    assert_null(imsic_new(NULL, 1, M_BASE, S_BASE));
    assert_null(imsic_new(&h, 1, M_BASE, S_BASE));   /* no set_pending */
    h.set_pending = fake_set_pending;
    assert_null(imsic_new(&h, 0, M_BASE, S_BASE));
    assert_null(imsic_new(&h, IMSIC_MAX_HARTS + 1, M_BASE, S_BASE));
}

/* --- the hart's AIA CSRs, executed by guest code --- */

enum { C_SISELECT = 0x150, C_SIREG = 0x151, C_STOPEI = 0x15C, C_STOPI = 0xDB0,
       C_MISELECT = 0x350, C_MIREG = 0x351, C_MTOPEI = 0x35C, C_MTOPI = 0xFB0 };

static void test_hart_csrs_reach_the_files(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct hart_if hi = rv_cpu_hart_if(h->cpu);
    struct imsic *s = imsic_new(&hi, 1, M_BASE, S_BASE);
    assert_non_null(s);
    struct hart_irq_files files = imsic_hart_files(s, 0);
    rv_cpu_attach_irq_files(h->cpu, &files);

    struct prog p = prog_begin(h);
    li(&p, 5, IMSIC_ISEL_EIE0);
    op(&p, CSRW(C_SISELECT, 5));
    li(&p, 6, 1ULL << 9);
    op(&p, CSRRS(0, C_SIREG, 6));           /* enable identity 9 in the S file */
    li(&p, 5, IMSIC_ISEL_EIDELIVERY);
    op(&p, CSRW(C_SISELECT, 5));
    op(&p, CSRRWI(0, C_SIREG, 1));
    li(&p, 6, MIP_SEIP);
    op(&p, CSRW(C_MIDELEG, 6));
    op(&p, CSRW(C_MIE, 6));
    op(&p, WFI);                            /* the test sends the MSI here */
    op(&p, CSRR(10, C_STOPEI));
    op(&p, CSRR(11, C_STOPI));
    op(&p, CSRR(12, C_MTOPI));
    op(&p, CSRRW(13, C_STOPEI, 0));         /* claim: returns what it claimed */
    op(&p, CSRR(14, C_STOPEI));
    op(&p, CSRR(15, C_STOPI));
    li(&p, 5, IMSIC_ISEL_EIP0 + 1);         /* odd: does not exist on RV64 */
    op(&p, CSRW(C_MISELECT, 5));
    op(&p, CSRR(16, C_MIREG));              /* traps to M: illegal instruction */
    op(&p, WFI);

    run(h);
    assert_int_equal(X(h, 10), 0);          /* stopped at the first wfi */
    imsic_send_msi(s, S_BASE, 9);
    run(h);
    assert_int_equal(X(h, 10), 9u << 16 | 9);
    assert_int_equal(X(h, 11), 9u << 16 | 1); /* SEI, default priority */
    assert_int_equal(X(h, 12), 0);          /* delegated: not M's */
    assert_int_equal(X(h, 13), 9u << 16 | 9);
    assert_int_equal(X(h, 14), 0);
    assert_int_equal(X(h, 15), 0);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), 2);          /* mcause: illegal instruction */
    imsic_free(s);
    harness_free(h);
}

static void test_hart_without_imsic_has_no_aia_csrs(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct prog p = prog_begin(h);
    op(&p, CSRR(10, C_MTOPI));
    op(&p, WFI);
    run(h);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), 2);
    harness_free(h);
}

/* The board's builder: under aia, MSIs sent to its sink reach the hart's stopei. */
static void test_board_irqchip_msi_sink(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct rv_irqchip ic;
    assert_int_equal(rv_irqchip_create(&ic, RV_IRQCHIP_PLIC, h->cpu, &h->bus), 0);
    assert_null(rv_irqchip_msi_sink(&ic).send);
    rv_irqchip_destroy(&ic);
    harness_free(h);

    h = harness_new();
    assert_int_equal(rv_irqchip_create(&ic, RV_IRQCHIP_AIA, h->cpu, &h->bus), 0);
    struct msi_sink sink = rv_irqchip_msi_sink(&ic);
    assert_non_null(sink.send);
    msi_send(&sink, S_BASE, 77);
    struct prog p = prog_begin(h);
    op(&p, CSRR(10, C_STOPEI));             /* not enabled: nothing to report */
    li(&p, 5, IMSIC_ISEL_EIE0 + 2);
    op(&p, CSRW(C_SISELECT, 5));
    li(&p, 6, 1ULL << (77 - 64));
    op(&p, CSRW(C_SIREG, 6));
    op(&p, CSRR(11, C_STOPEI));
    li(&p, 7, 0x0c000000);                  /* the APLIC's root domain is on the bus */
    op(&p, LW(12, 7, 0));
    op(&p, WFI);
    run(h);
    assert_int_equal(X(h, 10), 0);
    assert_int_equal(X(h, 11), 77u << 16 | 77);
    assert_int_equal(X(h, 12), 0xffffffff80000004ULL);  /* domaincfg (lw sign-extends) */
    rv_irqchip_destroy(&ic);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_enable_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_through_topei, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eidelivery_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identities_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seteipnum_mmio_and_msi_addresses, setup,
                                        teardown),
        cmocka_unit_test(test_bad_construction),
        cmocka_unit_test(test_hart_csrs_reach_the_files),
        cmocka_unit_test(test_hart_without_imsic_has_no_aia_csrs),
        cmocka_unit_test(test_board_irqchip_msi_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
