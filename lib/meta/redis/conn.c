/*
 * redis/conn.c - the Redis engine: connections and their retries,
 * commands, WATCH/MULTI/EXEC transactions with commit markers, the reads
 * and queued writes transaction bodies share, ids, URL parsing,
 * open/close and the ops table.
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "redis.h"
#include "util/log.h"
#include "util/url.h"

/* per-thread seed of the transaction backoff */
static __thread unsigned int rm_seed;

/* ---- helpers: commands ------------------------------------------------ */

void rm_cmd_bin(struct cmd *c, const void *p, size_t n)
{
	if (c->argc >= RM_ARGS)
		abort();	/* a command built wrong: a bug, not a condition */
	c->argv[c->argc] = p;
	c->len[c->argc] = n;
	c->argc++;
}

void rm_cmd_str(struct cmd *c, const char *s)
{
	rm_cmd_bin(c, s, strlen(s));
}

void rm_cmd_init(struct cmd *c, const char *name)
{
	c->argc = 0;
	rm_cmd_str(c, name);
}

/* formats one argument (keys and numbers only, never user data) */
__attribute__((format(printf, 2, 3)))
void rm_cmd_fmt(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->buf[c->argc], RM_ARGLEN, fmt, ap);
	va_end(ap);
	rm_cmd_bin(c, c->buf[c->argc], n);
}

/* ---- helpers: errors ----------------------------------------------- */

