/*
 * sqlraw.h - what the SQLite engine suites share: a scratch dir with a
 * new volume file per test, and plain queries on that file (a second
 * connection, as `juicefs` or the sqlite3 shell would open it) to check
 * what the engine stored.  Include after check.h.
 */
#ifndef JFS_TEST_SQLRAW_H
#define JFS_TEST_SQLRAW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "meta/engine.h"

#define RAW_UNUSED	__attribute__((unused))
#define RAW_FMT		__attribute__((format(printf, 1, 2), unused))

static char tmpdir[] = "/tmp/jfs-unit-sql-XXXXXX";
static char path[256], url[300];	/* the current test's volume */
static int nvol;

/* the scratch dir; 0 or -1 */
RAW_UNUSED static int raw_setup(void)
{
	if (mkdtemp(tmpdir))
		return 0;
	printf("FAIL mkdtemp %s\n", tmpdir);
	return -1;
}

/* removes the scratch dir, unless a test failed or JFS_KEEP_TMP is set */
RAW_UNUSED static void raw_cleanup(void)
{
	char cmd[300];

	if (check_nfail || getenv("JFS_KEEP_TMP")) {
		printf("  kept %s\n", tmpdir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("  could not remove %s\n", tmpdir);
}

/* a new path for the next volume (no file yet); its url */
RAW_UNUSED static const char *raw_next(void)
{
	snprintf(path, sizeof(path), "%s/v%d.db", tmpdir, ++nvol);
	snprintf(url, sizeof(url), "sqlite3://%s", path);
	return url;
}

/*
 * Opens the file read-only and steps the query once; true with *db and
 * *st to finalize and close when there is a first row.
 */
static bool raw_row(sqlite3 **db, sqlite3_stmt **st, const char *fmt, va_list ap)
{
	char sql[1024];

	vsnprintf(sql, sizeof(sql), fmt, ap);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(*db);
		return false;
	}
	if (sqlite3_prepare_v2(*db, sql, -1, st, NULL) != SQLITE_OK) {
		printf("  raw: %s: %s\n", sql, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		return false;
	}
	if (sqlite3_step(*st) == SQLITE_ROW)
		return true;
	sqlite3_finalize(*st);
	sqlite3_close(*db);
	return false;
}

static void raw_done(sqlite3 *db, sqlite3_stmt *st)
{
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* the first column of the first row, -1 if none */
RAW_FMT static long long raw_int(const char *fmt, ...)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	if (raw_row(&db, &st, fmt, ap)) {
		v = sqlite3_column_int64(st, 0);
		raw_done(db, st);
	}
	va_end(ap);
	return v;
}

/* the first column as text ("(none)" without a row), in a static buffer */
RAW_FMT static const char *raw_str(const char *fmt, ...)
{
	static char out[512];
	sqlite3_stmt *st;
	sqlite3 *db;
	va_list ap;

	strcpy(out, "(none)");
	va_start(ap, fmt);
	if (raw_row(&db, &st, fmt, ap)) {
		snprintf(out, sizeof(out), "%s",
			 (const char *)sqlite3_column_text(st, 0) ?: "(null)");
		raw_done(db, st);
	}
	va_end(ap);
	return out;
}

/* the first column's bytes, NUL-terminated and malloc'd; NULL if no row */
RAW_FMT static char *raw_blob(const char *fmt, ...)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (raw_row(&db, &st, fmt, ap)) {
		int n = sqlite3_column_bytes(st, 0);

		s = calloc(1, (size_t)n + 1);
		if (s && n)
			memcpy(s, sqlite3_column_blob(st, 0), (size_t)n);
		raw_done(db, st);
	}
	va_end(ap);
	return s;
}

/* runs statements on the file; 0 or SQLite's error */
RAW_FMT static int raw_exec(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	sqlite3 *db;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("  raw: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

#endif /* JFS_TEST_SQLRAW_H */
