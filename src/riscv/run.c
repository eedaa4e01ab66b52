/*
 * Running a RISC-V machine: the host ends that live for the whole run (kite's stdio, each
 * device's backends), the boot/reboot loop around the board, and the slice loop that
 * interleaves CPU slices with host events.
 */
#include <stdio.h>

#include "backend/char_stdio.h"
#include "control/qmp_server.h"
#include "core/clock.h"
#include "core/device_registry.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/vm_control.h"
#include "riscv/board.h"
#include "riscv/cpu.h"

/* Instructions per CPU slice: between slices, timers are updated and host fds polled. */
#define SLICE_INSNS 65536

struct run {
    struct rv_board *board;     /* the current boot's, NULL between boots */
    /* The machine as a control interface (QMP) drives it. */
    struct vm_control ctl;
    bool paused;                /* stopped: no CPU slices, time stands still */
    bool reset_requested;       /* system_reset: rebuild the board as a reboot does */
    enum vm_cause quit_cause;
};

static void on_console_quit(void *opaque)
{
    struct run *r = opaque;
    r->quit_cause = VM_CAUSE_HOST_UI;
    if (r->board)
        rv_board_quit(r->board);
}

static bool vm_running(void *opaque)
{
    return !((struct run *)opaque)->paused;
}

static void vm_stop(void *opaque)
{
    struct run *r = opaque;
    if (r->paused)
        return;
    r->paused = true;
    clock_mtime_pause();
    vm_control_emit(&r->ctl, VM_EVENT_STOP, VM_CAUSE_HOST_QMP_QUIT);
}

static void vm_cont(void *opaque)
{
    struct run *r = opaque;
    if (!r->paused)
        return;
    r->paused = false;
    clock_mtime_resume();
    vm_control_emit(&r->ctl, VM_EVENT_RESUME, VM_CAUSE_HOST_QMP_QUIT);
}

/* Both end the current boot's slice loop; the run loop then rebuilds or ends. */
static void vm_reset(void *opaque)
{
    struct run *r = opaque;
    r->reset_requested = true;
    if (r->board)
        rv_board_quit(r->board);
}

