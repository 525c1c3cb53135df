/*
 * meta_sql_data.c - the SQLite engine's data side: chunk records
 * (jfs_chunk), slice references (jfs_chunk_ref), read/write, compaction,
 * truncate, fallocate, copy_range, sustained inodes and freeing a file's
 * data.
 *
 * Each op does what meta_redis.c does for it (same checks, errnos and
 * accounting), written as JuiceFS's sql.go writes it: a chunk row holds
 * the concatenated 24-byte records and grows with `slices || ?` (which
 * SQLite turns into TEXT: always read it with sq_col_blob), and
 * every slice has a jfs_chunk_ref row with refs = the records using it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

#define CS ((uint64_t)META_CHUNK_SIZE)

/* ---- helpers ------------------------------------------------------------ */

static int incr(struct sconn *c, const char *name, int64_t delta)
{
	return delta ? sq_incr_counter(c, name, delta, NULL) : 0;
}

static int64_t space_delta(uint64_t newlen, uint64_t oldlen)
{
	return (int64_t)meta_align4k(newlen) - (int64_t)meta_align4k(oldlen);
}

static int chunk_bad(uint64_t ino, uint32_t indx)
{
	char why[64];

	snprintf(why, sizeof(why), "indx %" PRIu32 ": slices are not 24-byte records", indx);
	return sq_bad_value("jfs_chunk", ino, why);
}

/*
 * The bytes of chunk (ino, indx)'s row (none: *p NULL, *len 0), valid
 * until the connection's next use of the statement.
 */
static int chunk_row(struct sconn *c, uint64_t ino, uint32_t indx,
		     const unsigned char **p, size_t *len)
{
	struct sq_stmt *st;
	int ret;

	*p = NULL;
	*len = 0;
	ret = sq_first(c, &st, "SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?", "ii",
		       (int64_t)ino, (int64_t)indx);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	*p = sq_col_blob(st, 0, NULL);	/* raw bytes of a TEXT value too */
	*len = *p ? sq_col_bytes(st, 0) : 0;
	return 0;
}

/*
 * The records of chunk (ino, indx), decoded into *s after @front empty
 * slots (for the caller's own records); no row is no records.  A value
 * that is no list of records is -EIO, or, given 'corrupt', no records.
 */
int sq_load_chunk(struct sconn *c, uint64_t ino, uint32_t indx, size_t front,
		  struct meta_slice **s, size_t *n, bool *corrupt)
{
	const unsigned char *p;
	size_t len, i;
	int ret;

	*s = NULL;
	*n = 0;
	ret = chunk_row(c, ino, indx, &p, &len);
	if (ret)
		return ret;
	if (len % 24 && !corrupt)
		return chunk_bad(ino, indx);
	if (len % 24) {
		*corrupt = true;
		len = 0;
	}
	if (front + len / 24 == 0)
		return 0;
	*s = calloc(front + len / 24, sizeof(**s));
	if (!*s)
		return -ENOMEM;
	for (i = 0; i < len / 24; i++)
		meta_slice_decode(p + 24 * i, &(*s)[front + i]);
	*n = front + len / 24;
	return 0;
}

/* appendSlice: a record more at the end of (ino, indx), the row made if none */
static int append_record(struct sconn *c, uint64_t ino, uint64_t indx,
			 const struct meta_slice *s)
{
	unsigned char buf[24];
	int ret;

	meta_slice_encode(s, buf);
	ret = sq_exec(c, "UPDATE jfs_chunk SET slices=slices || ? WHERE inode=? AND indx=?",
		      "bii", buf, sizeof(buf), (int64_t)ino, (int64_t)indx);
	if (!ret && sq_changes(c) == 0)
		ret = sq_exec(c, "INSERT INTO jfs_chunk (inode, indx, slices) VALUES (?,?,?)",
			      "iib", (int64_t)ino, (int64_t)indx, buf, sizeof(buf));
	return ret;
}

static int append_zero(struct sconn *c, uint64_t ino, uint64_t indx, uint32_t pos,
		       uint32_t len)
{
	struct meta_slice s = { .pos = pos, .len = len };

	return append_record(c, ino, indx, &s);
}

