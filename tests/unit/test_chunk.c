/*
 * test_chunk.c - the data layer: block key names, slice resolution and
 * write/read round trips on a real "file" store in a temporary directory.
 *
 * The metadata side is a small in-test fake of the three calls chunk.c
 * makes (new_slice_id, read_chunk, write_slice, plus getattr for empty
 * writes): records are kept in plain arrays, in list order, exactly what
 * an engine's `c{ino}_{indx}` list would return.  Expected contents come
 * from a byte-by-byte model (the last record covering a byte wins), not
 * from the segment algorithm under test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/cache.h"
#include "data/chunk.h"
#include "data/fmap.h"
#include "data/stage.h"
#include "meta/engine.h"

#include "check.h"

#define MiB (1U << 20)
#define CHUNK ((uint64_t)META_CHUNK_SIZE)

/* ---- the fake engine ---- */

struct rec {
	uint64_t ino;
	uint32_t indx;
	struct meta_slice s;
};

struct fake {
	struct meta base;
	struct rec *recs;
	size_t nrecs;
	uint64_t next_id;
	uint64_t length;	/* of every inode: tests use one file at a time */
	int fail_commit;	/* errno write_slice returns, 0 = commit */
	int commits;
	int compactions;
	int skipped;		/* records compactions kept in front */
	int reads;		/* read_chunk calls */
};

static struct fake *fake_of(struct meta *m)
{
	return (struct fake *)m;
}

static int fake_new_slice_id(struct meta *m, uint64_t *id)
{
	*id = ++fake_of(m)->next_id;
	return 0;
}

static int fake_read_chunk(struct meta *m, struct meta_chunk *a)
{
	struct fake *f = fake_of(m);
	size_t i;

	f->reads++;
	a->s = calloc(f->nrecs + 1, sizeof(*a->s));
	a->n = 0;
	for (i = 0; i < f->nrecs; i++)
		if (f->recs[i].ino == a->ino && f->recs[i].indx == a->indx)
			a->s[a->n++] = f->recs[i].s;
	return 0;
}

static void add_rec(struct fake *f, uint64_t ino, uint32_t indx, struct meta_slice s)
{
	f->recs = realloc(f->recs, (f->nrecs + 1) * sizeof(*f->recs));
	f->recs[f->nrecs++] = (struct rec){ ino, indx, s };
}

static int fake_write_slice(struct meta *m, struct meta_write *a)
{
	struct fake *f = fake_of(m);
	uint64_t ino = a->ino;
	uint32_t indx = a->indx;
	const struct meta_slice *s = a->s;
	const struct timespec *mtime = a->mtime;
	struct meta_attr *attr = &a->attr;
	size_t *nrec = &a->nrec;
	uint64_t end = indx * CHUNK + s->pos + s->len;

	if (f->fail_commit)
		return -f->fail_commit;
	add_rec(f, ino, indx, *s);
	if (end > f->length)
		f->length = end;
	memset(attr, 0, sizeof(*attr));
	attr->type = META_TYPE_FILE;
	attr->length = f->length;
	attr->mtime = mtime ? mtime->tv_sec : 0;
	f->commits++;
	if (nrec) {
		size_t i;

		for (i = 0, *nrec = 0; i < f->nrecs; i++)
			*nrec += f->recs[i].ino == ino && f->recs[i].indx == indx;
	}
	return 0;
}

static int fake_getattr(struct meta *m, struct meta_getattr *a)
{
	memset(&a->attr, 0, sizeof(a->attr));
	a->attr.type = META_TYPE_FILE;
	a->attr.length = fake_of(m)->length;
	return 0;
}

/* the engines' compare-and-swap of a chunk's first n records for one */
static int fake_compact_chunk(struct meta *m, uint64_t ino, uint32_t indx,
			      const struct meta_slice *old, size_t n, size_t skip,
			      const struct meta_slice *s)
{
	struct fake *f = fake_of(m);
	size_t i, k = 0, first = f->nrecs;

	for (i = 0; i < f->nrecs && k < n; i++) {
		if (f->recs[i].ino != ino || f->recs[i].indx != indx)
			continue;
		if (memcmp(&f->recs[i].s, &old[k], sizeof(*old)))
			return -EINVAL;
		if (!k++)
			first = i;
	}
	if (k < n)
		return -EINVAL;
	/* the fake keeps one file's records together: the skipped, then s */
	first += skip;
	n -= skip;
	memmove(&f->recs[first + 1], &f->recs[first + n],
		(f->nrecs - first - n) * sizeof(*f->recs));
	f->nrecs -= n - 1;
	f->recs[first] = (struct rec){ ino, indx, *s };
	f->skipped += skip;
	f->compactions++;
	return 0;
}

static int fake_do_compact_chunk(struct meta *m, struct meta_compact *a)
{
	return fake_compact_chunk(m, a->ino, a->indx, a->old, a->n, a->skip, a->s);
}

static const struct meta_ops fake_ops = {
	.scheme = "fake",
	.do_getattr = fake_getattr,
	.new_slice_id = fake_new_slice_id,
	.do_read_chunk = fake_read_chunk,
	.do_write_slice = fake_write_slice,
	.do_compact_chunk = fake_do_compact_chunk,
};

