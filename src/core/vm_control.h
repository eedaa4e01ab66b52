/*
 * Controlling a running machine from the host: what a control interface (QMP) may ask of
 * the run loop, and what the run loop tells it back. The run loop implements the calls;
 * the control side never sees the board, the hart or the devices.
 *
 * Everything runs on the event loop's thread: a call takes effect between CPU slices.
 */
#ifndef KITE_CORE_VM_CONTROL_H
#define KITE_CORE_VM_CONTROL_H

#include <stdbool.h>

enum vm_event {
    VM_EVENT_STOP,          /* the hart stopped (stop) */
    VM_EVENT_RESUME,        /* it runs again (cont) */
    VM_EVENT_RESET,         /* the machine was reset (by the guest or system_reset) */
    VM_EVENT_SHUTDOWN,      /* the run is ending (guest poweroff, quit, Ctrl-A x) */
};

/* Why a reset or shutdown happened: QEMU's ShutdownCause names, for QMP. */
enum vm_cause {
    VM_CAUSE_HOST_QMP_QUIT,
    VM_CAUSE_HOST_QMP_SYSTEM_RESET,
    VM_CAUSE_HOST_UI,           /* Ctrl-A x */
    VM_CAUSE_GUEST_SHUTDOWN,
    VM_CAUSE_GUEST_RESET,
    VM_CAUSE_GUEST_PANIC,       /* the guest reported failure */
};

struct vm_control {
    /* Implemented by the run loop. */
    void *opaque;
    bool (*running)(void *opaque);          /* false while stopped */
    void (*stop)(void *opaque);             /* pause the hart; no-op if stopped */
    void (*cont)(void *opaque);
    void (*reset)(void *opaque);            /* reset the machine as a reboot does */
    void (*quit)(void *opaque);             /* end the run (exit status 0) */

    /* Set by the listener: the run loop reports each event here. */
    void (*on_event)(void *listener, enum vm_event ev, enum vm_cause cause);
    void *listener;
};

static inline void vm_control_emit(const struct vm_control *c, enum vm_event ev,
                                   enum vm_cause cause)
{
    if (c && c->on_event)
        c->on_event(c->listener, ev, cause);
}

#endif
