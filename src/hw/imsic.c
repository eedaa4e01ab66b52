/*
 * RISC-V IMSIC (AIA 1.0, chapter 3). No guest interrupt files (kite has no H extension),
 * so each hart has exactly one M and one S file and every MSI lands in one of them.
 *
 * Priorities are the identities themselves (lower is more urgent), as the spec fixes for
 * an IMSIC; a file signals its hart while delivery is on and a pending-and-enabled
 * identity lies below the threshold.
 */
#include "hw/imsic.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

#define WORDS          ((IMSIC_NUM_IDS + 64) / 64)     /* 64-bit words of eip/eie: 4 */
#define THRESHOLD_MASK 0xffu                           /* holds 0..IMSIC_NUM_IDS */
#define ISEL_EIX_LAST  0x3f                            /* eip63 / eie63 */

/* What a guest (or device) did wrong, logged once per IMSIC and kind. */
enum { BAD_ACCESS = 1u << 0, BAD_ID = 1u << 1, BAD_ADDR = 1u << 2 };

struct imsic_file {
    uint32_t eidelivery;
    uint32_t eithreshold;
    uint64_t eip[WORDS];
    uint64_t eie[WORDS];
};

struct imsic_hart {
    struct hart_if hart;
    struct imsic_file file[2];   /* HART_FILE_M, HART_FILE_S */
};

struct imsic {
    int nharts;
    uint64_t base[2];
    struct imsic_hart *harts;
    unsigned complained;
};

static void complain(struct imsic *s, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void complain(struct imsic *s, unsigned kind, const char *fmt, ...)
{
    if (s->complained & kind)
        return;
    s->complained |= kind;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("imsic", "%s (logged once)", msg);
}

/* Identities 1..IMSIC_NUM_IDS exist; bit 0 of eip0/eie0 and everything above are zero. */
static uint64_t valid_bits(unsigned word)
{
    uint64_t m = ~0ULL;
    if (word == 0)
        m &= ~1ULL;
    unsigned last = IMSIC_NUM_IDS;            /* highest identity */
    if (word == last / 64 && last % 64 != 63)
        m &= (2ULL << (last % 64)) - 1;
    if (word > last / 64)
        m = 0;
    return m;
}

static uint32_t file_top(const struct imsic_file *f)
{
    for (unsigned w = 0; w < WORDS; w++) {
        uint64_t ready = f->eip[w] & f->eie[w] & valid_bits(w);
        if (!ready)
            continue;
        uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(ready);
        if (f->eithreshold != 0 && id >= f->eithreshold)
            return 0;
        return id;
    }
    return 0;
}

/* Always drives the line rather than only on change: a hart reset may clear mip. */
static void update(struct imsic_hart *h, int file)
{
    const struct imsic_file *f = &h->file[file];
    bool level = f->eidelivery == 1 && file_top(f) != 0;
    hart_set_pending(&h->hart, file == HART_FILE_M ? MIP_MEIP : MIP_SEIP, level);
}

static void set_pending_id(struct imsic *s, struct imsic_hart *h, int file, uint32_t id)
{
    if (id == 0 || id > IMSIC_NUM_IDS) {
        complain(s, BAD_ID, "MSI with identity %u ignored (valid: 1..%u)", id, IMSIC_NUM_IDS);
        return;
    }
    h->file[file].eip[id / 64] |= 1ULL << (id % 64);
    update(h, file);
}

static int ireg_read(void *opaque, int file, unsigned isel, uint64_t *val)
{
    struct imsic_hart *h = opaque;
    if (file != HART_FILE_M && file != HART_FILE_S)
        return -1;
    const struct imsic_file *f = &h->file[file];
    if (isel == IMSIC_ISEL_EIDELIVERY) {
        *val = f->eidelivery;
        return 0;
    }
    if (isel == IMSIC_ISEL_EITHRESHOLD) {
        *val = f->eithreshold;
        return 0;
    }
    bool eip = isel >= IMSIC_ISEL_EIP0 && isel <= IMSIC_ISEL_EIP0 + ISEL_EIX_LAST;
    bool eie = isel >= IMSIC_ISEL_EIE0 && isel <= IMSIC_ISEL_EIE0 + ISEL_EIX_LAST;
    if (!eip && !eie)
        return -1;
    unsigned k = isel & ISEL_EIX_LAST;
    if (k & 1)
        return -1;   /* RV64: only the even-numbered registers exist, each 64 bits */
    unsigned word = k / 2;
    *val = word < WORDS ? (eip ? f->eip[word] : f->eie[word]) & valid_bits(word) : 0;
    return 0;
}

static int ireg_write(void *opaque, int file, unsigned isel, uint64_t val)
{
    struct imsic_hart *h = opaque;
    if (file != HART_FILE_M && file != HART_FILE_S)
        return -1;
    struct imsic_file *f = &h->file[file];
    if (isel == IMSIC_ISEL_EIDELIVERY) {
        f->eidelivery = (uint32_t)(val & 1);   /* no APLIC direct mode (0x40000000) */
    } else if (isel == IMSIC_ISEL_EITHRESHOLD) {
        f->eithreshold = (uint32_t)(val & THRESHOLD_MASK);
    } else {
        bool eip = isel >= IMSIC_ISEL_EIP0 && isel <= IMSIC_ISEL_EIP0 + ISEL_EIX_LAST;
        bool eie = isel >= IMSIC_ISEL_EIE0 && isel <= IMSIC_ISEL_EIE0 + ISEL_EIX_LAST;
        if (!eip && !eie)
            return -1;
        unsigned k = isel & ISEL_EIX_LAST;
        if (k & 1)
            return -1;
        unsigned word = k / 2;
        if (word >= WORDS)
            return 0;   /* identities that do not exist: read-only zero */
        uint64_t *reg = eip ? &f->eip[word] : &f->eie[word];
        *reg = val & valid_bits(word);
    }
    update(h, file);
    return 0;
}

static uint32_t topei(void *opaque, int file)
{
    struct imsic_hart *h = opaque;
    if (file != HART_FILE_M && file != HART_FILE_S)
        return 0;
    uint32_t id = file_top(&h->file[file]);
    return id << 16 | id;
}

static void claim(void *opaque, int file)
{
    struct imsic_hart *h = opaque;
    if (file != HART_FILE_M && file != HART_FILE_S)
        return;
    uint32_t id = file_top(&h->file[file]);
    if (id) {
        h->file[file].eip[id / 64] &= ~(1ULL << (id % 64));
        update(h, file);
    }
}

struct hart_irq_files imsic_hart_files(struct imsic *s, int hart)
{
    if (hart < 0 || hart >= s->nharts)
        return (struct hart_irq_files){0};
    return (struct hart_irq_files){.opaque = &s->harts[hart], .ireg_read = ireg_read,
                                   .ireg_write = ireg_write, .topei = topei, .claim = claim};
}

/* A 32-bit write at `off` into the files of level `file`: seteipnum_le or seteipnum_be. */
static void file_page_write(struct imsic *s, int file, uint64_t off, uint32_t v)
{
    uint64_t hart = off / IMSIC_FILE_SIZE;
    uint64_t reg = off % IMSIC_FILE_SIZE;
    if (hart >= (uint64_t)s->nharts)
        return;
    if (reg == 0)
        set_pending_id(s, &s->harts[hart], file, v);
    else if (reg == 4)
        set_pending_id(s, &s->harts[hart], file, __builtin_bswap32(v));
    else
        complain(s, BAD_ACCESS, "write to reserved offset 0x%llx of an interrupt file",
                 (unsigned long long)reg);
}

static uint64_t region_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;   /* seteipnum reads as zero; the rest of the page is reserved */
}

