/*
 * Device tree: build it, then read it back with libfdt the way OpenSBI and Linux do, and
 * make sure dtc accepts it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include "riscv/fdt.h"

#define ISA "rv64imafdc_zicntr_zicsr_zifencei_sstc"

static struct rv_fdt_config base_config(void)
{
    return (struct rv_fdt_config){
        .ram_base = 0x80000000,
        .ram_size = 512ULL << 20,
        .nharts = 1,
        .isa = ISA,
        .bootargs = "console=ttyS0 earlycon=sbi rw",
        .initrd_start = 0x88000000,
        .initrd_end = 0x88123456,
        .virtio_slots = 8,
    };
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0)
        fail_msg("missing node %s: %s", path, fdt_strerror(off));
    return off;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    const void *p = fdt_getprop(fdt, node(fdt, path), name, len);
    if (!p)
        fail_msg("missing %s:%s", path, name);
    return p;
}

static uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);
    assert_int_equal(len, 4);
    return fdt32_to_cpu(*p);
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
    int len;
    const void *p = prop(fdt, path, name, &len);
    assert_int_equal(len, 8);
    fdt64_t v;  /* properties are only 4-byte aligned */
    memcpy(&v, p, sizeof(v));
    return fdt64_to_cpu(v);
}

static void assert_str(const void *fdt, const char *path, const char *name, const char *want)
{
    int len;
    const char *p = prop(fdt, path, name, &len);
    assert_int_equal(len, (int)strlen(want) + 1);
    assert_string_equal(p, want);
}

/* A string list compared against "a\0b\0c\0" given with its full length. */
static void assert_strlist(const void *fdt, const char *path, const char *name,
                           const char *want, int want_len)
{
    int len;
    const char *p = prop(fdt, path, name, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(p, want, (size_t)want_len);
}

static void assert_cells(const void *fdt, const char *path, const char *name,
                         const uint32_t *want, int n)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);
    assert_int_equal(len, 4 * n);
    for (int i = 0; i < n; i++)
        assert_int_equal(fdt32_to_cpu(p[i]), want[i]);
}

static void assert_reg(const void *fdt, const char *path, uint64_t addr, uint64_t size)
{
    uint32_t want[4] = {(uint32_t)(addr >> 32), (uint32_t)addr, (uint32_t)(size >> 32),
                        (uint32_t)size};
    assert_cells(fdt, path, "reg", want, 4);
}

static void *build_ok(const struct rv_fdt_config *cfg, size_t *size)
{
    void *fdt = rv_fdt_build(cfg, size);
    assert_non_null(fdt);
    assert_int_equal(fdt_check_header(fdt), 0);
    assert_int_equal(fdt_totalsize(fdt), *size);
    return fdt;
}

static void test_root_chosen_memory(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    size_t size;
    void *fdt = build_ok(&cfg, &size);

    assert_int_equal(prop_u32(fdt, "/", "#address-cells"), 2);
    assert_int_equal(prop_u32(fdt, "/", "#size-cells"), 2);
    assert_str(fdt, "/", "compatible", "riscv-virtio");
    int len;
    assert_non_null(prop(fdt, "/", "model", &len));

    assert_str(fdt, "/chosen", "bootargs", cfg.bootargs);
    assert_str(fdt, "/chosen", "stdout-path", "/soc/serial@10000000");
    assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-start"), 0x88000000);
    assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-end"), 0x88123456);
    /* stdout-path must name a node that exists. */
    assert_true(fdt_path_offset(fdt, "/soc/serial@10000000") >= 0);

    assert_str(fdt, "/memory@80000000", "device_type", "memory");
    assert_reg(fdt, "/memory@80000000", 0x80000000, 512ULL << 20);
    free(fdt);
}

