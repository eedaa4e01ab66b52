/*
 * F and D extensions: arithmetic on the hart's FP register file with exact IEEE-754
 * results, RISC-V NaN rules and accumulated fflags. Loads and stores (FLW/FLD/FSW/FSD) stay
 * in the integer core because they need the MMU; everything else FP comes here.
 */
#ifndef KITE_RISCV_FPU_H
#define KITE_RISCV_FPU_H

#include <stdbool.h>
#include <stdint.h>

/* The FP state the core keeps inside struct rv_cpu and lends to the FPU. */
struct rv_fp_state {
    uint64_t f[32];     /* singles are NaN-boxed: upper 32 bits all ones */
    uint32_t fflags;    /* NV DZ OF UF NX in bits 4..0 */
    uint32_t frm;       /* dynamic rounding mode from fcsr */
};

enum rv_fpu_result {
    RV_FPU_OK,          /* done; the core marks mstatus.FS dirty */
    RV_FPU_ILLEGAL,     /* reserved encoding or invalid rounding mode: illegal instruction */
};

/*
 * Executes one instruction of major opcode OP-FP (0x53), FMADD (0x43), FMSUB (0x47),
 * FNMSUB (0x4b) or FNMADD (0x4f). `x` is the integer register file (x[0] reads as 0 and
 * the FPU never writes x[0]). The caller has checked that mstatus.FS is not Off.
 */
enum rv_fpu_result rv_fpu_exec(struct rv_fp_state *fp, uint64_t *x, uint32_t insn);

/*
 * Whether the host FPU, as this thread has it set up, rounds to nearest even and keeps
 * subnormals (no flush-to-zero, no denormals-are-zero): then its results for add,
 * subtract, multiply, divide, square root and fused multiply-add equal IEEE-754's, which
 * the FPU's shortcut and the JIT's inline FP rely on.
 */
bool rv_fpu_host_is_ieee(void);

#endif
