#include "virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/char_stdio.h"
#include "backend/char_stream.h"
#include "core/device_registry.h"
#include "core/log.h"

/* Config space (5.3.4): le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr. */
#define CFG_COLS 0
#define CFG_ROWS 2
#define CFG_MAX_NR_PORTS 4
#define CFG_LEN 12

/* Queues of the multiport layout (5.3.2). */
#define Q_CTRL_RX 2     /* device -> driver control messages */
#define Q_CTRL_TX 3     /* driver -> device control messages */

#define CTRL_HDR 8      /* le32 id, le16 event, le16 value */
/* Bounded: a guest repeating DEVICE_READY cannot grow this without end. */
#define CTRL_PENDING_MAX (4 * VIRTIO_CONSOLE_MAX_PORTS + 4)

struct console_port {
    struct virtio_console *dev;
    unsigned id;
    char name[VIRTIO_CONSOLE_NAME_MAX + 1];
    struct char_backend backend;
    bool guest_open;        /* the guest has the port open: input may flow */
    bool ready;             /* multiport: the driver sent PORT_READY */
    bool told_connected;    /* the PORT_OPEN value the driver last got from us */
    struct virtq_elem *rx;  /* a receive buffer taken, waiting for input */
    struct virtq_elem *tx;  /* a transmit buffer partly written to the backend */
    uint64_t tx_off;
};

struct ctrl_msg {
    uint32_t id;
    uint16_t event, value;
    bool with_name;
};

struct virtio_console {
    struct virtio_device vdev;
    bool multiport;
    unsigned num_ports;
    struct console_port ports[VIRTIO_CONSOLE_MAX_PORTS];
    struct ctrl_msg pending[CTRL_PENDING_MAX];
    unsigned pending_head, pending_len;
    uint32_t logged;        /* one bit per complaint kind below */
};

enum { L_BAD_RX, L_CTRL_SHORT, L_CTRL_ID, L_CTRL_EVENT, L_CTRL_FULL, L_CTRL_SMALL_BUF,
       L_GUEST_FAIL };

/* Logs once per device and kind: a hostile driver cannot flood the log. */
#define complain(c, kind, ...)                                          \
    do {                                                                \
        if (!((c)->logged & (1u << (kind)))) {                          \
            (c)->logged |= 1u << (kind);                                \
            log_warn((c)->vdev.name, __VA_ARGS__);                      \
        }                                                               \
    } while (0)

static unsigned rx_queue(unsigned port)
{
    return port == 0 ? 0 : 2 + 2 * port;
}

static unsigned tx_queue(unsigned port)
{
    return rx_queue(port) + 1;
}

static bool backend_connected(const struct console_port *p)
{
    return !p->backend.connected || p->backend.connected(p->backend.opaque);
}

/* --- control queue ------------------------------------------------------------------ */

static void ctrl_flush(struct virtio_console *c)
{
    struct virtio_device *dev = &c->vdev;
    bool pushed = false;
    while (c->pending_len) {
        struct virtq_elem *e;
        if (!virtio_pop(dev, Q_CTRL_RX, &e))
            break;
        const struct ctrl_msg *m = &c->pending[c->pending_head];
        const struct console_port *p = &c->ports[m->id];
        uint8_t buf[CTRL_HDR + VIRTIO_CONSOLE_NAME_MAX + 1];
        size_t len = CTRL_HDR;
        uint32_t id = m->id;
        memcpy(buf, &id, 4);
        memcpy(buf + 4, &m->event, 2);
        memcpy(buf + 6, &m->value, 2);
        if (m->with_name) {
            size_t n = strlen(p->name);
            memcpy(buf + CTRL_HDR, p->name, n + 1);
            len += n + 1;
        }
        if (e->in_len < len) {
            /* Linux posts 4 KiB buffers; a smaller one cannot carry the message. */
            complain(c, L_CTRL_SMALL_BUF, "control buffer of %llu bytes too small: returned",
                     (unsigned long long)e->in_len);
            virtq_push(&dev->queues[Q_CTRL_RX], e, 0);
            pushed = true;
            continue;
        }
        virtq_elem_write(e, 0, buf, len);
        virtq_push(&dev->queues[Q_CTRL_RX], e, (uint32_t)len);
        pushed = true;
        c->pending_head = (c->pending_head + 1) % CTRL_PENDING_MAX;
        c->pending_len--;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, Q_CTRL_RX);
}

