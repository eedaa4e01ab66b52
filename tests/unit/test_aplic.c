/*
 * APLIC in MSI mode: a wired source becomes an MSI to the right hart's file with the right
 * EIID, level vs edge (and their inverted forms, detached), domaincfg.IE and the enable
 * bits holding MSIs back, delegation to the S domain, and hostile register writes.
 * MSIs are captured by a recording sink, so the test sees exactly what would be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/aplic.h"

#define DOMAINCFG       0x0000
#define SOURCECFG(i)    (0x0004u + 4u * ((i) - 1))
#define MMSIADDRCFG     0x1bc0
#define MMSIADDRCFGH    0x1bc4
#define SMSIADDRCFG     0x1bc8
#define SMSIADDRCFGH    0x1bcc
#define SETIP(k)        (0x1c00u + 4u * (k))
#define SETIPNUM        0x1cdc
#define IN_CLRIP(k)     (0x1d00u + 4u * (k))
#define CLRIPNUM        0x1ddc
#define SETIE(k)        (0x1e00u + 4u * (k))
#define SETIENUM        0x1edc
#define CLRIENUM        0x1fdc
#define SETIPNUM_LE     0x2000
#define SETIPNUM_BE     0x2004
#define GENMSI          0x3000
#define TARGET(i)       (0x3004u + 4u * ((i) - 1))

#define IE   (1u << 8)
#define DM   (1u << 2)
#define D    (1u << 10)
enum { SM_INACTIVE = 0, SM_DETACHED = 1, SM_EDGE1 = 4, SM_EDGE0 = 5, SM_LEVEL1 = 6,
       SM_LEVEL0 = 7 };

#define M_FILES 0x24000000ULL
#define S_FILES 0x28000000ULL

static uint32_t target(uint32_t hart, uint32_t eiid)
{
    return hart << 18 | eiid;
}

#define MAX_MSIS 64
struct fixture {
    struct aplic *a;
    struct mmio_region m, s;
    unsigned n;
    uint64_t addr[MAX_MSIS];
    uint32_t data[MAX_MSIS];
};

static void record(void *opaque, uint64_t addr, uint32_t data)
{
    struct fixture *f = opaque;
    if (f->n < MAX_MSIS) {
        f->addr[f->n] = addr;
        f->data[f->n] = data;
    }
    f->n++;
}

static void wr(const struct mmio_region *r, uint32_t off, uint32_t v)
{
    r->write(r->opaque, off, v, 4);
}

static uint32_t rd(const struct mmio_region *r, uint32_t off)
{
    return (uint32_t)r->read(r->opaque, off, 4);
}

/* As OpenSBI leaves it for one hart: M files at 0x24000000, S files at 0x28000000. */
static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    f->a = aplic_new((struct msi_sink){.opaque = f, .send = record});
    assert_non_null(f->a);
    f->m = aplic_region(f->a, APLIC_DOMAIN_M, 0x0c000000);
    f->s = aplic_region(f->a, APLIC_DOMAIN_S, 0x0d000000);
    wr(&f->m, MMSIADDRCFG, M_FILES >> 12);
    wr(&f->m, MMSIADDRCFGH, 0);
    wr(&f->m, SMSIADDRCFG, S_FILES >> 12);
    wr(&f->m, SMSIADDRCFGH, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    aplic_free(f->a);
    test_free(f);
    return 0;
}

static void expect_msi(struct fixture *f, unsigned n, uint64_t addr, uint32_t data)
{
    assert_int_equal(f->n, n);
    assert_int_equal(f->addr[n - 1], addr);
    assert_int_equal(f->data[n - 1], data);
}

