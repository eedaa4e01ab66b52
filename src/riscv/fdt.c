#include "riscv/fdt.h"

#include <ctype.h>
#include <libfdt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "backend/entropy.h"
#include "core/clock.h"
#include "core/log.h"
#include "riscv/virt_map.h"

/* Interrupt numbers in a hart's local interrupt controller (mcause codes). */
#define IRQ_S_SOFT  1
#define IRQ_M_SOFT  3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT   9
#define IRQ_M_EXT   11

#define UART_CLOCK_HZ 3686400u
/* Nominal: kite does not time bytes by it, but Linux's SERIAL_SIFIVE and OpenSBI compute
 * the divisor from it and Linux refuses a SiFive UART without a clock. */
#define SIFIVE_UART_CLOCK_HZ 500000000u
#define UART_16550_PATH "/soc/serial@10000000"
#define SIFIVE_UART_PATH "/soc/serial@10010000"
#define RNG_SEED_BYTES 32

#define ISA_MAX_EXTS 64
#define ISA_EXT_LEN  32

/* "riscv,isa-extensions" wants each extension as one string of a string list. */
struct isa_exts {
    char base[8];                       /* "rv64i" */
    char list[ISA_MAX_EXTS][ISA_EXT_LEN];
    int count;
};

static bool isa_has(const struct isa_exts *e, const char *name)
{
    for (int i = 0; i < e->count; i++)
        if (strcmp(e->list[i], name) == 0)
            return true;
    return false;
}

static int isa_add(struct isa_exts *e, const char *name, size_t len)
{
    if (len == 0 || len >= ISA_EXT_LEN || e->count >= ISA_MAX_EXTS)
        return -1;
    char tmp[ISA_EXT_LEN];
    for (size_t i = 0; i < len; i++)
        tmp[i] = (char)tolower((unsigned char)name[i]);
    tmp[len] = '\0';
    if (!isa_has(e, tmp))
        snprintf(e->list[e->count++], ISA_EXT_LEN, "%s", tmp);
    return 0;
}

/*
 * Splits "rv64imafdc_zicsr_..." into its extensions. Version suffixes are not supported:
 * kite builds the string itself, so anything unexpected is a bug worth refusing.
 */
static int isa_parse(const char *isa, struct isa_exts *e)
{
    memset(e, 0, sizeof(*e));
    if (strncasecmp(isa, "rv64", 4) != 0 && strncasecmp(isa, "rv32", 4) != 0)
        return -1;
    snprintf(e->base, sizeof(e->base), "rv%.2si", isa + 2);
    const char *p = isa + 4;
    if (*p != 'i' && *p != 'I' && *p != 'g' && *p != 'G')
        return -1;
    for (; *p && *p != '_'; p++) {
        char c = (char)tolower((unsigned char)*p);
        if (c < 'a' || c > 'z')
            return -1;
        if (c == 'g') {
            /* G is shorthand for IMAFD plus Zicsr and Zifencei. */
            static const char *const g[] = {"i", "m", "a", "f", "d", "zicsr", "zifencei"};
            for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
                if (isa_add(e, g[i], strlen(g[i])) < 0)
                    return -1;
        } else if (isa_add(e, &c, 1) < 0) {
            return -1;
        }
    }
    while (*p == '_') {
        const char *start = ++p;
        while (*p && *p != '_') {
            if (!isalnum((unsigned char)*p))
                return -1;
            p++;
        }
        if (isa_add(e, start, (size_t)(p - start)) < 0)
            return -1;
    }
    return *p ? -1 : 0;
}

