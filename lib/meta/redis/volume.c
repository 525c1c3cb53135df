/*
 * redis/volume.c - the Redis engine: the setting, format (init), statfs, sessions and the background
 * upkeep jobs (trash, delfiles, delayed and leaked slices, dir stats).
 * The engine's design is in redis.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "redis.h"

/* ---- operations: volume ------------------------------------------------ */

int rm_bad_reply(struct rmeta *m, const char *key)
{
	jfs_seterr("meta", "redis %s: unexpected reply for '%s'", m->addr, key);
	return -EIO;
}

int rm_get_string_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct str_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "GET");
	rm_cmd_str(&c, a->key);
	ret = rm_call_string(m, rc, &c, &r);
	if (ret)
		return ret;
	*a->out = malloc(r->len + 1);
	if (*a->out) {
		memcpy(*a->out, r->str, r->len);
		(*a->out)[r->len] = '\0';
		if (a->len)
			*a->len = r->len;
	} else {
		ret = -ENOMEM;
	}
	freeReplyObject(r);
	return ret;
}

int rm_get_setting(struct meta *mm, char **json)
{
	struct str_arg a = { .out = json, .key = "setting" };

	*json = NULL;
	return rm_run((struct rmeta *)mm, NULL, rm_get_string_body, &a);
}

struct init_arg {
	const char *json;
	bool trash;
};

static int init_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct init_arg *a = arg;
	struct meta_attr attr;
	struct timespec now;
	struct cmd c;
	int ret;

	meta_now(&now);
	/* one MULTI: the setting and the root appear together */
	rm_tx_multi(rc);
	rm_cmd_init(&c, "SET");
	rm_cmd_str(&c, "setting");
	rm_cmd_str(&c, a->json);
	rm_tx_add(rc, &c);

	meta_new_dir_attr(&attr, 0777, &now);
	rm_cmd_init(&c, "SET");
	rm_cmd_fmt(&c, "i%" PRIu64, (uint64_t)META_ROOT_INO);
	rm_cmd_bin(&c, buf, meta_attr_encode(&attr, buf));
	rm_cmd_str(&c, "NX");
	rm_tx_add(rc, &c);
	if (a->trash) {
		unsigned char tbuf[META_ATTR_MAX_BYTES];

		meta_new_dir_attr(&attr, 0555, &now);
		rm_cmd_init(&c, "SET");
		rm_cmd_fmt(&c, "i%" PRIu64, (uint64_t)META_TRASH_INO);
		rm_cmd_bin(&c, tbuf, meta_attr_encode(&attr, tbuf));
		rm_cmd_str(&c, "NX");
		rm_tx_add(rc, &c);
	}
	ret = rm_tx_exec(m, rc, NULL);
	return ret;
}

int rm_init(struct meta *mm, const char *json, bool trash)
{
	struct init_arg a = { .json = json, .trash = trash };

	if (!json)
		return -EINVAL;
	return rm_run((struct rmeta *)mm, "setting", init_body, &a);
}

struct statfs_arg {
	uint64_t *space, *inodes;
};

static int statfs_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct statfs_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int64_t v;
	int ret;

	rm_cmd_init(&c, "MGET");
	rm_cmd_str(&c, "usedSpace");
	rm_cmd_str(&c, "totalInodes");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		freeReplyObject(r);
		return rm_bad_reply(m, "usedSpace");
	}
	/* counters can go briefly negative under concurrent cleanup */
	v = rm_reply_int(r->element[0]);
	*a->space = v > 0 ? (uint64_t)v : 0;
	v = rm_reply_int(r->element[1]);
	*a->inodes = v > 0 ? (uint64_t)v : 0;
	freeReplyObject(r);
	return 0;
}

int rm_statfs(struct meta *mm, uint64_t *used_space, uint64_t *used_inodes)
{
	struct statfs_arg a = { used_space, used_inodes };

	return rm_run((struct rmeta *)mm, NULL, statfs_body, &a);
}