static void test_cpus(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    cfg.nharts = 3;
    size_t size;
    void *fdt = build_ok(&cfg, &size);

    assert_int_equal(prop_u32(fdt, "/cpus", "timebase-frequency"), 10000000);
    assert_int_equal(prop_u32(fdt, "/cpus", "#address-cells"), 1);
    assert_int_equal(prop_u32(fdt, "/cpus", "#size-cells"), 0);
    static const char exts[] = "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei\0sstc";
    for (int h = 0; h < 3; h++) {
        char path[64], intc[96], core[64];
        snprintf(path, sizeof(path), "/cpus/cpu@%d", h);
        snprintf(intc, sizeof(intc), "%s/interrupt-controller", path);
        snprintf(core, sizeof(core), "/cpus/cpu-map/cluster0/core%d", h);
        assert_str(fdt, path, "device_type", "cpu");
        assert_int_equal(prop_u32(fdt, path, "reg"), (uint32_t)h);
        assert_str(fdt, path, "status", "okay");
        assert_str(fdt, path, "compatible", "riscv");
        assert_str(fdt, path, "riscv,isa", ISA);
        assert_str(fdt, path, "riscv,isa-base", "rv64i");
        assert_strlist(fdt, path, "riscv,isa-extensions", exts, sizeof(exts));
        assert_str(fdt, path, "mmu-type", "riscv,sv48");
        assert_str(fdt, intc, "compatible", "riscv,cpu-intc");
        assert_int_equal(prop_u32(fdt, intc, "#interrupt-cells"), 1);
        int len;
        prop(fdt, intc, "interrupt-controller", &len);
        assert_int_equal(len, 0);
        uint32_t ph = prop_u32(fdt, intc, "phandle");
        assert_int_equal(fdt_node_offset_by_phandle(fdt, ph), node(fdt, intc));
        uint32_t cpu_ph = prop_u32(fdt, core, "cpu");
        assert_int_equal(fdt_node_offset_by_phandle(fdt, cpu_ph), node(fdt, path));
    }
    assert_true(fdt_path_offset(fdt, "/cpus/cpu@3") < 0);
    free(fdt);
}

static void test_interrupt_controllers(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    cfg.nharts = 2;
    size_t size;
    void *fdt = build_ok(&cfg, &size);

    uint32_t intc0 = prop_u32(fdt, "/cpus/cpu@0/interrupt-controller", "phandle");
    uint32_t intc1 = prop_u32(fdt, "/cpus/cpu@1/interrupt-controller", "phandle");
    assert_int_not_equal(intc0, intc1);

    assert_str(fdt, "/soc", "compatible", "simple-bus");
    int len;
    prop(fdt, "/soc", "ranges", &len);
    assert_int_equal(len, 0);

    const char *clint = "/soc/clint@2000000";
    assert_strlist(fdt, clint, "compatible", "sifive,clint0\0riscv,clint0", 27);
    assert_reg(fdt, clint, 0x2000000, 0x10000);
    uint32_t clint_irqs[] = {intc0, 3, intc0, 7, intc1, 3, intc1, 7};
    assert_cells(fdt, clint, "interrupts-extended", clint_irqs, 8);

    const char *plic = "/soc/plic@c000000";
    assert_strlist(fdt, plic, "compatible", "sifive,plic-1.0.0\0riscv,plic0", 30);
    assert_reg(fdt, plic, 0xc000000, 0x600000);
    assert_int_equal(prop_u32(fdt, plic, "#interrupt-cells"), 1);
    assert_int_equal(prop_u32(fdt, plic, "#address-cells"), 0);
    assert_int_equal(prop_u32(fdt, plic, "riscv,ndev"), 95);
    prop(fdt, plic, "interrupt-controller", &len);
    assert_int_equal(len, 0);
    uint32_t plic_irqs[] = {intc0, 11, intc0, 9, intc1, 11, intc1, 9};
    assert_cells(fdt, plic, "interrupts-extended", plic_irqs, 8);
    uint32_t plic_ph = prop_u32(fdt, plic, "phandle");
    assert_int_equal(fdt_node_offset_by_phandle(fdt, plic_ph), node(fdt, plic));

    const char *uart = "/soc/serial@10000000";
    assert_str(fdt, uart, "compatible", "ns16550a");
    assert_reg(fdt, uart, 0x10000000, 0x100);
    assert_int_equal(prop_u32(fdt, uart, "clock-frequency"), 0x384000);
    assert_int_equal(prop_u32(fdt, uart, "interrupts"), 10);
    assert_int_equal(prop_u32(fdt, uart, "interrupt-parent"), plic_ph);

    const char *rtc = "/soc/rtc@101000";
    assert_str(fdt, rtc, "compatible", "google,goldfish-rtc");
    assert_reg(fdt, rtc, 0x101000, 0x1000);
    assert_int_equal(prop_u32(fdt, rtc, "interrupts"), 11);
    assert_int_equal(prop_u32(fdt, rtc, "interrupt-parent"), plic_ph);
    free(fdt);
}

