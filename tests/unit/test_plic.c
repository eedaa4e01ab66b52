/*
 * PLIC: priority, threshold, claim/complete, level re-trigger, context routing to
 * MEIP/SEIP, and hostile writes. Outputs are observed through a real hart running
 * `csrr a0, mip` so the test checks what the CPU actually sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/plic.h"
#include "riscv/cpu.h"

#define NHARTS 2
#define RAM_BASE 0x80000000ULL
#define RAM_SIZE 16384     /* room for 4096 probes per test */

#define PRIORITY(src)  (4u * (src))
#define PENDING(word)  (0x1000u + 4u * (word))
#define ENABLE(ctx, w) (0x2000u + 0x80u * (ctx) + 4u * (w))
#define THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define CLAIM(ctx)     (0x200004u + 0x1000u * (ctx))

struct fixture {
    uint8_t ram[RAM_SIZE];
    struct mmio_bus bus;
    struct rv_phys phys;
    struct rv_cpu *harts[NHARTS];
    struct plic *p;
    struct mmio_region r;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    /* RAM full of `csrr a0, mip`: each probe runs one, no branches involved. */
    const uint32_t csrr_a0_mip = 0x34402573;
    for (size_t i = 0; i < RAM_SIZE / 4; i++)
        memcpy(f->ram + 4 * i, &csrr_a0_mip, 4);
    f->phys = (struct rv_phys){.ram_base = RAM_BASE, .ram_size = RAM_SIZE, .ram = f->ram,
                               .mmio = &f->bus};
    for (int h = 0; h < NHARTS; h++) {
        f->harts[h] = rv_cpu_new(&f->phys, (uint64_t)h);
        assert_non_null(f->harts[h]);
        rv_cpu_reset(f->harts[h], RAM_BASE, 0);
    }
    struct hart_if his[NHARTS];
    for (int h = 0; h < NHARTS; h++)
        his[h] = rv_cpu_hart_if(f->harts[h]);
    f->p = plic_new(his, NHARTS);
    assert_non_null(f->p);
    f->r = plic_region(f->p, 0x0c000000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    plic_free(f->p);
    for (int h = 0; h < NHARTS; h++)
        rv_cpu_free(f->harts[h]);
    test_free(f);
    return 0;
}

/* The external-interrupt bits of hart h's mip, as guest code reads them. */
static uint64_t eip(struct fixture *f, int h)
{
    rv_cpu_run(f->harts[h], 1);
    return rv_cpu_get_xreg(f->harts[h], 10) & (MIP_MEIP | MIP_SEIP);
}

static uint32_t rd(struct fixture *f, uint32_t off)
{
    return (uint32_t)f->r.read(f->r.opaque, off, 4);
}

static void wr(struct fixture *f, uint32_t off, uint32_t v)
{
    f->r.write(f->r.opaque, off, v, 4);
}

static void test_region_and_reset_state(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->r.size, 0x600000);
    for (int s = 1; s <= 95; s++)
        assert_int_equal(rd(f, PRIORITY(s)), 0);
    assert_int_equal(rd(f, PENDING(0)), 0);
    assert_int_equal(rd(f, CLAIM(1)), 0);
    assert_int_equal(eip(f, 0), 0);
    assert_int_equal(eip(f, 1), 0);
}

static void test_pending_follows_line(void **state)
{
    struct fixture *f = *state;
    plic_set_irq(f->p, 10, 1);
    assert_int_equal(rd(f, PENDING(0)), 1u << 10);
    plic_set_irq(f->p, 40, 1);
    assert_int_equal(rd(f, PENDING(1)), 1u << 8);
    plic_set_irq(f->p, 95, 1);
    assert_int_equal(rd(f, PENDING(2)), 1u << 31);
    /* Lowered before anyone claimed it: the request is withdrawn. */
    plic_set_irq(f->p, 10, 0);
    assert_int_equal(rd(f, PENDING(0)), 0);
    /* Writes to pending are ignored. */
    wr(f, PENDING(0), 0xffffffff);
    assert_int_equal(rd(f, PENDING(0)), 0);
}

