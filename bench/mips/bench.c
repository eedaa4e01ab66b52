/*
 * A fixed integer workload for comparing interpreters: CRC-32 (table driven: loads, shifts,
 * xors), an insertion sort and a quicksort (branches, loads/stores, calls, recursion), an
 * integer matrix multiply (mul) and a hash mix with div/rem. Deterministic: the same
 * instructions run on every emulator. At the end it prints a checksum (so runs can be
 * compared) and, from minstret, the instruction count (exact on kite).
 */
#include <stdint.h>

#ifndef ROUNDS
#define ROUNDS 3000
#endif

extern volatile uint64_t tohost, fromhost;

static void putc_htif(char c)
{
    /* device 1 (console), command 1 (write); the host clears tohost once it has the byte */
    tohost = (1ULL << 56) | (1ULL << 48) | (uint8_t)c;
    while (tohost)
        ;
    fromhost = 0;
}

static void put_hex(const char *label, uint64_t v)
{
    while (*label)
        putc_htif(*label++);
    for (int i = 60; i >= 0; i -= 4)
        putc_htif("0123456789abcdef"[(v >> i) & 15]);
    putc_htif('\n');
}

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, unsigned n)
{
    uint32_t c = 0xffffffffu;
    for (unsigned i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 17;
}

#define NSORT 512
static int32_t arr[NSORT];

static void insertion_sort(int32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        int32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quicksort(int32_t *a, int lo, int hi)
{
    while (lo < hi) {
        if (hi - lo < 12) {
            insertion_sort(a + lo, hi - lo + 1);
            return;
        }
        int32_t p = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                int32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse on the smaller half, loop on the larger */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

#define MN 24
static int64_t ma[MN][MN], mb[MN][MN], mc[MN][MN];

static uint64_t matmul(void)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int64_t s = 0;
            for (int k = 0; k < MN; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    uint64_t h = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            h = h * 31 + (uint64_t)mc[i][j];
    return h;
}

static uint64_t divmix(uint64_t seed)
{
    uint64_t h = seed | 1;
    for (int i = 1; i < 2000; i++) {
        uint64_t d = (uint64_t)i * 2654435761u + 7;
        h = h / (d | 1) + h % (d + 3) + (h << 7) + (uint32_t)((int32_t)h / (int32_t)(i | 1));
    }
    return h;
}

static uint8_t buf[8192];

int main(void)
{
    uint64_t sum = 0;
    crc_init();
    for (int r = 0; r < ROUNDS; r++) {
        for (unsigned i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rng();
        sum = sum * 3 + crc32(buf, sizeof(buf));

        for (int i = 0; i < NSORT; i++)
            arr[i] = (int32_t)rng();
        quicksort(arr, 0, NSORT - 1);
        for (int i = 1; i < NSORT; i++)
            if (arr[i - 1] > arr[i])
                return 2; /* the sort is broken: the emulator is wrong */
        sum += (uint64_t)arr[NSORT / 3];
        for (int i = 0; i < NSORT / 4; i++)
            arr[i] = (int32_t)rng();
        insertion_sort(arr, NSORT / 4);
        sum ^= (uint64_t)arr[7];

        for (int i = 0; i < MN; i++)
            for (int j = 0; j < MN; j++) {
                ma[i][j] = (int64_t)(rng() & 0xffff) - 0x8000;
                mb[i][j] = (int64_t)(rng() & 0xffff) - 0x8000;
            }
        sum += matmul();
        sum ^= divmix(sum);
    }
    uint64_t n;
    __asm__ volatile("csrr %0, minstret" : "=r"(n));
    put_hex("checksum ", sum);
    put_hex("minstret ", n);
    return 0;
}
