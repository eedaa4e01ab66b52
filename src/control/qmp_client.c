/*
 * `kite qmp PATH COMMAND [JSON-ARGS]`: a small QMP client for shells and tests. It connects,
 * negotiates capabilities, runs one command and prints its return value as JSON on stdout
 * (exit 0), or the error's class and description on stderr (exit 1). Events that arrive
 * meanwhile are skipped.
 */
#define _GNU_SOURCE
#include "control/qmp_client.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CLIENT_TIMEOUT_MS 30000
#define CLIENT_LINE_MAX (1024 * 1024)

struct conn {
    int fd;
    char *buf;
    size_t len;
};

/* The next line from the server, parsed; NULL on EOF, timeout or bad JSON. */
static json_t *read_msg(struct conn *c)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            json_t *j = json_loadb(c->buf, (size_t)(nl - c->buf), 0, NULL);
            c->len -= (size_t)(nl + 1 - c->buf);
            memmove(c->buf, nl + 1, c->len);
            return j;
        }
        if (c->len == CLIENT_LINE_MAX)
            return NULL;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, CLIENT_TIMEOUT_MS) <= 0)
            return NULL;
        ssize_t n = read(c->fd, c->buf + c->len, CLIENT_LINE_MAX - c->len);
        if (n <= 0)
            return NULL;
        c->len += (size_t)n;
    }
}

static int send_cmd(struct conn *c, const char *cmd, json_t *args)
{
    json_t *req = json_pack("{s:s}", "execute", cmd);
    if (args)
        json_object_set(req, "arguments", args);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        return -ENOMEM;
    size_t len = strlen(text);
    text[len] = '\n';   /* over the terminator: sent by length */
    ssize_t n = send(c->fd, text, len + 1, MSG_NOSIGNAL);
    free(text);
    return n == (ssize_t)(len + 1) ? 0 : -EIO;
}

/* The reply to the command just sent (events skipped). */
static json_t *read_reply(struct conn *c)
{
    for (;;) {
        json_t *j = read_msg(c);
        if (!j || json_object_get(j, "return") || json_object_get(j, "error"))
            return j;
        json_decref(j);
    }
}

/* Prints a reply; returns the exit status. */
static int report(const char *cmd, json_t *reply)
{
    if (!reply) {
        fprintf(stderr, "kite: qmp %s: no reply (connection closed or timed out)\n", cmd);
        return 1;
    }
    json_t *err = json_object_get(reply, "error");
    if (err) {
        fprintf(stderr, "kite: qmp %s: %s: %s\n", cmd,
                json_string_value(json_object_get(err, "class")),
                json_string_value(json_object_get(err, "desc")));
        return 1;
    }
    char *text = json_dumps(json_object_get(reply, "return"),
                            JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "null");
    free(text);
    return 0;
}

int qmp_client_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: kite qmp SOCKET COMMAND [JSON-ARGUMENTS]\n"
               "runs one QMP command on a kite started with --qmp SOCKET and prints its\n"
               "return value as JSON, e.g.\n"
               "  kite qmp /tmp/vm.sock query-status\n"
               "  kite qmp /tmp/vm.sock input-send-event '{\"events\": [...]}'\n"
               "exit status: 0 done, 1 an error reply or no server, 2 bad usage\n");
        return 0;
    }
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "kite: usage: kite qmp SOCKET COMMAND [JSON-ARGUMENTS]\n");
        return 2;
    }
    const char *path = argv[1], *cmd = argv[2];
    json_t *args = NULL;
    if (argc == 4) {
        json_error_t e;
        args = json_loads(argv[3], 0, &e);
        if (!json_is_object(args)) {
            fprintf(stderr, "kite: qmp: the arguments must be a JSON object (%s)\n",
                    args ? "not an object" : e.text);
            json_decref(args);
            return 2;
        }
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "kite: qmp: socket path too long: %s\n", path);
        json_decref(args);
        return 2;
    }
    strcpy(addr.sun_path, path);
    struct conn c = {.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                     .buf = malloc(CLIENT_LINE_MAX)};
    int rc = 1;
    if (c.fd < 0 || !c.buf || connect(c.fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fprintf(stderr, "kite: qmp: cannot connect to %s: %s\n", path, strerror(errno));
        goto out;
    }
    json_t *greeting = read_msg(&c);
    bool ok = greeting && json_object_get(greeting, "QMP");
    json_decref(greeting);
    if (!ok) {
        fprintf(stderr, "kite: qmp: %s did not greet as a QMP server\n", path);
        goto out;
    }
    if (strcmp(cmd, "qmp_capabilities")) {
        json_t *r = NULL;
        if (send_cmd(&c, "qmp_capabilities", NULL) < 0 || !(r = read_reply(&c)) ||
            json_object_get(r, "error")) {
            rc = report("qmp_capabilities", r);
            rc = rc ? rc : 1;
            json_decref(r);
            goto out;
        }
        json_decref(r);
    }
    if (send_cmd(&c, cmd, args) < 0) {
        fprintf(stderr, "kite: qmp: cannot send to %s\n", path);
        goto out;
    }
    json_t *reply = read_reply(&c);
    rc = report(cmd, reply);
    json_decref(reply);
out:
    if (c.fd >= 0)
        close(c.fd);
    free(c.buf);
    json_decref(args);
    return rc;
}