/* error replies of a server that is starting, busy or failing over */
static bool try_later(const char *msg)
{
	static const char *const prefixes[] = {
		"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN",
		"ERR max number of clients",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(msg, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/*
 * The one place where hiredis failures become errnos.  A NULL 'r' means
 * the context failed (transport, timeout, protocol: it is dead now); else
 * 'r' is an error reply from the server.  'c' names the command and key
 * in the message; AUTH is never echoed.
 */
int rm_error(struct rmeta *m, struct rconn *rc, const redisReply *r,
	     const struct cmd *c)
{
	static const int io_errnos[] = {
		ECONNREFUSED, ETIMEDOUT, EAGAIN, EHOSTUNREACH, ENETUNREACH,
		ENOENT, EACCES, ECONNRESET, EPIPE,
	};
	char what[96] = "";
	const char *msg;
	char ebuf[128];
	size_t i;
	int ret = -EIO;

	if (c && c->argc > 1 && strcasecmp(c->argv[0], "AUTH"))
		snprintf(what, sizeof(what), " (%s '%.*s')", c->argv[0],
			 (int)(c->len[1] < 64 ? c->len[1] : 64), c->argv[1]);
	else if (c)
		snprintf(what, sizeof(what), " (%s)", c->argv[0]);

	if (r) {
		msg = r->str ? r->str : "error reply";
		rc->transient = try_later(msg);
		if (!strncmp(msg, "OOM", 3))
			ret = -ENOSPC;
		else if (!strncmp(msg, "NOAUTH", 6) || !strncmp(msg, "WRONGPASS", 9) ||
			 !strncmp(msg, "NOPERM", 6))
			ret = -EACCES;
		jfs_seterr("meta", "redis %s: %s%s", m->addr, msg, what);
		return ret;
	}

	if (!rc->c) {
		jfs_seterr("meta", "redis %s: out of memory", m->addr);
		return -ENOMEM;
	}
	msg = rc->c->errstr;
	switch (rc->c->err) {
	case REDIS_ERR_IO:
		/* hiredis keeps only the strerror text of the failed call */
		for (i = 0; i < sizeof(io_errnos) / sizeof(io_errnos[0]); i++) {
			if (strstr(msg, strerror_r(io_errnos[i], ebuf, sizeof(ebuf))))
				break;
		}
		ret = i < sizeof(io_errnos) / sizeof(io_errnos[0]) ?
			-io_errnos[i] : -EIO;
		if (ret == -EAGAIN)	/* SO_RCVTIMEO expired */
			ret = -ETIMEDOUT;
		else if (ret == -ENOENT)	/* no socket file: nobody listens */
			ret = -ECONNREFUSED;
		else if (ret == -EPIPE || ret == -ENETUNREACH)
			ret = ret == -EPIPE ? -ECONNRESET : -EHOSTUNREACH;
		break;
	case REDIS_ERR_EOF:
		ret = -ECONNRESET;
		break;
	case REDIS_ERR_OOM:
		ret = -ENOMEM;
		break;
	case REDIS_ERR_OTHER:	/* e.g. the host name does not resolve */
		ret = -EHOSTUNREACH;
		break;
	default:		/* protocol error */
		ret = -EIO;
		break;
	}
	jfs_seterr("meta", "redis %s: %s%s", m->addr, msg[0] ? msg : "connection failed",
			what);
	return ret;
}

int rm_bad_value(struct rmeta *m, const char *key, size_t len)
{
	jfs_seterr("meta", "redis %s: bad value of '%s' (%zu bytes)", m->addr, key, len);
	return -EIO;
}

/* ---- helpers: connections -------------------------------------------- */

int rm_connect(struct rmeta *m, struct rconn *rc)
{
	struct timeval tv = { RM_CONNECT_TIMEOUT, 0 };
	redisReply *r;
	struct cmd c;
	int ret;

	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
	rc->watching = false;
	rc->transient = false;
	if (!rc->token[0]) {
		unsigned char rnd[16];
		int i;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			jfs_seterr("meta", "redis %s: no random bytes for a commit marker",
				   m->addr);
			return -EIO;
		}
		for (i = 0; i < 16; i++)
			snprintf(rc->token + 2 * i, 3, "%02x", rnd[i]);
	}
	if (m->path)
		rc->c = redisConnectUnixWithTimeout(m->path, tv);
	else
		rc->c = redisConnectWithTimeout(m->host, m->port, tv);
	if (!rc->c || rc->c->err)
		return rm_error(m, rc, NULL, NULL);
	tv.tv_sec = RM_COMMAND_TIMEOUT;
	if (redisSetTimeout(rc->c, tv) != REDIS_OK)
		return rm_error(m, rc, NULL, NULL);
	/* a dead peer is noticed without waiting for a command timeout */
	if (!m->path && redisEnableKeepAlive(rc->c) != REDIS_OK)
		return rm_error(m, rc, NULL, NULL);

	if (m->pass) {
		rm_cmd_init(&c, "AUTH");
		if (m->user && m->user[0])
			rm_cmd_str(&c, m->user);
		rm_cmd_str(&c, m->pass);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		freeReplyObject(r);
	}
	if (m->db) {
		rm_cmd_init(&c, "SELECT");
		rm_cmd_fmt(&c, "%d", m->db);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		freeReplyObject(r);
	}
	return 0;
}

static void rm_conn_put(struct rmeta *m, struct rconn *rc)
{
	if (rc->c && rc->c->err) {
		redisFree(rc->c);
		rc->c = NULL;
	}
	rc->watching = false;
	pthread_mutex_lock(&m->pool_lock);
	rc->next = m->pool;
	m->pool = rc;
	pthread_mutex_unlock(&m->pool_lock);
}

/* a connection from the pool or a new one, maybe not connected */
static int rm_conn_take(struct rmeta *m, struct rconn **rcp)
{
	struct rconn *rc;

	pthread_mutex_lock(&m->pool_lock);
	rc = m->pool;
	if (rc)
		m->pool = rc->next;
	pthread_mutex_unlock(&m->pool_lock);
	if (!rc) {
		rc = calloc(1, sizeof(*rc));
		if (!rc) {
			jfs_seterr("meta", "redis %s: out of memory", m->addr);
			return -ENOMEM;
		}
	}
	*rcp = rc;
	return 0;
}

/* a connected connection, or the error of connecting, without retries */
static int rm_conn_get(struct rmeta *m, struct rconn **rcp)
{
	struct rconn *rc;
	int ret;

	ret = rm_conn_take(m, &rc);
	if (ret)
		return ret;
	if (!rc->c || rc->c->err) {
		ret = rm_connect(m, rc);
		if (ret) {
			rm_conn_put(m, rc);
			return ret;
		}
	}
	*rcp = rc;
	return 0;
}

static bool rm_dead(const struct rconn *rc)
{
	return !rc->c || rc->c->err;
}

/* ---- helpers: riding out an outage ----------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a failure that another try may get past: the server is away or starting */
static bool rm_retryable(const struct rconn *rc, int ret)
{
	if (rc->transient)
		return true;
	return rm_dead(rc) && ret != -ENOMEM;
}

/*
 * Called after each retryable failure: false once the retry time is
 * spent (the error record then says for how long it was tried).  The
 * first failure is retried at once (a killed connection just reconnects),
 * later ones after 10 ms doubling to 1 s.
 */
static bool rm_retry_wait(struct rmeta *m, struct rm_retry *t)
{
	int64_t now = mono_ms(), left;
	char why[256];
	unsigned int d;

	if (!t->since_ms) {
		t->since_ms = now;
		t->delay_ms = RM_BACKOFF_MIN_MS;
		return true;
	}
	left = t->since_ms + (int64_t)m->base.retry_secs * 1000 - now;
	if (left <= 0) {
		snprintf(why, sizeof(why), "%s", jfs_errmsg());
		jfs_seterr("meta", "%s; still failing after %u s of retries", why,
			   m->base.retry_secs);
		return false;
	}
	if (!atomic_exchange(&m->down, true))
		log_warn("%s; retrying for up to %u s", jfs_errmsg(), m->base.retry_secs);
	d = t->delay_ms < left ? t->delay_ms : (unsigned int)left;
	usleep(d * 1000);
	if (t->delay_ms < RM_BACKOFF_MAX_MS)
		t->delay_ms = t->delay_ms * 2 < RM_BACKOFF_MAX_MS ?
			      t->delay_ms * 2 : RM_BACKOFF_MAX_MS;
	return true;
}

/* an operation went through: the end of an outage is said once */
static void rm_retry_done(struct rmeta *m, const struct rm_retry *t)
{
	if (!atomic_load(&m->down) || !atomic_exchange(&m->down, false))
		return;
	if (t->since_ms)
		log_info("redis %s: back after %.1f s", m->addr,
			 (double)(mono_ms() - t->since_ms) / 1000);
	else
		log_info("redis %s: back", m->addr);
}

/* reconnects rc, waiting out an outage on clock t */
static int rm_reconnect(struct rmeta *m, struct rconn *rc, struct rm_retry *t)
{
	int ret;

	for (;;) {
		ret = rm_connect(m, rc);
		if (!ret)
			return 0;
		if (!rm_retryable(rc, ret) || !rm_retry_wait(m, t))
			return ret;
	}
}

/* ---- helpers: commands and transactions ------------------------------ */

int rm_append(struct rconn *rc, int argc, const char **argv, const size_t *len)
{
	meta_io_count(1, 0);
	rc->unsent = true;
	return redisAppendCommandArgv(rc->c, argc, argv, len);
}

int rm_get_reply(struct rconn *rc, redisReply **r)
{
	if (rc->unsent) {
		meta_io_count(0, 1);
		rc->unsent = false;
	}
	return redisGetReply(rc->c, (void **)r);
}

redisReply *rm_command(struct rconn *rc, int argc, const char **argv, const size_t *len)
{
	meta_io_count(1, 1);
	rc->unsent = false;
	return redisCommandArgv(rc->c, argc, argv, len);
}

int rm_pipe(struct rmeta *m, struct rconn *rc, struct cmd *c, int n, redisReply **r)
{
	int i, ret = 0;

	for (i = 0; i < n; i++)
		r[i] = NULL;
	for (i = 0; i < n; i++)
		if (rm_append(rc, c[i].argc, c[i].argv, c[i].len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c[i]);
	for (i = 0; i < n; i++) {
		if (rm_get_reply(rc, &r[i]) != REDIS_OK || !r[i]) {
			ret = rm_error(m, rc, NULL, &c[i]);
			break;
		}
		if (r[i]->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r[i], &c[i]);
	}
	if (ret)
		for (i = 0; i < n; i++) {
			freeReplyObject(r[i]);
			r[i] = NULL;
		}
	return ret;
}

/* Runs one command; error replies are failures.  The caller frees *rp. */
int rm_call(struct rmeta *m, struct rconn *rc, struct cmd *c,
	    redisReply **rp)
{
	redisReply *r;
	int ret;

	*rp = NULL;
	r = rm_command(rc, c->argc, c->argv, c->len);
	if (!r)
		return rm_error(m, rc, NULL, c);
	if (r->type == REDIS_REPLY_ERROR) {
		ret = rm_error(m, rc, r, c);
		freeReplyObject(r);
		return ret;
	}
	*rp = r;
	return 0;
}

/* Runs a command that reads a string (GET, HGET): -ENOENT when there is none. */
int rm_call_string(struct rmeta *m, struct rconn *rc, struct cmd *c, redisReply **rp)
{
	int ret = rm_call(m, rc, c, rp);

	if (!ret && (*rp)->type != REDIS_REPLY_STRING) {
		freeReplyObject(*rp);
		*rp = NULL;
		ret = -ENOENT;
	}
	return ret;
}

/* Runs a command whose reply is not needed. */
int rm_do(struct rmeta *m, struct rconn *rc, struct cmd *c)
{
	redisReply *r;
	int ret;

	ret = rm_call(m, rc, c, &r);
	freeReplyObject(r);
	return ret;
}

int rm_watch(struct rmeta *m, struct rconn *rc, struct cmd *c)
{
	int ret;

	ret = rm_do(m, rc, c);
	if (!ret)
		rc->watching = true;
	return ret;
}

void rm_tx_multi(struct rconn *rc)
{
	static const char *multi = "MULTI";

	rc->queued = 0;
	/* appends only buffer: a failure (OOM) is sticky and seen at EXEC */
	rm_append(rc, 1, &multi, NULL);
}

void rm_tx_add(struct rconn *rc, struct cmd *c)
{
	if (rm_append(rc, c->argc, c->argv, c->len) == REDIS_OK)
		rc->queued++;
}

/*
 * Sends EXEC and reads the replies of MULTI, the queued commands and EXEC.
 * Returns -EAGAIN when a watched key changed (nil EXEC); on success the
 * EXEC array goes to *out if asked for.
 */
/*
 * The EXEC whose reply was lost: reconnects and reads the marker (see
 * redis.h).  0: it committed; -EAGAIN: it did not, run the body again;
 * else the server stayed away and nobody can tell.
 */
static int rm_tx_settle(struct rmeta *m, struct rconn *rc, uint64_t seq)
{
	struct rm_retry local = { 0 }, *t = rc->retry ? rc->retry : &local;
	char why[256];
	redisReply *r;
	struct cmd c;
	int ret;

	for (;;) {
		if (!rm_retry_wait(m, t)) {
			ret = -EIO;
			break;
		}
		ret = rm_connect(m, rc);
		if (ret) {
			if (rm_retryable(rc, ret))
				continue;
			break;
		}
		rm_cmd_init(&c, "GET");
		rm_cmd_fmt(&c, RM_MARKER "%s", rc->token);
		ret = rm_call(m, rc, &c, &r);
		if (!ret) {
			ret = r->type == REDIS_REPLY_STRING &&
			      (uint64_t)strtoull(r->str, NULL, 10) == seq ? 0 : -EAGAIN;
			freeReplyObject(r);
			return ret;
		}
		if (!rm_retryable(rc, ret))
			break;
	}
	snprintf(why, sizeof(why), "%s", jfs_errmsg());
	jfs_seterr("meta", "%s; a transaction was sent and may or may not have "
		   "committed", why);
	return -EIO;
}

int rm_tx_exec(struct rmeta *m, struct rconn *rc, redisReply **out)
{
	static const char *exec = "EXEC";
	redisReply *r;
	struct cmd what, mark;
	int i, n, ret = 0;
	uint64_t seq;
	size_t j;

	if (out)
		*out = NULL;
	rm_cmd_init(&what, "EXEC");
	if (rm_dead(rc))
		return rm_error(m, rc, NULL, &what);
	/* last, so the bodies' reply indexes stay what they queued */
	seq = ++rc->execs;
	rm_cmd_init(&mark, "SET");
	rm_cmd_fmt(&mark, RM_MARKER "%s", rc->token);
	rm_cmd_fmt(&mark, "%" PRIu64, seq);
	rm_cmd_str(&mark, "EX");
	rm_cmd_fmt(&mark, "%u", m->base.retry_secs + 60);
	rm_tx_add(rc, &mark);
	if (rm_append(rc, 1, &exec, NULL) != REDIS_OK)
		return rm_error(m, rc, NULL, &what);
	rc->watching = false;	/* EXEC always ends the WATCH */
	n = rc->queued + 2;
	for (i = 0; i < n; i++) {
		if (rm_get_reply(rc, &r) != REDIS_OK || !r) {
			/* the server may have run it all: ask the marker */
			rm_error(m, rc, NULL, &what);
			return rm_tx_settle(m, rc, seq);
		}
		if (i < n - 1) {
			/* a command refused at queue time aborts the EXEC */
			if (r->type == REDIS_REPLY_ERROR && !ret)
				ret = rm_error(m, rc, r, &what);
			freeReplyObject(r);
			continue;
		}
		if (ret) {
			freeReplyObject(r);
			return ret;
		}
		if (r->type == REDIS_REPLY_NIL) {
			freeReplyObject(r);
			return -EAGAIN;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			ret = rm_error(m, rc, r, &what);
			freeReplyObject(r);
			return ret;
		}
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			jfs_seterr("meta", "redis %s: unexpected EXEC reply", m->addr);
			return -EIO;
		}
		for (j = 0; j < r->elements; j++) {
			if (r->element[j]->type == REDIS_REPLY_ERROR) {
				ret = rm_error(m, rc, r->element[j], &what);
				freeReplyObject(r);
				return ret;
			}
		}
		if (out)
			*out = r;
		else
			freeReplyObject(r);
	}
	return 0;
}

static uint32_t fnv32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Runs 'body' with a connection.  A transaction body (lockkey = its first
 * watched key) is retried while it returns -EAGAIN (EXEC conflict, or an
 * EXEC in doubt that did not commit); any body is run again while the
 * server is away or starting, for up to base.retry_secs (redis.h).  A
 * body must therefore change nothing outside MULTI/EXEC that it cannot
 * repeat.
 */
int rm_run(struct rmeta *m, const char *lockkey, rm_body body, void *arg)
{
	static const char *unwatch = "UNWATCH";
	struct rm_retry t = { 0 };
	pthread_mutex_t *lk = NULL;
	struct rconn *rc;
	redisReply *r;
	int ret, tries = 0;

	ret = rm_conn_take(m, &rc);
	if (ret)
		return ret;
	rc->retry = &t;
	if (lockkey)
		lk = &m->txn_locks[fnv32(lockkey) % RM_TXN_LOCKS];
	if (!rm_seed)
		rm_seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)&rm_seed;
	for (;;) {
		if (rm_dead(rc)) {
			ret = rm_reconnect(m, rc, &t);
			if (ret)
				break;
		}
		rc->transient = false;
		if (lk)
			pthread_mutex_lock(lk);
		ret = body(m, rc, arg);
		if (lk)
			pthread_mutex_unlock(lk);
		if (rc->watching && !rm_dead(rc)) {
			/* leave the connection clean for its next user */
			r = rm_command(rc, 1, &unwatch, NULL);
			freeReplyObject(r);
			rc->watching = false;
		}
		if (!ret)
			break;
		if (ret != -EAGAIN && rm_retryable(rc, ret)) {
			if (!rm_retry_wait(m, &t))
				break;
			continue;
		}
		if (ret != -EAGAIN)
			break;
		if (++tries >= RM_TXN_RETRIES) {
			jfs_seterr("meta", "redis %s: transaction on '%s' conflicted %d times",
					m->addr, lockkey ? lockkey : "?", tries);
			ret = -EIO;
			break;
		}
		usleep((useconds_t)(rand_r(&rm_seed) % (tries * tries)) * 1000);
	}
	if (!ret)
		rm_retry_done(m, &t);	/* an error reply is an answer, too */
	rc->retry = NULL;
	rm_conn_put(m, rc);
	return ret;
}

/* the transactions on one inode lock on its attr key */
int rm_run_on_ino(struct rmeta *m, uint64_t ino, rm_body body, void *arg)
{
	char key[RM_ARGLEN];

	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	return rm_run(m, key, body, arg);
}

/* ---- helpers: values --------------------------------------------------- */

static void entry_encode(unsigned char buf[9], uint8_t type, uint64_t ino)
{
	int i;

	buf[0] = type;
	for (i = 0; i < 8; i++)
		buf[1 + i] = (unsigned char)(ino >> (56 - 8 * i));
}

int rm_entry_decode(const char *p, size_t len, uint8_t *type, uint64_t *ino)
{
	int i;

	if (len != 9)
		return -EIO;
	*type = (uint8_t)p[0];
	*ino = 0;
	for (i = 0; i < 8; i++)
		*ino = *ino << 8 | (unsigned char)p[1 + i];
	return 0;
}

/* parses a decimal integer reply or bulk string (absent = 0) */
int64_t rm_reply_int(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/* ---- helpers: reads used inside transactions ------------------------- */

/* GET i{ino}; -ENOENT when absent */
/* the reply r of GET i{ino} (command c): -ENOENT when nil */
static int rm_attr_reply(struct rmeta *m, struct cmd *c, redisReply *r,
			 struct meta_attr *a)
{
	if (r->type != REDIS_REPLY_STRING)
		return -ENOENT;
	if (meta_attr_decode((unsigned char *)r->str, r->len, a))
		return rm_bad_value(m, c->argv[1], r->len);
	return 0;
}

int rm_get_attr(struct rmeta *m, struct rconn *rc, uint64_t ino,
		struct meta_attr *a)
{
	redisReply *r;
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "GET");
	rm_cmd_fmt(&c, "i%" PRIu64, ino);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	ret = rm_attr_reply(m, &c, r, a);
	freeReplyObject(r);
	return ret;
}

/*
 * GET i{ino} and EXISTS x{ino} in one round trip: the attributes plus the
 * hint that the inode has no xattrs, which spares the kernel a GETXATTR
 * per 'ls -l' entry.
 */
int rm_get_attr_hint(struct rmeta *m, struct rconn *rc, uint64_t ino,
		     struct meta_attr *a)
{
	redisReply *r[2];
	struct cmd c[2];
	int ret;

	rm_cmd_init(&c[0], "GET");
	rm_cmd_fmt(&c[0], "i%" PRIu64, ino);
	rm_cmd_init(&c[1], "EXISTS");
	rm_cmd_fmt(&c[1], "x%" PRIu64, ino);
	ret = rm_pipe(m, rc, c, 2, r);
	if (ret)
		return ret;
	ret = rm_attr_reply(m, &c[0], r[0], a);
	if (!ret)
		a->no_xattr = r[1]->type == REDIS_REPLY_INTEGER && r[1]->integer == 0;
	freeReplyObject(r[0]);
	freeReplyObject(r[1]);
	return ret;
}

/* the reply r of HGET d{parent} name (command c): -ENOENT when nil */
static int rm_entry_reply(struct rmeta *m, struct cmd *c, redisReply *r,
			  uint8_t *type, uint64_t *ino)
{
	if (r->type != REDIS_REPLY_STRING)
		return -ENOENT;
	if (rm_entry_decode(r->str, r->len, type, ino))
		return rm_bad_value(m, c->argv[1], r->len);
	return 0;
}

/* HGET d{parent} name; -ENOENT when absent */
int rm_get_entry(struct rmeta *m, struct rconn *rc, uint64_t parent,
		 const char *name, size_t len, uint8_t *type, uint64_t *ino)
{
	redisReply *r;
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "HGET");
	rm_cmd_fmt(&c, "d%" PRIu64, parent);
	rm_cmd_bin(&c, name, len);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	ret = rm_entry_reply(m, &c, r, type, ino);
	freeReplyObject(r);
	return ret;
}

