/* kite: command line -> machine description -> run. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/block.h"
#include "core/log.h"
#include "riscv/machine.h"
#include "virtio/console.h"

#define KITE_VERSION "0.1"
#define DEFAULT_RAM (512ULL << 20)
#define MIN_RAM (16ULL << 20)
#define MAX_RAM (256ULL << 30)
#define DEFAULT_APPEND "console=ttyS0"
#define DEFAULT_APPEND_HVC "console=hvc0"
#define DEFAULT_APPEND_SIF "console=ttySIF0"

static void usage_main(FILE *out)
{
    fprintf(out,
            "usage: kite [--help] [--version] <command> [options]\n"
            "\n"
            "kite is a small, fast virtual machine monitor.\n"
            "\n"
            "commands:\n"
            "  run      boot a virtual machine (kite run --help for its options)\n");
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
            "  --rng [rate=BYTES_PER_SEC[,burst=BYTES]]\n"
            "                  add a virtio-rng device fed by the host's getrandom(); with\n"
            "                  rate=, a token bucket limits it (burst defaults to the rate;\n"
            "                  K, M, G suffixes), e.g. --rng rate=1K,burst=4K\n"
            "  --console uart|virtio\n"
            "                  the guest console on kite's stdio: the 16550 UART (ttyS0, the\n"
            "                  default) or a virtio-console (hvc0; default --append becomes\n"
            "                  \"" DEFAULT_APPEND_HVC "\"), sized like the host terminal\n"
            "  --uart ns16550a|sifive|both\n"
            "                  the board's serial ports: the ns16550a (ttyS0, default), a\n"
            "                  SiFive UART (sifive,uart0 at 0x10010000, ttySIF0; the default\n"
            "                  --append becomes \"" DEFAULT_APPEND_SIF "\") instead, or both\n"
            "                  (kite's stdin goes to the ns16550a; both write to stdout)\n"
            "  --port NAME=stdio|pty|unix:PATH\n"
            "                  add a named virtio-console port (/dev/vport* in the guest, its\n"
            "                  name in /sys/class/virtio-ports/*/name); its host end is kite's\n"
            "                  stdio, a new pty (its path is printed), or a unix socket kite\n"
            "                  listens on. Repeatable, up to 7; NAME is [A-Za-z0-9._-]+\n"
            "  --disk PATH[,ro][,serial=ID][,cache=writeback|none|unsafe][,snapshot]\n"
            "                  add a virtio-blk disk on a raw image (repeatable: the first is\n"
            "                  /dev/vda, then /dev/vdb, ...; at most 7). ro: read-only;\n"
            "                  serial=: up to 20 characters; cache=writeback (default, host\n"
            "                  page cache, guest flushes reach the disk), none (O_DIRECT),\n"
            "                  unsafe (flushes ignored); snapshot: the image is only read and\n"
            "                  writes go to a temporary overlay that vanishes on exit.\n"
            "                  A comma in PATH is written twice (,,). Writable images are\n"
            "                  locked: a second kite cannot open them.\n"
            "  -v, --verbose   more log output (repeat for debug)\n"
            "  -h, --help      this help\n"
            "\n"
            "console: stdio. On a terminal: Ctrl-A x quits, Ctrl-A h shows help, Ctrl-A d\n"
            "dumps the machine state (harts, VirtIO queues) to stderr.\n"
            "\n"
            "exit status: 0 guest powered off (or HTIF pass), 1 guest reported failure or\n"
            "runtime error, 2 bad command line or images, 3 reboot with --no-reboot,\n"
            "N a bare-metal HTIF test failed with number N.\n");
}

/* "512M", "2G", "1048576": binary suffixes, no overflow, no trailing garbage. */
static int parse_size(const char *s, uint64_t *out)
{
    errno = 0;
    char *end;
    if (!*s || *s == '-')
        return -EINVAL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    case '\0': break;
    default: return -EINVAL;
    }
    if (*end == 'i' || *end == 'B' || *end == 'b')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
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

/* "rate=N[,burst=N]" (either order, each at most once); rate must be given and > 0. */
static int parse_rng(const char *s, struct rv_rng_config *rng)
{
    char buf[128];
    if (strlen(s) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, s);
    bool have_rate = false, have_burst = false;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (!strncmp(item, "rate=", 5) && !have_rate) {
            if (parse_size(item + 5, &v) < 0 || v == 0)
                return -EINVAL;
            rng->rate = v;
            have_rate = true;
        } else if (!strncmp(item, "burst=", 6) && !have_burst) {
            if (parse_size(item + 6, &v) < 0 || v == 0)
                return -EINVAL;
            rng->burst = v;
            have_burst = true;
        } else {
            return -EINVAL;
        }
    }
    return have_rate ? 0 : -EINVAL;
}

