#include "virtio/input.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_registry.h"
#include "core/input.h"
#include "core/log.h"

#define EVENTQ 0
#define STATUSQ 1
#define EVENT_BYTES 8
#define BITMAP_BYTES 128
#define LED_COUNT 5             /* NUML, CAPSL, SCROLLL, COMPOSE, KANA */
#define INPUT_PROP_POINTER 0
#define KEYBOARD_LAST_KEY 0xff  /* KEY_ESC..: the keyboard's part of the key space */

/* Offsets in the config space (5.8.4). */
#define CFG_SELECT 0
#define CFG_SUBSEL 1
#define CFG_SIZE 2
#define CFG_UNION 8

struct input_ev {
    uint16_t type, code;
    int32_t value;
};

struct virtio_input {
    struct virtio_device vdev;
    struct virtio_input_config cfg;
    struct input_sink sink;
    /* The group being built by the host, not yet ended by a sync. */
    struct input_ev group[VIRTIO_INPUT_GROUP_MAX];
    unsigned group_len;
    bool group_overflow;
    /* Whole groups waiting for event buffers, oldest first. */
    struct input_ev backlog[VIRTIO_INPUT_BACKLOG];
    unsigned backlog_head, backlog_len;
    uint64_t delivered, dropped_groups;
    unsigned leds;
    uint32_t logged;
};

enum { L_CFG_RO, L_EVT_BUF, L_STS_BUF, L_STS_EVENT, L_DROPPED, L_GROUP_BIG };

/* Logs once per device and kind: a hostile driver cannot flood the log. */
#define complain(in, kind, ...)                                         \
    do {                                                                \
        if (!((in)->logged & (1u << (kind)))) {                         \
            (in)->logged |= 1u << (kind);                               \
            log_warn((in)->vdev.name, __VA_ARGS__);                     \
        }                                                               \
    } while (0)

static const char *const kind_names[] = {"keyboard", "mouse", "tablet"};

