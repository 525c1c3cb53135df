/*
 * redis/data.c - the Redis engine: chunks and slices: freeing a file's data, fallocate, copy_range,
 * slice ids, read/write, compaction.
 * The engine's design is in redis.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "redis.h"

/* ---- helpers: freeing data ------------------------------------------- */

/* WATCH c{ino}_{indx}, then LRANGE it from 0 to 'stop' (-1: the end) as c */
static int watch_chunk(struct rmeta *m, struct rconn *rc, struct cmd *c, uint64_t ino,
		       uint32_t indx, long long stop, redisReply **r)
{
	rm_cmd_init(c, "LRANGE");
	rm_cmd_fmt(c, "c%" PRIu64 "_%" PRIu32, ino, indx);
	rm_cmd_str(c, "0");
	rm_cmd_fmt(c, "%lld", stop);
	return rm_watch_call(m, rc, c, r);
}

/*
 * spec 5.6 deleteChunk: DEL the list and drop one reference per record;
 * a->freed: the slices whose count went below zero.
 */
static int delchunk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_delchunk *a = arg;
	struct meta_slice_ref *cand = NULL;
	redisReply *r = NULL, *ex = NULL;
	struct meta_slice s;
	struct cmd c;
	size_t i, n = 0;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	ret = watch_chunk(m, rc, &c, a->ino, a->indx, -1, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		goto out;
	cand = calloc(r->elements, sizeof(*cand));
	if (!cand) {
		ret = -ENOMEM;
		goto out;
	}
	rm_tx_multi(rc);
	c.argv[0] = "DEL";
	c.len[0] = 3;
	c.argc = 2;
	rm_tx_add(rc, &c);
	for (i = 0; i < r->elements; i++) {
		struct cmd h;

		if (r->element[i]->len != 24)
			continue;	/* corrupt record: nothing to release */
		meta_slice_decode((unsigned char *)r->element[i]->str, &s);
		if (!s.id)
			continue;
		cand[n].id = s.id;
		cand[n].size = s.size;
		n++;
		rm_cmd_init(&h, "HINCRBY");
		rm_cmd_str(&h, "sliceRef");
		rm_cmd_fmt(&h, "k%" PRIu64 "_%" PRIu32, s.id, s.size);
		rm_cmd_str(&h, "-1");
		rm_tx_add(rc, &h);
	}
	ret = rm_tx_exec(m, rc, &ex);
	if (ret)
		goto out;
	/* no reply (a commit learnt from the marker): frees nothing, gc finds them */
	for (i = 0; ex && i < n && i + 1 < ex->elements; i++) {
		if (rm_reply_int(ex->element[i + 1]) < 0)
			cand[a->nfreed++] = cand[i];
	}
	a->freed = cand;
	cand = NULL;
out:
	free(cand);
	freeReplyObject(ex);
	freeReplyObject(r);
	return ret;
}

static int hdel_ref_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const struct meta_slice_ref *a = arg;
	struct cmd c;

	rm_cmd_init(&c, "HDEL");
	rm_cmd_str(&c, "sliceRef");
	rm_cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, a->id, a->size);
	return rm_do(m, rc, &c);
}

int rm_delete_slice_ref(struct meta *mm, uint64_t id, uint32_t size)
{
	struct meta_slice_ref a = { id, size };

	return rm_run((struct rmeta *)mm, NULL, hdel_ref_body, &a);
}

/* the transactions on a chunk lock on its list's key */
static int run_on_chunk(struct rmeta *m, uint64_t ino, uint32_t indx, rm_body body,
			void *arg)
{
	char key[RM_ARGLEN];

	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	return rm_run(m, key, body, arg);
}

int rm_delete_chunk(struct meta *mm, struct meta_delchunk *a)
{
	return run_on_chunk((struct rmeta *)mm, a->ino, a->indx, delchunk_body, a);
}

struct llen_arg {
	uint64_t ino;
	uint32_t first, count;
	bool *nonempty;
};