/* the parent directory of a namespace change: must exist and be a dir */
int rm_get_dir(struct rmeta *m, struct rconn *rc, uint64_t ino,
	       struct meta_attr *a)
{
	int ret;

	ret = rm_get_attr(m, rc, ino, a);
	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	return ret;
}

/* WATCH the key c reads (its first argument), then run c: a check-then-MULTI's read */
int rm_watch_call(struct rmeta *m, struct rconn *rc, struct cmd *c, redisReply **r)
{
	struct cmd w;
	int ret;

	rm_cmd_init(&w, "WATCH");
	rm_cmd_bin(&w, c->argv[1], c->len[1]);
	ret = rm_watch(m, rc, &w);
	return ret ? ret : rm_call(m, rc, c, r);
}

/* WATCH a hash and read one field of it */
int rm_watch_hget(struct rmeta *m, struct rconn *rc, const char *key,
		  const char *field, redisReply **r)
{
	struct cmd c;

	rm_cmd_init(&c, "HGET");
	rm_cmd_str(&c, key);
	rm_cmd_str(&c, field);
	return rm_watch_call(m, rc, &c, r);
}

int rm_watch_keys(struct rmeta *m, struct rconn *rc, const char *fmt1,
		  uint64_t a1, const char *fmt2, uint64_t a2)
{
	struct cmd c;

	rm_cmd_init(&c, "WATCH");
	rm_cmd_fmt(&c, fmt1, a1);
	if (fmt2)
		rm_cmd_fmt(&c, fmt2, a2);
	return rm_watch(m, rc, &c);
}

