/*
 * tcpsend IPV4 PORT < FILE: sends stdin over TCP in 64 KiB writes (busybox nc writes 1 KiB
 * at a time, too little for TCP to build segments above the MTU), closes its sending half,
 * then copies the reply to stdout. For the virtio-net offload tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tcpsend IPV4 PORT < FILE\n");
        return 2;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
        fprintf(stderr, "tcpsend: bad address %s\n", argv[1]);
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("tcpsend: connect");
        return 1;
    }
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n < 0) {
            perror("tcpsend: read");
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(s, buf + off, (size_t)(n - off));
            if (w <= 0) {
                perror("tcpsend: write");
                return 1;
            }
            off += w;
        }
    }
    shutdown(s, SHUT_WR);
    for (;;) {
        ssize_t n = read(s, buf, sizeof(buf));
        if (n <= 0)
            break;
        if (write(1, buf, (size_t)n) != n)
            return 1;
    }
    close(s);
    return 0;
}
