/*
 * test_meta_sql_data.c - the SQLite engine's data side (meta_sql_data.c):
 * write/read of chunk records, compaction, truncate, fallocate,
 * copy_range, freeing a file's slices and sustained inodes.  Rows are checked with a separate
 * sqlite3 connection, so the tests pin JuiceFS's SQL layout: jfs_chunk's
 * slices blob byte for byte, jfs_chunk_ref rows with refs = the records
 * that use a slice.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "meta/engine.h"
#include "check.h"
#include "sqlraw.h"

#define MiB (1U << 20)
#define CS META_CHUNK_SIZE

static const char *setting_json =
	"{\"Name\":\"datavol\",\"UUID\":\"5b1e0c2a-7d3f-4a6b-8e9c-0a1b2c3d4e5f\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1}";

/* ---- hooks that record what the engine asks ---- */

struct rec {
	pthread_mutex_t lock;
	uint64_t open_ino;
	int fail;		/* delete_slice reports an error */
	int n;
	uint64_t id[64];
	uint32_t size[64];
};

static struct rec rec = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool rec_is_open(void *arg, uint64_t ino)
{
	struct rec *r = arg;

	return ino && ino == r->open_ino;
}

static int rec_delete(void *arg, uint64_t id, uint32_t size)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->lock);
	if (r->n < 64) {
		r->id[r->n] = id;
		r->size[r->n] = size;
	}
	r->n++;
	pthread_mutex_unlock(&r->lock);
	return r->fail ? -EIO : 0;
}

static bool rec_has(uint64_t id, uint32_t size)
{
	int i;

	for (i = 0; i < rec.n && i < 64; i++)
		if (rec.id[i] == id && rec.size[i] == size)
			return true;
	return false;
}

/* ---- raw access to the test's database file ---- */

/* chunk (ino, indx)'s slices column: its raw bytes (malloc'd), -1 if no row */
static long chunk_bytes(uint64_t ino, uint32_t indx, unsigned char **out)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	long n = -1;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (int64_t)ino);
		sqlite3_bind_int64(st, 2, indx);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const void *p = sqlite3_column_blob(st, 0);

			n = sqlite3_column_bytes(st, 0);
			*out = malloc((size_t)n + 1);
			if (*out && n)
				memcpy(*out, p, (size_t)n);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

/* the records of chunk (ino, indx) as stored: their count, -1 if no row */
static long records(uint64_t ino, uint32_t indx, struct meta_slice *s, size_t max)
{
	unsigned char *b;
	long n = chunk_bytes(ino, indx, &b), i;

	if (n < 0)
		return -1;
	if (n % 24) {
		free(b);
		return -2;
	}
	for (i = 0; i < n / 24 && (size_t)i < max; i++)
		meta_slice_decode(b + 24 * i, &s[i]);
	free(b);
	return n / 24;
}

/* record i of chunk (ino, indx) is exactly these 24 bytes */
static bool same_record(uint64_t ino, uint32_t indx, long i, uint32_t pos, uint64_t id,
			uint32_t size, uint32_t off, uint32_t len)
{
	struct meta_slice s = { pos, id, size, off, len };
	unsigned char buf[24], *b;
	long n = chunk_bytes(ino, indx, &b);
	bool ok;

	meta_slice_encode(&s, buf);
	ok = n >= 24 * (i + 1) && !memcmp(b + 24 * i, buf, 24);
	free(b);
	return ok;
}

static long long counter(const char *name)
{
	return raw_int("SELECT value FROM jfs_counter WHERE name='%s'", name);
}

static long long refs(uint64_t id)
{
	return raw_int("SELECT refs FROM jfs_chunk_ref WHERE chunkid=%" PRIu64, id);
}

static long long ref_rows(uint64_t id)
{
	return raw_int("SELECT count(*) FROM jfs_chunk_ref WHERE chunkid=%" PRIu64, id);
}

static long long chunk_rows(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_chunk WHERE inode=%" PRIu64, ino);
}

/* ---- fixtures ---- */

static struct meta *fresh(void)
{
	struct meta *m = raw_volume(setting_json, false);

	if (!m)
		return NULL;
	pthread_mutex_lock(&rec.lock);
	rec.open_ino = 0;
	rec.fail = 0;
	rec.n = 0;
	pthread_mutex_unlock(&rec.lock);
	m->hooks.arg = &rec;
	m->hooks.is_open = rec_is_open;
	m->hooks.delete_slice = rec_delete;
	return m;
}

static int mkfile(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_FILE, 0644, 0,
			     1000, 1000, 0, NULL, 0, ino, &a);
}