struct parents_arg {
	uint64_t ino;
	struct meta_parents *pa;
};

/* doGetParents: a hard-linked file's parents, with its links in each */
static int parents_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct parents_arg *g = arg;
	struct meta_parents *a = g->pa;
	struct sq_stmt *st;
	int ret;

	a->n = 0;
	ret = sq_query(c, &st, "SELECT parent, count(*) FROM jfs_edge WHERE inode=? "
		       "GROUP BY parent", "i", (int64_t)g->ino);
	while (!ret && (ret = sq_row(c, st)) == 1) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 8;
			uint64_t *p = realloc(a->p, cap * sizeof(*p));
			int64_t *k = p ? realloc(a->k, cap * sizeof(*k)) : NULL;

			if (p)
				a->p = p;
			if (!p || !k)
				return -ENOMEM;
			a->k = k;
			a->cap = cap;
		}
		a->p[a->n] = (uint64_t)sq_col_int64(st, 0);
		a->k[a->n++] = sq_col_int64(st, 1);
		ret = 0;
	}
	return ret;
}

int sqm_get_parents(struct meta *mm, uint64_t ino, struct meta_parents *pa)
{
	struct parents_arg a = { .ino = ino, .pa = pa };

	return sq_read((struct smeta *)mm, parents_body, &a);
}

/* ---- read and write ---------------------------------------------------- */

static int read_chunk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_chunk *a = arg;

	free(a->s);
	return sq_load_chunk(c, a->ino, a->indx, 0, &a->s, &a->n, NULL);
}

/* doRead: a missing row is an empty chunk */
int sqm_read_chunk(struct meta *mm, struct meta_chunk *a)
{
	return sq_read((struct smeta *)mm, read_chunk_body, a);
}

/* doWrite: the record, its slice's reference and the new length at once */
/* what sql.go's doWrite reports as numSlices */
static int count_records(struct sconn *c, uint64_t ino, uint32_t indx, size_t *n)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT length(CAST(slices AS BLOB)) FROM jfs_chunk "
		       "WHERE inode=? AND indx=?", "ii", (int64_t)ino, (int64_t)indx);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	*n = ret ? (size_t)sq_col_int64(st, 0) / 24 : 0;
	return 0;
}

static int write_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_write *a = arg;
	struct meta_attr *t = &a->attr;
	unsigned char buf[24];
	int ret;

	ret = sq_get_node(c, a->ino, t);
	if (!ret)
		ret = meta_write_attr(a);
	if (ret)
		return ret;

	meta_slice_encode(a->s, buf);
	ret = sq_exec(c, "INSERT INTO jfs_chunk (inode, indx, slices) VALUES (?,?,?) "
		      "ON CONFLICT (inode, indx) DO UPDATE SET slices=jfs_chunk.slices || ?",
		      "iibb", (int64_t)a->ino, (int64_t)a->indx, buf, sizeof(buf),
		      buf, sizeof(buf));
	/* a zero record has no objects to count */
	if (!ret && a->s->id)
		ret = sq_exec(c, "INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (?,?,1)",
			      "ii", (int64_t)a->s->id, (int64_t)a->s->size);
	if (!ret)
		ret = sq_update_node(c, a->ino, t);
	if (!ret && t->length > a->old)
		ret = incr(c, "usedSpace", space_delta(t->length, a->old));
	if (!ret)
		ret = count_records(c, a->ino, a->indx, &a->nrec);
	return ret;
}

int sqm_write_slice(struct meta *mm, struct meta_write *a)
{
	return sq_txn((struct smeta *)mm, write_body, a);
}

/* ---- compaction ---------------------------------------------------------- */

static bool freed_has(const struct meta_slice_ref *v, size_t n, uint64_t id, uint32_t size)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id && v[i].size == size)
			return true;
	return false;
}

