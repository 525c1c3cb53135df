/*
 * volume.c - the SQL metadata engine's core: the connection pool,
 * transactions, the statement cache and the wrappers of the driver
 * (sq_query, sq_exec, sq_row, ...), row codecs, ids, and the volume-wide
 * operations (setting, sessions, statfs, background upkeep).  The
 * namespace, data and xattr/ACL/lock operations are in ns.c, data.c and
 * ext.c; sql.h says how the files share the work, driver.h what a
 * database's driver supplies (sqlite.c: SQLite's).
 *
 * The layout is JuiceFS's SQL one (pkg/meta/sql.go) as `juicefs format
 * sqlite3://...` creates it, so either client opens the other's file.
 * Nothing here calls a database library: the driver connects, prepares,
 * steps, classifies errors and holds the schema's DDL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql.h"

/* ---- types --------------------------------------------------------- */

extern const struct meta_ops meta_sqlite_ops;

/* ---- static state --------------------------------------------------- */

/* per-thread seed of the busy backoff */
static __thread unsigned int sq_seed;

/* counters a new volume starts with (sql.go Init) */
static const struct {
	const char *name;
	int64_t value;
} sq_counters[] = {
	{ "nextInode", 2 },	/* the next free one: 1 is the root */
	{ "nextChunk", 1 },
	{ "nextSession", 0 },
	{ "usedSpace", 0 },
	{ "totalInodes", 0 },
	{ "nextCleanupSlices", 0 },
};

/* ---- helpers: errors ------------------------------------------------- */

/* the driver classifies its own errors (driver.h); this is the engine's */
int sq_bad_value(const char *table, uint64_t key, const char *why)
{
	jfs_seterr("meta", "sqlite3: %s row %" PRIu64 ": %s", table, key, why);
	return -EIO;
}

/* ---- helpers: connections -------------------------------------------- */

static void conn_free(struct sconn *c)
{
	int i;

	for (i = 0; i < SQ_STMT_CACHE; i++)
		if (c->stmts[i].st)
			c->drv->finalize(c->stmts[i].st);
	if (c->db)
		c->drv->close(c->db);
	free(c);
}

static int conn_open(struct smeta *m, bool create, struct sconn **cp)
{
	struct sconn *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->drv = m->drv;
	ret = c->drv->open(m->path, create, &c->db);
	if (ret) {
		free(c);
		return ret;
	}
	*cp = c;
	return 0;
}

static int conn_get(struct smeta *m, struct sconn **cp)
{
	pthread_mutex_lock(&m->pool_lock);
	*cp = m->pool;
	if (*cp)
		m->pool = (*cp)->next;
	pthread_mutex_unlock(&m->pool_lock);
	if (*cp)
		return 0;
	return conn_open(m, m->create, cp);
}

/* leaves no statement of the connection half-stepped for its next user */
static void conn_put(struct smeta *m, struct sconn *c)
{
	c->drv->idle(c->db);
	pthread_mutex_lock(&m->pool_lock);
	c->next = m->pool;
	m->pool = c;
	pthread_mutex_unlock(&m->pool_lock);
}

/* ---- helpers: statements --------------------------------------------- */

static struct sq_stmt **stmt_slot(struct sconn *c, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % SQ_STMT_CACHE, i;

	for (i = 0; i < SQ_STMT_CACHE; i++) {
		size_t k = (h + i) % SQ_STMT_CACHE;

		if (!c->stmts[k].sql || c->stmts[k].sql == sql) {
			c->stmts[k].sql = sql;
			return &c->stmts[k].st;
		}
	}
	return NULL;	/* full: the statement is prepared for this use only */
}

static int bindv(struct sconn *c, struct sq_stmt *st, const char *types, va_list ap)
{
	const struct sq_driver *d = c->drv;
	const void *p;
	size_t len;
	int i, ret = 0;

	for (i = 0; types[i] && !ret; i++) {
		switch (types[i]) {
		case 'i':
			ret = d->bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			ret = d->bind_blob(st, i + 1, p, len);
			break;
		case 't':
			p = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			ret = d->bind_text(st, i + 1, p, len);
			break;
		default:
			jfs_seterr("meta", "%s: bad parameter type '%c'", d->name, types[i]);
			return -EINVAL;
		}
	}
	return ret;
}

/* the driver's statement for the literal sql: cached, or prepared now */
static int prepare(struct sconn *c, const char *sql, struct sq_stmt **stp)
{
	char *text = NULL;
	int ret;

	if (c->drv->rewrite) {
		text = c->drv->rewrite(sql);
		if (!text) {
			jfs_seterr("meta", "out of memory");
			return -ENOMEM;
		}
	}
	ret = c->drv->prepare(c->db, text ? text : sql, stp);
	free(text);
	return ret;
}

static int vquery(struct sconn *c, struct sq_stmt **stp, const char *sql,
		  const char *types, va_list ap)
{
	struct sq_stmt **slot = stmt_slot(c, sql), *st;
	int ret;

	/* a statement: one call into SQLite, one round trip to a server */
	meta_io_count(1, 1);
	st = slot ? *slot : NULL;
	if (!st) {
		ret = prepare(c, sql, &st);
		if (ret)
			return ret;
		if (slot)
			*slot = st;
	} else {
		c->drv->reset(st, true);
	}
	*stp = st;
	return bindv(c, st, types, ap);
}

