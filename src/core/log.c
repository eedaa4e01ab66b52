#include "core/log.h"

#include <stdarg.h>
#include <pthread.h>
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

/* One lock for every limit: device workers (9P) complain from several threads, and a
 * complaint is rare enough that contention does not matter. */
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

bool log_limit_first(struct log_limit *l, unsigned site)
{
    bool first = false;
    pthread_mutex_lock(&limit_lock);
    unsigned i = 0;
    while (i < l->count && l->sites[i] != (unsigned short)site)
        i++;
    if (i == l->count && l->count < LOG_LIMIT_SITES) {
        l->sites[l->count++] = (unsigned short)site;
        first = true;
    }
    pthread_mutex_unlock(&limit_lock);
    return first;
}
