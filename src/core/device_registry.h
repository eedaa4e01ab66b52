/*
 * The device registry. Each VirtIO device file registers one device_type (with
 * DEVICE_TYPE_REGISTER, as kvmtool's dev_init and bhyve's PCI_EMUL_SET do): its option name,
 * how to parse one instance's options, how to open its host ends and how to create the
 * device for a boot. The command line (and the config file, QMP queries, --help) find
 * devices here, and the board places whatever was created on a transport without knowing
 * which device it is. Adding a device is adding one file.
 *
 * Options of one instance are "key=value" items separated by commas, e.g.
 * "disk.img,ro,serial=abc,transport=pci,addr=3": a leading item without '=' is the value
 * of the type's first_key ("path" here), an item without '=' later is a flag (value NULL),
 * ",," is a literal comma. A config file hands the same items over as JSON members, so
 * both routes meet in the type's parse().
 *
 * transport= and addr= are common to every VirtIO device and taken out before parse().
 */
#ifndef KITE_CORE_DEVICE_REGISTRY_H
#define KITE_CORE_DEVICE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_device;
struct guest_mem;
struct event_loop;
struct stdio_console;

#define DEV_OPTS_MAX 32

struct dev_opt {
    const char *key;
    const char *value;      /* NULL for a flag ("ro") */
    bool used;              /* set by dev_opts_take(): what is left over is an error */
};

struct dev_opts {
    struct dev_opt items[DEV_OPTS_MAX];
    unsigned count;
    char *buf;              /* owns the strings of dev_opts_parse */
    char *added[DEV_OPTS_MAX];  /* and of dev_opts_add, one block per item */
};

/* Splits `s` into items (see above). Returns 0, or -EINVAL with *why set. */
int dev_opts_parse(const char *s, const char *first_key, struct dev_opts *out,
                   const char **why);
/* Adds one item (a config file's member); key and value are copied. Start from a zeroed
 * dev_opts (or one dev_opts_parse filled). */
int dev_opts_add(struct dev_opts *o, const char *key, const char *value);
void dev_opts_free(struct dev_opts *o);
/* The item named `key`, marked used; NULL if absent. -EINVAL through *dup if given twice. */
const struct dev_opt *dev_opts_take(struct dev_opts *o, const char *key, bool *dup);
/* The first item nobody took, or NULL: an unknown option. */
const struct dev_opt *dev_opts_leftover(const struct dev_opts *o);
/* Parses "512M", "4K", "1048576" (binary suffixes). */
int dev_parse_size(const char *s, uint64_t *out);

enum virtio_transport_kind { TRANSPORT_DEFAULT, TRANSPORT_MMIO, TRANSPORT_PCI };

/* What a device gets when it is created for a boot. */
struct device_env {
    const struct guest_mem *mem;
    struct event_loop *loop;
    struct stdio_console *console;  /* kite's stdio, for devices that can use it */
    unsigned nharts;
    /* --icount: results must not depend on the host (no host randomness or timing). */
    bool deterministic;
};

/* What a device's host ends get when they are opened, once per run. */
struct device_host_env {
    struct event_loop *loop;
    struct stdio_console *console;
    /* --icount: host work completes at points fixed by the guest's instruction count. */
    bool deterministic;
};

struct device_type {
    const char *name;           /* option and config key: --NAME, "NAME": [...] */
    const char *first_key;      /* key of a leading value without '=' (NULL = none) */
    const char *usage;          /* the value, e.g. "PATH[,ro][,serial=ID]" */
    const char *help;           /* what it adds, one or more lines for --help */
    bool optional_value;        /* "--NAME" alone is fine (e.g. --rng) */
    bool internal;              /* no option of its own (the virtio console: --console) */
    unsigned max_instances;
    /* All instances together form one device (e.g. --port: one multiport console). */
    bool grouped;
    /* Slot order on the board: lower first (disks first, so they are vda, vdb, ...). */
    int order;

    /*
     * Checks one instance's options and returns its configuration (owned by the caller,
     * freed with free_config), or NULL with a reason in why[0..why_len) (one clause, no
     * trailing period). Every option the type knows must be taken with dev_opts_take().
     */
    void *(*parse)(struct dev_opts *opts, char *why, size_t why_len);
    void (*free_config)(void *cfg);
    /* Optional: checks across every instance of the type; returns a reason or NULL. */
    const char *(*check)(void *const *cfgs, unsigned n);
    /* Optional: how many of kite's stdio this instance wants (0 or 1). */
    unsigned (*uses_stdio)(const void *cfg);
    /* Optional: opens the host ends of every instance before the guest starts (they
     * outlive guest reboots). 0 or a negative errno (already logged). */
    int (*open_host)(void *const *cfgs, unsigned n, const struct device_host_env *env);
    void (*close_host)(void *const *cfgs, unsigned n);
    /*
     * Creates the device for one boot from one instance (n == 1) or, when grouped, all of
     * them; returns its VirtIO side, with *state what destroy() gets. NULL on failure.
     */
    struct virtio_device *(*create)(void *const *cfgs, unsigned n, const struct device_env *env,
                                    void **state);
    void (*destroy)(void *state);
    /* Optional: the state dump of Ctrl-A d beyond the VirtIO queues. */
    void (*dump)(void *state);
};

void device_type_register(const struct device_type *type);
#define DEVICE_TYPE_REGISTER(t)                                                  \
    static void __attribute__((constructor)) device_type_register_##t(void)      \
    {                                                                            \
        device_type_register(&t);                                                \
    }

/* Registered types in registration order; NULL past the end. */
const struct device_type *device_type_at(unsigned i);
const struct device_type *device_type_find(const char *name);

/* One --NAME option (or config entry), parsed. */
struct device_instance {
    const struct device_type *type;
    void *cfg;
    enum virtio_transport_kind transport;
    int pci_slot;               /* addr=N, -1 = next free */
    char *spec;                 /* the option's text, for messages and --print-config */
};

#define DEVICE_MAX_INSTANCES 64

/* Every device of a machine, in command-line order. */
struct device_list {
    struct device_instance items[DEVICE_MAX_INSTANCES];
    unsigned count;
};

/*
 * Parses `spec` as an instance of `type` and appends it. Returns 0, or -EINVAL with a
 * message in why[0..len).
 */
int device_list_add(struct device_list *l, const struct device_type *type, const char *spec,
                    char *why, size_t len);
/* Checks what the instances say together (per-type limits and checks, stdio users). */
const char *device_list_check(const struct device_list *l);
void device_list_free(struct device_list *l);
/* The configurations of `type`'s instances, in order, into cfgs[] (at most max). */
unsigned device_list_configs(const struct device_list *l, const struct device_type *type,
                             void **cfgs, unsigned max);

#endif