/* the old slices as JuiceFS's delslices value: 12-byte (id, size) records */
static int insert_delslices(struct sconn *c, const struct meta_compact *a)
{
	unsigned char *buf, *p;
	size_t i;
	int k, ret;

	buf = malloc(a->n * 12);
	if (!buf)
		return -ENOMEM;
	for (i = a->skip, p = buf; i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		for (k = 0; k < 8; k++)
			*p++ = (unsigned char)(a->old[i].id >> (56 - 8 * k));
		for (k = 0; k < 4; k++)
			*p++ = (unsigned char)(a->old[i].size >> (24 - 8 * k));
	}
	ret = 0;
	if (p != buf)	/* only zero records: nothing to keep */
		ret = sq_exec(c, "INSERT INTO jfs_delslices (chunkid, deleted, slices) "
			      "VALUES (?,?,?)", "iib", (int64_t)a->s->id,
			      (int64_t)time(NULL), buf, (size_t)(p - buf));
	free(buf);
	return ret;
}

/*
 * compactChunk's transaction: if the row still starts with the n old
 * records they become the one record s (its slice gets its reference
 * row), and each old slice drops a reference, or, with trash on, is
 * kept in a jfs_delslices row until the trash's cleanup.
 */
static int compact_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_compact *a = arg;
	const unsigned char *p;
	unsigned char rec[24], *buf;
	size_t len, nlen, i;
	bool freed;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	ret = chunk_row(c, a->ino, a->indx, &p, &len);
	if (ret)
		return ret;
	if (len % 24)
		return chunk_bad(a->ino, a->indx);
	if (len < 24 * a->n)
		return -EINVAL;	/* written (or truncated away) meanwhile */
	for (i = 0; i < a->n; i++) {
		meta_slice_encode(&a->old[i], rec);
		if (memcmp(rec, p + 24 * i, 24))
			return -EINVAL;
	}
	/* the skipped records, s, then whatever was appended after the old */
	nlen = len - 24 * (a->n - a->skip - 1);
	buf = malloc(nlen);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, p, 24 * a->skip);
	meta_slice_encode(a->s, buf + 24 * a->skip);
	memcpy(buf + 24 * (a->skip + 1), p + 24 * a->n, len - 24 * a->n);
	ret = sq_exec(c, "UPDATE jfs_chunk SET slices=? WHERE inode=? AND indx=?", "bii",
		      buf, nlen, (int64_t)a->ino, (int64_t)a->indx);
	free(buf);
	if (!ret && a->s->id)
		ret = sq_exec(c, "INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (?,?,1)",
			      "ii", (int64_t)a->s->id, (int64_t)a->s->size);
	if (ret)
		return ret;
	if (m->base.trash_days > 0)
		return insert_delslices(c, a);
	a->freed = calloc(a->n, sizeof(*a->freed));
	if (!a->freed)
		return -ENOMEM;
	for (i = a->skip; i < a->n && !ret; i++) {
		if (!a->old[i].id)
			continue;
		ret = sq_unref_slice(c, a->old[i].id, a->old[i].size, &freed);
		if (!ret && freed &&
		    !freed_has(a->freed, a->nfreed, a->old[i].id, a->old[i].size))
			a->freed[a->nfreed++] = (struct meta_slice_ref){ a->old[i].id,
								      a->old[i].size };
	}
	return ret;
}

int sqm_compact_chunk(struct meta *mm, struct meta_compact *a)
{
	return sq_txn((struct smeta *)mm, compact_body, a);
}

/* ---- truncate and fallocate ---------------------------------------------- */

