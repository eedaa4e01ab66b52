/*
 * evread: what a guest test needs from evdev, which busybox has no applet for.
 *
 *   evread find NAME               prints the /dev/input/eventN whose device is called NAME
 *   evread read SECONDS DEV:COUNT...
 *                                  opens every DEV, prints "evread: listening", then prints
 *                                  "I TYPE CODE VALUE" for each event of the I-th device
 *                                  (0-based) until each has given COUNT events (SYN_REPORT
 *                                  included) or SECONDS pass ("evread: timeout", exit 1)
 *   evread led DEV CODE VALUE      sets a LED the way a desktop does (an EV_LED write)
 *
 * Built static for riscv64 by guest/mk-tests-cpio.sh; runs as /tests/bin/evread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS 8

static int find(const char *name)
{
    for (int i = 0; i < 32; i++) {
        char path[64], got[256] = {0};
        snprintf(path, sizeof(path), "/dev/input/event%d", i);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        int ok = ioctl(fd, EVIOCGNAME(sizeof(got) - 1), got) >= 0 && !strcmp(got, name);
        close(fd);
        if (ok) {
            printf("%s\n", path);
            return 0;
        }
    }
    fprintf(stderr, "evread: no input device named '%s'\n", name);
    return 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_events(double seconds, int n, char **specs)
{
    struct pollfd p[MAX_DEVS];
    long want[MAX_DEVS];
    if (n > MAX_DEVS)
        n = MAX_DEVS;
    for (int i = 0; i < n; i++) {
        char *colon = strrchr(specs[i], ':');
        if (!colon) {
            fprintf(stderr, "evread: DEV:COUNT expected, not %s\n", specs[i]);
            return 2;
        }
        *colon = '\0';
        want[i] = strtol(colon + 1, NULL, 10);
        p[i] = (struct pollfd){.fd = open(specs[i], O_RDONLY | O_NONBLOCK), .events = POLLIN};
        if (p[i].fd < 0) {
            fprintf(stderr, "evread: %s: %s\n", specs[i], strerror(errno));
            return 1;
        }
    }
    printf("evread: listening\n");
    fflush(stdout);
    double end = now() + seconds;
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++)
            left += want[i] > 0;
        if (!left)
            return 0;
        double rest = end - now();
        if (rest <= 0) {
            printf("evread: timeout\n");
            return 1;
        }
        if (poll(p, (nfds_t)n, (int)(rest * 1000) + 1) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            struct input_event ev[16];
            if (!(p[i].revents & POLLIN))
                continue;
            ssize_t got = read(p[i].fd, ev, sizeof(ev));
            for (ssize_t k = 0; k < got / (ssize_t)sizeof(ev[0]) && want[i] > 0; k++) {
                printf("%d %u %u %d\n", i, ev[k].type, ev[k].code, ev[k].value);
                want[i]--;
            }
            fflush(stdout);
        }
    }
}

static int set_led(const char *dev, int code, int value)
{
    int fd = open(dev, O_WRONLY);
    if (fd < 0) {
        fprintf(stderr, "evread: %s: %s\n", dev, strerror(errno));
        return 1;
    }
    struct input_event ev[2];
    memset(ev, 0, sizeof(ev));
    ev[0].type = EV_LED;
    ev[0].code = (unsigned short)code;
    ev[0].value = value;
    ev[1].type = EV_SYN;
    ev[1].code = SYN_REPORT;
    int ok = write(fd, ev, sizeof(ev)) == (ssize_t)sizeof(ev);
    close(fd);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "find"))
        return find(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "read"))
        return read_events(atof(argv[2]), argc - 3, argv + 3);
    if (argc == 5 && !strcmp(argv[1], "led"))
        return set_led(argv[2], atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: evread find NAME | read SECONDS DEV:COUNT... | led DEV CODE VALUE\n");
    return 2;
}