static void set_bit(uint8_t *map, unsigned bit)
{
    map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static bool test_bit(const uint8_t *map, unsigned bit)
{
    return bit < BITMAP_BYTES * 8 && (map[bit / 8] >> (bit % 8)) & 1;
}

static void set_buttons(uint8_t *map)
{
    set_bit(map, INPUT_BTN_LEFT);
    set_bit(map, INPUT_BTN_RIGHT);
    set_bit(map, INPUT_BTN_MIDDLE);
}

/* The codes of event type `type` this device sends (or, for EV_LED, takes). */
static void event_bits(enum virtio_input_kind kind, unsigned type, uint8_t *map)
{
    memset(map, 0, BITMAP_BYTES);
    switch (kind) {
    case VIRTIO_INPUT_KEYBOARD:
        if (type == INPUT_EV_KEY) {
            for (unsigned k = 1; k <= KEYBOARD_LAST_KEY; k++)
                set_bit(map, k);
        } else if (type == INPUT_EV_LED) {
            for (unsigned l = 0; l < LED_COUNT; l++)
                set_bit(map, l);
        } else if (type == INPUT_EV_REP) {
            /* Non-empty is what counts: the guest's input core does the repeating. */
            map[0] = 0x03;
        }
        break;
    case VIRTIO_INPUT_MOUSE:
        if (type == INPUT_EV_KEY) {
            set_buttons(map);
        } else if (type == INPUT_EV_REL) {
            set_bit(map, INPUT_REL_X);
            set_bit(map, INPUT_REL_Y);
            set_bit(map, INPUT_REL_WHEEL);
        }
        break;
    case VIRTIO_INPUT_TABLET:
        if (type == INPUT_EV_KEY) {
            set_buttons(map);
        } else if (type == INPUT_EV_ABS) {
            set_bit(map, INPUT_ABS_X);
            set_bit(map, INPUT_ABS_Y);
        }
        break;
    }
}

/* Bytes of a bitmap up to its last non-zero one: the size the driver reads. */
static uint8_t bitmap_size(const uint8_t *map)
{
    unsigned n = BITMAP_BYTES;
    while (n && !map[n - 1])
        n--;
    return (uint8_t)n;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Fills size and the union for the select/subsel the driver wrote; unknown pairs read as
 * size 0 (5.8.5.1: "the device MUST set size to 0" for what it does not have). */
static void config_fill(struct virtio_input *in)
{
    uint8_t *c = in->vdev.config;
    uint8_t select = c[CFG_SELECT], subsel = c[CFG_SUBSEL];
    uint8_t *u = c + CFG_UNION;
    uint8_t size = 0;
    memset(c + CFG_SIZE, 0, VIRTIO_INPUT_CONFIG_LEN - CFG_SIZE);
    switch (select) {
    case VIRTIO_INPUT_CFG_ID_NAME:
        if (subsel == 0)
            size = (uint8_t)snprintf((char *)u, BITMAP_BYTES, "kite virtio %s",
                                     kind_names[in->cfg.kind]);
        break;
    case VIRTIO_INPUT_CFG_ID_SERIAL:
        if (subsel == 0) {
            size_t n = strlen(in->cfg.serial);
            memcpy(u, in->cfg.serial, n);
            size = (uint8_t)n;
        }
        break;
    case VIRTIO_INPUT_CFG_ID_DEVIDS:
        if (subsel == 0) {
            put16(u, VIRTIO_INPUT_BUS_VIRTUAL);
            put16(u + 2, 0x4b49);                   /* "KI": kite's own vendor number */
            put16(u + 4, (uint16_t)(1 + in->cfg.kind));
            put16(u + 6, 1);
            size = 8;
        }
        break;
    case VIRTIO_INPUT_CFG_PROP_BITS:
        if (subsel == 0 && in->cfg.kind == VIRTIO_INPUT_MOUSE) {
            set_bit(u, INPUT_PROP_POINTER);
            size = 1;
        }
        break;
    case VIRTIO_INPUT_CFG_EV_BITS:
        event_bits(in->cfg.kind, subsel, u);
        size = bitmap_size(u);
        break;
    case VIRTIO_INPUT_CFG_ABS_INFO:
        if (in->cfg.kind == VIRTIO_INPUT_TABLET &&
            (subsel == INPUT_ABS_X || subsel == INPUT_ABS_Y)) {
            put32(u, INPUT_ABS_MIN);
            put32(u + 4, INPUT_ABS_MAX);
            size = 20;                  /* min, max, fuzz 0, flat 0, res 0 */
        }
        break;
    default:
        break;
    }
    c[CFG_SIZE] = size;
}

static void input_config_write(struct virtio_device *dev, uint32_t offset, unsigned size)
{
    struct virtio_input *in = dev->opaque;
    /* Only select and subsel are the driver's; config_fill rewrites everything else. */
    if (offset + size > CFG_SIZE)
        complain(in, L_CFG_RO, "driver wrote read-only config bytes at %u: ignored", offset);
    config_fill(in);
}

/* Moves waiting events into the buffers the driver posted, oldest first. */
static void flush(struct virtio_input *in)
{
    struct virtio_device *dev = &in->vdev;
    bool pushed = false;
    while (in->backlog_len && virtio_driver_ok(dev)) {
        struct virtq_elem *e;
        if (!virtio_pop(dev, EVENTQ, &e))
            break;
        pushed = true;
        if (e->out_num || e->in_len < EVENT_BYTES) {
            complain(in, L_EVT_BUF, "event buffer not 8 writable bytes: returned empty");
            virtq_push(&dev->queues[EVENTQ], e, 0);
            continue;
        }
        const struct input_ev *ev = &in->backlog[in->backlog_head];
        uint8_t raw[EVENT_BYTES];
        put16(raw, ev->type);
        put16(raw + 2, ev->code);
        put32(raw + 4, (uint32_t)ev->value);
        virtq_elem_write(e, 0, raw, sizeof(raw));
        virtq_push(&dev->queues[EVENTQ], e, EVENT_BYTES);
        in->backlog_head = (in->backlog_head + 1) % VIRTIO_INPUT_BACKLOG;
        in->backlog_len--;
        in->delivered++;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, EVENTQ);
}

static bool advertised(const struct virtio_input *in, uint16_t type, uint16_t code)
{
    uint8_t map[BITMAP_BYTES];
    if (type != INPUT_EV_KEY && type != INPUT_EV_REL && type != INPUT_EV_ABS)
        return false;
    event_bits(in->cfg.kind, type, map);
    return test_bit(map, code);
}

static void sink_event(void *opaque, uint16_t type, uint16_t code, int32_t value)
{
    struct virtio_input *in = opaque;
    if (!advertised(in, type, code))
        return;
    if (type == INPUT_EV_ABS)
        value = value < INPUT_ABS_MIN ? INPUT_ABS_MIN
                                      : value > INPUT_ABS_MAX ? INPUT_ABS_MAX : value;
    /* Room is kept for the SYN_REPORT that ends the group. */
    if (in->group_len == VIRTIO_INPUT_GROUP_MAX - 1) {
        in->group_overflow = true;
        return;
    }
    in->group[in->group_len++] = (struct input_ev){type, code, value};
}

static void sink_sync(void *opaque)
{
    struct virtio_input *in = opaque;
    if (!in->group_len && !in->group_overflow)
        return;
    in->group[in->group_len++] = (struct input_ev){INPUT_EV_SYN, INPUT_SYN_REPORT, 0};
    if (in->group_overflow) {
        complain(in, L_GROUP_BIG, "a group of more than %d events: dropped",
                 VIRTIO_INPUT_GROUP_MAX - 1);
        in->dropped_groups++;
    } else if (in->backlog_len + in->group_len > VIRTIO_INPUT_BACKLOG) {
        complain(in, L_DROPPED, "driver is not taking events: groups dropped");
        in->dropped_groups++;
    } else {
        for (unsigned i = 0; i < in->group_len; i++) {
            unsigned tail = (in->backlog_head + in->backlog_len) % VIRTIO_INPUT_BACKLOG;
            in->backlog[tail] = in->group[i];
            in->backlog_len++;
        }
    }
    in->group_len = 0;
    in->group_overflow = false;
    flush(in);
}

/* LED changes the driver writes; each buffer is completed, whatever it holds. */
static void drain_status(struct virtio_input *in)
{
    struct virtio_device *dev = &in->vdev;
    struct virtq_elem *e;
    bool pushed = false;
    while (virtio_pop(dev, STATUSQ, &e)) {
        uint8_t raw[EVENT_BYTES];
        pushed = true;
        if (e->in_num || e->out_len != EVENT_BYTES ||
            virtq_elem_read(e, 0, raw, sizeof(raw)) != sizeof(raw)) {
            complain(in, L_STS_BUF, "status buffer not one 8-byte event: ignored");
            virtq_push(&dev->queues[STATUSQ], e, 0);
            continue;
        }
        virtq_push(&dev->queues[STATUSQ], e, 0);
        uint16_t type, code;
        uint32_t value;
        memcpy(&type, raw, 2);
        memcpy(&code, raw + 2, 2);
        memcpy(&value, raw + 4, 4);
        if (type != INPUT_EV_LED || in->cfg.kind != VIRTIO_INPUT_KEYBOARD ||
            code >= LED_COUNT || value > 1) {
            complain(in, L_STS_EVENT, "status event type %u code %u value %u: ignored", type,
                     code, value);
            continue;
        }
        bool on = value;
        if (((in->leds >> code) & 1) == on)
            continue;
        in->leds ^= 1u << code;
        input_report_led(in->cfg.id, code, on);
    }
    if (pushed)
        virtio_queue_kick_guest(dev, STATUSQ);
}

static void input_queue_notify(struct virtio_device *dev, unsigned q)
{
    struct virtio_input *in = dev->opaque;
    if (q == EVENTQ)
        flush(in);
    else
        drain_status(in);
}

static void input_driver_ok(struct virtio_device *dev)
{
    struct virtio_input *in = dev->opaque;
    flush(in);
    drain_status(in);
}

static void input_reset(struct virtio_device *dev)
{
    struct virtio_input *in = dev->opaque;
    /* A new driver must not see keys pressed for the old one. */
    in->backlog_head = in->backlog_len = 0;
    in->group_len = 0;
    in->group_overflow = false;
    in->leds = 0;
    memset(dev->config, 0, VIRTIO_INPUT_CONFIG_LEN);
    config_fill(in);
}

static const struct virtio_device_ops input_ops = {
    .queue_notify = input_queue_notify,
    .reset = input_reset,
    .driver_ok = input_driver_ok,
    .config_write = input_config_write,
};

struct virtio_input *virtio_input_new(const struct guest_mem *mem,
                                      const struct virtio_input_config *cfg)
{
    if (!cfg || !cfg->id[0] || cfg->kind > VIRTIO_INPUT_TABLET)
        return NULL;
    struct virtio_input *in = calloc(1, sizeof(*in));
    if (!in)
        return NULL;
    in->cfg = *cfg;
    if (!in->cfg.serial[0])
        snprintf(in->cfg.serial, sizeof(in->cfg.serial), "%s", in->cfg.id);
    in->vdev.name = "virtio-input";
    in->vdev.device_id = VIRTIO_ID_INPUT;
    in->vdev.config_len = VIRTIO_INPUT_CONFIG_LEN;
    in->vdev.ops = &input_ops;
    in->vdev.opaque = in;
    const uint16_t sizes[2] = {64, 64};
    if (virtio_device_init(&in->vdev, mem, 2, sizes) < 0) {
        free(in);
        return NULL;
    }
    config_fill(in);
    static const unsigned caps[] = {
        [VIRTIO_INPUT_KEYBOARD] = INPUT_CAP_KEY,
        [VIRTIO_INPUT_MOUSE] = INPUT_CAP_BTN | INPUT_CAP_REL,
        [VIRTIO_INPUT_TABLET] = INPUT_CAP_BTN | INPUT_CAP_ABS,
    };
    in->sink = (struct input_sink){.id = in->cfg.id, .caps = caps[cfg->kind], .opaque = in,
                                   .event = sink_event, .sync = sink_sync};
    input_sink_add(&in->sink);
    return in;
}

void virtio_input_free(struct virtio_input *in)
{
    if (!in)
        return;
    input_sink_remove(&in->sink);
    virtio_device_cleanup(&in->vdev);
    free(in);
}

struct virtio_device *virtio_input_device(struct virtio_input *in)
{
    return &in->vdev;
}

struct virtio_input_stats virtio_input_stats(const struct virtio_input *in)
{
    return (struct virtio_input_stats){.delivered = in->delivered,
                                       .dropped_groups = in->dropped_groups,
                                       .backlog = in->backlog_len, .leds = in->leds};
}

/* --input keyboard|mouse|tablet[,id=NAME][,serial=TEXT]: registration. */

static bool valid_name(const char *s, size_t max, bool printable_only)
{
    size_t n = strlen(s);
    if (!n || n >= max)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (printable_only ? !isprint(ch) : !(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static void *input_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *kind = dev_opts_take(o, "kind", &dup);
    const struct dev_opt *id = dev_opts_take(o, "id", &dup);
    const struct dev_opt *serial = dev_opts_take(o, "serial", &dup);
    const char *bad = NULL;
    struct virtio_input_config c = {0};
    if (dup) {
        bad = "kind=, id= and serial= may each be given once";
    } else if (!kind || !kind->value) {
        bad = "say which kind: keyboard, mouse or tablet";
    } else {
        bad = "unknown kind: use keyboard, mouse or tablet";
        for (unsigned k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
            if (!strcmp(kind->value, kind_names[k])) {
                c.kind = (enum virtio_input_kind)k;
                bad = NULL;
            }
        }
    }
    if (!bad && id && (!id->value || !valid_name(id->value, sizeof(c.id), false)))
        bad = "id= is 1 to 31 letters, digits, '-', '_' or '.'";
    if (!bad && serial && (!serial->value || !valid_name(serial->value, sizeof(c.serial), true)))
        bad = "serial= is 1 to 63 printable characters";
    if (bad) {
        snprintf(why, len, "%s", bad);
        return NULL;
    }
    if (id)
        snprintf(c.id, sizeof(c.id), "%s", id->value);
    if (serial)
        snprintf(c.serial, sizeof(c.serial), "%s", serial->value);
    struct virtio_input_config *out = malloc(sizeof(*out));
    if (out)
        *out = c;
    return out;
}

/* Names the instances without an id= ("input0", "input1": their order among --input) and
 * refuses two with the same name, since QMP picks a device by it. */
static const char *input_check(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct virtio_input_config *c = cfgs[i];
        if (!c->id[0])
            snprintf(c->id, sizeof(c->id), "input%u", i);
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(((struct virtio_input_config *)cfgs[i])->id,
                        ((struct virtio_input_config *)cfgs[j])->id))
                return "two --input devices with the same id";
    return NULL;
}

static struct virtio_device *input_create(void *const *cfgs, unsigned n,
                                          const struct device_env *env, void **state)
{
    struct virtio_input *in = virtio_input_new(env->mem, cfgs[0]);
    *state = in;
    return in ? virtio_input_device(in) : NULL;
}

static void input_destroy(void *state)
{
    virtio_input_free(state);
}

static void input_dump(void *state)
{
    struct virtio_input *in = state;
    fprintf(stderr, "  %s %s: %u events waiting, %llu delivered, %llu groups dropped, "
                    "leds 0x%x\r\n",
            in->cfg.id, kind_names[in->cfg.kind], in->backlog_len,
            (unsigned long long)in->delivered, (unsigned long long)in->dropped_groups,
            in->leds);
}

static const struct device_type input_type = {
    .name = "input",
    .first_key = "kind",
    .usage = "keyboard|mouse|tablet[,id=NAME][,serial=TEXT]",
    .help = "add a virtio-input device (/dev/input/eventN in the guest) fed by QMP's\n"
            "input-send-event; id= names it there (default input0, input1, ...);\n"
            "the guest's keyboard LEDs come back as INPUT_LED events",
    .max_instances = 4,
    .order = 50,
    .parse = input_parse,
    .free_config = free,
    .check = input_check,
    .create = input_create,
    .destroy = input_destroy,
    .dump = input_dump,
};
DEVICE_TYPE_REGISTER(input_type)