int sq_query(struct sconn *c, struct sq_stmt **st, const char *sql, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vquery(c, st, sql, types, ap);
	va_end(ap);
	return ret;
}

int sq_first(struct sconn *c, struct sq_stmt **st, const char *sql, const char *types, ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vquery(c, st, sql, types, ap);
	va_end(ap);
	if (!ret)
		ret = sq_row(c, *st);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENOENT;
}

int sq_bind_int64(struct sq_stmt *st, int i, int64_t v)
{
	return st->drv->bind_int64(st, i, v);
}

int sq_nparams(struct sq_stmt *st)
{
	return st->drv->nparams(st);
}

int sq_row(struct sconn *c, struct sq_stmt *st)
{
	return c->drv->step(st);
}

int sq_exec(struct sconn *c, const char *sql, const char *types, ...)
{
	struct sq_stmt *st = NULL;
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = vquery(c, &st, sql, types, ap);
	va_end(ap);
	if (!ret)
		ret = sq_row(c, st);
	if (ret > 0)
		ret = 0;	/* a statement that returns rows: the first is enough */
	if (st)
		c->drv->reset(st, false);
	return ret;
}

int sq_changes(struct sconn *c)
{
	return (int)c->drv->changes(c->db);
}

int64_t sq_last_id(struct sconn *c)
{
	return c->drv->last_id(c->db);
}

/* ---- helpers: transactions ------------------------------------------- */

static void backoff(int tries)
{
	if (!sq_seed)
		sq_seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)&sq_seed;
	usleep((useconds_t)(rand_r(&sq_seed) % (tries * tries + 1)) * 1000 + 1000);
}

static int run(struct smeta *m, bool write, sq_body body, void *arg)
{
	struct sconn *c;
	int ret, tries = 0;

	ret = conn_get(m, &c);
	if (ret)
		return ret;
	for (;;) {
		ret = c->drv->begin(c->db, write);
		if (!ret) {
			ret = body(m, c, arg);
			if (!ret)
				ret = c->drv->commit(c->db);
			if (ret)
				c->drv->rollback(c->db);
		}
		if (ret != -EAGAIN)
			break;
		if (++tries >= SQ_TXN_RETRIES) {
			jfs_seterr("meta", "%s %s: database stayed busy through %d tries",
					m->drv->name, m->path, tries);
			ret = -EIO;
			break;
		}
		backoff(tries);
	}
	conn_put(m, c);
	return ret;
}

int sq_txn(struct smeta *m, sq_body body, void *arg)
{
	return run(m, true, body, arg);
}

int sq_read(struct smeta *m, sq_body body, void *arg)
{
	return run(m, false, body, arg);
}

/* ---- rows -------------------------------------------------------------- */

/* JuiceFS keeps microseconds, and the nanoseconds below one apart */
static void time_decode(int64_t us, int64_t ns, int64_t *sec, uint32_t *nsec)
{
	int64_t rem = us % 1000000;

	if (rem < 0)
		rem += 1000000;
	*sec = (us - rem) / 1000000;
	*nsec = (uint32_t)(rem * 1000 + (ns >= 0 && ns < 1000 ? ns : 0));
}

static int64_t time_us(int64_t sec, uint32_t nsec)
{
	return sec * 1000000 + nsec / 1000;
}

void sq_node_read(struct sq_stmt *st, int col, struct meta_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)sq_col_int(st, col + 1);
	a->flags = (uint8_t)sq_col_int(st, col + 2);
	a->mode = (uint16_t)(sq_col_int(st, col + 3) & 07777);
	a->uid = (uint32_t)sq_col_int64(st, col + 4);
	a->gid = (uint32_t)sq_col_int64(st, col + 5);
	time_decode(sq_col_int64(st, col + 6), sq_col_int64(st, col + 9),
		    &a->atime, &a->atimensec);
	time_decode(sq_col_int64(st, col + 7), sq_col_int64(st, col + 10),
		    &a->mtime, &a->mtimensec);
	time_decode(sq_col_int64(st, col + 8), sq_col_int64(st, col + 11),
		    &a->ctime, &a->ctimensec);
	a->nlink = (uint32_t)sq_col_int64(st, col + 12);
	a->length = (uint64_t)sq_col_int64(st, col + 13);
	a->rdev = (uint32_t)sq_col_int64(st, col + 14);
	a->parent = (uint64_t)sq_col_int64(st, col + 15);
	a->access_acl = (uint32_t)sq_col_int64(st, col + 16);
	a->default_acl = (uint32_t)sq_col_int64(st, col + 17);
	a->tier = (uint8_t)sq_col_int(st, col + 18);
}

int sq_get_node(struct sconn *c, uint64_t ino, struct meta_attr *a)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_first(c, &st, "SELECT " SQ_NODE_COLS " FROM jfs_node WHERE inode=?",
		       "i", (int64_t)ino);
	if (ret)
		return ret;
	sq_node_read(st, 0, a);
	if (a->type < META_TYPE_FILE || a->type > META_TYPE_SOCKET)
		return sq_bad_value("jfs_node", ino, "unknown type");
	return 0;
}

#define NODE_VALUES "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

