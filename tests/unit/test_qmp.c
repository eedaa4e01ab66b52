/*
 * QMP sessions without a socket: the greeting, negotiation, QEMU's reply and error shapes
 * and classes, id echoed, commands reaching the machine-control interface, and
 * input-send-event reaching the input bus as whole groups (or nothing, when one event of
 * the list is bad); and the framer that cuts a client's byte stream into requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/qcode.h"
#include "control/qmp.h"
#include "control/qmp_frame.h"
#include "core/input.h"
#include "core/link_control.h"

struct fake_vm {
    bool paused;
    unsigned stops, conts, resets, quits;
};

static bool vm_running(void *o) { return !((struct fake_vm *)o)->paused; }
static void vm_stop(void *o) { ((struct fake_vm *)o)->paused = true; ((struct fake_vm *)o)->stops++; }
static void vm_cont(void *o) { ((struct fake_vm *)o)->paused = false; ((struct fake_vm *)o)->conts++; }
static void vm_reset(void *o) { ((struct fake_vm *)o)->resets++; }
static void vm_quit(void *o) { ((struct fake_vm *)o)->quits++; }

struct fake_sink {
    struct input_sink sink;
    unsigned n, syncs;
    uint16_t type[32], code[32];
    int32_t value[32];
};

static void sink_event(void *o, uint16_t type, uint16_t code, int32_t value)
{
    struct fake_sink *s = o;
    if (s->n < 32) {
        s->type[s->n] = type;
        s->code[s->n] = code;
        s->value[s->n] = value;
    }
    s->n++;
}

static void sink_sync(void *o)
{
    ((struct fake_sink *)o)->syncs++;
}

struct fix {
    struct fake_vm vm;
    struct vm_control ctl;
    struct qmp_env env;
    struct qmp_session *s;
    json_t *last;               /* the last message sent */
    unsigned sent;
    struct fake_sink kbd, mouse, tablet;
};

static void on_send(void *opaque, const char *text, size_t len)
{
    struct fix *f = opaque;
    assert_null(memchr(text, '\n', len));
    json_decref(f->last);
    json_error_t e;
    f->last = json_loadb(text, len, 0, &e);
    assert_non_null(f->last);
    f->sent++;
}