/* pipelined LLEN of a batch of chunk lists: skips never-written chunks */
static int llen_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct llen_arg *a = arg;
	redisReply *r;
	struct cmd c;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < a->count; i++) {
		rm_cmd_init(&c, "LLEN");
		rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->first + i);
		if (rm_append(rc, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < a->count; i++) {
		if (rm_get_reply(rc, &r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &c);
		if (r->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r, &c);
		a->nonempty[i] = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
	}
	return ret;
}

static int zrem_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const uint64_t *v = arg;
	struct cmd c;

	rm_cmd_init(&c, "ZREM");
	rm_cmd_str(&c, "delfiles");
	rm_cmd_fmt(&c, "%" PRIu64 ":%" PRIu64, v[0], v[1]);
	return rm_do(m, rc, &c);
}

/*
 * doDeleteFileData: free the chunks below ceil(length / 64 MiB) of a file
 * already removed from the namespace, then drop its delfiles entry.
 */
int rm_free_file_data(struct meta *mm, uint64_t ino, uint64_t length)
{
	struct rmeta *m = (struct rmeta *)mm;
	bool nonempty[RM_BATCH];
	uint64_t nchunks = (length + META_CHUNK_SIZE - 1) / META_CHUNK_SIZE;
	uint64_t v[2] = { ino, length };
	struct llen_arg la = { .ino = ino, .nonempty = nonempty };
	uint64_t first;
	uint32_t i;
	int ret = 0;

	for (first = 0; first < nchunks && !ret; first += RM_BATCH) {
		la.first = (uint32_t)first;
		la.count = (uint32_t)(nchunks - first < RM_BATCH ?
				      nchunks - first : RM_BATCH);
		ret = rm_run(m, NULL, llen_body, &la);
		for (i = 0; !ret && i < la.count; i++)
			if (nonempty[i])
				ret = meta_delete_chunk(mm, ino, la.first + i);
	}
	if (ret)	/* delfiles keeps the entry for a later cleanup */
		return ret;
	return rm_run(m, NULL, zrem_body, v);
}

/* ---- operations: fallocate and copy_range (redis.go) -------------------- */

/*
 * doFallocate: the length grows unless KEEP_SIZE; punch and zero ranges
 * get zero records (id 0) over what existed before, chunk by chunk.
 */
static int falloc_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_falloc *a = arg;
	struct meta_attr *t = &a->attr;
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t off, size;
	int ret;

	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, t);
	if (!ret)
		ret = meta_falloc_attr(a);
	if (ret)
		return ret;
	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, t);
	if ((a->mode & (META_FALLOC_ZERO_RANGE | META_FALLOC_PUNCH_HOLE)) &&
	    a->off < a->old) {
		off = a->off;
		size = a->off + a->len > a->old ? a->old - a->off : a->len;
		while (size > 0) {
			uint64_t coff = off % cs, l = size;

			if (coff + size > cs)
				l = cs - coff;
			rm_q_zero_slice(rc, "RPUSH", a->ino, off / cs, (uint32_t)coff, (uint32_t)l);
			off += l;
			size -= l;
		}
	}
	rm_q_incrby(rc, "usedSpace",
		 (int64_t)meta_align4k(t->length) - (int64_t)meta_align4k(a->old));
	return rm_tx_exec(m, rc, NULL);
}

int rm_fallocate(struct meta *mm, struct meta_falloc *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, falloc_body, a);
}

/* RPUSH c{fout}_{indx} a record, and one more reference to its slice */
static void q_copy_record(struct rconn *rc, uint64_t ino, uint32_t indx,
			  const struct meta_slice *s)
{
	unsigned char buf[24];
	struct cmd c;

	meta_slice_encode(s, buf);
	rm_cmd_init(&c, "RPUSH");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, ino, indx);
	rm_cmd_bin(&c, buf, sizeof(buf));
	rm_tx_add(rc, &c);
	if (!s->id)
		return;
	rm_cmd_init(&c, "HINCRBY");
	rm_cmd_str(&c, "sliceRef");
	rm_cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, s->id, s->size);
	rm_cmd_str(&c, "1");
	rm_tx_add(rc, &c);
}

/*
 * CopyFileRange's writes (meta_copy_txn): the destination gets records
 * pointing at the source's slices, and each referenced slice one more
 * sliceRef, so neither file's deletion frees the other's blocks.
 * Nothing is read or written in the object store.
 */