static int write_node(struct sconn *c, const char *sql, uint64_t ino,
		      const struct meta_attr *a)
{
	return sq_exec(c, sql, "iiiiiiiiiiiiiiiiiii", (int64_t)ino, (int64_t)a->type,
		       (int64_t)a->flags, (int64_t)a->mode, (int64_t)a->uid, (int64_t)a->gid,
		       time_us(a->atime, a->atimensec), time_us(a->mtime, a->mtimensec),
		       time_us(a->ctime, a->ctimensec), (int64_t)(a->atimensec % 1000),
		       (int64_t)(a->mtimensec % 1000), (int64_t)(a->ctimensec % 1000),
		       (int64_t)a->nlink, (int64_t)a->length, (int64_t)a->rdev,
		       (int64_t)a->parent, (int64_t)a->access_acl, (int64_t)a->default_acl,
		       (int64_t)a->tier);
}

int sq_insert_node(struct sconn *c, uint64_t ino, const struct meta_attr *a)
{
	return write_node(c, "INSERT INTO jfs_node (" SQ_NODE_COLS ") VALUES " NODE_VALUES,
			  ino, a);
}

/* REPLACE on the primary key: the row is the whole attr, as an i{ino} SET */
int sq_update_node(struct sconn *c, uint64_t ino, const struct meta_attr *a)
{
	return write_node(c, "REPLACE INTO jfs_node (" SQ_NODE_COLS ") VALUES " NODE_VALUES,
			  ino, a);
}

int sq_delete_node(struct sconn *c, uint64_t ino)
{
	return sq_exec(c, "DELETE FROM jfs_node WHERE inode=?", "i", (int64_t)ino);
}

int sq_get_edge(struct sconn *c, uint64_t parent, const char *name, size_t len,
		uint8_t *type, uint64_t *ino)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_first(c, &st, "SELECT inode, type FROM jfs_edge WHERE parent=? AND name=?",
		       "ib", (int64_t)parent, name, len);
	if (ret)
		return ret;
	*ino = (uint64_t)sq_col_int64(st, 0);
	*type = (uint8_t)sq_col_int(st, 1);
	if (!*ino || *type < META_TYPE_FILE || *type > META_TYPE_SOCKET)
		return sq_bad_value("jfs_edge", parent, "bad inode or type");
	return 0;
}

int sq_insert_edge(struct sconn *c, uint64_t parent, const char *name, size_t len,
		   uint8_t type, uint64_t ino)
{
	return sq_exec(c, "INSERT INTO jfs_edge (parent, name, inode, type) VALUES (?,?,?,?)",
		       "ibii", (int64_t)parent, name, len, (int64_t)ino, (int64_t)type);
}

int sq_delete_edge(struct sconn *c, uint64_t parent, const char *name, size_t len)
{
	return sq_exec(c, "DELETE FROM jfs_edge WHERE parent=? AND name=?", "ib",
		       (int64_t)parent, name, len);
}

int sq_get_dir(struct sconn *c, uint64_t ino, struct meta_attr *a)
{
	int ret = sq_get_node(c, ino, a);

	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	return ret;
}

int sq_get_counter(struct sconn *c, const char *name, int64_t *val)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT value FROM jfs_counter WHERE name=?", "t",
		       name, strlen(name));
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	*val = ret ? sq_col_int64(st, 0) : 0;
	return 0;
}

int sq_incr_counter(struct sconn *c, const char *name, int64_t delta, int64_t *val)
{
	int ret;

	ret = sq_exec(c, "UPDATE jfs_counter SET value=value+? WHERE name=?", "it",
		      delta, name, strlen(name));
	if (!ret && sq_changes(c) == 0)
		ret = sq_exec(c, "INSERT INTO jfs_counter (name, value) VALUES (?,?)", "ti",
			      name, strlen(name), delta);
	if (!ret && val)
		ret = sq_get_counter(c, name, val);
	return ret;
}

int sq_add_delfile(struct sconn *c, uint64_t ino, uint64_t length)
{
	return sq_exec(c, "REPLACE INTO jfs_delfile (inode, length, expire) VALUES (?,?,?)",
		       "iii", (int64_t)ino, (int64_t)length, (int64_t)time(NULL));
}

/* ---- base.c's reads (struct meta_ns_io; ctx: the connection) ----------- */

static int tx_get_dir(void *ctx, uint64_t ino, struct meta_attr *a)
{
	return sq_get_dir(ctx, ino, a);
}

static int tx_get_attr(void *ctx, uint64_t ino, struct meta_attr *a)
{
	return sq_get_node(ctx, ino, a);
}

static int tx_get_entry(void *ctx, uint64_t parent, const char *name, size_t len,
			uint8_t *type, uint64_t *ino)
{
	return sq_get_edge(ctx, parent, name, len, type, ino);
}

static int tx_has_entry(void *ctx, uint64_t parent, const char *name, size_t len,
			bool *yes)
{
	uint8_t type;
	uint64_t ino;
	int ret;

	ret = sq_get_edge(ctx, parent, name, len, &type, &ino);
	*yes = !ret;
	return ret == -ENOENT ? 0 : ret;
}

/* -ENOTEMPTY when 'dir' has any entry */
static int tx_dir_empty(void *ctx, uint64_t dir)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(ctx, &st, "SELECT 1 FROM jfs_edge WHERE parent=? LIMIT 1", "i",
		       (int64_t)dir);
	if (!ret)
		ret = sq_row(ctx, st);
	if (ret < 0)
		return ret;
	return ret ? -ENOTEMPTY : 0;
}

