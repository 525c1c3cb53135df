/*
 * sql.h - the internals shared by the files of the SQL metadata engine
 * (lib/meta/sql/).  The engine keeps a volume in JuiceFS's own SQL table
 * layout (pkg/meta/sql.go: jfs_node, jfs_edge, jfs_chunk, ...), so the
 * real `juicefs` opens the same database and the other way round.  Like
 * JuiceFS's, it is one engine for every SQL database; what differs
 * between them is a driver behind a small seam (driver.h).
 *
 * Files:
 *   volume.c    the engine's core: the connection pool, transactions and
 *               their retries, the statement cache and the sq_query /
 *               sq_exec / sq_row wrappers of the driver, row codecs, ids,
 *               setting/init/statfs, sessions, background upkeep, open /
 *               close and the ops table (meta_sqlite_ops)
 *   ns.c        the namespace: lookup ... readdir, trash hour dirs
 *   data.c      chunks and slices: read/write, compaction, truncate,
 *               fallocate, copy_range, freeing a file's data,
 *               sustained inodes
 *   ext.c       xattrs, ACL rules, flock/plock locks
 *   dump.c      dump's counters, delfiles and quotas; load's raw rows
 *   driver.h    the seam: struct sq_driver, what a database supplies
 *               (connections, statements, columns, transactions, error
 *               classes, the dialect and the schema)
 *   sqlite.c    the SQLite driver: the only file that calls libsqlite3,
 *               and the SQLite schema (juicefs 1.4.2's DDL)
 * The engine files call only this header's sq_* functions and never a
 * database library; their SQL is SQLite's dialect, which a driver for
 * another database rewrites (driver.h lists the constructs used).
 *
 * Transactions.  A writing body runs between the driver's begin(write)
 * and commit on one pooled connection; SQLite's begin(write) is BEGIN
 * IMMEDIATE, which holds the database's write lock for the body, so a
 * body reads, checks and writes with no conflict to retry (JuiceFS's SQL
 * engine gets the same from its row locks).  Another process (a second
 * jfsd, a juicefs client) holding the lock makes BEGIN wait up to the
 * busy timeout; still busy after that, or a conflict mid-body (a locked
 * database; a server's serialization failure or deadlock), is -EAGAIN
 * from the driver and the whole body is run again, like a Redis WATCH
 * conflict.  So bodies must be re-runnable: anything they compute goes
 * to their arg afresh each time.
 *
 * Never start a second transaction (or anything that allocates ids) from
 * inside a body: the pool would hand out another connection, which would
 * wait on the write lock this thread holds.  Ids are allocated before the
 * transaction (sq_next_ino, sq_next_slice), data is freed after it.
 */
#ifndef JFS_META_SQL_H
#define JFS_META_SQL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "util/acl.h"
#include "meta/engine.h"
#include "util/plock.h"

#define SQ_TXN_RETRIES		50
#define SQ_INODE_BATCH		1024	/* as JuiceFS (inodeBatch) */
#define SQ_SLICE_BATCH		4096	/* sliceIdBatch */
#define SQ_SESSION_TTL		60
#define SQ_STMT_CACHE		128	/* prepared statements per connection */

struct sconn {
	const struct sq_driver *drv;
	struct sq_db *db;		/* the driver's connection */
	struct {
		const char *sql;	/* the literal it was prepared from */
		struct sq_stmt *st;
	} stmts[SQ_STMT_CACHE];
	struct sconn *next;		/* in the pool */
};

struct sq_acl {
	uint32_t id;
	struct acl_rule rule;
};

struct smeta {
	struct meta base;
	const struct sq_driver *drv;
	char *path;			/* the driver's target: SQLite's database file */
	bool create;			/* init: the database (file) may be made */

	pthread_mutex_t pool_lock;	/* guards pool */
	struct sconn *pool;

	pthread_mutex_t id_lock;	/* guards the four id fields */
	uint64_t ino_next, ino_max;
	uint64_t slice_next, slice_max;

