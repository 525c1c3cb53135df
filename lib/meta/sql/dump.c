/*
 * dump.c - the SQL engine's part of dump and load (meta.h): the rows a
 * dump needs that no namespace call reads (jfs_counter, jfs_delfile, the
 * quota tables), and the raw row writes of a load, as sql.go's DumpMeta
 * and LoadMeta do them.  The walk of the tree and every decision are
 * lib/volume's.
 *
 * Unlike Redis, SQL keeps the next free id in nextInode/nextChunk (what
 * dumps show), every slice's full reference count in jfs_chunk_ref, and
 * no parent table: a hard-linked file's parents are its jfs_edge rows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql.h"

/* jfs_user_group_quota's qtype of META_QUOTA_USER, _GROUP (quota.go) */
static const int64_t quota_qtype[META_QUOTA_KINDS] = { 0, 1, 2 };

/* ---- dump ---------------------------------------------------------- */

static int counters_read(struct sconn *c, struct meta_counters *k)
{
	static const char *const names[] = {
		"usedSpace", "totalInodes", "nextInode", "nextChunk", "nextSession", "nextTrash",
	};
	int64_t *v[] = { &k->used_space, &k->used_inodes, &k->next_inode, &k->next_chunk,
			 &k->next_session, &k->next_trash };
	size_t i;
	int ret = 0;

	for (i = 0; i < 6 && !ret; i++)
		ret = sq_get_counter(c, names[i], v[i]);
	return ret;
}

/* rows of a query of n int64 columns into a malloc'd array of structs */
static int rows_read(struct sconn *c, const char *sql, int64_t arg, bool has_arg,
		     void (*put)(void *out, size_t i, struct sq_stmt *st), void **out,
		     size_t size, size_t *n)
{
	struct sq_stmt *st;
	size_t cap = 0;
	void *v = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	ret = has_arg ? sq_query(c, &st, sql, "i", arg) : sq_query(c, &st, sql, "");
	while (!ret && (ret = sq_row(c, st)) > 0) {
		if (*n == cap) {
			void *w = realloc(v, (cap ? cap * 2 : 16) * size);

			if (!w) {
				sq_reset(st);
				ret = -ENOMEM;
				break;
			}
			v = w;
			cap = cap ? cap * 2 : 16;
		}
		put(v, (*n)++, st);
	}
	if (ret < 0) {
		free(v);
		*n = 0;
		return ret;
	}
	*out = v;
	return 0;
}

static void put_delfile(void *out, size_t i, struct sq_stmt *st)
{
	struct meta_delfile *d = (struct meta_delfile *)out + i;

	d->ino = (uint64_t)sq_col_int64(st, 0);
	d->length = (uint64_t)sq_col_int64(st, 1);
	d->expire = sq_col_int64(st, 2);
}

static void put_quota(void *out, size_t i, struct sq_stmt *st)
{
	struct meta_quota *q = (struct meta_quota *)out + i;

	q->id = (uint64_t)sq_col_int64(st, 0);
	q->max_space = sq_col_int64(st, 1);
	q->max_inodes = sq_col_int64(st, 2);
}

static int dump_info_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_dump_info *a = arg;
	int i, ret;

	meta_dump_info_free(a);
	ret = counters_read(c, &a->c);
	if (!ret)
		ret = rows_read(c, "SELECT inode, length, expire FROM jfs_delfile ORDER BY inode",
				0, false, put_delfile, (void **)&a->del, sizeof(*a->del), &a->ndel);
	if (!ret)
		ret = rows_read(c, "SELECT inode, max_space, max_inodes FROM jfs_dir_quota "
				"ORDER BY inode", 0, false, put_quota, (void **)&a->q[0],
				sizeof(*a->q[0]), &a->nq[0]);
	for (i = META_QUOTA_USER; i < META_QUOTA_KINDS && !ret; i++)
		ret = rows_read(c, "SELECT qkey, max_space, max_inodes FROM jfs_user_group_quota "
				"WHERE qtype=? ORDER BY qkey", quota_qtype[i], true, put_quota,
				(void **)&a->q[i], sizeof(*a->q[i]), &a->nq[i]);
	return ret;
}