int rm_call_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct call_arg *a = arg;

	freeReplyObject(a->r);
	a->r = NULL;
	return rm_call(m, rc, &a->c, &a->r);
}

/* ---- helpers: base.c's reads (struct meta_ns_io, ctx: an rm_tx) ------- */

/*
 * WATCH i{ino} d{ino}, GET i{ino} and, for the hinted dir, HGET d{ino}
 * name: one round trip for what a namespace change reads first.
 */
static int tx_get_dir(void *ctx, uint64_t ino, struct meta_attr *a)
{
	struct rm_tx *x = ctx;
	bool hint = x->hint_parent == ino && x->hint_ret == 1;
	redisReply *r[3];
	struct cmd c[3];
	int n = 2, i, ret;

	rm_cmd_init(&c[0], "WATCH");
	rm_cmd_fmt(&c[0], "i%" PRIu64, ino);
	rm_cmd_fmt(&c[0], "d%" PRIu64, ino);
	rm_cmd_init(&c[1], "GET");
	rm_cmd_fmt(&c[1], "i%" PRIu64, ino);
	if (hint) {
		rm_cmd_init(&c[2], "HGET");
		rm_cmd_fmt(&c[2], "d%" PRIu64, ino);
		rm_cmd_bin(&c[2], x->hint_name, x->hint_len);
		n = 3;
	}
	x->rc->watching = true;	/* at worst an extra UNWATCH */
	ret = rm_pipe(x->m, x->rc, c, n, r);
	if (ret)
		return ret;
	ret = rm_attr_reply(x->m, &c[1], r[1], a);
	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	if (!ret && hint) {
		x->hint_ret = rm_entry_reply(x->m, &c[2], r[2], &x->hint_type,
					     &x->hint_ino);
		if (x->hint_ret && x->hint_ret != -ENOENT)
			ret = x->hint_ret;
	}
	for (i = 0; i < n; i++)
		freeReplyObject(r[i]);
	return ret;
}

