/*
 * Copy-on-write overlay for snapshot disks (block_overlay.c): the image is only read; the
 * guest's writes land in a temporary file, cluster by cluster. Not thread-safe: one
 * worker thread runs every io of a snapshot disk.
 */
#ifndef KITE_BACKEND_BLOCK_OVERLAY_H
#define KITE_BACKEND_BLOCK_OVERLAY_H

#include <stdint.h>

#include "backend/block.h"

struct block_overlay;

/* over_fd: an empty temporary file, sized here to `size`. Returns 0 or -errno. */
int block_overlay_new(int base_fd, int over_fd, uint64_t size, struct block_overlay **out);
void block_overlay_free(struct block_overlay *o);
/* Runs io synchronously (read, write, discard, write-zeroes): 0 or -errno. */
int block_overlay_run(struct block_overlay *o, const struct block_io *io);

#endif
