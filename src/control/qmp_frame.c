/* Cutting a QMP byte stream into JSON texts (see qmp_frame.h). */
#include "control/qmp_frame.h"

static bool json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool qmp_frame_next(struct qmp_framer *f, const char *buf, size_t len, size_t *start,
                    size_t *end)
{
    for (size_t i = f->scanned; i < len; i++) {
        char c = buf[i];
        if (!f->in_text) {
            if (json_space(c))
                continue;
            f->in_text = true;
            f->start = i;
            f->stray = c != '{' && c != '[';
            f->depth = f->stray ? 0 : 1;
            continue;
        }
        if (f->stray) {
            if (c != '\n' && c != '{' && c != '[')
                continue;
            /* The bracket begins the next text: it is looked at again. */
            *start = f->start;
            *end = i;
            f->scanned = c == '\n' ? i + 1 : i;
            f->in_text = false;
            return true;
        }
        if (f->in_string) {
            if (f->escaped)
                f->escaped = false;
            else if (c == '\\')
                f->escaped = true;
            else if (c == '"')
                f->in_string = false;
            continue;
        }
        if (c == '"') {
            f->in_string = true;
        } else if (c == '{' || c == '[') {
            f->depth++;
        } else if ((c == '}' || c == ']') && --f->depth == 0) {
            *start = f->start;
            *end = i + 1;
            f->scanned = i + 1;
            f->in_text = false;
            return true;
        }
    }
    f->scanned = len;
    return false;
}

size_t qmp_frame_consumed(const struct qmp_framer *f)
{
    return f->in_text ? f->start : f->scanned;
}

void qmp_frame_drop(struct qmp_framer *f, size_t n)
{
    f->scanned -= n;
    if (f->in_text)
        f->start -= n;
}
