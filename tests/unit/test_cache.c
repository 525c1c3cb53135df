/*
 * test_cache.c - the local block cache: hits and misses, checksums that
 * catch damaged files, LRU eviction within the limit, reopening, bad keys,
 * many threads at once, the free-space floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/cache.h"

#include "check.h"

#define KIB 1024u

static char dir[] = "/tmp/test_cache.XXXXXX";
static char root[256];

/* A fresh cache root per test. */
static const char *new_root(const char *name)
{
	snprintf(root, sizeof(root), "%s/%s", dir, name);
	return root;
}

static void fill(unsigned char *buf, uint32_t len, unsigned seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

static const char *path_of(const char *key)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/raw/%s", root, key);
	return path;
}

static int exists(const char *key)
{
	struct stat st;

	return stat(path_of(key), &st) == 0;
}

/* The sum of the sizes of the files under the cache root, as du sees it. */
static uint64_t disk_total;
static long disk_files;

static int add_file(const char *path, const struct stat *st, int type, struct FTW *f)
{
	if (type == FTW_F) {
		disk_total += st->st_size;
		disk_files++;
	}
	return 0;
}

static uint64_t on_disk(void)
{
	disk_total = 0;
	disk_files = 0;
	nftw(root, add_file, 16, FTW_PHYS);
	return disk_total;
}

/* Overwrites one byte of a cache file at off (from the end if negative). */
static int poke(const char *key, long off)
{
	int fd = open(path_of(key), O_RDWR);
	unsigned char b;
	struct stat st;
	int ret = -1;

	if (fd < 0)
		return -1;
	if (!fstat(fd, &st)) {
		if (off < 0)
			off += st.st_size;
		if (pread(fd, &b, 1, off) == 1) {
			b ^= 0x5a;
			ret = pwrite(fd, &b, 1, off) == 1 ? 0 : -1;
		}
	}
	close(fd);
	return ret;
}

static void test_put_get(void)
{
	static unsigned char blk[100 * KIB], out[100 * KIB];
	const char *key = "chunks/0/1/1234_0_102400";
	struct cache_stats st;
	struct cache *c;

	REQUIRE(cache_open(new_root("putget"), 10 << 20, &c) == 0);
	fill(blk, sizeof(blk), 1);
	CHECK(cache_get(c, key, sizeof(blk), 0, 10, out) == -ENOENT);
	CHECK(!cache_has(c, key, sizeof(blk)));
	CHECK(cache_put(c, key, blk, sizeof(blk)) == 0);
	CHECK(cache_has(c, key, sizeof(blk)));
	CHECK(!cache_has(c, key, 1000));
	/* layout: {root}/raw/{key}, data + trailer; owner only */
	CHECK(exists(key));
	{
		struct stat sb;
		char d[512];

		CHECK(stat(path_of(key), &sb) == 0 && (sb.st_mode & 07777) == 0600);
		snprintf(d, sizeof(d), "%s/raw/chunks/0/1", root);
		CHECK(stat(d, &sb) == 0 && (sb.st_mode & 07777) == 0700);
	}
	CHECK_EQU(on_disk(), cache_file_size(sizeof(blk)));
	CHECK_EQU(cache_file_size(sizeof(blk)), sizeof(blk) + 4 * 4 + 12);

	/* whole */
	memset(out, 0, sizeof(out));
	CHECK(cache_get(c, key, sizeof(blk), 0, sizeof(blk), out) == 0);
	CHECK_MEM(out, blk, sizeof(blk));
	/* ranges: inside one piece, across pieces, unaligned both ends, the tail */
	CHECK(cache_get(c, key, sizeof(blk), 100, 50, out) == 0);
	CHECK_MEM(out, blk + 100, 50);
	CHECK(cache_get(c, key, sizeof(blk), 30000, 40000, out) == 0);
	CHECK_MEM(out, blk + 30000, 40000);
	CHECK(cache_get(c, key, sizeof(blk), 32 * KIB, 64 * KIB, out) == 0);
	CHECK_MEM(out, blk + 32 * KIB, 64 * KIB);
	CHECK(cache_get(c, key, sizeof(blk), 32 * KIB - 1, 32 * KIB + 2, out) == 0);
	CHECK_MEM(out, blk + 32 * KIB - 1, 32 * KIB + 2);
	CHECK(cache_get(c, key, sizeof(blk), 99 * KIB, KIB, out) == 0);
	CHECK_MEM(out, blk + 99 * KIB, KIB);
	CHECK(cache_get(c, key, sizeof(blk), 96 * KIB, 4 * KIB, out) == 0);
	CHECK_MEM(out, blk + 96 * KIB, 4 * KIB);
	CHECK(cache_get(c, key, sizeof(blk), 0, 0, out) == 0);
	/* a range past the block is the caller's bug */
	CHECK(cache_get(c, key, sizeof(blk), 100 * KIB - 1, 2, out) == -EINVAL);
	CHECK(cache_get(c, key, sizeof(blk), 200 * KIB, 0, out) == -EINVAL);
	/* a block length other than the cached one: the footer says no */
	CHECK(cache_get(c, key, 50 * KIB, 0, 10, out) == -ENOENT);
	CHECK(!exists(key));
	CHECK(cache_put(c, key, blk, sizeof(blk)) == 0);

	/* a second put of the same key is a no-op */
	CHECK(cache_put(c, key, blk, sizeof(blk)) == 0);
	/* a small block, a one-byte block */
	CHECK(cache_put(c, "chunks/0/0/5_0_3", "abc", 3) == 0);
	CHECK(cache_get(c, "chunks/0/0/5_0_3", 3, 1, 2, out) == 0);
	CHECK_MEM(out, "bc", 2);
	CHECK(cache_put(c, "chunks/0/0/6_0_1", "z", 1) == 0);
	CHECK(cache_get(c, "chunks/0/0/6_0_1", 1, 0, 1, out) == 0 && out[0] == 'z');

	/* drop */
	cache_drop(c, "chunks/0/0/5_0_3");
	CHECK(!exists("chunks/0/0/5_0_3"));
	CHECK(cache_get(c, "chunks/0/0/5_0_3", 3, 0, 3, out) == -ENOENT);
	cache_drop(c, "chunks/0/0/nothing_0_3");

	cache_stats(c, &st);
	CHECK_EQU(st.writes, 4);
	CHECK_EQU(st.blocks, 2);
	CHECK_EQU(st.bytes, cache_file_size(sizeof(blk)) + cache_file_size(1));
	CHECK_EQU(st.bytes, on_disk());
	CHECK_EQU(st.corrupt, 1);
	CHECK_EQU(st.misses, 3);
	cache_close(c);

	/* no cache: every get misses, nothing is cached */
	CHECK(cache_get(NULL, key, sizeof(blk), 0, 1, out) == -ENOENT);
	CHECK(cache_put(NULL, key, blk, sizeof(blk)) < 0);
	CHECK(!cache_has(NULL, key, sizeof(blk)));
}