static void test_wired_source_to_msi(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->m.size, APLIC_DOMAIN_SIZE);
    wr(&f->m, DOMAINCFG, IE | DM);
    /* MSI mode is the only mode: DM reads 1 whatever is written; bits 31:24 read 0x80. */
    assert_int_equal(rd(&f->m, DOMAINCFG), 0x80000000u | IE | DM);
    wr(&f->m, SOURCECFG(10), SM_LEVEL1);
    wr(&f->m, TARGET(10), target(0, 33));
    assert_int_equal(rd(&f->m, TARGET(10)), target(0, 33));
    aplic_set_irq(f->a, 10, 1);
    assert_int_equal(f->n, 0);                 /* not enabled yet: held pending */
    assert_int_equal(rd(&f->m, SETIP(0)), 1u << 10);
    wr(&f->m, SETIENUM, 10);
    expect_msi(f, 1, M_FILES, 33);
    assert_int_equal(rd(&f->m, SETIP(0)), 0);  /* forwarding clears pending */
    assert_int_equal(rd(&f->m, SETIE(0)), 1u << 10);
    assert_int_equal(rd(&f->m, IN_CLRIP(0)), 1u << 10);

    /* Hart 3 with LHXW = 2 and LHXS = 0: its file is the fourth page. */
    wr(&f->m, MMSIADDRCFGH, 2u << 12);
    wr(&f->m, SOURCECFG(64), SM_EDGE1);
    wr(&f->m, TARGET(64), target(3, 200));
    wr(&f->m, SETIENUM, 64);
    aplic_set_irq(f->a, 64, 1);
    expect_msi(f, 2, M_FILES + 3 * 0x1000, 200);
    /* Group index above LHXW, at PPN bit HHXS + 12 (address bit HHXS + 24): hart 5 is
     * group 1, index 1. */
    wr(&f->m, MMSIADDRCFGH, 2u << 12 | 1u << 16 | 4u << 24);
    wr(&f->m, TARGET(64), target(5, 7));
    aplic_set_irq(f->a, 64, 0);
    aplic_set_irq(f->a, 64, 1);
    expect_msi(f, 3, M_FILES + (1ULL << 28) + 0x1000, 7);
}

static void test_level_vs_edge(void **state)
{
    struct fixture *f = *state;
    wr(&f->m, DOMAINCFG, IE);
    wr(&f->m, SOURCECFG(1), SM_LEVEL1);
    wr(&f->m, TARGET(1), target(0, 1));
    wr(&f->m, SETIENUM, 1);
    wr(&f->m, SOURCECFG(2), SM_EDGE1);
    wr(&f->m, TARGET(2), target(0, 2));
    wr(&f->m, SETIENUM, 2);

    /* Level: one MSI when the line rises; while it stays high, setipnum re-arms it. */
    aplic_set_irq(f->a, 1, 1);
    expect_msi(f, 1, M_FILES, 1);
    aplic_set_irq(f->a, 1, 1);
    assert_int_equal(f->n, 1);
    wr(&f->m, SETIPNUM, 1);
    expect_msi(f, 2, M_FILES, 1);
    aplic_set_irq(f->a, 1, 0);
    wr(&f->m, SETIPNUM, 1);                    /* low: the request is refused */
    wr(&f->m, SETIPNUM_LE, 1);
    assert_int_equal(f->n, 2);

    /* Edge: rising edges only; setipnum works whatever the line. */
    aplic_set_irq(f->a, 2, 1);
    expect_msi(f, 3, M_FILES, 2);
    aplic_set_irq(f->a, 2, 1);
    aplic_set_irq(f->a, 2, 0);
    assert_int_equal(f->n, 3);
    wr(&f->m, SETIPNUM_BE, __builtin_bswap32(2));
    expect_msi(f, 4, M_FILES, 2);

    /* Inverted: Level0 asserts while the wire is low, Edge0 on a falling edge. */
    wr(&f->m, SOURCECFG(3), SM_LEVEL0);
    wr(&f->m, TARGET(3), target(0, 3));
    aplic_set_irq(f->a, 3, 1);
    wr(&f->m, SETIENUM, 3);
    assert_int_equal(f->n, 4);
    aplic_set_irq(f->a, 3, 0);
    expect_msi(f, 5, M_FILES, 3);
    wr(&f->m, SOURCECFG(4), SM_EDGE0);
    wr(&f->m, TARGET(4), target(0, 4));
    wr(&f->m, SETIENUM, 4);
    aplic_set_irq(f->a, 4, 1);
    assert_int_equal(f->n, 5);
    aplic_set_irq(f->a, 4, 0);
    expect_msi(f, 6, M_FILES, 4);

    /* Detached: the wire is ignored, setip still works. */
    wr(&f->m, SOURCECFG(5), SM_DETACHED);
    wr(&f->m, TARGET(5), target(0, 5));
    wr(&f->m, SETIENUM, 5);
    aplic_set_irq(f->a, 5, 1);
    assert_int_equal(f->n, 6);
    wr(&f->m, SETIP(0), 1u << 5);
    expect_msi(f, 7, M_FILES, 5);

    /* IE off holds everything; clrip drops a held one; IE on releases the rest. */
    wr(&f->m, DOMAINCFG, 0);
    wr(&f->m, SETIPNUM, 2);
    wr(&f->m, SETIPNUM, 5);
    wr(&f->m, CLRIPNUM, 5);
    assert_int_equal(rd(&f->m, SETIP(0)), 1u << 2);
    assert_int_equal(f->n, 7);
    wr(&f->m, DOMAINCFG, IE);
    expect_msi(f, 8, M_FILES, 2);
    /* A disabled source stays pending. */
    wr(&f->m, CLRIENUM, 2);
    wr(&f->m, SETIPNUM, 2);
    assert_int_equal(f->n, 8);
    assert_int_equal(rd(&f->m, SETIP(0)), 1u << 2);
}