/* Forgets the records; slice ids keep growing, as engines never reuse them. */
static void fake_reset(struct fake *f)
{
	uint64_t next_id = f->next_id > 1000 ? f->next_id : 1000;

	free(f->recs);
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
	f->next_id = next_id;
}

/* ---- helpers ---- */

static char tmpdir[] = "/tmp/test_chunk.XXXXXX";
/* the context every test runs in: a file store in tmpdir, the fake engine */
static struct chunk_ctx ctx = { .prefix = "vol/", .block_size = 4096 };
static struct fake fk;

/* Byte i of slice id: a pattern that differs per slice and per offset. */
static unsigned char pat(uint64_t id, uint64_t i)
{
	return (unsigned char)(id * 131 + i * 7 + (i >> 9));
}

/* Stores a slice's blocks directly, bypassing chunk_write. */
static void put_slice(struct chunk_ctx *c, uint64_t id, uint32_t size)
{
	unsigned char *buf = malloc(size);
	uint32_t i, nb = (size + c->block_size - 1) / c->block_size;
	char key[256];

	for (i = 0; i < size; i++)
		buf[i] = pat(id, i);
	for (i = 0; i < nb; i++) {
		uint32_t off = i * c->block_size;
		uint32_t n = size - off < c->block_size ? size - off : c->block_size;

		CHECK_EQ(chunk_block_key(c, id, size, i, key, sizeof(key)), 0);
		CHECK_EQ(c->store->ops->put(c->store, key, buf + off, n), 0);
	}
	free(buf);
}

/* The model: the last record covering x decides; nothing covering = 0. */
static unsigned char model_byte(const struct fake *f, uint64_t ino, uint64_t x)
{
	uint32_t indx = x / CHUNK, cx = x % CHUNK;
	unsigned char v = 0;
	size_t i;

	for (i = 0; i < f->nrecs; i++) {
		const struct rec *r = &f->recs[i];

		if (r->ino != ino || r->indx != indx || cx < r->s.pos || cx >= r->s.pos + r->s.len)
			continue;
		v = r->s.id ? pat(r->s.id, r->s.off + (cx - r->s.pos)) : 0;
	}
	return v;
}

/* chunk_read of [off, off+len) must equal the model, cut at length. */
static void check_read(struct chunk_ctx *c, struct fake *f, uint64_t length,
		       uint64_t off, size_t len, int line)
{
	unsigned char *buf = malloc(len + 1);
	size_t got = 12345, want, i;
	int ret;

	memset(buf, 0xEE, len + 1);
	want = off >= length ? 0 : (length - off < len ? length - off : len);
	ret = chunk_read(c, 1, length, off, len, buf, &got);
	if (ret || got != want) {
		check_fail(__FILE__, line, "chunk_read(%llu, %zu) = %d, got %zu, want %zu (%s)",
			   (unsigned long long)off, len, ret, got, want, jfs_errmsg());
	} else {
		for (i = 0; i < want; i++) {
			if (buf[i] != model_byte(f, 1, off + i)) {
				check_fail(__FILE__, line, "byte %llu is %u, want %u",
					   (unsigned long long)(off + i), buf[i],
					   model_byte(f, 1, off + i));
				break;
			}
		}
		if (buf[len] != 0xEE)
			check_fail(__FILE__, line, "wrote past the buffer");
	}
	free(buf);
}

#define READ(c, f, length, off, len) check_read(c, f, length, off, len, __LINE__)

static void rec(struct fake *f, uint32_t indx, uint32_t pos, uint64_t id, uint32_t size,
		uint32_t off, uint32_t len)
{
	add_rec(f, 1, indx, (struct meta_slice){ pos, id, size, off, len });
}

static int count_cb(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	(*(int *)arg)++;
	return 0;
}

static int count_objects(struct chunk_ctx *c)
{
	int n = 0;

	CHECK_EQ(c->store->ops->list(c->store, "vol/chunks/", count_cb, &n), 0);
	return n;
}

/* ---- tests ---- */

