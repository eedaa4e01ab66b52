/* kite: command line -> machine description -> run. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/config.h"
#include "control/qmp_client.h"
#include "core/clock.h"
#include "core/device_registry.h"
#include "core/log.h"
#include "riscv/cpu.h"
#include "riscv/machine.h"

#define KITE_VERSION "0.1"
#define DEFAULT_RAM (512ULL << 20)
#define MIN_RAM (16ULL << 20)
#define MAX_RAM (256ULL << 30)
#define DEFAULT_APPEND "console=ttyS0"
#define DEFAULT_APPEND_HVC "console=hvc0"
#define DEFAULT_APPEND_SIF "console=ttySIF0"
#define STR_(x) #x
#define STR(x) STR_(x)

static void usage_main(FILE *out)
{
    fprintf(out,
            "usage: kite [--help] [--version] <command> [options]\n"
            "\n"
            "kite is a small, fast virtual machine monitor.\n"
            "\n"
            "commands:\n"
            "  run      boot a virtual machine (kite run --help for its options)\n"
            "  qmp      run a QMP command on a running one (kite qmp --help)\n");
}

/* Prints a device type's help lines indented under its option. */
static void print_help_lines(FILE *out, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        int len = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(out, "                  %.*s\n", len, text);
        text = nl ? nl + 1 : text + len;
    }
}

static void usage_run(FILE *out)
{
    fprintf(out,
            "usage: kite run [options]\n"
            "\n"
            "Boots a RISC-V (RV64GC) virtual machine. With no --kernel, boots the default\n"
            "guest assembled by `make guest` (cached in $KITE_CACHE or ~/.cache/kite).\n"
            "\n"
            "options:\n"
            "  --kernel FILE   Linux kernel: a raw RISC-V Image, loaded at RAM + 2 MiB\n"
            "  --initrd FILE   initial ramdisk, placed at the top of RAM\n"
            "  --append ARGS   kernel command line (default: \"" DEFAULT_APPEND "\")\n"
            "  --bios FILE     firmware at the start of RAM (default: OpenSBI fw_dynamic from\n"
            "                  the default guest). An ELF is loaded by its segments; if it\n"
            "                  defines `tohost`, the run ends at the first store to it\n"
            "                  (HTIF): 1 exits 0, an odd value v exits with status v>>1.\n"
            "  --mem SIZE      guest RAM, e.g. 512M or 2G (default 512M; K, M, G, T suffixes)\n"
            "  --no-reboot     exit (status 3) when the guest reboots instead of restarting\n"
            "  --irqchip plic|aia\n"
            "                  the interrupt controller: the PLIC (default), or the RISC-V AIA\n"
            "                  (an APLIC delivering wired interrupts as MSIs to an IMSIC)\n"
            "  --console uart|virtio\n"
            "                  the guest console on kite's stdio: the 16550 UART (ttyS0, the\n"
            "                  default) or a virtio-console (hvc0; default --append becomes\n"
            "                  \"" DEFAULT_APPEND_HVC "\"), sized like the host terminal\n"
            "  --uart ns16550a|sifive|both\n"
            "                  the board's serial ports: the ns16550a (ttyS0, default), a\n"
            "                  SiFive UART (sifive,uart0 at 0x10010000, ttySIF0; the default\n"
            "                  --append becomes \"" DEFAULT_APPEND_SIF "\") instead, or both\n"
            "                  (kite's stdin goes to the ns16550a; both write to stdout)\n"
            "  --transport mmio|pci\n"
            "                  the transport of VirtIO devices that do not name one (default\n"
            "                  mmio)\n"
            "  --engine jit|interp\n"
            "                  how the hart runs guest code: translated to host code (jit, the\n"
            "                  default on x86-64 hosts) or by the interpreter (interp, the\n"
            "                  default elsewhere). With -v the JIT reports its translation\n"
            "                  counts at exit; KITE_JIT_DUMP=1 prints every block it makes\n"
            "                  (KITE_JIT_DUMP=PATH: into that file)\n"
            "  --icount[=SHIFT]\n"
            "                  deterministic mode: guest time follows retired instructions\n"
            "                  (2^SHIFT ns each, SHIFT 0.." STR(CLOCK_ICOUNT_MAX_SHIFT) ", default "
            STR(CLOCK_ICOUNT_DEFAULT_SHIFT) "), an idle guest\n"
            "                  skips to its next timer, the RTC starts at 2024-01-01, disk I/O\n"
            "                  completes at fixed points and entropy is a fixed stream: the\n"
            "                  same command line and input replay exactly (not --net user)\n"
            "  --qmp PATH      listen on a unix socket for QMP (QEMU's machine protocol):\n"
            "                  stop, cont, system_reset, quit, input-send-event, queries\n"
            "  --config FILE   read options from a JSON file (keys are these long options;\n"
            "                  see the README); the command line applies after it\n"
            "  --print-config  print the effective configuration as such a file and exit\n"
            "  -v, --verbose   more log output (repeat for debug)\n"
            "  -h, --help      this help\n"
            "\n"
            "devices (each option repeatable up to its limit; every one also takes\n"
            "transport=mmio|pci and, on PCI, addr=SLOT):\n");
    for (unsigned i = 0; device_type_at(i); i++) {
        const struct device_type *t = device_type_at(i);
        if (t->internal)
            continue;
        fprintf(out, "  --%s %s\n", t->name, t->usage ? t->usage : "");
        print_help_lines(out, t->help);
    }
    fprintf(out,
            "\n"
            "console: stdio. On a terminal: Ctrl-A x quits, Ctrl-A h shows help, Ctrl-A d\n"
            "dumps the machine state (harts, VirtIO queues) to stderr.\n"
            "\n"
            "exit status: 0 guest powered off (or HTIF pass), 1 guest reported failure or\n"
            "runtime error, 2 bad command line or images, 3 reboot with --no-reboot,\n"
            "N a bare-metal HTIF test failed with number N.\n");
}