static void test_power_nodes(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    size_t size;
    void *fdt = build_ok(&cfg, &size);

    const char *test = "/soc/test@100000";
    assert_strlist(fdt, test, "compatible", "sifive,test1\0sifive,test0\0syscon", 33);
    assert_reg(fdt, test, 0x100000, 0x1000);
    uint32_t test_ph = prop_u32(fdt, test, "phandle");

    int off = fdt_node_offset_by_compatible(fdt, -1, "syscon-poweroff");
    assert_true(off >= 0);
    char path[128];
    assert_int_equal(fdt_get_path(fdt, off, path, sizeof(path)), 0);
    assert_int_equal(prop_u32(fdt, path, "regmap"), test_ph);
    assert_int_equal(prop_u32(fdt, path, "offset"), 0);
    assert_int_equal(prop_u32(fdt, path, "value"), 0x5555);

    off = fdt_node_offset_by_compatible(fdt, -1, "syscon-reboot");
    assert_true(off >= 0);
    assert_int_equal(fdt_get_path(fdt, off, path, sizeof(path)), 0);
    assert_int_equal(prop_u32(fdt, path, "regmap"), test_ph);
    assert_int_equal(prop_u32(fdt, path, "value"), 0x7777);
    free(fdt);
}

static int count_compatible(const void *fdt, const char *compat)
{
    int n = 0;
    for (int off = fdt_node_offset_by_compatible(fdt, -1, compat); off >= 0;
         off = fdt_node_offset_by_compatible(fdt, off, compat))
        n++;
    return n;
}

static void test_virtio_slots(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    size_t size;
    void *fdt = build_ok(&cfg, &size);
    assert_int_equal(count_compatible(fdt, "virtio,mmio"), 8);
    uint32_t plic_ph = prop_u32(fdt, "/soc/plic@c000000", "phandle");
    for (int i = 0; i < 8; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/soc/virtio_mmio@%x", 0x10001000 + 0x1000 * i);
        assert_reg(fdt, path, 0x10001000 + 0x1000 * (uint64_t)i, 0x1000);
        assert_int_equal(prop_u32(fdt, path, "interrupts"), (uint32_t)(1 + i));
        assert_int_equal(prop_u32(fdt, path, "interrupt-parent"), plic_ph);
    }
    free(fdt);

    cfg.virtio_slots = 3;
    fdt = build_ok(&cfg, &size);
    assert_int_equal(count_compatible(fdt, "virtio,mmio"), 3);
    assert_true(fdt_path_offset(fdt, "/soc/virtio_mmio@10003000") >= 0);
    assert_true(fdt_path_offset(fdt, "/soc/virtio_mmio@10004000") < 0);
    free(fdt);

    cfg.virtio_slots = 0;
    fdt = build_ok(&cfg, &size);
    assert_int_equal(count_compatible(fdt, "virtio,mmio"), 0);
    free(fdt);
}

