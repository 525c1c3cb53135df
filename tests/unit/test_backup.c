/*
 * test_backup.c - lib/volume/backup.c: juicefs's durations; the retention
 * policy over synthetic backup names at a fixed clock, the kept sets
 * worked out by running juicefs's backup.go rotate() on the same lists;
 * one backup round on a SQLite volume with a file store: the lastBackup
 * election, the object's name and content, the rotation it runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "volume/volume.h"

#include "check.h"

static char dir[64], url[128], bucket[128];

static time_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static char *backup_name(time_t t)
{
	char buf[40];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "dump-%Y-%m-%d-%H%M%S.json.gz", &tm);
	return strdup(buf);
}

static void durations(void)
{
	static const struct { const char *s; double secs; } good[] = {
		{ "1h", 3600 }, { "30m", 1800 }, { "3600", 3600 }, { "0", 0 },
		{ "1h30m", 5400 }, { "1.5h", 5400 }, { "1d", 86400 }, { "2d12h", 216000 },
		{ "90s", 90 }, { "250ms", 0.25 }, { "0.5", 0.5 }, { "5m0s", 300 },
	};
	static const char *const bad[] = {
		"", "h", "1x", "1h-", "-1h", "d", "1dd", "abc", "1 h", "inf", "1e400",
	};
	double v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		if (volume_parse_duration(good[i].s, &v) || v != good[i].secs)
			check_fail(__FILE__, __LINE__, "'%s' -> %g, want %g", good[i].s, v,
				   good[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (volume_parse_duration(bad[i], &v) != -EINVAL)
			check_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
}

/* Runs the policy and checks the names left are exactly want[] (sorted). */
static void expect_kept(char **names, size_t n, time_t now, const char *const *want,
			size_t nwant)
{
	bool *del = calloc(n, sizeof(*del));
	size_t i, j, ndel, kept = 0;

	REQUIRE(del);
	ndel = volume_backup_expired(names, n, now, del);
	for (i = 0; i < n; i++) {
		if (del[i])
			continue;
		kept++;
		for (j = 0; j < nwant && strcmp(want[j], names[i]); j++)
			;
		if (j == nwant)
			check_fail(__FILE__, __LINE__, "kept %s", names[i]);
	}
	for (j = 0; j < nwant; j++) {
		for (i = 0; i < n && (del[i] || strcmp(want[j], names[i])); i++)
			;
		if (i == n)
			check_fail(__FILE__, __LINE__, "deleted %s", want[j]);
	}
	CHECK_EQU(kept, nwant);
	CHECK_EQU(ndel, n - nwant);
	free(del);
}

/*
 * A backup every 7 hours for 3 years back from now, plus names the
 * policy must skip: juicefs keeps exactly these.
 */
