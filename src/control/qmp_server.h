/*
 * The QMP socket: a unix socket on the event loop, several clients at once, one QMP session
 * each (control/qmp.h). Requests are bounded (QMP_TEXT_MAX) and so is what waits to be sent to
 * a client that does not read (QMP_OUT_MAX): past either, that client is closed and the
 * others and the machine carry on. Events (the machine's, INPUT_LED) go to every client that
 * finished capabilities negotiation.
 */
#ifndef KITE_CONTROL_QMP_SERVER_H
#define KITE_CONTROL_QMP_SERVER_H

#include "control/qmp.h"

struct event_loop;

#define QMP_MAX_CLIENTS 8
#define QMP_TEXT_MAX (64 * 1024)  /* one request, as it arrives */
#define QMP_OUT_MAX (1024 * 1024)

struct qmp_server;

/*
 * Listens on `path` (a socket left there by an earlier run is replaced; anything else, or a
 * socket someone still listens on, is refused) and becomes the listener of env->vm's
 * events and of the input bus's LEDs. NULL on failure, logged.
 */
struct qmp_server *qmp_server_open(const char *path, struct event_loop *loop,
                                   const struct qmp_env *env);
/* Sends what is pending (without waiting), closes every client, removes the socket. */
void qmp_server_close(struct qmp_server *srv);

#endif
