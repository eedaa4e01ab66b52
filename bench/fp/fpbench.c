/*
 * In-guest floating-point benchmark (static riscv64 binary, run by bench/guest/fp.sh):
 * double-precision work of the kind numeric code does. Each round multiplies two N x N
 * matrices in cache-sized tiles (loads, fused multiply-adds, stores), then scales every
 * row of the product to unit length (square roots and divisions) and feeds it back as the
 * next round's left operand. Prints "BENCH fp_s <seconds>" and "BENCH fp_sum <hex>", the
 * bit pattern of a checksum over the last product, so bench/run.py can check that every
 * emulator computed the same bits.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 192
#define TILE 32
#define ROUNDS 6

static double a[N][N], b[N][N], c[N][N];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* c = a * b, tile by tile so each tile of b stays in the data cache. */
static void matmul(void)
{
    memset(c, 0, sizeof(c));
    for (int ii = 0; ii < N; ii += TILE)
        for (int kk = 0; kk < N; kk += TILE)
            for (int jj = 0; jj < N; jj += TILE)
                for (int i = ii; i < ii + TILE; i++)
                    for (int k = kk; k < kk + TILE; k++) {
                        double aik = a[i][k];
                        for (int j = jj; j < jj + TILE; j++)
                            c[i][j] += aik * b[k][j];
                    }
}

/* a = c with every row scaled to unit length. */
static void normalize(void)
{
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < N; j++)
            s += c[i][j] * c[i][j];
        double len = sqrt(s);
        for (int j = 0; j < N; j++)
            a[i][j] = c[i][j] / len;
    }
}

int main(void)
{
    /* Fixed, irregular inputs of mixed signs and magnitudes. */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)((i * 37 + j * 11) % 101 - 50) / 7.0;
            b[i][j] = 1.0 / (double)(1 + (i * 13 + j * 29) % 97) - 0.01 * (double)(j % 5);
        }
    double t0 = now();
    for (int r = 0; r < ROUNDS; r++) {
        matmul();
        normalize();
    }
    double t1 = now();
    double sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += c[i][j] * (double)(1 + (i + j) % 3);
    uint64_t bits;
    memcpy(&bits, &sum, sizeof(bits));
    printf("BENCH fp_s %.3f\n", t1 - t0);
    printf("BENCH fp_sum %016llx\n", (unsigned long long)bits);
    return 0;
}