int rm_count_dir_quotas(struct meta *mm, uint64_t *n)
{
	struct call_arg a = { .r = NULL };
	int ret;

	rm_cmd_init(&a.c, "HLEN");
	rm_cmd_str(&a.c, "dirQuota");
	ret = rm_run((struct rmeta *)mm, NULL, rm_call_body, &a);
	if (!ret && a.r->type != REDIS_REPLY_INTEGER)
		ret = rm_bad_reply((struct rmeta *)mm, "dirQuota");
	*n = ret || a.r->integer < 0 ? 0 : (uint64_t)a.r->integer;
	freeReplyObject(a.r);
	return ret;
}

/* ---- operations: sessions ---------------------------------------------- */

static int session_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_session *a = arg;
	struct timespec now;
	redisReply *r;
	struct cmd c;
	int ret;

	if (a->create && !a->sid) {
		rm_cmd_init(&c, "INCR");
		rm_cmd_str(&c, "nextsession");
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		if (r->type != REDIS_REPLY_INTEGER || r->integer <= 0) {
			freeReplyObject(r);
			return rm_bad_reply(m, "nextsession");
		}
		a->sid = (uint64_t)r->integer;
		freeReplyObject(r);
	}
	meta_now(&now);
	rm_tx_multi(rc);
	rm_cmd_init(&c, "ZADD");
	rm_cmd_str(&c, "allSessions");
	rm_cmd_fmt(&c, "%lld", (long long)now.tv_sec + RM_SESSION_TTL);
	rm_cmd_fmt(&c, "%" PRIu64, a->sid);
	rm_tx_add(rc, &c);
	if (a->info) {
		/* a refresh only restores a lost record, as JuiceFS's HSETNX */
		rm_cmd_init(&c, a->create ? "HSET" : "HSETNX");
		rm_cmd_str(&c, "sessionInfos");
		rm_cmd_fmt(&c, "%" PRIu64, a->sid);
		rm_cmd_str(&c, a->info);
		rm_tx_add(rc, &c);
	}
	return rm_tx_exec(m, rc, NULL);
}

int rm_session(struct meta *mm, struct meta_session *a)
{
	return rm_run((struct rmeta *)mm, NULL, session_body, a);
}

/* spec 6.6 doDeleteSustainedInode */
static int sustained_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_sustained *a = arg;
	struct meta_attr attr;
	struct timespec now;
	int ret;

	a->free_data = false;
	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (ret)
		return ret;
	ret = rm_get_attr(m, rc, a->ino, &attr);
	if (ret && ret != -ENOENT)
		return ret;
	meta_now(&now);
	rm_tx_multi(rc);
	if (!ret && attr.nlink == 0) {
		rm_q_delfile(rc, a->ino, attr.length, &now);
		rm_q_key(rc, "DEL", "i%" PRIu64, a->ino);
		rm_q_incrby(rc, "usedSpace", -(int64_t)meta_align4k(attr.length));
		rm_q_incrby(rc, "totalInodes", -1);
		a->free_data = true;
		a->length = attr.length;
	}
	/* gone already, or linked again: just forget it */
	rm_q_sustain(rc, a->sid, a->ino, "SREM");
	return rm_tx_exec(m, rc, NULL);
}

int rm_release_sustained(struct meta *mm, struct meta_sustained *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, sustained_body, a);
}

/* an array reply of decimal members, e.g. SMEMBERS */
struct members_arg {
	struct cmd c;
	uint64_t *v;
	size_t n;
};

static int members_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct members_arg *a = arg;
	redisReply *r;
	size_t i;
	int ret;

	free(a->v);
	a->v = NULL;
	a->n = 0;
	ret = rm_call(m, rc, &a->c, &r);
	if (ret)
		return ret;
	if (r->type == REDIS_REPLY_ARRAY && r->elements) {
		a->v = calloc(r->elements, sizeof(*a->v));
		if (!a->v) {
			freeReplyObject(r);
			return -ENOMEM;
		}
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				a->v[a->n++] = strtoull(r->element[i]->str, NULL, 10);
	}
	freeReplyObject(r);
	return 0;
}

