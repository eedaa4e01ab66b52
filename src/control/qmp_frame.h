/*
 * Where one QMP request ends in a client's byte stream. QMP is a stream of JSON texts, not
 * of lines: QEMU's own Python client sends a command with no newline after it, other
 * clients spread one over several lines or put several on one. A text is a balanced {...}
 * or [...] (brackets inside strings do not count); anything else a client sends between
 * texts is a stray run, ended by a newline or by the next { or [, which the session
 * answers with a parse error, as QEMU does. The framer only counts brackets: jansson
 * parses each text it cuts out.
 *
 * Use: after appending bytes to a buffer, call qmp_frame_next() until it returns false,
 * handling each text; then drop the first qmp_frame_consumed() bytes of the buffer and
 * tell the framer with qmp_frame_drop(). Every byte is looked at once, however the stream
 * is split.
 */
#ifndef KITE_CONTROL_QMP_FRAME_H
#define KITE_CONTROL_QMP_FRAME_H

#include <stdbool.h>
#include <stddef.h>

struct qmp_framer {
    size_t scanned;     /* bytes of the buffer looked at */
    size_t start;       /* where the text being read begins (while in_text) */
    size_t depth;       /* open brackets */
    bool in_text, stray, in_string, escaped;
};

/* The next complete text in buf[0, len) as buf[*start, *end); false if none is yet. */
bool qmp_frame_next(struct qmp_framer *f, const char *buf, size_t len, size_t *start,
                    size_t *end);
/* How many bytes at the buffer's front the framer no longer needs. */
size_t qmp_frame_consumed(const struct qmp_framer *f);
/* The caller removed the first n (at most qmp_frame_consumed()) bytes of the buffer. */
void qmp_frame_drop(struct qmp_framer *f, size_t n);

#endif