static void test_claim_complete_smode(void **state)
{
    struct fixture *f = *state;
    wr(f, PRIORITY(10), 1);
    wr(f, ENABLE(1, 0), 1u << 10);          /* hart 0, S-mode context */
    wr(f, THRESHOLD(1), 0);
    assert_int_equal(eip(f, 0), 0);
    plic_set_irq(f->p, 10, 1);
    assert_int_equal(eip(f, 0), MIP_SEIP);  /* S context drives SEIP only */
    assert_int_equal(eip(f, 1), 0);

    assert_int_equal(rd(f, CLAIM(1)), 10);
    assert_int_equal(rd(f, PENDING(0)), 0);
    assert_int_equal(eip(f, 0), 0);
    assert_int_equal(rd(f, CLAIM(1)), 0);   /* in service: not claimable twice */

    /* Line still high at completion: pending again, and the output rises again. */
    wr(f, CLAIM(1), 10);
    assert_int_equal(rd(f, PENDING(0)), 1u << 10);
    assert_int_equal(eip(f, 0), MIP_SEIP);
    assert_int_equal(rd(f, CLAIM(1)), 10);

    /* Line dropped while in service: completion leaves nothing pending. */
    plic_set_irq(f->p, 10, 0);
    wr(f, CLAIM(1), 10);
    assert_int_equal(rd(f, PENDING(0)), 0);
    assert_int_equal(eip(f, 0), 0);

    /* A line that rises while in service is held until completion. */
    plic_set_irq(f->p, 10, 1);
    assert_int_equal(rd(f, CLAIM(1)), 10);
    plic_set_irq(f->p, 10, 0);
    plic_set_irq(f->p, 10, 1);
    assert_int_equal(eip(f, 0), 0);
    wr(f, CLAIM(1), 10);
    assert_int_equal(eip(f, 0), MIP_SEIP);
}

static void test_mmode_context_and_second_hart(void **state)
{
    struct fixture *f = *state;
    wr(f, PRIORITY(3), 2);
    wr(f, ENABLE(0, 0), 1u << 3);           /* hart 0 M */
    wr(f, ENABLE(3, 0), 1u << 3);           /* hart 1 S */
    plic_set_irq(f->p, 3, 1);
    assert_int_equal(eip(f, 0), MIP_MEIP);
    assert_int_equal(eip(f, 1), MIP_SEIP);
    /* Claimed by hart 1: no longer pending for anyone. */
    assert_int_equal(rd(f, CLAIM(3)), 3);
    assert_int_equal(eip(f, 0), 0);
    assert_int_equal(eip(f, 1), 0);
    assert_int_equal(rd(f, CLAIM(0)), 0);
    plic_set_irq(f->p, 3, 0);
    wr(f, CLAIM(3), 3);
    assert_int_equal(rd(f, PENDING(0)), 0);
}

static void test_priority_and_threshold(void **state)
{
    struct fixture *f = *state;
    wr(f, ENABLE(1, 0), (1u << 5) | (1u << 6) | (1u << 7));
    wr(f, PRIORITY(5), 2);
    wr(f, PRIORITY(6), 5);
    wr(f, PRIORITY(7), 5);
    assert_int_equal(rd(f, PRIORITY(6)), 5);
    wr(f, PRIORITY(6), 0xffffffff);         /* WARL: 3 bits implemented */
    assert_int_equal(rd(f, PRIORITY(6)), 7);
    wr(f, PRIORITY(6), 5);
    plic_set_irq(f->p, 5, 1);
    plic_set_irq(f->p, 6, 1);
    plic_set_irq(f->p, 7, 1);

    /* Threshold 5 masks everything at or below 5. */
    wr(f, THRESHOLD(1), 5);
    assert_int_equal(rd(f, THRESHOLD(1)), 5);
    assert_int_equal(eip(f, 0), 0);
    assert_int_equal(rd(f, CLAIM(1)), 0);
    wr(f, THRESHOLD(1), 4);
    assert_int_equal(eip(f, 0), MIP_SEIP);
    /* Equal priorities: lowest id first; 5 stays below the threshold. */
    assert_int_equal(rd(f, CLAIM(1)), 6);
    assert_int_equal(rd(f, CLAIM(1)), 7);
    assert_int_equal(rd(f, CLAIM(1)), 0);
    wr(f, THRESHOLD(1), 0);
    assert_int_equal(rd(f, CLAIM(1)), 5);

    /* Priority 0 never interrupts. */
    wr(f, CLAIM(1), 5);
    wr(f, PRIORITY(5), 0);
    assert_int_equal(rd(f, CLAIM(1)), 0);
}