/* the ids ma->c lists, into a (freed by the caller, also on an error) */
static int list_ids(struct rmeta *m, struct members_arg *ma, struct meta_ids *a)
{
	int ret = rm_run(m, NULL, members_body, ma);

	a->v = ma->v;
	a->n = ma->n;
	return ret;
}

int rm_list_sustained(struct meta *mm, uint64_t sid, struct meta_ids *a)
{
	struct members_arg ma = { .v = NULL };

	rm_cmd_init(&ma.c, "SMEMBERS");
	rm_cmd_fmt(&ma.c, "session%" PRIu64, sid);
	return list_ids((struct rmeta *)mm, &ma, a);
}

struct unlock_arg {
	uint64_t sid;
};

/* removes the session's lock fields ("{sid}_{owner}") from every key in locked{sid} */
int rm_unlock_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct unlock_arg *a = arg;
	redisReply *keys = NULL, *fields = NULL, *r;
	char prefix[32];
	size_t plen, i, j, n;
	const char **argv = NULL;
	size_t *lens = NULL;
	struct cmd c;
	int ret;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%" PRIu64 "_", a->sid);
	rm_cmd_init(&c, "SMEMBERS");
	rm_cmd_fmt(&c, "locked%" PRIu64, a->sid);
	ret = rm_call(m, rc, &c, &keys);
	if (ret)
		return ret;
	for (i = 0; keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++) {
		rm_cmd_init(&c, "HKEYS");
		rm_cmd_bin(&c, keys->element[i]->str, keys->element[i]->len);
		ret = rm_call(m, rc, &c, &fields);
		if (ret)
			break;
		argv = calloc(fields->elements + 2, sizeof(*argv));
		lens = calloc(fields->elements + 2, sizeof(*lens));
		if (!argv || !lens) {
			ret = -ENOMEM;
			break;
		}
		argv[0] = "HDEL";
		lens[0] = 4;
		argv[1] = keys->element[i]->str;
		lens[1] = keys->element[i]->len;
		for (n = 2, j = 0; j < fields->elements; j++) {
			if (fields->element[j]->len >= plen &&
			    !memcmp(fields->element[j]->str, prefix, plen)) {
				argv[n] = fields->element[j]->str;
				lens[n++] = fields->element[j]->len;
			}
		}
		if (n > 2) {
			r = rm_command(rc, (int)n, argv, lens);
			if (!r || r->type == REDIS_REPLY_ERROR) {
				rm_cmd_init(&c, "HDEL");
				rm_cmd_bin(&c, keys->element[i]->str, keys->element[i]->len);
				ret = rm_error(m, rc, r, &c);
			}
			freeReplyObject(r);
		}
		free(argv);
		free(lens);
		argv = NULL;
		lens = NULL;
		freeReplyObject(fields);
		fields = NULL;
		if (ret)
			break;
	}
	free(argv);
	free(lens);
	freeReplyObject(fields);
	freeReplyObject(keys);
	return ret;
}

static int end_session_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const uint64_t *sid = arg;
	struct cmd c;

	rm_tx_multi(rc);
	rm_cmd_init(&c, "HDEL");
	rm_cmd_str(&c, "sessionInfos");
	rm_cmd_fmt(&c, "%" PRIu64, *sid);
	rm_tx_add(rc, &c);
	rm_cmd_init(&c, "ZREM");
	rm_cmd_str(&c, "allSessions");
	rm_cmd_fmt(&c, "%" PRIu64, *sid);
	rm_tx_add(rc, &c);
	rm_cmd_init(&c, "DEL");
	rm_cmd_fmt(&c, "session%" PRIu64, *sid);
	rm_cmd_fmt(&c, "locked%" PRIu64, *sid);
	rm_tx_add(rc, &c);
	return rm_tx_exec(m, rc, NULL);
}