static int mkdir_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_DIR, 0755, 0,
			     0, 0, 0, NULL, 0, ino, &a);
}

/* commits a new slice of 'len' bytes at chunk offset 'pos' */
static int write_(struct meta *m, uint64_t ino, uint32_t indx, uint32_t pos,
		  uint32_t len, uint64_t *id, struct meta_attr *a)
{
	struct meta_slice s = { .pos = pos, .size = len, .len = len };
	int ret;

	ret = meta_new_slice_id(m, &s.id);
	if (ret)
		return ret;
	if (id)
		*id = s.id;
	return meta_write_slice(m, ino, indx, &s, NULL, a, NULL);
}

/* ---- tests ---- */

static void write_and_read_chunks(void)
{
	struct meta *m = fresh();
	struct timespec mt = { 1234567890, 42 };
	struct meta_slice s = { 0 }, *sl = NULL;
	struct meta_attr a;
	uint64_t f, d, id, id2, id3;
	unsigned char *b;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 1);	/* nextChunk starts at 1 */
	s.id = id;
	s.size = 10000;
	s.len = 10000;
	n = 9;
	REQUIRE(meta_write_slice(m, f, 0, &s, &mt, &a, &n) == 0);
	CHECK_EQ(n, 1);		/* the chunk's records, as numSlices */
	CHECK_EQU(a.length, 10000);
	CHECK_EQ(a.mtime, 1234567890);
	CHECK_EQ(a.mtimensec, 42);
	CHECK(a.ctime > 1700000000);
	CHECK_EQ(counter("usedSpace"), 12288);
	/* the row: one big-endian record, as marshalSlice writes it */
	{
		static const unsigned char want[24] = {
			0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 1,  0, 0, 0x27, 0x10,
			0, 0, 0, 0,  0, 0, 0x27, 0x10,
		};

		CHECK_EQ(chunk_bytes(f, 0, &b), 24);
		CHECK(b && !memcmp(b, want, 24));
		free(b);
	}
	CHECK_EQ(refs(id), 1);
	CHECK_EQ(raw_int("SELECT size FROM jfs_chunk_ref WHERE chunkid=%" PRIu64, id), 10000);
	/* times in microseconds, the nanoseconds below one apart */
	CHECK_EQ(raw_int("SELECT mtime FROM jfs_node WHERE inode=%" PRIu64, f),
		 1234567890000000LL);
	CHECK_EQ(raw_int("SELECT mtimensec FROM jfs_node WHERE inode=%" PRIu64, f), 42);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=%" PRIu64, f), 10000);

	/* an overwrite inside the file: length and usedSpace stay */
	REQUIRE(write_(m, f, 0, 100, 50, &id2, &a) == 0);
	CHECK_EQU(a.length, 10000);
	CHECK_EQ(counter("usedSpace"), 12288);
	CHECK_EQ(chunk_bytes(f, 0, &b), 48);
	free(b);
	CHECK(same_record(f, 0, 0, 0, id, 10000, 0, 10000));
	CHECK(same_record(f, 0, 1, 100, id2, 50, 0, 50));
	CHECK_EQ(refs(id2), 1);
	CHECK_EQ(chunk_rows(f), 1);
	/* a write in chunk 2 */
	REQUIRE(write_(m, f, 2, 1 * MiB, 6, &id3, &a) == 0);
	CHECK_EQU(a.length, 2ULL * CS + MiB + 6);
	CHECK_EQ(counter("usedSpace"), (long long)meta_align4k(2ULL * CS + MiB + 6));
	CHECK(same_record(f, 2, 0, MiB, id3, 6, 0, 6));

	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQU(sl[0].id, id);
	CHECK_EQ(sl[0].len, 10000);
	CHECK_EQ(sl[1].pos, 100);
	CHECK_EQ(sl[1].len, 50);
	free(sl);
	REQUIRE(meta_read_chunk(m, f, 1, &sl, &n) == 0);
	CHECK_EQ(n, 0);
	free(sl);
	REQUIRE(meta_read_chunk(m, f, 2, &sl, &n) == 0);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(sl[0].pos, MiB);
		CHECK_EQU(sl[0].id, id3);
	}
	free(sl);

	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	CHECK_EQ(meta_write_slice(m, d, 0, &s, NULL, &a, NULL), -EPERM);
	CHECK_EQ(meta_write_slice(m, 99999, 0, &s, NULL, &a, NULL), -ENOENT);
	s.pos = CS - 10;
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), -EINVAL);
	s.pos = 0;
	s.off = 9999;	/* past the slice's end */
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), -EINVAL);
	/* immutable: no write; append-only: writes go on (as Redis) */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=%" PRIu64, f) == 0);
	CHECK_EQ(write_(m, f, 0, 0, 10, NULL, &a), -EPERM);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=2 WHERE inode=%" PRIu64, f) == 0);
	CHECK_EQ(write_(m, f, 3, 0, 10, NULL, &a), 0);

	/* a value that is not 24-byte records makes the chunk corrupt */
	REQUIRE(raw_exec("UPDATE jfs_chunk SET slices=x'0102030405' WHERE inode=%" PRIu64
			 " AND indx=0", f) == 0);
	CHECK_EQ(meta_read_chunk(m, f, 0, &sl, &n), -EIO);
	CHECK(sl == NULL && n == 0);
	CHECK(strstr(jfs_errmsg(), "jfs_chunk") != NULL);
	meta_close(m);
}

