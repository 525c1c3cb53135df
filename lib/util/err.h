/*
 * err.h - the library's one error record.
 *
 * Every libjfs function returns 0 or a negative errno.  When it fails it
 * also leaves one record of why, for the calling thread: a one-line
 * message and the layer that said it ("meta", "store", "setting", "url",
 * "volume").  There is one record, not one per layer, so whatever a
 * caller prints after a failure is the failure it got, whichever layer it
 * came from (as curl keeps one error buffer per handle).  Per thread, so
 * concurrent workers never see each other's failures.
 */
#ifndef JFS_UTIL_ERR_H
#define JFS_UTIL_ERR_H

#include <stdarg.h>

/* the last failure's message ("" if none since the last jfs_clearerr) */
const char *jfs_errmsg(void);
/* the layer that set it ("" if none) */
const char *jfs_errlayer(void);
void jfs_clearerr(void);

/*
 * Sets the record; newlines become spaces (it may cross the wire).  The
 * arguments may include jfs_errmsg() itself, to wrap the last failure.
 */
void jfs_seterr(const char *layer, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void jfs_vseterr(const char *layer, const char *fmt, va_list ap);
/* jfs_seterr, then returns err: `return jfs_fail("meta", -EIO, ...);` */
int jfs_fail(const char *layer, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* JFS_UTIL_ERR_H */
