/* The QMP unix socket on the event loop (see qmp_server.h). */
#define _GNU_SOURCE
#include "control/qmp_server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/event_loop.h"
#include "core/input.h"
#include "core/log.h"
#include "control/qmp_frame.h"

struct qmp_client {
    struct qmp_server *srv;
    int fd;                     /* -1: slot free */
    struct qmp_session *session;
    char in[QMP_TEXT_MAX];
    struct qmp_framer framer;   /* where the texts in `in` end */
    size_t in_len;
    char *out;
    size_t out_len, out_cap;
    bool closing;               /* close once `out` is sent */
};

struct qmp_server {
    struct event_loop *loop;
    struct qmp_env env;
    struct vm_control *vm;      /* whose listener we are */
    int listen_fd;
    char *path;
    struct qmp_client clients[QMP_MAX_CLIENTS];
};

static void client_close(struct qmp_client *c)
{
    if (c->fd < 0)
        return;
    event_loop_remove(c->srv->loop, c->fd);
    close(c->fd);
    c->fd = -1;
    qmp_session_free(c->session);
    c->session = NULL;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_cap = c->in_len = 0;
    c->framer = (struct qmp_framer){0};
    c->closing = false;
}

/* Writes what the socket takes now; false if the client is gone. */
static bool client_flush(struct qmp_client *c)
{
    size_t done = 0;
    while (done < c->out_len) {
        ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    memmove(c->out, c->out + done, c->out_len - done);
    c->out_len -= done;
    return true;
}

/* Queues one JSON text and its CRLF (QEMU ends its lines so). */
static void client_send(void *opaque, const char *text, size_t len)
{
    struct qmp_client *c = opaque;
    if (c->fd < 0 || c->closing)
        return;
    if (c->out_len + len + 2 > QMP_OUT_MAX) {
        log_warn("qmp", "a client is not reading its replies: disconnected");
        c->closing = true;
        c->out_len = 0;
        return;
    }
    if (c->out_len + len + 2 > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len + 2)
            cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p) {
            c->closing = true;
            return;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, text, len);
    memcpy(c->out + c->out_len + len, "\r\n", 2);
    c->out_len += len + 2;
}

/* Sends what it can; closes the client if it is gone or was told to go and has all of it. */
static void client_settle(struct qmp_client *c)
{
    if (c->fd >= 0 && (!client_flush(c) || (c->closing && !c->out_len)))
        client_close(c);
}

static short client_events(void *opaque)
{
    struct qmp_client *c = opaque;
    return (short)((c->closing ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0));
}

/* Runs every complete JSON text in the input buffer and keeps what is not complete yet. */
static void client_texts(struct qmp_client *c)
{
    size_t start, end;
    while (!c->closing && qmp_frame_next(&c->framer, c->in, c->in_len, &start, &end))
        qmp_session_text(c->session, c->in + start, end - start);
    size_t done = qmp_frame_consumed(&c->framer);
    memmove(c->in, c->in + done, c->in_len - done);
    c->in_len -= done;
    qmp_frame_drop(&c->framer, done);
    if (c->in_len == sizeof(c->in) && !c->closing) {
        char desc[64];
        snprintf(desc, sizeof(desc), "request longer than %d bytes: disconnected",
                 QMP_TEXT_MAX);
        char *e = qmp_error_text("GenericError", desc);
        if (e) {
            client_send(c, e, strlen(e));
            free(e);
        }
        log_warn("qmp", "a client sent a request longer than %d bytes: disconnected",
                 QMP_TEXT_MAX);
        c->closing = true;
    }
}

static void client_ready(void *opaque, short revents)
{
    struct qmp_client *c = opaque;
    if ((revents & POLLIN) && !c->closing) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            client_close(c);
            return;
        }
        if (n > 0) {
            c->in_len += (size_t)n;
            client_texts(c);
        }
    } else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
        client_close(c);
        return;
    }
    client_settle(c);
}

static void listen_ready(void *opaque, short revents)
{
    struct qmp_server *srv = opaque;
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct qmp_client *c = NULL;
    for (unsigned i = 0; i < QMP_MAX_CLIENTS && !c; i++)
        if (srv->clients[i].fd < 0)
            c = &srv->clients[i];
    struct event_source src = {.fd = fd, .opaque = c, .events = client_events,
                               .ready = client_ready};
    if (!c || event_loop_add(srv->loop, &src) < 0) {
        static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                                   "\"too many QMP clients\"}}\r\n";
        if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            log_debug("qmp", "refused client gone: %s", strerror(errno));
        close(fd);
        log_warn("qmp", "more than %d clients: one refused", QMP_MAX_CLIENTS);
        return;
    }
    c->fd = fd;
    c->session = qmp_session_new(&srv->env, client_send, c);
    if (!c->session) {
        client_close(c);
        return;
    }
    client_settle(c);
}

static void broadcast(struct qmp_server *srv, const char *name, const char *data)
{
    char *text = qmp_event_text(name, data);
    if (!text)
        return;
    for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
        struct qmp_client *c = &srv->clients[i];
        if (c->fd < 0 || !qmp_session_negotiated(c->session))
            continue;
        client_send(c, text, strlen(text));
        client_settle(c);
    }
    free(text);
}

