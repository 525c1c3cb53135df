/*
 * err.c - the per-thread error record of err.h.
 */
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static __thread struct {
	const char *layer;
	char msg[1024];
} rec;

const char *jfs_errmsg(void)
{
	return rec.msg;
}

const char *jfs_errlayer(void)
{
	return rec.layer ? rec.layer : "";
}

void jfs_clearerr(void)
{
	rec.layer = NULL;
	rec.msg[0] = 0;
}

void jfs_vseterr(const char *layer, const char *fmt, va_list ap)
{
	char msg[sizeof(rec.msg)], *p;

	/* through a copy: a caller may wrap the last message, jfs_errmsg() */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(rec.msg, msg, sizeof(msg));
	rec.layer = layer;
	for (p = rec.msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void jfs_seterr(const char *layer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jfs_vseterr(layer, fmt, ap);
	va_end(ap);
}

int jfs_fail(const char *layer, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jfs_vseterr(layer, fmt, ap);
	va_end(ap);
	return err;
}