/* "NAME=stdio", "NAME=pty" or "NAME=unix:PATH". */
static int parse_port(char *s, struct rv_port_config *port)
{
    char *eq = strchr(s, '=');
    if (!eq)
        return -EINVAL;
    *eq = 0;
    const char *what = eq + 1;
    port->name = s;
    if (!virtio_console_name_valid(s))
        return -EINVAL;
    if (!strcmp(what, "stdio")) {
        port->kind = RV_PORT_STDIO;
    } else if (!strcmp(what, "pty")) {
        port->kind = RV_PORT_PTY;
    } else if (!strncmp(what, "unix:", 5) && what[5]) {
        port->kind = RV_PORT_UNIX;
        port->path = what + 5;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* Checks what the device options say together; returns an error message or NULL. */
static const char *check_devices(const struct rv_machine_config *cfg)
{
    unsigned stdio_users = cfg->virtio_console ? 1 : 0;
    for (unsigned i = 0; i < cfg->num_ports; i++) {
        if (cfg->ports[i].kind == RV_PORT_STDIO)
            stdio_users++;
        for (unsigned j = 0; j < i; j++) {
            if (!strcmp(cfg->ports[i].name, cfg->ports[j].name))
                return "two --port options have the same name";
            if (cfg->ports[i].kind == RV_PORT_UNIX && cfg->ports[j].kind == RV_PORT_UNIX &&
                !strcmp(cfg->ports[i].path, cfg->ports[j].path))
                return "two --port options listen on the same socket";
        }
    }
    if (stdio_users > 1)
        return "only one of --console virtio and --port NAME=stdio can have kite's stdio";
    /* Each disk, the virtio console, the port device and the rng take a virtio-mmio slot. */
    if (rv_machine_virtio_slots(cfg) > RV_VIRTIO_SLOTS)
        return "too many VirtIO devices: disks, --console virtio, the --port device and --rng "
               "share 8 virtio-mmio slots";
    return NULL;
}

/*
 * "PATH[,ro][,serial=ID][,cache=MODE][,snapshot]" into d; the strings point into `buf`,
 * which the caller keeps. Returns 0, or -EINVAL with *why set.
 */
static int parse_disk(char *buf, struct rv_disk_config *d, const char **why)
{
    /* The path runs to the first single comma; ",," is a literal comma. */
    char *r = buf, *w = buf;
    while (*r && !(r[0] == ',' && r[1] != ',')) {
        if (r[0] == ',')
            r++;
        *w++ = *r++;
    }
    char *opts = *r ? r + 1 : NULL;
    *w = '\0';
    *d = (struct rv_disk_config){.path = buf, .cache = BLOCK_CACHE_WRITEBACK};
    if (!*buf) {
        *why = "no image path";
        return -EINVAL;
    }
    bool have_cache = false, have_serial = false;
    char *save = NULL;
    for (char *item = opts ? strtok_r(opts, ",", &save) : NULL; item;
         item = strtok_r(NULL, ",", &save)) {
        if (!strcmp(item, "ro") && !d->read_only) {
            d->read_only = true;
        } else if (!strcmp(item, "snapshot") && !d->snapshot) {
            d->snapshot = true;
        } else if (!strncmp(item, "serial=", 7) && !have_serial) {
            const char *v = item + 7;
            if (strlen(v) > 20) {
                *why = "serial= takes at most 20 characters";
                return -EINVAL;
            }
            for (const char *p = v; *p; p++) {
                if (*p < 0x21 || *p > 0x7e) {
                    *why = "serial= takes printable ASCII without spaces";
                    return -EINVAL;
                }
            }
            d->serial = v;
            have_serial = true;
        } else if (!strncmp(item, "cache=", 6) && !have_cache) {
            const char *v = item + 6;
            if (!strcmp(v, "writeback"))
                d->cache = BLOCK_CACHE_WRITEBACK;
            else if (!strcmp(v, "none"))
                d->cache = BLOCK_CACHE_NONE;
            else if (!strcmp(v, "unsafe"))
                d->cache = BLOCK_CACHE_UNSAFE;
            else {
                *why = "cache= is writeback, none or unsafe";
                return -EINVAL;
            }
            have_cache = true;
        } else {
            *why = "options are ro, serial=ID, cache=writeback|none|unsafe, snapshot "
                   "(each once)";
            return -EINVAL;
        }
    }
    return 0;
}

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "kite: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'kite run --help')\n");
    return KITE_EXIT_USAGE;
}