static int validate(const struct rv_fdt_config *cfg, struct isa_exts *exts)
{
    if (cfg->nharts < 1 || cfg->nharts > RV_FDT_MAX_HARTS) {
        log_error("fdt", "unsupported hart count %d", cfg->nharts);
        return -1;
    }
    if (cfg->ram_size == 0 || cfg->ram_base + cfg->ram_size < cfg->ram_base) {
        log_error("fdt", "bad RAM range %#llx+%#llx", (unsigned long long)cfg->ram_base,
                  (unsigned long long)cfg->ram_size);
        return -1;
    }
    if (!cfg->isa || isa_parse(cfg->isa, exts) < 0) {
        log_error("fdt", "cannot parse ISA string \"%s\"", cfg->isa ? cfg->isa : "(null)");
        return -1;
    }
    if (cfg->initrd_start > cfg->initrd_end) {
        log_error("fdt", "initrd ends before it starts");
        return -1;
    }
    if (cfg->no_ns16550 && !cfg->sifive_uart) {
        log_error("fdt", "a board without any UART");
        return -1;
    }
    if (cfg->virtio_slots < 0 || cfg->virtio_slots > (int)VIRT_VIRTIO_SLOTS) {
        log_error("fdt", "unsupported virtio slot count %d", cfg->virtio_slots);
        return -1;
    }
    return 0;
}

/*
 * libfdt's sequential-write calls all return 0 or a negative error; chaining them through
 * one accumulator keeps the builder readable and still reports the first failure.
 */
struct builder {
    void *fdt;
    int err;
};

static void chk(struct builder *b, int rc)
{
    if (rc < 0 && b->err == 0)
        b->err = rc;
}

static void begin(struct builder *b, const char *name)
{
    chk(b, fdt_begin_node(b->fdt, name));
}

/* A node named "<prefix>@<hex addr>" (or "<prefix><decimal n>" for cpu-map cores). */
static void begin_at(struct builder *b, const char *prefix, const char *sep, uint64_t n)
{
    char name[64];
    if (strcmp(sep, "@") == 0)
        snprintf(name, sizeof(name), "%s@%llx", prefix, (unsigned long long)n);
    else
        snprintf(name, sizeof(name), "%s%llu", prefix, (unsigned long long)n);
    begin(b, name);
}

static void end(struct builder *b)
{
    chk(b, fdt_end_node(b->fdt));
}

static void prop_u32(struct builder *b, const char *name, uint32_t v)
{
    chk(b, fdt_property_u32(b->fdt, name, v));
}

static void prop_u64(struct builder *b, const char *name, uint64_t v)
{
    chk(b, fdt_property_u64(b->fdt, name, v));
}

static void prop_str(struct builder *b, const char *name, const char *s)
{
    chk(b, fdt_property_string(b->fdt, name, s));
}

static void prop_empty(struct builder *b, const char *name)
{
    chk(b, fdt_property(b->fdt, name, NULL, 0));
}

/* A property of big-endian cells. */
static void prop_cells(struct builder *b, const char *name, const uint32_t *cells, int n)
{
    fdt32_t be[4];
    if (n > (int)(sizeof(be) / sizeof(be[0]))) {
        chk(b, -FDT_ERR_BADVALUE);
        return;
    }
    for (int i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    chk(b, fdt_property(b->fdt, name, be, n * (int)sizeof(be[0])));
}

/* reg = <addr size> with #address-cells = #size-cells = 2. */
static void prop_reg(struct builder *b, uint64_t addr, uint64_t size)
{
    uint32_t cells[4] = {(uint32_t)(addr >> 32), (uint32_t)addr, (uint32_t)(size >> 32),
                         (uint32_t)size};
    prop_cells(b, "reg", cells, 4);
}

/* A string-list property from NUL-separated parts given as one C string per part. */
static void prop_strlist(struct builder *b, const char *name, const char *const *parts, int n)
{
    char buf[ISA_MAX_EXTS * ISA_EXT_LEN];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(parts[i]) + 1;
        if (len + l > sizeof(buf)) {
            chk(b, -FDT_ERR_NOSPACE);
            return;
        }
        memcpy(buf + len, parts[i], l);
        len += l;
    }
    chk(b, fdt_property(b->fdt, name, buf, (int)len));
}

/* Both controllers list, per hart, <intc irq_a intc irq_b>. */
static void prop_per_hart_irqs(struct builder *b, const char *name, const uint32_t *intc,
                               int nharts, uint32_t irq_a, uint32_t irq_b)
{
    fdt32_t be[4 * RV_FDT_MAX_HARTS];
    for (int h = 0; h < nharts; h++) {
        be[4 * h + 0] = cpu_to_fdt32(intc[h]);
        be[4 * h + 1] = cpu_to_fdt32(irq_a);
        be[4 * h + 2] = cpu_to_fdt32(intc[h]);
        be[4 * h + 3] = cpu_to_fdt32(irq_b);
    }
    chk(b, fdt_property(b->fdt, name, be, 4 * nharts * (int)sizeof(be[0])));
}

