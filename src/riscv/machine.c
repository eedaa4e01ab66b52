/*
 * The RISC-V machine: RAM, the devices of QEMU's virt board, the boot images and the device
 * tree, and the run loop that interleaves CPU slices with host events.
 */
#define _GNU_SOURCE
#include "riscv/machine.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backend/block.h"
#include "backend/char_stdio.h"
#include "backend/char_stream.h"
#include "backend/entropy.h"
#include "core/clock.h"
#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "core/image_loader.h"
#include "core/log.h"
#include "core/mmio.h"
#include "hw/clint.h"
#include "hw/goldfish_rtc.h"
#include "hw/plic.h"
#include "hw/sifive_uart.h"
#include "hw/syscon.h"
#include "hw/uart16550.h"
#include "riscv/cpu.h"
#include "riscv/fdt.h"
#include "riscv/virt_map.h"
#include "virtio/console.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "virtio/rng.h"

#define RV_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_sstc"
/* Instructions per CPU slice: between slices, timers are updated and host fds polled. */
#define SLICE_INSNS 65536
#define PAGE_SIZE_4K 4096ULL

/* OpenSBI's fw_dynamic hand-over block (a2 at entry). */
#define FW_DYNAMIC_MAGIC 0x4942534fULL
#define FW_DYNAMIC_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S 1

/* A VirtIO device in a virtio-mmio slot. */
struct machine_virtio {
    struct virtio_mmio *mmio;
    struct virtio_device *dev;      /* the transport-neutral part, for the state dump */
    void *device;
    void (*free)(void *device);
};

/* The host end of a --port: lives across guest reboots, like the stdio console. */
struct port_host {
    struct char_stream *stream;     /* pty or unix socket; NULL for stdio */
    struct char_backend backend;
};

enum machine_state { MS_RUNNING, MS_POWEROFF, MS_REBOOT, MS_QUIT, MS_FAILED, MS_HTIF_EXIT };

struct rv_machine {
    const struct rv_machine_config *cfg;
    struct guest_ram_view ram;
    struct mmio_bus bus;
    struct rv_phys phys;
    struct rv_cpu *hart;
    struct plic *plic;
    struct clint *clint;
    struct uart16550 *uart;          /* NULL under --uart sifive */
    struct sifive_uart *sifive_uart; /* --uart sifive|both */
    struct syscon *syscon;
    struct goldfish_rtc *rtc;
    struct guest_mem mem;            /* RAM as VirtIO devices see it */
    struct machine_virtio virtio[VIRT_VIRTIO_SLOTS];
    int virtio_count;
    struct stdio_console *console;   /* outlives reboots: owned by rv_machine_run */
    struct port_host *port_hosts;    /* cfg->num_ports of them, also owned by rv_machine_run */
    struct block_device **disks;     /* outlive reboots too (a snapshot must survive one) */
    struct event_loop *loop;
    enum machine_state state;
    int exit_status;
    uint64_t tohost, fromhost;       /* HTIF mailbox of a bare-metal test, 0 = none */
};

static void machine_stop(struct rv_machine *m, enum machine_state state, int status)
{
    if (m->state != MS_RUNNING)
        return;
    m->state = state;
    m->exit_status = status;
    if (m->hart)
        rv_cpu_request_stop(m->hart);
}

static void on_syscon(void *opaque, enum syscon_event ev, unsigned code)
{
    struct rv_machine *m = opaque;
    switch (ev) {
    case SYSCON_POWEROFF:
        machine_stop(m, MS_POWEROFF, KITE_EXIT_OK);
        break;
    case SYSCON_REBOOT:
        machine_stop(m, MS_REBOOT, KITE_EXIT_REBOOT);
        break;
    case SYSCON_FAIL:
        log_warn("machine", "guest reported failure (code %u)", code);
        machine_stop(m, MS_FAILED, KITE_EXIT_GUEST_FAIL);
        break;
    }
}

static void on_console_quit(void *opaque)
{
    machine_stop(opaque, MS_QUIT, KITE_EXIT_OK);
}

/* Ctrl-A d: what to look at when a guest hangs (is it idle? waiting on which queue?). */
static void on_console_dump(void *opaque)
{
    struct rv_machine *m = opaque;
    fprintf(stderr, "\r\nkite: machine state\r\n");
    if (m->hart)
        rv_cpu_dump(m->hart);
    for (int i = 0; i < m->virtio_count; i++)
        virtio_device_dump(m->virtio[i].dev);
}

