/*
 * Links the host can pull or plug (QMP's set_link), by name: a NIC registers its control
 * while its host end is open, the control interface finds it by name. The control side
 * never sees a device; the device never sees QMP. One thread, no locks.
 */
#ifndef KITE_CORE_LINK_CONTROL_H
#define KITE_CORE_LINK_CONTROL_H

#include <stdbool.h>

struct link_control {
    const char *name;           /* "net0", or the NIC's id= */
    void *opaque;
    void (*set)(void *opaque, bool up);
    struct link_control *next;  /* owned by the registry */
};

void link_control_add(struct link_control *l);
void link_control_remove(struct link_control *l);      /* fine if it was never added */
struct link_control *link_control_find(const char *name);
/* 1 to 31 of [A-Za-z0-9._-]: what a name may be. */
bool link_control_name_valid(const char *name);

#endif