/* Phandles of the interrupt controllers: the PLIC's, or the AIA's four nodes. */
struct irq_phandles {
    uint32_t plic;
    uint32_t imsic_m, imsic_s, aplic_m, aplic_s;
};

#define IRQ_TYPE_LEVEL_HIGH 4

/* A wired device interrupt: one cell on the PLIC, <source type> on the S-level APLIC. */
static void prop_dev_irq(struct builder *b, const struct rv_fdt_config *cfg,
                         const struct irq_phandles *ph, uint32_t source)
{
    if (cfg->aia) {
        uint32_t cells[2] = {source, IRQ_TYPE_LEVEL_HIGH};
        prop_cells(b, "interrupts", cells, 2);
        prop_u32(b, "interrupt-parent", ph->aplic_s);
    } else {
        prop_u32(b, "interrupts", source);
        prop_u32(b, "interrupt-parent", ph->plic);
    }
}

/* Per hart <intc irq>: an IMSIC's files signal one local interrupt each. */
static void prop_per_hart_irq(struct builder *b, const char *name, const uint32_t *intc,
                              int nharts, uint32_t irq)
{
    fdt32_t be[2 * RV_FDT_MAX_HARTS];
    for (int h = 0; h < nharts; h++) {
        be[2 * h + 0] = cpu_to_fdt32(intc[h]);
        be[2 * h + 1] = cpu_to_fdt32(irq);
    }
    chk(b, fdt_property(b->fdt, name, be, 2 * nharts * (int)sizeof(be[0])));
}

static void add_imsic(struct builder *b, const struct rv_fdt_config *cfg, const uint32_t *intc_ph,
                      uint64_t base, uint32_t phandle, uint32_t irq)
{
    begin_at(b, "imsics", "@", base);
    prop_u32(b, "phandle", phandle);
    prop_u32(b, "riscv,ipi-id", 1);
    prop_u32(b, "riscv,num-ids", VIRT_IMSIC_IDS);
    prop_reg(b, base, (uint64_t)cfg->nharts * VIRT_IMSIC_FILE_SIZE);
    prop_per_hart_irq(b, "interrupts-extended", intc_ph, cfg->nharts, irq);
    prop_empty(b, "msi-controller");
    prop_empty(b, "interrupt-controller");
    prop_u32(b, "#interrupt-cells", 0);
    prop_str(b, "compatible", "riscv,imsics");
    end(b);
}

/* The shapes of QEMU's -M virt,aia=aplic-imsic: the root APLIC delegates every source. */
static void add_aplic(struct builder *b, uint64_t base, uint32_t phandle, uint32_t msi_parent,
                      uint32_t child)
{
    begin_at(b, "aplic", "@", base);
    prop_u32(b, "phandle", phandle);
    if (child) {
        uint32_t deleg[3] = {child, 1, VIRT_APLIC_SOURCES};
        prop_cells(b, "riscv,delegation", deleg, 3);
        prop_u32(b, "riscv,children", child);
    }
    prop_u32(b, "riscv,num-sources", VIRT_APLIC_SOURCES);
    prop_reg(b, base, VIRT_APLIC_SIZE);
    prop_u32(b, "msi-parent", msi_parent);
    prop_empty(b, "interrupt-controller");
    prop_u32(b, "#interrupt-cells", 2);
    prop_str(b, "compatible", "riscv,aplic");
    end(b);
}

