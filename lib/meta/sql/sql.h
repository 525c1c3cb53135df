/*
 * meta_sql.h - the internals shared by the files of the SQLite metadata
 * engine (meta_sql*.c).  The engine keeps a volume in JuiceFS's own SQL
 * table layout (pkg/meta/sql.go: jfs_node, jfs_edge, jfs_chunk, ...), so
 * the real `juicefs` opens the same database file and the other way round.
 *
 * Files:
 *   meta_sql.c       connections, transactions, schema, row codecs, ids,
 *                    setting/init/statfs, sessions, background upkeep
 *   meta_sql_ns.c    the namespace: lookup ... readdir, trash hour dirs
 *   meta_sql_data.c  chunks and slices: read/write, compaction, truncate,
 *                    fallocate, copy_range, freeing a file's data,
 *                    sustained inodes
 *   meta_sql_ext.c   xattrs, ACL rules, flock/plock locks
 *
 * Transactions.  A body runs inside BEGIN IMMEDIATE ... COMMIT on one
 * pooled connection: SQLite then holds the database's write lock for the
 * body, so a body reads, checks and writes with no conflict to retry
 * (JuiceFS's SQL engine gets the same from its row locks).  Another
 * process (a second jfsd, a juicefs client) holding the lock makes BEGIN
 * wait up to the busy timeout; SQLITE_BUSY after that, or a locked
 * database mid-body, is -EAGAIN from the helpers and the whole body is
 * run again, like a Redis WATCH conflict.  So bodies must be re-runnable:
 * anything they compute goes to their arg afresh each time.
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

#include <sqlite3.h>

#include "util/acl.h"
#include "meta/engine.h"
#include "util/plock.h"

#define SQ_BUSY_TIMEOUT_MS	5000	/* JuiceFS's sqlite3 default (_busy_timeout) */
#define SQ_TXN_RETRIES		50
#define SQ_INODE_BATCH		1024	/* as JuiceFS (inodeBatch) */
#define SQ_SLICE_BATCH		4096	/* sliceIdBatch */
#define SQ_SESSION_TTL		60
#define SQ_STMT_CACHE		128	/* prepared statements per connection */

struct sconn {
	sqlite3 *db;
	struct {
		const char *sql;	/* the literal it was prepared from */
		sqlite3_stmt *st;
	} stmts[SQ_STMT_CACHE];
	struct sconn *next;		/* in the pool */
};

struct sq_acl {
	uint32_t id;
	struct acl_rule rule;
};

struct smeta {
	struct meta base;
	char *path;			/* the database file */
	bool create;			/* init: the file may be made */

	pthread_mutex_t pool_lock;	/* guards pool */
	struct sconn *pool;

	pthread_mutex_t id_lock;	/* guards the four id fields */
	uint64_t ino_next, ino_max;
	uint64_t slice_next, slice_max;

	/* ACL rules by id (meta_sql_ext.c): rules never change once made */
	pthread_mutex_t acl_lock;
	struct sq_acl *acls;
	size_t nacls, capacls;
};

typedef int (*sq_body)(struct smeta *m, struct sconn *c, void *arg);

/* ---- meta_sql.c: transactions and statements ---------------------------- */

/* A writing transaction (BEGIN IMMEDIATE), re-run while it is busy. */
int sq_txn(struct smeta *m, sq_body body, void *arg);
/* A read-only snapshot (BEGIN DEFERRED); the body must not write. */
int sq_read(struct smeta *m, sq_body body, void *arg);

/*
 * sq_query prepares (cached per connection, keyed by the literal's
 * address) and binds a statement.  'types' has one letter per parameter:
 *   'i' int64_t (pass uint64_t/uint32_t values cast to int64_t)
 *   'b' blob: const void *, size_t        't' text: const char *, size_t
 * The statement stays owned by the connection; step it with sq_row.
 * sq_exec runs one to completion (INSERT/UPDATE/DELETE).
 * Errors: -EAGAIN when the database is busy or locked (the transaction is
 * re-run), -ENOSPC when full, -EEXIST on a UNIQUE/PRIMARY KEY clash,
 * -EIO otherwise; jfs_errmsg() names the database and SQLite's message.
 */
int sq_query(struct sconn *c, sqlite3_stmt **st, const char *sql, const char *types, ...);
int sq_exec(struct sconn *c, const char *sql, const char *types, ...);
/* 1: a row is ready, 0: done, < 0: an error as above */
int sq_row(struct sconn *c, sqlite3_stmt *st);
/* rows the last sq_exec changed */
int sq_changes(struct sconn *c);
/* maps a SQLite result code to the errno above and sets the error record */
int sq_error(struct sconn *c, int rc, const char *what);
/* a value in the database is not what JuiceFS writes: -EIO, logged */
int sq_bad_value(const char *table, uint64_t key, const char *why);

/* ---- meta_sql.c: rows ------------------------------------------------------ */

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
void sq_node_read(sqlite3_stmt *st, int col, struct meta_attr *a);
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

/* jfs_counter: absent counts as 0; sq_incr returns the new value */
int sq_get_counter(struct sconn *c, const char *name, int64_t *val);
int sq_incr_counter(struct sconn *c, const char *name, int64_t delta, int64_t *val);

/* jfs_delfile: a file whose data is to be freed (by us, or a later cleanup) */
int sq_add_delfile(struct sconn *c, uint64_t ino, uint64_t length);

/* ---- meta_sql.c: ids (call outside any transaction) ---------------------- */

int sq_next_ino(struct smeta *m, uint64_t *ino);
int sq_next_trash_ino(struct smeta *m, uint64_t *ino);
int sq_next_slice(struct smeta *m, uint64_t *id);

