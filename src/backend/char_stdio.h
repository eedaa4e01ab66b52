/*
 * kite's stdio as a character backend: the guest console.
 *
 * On a terminal, stdin is put in raw mode (restored on every exit path) and Ctrl-A is an
 * escape: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A d dumps the machine's state,
 * Ctrl-A Ctrl-A sends one Ctrl-A.
 */
#ifndef KITE_BACKEND_CHAR_STDIO_H
#define KITE_BACKEND_CHAR_STDIO_H

#include <stdbool.h>

#include "core/chardev.h"
#include "core/event_loop.h"

struct stdio_console;

/* on_quit is called when the user types Ctrl-A x. */
struct stdio_console *stdio_console_open(struct event_loop *loop, void (*on_quit)(void *opaque),
                                         void *opaque);
/* Ctrl-A d calls on_dump (with open's opaque): a debugging aid for a guest that hangs. */
void stdio_console_set_dump(struct stdio_console *con, void (*on_dump)(void *opaque));
void stdio_console_attach(struct stdio_console *con, struct char_frontend frontend);
struct char_backend stdio_console_backend(struct stdio_console *con);
/* The terminal's size (stdout); false when it is not a terminal. */
bool stdio_console_size(unsigned *cols, unsigned *rows);
/* Restores the terminal and unregisters from the loop. */
void stdio_console_close(struct stdio_console *con);

/* Puts the terminal back as it was; safe to call at any time, from a signal handler too. */
void stdio_console_restore_terminal(void);

#endif