static void add_sink(struct fake_sink *s, const char *id, unsigned caps)
{
    memset(s, 0, sizeof(*s));
    s->sink = (struct input_sink){.id = id, .caps = caps, .opaque = s, .event = sink_event,
                                  .sync = sink_sync};
    input_sink_add(&s->sink);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    f->ctl = (struct vm_control){.opaque = &f->vm, .running = vm_running, .stop = vm_stop,
                                 .cont = vm_cont, .reset = vm_reset, .quit = vm_quit};
    f->env = (struct qmp_env){.vm = &f->ctl};
    add_sink(&f->kbd, "kbd", INPUT_CAP_KEY);
    add_sink(&f->mouse, "mouse", INPUT_CAP_BTN | INPUT_CAP_REL);
    add_sink(&f->tablet, "tab", INPUT_CAP_BTN | INPUT_CAP_ABS);
    f->s = qmp_session_new(&f->env, on_send, f);
    assert_non_null(f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    qmp_session_free(f->s);
    input_sink_remove(&f->kbd.sink);
    input_sink_remove(&f->mouse.sink);
    input_sink_remove(&f->tablet.sink);
    json_decref(f->last);
    free(f);
    return 0;
}

static void line(struct fix *f, const char *text)
{
    qmp_session_text(f->s, text, strlen(text));
}

static void expect_error(struct fix *f, const char *text, const char *cls, const char *desc)
{
    unsigned before = f->sent;
    line(f, text);
    assert_int_equal(f->sent, before + 1);
    json_t *err = json_object_get(f->last, "error");
    assert_non_null(err);
    assert_null(json_object_get(f->last, "return"));
    assert_string_equal(json_string_value(json_object_get(err, "class")), cls);
    if (desc)
        assert_non_null(strstr(json_string_value(json_object_get(err, "desc")), desc));
}

static json_t *expect_return(struct fix *f, const char *text)
{
    unsigned before = f->sent;
    line(f, text);
    assert_int_equal(f->sent, before + 1);
    json_t *ret = json_object_get(f->last, "return");
    if (!ret)
        fail_msg("no return: %s", json_dumps(f->last, 0));
    return ret;
}

static void negotiate(struct fix *f)
{
    assert_int_equal(json_object_size(expect_return(f, "{\"execute\": \"qmp_capabilities\"}")),
                     0);
}

static void test_greeting_and_negotiation(void **state)
{
    struct fix *f = *state;
    assert_int_equal(f->sent, 1);
    json_t *qmp = json_object_get(f->last, "QMP");
    assert_non_null(qmp);
    assert_true(json_is_array(json_object_get(qmp, "capabilities")));
    assert_non_null(json_object_get(json_object_get(qmp, "version"), "qemu"));
    assert_false(qmp_session_negotiated(f->s));
    expect_error(f, "{\"execute\": \"query-status\"}", "CommandNotFound",
                 "Expecting capabilities negotiation");
    expect_error(f, "{\"execute\": \"stop\"}", "CommandNotFound", NULL);
    assert_int_equal(f->vm.stops, 0);
    expect_error(f, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
                 "GenericError", "oob");
    negotiate(f);
    assert_true(qmp_session_negotiated(f->s));
    expect_error(f, "{\"execute\": \"qmp_capabilities\"}", "CommandNotFound",
                 "already complete");
}

static void test_malformed(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    expect_error(f, "{\"execute\": ", "GenericError", "JSON parse error");
    expect_error(f, "\x01\xff\xfe garbage", "GenericError", "JSON parse error");
    /* The parse error quotes bytes that are not UTF-8: still an answer (found by fuzz_qmp). */
    expect_error(f, "{\"execut\\\xde\xbe\"cont\"}", "GenericError", "JSON parse error");
    /* A command name of non-ASCII characters, its description cut to the length limit. */
    char name[600] = "{\"execute\": \"";
    for (int i = 0; i < 150; i++)
        strcat(name, "\xc3\xa9");
    strcat(name, "\"}");
    expect_error(f, name, "CommandNotFound", NULL);
    expect_error(f, "[1, 2]", "GenericError", "must be a JSON object");
    expect_error(f, "\"stop\"", "GenericError", NULL);
    expect_error(f, "{}", "GenericError", "lacks member 'execute'");
    expect_error(f, "{\"execute\": 5}", "GenericError", "must be a string");
    expect_error(f, "{\"execute\": \"stop\", \"arguments\": []}", "GenericError",
                 "must be an object");
    expect_error(f, "{\"execute\": \"stop\", \"bogus\": 1}", "GenericError",
                 "'bogus' is unexpected");
    expect_error(f, "{\"execute\": \"stop\", \"arguments\": {\"now\": true}}", "GenericError",
                 "'now' is unexpected");
    expect_error(f, "{\"execute\": \"frobnicate\"}", "CommandNotFound",
                 "The command frobnicate has not been found");
    expect_error(f, "{\"execute\": \"stop\", \"execute\": \"cont\"}", "GenericError", NULL);
    assert_int_equal(f->vm.stops + f->vm.conts, 0);
    /* Blank lines are not requests. */
    unsigned before = f->sent;
    line(f, "  \r");
    line(f, "");
    assert_int_equal(f->sent, before);
}

static void test_id_echoed(void **state)
{
    struct fix *f = *state;
    line(f, "{\"execute\": \"qmp_capabilities\", \"id\": \"abc\"}");
    assert_string_equal(json_string_value(json_object_get(f->last, "id")), "abc");
    line(f, "{\"execute\": \"nope\", \"id\": {\"n\": [1, 2]}}");
    assert_non_null(json_object_get(f->last, "error"));
    json_t *want = json_loads("{\"n\": [1, 2]}", 0, NULL);
    assert_true(json_equal(json_object_get(f->last, "id"), want));
    json_decref(want);
    line(f, "{\"execute\": \"query-status\"}");
    assert_null(json_object_get(f->last, "id"));
}

static void test_machine_commands(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    json_t *st = expect_return(f, "{\"execute\": \"query-status\"}");
    assert_string_equal(json_string_value(json_object_get(st, "status")), "running");
    assert_true(json_is_true(json_object_get(st, "running")));
    expect_return(f, "{\"execute\": \"stop\"}");
    assert_int_equal(f->vm.stops, 1);
    st = expect_return(f, "{\"execute\": \"query-status\"}");
    assert_string_equal(json_string_value(json_object_get(st, "status")), "paused");
    assert_true(json_is_false(json_object_get(st, "running")));
    /* Input while stopped is refused, as QEMU does. */
    expect_error(f, "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": "
                    "[{\"type\": \"rel\", \"data\": {\"axis\": \"x\", \"value\": 1}}]}}",
                 "GenericError", "VM not running");
    expect_return(f, "{\"execute\": \"cont\"}");
    expect_return(f, "{\"execute\": \"system_reset\"}");
    expect_return(f, "{\"execute\": \"quit\"}");
    assert_int_equal(f->vm.conts, 1);
    assert_int_equal(f->vm.resets, 1);
    assert_int_equal(f->vm.quits, 1);
    json_t *v = expect_return(f, "{\"execute\": \"query-version\"}");
    assert_true(json_is_integer(json_object_get(json_object_get(v, "qemu"), "major")));
    json_t *cmds = expect_return(f, "{\"execute\": \"query-commands\"}");
    bool found = false;
    for (size_t i = 0; i < json_array_size(cmds); i++)
        found |= !strcmp(json_string_value(json_object_get(json_array_get(cmds, i), "name")),
                         "input-send-event");
    assert_true(found);
    assert_true(json_is_array(expect_return(f, "{\"execute\": \"query-block\"}")));
}

#define SEND(events) "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": [" events "]}}"
#define KEY(q, d) "{\"type\": \"key\", \"data\": {\"down\": " d ", \"key\": {\"type\": \"qcode\", \"data\": \"" q "\"}}}"

static void test_input_routing(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    expect_return(f, SEND(KEY("shift", "true") "," KEY("a", "true") ","
                          "{\"type\": \"key\", \"data\": {\"down\": false, \"key\": "
                          "{\"type\": \"number\", \"data\": 30}}}"));
    assert_int_equal(f->kbd.n, 3);
    assert_int_equal(f->kbd.syncs, 1);
    assert_int_equal(f->kbd.code[0], 42);
    assert_int_equal(f->kbd.code[1], 30);
    assert_int_equal(f->kbd.value[1], 1);
    assert_int_equal(f->kbd.code[2], 30);
    assert_int_equal(f->kbd.value[2], 0);
    /* Buttons and motion go to the first pointer that takes them; abs to the tablet. */
    expect_return(f, SEND("{\"type\": \"rel\", \"data\": {\"axis\": \"y\", \"value\": -7}},"
                          "{\"type\": \"btn\", \"data\": {\"down\": true, \"button\": \"left\"}},"
                          "{\"type\": \"abs\", \"data\": {\"axis\": \"x\", \"value\": 1000}}"));
    assert_int_equal(f->mouse.n, 2);
    assert_int_equal(f->mouse.syncs, 1);
    assert_int_equal(f->mouse.type[0], INPUT_EV_REL);
    assert_int_equal(f->mouse.code[0], INPUT_REL_Y);
    assert_int_equal(f->mouse.value[0], -7);
    assert_int_equal(f->mouse.code[1], INPUT_BTN_LEFT);
    assert_int_equal(f->tablet.n, 1);
    assert_int_equal(f->tablet.type[0], INPUT_EV_ABS);
    assert_int_equal(f->tablet.value[0], 1000);
    /* device= picks one. */
    expect_return(f, "{\"execute\": \"input-send-event\", \"arguments\": {\"device\": \"tab\", "
                     "\"events\": [{\"type\": \"btn\", \"data\": {\"down\": true, \"button\": "
                     "\"right\"}}]}}");
    assert_int_equal(f->tablet.n, 2);
    assert_int_equal(f->tablet.code[1], INPUT_BTN_RIGHT);
    assert_int_equal(f->mouse.n, 2);
    /* A wheel button is a notch when pressed, nothing when released. */
    expect_return(f, SEND("{\"type\": \"btn\", \"data\": {\"down\": true, \"button\": \"wheel-down\"}},"
                          "{\"type\": \"btn\", \"data\": {\"down\": false, \"button\": \"wheel-down\"}}"));
    assert_int_equal(f->mouse.n, 3);
    assert_int_equal(f->mouse.code[2], INPUT_REL_WHEEL);
    assert_int_equal(f->mouse.value[2], -1);
}

static void test_input_errors_send_nothing(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    expect_error(f, SEND(KEY("a", "true") "," KEY("no_such_key", "true")), "GenericError",
                 "no_such_key");
    expect_error(f, "{\"execute\": \"input-send-event\", \"arguments\": {\"device\": \"kbd\", "
                    "\"events\": [" KEY("a", "true") ", {\"type\": \"abs\", \"data\": "
                    "{\"axis\": \"x\", \"value\": 1}}]}}",
                 "GenericError", "Input handler not found for event type abs");
    expect_error(f, "{\"execute\": \"input-send-event\", \"arguments\": {\"device\": \"nope\", "
                    "\"events\": []}}", "DeviceNotFound", "nope");
    expect_error(f, "{\"execute\": \"input-send-event\", \"arguments\": {}}", "GenericError",
                 "'events' is missing");
    expect_error(f, "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": {}}}",
                 "GenericError", "Invalid parameter type");
    expect_error(f, SEND("{\"type\": \"rel\", \"data\": {\"axis\": \"z\", \"value\": 1}}"),
                 "GenericError", "'z'");
    expect_error(f, SEND("{\"type\": \"rel\", \"data\": {\"axis\": \"x\", \"value\": 1e3}}"),
                 "GenericError", NULL);
    expect_error(f, SEND("{\"type\": \"rel\", \"data\": {\"axis\": \"x\", \"value\": 9999999999}}"),
                 "GenericError", "out of range");
    expect_error(f, SEND("{\"type\": \"wiggle\", \"data\": {}}"), "GenericError", NULL);
    expect_error(f, SEND("7"), "GenericError", NULL);
    expect_error(f, SEND("{\"type\": \"key\", \"data\": {\"down\": 1, \"key\": "
                         "{\"type\": \"qcode\", \"data\": \"a\"}}}"), "GenericError", NULL);
    expect_error(f, SEND("{\"type\": \"key\", \"data\": {\"down\": true, \"key\": "
                         "{\"type\": \"number\", \"data\": 4000}}}"), "GenericError", NULL);
    /* More events than a group holds. */
    char big[8192] = "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": [";
    for (int i = 0; i < 30; i++)
        strcat(big, i ? "," KEY("b", "true") : KEY("b", "true"));
    strcat(big, "]}}");
    expect_error(f, big, "GenericError", "at most");
    assert_int_equal(f->kbd.n + f->mouse.n + f->tablet.n, 0);
    assert_int_equal(f->kbd.syncs + f->mouse.syncs + f->tablet.syncs, 0);
}