static int cmd_run(int argc, char **argv)
{
    enum { OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_BIOS, OPT_MEM, OPT_NO_REBOOT,
           OPT_RNG, OPT_CONSOLE, OPT_PORT, OPT_DISK, OPT_UART };
    static const struct option opts[] = {
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"append", required_argument, NULL, OPT_APPEND},
        {"bios", required_argument, NULL, OPT_BIOS},
        {"mem", required_argument, NULL, OPT_MEM},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"rng", optional_argument, NULL, OPT_RNG},
        {"console", required_argument, NULL, OPT_CONSOLE},
        {"port", required_argument, NULL, OPT_PORT},
        {"disk", required_argument, NULL, OPT_DISK},
        {"uart", required_argument, NULL, OPT_UART},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rv_machine_config cfg = {.ram_size = DEFAULT_RAM};
    opterr = 0;
    optind = 1;
    int c;
    /* "+": stop at the first non-option, so --rng may take its value as the next word. */
    while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_KERNEL: cfg.kernel = optarg; break;
        case OPT_INITRD: cfg.initrd = optarg; break;
        case OPT_APPEND: cfg.append = optarg; break;
        case OPT_BIOS: cfg.bios = optarg; break;
        case OPT_MEM:
            if (parse_size(optarg, &cfg.ram_size) < 0)
                return fail_usage("bad memory size '%s': use a number with K, M or G", optarg);
            if (cfg.ram_size < MIN_RAM || cfg.ram_size > MAX_RAM || cfg.ram_size % 4096)
                return fail_usage("memory size '%s' must be 16M..256G, a multiple of 4K",
                                  optarg);
            break;
        case OPT_NO_REBOOT: cfg.no_reboot = true; break;
        case OPT_RNG: {
            if (cfg.rng.enabled)
                return fail_usage("option '%s' given twice", "--rng");
            cfg.rng.enabled = true;
            const char *val = optarg;
            /* "--rng rate=..." as well as "--rng=rate=...": a following word with '='. */
            if (!val && optind < argc && argv[optind][0] != '-' && strchr(argv[optind], '='))
                val = argv[optind++];
            if (val && parse_rng(val, &cfg.rng) < 0)
                return fail_usage("bad --rng value '%s': use rate=BYTES_PER_SEC[,burst=BYTES]",
                                  val);
            break;
        }
        case OPT_CONSOLE:
            if (!strcmp(optarg, "virtio"))
                cfg.virtio_console = true;
            else if (!strcmp(optarg, "uart"))
                cfg.virtio_console = false;
            else
                return fail_usage("bad --console value '%s': use uart or virtio", optarg);
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
        case OPT_PORT:
            if (cfg.num_ports == RV_MAX_PORTS)
                return fail_usage("too many --port options (at most %s)", "7");
            if (parse_port(optarg, &cfg.ports[cfg.num_ports]) < 0)
                return fail_usage("bad --port value '%s': use NAME=stdio|pty|unix:PATH with "
                                  "NAME of letters, digits, '.', '_' and '-'", optarg);
            cfg.num_ports++;
            break;
        case OPT_DISK: {
            if (cfg.ndisks >= RV_MAX_DISKS)
                return fail_usage("too many disks (at most %s)", "7");
            static char disk_bufs[RV_MAX_DISKS][PATH_MAX + 128];
            char *buf = disk_bufs[cfg.ndisks];
            if (strlen(optarg) >= sizeof(disk_bufs[0]))
                return fail_usage("--disk value too long: '%.64s...'", optarg);
            strcpy(buf, optarg);
            const char *why = "";
            if (parse_disk(buf, &cfg.disks[cfg.ndisks], &why) < 0) {
                fprintf(stderr, "kite: bad --disk value '%s': %s (try 'kite run --help')\n",
                        optarg, why);
                return KITE_EXIT_USAGE;
            }
            cfg.ndisks++;
            break;
        }
        case 'v':
            if (log_threshold < LOG_DEBUG)
                log_threshold++;
            break;
        case 'h': usage_run(stdout); return 0;
        case ':': return fail_usage("option '%s' needs a value", argv[optind - 1]);
        default: return fail_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument '%s'", argv[optind]);
    const char *port_error = check_devices(&cfg);
    if (port_error)
        return fail_usage("%s", port_error);

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
        cfg.append = cfg.virtio_console ? DEFAULT_APPEND_HVC
                     : cfg.uart == RV_UART_SIFIVE ? DEFAULT_APPEND_SIF : DEFAULT_APPEND;
    return rv_machine_run(&cfg);
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
    fprintf(stderr, "kite: unknown command '%s' (try 'kite --help')\n", argv[1]);
    return KITE_EXIT_USAGE;
}