static void test_block_keys(void)
{
	struct chunk_ctx c = { .prefix = "myjfs/", .block_size = 4 * MiB };
	char key[256];

	/* the spec's example: id 12345678, 10 MiB slice, 4 MiB blocks */
	CHECK_EQ(chunk_block_key(&c, 12345678, 10 * MiB, 0, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/12/12345/12345678_0_4194304");
	CHECK_EQ(chunk_block_key(&c, 12345678, 10 * MiB, 1, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/12/12345/12345678_1_4194304");
	CHECK_EQ(chunk_block_key(&c, 12345678, 10 * MiB, 2, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/12/12345/12345678_2_2097152");
	CHECK_EQ(chunk_block_key(&c, 12345678, 10 * MiB, 3, key, sizeof(key)), -EINVAL);

	CHECK_EQ(chunk_block_key(&c, 1, 6, 0, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/0/0/1_0_6");
	CHECK_EQ(chunk_block_key(&c, 1, 6, 1, key, sizeof(key)), -EINVAL);
	CHECK_EQ(chunk_block_key(&c, 1, 4 * MiB, 0, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/0/0/1_0_4194304");
	CHECK_EQ(chunk_block_key(&c, 1, 4 * MiB + 1, 1, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/0/0/1_1_1");
	CHECK_EQ(chunk_block_key(&c, 1234567890123ULL, 64 * MiB, 15, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/1234567/1234567890/1234567890123_15_4194304");

	/* HashPrefix: %02X of id % 256, then id/1000/1000 */
	c.hash_prefix = 1;
	CHECK_EQ(chunk_block_key(&c, 12345678, 10 * MiB, 2, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/4E/12/12345678_2_2097152");
	CHECK_EQ(chunk_block_key(&c, 255, 100, 0, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/FF/0/255_0_100");
	CHECK_EQ(chunk_block_key(&c, 256, 100, 0, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/00/0/256_0_100");

	/* a 1 MiB block size: block index relative to the slice start */
	c.hash_prefix = 0;
	c.block_size = MiB;
	CHECK_EQ(chunk_block_key(&c, 7, 3 * MiB + 5, 3, key, sizeof(key)), 0);
	CHECK_STR(key, "myjfs/chunks/0/0/7_3_5");

	CHECK_EQ(chunk_block_key(&c, 7, 100, 0, key, 10), -ENAMETOOLONG);
}

/* Hand-made slice lists, read back against the model. */
static void test_resolve(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	uint64_t A = 11, B = 12, C = 13;

	fake_reset(f);
	c->meta = &f->base;
	put_slice(c, A, 20000);
	put_slice(c, B, 9000);
	put_slice(c, C, 4096);

	/* no records: zeros up to the length, EOF after */
	READ(c, f, 10000, 0, 10000);
	READ(c, f, 10000, 9000, 5000);
	READ(c, f, 10000, 10000, 10);
	READ(c, f, 0, 0, 10);

	/* one slice in the middle of a hole */
	rec(f, 0, 100, A, 20000, 0, 50);
	READ(c, f, 300, 0, 300);

	/* a later slice over the middle of an earlier one */
	fake_reset(f);
	rec(f, 0, 0, A, 20000, 0, 20000);
	rec(f, 0, 4000, B, 9000, 0, 2000);
	READ(c, f, 20000, 0, 20000);
	READ(c, f, 20000, 3990, 30);
	READ(c, f, 20000, 5990, 30);

	/* the later slice covers the earlier entirely, and beyond */
	fake_reset(f);
	rec(f, 0, 1000, B, 9000, 0, 3000);
	rec(f, 0, 500, A, 20000, 0, 5000);
	READ(c, f, 6000, 0, 6000);

	/* an earlier slice sticks out on both sides of a later small one */
	fake_reset(f);
	rec(f, 0, 500, A, 20000, 0, 5000);
	rec(f, 0, 1000, B, 9000, 0, 3000);
	rec(f, 0, 2000, C, 4096, 0, 100);
	READ(c, f, 6000, 0, 6000);

	/* a zero record (id 0, as truncate/fallocate write) hides data */
	fake_reset(f);
	rec(f, 0, 0, A, 20000, 0, 20000);
	rec(f, 0, 2000, 0, 1000, 0, 1000);
	READ(c, f, 20000, 0, 20000);
	READ(c, f, 20000, 1990, 20);

	/* data written over a zero record shows again */
	rec(f, 0, 2500, C, 4096, 0, 200);
	READ(c, f, 20000, 0, 20000);

	/* off != 0: the visible part starts inside the slice, across blocks */
	fake_reset(f);
	rec(f, 0, 0, A, 20000, 5000, 7000);
	rec(f, 0, 10000, A, 20000, 8100, 200);	/* straddles block 1 -> 2 (4 KiB blocks) */
	READ(c, f, 12000, 0, 12000);

	/* an off != 0 slice split by a later one: the right part's off moves */
	fake_reset(f);
	rec(f, 0, 100, A, 20000, 3000, 10000);
	rec(f, 0, 4000, B, 9000, 100, 1000);
	READ(c, f, 15000, 0, 15000);
	READ(c, f, 15000, 4990, 100);

	/* empty records are ignored */
	rec(f, 0, 200, C, 4096, 0, 0);
	READ(c, f, 15000, 0, 15000);

	/* bytes beyond the slices but below length read as zeros */
	READ(c, f, 30000, 10000, 20000);

	/* reads across a chunk boundary, each chunk its own list */
	fake_reset(f);
	rec(f, 0, META_CHUNK_SIZE - 3000, A, 20000, 0, 3000);
	rec(f, 1, 0, B, 9000, 0, 9000);
	rec(f, 1, 1000, 0, 100, 0, 100);
	READ(c, f, CHUNK + 9000, CHUNK - 5000, 20000);
	READ(c, f, CHUNK + 8000, CHUNK - 10, 20);

	/* a record whose visible part is beyond its size is an error, not garbage */
	{
		char buf[64];
		size_t got;

		fake_reset(f);
		rec(f, 0, 0, C, 4096, 4090, 20);
		CHECK_EQ(chunk_read(c, 1, 20, 0, 20, buf, &got), -EIO);
	}

	/* a missing block is EIO, naming the block */
	{
		char buf[64];
		size_t got;

		fake_reset(f);
		rec(f, 0, 0, 999, 4096, 0, 20);
		CHECK_EQ(chunk_read(c, 1, 20, 0, 20, buf, &got), -EIO);
		CHECK(strstr(jfs_errmsg(), "999_0_4096") != NULL);
	}
}

/* Many random records, checked against the model at random ranges. */
static void test_resolve_random(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	const uint32_t span = 64 * 1024;
	uint64_t ids[6] = { 21, 22, 23, 24, 25, 26 };
	unsigned int seed = 42;
	int round, i;

	for (i = 0; i < 6; i++)
		put_slice(c, ids[i], span);
	for (round = 0; round < 20; round++) {
		int nrec = 1 + rand_r(&seed) % 12;

		fake_reset(f);
		for (i = 0; i < nrec; i++) {
			uint32_t off = rand_r(&seed) % span;
			uint32_t len = 1 + rand_r(&seed) % (span - off);
			uint32_t pos = rand_r(&seed) % (span - len + 1);
			uint64_t id = rand_r(&seed) % 5 ? ids[rand_r(&seed) % 6] : 0;

			rec(f, 0, pos, id, span, id ? off : 0, len);
		}
		READ(c, f, span, 0, span);
		for (i = 0; i < 5; i++) {
			uint32_t off = rand_r(&seed) % span;

			READ(c, f, span + 100, off, 1 + rand_r(&seed) % (span + 200 - off));
		}
	}
}

/* chunk_write then chunk_read; model = the bytes written. */
static void round_trip(struct chunk_ctx *c, struct fake *f, unsigned char *file,
		       uint64_t off, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len + 1);
	struct timespec now = { 1700000000, 0 };
	struct meta_attr attr;
	size_t i, got;

	for (i = 0; i < len; i++)
		buf[i] = rand_r(&seed);
	CHECK_EQ(chunk_write(c, 1, off, buf, len, &now, &attr), 0);
	memcpy(file + off, buf, len);
	CHECK_EQ(attr.length, f->length);
	free(buf);

	buf = malloc(f->length + 1);
	CHECK_EQ(chunk_read(c, 1, f->length, 0, f->length + 1, buf, &got), 0);
	CHECK_EQ(got, f->length);
	CHECK(memcmp(buf, file, f->length) == 0);
	free(buf);
}

static void test_write_sizes(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1 };
	unsigned char *file = calloc(1, 4 * MiB + 2);
	struct meta_attr attr;
	char key[256];
	uint64_t size;
	size_t i;

	c->block_size = 4 * MiB;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fake_reset(f);
		memset(file, 0, 4 * MiB + 2);
		round_trip(c, f, file, 0, sizes[i], i + 1);
		CHECK_EQ(f->length, sizes[i]);
		CHECK_EQ(f->commits, sizes[i] ? 1 : 0);
		if (!sizes[i])
			continue;
		/* one record, blocks named and sized as JuiceFS does */
		CHECK_EQ(f->nrecs, 1);
		CHECK_EQ(f->recs[0].s.pos, 0);
		CHECK_EQ(f->recs[0].s.size, sizes[i]);
		CHECK_EQ(f->recs[0].s.off, 0);
		CHECK_EQ(f->recs[0].s.len, sizes[i]);
		CHECK_EQ(chunk_block_key(c, f->recs[0].s.id, sizes[i], 0, key, sizeof(key)), 0);
		CHECK_EQ(c->store->ops->head(c->store, key, &size), 0);
		CHECK_EQ(size, sizes[i] < 4 * MiB ? sizes[i] : 4 * MiB);
		if (sizes[i] > 4 * MiB) {
			CHECK_EQ(chunk_block_key(c, f->recs[0].s.id, sizes[i], 1, key,
						 sizeof(key)), 0);
			CHECK(strstr(key, "_1_1") != NULL);
			CHECK_EQ(c->store->ops->head(c->store, key, &size), 0);
			CHECK_EQ(size, 1);
		}
	}
	/* an empty write commits nothing and reports the attribute */
	fake_reset(f);
	f->length = 77;
	CHECK_EQ(chunk_write(c, 1, 5, "", 0, NULL, &attr), 0);
	CHECK_EQ(attr.length, 77);
	CHECK_EQ(f->nrecs, 0);
	free(file);
}

static void test_write_patterns(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	size_t flen = 3 * MiB;
	unsigned char *file = calloc(1, flen);

	c->block_size = 64 * 1024;
	fake_reset(f);
	/* sparse: data at 1 MiB into an empty file, zeros before */
	round_trip(c, f, file, MiB, 100, 7);
	CHECK_EQ(f->length, MiB + 100);
	/* overwrite inside, straddling block boundaries */
	round_trip(c, f, file, 0, 200000, 8);
	round_trip(c, f, file, 65000, 1000, 9);
	round_trip(c, f, file, 130000, 70000, 10);
	/* extend far past the end, leaving a hole */
	round_trip(c, f, file, 2 * MiB, 4096, 11);
	round_trip(c, f, file, MiB + 50, 10, 12);
	CHECK_EQ(f->length, 2 * MiB + 4096);
	free(file);

	/* a write across a chunk boundary becomes one slice per chunk */
	{
		unsigned char buf[5000], back[5000];
		struct meta_attr attr;
		size_t got, i;

		fake_reset(f);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = i * 13;
		CHECK_EQ(chunk_write(c, 1, CHUNK - 1000, buf, sizeof(buf), NULL, &attr), 0);
		CHECK_EQ(f->nrecs, 2);
		CHECK_EQ(f->recs[0].indx, 0);
		CHECK_EQ(f->recs[0].s.pos, META_CHUNK_SIZE - 1000);
		CHECK_EQ(f->recs[0].s.len, 1000);
		CHECK_EQ(f->recs[1].indx, 1);
		CHECK_EQ(f->recs[1].s.pos, 0);
		CHECK_EQ(f->recs[1].s.len, 4000);
		CHECK(f->recs[0].s.id != f->recs[1].s.id);
		CHECK_EQ(attr.length, CHUNK + 4000);
		CHECK_EQ(chunk_read(c, 1, attr.length, CHUNK - 1000, sizeof(back), back, &got), 0);
		CHECK_EQ(got, sizeof(back));
		CHECK(memcmp(buf, back, sizeof(buf)) == 0);
		/* the hole before it is zeros */
		CHECK_EQ(chunk_read(c, 1, attr.length, CHUNK - 2000, 1000, back, &got), 0);
		CHECK_EQ(got, 1000);
		for (i = 0; i < 1000 && !back[i]; i++)
			;
		CHECK_EQ(i, 1000);
	}
}

static void test_write_failures(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	unsigned char buf[200000];
	struct meta_attr attr;
	struct store *bad;
	char path[512];
	int before;

	memset(buf, 0x5A, sizeof(buf));
	c->block_size = 64 * 1024;

	/* a commit that surely failed: its blocks are deleted */
	fake_reset(f);
	before = count_objects(c);
	f->fail_commit = ENOSPC;
	CHECK_EQ(chunk_write(c, 1, 0, buf, sizeof(buf), NULL, &attr), -ENOSPC);
	CHECK_EQ(count_objects(c), before);
	CHECK_EQ(f->nrecs, 0);

	/* an ambiguous failure may have committed: the blocks stay */
	f->fail_commit = EIO;
	CHECK_EQ(chunk_write(c, 1, 0, buf, sizeof(buf), NULL, &attr), -EIO);
	CHECK_EQ(count_objects(c), before + 4);

	/* chunk_delete_slice removes every block of a slice */
	CHECK_EQ(chunk_delete_slice(c, f->next_id, sizeof(buf)), 0);
	CHECK_EQ(count_objects(c), before);
	CHECK_EQ(chunk_delete_slice(c, f->next_id, sizeof(buf)), 0);	/* absent: fine */

	/* an upload that fails is never committed */
	snprintf(path, sizeof(path), "%s/notadir", tmpdir);
	fclose(fopen(path, "w"));
	strcat(path, "/");
	CHECK_EQ(store_open("file", path, NULL, NULL, &bad), 0);
	{
		struct chunk_ctx c2 = *c;

		c2.store = bad;
		fake_reset(f);
		CHECK(chunk_write(&c2, 1, 0, buf, sizeof(buf), NULL, &attr) < 0);
		CHECK_EQ(f->commits, 0);
		CHECK(strstr(jfs_errmsg(), "notadir") != NULL);
	}
	store_close(bad);
	fake_reset(f);
}

/*
 * Many small overwrites of one chunk: every CHUNK_COMPACT_EVERY writes the
 * list is folded into one slice, and what the file reads never changes.
 */
static void test_compaction(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	size_t flen = 300000, i;
	unsigned char *file = calloc(1, flen);
	struct meta_slice *recs;
	size_t n;
	int before;

	c->block_size = 64 * 1024;
	fake_reset(f);
	/* compactions at the 99th record: writes 99 and 197, then 13 records */
	for (i = 0; i < 2 * CHUNK_COMPACT_EVERY + 10; i++)
		round_trip(c, f, file, (i * 7919) % (flen - 5000), 1 + i * 37 % 5000, i);
	CHECK_EQ(f->compactions, 2);
	CHECK_EQ(f->nrecs, 14);
	CHECK_EQ(f->recs[0].s.pos, 0);

	/* by hand: a stale record list is refused and its slice is deleted */
	CHECK_EQ(meta_read_chunk(&f->base, 1, 0, &recs, &n), 0);
	before = count_objects(c);
	CHECK_EQ(chunk_compact(c, 1, 0), 0);
	CHECK_EQ(count_objects(c), before + 5);	/* 300000 bytes in 64 KiB blocks */
	CHECK_EQ(f->nrecs, 1);
	CHECK_EQ(f->compactions, 3);
	CHECK_EQ(f->recs[0].s.len, f->length);
	CHECK_EQ(fake_compact_chunk(&f->base, 1, 0, recs, n, 0, &f->recs[0].s), -EINVAL);
	round_trip(c, f, file, 0, 1, 99999);
	free(recs);

	/* one record (or none) is left alone */
	fake_reset(f);
	CHECK_EQ(chunk_compact(c, 1, 0), 0);
	round_trip(c, f, file, 0, 10, 1);
	CHECK_EQ(chunk_compact(c, 1, 0), 0);
	CHECK_EQ(f->compactions, 0);
	fake_reset(f);
	free(file);
}

/*
 * skipSome: small appends after a big first write compact without it (the
 * big record stays first, untouched); once it is overwritten, it goes too.
 */
static void test_compaction_skips_big_head(void)
{
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	size_t head = 2 * MiB, flen = head + 200 * 1000, i;
	unsigned char *file = calloc(1, flen);

	c->block_size = 64 * 1024;
	fake_reset(f);
	round_trip(c, f, file, 0, head, 1);
	REQUIRE(f->nrecs == 1);
	/* 98 appends make the 99th record: the 98 become one, after the head */
	for (i = 0; i < CHUNK_COMPACT_EVERY - 2; i++)
		round_trip(c, f, file, head + i * 1000, 1000, i);
	CHECK_EQ(f->compactions, 1);
	CHECK_EQ(f->skipped, 1);
	CHECK_EQ(f->nrecs, 2);
	CHECK_EQ(f->recs[0].s.pos, 0);
	CHECK_EQ(f->recs[0].s.len, head);
	CHECK_EQ(f->recs[1].s.pos, head);
	CHECK_EQ(f->recs[1].s.len, (CHUNK_COMPACT_EVERY - 2) * 1000);

	/* an overwrite of the head: the next compaction takes it along */
	round_trip(c, f, file, 4096, 100, 7);
	for (; f->nrecs < CHUNK_COMPACT_EVERY - 2; i++)
		round_trip(c, f, file, head + i * 1000, 1000, i);
	CHECK_EQ(f->compactions, 1);
	round_trip(c, f, file, head + i * 1000, 1000, i);
	CHECK_EQ(f->compactions, 2);
	CHECK_EQ(f->skipped, 1);
	CHECK_EQ(f->nrecs, 1);
	CHECK_EQ(f->recs[0].s.len, f->length);
	fake_reset(f);
	free(file);
}

/* Open files' chunk maps (fmap.h): a cached chunk asks the engine nothing. */
static void test_open_file_maps(void)
{
	struct timespec now = { 1700000000, 0 };
	struct meta_segs segs = { 0 };
	struct chunk_ctx *c = &ctx;
	struct fake *f = &fk;
	struct meta_attr attr;
	unsigned char buf[16];
	uint64_t gen, old;
	size_t got;
	int reads;

	fake_reset(f);
	CHECK_EQ(fmaps_new(&c->maps), 0);
	put_slice(c, 51, 16384);
	put_slice(c, 52, 16384);
	put_slice(c, 53, 16384);
	rec(f, 0, 0, 51, 16384, 0, 16384);
	f->length = 16384;
	/* not open here: every read asks */
	READ(c, f, 16384, 0, 4096);
	READ(c, f, 16384, 0, 4096);
	CHECK_EQ(f->reads, 2);
	CHECK_EQ(fmaps_open(c->maps, 1, 16384), 0);
	READ(c, f, 16384, 0, 4096);
	READ(c, f, 16384, 8192, 8192);
	CHECK_EQ(f->reads, 3);

	/* another client's record: unseen until the file is opened again */
	rec(f, 0, 4096, 52, 16384, 0, 4096);
	CHECK_EQ(chunk_read(c, 1, 16384, 4096, 1, buf, &got), 0);
	CHECK_EQ(buf[0], pat(51, 4096));
	CHECK_EQ(f->reads, 3);
	CHECK_EQ(fmaps_open(c->maps, 1, 16384), 0);
	READ(c, f, 16384, 0, 16384);
	CHECK_EQ(f->reads, 4);

	/* this mount's write forgets the chunk it wrote */
	CHECK_EQ(chunk_write(c, 1, 100, "hello", 5, &now, &attr), 0);
	CHECK_EQ(chunk_read(c, 1, 16384, 100, 5, buf, &got), 0);
	CHECK(got == 5 && !memcmp(buf, "hello", 5));
	CHECK_EQ(f->reads, 5);
	CHECK_EQ(chunk_read(c, 1, 16384, 100, 5, buf, &got), 0);
	CHECK_EQ(f->reads, 5);

	/* compacted elsewhere: the cached map's blocks are gone, ask again */
	f->nrecs = 0;
	rec(f, 0, 0, 53, 16384, 0, 16384);
	CHECK_EQ(chunk_delete_slice(c, 51, 16384), 0);
	READ(c, f, 16384, 0, 4096);
	CHECK_EQ(f->reads, 6);
	READ(c, f, 16384, 4096, 4096);
	CHECK_EQ(f->reads, 6);

	/* a map looked up before a forget is not kept after it */
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 1);
	fmaps_forget(c->maps, 1);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &old), 0);
	fmaps_forget_chunk(c->maps, 1, 0);
	fmaps_put(c->maps, 1, 0, &segs, old);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 0);
	fmaps_put(c->maps, 1, 0, &segs, gen);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 1);
	free(segs.v);
	segs.v = NULL;

	/* lengths: set by this mount, a different one seen drops the maps */
	fmaps_set_length(c->maps, 1, 20000);
	CHECK(fmaps_length(c->maps, 1, &gen) && gen == 20000);
	fmaps_saw_length(c->maps, 1, 20000);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 1);
	free(segs.v);
	segs.v = NULL;
	fmaps_saw_length(c->maps, 1, 30000);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 0);

	/* the last close drops it all; closed files are never cached */
	fmaps_close(c->maps, 1);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), 0);
	fmaps_close(c->maps, 1);
	CHECK_EQ(fmaps_get(c->maps, 1, 0, &segs, &gen), -1);
	CHECK(!fmaps_length(c->maps, 1, &gen));
	reads = f->reads;
	READ(c, f, 16384, 0, 4096);
	READ(c, f, 16384, 0, 4096);
	CHECK_EQ(f->reads, reads + 2);
	fmaps_free(c->maps);
	c->maps = NULL;
	fake_reset(f);
}


/* ---- writeback ---- */

static uint64_t wb_staged(struct chunk_ctx *c)
{
	return stage_count(c->stage);
}

/* Waits up to 10 s for the staging area to empty. */
static bool wb_drained(struct chunk_ctx *c)
{
	int i;

	for (i = 0; i < 1000 && wb_staged(c); i++)
		usleep(10000);
	return !wb_staged(c);
}

static int count_files(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f 2>/dev/null | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* the file as written must read back whole */
static void wb_check(struct chunk_ctx *c, const unsigned char *file, size_t len, int line)
{
	unsigned char *buf = malloc(len + 1);
	size_t got = 0;
	int ret = chunk_read(c, 1, len, 0, len + 1, buf, &got);

	if (ret || got != len || memcmp(buf, file, len))
		check_fail(__FILE__, line, "read back: %d, %zu of %zu bytes (%s)", ret, got, len,
			   ret ? jfs_errmsg() : "content differs");
	free(buf);
}

#define WB_CHECK(c, file, len) wb_check(c, file, len, __LINE__)

/*
 * Writeback: a write stages its blocks, commits and returns before any
 * upload; the blocks read back from the staging area; a restart finds
 * them and uploads them, moving them into the cache; a slice deleted
 * while staged leaves nothing; a failing store keeps the block staged.
 */
static void test_writeback(void)
{
	struct chunk_ctx c = ctx;
	struct fake *f = &fk;
	unsigned char file[200000];
	struct meta_attr attr;
	struct cache *cache = NULL;
	struct stage_stats st;
	struct store *bad;
	char root[300], sdir[320], path[512];
	unsigned int seed = 7;
	int before;
	size_t i;

	for (i = 0; i < sizeof(file); i++)
		file[i] = rand_r(&seed);
	c.block_size = 64 * 1024;
	snprintf(root, sizeof(root), "%s/cachedir/uuid", tmpdir);
	snprintf(sdir, sizeof(sdir), "%s/%s", root, STAGE_DIR);
	REQUIRE(cache_open(root, 64 * MiB, &cache) == 0);
	REQUIRE(stage_open(root, &c.stage) == 0);
	c.writeback = true;
	c.upload_delay = 3600;	/* held: nothing is uploaded */
	REQUIRE(chunk_start(&c, cache, 4, 0) == 0);

	fake_reset(f);
	before = count_objects(&c);
	CHECK_EQ(chunk_write(&c, 1, 0, file, sizeof(file), NULL, &attr), 0);
	CHECK_EQ(f->commits, 1);
	CHECK_EQ(attr.length, sizeof(file));
	CHECK_EQ(wb_staged(&c), 4);
	CHECK_EQ(count_files(sdir), 4);
	CHECK_EQ(count_objects(&c), before);
	WB_CHECK(&c, file, sizeof(file));	/* from the staging area */

	/* "restart": a new stage finds the four, and uploads them at once */
	chunk_stop(&c);
	stage_close(c.stage);
	CHECK_EQ(count_files(sdir), 4);
	REQUIRE(stage_open(root, &c.stage) == 0);
	stage_stats(c.stage, &st);
	CHECK_EQ(st.found, 4);
	CHECK_EQ(st.bytes, sizeof(file));
	WB_CHECK(&c, file, sizeof(file));
	c.upload_delay = 0;
	REQUIRE(chunk_start(&c, cache, 4, 0) == 0);
	CHECK(wb_drained(&c));
	CHECK_EQ(count_objects(&c), before + 4);
	CHECK_EQ(count_files(sdir), 0);
	stage_stats(c.stage, &st);
	CHECK_EQ(st.uploaded, 4);
	{	/* moved into the block cache */
		char key[256];

		CHECK_EQ(chunk_block_key(&c, f->recs[0].s.id, sizeof(file), 3, key,
					 sizeof(key)), 0);
		CHECK(cache_has(cache, key + strlen(c.prefix), sizeof(file) - 3 * 65536));
	}
	WB_CHECK(&c, file, sizeof(file));
	{	/* and in the store: read with neither cache nor staging */
		struct chunk_ctx plain = c;

		plain.cache = NULL;
		plain.stage = NULL;
		WB_CHECK(&plain, file, sizeof(file));
	}
	CHECK_EQ(chunk_delete_slice(&c, f->recs[0].s.id, sizeof(file)), 0);
	CHECK_EQ(count_objects(&c), before);

	/* uploads at once without a delay, the write never waiting for them */
	fake_reset(f);
	CHECK_EQ(chunk_write(&c, 1, 0, file, sizeof(file), NULL, &attr), 0);
	CHECK(wb_drained(&c));
	CHECK_EQ(count_objects(&c), before + 4);
	WB_CHECK(&c, file, sizeof(file));
	CHECK_EQ(chunk_delete_slice(&c, f->recs[0].s.id, sizeof(file)), 0);
	chunk_stop(&c);

	/* a slice deleted while staged: the files go, nothing is uploaded */
	c.upload_delay = 3600;
	REQUIRE(chunk_start(&c, cache, 4, 0) == 0);
	fake_reset(f);
	CHECK_EQ(chunk_write(&c, 1, 0, file, sizeof(file), NULL, &attr), 0);
	CHECK_EQ(wb_staged(&c), 4);
	CHECK_EQ(chunk_delete_slice(&c, f->recs[0].s.id, sizeof(file)), 0);
	CHECK_EQ(wb_staged(&c), 0);
	CHECK_EQ(count_files(sdir), 0);
	chunk_stop(&c);
	CHECK_EQ(count_objects(&c), before);

	/* a commit that surely failed drops the staged blocks too */
	REQUIRE(chunk_start(&c, cache, 4, 0) == 0);
	fake_reset(f);
	f->fail_commit = ENOSPC;
	CHECK_EQ(chunk_write(&c, 1, 0, file, sizeof(file), NULL, &attr), -ENOSPC);
	CHECK_EQ(wb_staged(&c), 0);
	CHECK_EQ(count_files(sdir), 0);
	chunk_stop(&c);

	/* a store that fails: the block stays staged and readable, retried later */
	snprintf(path, sizeof(path), "%s/notadir2", tmpdir);
	fclose(fopen(path, "w"));
	strcat(path, "/");
	REQUIRE(store_open("file", path, NULL, NULL, &bad) == 0);
	c.store = bad;
	c.upload_delay = 0;
	REQUIRE(chunk_start(&c, cache, 4, 0) == 0);
	fake_reset(f);
	CHECK_EQ(chunk_write(&c, 1, 0, file, 1000, NULL, &attr), 0);
	for (i = 0; i < 500; i++) {
		stage_stats(c.stage, &st);
		if (st.failures)
			break;
		usleep(10000);
	}
	CHECK(st.failures >= 1);
	CHECK_EQ(wb_staged(&c), 1);
	WB_CHECK(&c, file, 1000);
	chunk_stop(&c);
	CHECK_EQ(count_files(sdir), 1);
	store_close(bad);

	stage_close(c.stage);
	cache_close(cache);
	fake_reset(f);
}

/* Junk in the staging dir is skipped, a put cut short is deleted. */
static void test_stage_scan(void)
{
	char root[300], path[600];
	struct stage *s;
	struct stage_stats st;
	char block[100];
	FILE *fp;

	snprintf(root, sizeof(root), "%s/scan", tmpdir);
	REQUIRE(stage_open(root, &s) == 0);
	memset(block, 'x', sizeof(block));
	CHECK_EQ(stage_put(s, "chunks/0/0/5_0_100", block, sizeof(block), false), 0);
	CHECK_EQ(stage_put(s, "chunks/0/0/5_0_99", block, sizeof(block), false), -EINVAL);
	CHECK_EQ(stage_put(s, "../x/5_0_100", block, sizeof(block), false), -EINVAL);
	stage_close(s);
	snprintf(path, sizeof(path), "%s/%s/chunks/0/0/notablock", root, STAGE_DIR);
	fp = fopen(path, "w");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/%s/chunks/0/0/.6_0_100.tmpABCDEF", root, STAGE_DIR);
	fp = fopen(path, "w");
	fclose(fp);
	REQUIRE(stage_open(root, &s) == 0);
	stage_stats(s, &st);
	CHECK_EQ(st.found, 1);
	CHECK(stage_has(s, "chunks/0/0/5_0_100"));
	CHECK(access(path, F_OK) != 0);
	CHECK(stage_drop(s, "chunks/0/0/5_0_100"));
	CHECK(!stage_drop(s, "chunks/0/0/5_0_100"));
	stage_close(s);
}

int main(void)
{
	char bucket[256], cmd[300];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(bucket, sizeof(bucket), "%s/bucket/", tmpdir);
	if (store_open("file", bucket, NULL, NULL, &ctx.store)) {
		fprintf(stderr, "store_open: %s\n", jfs_errmsg());
		return 1;
	}
	fake_reset(&fk);
	ctx.meta = &fk.base;

	RUN(test_block_keys);
	RUN(test_resolve);
	RUN(test_resolve_random);
	RUN(test_write_sizes);
	RUN(test_write_patterns);
	RUN(test_write_failures);
	RUN(test_compaction);
	RUN(test_compaction_skips_big_head);
	RUN(test_open_file_maps);
	RUN(test_writeback);
	RUN(test_stage_scan);

	store_close(ctx.store);
	free(fk.recs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_done();
}
