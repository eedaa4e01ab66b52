/*
 * Loading boot images into guest RAM: raw binaries and ELF executables.
 * Every image is checked to lie wholly inside RAM; errors come back as one clear log line
 * and a negative errno, never a crash.
 */
#ifndef KITE_CORE_IMAGE_LOADER_H
#define KITE_CORE_IMAGE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

struct guest_ram_view {
    uint64_t base;
    uint64_t size;
    uint8_t *host;
};

/*
 * Reads a whole file (at most max_size bytes) into a buffer of its own mapping, which the
 * caller gives back with image_free_file(): a large image read through malloc would raise
 * glibc's mmap threshold to its size, and every later allocation below that would stay on
 * the heap, resident after it is freed. Images bound for RAM are better read straight
 * there (image_load_raw*).
 */
int image_read_file(const char *path, uint64_t max_size, uint8_t **data, uint64_t *size);
void image_free_file(uint8_t *data, uint64_t size);

/* Copies `path` to guest-physical `addr`; *size_out gets the file size. */
int image_load_raw(const struct guest_ram_view *ram, const char *path, uint64_t addr,
                   uint64_t *size_out);
/* The same, refusing a file larger than max_len (or than the RAM above addr). */
int image_load_raw_at_most(const struct guest_ram_view *ram, const char *path, uint64_t addr,
                           uint64_t max_len, uint64_t *size_out);
/* The size of a regular file of at most max_size bytes (else a logged error). */
int image_file_size(const char *path, uint64_t max_size, uint64_t *size);

bool image_is_elf(const char *path);

struct elf_info {
    uint64_t entry;
    uint64_t lowest, highest;   /* physical span of the loaded segments */
    uint64_t tohost;            /* address of the `tohost` symbol, 0 if absent */
    uint64_t fromhost;          /* address of the `fromhost` symbol, 0 if absent */
};

/* Loads the PT_LOAD segments of a 64-bit little-endian ELF for `machine` (EM_*). */
int image_load_elf(const struct guest_ram_view *ram, const char *path, unsigned machine,
                   struct elf_info *info);

#endif