static void rotation_three_years(void)
{
	static const char *const want[] = {
	"dump-2024-12-06-223000.json.gz",
	"dump-2024-12-13-223000.json.gz",
	"dump-2025-01-12-163000.json.gz",
	"dump-2025-02-11-173000.json.gz",
	"dump-2025-03-13-183000.json.gz",
	"dump-2025-04-12-193000.json.gz",
	"dump-2025-05-12-203000.json.gz",
	"dump-2025-06-11-213000.json.gz",
	"dump-2025-07-11-223000.json.gz",
	"dump-2025-08-10-163000.json.gz",
	"dump-2025-09-09-173000.json.gz",
	"dump-2025-10-09-183000.json.gz",
	"dump-2025-11-08-193000.json.gz",
	"dump-2025-12-08-203000.json.gz",
	"dump-2026-01-07-213000.json.gz",
	"dump-2026-02-06-223000.json.gz",
	"dump-2026-03-08-163000.json.gz",
	"dump-2026-04-07-173000.json.gz",
	"dump-2026-05-07-183000.json.gz",
	"dump-2026-06-06-193000.json.gz",
	"dump-2026-07-06-203000.json.gz",
	"dump-2026-08-05-213000.json.gz",
	"dump-2026-09-04-223000.json.gz",
	"dump-2026-10-04-163000.json.gz",
	"dump-2026-10-11-163000.json.gz",
	"dump-2026-10-18-163000.json.gz",
	"dump-2026-10-25-163000.json.gz",
	"dump-2026-11-01-163000.json.gz",
	"dump-2026-11-08-163000.json.gz",
	"dump-2026-11-15-163000.json.gz",
	"dump-2026-11-22-163000.json.gz",
	"dump-2026-11-23-203000.json.gz",
	"dump-2026-11-24-173000.json.gz",
	"dump-2026-11-25-213000.json.gz",
	"dump-2026-11-26-183000.json.gz",
	"dump-2026-11-27-223000.json.gz",
	"dump-2026-11-28-193000.json.gz",
	"dump-2026-11-29-163000.json.gz",
	"dump-2026-11-30-203000.json.gz",
	"dump-2026-12-01-173000.json.gz",
	"dump-2026-12-02-213000.json.gz",
	"dump-2026-12-03-183000.json.gz",
	"dump-2026-12-04-223000.json.gz",
	"dump-2026-12-05-053000.json.gz",
	"dump-2026-12-05-123000.json.gz",
	"dump-2026-12-05-193000.json.gz",
	"dump-2026-12-05-250000.json.gz",
	"dump-2026-12-06-023000.json.gz",
	"dump-2026-12-06-093000.json.gz",
	"dump-2026-12-06-163000.json.gz",
	"dump-2026-12-06-163000.json.gz.tmp",
	"dump-2026-13-01-000000.json.gz",
	"dump-bad.json.gz",
	};
	static const char *const odd[] = {
		"dump-bad.json.gz", "dump-2026-13-01-000000.json.gz",
		"dump-2026-12-05-250000.json.gz", "dump-2026-12-06-163000.json.gz.tmp",
	};
	time_t now = utc(2026, 12, 6, 16, 30, 0), t, start = utc(2023, 12, 6, 16, 30, 0);
	char **names = calloc(4000, sizeof(*names));
	size_t n = 0, i;

	REQUIRE(names);
	for (t = now; t > start; t -= 7 * 3600)
		names[n++] = backup_name(t);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		names[n++] = strdup(odd[i]);
	CHECK_EQU(n, 3762);
	/* the order given must not matter: reversed halves */
	for (i = 0; i < n / 4; i++) {
		char *x = names[i];

		names[i] = names[n / 2 - 1 - i];
		names[n / 2 - 1 - i] = x;
	}
	expect_kept(names, n, now, want, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Now on Feb 29: the 2-year cutoff is Mar 1 12:00 (Go's AddDate), and
 * everything sorting before the first expired backup goes with it.
 */
static void rotation_leap_day(void)
{
	static const char *const want[] = {
	"dump-2026-03-02-000000.json.gz",
	"dump-2028-02-29-120000.json.gz",
	};
	time_t now = utc(2028, 2, 29, 12, 0, 0);
	char *names[] = {
		backup_name(utc(2026, 2, 28, 12, 0, 0)), backup_name(utc(2026, 3, 1, 0, 0, 0)),
		backup_name(utc(2026, 3, 1, 11, 0, 0)), backup_name(utc(2026, 3, 2, 0, 0, 0)),
		strdup("dump-2020.json.gz"), strdup("aaaa"), backup_name(now),
	};
	size_t i;

	expect_kept(names, 7, now, want, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < 7; i++)
		free(names[i]);
}

/* A foreign 30-byte name reads as a backup too and upsets the buckets, as in juicefs. */
static void rotation_foreign_name(void)
{
	static const char *const want[] = {
	"dump-2026-11-16-163000.json.gz",
	};
	time_t now = utc(2026, 12, 6, 16, 30, 0);
	char *names[] = {
		backup_name(now - 3600), backup_name(now - 7200), backup_name(now - 20 * 86400),
		strdup("zzzz-2026-11-01-000000.json.gz"),
	};
	size_t i;

	expect_kept(names, 4, now, want, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < 4; i++)
		free(names[i]);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static void put_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
}

static bool stop_now(void *arg)
{
	return *(bool *)arg;
}

/* What the backup object holds, inflated: at most len - 1 bytes. */
static size_t inflate_file(const char *path, char *buf, size_t len)
{
	gzFile z = gzopen(path, "rb");
	int n;

	if (!z)
		return 0;
	n = gzread(z, buf, len - 1);
	gzclose(z);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? n : 0;
}

static void backup_round(void)
{
	struct volume_format_args a = {
		.name = "vol-b", .storage = "file", .bucket = bucket,
		.block_size = 4 << 20, .compress = "none", .trash_days = 1,
	};
	struct volume_formatted out;
	struct volume_dump_opts o = { 0 };
	struct volume_backup_result r;
	struct volume *v = NULL;
	struct meta_attr attr;
	time_t now = utc(2026, 12, 6, 16, 30, 5);
	char path[256], old[320], odd[320], *val = NULL, *text;
	uint64_t ino;
	size_t vlen = 0;
	bool stop = false;

	REQUIRE(volume_format(url, &a, &out) == 0);
	REQUIRE(volume_open(url, VOLUME_STORE, &v) == 0);
	REQUIRE(meta_mknod(v->meta, META_ROOT_INO, "hello", 5, META_TYPE_FILE, 0644, 0, 0, 0,
			   0, NULL, 0, &ino, &attr) == 0);
	snprintf(path, sizeof(path), "%s/vol-b/meta", bucket);
	REQUIRE(mkdir(path, 0755) == 0);
	/* one backup past the 2-year cutoff, one name the policy skips */
	snprintf(old, sizeof(old), "%s/dump-2023-01-01-000000.json.gz", path);
	snprintf(odd, sizeof(odd), "%s/notes.txt", path);
	put_file(old);
	put_file(odd);

	/* no lastBackup yet: this client's turn */
	REQUIRE(volume_backup(v, now, 3600, &o, &r) == 0);
	CHECK(r.ran && r.done && !r.skipped);
	CHECK_STR(r.name, "dump-2026-12-06-163005.json.gz");
	CHECK_EQU(r.inodes, 1);	/* the root not counted */
	CHECK_EQU(r.deleted, 1);
	CHECK_STR(r.warning, "");
	REQUIRE(meta_getxattr(v->meta, META_ROOT_INO, "lastBackup", 10, &val, &vlen) == 0);
	CHECK_STR(val, "2026-12-06T16:30:05Z");
	free(val);
	snprintf(path, sizeof(path), "%s/vol-b/meta/%s", bucket, r.name);
	CHECK(exists(path));
	CHECK(!exists(old));
	CHECK(exists(odd));
	text = malloc(1 << 16);
	REQUIRE(text);
	CHECK(inflate_file(path, text, 1 << 16) > 0);
	CHECK(!strncmp(text, "{\n  \"Setting\": {", 16));
	CHECK(strstr(text, "\"hello\": {") != NULL);
	CHECK(strstr(text, "\"Trash\": {") != NULL);
	free(text);

	/* within the interval: nobody's turn, nothing written */
	CHECK(volume_backup(v, now + 3599, 3600, &o, &r) == 0);
	CHECK(!r.ran && !r.done);
	/* another client (juicefs writes its local offset too) just took it */
	REQUIRE(meta_setxattr(v->meta, META_ROOT_INO, "lastBackup", 10,
			      "2026-12-06T18:30:00+01:00", 25, 0) == 0);
	CHECK(volume_backup(v, now + 3600 + 3594, 3600, &o, &r) == 0);
	CHECK(!r.ran);
	CHECK(volume_backup(v, now + 3600 + 3595, 3600, &o, &r) == 0);
	CHECK(r.ran && r.done);
	CHECK_STR(r.name, "dump-2026-12-06-183000.json.gz");

	/* a stamp that is no time: a clear failure, no backup */
	REQUIRE(meta_setxattr(v->meta, META_ROOT_INO, "lastBackup", 10, "yesterday", 9, 0) == 0);
	CHECK(volume_backup(v, now + 86400, 3600, &o, &r) == -EINVAL);
	CHECK(strstr(jfs_errmsg(), "'yesterday'") != NULL);
	CHECK(!r.ran);

	/* cancelled midway (unmount): no object, no temporary file left */
	REQUIRE(meta_removexattr(v->meta, META_ROOT_INO, "lastBackup", 10) == 0);
	stop = true;
	o.cancel = stop_now;
	o.cancel_arg = &stop;
	CHECK(volume_backup(v, now + 86400, 3600, &o, &r) == -ECANCELED);
	CHECK(r.ran && !r.done);
	snprintf(path, sizeof(path), "%s/vol-b/meta/dump-2026-12-07-163005.json.gz", bucket);
	CHECK(!exists(path));
	CHECK_EQ(system("test -z \"$(ls -d \"$TMPDIR\"/jfs-backup-* 2>/dev/null)\""), 0);
	volume_close(v);
}

int main(void)
{
	char cmd[96];
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/jfs-test-backup.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(url, sizeof(url), "sqlite3://%s/meta.db", dir);
	snprintf(bucket, sizeof(bucket), "%s/bucket", dir);
	setenv("TMPDIR", dir, 1);	/* the backups' temporary files */
	RUN(durations);
	RUN(rotation_three_years);
	RUN(rotation_leap_day);
	RUN(rotation_foreign_name);
	RUN(backup_round);
	ret = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
