/*
 * stage.c - the writeback staging area (see stage.h).
 *
 * One mutex guards the index: a tree of the staged blocks by key (for
 * readers: most blocks are not staged, and asking must cost no system
 * call) and a list of them in the order they were staged (for the
 * uploader, which takes the oldest first and stops at the first one not
 * due yet).  Files are written before they are indexed and unindexed
 * before they are moved or deleted, so whatever the index lists exists,
 * unless someone outside removed it (then a read says -ENOENT).
 *
 * Files are not fsync'ed, as JuiceFS's are not: a staged block survives
 * jfsd dying (the page cache keeps it), not the machine losing power
 * before the upload.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/cache.h"
#include "data/stage.h"
#include "util/log.h"

/* a failed upload waits 10 s, doubling up to 5 minutes */
#define RETRY_FIRST	10
#define RETRY_MAX	300

struct sentry {
	const char *name;	/* = key, first: the tree compares by it */
	struct sentry *prev, *next;	/* staging order */
	int64_t since;		/* staged at (s since the epoch) */
	int64_t retry;		/* not handed out before, after a failure */
	unsigned int fails;
	uint32_t blen;
	bool taken;		/* an upload holds it */
	char key[];
};

struct stage {
	pthread_mutex_t lock;
	char *dir;		/* "{root}/rawstaging" */
	regex_t keyre;
	void *tree;
	struct sentry head;	/* list head: next is the oldest */
	struct stage_stats st;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The chunk keys JuiceFS stages, and no other file: "chunks/" then a
 * hash-prefix or id/1e6 directory, id/1e3 (or id/1e6), "{id}_{indx}_{size}".
 * Returns the block size the key names, 0 for anything else.
 */
static uint32_t key_blen(struct stage *s, const char *key)
{
	const char *u;
	unsigned long n;

	if (strlen(key) >= STAGE_KEY_MAX || regexec(&s->keyre, key, 0, NULL, 0))
		return 0;
	u = strrchr(key, '_');
	n = strtoul(u + 1, NULL, 10);
	return n > UINT32_MAX ? 0 : (uint32_t)n;
}

static int path_of(struct stage *s, const char *key, char *path)
{
	if (snprintf(path, PATH_MAX, "%s/%s", s->dir, key) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the index; callers hold s->lock ---- */

static struct sentry *find(struct stage *s, const char *key)
{
	void *p = tfind(&key, &s->tree, by_name);

	return p ? *(struct sentry **)p : NULL;
}

static int insert(struct stage *s, struct sentry *e)
{
	void *p = tsearch(e, &s->tree, by_name);

	if (!p)
		return -ENOMEM;
	e->prev = s->head.prev;
	e->next = &s->head;
	e->prev->next = e;
	s->head.prev = e;
	s->st.blocks++;
	s->st.bytes += e->blen;
	return 0;
}

static void unindex(struct stage *s, struct sentry *e)
{
	tdelete(e, &s->tree, by_name);
	e->prev->next = e->next;
	e->next->prev = e->prev;
	s->st.blocks--;
	s->st.bytes -= e->blen;
	free(e);
}

static struct sentry *entry_new(const char *key, uint32_t blen, int64_t since)
{
	size_t n = strlen(key) + 1;
	struct sentry *e = calloc(1, sizeof(*e) + n);

	if (!e)
		return NULL;
	memcpy(e->key, key, n);
	e->name = e->key;
	e->blen = blen;
	e->since = since;
	return e;
}

/* ---- opening: index what an earlier run left ---- */

/* nftw has no argument for its callback: the scan in progress, per thread */
static __thread struct {
	struct stage *s;
	struct sentry **v;
	size_t n, cap;
	int err;
} scan;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct stage *s = scan.s;
	const char *key = path + strlen(s->dir) + 1;
	struct sentry *e, **v;
	uint32_t blen;

	if (type == FTW_DP) {
		if (ftw->level > 0)	/* left empty by uploads; fails unless empty */
			rmdir(path);
		return 0;
	}
	if (type != FTW_F)
		return 0;
	if (path[ftw->base] == '.') {	/* a put cut short */
		if (strstr(path + ftw->base, ".tmp"))
			unlink(path);
		return 0;
	}
	blen = key_blen(s, key);
	if (!blen || (uint64_t)st->st_size != cache_file_size(blen)) {
		log_warn("staging: skipping %s: %s", path,
			 blen ? "not the size of its block" : "not a block's name");
		return 0;
	}
	if (scan.n == scan.cap) {
		size_t cap = scan.cap ? scan.cap * 2 : 64;

		v = realloc(scan.v, cap * sizeof(*v));
		if (!v)
			goto nomem;
		scan.v = v;
		scan.cap = cap;
	}
	e = entry_new(key, blen, st->st_mtim.tv_sec);
	if (!e)
		goto nomem;
	scan.v[scan.n++] = e;
	return 0;
nomem:
	scan.err = -ENOMEM;
	return 1;
}

static int by_since(const void *a, const void *b)
{
	const struct sentry *x = *(struct sentry *const *)a;
	const struct sentry *y = *(struct sentry *const *)b;

	return (x->since > y->since) - (x->since < y->since);
}

static int index_dir(struct stage *s)
{
	size_t i;
	int ret;

	scan.s = s;
	scan.v = NULL;
	scan.n = scan.cap = 0;
	scan.err = 0;
	ret = nftw(s->dir, scan_one, 16, FTW_PHYS | FTW_DEPTH);
	if (ret < 0)
		ret = errno == ENOENT ? 0 : -errno;
	else
		ret = scan.err;
	if (!ret && scan.n)
		qsort(scan.v, scan.n, sizeof(*scan.v), by_since);
	for (i = 0; i < scan.n; i++) {
		if (!ret)
			ret = insert(s, scan.v[i]);
		if (ret)
			free(scan.v[i]);
	}
	free(scan.v);
	s->st.found = s->st.blocks;
	return ret;
}

int stage_open(const char *root, struct stage **sp)
{
	static const char pattern[] =
		"^chunks/([0-9]+|[0-9A-F]{2})/[0-9]+/[0-9]+_[0-9]+_[0-9]+$";
	struct stage *s;
	int ret;

	*sp = NULL;
	if (!root || !*root)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->head.next = s->head.prev = &s->head;
	if (regcomp(&s->keyre, pattern, REG_EXTENDED | REG_NOSUB)) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -ENOMEM;
	}
	if (asprintf(&s->dir, "%s/%s", root, STAGE_DIR) < 0) {
		s->dir = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	ret = index_dir(s);
	if (ret)
		goto fail;
	*sp = s;
	return 0;
fail:
	stage_close(s);
	return ret;
}

static void nothing(void *p)
{
	(void)p;	/* entries are freed from the list */
}

void stage_close(struct stage *s)
{
	struct sentry *e, *next;

	if (!s)
		return;
	tdestroy(s->tree, nothing);
	for (e = s->head.next; e != &s->head; e = next) {
		next = e->next;
		free(e);
	}
	regfree(&s->keyre);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *stage_dir(struct stage *s)
{
	return s->dir;
}

uint64_t stage_count(struct stage *s)
{
	uint64_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->st.blocks;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void stage_stats(struct stage *s, struct stage_stats *st)
{
	if (!s) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

/* ---- staging and reading ---- */

int stage_put(struct stage *s, const char *key, const void *buf, uint32_t blen,
	      bool taken)
{
	char path[PATH_MAX];
	struct sentry *e, *old;
	int ret;

	if (!blen || key_blen(s, key) != blen)
		return -EINVAL;
	ret = path_of(s, key, path);
	if (!ret)
		ret = cache_file_write(path, buf, blen);
	if (ret)
		return ret;
	e = entry_new(key, blen, time(NULL));
	if (!e) {
		unlink(path);
		return -ENOMEM;
	}
	e->taken = taken;
	pthread_mutex_lock(&s->lock);
	old = find(s, key);	/* slice ids are never reused: only a rewrite */
	if (old)
		unindex(s, old);
	ret = insert(s, e);
	pthread_mutex_unlock(&s->lock);
	if (ret) {
		free(e);
		unlink(path);
	}
	return ret;
}

int stage_read(struct stage *s, const char *key, uint32_t blen, uint32_t off,
	       uint32_t len, void *buf)
{
	char path[PATH_MAX];
	struct sentry *e;
	int ret;

	if (!s)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	ret = !e ? -ENOENT : e->blen != blen ? -EINVAL : 0;
	pthread_mutex_unlock(&s->lock);
	if (!ret)
		ret = path_of(s, key, path);
	if (!ret)
		ret = cache_file_read(path, blen, off, len, buf);
	return ret;
}

bool stage_has(struct stage *s, const char *key)
{
	bool ret;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	ret = find(s, key) != NULL;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

bool stage_drop(struct stage *s, const char *key)
{
	char path[PATH_MAX];
	struct sentry *e;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e)
		unindex(s, e);
	pthread_mutex_unlock(&s->lock);
	if (e && !path_of(s, key, path))
		unlink(path);
	return e != NULL;
}

/* ---- the uploader's side ---- */

size_t stage_take(struct stage *s, int64_t now, int64_t delay, struct stage_item *v,
		  size_t max)
{
	struct sentry *e;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (e = s->head.next; e != &s->head && n < max; e = e->next) {
		if (e->since + delay > now)
			break;	/* staged in order: the rest are newer */
		if (e->taken || e->retry > now)
			continue;
		e->taken = true;
		snprintf(v[n].key, sizeof(v[n].key), "%s", e->key);
		v[n].blen = e->blen;
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

bool stage_uploaded(struct stage *s, const char *key, struct cache *cache)
{
	char path[PATH_MAX];
	struct sentry *e;
	uint32_t blen = 0;

	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e) {
		blen = e->blen;
		unindex(s, e);
		s->st.uploaded++;
	}
	pthread_mutex_unlock(&s->lock);
	if (!e)
		return false;
	/* readers find it in the cache or the store from now on */
	if (!path_of(s, key, path) && (!cache || cache_adopt(cache, key, path, blen)))
		unlink(path);
	return true;
}

void stage_failed(struct stage *s, const char *key, int64_t now)
{
	struct sentry *e;
	int64_t wait;

	pthread_mutex_lock(&s->lock);
	s->st.failures++;
	e = find(s, key);
	if (e) {
		e->taken = false;
		wait = (int64_t)RETRY_FIRST << (e->fails < 5 ? e->fails : 5);
		e->retry = now + (wait < RETRY_MAX ? wait : RETRY_MAX);
		e->fails++;
	}
	pthread_mutex_unlock(&s->lock);
}

void stage_release(struct stage *s, const char *key)
{
	struct sentry *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e)
		e->taken = false;
	pthread_mutex_unlock(&s->lock);
}
