#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

enum log_level log_threshold = LOG_WARN;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
    if (level > log_threshold)
        return;
    /* The console may be in raw mode: end lines with \r\n so they stay readable. */
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "kite: %s: %s: %s\r\n", subsys, level_names[level], buf);
}

bool log_limit_first(struct log_limit *l, unsigned site)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->sites[i] == (unsigned short)site)
            return false;
    if (l->count == LOG_LIMIT_SITES)
        return false;
    l->sites[l->count++] = (unsigned short)site;
    return true;
}
