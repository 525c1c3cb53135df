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

struct delchunk_arg {
	uint64_t ino;
	uint32_t indx;
	struct freed_slice *freed;	/* out: refcount went below zero */
	size_t nfreed;
};

/* spec 5.6 deleteChunk: DEL the list and drop one reference per record */
static int delchunk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct delchunk_arg *a = arg;
	struct freed_slice *cand = NULL;
	redisReply *r = NULL, *ex = NULL;
	struct meta_slice s;
	struct cmd c;
	size_t i, n = 0;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	rm_cmd_init(&c, "WATCH");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	c.argv[0] = "LRANGE";
	c.len[0] = 6;
	rm_cmd_str(&c, "0");
	rm_cmd_str(&c, "-1");
	ret = rm_call(m, rc, &c, &r);
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
	for (i = 0; i < n && i + 1 < ex->elements; i++) {
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

int rm_hdel_ref_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct slice_del_arg *a = arg;
	struct cmd c;

	rm_cmd_init(&c, "HDEL");
	rm_cmd_str(&c, "sliceRef");
	rm_cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, a->s.id, a->s.size);
	return rm_do(m, rc, &c);
}

static int delete_chunk(struct rmeta *m, uint64_t ino, uint32_t indx)
{
	struct delchunk_arg a = { .ino = ino, .indx = indx };
	struct slice_del_arg d;
	char key[RM_ARGLEN];
	size_t i;
	int ret;

	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	ret = rm_run(m, key, delchunk_body, &a);
	for (i = 0; !ret && i < a.nfreed; i++) {
		/* without a deleter the negative ref is left for `juicefs gc` */
		if (!m->base.hooks.delete_slice ||
		    m->base.hooks.delete_slice(m->base.hooks.arg, a.freed[i].id,
					       a.freed[i].size))
			continue;
		d.s = a.freed[i];
		ret = rm_run(m, NULL, rm_hdel_ref_body, &d);
	}
	free(a.freed);
	return ret;
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
		if (redisAppendCommandArgv(rc->c, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < a->count; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r)
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
				ret = delete_chunk(m, ino, la.first + i);
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

/* the transactions on one inode lock on its attr key */
static int run_on_ino(struct rmeta *m, uint64_t ino, rm_body body, void *arg)
{
	char key[RM_ARGLEN];

	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	return rm_run(m, key, body, arg);
}

int rm_fallocate(struct meta *mm, struct meta_falloc *a)
{
	return run_on_ino((struct rmeta *)mm, a->ino, falloc_body, a);
}

static int chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
		      size_t front, struct meta_slice **s, size_t *n);

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
 * CopyFileRange: the destination gets records pointing at the source's
 * slices (a hole copies as a zero record), and each referenced slice one
 * more sliceRef, so neither file's deletion frees the other's blocks.
 * Nothing is read or written in the object store.
 */
static int copy_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_copy *a = arg;
	const uint64_t cs = META_CHUNK_SIZE;
	struct meta_attr src, *t = &a->attr;
	struct meta_slice **lists = NULL;
	size_t *counts = NULL, nchunks;
	uint64_t size = 0, end, i;
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "WATCH");
	rm_cmd_fmt(&c, "i%" PRIu64, a->fin);
	rm_cmd_fmt(&c, "i%" PRIu64, a->fout);
	ret = rm_watch(m, rc, &c);
	if (!ret)
		ret = rm_get_attr(m, rc, a->fin, &src);
	if (!ret)
		ret = rm_get_attr(m, rc, a->fout, t);
	if (!ret)
		ret = meta_copy_attr(a, &src, &size);
	if (ret)
		return ret > 0 ? 0 : ret;
	end = a->offin + size;

	nchunks = end / cs - a->offin / cs + 1;
	lists = calloc(nchunks, sizeof(*lists));
	counts = calloc(nchunks, sizeof(*counts));
	if (!lists || !counts) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nchunks && !ret; i++)
		ret = chunk_list(m, rc, a->fin, (uint32_t)(a->offin / cs + i), 1,
				 &lists[i], &counts[i]);
	if (ret)
		goto out;
	rm_tx_multi(rc);
	for (i = 0; i < nchunks && !ret; i++) {
		uint64_t coff = (a->offin / cs + i) * cs;
		struct meta_segs segs;
		size_t k;

		lists[i][0] = (struct meta_slice){ .len = (uint32_t)cs };	/* holes */
		ret = meta_overlay(lists[i], counts[i], &segs);
		for (k = 0; !ret && k < segs.n; k++) {
			struct meta_slice s = {
				.id = segs.v[k].id, .size = segs.v[k].size,
				.off = segs.v[k].off,
				.len = segs.v[k].end - segs.v[k].start,
			};
			uint64_t pos = coff + segs.v[k].start, doff, skip;
			uint32_t indx, dpos;

			if (pos >= end || pos + s.len <= a->offin)
				continue;
			if (pos < a->offin) {
				s.off += (uint32_t)(a->offin - pos);
				s.len -= (uint32_t)(a->offin - pos);
				pos = a->offin;
			}
			if (pos + s.len > end)
				s.len -= (uint32_t)(pos + s.len - end);
			doff = pos - a->offin + a->offout;
			indx = (uint32_t)(doff / cs);
			dpos = (uint32_t)(doff % cs);
			s.pos = dpos;
			if (dpos + s.len > cs) {
				struct meta_slice rest = s;

				skip = cs - dpos;
				s.len = (uint32_t)skip;
				q_copy_record(rc, a->fout, indx, &s);
				rest.pos = 0;
				rest.off += (uint32_t)skip;
				rest.len -= (uint32_t)skip;
				q_copy_record(rc, a->fout, indx + 1, &rest);
			} else {
				q_copy_record(rc, a->fout, indx, &s);
			}
		}
		free(segs.v);
	}
	rm_q_set_attr(rc, a->fout, t);
	rm_q_incrby(rc, "usedSpace", (int64_t)meta_align4k(t->length) - (int64_t)meta_align4k(a->old));
	if (ret) {
		/* the queued commands must not run: drop the connection's state */
		rc->queued = 0;
		redisFree(rc->c);
		rc->c = NULL;
		goto out;
	}
	ret = rm_tx_exec(m, rc, NULL);
	if (!ret)
		a->copied = size;
