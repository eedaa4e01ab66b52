/*
 * libFuzzer target: a hostile QMP client against the framer, the session parser and the
 * dispatcher. The input is cut into JSON texts as the server cuts a client's stream
 * (control/qmp_frame.h), each handed to one session; a keyboard and a tablet sit on the
 * input bus and a fake machine takes stop/cont/reset/quit. The sanitizers catch memory
 * errors; the asserts check that every text gets exactly one reply and that every reply
 * is a JSON object with "return" or "error".
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/qmp.h"
#include "control/qmp_frame.h"
#include "core/input.h"
#include "core/log.h"

static unsigned replies;
static bool greeted, paused;
static unsigned events;

static void on_send(void *opaque, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    assert(json_is_object(j));
    if (!greeted) {
        assert(json_object_get(j, "QMP"));
        greeted = true;
    } else {
        assert(json_object_get(j, "return") || json_object_get(j, "error"));
        replies++;
    }
    json_decref(j);
}

static bool running(void *o) { return !paused; }
static void stop(void *o) { paused = true; }
static void cont(void *o) { paused = false; }
static void nop(void *o) {}
static void on_event(void *o, uint16_t type, uint16_t code, int32_t value) { events++; }
static void on_sync(void *o) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    static struct input_sink kbd = {.id = "kbd", .caps = INPUT_CAP_KEY, .event = on_event,
                                    .sync = on_sync};
    static struct input_sink tab = {.id = "tab", .caps = INPUT_CAP_BTN | INPUT_CAP_ABS,
                                    .event = on_event, .sync = on_sync};
    if (!init) {
        log_threshold = LOG_ERROR;
        input_sink_add(&kbd);
        input_sink_add(&tab);
        init = true;
    }
    struct vm_control vm = {.running = running, .stop = stop, .cont = cont, .reset = nop,
                            .quit = nop};
    struct qmp_env env = {.vm = &vm};
    greeted = paused = false;
    replies = 0;
    struct qmp_session *s = qmp_session_new(&env, on_send, NULL);
    assert(s && greeted);
    /* The stream is cut as the server cuts it; every text gets exactly one reply. */
    struct qmp_framer fr = {0};
    size_t start, end;
    while (qmp_frame_next(&fr, (const char *)data, size, &start, &end)) {
        assert(start < end && end <= size);
        unsigned before = replies;
        qmp_session_text(s, (const char *)data + start, end - start);
        assert(replies == before + 1);
    }
    qmp_session_free(s);
    return 0;
}
