/*
 * sqlite.c - the SQL engine's SQLite driver (sqlite3:// urls): the only
 * file of the engine that calls libsqlite3.  driver.h defines the seam;
 * this is its first implementation and the model for the next ones.
 *
 * What a driver supplies (struct sq_driver, driver.h):
 *   - the url: parse it into what its open() takes, and say whether a
 *     volume can be there at all (probe) before a connection is tried;
 *   - connections: open (with the session settings the engine relies
 *     on: here WAL and a busy timeout), close, exec of plain SQL,
 *     begin(write)/commit/rollback, rows changed, the last insert id,
 *     whether a table exists, and idle (nothing half-stepped when a
 *     connection goes back to the pool);
 *   - statements: prepare/finalize/reset, binding int64, blob and text
 *     parameters (the engine's 'i'/'b'/'t'), step, and the columns of a
 *     row as int64, blob or text with its length, or NULL;
 *   - errors: every failure classified into the errno driver.h lists
 *     (-EAGAIN for what the engine should retry: here SQLITE_BUSY and
 *     SQLITE_LOCKED; a server's serialization failures and deadlocks),
 *     with the error record set to a message naming the database;
 *   - the dialect: the schema as juicefs creates it in that database,
 *     and, for a database that does not speak SQLite's SQL, rewrite()
 *     (driver.h lists the constructs the engine uses).  SQLite needs no
 *     rewrite: the engine's statements are written in its dialect.
 * A new driver is a file like this one with its own table, and a meta_ops
 * entry whose open passes it to sq_open (volume.c).
 *
 * The database runs in WAL mode with a busy timeout, so several jfsd
 * processes (and juicefs clients) on one host can share it: readers never
 * wait, writers queue on SQLite's write lock, which BEGIN IMMEDIATE takes
 * for a writing body's whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "driver.h"
#include "util/err.h"

#define LITE_BUSY_TIMEOUT_MS	5000	/* JuiceFS's sqlite3 default (_busy_timeout) */

struct lite_stmt {
	struct sq_stmt base;
	sqlite3_stmt *st;
};

#define LST(s) (((struct lite_stmt *)(s))->st)
#define LDB(d) ((sqlite3 *)(d))

/*
 * The tables as juicefs 1.4.2 creates them in SQLite (xorm's DDL, as
 * `sqlite3 FILE .schema` shows them), so a file we format is the file
 * juicefs would have made.  Another database's driver has its own: the
 * DDL xorm makes there (types, AUTO_INCREMENT / SERIAL, index syntax).
 */
