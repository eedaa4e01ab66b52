/* The device registry and the option syntax every device shares. */
#include "core/device_registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TYPES 32

static const struct device_type *types[MAX_TYPES];
static unsigned ntypes;

void device_type_register(const struct device_type *type)
{
    /* Registration happens before main(): a full table is a build mistake, not input. */
    if (ntypes == MAX_TYPES || device_type_find(type->name)) {
        fprintf(stderr, "kite: internal: cannot register device type %s\n", type->name);
        abort();
    }
    /* Kept sorted by order, so --help and the board see the same sequence every build
     * (constructors run in link order, which the Makefile does not promise). */
    unsigned pos = ntypes;
    while (pos > 0 && (types[pos - 1]->order > type->order ||
                       (types[pos - 1]->order == type->order &&
                        strcmp(types[pos - 1]->name, type->name) > 0))) {
        types[pos] = types[pos - 1];
        pos--;
    }
    types[pos] = type;
    ntypes++;
}

const struct device_type *device_type_at(unsigned i)
{
    return i < ntypes ? types[i] : NULL;
}

const struct device_type *device_type_find(const char *name)
{
    for (unsigned i = 0; i < ntypes; i++)
        if (!strcmp(types[i]->name, name))
            return types[i];
    return NULL;
}

int dev_opts_parse(const char *s, const char *first_key, struct dev_opts *out,
                   const char **why)
{
    memset(out, 0, sizeof(*out));
    out->buf = strdup(s ? s : "");
    if (!out->buf) {
        *why = "out of memory";
        return -ENOMEM;
    }
    if (!s || !*s)
        return 0;
    /* Unescape ",," in place while cutting items at single commas. */
    char *r = out->buf, *w = out->buf;
    while (*r) {
        char *item = w;
        while (*r && !(r[0] == ',' && r[1] != ',')) {
            if (r[0] == ',')
                r++;
            *w++ = *r++;
        }
        if (*r)
            r++;
        *w++ = '\0';
        if (out->count == DEV_OPTS_MAX) {
            *why = "too many options";
            return -EINVAL;
        }
        char *eq = strchr(item, '=');
        struct dev_opt *o = &out->items[out->count];
        if (out->count == 0 && first_key && !eq) {
            *o = (struct dev_opt){.key = first_key, .value = item};
        } else if (eq) {
            *eq = '\0';
            *o = (struct dev_opt){.key = item, .value = eq + 1};
        } else {
            *o = (struct dev_opt){.key = item, .value = NULL};
        }
        if (!*o->key) {
            *why = out->count == 0 && first_key ? "empty first value" : "empty option";
            return -EINVAL;
        }
        out->count++;
    }
    return 0;
}

int dev_opts_add(struct dev_opts *o, const char *key, const char *value)
{
    if (o->count == DEV_OPTS_MAX)
        return -E2BIG;
    size_t kl = strlen(key) + 1, vl = value ? strlen(value) + 1 : 0;
    char *k = malloc(kl + vl);
    if (!k)
        return -ENOMEM;
    memcpy(k, key, kl);
    char *v = value ? memcpy(k + kl, value, vl) : NULL;
    o->added[o->count] = k;
    o->items[o->count++] = (struct dev_opt){.key = k, .value = v};
    return 0;
}

void dev_opts_free(struct dev_opts *o)
{
    free(o->buf);
    for (unsigned i = 0; i < DEV_OPTS_MAX; i++)
        free(o->added[i]);
    memset(o, 0, sizeof(*o));
}

const struct dev_opt *dev_opts_take(struct dev_opts *o, const char *key, bool *dup)
{
    struct dev_opt *found = NULL;
    for (unsigned i = 0; i < o->count; i++) {
        if (strcmp(o->items[i].key, key))
            continue;
        if (found && dup)
            *dup = true;
        o->items[i].used = true;
        if (!found)
            found = &o->items[i];
    }
    return found;
}

const struct dev_opt *dev_opts_leftover(const struct dev_opts *o)
{
    for (unsigned i = 0; i < o->count; i++)
        if (!o->items[i].used)
            return &o->items[i];
    return NULL;
}