static const char *const cause_names[] = {
    [VM_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [VM_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [VM_CAUSE_HOST_UI] = "host-ui",
    [VM_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [VM_CAUSE_GUEST_RESET] = "guest-reset",
    [VM_CAUSE_GUEST_PANIC] = "guest-panic",
};

static void on_vm_event(void *listener, enum vm_event ev, enum vm_cause cause)
{
    struct qmp_server *srv = listener;
    bool guest = cause >= VM_CAUSE_GUEST_SHUTDOWN;
    char data[128];
    snprintf(data, sizeof(data), "{\"guest\": %s, \"reason\": \"%s\"}",
             guest ? "true" : "false", cause_names[cause]);
    switch (ev) {
    case VM_EVENT_STOP: broadcast(srv, "STOP", NULL); break;
    case VM_EVENT_RESUME: broadcast(srv, "RESUME", NULL); break;
    case VM_EVENT_RESET: broadcast(srv, "RESET", data); break;
    case VM_EVENT_SHUTDOWN: broadcast(srv, "SHUTDOWN", data); break;
    }
}

static void on_led(void *opaque, const char *id, unsigned code, bool on)
{
    static const char *const names[] = {"num-lock", "caps-lock", "scroll-lock", "compose",
                                        "kana"};
    char data[160];
    /* id is checked at parse time: letters, digits, '-', '_', '.'. */
    snprintf(data, sizeof(data), "{\"device\": \"%s\", \"led\": \"%s\", \"on\": %s}", id,
             code < 5 ? names[code] : "unknown", on ? "true" : "false");
    broadcast(opaque, "INPUT_LED", data);
}

/* A path that holds a socket nobody listens on is left over from an earlier run. */
static int claim_path(const char *path, const struct sockaddr_un *addr)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        log_error("qmp", "%s exists and is not a socket", path);
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        close(fd);
        log_error("qmp", "%s is in use: another process listens on it", path);
        return -EADDRINUSE;
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    return 0;
}

/*
 * bind() creates the socket file before listen() lets anyone connect, and a client that
 * waits for the file (as scripts do) would be refused in between. So the socket is bound
 * under a temporary name next to `path`, listening starts, and only then is it renamed
 * into place: once `path` exists, connecting works. (A path too long for the temporary
 * name is bound directly.)
 */
static int bind_and_listen(int fd, const char *path, struct sockaddr_un *addr)
{
    char tmp[sizeof(addr->sun_path)];
    int n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    bool renamed = n > 0 && (size_t)n < sizeof(tmp);
    if (renamed) {
        unlink(tmp);
        strcpy(addr->sun_path, tmp);
    }
    int r = bind(fd, (struct sockaddr *)addr, sizeof(*addr)) == 0 &&
            listen(fd, QMP_MAX_CLIENTS) == 0 && (!renamed || rename(tmp, path) == 0)
            ? 0 : -errno;
    if (r < 0 && renamed)
        unlink(tmp);
    strcpy(addr->sun_path, path);
    return r;
}

struct qmp_server *qmp_server_open(const char *path, struct event_loop *loop,
                                   const struct qmp_env *env)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        log_error("qmp", "socket path too long (at most %zu bytes): %s",
                  sizeof(addr.sun_path) - 1, path);
        return NULL;
    }
    strcpy(addr.sun_path, path);
    if (claim_path(path, &addr) < 0)
        return NULL;
    struct qmp_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->env = *env;
    for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
        srv->clients[i] = (struct qmp_client){.srv = srv, .fd = -1};
    srv->path = strdup(path);
    srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int r = !srv->path ? -ENOMEM : srv->listen_fd < 0 ? -errno
          : bind_and_listen(srv->listen_fd, path, &addr);
    if (r < 0) {
        log_error("qmp", "cannot listen on %s: %s", path, strerror(-r));
        if (srv->listen_fd >= 0)
            close(srv->listen_fd);
        free(srv->path);
        free(srv);
        return NULL;
    }
    struct event_source src = {.fd = srv->listen_fd, .opaque = srv, .ready = listen_ready};
    if (event_loop_add(loop, &src) < 0) {
        log_error("qmp", "no room on the event loop");
        close(srv->listen_fd);
        unlink(path);
        free(srv->path);
        free(srv);
        return NULL;
    }
    /* The server is the one listener of the machine's events and the guest's LEDs. */
    srv->vm = env->vm;
    if (srv->vm) {
        srv->vm->on_event = on_vm_event;
        srv->vm->listener = srv;
    }
    input_set_led_listener(on_led, srv);
    log_info("qmp", "listening on %s", path);
    return srv;
}

void qmp_server_close(struct qmp_server *srv)
{
    if (!srv)
        return;
    input_set_led_listener(NULL, NULL);
    if (srv->vm)
        srv->vm->on_event = NULL;
    for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
        if (srv->clients[i].fd >= 0)
            client_flush(&srv->clients[i]);
        client_close(&srv->clients[i]);
    }
    event_loop_remove(srv->loop, srv->listen_fd);
    close(srv->listen_fd);
    unlink(srv->path);
    free(srv->path);
    free(srv);
}
