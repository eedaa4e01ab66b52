/*
 * The RISC-V board as the run loop sees it: built from a machine configuration for one
 * boot, torn down on reboot or exit. Host ends (kite's stdio, device backends) belong to
 * the run loop and outlive a board.
 */
#ifndef KITE_RISCV_BOARD_H
#define KITE_RISCV_BOARD_H

#include "riscv/machine.h"

struct event_loop;
struct stdio_console;
struct rv_cpu;
struct rv_board;

enum rv_board_state {
    RV_BOARD_RUNNING, RV_BOARD_POWEROFF, RV_BOARD_REBOOT, RV_BOARD_QUIT, RV_BOARD_FAILED,
    RV_BOARD_HTIF_EXIT
};

struct rv_board_host {
    struct event_loop *loop;
    struct stdio_console *console;
};

/* Builds the board (RAM, images, device tree, devices). On failure (logged) *out may still
 * need rv_board_destroy. */
int rv_board_build(const struct rv_machine_config *cfg, const struct rv_board_host *host,
                   struct rv_board **out);
void rv_board_destroy(struct rv_board *b);
struct rv_cpu *rv_board_hart(struct rv_board *b);
/* RV_BOARD_RUNNING until the guest or the user stopped it; then the exit status. */
enum rv_board_state rv_board_state(const struct rv_board *b, int *exit_status);
/* Ctrl-A x. */
void rv_board_quit(struct rv_board *b);
/* Ctrl-A d: the hart and every VirtIO device's queues on stderr. */
void rv_board_dump(const struct rv_board *b);

#endif