static int link_calls, link_last = -1;

static void record_link(void *opaque, bool up)
{
    link_calls++;
    link_last = up;
}

/* set_link reaches the named link control and nothing else. */
static void test_set_link(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    struct link_control l = {.name = "uplink", .set = record_link};
    link_control_add(&l);
    expect_return(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"uplink\", "
                     "\"up\": false}}");
    assert_int_equal(link_calls, 1);
    assert_int_equal(link_last, 0);
    expect_return(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"uplink\", "
                     "\"up\": true}}");
    assert_int_equal(link_last, 1);
    expect_error(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"net7\", "
                    "\"up\": true}}", "DeviceNotFound", "net7");
    expect_error(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"uplink\"}}",
                 "GenericError", "'up' is missing");
    expect_error(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"uplink\", "
                    "\"up\": 1}}", "GenericError", "Invalid parameter type");
    assert_int_equal(link_calls, 2);
    link_control_remove(&l);
    expect_error(f, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"uplink\", "
                    "\"up\": true}}", "DeviceNotFound", "uplink");
}

static void test_event_text(void **state)
{
    char *t = qmp_event_text("SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}");
    json_t *j = json_loads(t, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "SHUTDOWN");
    assert_true(json_is_true(json_object_get(json_object_get(j, "data"), "guest")));
    json_t *ts = json_object_get(j, "timestamp");
    assert_true(json_integer_value(json_object_get(ts, "seconds")) > 1000000000);
    assert_true(json_is_integer(json_object_get(ts, "microseconds")));
    json_decref(j);
    free(t);
    t = qmp_event_text("STOP", NULL);
    j = json_loads(t, 0, NULL);
    assert_null(json_object_get(j, "data"));
    json_decref(j);
    free(t);
}