static void ctrl_send(struct virtio_console *c, unsigned id, uint16_t event, uint16_t value,
                      bool with_name)
{
    if (c->pending_len == CTRL_PENDING_MAX) {
        complain(c, L_CTRL_FULL, "driver is not taking control messages: one dropped");
        return;
    }
    unsigned slot = (c->pending_head + c->pending_len) % CTRL_PENDING_MAX;
    c->pending[slot] = (struct ctrl_msg){.id = id, .event = event, .value = value,
                                         .with_name = with_name};
    c->pending_len++;
}

/* Tells the driver whether a host program is on the other end, if that changed. */
static void announce_connection(struct console_port *p)
{
    bool now = backend_connected(p);
    if (!p->dev->multiport || !p->ready || now == p->told_connected)
        return;
    p->told_connected = now;
    ctrl_send(p->dev, p->id, VIRTIO_CONSOLE_PORT_OPEN, now, false);
}

static void ctrl_handle(struct virtio_console *c, const uint8_t *msg)
{
    uint32_t id;
    uint16_t event, value;
    memcpy(&id, msg, 4);
    memcpy(&event, msg + 4, 2);
    memcpy(&value, msg + 6, 2);
    if (event == VIRTIO_CONSOLE_DEVICE_READY) {
        if (!value) {
            complain(c, L_GUEST_FAIL, "driver failed to set up the device");
            return;
        }
        for (unsigned i = 0; i < c->num_ports; i++)
            ctrl_send(c, i, VIRTIO_CONSOLE_DEVICE_ADD, 1, false);
        return;
    }
    if (id >= c->num_ports) {
        complain(c, L_CTRL_ID, "control message for port %u of %u: ignored", id, c->num_ports);
        return;
    }
    struct console_port *p = &c->ports[id];
    switch (event) {
    case VIRTIO_CONSOLE_PORT_READY:
        if (!value) {
            complain(c, L_GUEST_FAIL, "driver failed to set up port %u", id);
            return;
        }
        p->ready = true;
        ctrl_send(c, id, VIRTIO_CONSOLE_PORT_NAME, 1, true);
        p->told_connected = backend_connected(p);
        ctrl_send(c, id, VIRTIO_CONSOLE_PORT_OPEN, p->told_connected, false);
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        p->guest_open = value != 0;
        break;
    default:
        complain(c, L_CTRL_EVENT, "unknown control event %u from the driver: ignored", event);
        break;
    }
}