/*
 * HTIF: the page holding `tohost` is routed through the MMIO bus so that a store to it is
 * seen. Odd values end the run (1 = pass, else failing test number v >> 1); device 1
 * command 1 prints a character, as the RISC-V test environments do.
 */
static uint64_t htif_read(void *opaque, uint64_t offset, unsigned size)
{
    struct rv_machine *m = opaque;
    uint64_t v = 0;
    memcpy(&v, m->ram.host + (m->phys.slow_page - m->ram.base) + offset, size);
    return v;
}

static void htif_command(struct rv_machine *m, uint64_t value)
{
    /* Exit is device 0, command 0 only: a console byte like 'c' (0x63) is odd too. */
    if ((value >> 48) == 0 && (value & 1)) {
        uint64_t code = value >> 1;
        if (code == 0) {
            machine_stop(m, MS_HTIF_EXIT, KITE_EXIT_OK);
        } else {
            log_info("htif", "test failed: %llu", (unsigned long long)code);
            /* Exit statuses are 8 bits: never let a failure wrap round to 0. */
            machine_stop(m, MS_HTIF_EXIT, (code & 0xff) ? (int)(code & 0xff) : 255);
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
    machine_stop(m, MS_HTIF_EXIT, 255);
}

static void htif_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct rv_machine *m = opaque;
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

static void *map_ram(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int add_region(struct rv_machine *m, struct mmio_region r)
{
    int ret = mmio_bus_add(&m->bus, &r);
    if (ret < 0)
        log_error("machine", "cannot map %s at 0x%llx: %s", r.name, (unsigned long long)r.base,
                  strerror(-ret));
    return ret;
}

/* Devices write guest RAM behind the hart's back: drop any code it decoded from there. */
static void on_device_write(void *opaque, uint64_t gpa, uint64_t len)
{
    struct rv_machine *m = opaque;
    if (m->hart)
        rv_cpu_invalidate_code(m->hart, gpa, len);
}

int rv_machine_virtio_slots(const struct rv_machine_config *cfg)
{
    return (cfg->virtio_console ? 1 : 0) + (cfg->num_ports ? 1 : 0) + cfg->ndisks +
           (cfg->rng.enabled ? 1 : 0);
}

/* Puts `dev` in the next virtio-mmio slot, with that slot's PLIC source. */
static int add_virtio(struct rv_machine *m, struct virtio_device *dev, void *device,
                      void (*free_device)(void *))
{
    if (m->virtio_count >= (int)VIRT_VIRTIO_SLOTS) {
        log_error("machine", "no free virtio-mmio slot for %s", dev->name);
        free_device(device);
        return -ENOSPC;
    }
    int slot = m->virtio_count;
    struct irq_line irq = {.set = plic_set_irq, .opaque = m->plic,
                           .line = VIRT_IRQ_VIRTIO_FIRST + slot};
    struct virtio_mmio *t = virtio_mmio_new(dev, irq);
    if (!t) {
        free_device(device);
        return -ENOMEM;
    }
    m->virtio[slot] = (struct machine_virtio){.mmio = t, .dev = dev, .device = device,
                                              .free = free_device};
    m->virtio_count++;
    return add_region(m, virtio_mmio_region(t, VIRT_VIRTIO_BASE + (uint64_t)slot *
                                                   VIRT_VIRTIO_SIZE));
}

static void free_rng(void *device)
{
    virtio_rng_free(device);
}

static void free_console(void *device)
{
    virtio_console_free(device);
}

/* --console virtio: hvc0 on kite's stdio, sized like the host terminal when it is one. */
static int create_virtio_console(struct rv_machine *m)
{
    struct virtio_console_port_config port = {.backend = stdio_console_backend(m->console)};
    struct virtio_console_config cc = {.num_ports = 1, .ports = &port};
    cc.has_size = stdio_console_size(&cc.cols, &cc.rows);
    struct virtio_console *c = virtio_console_new(&m->mem, &cc);
    if (!c)
        return -ENOMEM;
    stdio_console_attach(m->console, virtio_console_frontend(c, 0));
    return add_virtio(m, virtio_console_device(c), c, free_console);
}

/* --port: one multiport virtio-console holding every named port. */
static int create_virtio_ports(struct rv_machine *m)
{
    const struct rv_machine_config *cfg = m->cfg;
    struct virtio_console_port_config ports[RV_MAX_PORTS];
    for (unsigned i = 0; i < cfg->num_ports; i++)
        ports[i] = (struct virtio_console_port_config){.name = cfg->ports[i].name,
                                                       .backend = m->port_hosts[i].backend};
    struct virtio_console_config cc = {.multiport = true, .num_ports = cfg->num_ports,
                                       .ports = ports};
    struct virtio_console *c = virtio_console_new(&m->mem, &cc);
    if (!c)
        return -ENOMEM;
    for (unsigned i = 0; i < cfg->num_ports; i++) {
        struct char_frontend fe = virtio_console_frontend(c, i);
        if (m->port_hosts[i].stream)
            char_stream_attach(m->port_hosts[i].stream, fe);
        else
            stdio_console_attach(m->console, fe);
    }
    return add_virtio(m, virtio_console_device(c), c, free_console);
}

static void free_blk(void *device)
{
    virtio_blk_free(device);
}

static int create_virtio_devices(struct rv_machine *m)
{
    m->mem = (struct guest_mem){.base = m->ram.base, .size = m->ram.size,
                                .host = m->ram.host, .on_write = on_device_write,
                                .opaque = m};
    const struct rv_machine_config *cfg = m->cfg;
    int ret;
    /* Disks first, in command-line order: Linux names them vda, vdb, ... as it probes. */
    for (int i = 0; i < cfg->ndisks; i++) {
        /* One request queue for the one hart; with several harts, one each (MQ). */
        struct virtio_blk_config bc = {.serial = cfg->disks[i].serial, .num_queues = 1};
        struct virtio_blk *blk = virtio_blk_new(&m->mem, m->disks[i], &bc);
        if (!blk)
            return -ENOMEM;
        if ((ret = add_virtio(m, virtio_blk_device(blk), blk, free_blk)) < 0)
            return ret;
    }
    if (cfg->virtio_console && (ret = create_virtio_console(m)) < 0)
        return ret;
    if (cfg->num_ports && (ret = create_virtio_ports(m)) < 0)
        return ret;
    if (cfg->rng.enabled) {
        struct virtio_rng_config rc = {.rate = cfg->rng.rate, .burst = cfg->rng.burst};
        struct virtio_rng *rng = virtio_rng_new(&m->mem, entropy_getrandom(), &rc, m->loop);
        if (!rng)
            return -ENOMEM;
        if ((ret = add_virtio(m, virtio_rng_device(rng), rng, free_rng)) < 0)
            return ret;
    }
    if (m->virtio_count != rv_machine_virtio_slots(cfg)) {
        log_error("machine", "internal: %d virtio devices but %d slots in the device tree",
                  m->virtio_count, rv_machine_virtio_slots(cfg));
        return -EINVAL;
    }
    return 0;
}

/*
 * --uart: the 16550, the SiFive UART or both. Both write to kite's stdout; stdin goes to
 * the 16550 when there is one (the firmware's and the default ttyS0 console), else to the
 * SiFive UART. --console virtio takes stdin over afterwards.
 */
static int create_uarts(struct rv_machine *m)
{
    enum rv_uart which = m->cfg->uart;
    struct char_backend out = stdio_console_backend(m->console);
    if (which != RV_UART_SIFIVE) {
        struct irq_line irq = {.set = plic_set_irq, .opaque = m->plic, .line = VIRT_IRQ_UART0};
        if (!(m->uart = uart16550_new(irq, out)))
            return -ENOMEM;
        if (add_region(m, uart16550_region(m->uart, VIRT_UART0_BASE)) < 0)
            return -EINVAL;
    }
    if (which != RV_UART_NS16550A) {
        struct irq_line irq = {.set = plic_set_irq, .opaque = m->plic,
                               .line = VIRT_IRQ_SIFIVE_UART};
        if (!(m->sifive_uart = sifive_uart_new(irq, out)))
            return -ENOMEM;
        if (add_region(m, sifive_uart_region(m->sifive_uart, VIRT_SIFIVE_UART_BASE)) < 0)
            return -EINVAL;
    }
    stdio_console_attach(m->console, m->uart ? uart16550_frontend(m->uart)
                                             : sifive_uart_frontend(m->sifive_uart));
    return 0;
}

static int create_devices(struct rv_machine *m)
{
    struct hart_if hart = rv_cpu_hart_if(m->hart);
    m->plic = plic_new(&hart, 1);
    m->clint = clint_new(&hart, 1);
    struct irq_line rtc_irq = {.set = plic_set_irq, .opaque = m->plic, .line = VIRT_IRQ_RTC};
    m->syscon = syscon_new(on_syscon, m);
    m->rtc = goldfish_rtc_new(rtc_irq);
    if (!m->plic || !m->clint || !m->syscon || !m->rtc)
        return -ENOMEM;
    int ret = create_uarts(m);
    if (ret < 0)
        return ret;
    if (add_region(m, plic_region(m->plic, VIRT_PLIC_BASE)) < 0 ||
        add_region(m, clint_region(m->clint, VIRT_CLINT_BASE)) < 0 ||
        add_region(m, syscon_region(m->syscon, VIRT_TEST_BASE)) < 0 ||
        add_region(m, goldfish_rtc_region(m->rtc, VIRT_RTC_BASE)) < 0)
        return -EINVAL;
    return create_virtio_devices(m);
}

/* The RISC-V Image header: "RSC\x05" at 0x38, the memory it needs (le64) at 0x10. */
static int check_kernel_image(const struct rv_machine *m, uint64_t load, uint64_t file_size)
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
static int load_images(struct rv_machine *m, uint64_t *entry, uint64_t *fdt_addr,
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
        uint8_t *data;
        uint64_t size;
        if ((ret = image_read_file(cfg->initrd, m->ram.size, &data, &size)) < 0)
            return ret;
        initrd_start = align_down(info_at - size, PAGE_SIZE_4K);
        if (size > info_at - m->ram.base || initrd_start < kernel_end) {
            log_error("machine", "initrd %s (%llu MiB) does not fit in %llu MiB of RAM",
                      cfg->initrd, (unsigned long long)(size >> 20),
                      (unsigned long long)(m->ram.size >> 20));
            free(data);
            return -EFBIG;
        }
        memcpy(m->ram.host + (initrd_start - m->ram.base), data, size);
        initrd_end = initrd_start + size;
        free(data);
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
        .isa = RV_ISA_STRING,
        .bootargs = cfg->append ? cfg->append : "",
        .initrd_start = initrd_start,
        .initrd_end = initrd_end,
        .virtio_slots = rv_machine_virtio_slots(cfg),
        .sifive_uart = cfg->uart != RV_UART_NS16550A,
        .no_ns16550 = cfg->uart == RV_UART_SIFIVE,
    };
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

static void machine_destroy(struct rv_machine *m)
{
    /* The host ends outlive the devices: nothing may call into a freed port. */
    for (unsigned i = 0; m->port_hosts && i < m->cfg->num_ports; i++)
        if (m->port_hosts[i].stream)
            char_stream_attach(m->port_hosts[i].stream, (struct char_frontend){0});
    if (m->console)
        stdio_console_attach(m->console, (struct char_frontend){0});
    for (int i = 0; i < m->virtio_count; i++) {
        virtio_mmio_free(m->virtio[i].mmio);
        m->virtio[i].free(m->virtio[i].device);
    }
    m->virtio_count = 0;
    if (m->hart)
        rv_cpu_free(m->hart);
    if (m->plic)
        plic_free(m->plic);
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
}

static int machine_build(struct rv_machine *m)
{
    m->ram.base = VIRT_DRAM_BASE;
    m->ram.size = m->cfg->ram_size;
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
    if ((ret = create_devices(m)) < 0)
        return ret;
    rv_cpu_reset(m->hart, entry, fdt_addr);
    rv_cpu_set_xreg(m->hart, 12, fw_info);
    return 0;
}

static void machine_loop(struct rv_machine *m)
{
    clock_mtime_reset();
    while (m->state == MS_RUNNING) {
        rv_cpu_update_timers(m->hart, clock_mtime());
        enum rv_run_exit why = rv_cpu_run(m->hart, SLICE_INSNS);
        if (m->state != MS_RUNNING)
            break;
        uint64_t wait_ns = 0;
        if (why == RV_RUN_WFI) {
            /*
             * Look without sleeping first: a source hands over held-back input as the loop
             * asks what it waits for (typed bytes a full UART FIFO had no room for), and
             * the interrupt that raises must wake the hart now, not at its next timer.
             */
            event_loop_poll(m->loop, 0);
            rv_cpu_update_timers(m->hart, clock_mtime());
            if (!rv_cpu_interrupt_pending(m->hart)) {
                uint64_t deadline = rv_cpu_next_timer(m->hart);
                wait_ns = deadline == UINT64_MAX ? UINT64_MAX : clock_ns_until_mtime(deadline);
            }
        }
        event_loop_poll(m->loop, wait_ns);
    }
}

static void close_port_hosts(const struct rv_machine_config *cfg, struct port_host *hosts)
{
    for (unsigned i = 0; i < cfg->num_ports; i++)
        char_stream_close(hosts[i].stream);
}

/* Opens the host end of every --port, telling the user where the ptys are. */
static int open_port_hosts(const struct rv_machine_config *cfg, struct stdio_console *con,
                           struct event_loop *loop, struct port_host *hosts)
{
    for (unsigned i = 0; i < cfg->num_ports; i++) {
        const struct rv_port_config *pc = &cfg->ports[i];
        char pty[64];
        switch (pc->kind) {
        case RV_PORT_STDIO:
            hosts[i].backend = stdio_console_backend(con);
            continue;
        case RV_PORT_PTY:
            hosts[i].stream = char_stream_open_pty(loop, pty, sizeof(pty));
            if (hosts[i].stream)
                fprintf(stderr, "kite: port %s is on %s\r\n", pc->name, pty);
            break;
        case RV_PORT_UNIX:
            hosts[i].stream = char_stream_listen_unix(loop, pc->path);
            break;
        }
        if (!hosts[i].stream)
            return -EINVAL;
        hosts[i].backend = char_stream_backend(hosts[i].stream);
    }
    return 0;
}

static void close_disks(struct block_device **disks, int n)
{
    for (int i = 0; i < n; i++)
        block_close(disks[i]);
}

/* Opens every --disk image; on failure (already logged) closes what it opened. */
static int open_disks(const struct rv_machine_config *cfg, struct event_loop *loop,
                      struct block_device **disks)
{
    for (int i = 0; i < cfg->ndisks; i++) {
        const struct rv_disk_config *d = &cfg->disks[i];
        struct block_config bc = {.path = d->path, .read_only = d->read_only,
                                  .snapshot = d->snapshot, .cache = (enum block_cache)d->cache};
        int ret = block_open(&bc, loop, &disks[i]);
        if (ret < 0) {
            close_disks(disks, i);
            return ret;
        }
    }
    return 0;
}

int rv_machine_run(const struct rv_machine_config *cfg)
{
    struct event_loop loop;
    event_loop_init(&loop);
    struct block_device *disks[RV_MAX_DISKS] = {0};
    if (cfg->ndisks < 0 || cfg->ndisks > RV_MAX_DISKS)
        return KITE_EXIT_USAGE;
    if (open_disks(cfg, &loop, disks) < 0)
        return KITE_EXIT_USAGE;
    struct rv_machine m = {.cfg = cfg, .loop = &loop};
    m.console = stdio_console_open(&loop, on_console_quit, &m);
    if (m.console)
        stdio_console_set_dump(m.console, on_console_dump);
    if (!m.console) {
        close_disks(disks, cfg->ndisks);
        return KITE_EXIT_GUEST_FAIL;
    }
    struct port_host hosts[RV_MAX_PORTS] = {{0}};
    if (open_port_hosts(cfg, m.console, &loop, hosts) < 0) {
        close_port_hosts(cfg, hosts);
        stdio_console_close(m.console);
        close_disks(disks, cfg->ndisks);
        return KITE_EXIT_USAGE;
    }
    int status;
    for (;;) {
        struct rv_machine fresh = {.cfg = cfg, .loop = &loop, .console = m.console,
                                   .port_hosts = hosts, .disks = disks};
        m = fresh;
        if (machine_build(&m) < 0) {
            machine_destroy(&m);
            status = KITE_EXIT_USAGE;
            break;
        }
        machine_loop(&m);
        status = m.exit_status;
        enum machine_state how = m.state;
        if (how == MS_REBOOT && !cfg->no_reboot) {
            log_info("machine", "guest reboot");
            machine_destroy(&m);
            continue;
        }
        if (how == MS_FAILED || (how == MS_HTIF_EXIT && status != 0))
            rv_cpu_dump(m.hart);
        machine_destroy(&m);
        break;
    }
    close_port_hosts(cfg, hosts);
    stdio_console_close(m.console);
    close_disks(disks, cfg->ndisks);
    return status;
}