/* compactChunk: the first n records become one, the old slices are released */
/* skipSome's commit: the first records stay, in order, with their refs */
static void compact_chunk_skips(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, s = { 0 }, r[8];
	struct meta_attr a;
	uint64_t f, id[4];
	size_t n = 0;
	int i;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	for (i = 0; i < 4; i++)
		REQUIRE(write_(m, f, 0, i * 1000, 1000, &id[i], &a) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &n) == 0);
	REQUIRE(n == 4);
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	s.pos = 2000;
	s.size = s.len = 2000;
	rec.n = 0;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 4, &s), -EINVAL);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 2, &s), 0);
	CHECK_EQ(records(f, 0, r, 8), 3);
	CHECK(same_record(f, 0, 0, 0, id[0], 1000, 0, 1000));
	CHECK(same_record(f, 0, 1, 1000, id[1], 1000, 0, 1000));
	CHECK(same_record(f, 0, 2, 2000, s.id, 2000, 0, 2000));
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id[2], 1000) && rec_has(id[3], 1000));
	CHECK_EQ(ref_rows(id[0]), 1);
	CHECK_EQ(ref_rows(id[2]), 0);
	free(old);
	meta_close(m);
}

static void compact_chunk_swaps(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, *sl = NULL, s = { 0 }, r[8];
	struct meta_attr a;
	uint64_t f, id1, id2, id3, id4, copied;
	unsigned char *before, *after;
	long nb, na;
	size_t n = 0, nold = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 1000, 2000, &id2, &a) == 0);
	/* a second record of id2's slice: one slice, two references */
	REQUIRE(meta_copy_range(m, f, 1000, f, 6000, 100, &copied, &a) == 0);
	REQUIRE(copied == 100);
	CHECK_EQ(refs(id2), 2);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &nold) == 0);
	REQUIRE(nold == 3);
	/* written after the read: it stays behind the compacted record */
	REQUIRE(write_(m, f, 0, 100, 10, &id4, &a) == 0);
	REQUIRE(meta_new_slice_id(m, &id3) == 0);
	s = (struct meta_slice){ .pos = 0, .id = id3, .size = 6100, .off = 0, .len = 6100 };

	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 0, 0, &s), -EINVAL);
	s.len = CS;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	s.len = 6100;
	s.off = 1;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	s.off = 0;
	CHECK_EQ(records(f, 0, r, 8), 4);

	rec.n = 0;
	REQUIRE(meta_compact_chunk(m, f, 0, old, 3, 0, &s) == 0);
	CHECK_EQ(records(f, 0, r, 8), 2);
	CHECK(same_record(f, 0, 0, 0, id3, 6100, 0, 6100));
	CHECK(same_record(f, 0, 1, 100, id4, 10, 0, 10));
	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	CHECK_EQ(n, 2);
	if (n == 2)
		CHECK(sl[0].id == id3 && sl[0].len == 6100 && sl[1].id == id4);
	free(sl);
	CHECK_EQ(refs(id3), 1);
	CHECK_EQ(refs(id4), 1);
	/* each old slice freed once, its row gone */
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 2000));
	CHECK_EQ(ref_rows(id1), 0);
	CHECK_EQ(ref_rows(id2), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delslices"), 0);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=%" PRIu64, f), 6100);

	/* the stale list again: nothing changes */
	rec.n = 0;
	nb = chunk_bytes(f, 0, &before);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	na = chunk_bytes(f, 0, &after);
	CHECK(nb == 48 && na == nb && before && after && !memcmp(before, after, 48));
	free(before);
	free(after);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(refs(id3), 1);
	CHECK_EQ(refs(id4), 1);
	/* a chunk with no row has no list to match */
	CHECK_EQ(meta_compact_chunk(m, f, 5, old, 3, 0, &s), -EINVAL);
	CHECK_EQ(chunk_rows(f), 1);
	free(old);
	meta_close(m);
}