/* a session's locks, then its records (its sustained inodes went first) */
int rm_close_session(struct meta *mm, uint64_t sid)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct unlock_arg ua = { sid };
	int ret;

	ret = rm_run(m, NULL, rm_unlock_body, &ua);
	return ret ? ret : rm_run(m, NULL, end_session_body, &sid);
}

static int list_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_sessions *a = arg;
	struct members_arg ma;
	struct meta_session_info *s;
	redisReply *r, *info;
	struct cmd c;
	size_t i;
	int ret;

	meta_free_sessions(a->s, a->n);
	a->s = NULL;
	a->n = 0;
	rm_cmd_init(&c, "ZRANGE");
	rm_cmd_str(&c, "allSessions");
	rm_cmd_str(&c, "0");
	rm_cmd_str(&c, "-1");
	rm_cmd_str(&c, "WITHSCORES");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		freeReplyObject(r);
		return rm_bad_reply(m, "allSessions");
	}
	if (r->elements) {
		a->s = calloc(r->elements / 2, sizeof(*a->s));
		if (!a->s) {
			freeReplyObject(r);
			return -ENOMEM;
		}
	}
	for (i = 0; !ret && i + 1 < r->elements; i += 2) {
		s = &a->s[a->n++];
		s->sid = strtoull(r->element[i]->str, NULL, 10);
		s->expire = (int64_t)strtod(r->element[i + 1]->str, NULL);

		rm_cmd_init(&c, "HGET");
		rm_cmd_str(&c, "sessionInfos");
		rm_cmd_fmt(&c, "%" PRIu64, s->sid);
		ret = rm_call(m, rc, &c, &info);
		if (ret)
			break;
		if (info->type == REDIS_REPLY_STRING) {
			s->info = strndup(info->str, info->len);
			if (!s->info)
				ret = -ENOMEM;
		}
		freeReplyObject(info);

		memset(&ma, 0, sizeof(ma));
		rm_cmd_init(&ma.c, "SMEMBERS");
		rm_cmd_fmt(&ma.c, "session%" PRIu64, s->sid);
		if (!ret)
			ret = members_body(m, rc, &ma);
		s->sustained = ma.v;
		s->nsustained = ma.n;
	}
	freeReplyObject(r);
	return ret;
}

int rm_list_sessions(struct meta *mm, struct meta_sessions *a)
{
	return rm_run((struct rmeta *)mm, NULL, list_body, a);
}

/* ZRANGEBYSCORE key -inf (before LIMIT 0 1000: a batch of what expired */
static void cmd_expired(struct cmd *c, const char *key, int64_t before)
{
	rm_cmd_init(c, "ZRANGEBYSCORE");
	rm_cmd_str(c, key);
	rm_cmd_str(c, "-inf");
	rm_cmd_fmt(c, "(%lld", (long long)before);
	rm_cmd_str(c, "LIMIT");
	rm_cmd_str(c, "0");
	rm_cmd_str(c, "1000");
}

int rm_stale_sessions(struct meta *mm, int64_t before, struct meta_ids *a)
{
	struct members_arg ma = { .v = NULL };

	cmd_expired(&ma.c, "allSessions", before);
	return list_ids((struct rmeta *)mm, &ma, a);
}

/* ---- operations: background upkeep ------------------------------------ */

/* spec 6.10 setIfSmall: the leader election of the periodic jobs */
static int small_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_small *a = arg;
	redisReply *r;
	struct cmd c;
	int64_t old;
	int ret;

	a->won = false;
	rm_cmd_init(&c, "GET");
	rm_cmd_str(&c, a->key);
	ret = rm_watch_call(m, rc, &c, &r);
	if (ret)
		return ret;
	old = r->type == REDIS_REPLY_STRING ? rm_reply_int(r) : 0;
	freeReplyObject(r);
	if (old > a->value - a->diff)
		return 0;
	rm_tx_multi(rc);
	rm_cmd_init(&c, "SET");
	rm_cmd_str(&c, a->key);
	rm_cmd_fmt(&c, "%lld", (long long)a->value);
	rm_tx_add(rc, &c);
	ret = rm_tx_exec(m, rc, NULL);
	a->won = !ret;
	return ret;
}