/*
 * Slice references (jfs_chunk_ref; meta_sql.c).  sq_unref_slice drops one
 * reference inside a transaction; *freed when none is left, and then,
 * after the commit, sq_delete_slice deletes its objects (hooks) and its
 * row (*gone, when asked).  A slice whose objects could not go keeps its
 * row for the cleanup-slices job or `juicefs gc`.
 */
int sq_unref_slice(struct sconn *c, uint64_t id, uint32_t size, bool *freed);
int sq_delete_slice(struct smeta *m, uint64_t id, uint32_t size, bool *gone);

/* ---- meta_sql_data.c ----------------------------------------------------- */

/*
 * Frees the data of a file whose last link and last opener went away
 * (outside any transaction): its jfs_chunk rows go, each slice loses a
 * reference in jfs_chunk_ref (a slice with none left has its objects
 * deleted through hooks.delete_slice), and its jfs_delfile row goes.  A
 * failure leaves the delfile row for the background cleanup.
 */
int sq_free_file_data(struct smeta *m, uint64_t ino, uint64_t length);

/* ---- meta_sql_ext.c ------------------------------------------------------ */

/* rule @id (non-zero), from the cache or jfs_acl; the caller frees it */
int sq_get_acl(struct smeta *m, struct sconn *c, uint32_t id, struct acl_rule *rule);
/* the id of @rule: an identical row's or a new one (0 for an empty rule) */
int sq_insert_acl(struct smeta *m, struct sconn *c, const struct acl_rule *rule,
		  uint32_t *id);
/* doMknod under a dir with a default ACL: the child inherits it */
int sq_inherit_acl(struct smeta *m, struct sconn *c, const struct meta_attr *pa,
		   struct meta_attr *t, uint16_t mode);
/* mergeAttr's chmod of a file with an access ACL: the rule follows */
int sq_chmod_acl(struct smeta *m, struct sconn *c, struct meta_attr *t, uint16_t mode);
void sq_acl_cache_free(struct smeta *m);

/*
 * ---- the engine's operations, by file (meta_ops semantics, meta.h) ----
 * The ops table is in meta_sql.c; each op follows what meta_redis.c does
 * for the same op, with the SQL rows in place of the Redis keys.
 */
/* meta_sql_ns.c */
int sqm_lookup(struct meta *m, uint64_t parent, const char *name, size_t len,
	       uint64_t *ino, struct meta_attr *attr);
int sqm_getattr(struct meta *m, uint64_t ino, struct meta_attr *attr);
int sqm_setattr(struct meta *m, uint64_t ino, unsigned int set,
		const struct meta_attr *in, struct meta_attr *out);
int sqm_mknod(struct meta *m, uint64_t parent, const char *name, size_t len,
	      uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid,
	      uint32_t rdev, const char *target, size_t targetlen,
	      uint64_t *ino, struct meta_attr *attr);
int sqm_new_trash_dir(struct meta *m, const char *name, uint64_t *ino);
int sqm_link(struct meta *m, uint64_t ino, uint64_t newparent,
	     const char *name, size_t len, struct meta_attr *attr);
int sqm_unlink(struct meta *m, uint64_t parent, const char *name, size_t len);
int sqm_rmdir(struct meta *m, uint64_t parent, const char *name, size_t len);
int sqm_rename(struct meta *m, uint64_t psrc, const char *nsrc, size_t lsrc,
	       uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags);
int sqm_readlink(struct meta *m, uint64_t ino, char **target, size_t *len);
int sqm_readdir(struct meta *m, uint64_t ino, bool plus,
		struct meta_dirent **ents, size_t *n);

/* meta_sql_data.c */
int sqm_truncate(struct meta *m, uint64_t ino, uint64_t length, struct meta_attr *attr);
int sqm_fallocate(struct meta *m, uint64_t ino, unsigned int mode,
		  uint64_t off, uint64_t len, struct meta_attr *attr);
int sqm_copy_range(struct meta *m, uint64_t fin, uint64_t offin, uint64_t fout,
		   uint64_t offout, uint64_t len, uint64_t *copied, struct meta_attr *attr);
int sqm_read_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		   struct meta_slice **slices, size_t *n);
int sqm_write_slice(struct meta *m, uint64_t ino, uint32_t indx,
		    const struct meta_slice *s, const struct timespec *mtime,
		    struct meta_attr *attr, size_t *nrec);
int sqm_compact_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		      const struct meta_slice *old, size_t n, size_t skip,
		      const struct meta_slice *s);
int sqm_release_sustained(struct meta *m, uint64_t ino);
/* the sustained inode's data, for close_session: sid's row goes too */
int sq_release_sustained_sid(struct smeta *m, uint64_t sid, uint64_t ino);

/* meta_sql_ext.c */
int sqm_getxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		 char **value, size_t *vlen);
int sqm_setxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		 const void *value, size_t vlen, unsigned int flags);
int sqm_listxattr(struct meta *m, uint64_t ino, char **names, size_t *len);
int sqm_removexattr(struct meta *m, uint64_t ino, const char *name, size_t len);
int sqm_get_facl(struct meta *m, uint64_t ino, int type, struct acl_rule *rule);
int sqm_set_facl(struct meta *m, uint64_t ino, int type, const struct acl_rule *rule,
		 bool kill_sgid, struct meta_attr *attr);
int sqm_getlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	      uint64_t start, uint64_t end, struct plock *out);
int sqm_setlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	      uint64_t start, uint64_t end, uint32_t pid);
int sqm_flock(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type);

/* ---- small things every file uses --------------------------------------- */

#endif /* JFS_META_SQL_H */