/* with trash on the old slices wait in jfs_delslices, as JuiceFS keeps them */
static void compact_chunk_trash(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, s = { 0 }, r[4];
	struct meta_attr a;
	uint64_t f, id1, id2, id3;
	unsigned char want[24], *b = NULL;
	size_t nold = 0, n = 0;
	int k;

	REQUIRE(m);
	m->trash_days = 1;
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(meta_truncate(m, f, 4000, &a) == 0);		/* a zero record */
	REQUIRE(write_(m, f, 0, 4096, 4096, &id2, &a) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &nold) == 0);
	REQUIRE(nold == 3);
	REQUIRE(meta_new_slice_id(m, &id3) == 0);
	s = (struct meta_slice){ .pos = 0, .id = id3, .size = 8192, .off = 0, .len = 8192 };
	rec.n = 0;
	REQUIRE(meta_compact_chunk(m, f, 0, old, 3, 0, &s) == 0);
	CHECK_EQ(records(f, 0, r, 4), 1);
	CHECK(same_record(f, 0, 0, 0, id3, 8192, 0, 8192));
	CHECK_EQ(refs(id3), 1);
	/* nothing freed yet: the references stay until the row is cleaned up */
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(refs(id1), 1);
	CHECK_EQ(refs(id2), 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delslices"), 1);
	CHECK(llabs(raw_int("SELECT deleted FROM jfs_delslices WHERE chunkid=%" PRIu64, id3) -
		    (long long)time(NULL)) < 60);
	/* the value: (id, size) big-endian, the zero record left out */
	for (k = 0; k < 8; k++) {
		want[k] = (unsigned char)(id1 >> (56 - 8 * k));
		want[12 + k] = (unsigned char)(id2 >> (56 - 8 * k));
	}
	for (k = 0; k < 4; k++) {
		want[8 + k] = (unsigned char)(5000U >> (24 - 8 * k));
		want[20 + k] = (unsigned char)(4096U >> (24 - 8 * k));
	}
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
		REQUIRE(sqlite3_prepare_v2(db, "SELECT slices FROM jfs_delslices", -1, &st,
					   NULL) == SQLITE_OK);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 24) {
			b = malloc(24);
			if (b)
				memcpy(b, sqlite3_column_blob(st, 0), 24);
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	CHECK(b && !memcmp(b, want, 24));
	free(b);
	/* the trash's cleanup of the row then frees them */
	REQUIRE(meta_cleanup_delayed_slices(m, (int64_t)time(NULL) + 10, &n) == 0);
	CHECK_EQ(n, 2);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 4096));
	CHECK_EQ(ref_rows(id1), 0);
	CHECK_EQ(ref_rows(id2), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delslices"), 0);
	CHECK_EQ(refs(id3), 1);
	free(old);
	meta_close(m);
}

/* what juicefs writes with `slices || ?` is TEXT; it reads the same */
static void text_slices_read(void)
{
	struct meta *m = fresh();
	struct meta_slice *sl = NULL;
	struct meta_attr a;
	uint64_t f, id;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	REQUIRE(write_(m, f, 0, 5, 10, NULL, &a) == 0);
	CHECK_EQ(raw_int("SELECT typeof(slices)='text' FROM jfs_chunk WHERE inode=%" PRIu64, f),
		 1);
	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	CHECK_EQ(n, 2);
	if (n == 2)
		CHECK(sl[0].id == id && sl[0].len == 10 && sl[1].pos == 5);
	free(sl);
	meta_close(m);
}

