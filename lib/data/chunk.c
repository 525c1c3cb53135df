/*
 * chunk.c - the JuiceFS data layer: chunk and block arithmetic, the slice
 * overlay on read, and the upload-then-commit write of new slices.
 *
 * A file is split into 64 MiB chunks; chunk `indx` holds a list of slice
 * records (oldest first) that the metadata engine returns as is.  Reads
 * resolve the list into disjoint segments (later records win, id 0 reads
 * as zeros) and fetch only the byte ranges they need, block by block.
 *
 * Writes never touch an existing object: each piece of a write (split at
 * chunk boundaries) becomes a fresh slice whose blocks are all stored
 * before the record is committed, so no committed slice points at a
 * missing object.
 *
 * Writeback (JuiceFS's --writeback): a write stages its blocks on local
 * disk (stage.c) instead, commits, and replies; the upload pool uploads
 * them later, oldest first, fed by the stager thread, which also retries
 * failed uploads and takes what an earlier run left.  Reads look in the
 * staging area after the cache and before the store, so a staged block
 * reads back before it is uploaded.  An uploaded block's file moves into
 * the block cache.  A slice deleted while its blocks are staged drops
 * them; one deleted during their upload has the uploaded object deleted
 * after it (as JuiceFS), so neither leaves garbage in the store.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/cache.h"
#include "data/chunk.h"
#include "data/compress.h"
#include "data/fmap.h"
#include "data/stage.h"
#include "util/log.h"
#include "util/pool.h"

static uint32_t block_bytes(const struct chunk_ctx *c, uint32_t size, uint32_t indx)
{
	uint64_t rest = size - (uint64_t)indx * c->block_size;

	return rest < c->block_size ? (uint32_t)rest : c->block_size;
}

int chunk_block_key(const struct chunk_ctx *c, uint64_t id, uint32_t size,
		    uint32_t indx, char *buf, size_t buflen)
{
	uint32_t bsize;
	int n;

	if (!c->block_size || (uint64_t)indx * c->block_size >= size)
		return -EINVAL;
	bsize = block_bytes(c, size, indx);
	if (c->hash_prefix)
		n = snprintf(buf, buflen, "%schunks/%02X/%llu/%llu_%u_%u", c->prefix,
			     (unsigned int)(id % 256),
			     (unsigned long long)(id / 1000 / 1000),
			     (unsigned long long)id, indx, bsize);
	else
		n = snprintf(buf, buflen, "%schunks/%llu/%llu/%llu_%u_%u", c->prefix,
			     (unsigned long long)(id / 1000 / 1000),
			     (unsigned long long)(id / 1000),
			     (unsigned long long)id, indx, bsize);
	return n < 0 || (size_t)n >= buflen ? -ENAMETOOLONG : 0;
}

/* ---- reading ---- */

/*
 * Blocks being fetched whole right now (by a read or a prefetch), so a
 * read that wants one of them waits for that fetch and then finds it in
 * the cache instead of fetching it a second time.
 */
struct inflight {
	struct inflight *next;
	char key[CHUNK_KEY_MAX];
};

static bool inflight_has(struct chunk_ctx *c, const char *key)
{
	struct inflight *x;

	for (x = c->inflight; x; x = x->next)
		if (!strcmp(x->key, key))
			return true;
	return false;
}

/* false: another thread was fetching key; it is done now (maybe failed) */
static bool inflight_begin(struct chunk_ctx *c, const char *key, struct inflight *f)
{
	bool waited = false;

	pthread_mutex_lock(&c->lock);
	while (inflight_has(c, key)) {
		waited = true;
		pthread_cond_wait(&c->fetched, &c->lock);
	}
	if (!waited) {
		snprintf(f->key, sizeof(f->key), "%s", key);
		f->next = c->inflight;
		c->inflight = f;
	}
	pthread_mutex_unlock(&c->lock);
	return !waited;
}