static void vm_quit(void *opaque)
{
    struct run *r = opaque;
    r->quit_cause = VM_CAUSE_HOST_QMP_QUIT;
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

static uint64_t hart_retired(void *opaque)
{
    return rv_cpu_retired(opaque);
}

/*
 * Under --icount, the earliest guest-time deadline in guest ns: the hart's timers, and the
 * devices' guest-time timers (a rate limiter's) on the loop. UINT64_MAX: none.
 */
static uint64_t guest_deadline(struct rv_cpu *hart, const struct event_loop *loop)
{
    uint64_t hart_ns = clock_mtime_to_ns(rv_cpu_next_timer(hart));
    uint64_t loop_ns = event_loop_guest_deadline(loop);
    return hart_ns < loop_ns ? hart_ns : loop_ns;
}

/*
 * Under --icount a slice also ends at the next guest-time deadline, so a timer interrupt
 * is taken at the instruction where guest time reaches it, not up to a slice later.
 */
static uint64_t slice_budget(struct rv_cpu *hart, const struct event_loop *loop)
{
    if (!clock_icount_enabled())
        return SLICE_INSNS;
    uint64_t n = clock_icount_insns_until(guest_deadline(hart, loop));
    return n && n < SLICE_INSNS ? n : SLICE_INSNS;
}

/*
 * What to wait for after a wfi with nothing pending (0 = nothing). Under --icount nobody
 * measures the host's time, so guest time jumps to the next deadline instead of sleeping
 * until it; only with no deadline at all does the loop block, for host input.
 */
static uint64_t idle_wait(struct rv_cpu *hart, const struct event_loop *loop)
{
    if (!clock_icount_enabled()) {
        uint64_t deadline = rv_cpu_next_timer(hart);
        return deadline == UINT64_MAX ? UINT64_MAX : clock_ns_until_mtime(deadline);
    }
    uint64_t deadline = guest_deadline(hart, loop);
    if (deadline == UINT64_MAX)
        return UINT64_MAX;
    clock_icount_warp_to(deadline);
    rv_cpu_update_timers(hart, clock_mtime());
    return 0;
}

/*
 * Host events reach the guest only between slices, and a slice's length depends only on
 * instruction counts and guest timers: under --icount, with backends that complete at
 * submission (see device_env.deterministic), a run replays at the same instructions.
 */
static void slice_loop(struct run *r, struct rv_board *b, struct event_loop *loop)
{
    struct rv_cpu *hart = rv_board_hart(b);
    int status;
    if (clock_icount_enabled())
        clock_icount_attach(hart_retired, hart);
    clock_mtime_reset();
    while (rv_board_state(b, &status) == RV_BOARD_RUNNING) {
        if (r->paused) {
            /* Stopped: only host events (QMP's cont, Ctrl-A x) until then. */
            event_loop_poll(loop, UINT64_MAX);
            continue;
        }
        rv_cpu_update_timers(hart, clock_mtime());
        enum rv_run_exit why = rv_cpu_run(hart, slice_budget(hart, loop));
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
            if (!rv_cpu_interrupt_pending(hart))
                wait_ns = idle_wait(hart, loop);
        }
        event_loop_poll(loop, wait_ns);
    }
    /*
     * What the hart ran (each trapping instruction included, as in budgets and --icount's
     * clock), and minstret apart: the guest can stop that one (Linux's PMU driver inhibits
     * it during boot), so it is no measure of the work done.
     */
    log_info("machine", "%llu instructions executed (minstret %llu), guest time %llu ns%s",
             (unsigned long long)rv_cpu_retired(hart),
             (unsigned long long)rv_cpu_instret(hart),
             (unsigned long long)(clock_mtime() * (1000000000ULL / CLOCK_TIMEBASE_HZ)),
             clock_icount_enabled() ? " (--icount)" : "");
    if (clock_icount_enabled())
        clock_icount_attach(NULL, NULL); /* the hart goes away with the board */
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
    if (cfg->icount && clock_icount_enable(cfg->icount_shift) < 0) {
        log_error("machine", "--icount shift %u is beyond %u", cfg->icount_shift,
                  CLOCK_ICOUNT_MAX_SHIFT);
        return KITE_EXIT_USAGE;
    }
    if (cfg->icount)
        log_info("machine", "--icount: %u ns per instruction, guest time from instructions "
                 "only", 1u << cfg->icount_shift);
    struct event_loop loop;
    event_loop_init(&loop);
    struct run r = {0};
    struct stdio_console *console = stdio_console_open(&loop, on_console_quit, &r);
    if (!console)
        return KITE_EXIT_GUEST_FAIL;
    stdio_console_set_dump(console, on_console_dump);
    struct device_host_env henv = {.loop = &loop, .console = console,
                                   .deterministic = cfg->icount};
    if (open_hosts(cfg->devices, &henv) < 0) {
        stdio_console_close(console);
        return KITE_EXIT_USAGE;
    }
    r.ctl = (struct vm_control){.opaque = &r, .running = vm_running, .stop = vm_stop,
                                .cont = vm_cont, .reset = vm_reset, .quit = vm_quit};
    r.quit_cause = VM_CAUSE_HOST_UI;
    struct qmp_server *qmp = NULL;
    if (cfg->qmp_path) {
        struct qmp_env qenv = {.vm = &r.ctl, .devices = cfg->devices};
        if (!(qmp = qmp_server_open(cfg->qmp_path, &loop, &qenv))) {
            if (cfg->devices)
                close_hosts(cfg->devices, type_count());
            stdio_console_close(console);
            return KITE_EXIT_USAGE;
        }
    }
    struct rv_board_host host = {.loop = &loop, .console = console};
    int status;
    enum vm_cause end_cause = VM_CAUSE_GUEST_SHUTDOWN;
    for (;;) {
        if (rv_board_build(cfg, &host, &r.board) < 0) {
            rv_board_destroy(r.board);
            r.board = NULL;
            status = KITE_EXIT_USAGE;
            break;
        }
        slice_loop(&r, r.board, &loop);
        enum rv_board_state how = rv_board_state(r.board, &status);
        if (r.reset_requested || (how == RV_BOARD_REBOOT && !cfg->no_reboot)) {
            enum vm_cause why = r.reset_requested ? VM_CAUSE_HOST_QMP_SYSTEM_RESET
                                                  : VM_CAUSE_GUEST_RESET;
            log_info("machine", "%s", r.reset_requested ? "system reset" : "guest reboot");
            r.reset_requested = false;
            rv_board_destroy(r.board);
            r.board = NULL;
            vm_control_emit(&r.ctl, VM_EVENT_RESET, why);
            continue;
        }
        end_cause = how == RV_BOARD_QUIT     ? r.quit_cause
                    : how == RV_BOARD_REBOOT ? VM_CAUSE_GUEST_RESET
                    : how == RV_BOARD_FAILED ? VM_CAUSE_GUEST_PANIC
                                             : VM_CAUSE_GUEST_SHUTDOWN;
        if (how == RV_BOARD_FAILED || (how == RV_BOARD_HTIF_EXIT && status != 0))
            rv_cpu_dump(rv_board_hart(r.board));
        rv_board_destroy(r.board);
        r.board = NULL;
        break;
    }
    vm_control_emit(&r.ctl, VM_EVENT_SHUTDOWN, end_cause);
    qmp_server_close(qmp);
    if (cfg->devices)
        close_hosts(cfg->devices, type_count());
    stdio_console_close(console);
    return status;
}