static int tx_load_chunk(void *ctx, uint64_t ino, uint32_t indx, size_t front,
			 struct meta_slice **s, size_t *n)
{
	return sq_load_chunk(ctx, ino, indx, front, s, n, NULL);
}

void sq_tx_io(struct sq_tx *x, struct smeta *m, struct sconn *c)
{
	x->m = m;
	x->c = c;
	x->acl = (struct meta_acl_io){ sq_acl_get, sq_acl_insert, x };
	x->ns = (struct meta_ns_io){ tx_get_dir, tx_get_attr, tx_get_entry, tx_has_entry,
				     tx_dir_empty, tx_load_chunk, c };
}

/* ---- ids --------------------------------------------------------------- */

struct id_arg {
	const char *counter;
	int64_t batch;
	int64_t value;		/* out */
};

static int id_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct id_arg *a = arg;

	return sq_incr_counter(c, a->counter, a->batch, &a->value);
}

/*
 * The SQL counters hold the next free id (Redis's hold the last used):
 * adding a batch b to value v hands out [v, v+b).
 */
static int alloc_id(struct smeta *m, const char *counter, uint64_t batch, uint64_t min,
		    uint64_t *next, uint64_t *max, uint64_t *id)
{
	struct id_arg a = { counter, (int64_t)batch, 0 };
	int ret = 0;

	pthread_mutex_lock(&m->id_lock);
	while (*max == 0 || *next > *max) {
		ret = sq_txn(m, id_body, &a);
		if (ret)
			goto out;
		if (a.value < (int64_t)batch) {
			ret = sq_bad_value("jfs_counter", 0, counter);
			goto out;
		}
		*next = (uint64_t)a.value - batch;
		*max = (uint64_t)a.value - 1;
		if (*next < min)
			*next = min;
	}
	*id = (*next)++;
out:
	pthread_mutex_unlock(&m->id_lock);
	return ret;
}

int sq_next_ino(struct smeta *m, uint64_t *ino)
{
	return alloc_id(m, "nextInode", SQ_INODE_BATCH, 2, &m->ino_next, &m->ino_max, ino);
}

int sq_next_slice(struct smeta *m, uint64_t *id)
{
	return alloc_id(m, "nextChunk", SQ_SLICE_BATCH, 1, &m->slice_next, &m->slice_max, id);
}

/* nextTrash counts the hour dirs made: they take the inodes after .trash's */
int sq_next_trash_ino(struct smeta *m, uint64_t *ino)
{
	struct id_arg a = { "nextTrash", 1, 0 };
	int ret;

	ret = sq_txn(m, id_body, &a);
	if (ret)
		return ret;
	if (a.value <= 0 || (uint64_t)a.value > UINT64_MAX - META_TRASH_INO)
		return sq_bad_value("jfs_counter", 0, "nextTrash");
	*ino = META_TRASH_INO + (uint64_t)a.value;
	return 0;
}

static int sqm_new_slice_id(struct meta *mm, uint64_t *id)
{
	return sq_next_slice((struct smeta *)mm, id);
}

/* ---- operations: volume ------------------------------------------------ */

struct str_arg {
	char *s;
};

static int setting_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct str_arg *a = arg;
	struct sq_stmt *st;
	int ret;

	free(a->s);
	a->s = NULL;
	ret = sq_query(c, &st, "SELECT value FROM jfs_setting WHERE name='format'", "");
	if (ret == -EIO && c->drv->has_table(c->db, "jfs_setting"))
		return -EIO;
	if (ret == -EIO)
		return -ENOENT;		/* no such table: a database, not a volume */
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ENOENT;
	a->s = strdup(sq_col_text(st, 0, NULL));
	return a->s ? 0 : -ENOMEM;
}

static int sqm_get_setting(struct meta *mm, char **json)
{
	struct smeta *m = (struct smeta *)mm;
	struct str_arg a = { NULL };
	int ret;

	*json = NULL;
	if (!m->create) {
		ret = m->drv->probe(m->path);
		if (ret)
			return ret;
	}
	ret = sq_read(m, setting_body, &a);
	if (ret == -ENOENT)
		jfs_seterr("meta", "%s %s: no volume formatted there", m->drv->name, m->path);
	if (ret)
		free(a.s);
	else
		*json = a.s;
	return ret;
}

struct init_arg {
	const char *json;
	bool trash;
};

static int init_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct init_arg *a = arg;
	struct meta_attr attr;
	struct timespec now;
	size_t i;
	int ret = 0;

	/* the driver's DDL: the tables as juicefs makes them in that database */
	for (i = 0; i < c->drv->nschema && !ret; i++)
		ret = c->drv->exec(c->db, c->drv->schema[i]);
	if (!ret)
		ret = sq_exec(c, "REPLACE INTO jfs_setting (name, value) VALUES ('format', ?)",
			      "t", a->json, strlen(a->json));
	for (i = 0; i < sizeof(sq_counters) / sizeof(sq_counters[0]) && !ret; i++)
		ret = sq_exec(c, "INSERT OR IGNORE INTO jfs_counter (name, value) VALUES (?,?)",
			      "ti", sq_counters[i].name, strlen(sq_counters[i].name),
			      sq_counters[i].value);
	meta_now(&now);
	meta_new_dir_attr(&attr, 0777, &now);
	if (!ret && sq_get_node(c, META_ROOT_INO, &(struct meta_attr){ 0 }) == -ENOENT)
		ret = sq_insert_node(c, META_ROOT_INO, &attr);
	meta_new_dir_attr(&attr, 0555, &now);
	if (!ret && a->trash &&
	    sq_get_node(c, META_TRASH_INO, &(struct meta_attr){ 0 }) == -ENOENT)
		ret = sq_insert_node(c, META_TRASH_INO, &attr);
	return ret;
}