	/* ACL rules by id (ext.c): rules never change once made */
	pthread_mutex_t acl_lock;
	struct sq_acl *acls;
	size_t nacls, capacls;
};

typedef int (*sq_body)(struct smeta *m, struct sconn *c, void *arg);

/* ---- volume.c: transactions and statements (the driver's wrappers) ---- */

/* A writing transaction (begin(write): BEGIN IMMEDIATE), re-run while busy. */
int sq_txn(struct smeta *m, sq_body body, void *arg);
/* A read-only snapshot (begin(read): BEGIN DEFERRED); the body must not write. */
int sq_read(struct smeta *m, sq_body body, void *arg);

/*
 * sq_query prepares (cached per connection, keyed by the literal's
 * address) and binds a statement.  'types' has one letter per parameter:
 *   'i' int64_t (pass uint64_t/uint32_t values cast to int64_t)
 *   'b' blob: const void *, size_t        't' text: const char *, size_t
 * The statement stays owned by the connection; step it with sq_row, read
 * its row with sq_col_*, and sq_reset it when done with a row early.
 * sq_exec runs one to completion (INSERT/UPDATE/DELETE).
 * Errors (the driver's classes, driver.h): -EAGAIN when the database is
 * busy or locked (the transaction is re-run), -ENOSPC when full, -EEXIST
 * on a UNIQUE/PRIMARY KEY clash, -EIO otherwise; jfs_errmsg() names the
 * database and the driver's message.
 */
int sq_query(struct sconn *c, struct sq_stmt **st, const char *sql, const char *types, ...);
int sq_exec(struct sconn *c, const char *sql, const char *types, ...);
/* sq_query stepped to its first row: 0 with the row ready, -ENOENT if none */
int sq_first(struct sconn *c, struct sq_stmt **st, const char *sql, const char *types, ...);
/* binds parameter i (from 1) of a statement sq_query left unbound */
int sq_bind_int64(struct sq_stmt *st, int i, int64_t v);
/* the number of parameters the statement has */
int sq_nparams(struct sq_stmt *st);
/* 1: a row is ready, 0: done, < 0: an error as above */
int sq_row(struct sconn *c, struct sq_stmt *st);
/* rows the last sq_exec changed */
int sq_changes(struct sconn *c);
/* the id the last INSERT gave an AUTOINCREMENT key */
int64_t sq_last_id(struct sconn *c);
/* a value in the database is not what JuiceFS writes: -EIO, logged */
int sq_bad_value(const char *table, uint64_t key, const char *why);

/*
 * The current row's columns, from 0 (driver.h: valid until the next step
 * or reset; NULL reads as 0 or a NULL pointer, and so may an empty blob).
 * sq_col_int is the low 32 bits (as SQLite's column_int gives them).
 */
static inline int64_t sq_col_int64(struct sq_stmt *st, int col)
{
	return st->drv->col_int64(st, col);
}

static inline int sq_col_int(struct sq_stmt *st, int col)
{
	return (int)st->drv->col_int64(st, col);
}

/* the bytes of a BLOB (or TEXT) column; *len its length, when asked */
static inline const void *sq_col_blob(struct sq_stmt *st, int col, size_t *len)
{
	return st->drv->col_blob(st, col, len);
}

/* the length of a BLOB (or TEXT) column */
static inline size_t sq_col_bytes(struct sq_stmt *st, int col)
{
	size_t len = 0;

	st->drv->col_blob(st, col, &len);
	return len;
}

static inline const char *sq_col_text(struct sq_stmt *st, int col, size_t *len)
{
	return st->drv->col_text(st, col, len);
}

static inline bool sq_col_null(struct sq_stmt *st, int col)
{
	return st->drv->col_null(st, col);
}

static inline int sq_col_count(struct sq_stmt *st)
{
	return st->drv->ncols(st);
}

/* done with the statement's rows (they are gone: read them before) */
static inline void sq_reset(struct sq_stmt *st)
{
	st->drv->reset(st, false);
}

/* ---- volume.c: rows ------------------------------------------------------ */

