#define _GNU_SOURCE
#include "backend/char_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "core/log.h"

struct char_stream {
    struct event_loop *loop;
    struct char_frontend frontend;
    int fd;                 /* the data stream; -1 while no client is connected */
    int listen_fd;          /* unix socket server, or -1 */
    int pty_slave;          /* held open so the master never sees a hang-up, or -1 */
    char *socket_path;      /* removed on close */
    /* Output ring: guest bytes the host end has not taken yet. */
    uint8_t out[CHAR_STREAM_BUF];
    size_t out_head, out_len;
    /* Input read from the host that the frontend could not take yet. */
    uint8_t in[4096];
    size_t in_len, in_off;
};

static void wake_frontend(struct char_stream *s)
{
    if (s->frontend.wakeup)
        s->frontend.wakeup(s->frontend.opaque);
}

static void disconnect(struct char_stream *s)
{
    event_loop_remove(s->loop, s->fd);
    close(s->fd);
    s->fd = -1;
    /* What the departed client did not read was meant for it; the next one starts fresh. */
    s->out_head = s->out_len = 0;
    s->in_len = s->in_off = 0;
    log_info("char", "unix socket %s: client disconnected", s->socket_path);
    wake_frontend(s);
}

/* Writes as much buffered output as the stream takes now; false if the stream broke. */
static bool flush_out(struct char_stream *s)
{
    while (s->out_len) {
        size_t chunk = CHAR_STREAM_BUF - s->out_head;
        if (chunk > s->out_len)
            chunk = s->out_len;
        ssize_t n = write(s->fd, s->out + s->out_head, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false;
        s->out_head = (s->out_head + (size_t)n) % CHAR_STREAM_BUF;
        s->out_len -= (size_t)n;
    }
    s->out_head = 0;
    return true;
}

static void deliver_in(struct char_stream *s)
{
    s->in_off += char_frontend_deliver(&s->frontend, s->in + s->in_off, s->in_len - s->in_off);
    if (s->in_off == s->in_len)
        s->in_len = s->in_off = 0;
}

static short data_events(void *opaque)
{
    struct char_stream *s = opaque;
    deliver_in(s);
    short ev = 0;
    if (!s->in_len && s->frontend.can_receive && s->frontend.can_receive(s->frontend.opaque))
        ev |= POLLIN;
    if (s->out_len)
        ev |= POLLOUT;
    /* A socket's hang-up must be seen even while neither direction has work. */
    if (s->listen_fd >= 0)
        ev |= POLLRDHUP;
    return ev;
}

static void data_ready(void *opaque, short revents)
{
    struct char_stream *s = opaque;
    if (revents & POLLOUT) {
        size_t before = s->out_len;
        if (!flush_out(s)) {
            if (s->listen_fd >= 0)
                disconnect(s);
            return;
        }
        if (s->out_len < before)
            wake_frontend(s);
    }
    if ((revents & (POLLIN | POLLHUP | POLLRDHUP | POLLERR)) && !s->in_len) {
        ssize_t n = read(s->fd, s->in, sizeof(s->in));
        if (n > 0) {
            s->in_len = (size_t)n;
            s->in_off = 0;
            deliver_in(s);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (s->listen_fd >= 0)
                disconnect(s);
            return;
        }
    }
    if ((revents & (POLLHUP | POLLRDHUP | POLLERR)) && s->listen_fd >= 0 && s->in_len == 0)
        disconnect(s);
}

static void watch_data(struct char_stream *s)
{
    struct event_source src = {.fd = s->fd, .opaque = s, .events = data_events,
                               .ready = data_ready};
    if (event_loop_add(s->loop, &src) < 0)
        log_error("char", "event loop full: stream input ignored");
}

static short listen_events(void *opaque)
{
    struct char_stream *s = opaque;
    return s->fd < 0 ? POLLIN : 0; /* one client at a time; others wait in the backlog */
}

static void listen_ready(void *opaque, short revents)
{
    struct char_stream *s = opaque;
    (void)revents;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    s->fd = fd;
    log_info("char", "unix socket %s: client connected", s->socket_path);
    watch_data(s);
    wake_frontend(s);
}

static size_t stream_write_room(void *opaque)
{
    struct char_stream *s = opaque;
    return s->fd < 0 ? 0 : CHAR_STREAM_BUF - s->out_len;
}

static void stream_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct char_stream *s = opaque;
    if (s->fd < 0)
        return;
    size_t room = CHAR_STREAM_BUF - s->out_len;
    if (len > room) {
        log_once(LOG_ERROR, "char", "internal: write beyond write_room dropped");
        len = room;
    }
    for (size_t done = 0; done < len;) {
        size_t tail = (s->out_head + s->out_len) % CHAR_STREAM_BUF;
        size_t chunk = CHAR_STREAM_BUF - tail;
        if (chunk > len - done)
            chunk = len - done;
        memcpy(s->out + tail, buf + done, chunk);
        s->out_len += chunk;
        done += chunk;
    }
    if (!flush_out(s) && s->listen_fd >= 0)
        disconnect(s);
}

static bool stream_connected(void *opaque)
{
    struct char_stream *s = opaque;
    return s->fd >= 0;
}

static struct char_stream *stream_new(struct event_loop *loop)
{
    struct char_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->fd = s->listen_fd = s->pty_slave = -1;
    return s;
}

struct char_stream *char_stream_open_pty(struct event_loop *loop, char *path, size_t len)
{
    struct char_stream *s = stream_new(loop);
    if (!s)
        return NULL;
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
        log_error("char", "cannot open a pty: %s", strerror(errno));
        free(s);
        return NULL;
    }
    /* Raw: the guest's bytes arrive as they were sent, with no echo or line editing. */
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    if (ttyname_r(slave, path, len) != 0)
        snprintf(path, len, "?");
    s->fd = master;
    s->pty_slave = slave;
    watch_data(s);
    return s;
}

struct char_stream *char_stream_listen_unix(struct event_loop *loop, const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        log_error("char", "unix socket path too long (at most %zu bytes): %s",
                  sizeof(addr.sun_path) - 1, path);
        return NULL;
    }
    strcpy(addr.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("char", "%s exists and is not a socket", path);
            return NULL;
        }
        unlink(path); /* a socket left behind by an earlier run */
    }
    struct char_stream *s = stream_new(loop);
    if (!s)
        return NULL;
    s->socket_path = strdup(path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!s->socket_path || s->listen_fd < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(s->listen_fd, 4) != 0) {
        log_error("char", "cannot listen on unix socket %s: %s", path, strerror(errno));
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s->socket_path);
        free(s);
        return NULL;
    }
    struct event_source src = {.fd = s->listen_fd, .opaque = s, .events = listen_events,
                               .ready = listen_ready};
    if (event_loop_add(loop, &src) < 0) {
        log_error("char", "event loop full: cannot serve %s", path);
        char_stream_close(s);
        return NULL;
    }
    return s;
}

void char_stream_attach(struct char_stream *s, struct char_frontend frontend)
{
    s->frontend = frontend;
}

struct char_backend char_stream_backend(struct char_stream *s)
{
    return (struct char_backend){.opaque = s, .write = stream_write,
                                 .write_room = stream_write_room,
                                 .connected = stream_connected};
}

void char_stream_close(struct char_stream *s)
{
    if (!s)
        return;
    if (s->fd >= 0) {
        event_loop_remove(s->loop, s->fd);
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        event_loop_remove(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    if (s->pty_slave >= 0)
        close(s->pty_slave);
    if (s->socket_path) {
        unlink(s->socket_path);
        free(s->socket_path);
    }
    free(s);
}
