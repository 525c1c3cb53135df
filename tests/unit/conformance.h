/*
 * conformance.h - the seam of the engine conformance suite
 * (test_meta_engines.c), as JuiceFS's testMeta runs every engine through
 * the same cases: a case is written once against the meta_*() API and run
 * on each engine in turn ("PASS <engine>: <case>").  Where a case looks at
 * what the engine stored, it asks the engine's hooks below, each of which
 * reads (or, for the few *_put / set_* ones, writes) the raw storage the
 * way `juicefs` or redis-cli / the sqlite3 shell would.  The shortened
 * ops and the recording hooks below serve the per-engine suites
 * (test_meta_redis.c, test_meta_sql.c) too.  Include after check.h.
 */
#ifndef JFS_TEST_CONFORMANCE_H
#define JFS_TEST_CONFORMANCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta/engine.h"

#define MiB (1U << 20)
#define CS META_CHUNK_SIZE

/* a raw value the engine does not hold (no key, field or row) */
#define NONE -1000000

/* refs_are(): no reference record at all; one reference kept after a decrement */
#define REFS_NONE	(-1)
#define REFS_1_KEPT	(-2)

/* which dir_stat() */
enum { DS_INODES, DS_SPACE, DS_LENGTH };

struct engine {
	const char *name;
	int (*setup)(void);		/* once: a server, a scratch dir; 0 or -1 */
	void (*teardown)(void);
	/* a new empty volume formatted with the suite's setting (and .trash) */
	struct meta *(*fresh)(bool trash);
	struct meta *(*blank)(void);	/* an empty store, not formatted */
	const char *(*url)(void);	/* the current volume, for a second client */

	/* counters: usedSpace, totalInodes, nextTrash */
	long long (*counter)(const char *name);
	int (*set_counter)(const char *name, long long v);
	/* entries of a dir; one entry exactly (raw name bytes) */
	long long (*entries)(uint64_t parent);
	bool (*entry_is)(uint64_t parent, const char *name, size_t len, uint64_t ino,
			 int type);
	int (*entry_rename)(uint64_t parent, const char *from, const char *to);	/* raw */
	bool (*node_exists)(uint64_t ino);
	bool (*node_is)(uint64_t ino, const struct meta_attr *a);	/* as stored */
	int (*set_flags)(uint64_t ino, uint8_t flags);		/* chattr, raw */
	bool (*symlink_is)(uint64_t ino, const char *target);
	/* hard-link bookkeeping: ino's links in parent, and in all (-1: kept empty) */
	long long (*links_in)(uint64_t ino, uint64_t parent);
	long long (*links_total)(uint64_t ino);

	/* the chunk's records as stored: bytes (malloc'd), -1 none, -2 not records */
	long (*chunk_raw)(uint64_t ino, uint32_t indx, unsigned char **b);
	/* stores a value that is not records; what the error message names */
	const char *(*chunk_corrupt)(uint64_t ino, uint32_t indx);
	long long (*chunks_of)(uint64_t ino);	/* chunks stored for ino */
	/* a slice's reference record: n refs (0: pending for gc), or REFS_* */
	bool (*refs_are)(uint64_t id, uint32_t size, int n);
	int (*ref_put)(uint64_t id, uint32_t size, int n);
	/* delayed slices: how many entries; the oldest's new slice id, time, value */
	long long (*delslices)(uint64_t *id, int64_t *when, unsigned char *v, size_t *vlen);
	int (*delslice_put)(uint64_t id, int64_t when, const unsigned char *v, size_t len);
	long long (*delfiles)(void);
	/* a client died between its unlink's commit and freeing the data */
	int (*crash_unlink)(uint64_t parent, const char *name, uint64_t ino, uint64_t length);

	long long (*xattrs)(uint64_t ino);
	bool (*xattr_is)(uint64_t ino, const char *name, const void *v, size_t len);
	int (*xattr_put)(uint64_t ino, const char *name, const void *v, size_t len);

	/* sustained inodes of a session (ino 0: all of them) */
	long long (*sustained)(uint64_t sid, uint64_t ino);
	int (*sustained_put)(uint64_t sid, uint64_t ino);
	long long (*session_expire)(uint64_t sid);		/* NONE: no session */
	int (*set_session_expire)(uint64_t sid, long long t);
	const char *(*session_info)(uint64_t sid);		/* static, or NULL */
	/* locks as stored: a flock's 'R'/'W' (0: none), a plock's records */
	int (*flock_of)(uint64_t ino, uint64_t sid, uint64_t owner);
	int (*flock_put)(uint64_t ino, uint64_t sid, uint64_t owner, char type);
	bool (*plock_is)(uint64_t ino, uint64_t sid, uint64_t owner,
			 const unsigned char *recs, size_t len);
	long long (*dir_stat)(uint64_t ino, int which);		/* NONE: no stats */
	int (*dir_quota_put)(uint64_t ino);
	long long (*acl_rules)(void);				/* rules stored */
	/*
	 * Two clients adding one new rule at once store it once.  sql.go gets
	 * that from its transaction; redis.go's insertACL leaves the race (a
	 * TODO there), and so does this Redis engine: a rule may get two ids.
	 */
	bool acl_dedup_races;
};

/* the engine the cases run on (unused by the per-engine suites) */
__attribute__((unused)) static const struct engine *E;

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

__attribute__((unused))
static bool rec_has(uint64_t id, uint32_t size)
{
	int i;

	for (i = 0; i < rec.n && i < 64; i++)
		if (rec.id[i] == id && rec.size[i] == size)
			return true;
	return false;
}

