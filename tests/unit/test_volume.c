/*
 * test_volume.c - the volume layer (lib/volume/): volume_format creating
 * and updating a volume on a SQLite file with a file store, refusing what
 * juicefs format refuses without changing anything; volume_open's steps
 * and the layer its error record names; a session's life; the periodic
 * jobs taking their turn once a period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "volume/volume.h"

#include "check.h"

static char dir[64], url[128], bucket[128];

static void fresh(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	if (system(cmd))
		printf("  cannot empty %s\n", dir);
}

static struct volume_format_args args(const char *name)
{
	struct volume_format_args a = {
		.name = name, .storage = "file", .bucket = bucket,
		.block_size = 4 << 20, .compress = "none", .trash_days = 1,
	};

	return a;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static void format_creates(void)
{
	struct volume_format_args a = args("vol-a");
	struct volume_formatted out;
	struct volume *v = NULL;
	char path[256];

	fresh();
	a.block_size = 3 << 20;		/* rounds down to 2 MiB */
	REQUIRE(volume_format(url, &a, &out) == 0);
	CHECK(out.created);
	CHECK_STR(out.name, "vol-a");
	CHECK_EQU(strlen(out.uuid), 36);
	snprintf(path, sizeof(path), "%s/vol-a/juicefs_uuid", bucket);
	CHECK(exists(path));
	REQUIRE(volume_open(url, VOLUME_STORE, &v) == 0);
	CHECK_STR(v->setting.name, "vol-a");
	CHECK_STR(v->setting.uuid, out.uuid);
	CHECK_EQ(v->setting.block_size, 2048);
	CHECK(v->store != NULL);
	CHECK_EQ(v->meta->trash_days, 1);
	CHECK(v->meta->dir_stats);
	volume_close(v);
	/* read-only clients keep no dir stats */
	REQUIRE(volume_open(url, VOLUME_RDONLY, &v) == 0);
	CHECK(!v->meta->dir_stats);
	CHECK(v->store == NULL);
	volume_close(v);
}

/* Each refusal leaves the volume as it was. */
static void format_refuses(void)
{
	struct volume_format_args a = args("vol-b");
	struct volume_formatted out;
	struct volume *v = NULL;

	fresh();
	REQUIRE(volume_format(url, &a, &out) == 0);

	a.name = "Bad_Name";
	CHECK_EQ(volume_format(url, &a, &out), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "invalid volume name") != NULL);

	a.name = "other";
	CHECK_EQ(volume_format(url, &a, &out), -EEXIST);
	CHECK(strstr(jfs_errmsg(), "already holds volume 'vol-b'") != NULL);

	a = args("vol-b");
	a.given = VOLUME_FMT_BLOCK_SIZE;
	a.block_size = 1 << 20;
	CHECK_EQ(volume_format(url, &a, &out), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "block size 4096 KiB, not 1024") != NULL);

	a.given = VOLUME_FMT_COMPRESS;
	a.compress = "zstd";
	CHECK_EQ(volume_format(url, &a, &out), -EINVAL);

	REQUIRE(volume_open(url, VOLUME_RDONLY, &v) == 0);
	CHECK_EQ(v->setting.block_size, 4096);
	CHECK_STR(v->setting.compression, "none");
	volume_close(v);

	/* the same change with force, and a mutable one without */
	a.given = VOLUME_FMT_COMPRESS | VOLUME_FMT_TRASH_DAYS;
	a.force = true;
	a.trash_days = 0;
	REQUIRE(volume_format(url, &a, &out) == 0);
	CHECK(!out.created);
	REQUIRE(volume_open(url, VOLUME_RDONLY, &v) == 0);
	CHECK_STR(v->setting.compression, "zstd");
	CHECK_EQ(v->setting.trash_days, 0);
	CHECK_EQ(v->meta->trash_days, 0);
	volume_close(v);
}

