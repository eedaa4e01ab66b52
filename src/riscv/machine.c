/*
 * The RISC-V board: RAM, the devices of QEMU's virt board and where they sit, how the
 * registry's VirtIO devices are placed on a transport, the boot images and the device
 * tree. The run loop that drives it (slices, host events, reboots) is in run.c.
 */
#define _GNU_SOURCE
#include "riscv/machine.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backend/char_stdio.h"
#include "core/device_registry.h"
#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "core/image_loader.h"
#include "core/log.h"
#include "core/mmio.h"
#include "hw/clint.h"
#include "hw/goldfish_rtc.h"
#include "hw/pci_host.h"
#include "hw/sifive_uart.h"
#include "hw/syscon.h"
#include "hw/uart16550.h"
#include "riscv/board.h"
#include "riscv/cpu.h"
#include "riscv/fdt.h"
#include "riscv/irqchip.h"
#include "riscv/virt_map.h"
#include "virtio/mmio.h"
#include "virtio/pci.h"

#define RV_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_sstc"
#define RV_ISA_STRING_AIA "rv64imafdc_zicntr_zicsr_zifencei_smaia_ssaia_sstc"
#define PAGE_SIZE_4K 4096ULL

/* OpenSBI's fw_dynamic hand-over block (a2 at entry). */
#define FW_DYNAMIC_MAGIC 0x4942534fULL
#define FW_DYNAMIC_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S 1

/* A VirtIO device from the registry, on its transport. */
struct machine_virtio {
    struct virtio_mmio *mmio;       /* its transport: one of these two */
    struct virtio_pci *pci;
    struct virtio_device *dev;      /* the transport-neutral part, for the state dump */
    const struct device_type *type;
    void *state;                    /* what the type's destroy() gets */
};

struct rv_board {
    const struct rv_machine_config *cfg;
    struct guest_ram_view ram;
    struct mmio_bus bus;
    struct rv_phys phys;
    struct rv_cpu *hart;
    struct rv_irqchip irqchip;
    struct clint *clint;
    struct uart16550 *uart;          /* NULL under --uart sifive */
    struct sifive_uart *sifive_uart; /* --uart sifive|both */
    struct syscon *syscon;
    struct goldfish_rtc *rtc;
    struct pci_host *pci;            /* NULL when no device may sit on PCI */
    struct guest_mem mem;            /* RAM as VirtIO devices see it */
    struct machine_virtio virtio[DEVICE_MAX_INSTANCES];
    int virtio_count;
    int mmio_slots_planned;          /* what the device tree describes */
    int mmio_slots_used;
    struct stdio_console *console;   /* outlives reboots: owned by the run loop */
    struct event_loop *loop;
    enum rv_board_state state;
    int exit_status;
    uint64_t tohost, fromhost;       /* HTIF mailbox of a bare-metal test, 0 = none */
};

static void machine_stop(struct rv_board *m, enum rv_board_state state, int status)
{
    if (m->state != RV_BOARD_RUNNING)
        return;
    m->state = state;
    m->exit_status = status;
    if (m->hart)
        rv_cpu_request_stop(m->hart);
}

static void on_syscon(void *opaque, enum syscon_event ev, unsigned code)
{
    struct rv_board *m = opaque;
    switch (ev) {
    case SYSCON_POWEROFF:
        machine_stop(m, RV_BOARD_POWEROFF, KITE_EXIT_OK);
        break;
    case SYSCON_REBOOT:
        machine_stop(m, RV_BOARD_REBOOT, KITE_EXIT_REBOOT);
        break;
    case SYSCON_FAIL:
        log_warn("machine", "guest reported failure (code %u)", code);
        machine_stop(m, RV_BOARD_FAILED, KITE_EXIT_GUEST_FAIL);
        break;
    }
}

void rv_board_quit(struct rv_board *m)
{
    machine_stop(m, RV_BOARD_QUIT, KITE_EXIT_OK);
}

void rv_board_dump(const struct rv_board *m)
{
    fprintf(stderr, "\r\nkite: machine state\r\n");
    if (m->hart)
        rv_cpu_dump(m->hart);
    for (int i = 0; i < m->virtio_count; i++) {
        virtio_device_dump(m->virtio[i].dev);
        if (m->virtio[i].type->dump)
            m->virtio[i].type->dump(m->virtio[i].state);
    }
}