int dev_parse_size(const char *s, uint64_t *out)
{
    errno = 0;
    char *end;
    if (!s || !*s || *s == '-')
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

/* transport= and addr=, common to every VirtIO device. */
static int take_common(struct dev_opts *o, struct device_instance *inst, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *t = dev_opts_take(o, "transport", &dup);
    const struct dev_opt *a = dev_opts_take(o, "addr", &dup);
    if (dup) {
        snprintf(why, len, "transport= and addr= may each be given once");
        return -EINVAL;
    }
    inst->transport = TRANSPORT_DEFAULT;
    inst->pci_slot = -1;
    if (t) {
        if (t->value && !strcmp(t->value, "mmio")) {
            inst->transport = TRANSPORT_MMIO;
        } else if (t->value && !strcmp(t->value, "pci")) {
            inst->transport = TRANSPORT_PCI;
        } else {
            snprintf(why, len, "transport= is mmio or pci");
            return -EINVAL;
        }
    }
    if (a) {
        char *end;
        errno = 0;
        long v = a->value ? strtol(a->value, &end, 0) : -1;
        /* Slot 0 is the host bridge's. */
        if (!a->value || !*a->value || errno || *end || v < 1 || v > 31) {
            snprintf(why, len, "addr= is a PCI slot number, 1 to 31");
            return -EINVAL;
        }
        inst->pci_slot = (int)v;
    }
    return 0;
}

int device_list_add(struct device_list *l, const struct device_type *type, const char *spec,
                    char *why, size_t len)
{
    if (l->count == DEVICE_MAX_INSTANCES) {
        snprintf(why, len, "too many devices (at most %d)", DEVICE_MAX_INSTANCES);
        return -EINVAL;
    }
    struct device_instance inst = {.type = type};
    struct dev_opts o;
    const char *perr = NULL;
    if (dev_opts_parse(spec, type->first_key, &o, &perr) < 0) {
        snprintf(why, len, "%s", perr);
        dev_opts_free(&o);
        return -EINVAL;
    }
    if (take_common(&o, &inst, why, len) < 0) {
        dev_opts_free(&o);
        return -EINVAL;
    }
    why[0] = '\0';
    inst.cfg = type->parse(&o, why, len);
    if (inst.cfg) {
        const struct dev_opt *left = dev_opts_leftover(&o);
        if (left) {
            snprintf(why, len, "unknown option '%s'", left->key);
            type->free_config(inst.cfg);
            inst.cfg = NULL;
        }
    } else if (!why[0]) {
        snprintf(why, len, "bad value");
    }
    dev_opts_free(&o);
    if (!inst.cfg)
        return -EINVAL;
    inst.spec = strdup(spec ? spec : "");
    l->items[l->count++] = inst;
    return 0;
}

unsigned device_list_configs(const struct device_list *l, const struct device_type *type,
                             void **cfgs, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->count; i++)
        if (l->items[i].type == type && n < max)
            cfgs[n++] = l->items[i].cfg;
    return n;
}

const char *device_list_check(const struct device_list *l)
{
    static char msg[160];
    unsigned stdio_users = 0;
    for (unsigned i = 0; i < l->count; i++)
        if (l->items[i].type->uses_stdio)
            stdio_users += l->items[i].type->uses_stdio(l->items[i].cfg);
    if (stdio_users > 1)
        return "only one device can have kite's stdio (--console virtio, --port NAME=stdio)";
    for (unsigned t = 0; t < ntypes; t++) {
        void *cfgs[DEVICE_MAX_INSTANCES];
        unsigned n = device_list_configs(l, types[t], cfgs, DEVICE_MAX_INSTANCES);
        if (!n)
            continue;
        if (n > types[t]->max_instances) {
            snprintf(msg, sizeof(msg), "too many --%s options (at most %u)", types[t]->name,
                     types[t]->max_instances);
            return msg;
        }
        const char *why = types[t]->check ? types[t]->check(cfgs, n) : NULL;
        if (why)
            return why;
    }
    return NULL;
}

void device_list_free(struct device_list *l)
{
    for (unsigned i = 0; i < l->count; i++) {
        l->items[i].type->free_config(l->items[i].cfg);
        free(l->items[i].spec);
    }
    l->count = 0;
}