static void test_delegation_to_s_domain(void **state)
{
    struct fixture *f = *state;
    wr(&f->m, DOMAINCFG, IE);
    wr(&f->s, DOMAINCFG, IE);
    /* Not delegated yet: the S domain cannot touch source 8. */
    wr(&f->s, SOURCECFG(8), SM_EDGE1);
    assert_int_equal(rd(&f->s, SOURCECFG(8)), 0);
    wr(&f->m, SOURCECFG(8), D | 5);            /* child index 5 does not exist: 0 */
    assert_int_equal(rd(&f->m, SOURCECFG(8)), D);
    /* The root no longer owns it: its target and enable are read-only zero. */
    wr(&f->m, TARGET(8), target(0, 9));
    assert_int_equal(rd(&f->m, TARGET(8)), 0);
    wr(&f->m, SETIENUM, 8);
    assert_int_equal(rd(&f->m, SETIE(0)), 0);
    /* The child sets it up and gets its MSIs at the S files. */
    wr(&f->s, SOURCECFG(8), D | SM_LEVEL1);    /* a leaf domain has no D bit */
    assert_int_equal(rd(&f->s, SOURCECFG(8)), SM_LEVEL1);
    wr(&f->s, TARGET(8), target(0, 17) | 0x3f000); /* guest index: read-only 0, no H */
    assert_int_equal(rd(&f->s, TARGET(8)), target(0, 17));
    wr(&f->s, SETIENUM, 8);
    aplic_set_irq(f->a, 8, 1);
    expect_msi(f, 1, S_FILES, 17);
    /* The S domain's window has no MSI address registers. */
    assert_int_equal(rd(&f->s, SMSIADDRCFG), 0);
    wr(&f->s, SMSIADDRCFG, 0x12345);
    assert_int_equal(rd(&f->m, SMSIADDRCFG), S_FILES >> 12);
    /* smsiaddrcfgh's LHXS spreads S files apart; LHXW comes from mmsiaddrcfgh. */
    wr(&f->m, MMSIADDRCFGH, 1u << 12);
    wr(&f->m, SMSIADDRCFGH, 1u << 20);
    wr(&f->s, TARGET(8), target(1, 17));
    wr(&f->s, SETIPNUM, 8);
    expect_msi(f, 2, S_FILES + 0x2000, 17);
    /* Taking the source back leaves the child nothing stale. */
    wr(&f->m, SOURCECFG(8), SM_EDGE1);
    assert_int_equal(rd(&f->s, SOURCECFG(8)), 0);
    assert_int_equal(rd(&f->s, TARGET(8)), 0);
    assert_int_equal(rd(&f->m, SETIE(0)), 0);
    wr(&f->s, SETIPNUM, 8);
    assert_int_equal(f->n, 2);
    /* genmsi: the S domain's goes to an S file, the root's to an M file. */
    wr(&f->s, GENMSI, target(0, 99));
    expect_msi(f, 3, S_FILES, 99);
    wr(&f->m, GENMSI, target(0, 98) | 1u << 12);
    expect_msi(f, 4, M_FILES, 98);
    assert_int_equal(rd(&f->m, GENMSI) & (1u << 12), 0);   /* never busy */
}