static const char *const lite_schema[] = {
	"CREATE TABLE IF NOT EXISTS `jfs_setting` (`name` TEXT PRIMARY KEY NOT NULL, "
	"`value` TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_counter` (`name` TEXT PRIMARY KEY NOT NULL, "
	"`value` INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_edge` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`parent` INTEGER NOT NULL, `name` BLOB NOT NULL, `inode` INTEGER NOT NULL, "
	"`type` INTEGER NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_edge_edge` ON `jfs_edge` (`parent`,`name`)",
	"CREATE INDEX IF NOT EXISTS `IDX_jfs_edge_inode` ON `jfs_edge` (`inode`)",
	"CREATE TABLE IF NOT EXISTS `jfs_node` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`type` INTEGER NOT NULL, `flags` INTEGER NOT NULL, `mode` INTEGER NOT NULL, "
	"`uid` INTEGER NOT NULL, `gid` INTEGER NOT NULL, `atime` INTEGER NOT NULL, "
	"`mtime` INTEGER NOT NULL, `ctime` INTEGER NOT NULL, "
	"`atimensec` INTEGER DEFAULT 0 NOT NULL, `mtimensec` INTEGER DEFAULT 0 NOT NULL, "
	"`ctimensec` INTEGER DEFAULT 0 NOT NULL, `nlink` INTEGER NOT NULL, "
	"`length` INTEGER NOT NULL, `rdev` INTEGER NULL, `parent` INTEGER NULL, "
	"`access_acl_id` INTEGER NULL, `default_acl_id` INTEGER NULL, "
	"`tier_id` INTEGER NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_symlink` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`target` BLOB NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_xattr` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`inode` INTEGER NOT NULL, `name` TEXT NOT NULL, `value` BLOB NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_xattr_name` ON `jfs_xattr` (`inode`,`name`)",
	"CREATE TABLE IF NOT EXISTS `jfs_chunk` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`inode` INTEGER NOT NULL, `indx` INTEGER NOT NULL, `slices` BLOB NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_chunk_chunk` ON `jfs_chunk` (`inode`,`indx`)",
	"CREATE TABLE IF NOT EXISTS `jfs_chunk_ref` (`chunkid` INTEGER PRIMARY KEY NOT NULL, "
	"`size` INTEGER NOT NULL, `refs` INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS `IDX_jfs_chunk_ref_refs` ON `jfs_chunk_ref` (`refs`)",
	"CREATE TABLE IF NOT EXISTS `jfs_delslices` (`chunkid` INTEGER PRIMARY KEY NOT NULL, "
	"`deleted` INTEGER NOT NULL, `slices` BLOB NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_session2` (`sid` INTEGER PRIMARY KEY NOT NULL, "
	"`expire` INTEGER NOT NULL, `info` BLOB NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_sustained` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`sid` INTEGER NOT NULL, `inode` INTEGER NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_sustained_sustained` ON `jfs_sustained` (`sid`,`inode`)",
	"CREATE TABLE IF NOT EXISTS `jfs_delfile` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`length` INTEGER NOT NULL, `expire` INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_flock` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`inode` INTEGER NOT NULL, `sid` INTEGER NOT NULL, `owner` INTEGER NOT NULL, "
	"`ltype` INTEGER NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_flock_flock` ON `jfs_flock` (`inode`,`sid`,`owner`)",
	"CREATE TABLE IF NOT EXISTS `jfs_plock` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`inode` INTEGER NOT NULL, `sid` INTEGER NOT NULL, `owner` INTEGER NOT NULL, "
	"`records` BLOB NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_jfs_plock_plock` ON `jfs_plock` (`inode`,`sid`,`owner`)",
	"CREATE TABLE IF NOT EXISTS `jfs_dir_quota` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`max_space` INTEGER NOT NULL, `max_inodes` INTEGER NOT NULL, "
	"`used_space` INTEGER NOT NULL, `used_inodes` INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_user_group_quota` (`qtype` INTEGER NOT NULL, "
	"`qkey` INTEGER NOT NULL, `max_space` INTEGER NOT NULL, "
	"`max_inodes` INTEGER NOT NULL, `used_space` INTEGER NOT NULL, "
	"`used_inodes` INTEGER NOT NULL, PRIMARY KEY ( `qtype`,`qkey` ))",
	"CREATE TABLE IF NOT EXISTS `jfs_dir_stats` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`data_length` INTEGER NOT NULL, `used_space` INTEGER NOT NULL, "
	"`used_inodes` INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_detached_node` (`inode` INTEGER PRIMARY KEY NOT NULL, "
	"`added` INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_acl` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`owner` INTEGER NULL, `group` INTEGER NULL, `mask` INTEGER NULL, "
	"`other` INTEGER NULL, `named_users` BLOB NULL, `named_groups` BLOB NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_delegation_token` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`token` BLOB NULL)",
	"CREATE TABLE IF NOT EXISTS `jfs_change_log` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
	"`entry` TEXT NOT NULL)",
};

/* ---- errors ------------------------------------------------------------ */

/* a SQLite result code -> the errno driver.h lists, with the error record */
static int lite_error(sqlite3 *db, int rc, const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		jfs_seterr("meta", "sqlite3 %s: database busy (%s)", file ? file : "?", what);
		return -EAGAIN;
	case SQLITE_FULL:
		jfs_seterr("meta", "sqlite3 %s: %s: %s", file ? file : "?", what, msg);
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		jfs_seterr("meta", "sqlite3 %s: %s: %s", file ? file : "?", what, msg);
		return -EEXIST;
	case SQLITE_NOMEM:
		jfs_seterr("meta", "out of memory");
		return -ENOMEM;
	case SQLITE_READONLY:
		jfs_seterr("meta", "sqlite3 %s: %s: %s", file ? file : "?", what, msg);
		return -EROFS;
	default:
		jfs_seterr("meta", "sqlite3 %s: %s: %s", file ? file : "?", what, msg);
		return -EIO;
	}
}