static void add_irqchip(struct builder *b, const struct rv_fdt_config *cfg,
                        const uint32_t *intc_ph, const struct irq_phandles *ph)
{
    static const char *const plic_compat[] = {"sifive,plic-1.0.0", "riscv,plic0"};
    if (cfg->aia) {
        add_imsic(b, cfg, intc_ph, VIRT_IMSIC_M_BASE, ph->imsic_m, IRQ_M_EXT);
        add_imsic(b, cfg, intc_ph, VIRT_IMSIC_S_BASE, ph->imsic_s, IRQ_S_EXT);
        add_aplic(b, VIRT_APLIC_M_BASE, ph->aplic_m, ph->imsic_m, ph->aplic_s);
        add_aplic(b, VIRT_APLIC_S_BASE, ph->aplic_s, ph->imsic_s, 0);
        return;
    }
    begin_at(b, "plic", "@", VIRT_PLIC_BASE);
    prop_u32(b, "phandle", ph->plic);
    prop_u32(b, "riscv,ndev", VIRT_PLIC_SOURCES);
    prop_reg(b, VIRT_PLIC_BASE, VIRT_PLIC_SIZE);
    prop_per_hart_irqs(b, "interrupts-extended", intc_ph, cfg->nharts, IRQ_M_EXT, IRQ_S_EXT);
    prop_empty(b, "interrupt-controller");
    prop_strlist(b, "compatible", plic_compat, 2);
    prop_u32(b, "#address-cells", 0);
    prop_u32(b, "#interrupt-cells", 1);
    end(b);
}

static void add_chosen(struct builder *b, const struct rv_fdt_config *cfg)
{
    begin(b, "chosen");
    if (cfg->bootargs)
        prop_str(b, "bootargs", cfg->bootargs);
    prop_str(b, "stdout-path", cfg->no_ns16550 ? SIFIVE_UART_PATH : UART_16550_PATH);
    if (cfg->initrd_end > cfg->initrd_start) {
        prop_u64(b, "linux,initrd-start", cfg->initrd_start);
        prop_u64(b, "linux,initrd-end", cfg->initrd_end);
    }
    /* Seeds the kernel's RNG before any entropy device exists; boots don't stall on it. */
    uint8_t seed[RNG_SEED_BYTES];
    if (cfg->fixed_rng_seed) {
        struct entropy_seeded s;
        entropy_seeded_init(&s, ENTROPY_SEED_FDT);
        entropy_seeded_fill(&s, seed, sizeof(seed));
        chk(b, fdt_property(b->fdt, "rng-seed", seed, sizeof(seed)));
    } else if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed)) {
        chk(b, fdt_property(b->fdt, "rng-seed", seed, sizeof(seed)));
    }
    end(b);
}

static void add_cpus(struct builder *b, const struct rv_fdt_config *cfg,
                     const struct isa_exts *exts, const uint32_t *cpu_ph, const uint32_t *intc_ph)
{
    const char *ext_names[ISA_MAX_EXTS];
    for (int i = 0; i < exts->count; i++)
        ext_names[i] = exts->list[i];

    begin(b, "cpus");
    prop_u32(b, "#address-cells", 1);
    prop_u32(b, "#size-cells", 0);
    prop_u32(b, "timebase-frequency", (uint32_t)CLOCK_TIMEBASE_HZ);
    for (int h = 0; h < cfg->nharts; h++) {
        begin_at(b, "cpu", "@", h);
        prop_u32(b, "phandle", cpu_ph[h]);
        prop_str(b, "device_type", "cpu");
        prop_u32(b, "reg", (uint32_t)h);
        prop_str(b, "status", "okay");
        prop_str(b, "compatible", "riscv");
        prop_str(b, "riscv,isa", cfg->isa);
        prop_str(b, "riscv,isa-base", exts->base);
        prop_strlist(b, "riscv,isa-extensions", ext_names, exts->count);
        prop_str(b, "mmu-type", "riscv,sv48");
        begin(b, "interrupt-controller");
        prop_u32(b, "#interrupt-cells", 1);
        prop_empty(b, "interrupt-controller");
        prop_str(b, "compatible", "riscv,cpu-intc");
        prop_u32(b, "phandle", intc_ph[h]);
        end(b);
        end(b);
    }
    begin(b, "cpu-map");
    begin(b, "cluster0");
    for (int h = 0; h < cfg->nharts; h++) {
        begin_at(b, "core", "", (uint64_t)h);
        prop_u32(b, "cpu", cpu_ph[h]);
        end(b);
    }
    end(b);
    end(b);
    end(b);
}