int rm_set_if_small(struct meta *mm, struct meta_small *a)
{
	if (strlen(a->key) >= RM_ARGLEN)
		return -EINVAL;
	return rm_run((struct rmeta *)mm, a->key, small_body, a);
}

/* doSyncDirStat: HSET the recount unless the dir is gone meanwhile */
static int syncstat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	static const char *const keys[] = { "dirDataLength", "dirUsedSpace", "dirUsedInodes" };
	const struct meta_dirstat *st = arg;
	const int64_t v[] = { st->length, st->space, st->inodes };
	struct meta_attr attr;
	struct cmd c;
	size_t i;
	int ret;

	ret = rm_watch_keys(m, rc, "i%" PRIu64, st->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, st->ino, &attr);
	if (ret == -ENOENT)
		return 0;	/* gone meanwhile */
	if (ret)
		return ret;
	rm_tx_multi(rc);
	for (i = 0; i < 3; i++) {
		rm_cmd_init(&c, "HSET");
		rm_cmd_str(&c, keys[i]);
		rm_cmd_fmt(&c, "%" PRIu64, st->ino);
		rm_cmd_fmt(&c, "%lld", (long long)v[i]);
		rm_tx_add(rc, &c);
	}
	return rm_tx_exec(m, rc, NULL);
}

int rm_sync_dir_stat(struct meta *mm, const struct meta_dirstat *st)
{
	return rm_run_on_ino((struct rmeta *)mm, st->ino, syncstat_body, (void *)st);
}