static int sqm_init(struct meta *mm, const char *json, bool trash)
{
	struct smeta *m = (struct smeta *)mm;
	struct init_arg a = { json, trash };

	if (!json)
		return -EINVAL;
	m->create = true;	/* formatting may make the file */
	return sq_txn(m, init_body, &a);
}

struct statfs_arg {
	int64_t space, inodes;
};

static int statfs_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct statfs_arg *a = arg;
	int ret;

	ret = sq_get_counter(c, "usedSpace", &a->space);
	if (!ret)
		ret = sq_get_counter(c, "totalInodes", &a->inodes);
	return ret;
}

static int sqm_statfs(struct meta *mm, uint64_t *used_space, uint64_t *used_inodes)
{
	struct statfs_arg a = { 0, 0 };
	int ret;

	ret = sq_read((struct smeta *)mm, statfs_body, &a);
	/* counters can go briefly negative under concurrent cleanup */
	*used_space = a.space > 0 ? (uint64_t)a.space : 0;
	*used_inodes = a.inodes > 0 ? (uint64_t)a.inodes : 0;
	return ret;
}

static int quotas_body(struct smeta *m, struct sconn *c, void *arg)
{
	uint64_t *n = arg;
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT count(*) FROM jfs_dir_quota", "");
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	*n = ret ? (uint64_t)sq_col_int64(st, 0) : 0;
	return 0;
}

static int sqm_count_dir_quotas(struct meta *mm, uint64_t *n)
{
	*n = 0;
	return sq_read((struct smeta *)mm, quotas_body, n);
}

/* ---- operations: sessions ---------------------------------------------- */

static int session_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_session *a = arg;
	int64_t expire = (int64_t)time(NULL) + SQ_SESSION_TTL, v;
	int ret;

	if (a->create) {
		ret = sq_incr_counter(c, "nextSession", 1, &v);
		if (ret)
			return ret;
		if (v <= 0)
			return sq_bad_value("jfs_counter", 0, "nextSession");
		a->sid = (uint64_t)v;
	} else {
		ret = sq_exec(c, "UPDATE jfs_session2 SET expire=? WHERE sid=?", "ii",
			      expire, (int64_t)a->sid);
		if (ret || sq_changes(c) > 0)
			return ret;
		/* cleaned up as stale meanwhile: it comes back, as in JuiceFS */
	}
	return sq_exec(c, "INSERT INTO jfs_session2 (sid, expire, info) VALUES (?,?,?)",
		       "iib", (int64_t)a->sid, expire, a->info,
		       a->info ? strlen(a->info) : 0);
}

static int sqm_session(struct meta *mm, struct meta_session *a)
{
	return sq_txn((struct smeta *)mm, session_body, a);
}

/* a list of ids one query gives (first column) */
struct ids_arg {
	const char *sql;
	int64_t p1, p2;
	uint64_t *v;
	uint64_t *v2;		/* the second column, when asked for */
	size_t n, cap;
};

static int ids_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct ids_arg *a = arg;
	struct sq_stmt *st;
	int ret;

	a->n = 0;
	ret = sq_query(c, &st, a->sql, "");
	/* p1 and p2 fill what parameters the query has */
	if (!ret && sq_nparams(st) >= 1)
		ret = sq_bind_int64(st, 1, a->p1);
	if (!ret && sq_nparams(st) >= 2)
		ret = sq_bind_int64(st, 2, a->p2);
	while (!ret && (ret = sq_row(c, st)) == 1) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;
			uint64_t *v = realloc(a->v, cap * sizeof(*v));
			uint64_t *v2 = v ? realloc(a->v2, cap * sizeof(*v2)) : NULL;

			if (v)
				a->v = v;
			if (!v || !v2)
				return -ENOMEM;
			a->v2 = v2;
			a->cap = cap;
		}
		a->v[a->n] = (uint64_t)sq_col_int64(st, 0);
		a->v2[a->n++] = sq_col_count(st) > 1 ?
				(uint64_t)sq_col_int64(st, 1) : 0;
		ret = 0;
	}
	return ret;
}

static void ids_free(struct ids_arg *a)
{
	free(a->v);
	free(a->v2);
}

/* the first column of the rows of a->sql, into ids (freed by the caller) */
static int list_ids(struct smeta *m, struct ids_arg *a, struct meta_ids *ids)
{
	int ret = sq_read(m, ids_body, a);

	free(a->v2);
	ids->v = a->v;
	ids->n = a->n;
	return ret;
}

static int sqm_list_sustained(struct meta *mm, uint64_t sid, struct meta_ids *ids)
{
	struct ids_arg a = { .sql = "SELECT inode FROM jfs_sustained WHERE sid=?" };

	a.p1 = (int64_t)sid;
	return list_ids((struct smeta *)mm, &a, ids);
}