static void add_soc(struct builder *b, const struct rv_fdt_config *cfg, const uint32_t *intc_ph,
                    const struct irq_phandles *irq_ph, uint32_t test_ph, uint32_t uartclk_ph)
{
    static const char *const clint_compat[] = {"sifive,clint0", "riscv,clint0"};
    static const char *const test_compat[] = {"sifive,test1", "sifive,test0", "syscon"};

    begin(b, "soc");
    prop_u32(b, "#address-cells", 2);
    prop_u32(b, "#size-cells", 2);
    prop_str(b, "compatible", "simple-bus");
    prop_empty(b, "ranges");

    begin_at(b, "test", "@", VIRT_TEST_BASE);
    prop_u32(b, "phandle", test_ph);
    prop_reg(b, VIRT_TEST_BASE, VIRT_TEST_SIZE);
    prop_strlist(b, "compatible", test_compat, 3);
    end(b);

    begin_at(b, "rtc", "@", VIRT_RTC_BASE);
    prop_dev_irq(b, cfg, irq_ph, VIRT_IRQ_RTC);
    prop_reg(b, VIRT_RTC_BASE, VIRT_RTC_SIZE);
    prop_str(b, "compatible", "google,goldfish-rtc");
    end(b);

    begin_at(b, "clint", "@", VIRT_CLINT_BASE);
    prop_per_hart_irqs(b, "interrupts-extended", intc_ph, cfg->nharts, IRQ_M_SOFT, IRQ_M_TIMER);
    prop_reg(b, VIRT_CLINT_BASE, VIRT_CLINT_SIZE);
    prop_strlist(b, "compatible", clint_compat, 2);
    end(b);

    add_irqchip(b, cfg, intc_ph, irq_ph);

    if (!cfg->no_ns16550) {
        begin_at(b, "serial", "@", VIRT_UART0_BASE);
        prop_dev_irq(b, cfg, irq_ph, VIRT_IRQ_UART0);
        prop_u32(b, "clock-frequency", UART_CLOCK_HZ);
        prop_reg(b, VIRT_UART0_BASE, VIRT_UART0_SIZE);
        prop_str(b, "compatible", "ns16550a");
        end(b);
    }

    if (cfg->sifive_uart) {
        static const char *const sifive_compat[] = {"sifive,fu540-c000-uart", "sifive,uart0"};
        begin_at(b, "serial", "@", VIRT_SIFIVE_UART_BASE);
        prop_dev_irq(b, cfg, irq_ph, VIRT_IRQ_SIFIVE_UART);
        prop_u32(b, "clocks", uartclk_ph);
        prop_reg(b, VIRT_SIFIVE_UART_BASE, VIRT_SIFIVE_UART_SIZE);
        prop_strlist(b, "compatible", sifive_compat, 2);
        end(b);
    }

    for (int i = 0; i < cfg->virtio_slots; i++) {
        uint64_t base = VIRT_VIRTIO_BASE + (uint64_t)i * VIRT_VIRTIO_SIZE;
        begin_at(b, "virtio_mmio", "@", base);
        prop_dev_irq(b, cfg, irq_ph, VIRT_IRQ_VIRTIO_FIRST + (uint32_t)i);
        prop_reg(b, base, VIRT_VIRTIO_SIZE);
        prop_str(b, "compatible", "virtio,mmio");
        end(b);
    }
    if (cfg->pci)
        chk(b, cfg->aia ? pci_host_fdt(b->fdt, cfg->pci, irq_ph->aplic_s, 2, irq_ph->imsic_s)
                        : pci_host_fdt(b->fdt, cfg->pci, irq_ph->plic, 1, 0));
    end(b);
}

static void add_power_nodes(struct builder *b, uint32_t test_ph)
{
    begin(b, "poweroff");
    prop_u32(b, "value", 0x5555);
    prop_u32(b, "offset", 0);
    prop_u32(b, "regmap", test_ph);
    prop_str(b, "compatible", "syscon-poweroff");
    end(b);

    begin(b, "reboot");
    prop_u32(b, "value", 0x7777);
    prop_u32(b, "offset", 0);
    prop_u32(b, "regmap", test_ph);
    prop_str(b, "compatible", "syscon-reboot");
    end(b);
}

