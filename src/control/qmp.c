/* QMP sessions: parsing, dispatch and QEMU-shaped replies (see qmp.h). */
#define _GNU_SOURCE
#include "control/qmp.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "control/qcode.h"
#include "core/device_registry.h"
#include "core/input.h"
#include "core/link_control.h"

/* QEMU's error classes (qapi/error.json). */
#define ERR_GENERIC "GenericError"
#define ERR_NOT_FOUND "CommandNotFound"
#define ERR_DEVICE_NOT_FOUND "DeviceNotFound"

/* Events in one input-send-event: a whole group must fit a device's group. */
#define QMP_MAX_INPUT_EVENTS 24

struct qmp_session {
    const struct qmp_env *env;
    qmp_send_fn send;
    void *opaque;
    bool negotiated;
};

/* A command's reply: either a return value or an error. */
struct reply {
    json_t *ret;            /* owned */
    const char *cls;
    char desc[256];
};

static void fail(struct reply *r, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct reply *r, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->desc, sizeof(r->desc), fmt, ap);
    va_end(ap);
    /* The text may quote the client (a parse error shows the bytes it stopped at): keep it
     * printable ASCII, or jansson refuses the string and the client gets no reply at all
     * (invalid UTF-8, or a character cut in two by the length limit). */
    for (char *c = r->desc; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    r->cls = cls;
}

static void send_json(struct qmp_session *s, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
        s->send(s->opaque, text, strlen(text));
        free(text);
    }
    json_decref(j);
}

static json_t *version_json(void)
{
    return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "major", QMP_VERSION_MAJOR, "minor",
                     QMP_VERSION_MINOR, "micro", QMP_VERSION_MICRO, "package", "kite");
}

struct qmp_session *qmp_session_new(const struct qmp_env *env, qmp_send_fn send,
                                    void *opaque)
{
    struct qmp_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    *s = (struct qmp_session){.env = env, .send = send, .opaque = opaque};
    send_json(s, json_pack("{s:{s:o,s:[]}}", "QMP", "version", version_json(),
                           "capabilities"));
    return s;
}

void qmp_session_free(struct qmp_session *s)
{
    free(s);
}

bool qmp_session_negotiated(const struct qmp_session *s)
{
    return s->negotiated;
}

/* Arguments a command takes: name, jansson type (JSON_TRUE means a boolean), required. */
struct arg_spec {
    const char *name;
    int type;
    bool required;
};

static const char *type_name(int type)
{
    switch (type) {
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    case JSON_TRUE: return "bool";
    default: return "value";
    }
}

static bool type_ok(const json_t *v, int type)
{
    if (type == JSON_TRUE)
        return json_is_boolean(v);
    return json_typeof(v) == (json_type)type;
}

/* QEMU's messages for unexpected, missing and mistyped parameters. */
static bool check_args(const json_t *args, const struct arg_spec *spec, struct reply *r)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)args, key, v) {
        const struct arg_spec *a = spec;
        while (a && a->name && strcmp(a->name, key))
            a++;
        if (!a || !a->name) {
            fail(r, ERR_GENERIC, "Parameter '%s' is unexpected", key);
            return false;
        }
        if (!type_ok(v, a->type)) {
            fail(r, ERR_GENERIC, "Invalid parameter type for '%s', expected: %s", key,
                 type_name(a->type));
            return false;
        }
    }
    for (const struct arg_spec *a = spec; a && a->name; a++) {
        if (a->required && !json_object_get(args, a->name)) {
            fail(r, ERR_GENERIC, "Parameter '%s' is missing", a->name);
            return false;
        }
    }
    return true;
}

/* One input event resolved: where it goes and what it is. */
struct resolved_event {
    struct input_sink *sink;
    uint16_t type, code;
    int32_t value;
    bool skip;              /* e.g. a wheel button's release: nothing to send */
};

static const char *const event_types[] = {"key", "btn", "rel", "abs"};
static const unsigned event_caps[] = {INPUT_CAP_KEY, INPUT_CAP_BTN, INPUT_CAP_REL,
                                      INPUT_CAP_ABS};