static void inflight_end(struct chunk_ctx *c, struct inflight *f)
{
	struct inflight **pp;

	pthread_mutex_lock(&c->lock);
	for (pp = &c->inflight; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	pthread_cond_broadcast(&c->fetched);
	pthread_mutex_unlock(&c->lock);
}

static int missing_block(const char *key, uint64_t id, int ret)
{
	if (ret == -ENOENT) {
		jfs_seterr("store", "block '%s' of slice %llu is missing", key,
				 (unsigned long long)id);
		return -EIO;
	}
	return ret;
}

/*
 * Fetches a whole block object and decodes it to its bsize plain bytes.
 * Compressed blocks can only be decoded whole (JuiceFS reads them whole
 * too); the size in the key is what they must decode to.
 */
static int block_fetch(struct chunk_ctx *c, const char *key, uint64_t id,
		       uint32_t bsize, char *plain)
{
	size_t cap = compress_bound(c->comp, bsize), got;
	char *raw = plain;
	int ret;

	if (!cap)
		return -EINVAL;
	if (c->comp != COMPRESS_NONE) {
		raw = malloc(cap);
		if (!raw)
			return -ENOMEM;
	}
	log_debug("GET %s (whole block)", key);
	ret = c->store->ops->get(c->store, key, 0, cap, raw, &got);
	ret = missing_block(key, id, ret);
	if (!ret && c->comp == COMPRESS_NONE && got != bsize) {
		jfs_seterr("store", "block '%s' is %zu bytes, its key says %u", key, got, bsize);
		ret = -EIO;
	} else if (!ret && c->comp != COMPRESS_NONE) {
		ret = decompress_block(c->comp, raw, got, plain, bsize);
		if (ret)
			jfs_seterr("store", "block '%s': %s", key, jfs_errmsg());
	}
	if (raw != plain)
		free(raw);
	return ret;
}

/*
 * Fetches a whole block into buf and the cache, unless another thread is
 * fetching it already: then waits for that one and returns 1, and the
 * caller looks in the cache again.
 */
static int block_load(struct chunk_ctx *c, const char *key, uint64_t id,
		      uint32_t bsize, char *buf)
{
	struct inflight f;
	int ret;

	if (!inflight_begin(c, key, &f))
		return 1;
	/* fetched and cached by another thread since the caller looked */
	if (cache_has(c->cache, key + strlen(c->prefix), bsize)) {
		inflight_end(c, &f);
		return 1;
	}
	ret = block_fetch(c, key, id, bsize, buf);
	if (!ret)	/* failing to cache (a full disk) only costs speed */
		cache_put(c->cache, key + strlen(c->prefix), buf, bsize);
	inflight_end(c, &f);
	return ret;
}

/* Prefetch: brings a block into the cache, unless it is there already. */
static int block_warm(struct chunk_ctx *c, const char *key, uint64_t id, uint32_t bsize)
{
	char *buf;
	int ret;

	if (cache_has(c->cache, key + strlen(c->prefix), bsize) ||
	    stage_has(c->stage, key + strlen(c->prefix)))
		return 0;
	log_debug("prefetch %s", key);
	buf = malloc(bsize);
	if (!buf)
		return -ENOMEM;
	ret = block_load(c, key, id, bsize, buf);
	free(buf);
	return ret < 0 ? ret : 0;
}

struct warm_block {
	struct chunk_ctx *c;
	char key[CHUNK_KEY_MAX];
	uint64_t id;
	uint32_t bsize;
};

static bool chunk_stopping(struct chunk_ctx *c);

static int warm_block_job(void *arg)
{
	struct warm_block *w = arg;

	if (!chunk_stopping(w->c))
		block_warm(w->c, w->key, w->id, w->bsize);
	free(w);
	return 0;
}

/*
 * After a small ranged read of a block, bring the whole block into the
 * cache in the background (JuiceFS does the same), so random readers of
 * a file soon read from local disk.  Skipped when prefetch is backed up.
 */
static void block_warm_later(struct chunk_ctx *c, const char *key, uint64_t id,
			     uint32_t bsize)
{
	struct warm_block *w;

	if (!c->prefetcher || pool_queued(c->prefetcher) >= 2 * c->prefetch)
		return;
	w = malloc(sizeof(*w));
	if (!w)
		return;
	w->c = c;
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->id = id;
	w->bsize = bsize;
	pool_submit(c->prefetcher, NULL, warm_block_job, w);
}

static int block_range_get(struct chunk_ctx *c, const char *key, uint64_t id,
			   uint32_t boff, uint32_t n, char *dst)
{
	size_t got;
	int ret;

	log_debug("GET %s [%u, +%u)", key, boff, n);
	ret = c->store->ops->get(c->store, key, boff, n, dst, &got);
	ret = missing_block(key, id, ret);
	if (!ret && got != n) {
		jfs_seterr("store", "block '%s' is short: %zu of %u bytes at %u", key, got,
				 n, boff);
		ret = -EIO;
	}
	return ret;
}

/*
 * Reads n bytes at boff of block indx of a slice: from the local cache if
 * it holds the block, or the staging area if it is not uploaded yet, else
 * a range GET for a small piece of an uncompressed block (a random read),
 * else the whole block, which is then kept in the cache for the next
 * reader.
 */
static int block_read(struct chunk_ctx *c, uint64_t id, uint32_t size,
		      uint32_t indx, uint32_t boff, uint32_t n, char *dst)
{
	uint32_t bsize = block_bytes(c, size, indx);
	char key[CHUNK_KEY_MAX], *buf;
	const char *ckey;
	int ret;

	ret = chunk_block_key(c, id, size, indx, key, sizeof(key));
	if (ret)
		return ret;
	ckey = key + strlen(c->prefix);
	if (c->cache && !cache_get(c->cache, ckey, bsize, boff, n, dst))
		return 0;
	/* uploaded meanwhile (-ENOENT): the store has it */
	if (c->stage && !stage_read(c->stage, ckey, bsize, boff, n, dst))
		return 0;
	if (c->cache)
		log_debug("cache miss %s [%u, +%u)", key, boff, n);
	if (c->comp == COMPRESS_NONE && (!c->cache || n < bsize / 4)) {
		ret = block_range_get(c, key, id, boff, n, dst);
		if (!ret && c->cache)
			block_warm_later(c, key, id, bsize);
		return ret;
	}
	buf = malloc(bsize);
	if (!buf)
		return -ENOMEM;
	ret = 1;
	if (c->cache) {
		ret = block_load(c, key, id, bsize, buf);
		/* fetched by another thread meanwhile: normally cached now */
		if (ret == 1 && !cache_get(c->cache, ckey, bsize, boff, n, dst)) {
			free(buf);
			return 0;
		}
	}
	if (ret == 1)
		ret = block_fetch(c, key, id, bsize, buf);
	if (!ret)
		memcpy(dst, buf + boff, n);
	free(buf);
	return ret;
}

/* Copies n visible bytes of a slice, starting at slice offset soff. */
static int slice_read(struct chunk_ctx *c, const struct meta_seg *g, uint32_t soff,
		      uint32_t n, char *dst)
{
	uint32_t bs = c->block_size;

	if ((uint64_t)soff + n > g->size) {
		jfs_seterr("store", "slice %llu (size %u) has no bytes [%u, %llu)",
				 (unsigned long long)g->id, g->size, soff,
				 (unsigned long long)soff + n);
		return -EIO;
	}
	while (n) {
		uint32_t indx = soff / bs, boff = soff % bs;
		uint32_t take = block_bytes(c, g->size, indx) - boff;
		int ret;

		if (take > n)
			take = n;
		ret = block_read(c, g->id, g->size, indx, boff, take, dst);
		if (ret)
			return ret;
		soff += take;
		dst += take;
		n -= take;
	}
	return 0;
}

/* Fills [cs, ce) of a chunk whose visible runs are segs into dst. */
static int segs_fill(struct chunk_ctx *c, const struct meta_segs *segs,
		     uint32_t cs, uint32_t ce, char *dst)
{
	uint32_t x = cs;
	size_t i;
	int ret = 0;

	for (i = 0; i < segs->n && x < ce && !ret; i++) {
		const struct meta_seg *g = &segs->v[i];
		uint32_t end = g->end < ce ? g->end : ce;

		if (g->end <= x)
			continue;
		if (g->start >= ce)
			break;
		if (g->start > x) {	/* a hole before this segment */
			memset(dst + (x - cs), 0, g->start - x);
			x = g->start;
		}
		if (g->id == 0)
			memset(dst + (x - cs), 0, end - x);
		else
			ret = slice_read(c, g, g->off + (x - g->start), end - x,
					 dst + (x - cs));
		x = end;
	}
	if (!ret && x < ce)	/* past every slice but below the length */
		memset(dst + (x - cs), 0, ce - x);
	return ret;
}

/*
 * Fills [cs, ce) of chunk indx into dst, from the open file's cached map
 * when there is one.  A cached map that fails to read (its slices may
 * have been compacted and deleted since, here or elsewhere) is dropped
 * and the chunk's records asked for again.
 */
static int chunk_fill(struct chunk_ctx *c, uint64_t ino, uint32_t indx,
		      uint32_t cs, uint32_t ce, char *dst)
{
	struct meta_slice *recs = NULL;
	struct meta_segs segs = { 0 };
	size_t nrec = 0;
	uint64_t gen = 0;
	int ret, cached = -1;

	if (c->maps)
		cached = fmaps_get(c->maps, ino, indx, &segs, &gen);
	if (cached == 1) {
		ret = segs_fill(c, &segs, cs, ce, dst);
		free(segs.v);
		if (!ret)
			return 0;
		fmaps_forget(c->maps, ino);
		cached = fmaps_get(c->maps, ino, indx, &segs, &gen);
		if (cached == 1) {	/* put back meanwhile by another reader */
			free(segs.v);
			cached = -1;
		}
		segs = (struct meta_segs){ 0 };
	}
	ret = meta_read_chunk(c->meta, ino, indx, &recs, &nrec);
	if (ret)
		return ret;
	ret = meta_overlay(recs, nrec, &segs);
	free(recs);
	if (!ret)
		ret = segs_fill(c, &segs, cs, ce, dst);
	if (!ret && cached == 0)
		fmaps_put(c->maps, ino, indx, &segs, gen);
	free(segs.v);
	return ret;
}

int chunk_read(struct chunk_ctx *c, uint64_t ino, uint64_t length, uint64_t off,
	       size_t len, void *buf, size_t *got)
{
	uint64_t end, pos;
	int ret;

	*got = 0;
	if (!c->block_size)
		return -EINVAL;
	if (off >= length || !len)
		return 0;
	end = length - off < len ? length : off + len;
	for (pos = off; pos < end;) {
		uint32_t indx = pos / META_CHUNK_SIZE;
		uint32_t cs = pos % META_CHUNK_SIZE;
		uint64_t left = end - pos;
		uint32_t ce = left < META_CHUNK_SIZE - cs ? cs + left : META_CHUNK_SIZE;

		ret = chunk_fill(c, ino, indx, cs, ce, (char *)buf + (pos - off));
		if (ret)
			return ret;
		pos += ce - cs;
	}
	*got = end - off;
	return 0;
}

/* ---- writing ---- */

int chunk_delete_slice(struct chunk_ctx *c, uint64_t id, uint32_t size)
{
	char key[CHUNK_KEY_MAX];
	uint32_t i, nblocks;
	int ret, first = 0;

	if (!c->block_size)
		return -EINVAL;
	if (!id || !size)
		return 0;
	nblocks = (size + (uint64_t)c->block_size - 1) / c->block_size;
	/* keep going: every block left behind is a leak for gc to find */
	for (i = 0; i < nblocks; i++) {
		ret = chunk_block_key(c, id, size, i, key, sizeof(key));
		if (!ret && c->cache)
			cache_drop(c->cache, key + strlen(c->prefix));
		if (!ret)	/* a staged block that is being uploaded: see upload_staged */
			stage_drop(c->stage, key + strlen(c->prefix));
		if (!ret)
			ret = c->store->ops->delete(c->store, key);
		if (ret && !first)
			first = ret;
	}
	return first;
}

/*
 * Errors after which the engine has certainly not committed the record.
 * Any other failure (a lost connection, a timeout) may have committed it,
 * and deleting the blocks then would destroy visible data; those blocks
 * are left for gc, as JuiceFS does.
 */
static bool commit_surely_failed(int err)
{
	switch (-err) {
	case ENOENT:
	case ENOSPC:
	case EDQUOT:
	case EPERM:
	case EFBIG:
	case EROFS:
	case EINVAL:
		return true;
	}
	return false;
}

struct upload {
	struct chunk_ctx *c;
	char key[CHUNK_KEY_MAX];
	const char *buf;
	uint32_t len;
	char err[512];		/* jfs_errmsg() is per thread: carry it back */
};

/* PUTs one block, compressed as the volume says. */
static int block_put(struct chunk_ctx *c, const char *key, const char *buf, uint32_t len)
{
	size_t cap = compress_bound(c->comp, len), n = len;
	const char *body = buf;
	char *z = NULL;
	int ret = 0;

	if (c->comp != COMPRESS_NONE) {
		z = cap ? malloc(cap) : NULL;
		ret = z ? compress_block(c->comp, buf, len, z, cap, &n) : -ENOMEM;
		body = z;
	}
	if (!ret)
		ret = c->store->ops->put(c->store, key, body, n);
	free(z);
	return ret;
}

/* Stores one block, then keeps it in the cache. */
static int upload_block(void *arg)
{
	struct upload *u = arg;
	struct chunk_ctx *c = u->c;
	int ret = block_put(c, u->key, u->buf, u->len);

	if (ret)
		snprintf(u->err, sizeof(u->err), "%s", jfs_errmsg());
	else if (c->cache && (u->len < c->block_size || c->cache_large_write))
		cache_put(c->cache, u->key + strlen(c->prefix), u->buf, u->len);
	return ret;
}

/*
 * Uploads len bytes as slice id, its blocks in parallel on the upload
 * pool; on failure none of them remain (absent blocks delete fine).
 */
static int slice_upload(struct chunk_ctx *c, uint64_t id, const char *buf, uint32_t len)
{
	uint32_t i, nblocks = (len + (uint64_t)c->block_size - 1) / c->block_size;
	struct pool_group g;
	struct upload *u;
	int ret = 0;

	u = calloc(nblocks, sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (i = 0; i < nblocks && !ret; i++) {
		u[i].c = c;
		u[i].buf = buf + (size_t)i * c->block_size;
		u[i].len = block_bytes(c, len, i);
		ret = chunk_block_key(c, id, len, i, u[i].key, sizeof(u[i].key));
	}
	if (ret)
		goto out;
	if (nblocks == 1 || !c->uploader) {
		for (i = 0; i < nblocks && !ret; i++)
			ret = upload_block(&u[i]);
	} else {
		pool_group_init(&g);
		for (i = 0; i < nblocks; i++)
			pool_submit(c->uploader, &g, upload_block, &u[i]);
		ret = pool_group_wait(&g);
	}
	if (ret) {
		for (i = 0; i < nblocks && !u[i].err[0]; i++)
			;
		chunk_delete_slice(c, id, len);
		/* keep the put's message, not the cleanup's */
		jfs_seterr("store", "%s", i < nblocks ? u[i].err : "upload failed");
	}
out:
	free(u);
	return ret;
}

/*
 * Writeback: stages len bytes as slice id, queueing each block for upload
 * unless it must wait (--upload-delay).  A block that cannot be staged (a
 * full disk) is uploaded right away instead, as JuiceFS does; on failure
 * none of the slice's blocks remain.
 */
static int upload_later(struct chunk_ctx *c, const char *key, uint32_t blen);

static int slice_stage(struct chunk_ctx *c, uint64_t id, const char *buf, uint32_t len)
{
	uint32_t i, nblocks = (len + (uint64_t)c->block_size - 1) / c->block_size;
	bool now = c->upload_delay <= 0;
	struct upload u = { .c = c };
	int ret = 0;

	for (i = 0; i < nblocks && !ret; i++) {
		u.buf = buf + (size_t)i * c->block_size;
		u.len = block_bytes(c, len, i);
		ret = chunk_block_key(c, id, len, i, u.key, sizeof(u.key));
		if (ret)
			break;
		ret = stage_put(c->stage, u.key + strlen(c->prefix), u.buf, u.len, now);
		if (!ret) {
			if (now)
				upload_later(c, u.key + strlen(c->prefix), u.len);
			continue;
		}
		log_warn("staging %s failed: %s; uploading it now", u.key, strerror(-ret));
		ret = upload_block(&u);
	}
	if (ret) {
		chunk_delete_slice(c, id, len);
		jfs_seterr("store", "%s", u.err[0] ? u.err : strerror(-ret));
	}
	return ret;
}

/* ---- compaction ---- */

static bool same_slice(const struct meta_slice *a, const struct meta_slice *b)
{
	return a->pos == b->pos && a->id == b->id && a->size == b->size &&
	       a->off == b->off && a->len == b->len;
}

/*
 * JuiceFS's skipSome: leading records that are big (1 MiB, and a fifth
 * of what would be rewritten) and still wholly visible stay as they are,
 * so small appends to a big file do not rewrite it at every compaction.
 * What follows a skipped record lies wholly after it.
 */
static size_t skip_some(const struct meta_slice *r, size_t n)
{
	struct meta_segs segs = { 0 };
	size_t k, j;
	bool keep;

	for (k = 0; k < n; k++) {
		const struct meta_slice *f = &r[k];

		free(segs.v);
		segs = (struct meta_segs){ 0 };
		if (meta_overlay(r + k, n - k, &segs) || !segs.n)
			break;
		keep = f->len >= CHUNK_SKIP_MIN &&
		       (uint64_t)f->len * 5 >= segs.v[segs.n - 1].end - segs.v[0].start &&
		       segs.v[0].start == f->pos && segs.v[0].end == f->pos + f->len &&
		       segs.v[0].id == f->id && segs.v[0].off == f->off;
		for (j = k + 1; keep && j < n; j++)
			keep = !same_slice(&r[j], f);
		if (!keep)
			break;
	}
	free(segs.v);
	return k;
}

/*
 * Every write adds a record, so a file rewritten in place grows a list
 * that each read must resolve, and keeps every overwritten byte stored.
 * As JuiceFS does, a chunk whose list has grown long is rewritten as one
 * slice (after the records skip_some keeps) and the old ones are released.
 */
int chunk_compact(struct chunk_ctx *c, uint64_t ino, uint32_t indx)
{
	struct meta_slice *recs = NULL, s = { 0 };
	struct meta_segs segs = { 0 };
	size_t nrec = 0, skip = 0;
	char *buf = NULL;
	int ret;

	ret = meta_read_chunk(c->meta, ino, indx, &recs, &nrec);
	if (!ret)
		skip = skip_some(recs, nrec);
	if (!ret && nrec - skip >= 2)
		ret = meta_overlay(recs + skip, nrec - skip, &segs);
	if (ret || nrec - skip < 2 || !segs.n)
		goto out;
	s.pos = segs.v[0].start;
	s.size = s.len = segs.v[segs.n - 1].end - s.pos;
	buf = malloc(s.size);
	ret = buf ? segs_fill(c, &segs, s.pos, s.pos + s.size, buf) : -ENOMEM;
	if (!ret)
		ret = meta_new_slice_id(c->meta, &s.id);
	if (!ret)
		ret = slice_upload(c, s.id, buf, s.size);
	if (ret)
		goto out;
	ret = meta_compact_chunk(c->meta, ino, indx, recs, nrec, skip, &s);
	if (c->maps)
		fmaps_forget_chunk(c->maps, ino, indx);
	if (ret && commit_surely_failed(ret))	/* -EINVAL: written meanwhile */
		chunk_delete_slice(c, s.id, s.size);
out:
	free(buf);
	free(segs.v);
	free(recs);
	return ret;
}

/*
 * As JuiceFS's Write: a write that made the chunk's list CHUNK_COMPACT_EVERY
 * - 1 (mod CHUNK_COMPACT_EVERY) records long, or longer than
 * CHUNK_COMPACT_ALWAYS, compacts it.  The count is the list's, so a chunk
 * written by several clients in turn is compacted on time too.
 */
static void compact_maybe(struct chunk_ctx *c, uint64_t ino, uint32_t indx, size_t nrec)
{
	int ret;

	if (nrec % CHUNK_COMPACT_EVERY != CHUNK_COMPACT_EVERY - 1 &&
	    nrec <= CHUNK_COMPACT_ALWAYS)
		return;
	/* an optimisation: the write has committed whatever happens here */
	ret = chunk_compact(c, ino, indx);
	if (ret && ret != -EINVAL)
		log_warn("compaction of inode %llu chunk %u failed: %s",
			 (unsigned long long)ino, indx, strerror(-ret));
}

int chunk_write(struct chunk_ctx *c, uint64_t ino, uint64_t off,
		const void *buf, size_t len, const struct timespec *mtime,
		struct meta_attr *attr)
{
	const char *p = buf;
	size_t nrec;
	int ret;

	if (!c->block_size)
		return -EINVAL;
	if (!len)
		return meta_getattr(c->meta, ino, attr);
	while (len) {
		uint32_t indx = off / META_CHUNK_SIZE;
		uint32_t pos = off % META_CHUNK_SIZE;
		uint32_t n = len < META_CHUNK_SIZE - pos ? len : META_CHUNK_SIZE - pos;
		struct meta_slice s = { .pos = pos, .size = n, .off = 0, .len = n };

		ret = meta_new_slice_id(c->meta, &s.id);
		if (ret)
			return ret;
		if (c->writeback && c->stage)
			ret = slice_stage(c, s.id, p, n);
		else
			ret = slice_upload(c, s.id, p, n);
		if (ret)
			return ret;
		ret = meta_write_slice(c->meta, ino, indx, &s, mtime, attr, &nrec);
		if (c->maps)	/* whatever happened, the chunk may differ */
			fmaps_forget_chunk(c->maps, ino, indx);
		if (ret) {
			if (commit_surely_failed(ret))
				chunk_delete_slice(c, s.id, s.size);
			return ret;
		}
		if (c->maps)
			fmaps_set_length(c->maps, ino, attr->length);
		compact_maybe(c, ino, indx, nrec);
		off += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- background work ---- */

struct staged_job {
	struct chunk_ctx *c;
	struct stage_item it;
};

/* Uploads one staged block; whatever happens, the stage knows what next. */
static int upload_staged(void *arg)
{
	struct staged_job *j = arg;
	struct chunk_ctx *c = j->c;
	const char *ckey = j->it.key;
	char key[CHUNK_KEY_MAX], *buf = NULL;
	int ret;

	if (chunk_stopping(c)) {	/* stays staged, for the next mount */
		stage_release(c->stage, ckey);
		goto out;
	}
	if (snprintf(key, sizeof(key), "%s%s", c->prefix, ckey) >= (int)sizeof(key)) {
		stage_drop(c->stage, ckey);	/* no block of ours: keys are shorter */
		goto out;
	}
	buf = malloc(j->it.blen);
	ret = buf ? stage_read(c->stage, ckey, j->it.blen, 0, j->it.blen, buf) : -ENOMEM;
	if (ret == -ENOENT || ret == -EBADMSG) {
		/* dropped (its slice deleted) is fine; otherwise the data is lost */
		if (stage_drop(c->stage, ckey))
			log_error("staged block %s is %s; its data is lost", key,
				  ret == -ENOENT ? "gone" : "damaged");
		goto out;
	}
	if (!ret)
		ret = block_put(c, key, buf, j->it.blen);
	if (ret) {
		log_warn("upload of staged block %s failed: %s; retrying later", key,
			 ret == -ENOMEM ? strerror(ENOMEM) : jfs_errmsg());
		stage_failed(c->stage, ckey, time(NULL));
		goto out;
	}
	log_debug("uploaded staged block %s", key);
	/* deleted during the upload: what was just stored belongs to nothing */
	if (!stage_uploaded(c->stage, ckey, c->cache) &&
	    c->store->ops->delete(c->store, key))
		log_warn("deleting %s, whose slice went during its upload, failed: %s; "
			 "'gc' will find it", key, jfs_errmsg());
out:
	free(buf);
	free(j);
	return 0;
}

/* Queues the upload of a block stage_put or stage_take handed out. */
static int upload_later(struct chunk_ctx *c, const char *key, uint32_t blen)
{
	struct staged_job *j = malloc(sizeof(*j));

	if (!j) {
		stage_release(c->stage, key);	/* the stager tries again */
		return -ENOMEM;
	}
	j->c = c;
	snprintf(j->it.key, sizeof(j->it.key), "%s", key);
	j->it.blen = blen;
	pool_submit(c->uploader, NULL, upload_staged, j);
	return 0;
}

/*
 * Each second, hands the staged blocks that are due (after the upload
 * delay, or a failed upload's backoff) to the uploader, keeping its queue
 * short so foreground uploads are not stuck behind a backlog.  Says in the
 * log, once a minute, how many blocks wait, and when none are left.
 */
static void *stager_main(void *arg)
{
	struct chunk_ctx *c = arg;
	size_t max = 2 * c->uploads, n, i, q;
	int name = (int)strlen(c->prefix) - 1;
	struct stage_stats st;
	struct stage_item *v;
	struct timespec until;
	unsigned int tick = 0;
	uint64_t told = 0;	/* uploads counted when the last "all done" was logged */

	v = calloc(max, sizeof(*v));
	if (!v) {
		log_error("volume '%.*s': no memory for the staging uploader", name, c->prefix);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&c->wake, &c->lock, &until);
		if (c->stopping)
			break;
		pthread_mutex_unlock(&c->lock);
		q = pool_queued(c->uploader);
		n = q < max ? stage_take(c->stage, time(NULL), c->upload_delay, v, max - q) : 0;
		for (i = 0; i < n; i++)
			upload_later(c, v[i].key, v[i].blen);
		stage_stats(c->stage, &st);
		if (st.blocks && ++tick % 60 == 0)
			log_info("volume '%.*s': %llu staged blocks (%llu bytes) wait for upload",
				 name, c->prefix, (unsigned long long)st.blocks,
				 (unsigned long long)st.bytes);
		else if (!st.blocks && st.uploaded != told)
			log_info("volume '%.*s': every staged block is uploaded (%llu so far)",
				 name, c->prefix, (unsigned long long)st.uploaded);
		if (!st.blocks)
			told = st.uploaded;
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	free(v);
	return NULL;
}

int chunk_start(struct chunk_ctx *c, struct cache *cache, unsigned int uploads,
		unsigned int prefetch)
{
	int ret;

	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->fetched, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->inflight = NULL;
	c->stopping = false;
	c->cache = cache;
	c->uploader = NULL;
	c->prefetcher = NULL;
	c->stager_running = false;
	c->prefetch = cache ? prefetch : 0;
	c->uploads = uploads ? uploads : 1;
	/* staged blocks are uploaded in the background, one thread at least */
	if (uploads > 1 || c->stage) {
		ret = pool_create(c->uploads, &c->uploader);
		if (ret)
			goto fail;
	}
	if (c->prefetch) {
		ret = pool_create(c->prefetch, &c->prefetcher);
		if (ret)
			goto fail;
	}
	if (c->stage) {
		ret = -pthread_create(&c->stager, NULL, stager_main, c);
		if (ret)
			goto fail;
		c->stager_running = true;
	}
	return 0;
fail:
	pool_destroy(c->prefetcher);
	pool_destroy(c->uploader);
	c->prefetcher = NULL;
	c->uploader = NULL;
	return ret;
}

void chunk_stop(struct chunk_ctx *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	if (c->stager_running)
		pthread_join(c->stager, NULL);
	c->stager_running = false;
	pool_destroy(c->prefetcher);
	pool_destroy(c->uploader);
	c->prefetcher = NULL;
	c->uploader = NULL;
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->fetched);
	pthread_mutex_destroy(&c->lock);
}

struct warm {
	struct chunk_ctx *c;
	uint64_t ino;
	uint32_t indx, cs, ce;	/* chunk and the range of it to bring in */
};

static bool chunk_stopping(struct chunk_ctx *c)
{
	bool stop;

	pthread_mutex_lock(&c->lock);
	stop = c->stopping;
	pthread_mutex_unlock(&c->lock);
	return stop;
}

/* Warms every block that shows bytes in [cs, ce) of one chunk. */
static int warm_range(void *arg)
{
	struct warm *w = arg;
	struct chunk_ctx *c = w->c;
	struct meta_slice *recs = NULL;
	struct meta_segs segs = { 0 };
	size_t nrec = 0, i;
	char key[CHUNK_KEY_MAX];
	int ret;

	if (chunk_stopping(c))
		goto out;
	if (meta_read_chunk(c->meta, w->ino, w->indx, &recs, &nrec))
		goto out;
	ret = meta_overlay(recs, nrec, &segs);
	free(recs);
	for (i = 0; !ret && i < segs.n; i++) {
		const struct meta_seg *g = &segs.v[i];
		uint32_t s = g->start > w->cs ? g->start : w->cs;
		uint32_t e = g->end < w->ce ? g->end : w->ce;
		uint32_t b, last;

		if (!g->id || s >= e || g->off + (e - g->start) > g->size)
			continue;
		last = (g->off + (e - g->start) - 1) / c->block_size;
		for (b = (g->off + (s - g->start)) / c->block_size; b <= last; b++)
			if (!chunk_block_key(c, g->id, g->size, b, key, sizeof(key)))
				block_warm(c, key, g->id, block_bytes(c, g->size, b));
	}
	free(segs.v);
out:
	free(w);
	return 0;
}

void chunk_prefetch(struct chunk_ctx *c, uint64_t ino, uint64_t length, uint64_t off,
		    uint64_t len)
{
	uint64_t end;

	if (!c->prefetcher || off >= length)
		return;
	/* a reader far behind its prefetch gains nothing from a deeper queue */
	if (pool_queued(c->prefetcher) >= 2 * c->prefetch)
		return;
	end = length - off < len ? length : off + len;
	while (off < end) {
		uint32_t indx = off / META_CHUNK_SIZE, cs = off % META_CHUNK_SIZE;
		uint64_t left = end - off;
		uint32_t ce = left < META_CHUNK_SIZE - cs ? cs + left : META_CHUNK_SIZE;
		uint32_t next = (cs / c->block_size + 1) * c->block_size;
		struct warm *w = malloc(sizeof(*w));

		if (!w)
			return;
		/* one job per block-sized window, so the windows load in parallel */
		if (ce > next)
			ce = next;
		*w = (struct warm){ c, ino, indx, cs, ce };
		pool_submit(c->prefetcher, NULL, warm_range, w);
		off += ce - cs;
	}
}
