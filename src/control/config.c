/* The JSON config file of `kite run` (see config.h). */
#define _GNU_SOURCE
#include "control/config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_registry.h"
#include "riscv/cpu.h"
#include "riscv/machine.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ARGS 512

/* The base options a file may set, and what their values are. */
/* K_FLAG_OR_INT: true gives --KEY, a number N gives --KEY=N (--icount[=SHIFT]). */
enum kind { K_STRING, K_SIZE, K_FLAG, K_COUNT, K_FLAG_OR_INT };
static const struct {
    const char *key;
    enum kind kind;
} base_keys[] = {
    {"kernel", K_STRING}, {"initrd", K_STRING}, {"append", K_STRING}, {"bios", K_STRING},
    {"mem", K_SIZE}, {"no-reboot", K_FLAG}, {"console", K_STRING}, {"transport", K_STRING},
    {"qmp", K_STRING}, {"irqchip", K_STRING}, {"engine", K_STRING},
    {"uart", K_STRING}, {"verbose", K_COUNT}, {"icount", K_FLAG_OR_INT},
};

struct builder {
    const char *path;
    const char *text;           /* the file, to find where a key is */
    char **args;
    const char **keys;          /* the key each argument came from */
    int count;
    char *err;
    size_t err_len;
};

/* Where each option made from the file came from, for config_origin(). */
#define ORIGIN_LEN 320
static struct {
    const char *arg;
    char where[ORIGIN_LEN];
} origins[CONFIG_MAX_ARGS];
static int norigins;

/* Line and column (1-based) of the first "key" followed by ':' in the file. */
static void key_position(const char *text, const char *key, int *line, int *col)
{
    size_t kl = strlen(key);
    *line = 1;
    *col = 1;
    int l = 1, c = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '"' && !strncmp(p + 1, key, kl) && p[kl + 1] == '"') {
            const char *q = p + kl + 2;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
                q++;
            if (*q == ':') {
                *line = l;
                *col = c;
                return;
            }
        }
        if (*p == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
}

static int bad(struct builder *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct builder *b, const char *key, const char *fmt, ...)
{
    int line, col;
    key_position(b->text, key, &line, &col);
    int n = snprintf(b->err, b->err_len, "%s:%d:%d: key '%s': ", b->path, line, col, key);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < b->err_len)
        vsnprintf(b->err + n, b->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int push(struct builder *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int push(struct builder *b, const char *key, const char *fmt, ...)
{
    if (b->count == CONFIG_MAX_ARGS)
        return bad(b, key, "too many options in one file");
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    b->keys[b->count] = key;
    b->args[b->count++] = s;
    return 0;
}

/* Appends `s`, with its commas doubled if `escape` (the option syntax's literal comma). */
static void append(char **buf, size_t *len, size_t *cap, const char *s, bool escape)
{
    for (; *s && *buf; s++) {
        if (*len + 3 > *cap) {
            *cap *= 2;
            char *p = realloc(*buf, *cap);
            if (!p) {
                free(*buf);
                *buf = NULL;
                return;
            }
            *buf = p;
        }
        if (escape && *s == ',')
            (*buf)[(*len)++] = ',';
        (*buf)[(*len)++] = *s;
        (*buf)[*len] = '\0';
    }
}

/* One device entry as the option's text (malloc'd), or NULL after bad(). */
static char *entry_text(struct builder *b, const char *key, json_t *e)
{
    if (json_is_string(e))
        return strdup(json_string_value(e));
    if (!json_is_object(e)) {
        bad(b, key, "an entry is the option's text or an object of its items");
        return NULL;
    }
    size_t len = 0, cap = 64;
    char *buf = calloc(1, cap);
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) {
        char num[32];
        const char *val;
        if (json_is_false(v))
            continue;
        if (json_is_true(v))
            val = NULL;
        else if (json_is_string(v))
            val = json_string_value(v);
        else if (json_is_integer(v))
            val = (snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v)),
                   num);
        else {
            bad(b, key, "member '%s' must be a string, an integer or a boolean", k);
            free(buf);
            return NULL;
        }
        if (len)
            append(&buf, &len, &cap, ",", false);
        append(&buf, &len, &cap, k, true);
        if (val) {
            append(&buf, &len, &cap, "=", false);
            append(&buf, &len, &cap, val, true);
        }
        if (!buf)
            return NULL;
    }
    return buf;
}