static void test_qcodes(void **state)
{
    assert_int_equal(qcode_to_evdev("esc"), 1);
    assert_int_equal(qcode_to_evdev("q"), 16);
    assert_int_equal(qcode_to_evdev("p"), 25);
    assert_int_equal(qcode_to_evdev("a"), 30);
    assert_int_equal(qcode_to_evdev("l"), 38);
    assert_int_equal(qcode_to_evdev("z"), 44);
    assert_int_equal(qcode_to_evdev("m"), 50);
    assert_int_equal(qcode_to_evdev("0"), 11);
    assert_int_equal(qcode_to_evdev("ret"), 28);
    assert_int_equal(qcode_to_evdev("caps_lock"), 58);
    assert_int_equal(qcode_to_evdev("f12"), 88);
    assert_int_equal(qcode_to_evdev("up"), 103);
    assert_int_equal(qcode_to_evdev("meta_l"), 125);
    assert_int_equal(qcode_to_evdev("A"), -1);
    assert_int_equal(qcode_to_evdev(""), -1);
    assert_int_equal(qcode_to_evdev(NULL), -1);
    assert_int_equal(qnum_to_evdev(0x1e), 30);
    assert_int_equal(qnum_to_evdev(0xc8), 103);
    assert_int_equal(qnum_to_evdev(0), -1);
    assert_int_equal(qnum_to_evdev(-5), -1);
    assert_int_equal(qnum_to_evdev(0x7f), -1);
}

