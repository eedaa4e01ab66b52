/*
 * The QEMU Machine Protocol, as kite speaks it: one session per client, JSON objects each
 * way (a client's however it spreads them over lines: control/qmp_frame.h; kite's one per
 * line). A session greets, waits for qmp_capabilities, then runs commands against
 * the machine (core/vm_control.h) and the input bus (core/input.h), and receives events
 * once negotiated. Replies and errors have QEMU's shapes and error classes, so a script
 * written for QEMU works for the commands both have.
 *
 * This file knows nothing about sockets: qmp_server.c carries the texts.
 */
#ifndef KITE_CONTROL_QMP_H
#define KITE_CONTROL_QMP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/vm_control.h"

struct device_list;

#define QMP_VERSION_MAJOR 0
#define QMP_VERSION_MINOR 1
#define QMP_VERSION_MICRO 0

struct qmp_env {
    struct vm_control *vm;      /* the server becomes its event listener */
    const struct device_list *devices;  /* for query-block; may be NULL */
};

/* Takes one complete JSON text (no newline) to send to the client. */
typedef void (*qmp_send_fn)(void *opaque, const char *text, size_t len);

struct qmp_session;

/* A new session; sends the greeting at once. NULL on allocation failure. */
struct qmp_session *qmp_session_new(const struct qmp_env *env, qmp_send_fn send,
                                    void *opaque);
void qmp_session_free(struct qmp_session *s);
/* One JSON text from the client; replies through send (nothing for a blank one). */
void qmp_session_text(struct qmp_session *s, const char *text, size_t len);
/* Whether the session finished capabilities negotiation (and so gets events). */
bool qmp_session_negotiated(const struct qmp_session *s);

/* The text of an event (data may be NULL: a JSON object in text form otherwise), with the
 * time now; malloc'd, caller frees. */
char *qmp_event_text(const char *name, const char *data_json);
/* The text of an error reply, for transport-level errors (a request too long). */
char *qmp_error_text(const char *cls, const char *desc);

#endif