/*
 * jfs_node columns in this order; sq_node_read decodes them from the
 * statement's columns starting at 'col' (times are stored as JuiceFS
 * does: microseconds in atime/mtime/ctime, the nanoseconds below a
 * microsecond in atimensec/...).
 */
#define SQ_NODE_COLS "inode,type,flags,mode,uid,gid,atime,mtime,ctime," \
	"atimensec,mtimensec,ctimensec,nlink,length,rdev,parent," \
	"access_acl_id,default_acl_id,tier_id"
#define SQ_NODE_NCOLS 19
void sq_node_read(struct sq_stmt *st, int col, struct meta_attr *a);
int sq_get_node(struct sconn *c, uint64_t ino, struct meta_attr *a);	/* -ENOENT */
int sq_insert_node(struct sconn *c, uint64_t ino, const struct meta_attr *a);
int sq_update_node(struct sconn *c, uint64_t ino, const struct meta_attr *a);
int sq_delete_node(struct sconn *c, uint64_t ino);

/* jfs_edge: (parent, name) -> (inode, type) */
int sq_get_edge(struct sconn *c, uint64_t parent, const char *name, size_t len,
		uint8_t *type, uint64_t *ino);				/* -ENOENT */
int sq_insert_edge(struct sconn *c, uint64_t parent, const char *name, size_t len,
		   uint8_t type, uint64_t ino);
int sq_delete_edge(struct sconn *c, uint64_t parent, const char *name, size_t len);

/* the parent dir of a namespace change: -ENOENT, or -ENOTDIR if no dir */
int sq_get_dir(struct sconn *c, uint64_t ino, struct meta_attr *a);

/* the reads of base.c's rules (ACLs, namespace read phases) in c's transaction */
struct sq_tx {
	struct smeta *m;
	struct sconn *c;
	struct meta_acl_io acl;
	struct meta_ns_io ns;
};
void sq_tx_io(struct sq_tx *x, struct smeta *m, struct sconn *c);

/* jfs_counter: absent counts as 0; sq_incr returns the new value */
int sq_get_counter(struct sconn *c, const char *name, int64_t *val);
int sq_incr_counter(struct sconn *c, const char *name, int64_t delta, int64_t *val);

/* jfs_delfile: a file whose data is to be freed (by us, or a later cleanup) */
int sq_add_delfile(struct sconn *c, uint64_t ino, uint64_t length);

/* ---- volume.c: ids (call outside any transaction) ------------------------ */

int sq_next_ino(struct smeta *m, uint64_t *ino);
int sq_next_trash_ino(struct smeta *m, uint64_t *ino);
int sq_next_slice(struct smeta *m, uint64_t *id);

/*
 * Slice references (jfs_chunk_ref; volume.c).  sq_unref_slice drops one
 * reference inside a transaction; *freed when none is left, and then,
 * after the commit, meta_free_slice (base.c) deletes its objects and its
 * row.  A slice whose objects could not go keeps its row for the
 * cleanup-slices job or `juicefs gc`.
 */
int sq_unref_slice(struct sconn *c, uint64_t id, uint32_t size, bool *freed);

/* ---- data.c ----------------------------------------------------- */

/*
 * The records of chunk (ino, indx), decoded into *s after 'front' free
 * slots; no row is no records.  A value that is no list of records is
 * -EIO, or, given 'corrupt', no records.
 */
int sq_load_chunk(struct sconn *c, uint64_t ino, uint32_t indx, size_t front,
		  struct meta_slice **s, size_t *n, bool *corrupt);

/*
 * Frees the data of a file whose last link and last opener went away
 * (outside any transaction): its jfs_chunk rows go, each slice loses a
 * reference in jfs_chunk_ref (a slice with none left has its objects
 * deleted through hooks.delete_slice), and its jfs_delfile row goes.  A
 * failure leaves the delfile row for the background cleanup.
 */
int sq_free_file_data(struct smeta *m, uint64_t ino, uint64_t length);

/* ---- ext.c ------------------------------------------------------ */