/* ---- the url ------------------------------------------------------------ */

static int url_fail(const char *url, const char *why)
{
	jfs_seterr("meta", "invalid sqlite3 url '%s': %s", url, why);
	return -EINVAL;
}

/*
 * sqlite3:///abs/path.db or sqlite3://rel/path.db (relative to the cwd,
 * as juicefs takes it); a query (JuiceFS's driver options such as
 * ?_busy_timeout=..) is accepted and left to our own defaults.  The path,
 * if it exists, must be a regular file.
 */
static int lite_parse_url(const char *url, char **target)
{
	const char *p = url + strlen("sqlite3://"), *q;
	struct stat stb;
	char *path, *d;

	*target = NULL;
	if (strncmp(url, "sqlite3://", strlen("sqlite3://")))
		return url_fail(url, "not a sqlite3:// url");
	q = strchr(p, '?');
	if (!q)
		q = p + strlen(p);
	if (q == p)
		return url_fail(url, "no database file");
	path = strndup(p, (size_t)(q - p));
	if (!path)
		return -ENOMEM;
	/* %XX escapes, as in any URL path */
	d = curl_easy_unescape(NULL, path, 0, NULL);
	free(path);
	if (!d)
		return -ENOMEM;
	path = strdup(d);
	curl_free(d);
	if (!path)
		return -ENOMEM;
	if (path[strlen(path) - 1] == '/') {
		free(path);
		return url_fail(url, "the path names a directory");
	}
	if (!stat(path, &stb) && !S_ISREG(stb.st_mode)) {
		jfs_seterr("meta", "sqlite3 %s: not a regular file", path);
		free(path);
		return -EINVAL;
	}
	*target = path;
	return 0;
}

static int lite_probe(const char *path)
{
	if (!access(path, F_OK))
		return 0;
	jfs_seterr("meta", "sqlite3 %s: no such database file", path);
	return -ENOENT;
}

/* ---- connections --------------------------------------------------------- */

static int lite_exec(struct sq_db *db, const char *sql)
{
	int rc = sqlite3_exec(LDB(db), sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : lite_error(LDB(db), rc, sql);
}

static void lite_close(struct sq_db *db)
{
	sqlite3_close_v2(LDB(db));
}

static int lite_open(const char *path, bool create, struct sq_db **dbp)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	int rc, ret;

	if (create) {
		int fd;

		/*
		 * Made 0600 here, not by sqlite (0644 less the umask): the file
		 * is the whole namespace.  Its -wal and -shm take its mode.
		 */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		flags |= SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		jfs_seterr("meta", "sqlite3 %s: cannot open: %s", path,
				db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
	}
	sqlite3_busy_timeout(db, LITE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db, 0);
	/* WAL: readers do not block the writer nor it them (persists in the file) */
	ret = lite_exec((struct sq_db *)db, "PRAGMA journal_mode=WAL");
	if (ret == -EAGAIN)	/* another process is switching it right now */
		ret = 0;
	if (ret) {
		sqlite3_close_v2(db);
		return ret;
	}
	*dbp = (struct sq_db *)db;
	return 0;
}

/*
 * A writer takes the write lock at BEGIN (waiting up to the busy
 * timeout), so its body reads, checks and writes with no conflict to
 * retry; a reader's deferred BEGIN reads one snapshot.
 */
static int lite_begin(struct sq_db *db, bool write)
{
	return lite_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int lite_commit(struct sq_db *db)
{
	return lite_exec(db, "COMMIT");
}

static void lite_rollback(struct sq_db *db)
{
	sqlite3_exec(LDB(db), "ROLLBACK", NULL, NULL, NULL);
}

static void lite_idle(struct sq_db *db)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(LDB(db), st)))
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