/* doUpdateDirStat: which dirs have stats, then HINCRBY theirs (pipelined) */
static int dirstat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	static const char *const keys[] = { "dirDataLength", "dirUsedSpace", "dirUsedInodes" };
	struct meta_dirstat_update *a = arg;
	size_t i, k, sent = 0;
	redisReply *r;
	struct cmd c;
	int ret = 0;

	for (i = 0; i < a->n; i++) {
		rm_cmd_init(&c, "HEXISTS");
		rm_cmd_str(&c, "dirUsedSpace");
		rm_cmd_fmt(&c, "%" PRIu64, a->d[i].ino);
		if (rm_append(rc, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < a->n; i++) {
		if (rm_get_reply(rc, &r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &c);
		if (r->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r, &c);
		a->missing[i] = !(r->type == REDIS_REPLY_INTEGER && r->integer > 0);
		freeReplyObject(r);
	}
	if (ret)
		return ret;
	/* in MULTI (JuiceFS pipelines them): a retry after a lost reply must not add twice */
	for (i = 0; i < a->n; i++) {
		const int64_t v[] = { a->d[i].length, a->d[i].space, a->d[i].inodes };

		for (k = 0; k < 3 && !a->missing[i]; k++) {
			if (!v[k])
				continue;
			if (!sent++)
				rm_tx_multi(rc);
			rm_cmd_init(&c, "HINCRBY");
			rm_cmd_str(&c, keys[k]);
			rm_cmd_fmt(&c, "%" PRIu64, a->d[i].ino);
			rm_cmd_fmt(&c, "%lld", (long long)v[k]);
			rm_tx_add(rc, &c);
		}
	}
	return sent ? rm_tx_exec(m, rc, NULL) : 0;
}

int rm_update_dir_stats(struct meta *mm, struct meta_dirstat_update *a)
{
	return rm_run((struct rmeta *)mm, NULL, dirstat_body, a);
}

/* the hourly cleanupDeletedFiles: delfiles entries left by crashed clients */
int rm_cleanup_deleted_files(struct meta *mm, int64_t before, size_t *n)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct call_arg a = { .r = NULL };
	uint64_t ino, len;
	size_t i;
	int ret;

	*n = 0;
	cmd_expired(&a.c, "delfiles", before);
	ret = rm_run(m, NULL, rm_call_body, &a);
	for (i = 0; !ret && a.r->type == REDIS_REPLY_ARRAY && i < a.r->elements; i++) {
		const redisReply *e = a.r->element[i];
		char tail;

		/* "ino:length"; anything else is a legacy entry gc handles */
		if (e->type != REDIS_REPLY_STRING ||
		    sscanf(e->str, "%" SCNu64 ":%" SCNu64 "%c", &ino, &len, &tail) != 2)
			continue;
		ret = rm_free_file_data(&m->base, ino, len);
		if (!ret)
			(*n)++;
	}
	freeReplyObject(a.r);
	return ret;
}

struct delayed_arg {
	const char *field;	/* "{newSliceId}_{unixTs}" */
	struct meta_slice_ref *s;	/* out: the slices of the entry */
	size_t n;
	bool *freed;		/* out: refcount went below zero */
};

/* one delSlices entry: drop a reference per slice, HDEL the entry */
static int delayed_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct delayed_arg *a = arg;
	redisReply *r, *ex = NULL;
	const unsigned char *p;
	struct cmd c;
	size_t i;
	int ret;

	free(a->s);
	free(a->freed);
	a->s = NULL;
	a->freed = NULL;
	a->n = 0;
	ret = rm_watch_hget(m, rc, "delSlices", a->field, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len % 12) {
		/* gone meanwhile, or not JuiceFS's packed (id, size) records */
		ret = r->type == REDIS_REPLY_STRING ? rm_bad_value(m, "delSlices", r->len) : 0;
		freeReplyObject(r);
		return ret;
	}
	a->s = calloc(r->len / 12, sizeof(*a->s));
	a->freed = calloc(r->len / 12, sizeof(*a->freed));
	if (!a->s || !a->freed) {
		freeReplyObject(r);
		return -ENOMEM;
	}
	rm_tx_multi(rc);
	for (p = (const unsigned char *)r->str; p < (const unsigned char *)r->str + r->len; p += 12) {
		struct meta_slice_ref *s = &a->s[a->n++];

		for (i = 0; i < 8; i++)
			s->id = s->id << 8 | p[i];
		s->size = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
		rm_cmd_init(&c, "HINCRBY");
		rm_cmd_str(&c, "sliceRef");
		rm_cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, s->id, s->size);
		rm_cmd_str(&c, "-1");
		rm_tx_add(rc, &c);
	}
	freeReplyObject(r);
	rm_cmd_init(&c, "HDEL");
	rm_cmd_str(&c, "delSlices");
	rm_cmd_str(&c, a->field);
	rm_tx_add(rc, &c);
	ret = rm_tx_exec(m, rc, &ex);
	for (i = 0; !ret && ex && i < a->n && i < ex->elements; i++)
		a->freed[i] = rm_reply_int(ex->element[i]) < 0;
	freeReplyObject(ex);
	return ret;
}

/* releases one expired delSlices entry; deletes the slices nobody uses */
static int release_delayed(struct rmeta *m, const char *field, size_t *n)
{
	struct delayed_arg a = { .field = field };
	bool gone;
	size_t i;
	int ret;

	ret = rm_run(m, "delSlices", delayed_body, &a);
	for (i = 0; !ret && i < a.n; i++) {
		if (!a.freed[i])
			continue;
		ret = meta_free_slice(&m->base, a.s[i].id, a.s[i].size, &gone);
		if (gone)
			(*n)++;
	}
	free(a.s);
	free(a.freed);
	return ret;
}

/*
 * Calls fn for every (field, value) of hash 'key', HSCAN page by page (a
 * field may come twice while the hash is rehashed); stops at an error.
 */