static void ctrl_receive(struct virtio_console *c)
{
    struct virtio_device *dev = &c->vdev;
    bool pushed = false;
    struct virtq_elem *e;
    while (virtio_pop(dev, Q_CTRL_TX, &e)) {
        uint8_t msg[CTRL_HDR];
        if (virtq_elem_read(e, 0, msg, sizeof(msg)) < sizeof(msg))
            complain(c, L_CTRL_SHORT, "control message shorter than %d bytes: ignored",
                     CTRL_HDR);
        else
            ctrl_handle(c, msg);
        virtq_push(&dev->queues[Q_CTRL_TX], e, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, Q_CTRL_TX);
    ctrl_flush(c);
}

/* --- data ---------------------------------------------------------------------------- */

/* The readable bytes of e from offset off to the end of that descriptor (NULL past all). */
static const uint8_t *tx_piece(const struct virtq_elem *e, uint64_t off, size_t *len)
{
    for (unsigned i = 0; i < e->out_num; i++) {
        if (off < e->iov[i].iov_len) {
            *len = e->iov[i].iov_len - (size_t)off;
            return (const uint8_t *)e->iov[i].iov_base + off;
        }
        off -= e->iov[i].iov_len;
    }
    *len = 0;
    return NULL;
}

/* Moves guest output to the backend as far as it has room. */
static void port_transmit(struct console_port *p)
{
    struct virtio_device *dev = &p->dev->vdev;
    unsigned q = tx_queue(p->id);
    bool pushed = false;
    while (virtio_driver_ok(dev)) {
        if (!p->tx) {
            if (!virtio_pop(dev, q, &p->tx))
                break;
            p->tx_off = 0;
        }
        while (p->tx_off < p->tx->out_len) {
            size_t room = p->backend.write_room ? p->backend.write_room(p->backend.opaque)
                                                : SIZE_MAX;
            if (room == 0)
                goto out; /* the backend's wakeup brings us back */
            /* Straight from guest RAM, one descriptor's piece at a time: no bounce copy. */
            size_t n;
            const uint8_t *piece = tx_piece(p->tx, p->tx_off, &n);
            if (!piece)
                break;
            if (n > room)
                n = room;
            p->backend.write(p->backend.opaque, piece, n);
            p->tx_off += n;
        }
        /* Writable descriptors in a transmit buffer carry nothing: written = 0. */
        virtq_push(&dev->queues[q], p->tx, 0);
        p->tx = NULL;
        pushed = true;
    }
out:
    if (pushed)
        virtio_queue_kick_guest(dev, q);
}

static size_t port_can_receive(void *opaque)
{
    struct console_port *p = opaque;
    struct virtio_device *dev = &p->dev->vdev;
    if (!virtio_driver_ok(dev) || !p->guest_open)
        return 0;
    unsigned q = rx_queue(p->id);
    while (!p->rx) {
        if (!virtio_pop(dev, q, &p->rx))
            return 0;
        if (p->rx->out_num || p->rx->in_len == 0) {
            complain(p->dev, L_BAD_RX, "receive buffer with device-readable parts: returned");
            virtio_complete(dev, q, p->rx, 0);
            p->rx = NULL;
        }
    }
    return (size_t)p->rx->in_len; /* at most VIRTIO_CONSOLE_MAX_CHAIN */
}

static void port_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct console_port *p = opaque;
    if (!p->rx)
        return;
    size_t n = virtq_elem_write(p->rx, 0, buf, len);
    /* Hand it over at once: a typed key must not wait for the buffer to fill. */
    virtio_complete(&p->dev->vdev, rx_queue(p->id), p->rx, (uint32_t)n);
    p->rx = NULL;
}

static void port_wakeup(void *opaque)
{
    struct console_port *p = opaque;
    if (!virtio_driver_ok(&p->dev->vdev))
        return;
    port_transmit(p);
    announce_connection(p);
    if (p->dev->multiport)
        ctrl_flush(p->dev);
}

static void store_size(struct virtio_console *c, unsigned cols, unsigned rows)
{
    uint16_t v = cols > UINT16_MAX ? UINT16_MAX : (uint16_t)cols;
    memcpy(c->vdev.config + CFG_COLS, &v, 2);
    v = rows > UINT16_MAX ? UINT16_MAX : (uint16_t)rows;
    memcpy(c->vdev.config + CFG_ROWS, &v, 2);
}

static void port_resize(void *opaque, unsigned cols, unsigned rows)
{
    struct console_port *p = opaque;
    struct virtio_console *c = p->dev;
    if (c->multiport || !(c->vdev.host_features & (1ULL << VIRTIO_CONSOLE_F_SIZE)))
        return;
    store_size(c, cols, rows);
    virtio_config_changed(&c->vdev);
}

/* --- device ops ---------------------------------------------------------------------- */

static void console_queue_notify(struct virtio_device *dev, unsigned q)
{
    struct virtio_console *c = dev->opaque;
    if (c->multiport && q == Q_CTRL_TX) {
        ctrl_receive(c);
    } else if (c->multiport && q == Q_CTRL_RX) {
        ctrl_flush(c);
    } else if (q & 1) {
        unsigned port = q == 1 ? 0 : (q - 3) / 2;
        if (port < c->num_ports)
            port_transmit(&c->ports[port]);
    }
    /* Receive queues: new buffers are picked up when the backend next has input. */
}

