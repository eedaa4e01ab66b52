/* Placeholder until the F/D implementation lands: every FP operation is illegal. */
#include "riscv/fpu.h"

enum rv_fpu_result rv_fpu_exec(struct rv_fp_state *fp, uint64_t *x, uint32_t insn)
{
    (void)fp;
    (void)x;
    (void)insn;
    return RV_FPU_ILLEGAL;
}
