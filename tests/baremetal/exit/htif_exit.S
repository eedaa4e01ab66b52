/*
 * Stores HTIF_VALUE to tohost and spins: checks that the runner turns a failing test's
 * value into its exit status (tests/baremetal/check.sh builds it with several values).
 * Kept apart from the suite in tests/baremetal/, whose tests must all exit 0.
 */
    .section .text.init
    .globl _start
_start:
    li t0, HTIF_VALUE
    la t1, tohost
    sd t0, 0(t1)
1:  j 1b

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost: .dword 0
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0