static bool tx_hinted(struct rm_tx *x, uint64_t parent, const char *name, size_t len)
{
	return x->hint_ret != 1 && x->hint_parent == parent &&
	       x->hint_len == len && !memcmp(x->hint_name, name, len);
}

/* WATCH i{ino} and GET i{ino}, in one round trip */
static int tx_get_attr(void *ctx, uint64_t ino, struct meta_attr *a)
{
	struct rm_tx *x = ctx;
	redisReply *r[2];
	struct cmd c[2];
	int ret;

	rm_cmd_init(&c[0], "WATCH");
	rm_cmd_fmt(&c[0], "i%" PRIu64, ino);
	rm_cmd_init(&c[1], "GET");
	rm_cmd_fmt(&c[1], "i%" PRIu64, ino);
	x->rc->watching = true;	/* at worst an extra UNWATCH */
	ret = rm_pipe(x->m, x->rc, c, 2, r);
	if (ret)
		return ret;
	ret = rm_attr_reply(x->m, &c[1], r[1], a);
	freeReplyObject(r[0]);
	freeReplyObject(r[1]);
	return ret;
}

/* the dir was watched by tx_get_dir */
static int tx_get_entry(void *ctx, uint64_t parent, const char *name, size_t len,
			uint8_t *type, uint64_t *ino)
{
	struct rm_tx *x = ctx;

	if (tx_hinted(x, parent, name, len)) {
		*type = x->hint_type;
		*ino = x->hint_ino;
		return x->hint_ret;
	}
	return rm_get_entry(x->m, x->rc, parent, name, len, type, ino);
}

/* HEXISTS d{dir} name */
static int tx_has_entry(void *ctx, uint64_t dir, const char *name, size_t len,
			bool *yes)
{
	struct rm_tx *x = ctx;
	redisReply *r;
	struct cmd c;
	int ret;

	if (tx_hinted(x, dir, name, len)) {
		*yes = x->hint_ret == 0;
		return 0;
	}
	rm_cmd_init(&c, "HEXISTS");
	rm_cmd_fmt(&c, "d%" PRIu64, dir);
	rm_cmd_bin(&c, name, len);
	ret = rm_call(x->m, x->rc, &c, &r);
	if (ret)
		return ret;
	*yes = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return 0;
}

