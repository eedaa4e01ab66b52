/*
 * Running a RISC-V machine: the host ends that live for the whole run (kite's stdio, each
 * device's backends), the boot/reboot loop around the board, and the slice loop that
 * interleaves CPU slices with host events.
 */
#include <stdio.h>

#include "backend/char_stdio.h"
#include "core/clock.h"
#include "core/device_registry.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "riscv/board.h"
#include "riscv/cpu.h"

/* Instructions per CPU slice: between slices, timers are updated and host fds polled. */
#define SLICE_INSNS 65536

struct run {
    struct rv_board *board;     /* the current boot's, NULL between boots */
};

static void on_console_quit(void *opaque)
{
    struct run *r = opaque;
    if (r->board)
        rv_board_quit(r->board);
}

/* Ctrl-A d: what to look at when a guest hangs (is it idle? waiting on which queue?). */
static void on_console_dump(void *opaque)
{
    struct run *r = opaque;
    if (r->board)
        rv_board_dump(r->board);
}

static void slice_loop(struct rv_board *b, struct event_loop *loop)
{
    struct rv_cpu *hart = rv_board_hart(b);
    int status;
    clock_mtime_reset();
    while (rv_board_state(b, &status) == RV_BOARD_RUNNING) {
        rv_cpu_update_timers(hart, clock_mtime());
        enum rv_run_exit why = rv_cpu_run(hart, SLICE_INSNS);
        if (rv_board_state(b, &status) != RV_BOARD_RUNNING)
            break;
        uint64_t wait_ns = 0;
        if (why == RV_RUN_WFI) {
            /*
             * Look without sleeping first: a source hands over held-back input as the loop
             * asks what it waits for (typed bytes a full UART FIFO had no room for), and
             * the interrupt that raises must wake the hart now, not at its next timer.
             */
            event_loop_poll(loop, 0);
            rv_cpu_update_timers(hart, clock_mtime());
            if (!rv_cpu_interrupt_pending(hart)) {
                uint64_t deadline = rv_cpu_next_timer(hart);
                wait_ns = deadline == UINT64_MAX ? UINT64_MAX : clock_ns_until_mtime(deadline);
            }
        }
        event_loop_poll(loop, wait_ns);
    }
}

/* Host ends of every device type in use, in registry order; on failure undoes them. */
static void close_hosts(const struct device_list *l, unsigned upto)
{
    for (unsigned t = 0; t < upto; t++) {
        const struct device_type *type = device_type_at(t);
        void *cfgs[DEVICE_MAX_INSTANCES];
        unsigned n = device_list_configs(l, type, cfgs, DEVICE_MAX_INSTANCES);
        if (n && type->close_host)
            type->close_host(cfgs, n);
    }
}

static int open_hosts(const struct device_list *l, const struct device_host_env *env)
{
    for (unsigned t = 0; l && device_type_at(t); t++) {
        const struct device_type *type = device_type_at(t);
        void *cfgs[DEVICE_MAX_INSTANCES];
        unsigned n = device_list_configs(l, type, cfgs, DEVICE_MAX_INSTANCES);
        if (!n || !type->open_host)
            continue;
        int ret = type->open_host(cfgs, n, env);
        if (ret < 0) {
            close_hosts(l, t);
            return ret;
        }
    }
    return 0;
}

static unsigned type_count(void)
{
    unsigned n = 0;
    while (device_type_at(n))
        n++;
    return n;
}

int rv_machine_run(const struct rv_machine_config *cfg)
{
    struct event_loop loop;
    event_loop_init(&loop);
    struct run r = {0};
    struct stdio_console *console = stdio_console_open(&loop, on_console_quit, &r);
    if (!console)
        return KITE_EXIT_GUEST_FAIL;
    stdio_console_set_dump(console, on_console_dump);
    struct device_host_env henv = {.loop = &loop, .console = console};
    if (open_hosts(cfg->devices, &henv) < 0) {
        stdio_console_close(console);
        return KITE_EXIT_USAGE;
    }
    struct rv_board_host host = {.loop = &loop, .console = console};
    int status;
    for (;;) {
        if (rv_board_build(cfg, &host, &r.board) < 0) {
            rv_board_destroy(r.board);
            r.board = NULL;
            status = KITE_EXIT_USAGE;
            break;
        }
        slice_loop(r.board, &loop);
        enum rv_board_state how = rv_board_state(r.board, &status);
        if (how == RV_BOARD_REBOOT && !cfg->no_reboot) {
            log_info("machine", "guest reboot");
            rv_board_destroy(r.board);
            r.board = NULL;
            continue;
        }
        if (how == RV_BOARD_FAILED || (how == RV_BOARD_HTIF_EXIT && status != 0))
            rv_cpu_dump(rv_board_hart(r.board));
        rv_board_destroy(r.board);
        r.board = NULL;
        break;
    }
    if (cfg->devices)
        close_hosts(cfg->devices, type_count());
    stdio_console_close(console);
    return status;
}
