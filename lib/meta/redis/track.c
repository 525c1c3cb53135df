/*
 * redis/track.c - what other clients change, from Redis's client-side
 * caching (CLIENT TRACKING), for active invalidation (meta_watch).
 *
 * One extra connection per engine asks for broadcast tracking of the keys
 * whose changes a kernel cache must see: i{ino} (attributes), x{ino}
 * (xattrs, which the attributes' "no xattrs" hint covers) and d{ino} (a
 * directory's entries), redirected to itself, and subscribes to
 * __redis__:invalidate, so it works with RESP2 and any Redis >= 6.  A
 * thread reads the messages and tells the caller which inodes changed.
 *
 * What this costs and misses, knowingly:
 * - Broadcast mode reports every change to those keys, this client's own
 *   included (Redis cannot tell one engine's pool from other clients):
 *   after a local create the directory's names are re-checked once.
 * - Tracking ignores the db number: a volume in another db of the same
 *   server causes spurious (harmless) invalidations.
 * - While the connection is down changes are lost: the caller is told to
 *   forget everything (META_CHANGED_ALL) when it breaks and again once
 *   tracking is back, so nothing stale outlives an outage.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "redis.h"
#include "util/err.h"

#define RM_INVAL_CHANNEL	"__redis__:invalidate"
#define RM_NARGS(a)		(sizeof(a) / sizeof((a)[0]))

struct rm_watcher {
	struct rmeta *m;
	meta_changed_fn fn;
	void *arg;
	struct rconn rc;
	pthread_t thread;
	int wake[2];		/* written to stop the thread */
};

/* Turns tracking on for this connection, redirected to itself. */
static int rm_track_start(struct rmeta *m, struct rconn *rc)
{
	const char *argv[] = { "CLIENT", "TRACKING", "on", "REDIRECT", NULL, "BCAST",
			       "PREFIX", "i", "PREFIX", "x", "PREFIX", "d" };
	size_t len[RM_NARGS(argv)], i;
	redisReply *r;
	char ids[24];
	struct cmd c;
	long long id;
	int ret;

	ret = rm_connect(m, rc);
	if (ret)
		return ret;
	rm_cmd_init(&c, "CLIENT");
	rm_cmd_str(&c, "ID");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	id = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	if (id < 0) {
		jfs_seterr("meta", "redis %s: CLIENT ID gave no id", m->addr);
		return -EIO;
	}
	/* more arguments than a struct cmd holds */
	snprintf(ids, sizeof(ids), "%lld", id);
	argv[4] = ids;
	for (i = 0; i < RM_NARGS(argv); i++)
		len[i] = strlen(argv[i]);
	r = rm_command(rc, RM_NARGS(argv), argv, len);
	if (!r || r->type != REDIS_REPLY_STATUS) {
		if (r && r->type == REDIS_REPLY_ERROR)
			jfs_seterr("meta", "redis %s: no client-side caching (active "
				   "invalidation needs Redis 6 or later): %s", m->addr, r->str);
		else
			rm_error(m, rc, r, NULL);
		freeReplyObject(r);
		return -EIO;
	}
	freeReplyObject(r);
	/* SUBSCRIBE's reply is a push: read it as any reply */
	rm_cmd_init(&c, "SUBSCRIBE");
	rm_cmd_str(&c, RM_INVAL_CHANNEL);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	freeReplyObject(r);
	return 0;
}

/* "i123" -> 123 with *what; 0 for keys that are not an inode's */
static uint64_t rm_key_ino(const char *k, size_t len, unsigned int *what)
{
	uint64_t ino = 0;
	size_t i;

	if (len < 2 || len > 21)
		return 0;
	for (i = 1; i < len; i++) {
		if (k[i] < '0' || k[i] > '9')
			return 0;
		ino = ino * 10 + (uint64_t)(k[i] - '0');
	}
	*what = k[0] == 'd' ? META_CHANGED_ENTRIES : META_CHANGED_ATTR;
	return ino;
}

/* One push: ["message", channel, [keys...] or nil (FLUSHDB/FLUSHALL)]. */
static void rm_track_message(struct rm_watcher *w, const redisReply *r)
{
	const redisReply *keys;
	unsigned int what = 0;
	uint64_t ino;
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message"))
		return;
	keys = r->element[2];
	if (keys->type == REDIS_REPLY_NIL) {
		w->fn(w->arg, 0, META_CHANGED_ALL);
		return;
	}
	if (keys->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < keys->elements; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING)
			continue;
		ino = rm_key_ino(keys->element[i]->str, keys->element[i]->len, &what);
		if (ino)
			w->fn(w->arg, ino, what);
	}
}

/* Reads pushes until the connection breaks (-EIO) or we are stopped (0). */
static int rm_track_read(struct rm_watcher *w)
{
	struct pollfd p[2] = {
		{ .fd = w->rc.c->fd, .events = POLLIN },
		{ .fd = w->wake[0], .events = POLLIN },
	};
	redisReply *r;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		if (p[1].revents)
			return 0;
		if (redisBufferRead(w->rc.c) != REDIS_OK)
			return -EIO;
		for (;;) {
			r = NULL;
			if (redisGetReplyFromReader(w->rc.c, (void **)&r) != REDIS_OK)
				return -EIO;
			if (!r)
				break;
			rm_track_message(w, r);
			freeReplyObject(r);
		}
	}
}

/* Whether we are asked to stop, waiting up to ms for it. */
static bool rm_track_wait(struct rm_watcher *w, int ms)
{
	struct pollfd p = { .fd = w->wake[0], .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static void *rm_track_main(void *arg)
{
	struct rm_watcher *w = arg;
	int backoff = 100;

	for (;;) {
		if (!rm_track_read(w))
			return NULL;
		/* changes may go unseen from now until tracking is back */
		w->fn(w->arg, 0, META_CHANGED_ALL);
		for (;;) {
			if (rm_track_wait(w, backoff))
				return NULL;
			if (!rm_track_start(w->m, &w->rc))
				break;
			backoff = backoff < 5000 ? backoff * 2 : 5000;
		}
		backoff = 100;
		w->fn(w->arg, 0, META_CHANGED_ALL);
	}
}

static void rm_watcher_free(struct rm_watcher *w)
{
	if (w->rc.c)
		redisFree(w->rc.c);
	close(w->wake[0]);
	close(w->wake[1]);
	free(w);
}

int rm_watch_changes(struct meta *mm, meta_changed_fn fn, void *arg)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct rm_watcher *w;
	int ret;

	if (m->watcher) {
		jfs_seterr("meta", "redis %s: already watched", m->addr);
		return -EBUSY;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		jfs_seterr("meta", "out of memory");
		return -ENOMEM;
	}
	w->m = m;
	w->fn = fn;
	w->arg = arg;
	if (pipe(w->wake)) {
		ret = -errno;
		jfs_seterr("meta", "pipe: %s", strerror(-ret));
		free(w);
		return ret;
	}
	ret = rm_track_start(m, &w->rc);
	if (ret)
		goto fail;
	ret = -pthread_create(&w->thread, NULL, rm_track_main, w);
	if (ret) {
		jfs_seterr("meta", "cannot start the tracking thread: %s", strerror(-ret));
		goto fail;
	}
	m->watcher = w;
	return 0;
fail:
	rm_watcher_free(w);
	return ret;
}

void rm_unwatch_changes(struct meta *mm)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct rm_watcher *w = m->watcher;

	if (!w)
		return;
	m->watcher = NULL;
	while (write(w->wake[1], "", 1) < 0 && errno == EINTR)
		;
	pthread_join(w->thread, NULL);
	rm_watcher_free(w);
}