static int add_device(struct builder *b, const struct device_type *t, json_t *v)
{
    json_t *one = v;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : one;
        if (json_is_true(e) && t->optional_value) {
            if (push(b, t->name, "--%s", t->name) < 0)
                return -EINVAL;
            continue;
        }
        char *text = entry_text(b, t->name, e);
        if (!text)
            return -EINVAL;
        int r = !*text && t->optional_value ? push(b, t->name, "--%s", t->name)
                                            : push(b, t->name, "--%s=%s", t->name, text);
        free(text);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_base(struct builder *b, const char *key, enum kind kind, json_t *v)
{
    switch (kind) {
    case K_STRING:
        if (!json_is_string(v))
            return bad(b, key, "must be a string");
        return push(b, key, "--%s=%s", key, json_string_value(v));
    case K_SIZE:
        if (json_is_integer(v))
            return push(b, key, "--%s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
        if (!json_is_string(v))
            return bad(b, key, "must be a size: a string such as \"1G\" or a number of bytes");
        return push(b, key, "--%s=%s", key, json_string_value(v));
    case K_FLAG:
        if (!json_is_boolean(v))
            return bad(b, key, "must be true or false");
        return json_is_true(v) ? push(b, key, "--%s", key) : 0;
    case K_FLAG_OR_INT:
        if (json_is_integer(v))
            return push(b, key, "--%s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
        if (!json_is_boolean(v))
            return bad(b, key, "must be true, false or a number");
        return json_is_true(v) ? push(b, key, "--%s", key) : 0;
    case K_COUNT: {
        json_int_t n = json_is_true(v) ? 1 : json_is_integer(v) ? json_integer_value(v) : -1;
        if (!json_is_boolean(v) && (n < 0 || n > 3))
            return bad(b, key, "must be true, false or 0 to 3");
        for (json_int_t i = 0; i < n; i++)
            if (push(b, key, "--%s", key) < 0)
                return -EINVAL;
        return 0;
    }
    }
    return 0;
}

/* Reads the file whole (bounded) into a string. */
static char *read_file(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "cannot read config %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(CONFIG_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    bool failed = ferror(f);
    fclose(f);
    if (!text || failed) {
        snprintf(err, err_len, "cannot read config %s: %s", path,
                 text ? "read error (is it a directory?)" : "out of memory");
        free(text);
        return NULL;
    }
    if (n > CONFIG_MAX_BYTES) {
        snprintf(err, err_len, "config %s is larger than %d bytes", path, CONFIG_MAX_BYTES);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

static int file_to_args(const char *path, struct builder *b)
{
    char *text = read_file(path, b->err, b->err_len);
    if (!text)
        return -EINVAL;
    b->text = text;
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    int ret = 0;
    norigins = 0;
    if (!root) {
        snprintf(b->err, b->err_len, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        ret = -EINVAL;
    } else if (!json_is_object(root)) {
        snprintf(b->err, b->err_len, "%s:1:1: the config is one JSON object {...}", path);
        ret = -EINVAL;
    }
    const char *key;
    json_t *v;
    if (!ret) {
        json_object_foreach(root, key, v) {
            unsigned i = 0;
            while (i < sizeof(base_keys) / sizeof(base_keys[0]) && strcmp(base_keys[i].key, key))
                i++;
            const struct device_type *t = device_type_find(key);
            if (i < sizeof(base_keys) / sizeof(base_keys[0]))
                ret = add_base(b, key, base_keys[i].kind, v);
            else if (t && !t->internal)
                ret = add_device(b, t, v);
            else
                ret = bad(b, key, "unknown key (the keys are kite run's long options)");
            if (ret)
                break;
        }
    }
    for (int i = 0; !ret && i < b->count; i++) {
        int line, col;
        key_position(text, b->keys[i], &line, &col);
        origins[i].arg = b->args[i];
        snprintf(origins[i].where, ORIGIN_LEN, "%s:%d:%d: key '%s': ", path, line, col,
                 b->keys[i]);
        norigins = i + 1;
    }
    json_decref(root);
    free(text);
    b->text = NULL;
    return ret;
}

int config_expand_argv(int argc, char **argv, int *out_argc, char ***out_argv, char *err,
                       size_t err_len)
{
    *out_argc = argc;
    *out_argv = argv;
    const char *path = NULL;
    int at = -1, width = 0;
    for (int i = 1; i < argc; i++) {
        const char *p = NULL;
        int w = 0;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            p = argv[i + 1], w = 2;
        else if (!strncmp(argv[i], "--config=", 9))
            p = argv[i] + 9, w = 1;
        else if (!strcmp(argv[i], "--config")) {
            snprintf(err, err_len, "option '--config' needs a value");
            return -EINVAL;
        }
        if (!p)
            continue;
        if (path) {
            snprintf(err, err_len, "--config may be given once");
            return -EINVAL;
        }
        path = p;
        at = i;
        width = w;
        i += w - 1;
    }
    if (!path)
        return 0;
    const char *keys[CONFIG_MAX_ARGS];
    struct builder b = {.path = path, .args = calloc(CONFIG_MAX_ARGS, sizeof(char *)),
                        .keys = keys, .err = err, .err_len = err_len};
    if (!b.args) {
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    int ret = file_to_args(path, &b);
    char **out = ret ? NULL : calloc((size_t)(argc + b.count + 1), sizeof(char *));
    if (!ret && !out) {
        snprintf(err, err_len, "out of memory");
        ret = -ENOMEM;
    }
    if (ret) {
        for (int i = 0; i < b.count; i++)
            free(b.args[i]);
        free(b.args);
        return ret;
    }
    int n = 0;
    out[n++] = argv[0];
    for (int i = 0; i < b.count; i++)
        out[n++] = b.args[i];
    for (int i = 1; i < argc; i++)
        if (i < at || i >= at + width)
            out[n++] = argv[i];
    out[n] = NULL;
    free(b.args);
    *out_argc = n;
    *out_argv = out;
    return 0;
}

const char *config_origin(const char *p)
{
    for (int i = 0; p && i < norigins; i++)
        if (p >= origins[i].arg && p <= origins[i].arg + strlen(origins[i].arg))
            return origins[i].where;
    return "";
}

void config_argv_free(int argc, char **argv, char **orig)
{
    if (argv == orig)
        return;
    norigins = 0;
    /* What is not one of the original arguments came from the file. */
    for (int i = 1; i < argc; i++) {
        bool mine = true;
        for (char **o = orig + 1; *o && mine; o++)
            mine = *o != argv[i];
        if (mine)
            free(argv[i]);
    }
    free(argv);
}

static void print_string(FILE *out, const char *s)
{
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(t ? t : "\"\"", out);
    free(t);
    json_decref(j);
}

static void print_size(FILE *out, uint64_t v)
{
    static const char suffix[] = "KMGT";
    int s = -1;
    while (s < 3 && v && v % 1024 == 0) {
        v /= 1024;
        s++;
    }
    if (s >= 0)
        fprintf(out, "\"%" PRIu64 "%c\"", v, suffix[s]);
    else
        fprintf(out, "%" PRIu64, v);
}

void config_print(FILE *out, const struct rv_machine_config *cfg, bool virtio_console)
{
    const char *sep = "{\n";
    const struct {
        const char *key, *value;
    } strings[] = {{"kernel", cfg->kernel}, {"initrd", cfg->initrd}, {"append", cfg->append},
                   {"bios", cfg->bios}, {"qmp", cfg->qmp_path}};
    for (unsigned i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (!strings[i].value)
            continue;
        fprintf(out, "%s  \"%s\": ", sep, strings[i].key);
        print_string(out, strings[i].value);
        sep = ",\n";
    }
    fprintf(out, "%s  \"mem\": ", sep);
    print_size(out, cfg->ram_size);
    sep = ",\n";
    if (cfg->no_reboot)
        fprintf(out, "%s  \"no-reboot\": true", sep);
    if (virtio_console)
        fprintf(out, "%s  \"console\": \"virtio\"", sep);
    if (cfg->default_transport == TRANSPORT_PCI)
        fprintf(out, "%s  \"transport\": \"pci\"", sep);
    if (cfg->aia)
        fprintf(out, "%s  \"irqchip\": \"aia\"", sep);
    if (cfg->uart != RV_UART_NS16550A)
        fprintf(out, "%s  \"uart\": \"%s\"", sep,
                cfg->uart == RV_UART_SIFIVE ? "sifive" : "both");
    if (cfg->engine != RV_ENGINE_DEFAULT)
        fprintf(out, "%s  \"engine\": \"%s\"", sep,
                cfg->engine == RV_ENGINE_INTERP ? "interp" : "jit");
    if (cfg->icount)
        fprintf(out, "%s  \"icount\": %u", sep, cfg->icount_shift);
    const struct device_list *l = cfg->devices;
    for (unsigned t = 0; l && device_type_at(t); t++) {
        const struct device_type *type = device_type_at(t);
        if (type->internal)
            continue;
        const char *isep = "";
        for (unsigned i = 0; i < l->count; i++) {
            if (l->items[i].type != type)
                continue;
            if (!*isep)
                fprintf(out, "%s  \"%s\": [", sep, type->name);
            fputs(isep, out);
            /* An option given without a value (--rng) is `true`. */
            if (l->items[i].spec && *l->items[i].spec)
                print_string(out, l->items[i].spec);
            else
                fputs("true", out);
            isep = ", ";
        }
        if (*isep)
            fputs("]", out);
    }
    fputs("\n}\n", out);
}