static void test_optional_parts(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    cfg.bootargs = NULL;
    cfg.initrd_start = cfg.initrd_end = 0;
    size_t size;
    void *fdt = build_ok(&cfg, &size);
    int off = node(fdt, "/chosen");
    assert_null(fdt_getprop(fdt, off, "bootargs", NULL));
    assert_null(fdt_getprop(fdt, off, "linux,initrd-start", NULL));
    assert_null(fdt_getprop(fdt, off, "linux,initrd-end", NULL));
    assert_str(fdt, "/chosen", "stdout-path", "/soc/serial@10000000");
    free(fdt);

    /* A long command line still fits. */
    char *longargs = malloc(20000);
    assert_non_null(longargs);
    memset(longargs, 'x', 19999);
    longargs[19999] = '\0';
    cfg.bootargs = longargs;
    fdt = build_ok(&cfg, &size);
    assert_str(fdt, "/chosen", "bootargs", longargs);
    free(fdt);
    free(longargs);

    /* "g" expands to its extensions; duplicates are listed once. */
    cfg = base_config();
    cfg.isa = "rv64gc_zicsr_sstc";
    fdt = build_ok(&cfg, &size);
    static const char exts[] = "i\0m\0a\0f\0d\0zicsr\0zifencei\0c\0sstc";
    assert_strlist(fdt, "/cpus/cpu@0", "riscv,isa-extensions", exts, sizeof(exts));
    free(fdt);
}

/* The kernel's early RNG seed: the host's each boot, fixed under --icount (replays). */
static void test_rng_seed(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    size_t size;
    int len_a, len_b;
    void *a = build_ok(&cfg, &size), *b = build_ok(&cfg, &size);
    const uint8_t *sa = prop(a, "/chosen", "rng-seed", &len_a);
    const uint8_t *sb = prop(b, "/chosen", "rng-seed", &len_b);
    assert_int_equal(len_a, len_b);
    assert_true(len_a >= 32);
    assert_memory_not_equal(sa, sb, (size_t)len_a);
    free(a);
    free(b);

    cfg.fixed_rng_seed = true;
    a = build_ok(&cfg, &size);
    b = build_ok(&cfg, &size);
    sa = prop(a, "/chosen", "rng-seed", &len_a);
    sb = prop(b, "/chosen", "rng-seed", &len_b);
    assert_int_equal(len_a, len_b);
    assert_memory_equal(sa, sb, (size_t)len_a);
    /* Fixed, but not a constant fill: the kernel credits it as entropy. */
    assert_memory_not_equal(sa, sa + 8, 8);
    free(a);
    free(b);
}

static void test_bad_configs(void **state)
{
    (void)state;
    size_t size = 12345;
    struct rv_fdt_config cfg = base_config();
    cfg.nharts = 0;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg.nharts = RV_FDT_MAX_HARTS + 1;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg = base_config();
    cfg.ram_size = 0;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg = base_config();
    cfg.ram_base = UINT64_MAX - 4095;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg = base_config();
    cfg.initrd_start = 0x90000000;
    cfg.initrd_end = 0x80000000;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg = base_config();
    cfg.virtio_slots = 9;
    assert_null(rv_fdt_build(&cfg, &size));
    cfg.virtio_slots = -1;
    assert_null(rv_fdt_build(&cfg, &size));
    static const char *const bad_isas[] = {NULL, "", "rv64", "x86_64", "rv64imac_", "rv64i m",
                                           "rv64i_zi$csr", "rv128i"};
    for (size_t i = 0; i < sizeof(bad_isas) / sizeof(bad_isas[0]); i++) {
        cfg = base_config();
        cfg.isa = bad_isas[i];
        assert_null(rv_fdt_build(&cfg, &size));
    }
    assert_null(rv_fdt_build(NULL, &size));
    assert_int_equal(size, 12345);
}

static void test_max_harts(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    cfg.nharts = RV_FDT_MAX_HARTS;
    size_t size;
    void *fdt = build_ok(&cfg, &size);
    char path[64];
    snprintf(path, sizeof(path), "/cpus/cpu@%x", RV_FDT_MAX_HARTS - 1);
    assert_true(fdt_path_offset(fdt, path) >= 0);
    int len;
    prop(fdt, "/soc/plic@c000000", "interrupts-extended", &len);
    assert_int_equal(len, 16 * RV_FDT_MAX_HARTS);
    free(fdt);
}

