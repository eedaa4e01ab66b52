/*
 * virtio-blk (device ID 2, VirtIO 1.2 5.2): request queues (one, or several with
 * VIRTIO_BLK_F_MQ, e.g. one per hart) in front of a block backend.
 * Requests IN, OUT, FLUSH, GET_ID, DISCARD and WRITE_ZEROES; everything else is UNSUPP.
 *
 * Nothing in a request is trusted: the 16-byte header is gathered from however many
 * readable buffers it spans and read once; the status byte is the last writable byte;
 * each type has an exact layout and sector + length is checked against the capacity
 * without overflow. A bad request gets IOERR or UNSUPP and is always completed. The data
 * buffers go to the backend as iovecs into guest RAM (no copy), at most one request per
 * queue entry in flight.
 */
#ifndef KITE_VIRTIO_BLK_H
#define KITE_VIRTIO_BLK_H

#include <stdint.h>

#include "backend/block.h"
#include "core/guest_mem.h"
#include "virtio/device.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20

/* Config space offsets (struct virtio_blk_config). */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SIZE_MAX 8
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_BLK_SIZE 20
#define VIRTIO_BLK_CFG_PHYS_EXP 24
#define VIRTIO_BLK_CFG_MIN_IO 26
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN 44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG 52
#define VIRTIO_BLK_CFG_NUM_QUEUES 34
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP 56
#define VIRTIO_BLK_CFG_LEN 60

/* The device's limits, advertised in its config space and enforced on every request. */
#define VIRTIO_BLK_QUEUE_SIZE 512
#define VIRTIO_BLK_SEG_MAX 508              /* data buffers; + header, status, indirect <= queue size */
#define VIRTIO_BLK_SIZE_MAX (128u * 1024)   /* bytes per buffer */
#define VIRTIO_BLK_MAX_REQUEST (64ULL << 20) /* bytes per chain (> SEG_MAX * SIZE_MAX) */
#define VIRTIO_BLK_MAX_SEGMENTS 16          /* discard / write-zeroes ranges per request */
#define VIRTIO_BLK_MAX_RANGE_SECTORS (1u << 22)

#define VIRTIO_BLK_MAX_QUEUES 8

struct virtio_blk_config {
    const char *serial;         /* up to 20 bytes, NULL = none */
    unsigned num_queues;        /* request queues (0 = 1); more than 1 offers VIRTIO_BLK_F_MQ */
};

struct virtio_blk;

/* The block device stays the caller's; virtio_blk_free() waits for its requests. */
struct virtio_blk *virtio_blk_new(const struct guest_mem *mem, struct block_device *bd,
                                  const struct virtio_blk_config *cfg);
void virtio_blk_free(struct virtio_blk *blk);
struct virtio_device *virtio_blk_device(struct virtio_blk *blk);

/* Counters for tests and statistics. */
struct virtio_blk_stats {
    uint64_t requests, ok, ioerr, unsupp, no_status;
    uint64_t bytes_read, bytes_written;
};
const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *blk);

#endif