/*
 * HTIF: the page holding `tohost` is routed through the MMIO bus so that a store to it is
 * seen. Odd values end the run (1 = pass, else failing test number v >> 1); device 1
 * command 1 prints a character, as the RISC-V test environments do.
 */
static uint64_t htif_read(void *opaque, uint64_t offset, unsigned size)
{
    struct rv_board *m = opaque;
    uint64_t v = 0;
    memcpy(&v, m->ram.host + (m->phys.slow_page - m->ram.base) + offset, size);
    return v;
}

static void htif_command(struct rv_board *m, uint64_t value)
{
    /* Exit is device 0, command 0 only: a console byte like 'c' (0x63) is odd too. */
    if ((value >> 48) == 0 && (value & 1)) {
        uint64_t code = value >> 1;
        if (code == 0) {
            machine_stop(m, RV_BOARD_HTIF_EXIT, KITE_EXIT_OK);
        } else {
            log_info("htif", "test failed: %llu", (unsigned long long)code);
            /* Exit statuses are 8 bits: never let a failure wrap round to 0. */
            machine_stop(m, RV_BOARD_HTIF_EXIT, (code & 0xff) ? (int)(code & 0xff) : 255);
        }
        return;
    }
    unsigned device = (unsigned)(value >> 56), cmd = (unsigned)(value >> 48) & 0xff;
    if (device == 1 && cmd == 1) {
        uint8_t c = (uint8_t)value;
        struct char_backend out = stdio_console_backend(m->console);
        out.write(out.opaque, &c, 1);
        uint64_t ack = (1ULL << 56) | (1ULL << 48);
        uint8_t *page = m->ram.host + (m->phys.slow_page - m->ram.base);
        memset(page + (m->tohost - m->phys.slow_page), 0, 8);
        if (m->fromhost >= m->phys.slow_page && m->fromhost - m->phys.slow_page <= PAGE_SIZE_4K - 8)
            memcpy(page + (m->fromhost - m->phys.slow_page), &ack, 8);
        return;
    }
    log_warn("htif", "unsupported tohost command 0x%llx: ending the run",
             (unsigned long long)value);
    machine_stop(m, RV_BOARD_HTIF_EXIT, 255);
}

static void htif_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct rv_board *m = opaque;
    uint8_t *page = m->ram.host + (m->phys.slow_page - m->ram.base);
    memcpy(page + offset, &value, size);
    uint64_t tohost_off = m->tohost - m->phys.slow_page;
    /* A 64-bit store, or the low half of a pair of 32-bit stores, carries the command. */
    if (offset == tohost_off && value != 0) {
        uint64_t full;
        memcpy(&full, page + tohost_off, 8);
        htif_command(m, full);
    }
}

/*
 * Guest RAM: anonymous, reserved lazily, on a 2 MiB boundary and eligible for transparent
 * huge pages. A boot first-touches some 100 MiB (the images, then the kernel's own stores);
 * in 4 KiB pages that is ~28,000 page faults, which cost a fifth of the boot time on a
 * nested hypervisor, against a few dozen 2 MiB faults (QEMU advises the same). The guest
 * RAM's superpages line up with the host's, since RAM starts on a 2 MiB boundary. The cost:
 * a 2 MiB page is resident as soon as any of it is touched (a boot's guest RAM Rss 110 ->
 * 120 MiB). Where THP is off or absent, 4 KiB pages serve as before.
 */
#define RAM_HUGE_ALIGN (2ull << 20)

static void *map_ram(uint64_t size)
{
    uint64_t span = size + RAM_HUGE_ALIGN;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *aligned = (uint8_t *)(((uintptr_t)p + RAM_HUGE_ALIGN - 1) & ~(RAM_HUGE_ALIGN - 1));
    if (aligned > p)
        munmap(p, (size_t)(aligned - p));
    if (p + span > aligned + size)
        munmap(aligned + size, (size_t)(p + span - (aligned + size)));
    (void)madvise(aligned, size, MADV_HUGEPAGE);
    return aligned;
}

static int add_region(struct rv_board *m, struct mmio_region r)
{
    int ret = mmio_bus_add(&m->bus, &r);
    if (ret < 0)
        log_error("machine", "cannot map %s at 0x%llx: %s", r.name, (unsigned long long)r.base,
                  strerror(-ret));
    return ret;
}