static int copy_writes(void *ctx, struct meta_copy *a, const struct meta_copy_rec *r,
		       size_t n)
{
	struct rm_tx *x = ctx;
	struct rconn *rc = x->rc;
	size_t i;

	rm_tx_multi(rc);
	for (i = 0; i < n; i++)
		q_copy_record(rc, a->fout, r[i].indx, &r[i].s);
	rm_q_set_attr(rc, a->fout, &a->attr);
	rm_q_incrby(rc, "usedSpace",
		    (int64_t)meta_align4k(a->attr.length) - (int64_t)meta_align4k(a->old));
	return rm_tx_exec(x->m, rc, NULL);
}

static int copy_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct rm_tx x;

	rm_tx_io(&x, m, rc);
	return meta_copy_txn(&x.ns, arg, copy_writes, &x);
}

int rm_copy_range(struct meta *mm, struct meta_copy *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->fout, copy_body, a);
}

/* ---- operations: data -------------------------------------------------- */

struct id_arg {
	uint64_t id;
};

static int slice_id_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct id_arg *a = arg;

	return rm_alloc_id(m, rc, "nextchunk", RM_SLICE_BATCH, 1, &m->slice_next,
			&m->slice_max, &a->id);
}

int rm_new_slice_id(struct meta *mm, uint64_t *id)
{
	struct id_arg a = { 0 };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, slice_id_body, &a);
	if (!ret)
		*id = a.id;
	return ret;
}

/*
 * LRANGE c{ino}_{indx}, decoded into *s after @front empty slots (for
 * the caller's own records); a record that is not 24 bytes makes the
 * whole chunk corrupt, as in JuiceFS.
 */
int rm_chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
		  size_t front, struct meta_slice **s, size_t *n)
{
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	*s = NULL;
	*n = 0;
	rm_cmd_init(&c, "LRANGE");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, ino, indx);
	rm_cmd_str(&c, "0");
	rm_cmd_str(&c, "-1");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	*n = front + (r->type == REDIS_REPLY_ARRAY ? r->elements : 0);
	*s = *n ? calloc(*n, sizeof(**s)) : NULL;
	if (*n && !*s)
		ret = -ENOMEM;
	for (i = 0; !ret && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		if (r->element[i]->len != 24) {
			ret = rm_bad_value(m, c.buf[1], r->element[i]->len);
			break;
		}
		meta_slice_decode((unsigned char *)r->element[i]->str, &(*s)[front + i]);
	}
	freeReplyObject(r);
	if (ret) {
		free(*s);
		*s = NULL;
		*n = 0;
	}
	return ret;
}

static int read_chunk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_chunk *a = arg;

	free(a->s);
	return rm_chunk_list(m, rc, a->ino, a->indx, 0, &a->s, &a->n);
}

int rm_read_chunk(struct meta *mm, struct meta_chunk *a)
{
	return rm_run((struct rmeta *)mm, NULL, read_chunk_body, a);
}

/* spec 5.3 doWrite: the slice and the new length in one transaction */
static int write_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_write *a = arg;
	struct meta_attr *t = &a->attr;
	unsigned char buf[24];
	redisReply *ex = NULL;
	struct cmd c;
	uint64_t old;
	int ret;

	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, t);
	if (!ret)
		ret = meta_write_attr(a);
	if (ret)
		return ret;
	old = a->old;

	meta_slice_encode(a->s, buf);
	rm_tx_multi(rc);
	rm_cmd_init(&c, "RPUSH");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	rm_cmd_bin(&c, buf, sizeof(buf));
	rm_tx_add(rc, &c);
	rm_q_set_attr(rc, a->ino, t);
	if (meta_align4k(t->length) > meta_align4k(old))
		rm_q_incrby(rc, "usedSpace",
			 (int64_t)(meta_align4k(t->length) - meta_align4k(old)));
	ret = rm_tx_exec(m, rc, &ex);
	/* RPUSH answers the list's new length */
	if (!ret)
		a->nrec = ex && ex->elements > 0 && rm_reply_int(ex->element[0]) > 0 ?
			  (size_t)rm_reply_int(ex->element[0]) : 0;
	freeReplyObject(ex);
	return ret;
}

