/*
 * log.c - see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

struct logger jfs_logger = { NULL, LOG_LVL_INFO, "jfsd" };

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

int log_open(const char *path)
{
	FILE *f;

	if (!path) {
		jfs_logger.out = stderr;
		return 0;
	}
	f = fopen(path, "a");
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	jfs_logger.out = f;
	return 0;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	FILE *out = jfs_logger.out ? jfs_logger.out : stderr;
	char stamp[32], line[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (lvl > jfs_logger.level)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf per line: stdio locks the stream, lines never mix */
	fprintf(out, "%s.%03ld %s[%d] %s %s\n", stamp, (long)tv.tv_usec / 1000,
		jfs_logger.ident, (int)getpid(), level_names[lvl], line);
}