/* base.c's acl.get (ctx: an sq_tx): rule @id (non-zero), from the cache or jfs_acl */
int sq_acl_get(void *ctx, uint32_t id, struct acl_rule *rule);
/* the id of @rule: an identical row's or a new one (0 for an empty rule) */
int sq_insert_acl(struct smeta *m, struct sconn *c, const struct acl_rule *rule,
		  uint32_t *id);
/* doMknod under a dir with a default ACL: the child inherits it */
int sq_inherit_acl(struct smeta *m, struct sconn *c, const struct meta_attr *pa,
		   struct meta_attr *t, uint16_t mode);
/* base.c's acl.insert (ctx: an sq_tx), sq_insert_acl */
int sq_acl_insert(void *ctx, const struct acl_rule *rule, uint32_t *id);
/* mergeAttr's chmod of a file with an access ACL: the rule follows */
int sq_chmod_acl(struct smeta *m, struct sconn *c, struct meta_attr *t, uint16_t mode);
void sq_acl_cache_free(struct smeta *m);

/*
 * ---- the engine's operations, by file (meta_ops semantics, meta.h) ----
 * The ops table is in volume.c; each op follows what the Redis engine does
 * for the same op, with the SQL rows in place of the Redis keys.
 */
/* meta_sql_ns.c */
int sqm_lookup(struct meta *m, struct meta_lookup *a);
int sqm_getattr(struct meta *m, struct meta_getattr *a);
int sqm_setattr(struct meta *m, struct meta_setattr *a);
int sqm_mknod(struct meta *m, struct meta_mknod *a);
int sqm_link(struct meta *m, struct meta_link *a);
int sqm_unlink(struct meta *m, struct meta_unlink *a);
int sqm_rename(struct meta *m, struct meta_rename *a);
int sqm_readlink(struct meta *m, struct meta_readlink *a);
int sqm_readdir(struct meta *m, struct meta_readdir *a);

/* data.c */
int sqm_get_parents(struct meta *m, uint64_t ino, struct meta_parents *pa);
int sqm_truncate(struct meta *m, struct meta_truncate *a);
int sqm_fallocate(struct meta *m, struct meta_falloc *a);
int sqm_copy_range(struct meta *m, struct meta_copy *a);
int sqm_read_chunk(struct meta *m, struct meta_chunk *a);
int sqm_write_slice(struct meta *m, struct meta_write *a);
int sqm_compact_chunk(struct meta *m, struct meta_compact *a);
int sqm_delete_chunk(struct meta *m, struct meta_delchunk *a);
int sqm_free_file_data(struct meta *m, uint64_t ino, uint64_t length);
int sqm_release_sustained(struct meta *m, struct meta_sustained *a);

/* ext.c */
int sqm_getxattr(struct meta *m, struct meta_xattr *a);
int sqm_setxattr(struct meta *m, struct meta_xattr *a);
int sqm_listxattr(struct meta *m, struct meta_xattr *a);
int sqm_removexattr(struct meta *m, struct meta_xattr *a);
int sqm_get_facl(struct meta *m, struct meta_facl *a);
int sqm_set_facl(struct meta *m, struct meta_facl *a);
int sqm_getlk(struct meta *m, struct meta_lock *a);
int sqm_setlk(struct meta *m, struct meta_lock *a);
int sqm_flock(struct meta *m, struct meta_lock *a);

/* check.c */
int sqm_scan(struct meta *m, const struct meta_scan *a);
int sqm_get_dir_stat(struct meta *m, struct meta_dirstat *st, bool *have);
int sqm_repair_dir(struct meta *m, struct meta_repair *a);
int sqm_set_volume_stat(struct meta *m, const struct meta_volstat *a);

/* dump.c */
int sqm_dump_info(struct meta *m, struct meta_dump_info *a);
int sqm_load_check(struct meta *m);
int sqm_load_records(struct meta *m, const struct meta_rec *r, size_t n);
int sqm_load_reset(struct meta *m);

/* ---- small things every file uses --------------------------------------- */

#endif /* JFS_META_SQL_H */
