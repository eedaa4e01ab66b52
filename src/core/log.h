/* Logging for kite: one line per event on stderr, prefixed with the subsystem. */
#ifndef KITE_CORE_LOG_H
#define KITE_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped; set from the command line (--verbose). */
extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)

/*
 * Guest-triggered complaints must not flood the host log, yet a second device's complaint
 * must still be seen: a device keeps one log_limit and each call site (its line) logs once
 * per device instance through log_once_in(). log_once() is once per process, for host-side
 * conditions that are the same for every instance.
 */
#define LOG_LIMIT_SITES 32
struct log_limit {
    unsigned short sites[LOG_LIMIT_SITES];
    unsigned count;
};

/* True the first time `site` is seen in `l` (false once l is full: stay quiet). */
bool log_limit_first(struct log_limit *l, unsigned site);

#define log_once_in(limit, level, sub, ...)                         \
    do {                                                            \
        if (log_limit_first((limit), __LINE__))                     \
            log_msg(level, sub, __VA_ARGS__);                       \
    } while (0)

#define log_once(level, sub, ...)                                   \
    do {                                                            \
        static bool log_once_done_;                                 \
        if (!log_once_done_) {                                      \
            log_once_done_ = true;                                  \
            log_msg(level, sub, __VA_ARGS__);                       \
        }                                                           \
    } while (0)

#endif