/* A new volume does not land on another one's objects, and leaves no trace. */
static void format_needs_empty_bucket(void)
{
	struct volume_format_args a = args("vol-c");
	struct volume_formatted out;
	struct volume *v = NULL;
	char path[256];
	FILE *f;

	fresh();
	snprintf(path, sizeof(path), "%s/vol-c", bucket);
	REQUIRE(mkdir(bucket, 0755) == 0 && mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vol-c/chunks-of-someone", bucket);
	f = fopen(path, "w");
	REQUIRE(f);
	fputs("data", f);
	fclose(f);
	CHECK_EQ(volume_format(url, &a, &out), -EEXIST);
	CHECK(strstr(jfs_errmsg(), "already holds objects") != NULL);
	snprintf(path, sizeof(path), "%s/vol-c/juicefs_uuid", bucket);
	CHECK(!exists(path));
	CHECK_EQ(volume_open(url, VOLUME_RDONLY, &v), -ENOENT);
}

static void open_errors(void)
{
	struct volume *v = (struct volume *)1;

	fresh();
	CHECK_EQ(volume_open(url, 0, &v), -ENOENT);
	CHECK(v == NULL);
	CHECK_STR(jfs_errlayer(), "volume");
	CHECK(strstr(jfs_errmsg(), "is not formatted: run 'jfsadm format'") != NULL);
	CHECK(strstr(jfs_errmsg(), "sqlite3://") != NULL);

	CHECK_EQ(volume_open("nosuch://x", 0, &v), -EINVAL);
	CHECK_STR(jfs_errlayer(), "meta");
	CHECK(strstr(jfs_errmsg(), "unsupported metadata engine") != NULL);
}

/* The setting's gate: a newer MetaVersion is refused unless VOLUME_ANY. */
static void open_checks_setting(void)
{
	static const char future[] =
		"{\"Name\":\"vol-d\",\"UUID\":\"5b1e0c2a-7d3f-4a6b-8e9c-0a1b2c3d4e5f\","
		"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
		"\"MetaVersion\":9}";
	struct volume *v = NULL;
	struct meta *m = NULL;

	fresh();
	REQUIRE(meta_open(url, &m) == 0);
	REQUIRE(meta_init(m, future, false) == 0);
	meta_close(m);
	CHECK_EQ(volume_open(url, VOLUME_RDONLY, &v), -EOPNOTSUPP);
	CHECK_STR(jfs_errlayer(), "volume");
	REQUIRE(volume_open(url, VOLUME_RDONLY | VOLUME_ANY, &v) == 0);
	CHECK_EQ(v->setting.meta_version, 9);
	volume_close(v);
}

static size_t nsessions(struct meta *m)
{
	struct meta_session_info *s;
	size_t n = 0;

	if (meta_list_sessions(m, &s, &n))
		return 999;
	meta_free_sessions(s, n);
	return n;
}

static void sessions(void)
{
	struct volume_format_args a = args("vol-e");
	struct volume_formatted out;
	struct volume *v = NULL;

	fresh();
	REQUIRE(volume_format(url, &a, &out) == 0);
	REQUIRE(volume_open(url, VOLUME_STORE, &v) == 0);
	CHECK_EQ(nsessions(v->meta), 0);
	REQUIRE(volume_new_session(v) == 0);
	CHECK(v->meta->sid != 0);
	CHECK_EQ(nsessions(v->meta), 1);
	CHECK_EQ(volume_heartbeat(v), 0);
	CHECK_EQ(nsessions(v->meta), 1);
	CHECK_EQ(volume_close_session(v), 0);
	CHECK_EQ(v->meta->sid, 0);
	CHECK_EQ(nsessions(v->meta), 0);
	volume_close(v);
}

/* Each job runs once a period, whoever asks; the trash's only with trash days. */
static void jobs_take_turns(void)
{
	struct volume_format_args a = args("vol-f");
	struct volume_job jobs[VOLUME_NJOBS];
	struct volume_formatted out;
	struct volume *v = NULL, *w = NULL;
	int64_t now = time(NULL);
	int i;

	fresh();
	REQUIRE(volume_format(url, &a, &out) == 0);
	REQUIRE(volume_open(url, VOLUME_STORE, &v) == 0);
	REQUIRE(volume_open(url, VOLUME_STORE, &w) == 0);
	CHECK_EQ(volume_run_jobs(v, now, 3600, jobs), 0);
	for (i = 0; i < VOLUME_NJOBS; i++) {
		CHECK(jobs[i].ran);
		CHECK_EQ(jobs[i].err, 0);
		CHECK(jobs[i].what && *jobs[i].what);
	}
	/* another client, a minute later: not its turn */
	CHECK_EQ(volume_run_jobs(w, now + 60, 3600, jobs), 0);
	for (i = 0; i < VOLUME_NJOBS; i++)
		CHECK(!jobs[i].ran);
	/* a period later it is */
	CHECK_EQ(volume_run_jobs(w, now + 3600, 3600, jobs), 0);
	CHECK(jobs[VOLUME_JOB_SLICES].ran);
	CHECK(jobs[VOLUME_JOB_TRASH].ran);
	volume_close(w);
	/* no trash: its jobs never run */
	v->meta->trash_days = 0;
	CHECK_EQ(volume_run_jobs(v, now + 7200, 3600, jobs), 0);
	CHECK(!jobs[VOLUME_JOB_TRASH].ran);
	CHECK(!jobs[VOLUME_JOB_DELAYED_SLICES].ran);
	CHECK(jobs[VOLUME_JOB_DELETED_FILES].ran);
	volume_close(v);
}

int main(void)
{
	char cmd[96];
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/jfs-test-volume.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(url, sizeof(url), "sqlite3://%s/meta.db", dir);
	snprintf(bucket, sizeof(bucket), "%s/bucket", dir);
	RUN(format_creates);
	RUN(format_refuses);
	RUN(format_needs_empty_bucket);
	RUN(open_errors);
	RUN(open_checks_setting);
	RUN(sessions);
	RUN(jobs_take_turns);
	ret = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