int rm_hscan_each(struct rmeta *m, const char *key,
		  int (*fn)(struct rmeta *m, const char *field, const char *val, size_t vlen,
			    void *arg),
		  void *arg)
{
	struct call_arg a = { .r = NULL };
	char cursor[32] = "0";
	const redisReply *kv;
	size_t i;
	int ret;

	do {
		rm_cmd_init(&a.c, "HSCAN");
		rm_cmd_str(&a.c, key);
		rm_cmd_str(&a.c, cursor);
		rm_cmd_str(&a.c, "COUNT");
		rm_cmd_str(&a.c, "1000");
		ret = rm_run(m, NULL, rm_call_body, &a);
		if (ret)
			break;
		if (a.r->type != REDIS_REPLY_ARRAY || a.r->elements != 2 ||
		    a.r->element[0]->type != REDIS_REPLY_STRING ||
		    a.r->element[0]->len >= sizeof(cursor) ||
		    a.r->element[1]->type != REDIS_REPLY_ARRAY) {
			ret = rm_bad_reply(m, key);
			break;
		}
		memcpy(cursor, a.r->element[0]->str, a.r->element[0]->len + 1);
		kv = a.r->element[1];
		for (i = 0; !ret && i + 1 < kv->elements; i += 2)
			if (kv->element[i]->type == REDIS_REPLY_STRING &&
			    kv->element[i + 1]->type == REDIS_REPLY_STRING)
				ret = fn(m, kv->element[i]->str, kv->element[i + 1]->str,
					 kv->element[i + 1]->len, arg);
	} while (!ret && strcmp(cursor, "0"));
	freeReplyObject(a.r);
	return ret;
}

/* the trash job's doCleanupDelayedSlices: HSCAN delSlices for old entries */
struct delayed_scan {
	int64_t before;
	size_t *n;
};

static int delayed_field(struct rmeta *m, const char *field, const char *val, size_t vlen,
			 void *arg)
{
	struct delayed_scan *a = arg;
	unsigned long long id, ts;
	char tail;

	if (sscanf(field, "%llu_%llu%c", &id, &ts, &tail) != 2 || (long long)ts >= a->before)
		return 0;
	return release_delayed(m, field, a->n);
}

int rm_cleanup_delayed_slices(struct meta *mm, int64_t before, size_t *n)
{
	struct delayed_scan a = { .before = before, .n = n };

	*n = 0;
	return rm_hscan_each((struct rmeta *)mm, "delSlices", delayed_field, &a);
}

/* drops a sliceRef field that still says "0" (one reference, as no field) */
static int zero_ref_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const char *field = arg;
	redisReply *r = NULL;
	struct cmd c;
	int ret;

	ret = rm_watch_hget(m, rc, "sliceRef", field, &r);
	if (!ret && !(r->type == REDIS_REPLY_STRING && !strcmp(r->str, "0"))) {
		freeReplyObject(r);
		return 0;	/* changed meanwhile: leave it */
	}
	freeReplyObject(r);
	if (ret)
		return ret;
	rm_tx_multi(rc);
	rm_cmd_init(&c, "HDEL");
	rm_cmd_str(&c, "sliceRef");
	rm_cmd_str(&c, field);
	rm_tx_add(rc, &c);
	return rm_tx_exec(m, rc, NULL);
}

/* one sliceRef field: a negative count is a delete that failed before */
static int cleanup_ref(struct rmeta *m, const char *field, const char *val, size_t vlen,
		       void *arg)
{
	size_t *n = arg;
	unsigned long long id, size;
	bool gone;
	char tail;
	int ret;

	if (!strcmp(val, "0"))
		return rm_run(m, NULL, zero_ref_body, (void *)field);
	if (val[0] != '-' || sscanf(field, "k%llu_%llu%c", &id, &size, &tail) != 2 ||
	    !id || !size || size > UINT32_MAX)
		return 0;
	/* still there after a failed delete: the next round or `juicefs gc` */
	ret = meta_free_slice(&m->base, id, (uint32_t)size, &gone);
	if (!ret && gone)
		(*n)++;
	return ret;
}

/* doCleanupSlices: HSCAN sliceRef */
int rm_cleanup_slices(struct meta *mm, size_t *n)
{
	*n = 0;
	return rm_hscan_each((struct rmeta *)mm, "sliceRef", cleanup_ref, n);
}
