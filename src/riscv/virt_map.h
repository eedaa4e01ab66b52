/*
 * The physical memory map of kite's RISC-V machine. It follows QEMU's `virt` board so that
 * stock OpenSBI and Debian's kernel find everything through the generated device tree.
 */
#ifndef KITE_RISCV_VIRT_MAP_H
#define KITE_RISCV_VIRT_MAP_H

#define VIRT_TEST_BASE      0x00100000ULL   /* sifive,test: poweroff / reboot */
#define VIRT_TEST_SIZE      0x1000ULL
#define VIRT_RTC_BASE       0x00101000ULL   /* google,goldfish-rtc */
#define VIRT_RTC_SIZE       0x1000ULL
#define VIRT_CLINT_BASE     0x02000000ULL
#define VIRT_CLINT_SIZE     0x10000ULL
#define VIRT_PLIC_BASE      0x0c000000ULL
#define VIRT_PLIC_SIZE      0x600000ULL
#define VIRT_APLIC_M_BASE   0x0c000000ULL   /* --irqchip aia: in place of the PLIC */
#define VIRT_APLIC_S_BASE   0x0d000000ULL
#define VIRT_APLIC_SIZE     0x8000ULL
#define VIRT_IMSIC_M_BASE   0x24000000ULL   /* hart h's M file at BASE + h * 4 KiB */
#define VIRT_IMSIC_S_BASE   0x28000000ULL   /* hart h's S file at BASE + h * 4 KiB */
#define VIRT_IMSIC_FILE_SIZE 0x1000ULL
#define VIRT_UART0_BASE     0x10000000ULL   /* ns16550a */
#define VIRT_UART0_SIZE     0x100ULL
#define VIRT_VIRTIO_BASE    0x10001000ULL   /* virtio-mmio slot i at BASE + i * SIZE */
#define VIRT_VIRTIO_SIZE    0x1000ULL
#define VIRT_VIRTIO_SLOTS   8               /* sources 1..8; 10 is the UART */
/* --uart sifive|both: a sifive,uart0 past the virtio-mmio slots (QEMU's virt has nothing
 * here; the FU540 places its first UART at this address too). */
#define VIRT_SIFIVE_UART_BASE 0x10010000ULL
#define VIRT_SIFIVE_UART_SIZE 0x1000ULL
#define VIRT_PCIE_PIO_BASE  0x03000000ULL   /* PCI I/O ports 0..0xffff */
#define VIRT_PCIE_PIO_SIZE  0x10000ULL
#define VIRT_PCIE_ECAM_BASE 0x30000000ULL   /* 256 buses x 1 MiB */
#define VIRT_PCIE_MMIO_BASE 0x40000000ULL   /* 32-bit PCI memory window, up to RAM */
#define VIRT_PCIE_MMIO_SIZE 0x40000000ULL
/* The 64-bit window sits above RAM, aligned to its size (as QEMU places it): at
 * 0x400000000 unless RAM reaches past it. */
#define VIRT_PCIE_MMIO64_SIZE 0x400000000ULL
#define VIRT_DRAM_BASE      0x80000000ULL

/* PLIC sources */
#define VIRT_IRQ_VIRTIO_FIRST 1             /* slot i uses source 1 + i */
#define VIRT_IRQ_UART0      10
#define VIRT_IRQ_RTC        11
#define VIRT_IRQ_SIFIVE_UART 12             /* --uart sifive|both; unused on QEMU's virt */
#define VIRT_IRQ_PCIE_FIRST 32              /* INTA..INTD at slot 0: sources 32..35 */
#define VIRT_PLIC_SOURCES   95              /* sources 1..95 */
#define VIRT_APLIC_SOURCES  96              /* sources 1..96, the same numbers as the PLIC */
#define VIRT_IMSIC_IDS      255             /* identities 1..255 in each interrupt file */

/* Where the boot images go */
#define VIRT_KERNEL_OFFSET  0x200000ULL     /* kernel Image at DRAM + 2 MiB */

#endif
