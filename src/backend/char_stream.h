/*
 * Character backends on a host stream that must never block the machine: a pseudo-terminal
 * (a program on the host opens the slave, e.g. `screen /dev/pts/N`) or a unix socket that
 * kite listens on (one client at a time). Used by virtio-console ports.
 *
 * Output is buffered up to CHAR_STREAM_BUF bytes; write_room() reports what is left, and is
 * 0 while no client is connected, so the guest gets back-pressure instead of lost bytes.
 * Input is pulled as with stdio: read only while the frontend can take it.
 */
#ifndef KITE_BACKEND_CHAR_STREAM_H
#define KITE_BACKEND_CHAR_STREAM_H

#include <stddef.h>

#include "core/chardev.h"
#include "core/event_loop.h"

#define CHAR_STREAM_BUF (64u * 1024)

struct char_stream;

/* A new pty in raw mode; its slave's path is written to path (len bytes). NULL on error. */
struct char_stream *char_stream_open_pty(struct event_loop *loop, char *path, size_t len);
/* Listens on a unix socket at path (a stale socket there is replaced; any other file is an
 * error). NULL on error, after logging why. */
struct char_stream *char_stream_listen_unix(struct event_loop *loop, const char *path);
void char_stream_attach(struct char_stream *s, struct char_frontend frontend);
struct char_backend char_stream_backend(struct char_stream *s);
/* Closes everything (and removes the socket file it created). */
void char_stream_close(struct char_stream *s);

#endif