static int unlock_body(struct smeta *m, struct sconn *c, void *arg)
{
	const uint64_t *sid = arg;
	int ret;

	ret = sq_exec(c, "DELETE FROM jfs_flock WHERE sid=?", "i", (int64_t)*sid);
	if (!ret)
		ret = sq_exec(c, "DELETE FROM jfs_plock WHERE sid=?", "i", (int64_t)*sid);
	return ret;
}

static int end_session_body(struct smeta *m, struct sconn *c, void *arg)
{
	const uint64_t *sid = arg;

	return sq_exec(c, "DELETE FROM jfs_session2 WHERE sid=?", "i", (int64_t)*sid);
}

/* a session's locks, then its row (its sustained inodes went first) */
static int sqm_close_session(struct meta *mm, uint64_t sid)
{
	struct smeta *m = (struct smeta *)mm;
	int ret;

	ret = sq_txn(m, unlock_body, &sid);
	return ret ? ret : sq_txn(m, end_session_body, &sid);
}

static int list_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_sessions *a = arg;
	struct ids_arg ia = { .sql = "SELECT inode FROM jfs_sustained WHERE sid=?" };
	struct sq_stmt *st;
	size_t cap = 0;
	int ret;

	meta_free_sessions(a->s, a->n);
	a->s = NULL;
	a->n = 0;
	ret = sq_query(c, &st, "SELECT sid, expire, info FROM jfs_session2 ORDER BY sid", "");
	while (!ret && (ret = sq_row(c, st)) == 1) {
		struct meta_session_info *s;
		size_t infolen;
		const void *info = sq_col_blob(st, 2, &infolen);

		if (a->n == cap) {
			struct meta_session_info *v;

			cap = cap ? 2 * cap : 8;
			v = realloc(a->s, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			a->s = v;
		}
		s = &a->s[a->n++];
		memset(s, 0, sizeof(*s));
		s->sid = (uint64_t)sq_col_int64(st, 0);
		s->expire = sq_col_int64(st, 1);
		if (info) {
			s->info = strndup(info, infolen);
			if (!s->info)
				return -ENOMEM;
		}
		ret = 0;
	}
	for (size_t i = 0; !ret && i < a->n; i++) {
		ia.p1 = (int64_t)a->s[i].sid;
		ret = ids_body(m, c, &ia);
		if (!ret && ia.n) {
			a->s[i].sustained = calloc(ia.n, sizeof(uint64_t));
			if (!a->s[i].sustained)
				ret = -ENOMEM;
			else
				memcpy(a->s[i].sustained, ia.v, ia.n * sizeof(uint64_t));
			a->s[i].nsustained = a->s[i].sustained ? ia.n : 0;
		}
	}
	ids_free(&ia);
	return ret;
}

static int sqm_list_sessions(struct meta *mm, struct meta_sessions *a)
{
	return sq_read((struct smeta *)mm, list_body, a);
}

static int sqm_stale_sessions(struct meta *mm, int64_t before, struct meta_ids *ids)
{
	struct ids_arg a = {
		.sql = "SELECT sid FROM jfs_session2 WHERE expire < ? LIMIT 1000",
	};

	a.p1 = before;
	return list_ids((struct smeta *)mm, &a, ids);
}

/* ---- operations: background upkeep ------------------------------------ */

/* setIfSmall: the leader election of the periodic jobs, a jfs_counter row */
static int small_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_small *a = arg;
	int64_t old;
	int ret;

	a->won = false;
	ret = sq_get_counter(c, a->key, &old);
	if (ret || old > a->value - a->diff)
		return ret;
	ret = sq_exec(c, "REPLACE INTO jfs_counter (name, value) VALUES (?,?)", "ti",
		      a->key, strlen(a->key), a->value);
	a->won = !ret;
	return ret;
}

static int sqm_set_if_small(struct meta *mm, struct meta_small *a)
{
	return sq_txn((struct smeta *)mm, small_body, a);
}

/* doUpdateDirStat: add the deltas of the dirs that have stats */
static int dirstat_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_dirstat_update *a = arg;
	size_t i;
	int ret = 0;

	for (i = 0; i < a->n && !ret; i++) {
		const struct meta_dirstat *d = &a->d[i];

		ret = sq_exec(c, "UPDATE jfs_dir_stats SET data_length=data_length+?, "
			      "used_space=used_space+?, used_inodes=used_inodes+? WHERE inode=?",
			      "iiii", d->length, d->space, d->inodes, (int64_t)d->ino);
		a->missing[i] = !ret && sq_changes(c) == 0;
	}
	return ret;
}

static int sqm_update_dir_stats(struct meta *mm, struct meta_dirstat_update *a)
{
	return sq_txn((struct smeta *)mm, dirstat_body, a);
}

/* doSyncDirStat: the recount, unless the dir is gone meanwhile */
static int syncstat_body(struct smeta *m, struct sconn *c, void *arg)
{
	const struct meta_dirstat *st = arg;
	struct meta_attr attr;
	int ret;

	ret = sq_get_node(c, st->ino, &attr);
	if (ret == -ENOENT)
		return 0;	/* gone meanwhile */
	if (ret)
		return ret;
	return sq_exec(c, "REPLACE INTO jfs_dir_stats (inode, data_length, used_space, "
		       "used_inodes) VALUES (?,?,?,?)", "iiii", (int64_t)st->ino,
		       st->length, st->space, st->inodes);
}