static void console_driver_ok(struct virtio_device *dev)
{
    struct virtio_console *c = dev->opaque;
    if (!c->multiport) {
        c->ports[0].guest_open = true;
        /* Linux reads the size when told the config changed: tell it once now. */
        if (virtio_has_feature(dev, VIRTIO_CONSOLE_F_SIZE))
            virtio_config_changed(dev);
    }
    for (unsigned i = 0; i < c->num_ports; i++)
        port_transmit(&c->ports[i]);
}

static void console_reset(struct virtio_device *dev)
{
    struct virtio_console *c = dev->opaque;
    for (unsigned i = 0; i < c->num_ports; i++) {
        struct console_port *p = &c->ports[i];
        virtq_drop(&dev->queues[rx_queue(i)], p->rx);
        virtq_drop(&dev->queues[tx_queue(i)], p->tx);
        p->rx = p->tx = NULL;
        p->guest_open = p->ready = p->told_connected = false;
    }
    c->pending_head = c->pending_len = 0;
}

static const struct virtio_device_ops console_ops = {
    .queue_notify = console_queue_notify,
    .reset = console_reset,
    .driver_ok = console_driver_ok,
};

bool virtio_console_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > VIRTIO_CONSOLE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

static bool config_valid(const struct virtio_console_config *cfg)
{
    if (!cfg->ports || cfg->num_ports == 0 || cfg->num_ports > VIRTIO_CONSOLE_MAX_PORTS ||
        (!cfg->multiport && cfg->num_ports != 1) || (cfg->multiport && cfg->has_size))
        return false;
    for (unsigned i = 0; i < cfg->num_ports; i++) {
        if (!cfg->ports[i].backend.write)
            return false;
        if (!cfg->multiport)
            continue;
        if (!cfg->ports[i].name || !virtio_console_name_valid(cfg->ports[i].name))
            return false;
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(cfg->ports[i].name, cfg->ports[j].name))
                return false;
    }
    return true;
}

struct virtio_console *virtio_console_new(const struct guest_mem *mem,
                                          const struct virtio_console_config *cfg)
{
    if (!config_valid(cfg)) {
        log_error("virtio-console", "bad port configuration");
        return NULL;
    }
    struct virtio_console *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->multiport = cfg->multiport;
    c->num_ports = cfg->num_ports;
    for (unsigned i = 0; i < cfg->num_ports; i++) {
        struct console_port *p = &c->ports[i];
        p->dev = c;
        p->id = i;
        p->backend = cfg->ports[i].backend;
        if (cfg->ports[i].name)
            strcpy(p->name, cfg->ports[i].name);
    }
    struct virtio_device *dev = &c->vdev;
    dev->name = cfg->multiport ? "virtio-console-ports" : "virtio-console";
    dev->device_id = VIRTIO_ID_CONSOLE;
    dev->ops = &console_ops;
    dev->opaque = c;
    dev->config_len = CFG_LEN;
    if (cfg->multiport) {
        dev->features |= 1ULL << VIRTIO_CONSOLE_F_MULTIPORT;
        uint32_t n = cfg->num_ports;
        memcpy(dev->config + CFG_MAX_NR_PORTS, &n, 4);
    }
    if (cfg->has_size) {
        dev->features |= 1ULL << VIRTIO_CONSOLE_F_SIZE;
        store_size(c, cfg->cols, cfg->rows);
    }
    unsigned queues = cfg->multiport ? 2 + 2 * cfg->num_ports : 2;
    if (virtio_device_init(dev, mem, queues, NULL) < 0) {
        free(c);
        return NULL;
    }
    for (unsigned q = 0; q < queues; q++)
        dev->queues[q].max_chain_bytes = VIRTIO_CONSOLE_MAX_CHAIN;
    return c;
}

void virtio_console_free(struct virtio_console *c)
{
    if (!c)
        return;
    console_reset(&c->vdev);
    virtio_device_cleanup(&c->vdev);
    free(c);
}

struct virtio_device *virtio_console_device(struct virtio_console *c)
{
    return &c->vdev;
}

struct char_frontend virtio_console_frontend(struct virtio_console *c, unsigned port)
{
    struct console_port *p = &c->ports[port < c->num_ports ? port : 0];
    return (struct char_frontend){.opaque = p, .can_receive = port_can_receive,
                                  .receive = port_receive, .wakeup = port_wakeup,
                                  .resize = port_resize};
}

