/*
 * log.h - jfsd and jfsadm logging.
 *
 * One line per event, "2026-11-22 03:12:00.123 jfsd[pid] LEVEL message",
 * to stderr or a file.  The level is checked before formatting.
 */
#ifndef JFS_LOG_H
#define JFS_LOG_H

#include <stdio.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

struct logger {
	FILE *out;
	enum log_level level;
	const char *ident;
};

/* The process's logger; tests may point it elsewhere. */
extern struct logger jfs_logger;

int log_open(const char *path);		/* NULL: stderr */
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (jfs_logger.level >= LOG_LVL_DEBUG) \
		log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif /* JFS_LOG_H */