static void test_disabled_source_and_complete_rules(void **state)
{
    struct fixture *f = *state;
    wr(f, PRIORITY(9), 1);
    plic_set_irq(f->p, 9, 1);
    assert_int_equal(rd(f, CLAIM(1)), 0);   /* not enabled on this context */
    assert_int_equal(eip(f, 0), 0);
    wr(f, ENABLE(1, 0), 1u << 9);
    assert_int_equal(eip(f, 0), MIP_SEIP);
    assert_int_equal(rd(f, CLAIM(1)), 9);
    /* Completion is ignored while the source is disabled on the completing context. */
    wr(f, ENABLE(1, 0), 0);
    wr(f, CLAIM(1), 9);
    wr(f, ENABLE(1, 0), 1u << 9);
    assert_int_equal(rd(f, CLAIM(1)), 0);
    wr(f, CLAIM(1), 9);
    assert_int_equal(rd(f, CLAIM(1)), 9);
    /* Completing something never claimed is harmless. */
    wr(f, CLAIM(1), 4);
    wr(f, CLAIM(1), 9);
}

static void test_hostile_writes(void **state)
{
    struct fixture *f = *state;
    /* Source 0 and sources past 95 do not exist. */
    wr(f, PRIORITY(0), 7);
    assert_int_equal(rd(f, PRIORITY(0)), 0);
    wr(f, PRIORITY(96), 7);
    assert_int_equal(rd(f, PRIORITY(96)), 0);
    wr(f, PRIORITY(1023), 7);
    plic_set_irq(f->p, 0, 1);
    plic_set_irq(f->p, 96, 1);
    plic_set_irq(f->p, -5, 1);
    plic_set_irq(f->p, 1 << 30, 1);
    for (int w = 0; w < 4; w++)
        assert_int_equal(rd(f, PENDING(w)), 0);
    /* Enable bit 0 and bits above source 95 are hardwired to zero. */
    wr(f, ENABLE(1, 0), 0xffffffff);
    assert_int_equal(rd(f, ENABLE(1, 0)), 0xfffffffe);
    wr(f, ENABLE(1, 2), 0xffffffff);
    assert_int_equal(rd(f, ENABLE(1, 2)), 0xffffffff);  /* 64..95 all exist */
    wr(f, ENABLE(1, 3), 0xffffffff);
    assert_int_equal(rd(f, ENABLE(1, 3)), 0);
    /* Contexts past 2 * NHARTS do not exist. */
    wr(f, ENABLE(4, 0), 0xffffffff);
    assert_int_equal(rd(f, ENABLE(4, 0)), 0);
    wr(f, THRESHOLD(4), 1);
    assert_int_equal(rd(f, THRESHOLD(4)), 0);
    wr(f, CLAIM(1000), 10);
    assert_int_equal(rd(f, CLAIM(1023)), 0);
    /* Bogus completions and wrong widths. */
    wr(f, CLAIM(1), 0);
    wr(f, CLAIM(1), 96);
    wr(f, CLAIM(1), 0xffffffff);
    f->r.write(f->r.opaque, PRIORITY(1), 7, 1);
    f->r.write(f->r.opaque, PRIORITY(1), 7, 8);
    f->r.write(f->r.opaque, PRIORITY(1) + 2, 7, 4);
    assert_int_equal(rd(f, PRIORITY(1)), 0);
    assert_int_equal(f->r.read(f->r.opaque, PRIORITY(1), 2), 0);
    assert_int_equal(rd(f, 0x1ffffc), 0);
    assert_int_equal(rd(f, 0x5ffffc), 0);
    assert_int_equal(eip(f, 0), 0);
    assert_int_equal(eip(f, 1), 0);
}

static void test_bad_construction(void **state)
{
    (void)state;
    struct hart_if none[2] = {{0}, {0}};
    assert_null(plic_new(none, 2));
    assert_null(plic_new(none, 0));
    assert_null(plic_new(none, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_region_and_reset_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_follows_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_complete_smode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmode_context_and_second_hart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_and_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_source_and_complete_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_writes, setup, teardown),
        cmocka_unit_test(test_bad_construction),
    };
    return cmocka_run_group_tests_name("plic", tests, NULL, NULL);
}