static void truncate_records(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, d, id, len = 100ULL * MiB + 5;
	struct meta_slice s[4];

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_truncate(m, f, len, &a) == 0);
	CHECK_EQU(a.length, len);
	CHECK(a.mtime > 1700000000);
	CHECK_EQ(counter("usedSpace"), (long long)meta_align4k(len));
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=%" PRIu64, f), (long long)len);
	CHECK_EQ(records(f, 0, s, 4), 1);
	CHECK(same_record(f, 0, 0, 0, 0, 0, 0, CS));
	CHECK_EQ(records(f, 1, s, 4), 1);
	CHECK(same_record(f, 1, 0, 0, 0, 0, 0, (uint32_t)(len - CS)));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_chunk_ref"), 0);	/* zeros: no refs */

	/* shrink to 10 bytes: [10, len) is masked */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQU(a.length, 10);
	CHECK_EQ(counter("usedSpace"), 4096);
	CHECK_EQ(records(f, 0, s, 4), 2);
	CHECK(same_record(f, 0, 1, 10, 0, 0, 0, CS - 10));
	CHECK_EQ(records(f, 1, s, 4), 2);
	CHECK(same_record(f, 1, 1, 0, 0, 0, 0, (uint32_t)(len - CS)));
	/* the same length: nothing is written */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQU(a.length, 10);
	CHECK_EQ(records(f, 0, s, 4), 2);

	/* whole chunks in between only get a record where a row exists */
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 2, 0, 10, &id, &a) == 0);
	REQUIRE(meta_truncate(m, g, 10, &a) == 0);
	CHECK_EQ(records(g, 1, s, 4), -1);
	CHECK_EQ(records(g, 2, s, 4), 2);
	CHECK(same_record(g, 2, 1, 0, 0, 0, 0, 10));
	REQUIRE(meta_truncate(m, g, 3ULL * CS + 8 * MiB, &a) == 0);
	CHECK_EQ(records(g, 1, s, 4), -1);
	CHECK_EQ(records(g, 2, s, 4), 3);
	CHECK(same_record(g, 2, 2, 0, 0, 0, 0, CS));
	CHECK_EQ(records(g, 3, s, 4), 1);
	CHECK(same_record(g, 3, 0, 0, 0, 0, 0, 8 * MiB));
	/* growing from the middle of chunk 2: its record starts at the old end */
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 10, &a) == 0);
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 30, &a) == 0);
	CHECK_EQ(records(g, 2, s, 4), 5);
	CHECK(same_record(g, 2, 4, 10, 0, 0, 0, 20));
	CHECK_EQ(counter("usedSpace"), 4096 + (long long)meta_align4k(2ULL * CS + 30));
	CHECK_EQ(refs(id), 1);	/* truncation frees nothing */

	/* immutable and append-only files keep their length */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=2 WHERE inode=%" PRIu64, g) == 0);
	CHECK_EQ(meta_truncate(m, g, 0, &a), -EPERM);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=%" PRIu64, g) == 0);
	CHECK_EQ(meta_truncate(m, g, 0, &a), -EPERM);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	CHECK_EQ(meta_truncate(m, d, 0, &a), -EPERM);
	CHECK_EQ(meta_truncate(m, 99999, 0, &a), -ENOENT);
	meta_close(m);
}

static void fallocate_modes(void)
{
	struct meta *m = fresh();
	struct meta_slice s[8];
	struct meta_attr a;
	uint64_t f, id;
	long n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10000, &id, &a) == 0);
	REQUIRE(meta_fallocate(m, f, 0, 0, 20000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=%" PRIu64, f), 20000);
	CHECK_EQ(records(f, 0, s, 8), 1);		/* allocation: no record */
	CHECK_EQ(counter("usedSpace"), 20480);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 50000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	CHECK_EQ(counter("usedSpace"), 20480);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE | META_FALLOC_KEEP_SIZE,
				  5000, 100000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	n = records(f, 0, s, 8);
	REQUIRE(n == 2);
	/* only up to the old length */
	CHECK(same_record(f, 0, 1, 5000, 0, 0, 0, 15000));
	/* a zero range inside the file, across a chunk boundary once it is big */
	REQUIRE(meta_fallocate(m, f, META_FALLOC_ZERO_RANGE, (uint64_t)CS - 10, 20, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 10);
	CHECK_EQ(records(f, 0, s, 8), 2);	/* past the old length: nothing to zero */
	CHECK_EQ(counter("usedSpace"), (long long)meta_align4k(CS + 10));
	REQUIRE(meta_fallocate(m, f, META_FALLOC_ZERO_RANGE | META_FALLOC_KEEP_SIZE,
				  (uint64_t)CS - 4, 100, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 10);
	CHECK_EQ(records(f, 0, s, 8), 3);
	CHECK(same_record(f, 0, 2, CS - 4, 0, 0, 0, 4));
	CHECK_EQ(records(f, 1, s, 8), 1);
	CHECK(same_record(f, 1, 0, 0, 0, 0, 0, 10));
	CHECK_EQ(refs(id), 1);

	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE, 0, 10, &a), -EINVAL);
	CHECK_EQ(meta_fallocate(m, f, 0x08, 0, 10, &a), -EOPNOTSUPP);
	CHECK_EQ(meta_fallocate(m, f, 0, 0, 0, &a), -EINVAL);
	CHECK_EQ(meta_fallocate(m, 1, 0, 0, 10, &a), -EPERM);
	CHECK_EQ(meta_fallocate(m, 99999, 0, 0, 10, &a), -ENOENT);
	/* append-only: only a plain keep-size allocation */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=2 WHERE inode=%" PRIu64, f) == 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 10, &a), 0);
	CHECK_EQ(meta_fallocate(m, f, 0, 0, (uint64_t)CS + 100, &a), 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE | META_FALLOC_KEEP_SIZE,
				   0, 10, &a), -EPERM);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=%" PRIu64, f) == 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 10, &a), -EPERM);
	/* a fifo is a pipe */
	{
		uint64_t p;

		REQUIRE(meta_mknod(m, 1, "p", 1, META_TYPE_FIFO, 0644, 0, 0, 0, 0,
				      NULL, 0, &p, &a) == 0);
		CHECK_EQ(meta_fallocate(m, p, 0, 0, 10, &a), -EPIPE);
	}
	meta_close(m);
}