/* doTruncate: zero records mask [left, right) so old data never reappears */
static int truncate_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_truncate *a = arg;
	struct meta_attr *t = &a->attr;
	uint64_t left, right, l;
	unsigned char buf[24];
	int ret;

	ret = sq_get_node(c, a->ino, t);
	if (!ret)
		ret = meta_truncate_attr(a);
	if (ret)
		return ret > 0 ? 0 : ret;
	left = a->old < a->length ? a->old : a->length;
	right = a->old < a->length ? a->length : a->old;

	l = right - left;
	if (right > (left / CS + 1) * CS)
		l = CS - left % CS;
	ret = append_zero(c, a->ino, left / CS, (uint32_t)(left % CS), (uint32_t)l);
	/* whole chunks in between: only rows that exist can hold old data */
	if (!ret && right / CS - left / CS > 1) {
		meta_slice_encode(&(struct meta_slice){ .len = (uint32_t)CS }, buf);
		ret = sq_exec(c, "UPDATE jfs_chunk SET slices=slices || ? "
			      "WHERE inode=? AND indx>? AND indx<?", "biii", buf, sizeof(buf),
			      (int64_t)a->ino, (int64_t)(left / CS), (int64_t)(right / CS));
	}
	if (!ret && right > (left / CS + 1) * CS && right % CS > 0)
		ret = append_zero(c, a->ino, right / CS, 0, (uint32_t)(right % CS));
	if (!ret)
		ret = sq_update_node(c, a->ino, t);
	if (!ret)
		ret = incr(c, "usedSpace", space_delta(a->length, a->old));
	return ret;
}

int sqm_truncate(struct meta *mm, struct meta_truncate *a)
{
	return sq_txn((struct smeta *)mm, truncate_body, a);
}

/*
 * doFallocate: the length grows unless KEEP_SIZE; punch and zero ranges
 * get zero records over what existed before, chunk by chunk.
 */
static int falloc_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_falloc *a = arg;
	struct meta_attr *t = &a->attr;
	uint64_t off, size;
	int ret;

	ret = sq_get_node(c, a->ino, t);
	if (!ret)
		ret = meta_falloc_attr(a);
	if (!ret)
		ret = sq_update_node(c, a->ino, t);
	if (!ret && (a->mode & (META_FALLOC_ZERO_RANGE | META_FALLOC_PUNCH_HOLE)) &&
	    a->off < a->old) {
		off = a->off;
		size = a->off + a->len > a->old ? a->old - a->off : a->len;
		while (size > 0 && !ret) {
			uint64_t coff = off % CS, l = size;

			if (coff + size > CS)
				l = CS - coff;
			ret = append_zero(c, a->ino, off / CS, (uint32_t)coff, (uint32_t)l);
			off += l;
			size -= l;
		}
	}
	if (!ret)
		ret = incr(c, "usedSpace", space_delta(t->length, a->old));
	return ret;
}

int sqm_fallocate(struct meta *mm, struct meta_falloc *a)
{
	return sq_txn((struct smeta *)mm, falloc_body, a);
}

/* ---- copy_range ------------------------------------------------------------ */

/* CopyFileRange's updateSlices: the record, and one more ref to its slice */
static int copy_record(struct sconn *c, uint64_t ino, uint32_t indx,
		       const struct meta_slice *s)
{
	int ret = append_record(c, ino, indx, s);

	if (!ret && s->id)
		ret = sq_exec(c, "UPDATE jfs_chunk_ref SET refs=refs+1 WHERE chunkid=? AND size=?",
			      "ii", (int64_t)s->id, (int64_t)s->size);
	return ret;
}

/*
 * CopyFileRange's writes (meta_copy_txn): the destination gets records
 * pointing at the source's slices, and each referenced slice one more
 * jfs_chunk_ref, so neither file's deletion frees the other's blocks.
 * Nothing is read or written in the object store.
 */
static int copy_writes(void *ctx, struct meta_copy *a, const struct meta_copy_rec *r,
		       size_t n)
{
	struct sq_tx *x = ctx;
	struct sconn *c = x->c;
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++)
		ret = copy_record(c, a->fout, r[i].indx, &r[i].s);
	if (!ret)
		ret = sq_update_node(c, a->fout, &a->attr);
	return ret ? ret : incr(c, "usedSpace", space_delta(a->attr.length, a->old));
}

static int copy_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_copy_txn(&x.ns, arg, copy_writes, &x);
}

int sqm_copy_range(struct meta *mm, struct meta_copy *a)
{
	return sq_txn((struct smeta *)mm, copy_body, a);
}

/* ---- freeing a file's data --------------------------------------------- */

struct indexes_arg {
	uint64_t ino;
	uint32_t *v;
	size_t n, cap;
};