static int64_t lite_changes(struct sq_db *db)
{
	return sqlite3_changes(LDB(db));
}

static int64_t lite_last_id(struct sq_db *db)
{
	return sqlite3_last_insert_rowid(LDB(db));
}

static bool lite_has_table(struct sq_db *db, const char *table)
{
	return !sqlite3_table_column_metadata(LDB(db), NULL, table, NULL, NULL, NULL,
					      NULL, NULL, NULL);
}

/* ---- statements ---------------------------------------------------------- */

static int lite_prepare(struct sq_db *db, const char *sql, struct sq_stmt **stp)
{
	struct lite_stmt *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		jfs_seterr("meta", "out of memory");
		return -ENOMEM;
	}
	rc = sqlite3_prepare_v3(LDB(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return lite_error(LDB(db), rc, sql);
	}
	s->base.drv = &sq_sqlite_driver;
	*stp = &s->base;
	return 0;
}

static void lite_finalize(struct sq_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(LST(st));
	free(st);
}

static void lite_reset(struct sq_stmt *st, bool unbind)
{
	sqlite3_reset(LST(st));
	if (unbind)
		sqlite3_clear_bindings(LST(st));
}

static int lite_nparams(struct sq_stmt *st)
{
	return sqlite3_bind_parameter_count(LST(st));
}

static int lite_bound(struct sq_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : lite_error(sqlite3_db_handle(LST(st)), rc, "bind");
}

static int lite_bind_int64(struct sq_stmt *st, int i, int64_t v)
{
	return lite_bound(st, sqlite3_bind_int64(LST(st), i, v));
}

static int lite_bind_blob(struct sq_stmt *st, int i, const void *p, size_t len)
{
	/* an empty blob is a value, not NULL (NOT NULL columns) */
	return lite_bound(st, sqlite3_bind_blob64(LST(st), i, p ? p : "", len,
						  SQLITE_TRANSIENT));
}

static int lite_bind_text(struct sq_stmt *st, int i, const char *p, size_t len)
{
	return lite_bound(st, sqlite3_bind_text64(LST(st), i, p ? p : "", len,
						  SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int lite_step(struct sq_stmt *st)
{
	int rc = sqlite3_step(LST(st));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return lite_error(sqlite3_db_handle(LST(st)), rc, sqlite3_sql(LST(st)));
}

static int lite_ncols(struct sq_stmt *st)
{
	return sqlite3_column_count(LST(st));
}

static int64_t lite_col_int64(struct sq_stmt *st, int col)
{
	return sqlite3_column_int64(LST(st), col);
}

/* blob first, then its length: SQLite's order (a TEXT value reads as its bytes) */
static const void *lite_col_blob(struct sq_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(LST(st), col);

	if (len)
		*len = (size_t)sqlite3_column_bytes(LST(st), col);
	return p;
}

static const char *lite_col_text(struct sq_stmt *st, int col, size_t *len)
{
	const char *p = (const char *)sqlite3_column_text(LST(st), col);

	if (len)
		*len = (size_t)sqlite3_column_bytes(LST(st), col);
	return p;
}

static bool lite_col_null(struct sq_stmt *st, int col)
{
	return sqlite3_column_type(LST(st), col) == SQLITE_NULL;
}

const struct sq_driver sq_sqlite_driver = {
	.name = "sqlite3",
	.parse_url = lite_parse_url,
	.probe = lite_probe,
	.open = lite_open,
	.close = lite_close,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.idle = lite_idle,
	.changes = lite_changes,
	.last_id = lite_last_id,
	.has_table = lite_has_table,
	.rewrite = NULL,	/* the engine's SQL is SQLite's */
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.nparams = lite_nparams,
	.bind_int64 = lite_bind_int64,
	.bind_blob = lite_bind_blob,
	.bind_text = lite_bind_text,
	.step = lite_step,
	.ncols = lite_ncols,
	.col_int64 = lite_col_int64,
	.col_blob = lite_col_blob,
	.col_text = lite_col_text,
	.col_null = lite_col_null,
	.schema = lite_schema,
	.nschema = sizeof(lite_schema) / sizeof(lite_schema[0]),
};