int sqm_dump_info(struct meta *mm, struct meta_dump_info *a)
{
	return sq_read((struct smeta *)mm, dump_info_body, a);
}

/* ---- load ---------------------------------------------------------- */

/* the tables a load writes, which a failed one empties again */
static const char *const load_tables[] = {
	"jfs_setting", "jfs_counter", "jfs_node", "jfs_edge", "jfs_symlink", "jfs_xattr",
	"jfs_chunk", "jfs_chunk_ref", "jfs_delfile", "jfs_dir_stats", "jfs_dir_quota",
	"jfs_user_group_quota", "jfs_acl",
};

static int count_rows(struct sconn *c, const char *table, const char *sql, int64_t *n)
{
	struct sq_stmt *st;
	int ret;

	*n = 0;
	if (!c->drv->has_table(c->db, table))
		return 0;
	ret = sq_query(c, &st, sql, "");
	if (!ret && (ret = sq_row(c, st)) > 0) {
		*n = sq_col_int64(st, 0);
		sq_reset(st);
	}
	return ret < 0 ? ret : 0;
}

/* a volume's setting or any inode makes it not empty */
static int check_body(struct smeta *m, struct sconn *c, void *arg)
{
	int64_t settings, nodes;
	int ret;

	ret = count_rows(c, "jfs_setting", "SELECT count(*) FROM jfs_setting", &settings);
	if (!ret)
		ret = count_rows(c, "jfs_node", "SELECT count(*) FROM jfs_node", &nodes);
	if (!ret && (settings || nodes))
		ret = jfs_fail("meta", -ENOTEMPTY, "database %s://%s is not empty (%s)",
			       m->drv->name, m->path, settings ? "it holds a volume" : "it holds inodes");
	return ret;
}

int sqm_load_check(struct meta *mm)
{
	struct smeta *m = (struct smeta *)mm;

	/* no database yet is the emptiest one */
	if (m->drv->probe(m->path) == -ENOENT)
		return 0;
	return sq_read(m, check_body, NULL);
}

static int reset_body(struct smeta *m, struct sconn *c, void *arg)
{
	char sql[96];
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(load_tables) / sizeof(load_tables[0]) && !ret; i++) {
		if (!c->drv->has_table(c->db, load_tables[i]))
			continue;
		/* not through sq_exec's cache: its key is the literal's address */
		snprintf(sql, sizeof(sql), "DELETE FROM %s", load_tables[i]);
		ret = c->drv->exec(c->db, sql);
	}
	return ret;
}

int sqm_load_reset(struct meta *mm)
{
	return sq_txn((struct smeta *)mm, reset_body, NULL);
}

static int write_chunk(struct sconn *c, const struct meta_rec *r)
{
	unsigned char *buf;
	size_t i;
	int ret;

	buf = malloc(r->u.chunk.n * 24 + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < r->u.chunk.n; i++)
		meta_slice_encode(&r->u.chunk.s[i], buf + i * 24);
	ret = sq_exec(c, "INSERT INTO jfs_chunk (inode, indx, slices) VALUES (?,?,?)", "iib",
		      (int64_t)r->ino, (int64_t)r->u.chunk.indx, buf, r->u.chunk.n * 24);
	free(buf);
	return ret;
}

static int write_counters(struct sconn *c, const struct meta_counters *k)
{
	static const char *const names[] = {
		"usedSpace", "totalInodes", "nextInode", "nextChunk", "nextSession", "nextTrash",
	};
	const int64_t v[] = { k->used_space, k->used_inodes, k->next_inode, k->next_chunk,
			      k->next_session, k->next_trash };
	size_t i;
	int ret = 0;

	for (i = 0; i < 6 && !ret; i++)
		ret = sq_exec(c, "REPLACE INTO jfs_counter (name, value) VALUES (?,?)", "ti",
			      names[i], strlen(names[i]), v[i]);
	return ret;
}

