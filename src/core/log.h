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

/* Guest-triggered complaints must not flood the host log: each call site logs once. */
#define log_once(level, sub, ...)                                   \
    do {                                                            \
        static bool log_once_done_;                                 \
        if (!log_once_done_) {                                      \
            log_once_done_ = true;                                  \
            log_msg(level, sub, __VA_ARGS__);                       \
        }                                                           \
    } while (0)

#endif
