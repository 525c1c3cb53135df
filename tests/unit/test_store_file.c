/*
 * test_store_file.c - the "file" object store: JuiceFS's key layout under a
 * bucket directory, atomic puts, range gets, head, delete, list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#include "check.h"

struct seen {
	char keys[16][128];
	uint64_t sizes[16];
	int n;
	int bad_mtime;		/* listed with no modification time, or a wrong one */
};

static int collect(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
		s->sizes[s->n] = size;
	}
	/* the objects were just written: gc's age rule reads this */
	if (mtime < (int64_t)time(NULL) - 3600 || mtime > (int64_t)time(NULL) + 60)
		s->bad_mtime++;
	s->n++;
	return 0;
}

static int has(const struct seen *s, const char *key, uint64_t size)
{
	int i;

	for (i = 0; i < s->n && i < 16; i++)
		if (!strcmp(s->keys[i], key))
			return s->sizes[i] == size;
	return 0;
}

static int stop_at_first(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	(*(int *)arg)++;
	return 7;
}

static char dir[] = "/tmp/test_store.XXXXXX";

static void test_file_store(void)
{
	char bucket[128], path[256];
	char buf[64];
	struct store *s, *p;
	struct seen seen;
	struct stat st;
	uint64_t size;
	size_t got;
	int n;

	snprintf(bucket, sizeof(bucket), "%s/bkt/", dir);

	CHECK(store_open("nosuch", bucket, NULL, NULL, &s) == -EPROTONOSUPPORT);
	CHECK(strstr(jfs_errmsg(), "nosuch") != NULL);
	CHECK(store_open("file", "relative/dir/", NULL, NULL, &s) == -EINVAL);
	REQUIRE(store_open("file", bucket, NULL, NULL, &s) == 0);

	/* create = mkdir -p of the bucket */
	CHECK(s->ops->create(s) == 0);
	CHECK(stat(bucket, &st) == 0 && S_ISDIR(st.st_mode));

	/* a key is a path under the bucket, parents made on demand */
	CHECK(s->ops->put(s, "myjfs/chunks/0/0/1_0_6", "abcdef", 6) == 0);
	snprintf(path, sizeof(path), "%smyjfs/chunks/0/0/1_0_6", bucket);
	CHECK(stat(path, &st) == 0 && st.st_size == 6);
	CHECK(s->ops->put(s, "myjfs/juicefs_uuid", "u-u-i-d", 7) == 0);
	CHECK(s->ops->put(s, "myjfs/empty", "", 0) == 0);
	/* overwrite replaces whole */
	CHECK(s->ops->put(s, "myjfs/juicefs_uuid", "uuid", 4) == 0);

	/* get: whole, range, short at the end, past the end */
	CHECK(s->ops->get(s, "myjfs/chunks/0/0/1_0_6", 0, 0, buf, &got) == 0 && got == 6 &&
	      !memcmp(buf, "abcdef", 6));
	CHECK(s->ops->get(s, "myjfs/chunks/0/0/1_0_6", 2, 3, buf, &got) == 0 && got == 3 &&
	      !memcmp(buf, "cde", 3));
	CHECK(s->ops->get(s, "myjfs/chunks/0/0/1_0_6", 4, 10, buf, &got) == 0 && got == 2 &&
	      !memcmp(buf, "ef", 2));
	CHECK(s->ops->get(s, "myjfs/chunks/0/0/1_0_6", 6, 10, buf, &got) == 0 && got == 0);
	CHECK(s->ops->get(s, "myjfs/juicefs_uuid", 0, 0, buf, &got) == 0 && got == 4);
	CHECK(s->ops->get(s, "myjfs/nothing", 0, 0, buf, &got) == -ENOENT);
	CHECK(strstr(jfs_errmsg(), "myjfs/nothing") != NULL);

	/* head */
	CHECK(s->ops->head(s, "myjfs/chunks/0/0/1_0_6", &size) == 0 && size == 6);
	CHECK(s->ops->head(s, "myjfs/empty", &size) == 0 && size == 0);
	CHECK(s->ops->head(s, "myjfs/nothing", &size) == -ENOENT);
	CHECK(s->ops->head(s, "myjfs/chunks", &size) == -EISDIR);

	/* owner only whatever the umask: objects hold every file's data */
	{
		mode_t old = umask(0);

		CHECK(s->ops->put(s, "modes/a/b", "x", 1) == 0);
		umask(old);
		snprintf(path, sizeof(path), "%smodes/a/b", bucket);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
		snprintf(path, sizeof(path), "%smodes/a", bucket);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
		snprintf(path, sizeof(path), "%smodes", bucket);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
		CHECK(stat(bucket, &st) == 0 && (st.st_mode & 07777) == 0700);
		CHECK(s->ops->delete(s, "modes/a/b") == 0);
	}

	/* keys cannot leave the bucket */
	CHECK(s->ops->put(s, "../escape", "x", 1) == -EINVAL);
	CHECK(s->ops->get(s, "a/../../escape", 0, 0, buf, &got) == -EINVAL);
	CHECK(s->ops->put(s, "/abs", "x", 1) == -EINVAL);

	/* list: recursive, keys relative to the bucket, prefix filtered */
	memset(&seen, 0, sizeof(seen));
	CHECK(s->ops->list(s, "", collect, &seen) == 0);
	CHECK(seen.bad_mtime == 0);
	CHECK(seen.n == 3);
	CHECK(has(&seen, "myjfs/chunks/0/0/1_0_6", 6));
	CHECK(has(&seen, "myjfs/juicefs_uuid", 4));
	CHECK(has(&seen, "myjfs/empty", 0));
	memset(&seen, 0, sizeof(seen));
	CHECK(s->ops->list(s, "myjfs/chunks/", collect, &seen) == 0);
	CHECK(seen.n == 1 && has(&seen, "myjfs/chunks/0/0/1_0_6", 6));
	memset(&seen, 0, sizeof(seen));
	CHECK(s->ops->list(s, "myjfs/ju", collect, &seen) == 0);
	CHECK(seen.n == 1 && has(&seen, "myjfs/juicefs_uuid", 4));
	memset(&seen, 0, sizeof(seen));
	CHECK(s->ops->list(s, "other/", collect, &seen) == 0 && seen.n == 0);
	/* a temporary file of an unfinished put is not an object */
	snprintf(path, sizeof(path), "%smyjfs/.juicefs_uuid.tmp1234", bucket);
	fclose(fopen(path, "w"));
	memset(&seen, 0, sizeof(seen));
	CHECK(s->ops->list(s, "myjfs/", collect, &seen) == 0 && seen.n == 3);
	/* the callback stops the walk */
	n = 0;
	CHECK(s->ops->list(s, "", stop_at_first, &n) == 7 && n == 1);

	/* delete: gone, and deleting again is fine */
	CHECK(s->ops->delete(s, "myjfs/chunks/0/0/1_0_6") == 0);
	CHECK(s->ops->head(s, "myjfs/chunks/0/0/1_0_6", &size) == -ENOENT);
	CHECK(s->ops->delete(s, "myjfs/chunks/0/0/1_0_6") == 0);

	/* a bucket without the trailing '/' is a name prefix, as in JuiceFS */
	snprintf(bucket, sizeof(bucket), "%s/pre", dir);
	CHECK(store_open("file", bucket, NULL, NULL, &p) == 0);
	CHECK(p->ops->put(p, "fix/obj", "12", 2) == 0);
	snprintf(path, sizeof(path), "%s/prefix/obj", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 2);
	memset(&seen, 0, sizeof(seen));
	CHECK(p->ops->list(p, "", collect, &seen) == 0);
	CHECK(seen.n == 1 && has(&seen, "fix/obj", 2));
	store_close(p);

	/* a put that cannot make its directory fails naming the path */
	CHECK(s->ops->put(s, "myjfs/juicefs_uuid/under", "x", 1) == -ENOTDIR);
	CHECK(strstr(jfs_errmsg(), "juicefs_uuid") != NULL);

	store_close(s);
}

int main(void)
{
	char cmd[300];
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_file_store);
	ret = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return ret;
}