static void region_write(struct imsic *s, int file, uint64_t offset, uint64_t value,
                         unsigned size)
{
    if (size != 4) {
        complain(s, BAD_ACCESS, "%u-byte write to an interrupt file ignored (32-bit only)",
                 size);
        return;
    }
    file_page_write(s, file, offset, (uint32_t)value);
}

static void region_write_m(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    region_write(opaque, HART_FILE_M, offset, value, size);
}

static void region_write_s(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    region_write(opaque, HART_FILE_S, offset, value, size);
}

struct mmio_region imsic_region(struct imsic *s, int file)
{
    bool m = file == HART_FILE_M;
    return (struct mmio_region){.name = m ? "imsic-m" : "imsic-s", .base = s->base[m ? 0 : 1],
                                .size = (uint64_t)s->nharts * IMSIC_FILE_SIZE, .opaque = s,
                                .read = region_read,
                                .write = m ? region_write_m : region_write_s};
}

void imsic_send_msi(struct imsic *s, uint64_t addr, uint32_t data)
{
    uint64_t span = (uint64_t)s->nharts * IMSIC_FILE_SIZE;
    for (int file = HART_FILE_M; file <= HART_FILE_S; file++) {
        uint64_t off = addr - s->base[file];
        if (addr >= s->base[file] && off < span && off % IMSIC_FILE_SIZE == 0) {
            set_pending_id(s, &s->harts[off / IMSIC_FILE_SIZE], file, data);
            return;
        }
    }
    complain(s, BAD_ADDR, "MSI to 0x%llx dropped: no interrupt file there",
             (unsigned long long)addr);
}

static void sink_send(void *opaque, uint64_t addr, uint32_t data)
{
    imsic_send_msi(opaque, addr, data);
}

struct msi_sink imsic_msi_sink(struct imsic *s)
{
    return (struct msi_sink){.opaque = s, .send = sink_send};
}

struct imsic *imsic_new(const struct hart_if *harts, int nharts, uint64_t m_base,
                        uint64_t s_base)
{
    if (!harts || nharts < 1 || nharts > IMSIC_MAX_HARTS)
        return NULL;
    struct imsic *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->harts = calloc((size_t)nharts, sizeof(*s->harts));
    if (!s->harts) {
        free(s);
        return NULL;
    }
    s->nharts = nharts;
    s->base[HART_FILE_M] = m_base;
    s->base[HART_FILE_S] = s_base;
    for (int i = 0; i < nharts; i++) {
        if (!harts[i].set_pending) {
            imsic_free(s);
            return NULL;
        }
        s->harts[i] = (struct imsic_hart){.hart = harts[i]};
    }
    return s;
}

void imsic_free(struct imsic *s)
{
    if (!s)
        return;
    free(s->harts);
    free(s);
}
