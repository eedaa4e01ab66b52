/*
 * The RV64GC hart: the interface the machine sees.
 *
 * A hart runs guest code in slices (rv_cpu_run) on the machine's single thread. Devices
 * change its pending interrupts through rv_cpu_set_mip(); the machine advances timers with
 * rv_cpu_update_timers() between slices. Nothing here knows about particular devices.
 */
#ifndef KITE_RISCV_CPU_H
#define KITE_RISCV_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mmio.h"
#include "hw/hart_if.h"     /* the mip bits, and how board devices reach a hart */

#define RV_PRIV_U 0
#define RV_PRIV_S 1
#define RV_PRIV_M 3

/*
 * Physical memory as the hart sees it: one RAM range plus the MMIO bus.
 * ram_direct_ok() lets the machine keep individual RAM pages (e.g. the HTIF tohost page)
 * off the fast path: such pages are reached through the MMIO bus instead.
 */
struct rv_phys {
    uint64_t ram_base;
    uint64_t ram_size;
    uint8_t *ram;           /* host mapping of [ram_base, ram_base + ram_size) */
    struct mmio_bus *mmio;
    uint64_t slow_page;     /* a RAM page (4 KiB aligned) routed to the MMIO bus; 0 = none */
};

enum rv_run_exit {
    RV_RUN_BUDGET,     /* ran the requested number of instructions */
    RV_RUN_WFI,        /* executed wfi with no interrupt pending: the machine may sleep */
    RV_RUN_STOP,       /* rv_cpu_request_stop() was called (device asked to end the slice) */
};

struct rv_cpu;

struct rv_cpu *rv_cpu_new(const struct rv_phys *phys, uint64_t hartid);
void rv_cpu_free(struct rv_cpu *cpu);
/* Full reset to M-mode at `pc`, with a0 = hartid and a1 = `a1` (the device tree address). */
void rv_cpu_reset(struct rv_cpu *cpu, uint64_t pc, uint64_t a1);
/* Execution engines. RV_ENGINE_DEFAULT is the JIT where this host has one. */
enum rv_engine { RV_ENGINE_DEFAULT, RV_ENGINE_INTERP, RV_ENGINE_JIT };
/* Picks the engine (new harts interpret); 0, or -ENOTSUP/-ENOMEM for the JIT. */
int rv_cpu_set_engine(struct rv_cpu *cpu, enum rv_engine engine);
/* Whether this build can run the JIT on this host. */
bool rv_cpu_jit_available(void);

/* Runs up to `budget` instructions; returns early on wfi or a stop request. */
enum rv_run_exit rv_cpu_run(struct rv_cpu *cpu, uint64_t budget);
/* Makes the current rv_cpu_run() return at the next instruction boundary (e.g. poweroff). */
void rv_cpu_request_stop(struct rv_cpu *cpu);

/* Level-triggered: set or clear bits of mip driven by hardware (MEIP, SEIP, MSIP, MTIP). */
void rv_cpu_set_mip(struct rv_cpu *cpu, uint64_t mask, bool level);
/* mtimecmp lives in the CLINT but the hart compares it against mtime. */
void rv_cpu_set_mtimecmp(struct rv_cpu *cpu, uint64_t value);
uint64_t rv_cpu_get_mtimecmp(const struct rv_cpu *cpu);
/* The hart as board devices see it (set_timecmp also re-evaluates MTIP against mtime). */
struct hart_if rv_cpu_hart_if(struct rv_cpu *cpu);
/*
 * Gives the hart an IMSIC: from now on it has the AIA CSRs (miselect/mireg, siselect/sireg,
 * mtopei/stopei, mtopi/stopi, mvien/mvip), which reach the interrupt files through `files`
 * (copied; its opaque must outlive the hart). Without one those CSRs do not exist.
 */
void rv_cpu_attach_irq_files(struct rv_cpu *cpu, const struct hart_irq_files *files);
/* Recomputes MTIP (mtimecmp) and STIP (Sstc stimecmp) from mtime. */
void rv_cpu_update_timers(struct rv_cpu *cpu, uint64_t mtime);
/* Earliest mtime at which a timer interrupt the hart could take fires (UINT64_MAX if none). */
uint64_t rv_cpu_next_timer(const struct rv_cpu *cpu);
/* True if an enabled interrupt is pending, so wfi must not sleep. */
bool rv_cpu_interrupt_pending(const struct rv_cpu *cpu);

/*
 * Anything other than the hart that writes guest RAM (device DMA, a debugger, a loader
 * after start-up) must call this for the range it wrote, so the hart does not keep running
 * instructions it decoded from the old bytes. Cheap when the range holds no decoded code.
 */
void rv_cpu_invalidate_code(struct rv_cpu *cpu, uint64_t paddr, uint64_t len);

/* Register access for tests and the debugger-like dump on fatal errors. */
uint64_t rv_cpu_get_pc(const struct rv_cpu *cpu);
uint64_t rv_cpu_get_xreg(const struct rv_cpu *cpu, int reg);
void rv_cpu_set_xreg(struct rv_cpu *cpu, int reg, uint64_t value);
uint64_t rv_cpu_get_freg(const struct rv_cpu *cpu, int reg);
int rv_cpu_get_priv(const struct rv_cpu *cpu);
uint64_t rv_cpu_instret(const struct rv_cpu *cpu);
/* Instructions run since the hart was created, never reset (--icount's clock): unlike
 * minstret, this counts those that trapped and runs on under mcountinhibit. Exact at any
 * point the hart calls out (CSRs, MMIO, helpers), not only between slices. */
uint64_t rv_cpu_retired(const struct rv_cpu *cpu);
/* Writes a register dump (pc, priv, x1..x31, key CSRs) to stderr. */
void rv_cpu_dump(const struct rv_cpu *cpu);

#endif