/* WATCH d{ino}; HLEN d{ino} */
static int tx_dir_empty(void *ctx, uint64_t ino)
{
	struct rm_tx *x = ctx;
	redisReply *r;
	struct cmd c;
	int ret;

	ret = rm_watch_keys(x->m, x->rc, "d%" PRIu64, ino, NULL, 0);
	if (ret)
		return ret;
	rm_cmd_init(&c, "HLEN");
	rm_cmd_fmt(&c, "d%" PRIu64, ino);
	ret = rm_call(x->m, x->rc, &c, &r);
	if (ret)
		return ret;
	ret = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? -ENOTEMPTY : 0;
	freeReplyObject(r);
	return ret;
}

static int tx_load_chunk(void *ctx, uint64_t ino, uint32_t indx, size_t front,
			 struct meta_slice **s, size_t *n)
{
	struct rm_tx *x = ctx;

	return rm_chunk_list(x->m, x->rc, ino, indx, front, s, n);
}

void rm_tx_io(struct rm_tx *x, struct rmeta *m, struct rconn *rc)
{
	x->m = m;
	x->rc = rc;
	x->acl = (struct meta_acl_io){ rm_acl_get, rm_acl_insert, x };
	x->ns = (struct meta_ns_io){ tx_get_dir, tx_get_attr, tx_get_entry, tx_has_entry,
				     tx_dir_empty, tx_load_chunk, x };
	x->hint_parent = 0;
	x->hint_ret = 1;
}

void rm_tx_hint(struct rm_tx *x, uint64_t parent, const char *name, size_t len)
{
	x->hint_parent = parent;
	x->hint_name = name;
	x->hint_len = len;
	x->hint_ret = 1;
}

/* ---- helpers: queued writes ------------------------------------------ */

void rm_q_set_attr(struct rconn *rc, uint64_t ino, const struct meta_attr *a)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct cmd c;

	rm_cmd_init(&c, "SET");
	rm_cmd_fmt(&c, "i%" PRIu64, ino);
	rm_cmd_bin(&c, buf, meta_attr_encode(a, buf));
	rm_tx_add(rc, &c);
}

void rm_q_key(struct rconn *rc, const char *op, const char *fmt, uint64_t ino)
{
	struct cmd c;

	rm_cmd_init(&c, op);
	rm_cmd_fmt(&c, fmt, ino);
	rm_tx_add(rc, &c);
}

void rm_q_incrby(struct rconn *rc, const char *key, int64_t delta)
{
	struct cmd c;

	if (!delta)
		return;
	rm_cmd_init(&c, "INCRBY");
	rm_cmd_str(&c, key);
	rm_cmd_fmt(&c, "%" PRId64, delta);
	rm_tx_add(rc, &c);
}

void rm_q_hincrby_parent(struct rconn *rc, uint64_t ino, uint64_t parent,
			 int delta)
{
	struct cmd c;

	rm_cmd_init(&c, "HINCRBY");
	rm_cmd_fmt(&c, "p%" PRIu64, ino);
	rm_cmd_fmt(&c, "%" PRIu64, parent);
	rm_cmd_fmt(&c, "%d", delta);
	rm_tx_add(rc, &c);
}

void rm_q_entry(struct rconn *rc, uint64_t parent, const char *name,
		size_t len, uint8_t type, uint64_t ino)
{
	unsigned char buf[9];
	struct cmd c;

	entry_encode(buf, type, ino);
	rm_cmd_init(&c, "HSET");
	rm_cmd_fmt(&c, "d%" PRIu64, parent);
	rm_cmd_bin(&c, name, len);
	rm_cmd_bin(&c, buf, sizeof(buf));
	rm_tx_add(rc, &c);
}

void rm_q_hdel_entry(struct rconn *rc, uint64_t parent, const char *name,
		     size_t len)
{
	struct cmd c;

	rm_cmd_init(&c, "HDEL");
	rm_cmd_fmt(&c, "d%" PRIu64, parent);
	rm_cmd_bin(&c, name, len);
	rm_tx_add(rc, &c);
}

void rm_q_delfile(struct rconn *rc, uint64_t ino, uint64_t length,
		  const struct timespec *now)
{
	struct cmd c;

	rm_cmd_init(&c, "ZADD");
	rm_cmd_str(&c, "delfiles");
	rm_cmd_fmt(&c, "%lld", (long long)now->tv_sec);
	rm_cmd_fmt(&c, "%" PRIu64 ":%" PRIu64, ino, length);
	rm_tx_add(rc, &c);
}

void rm_q_sustain(struct rconn *rc, uint64_t sid, uint64_t ino, const char *op)
{
	struct cmd c;

	rm_cmd_init(&c, op);
	rm_cmd_fmt(&c, "session%" PRIu64, sid);
	rm_cmd_fmt(&c, "%" PRIu64, ino);
	rm_tx_add(rc, &c);
}

/* a new dir starts with empty stats, as JuiceFS's doMknod writes them */
void rm_q_zero_dir_stats(struct rconn *rc, uint64_t ino)
{
	static const char *const hashes[] = {
		"dirUsedInodes", "dirDataLength", "dirUsedSpace",
	};
	struct cmd c;
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		rm_cmd_init(&c, "HSET");
		rm_cmd_str(&c, hashes[i]);
		rm_cmd_fmt(&c, "%" PRIu64, ino);
		rm_cmd_str(&c, "0");
		rm_tx_add(rc, &c);
	}
}

/* the dir-stat and quota fields JuiceFS keeps per directory */
void rm_q_forget_dir(struct rconn *rc, uint64_t ino)
{
	static const char *const hashes[] = {
		"dirDataLength", "dirUsedSpace", "dirUsedInodes",
		"dirQuota", "dirQuotaUsedSpace", "dirQuotaUsedInodes",
	};
	struct cmd c;
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		rm_cmd_init(&c, "HDEL");
		rm_cmd_str(&c, hashes[i]);
		rm_cmd_fmt(&c, "%" PRIu64, ino);
		rm_tx_add(rc, &c);
	}
}