static bool resolve_key(json_t *data, struct resolved_event *e, struct reply *r)
{
    json_t *key = json_object_get(data, "key"), *down = json_object_get(data, "down");
    if (!json_is_object(key) || !json_is_boolean(down)) {
        fail(r, ERR_GENERIC, "a key event needs 'key' (an object) and 'down' (a bool)");
        return false;
    }
    const char *kt = json_string_value(json_object_get(key, "type"));
    json_t *kd = json_object_get(key, "data");
    int code = -1;
    if (kt && !strcmp(kt, "qcode") && json_is_string(kd)) {
        code = qcode_to_evdev(json_string_value(kd));
        if (code < 0) {
            fail(r, ERR_GENERIC, "Parameter 'key.data' does not accept value '%s'",
                 json_string_value(kd));
            return false;
        }
    } else if (kt && !strcmp(kt, "number") && json_is_integer(kd)) {
        code = qnum_to_evdev((long)json_integer_value(kd));
        if (code < 0) {
            fail(r, ERR_GENERIC, "key number %lld has no key code",
                 (long long)json_integer_value(kd));
            return false;
        }
    } else {
        fail(r, ERR_GENERIC, "a key is {\"type\": \"qcode\", \"data\": NAME} or "
                             "{\"type\": \"number\", \"data\": N}");
        return false;
    }
    *e = (struct resolved_event){.type = INPUT_EV_KEY, .code = (uint16_t)code,
                                 .value = json_is_true(down)};
    return true;
}

static bool resolve_btn(json_t *data, struct resolved_event *e, struct reply *r)
{
    const char *b = json_string_value(json_object_get(data, "button"));
    json_t *down = json_object_get(data, "down");
    if (!b || !json_is_boolean(down)) {
        fail(r, ERR_GENERIC, "a btn event needs 'button' (a string) and 'down' (a bool)");
        return false;
    }
    static const struct {
        const char *name;
        uint16_t code;
    } buttons[] = {{"left", INPUT_BTN_LEFT}, {"right", INPUT_BTN_RIGHT},
                   {"middle", INPUT_BTN_MIDDLE}, {"side", INPUT_BTN_SIDE},
                   {"extra", INPUT_BTN_EXTRA}};
    *e = (struct resolved_event){.type = INPUT_EV_KEY, .value = json_is_true(down)};
    for (unsigned i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++) {
        if (!strcmp(b, buttons[i].name)) {
            e->code = buttons[i].code;
            return true;
        }
    }
    /* A wheel "button" is one notch of the wheel when pressed, as QEMU's virtio mouse. */
    if (!strcmp(b, "wheel-up") || !strcmp(b, "wheel-down")) {
        *e = (struct resolved_event){.type = INPUT_EV_REL, .code = INPUT_REL_WHEEL,
                                     .value = b[6] == 'u' ? 1 : -1, .skip = !json_is_true(down)};
        return true;
    }
    fail(r, ERR_GENERIC, "Parameter 'button' does not accept value '%s'", b);
    return false;
}

static bool resolve_axis(json_t *data, bool abs, struct resolved_event *e, struct reply *r)
{
    const char *axis = json_string_value(json_object_get(data, "axis"));
    json_t *value = json_object_get(data, "value");
    if (!axis || !json_is_integer(value)) {
        fail(r, ERR_GENERIC, "a %s event needs 'axis' (x or y) and 'value' (an int)",
             abs ? "abs" : "rel");
        return false;
    }
    if (strcmp(axis, "x") && strcmp(axis, "y")) {
        fail(r, ERR_GENERIC, "Parameter 'axis' does not accept value '%s'", axis);
        return false;
    }
    json_int_t v = json_integer_value(value);
    if (v < INT32_MIN || v > INT32_MAX) {
        fail(r, ERR_GENERIC, "Parameter 'value' is out of range");
        return false;
    }
    *e = (struct resolved_event){.type = abs ? INPUT_EV_ABS : INPUT_EV_REL,
                                 .code = axis[0] == 'x' ? INPUT_REL_X : INPUT_REL_Y,
                                 .value = (int32_t)v};
    return true;
}

/* Checks every event and finds its device before sending any: a bad event sends none. */
static void cmd_input_send_event(struct qmp_session *s, json_t *args, struct reply *r)
{
    static const struct arg_spec spec[] = {
        {"device", JSON_STRING, false}, {"head", JSON_INTEGER, false},
        {"events", JSON_ARRAY, true}, {NULL, 0, false}};
    if (!check_args(args, spec, r))
        return;
    const char *device = json_string_value(json_object_get(args, "device"));
    json_t *events = json_object_get(args, "events");
    if (device && !input_sink_by_id(device)) {
        fail(r, ERR_DEVICE_NOT_FOUND, "Device '%s' not found", device);
        return;
    }
    if (s->env->vm && s->env->vm->running && !s->env->vm->running(s->env->vm->opaque)) {
        fail(r, ERR_GENERIC, "VM not running");
        return;
    }
    size_t n = json_array_size(events);
    if (n > QMP_MAX_INPUT_EVENTS) {
        fail(r, ERR_GENERIC, "at most %d events at once", QMP_MAX_INPUT_EVENTS);
        return;
    }
    struct resolved_event ev[QMP_MAX_INPUT_EVENTS];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *data = json_object_get(e, "data");
        unsigned t = 0;
        while (type && t < 4 && strcmp(type, event_types[t]))
            t++;
        if (!type || t == 4 || !json_is_object(data)) {
            fail(r, ERR_GENERIC, "an event is {\"type\": \"key|btn|rel|abs\", \"data\": {...}}");
            return;
        }
        bool ok = t == 0 ? resolve_key(data, &ev[i], r)
                : t == 1 ? resolve_btn(data, &ev[i], r)
                         : resolve_axis(data, t == 3, &ev[i], r);
        if (!ok)
            return;
        ev[i].sink = input_sink_find(device, event_caps[t]);
        if (!ev[i].sink) {
            fail(r, ERR_GENERIC, "Input handler not found for event type %s", type);
            return;
        }
    }
    /* One group per device, in the order given. */
    struct input_sink *touched[QMP_MAX_INPUT_EVENTS];
    unsigned ntouched = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].skip)
            continue;
        ev[i].sink->event(ev[i].sink->opaque, ev[i].type, ev[i].code, ev[i].value);
        unsigned k = 0;
        while (k < ntouched && touched[k] != ev[i].sink)
            k++;
        if (k == ntouched)
            touched[ntouched++] = ev[i].sink;
    }
    for (unsigned k = 0; k < ntouched; k++)
        touched[k]->sync(touched[k]->opaque);
    r->ret = json_object();
}