/* CopyFileRange: records that reference the source, jfs_chunk_ref + 1 each */
static void copy_range_clones(void)
{
	struct meta *m = fresh();
	struct meta_slice s[8];
	struct meta_attr a;
	uint64_t f, g, id1, id2, copied;
	long n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 12288, 4096, &id2, &a) == 0);	/* a hole before it */
	/* the whole file into g at 4096 */
	REQUIRE(meta_copy_range(m, f, 0, g, 4096, 1 << 20, &copied, &a) == 0);
	CHECK_EQU(copied, 16384);		/* short: the source ends there */
	CHECK_EQU(a.length, 4096 + 16384);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=%" PRIu64, g), 4096 + 16384);
	CHECK_EQ(counter("usedSpace"), 16384 + 4096 + 16384);
	n = records(g, 0, s, 8);
	REQUIRE(n == 3);
	CHECK(same_record(g, 0, 0, 4096, id1, 8192, 0, 8192));
	/* the hole: off as buildSlice cuts the whole-chunk zero slice */
	CHECK(same_record(g, 0, 1, 4096 + 8192, 0, 0, 8192, 4096));
	CHECK(same_record(g, 0, 2, 4096 + 12288, id2, 4096, 0, 4096));
	CHECK_EQ(refs(id1), 2);
	CHECK_EQ(refs(id2), 2);
	/* a range starting inside a slice, landing across a chunk boundary */
	REQUIRE(meta_copy_range(m, f, 100, g, (uint64_t)CS - 50, 200, &copied, &a) == 0);
	CHECK_EQU(copied, 200);
	CHECK_EQU(a.length, (uint64_t)CS + 150);
	n = records(g, 0, s, 8);
	CHECK(n == 4 && same_record(g, 0, 3, CS - 50, id1, 8192, 100, 50));
	n = records(g, 1, s, 8);
	CHECK(n == 1 && same_record(g, 1, 0, 0, id1, 8192, 150, 150));
	CHECK_EQ(refs(id1), 4);
	CHECK_EQ(refs(id2), 2);
	/* deleting the source frees nothing g still uses */
	rec.n = 0;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(refs(id1), 3);
	CHECK_EQ(refs(id2), 1);
	CHECK_EQ(chunk_rows(f), 0);
	/* a copy within one file */
	REQUIRE(meta_copy_range(m, g, 4096, g, 2ULL * CS, 8192, &copied, &a) == 0);
	CHECK_EQU(copied, 8192);
	CHECK(records(g, 2, s, 8) == 1 && same_record(g, 2, 0, 0, id1, 8192, 0, 8192));
	CHECK_EQ(refs(id1), 4);
	/* the last file going frees every slice once */
	REQUIRE(meta_unlink(m, 1, "g", 1) == 0);
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id1, 8192) && rec_has(id2, 4096));
	CHECK_EQ(ref_rows(id1), 0);
	CHECK_EQ(ref_rows(id2), 0);
	CHECK_EQ(chunk_rows(g), 0);

	/* nothing to copy past the end; a dir is no file; immutable/append */
	REQUIRE(mkfile(m, 1, "h", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, NULL, &a) == 0);
	REQUIRE(meta_copy_range(m, g, 1 << 30, g, 0, 10, &copied, &a) == 0);
	CHECK_EQU(copied, 0);
	CHECK_EQ(meta_copy_range(m, 1, 0, g, 0, 10, &copied, &a), -EINVAL);
	CHECK_EQ(meta_copy_range(m, g, 0, 1, 0, 10, &copied, &a), -EINVAL);
	CHECK_EQ(meta_copy_range(m, 99999, 0, g, 0, 10, &copied, &a), -ENOENT);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=2 WHERE inode=%" PRIu64, g) == 0);
	CHECK_EQ(meta_copy_range(m, g, 0, g, 100, 10, &copied, &a), -EPERM);
	/* a corrupt source chunk fails the whole copy */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=0 WHERE inode=%" PRIu64 ";"
			 "UPDATE jfs_chunk SET slices=x'00' WHERE inode=%" PRIu64, g, g) == 0);
	CHECK_EQ(meta_copy_range(m, g, 0, g, 100, 10, &copied, &a), -EIO);
	CHECK_EQU(copied, 0);
	meta_close(m);
}

/* the last unlink frees the file's slices through the hook */
static void unlink_frees_slices(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, h, id1, id2, id3, copied;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 1, 0, 100, &id2, &a) == 0);
	REQUIRE(write_(m, f, 0, 10, 20, &id3, &a) == 0);
	REQUIRE(meta_truncate(m, f, 3ULL * CS, &a) == 0);	/* zero records too */
	CHECK_EQ(counter("usedSpace"), (long long)(3ULL * CS));
	CHECK_EQ(counter("totalInodes"), 1);
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(rec.n, 3);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 100) && rec_has(id3, 20));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_chunk_ref"), 0);
	CHECK_EQ(chunk_rows(f), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	CHECK_EQ(counter("usedSpace"), 0);
	CHECK_EQ(counter("totalInodes"), 0);

	/* no deleter: the row stays at refs 0, pending for `juicefs gc` */
	rec.n = 0;
	m->hooks.delete_slice = NULL;
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, &id1, &a) == 0);
	REQUIRE(meta_unlink(m, 1, "g", 1) == 0);
	CHECK_EQ(refs(id1), 0);
	CHECK_EQ(chunk_rows(g), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);

	/* a failing deleter: the objects stay, and so does their row */
	m->hooks.delete_slice = rec_delete;
	rec.fail = 1;
	REQUIRE(mkfile(m, 1, "h", &h) == 0);
	REQUIRE(write_(m, h, 0, 0, 10, &id2, &a) == 0);
	REQUIRE(meta_unlink(m, 1, "h", 1) == 0);
	CHECK_EQ(rec.n, 1);
	CHECK_EQ(refs(id2), 0);
	CHECK_EQ(chunk_rows(h), 0);
	rec.fail = 0;

	/* a hard link keeps the data until the last one goes */
	rec.n = 0;
	REQUIRE(mkfile(m, 1, "k", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id3, &a) == 0);
	REQUIRE(meta_link(m, f, 1, "k2", 2, &a) == 0);
	REQUIRE(meta_unlink(m, 1, "k", 1) == 0);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(refs(id3), 1);
	REQUIRE(meta_copy_range(m, f, 0, f, 100, 10, &copied, &a) == 0);
	CHECK_EQ(refs(id3), 2);
	REQUIRE(meta_unlink(m, 1, "k2", 2) == 0);
	CHECK_EQ(rec.n, 1);	/* two records of one slice: deleted once */
	CHECK(rec_has(id3, 10));
	CHECK_EQ(ref_rows(id3), 0);

	/* a corrupt chunk row still goes; the delfile row too */
	rec.n = 0;
	REQUIRE(mkfile(m, 1, "c", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id1, &a) == 0);
	REQUIRE(raw_exec("UPDATE jfs_chunk SET slices=x'00' WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(meta_unlink(m, 1, "c", 1) == 0);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(chunk_rows(f), 0);
	CHECK_EQ(refs(id1), 1);		/* leaked: gc's business */
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	meta_close(m);
}

/* the delfiles cleanup frees data a crashed client left behind */
static void cleanup_deleted_files(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	/* as if a client died between its unlink's commit and freeing the data */
	REQUIRE(raw_exec("DELETE FROM jfs_edge WHERE inode=%" PRIu64 ";"
			 "DELETE FROM jfs_node WHERE inode=%" PRIu64 ";"
			 "INSERT INTO jfs_delfile VALUES (%" PRIu64 ", 10, 1000)",
			 f, f, f) == 0);
	REQUIRE(meta_cleanup_deleted_files(m, (int64_t)time(NULL), &n) == 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(id, 10));
	CHECK_EQ(ref_rows(id), 0);
	CHECK_EQ(chunk_rows(f), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	meta_close(m);
}

/* what the mount gate asks: how many dirs JuiceFS put a quota on */
static void dir_quotas_counted(void)
{
	struct meta *m = fresh();
	uint64_t n = 9;

	REQUIRE(m);
	CHECK_EQ(meta_count_dir_quotas(m, &n), 0);
	CHECK_EQ(n, 0);
	REQUIRE(raw_exec("INSERT INTO jfs_dir_quota VALUES (1, 1073741824, 0, 0, 0)") == 0);
	CHECK_EQ(meta_count_dir_quotas(m, &n), 0);
	CHECK_EQ(n, 1);
	meta_close(m);
}

/* the slice job (doCleanupSlices) deletes what a failed delete left */
static void cleanup_slices_retries(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id;
	size_t n = 9;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	REQUIRE(raw_exec("INSERT INTO jfs_chunk_ref (chunkid, size, refs) VALUES (900, 50, 2)") == 0);
	rec.fail = 1;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(ref_rows(id), 1);	/* its objects are still there */
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 0);			/* and the store still fails */
	CHECK_EQ(ref_rows(id), 1);
	rec.fail = 0;
	rec.n = 0;
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(id, 10));
	CHECK_EQ(ref_rows(id), 0);
	CHECK_EQ(ref_rows(900), 1);	/* referenced: left alone */
	CHECK(!rec_has(900, 50));
	meta_close(m);
}