static int add_region_ret(int ret, const char *what)
{
    if (ret < 0)
        log_error("machine", "cannot map %s: %s", what, strerror(-ret));
    return ret;
}

/* Devices write guest RAM behind the hart's back: drop any code it decoded from there. */
static void on_device_write(void *opaque, uint64_t gpa, uint64_t len)
{
    struct rv_board *m = opaque;
    if (m->hart)
        rv_cpu_invalidate_code(m->hart, gpa, len);
}

static enum virtio_transport_kind transport_of(const struct rv_machine_config *cfg,
                                              const struct device_instance *inst)
{
    return inst->transport != TRANSPORT_DEFAULT ? inst->transport
                                                : (enum virtio_transport_kind)cfg->default_transport;
}

/*
 * One device per instance, or one per grouped type (made from its first instance):
 * calls visit() with the instances' configurations and the transport, in board order.
 */
static int for_each_device(const struct rv_machine_config *cfg,
                           int (*visit)(void *ctx, const struct device_type *type,
                                        void *const *cfgs, unsigned n,
                                        const struct device_instance *first),
                           void *ctx)
{
    const struct device_list *l = cfg->devices;
    for (unsigned t = 0; l && device_type_at(t); t++) {
        const struct device_type *type = device_type_at(t);
        void *cfgs[DEVICE_MAX_INSTANCES];
        const struct device_instance *first = NULL;
        unsigned n = 0;
        for (unsigned i = 0; i < l->count; i++) {
            if (l->items[i].type != type)
                continue;
            if (!first)
                first = &l->items[i];
            cfgs[n++] = l->items[i].cfg;
            if (!type->grouped) {
                int ret = visit(ctx, type, &cfgs[n - 1], 1, &l->items[i]);
                if (ret < 0)
                    return ret;
            }
        }
        if (type->grouped && n) {
            int ret = visit(ctx, type, cfgs, n, first);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

struct placement {
    const struct rv_machine_config *cfg;
    int mmio, pci;
    bool slot_taken[PCI_HOST_SLOTS];
    const char *why;
};

static int place_one(void *ctx, const struct device_type *type, void *const *cfgs,
                     unsigned n, const struct device_instance *first)
{
    struct placement *p = ctx;
    if (transport_of(p->cfg, first) == TRANSPORT_PCI) {
        if (first->pci_slot >= 0) {
            if (first->pci_slot < PCI_HOST_FIRST_SLOT || first->pci_slot >= PCI_HOST_SLOTS) {
                p->why = "addr= is a PCI slot number, 1 to 31";
                return -1;
            }
            if (p->slot_taken[first->pci_slot]) {
                p->why = "two devices have the same addr=";
                return -1;
            }
            p->slot_taken[first->pci_slot] = true;
        }
        if (++p->pci > PCI_HOST_SLOTS - PCI_HOST_FIRST_SLOT) {
            p->why = "too many VirtIO devices on PCI: the host bridge has 31 slots";
            return -1;
        }
        return 0;
    }
    if (first->pci_slot >= 0) {
        p->why = "addr= is for devices on transport=pci";
        return -1;
    }
    if (++p->mmio > (int)VIRT_VIRTIO_SLOTS) {
        p->why = "too many VirtIO devices on virtio-mmio: disks, --console virtio, the --port "
                 "device and --rng share 8 virtio-mmio slots (transport=pci has 31 more)";
        return -1;
    }
    return 0;
}

int rv_machine_place_devices(const struct rv_machine_config *cfg, const char **why)
{
    struct placement p = {.cfg = cfg};
    if (for_each_device(cfg, place_one, &p) < 0) {
        *why = p.why;
        return -1;
    }
    return p.mmio;
}

/* The board has a PCIe host bridge when anything may sit on it: --transport pci, or a
 * device with transport=pci. */
static bool board_has_pci(const struct rv_machine_config *cfg)
{
    if (cfg->default_transport == TRANSPORT_PCI)
        return true;
    for (unsigned i = 0; cfg->devices && i < cfg->devices->count; i++)
        if (cfg->devices->items[i].transport == TRANSPORT_PCI)
            return true;
    return false;
}

/* Puts a device in the next virtio-mmio slot, with that slot's PLIC source. */
static int attach_mmio(struct rv_board *m, struct machine_virtio *mv)
{
    if (m->mmio_slots_used >= (int)VIRT_VIRTIO_SLOTS) {
        log_error("machine", "no free virtio-mmio slot for %s", mv->dev->name);
        return -ENOSPC;
    }
    int slot = m->mmio_slots_used++;
    struct irq_line irq = rv_irqchip_line(&m->irqchip, VIRT_IRQ_VIRTIO_FIRST + slot);
    mv->mmio = virtio_mmio_new(mv->dev, irq);
    if (!mv->mmio)
        return -ENOMEM;
    return add_region(m, virtio_mmio_region(mv->mmio, VIRT_VIRTIO_BASE + (uint64_t)slot *
                                                          VIRT_VIRTIO_SIZE));
}

/* Plugs a device into the PCIe host bridge, in slot `slot` or the next free one. */
static int attach_pci(struct rv_board *m, struct machine_virtio *mv, int slot)
{
    mv->pci = virtio_pci_new(mv->dev);
    if (!mv->pci)
        return -ENOMEM;
    int ret = pci_host_plug(m->pci, virtio_pci_function(mv->pci), slot);
    if (ret < 0) {
        log_error("machine", "cannot plug %s into PCI slot %d: %s", mv->dev->name, slot,
                  strerror(-ret));
        return ret;
    }
    return 0;
}

static int create_one(void *ctx, const struct device_type *type, void *const *cfgs,
                      unsigned n, const struct device_instance *first)
{
    struct rv_board *m = ctx;
    if (m->virtio_count >= DEVICE_MAX_INSTANCES)
        return -ENOSPC;
    struct device_env env = {.mem = &m->mem, .loop = m->loop, .console = m->console,
                             .nharts = 1, .deterministic = m->cfg->icount};
    struct machine_virtio *mv = &m->virtio[m->virtio_count];
    *mv = (struct machine_virtio){.type = type};
    mv->dev = type->create(cfgs, n, &env, &mv->state);
    if (!mv->dev) {
        log_error("machine", "cannot create the %s device", type->name);
        if (mv->state)
            type->destroy(mv->state);
        return -ENOMEM;
    }
    m->virtio_count++;
    if (transport_of(m->cfg, first) == TRANSPORT_PCI)
        return attach_pci(m, mv, first->pci_slot);
    return attach_mmio(m, mv);
}

static int create_virtio_devices(struct rv_board *m)
{
    m->mem = (struct guest_mem){.base = m->ram.base, .size = m->ram.size,
                                .host = m->ram.host, .on_write = on_device_write,
                                .opaque = m};
    return for_each_device(m->cfg, create_one, m);
}

/* The PCIe host bridge as on QEMU's virt board. Before the interrupt controller exists
 * (the device tree is built first) only the source numbers and windows are used. */
static struct pci_host_config pci_layout(const struct rv_board *m)
{
    uint64_t ram_end = m->ram.base + m->ram.size;
    uint64_t high = (ram_end + VIRT_PCIE_MMIO64_SIZE - 1) & ~(VIRT_PCIE_MMIO64_SIZE - 1);
    struct pci_host_config pc = {
        .ecam_base = VIRT_PCIE_ECAM_BASE,
        .io_base = VIRT_PCIE_PIO_BASE, .io_size = VIRT_PCIE_PIO_SIZE,
        .mmio32_base = VIRT_PCIE_MMIO_BASE, .mmio32_size = VIRT_PCIE_MMIO_SIZE,
        .mmio64_base = high, .mmio64_size = VIRT_PCIE_MMIO64_SIZE,
    };
    for (int i = 0; i < 4; i++)
        pc.intx[i] = rv_irqchip_line(&m->irqchip, VIRT_IRQ_PCIE_FIRST + i);
    pc.msi = rv_irqchip_msi_sink(&m->irqchip);
    return pc;
}

static int create_pci(struct rv_board *m)
{
    struct pci_host_config pc = pci_layout(m);
    m->pci = pci_host_new(&pc);
    if (!m->pci)
        return -ENOMEM;
    return add_region_ret(pci_host_map(m->pci, &m->bus), "the PCIe host bridge");
}

/*
 * --uart: the 16550, the SiFive UART or both. Both write to kite's stdout; stdin goes to
 * the 16550 when there is one (the firmware's and the default ttyS0 console), else to the
 * SiFive UART. A VirtIO console created later takes stdin over.
 */
static int create_uarts(struct rv_board *m)
{
    enum rv_uart which = m->cfg->uart;
    struct char_backend out = stdio_console_backend(m->console);
    if (which != RV_UART_SIFIVE) {
        struct irq_line irq = rv_irqchip_line(&m->irqchip, VIRT_IRQ_UART0);
        if (!(m->uart = uart16550_new(irq, out)))
            return -ENOMEM;
        if (add_region(m, uart16550_region(m->uart, VIRT_UART0_BASE)) < 0)
            return -EINVAL;
    }
    if (which != RV_UART_NS16550A) {
        struct irq_line irq = rv_irqchip_line(&m->irqchip, VIRT_IRQ_SIFIVE_UART);
        if (!(m->sifive_uart = sifive_uart_new(irq, out)))
            return -ENOMEM;
        if (add_region(m, sifive_uart_region(m->sifive_uart, VIRT_SIFIVE_UART_BASE)) < 0)
            return -EINVAL;
    }
    stdio_console_attach(m->console, m->uart ? uart16550_frontend(m->uart)
                                             : sifive_uart_frontend(m->sifive_uart));
    return 0;
}

static int create_devices(struct rv_board *m)
{
    struct hart_if hart = rv_cpu_hart_if(m->hart);
    int ret = rv_irqchip_create(&m->irqchip, m->cfg->aia ? RV_IRQCHIP_AIA : RV_IRQCHIP_PLIC,
                                m->hart, &m->bus);
    if (ret < 0)
        return ret;
    m->clint = clint_new(&hart, 1);
    struct irq_line rtc_irq = rv_irqchip_line(&m->irqchip, VIRT_IRQ_RTC);
    m->syscon = syscon_new(on_syscon, m);
    m->rtc = goldfish_rtc_new(rtc_irq);
    if (!m->clint || !m->syscon || !m->rtc)
        return -ENOMEM;
    if ((ret = create_uarts(m)) < 0)
        return ret;
    if (add_region(m, clint_region(m->clint, VIRT_CLINT_BASE)) < 0 ||
        add_region(m, syscon_region(m->syscon, VIRT_TEST_BASE)) < 0 ||
        add_region(m, goldfish_rtc_region(m->rtc, VIRT_RTC_BASE)) < 0)
        return -EINVAL;
    if (board_has_pci(m->cfg) && create_pci(m) < 0)
        return -EINVAL;
    return create_virtio_devices(m);
}

/* The RISC-V Image header: "RSC\x05" at 0x38, the memory it needs (le64) at 0x10. */
static int check_kernel_image(const struct rv_board *m, uint64_t load, uint64_t file_size)
{
    const uint8_t *h = m->ram.host + (load - m->ram.base);
    if (file_size < 64 || memcmp(h + 0x38, "RSC\x05", 4) != 0) {
        log_error("machine", "%s is not a RISC-V Linux Image (no RSC\\x05 magic)",
                  m->cfg->kernel);
        return -ENOEXEC;
    }
    uint64_t image_size;
    memcpy(&image_size, h + 0x10, 8);
    uint64_t room = m->ram.size - (load - m->ram.base);
    if (image_size > room) {
        log_error("machine", "kernel needs %llu MiB at 0x%llx but only %llu MiB of RAM is left",
                  (unsigned long long)(image_size >> 20), (unsigned long long)load,
                  (unsigned long long)(room >> 20));
        return -EFBIG;
    }
    return 0;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

/*
 * Layout, low to high: firmware at RAM base, kernel at +2 MiB, then free RAM; the initrd,
 * the fw_dynamic block and the device tree sit at the top of RAM.
 */
static int load_images(struct rv_board *m, uint64_t *entry, uint64_t *fdt_addr,
                       uint64_t *fw_info_addr)
{
    const struct rv_machine_config *cfg = m->cfg;
    uint64_t kernel_end = m->ram.base;
    *fw_info_addr = 0;
    int ret;

    if (image_is_elf(cfg->bios)) {
        struct elf_info info;
        ret = image_load_elf(&m->ram, cfg->bios, EM_RISCV, &info);
        if (ret < 0)
            return ret;
        *entry = info.entry;
        kernel_end = info.highest;
        if (info.tohost) {
            if (info.tohost % 8 || info.tohost < m->ram.base ||
                info.tohost - m->ram.base > m->ram.size - 8) {
                log_error("machine", "%s: tohost at 0x%llx is not an aligned RAM address",
                          cfg->bios, (unsigned long long)info.tohost);
                return -EINVAL;
            }
            m->tohost = info.tohost;
            m->fromhost = info.fromhost;
            m->phys.slow_page = align_down(info.tohost, PAGE_SIZE_4K);
            struct mmio_region r = {.name = "htif", .base = m->phys.slow_page,
                                    .size = PAGE_SIZE_4K, .opaque = m,
                                    .read = htif_read, .write = htif_write};
            if ((ret = add_region(m, r)) < 0)
                return ret;
        }
    } else {
        uint64_t size;
        ret = image_load_raw(&m->ram, cfg->bios, m->ram.base, &size);
        if (ret < 0)
            return ret;
        *entry = m->ram.base;
        kernel_end = m->ram.base + size;
    }

    uint64_t kernel_addr = m->ram.base + VIRT_KERNEL_OFFSET;
    if (cfg->kernel) {
        if (kernel_end > kernel_addr) {
            log_error("machine", "firmware %s overlaps the kernel at 0x%llx", cfg->bios,
                      (unsigned long long)kernel_addr);
            return -EFBIG;
        }
        uint64_t size;
        if ((ret = image_load_raw(&m->ram, cfg->kernel, kernel_addr, &size)) < 0)
            return ret;
        if ((ret = check_kernel_image(m, kernel_addr, size)) < 0)
            return ret;
        uint64_t image_size;
        memcpy(&image_size, m->ram.host + VIRT_KERNEL_OFFSET + 0x10, 8);
        kernel_end = kernel_addr + (image_size > size ? image_size : size);
    }

    /* Device tree in the top 2 MiB, 2 MiB aligned as Linux prefers; fw_dynamic below it. */
    const uint64_t top_reserve = 2ULL << 20;
    uint64_t ram_end = m->ram.base + m->ram.size;
    uint64_t fdt_at = align_down(ram_end - top_reserve, top_reserve);
    uint64_t info_at = fdt_at - PAGE_SIZE_4K;
    uint64_t initrd_start = 0, initrd_end = 0;
    if (cfg->initrd) {
        uint64_t size;
        if ((ret = image_file_size(cfg->initrd, m->ram.size, &size)) < 0)
            return ret;
        initrd_start = align_down(info_at - size, PAGE_SIZE_4K);
        if (size > info_at - m->ram.base || initrd_start < kernel_end) {
            log_error("machine", "initrd %s (%llu MiB) does not fit in %llu MiB of RAM",
                      cfg->initrd, (unsigned long long)(size >> 20),
                      (unsigned long long)(m->ram.size >> 20));
            return -EFBIG;
        }
        /* At most what was measured: a file that grew since must not reach info_at. */
        if ((ret = image_load_raw_at_most(&m->ram, cfg->initrd, initrd_start,
                                          info_at - initrd_start, &size)) < 0)
            return ret;
        initrd_end = initrd_start + size;
    }
    if (info_at < kernel_end) {
        log_error("machine", "%llu MiB of RAM is too small for these images",
                  (unsigned long long)(m->ram.size >> 20));
        return -EFBIG;
    }

    struct rv_fdt_config fc = {
        .ram_base = m->ram.base,
        .ram_size = m->ram.size,
        .nharts = 1,
        .isa = cfg->aia ? RV_ISA_STRING_AIA : RV_ISA_STRING,
        .bootargs = cfg->append ? cfg->append : "",
        .initrd_start = initrd_start,
        .initrd_end = initrd_end,
        .virtio_slots = m->mmio_slots_planned,
        .aia = cfg->aia,
        .sifive_uart = cfg->uart != RV_UART_NS16550A,
        .no_ns16550 = cfg->uart == RV_UART_SIFIVE,
        .fixed_rng_seed = cfg->icount,
    };
    struct pci_host_config pc = pci_layout(m);
    if (board_has_pci(cfg))
        fc.pci = &pc;
    size_t fdt_size;
    void *fdt = rv_fdt_build(&fc, &fdt_size);
    if (!fdt)
        return -EINVAL;
    if (fdt_size > top_reserve || fdt_at + fdt_size > ram_end) {
        log_error("machine", "device tree too large (%zu bytes)", fdt_size);
        free(fdt);
        return -EFBIG;
    }
    memcpy(m->ram.host + (fdt_at - m->ram.base), fdt, fdt_size);
    free(fdt);
    *fdt_addr = fdt_at;

    if (cfg->kernel) {
        uint64_t info[6] = {FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, kernel_addr,
                            FW_DYNAMIC_NEXT_MODE_S, 0, 0};
        memcpy(m->ram.host + (info_at - m->ram.base), info, sizeof(info));
        *fw_info_addr = info_at;
    }
    return 0;
}

void rv_board_destroy(struct rv_board *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->virtio_count; i++) {
        virtio_mmio_free(m->virtio[i].mmio);
        virtio_pci_free(m->virtio[i].pci);
        m->virtio[i].type->destroy(m->virtio[i].state);
    }
    /* The UART(s) were attached first and one is the stdio console's frontend again once
     * every VirtIO console let go of it; detach it too, the console outlives the board. */
    if (m->console)
        stdio_console_attach(m->console, (struct char_frontend){0});
    m->virtio_count = 0;
    pci_host_free(m->pci);
    if (m->hart)
        rv_cpu_free(m->hart);
    rv_irqchip_destroy(&m->irqchip);
    if (m->clint)
        clint_free(m->clint);
    if (m->uart)
        uart16550_free(m->uart);
    if (m->sifive_uart)
        sifive_uart_free(m->sifive_uart);
    if (m->syscon)
        syscon_free(m->syscon);
    if (m->rtc)
        goldfish_rtc_free(m->rtc);
    if (m->ram.host)
        munmap(m->ram.host, m->ram.size);
    free(m);
}

int rv_board_build(const struct rv_machine_config *cfg, const struct rv_board_host *host,
                   struct rv_board **out)
{
    struct rv_board *m = calloc(1, sizeof(*m));
    *out = m;
    if (!m)
        return -ENOMEM;
    m->cfg = cfg;
    m->loop = host->loop;
    m->console = host->console;
    const char *why = NULL;
    m->mmio_slots_planned = rv_machine_place_devices(cfg, &why);
    if (m->mmio_slots_planned < 0) {
        log_error("machine", "%s", why);
        return -EINVAL;
    }
    m->ram.base = VIRT_DRAM_BASE;
    m->ram.size = cfg->ram_size;
    m->ram.host = map_ram(m->ram.size);
    if (!m->ram.host) {
        log_error("machine", "cannot allocate %llu MiB of guest RAM",
                  (unsigned long long)(m->ram.size >> 20));
        return -ENOMEM;
    }
    m->phys = (struct rv_phys){.ram_base = m->ram.base, .ram_size = m->ram.size,
                               .ram = m->ram.host, .mmio = &m->bus};
    uint64_t entry, fdt_addr, fw_info;
    int ret = load_images(m, &entry, &fdt_addr, &fw_info);
    if (ret < 0)
        return ret;
    /* The hart comes after the images (they may claim the HTIF page in phys) and before the
     * devices that drive its interrupt lines. */
    m->hart = rv_cpu_new(&m->phys, 0);
    if (!m->hart)
        return -ENOMEM;
    if ((ret = rv_cpu_set_engine(m->hart, (enum rv_engine)m->cfg->engine)) < 0) {
        log_error("machine", "cannot start the JIT engine: %s", strerror(-ret));
        return ret;
    }
    if ((ret = create_devices(m)) < 0)
        return ret;
    if (m->mmio_slots_used != m->mmio_slots_planned) {
        log_error("machine", "internal: %d virtio-mmio devices but %d slots in the device tree",
                  m->mmio_slots_used, m->mmio_slots_planned);
        return -EINVAL;
    }
    rv_cpu_reset(m->hart, entry, fdt_addr);
    rv_cpu_set_xreg(m->hart, 12, fw_info);
    return 0;
}

struct rv_cpu *rv_board_hart(struct rv_board *m)
{
    return m->hart;
}

enum rv_board_state rv_board_state(const struct rv_board *m, int *exit_status)
{
    *exit_status = m->exit_status;
    return m->state;
}
