/*
 * QEMU's key names (QKeyCode, as QMP's input-send-event spells them) and key numbers
 * (PC scancode set 1, 0x80 added for the 0xe0-prefixed keys) as Linux evdev key codes.
 */
#ifndef KITE_CONTROL_QCODE_H
#define KITE_CONTROL_QCODE_H

/* The evdev code of a qcode name, or -1 if kite does not know it. */
int qcode_to_evdev(const char *name);
/* The evdev code of a key number, or -1. */
int qnum_to_evdev(long number);

#endif