/*
 * Queues the removal of one link to 'ino' (not a directory) whose attr is
 * 'a', from 'parent', as JuiceFS's unlink does: nlink--, and on the last
 * link either keep it as sustained (open in this session) or delete it.
 * Sets *free_data when the caller must free the file's chunks afterwards.
 */
void rm_q_drop_link(struct rmeta *m, struct rconn *rc, uint64_t ino,
		    struct meta_attr *a, uint64_t parent,
		    const struct timespec *now, bool *free_data)
{
	*free_data = false;
	meta_set_ctime(a, now);
	if (a->nlink > 0)
		a->nlink--;
	if (a->nlink > 0) {
		if (a->parent == 0)
			rm_q_hincrby_parent(rc, ino, parent, -1);
		rm_q_set_attr(rc, ino, a);
		return;
	}
	if (a->type == META_TYPE_FILE && meta_is_open(&m->base, ino)) {
		/* kept until the last close: release_sustained */
		rm_q_set_attr(rc, ino, a);
		rm_q_sustain(rc, m->base.sid, ino, "SADD");
	} else {
		if (a->type == META_TYPE_FILE) {
			rm_q_delfile(rc, ino, a->length, now);
			*free_data = true;
		} else if (a->type == META_TYPE_SYMLINK) {
			rm_q_key(rc, "DEL", "s%" PRIu64, ino);
		}
		rm_q_key(rc, "DEL", "i%" PRIu64, ino);
		rm_q_incrby(rc, "usedSpace", -(int64_t)meta_align4k(a->length));
		rm_q_incrby(rc, "totalInodes", -1);
	}
	rm_q_key(rc, "DEL", "x%" PRIu64, ino);
	if (a->parent == 0)
		rm_q_key(rc, "DEL", "p%" PRIu64, ino);
}

/* dir-stat delta of one entry of type/length 'a' arriving (+1) or leaving (-1) */
/* ---- helpers: ids ---------------------------------------------------- */

/*
 * Hands out the next id of a batch reserved with INCRBY 'key' 'batch':
 * the counter holds the last id given out, so INCRBY's result V owns
 * V-batch+1 .. V.  Ids below 'min' are skipped.
 */
int rm_alloc_id(struct rmeta *m, struct rconn *rc, const char *key,
		uint64_t batch, uint64_t min, uint64_t *next, uint64_t *max,
		uint64_t *id)
{
	redisReply *r;
	struct cmd c;
	int ret = 0;

	pthread_mutex_lock(&m->id_lock);
	while (*max == 0 || *next > *max) {
		rm_cmd_init(&c, "INCRBY");
		rm_cmd_str(&c, key);
		rm_cmd_fmt(&c, "%" PRIu64, batch);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			goto out;
		if (r->type != REDIS_REPLY_INTEGER || r->integer <= 0) {
			freeReplyObject(r);
			ret = rm_bad_value(m, key, 0);
			goto out;
		}
		*max = (uint64_t)r->integer;
		*next = *max >= batch ? *max - batch + 1 : 1;
		if (*next < min)
			*next = min;
		freeReplyObject(r);
	}
	*id = (*next)++;
out:
	pthread_mutex_unlock(&m->id_lock);
	return ret;
}

int rm_alloc_ino(struct rmeta *m, struct rconn *rc, uint64_t *ino)
{
	return rm_alloc_id(m, rc, "nextinode", RM_INODE_BATCH, 2, &m->ino_next,
			&m->ino_max, ino);
}

/* ---- operations: open and close ---------------------------------------- */

/* a clean close leaves no marker behind: the database is JuiceFS's alone */
static void rm_drop_marker(struct rconn *rc)
{
	char key[RM_ARGLEN];
	const char *argv[2] = { "DEL", key };
	size_t len[2] = { 3, 0 };

	if (!rc->execs || rm_dead(rc))
		return;
	len[1] = (size_t)snprintf(key, sizeof(key), RM_MARKER "%s", rc->token);
	freeReplyObject(rm_command(rc, 2, argv, len));
}

static void rm_free(struct rmeta *m)
{
	struct rconn *rc;
	int i;

	rm_unwatch_changes(&m->base);
	while ((rc = m->pool)) {
		m->pool = rc->next;
		rm_drop_marker(rc);
		if (rc->c)
			redisFree(rc->c);
		free(rc);
	}
	pthread_mutex_destroy(&m->pool_lock);
	pthread_mutex_destroy(&m->id_lock);
	pthread_mutex_destroy(&m->acl_lock);
	while (m->nacls)
		free(m->acls[--m->nacls].buf);
	free(m->acls);
	for (i = 0; i < RM_TXN_LOCKS; i++)
		pthread_mutex_destroy(&m->txn_locks[i]);
	free(m->host);
	free(m->path);
	free(m->user);
	if (m->pass)
		explicit_bzero(m->pass, strlen(m->pass));
	free(m->pass);
	free(m);
}