static int sqm_sync_dir_stat(struct meta *mm, const struct meta_dirstat *st)
{
	return sq_txn((struct smeta *)mm, syncstat_body, (void *)st);
}

/* the hourly cleanupDeletedFiles: jfs_delfile rows left by crashed clients */
static int sqm_cleanup_deleted_files(struct meta *mm, int64_t before, size_t *n)
{
	struct smeta *m = (struct smeta *)mm;
	struct ids_arg a = {
		.sql = "SELECT inode, length FROM jfs_delfile WHERE expire < ? "
		       "LIMIT 1000",
	};
	size_t i;
	int ret;

	*n = 0;
	a.p1 = before;
	ret = sq_read(m, ids_body, &a);
	for (i = 0; !ret && i < a.n; i++) {
		ret = sq_free_file_data(m, a.v[i], a.v2[i]);
		if (!ret)
			(*n)++;
	}
	ids_free(&a);
	return ret;
}

struct delayed_arg {
	uint64_t id;		/* the jfs_delslices row */
	uint64_t *sid;		/* out: its slices, and whether each was freed */
	uint32_t *size;
	bool *freed;
	size_t n;
};

/* one jfs_delslices row: a reference less per slice, then the row goes */
static int delayed_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct delayed_arg *a = arg;
	const unsigned char *p;
	struct sq_stmt *st;
	size_t len, i, k;
	int ret;

	a->n = 0;
	ret = sq_query(c, &st, "SELECT slices FROM jfs_delslices WHERE chunkid=?", "i",
		       (int64_t)a->id);
	if (!ret)
		ret = sq_row(c, st);
	if (ret <= 0)
		return ret;	/* gone meanwhile */
	ret = 0;	/* sq_row's 1: the row is there */
	p = sq_col_blob(st, 0, &len);
	if (len % 12)
		return sq_bad_value("jfs_delslices", a->id, "not (id, size) records");
	free(a->sid);
	free(a->size);
	free(a->freed);
	a->sid = calloc(len / 12 + 1, sizeof(*a->sid));
	a->size = calloc(len / 12 + 1, sizeof(*a->size));
	a->freed = calloc(len / 12 + 1, sizeof(*a->freed));
	if (!a->sid || !a->size || !a->freed)
		return -ENOMEM;
	for (i = 0; i < len / 12; i++) {
		for (k = 0; k < 8; k++)
			a->sid[i] = a->sid[i] << 8 | p[12 * i + k];
		for (k = 8; k < 12; k++)
			a->size[i] = a->size[i] << 8 | p[12 * i + k];
	}
	a->n = len / 12;
	for (i = 0; i < a->n && !ret; i++)
		ret = sq_unref_slice(c, a->sid[i], a->size[i], &a->freed[i]);
	if (!ret)
		ret = sq_exec(c, "DELETE FROM jfs_delslices WHERE chunkid=?", "i", (int64_t)a->id);
	return ret;
}

/* the trash job's doCleanupDelayedSlices: rows older than 'before' */
static int sqm_cleanup_delayed_slices(struct meta *mm, int64_t before, size_t *n)
{
	struct smeta *m = (struct smeta *)mm;
	struct ids_arg ia = {
		.sql = "SELECT chunkid FROM jfs_delslices WHERE deleted < ? LIMIT 1000",
	};
	struct delayed_arg a = { 0 };
	bool gone;
	size_t i, k;
	int ret;

	*n = 0;
	ia.p1 = before;
	ret = sq_read(m, ids_body, &ia);
	for (i = 0; !ret && i < ia.n; i++) {
		a.id = ia.v[i];
		ret = sq_txn(m, delayed_body, &a);
		for (k = 0; !ret && k < a.n; k++) {
			if (!a.freed[k])
				continue;
			ret = meta_free_slice(mm, a.sid[k], a.size[k], &gone);
			if (!ret && gone)
				(*n)++;
		}
	}
	free(a.sid);
	free(a.size);
	free(a.freed);
	ids_free(&ia);
	return ret;
}

/* doCleanupSlices: a reference row at refs <= 0 is a delete that failed */
static int sqm_cleanup_slices(struct meta *mm, size_t *n)
{
	struct smeta *m = (struct smeta *)mm;
	struct ids_arg ia = {
		.sql = "SELECT chunkid, size FROM jfs_chunk_ref WHERE refs <= 0 LIMIT 1000",
	};
	bool gone;
	size_t i;
	int ret;

	*n = 0;
	ret = sq_read(m, ids_body, &ia);
	for (i = 0; !ret && i < ia.n; i++) {
		if (!ia.v[i] || !ia.v2[i] || ia.v2[i] > UINT32_MAX)
			continue;	/* not a slice this client could name */
		ret = meta_free_slice(mm, ia.v[i], (uint32_t)ia.v2[i], &gone);
		if (!ret && gone)
			(*n)++;
	}
	ids_free(&ia);
	return ret;
}

/* ---- slices: references shared by the data and cleanup paths --------- */

int sq_unref_slice(struct sconn *c, uint64_t id, uint32_t size, bool *freed)
{
	struct sq_stmt *st;
	int ret;

	*freed = false;
	ret = sq_exec(c, "UPDATE jfs_chunk_ref SET refs=refs-1 WHERE chunkid=? AND size=?",
		      "ii", (int64_t)id, (int64_t)size);
	if (ret)
		return ret;
	ret = sq_query(c, &st, "SELECT refs FROM jfs_chunk_ref WHERE chunkid=? AND size=?",
		       "ii", (int64_t)id, (int64_t)size);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	/* no row: nothing references it (JuiceFS then deletes it too) */
	*freed = ret == 0 || sq_col_int64(st, 0) <= 0;
	return 0;
}