/* Damages a file with fn, then checks the damage is caught and healed. */
static void damaged(struct cache *c, const char *key, const unsigned char *blk,
		    uint32_t blen, uint32_t off, uint32_t len, uint64_t corrupt)
{
	static unsigned char out[200 * KIB];
	struct cache_stats st;

	CHECK(cache_get(c, key, blen, off, len, out) == -ENOENT);
	CHECK(!exists(key));
	CHECK(!cache_has(c, key, blen));
	cache_stats(c, &st);
	CHECK_EQU(st.corrupt, corrupt);
	CHECK_EQU(st.bytes, on_disk());
	/* cached again, it is served again */
	CHECK(cache_put(c, key, blk, blen) == 0);
	CHECK(cache_get(c, key, blen, off, len, out) == 0);
	CHECK_MEM(out, blk + off, len);
}

static void test_corrupt(void)
{
	static unsigned char blk[200 * KIB], out[200 * KIB];
	const uint32_t blen = 150 * KIB;	/* 5 pieces, the last short */
	const char *key = "chunks/0/0/7_0_153600";
	struct cache *c;
	int fd;

	REQUIRE(cache_open(new_root("corrupt"), 10 << 20, &c) == 0);
	fill(blk, blen, 7);
	REQUIRE(cache_put(c, key, blk, blen) == 0);

	/* one flipped byte in piece 2: reads of other pieces still hit */
	REQUIRE(poke(key, 2 * 32 * KIB + 5) == 0);
	CHECK(cache_get(c, key, blen, 0, 64 * KIB, out) == 0);
	CHECK_MEM(out, blk, 64 * KIB);
	CHECK(cache_get(c, key, blen, 100 * KIB, 50 * KIB, out) == 0);
	CHECK_MEM(out, blk + 100 * KIB, 50 * KIB);
	/* a read touching it misses, the file goes, a re-put works */
	damaged(c, key, blk, blen, 64 * KIB + 5, 1, 1);

	/* a flip in the last, short piece, read whole */
	REQUIRE(poke(key, blen - 1) == 0);
	damaged(c, key, blk, blen, 0, blen, 2);

	/* torn: the file cut short (here mid-data) */
	fd = open(path_of(key), O_RDWR);
	REQUIRE(fd >= 0);
	CHECK(ftruncate(fd, 40 * KIB) == 0);
	close(fd);
	damaged(c, key, blk, blen, 0, 10, 3);

	/* torn: the trailer only half there */
	fd = open(path_of(key), O_RDWR);
	REQUIRE(fd >= 0);
	CHECK(ftruncate(fd, cache_file_size(blen) - 8) == 0);
	close(fd);
	damaged(c, key, blk, blen, 0, 10, 4);

	/* bad footer: magic, length, its crc */
	REQUIRE(poke(key, -12) == 0);
	damaged(c, key, blk, blen, 0, 10, 5);
	REQUIRE(poke(key, -8) == 0);
	damaged(c, key, blk, blen, 0, 10, 6);
	REQUIRE(poke(key, -1) == 0);
	damaged(c, key, blk, blen, 0, 10, 7);
	/* a damaged crc array: caught by the footer's crc, whatever the range */
	REQUIRE(poke(key, blen + 4 * 4) == 0);
	damaged(c, key, blk, blen, 0, 10, 8);

	/* gone behind our back: a miss, not corruption, and forgotten */
	REQUIRE(unlink(path_of(key)) == 0);
	CHECK(cache_get(c, key, blen, 0, 10, out) == -ENOENT);
	CHECK(!cache_has(c, key, blen));
	CHECK(cache_put(c, key, blk, blen) == 0);
	CHECK(cache_get(c, key, blen, 0, 10, out) == 0);
	{
		struct cache_stats st;

		cache_stats(c, &st);
		CHECK_EQU(st.corrupt, 8);
	}
	cache_close(c);
}

