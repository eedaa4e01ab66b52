/*
 * RISC-V IMSIC (AIA 1.0, chapter 3): per hart, an M-level and an S-level interrupt file of
 * IMSIC_NUM_IDS identities. Each file is one 4 KiB page whose offset 0 is seteipnum_le
 * (offset 4 seteipnum_be); the rest of a file (eidelivery, eithreshold, eip*, eie*) is
 * reached only through the hart's indirect CSRs (struct hart_irq_files). A file drives its
 * hart's MEIP or SEIP through struct hart_if.
 */
#ifndef KITE_HW_IMSIC_H
#define KITE_HW_IMSIC_H

#include <stdint.h>

#include "core/mmio.h"
#include "core/msi.h"
#include "hw/hart_if.h"

#define IMSIC_NUM_IDS     255   /* identities 1..255, as QEMU virt; the device tree says so */
#define IMSIC_MAX_HARTS   64
#define IMSIC_FILE_SIZE   0x1000ULL

/* The iselect values of an interrupt file. */
#define IMSIC_ISEL_EIDELIVERY  0x70
#define IMSIC_ISEL_EITHRESHOLD 0x72
#define IMSIC_ISEL_EIP0        0x80
#define IMSIC_ISEL_EIE0        0xc0

struct imsic;

/*
 * `harts` is copied. Hart h's M file is at m_base + h * 4 KiB and its S file at
 * s_base + h * 4 KiB. NULL if nharts is out of 1..IMSIC_MAX_HARTS or allocation fails.
 */
struct imsic *imsic_new(const struct hart_if *harts, int nharts, uint64_t m_base,
                        uint64_t s_base);
void imsic_free(struct imsic *s);
/* The MMIO pages of every hart's file of one level (HART_FILE_M or HART_FILE_S). */
struct mmio_region imsic_region(struct imsic *s, int file);
/* What hart `hart` plugs into its indirect CSRs. */
struct hart_irq_files imsic_hart_files(struct imsic *s, int hart);
/*
 * Where devices send MSIs: an address that is the seteipnum_le of a file sets `data`'s
 * identity pending there; anything else is dropped (logged once).
 */
struct msi_sink imsic_msi_sink(struct imsic *s);
/* Same as an MSI, for tests and callers that already hold the imsic. */
void imsic_send_msi(struct imsic *s, uint64_t addr, uint32_t data);

#endif