/* query-block: the disks, from their --disk text (the registry keeps it). */
static void cmd_query_block(struct qmp_session *s, json_t *args, struct reply *r)
{
    json_t *list = json_array();
    const struct device_list *l = s->env->devices;
    const struct device_type *disk = device_type_find("disk");
    unsigned n = 0;
    for (unsigned i = 0; l && disk && i < l->count; i++) {
        if (l->items[i].type != disk)
            continue;
        struct dev_opts o;
        const char *why;
        if (dev_opts_parse(l->items[i].spec, disk->first_key, &o, &why) == 0) {
            const struct dev_opt *path = dev_opts_take(&o, disk->first_key, NULL);
            bool ro = dev_opts_take(&o, "ro", NULL) != NULL;
            char name[16];
            snprintf(name, sizeof(name), "disk%u", n);
            json_array_append_new(
                list, json_pack("{s:s,s:b,s:b,s:s,s:{s:s,s:b,s:s}}", "device", name,
                                "locked", 0, "removable", 0, "type", "unknown", "inserted",
                                "file", path && path->value ? path->value : "", "ro", ro,
                                "drv", "raw"));
        }
        dev_opts_free(&o);
        n++;
    }
    r->ret = list;
}

/* set_link: a NIC's carrier as the host says (its --net id=, or net0, net1, ...). */
static void cmd_set_link(struct qmp_session *s, json_t *args, struct reply *r)
{
    static const struct arg_spec spec[] = {{"name", JSON_STRING, true}, {"up", JSON_TRUE, true},
                                           {NULL, 0, false}};
    if (!check_args(args, spec, r))
        return;
    const char *name = json_string_value(json_object_get(args, "name"));
    struct link_control *l = link_control_find(name);
    if (!l) {
        fail(r, ERR_DEVICE_NOT_FOUND, "Device '%s' not found", name);
        return;
    }
    l->set(l->opaque, json_is_true(json_object_get(args, "up")));
    r->ret = json_object();
}

static void cmd_query_status(struct qmp_session *s, json_t *args, struct reply *r)
{
    const struct vm_control *vm = s->env->vm;
    bool running = !vm || !vm->running || vm->running(vm->opaque);
    r->ret = json_pack("{s:s,s:b,s:b}", "status", running ? "running" : "paused",
                       "singlestep", 0, "running", running);
}

static void call_vm(struct qmp_session *s, void (*fn)(void *), struct reply *r)
{
    if (fn)
        fn(s->env->vm->opaque);
    r->ret = json_object();
}

static void cmd_stop(struct qmp_session *s, json_t *a, struct reply *r)
{
    call_vm(s, s->env->vm ? s->env->vm->stop : NULL, r);
}

static void cmd_cont(struct qmp_session *s, json_t *a, struct reply *r)
{
    call_vm(s, s->env->vm ? s->env->vm->cont : NULL, r);
}

static void cmd_system_reset(struct qmp_session *s, json_t *a, struct reply *r)
{
    call_vm(s, s->env->vm ? s->env->vm->reset : NULL, r);
}

static void cmd_quit(struct qmp_session *s, json_t *a, struct reply *r)
{
    call_vm(s, s->env->vm ? s->env->vm->quit : NULL, r);
}

static void cmd_query_version(struct qmp_session *s, json_t *a, struct reply *r)
{
    r->ret = version_json();
}

