/*
 * The stream network backend against a real unix socket: QEMU's framing (4-byte big-endian
 * length, then the frame) both ways, back-pressure from the device, a peer that goes away
 * (link down) and the next one (link up), and a peer announcing an oversized frame.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/net.h"
#include "core/event_loop.h"

struct fake_device {
    bool room;
    unsigned frames;
    size_t last_len;
    uint8_t last[2048];
    int carrier;            /* -1 = never told */
    unsigned carrier_changes;
};

static bool fd_can(void *o)
{
    return ((struct fake_device *)o)->room;
}

static void fd_write(void *o, const struct iovec *iov, unsigned n)
{
    struct fake_device *d = o;
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(d->last + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    d->last_len = len;
    d->frames++;
}

static void fd_carrier(void *o, bool up)
{
    struct fake_device *d = o;
    d->carrier = up;
    d->carrier_changes++;
}

struct fix {
    char dir[64], path[128];
    struct event_loop loop;
    struct net_backend *be;
    struct fake_device dev;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kite-net-stream-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/wire", f->dir);
    event_loop_init(&f->loop);
    assert_int_equal(net_stream_open(f->path, NULL, &f->loop, &f->be), 0);
    f->dev = (struct fake_device){.room = true, .carrier = -1};
    net_backend_attach(f->be, (struct net_frontend){.opaque = &f->dev,
                                                    .can_write_packet = fd_can,
                                                    .write_packet = fd_write,
                                                    .set_carrier = fd_carrier});
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    net_backend_close(f->be);
    assert_int_equal(access(f->path, F_OK), -1);    /* the socket file is removed */
    rmdir(f->dir);
    free(f);
    return 0;
}

static int peer_connect(struct fix *f)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, f->path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    for (int i = 0; i < 10 && f->dev.carrier != 1; i++)
        event_loop_poll(&f->loop, 10000000);
    assert_int_equal(f->dev.carrier, 1);
    return s;
}

static void send_frame(int s, const uint8_t *buf, uint32_t len)
{
    uint8_t p[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                    (uint8_t)len};
    assert_int_equal(write(s, p, 4), 4);
    if (len)
        assert_int_equal(write(s, buf, len), (ssize_t)len);
}

static void pump(struct fix *f)
{
    for (int i = 0; i < 5; i++)
        event_loop_poll(&f->loop, 2000000);
}

static void test_frames_both_ways(void **state)
{
    struct fix *f = *state;
    int s = peer_connect(f);
    uint8_t frame[60];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    send_frame(s, frame, sizeof(frame));
    send_frame(s, frame, 30);
    pump(f);
    assert_int_equal(f->dev.frames, 2);
    assert_int_equal(f->dev.last_len, 30);
    assert_memory_equal(f->dev.last, frame, 30);

    /* Out: the length prefix, then the frame, from several iovecs. */
    struct iovec iov[2] = {{frame, 10}, {frame + 10, 50}};
    assert_int_equal(f->be->ops->write_packet(f->be->opaque, iov, 2), 0);
    uint8_t got[64];
    assert_int_equal(read(s, got, sizeof(got)), 64);
    assert_int_equal(got[0] | got[1] | got[2], 0);
    assert_int_equal(got[3], 60);
    assert_memory_equal(got + 4, frame, 60);
    close(s);
}

static void test_backpressure_keeps_frames(void **state)
{
    struct fix *f = *state;
    int s = peer_connect(f);
    uint8_t frame[60] = {1};
    f->dev.room = false;
    for (int i = 0; i < 3; i++)
        send_frame(s, frame, sizeof(frame));
    pump(f);
    assert_int_equal(f->dev.frames, 0);
    f->dev.room = true;
    pump(f);
    assert_int_equal(f->dev.frames, 3);
    close(s);
}

static void test_peer_leaves_and_another_comes(void **state)
{
    struct fix *f = *state;
    int s = peer_connect(f);
    close(s);
    pump(f);
    assert_int_equal(f->dev.carrier, 0);
    /* With no peer, frames from the guest are dropped, not queued. */
    uint8_t frame[60] = {0};
    struct iovec iov = {frame, sizeof(frame)};
    assert_int_equal(f->be->ops->write_packet(f->be->opaque, &iov, 1), 0);
    s = peer_connect(f);
    send_frame(s, frame, sizeof(frame));
    pump(f);
    assert_int_equal(f->dev.frames, 1);
    assert_int_equal(f->dev.carrier_changes, 3);
    close(s);
}

static void test_oversized_frame_drops_the_peer(void **state)
{
    struct fix *f = *state;
    int s = peer_connect(f);
    uint8_t p[4] = {0, 1, 0x10, 1};     /* 69633 bytes: more than QEMU would send */
    assert_int_equal(write(s, p, 4), 4);
    pump(f);
    assert_int_equal(f->dev.carrier, 0);
    assert_int_equal(f->dev.frames, 0);
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frames_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure_keeps_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_leaves_and_another_comes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_frame_drops_the_peer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
