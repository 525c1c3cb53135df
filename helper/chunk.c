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
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

/* A resolved, visible run of a chunk: [start, end) shows slice bytes from off. */
struct segment {
	uint32_t start, end;
	uint64_t id;		/* 0 = zeros */
	uint32_t size;
	uint32_t off;
};

struct segments {
	struct segment *v;
	size_t n, cap;
};

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

/* ---- the slice overlay (JuiceFS slice.go buildSlice) ---- */

static int seg_push(struct segments *s, const struct segment *g)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct segment *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *g;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Applies the records in list order: each one carves its range out of
 * what is there and then covers it.  The result is sorted by start and
 * disjoint; ranges no record covers are simply absent (they read as zeros).
 */
static int resolve(const struct meta_slice *r, size_t nr, struct segments *out)
{
	struct segments cur = { 0 }, next = { 0 };
	size_t i, j;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		uint32_t rs = r[i].pos, re = r[i].pos + r[i].len;
		struct segment g;

		if (!r[i].len)
			continue;
		next.n = 0;
		for (j = 0; j < cur.n && !ret; j++) {
			struct segment s = cur.v[j];

			if (s.end <= rs || s.start >= re) {
				ret = seg_push(&next, &s);
				continue;
			}
			if (s.start < rs) {
				g = s;
				g.end = rs;
				ret = seg_push(&next, &g);
			}
			if (!ret && s.end > re) {
				g = s;
				g.off = s.off + (re - s.start);
				g.start = re;
				ret = seg_push(&next, &g);
			}
		}
		g = (struct segment){ rs, re, r[i].id, r[i].size, r[i].off };
		if (!ret)
			ret = seg_push(&next, &g);
		if (ret)
			break;
		struct segments t = cur;
		cur = next;
		next = t;
	}
	free(next.v);
	if (ret) {
		free(cur.v);
		return ret;
	}
	qsort(cur.v, cur.n, sizeof(*cur.v), seg_cmp);
	*out = cur;
	return 0;
}

/* ---- reading ---- */

/*
 * Reads n bytes at boff of block indx of a slice.  The seam for the
 * compressed formats: "none" is read by range; lz4/zstd blocks will be
 * fetched whole, decoded to bsize bytes and then copied from.
 */
static int block_read(struct chunk_ctx *c, uint64_t id, uint32_t size,
		      uint32_t indx, uint32_t boff, uint32_t n, char *dst)
{
	char key[256];
	size_t got;
	int ret;

	ret = chunk_block_key(c, id, size, indx, key, sizeof(key));
	if (ret)
		return ret;
	ret = c->store->ops->get(c->store, key, boff, n, dst, &got);
	if (ret == -ENOENT) {
		store_set_errmsg("block '%s' of slice %llu is missing", key,
				 (unsigned long long)id);
		return -EIO;
	}
	if (ret)
		return ret;
	if (got != n) {
		store_set_errmsg("block '%s' is short: %zu of %u bytes at %u", key,
				 got, n, boff);
		return -EIO;
	}
	return 0;
}

/* Copies n visible bytes of a slice, starting at slice offset soff. */
static int slice_read(struct chunk_ctx *c, const struct segment *g, uint32_t soff,
		      uint32_t n, char *dst)
{
	uint32_t bs = c->block_size;

	if ((uint64_t)soff + n > g->size) {
		store_set_errmsg("slice %llu (size %u) has no bytes [%u, %llu)",
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

/* Fills [cs, ce) of chunk indx into dst. */
static int chunk_fill(struct chunk_ctx *c, uint64_t ino, uint32_t indx,
		      uint32_t cs, uint32_t ce, char *dst)
{
	struct meta_slice *recs = NULL;
	struct segments segs = { 0 };
	size_t nrec = 0, i;
	uint32_t x = cs;
	int ret;

	ret = c->meta->ops->read_chunk(c->meta, ino, indx, &recs, &nrec);
	if (ret)
		return ret;
	ret = resolve(recs, nrec, &segs);
	free(recs);
	if (ret)
		return ret;
	for (i = 0; i < segs.n && x < ce && !ret; i++) {
		const struct segment *g = &segs.v[i];
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
	char key[256];
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

/* Uploads len bytes as slice id (its blocks 0..n-1); on failure none remain. */
static int slice_upload(struct chunk_ctx *c, uint64_t id, const char *buf, uint32_t len)
{
	char key[256];
	uint32_t i, nblocks = (len + (uint64_t)c->block_size - 1) / c->block_size;
	int ret = 0;

	for (i = 0; i < nblocks && !ret; i++) {
		ret = chunk_block_key(c, id, len, i, key, sizeof(key));
		if (!ret)
			ret = c->store->ops->put(c->store, key,
						 buf + (size_t)i * c->block_size,
						 block_bytes(c, len, i));
	}
	if (ret) {
		char msg[1024];

		/* keep the put's message, not the cleanup's */
		snprintf(msg, sizeof(msg), "%s", store_errmsg());
		chunk_delete_slice(c, id, (uint64_t)(i - 1) * c->block_size);
		store_set_errmsg("%s", msg);
	}
	return ret;
}

int chunk_write(struct chunk_ctx *c, uint64_t ino, uint64_t off,
		const void *buf, size_t len, const struct timespec *mtime,
		struct meta_attr *attr)
{
	const char *p = buf;
	int ret;

	if (!c->block_size)
		return -EINVAL;
	if (!len)
		return c->meta->ops->getattr(c->meta, ino, attr);
	while (len) {
		uint32_t indx = off / META_CHUNK_SIZE;
		uint32_t pos = off % META_CHUNK_SIZE;
		uint32_t n = len < META_CHUNK_SIZE - pos ? len : META_CHUNK_SIZE - pos;
		struct meta_slice s = { .pos = pos, .size = n, .off = 0, .len = n };

		ret = c->meta->ops->new_slice_id(c->meta, &s.id);
		if (ret)
			return ret;
		ret = slice_upload(c, s.id, p, n);
		if (ret)
			return ret;
		ret = c->meta->ops->write_slice(c->meta, ino, indx, &s, mtime, attr);
		if (ret) {
			if (commit_surely_failed(ret))
				chunk_delete_slice(c, s.id, s.size);
			return ret;
		}
		off += n;
		p += n;
		len -= n;
	}
	return 0;
}
