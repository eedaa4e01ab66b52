/*
 * virtio-net (VirtIO 1.2, 5.1): one receive and one transmit queue, and a control queue,
 * on a network backend (src/backend/net.h).
 *
 * Receive: frames go only into buffers the guest posted. While it posts none they wait in a
 * bounded backlog; the excess is dropped and counted, so a guest that stops reading costs
 * bounded memory and never stalls the host loop. Transmit: frames go to the backend straight
 * from guest RAM as iovecs, after the vnet header was copied out and checked.
 */
#ifndef KITE_VIRTIO_NET_H
#define KITE_VIRTIO_NET_H

#include <stdint.h>

#include "backend/net.h"
#include "virtio/device.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

#define VIRTIO_NET_S_LINK_UP 1

/* Header flags and GSO types (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* Control queue (5.1.6.5). */
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_RX_PROMISC 0
#define VIRTIO_NET_CTRL_RX_ALLMULTI 1
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1

#define VIRTIO_NET_Q_RX 0
#define VIRTIO_NET_Q_TX 1
#define VIRTIO_NET_Q_CTRL 2

/* Frames held while the guest posts no receive buffers, and their bytes at most. */
#define VIRTIO_NET_BACKLOG_FRAMES 1024
#define VIRTIO_NET_BACKLOG_BYTES (8u << 20)
/* MAC filter entries per table; a longer table means "accept that class of address". */
#define VIRTIO_NET_MAC_TABLE 64

struct virtio_net;

struct virtio_net_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
    uint64_t rx_dropped_backlog;    /* backlog full */
    uint64_t rx_dropped_filter;     /* not for us (MAC filter) */
    uint64_t rx_dropped_bad;        /* runt, oversized, or no buffer could hold it */
    uint64_t rx_dropped_down;       /* device not running */
    uint64_t tx_dropped_bad;        /* malformed chain or header */
    uint64_t tx_dropped_down;       /* sent while the host held the link down */
    uint64_t tx_max_frame;          /* largest frame sent (segments above the MTU = TSO) */
};

/* Creates the device on `be` (not owned: backends outlive reboots) with address mac. */
struct virtio_net *virtio_net_new(const struct guest_mem *mem, struct net_backend *be,
                                  const uint8_t mac[6]);
void virtio_net_free(struct virtio_net *n);
/* The host's side of the link (QMP set_link): down, the guest sees no carrier and every
 * frame either way is dropped; up, the backend's carrier shows again. */
void virtio_net_set_link(struct virtio_net *n, bool up);
struct virtio_device *virtio_net_device(struct virtio_net *n);
const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n);
/* Frames waiting in the backlog. */
unsigned virtio_net_backlog(const struct virtio_net *n);

#endif