/* an engine on url, the volume not formatted; NULL if it cannot open */
__attribute__((unused))
static struct meta *opened(const char *url)
{
	struct meta *m = NULL;

	if (meta_open(url, &m)) {
		printf("  open %s: %s\n", url, jfs_errmsg());
		return NULL;
	}
	return m;
}

/* ... and formatted with 'setting' (and .trash if asked) */
__attribute__((unused))
static struct meta *volume(const char *url, const char *setting, bool trash)
{
	struct meta *m = opened(url);

	if (m && meta_init(m, setting, trash)) {
		printf("  init: %s\n", jfs_errmsg());
		meta_close(m);
		return NULL;
	}
	return m;
}

/* a clean record, and m (if any) reporting to it; returns m */
__attribute__((unused))
static struct meta *rec_hooks(struct meta *m)
{
	pthread_mutex_lock(&rec.lock);
	rec.open_ino = 0;
	rec.fail = 0;
	rec.n = 0;
	pthread_mutex_unlock(&rec.lock);
	if (m) {
		m->hooks.arg = &rec;
		m->hooks.is_open = rec_is_open;
		m->hooks.delete_slice = rec_delete;
	}
	return m;
}

/* the engine's fresh volume with the recording hooks */
__attribute__((unused))
static struct meta *fresh_vol(bool trash)
{
	return rec_hooks(E->fresh(trash));
}

__attribute__((unused))
static struct meta *fresh(void)
{
	return fresh_vol(false);
}

/* JuiceFS's defaults: a trash of one day (vol.c sets it), dir stats on */
__attribute__((unused))
static struct meta *fresh_trash(void)
{
	struct meta *m = fresh_vol(true);

	if (m) {
		m->trash_days = 1;
		m->dir_stats = true;
	}
	return m;
}

/* ---- the chunk's records ---- */

/* decoded into s (up to max): their count, -1 if none stored, -2 if corrupt */
__attribute__((unused))
static long records(uint64_t ino, uint32_t indx, struct meta_slice *s, size_t max)
{
	unsigned char *b = NULL;
	long n = E->chunk_raw(ino, indx, &b), i;

	if (n < 0) {
		free(b);
		return n;
	}
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
__attribute__((unused))
static bool same_record(uint64_t ino, uint32_t indx, long i, uint32_t pos, uint64_t id,
			uint32_t size, uint32_t off, uint32_t len)
{
	struct meta_slice s = { pos, id, size, off, len };
	unsigned char buf[24], *b = NULL;
	long n = E->chunk_raw(ino, indx, &b);
	bool ok;

	meta_slice_encode(&s, buf);
	ok = n >= 24 * (i + 1) && !memcmp(b + 24 * i, buf, 24);
	free(b);
	return ok;
}

/* ---- the ops, shortened ---- */

__attribute__((unused))
static int mkfile(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_FILE, 0644, 0,
			     1000, 1000, 0, NULL, 0, ino, &a);
}

__attribute__((unused))
static int mkdir_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_DIR, 0755, 0,
			     0, 0, 0, NULL, 0, ino, &a);
}

__attribute__((unused))
static int lookup_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_lookup(m, parent, name, strlen(name), ino, &a);
}

__attribute__((unused))
static int unlink_(struct meta *m, uint64_t parent, const char *name)
{
	return meta_unlink(m, parent, name, strlen(name));
}

__attribute__((unused))
static int rmdir_(struct meta *m, uint64_t parent, const char *name)
{
	return meta_rmdir(m, parent, name, strlen(name));
}

__attribute__((unused))
static int rename_(struct meta *m, uint64_t ps, const char *ns, uint64_t pd,
		   const char *nd, unsigned int flags)
{
	return meta_rename(m, ps, ns, strlen(ns), pd, nd, strlen(nd), flags);
}

/* commits a new slice of 'len' bytes at chunk offset 'pos' */
__attribute__((unused))
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

__attribute__((unused))
static int setx(struct meta *m, uint64_t ino, const char *name, const void *v,
		size_t vlen, unsigned int flags)
{
	return meta_setxattr(m, ino, name, strlen(name), v, vlen, flags);
}

__attribute__((unused))
static int getx(struct meta *m, uint64_t ino, const char *name, char **v, size_t *vlen)
{
	return meta_getxattr(m, ino, name, strlen(name), v, vlen);
}

__attribute__((unused))
static void trash_hour_name(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d-%H", &tm);
}

/* u::rw- u:1000:r-- g::r-- m::r-- o::--- */
__attribute__((unused))
static void rule_1000(struct acl_rule *r)
{
	acl_rule_init(r);
	r->owner = 6;
	r->group = 4;
	r->mask = 4;
	r->other = 0;
	r->nusers = 1;
	r->users = calloc(1, sizeof(*r->users));
	if (r->users)
		r->users[0] = (struct acl_entry){ 1000, 4 };
	else
		r->nusers = 0;
}

/* a default rule: u::rwx u:1000:rwx g::r-x m::rwx, o:: left to the mode */
__attribute__((unused))
static void rule_1000_dir(struct acl_rule *r)
{
	rule_1000(r);
	if (r->nusers)
		r->users[0].perm = 7;
	r->owner = 7;
	r->group = 5;
	r->mask = 7;
	r->other = ACL_UNSET;
}

/* ---- running a case on an engine ---- */

__attribute__((unused)) static char conf_name[128];

#define RUN_ON(eng, fn) do { \
	E = (eng); \
	snprintf(conf_name, sizeof(conf_name), "%s: %s", E->name, #fn); \
	RUN_AS(conf_name, fn); \
} while (0)

#endif /* JFS_TEST_CONFORMANCE_H */
