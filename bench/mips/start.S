/* Entry for the bare-metal MIPS benchmark: a stack, then main(); main's value goes to tohost. */
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    la sp, stack_top
    call main
    /* HTIF exit: (code << 1) | 1, 1 alone = success. */
    slli a0, a0, 1
    ori a0, a0, 1
    la t0, tohost
1:  sd a0, 0(t0)
    j 1b

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost: .dword 0
    .align 6
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0

    .bss
    .align 4
stack: .skip 16384
stack_top:
