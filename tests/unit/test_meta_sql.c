/*
 * test_meta_sql.c - the SQLite engine's core (meta_sql.c): URLs, format,
 * the setting, counters and ids, sessions, leader election, dir stats,
 * and two engine instances sharing one database file.  Rows are checked
 * with a separate sqlite3 connection, so the tests pin JuiceFS's layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "meta/engine.h"
#include "check.h"
#include "sqlraw.h"

static const char *setting_json =
	"{\"Name\":\"sqlvol\",\"UUID\":\"0f3c4b1e-2a0d-4b7e-9d55-1f2e3d4c5b6a\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1}";

/* a fresh database file for each test */
static struct meta *fresh(void)
{
	return raw_volume(setting_json, true);
}

/* byte @off of the test's database file, or -1 */
static int file_byte(long off)
{
	FILE *f = fopen(path, "rb");
	int c = -1;

	if (f && !fseek(f, off, SEEK_SET))
		c = fgetc(f);
	if (f)
		fclose(f);
	return c;
}

static void open_bad_urls(void)
{
	struct meta *m = NULL;
	char dir[300];

	CHECK_EQ(meta_open("sqlite3://", &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "no database file"));
	CHECK_EQ(meta_open("sqlite3://?x=1", &m), -EINVAL);
	snprintf(dir, sizeof(dir), "sqlite3://%s", tmpdir);
	CHECK_EQ(meta_open(dir, &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "not a regular file"));
	CHECK(m == NULL);
}

static void unformatted_is_enoent(void)
{
	struct meta *m = NULL;
	char *json = NULL;

	snprintf(path, sizeof(path), "%s/none.db", tmpdir);
	snprintf(url, sizeof(url), "sqlite3://%s", path);
	REQUIRE(meta_open(url, &m) == 0);
	CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
	CHECK(json == NULL);
	CHECK(strstr(jfs_errmsg(), "no such database file"));
	CHECK(access(path, F_OK) != 0);	/* a mount attempt makes no file */
	meta_close(m);
}

static void format_layout(void)
{
	struct meta *m = fresh();
	int64_t now = (int64_t)time(NULL);
	char *json = NULL;

	REQUIRE(m);
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK(json && !strcmp(json, setting_json));
	free(json);
	CHECK_EQ(raw_int("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			 "name LIKE 'jfs_%%'"), 21);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextInode'"), 2);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextChunk'"), 1);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextSession'"), 0);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=1"), 0777);
	CHECK_EQ(raw_int("SELECT type*1000+nlink*100+parent FROM jfs_node WHERE inode=1"), 2201);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=1"), 4096);
	/* times in microseconds, as JuiceFS's SQL engine keeps them */
	CHECK(raw_int("SELECT mtime/1000000 FROM jfs_node WHERE inode=1") >= now - 5);
	CHECK(raw_int("SELECT mtime/1000000 FROM jfs_node WHERE inode=1") <= now + 5);
	CHECK(raw_int("SELECT mtimensec FROM jfs_node WHERE inode=1") < 1000);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=9223372032828243968"), 0555);
	CHECK_EQ(file_byte(18) * 10 + file_byte(19), 22);	/* the header's WAL mark */
	/* formatting again keeps the root and the counters */
	REQUIRE(meta_init(m, setting_json, true) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_node"), 2);
	meta_close(m);
}

static void attrs_round_trip(void)
{
	struct meta *m = fresh();
	struct meta_attr a;

	REQUIRE(m);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQ(a.mode, 0777);
	CHECK_EQ(a.nlink, 2);
	CHECK(a.mtimensec < 1000000000);
	/* microseconds plus the nanoseconds below: the nanosecond survives */
	CHECK_EQ(a.mtimensec % 1000, raw_int("SELECT mtimensec FROM jfs_node WHERE inode=1"));
	CHECK_EQ((int64_t)a.mtime * 1000000 + a.mtimensec / 1000,
		 raw_int("SELECT mtime FROM jfs_node WHERE inode=1"));
	meta_close(m);
}

static void ids_and_counters(void)
{
	struct meta *m = fresh();
	uint64_t id1 = 0, id2 = 0, used, inodes;

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &id1) == 0);
	REQUIRE(meta_new_slice_id(m, &id2) == 0);
	CHECK_EQU(id1, 1);
	CHECK_EQU(id2, 2);
	/* a batch taken: the counter holds the next free id after it */
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextChunk'"), 4097);
	REQUIRE(meta_statfs(m, &used, &inodes) == 0);
	CHECK_EQU(used, 0);
	CHECK_EQU(inodes, 0);
	meta_close(m);
}

static void sessions(void)
{
	struct meta *m = fresh();
	struct meta_session_info *s = NULL;
	uint64_t sid = 0, sid2 = 0;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{\"Version\":\"jfs\"}", &sid) == 0);
	CHECK_EQU(sid, 1);
	CHECK_EQU(m->sid, 1);
	CHECK(raw_int("SELECT expire FROM jfs_session2 WHERE sid=1") > (long long)time(NULL));
	CHECK_EQ(raw_int("SELECT length(info) FROM jfs_session2 WHERE sid=1"), 17);
	REQUIRE(meta_refresh_session(m, sid, "{}") == 0);
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	CHECK(n == 1 && s[0].sid == 1 && s[0].info && strstr(s[0].info, "jfs"));
	meta_free_sessions(s, n);
	/* a session cleaned up as stale comes back on its next refresh */
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_session2"), 0);
	REQUIRE(meta_refresh_session(m, sid, "{}") == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_session2"), 1);
	REQUIRE(meta_new_session(m, NULL, &sid2) == 0);
	CHECK_EQU(sid2, 2);
	meta_close(m);
}

static void stale_sessions_cleaned(void)
{
	struct meta *m = fresh(), *other = NULL;
	uint64_t sid = 0, osid = 0;
	sqlite3 *db;

	REQUIRE(m);
	REQUIRE(meta_open(url, &other) == 0);
	REQUIRE(meta_new_session(other, "{}", &osid) == 0);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	/* the other client died an hour ago, holding a lock */
	CHECK(sqlite3_exec(db, "UPDATE jfs_session2 SET expire=1 WHERE sid=1", NULL, NULL,
			   NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO jfs_flock (inode, sid, owner, ltype) "
			   "VALUES (1, 1, 7, 87)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	REQUIRE(meta_cleanup_stale_sessions(m) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_session2"), 1);
	CHECK_EQ(raw_int("SELECT sid FROM jfs_session2"), 2);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_flock"), 0);
	meta_close(other);
	meta_close(m);
}

static void set_if_small_elects_one(void)
{
	struct meta *m = fresh(), *other = NULL;
	int64_t now = (int64_t)time(NULL);
	bool won = false;

	REQUIRE(m);
	REQUIRE(meta_open(url, &other) == 0);
	REQUIRE(meta_set_if_small(m, "lastCleanupTrash", now, 3600, &won) == 0);
	CHECK(won);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='lastCleanupTrash'"), now);
	/* within the hour: the other client leaves the job to the winner */
	REQUIRE(meta_set_if_small(other, "lastCleanupTrash", now + 10, 3600, &won) == 0);
	CHECK(!won);
	REQUIRE(meta_set_if_small(other, "lastCleanupTrash", now + 4000, 3600, &won) == 0);
	CHECK(won);
	meta_close(other);
	meta_close(m);
}

struct alloc_arg {
	struct meta *m;
	uint64_t ids[300];
	int ret;
};

static void *alloc_many(void *p)
{
	struct alloc_arg *a = p;
	int i;

	for (i = 0; i < 300 && !a->ret; i++)
		a->ret = meta_new_slice_id(a->m, &a->ids[i]);
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* two engines on one file (as two jfsd, or jfsd and juicefs) never share an id */
static void two_instances_distinct_ids(void)
{
	struct meta *m = fresh(), *other = NULL;
	struct alloc_arg a[4];
	uint64_t all[1200];
	pthread_t t[4];
	int i, dups = 0;

	REQUIRE(m);
	REQUIRE(meta_open(url, &other) == 0);
	for (i = 0; i < 4; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].m = i % 2 ? other : m;
		pthread_create(&t[i], NULL, alloc_many, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(a[i].ret, 0);
		memcpy(all + 300 * i, a[i].ids, sizeof(a[i].ids));
	}
	qsort(all, 1200, sizeof(all[0]), cmp_u64);
	for (i = 1; i < 1200; i++)
		dups += all[i] == all[i - 1];
	CHECK_EQ(dups, 0);
	CHECK(all[0] >= 1);
	meta_close(other);
	meta_close(m);
}

static void dir_stats_flushed(void)
{
	struct meta *m = fresh();
	struct meta_dirstat d = { .ino = 1, .length = 10, .space = 4096, .inodes = 1 };

	REQUIRE(m);
	/* the root has no stats yet: it is recounted (empty), not incremented */
	REQUIRE(meta_update_dir_stats(m, &d, 1) == 0);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=1"), 0);
	REQUIRE(meta_update_dir_stats(m, &d, 1) == 0);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=1"), 1);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=1"), 10);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=1"), 4096);
	meta_close(m);
}

int main(void)
{
	if (raw_setup())
		return 1;
	RUN(open_bad_urls);
	RUN(unformatted_is_enoent);
	RUN(format_layout);
	RUN(attrs_round_trip);
	RUN(ids_and_counters);
	RUN(sessions);
	RUN(stale_sessions_cleaned);
	RUN(set_if_small_elects_one);
	RUN(two_instances_distinct_ids);
	RUN(dir_stats_flushed);
	raw_cleanup();
	return check_done();
}