/*
 * Registration with the device model: the virtio console on kite's stdio (added by
 * --console virtio, so it has no option of its own) and --port NAME=stdio|pty|unix:PATH,
 * whose instances together form one multiport device.
 */

/* A console device and the host ends its ports are attached to for this boot. */
struct console_instance {
    struct virtio_console *c;
    struct stdio_console *console;      /* attached to kite's stdio, or NULL */
    struct char_stream *streams[VIRTIO_CONSOLE_MAX_PORTS];
};

static void console_destroy(void *state)
{
    struct console_instance *ci = state;
    if (!ci)
        return;
    /* The host ends outlive the device: nothing may call into a freed port. */
    if (ci->console)
        stdio_console_attach(ci->console, (struct char_frontend){0});
    for (unsigned i = 0; i < VIRTIO_CONSOLE_MAX_PORTS; i++)
        if (ci->streams[i])
            char_stream_attach(ci->streams[i], (struct char_frontend){0});
    virtio_console_free(ci->c);
    free(ci);
}

static struct virtio_device *stdio_console_create(void *const *cfgs, unsigned n,
                                                  const struct device_env *env, void **state)
{
    struct virtio_console_port_config port = {.backend = stdio_console_backend(env->console)};
    struct virtio_console_config cc = {.num_ports = 1, .ports = &port};
    cc.has_size = stdio_console_size(&cc.cols, &cc.rows);
    struct console_instance *ci = calloc(1, sizeof(*ci));
    *state = ci;
    if (!ci || !(ci->c = virtio_console_new(env->mem, &cc)))
        return NULL;
    ci->console = env->console;
    stdio_console_attach(env->console, virtio_console_frontend(ci->c, 0));
    return &ci->c->vdev;
}

static void *stdio_console_parse(struct dev_opts *o, char *why, size_t len)
{
    return calloc(1, 1);
}

static unsigned uses_stdio_always(const void *cfg)
{
    return 1;
}

static const struct device_type virtio_console_type = {
    .name = "virtio-console",
    .help = "the guest console (hvc0) on kite's stdio: --console virtio",
    .internal = true,
    .max_instances = 1,
    .order = 20,
    .parse = stdio_console_parse,
    .free_config = free,
    .uses_stdio = uses_stdio_always,
    .create = stdio_console_create,
    .destroy = console_destroy,
};
DEVICE_TYPE_REGISTER(virtio_console_type)

enum port_kind { PORT_STDIO, PORT_PTY, PORT_UNIX };

struct port_config {
    char *name;
    enum port_kind kind;
    char *path;                     /* PORT_UNIX */
    struct char_stream *stream;     /* the host end (pty or socket), NULL for stdio */
    struct stdio_console *console;
};

static void port_free_config(void *p)
{
    struct port_config *pc = p;
    if (!pc)
        return;
    free(pc->name);
    free(pc->path);
    free(pc);
}

/* "NAME=stdio|pty|unix:PATH", or name= and to= items (a config file's form). */
static void *port_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *name = dev_opts_take(o, "name", &dup);
    const struct dev_opt *to = dev_opts_take(o, "to", &dup);
    const char *n = name ? name->value : NULL, *what = to ? to->value : NULL;
    const struct dev_opt *only = dev_opts_leftover(o);
    if (!name && !to && only && only->value) {
        /* NAME=WHAT: the one item transport= and addr= left over. */
        n = only->key;
        what = only->value;
        ((struct dev_opt *)only)->used = true;
    }
    if (dup || !n || !what) {
        snprintf(why, len, "use NAME=stdio|pty|unix:PATH");
        return NULL;
    }
    if (!virtio_console_name_valid(n)) {
        snprintf(why, len, "NAME is letters, digits, '.', '_' and '-'");
        return NULL;
    }
    struct port_config *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return NULL;
    pc->name = strdup(n);
    if (!strcmp(what, "stdio")) {
        pc->kind = PORT_STDIO;
    } else if (!strcmp(what, "pty")) {
        pc->kind = PORT_PTY;
    } else if (!strncmp(what, "unix:", 5) && what[5]) {
        pc->kind = PORT_UNIX;
        pc->path = strdup(what + 5);
    } else {
        snprintf(why, len, "a port's host end is stdio, pty or unix:PATH");
        port_free_config(pc);
        return NULL;
    }
    if (!pc->name || (pc->kind == PORT_UNIX && !pc->path)) {
        port_free_config(pc);
        return NULL;
    }
    return pc;
}