/* The default guest's files, as guest/build.sh caches them. */
static const char *default_guest_file(const char *name, char *buf, size_t len)
{
    const char *cache = getenv("KITE_CACHE");
    const char *home = getenv("HOME");
    int n;
    if (cache && *cache)
        n = snprintf(buf, len, "%s/guest-current/%s", cache, name);
    else
        n = snprintf(buf, len, "%s/.cache/kite/guest-current/%s", home ? home : "", name);
    return (n > 0 && (size_t)n < len) ? buf : NULL;
}

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "kite: %s", config_origin(arg));
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'kite run --help')\n");
    return KITE_EXIT_USAGE;
}

/* Adds one instance of `type` from an option's value; exits-status 2 on a bad value. */
static int add_device(struct device_list *devices, const struct device_type *type,
                      const char *value)
{
    char why[200];
    if (device_list_add(devices, type, value, why, sizeof(why)) < 0) {
        fprintf(stderr, "kite: %sbad --%s value '%s': %s (try 'kite run --help')\n",
                config_origin(value), type->name, value ? value : "", why);
        return KITE_EXIT_USAGE;
    }
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    enum { OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_BIOS, OPT_MEM, OPT_NO_REBOOT,
           OPT_CONSOLE, OPT_TRANSPORT, OPT_IRQCHIP, OPT_ENGINE, OPT_UART, OPT_QMP,
           OPT_PRINT_CONFIG, OPT_ICOUNT, OPT_DEVICE = 1024 };
    static const struct option base_opts[] = {
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"append", required_argument, NULL, OPT_APPEND},
        {"bios", required_argument, NULL, OPT_BIOS},
        {"mem", required_argument, NULL, OPT_MEM},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"console", required_argument, NULL, OPT_CONSOLE},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"irqchip", required_argument, NULL, OPT_IRQCHIP},
        {"engine", required_argument, NULL, OPT_ENGINE},
        {"uart", required_argument, NULL, OPT_UART},
        {"qmp", required_argument, NULL, OPT_QMP},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"icount", optional_argument, NULL, OPT_ICOUNT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
    };
    /* The base options, then one per registered device type. */
    enum { NBASE = sizeof(base_opts) / sizeof(base_opts[0]) };
    struct option opts[NBASE + 64 + 1];
    unsigned nopts = 0;
    for (; nopts < NBASE; nopts++)
        opts[nopts] = base_opts[nopts];
    for (unsigned i = 0; device_type_at(i) && nopts < NBASE + 64; i++) {
        const struct device_type *t = device_type_at(i);
        if (t->internal)
            continue;
        opts[nopts++] = (struct option){t->name,
                                        t->optional_value ? optional_argument : required_argument,
                                        NULL, OPT_DEVICE + (int)i};
    }
    opts[nopts] = (struct option){NULL, 0, NULL, 0};

    static struct device_list devices;
    struct rv_machine_config cfg = {.ram_size = DEFAULT_RAM, .devices = &devices,
                                    .default_transport = TRANSPORT_MMIO};
    bool virtio_console = false, print_config = false;
    /* A --config file becomes options in front of the command line's. */
    char cfg_err[512];
    if (config_expand_argv(argc, argv, &argc, &argv, cfg_err, sizeof(cfg_err)) < 0) {
        fprintf(stderr, "kite: %s\n", cfg_err);
        return KITE_EXIT_USAGE;
    }
    opterr = 0;
    optind = 1;
    int c, ret;
    /* "+": stop at the first non-option, so --rng may take its value as the next word. */
    while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_KERNEL: cfg.kernel = optarg; break;
        case OPT_INITRD: cfg.initrd = optarg; break;
        case OPT_APPEND: cfg.append = optarg; break;
        case OPT_BIOS: cfg.bios = optarg; break;
        case OPT_ENGINE:
            if (!strcmp(optarg, "jit"))
                cfg.engine = RV_ENGINE_JIT;
            else if (!strcmp(optarg, "interp"))
                cfg.engine = RV_ENGINE_INTERP;
            else
                return fail_usage("--engine: '%s' is neither jit nor interp", optarg);
            break;
        case OPT_MEM:
            if (dev_parse_size(optarg, &cfg.ram_size) < 0)
                return fail_usage("bad memory size '%s': use a number with K, M or G", optarg);
            if (cfg.ram_size < MIN_RAM || cfg.ram_size > MAX_RAM || cfg.ram_size % 4096)
                return fail_usage("memory size '%s' must be 16M..256G, a multiple of 4K",
                                  optarg);
            break;
        case OPT_NO_REBOOT: cfg.no_reboot = true; break;
        case OPT_ICOUNT: {
            char *end = NULL;
            unsigned long shift = CLOCK_ICOUNT_DEFAULT_SHIFT;
            if (optarg) {
                errno = 0;
                shift = strtoul(optarg, &end, 10);
                if (!*optarg || *end || errno || !isdigit((unsigned char)*optarg) ||
                    shift > CLOCK_ICOUNT_MAX_SHIFT)
                    return fail_usage("bad --icount value '%s': a shift from 0 to "
                                      STR(CLOCK_ICOUNT_MAX_SHIFT), optarg);
            }
            cfg.icount = true;
            cfg.icount_shift = (unsigned)shift;
            break;
        }
        case OPT_QMP: cfg.qmp_path = optarg; break;
        case OPT_PRINT_CONFIG: print_config = true; break;
        case OPT_CONSOLE:
            if (!strcmp(optarg, "virtio"))
                virtio_console = true;
            else if (!strcmp(optarg, "uart"))
                virtio_console = false;
            else
                return fail_usage("bad --console value '%s': use uart or virtio", optarg);
            break;
        case OPT_TRANSPORT:
            if (!strcmp(optarg, "mmio"))
                cfg.default_transport = TRANSPORT_MMIO;
            else if (!strcmp(optarg, "pci"))
                cfg.default_transport = TRANSPORT_PCI;
            else
                return fail_usage("bad --transport value '%s': use mmio or pci", optarg);
            break;
        case OPT_IRQCHIP:
            if (!strcmp(optarg, "aia"))
                cfg.aia = true;
            else if (!strcmp(optarg, "plic"))
                cfg.aia = false;
            else
                return fail_usage("bad --irqchip value '%s': use plic or aia", optarg);
            break;
        case OPT_UART:
            if (!strcmp(optarg, "ns16550a"))
                cfg.uart = RV_UART_NS16550A;
            else if (!strcmp(optarg, "sifive"))
                cfg.uart = RV_UART_SIFIVE;
            else if (!strcmp(optarg, "both"))
                cfg.uart = RV_UART_BOTH;
            else
                return fail_usage("bad --uart value '%s': use ns16550a, sifive or both", optarg);
            break;
        case 'v':
            if (log_threshold < LOG_DEBUG)
                log_threshold++;
            break;
        case 'h': usage_run(stdout); return 0;
        case ':': return fail_usage("option '%s' needs a value", argv[optind - 1]);
        default: {
            if (c < OPT_DEVICE || !device_type_at((unsigned)(c - OPT_DEVICE)))
                return fail_usage("unknown option '%s'", argv[optind - 1]);
            const struct device_type *t = device_type_at((unsigned)(c - OPT_DEVICE));
            const char *val = optarg;
            if (t->optional_value) {
                /* "--rng=" says a value and gives none. */
                if (val && !*val)
                    return fail_usage("option '%s' has an empty value", argv[optind - 1]);
                /* "--rng rate=..." as well as "--rng=rate=...": a following word with '='. */
                if (!val && optind < argc && argv[optind][0] != '-' && strchr(argv[optind], '='))
                    val = argv[optind++];
            }
            if ((ret = add_device(&devices, t, val)) != 0)
                return ret;
            break;
        }
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument '%s'", argv[optind]);
    if (virtio_console && (ret = add_device(&devices, device_type_find("virtio-console"),
                                            "")) != 0)
        return ret;
    const char *device_error = device_list_check(&devices);
    if (device_error)
        return fail_usage("%s", device_error);
    if (rv_machine_place_devices(&cfg, &device_error) < 0)
        return fail_usage("%s", device_error);
    if (print_config) {
        config_print(stdout, &cfg, virtio_console);
        return 0;
    }

    static char kernel_buf[PATH_MAX], initrd_buf[PATH_MAX], bios_buf[PATH_MAX];
    bool bare_metal = cfg.bios && !cfg.kernel;
    if (!cfg.kernel && !bare_metal) {
        cfg.kernel = default_guest_file("Image", kernel_buf, sizeof(kernel_buf));
        if (!cfg.initrd)
            cfg.initrd = default_guest_file("initramfs.cpio", initrd_buf, sizeof(initrd_buf));
        if (!cfg.kernel || access(cfg.kernel, R_OK) != 0)
            return fail_usage("no default guest at %s: run 'make guest' or give --kernel",
                              cfg.kernel ? cfg.kernel : "~/.cache/kite");
    }
    if (!cfg.bios) {
        cfg.bios = default_guest_file("fw_dynamic.bin", bios_buf, sizeof(bios_buf));
        if (!cfg.bios || access(cfg.bios, R_OK) != 0)
            return fail_usage("no firmware at %s: run 'make guest' or give --bios",
                              cfg.bios ? cfg.bios : "~/.cache/kite");
    }
    if (cfg.kernel && !cfg.append)
        cfg.append = virtio_console ? DEFAULT_APPEND_HVC
                     : cfg.uart == RV_UART_SIFIVE ? DEFAULT_APPEND_SIF : DEFAULT_APPEND;
    ret = rv_machine_run(&cfg);
    device_list_free(&devices);
    return ret;
}

int main(int argc, char **argv)
{
    /* A host end that goes away (a closed stdout pipe, a socket client that left) must
     * give an error on write, not kill the VM with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fprintf(stderr, "kite: no command given (try 'kite --help')\n");
        return KITE_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage_main(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("kite %s\n", KITE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "qmp"))
        return qmp_client_main(argc - 1, argv + 1);
    fprintf(stderr, "kite: unknown command '%s' (try 'kite --help')\n", argv[1]);
    return KITE_EXIT_USAGE;
}