static int delete_ref_body(struct smeta *m, struct sconn *c, void *arg)
{
	const struct meta_slice_ref *a = arg;

	/* only if nobody took a new reference meanwhile */
	return sq_exec(c, "DELETE FROM jfs_chunk_ref WHERE chunkid=? AND size=? AND refs<=0",
		       "ii", (int64_t)a->id, (int64_t)a->size);
}

static int sqm_delete_slice_ref(struct meta *mm, uint64_t id, uint32_t size)
{
	struct meta_slice_ref a = { id, size };

	return sq_txn((struct smeta *)mm, delete_ref_body, &a);
}

/* ---- operations: open and close ---------------------------------------- */

static void sq_free(struct smeta *m)
{
	struct sconn *c;

	while ((c = m->pool)) {
		m->pool = c->next;
		conn_free(c);
	}
	sq_acl_cache_free(m);
	pthread_mutex_destroy(&m->pool_lock);
	pthread_mutex_destroy(&m->id_lock);
	pthread_mutex_destroy(&m->acl_lock);
	free(m->path);
	free(m);
}

static void sqm_close(struct meta *mm)
{
	sq_free((struct smeta *)mm);
}

/* a volume on the database drv serves; ops is drv's table (its url scheme) */
static int sq_open(const struct sq_driver *drv, const struct meta_ops *ops,
		   const char *url, struct meta **mp)
{
	struct smeta *m;
	int ret;

	*mp = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		jfs_seterr("meta", "out of memory");
		return -ENOMEM;
	}
	m->base.ops = ops;
	m->drv = drv;
	pthread_mutex_init(&m->pool_lock, NULL);
	pthread_mutex_init(&m->id_lock, NULL);
	pthread_mutex_init(&m->acl_lock, NULL);
	ret = drv->parse_url(url, &m->path);
	if (ret) {
		if (ret == -ENOMEM)
			jfs_seterr("meta", "out of memory");
		sq_free(m);
		return ret;
	}
	*mp = &m->base;
	return 0;
}

/*
 * sqlite3://: the SQLite driver.  Another database is its driver and an
 * ops table like this one with its scheme and an open passing both.
 */
static int sqm_open(const char *url, struct meta **mp)
{
	return sq_open(&sq_sqlite_driver, &meta_sqlite_ops, url, mp);
}

const struct meta_ops meta_sqlite_ops = {
	.scheme = "sqlite3",
	.open = sqm_open,
	.close = sqm_close,
	.get_setting = sqm_get_setting,
	.init = sqm_init,
	.statfs = sqm_statfs,
	.count_dir_quotas = sqm_count_dir_quotas,
	.do_session = sqm_session,
	.list_sustained = sqm_list_sustained,
	.do_release_sustained = sqm_release_sustained,
	.do_close_session = sqm_close_session,
	.do_list_sessions = sqm_list_sessions,
	.stale_sessions = sqm_stale_sessions,
	.do_lookup = sqm_lookup,
	.do_getattr = sqm_getattr,
	.do_setattr = sqm_setattr,
	.do_truncate = sqm_truncate,
	.do_mknod = sqm_mknod,
	.do_link = sqm_link,
	.do_unlink = sqm_unlink,
	.do_rename = sqm_rename,
	.do_readlink = sqm_readlink,
	.do_readdir = sqm_readdir,
	.free_file_data = sqm_free_file_data,
	.get_parents = sqm_get_parents,
	.do_getxattr = sqm_getxattr,
	.do_setxattr = sqm_setxattr,
	.do_listxattr = sqm_listxattr,
	.do_removexattr = sqm_removexattr,
	.do_get_facl = sqm_get_facl,
	.do_set_facl = sqm_set_facl,
	.do_getlk = sqm_getlk,
	.do_setlk = sqm_setlk,
	.do_flock = sqm_flock,
	.do_fallocate = sqm_fallocate,
	.do_copy_range = sqm_copy_range,
	.do_set_if_small = sqm_set_if_small,
	.do_update_dir_stats = sqm_update_dir_stats,
	.sync_dir_stat = sqm_sync_dir_stat,
	.cleanup_deleted_files = sqm_cleanup_deleted_files,
	.cleanup_delayed_slices = sqm_cleanup_delayed_slices,
	.cleanup_slices = sqm_cleanup_slices,
	.new_slice_id = sqm_new_slice_id,
	.do_read_chunk = sqm_read_chunk,
	.do_write_slice = sqm_write_slice,
	.do_compact_chunk = sqm_compact_chunk,
	.do_delete_chunk = sqm_delete_chunk,
	.delete_slice_ref = sqm_delete_slice_ref,
	.scan = sqm_scan,
	.get_dir_stat = sqm_get_dir_stat,
	.repair_dir = sqm_repair_dir,
	.set_volume_stat = sqm_set_volume_stat,
	.dump_info = sqm_dump_info,
	.load_check = sqm_load_check,
	.load_records = sqm_load_records,
	.load_reset = sqm_load_reset,
};