static int write_quota(struct sconn *c, const struct meta_rec *r)
{
	const struct meta_quota *q = &r->u.quota.q;

	if (r->u.quota.kind == META_QUOTA_DIR)
		return sq_exec(c, "REPLACE INTO jfs_dir_quota (inode, max_space, max_inodes, "
			       "used_space, used_inodes) VALUES (?,?,?,?,?)", "iiiii",
			       (int64_t)q->id, q->max_space, q->max_inodes, q->used_space,
			       q->used_inodes);
	return sq_exec(c, "REPLACE INTO jfs_user_group_quota (qtype, qkey, max_space, "
		       "max_inodes, used_space, used_inodes) VALUES (?,?,?,?,?,?)", "iiiiii",
		       quota_qtype[r->u.quota.kind], (int64_t)q->id, q->max_space,
		       q->max_inodes, q->used_space, q->used_inodes);
}

static int write_node(struct smeta *m, struct sconn *c, const struct meta_rec *r)
{
	struct meta_attr a = r->u.node.attr;
	int ret = 0;

	if (r->u.node.access)
		ret = sq_insert_acl(m, c, r->u.node.access, &a.access_acl);
	if (!ret && r->u.node.dflt)
		ret = sq_insert_acl(m, c, r->u.node.dflt, &a.default_acl);
	return ret ? ret : sq_update_node(c, r->ino, &a);
}

static int write_rec(struct smeta *m, struct sconn *c, const struct meta_rec *r)
{
	size_t i;
	int ret = 0;

	switch (r->kind) {
	case META_REC_INIT:
		/* the driver's DDL: the tables as juicefs makes them */
		for (i = 0; i < c->drv->nschema && !ret; i++)
			ret = c->drv->exec(c->db, c->drv->schema[i]);
		return ret;
	case META_REC_NODE:
		return write_node(m, c, r);
	case META_REC_EDGE:
		return sq_insert_edge(c, r->ino, r->u.edge.name, r->u.edge.len, r->u.edge.type,
				      r->u.edge.ino);
	case META_REC_CHUNK:
		return write_chunk(c, r);
	case META_REC_SYMLINK:
		return sq_exec(c, "INSERT INTO jfs_symlink (inode, target) VALUES (?,?)", "ib",
			       (int64_t)r->ino, r->u.str.p, r->u.str.len);
	case META_REC_XATTR:
		return sq_exec(c, "INSERT INTO jfs_xattr (inode, name, value) VALUES (?,?,?)",
			       "itb", (int64_t)r->ino, r->u.xattr.name, r->u.xattr.len,
			       r->u.xattr.value, r->u.xattr.vlen);
	case META_REC_PARENT:
		return 0;	/* the jfs_edge rows are the parents */
	case META_REC_DIRSTAT:
		return sq_exec(c, "REPLACE INTO jfs_dir_stats (inode, data_length, used_space, "
			       "used_inodes) VALUES (?,?,?,?)", "iiii", (int64_t)r->ino,
			       r->u.stat.length, r->u.stat.space, r->u.stat.inodes);
	case META_REC_SLICEREF:
		return sq_exec(c, "REPLACE INTO jfs_chunk_ref (chunkid, size, refs) VALUES (?,?,?)",
			       "iii", (int64_t)r->u.ref.id, (int64_t)r->u.ref.size, r->u.ref.refs);
	case META_REC_DELFILE:
		return sq_exec(c, "REPLACE INTO jfs_delfile (inode, length, expire) VALUES (?,?,?)",
			       "iii", (int64_t)r->u.del.ino, (int64_t)r->u.del.length,
			       r->u.del.expire);
	case META_REC_QUOTA:
		return write_quota(c, r);
	case META_REC_COUNTERS:
		return write_counters(c, &r->u.counters);
	case META_REC_SETTING:
		return sq_exec(c, "REPLACE INTO jfs_setting (name, value) VALUES ('format', ?)",
			       "t", r->u.str.p, r->u.str.len);
	}
	return -EINVAL;
}

struct load_arg {
	const struct meta_rec *r;
	size_t n;
};

static int load_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct load_arg *a = arg;
	size_t i;
	int ret = 0;

	for (i = 0; i < a->n && !ret; i++)
		ret = write_rec(m, c, &a->r[i]);
	return ret;
}

int sqm_load_records(struct meta *mm, const struct meta_rec *r, size_t n)
{
	struct smeta *m = (struct smeta *)mm;
	struct load_arg a = { r, n };

	m->create = true;	/* a load may make the database file */
	return sq_txn(m, load_body, &a);
}