out:
	for (i = 0; lists && i < nchunks; i++)
		free(lists[i]);
	free(lists);
	free(counts);
	return ret;
}

int rm_copy_range(struct meta *mm, struct meta_copy *a)
{
	return run_on_ino((struct rmeta *)mm, a->fout, copy_body, a);
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
static int chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
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
	return chunk_list(m, rc, a->ino, a->indx, 0, &a->s, &a->n);
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
		a->nrec = ex->elements > 0 && rm_reply_int(ex->element[0]) > 0 ?
			  (size_t)rm_reply_int(ex->element[0]) : 0;
	freeReplyObject(ex);
	return ret;
}

int rm_write_slice(struct meta *mm, struct meta_write *a)
{
	return run_on_ino((struct rmeta *)mm, a->ino, write_body, a);
}

struct compact_arg {
	uint64_t ino;
	uint32_t indx;
	const struct meta_slice *old;
	size_t n, skip;			/* old[0..skip) stay in front of s */
	const struct meta_slice *s;
	struct freed_slice *freed;	/* out: refcount went below zero */
	size_t nfreed;
};

/* true if the n replies are exactly the records a->old */
static bool same_records(const struct compact_arg *a, const redisReply *r)
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
static void q_delayed(struct rconn *rc, const struct compact_arg *a, unsigned char *buf)
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
	struct compact_arg *a = arg;
	bool trash = m->base.trash_days > 0;
	redisReply *r, *ex = NULL;
	unsigned char rec[24], *del = NULL;
	struct cmd c;
	size_t i, k;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	rm_cmd_init(&c, "WATCH");
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	c.argv[0] = "LRANGE";
	c.len[0] = 6;
	rm_cmd_str(&c, "0");
	rm_cmd_fmt(&c, "%zu", a->n - 1);
	ret = rm_call(m, rc, &c, &r);
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
	for (i = a->skip, k = 2 + a->skip; !ret && !trash && i < a->n; i++) {
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

int rm_compact_chunk(struct meta *mm, uint64_t ino, uint32_t indx,
		     const struct meta_slice *old, size_t n, size_t skip,
		     const struct meta_slice *s)
{
	struct compact_arg a = { .ino = ino, .indx = indx, .old = old, .n = n,
				 .skip = skip, .s = s };
	struct rmeta *m = (struct rmeta *)mm;
	struct slice_del_arg d;
	char key[RM_ARGLEN];
	size_t i;
	int ret;

	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	ret = rm_run(m, key, compact_body, &a);
	for (i = 0; !ret && i < a.nfreed; i++) {
		/* without a deleter the negative ref is left for `juicefs gc` */
		if (!mm->hooks.delete_slice ||
		    mm->hooks.delete_slice(mm->hooks.arg, a.freed[i].id, a.freed[i].size))
			continue;
		d.s = a.freed[i];
		ret = rm_run(m, NULL, rm_hdel_ref_body, &d);
	}
	free(a.freed);
	return ret;
}
