#define _GNU_SOURCE
#include "backend/char_stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "core/log.h"

#define CTRL_A 0x01
#define READ_CHUNK 256

struct stdio_console {
    struct event_loop *loop;
    struct char_frontend frontend;
    void (*on_quit)(void *opaque);
    void (*on_dump)(void *opaque);     /* Ctrl-A d; NULL = not offered */
    void *cb_opaque;                   /* for on_quit and on_dump */
    bool escape;        /* the previous byte was Ctrl-A */
    bool eof;           /* stdin closed: stop polling it */
    /*
     * Bytes read from stdin that the frontend could not take yet. stdin is read while
     * there is room here, so the escapes (Ctrl-A x) still work when the guest stops
     * reading; once it is full, a guest that does not read throttles the host side.
     */
    uint8_t pending[64 * 1024];
    size_t pending_len, pending_off;
    int winch_pipe[2];  /* SIGWINCH -> event loop; -1 when stdout is not a terminal */
};

static int winch_write_fd = -1;

static void on_sigwinch(int sig)
{
    (void)sig;
    int saved = errno;
    if (winch_write_fd >= 0) {
        char c = 0;
        /* Full pipe: a resize is already pending, which is all we need to know. */
        ssize_t n = write(winch_write_fd, &c, 1);
        (void)n;
    }
    errno = saved;
}

static struct termios saved_termios;
static bool termios_saved;

void stdio_console_restore_terminal(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void restore_and_reraise(int sig)
{
    stdio_console_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void enter_raw_mode(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) != 0)
        return;
    termios_saved = true;
    atexit(stdio_console_restore_terminal);
    static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
                                SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], restore_and_reraise);
    struct termios raw = saved_termios;
    cfmakeraw(&raw);
    /* Keep output processing off as well: the guest's tty layer already sends \r\n. */
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static void write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, -1);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            /* stdout is gone (closed pipe): nobody can read the console any more. */
            log_once(LOG_WARN, "console", "stdout write failed: %s", strerror(errno));
            return;
        }
    }
}

static void console_write(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    write_all(STDOUT_FILENO, buf, len);
}

static void print_help(void)
{
    static const char help[] =
        "\r\nkite console escapes:\r\n"
        "  Ctrl-A x   quit kite\r\n"
        "  Ctrl-A h   this help\r\n"
        "  Ctrl-A d   dump the machine's state (harts, VirtIO queues) to stderr\r\n"
        "  Ctrl-A Ctrl-A   send Ctrl-A to the guest\r\n";
    write_all(STDERR_FILENO, (const uint8_t *)help, sizeof(help) - 1);
}

static void deliver_pending(struct stdio_console *con)
{
    con->pending_off += char_frontend_deliver(&con->frontend, con->pending + con->pending_off,
                                              con->pending_len - con->pending_off);
    if (con->pending_off == con->pending_len)
        con->pending_len = con->pending_off = 0;
}

static short console_events(void *opaque)
{
    struct stdio_console *con = opaque;
    deliver_pending(con);
    /* A read of READ_CHUNK bytes adds at most READ_CHUNK to pending. */
    size_t queued = con->pending_len - con->pending_off;
    return (con->eof || sizeof(con->pending) - queued < READ_CHUNK) ? 0 : POLLIN;
}

/* Filters the Ctrl-A escapes out of what was typed; returns false if the user quit. */
static bool handle_escapes(struct stdio_console *con, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (con->escape) {
            con->escape = false;
            if (c == 'x' || c == 'X') {
                con->on_quit(con->cb_opaque);
                return false;
            }
            if ((c == 'd' || c == 'D') && con->on_dump)
                con->on_dump(con->cb_opaque);
            else if (c == 'h' || c == 'H' || c == '?')
                print_help();
            else if (c == CTRL_A)
                con->pending[con->pending_len++] = c;
            continue;
        }
        if (c == CTRL_A) {
            con->escape = true;
            continue;
        }
        con->pending[con->pending_len++] = c;
    }
    return true;
}

static void console_ready(void *opaque, short revents)
{
    struct stdio_console *con = opaque;
    uint8_t buf[READ_CHUNK];
    if (con->pending_off) {
        memmove(con->pending, con->pending + con->pending_off,
                con->pending_len - con->pending_off);
        con->pending_len -= con->pending_off;
        con->pending_off = 0;
    }
    if (sizeof(con->pending) - con->pending_len < sizeof(buf))
        return;
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        con->eof = true;
        return;
    }
    if (n < 0) {
        (void)revents;
        return;
    }
    if (handle_escapes(con, buf, (size_t)n))
        deliver_pending(con);
}

bool stdio_console_size(unsigned *cols, unsigned *rows)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0)
        return false;
    *cols = ws.ws_col;
    *rows = ws.ws_row;
    return true;
}

static short winch_events(void *opaque)
{
    (void)opaque;
    return POLLIN;
}

static void winch_ready(void *opaque, short revents)
{
    struct stdio_console *con = opaque;
    char buf[64];
    (void)revents;
    while (read(con->winch_pipe[0], buf, sizeof(buf)) > 0)
        ;
    unsigned cols, rows;
    if (con->frontend.resize && stdio_console_size(&cols, &rows))
        con->frontend.resize(con->frontend.opaque, cols, rows);
}

/* Follows terminal resizes when stdout is a terminal; best effort otherwise. */
static void watch_resizes(struct stdio_console *con)
{
    con->winch_pipe[0] = con->winch_pipe[1] = -1;
    unsigned cols, rows;
    if (!stdio_console_size(&cols, &rows) ||
        pipe2(con->winch_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        con->winch_pipe[0] = con->winch_pipe[1] = -1;
        return;
    }
    winch_write_fd = con->winch_pipe[1];
    struct sigaction sa = {.sa_handler = on_sigwinch, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
    struct event_source src = {.fd = con->winch_pipe[0], .opaque = con,
                               .events = winch_events, .ready = winch_ready};
    event_loop_add(con->loop, &src);
}

struct stdio_console *stdio_console_open(struct event_loop *loop, void (*on_quit)(void *opaque),
                                         void *opaque)
{
    struct stdio_console *con = calloc(1, sizeof(*con));
    if (!con)
        return NULL;
    con->loop = loop;
    con->on_quit = on_quit;
    con->cb_opaque = opaque;
    enter_raw_mode();
    struct event_source src = {
        .fd = STDIN_FILENO, .opaque = con, .events = console_events, .ready = console_ready};
    event_loop_add(loop, &src);
    watch_resizes(con);
    return con;
}

void stdio_console_set_dump(struct stdio_console *con, void (*on_dump)(void *opaque))
{
    con->on_dump = on_dump;
}

void stdio_console_attach(struct stdio_console *con, struct char_frontend frontend)
{
    con->frontend = frontend;
}

struct char_backend stdio_console_backend(struct stdio_console *con)
{
    return (struct char_backend){.opaque = con, .write = console_write};
}

void stdio_console_close(struct stdio_console *con)
{
    if (!con)
        return;
    event_loop_remove(con->loop, STDIN_FILENO);
    if (con->winch_pipe[0] >= 0) {
        signal(SIGWINCH, SIG_DFL);
        winch_write_fd = -1;
        event_loop_remove(con->loop, con->winch_pipe[0]);
        close(con->winch_pipe[0]);
        close(con->winch_pipe[1]);
    }
    stdio_console_restore_terminal();
    free(con);
}