/* --uart sifive|both: the SiFive UART node as Linux's SERIAL_SIFIVE needs it. */
static void test_sifive_uart(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    size_t size;
    void *fdt = build_ok(&cfg, &size);
    /* Default: no SiFive UART, no clock, no alias. */
    assert_true(fdt_path_offset(fdt, "/soc/serial@10010000") < 0);
    assert_true(fdt_path_offset(fdt, "/aliases") < 0);
    assert_true(fdt_path_offset(fdt, "/uartclk") < 0);
    free(fdt);

    for (int only = 0; only <= 1; only++) {
        cfg = base_config();
        cfg.sifive_uart = true;
        cfg.no_ns16550 = only;
        fdt = build_ok(&cfg, &size);
        const char *uart = "/soc/serial@10010000";
        uint32_t plic_ph = prop_u32(fdt, "/soc/plic@c000000", "phandle");
        assert_strlist(fdt, uart, "compatible", "sifive,fu540-c000-uart\0sifive,uart0", 36);
        assert_reg(fdt, uart, 0x10010000, 0x1000);
        assert_int_equal(prop_u32(fdt, uart, "interrupts"), 12);
        assert_int_equal(prop_u32(fdt, uart, "interrupt-parent"), plic_ph);
        /* Linux takes the rate from a clock provider, not from clock-frequency. */
        uint32_t clk = prop_u32(fdt, uart, "clocks");
        int clk_off = fdt_node_offset_by_phandle(fdt, clk);
        assert_int_equal(clk_off, node(fdt, "/uartclk"));
        assert_str(fdt, "/uartclk", "compatible", "fixed-clock");
        assert_int_equal(prop_u32(fdt, "/uartclk", "#clock-cells"), 0);
        assert_true(prop_u32(fdt, "/uartclk", "clock-frequency") >= 16 * 115200);
        /* Its driver refuses a port without a serial alias. */
        assert_str(fdt, "/aliases", "serial0", uart);
        assert_int_equal(fdt_path_offset(fdt, "/soc/serial@10000000") < 0, only);
        assert_str(fdt, "/chosen", "stdout-path", only ? uart : "/soc/serial@10000000");
        free(fdt);
    }

    /* Under --irqchip aia: the same source, on the APLIC's S domain, level-high. */
    cfg = base_config();
    cfg.sifive_uart = true;
    cfg.aia = true;
    fdt = build_ok(&cfg, &size);
    uint32_t sif_irq[] = {12, 4};
    assert_cells(fdt, "/soc/serial@10010000", "interrupts", sif_irq, 2);
    assert_int_equal(prop_u32(fdt, "/soc/serial@10010000", "interrupt-parent"),
                     prop_u32(fdt, "/soc/aplic@d000000", "phandle"));
    free(fdt);

    /* A board with no UART at all is refused. */
    cfg = base_config();
    cfg.no_ns16550 = true;
    assert_null(rv_fdt_build(&cfg, &size));
}