static void test_hostile_writes(void **state)
{
    struct fixture *f = *state;
    wr(&f->m, DOMAINCFG, IE);
    /* Odd widths and unaligned offsets are ignored. */
    f->m.write(f->m.opaque, SOURCECFG(1), SM_EDGE1, 1);
    f->m.write(f->m.opaque, SOURCECFG(1), SM_EDGE1, 8);
    f->m.write(f->m.opaque, SOURCECFG(1) + 2, SM_EDGE1, 4);
    assert_int_equal(rd(&f->m, SOURCECFG(1)), 0);
    assert_int_equal(f->m.read(f->m.opaque, DOMAINCFG, 2), 0);
    /* Reserved source modes become inactive. */
    wr(&f->m, SOURCECFG(1), 2);
    assert_int_equal(rd(&f->m, SOURCECFG(1)), 0);
    wr(&f->m, SOURCECFG(1), 3);
    assert_int_equal(rd(&f->m, SOURCECFG(1)), 0);
    /* Sources past 96 and source 0 do not exist. */
    wr(&f->m, SOURCECFG(97), SM_EDGE1);
    assert_int_equal(rd(&f->m, SOURCECFG(97)), 0);
    assert_int_equal(rd(&f->m, SOURCECFG(1023)), 0);
    assert_int_equal(rd(&f->m, TARGET(1023)), 0);
    static const uint32_t bad[] = {0, 97, 1023, 1024, 0xffffffffu};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        uint32_t n = bad[k];
        wr(&f->m, SETIPNUM, n);
        wr(&f->m, SETIENUM, n);
        wr(&f->m, CLRIPNUM, n);
        aplic_set_irq(f->a, (int)n, 1);
    }
    aplic_set_irq(f->a, -1, 1);
    assert_int_equal(f->n, 0);
    /* An inactive source takes neither a target nor an enable. */
    wr(&f->m, TARGET(6), target(0, 5));
    wr(&f->m, SETIE(0), ~0u);
    assert_int_equal(rd(&f->m, TARGET(6)), 0);
    assert_int_equal(rd(&f->m, SETIE(0)), 0);
    /* A lock freezes every MSI address register. */
    wr(&f->m, MMSIADDRCFGH, 1u << 31);
    wr(&f->m, MMSIADDRCFG, 0x1);
    wr(&f->m, SMSIADDRCFG, 0x1);
    wr(&f->m, MMSIADDRCFGH, 0);
    assert_int_equal(rd(&f->m, MMSIADDRCFG), M_FILES >> 12);
    assert_int_equal(rd(&f->m, SMSIADDRCFG), S_FILES >> 12);
    assert_int_equal(rd(&f->m, MMSIADDRCFGH), 1u << 31);
    /* Every register of both windows, with values that set every bit: no crash, and
     * whatever MSIs come out carry an EIID of at most 11 bits. */
    uint32_t seed = 12345;
    for (int round = 0; round < 4; round++) {
        for (uint32_t off = 0; off < APLIC_DOMAIN_SIZE; off += 4) {
            seed = seed * 1103515245u + 12345u;
            uint32_t v = round == 0 ? ~0u : seed;
            wr(round & 1 ? &f->s : &f->m, off, v);
            (void)rd(round & 1 ? &f->m : &f->s, off);
        }
        for (int i = 0; i <= 97; i++)
            aplic_set_irq(f->a, i, round & 1);
    }
    for (unsigned i = 0; i < f->n && i < MAX_MSIS; i++)
        assert_true(f->data[i] <= 0x7ff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wired_source_to_msi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_vs_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegation_to_s_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_writes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