static void test_lru(void)
{
	static unsigned char blk[4][40 * KIB], out[40 * KIB];
	const char *keys[4] = { "chunks/0/0/1_0_40960", "chunks/0/0/2_0_40960",
				"chunks/0/0/3_0_40960", "chunks/0/0/4_0_40960" };
	const uint32_t blen = 40 * KIB;
	uint64_t fsz = cache_file_size(blen);
	struct cache_stats st;
	struct cache *c;
	int i;

	/* room for three blocks, not four */
	REQUIRE(cache_open(new_root("lru"), 4 * fsz - 1, &c) == 0);
	for (i = 0; i < 4; i++)
		fill(blk[i], blen, 10 + i);
	for (i = 0; i < 3; i++)
		CHECK(cache_put(c, keys[i], blk[i], blen) == 0);
	CHECK_EQU(on_disk(), 3 * fsz);
	/* a read makes block 0 the newest, so block 1 is the one to go */
	CHECK(cache_get(c, keys[0], blen, 0, 1, out) == 0);
	CHECK(cache_put(c, keys[3], blk[3], blen) == 0);
	CHECK(on_disk() <= 4 * fsz - 1);
	CHECK(exists(keys[0]) && !exists(keys[1]) && exists(keys[2]) && exists(keys[3]));
	CHECK(cache_get(c, keys[1], blen, 0, 1, out) == -ENOENT);
	/* a put of a cached key does not refresh it: block 2 goes next */
	CHECK(cache_put(c, keys[2], blk[2], blen) == 0);
	CHECK(cache_get(c, keys[3], blen, 0, 1, out) == 0);
	CHECK(cache_get(c, keys[0], blen, 0, 1, out) == 0);
	CHECK(cache_put(c, keys[1], blk[1], blen) == 0);
	CHECK(!exists(keys[2]));
	CHECK(on_disk() <= 4 * fsz - 1);
	for (i = 0; i < 4; i++)
		if (i != 2) {
			CHECK(cache_get(c, keys[i], blen, 0, blen, out) == 0);
			CHECK_MEM(out, blk[i], blen);
		}
	cache_stats(c, &st);
	CHECK_EQU(st.evictions, 2);
	CHECK_EQU(st.blocks, 3);
	CHECK_EQU(st.bytes, on_disk());

	/* a block bigger than the whole cache is not cached, evicting nothing */
	{
		static unsigned char big[200 * KIB];

		CHECK(cache_put(c, "chunks/0/0/9_0_204800", big, sizeof(big)) == -EFBIG);
		CHECK(!exists("chunks/0/0/9_0_204800"));
		CHECK(cache_get(c, "chunks/0/0/9_0_204800", sizeof(big), 0, 1, out) == -ENOENT);
		cache_stats(c, &st);
		CHECK_EQU(st.blocks, 3);
	}
	cache_close(c);

	/* limit 0: nothing is ever cached */
	REQUIRE(cache_open(new_root("lru0"), 0, &c) == 0);
	CHECK(cache_put(c, keys[0], blk[0], blen) == -EFBIG);
	CHECK_EQU(on_disk(), 0);
	cache_close(c);
}