static int indexes_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct indexes_arg *a = arg;
	struct sq_stmt *st;
	int ret;

	a->n = 0;
	ret = sq_query(c, &st, "SELECT indx FROM jfs_chunk WHERE inode=? ORDER BY indx", "i",
		       (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) == 1) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;
			uint32_t *v = realloc(a->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			a->v = v;
			a->cap = cap;
		}
		a->v[a->n++] = (uint32_t)sq_col_int64(st, 0);
		ret = 0;
	}
	return ret;
}

/* deleteChunk: the row goes, each slice it names loses one reference */
static int delchunk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_delchunk *a = arg;
	struct meta_slice *s = NULL;
	size_t n = 0, i;
	bool freed, corrupt = false;
	int ret;

	a->nfreed = 0;
	/* a corrupt row still goes, releasing nothing: `juicefs gc` finds the leaks */
	ret = sq_load_chunk(c, a->ino, a->indx, 0, &s, &n, &corrupt);
	if (ret)
		return ret;
	free(a->freed);
	a->freed = n ? calloc(n, sizeof(*a->freed)) : NULL;
	if (n && !a->freed) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0, ret = 0; i < n && !ret; i++) {
		if (!s[i].id)
			continue;
		ret = sq_unref_slice(c, s[i].id, s[i].size, &freed);
		if (!ret && freed && !freed_has(a->freed, a->nfreed, s[i].id, s[i].size))
			a->freed[a->nfreed++] = (struct meta_slice_ref){ s[i].id, s[i].size };
	}
	free(s);
	if (!ret)
		ret = sq_exec(c, "DELETE FROM jfs_chunk WHERE inode=? AND indx=?", "ii",
			      (int64_t)a->ino, (int64_t)a->indx);
	return ret;
}

int sqm_delete_chunk(struct meta *mm, struct meta_delchunk *a)
{
	return sq_txn((struct smeta *)mm, delchunk_body, a);
}

static int delfile_body(struct smeta *m, struct sconn *c, void *arg)
{
	const uint64_t *ino = arg;

	return sq_exec(c, "DELETE FROM jfs_delfile WHERE inode=?", "i", (int64_t)*ino);
}

/*
 * doDeleteFileData: every chunk row of the inode, each in a transaction
 * of its own (as JuiceFS, whatever the length says), then the delfile
 * row; a failure keeps that row for the background cleanup.
 */
int sq_free_file_data(struct smeta *m, uint64_t ino, uint64_t length)
{
	struct indexes_arg a = { .ino = ino };
	size_t i;
	int ret;

	(void)length;
	ret = sq_read(m, indexes_body, &a);
	for (i = 0; !ret && i < a.n; i++)
		ret = meta_delete_chunk(&m->base, ino, a.v[i]);
	free(a.v);
	if (!ret)
		ret = sq_txn(m, delfile_body, &ino);
	return ret;
}

int sqm_free_file_data(struct meta *mm, uint64_t ino, uint64_t length)
{
	return sq_free_file_data((struct smeta *)mm, ino, length);
}

/* ---- sustained inodes ------------------------------------------------------ */

/* doDeleteSustainedInode */
static int sustained_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_sustained *a = arg;
	struct meta_attr attr;
	int ret;

	a->free_data = false;
	ret = sq_get_node(c, a->ino, &attr);
	if (ret && ret != -ENOENT)
		return ret;
	if (!ret && attr.nlink == 0) {
		ret = sq_add_delfile(c, a->ino, attr.length);
		if (!ret)
			ret = sq_delete_node(c, a->ino);
		if (!ret)
			ret = incr(c, "usedSpace", -(int64_t)meta_align4k(attr.length));
		if (!ret)
			ret = incr(c, "totalInodes", -1);
		if (ret)
			return ret;
		a->free_data = true;
		a->length = attr.length;
	}
	/* gone already, or linked again: just forget it */
	return sq_exec(c, "DELETE FROM jfs_sustained WHERE sid=? AND inode=?", "ii",
		       (int64_t)a->sid, (int64_t)a->ino);
}

int sqm_release_sustained(struct meta *mm, struct meta_sustained *a)
{
	return sq_txn((struct smeta *)mm, sustained_body, a);
}
