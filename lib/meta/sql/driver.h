/*
 * driver.h - the seam between the SQL metadata engine (volume.c, ns.c,
 * data.c, ext.c) and one database's client library (sqlite.c: SQLite;
 * next PostgreSQL over libpq and MySQL).  Private to lib/meta/sql/.
 *
 * JuiceFS serves every SQL database from one engine (pkg/meta/sql.go,
 * through xorm); so do we: the engine's bodies, transactions, retries,
 * row codecs and statement cache are the same for every database, and a
 * driver is the little that differs.  The engine reaches a driver only
 * through this table (sql.h's sq_query, sq_exec, sq_row, sq_col_int64 ..., sq_txn
 * wrap it); nothing outside the driver's file includes its library.
 *
 * Errors.  Every int-returning hook returns 0 (or the value it says) or a
 * negative errno, and then has set the error record (jfs_seterr, layer
 * "meta") with a message that names the driver and the database.  The
 * driver classifies its library's errors:
 *   -EAGAIN  busy, locked, serialization failure, deadlock: the engine
 *            rolls back and re-runs the whole transaction (sq_txn)
 *   -EEXIST  a UNIQUE / PRIMARY KEY violation
 *   -ENOSPC  the database (or its disk) is full
 *   -EROFS   a read-only database        -ENOMEM  out of memory
 *   -EIO     anything else
 *
 * The dialect.  The engine's statements are written once, in SQLite's
 * dialect, which is the reference (it is what a juicefs SQLite volume
 * holds, and the first driver).  What another database spells otherwise
 * is the driver's to translate, in rewrite() below; the constructs the
 * engine uses today:
 *   ?                          placeholders (PostgreSQL: $1, $2, ...)
 *   INSERT OR IGNORE INTO      (PostgreSQL: INSERT ... ON CONFLICT DO
 *                              NOTHING; MySQL: INSERT IGNORE)
 *   REPLACE INTO t (...)       a whole-row upsert on t's primary key
 *                              (PostgreSQL: ON CONFLICT (pk) DO UPDATE)
 *   INSERT ... ON CONFLICT (inode, indx) DO UPDATE SET slices=jfs_chunk.slices || ?
 *                              (MySQL: ON DUPLICATE KEY UPDATE, CONCAT)
 *   `group`                    a quoted identifier (PostgreSQL: "group")
 *   CAST(x AS BLOB), IFNULL    (PostgreSQL: bytea, COALESCE)
 *   length(blob), LIMIT n, count(*)
 * and transactions are begin(write) rather than SQL text: SQLite's BEGIN
 * IMMEDIATE takes the write lock up front, which a server database gets
 * from its row locks (SELECT ... FOR UPDATE) or its isolation level.
 * The schema is the driver's too (schema[] below): the tables as juicefs
 * creates them in that database, so either client opens the other's
 * volume.
 */
#ifndef JFS_META_SQL_DRIVER_H
#define JFS_META_SQL_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a connection: the driver's own, opaque to the engine */
struct sq_db;

/* a prepared statement: the driver's own struct begins with this */
struct sq_stmt {
	const struct sq_driver *drv;
};

struct sq_driver {
	/* the url scheme, and the prefix of the engine's messages: "sqlite3" */
	const char *name;

	/* ---- the volume url, before any connection ---- */

	/*
	 * The url -> what open() takes (SQLite: the file's path; a server:
	 * its connection string), with what can be checked without
	 * connecting; errors -EINVAL (message set) or -ENOMEM (not set).
	 */
	int (*parse_url)(const char *url, char **target);
	/*
	 * Reading the setting of a volume not being formatted: 0 when
	 * target may hold one, else -ENOENT (SQLite: the file is missing).
	 */
	int (*probe)(const char *target);

	/* ---- connections (one per thread at a time: the engine pools them) ---- */

	/* create: formatting, the database may be made (SQLite: the file) */
	int (*open)(const char *target, bool create, struct sq_db **db);
	/* the engine has finalized the statements it kept first */
	void (*close)(struct sq_db *db);
	/* SQL with no parameters and no rows wanted (the schema's DDL) */
	int (*exec)(struct sq_db *db, const char *sql);
	/*
	 * write: the body will write, and must not meet a conflict it could
	 * not re-run from the start (SQLite: BEGIN IMMEDIATE; else a plain
	 * read snapshot, BEGIN).  A conflict anywhere later is -EAGAIN.
	 */
	int (*begin)(struct sq_db *db, bool write);
	int (*commit)(struct sq_db *db);
	/* after a failed body or commit; keeps the error record as it is */
	void (*rollback)(struct sq_db *db);
	/* back to the pool: no statement left half-stepped */
	void (*idle)(struct sq_db *db);
	/* rows the last INSERT/UPDATE/DELETE changed */
	int64_t (*changes)(struct sq_db *db);
	/* the id the last INSERT gave an AUTOINCREMENT key (MySQL:
	 * LAST_INSERT_ID(); PostgreSQL: lastval(), or RETURNING id) */
	int64_t (*last_id)(struct sq_db *db);
	/* whether the table exists (tells "not a volume" from a failure) */
	bool (*has_table)(struct sq_db *db, const char *table);

	/* ---- statements ---- */

	/*
	 * Optional: the engine's SQL (SQLite's dialect, see above) in this
	 * database's, malloc'ed; NULL when unset (SQLite) or out of memory.
	 * Called once per statement per connection: the engine caches what
	 * prepare() makes, keyed by the literal it gave.
	 */
	char *(*rewrite)(const char *sql);
	int (*prepare)(struct sq_db *db, const char *sql, struct sq_stmt **st);
	void (*finalize)(struct sq_stmt *st);
	/* ready to step again from the start; unbind: parameters to NULL */
	void (*reset)(struct sq_stmt *st, bool unbind);
	int (*nparams)(struct sq_stmt *st);
	/* parameters count from 1; an empty blob or text is a value, not NULL */
	int (*bind_int64)(struct sq_stmt *st, int i, int64_t v);
	int (*bind_blob)(struct sq_stmt *st, int i, const void *p, size_t len);
	int (*bind_text)(struct sq_stmt *st, int i, const char *p, size_t len);
	/* 1: a row is ready, 0: done, < 0: an error */
	int (*step)(struct sq_stmt *st);

	/*
	 * The current row's columns, from 0; valid until the next step or
	 * reset.  NULL reads as 0 or as a NULL pointer (SQLite: so may an
	 * empty blob); a BLOB column holding TEXT (as `slices || ?` leaves
	 * it in SQLite) reads as its bytes.
	 */
	int (*ncols)(struct sq_stmt *st);
	int64_t (*col_int64)(struct sq_stmt *st, int col);
	const void *(*col_blob)(struct sq_stmt *st, int col, size_t *len);
	const char *(*col_text)(struct sq_stmt *st, int col, size_t *len);
	bool (*col_null)(struct sq_stmt *st, int col);

	/* ---- the dialect ---- */

	/* the DDL that makes a volume's tables and indexes, IF NOT EXISTS */
	const char *const *schema;
	size_t nschema;
};

/* sqlite.c: sqlite3:// */
extern const struct sq_driver sq_sqlite_driver;

#endif /* JFS_META_SQL_DRIVER_H */
