/* scounteren as U-mode sees it: a counter is readable only when both mcounteren and
 * scounteren allow it (mepc points at the faulting rdtime). */
#include "test.h"
    TEST_START
test_body:
    li t0, 7
    csrw mcounteren, t0
    csrw scounteren, zero
    EXPECT_TRAP(1f)
    ENTER_UMODE(2f)
2:  rdcycle a0
    FAIL(1)
1:  CHECK_TS(2, TS_MCAUSE, 2)
    li t0, 1
    csrw scounteren, t0
    EXPECT_TRAP(4f)
    ENTER_UMODE(3f)
3:  rdcycle a0          /* allowed now */
    rdtime a0           /* TM clear in scounteren: illegal */
    FAIL(3)
4:  CHECK_TS(4, TS_MCAUSE, 2)
    la a1, 3b
    addi a1, a1, 4
    la gp, trap_state; ld tp, TS_MEPC(gp); CHECK_EQ(5, tp, a1)
5:  j pass
    TEST_END
