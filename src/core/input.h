/*
 * The host's input bus: where host-side sources (QMP's input-send-event) meet the guest's
 * input devices (virtio-input) without knowing each other. Events are Linux evdev triples
 * (type, code, value); a source sends a group of them and then input_sink_sync(), which a
 * device turns into the guest's SYN_REPORT. Keyboard LEDs travel the other way: a device
 * reports what the guest set, and the one listener (QMP) hears it.
 *
 * One thread (the event loop's), no locks. Sinks are per boot: a device adds itself when it
 * is created and removes itself when it is destroyed.
 */
#ifndef KITE_CORE_INPUT_H
#define KITE_CORE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/* evdev event types and the codes kite uses (linux/input-event-codes.h). */
#define INPUT_EV_SYN 0x00
#define INPUT_EV_KEY 0x01
#define INPUT_EV_REL 0x02
#define INPUT_EV_ABS 0x03
#define INPUT_EV_MSC 0x04
#define INPUT_EV_LED 0x11
#define INPUT_EV_REP 0x14
#define INPUT_SYN_REPORT 0
#define INPUT_REL_X 0x00
#define INPUT_REL_Y 0x01
#define INPUT_REL_WHEEL 0x08
#define INPUT_ABS_X 0x00
#define INPUT_ABS_Y 0x01
#define INPUT_BTN_LEFT 0x110
#define INPUT_BTN_RIGHT 0x111
#define INPUT_BTN_MIDDLE 0x112
#define INPUT_BTN_SIDE 0x113
#define INPUT_BTN_EXTRA 0x114
#define INPUT_KEY_MAX 0x2ff
/* The absolute range QMP's input-send-event uses, and kite's tablet advertises. */
#define INPUT_ABS_MIN 0
#define INPUT_ABS_MAX 32767

/* What a sink takes: keyboard keys, pointer buttons, relative or absolute motion. */
enum {
    INPUT_CAP_KEY = 1u << 0,
    INPUT_CAP_BTN = 1u << 1,
    INPUT_CAP_REL = 1u << 2,
    INPUT_CAP_ABS = 1u << 3,
};

struct input_sink {
    const char *id;             /* "input0", or the --input id= */
    unsigned caps;              /* INPUT_CAP_* */
    void *opaque;
    /* One event of the current group; the sink ignores codes it does not advertise. */
    void (*event)(void *opaque, uint16_t type, uint16_t code, int32_t value);
    /* Ends the group. */
    void (*sync)(void *opaque);
    struct input_sink *next;    /* owned by the bus */
};

void input_sink_add(struct input_sink *s);
void input_sink_remove(struct input_sink *s);
/* The sink named `id` (NULL = any) taking `cap`, first added first; NULL if none. */
struct input_sink *input_sink_find(const char *id, unsigned cap);
/* The sink named `id`, whatever it takes. */
struct input_sink *input_sink_by_id(const char *id);

/* A device's guest set (on = true) or cleared LED `code` (evdev LED_*). */
typedef void (*input_led_fn)(void *opaque, const char *id, unsigned code, bool on);
void input_set_led_listener(input_led_fn fn, void *opaque);
void input_report_led(const char *id, unsigned code, bool on);

#endif
