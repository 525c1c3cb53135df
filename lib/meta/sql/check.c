/*
 * check.c - the SQL engine's part of fsck and gc (meta.h): scans of the
 * rows no namespace call reaches (every jfs_chunk row, the jfs_chunk_ref
 * rows nobody references, jfs_delslices) and the repairs `juicefs fsck
 * --repair` makes (sql.go doRepair, doSyncVolumeStat).  Every decision is
 * lib/volume's fsck.c and gc.c.
 *
 * A scan reads a page of rows in one read transaction and calls back
 * after it ended: a callback may write (a chunk's deletion), which
 * SQLite would refuse while our own snapshot holds the database.
 */
#include <stdlib.h>
#include <string.h>

#include "sql.h"

#define SCAN_PAGE 500

/* a page of rows: id, two integer columns and a blob */
struct row {
	int64_t key, a, b;
	unsigned char *blob;
	size_t len;
};

struct page_arg {
	const char *sql;	/* (key, a, b, blob) WHERE key > ? ORDER BY key LIMIT ? */
	int64_t after;
	struct row *v;
	size_t n;
};

static void page_free(struct page_arg *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].blob);
	p->n = 0;
}

static int page_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct page_arg *p = arg;
	struct sq_stmt *st;
	int ret;

	page_free(p);
	ret = sq_query(c, &st, p->sql, "ii", p->after, (int64_t)SCAN_PAGE);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		struct row *r = &p->v[p->n];
		const void *blob;

		r->key = sq_col_int64(st, 0);
		r->a = sq_col_int64(st, 1);
		r->b = sq_col_int64(st, 2);
		blob = sq_col_blob(st, 3, &r->len);
		r->blob = malloc(r->len + 1);
		if (!r->blob) {
			sq_reset(st);
			return -ENOMEM;
		}
		if (r->len)
			memcpy(r->blob, blob, r->len);
		p->n++;
		ret = 0;
	}
	return ret < 0 ? ret : 0;
}

/* calls fn for every row of the query, a page at a time */
static int scan_rows(struct smeta *m, const char *sql,
		     int (*fn)(const struct meta_scan *a, const struct row *r),
		     const struct meta_scan *a)
{
	struct page_arg p = { .sql = sql };
	size_t i;
	int ret;

	p.v = calloc(SCAN_PAGE, sizeof(*p.v));
	if (!p.v)
		return -ENOMEM;
	do {
		ret = sq_read(m, page_body, &p);
		for (i = 0; !ret && i < p.n; i++)
			ret = fn(a, &p.v[i]);
		if (p.n)
			p.after = p.v[p.n - 1].key;
	} while (!ret && p.n == SCAN_PAGE);
	page_free(&p);
	free(p.v);
	return ret;
}

/* a jfs_chunk row: (id, inode, indx, slices); not whole records is corrupt */
static int chunk_row(const struct meta_scan *a, const struct row *r)
{
	struct meta_slice *s = NULL;
	size_t i, n = r->len / 24;
	int ret;

	if (!r->len)
		return 0;
	if (r->len % 24)
		return a->chunk(a->arg, (uint64_t)r->a, (uint32_t)r->b, NULL, 0, true);
	s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		meta_slice_decode(r->blob + 24 * i, &s[i]);
	ret = a->chunk(a->arg, (uint64_t)r->a, (uint32_t)r->b, s, n, false);
	free(s);
	return ret;
}

/* a jfs_chunk_ref row at refs <= 0: (chunkid, size, refs) */
static int pending_row(const struct meta_scan *a, const struct row *r)
{
	if (r->key <= 0 || r->a <= 0 || r->a > UINT32_MAX)
		return 0;	/* not a slice this client could name */
	return a->pending(a->arg, (uint64_t)r->key, (uint32_t)r->a);
}

/* a jfs_delslices row: (chunkid, deleted, 0, 12-byte (id, size) records) */
static int delayed_row(const struct meta_scan *a, const struct row *r)
{
	return meta_scan_delayed(a, r->a, r->blob, r->len);
}

int sqm_scan(struct meta *mm, const struct meta_scan *a)
{
	struct smeta *m = (struct smeta *)mm;
	int ret = 0;

	if (a->chunk)
		ret = scan_rows(m, "SELECT id, inode, indx, CAST(slices AS BLOB) FROM jfs_chunk "
				"WHERE id > ? ORDER BY id LIMIT ?", chunk_row, a);
	if (!ret && a->pending)
		ret = scan_rows(m, "SELECT chunkid, size, refs, NULL FROM jfs_chunk_ref "
				"WHERE chunkid > ? AND refs <= 0 ORDER BY chunkid LIMIT ?",
				pending_row, a);
	if (!ret && a->delayed)
		ret = scan_rows(m, "SELECT chunkid, deleted, 0, CAST(slices AS BLOB) "
				"FROM jfs_delslices WHERE chunkid > ? ORDER BY chunkid LIMIT ?",
				delayed_row, a);
	return ret;
}

/* ---- dir stats, repairs -------------------------------------------- */

struct dirstat_arg {
	struct meta_dirstat *st;
	bool *have;
};

static int get_stat_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct dirstat_arg *a = arg;
	struct sq_stmt *st;
	int ret;

	*a->have = false;
	ret = sq_first(c, &st, "SELECT data_length, used_space, used_inodes FROM jfs_dir_stats "
		       "WHERE inode=?", "i", (int64_t)a->st->ino);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	a->st->length = sq_col_int64(st, 0);
	a->st->space = sq_col_int64(st, 1);
	a->st->inodes = sq_col_int64(st, 2);
	sq_reset(st);
	*a->have = true;
	return 0;
}

int sqm_get_dir_stat(struct meta *mm, struct meta_dirstat *st, bool *have)
{
	struct dirstat_arg a = { st, have };

	return sq_read((struct smeta *)mm, get_stat_body, &a);
}

/* doRepair: nlink = 2 + the subdirs among the dir's edges, in one transaction */
static int repair_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_repair *a = arg;
	struct meta_attr attr;
	struct sq_stmt *st;
	int ret;

	ret = sq_get_node(c, a->ino, &attr);
	if (ret)
		return ret;
	if (attr.type != META_TYPE_DIR)
		return -ENOTDIR;
	ret = sq_first(c, &st, "SELECT count(*) FROM jfs_edge WHERE parent=? AND type=?", "ii",
		       (int64_t)a->ino, (int64_t)META_TYPE_DIR);
	if (ret)
		return ret;
	a->nlink = 2 + (uint32_t)sq_col_int64(st, 0);
	sq_reset(st);
	attr.nlink = a->nlink;
	return sq_update_node(c, a->ino, &attr);
}

int sqm_repair_dir(struct meta *mm, struct meta_repair *a)
{
	return sq_txn((struct smeta *)mm, repair_body, a);
}

static int volstat_body(struct smeta *m, struct sconn *c, void *arg)
{
	const struct meta_volstat *a = arg;
	int ret;

	ret = sq_exec(c, "REPLACE INTO jfs_counter (name, value) VALUES (?,?)", "ti",
		      "totalInodes", strlen("totalInodes"), a->used_inodes);
	if (!ret)
		ret = sq_exec(c, "REPLACE INTO jfs_counter (name, value) VALUES (?,?)", "ti",
			      "usedSpace", strlen("usedSpace"), a->used_space);
	return ret;
}

int sqm_set_volume_stat(struct meta *mm, const struct meta_volstat *a)
{
	return sq_txn((struct smeta *)mm, volstat_body, (void *)a);
}