/*
 * Feeds `stream` to a framer `chunk` bytes at a time, as the server does (append, take every
 * text, drop what is consumed), and returns the texts it cut, each followed by '|'.
 */
static const char *frame_all(const char *stream, size_t len, size_t chunk)
{
    static char out[1024];
    char buf[256];
    size_t have = 0, fed = 0;
    struct qmp_framer fr = {0};
    out[0] = 0;
    while (fed < len) {
        size_t n = len - fed < chunk ? len - fed : chunk;
        assert_true(have + n <= sizeof(buf));
        memcpy(buf + have, stream + fed, n);
        have += n;
        fed += n;
        size_t start, end;
        while (qmp_frame_next(&fr, buf, have, &start, &end)) {
            assert_true(start < end && end <= have);
            strncat(out, buf + start, end - start);
            strcat(out, "|");
        }
        size_t done = qmp_frame_consumed(&fr);
        assert_true(done <= have);
        memmove(buf, buf + done, have - done);
        have -= done;
        qmp_frame_drop(&fr, done);
    }
    return out;
}

static void expect_frames(const char *stream, size_t len, const char *want)
{
    static const size_t chunks[] = {1, 2, 3, 7, 1000};
    for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
        assert_string_equal(frame_all(stream, len, chunks[i]), want);
}

#define FRAMES(stream, want) expect_frames(stream, sizeof(stream) - 1, want)

/* QMP is a stream of JSON texts, whatever the lines: the framer finds where each ends. */
static void test_framer(void **state)
{
    (void)state;
    /* No newline after it (QEMU's Python client), or CRLF after it. */
    FRAMES("{\"execute\": \"stop\"}", "{\"execute\": \"stop\"}|");
    FRAMES("{\"a\": 1}\r\n", "{\"a\": 1}|");
    /* Two on one line, nested brackets. */
    FRAMES("{\"a\":1}{\"b\":[2,{}]}\n  [3]", "{\"a\":1}|{\"b\":[2,{}]}|[3]|");
    /* Across lines, with brackets and an escaped quote inside strings. */
    FRAMES("{\"x\": \"}\\\"{[\",\n \"y\": [1,\n 2]}\n",
           "{\"x\": \"}\\\"{[\",\n \"y\": [1,\n 2]}|");
    /* A backslash escaping a backslash does not escape the quote after it. */
    FRAMES("{\"x\": \"\\\\\"}{}", "{\"x\": \"\\\\\"}|{}|");
    /* Stray bytes: one text up to a newline or the next bracket, each answered. */
    FRAMES("garbage\n{\"a\":1}", "garbage|{\"a\":1}|");
    FRAMES("xx{\"a\":1}\x01\xff\n", "xx|{\"a\":1}|\x01\xff|");
    FRAMES("} \"stop\"\n", "} \"stop\"|");
    /* Not complete yet: nothing, and none of it is dropped. */
    FRAMES("{\"a\": \"}", "");
    FRAMES(" \r\n\t ", "");
    struct qmp_framer fr = {0};
    size_t start, end;
    const char half[] = "  {\"execute\": [";
    assert_false(qmp_frame_next(&fr, half, sizeof(half) - 1, &start, &end));
    assert_int_equal(qmp_frame_consumed(&fr), 2);
}

/* A request spread over lines reaches the session whole and is answered once. */
static void test_text_across_lines(void **state)
{
    struct fix *f = *state;
    negotiate(f);
    unsigned before = f->sent;
    line(f, "{\"execute\":\r\n \"stop\",\n \"id\": 4}");
    assert_int_equal(f->sent, before + 1);
    assert_non_null(json_object_get(f->last, "return"));
    assert_int_equal(f->vm.stops, 1);
    line(f, "\r\n\n");
    assert_int_equal(f->sent, before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_greeting_and_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_echoed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_machine_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_errors_send_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_link, setup, teardown),
        cmocka_unit_test(test_event_text),
        cmocka_unit_test(test_framer),
        cmocka_unit_test_setup_teardown(test_text_across_lines, setup, teardown),
        cmocka_unit_test(test_qcodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