static void set_age(const char *key, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	CHECK(utimensat(AT_FDCWD, path_of(key), ts, 0) == 0);
}

static void test_reopen(void)
{
	static unsigned char blk[3][20 * KIB], out[20 * KIB];
	const char *keys[3] = { "chunks/0/0/1_0_20480", "chunks/0/0/2_0_20480",
				"chunks/1/1001/1001234_3_20480" };
	const uint32_t blen = 20 * KIB;
	uint64_t fsz = cache_file_size(blen);
	struct cache_stats st;
	struct cache *c;
	char junk[512];
	int i, fd;

	REQUIRE(cache_open(new_root("reopen"), 10 << 20, &c) == 0);
	for (i = 0; i < 3; i++) {
		fill(blk[i], blen, 20 + i);
		CHECK(cache_put(c, keys[i], blk[i], blen) == 0);
	}
	cache_close(c);
	/* last use: key 1 oldest, then key 0, key 2 newest */
	set_age(keys[1], 1000000);
	set_age(keys[0], 2000000);
	set_age(keys[2], 3000000);
	/* what a crash leaves: a temporary file, a too short file */
	snprintf(junk, sizeof(junk), "%s/raw/chunks/0/0/.3_0_20480.tmpAbCdEf", root);
	fd = open(junk, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	snprintf(junk, sizeof(junk), "%s/raw/chunks/0/0/4_0_20480", root);
	fd = open(junk, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);

	/* same limit: all three found, the junk cleaned */
	REQUIRE(cache_open(root, 10 << 20, &c) == 0);
	cache_stats(c, &st);
	CHECK_EQU(st.blocks, 3);
	CHECK_EQU(st.bytes, 3 * fsz);
	CHECK_EQU(on_disk(), 3 * fsz);
	for (i = 0; i < 3; i++) {
		CHECK(cache_has(c, keys[i], blen));
		CHECK(cache_get(c, keys[i], blen, 0, blen, out) == 0);
		CHECK_MEM(out, blk[i], blen);
	}
	cache_close(c);
	set_age(keys[1], 1000000);
	set_age(keys[0], 2000000);
	set_age(keys[2], 3000000);

	/* a smaller limit: the least recently used go */
	REQUIRE(cache_open(root, 2 * fsz, &c) == 0);
	CHECK(!exists(keys[1]) && exists(keys[0]) && exists(keys[2]));
	CHECK(on_disk() <= 2 * fsz);
	cache_stats(c, &st);
	CHECK_EQU(st.evictions, 1);
	CHECK_EQU(st.blocks, 2);
	cache_close(c);
	REQUIRE(cache_open(root, fsz, &c) == 0);
	CHECK(!exists(keys[0]) && exists(keys[2]));
	CHECK(cache_get(c, keys[2], blen, 5, 10, out) == 0);
	CHECK_MEM(out, blk[2] + 5, 10);
	cache_close(c);
}

/*
 * A file torn while jfsd was down is indexed at its short size on reopen:
 * cache_has() calls it a miss, and the put of the refetched block must
 * replace it, not keep the torn file as "already cached".
 */
static void test_torn_at_reopen(void)
{
	static unsigned char blk[40 * KIB], out[40 * KIB];
	const char *key = "chunks/0/0/7_0_40960";
	const uint32_t blen = 40 * KIB;
	struct cache *c;

	fill(blk, blen, 77);
	REQUIRE(cache_open(new_root("torn"), 10 << 20, &c) == 0);
	CHECK(cache_put(c, key, blk, blen) == 0);
	cache_close(c);
	CHECK(truncate(path_of(key), 30 * KIB) == 0);
	REQUIRE(cache_open(root, 10 << 20, &c) == 0);
	CHECK(!cache_has(c, key, blen));
	CHECK(cache_put(c, key, blk, blen) == 0);
	CHECK(cache_has(c, key, blen));
	CHECK(cache_get(c, key, blen, 0, blen, out) == 0);
	CHECK_MEM(out, blk, blen);
	CHECK_EQU(on_disk(), cache_file_size(blen));
	cache_close(c);
}

static void test_bad_keys(void)
{
	static const char *bad[] = {
		"", "/abs/1_0_3", "..", "../1_0_3", "chunks/../../etc/passwd",
		"chunks//1_0_3", "chunks/0/", "./chunks/1_0_3", "chunks/.",
		"chunks/.hidden",
	};
	char out[8];
	struct cache *c;
	size_t i;

	REQUIRE(cache_open(new_root("badkeys"), 1 << 20, &c) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(cache_put(c, bad[i], "abc", 3) == -EINVAL);
		CHECK(cache_get(c, bad[i], 3, 0, 3, out) == -EINVAL);
		CHECK(!cache_has(c, bad[i], 3));
		cache_drop(c, bad[i]);
	}
	CHECK_EQU(on_disk(), 0);
	cache_close(c);
	CHECK(cache_open("", 1 << 20, &c) == -EINVAL && !c);
}

/* ---- many threads ---- */

#define NKEYS	24
#define NTHREADS 8
#define ROUNDS	600

static struct cache *mt_cache;
static unsigned char mt_blk[NKEYS][64 * KIB];
static uint32_t mt_len[NKEYS];
static char mt_key[NKEYS][64];
static long mt_bad, mt_hits;

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	static __thread unsigned char out[64 * KIB];
	long bad = 0, hits = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		int k = rand_r(&seed) % NKEYS;
		uint32_t off = rand_r(&seed) % mt_len[k];
		uint32_t len = 1 + rand_r(&seed) % (mt_len[k] - off);
		int r = rand_r(&seed) % 16;

		if (r == 0) {
			cache_drop(mt_cache, mt_key[k]);
		} else if (!cache_get(mt_cache, mt_key[k], mt_len[k], off, len, out)) {
			hits++;
			if (memcmp(out, mt_blk[k] + off, len))
				bad++;
		} else {
			int ret = cache_put(mt_cache, mt_key[k], mt_blk[k], mt_len[k]);

			if (ret && ret != -ENOSPC)
				bad++;
		}
	}
	__atomic_add_fetch(&mt_bad, bad, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mt_hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[NTHREADS];
	struct cache_stats st;
	uint64_t limit = 0;
	int i;

	for (i = 0; i < NKEYS; i++) {
		mt_len[i] = 1 + (i * 7919u) % (64 * KIB);
		fill(mt_blk[i], mt_len[i], 100 + i);
		snprintf(mt_key[i], sizeof(mt_key[i]), "chunks/0/%d/%d_0_%u", i % 3, i,
			 mt_len[i]);
		limit += cache_file_size(mt_len[i]);
	}
	limit /= 4;	/* a quarter of the blocks fit: constant eviction */
	REQUIRE(cache_open(new_root("threads"), limit, &mt_cache) == 0);
	for (i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(mt_bad, 0);
	CHECK(mt_hits > 0);
	CHECK(on_disk() <= limit);
	cache_stats(mt_cache, &st);
	CHECK_EQU(st.bytes, on_disk());
	CHECK_EQU(st.blocks, disk_files);
	CHECK_EQU(st.hits, mt_hits);
	CHECK_EQU(st.corrupt, 0);
	CHECK(st.evictions > 0);
	cache_close(mt_cache);

	/* and what they left is a consistent cache */
	REQUIRE(cache_open(root, limit, &mt_cache) == 0);
	for (i = 0; i < NKEYS; i++) {
		static unsigned char out[64 * KIB];

		if (!cache_get(mt_cache, mt_key[i], mt_len[i], 0, mt_len[i], out))
			CHECK_MEM(out, mt_blk[i], mt_len[i]);
	}
	cache_stats(mt_cache, &st);
	CHECK_EQU(st.corrupt, 0);
	cache_close(mt_cache);
}

static void test_free_space(void)
{
	struct cache *c;
	char out[3];

	REQUIRE(cache_open(new_root("free"), 1 << 20, &c) == 0);
	cache_set_free_ratio(c, 1.0);	/* no disk is ever all free */
	CHECK(cache_put(c, "chunks/0/0/1_0_3", "abc", 3) == -ENOSPC);
	CHECK(cache_get(c, "chunks/0/0/1_0_3", 3, 0, 3, out) == -ENOENT);
	CHECK_EQU(on_disk(), 0);
	cache_set_free_ratio(c, 0);
	CHECK(cache_put(c, "chunks/0/0/1_0_3", "abc", 3) == 0);
	CHECK(cache_get(c, "chunks/0/0/1_0_3", 3, 0, 3, out) == 0);
	cache_close(c);
}

int main(void)
{
	char cmd[300];
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_put_get);
	RUN(test_corrupt);
	RUN(test_lru);
	RUN(test_reopen);
	RUN(test_torn_at_reopen);
	RUN(test_bad_keys);
	RUN(test_threads);
	RUN(test_free_space);
	ret = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return ret;
}