int rm_write_slice(struct meta *mm, struct meta_write *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, write_body, a);
}

/* true if the n replies are exactly the records a->old */
static bool same_records(const struct meta_compact *a, const redisReply *r)
{
	unsigned char buf[24];
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != a->n)
		return false;
	for (i = 0; i < a->n; i++) {
		meta_slice_encode(&a->old[i], buf);
		if (r->element[i]->len != 24 || memcmp(r->element[i]->str, buf, 24))
			return false;
	}
	return true;
}

/* the old slices as JuiceFS's delSlices value: 12-byte (id, size) records */
static void q_delayed(struct rconn *rc, const struct meta_compact *a, unsigned char *buf)
{
	unsigned char *p = buf;
	struct cmd c;
	size_t i;
	int k;

	for (i = a->skip; i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		for (k = 0; k < 8; k++)
			*p++ = a->old[i].id >> (56 - 8 * k);
		for (k = 0; k < 4; k++)
			*p++ = a->old[i].size >> (24 - 8 * k);
	}
	if (p == buf)
		return;
	rm_cmd_init(&c, "HSET");
	rm_cmd_str(&c, "delSlices");
	rm_cmd_fmt(&c, "%" PRIu64 "_%lld", a->s->id, (long long)time(NULL));
	rm_cmd_bin(&c, buf, p - buf);
	rm_tx_add(rc, &c);
}

/* redis.go compactChunk's transaction: swap the first n records for one */
static int compact_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_compact *a = arg;
	bool trash = m->base.trash_days > 0;
	redisReply *r, *ex = NULL;
	unsigned char rec[24], *del = NULL;
	struct cmd c;
	size_t i, k;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	ret = watch_chunk(m, rc, &c, a->ino, a->indx, (long long)a->n - 1, &r);
	if (ret)
		return ret;
	if (!same_records(a, r)) {
		freeReplyObject(r);
		return -EINVAL;	/* written meanwhile: the caller drops s */
	}
	freeReplyObject(r);
	a->freed = calloc(a->n, sizeof(*a->freed));
	del = trash ? malloc(a->n * 12) : NULL;
	if (!a->freed || (trash && !del)) {
		free(del);
		return -ENOMEM;
	}
	rm_tx_multi(rc);
	rm_cmd_init(&c, "LTRIM");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	rm_cmd_fmt(&c, "%zu", a->n);
	rm_cmd_str(&c, "-1");
	rm_tx_add(rc, &c);
	meta_slice_encode(a->s, rec);
	rm_cmd_init(&c, "LPUSH");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	rm_cmd_bin(&c, rec, sizeof(rec));
	rm_tx_add(rc, &c);
	for (i = a->skip; i > 0; i--) {	/* the skipped stay first */
		meta_slice_encode(&a->old[i - 1], rec);
		rm_cmd_init(&c, "LPUSH");
		rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
		rm_cmd_bin(&c, rec, sizeof(rec));
		rm_tx_add(rc, &c);
	}
	if (trash)
		q_delayed(rc, a, del);
	for (i = a->skip; !trash && i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		rm_cmd_init(&c, "HINCRBY");
		rm_cmd_str(&c, "sliceRef");
		rm_cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, a->old[i].id, a->old[i].size);
		rm_cmd_str(&c, "-1");
		rm_tx_add(rc, &c);
	}
	ret = rm_tx_exec(m, rc, &ex);
	free(del);
	for (i = a->skip, k = 2 + a->skip; !ret && ex && !trash && i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		if (k < ex->elements && rm_reply_int(ex->element[k]) < 0) {
			a->freed[a->nfreed].id = a->old[i].id;
			a->freed[a->nfreed++].size = a->old[i].size;
		}
		k++;
	}
	freeReplyObject(ex);
	return ret;
}

int rm_compact_chunk(struct meta *mm, struct meta_compact *a)
{
	return run_on_chunk((struct rmeta *)mm, a->ino, a->indx, compact_body, a);
}