/* --irqchip aia: the node shapes of QEMU's -M virt,aia=aplic-imsic. */
static void test_aia_controllers(void **state)
{
    (void)state;
    struct rv_fdt_config cfg = base_config();
    cfg.nharts = 2;
    cfg.aia = true;
    size_t size;
    void *fdt = build_ok(&cfg, &size);
    uint32_t intc0 = prop_u32(fdt, "/cpus/cpu@0/interrupt-controller", "phandle");
    uint32_t intc1 = prop_u32(fdt, "/cpus/cpu@1/interrupt-controller", "phandle");
    assert_true(fdt_path_offset(fdt, "/soc/plic@c000000") < 0);
    int len;

    const char *im = "/soc/imsics@24000000", *is = "/soc/imsics@28000000";
    uint32_t m_irqs[] = {intc0, 11, intc1, 11}, s_irqs[] = {intc0, 9, intc1, 9};
    assert_cells(fdt, im, "interrupts-extended", m_irqs, 4);
    assert_cells(fdt, is, "interrupts-extended", s_irqs, 4);
    for (int i = 0; i < 2; i++) {
        const char *n = i ? is : im;
        assert_str(fdt, n, "compatible", "riscv,imsics");
        assert_reg(fdt, n, i ? 0x28000000 : 0x24000000, 2 * 0x1000);
        assert_int_equal(prop_u32(fdt, n, "riscv,num-ids"), 255);
        assert_int_equal(prop_u32(fdt, n, "#interrupt-cells"), 0);
        prop(fdt, n, "msi-controller", &len);
        assert_int_equal(len, 0);
        prop(fdt, n, "interrupt-controller", &len);
        assert_int_equal(len, 0);
    }
    uint32_t im_ph = prop_u32(fdt, im, "phandle"), is_ph = prop_u32(fdt, is, "phandle");

    const char *am = "/soc/aplic@c000000", *as = "/soc/aplic@d000000";
    uint32_t as_ph = prop_u32(fdt, as, "phandle");
    assert_int_equal(fdt_node_offset_by_phandle(fdt, as_ph), node(fdt, as));
    for (int i = 0; i < 2; i++) {
        const char *n = i ? as : am;
        assert_str(fdt, n, "compatible", "riscv,aplic");
        assert_reg(fdt, n, i ? 0xd000000 : 0xc000000, 0x8000);
        assert_int_equal(prop_u32(fdt, n, "riscv,num-sources"), 96);
        assert_int_equal(prop_u32(fdt, n, "#interrupt-cells"), 2);
        assert_int_equal(prop_u32(fdt, n, "msi-parent"), i ? is_ph : im_ph);
    }
    /* The root delegates every source to its one child, the S domain. */
    assert_int_equal(prop_u32(fdt, am, "riscv,children"), as_ph);
    uint32_t deleg[] = {as_ph, 1, 96};
    assert_cells(fdt, am, "riscv,delegation", deleg, 3);
    assert_null(fdt_getprop(fdt, node(fdt, as), "riscv,children", NULL));

    /* Devices keep their source numbers, on the S domain, level-high. */
    uint32_t uart_irq[] = {10, 4}, rtc_irq[] = {11, 4}, virtio7[] = {8, 4};
    assert_cells(fdt, "/soc/serial@10000000", "interrupts", uart_irq, 2);
    assert_cells(fdt, "/soc/rtc@101000", "interrupts", rtc_irq, 2);
    assert_cells(fdt, "/soc/virtio_mmio@10008000", "interrupts", virtio7, 2);
    assert_int_equal(prop_u32(fdt, "/soc/serial@10000000", "interrupt-parent"), as_ph);
    assert_int_equal(prop_u32(fdt, "/soc/virtio_mmio@10008000", "interrupt-parent"), as_ph);
    free(fdt);
}

static void test_dtc_accepts_it(void **state)
{
    (void)state;
    if (system("command -v dtc >/dev/null 2>&1") != 0)
        skip();
    /* Both interrupt controllers' trees. */
    for (int aia = 0; aia < 2; aia++) {
        struct rv_fdt_config cfg = base_config();
        cfg.nharts = 2;
        cfg.aia = aia;
        cfg.sifive_uart = aia;      /* and one of them with the SiFive UART */
        size_t size;
        void *fdt = build_ok(&cfg, &size);
        char tmpl[] = "/tmp/kite-test-fdt-XXXXXX";
        int fd = mkstemp(tmpl);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, fdt, size), (ssize_t)size);
        close(fd);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts -o /dev/null %s", tmpl);
        int rc = system(cmd);
        unlink(tmpl);
        free(fdt);
        assert_int_equal(rc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_chosen_memory),
        cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_interrupt_controllers),
        cmocka_unit_test(test_power_nodes),
        cmocka_unit_test(test_virtio_slots),
        cmocka_unit_test(test_optional_parts),
        cmocka_unit_test(test_rng_seed),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_max_harts),
        cmocka_unit_test(test_sifive_uart),
        cmocka_unit_test(test_aia_controllers),
        cmocka_unit_test(test_dtc_accepts_it),
    };
    return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