/*
 * The SiFive UART's clock, and the alias Linux's SERIAL_SIFIVE needs to number the port
 * (it refuses one without a "serial" alias): serial0, so the port is ttySIF0 whether or
 * not the 16550 (numbered by its own driver, ttyS0) is there too.
 */
static void add_sifive_uart_support(struct builder *b, uint32_t uartclk_ph)
{
    begin(b, "aliases");
    prop_str(b, "serial0", SIFIVE_UART_PATH);
    end(b);

    begin(b, "uartclk");
    prop_u32(b, "phandle", uartclk_ph);
    prop_str(b, "compatible", "fixed-clock");
    prop_u32(b, "#clock-cells", 0);
    prop_u32(b, "clock-frequency", SIFIVE_UART_CLOCK_HZ);
    prop_str(b, "clock-output-names", "uartclk");
    end(b);
}

static int build_into(void *buf, int bufsize, const struct rv_fdt_config *cfg,
                      const struct isa_exts *exts)
{
    uint32_t cpu_ph[RV_FDT_MAX_HARTS], intc_ph[RV_FDT_MAX_HARTS];
    uint32_t next = 1;
    for (int h = 0; h < cfg->nharts; h++) {
        cpu_ph[h] = next++;
        intc_ph[h] = next++;
    }
    struct irq_phandles irq_ph = {0};
    if (cfg->aia) {
        irq_ph.imsic_m = next++;
        irq_ph.imsic_s = next++;
        irq_ph.aplic_m = next++;
        irq_ph.aplic_s = next++;
    } else {
        irq_ph.plic = next++;
    }
    uint32_t test_ph = next++;
    uint32_t uartclk_ph = next;

    struct builder b = {.fdt = buf};
    chk(&b, fdt_create(buf, bufsize));
    chk(&b, fdt_finish_reservemap(buf));
    begin(&b, "");
    prop_u32(&b, "#address-cells", 2);
    prop_u32(&b, "#size-cells", 2);
    prop_str(&b, "compatible", "riscv-virtio");
    prop_str(&b, "model", "riscv-virtio,kite");

    add_chosen(&b, cfg);
    if (cfg->sifive_uart)
        add_sifive_uart_support(&b, uartclk_ph);
    add_power_nodes(&b, test_ph);

    begin_at(&b, "memory", "@", cfg->ram_base);
    prop_str(&b, "device_type", "memory");
    prop_reg(&b, cfg->ram_base, cfg->ram_size);
    end(&b);

    add_cpus(&b, cfg, exts, cpu_ph, intc_ph);
    add_soc(&b, cfg, intc_ph, &irq_ph, test_ph, uartclk_ph);

    end(&b);
    chk(&b, fdt_finish(buf));
    return b.err;
}

void *rv_fdt_build(const struct rv_fdt_config *cfg, size_t *size_out)
{
    struct isa_exts exts;
    if (!cfg || validate(cfg, &exts) < 0)
        return NULL;

    /* Everything but bootargs is small and bounded; grow once if the guess was short. */
    size_t bootargs_len = cfg->bootargs ? strlen(cfg->bootargs) : 0;
    if (bootargs_len > 1u << 20) {
        log_error("fdt", "bootargs too long (%zu bytes)", bootargs_len);
        return NULL;
    }
    size_t size = 16384 + 2048 * (size_t)cfg->nharts + bootargs_len;
    for (int attempt = 0; attempt < 2; attempt++, size *= 2) {
        void *buf = malloc(size);
        if (!buf) {
            log_error("fdt", "out of memory");
            return NULL;
        }
        int rc = build_into(buf, (int)size, cfg, &exts);
        if (rc == 0) {
            size_t total = fdt_totalsize(buf);
            void *shrunk = realloc(buf, total);
            if (shrunk)
                buf = shrunk;
            if (size_out)
                *size_out = total;
            return buf;
        }
        free(buf);
        if (rc != -FDT_ERR_NOSPACE) {
            log_error("fdt", "building the device tree failed: %s", fdt_strerror(rc));
            return NULL;
        }
    }
    log_error("fdt", "device tree does not fit");
    return NULL;
}