static void cmd_capabilities(struct qmp_session *s, json_t *args, struct reply *r)
{
    static const struct arg_spec spec[] = {{"enable", JSON_ARRAY, false}, {NULL, 0, false}};
    if (!check_args(args, spec, r))
        return;
    if (s->negotiated) {
        fail(r, ERR_NOT_FOUND, "Capabilities negotiation is already complete, command ignored");
        return;
    }
    /* No capability is offered, so asking for one is an error (QEMU says the same). */
    json_t *en = json_object_get(args, "enable");
    if (json_array_size(en)) {
        const char *c = json_string_value(json_array_get(en, 0));
        fail(r, ERR_GENERIC, "Capability '%s' not available", c ? c : "?");
        return;
    }
    s->negotiated = true;
    r->ret = json_object();
}

static void cmd_query_commands(struct qmp_session *s, json_t *a, struct reply *r);

struct command {
    const char *name;
    void (*run)(struct qmp_session *s, json_t *args, struct reply *r);
    bool takes_args;        /* else any argument is unexpected */
};

static const struct command commands[] = {
    {"qmp_capabilities", cmd_capabilities, true},
    {"query-version", cmd_query_version, false},
    {"query-status", cmd_query_status, false},
    {"query-commands", cmd_query_commands, false},
    {"query-block", cmd_query_block, false},
    {"stop", cmd_stop, false},
    {"cont", cmd_cont, false},
    {"system_reset", cmd_system_reset, false},
    {"quit", cmd_quit, false},
    {"input-send-event", cmd_input_send_event, true},
    {"set_link", cmd_set_link, true},
};

static void cmd_query_commands(struct qmp_session *s, json_t *a, struct reply *r)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        json_array_append_new(list, json_pack("{s:s}", "name", commands[i].name));
    r->ret = list;
}

/* Checks the request's envelope the way QEMU does; returns the command or NULL. */
static const struct command *parse_request(json_t *req, json_t **args, struct reply *r)
{
    if (!json_is_object(req)) {
        fail(r, ERR_GENERIC, "QMP input must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(req, key, v) {
        if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
            fail(r, ERR_GENERIC, "QMP input member '%s' is unexpected", key);
            return NULL;
        }
    }
    json_t *exec = json_object_get(req, "execute");
    if (!exec) {
        fail(r, ERR_GENERIC, "QMP input lacks member 'execute'");
        return NULL;
    }
    if (!json_is_string(exec)) {
        fail(r, ERR_GENERIC, "QMP input member 'execute' must be a string");
        return NULL;
    }
    *args = json_object_get(req, "arguments");
    if (*args && !json_is_object(*args)) {
        fail(r, ERR_GENERIC, "QMP input member 'arguments' must be an object");
        return NULL;
    }
    const char *name = json_string_value(exec);
    for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    fail(r, ERR_NOT_FOUND, "The command %s has not been found", name);
    return NULL;
}

void qmp_session_text(struct qmp_session *s, const char *text, size_t len)
{
    /* Blank text (a client's "\r\n") is not a request. */
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len)
        return;
    struct reply r = {0};
    json_error_t jerr;
    json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *id = NULL, *args = NULL;
    if (!req) {
        fail(&r, ERR_GENERIC, "JSON parse error, %s (column %d)", jerr.text, jerr.column);
    } else {
        id = json_object_get(req, "id");
        const struct command *c = parse_request(req, &args, &r);
        if (c && !s->negotiated && c->run != cmd_capabilities)
            fail(&r, ERR_NOT_FOUND, "Expecting capabilities negotiation with "
                                    "'qmp_capabilities'");
        else if (c && !c->takes_args && json_object_size(args))
            fail(&r, ERR_GENERIC, "Parameter '%s' is unexpected",
                 json_object_iter_key(json_object_iter(args)));
        else if (c && args)
            c->run(s, args, &r);
        else if (c) {
            json_t *none = json_object();
            c->run(s, none, &r);
            json_decref(none);
        }
    }
    json_t *out;
    if (r.cls) {
        json_decref(r.ret);
        out = json_pack("{s:{s:s,s:s}}", "error", "class", r.cls, "desc", r.desc);
    } else {
        out = json_pack("{s:o}", "return", r.ret ? r.ret : json_object());
    }
    if (out && id)
        json_object_set(out, "id", id);
    json_decref(req);
    if (out)
        send_json(s, out);
}

char *qmp_event_text(const char *name, const char *data_json)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *ev = json_pack("{s:s}", "event", name);
    if (!ev)
        return NULL;
    if (data_json) {
        json_t *data = json_loads(data_json, 0, NULL);
        if (data)
            json_object_set_new(ev, "data", data);
    }
    json_object_set_new(ev, "timestamp",
                        json_pack("{s:I,s:I}", "seconds", (json_int_t)tv.tv_sec,
                                  "microseconds", (json_int_t)tv.tv_usec));
    char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    return text;
}

char *qmp_error_text(const char *cls, const char *desc)
{
    json_t *e = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
    char *text = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(e);
    return text;
}