static void release_sustained(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, id, sid;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id, &a) == 0);
	rec.open_ino = f;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained WHERE sid=%" PRIu64
			 " AND inode=%" PRIu64, sid, f), 1);
	CHECK_EQ(counter("usedSpace"), 8192);
	CHECK_EQ(counter("totalInodes"), 1);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(refs(id), 1);

	rec.open_ino = 0;
	REQUIRE(meta_release_sustained(m, f) == 0);
	CHECK_EQ(meta_getattr(m, f, &a), -ENOENT);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained"), 0);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id, 8192));
	CHECK_EQ(ref_rows(id), 0);
	CHECK_EQ(chunk_rows(f), 0);
	CHECK_EQ(counter("usedSpace"), 0);
	CHECK_EQ(counter("totalInodes"), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	/* again, or an inode that is gone: nothing left to do */
	CHECK_EQ(meta_release_sustained(m, f), 0);

	/* a sustained row whose inode still has a link: only the row goes */
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, &id, &a) == 0);
	REQUIRE(raw_exec("INSERT INTO jfs_sustained (sid, inode) VALUES (%" PRIu64 ", %"
			 PRIu64 ")", sid, g) == 0);
	rec.n = 0;
	REQUIRE(meta_release_sustained(m, g) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained"), 0);
	REQUIRE(meta_getattr(m, g, &a) == 0);
	CHECK_EQ(refs(id), 1);
	CHECK_EQ(rec.n, 0);

	/* closing the session releases what it still holds */
	rec.open_ino = g;
	REQUIRE(meta_unlink(m, 1, "g", 1) == 0);
	rec.open_ino = 0;
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained"), 1);
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained"), 0);
	CHECK_EQ(meta_getattr(m, g, &a), -ENOENT);
	CHECK(rec_has(id, 10));
	CHECK_EQ(counter("usedSpace"), 0);
	CHECK_EQ(counter("totalInodes"), 0);
	meta_close(m);
}

/* a length change reaches the parent's stats, each parent's for hard links */
static void dir_stat_deltas(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d1, d2, f, copied;

	REQUIRE(m);
	m->dir_stats = true;
	REQUIRE(mkdir_(m, 1, "d1", &d1) == 0);
	REQUIRE(mkdir_(m, 1, "d2", &d2) == 0);
	REQUIRE(mkfile(m, d1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, NULL, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 5000);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 8192);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 1);
	/* hard-linked: the change counts in both dirs, twice in d2 */
	REQUIRE(meta_link(m, f, d2, "l1", 2, &a) == 0);
	REQUIRE(meta_link(m, f, d2, "l2", 2, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT parent FROM jfs_node WHERE inode=%" PRIu64, f), 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d2),
		 10000);
	REQUIRE(meta_truncate(m, f, 10000, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 10000);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 12288);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d2), 20000);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=%" PRIu64, d2),
		 2 * 12288);
	REQUIRE(meta_fallocate(m, f, 0, 0, 20000, &a) == 0);
	REQUIRE(meta_copy_range(m, f, 0, f, 20000, 100, &copied, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 20100);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d2), 40200);
	meta_close(m);
}

int main(void)
{
	if (raw_setup())
		return 1;
	RUN(write_and_read_chunks);
	RUN(compact_chunk_swaps);
	RUN(compact_chunk_skips);
	RUN(compact_chunk_trash);
	RUN(text_slices_read);
	RUN(truncate_records);
	RUN(fallocate_modes);
	RUN(copy_range_clones);
	RUN(unlink_frees_slices);
	RUN(cleanup_deleted_files);
	RUN(cleanup_slices_retries);
	RUN(dir_quotas_counted);
	RUN(release_sustained);
	RUN(dir_stat_deltas);
	raw_cleanup();
	return check_done();
}