static int parse_db(const char *s, int *db)
{
	char *end;
	long v;

	if (!*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1 << 20 || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	*db = (int)v;
	return 0;
}

static int url_fail(const char *url, const char *why)
{
	char shown[256];

	if (url_redact(url, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "(too long)");
	jfs_seterr("meta", "invalid redis url '%s': %s", shown, why);
	return -EINVAL;
}

/* redis://[user][:pass]@host[:port][/db] or unix:///path.sock[?db=N] */
static int rm_parse_url(struct rmeta *m, const char *url)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *pass = NULL, *path = NULL, *query = NULL, *fileurl = NULL;
	const char *env;
	CURLUcode uc;
	CURLU *u;
	int ret = 0;
	char *tok, *save;

	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (!strncmp(url, "unix://", 7)) {
		/* curl knows no unix:// URLs; a file:// URL has the same shape */
		if (asprintf(&fileurl, "file://%s", url + 7) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		uc = curl_url_set(u, CURLUPART_URL, fileurl, 0);
	} else {
		uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	}
	if (uc) {
		ret = url_fail(url, curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (fileurl) {
		if (!path || !path[0] || !strcmp(path, "/")) {
			ret = url_fail(url, "no socket path");
			goto out;
		}
		m->path = strdup(path);
		snprintf(m->addr, sizeof(m->addr), "%s", path);
	} else {
		if (strcmp(scheme, "redis")) {
			ret = url_fail(url, "unsupported scheme");
			goto out;
		}
		curl_url_get(u, CURLUPART_HOST, &host, 0);
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
		curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE);
		if (!host || !host[0]) {
			ret = url_fail(url, "no host");
			goto out;
		}
		m->port = port ? atoi(port) : RM_DEFAULT_PORT;
		if (m->port <= 0) {
			ret = url_fail(url, "bad port");
			goto out;
		}
		/* curl keeps an IPv6 literal in brackets, getaddrinfo wants none */
		if (host[0] == '[') {
			m->host = strndup(host + 1, strlen(host) - 2);
			snprintf(m->addr, sizeof(m->addr), "%s:%d", host, m->port);
		} else {
			m->host = strdup(host);
			snprintf(m->addr, sizeof(m->addr), "%s:%d", host, m->port);
		}
		if (path && path[0] == '/' && parse_db(path + 1, &m->db)) {
			ret = url_fail(url, "bad database number");
			goto out;
		}
		if (user && user[0])
			m->user = strdup(user);
		if (pass && pass[0])
			m->pass = strdup(pass);
	}
	for (tok = query ? strtok_r(query, "&", &save) : NULL; tok;
	     tok = strtok_r(NULL, "&", &save)) {
		if (!strncmp(tok, "db=", 3) && !parse_db(tok + 3, &m->db))
			continue;
		ret = url_fail(url, "unsupported option in query");
		goto out;
	}
	if (!m->pass) {
		env = getenv("REDIS_PASSWORD");
		if (!env || !env[0])
			env = getenv("META_PASSWORD");
		if (env && env[0])
			m->pass = strdup(env);
	}
	if ((fileurl && !m->path) || (!fileurl && !m->host))
		ret = -ENOMEM;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	curl_free(pass);
	curl_free(path);
	curl_free(query);
	free(fileurl);
	curl_url_cleanup(u);
	return ret;
}

static void rm_close(struct meta *mm)
{
	rm_free((struct rmeta *)mm);
}

static int rm_open(const char *url, struct meta **mp)
{
	struct rmeta *m;
	struct rconn *rc;
	int i, ret;

	*mp = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		jfs_seterr("meta", "out of memory");
		return -ENOMEM;
	}
	m->base.ops = &meta_redis_ops;
	pthread_mutex_init(&m->pool_lock, NULL);
	pthread_mutex_init(&m->id_lock, NULL);
	pthread_mutex_init(&m->acl_lock, NULL);
	for (i = 0; i < RM_TXN_LOCKS; i++)
		pthread_mutex_init(&m->txn_locks[i], NULL);
	ret = rm_parse_url(m, url);
	if (ret) {
		if (ret == -ENOMEM)
			jfs_seterr("meta", "out of memory");
		rm_free(m);
		return ret;
	}
	/* fail at open, with a clear message, when the server is unusable */
	ret = rm_conn_get(m, &rc);
	if (ret) {
		rm_free(m);
		return ret;
	}
	rm_conn_put(m, rc);
	*mp = &m->base;
	return 0;
}

const struct meta_ops meta_redis_ops = {
	.scheme = "redis",
	.open = rm_open,
	.close = rm_close,
	.get_setting = rm_get_setting,
	.init = rm_init,
	.statfs = rm_statfs,
	.count_dir_quotas = rm_count_dir_quotas,
	.watch = rm_watch_changes,
	.unwatch = rm_unwatch_changes,
	.do_session = rm_session,
	.list_sustained = rm_list_sustained,
	.do_release_sustained = rm_release_sustained,
	.do_close_session = rm_close_session,
	.do_list_sessions = rm_list_sessions,
	.stale_sessions = rm_stale_sessions,
	.do_lookup = rm_lookup,
	.do_getattr = rm_getattr,
	.do_setattr = rm_setattr,
	.do_truncate = rm_truncate,
	.do_mknod = rm_mknod,
	.do_link = rm_link,
	.do_unlink = rm_unlink,
	.do_rename = rm_rename,
	.do_readlink = rm_readlink,
	.do_readdir = rm_readdir,
	.free_file_data = rm_free_file_data,
	.get_parents = rm_get_parents,
	.do_getxattr = rm_getxattr,
	.do_setxattr = rm_setxattr,
	.do_listxattr = rm_listxattr,
	.do_removexattr = rm_removexattr,
	.do_get_facl = rm_get_facl,
	.do_set_facl = rm_set_facl,
	.do_getlk = rm_getlk,
	.do_setlk = rm_setlk,
	.do_flock = rm_flock,
	.do_fallocate = rm_fallocate,
	.do_copy_range = rm_copy_range,
	.do_set_if_small = rm_set_if_small,
	.do_update_dir_stats = rm_update_dir_stats,
	.sync_dir_stat = rm_sync_dir_stat,
	.cleanup_deleted_files = rm_cleanup_deleted_files,
	.cleanup_delayed_slices = rm_cleanup_delayed_slices,
	.cleanup_slices = rm_cleanup_slices,
	.new_slice_id = rm_new_slice_id,
	.do_read_chunk = rm_read_chunk,
	.do_write_slice = rm_write_slice,
	.do_compact_chunk = rm_compact_chunk,
	.do_delete_chunk = rm_delete_chunk,
	.delete_slice_ref = rm_delete_slice_ref,
	.scan = rm_scan,
	.get_dir_stat = rm_get_dir_stat,
	.repair_dir = rm_repair_dir,
	.set_volume_stat = rm_set_volume_stat,
	.dump_info = rm_dump_info,
	.load_check = rm_load_check,
	.load_records = rm_load_records,
	.load_reset = rm_load_reset,
};