static const char *port_check(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct port_config *a = cfgs[i];
        for (unsigned j = 0; j < i; j++) {
            const struct port_config *b = cfgs[j];
            if (!strcmp(a->name, b->name))
                return "two --port options have the same name";
            if (a->kind == PORT_UNIX && b->kind == PORT_UNIX && !strcmp(a->path, b->path))
                return "two --port options listen on the same socket";
        }
    }
    return NULL;
}

static unsigned port_uses_stdio(const void *cfg)
{
    return ((const struct port_config *)cfg)->kind == PORT_STDIO;
}

static void port_close_host(void *const *cfgs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct port_config *pc = cfgs[i];
        char_stream_close(pc->stream);
        pc->stream = NULL;
    }
}

/* Opens every port's host end, telling the user where the ptys are. */
static int port_open_host(void *const *cfgs, unsigned n, const struct device_host_env *env)
{
    for (unsigned i = 0; i < n; i++) {
        struct port_config *pc = cfgs[i];
        char pty[64];
        pc->console = env->console;
        switch (pc->kind) {
        case PORT_STDIO:
            continue;
        case PORT_PTY:
            pc->stream = char_stream_open_pty(env->loop, pty, sizeof(pty));
            if (pc->stream)
                fprintf(stderr, "kite: port %s is on %s\r\n", pc->name, pty);
            break;
        case PORT_UNIX:
            pc->stream = char_stream_listen_unix(env->loop, pc->path);
            break;
        }
        if (!pc->stream) {
            port_close_host(cfgs, i);
            return -EINVAL;
        }
    }
    return 0;
}

static struct virtio_device *port_create(void *const *cfgs, unsigned n,
                                         const struct device_env *env, void **state)
{
    struct virtio_console_port_config ports[VIRTIO_CONSOLE_MAX_PORTS];
    *state = NULL;
    if (n > VIRTIO_CONSOLE_MAX_PORTS)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        const struct port_config *pc = cfgs[i];
        ports[i] = (struct virtio_console_port_config){
            .name = pc->name,
            .backend = pc->stream ? char_stream_backend(pc->stream)
                                  : stdio_console_backend(env->console)};
    }
    struct virtio_console_config cc = {.multiport = true, .num_ports = n, .ports = ports};
    struct console_instance *ci = calloc(1, sizeof(*ci));
    *state = ci;
    if (!ci || !(ci->c = virtio_console_new(env->mem, &cc)))
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        const struct port_config *pc = cfgs[i];
        struct char_frontend fe = virtio_console_frontend(ci->c, i);
        if (pc->stream) {
            ci->streams[i] = pc->stream;
            char_stream_attach(pc->stream, fe);
        } else {
            ci->console = env->console;
            stdio_console_attach(env->console, fe);
        }
    }
    return &ci->c->vdev;
}

static const struct device_type port_type = {
    .name = "port",
    .usage = "NAME=stdio|pty|unix:PATH",
    .help = "add a named virtio-console port (/dev/vport* in the guest, its name in\n"
            "/sys/class/virtio-ports/*/name); its host end is kite's stdio, a new pty (its\n"
            "path is printed), or a unix socket kite listens on. NAME is [A-Za-z0-9._-]+;\n"
            "all ports share one multiport device",
    .max_instances = VIRTIO_CONSOLE_MAX_PORTS,
    .grouped = true,
    .order = 30,
    .parse = port_parse,
    .free_config = port_free_config,
    .check = port_check,
    .uses_stdio = port_uses_stdio,
    .open_host = port_open_host,
    .close_host = port_close_host,
    .create = port_create,
    .destroy = console_destroy,
};
DEVICE_TYPE_REGISTER(port_type)
