/* The host's input bus (see input.h). */
#include "core/input.h"

#include <string.h>

static struct input_sink *sinks;
static input_led_fn led_fn;
static void *led_opaque;

void input_sink_add(struct input_sink *s)
{
    /* Appended: the first device on the command line is the default target, as in QEMU. */
    struct input_sink **p = &sinks;
    while (*p)
        p = &(*p)->next;
    s->next = NULL;
    *p = s;
}

void input_sink_remove(struct input_sink *s)
{
    for (struct input_sink **p = &sinks; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            s->next = NULL;
            return;
        }
    }
}

struct input_sink *input_sink_find(const char *id, unsigned cap)
{
    for (struct input_sink *s = sinks; s; s = s->next)
        if ((s->caps & cap) && (!id || !strcmp(s->id, id)))
            return s;
    return NULL;
}

struct input_sink *input_sink_by_id(const char *id)
{
    for (struct input_sink *s = sinks; s; s = s->next)
        if (!strcmp(s->id, id))
            return s;
    return NULL;
}

void input_set_led_listener(input_led_fn fn, void *opaque)
{
    led_fn = fn;
    led_opaque = opaque;
}

void input_report_led(const char *id, unsigned code, bool on)
{
    if (led_fn)
        led_fn(led_opaque, id, code, on);
}
