/*
 * virtio-9p (device ID 9, VirtIO 1.2 5.x "9P transport"): a 9P2000.L server on one queue,
 * serving an FSDevice (backend/fs.h). The config space holds the mount tag.
 *
 * A request chain is one byte stream: the readable part holds the T-message (Linux splits
 * it at page boundaries), the writable part takes the R-message, and the used length is
 * the reply's size field. Every size field is checked against the descriptor lengths and
 * the negotiated msize; a bad message gets an Rlerror, never a read past its buffer.
 *
 * Host work runs on a small pool of worker threads (P9_WORKERS by default; --share's
 * workers=0 runs it on the notifying thread instead): requests run concurrently
 * and their replies go back in the order they finish. The event-loop thread pops chains,
 * hands them to the pool and returns finished ones to the used ring (woken by an eventfd).
 * Tflush is answered there: a request no worker took yet is cancelled (Rlerror EINTR, then
 * Rflush); one running is waited for (its reply, then Rflush), as 9P asks.
 */
#ifndef KITE_VIRTIO_9P_H
#define KITE_VIRTIO_9P_H

#include <stdint.h>

#include "backend/fs.h"
#include "core/guest_mem.h"
#include "virtio/device.h"

#define VIRTIO_ID_9P 9
#define VIRTIO_9P_F_MOUNT_TAG 0

#define P9_TAG_MAX 64           /* bytes of a mount tag (kite's limit: it names /mnt/TAG) */
#define P9_MSIZE_MIN 4096u
#define P9_MSIZE_MAX (1024u * 1024)
#define P9_MAX_FIDS 16384u      /* per share: each fid may hold a host descriptor */
#define P9_MAX_WALK 16u
#define P9_XATTR_MAX (64u * 1024)
#define P9_QUEUE_SIZE 1024
#define P9_WORKERS 4            /* host threads per share, by default */
#define P9_WORKERS_MAX 16

struct virtio_9p;

struct virtio_9p_stats {
    uint64_t requests, errors, bad_messages;
    unsigned fids;
};

struct event_loop;

/* `fs` stays the caller's (a host end: it outlives the device). `workers` host threads do
 * the host work (0: every request is answered on the thread that notifies, e.g. for
 * fuzzing); finished requests reach the guest from `loop` (NULL: only through
 * virtio_9p_poll/_wait). */
struct virtio_9p *virtio_9p_new(const struct guest_mem *mem, struct fs_device *fs,
                                const char *tag, unsigned workers, struct event_loop *loop);
/* Returns finished requests to the guest now; how many. */
unsigned virtio_9p_poll(struct virtio_9p *p);
/* Waits until the workers have nothing queued or running, then polls. */
void virtio_9p_wait(struct virtio_9p *p);
void virtio_9p_free(struct virtio_9p *p);
struct virtio_device *virtio_9p_device(struct virtio_9p *p);
const struct virtio_9p_stats *virtio_9p_stats(const struct virtio_9p *p);

#endif
