/*
 * meta_redis.c - the Redis metadata engine: a JuiceFS volume's metadata in
 * standalone Redis, with exactly JuiceFS's key schema and binary values so
 * the `juicefs` client can share the volume.
 *
 * DESIGN
 *
 * Connections.  hiredis contexts are not thread-safe, so an engine keeps a
 * pool of connections guarded by 'pool_lock'; an operation takes one for
 * its whole duration and gives it back, so a context is only ever used by
 * one thread at a time.  A context whose 'err' is set is dead (hiredis
 * errors are sticky): it is reconnected once and the operation retried.
 *
 * Transactions.  Every change is an optimistic transaction as in JuiceFS's
 * redisMeta.txn: WATCH the keys, read, then MULTI ... EXEC.  A nil EXEC
 * means another client changed a watched key: the whole read-modify-write
 * is run again, up to 50 times with a random quadratic backoff.  Within one
 * engine, transactions on the same first key are serialised on one of 1024
 * local mutexes (as JuiceFS does), so only other clients cause conflicts.
 * The commands between MULTI and EXEC are pipelined: one round trip.
 *
 * Ids.  Inode numbers and slice ids come from batches reserved with INCRBY
 * on 'nextinode' (1024) and 'nextchunk' (4096), handed out under 'id_lock'.
 *
 * Every command goes through redisCommandArgv/redisAppendCommandArgv with
 * explicit lengths: names are arbitrary bytes.
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

#include "acl.h"
#include "meta.h"
#include "plock.h"
#include "url.h"

/* ---- types --------------------------------------------------------- */

#define RM_DEFAULT_PORT		6379
#define RM_CONNECT_TIMEOUT	5	/* seconds */
#define RM_COMMAND_TIMEOUT	30	/* seconds, JuiceFS read-timeout */
#define RM_TXN_RETRIES		50
#define RM_TXN_LOCKS		1024
#define RM_INODE_BATCH		1024
#define RM_SLICE_BATCH		4096
#define RM_SESSION_TTL		60	/* 5 x the 12 s heartbeat */
#define RM_BATCH		1000	/* HSCAN COUNT, MGET and LLEN batches */
#define RM_ARGS			8
#define RM_ARGLEN		48

struct rconn {
	redisContext *c;	/* NULL or dead (err set): reconnect */
	bool watching;		/* WATCH sent, no EXEC yet */
	int queued;		/* commands queued after MULTI */
	struct rconn *next;	/* in the pool */
};

struct rmeta {
	struct meta base;
	char *host;			/* NULL for a unix socket */
	int port;
	char *path;			/* unix socket path */
	char *user;
	char *pass;
	int db;
	char addr[300];			/* "host:port" or the socket path */

	pthread_mutex_t pool_lock;	/* guards pool */
	struct rconn *pool;

	pthread_mutex_t id_lock;	/* guards the four id fields */
	uint64_t ino_next, ino_max;
	uint64_t slice_next, slice_max;

	pthread_mutex_t txn_locks[RM_TXN_LOCKS];

	/* ACL rules by id, as JuiceFS's aclCache: rules never change */
	pthread_mutex_t acl_lock;
	struct rm_acl { uint32_t id; unsigned char *buf; size_t len; } *acls;
	size_t nacls, capacls;
};

/* One command: argv with lengths; small arguments are formatted in 'buf'. */
struct cmd {
	int argc;
	const char *argv[RM_ARGS];
	size_t len[RM_ARGS];
	char buf[RM_ARGS][RM_ARGLEN];
};

typedef int (*rm_body)(struct rmeta *m, struct rconn *rc, void *arg);

/* the engine's ops table, defined at the end and listed by meta.c */
extern const struct meta_ops meta_redis_ops;

/* A slice whose last reference went away while a chunk was deleted. */
struct freed_slice {
	uint64_t id;
	uint32_t size;
};

/* ---- static state --------------------------------------------------- */

/* per-thread seed of the transaction backoff */
static __thread unsigned int rm_seed;

/* ---- helpers: commands ------------------------------------------------ */

static void cmd_bin(struct cmd *c, const void *p, size_t n)
{
	if (c->argc >= RM_ARGS)
		abort();	/* a command built wrong: a bug, not a condition */
	c->argv[c->argc] = p;
	c->len[c->argc] = n;
	c->argc++;
}

static void cmd_str(struct cmd *c, const char *s)
{
	cmd_bin(c, s, strlen(s));
}

static void cmd_init(struct cmd *c, const char *name)
{
	c->argc = 0;
	cmd_str(c, name);
}

/* formats one argument (keys and numbers only, never user data) */
__attribute__((format(printf, 2, 3)))
static void cmd_fmt(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->buf[c->argc], RM_ARGLEN, fmt, ap);
	va_end(ap);
	cmd_bin(c, c->buf[c->argc], n);
}

/* ---- helpers: errors ----------------------------------------------- */

/*
 * The one place where hiredis failures become errnos.  A NULL 'r' means
 * the context failed (transport, timeout, protocol: it is dead now); else
 * 'r' is an error reply from the server.  'c' names the command and key
 * in the message; AUTH is never echoed.
 */
static int rm_error(struct rmeta *m, struct rconn *rc, const redisReply *r,
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
		if (!strncmp(msg, "OOM", 3))
			ret = -ENOSPC;
		else if (!strncmp(msg, "NOAUTH", 6) || !strncmp(msg, "WRONGPASS", 9) ||
			 !strncmp(msg, "NOPERM", 6))
			ret = -EACCES;
		meta_set_errmsg("redis %s: %s%s", m->addr, msg, what);
		return ret;
	}

	if (!rc->c) {
		meta_set_errmsg("redis %s: out of memory", m->addr);
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
	meta_set_errmsg("redis %s: %s%s", m->addr, msg[0] ? msg : "connection failed",
			what);
	return ret;
}

static int rm_bad_value(struct rmeta *m, const char *key, size_t len)
{
	meta_set_errmsg("redis %s: bad value of '%s' (%zu bytes)", m->addr, key, len);
	return -EIO;
}

/* ---- helpers: connections -------------------------------------------- */

static int rm_call(struct rmeta *m, struct rconn *rc, struct cmd *c,
		   redisReply **rp);

static int rm_connect(struct rmeta *m, struct rconn *rc)
{
	struct timeval tv = { RM_CONNECT_TIMEOUT, 0 };
	redisReply *r;
	struct cmd c;
	int ret;

	if (rc->c)
		redisFree(rc->c);
	rc->watching = false;
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
		cmd_init(&c, "AUTH");
		if (m->user && m->user[0])
			cmd_str(&c, m->user);
		cmd_str(&c, m->pass);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		freeReplyObject(r);
	}
	if (m->db) {
		cmd_init(&c, "SELECT");
		cmd_fmt(&c, "%d", m->db);
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

static int rm_conn_get(struct rmeta *m, struct rconn **rcp)
{
	struct rconn *rc;
	int ret;

	pthread_mutex_lock(&m->pool_lock);
	rc = m->pool;
	if (rc)
		m->pool = rc->next;
	pthread_mutex_unlock(&m->pool_lock);
	if (!rc) {
		rc = calloc(1, sizeof(*rc));
		if (!rc) {
			meta_set_errmsg("redis %s: out of memory", m->addr);
			return -ENOMEM;
		}
	}
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

/* ---- helpers: commands and transactions ------------------------------ */

/* Runs one command; error replies are failures.  The caller frees *rp. */
static int rm_call(struct rmeta *m, struct rconn *rc, struct cmd *c,
		   redisReply **rp)
{
	redisReply *r;
	int ret;

	*rp = NULL;
	r = redisCommandArgv(rc->c, c->argc, c->argv, c->len);
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

/* Runs a command whose reply is not needed. */
static int rm_do(struct rmeta *m, struct rconn *rc, struct cmd *c)
{
	redisReply *r;
	int ret;

	ret = rm_call(m, rc, c, &r);
	freeReplyObject(r);
	return ret;
}

static int rm_watch(struct rmeta *m, struct rconn *rc, struct cmd *c)
{
	int ret;

	ret = rm_do(m, rc, c);
	if (!ret)
		rc->watching = true;
	return ret;
}

static void tx_multi(struct rconn *rc)
{
	static const char *multi = "MULTI";

	rc->queued = 0;
	/* appends only buffer: a failure (OOM) is sticky and seen at EXEC */
	redisAppendCommandArgv(rc->c, 1, &multi, NULL);
}

static void tx_add(struct rconn *rc, struct cmd *c)
{
	if (redisAppendCommandArgv(rc->c, c->argc, c->argv, c->len) == REDIS_OK)
		rc->queued++;
}

/*
 * Sends EXEC and reads the replies of MULTI, the queued commands and EXEC.
 * Returns -EAGAIN when a watched key changed (nil EXEC); on success the
 * EXEC array goes to *out if asked for.
 */
static int tx_exec(struct rmeta *m, struct rconn *rc, redisReply **out)
{
	static const char *exec = "EXEC";
	redisReply *r;
	struct cmd what;
	int i, n, ret = 0;
	size_t j;

	if (out)
		*out = NULL;
	cmd_init(&what, "EXEC");
	if (rm_dead(rc) || redisAppendCommandArgv(rc->c, 1, &exec, NULL) != REDIS_OK)
		return rm_error(m, rc, NULL, &what);
	rc->watching = false;	/* EXEC always ends the WATCH */
	n = rc->queued + 2;
	for (i = 0; i < n; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &what);
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
			meta_set_errmsg("redis %s: unexpected EXEC reply", m->addr);
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
 * watched key) is retried while it returns -EAGAIN (EXEC conflict); any
 * body is retried once on a fresh connection when its connection died.
 */
static int rm_run(struct rmeta *m, const char *lockkey, rm_body body, void *arg)
{
	static const char *unwatch = "UNWATCH";
	pthread_mutex_t *lk = NULL;
	struct rconn *rc;
	redisReply *r;
	bool reconnected = false;
	int ret, tries = 0;

	ret = rm_conn_get(m, &rc);
	if (ret)
		return ret;
	if (lockkey)
		lk = &m->txn_locks[fnv32(lockkey) % RM_TXN_LOCKS];
	if (!rm_seed)
		rm_seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)&rm_seed;
	for (;;) {
		if (lk)
			pthread_mutex_lock(lk);
		ret = body(m, rc, arg);
		if (lk)
			pthread_mutex_unlock(lk);
		if (rc->watching && !rm_dead(rc)) {
			/* leave the connection clean for its next user */
			r = redisCommandArgv(rc->c, 1, &unwatch, NULL);
			freeReplyObject(r);
			rc->watching = false;
		}
		if (!ret)
			break;
		if (rm_dead(rc)) {
			if (reconnected)
				break;
			reconnected = true;
			ret = rm_connect(m, rc);
			if (ret)
				break;
			continue;
		}
		if (ret != -EAGAIN)
			break;
		if (++tries >= RM_TXN_RETRIES) {
			meta_set_errmsg("redis %s: transaction on '%s' conflicted %d times",
					m->addr, lockkey ? lockkey : "?", tries);
			ret = -EIO;
			break;
		}
		usleep((useconds_t)(rand_r(&rm_seed) % (tries * tries)) * 1000);
	}
	rm_conn_put(m, rc);
	return ret;
}

/* ---- helpers: values --------------------------------------------------- */

static void entry_encode(unsigned char buf[9], uint8_t type, uint64_t ino)
{
	int i;

	buf[0] = type;
	for (i = 0; i < 8; i++)
		buf[1 + i] = (unsigned char)(ino >> (56 - 8 * i));
}

static int entry_decode(const char *p, size_t len, uint8_t *type, uint64_t *ino)
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
static int64_t reply_int(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/* ---- helpers: reads used inside transactions ------------------------- */

/* GET i{ino}; -ENOENT when absent */
static int get_attr(struct rmeta *m, struct rconn *rc, uint64_t ino,
		    struct meta_attr *a)
{
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "GET");
	cmd_fmt(&c, "i%" PRIu64, ino);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return -ENOENT;
	}
	ret = meta_attr_decode((unsigned char *)r->str, r->len, a);
	if (ret)
		ret = rm_bad_value(m, c.argv[1], r->len);
	freeReplyObject(r);
	return ret;
}

/*
 * GET i{ino} and EXISTS x{ino} in one round trip: the attributes plus the
 * hint that the inode has no xattrs, which spares the kernel a GETXATTR
 * per 'ls -l' entry.
 */
static int get_attr_hint(struct rmeta *m, struct rconn *rc, uint64_t ino,
			 struct meta_attr *a)
{
	redisReply *r[2] = { NULL, NULL };
	struct cmd c[2];
	int i, ret = 0;

	cmd_init(&c[0], "GET");
	cmd_fmt(&c[0], "i%" PRIu64, ino);
	cmd_init(&c[1], "EXISTS");
	cmd_fmt(&c[1], "x%" PRIu64, ino);
	for (i = 0; i < 2; i++)
		if (redisAppendCommandArgv(rc->c, c[i].argc, c[i].argv,
					   c[i].len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c[i]);
	for (i = 0; i < 2; i++) {
		if (redisGetReply(rc->c, (void **)&r[i]) != REDIS_OK || !r[i]) {
			ret = rm_error(m, rc, NULL, &c[i]);
			break;
		}
		if (r[i]->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r[i], &c[i]);
	}
	if (!ret && r[0]->type != REDIS_REPLY_STRING)
		ret = -ENOENT;
	if (!ret && meta_attr_decode((unsigned char *)r[0]->str, r[0]->len, a))
		ret = rm_bad_value(m, c[0].argv[1], r[0]->len);
	if (!ret)
		a->no_xattr = r[1]->type == REDIS_REPLY_INTEGER && r[1]->integer == 0;
	freeReplyObject(r[0]);
	freeReplyObject(r[1]);
	return ret;
}

/* HGET d{parent} name; -ENOENT when absent */
static int get_entry(struct rmeta *m, struct rconn *rc, uint64_t parent,
		     const char *name, size_t len, uint8_t *type, uint64_t *ino)
{
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "HGET");
	cmd_fmt(&c, "d%" PRIu64, parent);
	cmd_bin(&c, name, len);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_STRING)
		ret = -ENOENT;
	else if (entry_decode(r->str, r->len, type, ino))
		ret = rm_bad_value(m, c.argv[1], r->len);
	freeReplyObject(r);
	return ret;
}

/* the parent directory of a namespace change: must exist and be a dir */
static int get_dir(struct rmeta *m, struct rconn *rc, uint64_t ino,
		   struct meta_attr *a)
{
	int ret;

	ret = get_attr(m, rc, ino, a);
	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	return ret;
}

/* WATCH a hash and read one field of it, for a check-then-MULTI */
static int watch_hget(struct rmeta *m, struct rconn *rc, const char *key,
		      const char *field, redisReply **r)
{
	struct cmd c;
	int ret;

	cmd_init(&c, "WATCH");
	cmd_str(&c, key);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	cmd_init(&c, "HGET");
	cmd_str(&c, key);
	cmd_str(&c, field);
	return rm_call(m, rc, &c, r);
}

static int watch_keys(struct rmeta *m, struct rconn *rc, const char *fmt1,
		      uint64_t a1, const char *fmt2, uint64_t a2)
{
	struct cmd c;

	cmd_init(&c, "WATCH");
	cmd_fmt(&c, fmt1, a1);
	if (fmt2)
		cmd_fmt(&c, fmt2, a2);
	return rm_watch(m, rc, &c);
}

/* one plain command whose reply the caller reads (and frees) */
struct call_arg {
	struct cmd c;
	redisReply *r;
};

static int call_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct call_arg *a = arg;

	freeReplyObject(a->r);
	a->r = NULL;
	return rm_call(m, rc, &a->c, &a->r);
}

/* ---- helpers: queued writes ------------------------------------------ */

static void q_set_attr(struct rconn *rc, uint64_t ino, const struct meta_attr *a)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct cmd c;

	cmd_init(&c, "SET");
	cmd_fmt(&c, "i%" PRIu64, ino);
	cmd_bin(&c, buf, meta_attr_encode(a, buf));
	tx_add(rc, &c);
}

static void q_key(struct rconn *rc, const char *op, const char *fmt, uint64_t ino)
{
	struct cmd c;

	cmd_init(&c, op);
	cmd_fmt(&c, fmt, ino);
	tx_add(rc, &c);
}

static void q_incrby(struct rconn *rc, const char *key, int64_t delta)
{
	struct cmd c;

	if (!delta)
		return;
	cmd_init(&c, "INCRBY");
	cmd_str(&c, key);
	cmd_fmt(&c, "%" PRId64, delta);
	tx_add(rc, &c);
}

static void q_hincrby_parent(struct rconn *rc, uint64_t ino, uint64_t parent,
			     int delta)
{
	struct cmd c;

	cmd_init(&c, "HINCRBY");
	cmd_fmt(&c, "p%" PRIu64, ino);
	cmd_fmt(&c, "%" PRIu64, parent);
	cmd_fmt(&c, "%d", delta);
	tx_add(rc, &c);
}

static void q_entry(struct rconn *rc, uint64_t parent, const char *name,
		    size_t len, uint8_t type, uint64_t ino)
{
	unsigned char buf[9];
	struct cmd c;

	entry_encode(buf, type, ino);
	cmd_init(&c, "HSET");
	cmd_fmt(&c, "d%" PRIu64, parent);
	cmd_bin(&c, name, len);
	cmd_bin(&c, buf, sizeof(buf));
	tx_add(rc, &c);
}

static void q_hdel_entry(struct rconn *rc, uint64_t parent, const char *name,
			 size_t len)
{
	struct cmd c;

	cmd_init(&c, "HDEL");
	cmd_fmt(&c, "d%" PRIu64, parent);
	cmd_bin(&c, name, len);
	tx_add(rc, &c);
}

static void q_delfile(struct rconn *rc, uint64_t ino, uint64_t length,
		      const struct timespec *now)
{
	struct cmd c;

	cmd_init(&c, "ZADD");
	cmd_str(&c, "delfiles");
	cmd_fmt(&c, "%lld", (long long)now->tv_sec);
	cmd_fmt(&c, "%" PRIu64 ":%" PRIu64, ino, length);
	tx_add(rc, &c);
}

static void q_sustain(struct rconn *rc, uint64_t sid, uint64_t ino, const char *op)
{
	struct cmd c;

	cmd_init(&c, op);
	cmd_fmt(&c, "session%" PRIu64, sid);
	cmd_fmt(&c, "%" PRIu64, ino);
	tx_add(rc, &c);
}

/* a new dir starts with empty stats, as JuiceFS's doMknod writes them */
static void q_zero_dir_stats(struct rconn *rc, uint64_t ino)
{
	static const char *const hashes[] = {
		"dirUsedInodes", "dirDataLength", "dirUsedSpace",
	};
	struct cmd c;
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		cmd_init(&c, "HSET");
		cmd_str(&c, hashes[i]);
		cmd_fmt(&c, "%" PRIu64, ino);
		cmd_str(&c, "0");
		tx_add(rc, &c);
	}
}

/* the dir-stat and quota fields JuiceFS keeps per directory */
static void q_forget_dir(struct rconn *rc, uint64_t ino)
{
	static const char *const hashes[] = {
		"dirDataLength", "dirUsedSpace", "dirUsedInodes",
		"dirQuota", "dirQuotaUsedSpace", "dirQuotaUsedInodes",
	};
	struct cmd c;
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		cmd_init(&c, "HDEL");
		cmd_str(&c, hashes[i]);
		cmd_fmt(&c, "%" PRIu64, ino);
		tx_add(rc, &c);
	}
}

/*
 * Queues the removal of one link to 'ino' (not a directory) whose attr is
 * 'a', from 'parent', as JuiceFS's unlink does: nlink--, and on the last
 * link either keep it as sustained (open in this session) or delete it.
 * Sets *free_data when the caller must free the file's chunks afterwards.
 */
static void q_drop_link(struct rmeta *m, struct rconn *rc, uint64_t ino,
			struct meta_attr *a, uint64_t parent,
			const struct timespec *now, bool *free_data)
{
	*free_data = false;
	meta_set_ctime(a, now);
	if (a->nlink > 0)
		a->nlink--;
	if (a->nlink > 0) {
		if (a->parent == 0)
			q_hincrby_parent(rc, ino, parent, -1);
		q_set_attr(rc, ino, a);
		return;
	}
	if (a->type == META_TYPE_FILE && meta_is_open(&m->base, ino)) {
		/* kept until the last close: release_sustained */
		q_set_attr(rc, ino, a);
		q_sustain(rc, m->base.sid, ino, "SADD");
	} else {
		if (a->type == META_TYPE_FILE) {
			q_delfile(rc, ino, a->length, now);
			*free_data = true;
		} else if (a->type == META_TYPE_SYMLINK) {
			q_key(rc, "DEL", "s%" PRIu64, ino);
		}
		q_key(rc, "DEL", "i%" PRIu64, ino);
		q_incrby(rc, "usedSpace", -(int64_t)meta_align4k(a->length));
		q_incrby(rc, "totalInodes", -1);
	}
	q_key(rc, "DEL", "x%" PRIu64, ino);
	if (a->parent == 0)
		q_key(rc, "DEL", "p%" PRIu64, ino);
}

/* dir-stat delta of one entry of type/length 'a' arriving (+1) or leaving (-1) */
/* ---- helpers: freeing data ------------------------------------------- */

struct delchunk_arg {
	uint64_t ino;
	uint32_t indx;
	struct freed_slice *freed;	/* out: refcount went below zero */
	size_t nfreed;
};

/* spec 5.6 deleteChunk: DEL the list and drop one reference per record */
static int delchunk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct delchunk_arg *a = arg;
	struct freed_slice *cand = NULL;
	redisReply *r = NULL, *ex = NULL;
	struct meta_slice s;
	struct cmd c;
	size_t i, n = 0;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	c.argv[0] = "LRANGE";
	c.len[0] = 6;
	cmd_str(&c, "0");
	cmd_str(&c, "-1");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		goto out;
	cand = calloc(r->elements, sizeof(*cand));
	if (!cand) {
		ret = -ENOMEM;
		goto out;
	}
	tx_multi(rc);
	c.argv[0] = "DEL";
	c.len[0] = 3;
	c.argc = 2;
	tx_add(rc, &c);
	for (i = 0; i < r->elements; i++) {
		struct cmd h;

		if (r->element[i]->len != 24)
			continue;	/* corrupt record: nothing to release */
		meta_slice_decode((unsigned char *)r->element[i]->str, &s);
		if (!s.id)
			continue;
		cand[n].id = s.id;
		cand[n].size = s.size;
		n++;
		cmd_init(&h, "HINCRBY");
		cmd_str(&h, "sliceRef");
		cmd_fmt(&h, "k%" PRIu64 "_%" PRIu32, s.id, s.size);
		cmd_str(&h, "-1");
		tx_add(rc, &h);
	}
	ret = tx_exec(m, rc, &ex);
	if (ret)
		goto out;
	for (i = 0; i < n && i + 1 < ex->elements; i++) {
		if (reply_int(ex->element[i + 1]) < 0)
			cand[a->nfreed++] = cand[i];
	}
	a->freed = cand;
	cand = NULL;
out:
	free(cand);
	freeReplyObject(ex);
	freeReplyObject(r);
	return ret;
}

struct slice_del_arg {
	struct freed_slice s;
};

static int hdel_ref_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct slice_del_arg *a = arg;
	struct cmd c;

	cmd_init(&c, "HDEL");
	cmd_str(&c, "sliceRef");
	cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, a->s.id, a->s.size);
	return rm_do(m, rc, &c);
}

static int delete_chunk(struct rmeta *m, uint64_t ino, uint32_t indx)
{
	struct delchunk_arg a = { .ino = ino, .indx = indx };
	struct slice_del_arg d;
	char key[RM_ARGLEN];
	size_t i;
	int ret;

	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	ret = rm_run(m, key, delchunk_body, &a);
	for (i = 0; !ret && i < a.nfreed; i++) {
		/* without a deleter the negative ref is left for `juicefs gc` */
		if (!m->base.hooks.delete_slice ||
		    m->base.hooks.delete_slice(m->base.hooks.arg, a.freed[i].id,
					       a.freed[i].size))
			continue;
		d.s = a.freed[i];
		ret = rm_run(m, NULL, hdel_ref_body, &d);
	}
	free(a.freed);
	return ret;
}

struct llen_arg {
	uint64_t ino;
	uint32_t first, count;
	bool *nonempty;
};

/* pipelined LLEN of a batch of chunk lists: skips never-written chunks */
static int llen_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct llen_arg *a = arg;
	redisReply *r;
	struct cmd c;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < a->count; i++) {
		cmd_init(&c, "LLEN");
		cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->first + i);
		if (redisAppendCommandArgv(rc->c, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < a->count; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &c);
		if (r->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r, &c);
		a->nonempty[i] = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
	}
	return ret;
}

static int zrem_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const uint64_t *v = arg;
	struct cmd c;

	cmd_init(&c, "ZREM");
	cmd_str(&c, "delfiles");
	cmd_fmt(&c, "%" PRIu64 ":%" PRIu64, v[0], v[1]);
	return rm_do(m, rc, &c);
}

/*
 * doDeleteFileData: free the chunks below ceil(length / 64 MiB) of a file
 * already removed from the namespace, then drop its delfiles entry.
 */
static int free_file_data(struct rmeta *m, uint64_t ino, uint64_t length)
{
	bool nonempty[RM_BATCH];
	uint64_t nchunks = (length + META_CHUNK_SIZE - 1) / META_CHUNK_SIZE;
	uint64_t v[2] = { ino, length };
	struct llen_arg la = { .ino = ino, .nonempty = nonempty };
	uint64_t first;
	uint32_t i;
	int ret = 0;

	for (first = 0; first < nchunks && !ret; first += RM_BATCH) {
		la.first = (uint32_t)first;
		la.count = (uint32_t)(nchunks - first < RM_BATCH ?
				      nchunks - first : RM_BATCH);
		ret = rm_run(m, NULL, llen_body, &la);
		for (i = 0; !ret && i < la.count; i++)
			if (nonempty[i])
				ret = delete_chunk(m, ino, la.first + i);
	}
	if (ret)	/* delfiles keeps the entry for a later cleanup */
		return ret;
	return rm_run(m, NULL, zrem_body, v);
}

/* ---- helpers: ids ---------------------------------------------------- */

/*
 * Hands out the next id of a batch reserved with INCRBY 'key' 'batch':
 * the counter holds the last id given out, so INCRBY's result V owns
 * V-batch+1 .. V.  Ids below 'min' are skipped.
 */
static int alloc_id(struct rmeta *m, struct rconn *rc, const char *key,
		    uint64_t batch, uint64_t min, uint64_t *next, uint64_t *max,
		    uint64_t *id)
{
	redisReply *r;
	struct cmd c;
	int ret = 0;

	pthread_mutex_lock(&m->id_lock);
	while (*max == 0 || *next > *max) {
		cmd_init(&c, "INCRBY");
		cmd_str(&c, key);
		cmd_fmt(&c, "%" PRIu64, batch);
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

static int alloc_ino(struct rmeta *m, struct rconn *rc, uint64_t *ino)
{
	return alloc_id(m, rc, "nextinode", RM_INODE_BATCH, 2, &m->ino_next,
			&m->ino_max, ino);
}

/* ---- operations: volume ------------------------------------------------ */

static int rm_bad_reply(struct rmeta *m, const char *key)
{
	meta_set_errmsg("redis %s: unexpected reply for '%s'", m->addr, key);
	return -EIO;
}

struct str_arg {
	char **out;
	size_t *len;
	const char *key;
};

static int get_string_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct str_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "GET");
	cmd_str(&c, a->key);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return -ENOENT;
	}
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

static int rm_get_setting(struct meta *mm, char **json)
{
	struct str_arg a = { .out = json, .key = "setting" };

	*json = NULL;
	return rm_run((struct rmeta *)mm, NULL, get_string_body, &a);
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
	tx_multi(rc);
	cmd_init(&c, "SET");
	cmd_str(&c, "setting");
	cmd_str(&c, a->json);
	tx_add(rc, &c);

	meta_new_dir_attr(&attr, 0777, &now);
	cmd_init(&c, "SET");
	cmd_fmt(&c, "i%" PRIu64, (uint64_t)META_ROOT_INO);
	cmd_bin(&c, buf, meta_attr_encode(&attr, buf));
	cmd_str(&c, "NX");
	tx_add(rc, &c);
	if (a->trash) {
		unsigned char tbuf[META_ATTR_MAX_BYTES];

		meta_new_dir_attr(&attr, 0555, &now);
		cmd_init(&c, "SET");
		cmd_fmt(&c, "i%" PRIu64, (uint64_t)META_TRASH_INO);
		cmd_bin(&c, tbuf, meta_attr_encode(&attr, tbuf));
		cmd_str(&c, "NX");
		tx_add(rc, &c);
	}
	ret = tx_exec(m, rc, NULL);
	return ret;
}

static int rm_init(struct meta *mm, const char *json, bool trash)
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

	cmd_init(&c, "MGET");
	cmd_str(&c, "usedSpace");
	cmd_str(&c, "totalInodes");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		freeReplyObject(r);
		return rm_bad_reply(m, "usedSpace");
	}
	/* counters can go briefly negative under concurrent cleanup */
	v = reply_int(r->element[0]);
	*a->space = v > 0 ? (uint64_t)v : 0;
	v = reply_int(r->element[1]);
	*a->inodes = v > 0 ? (uint64_t)v : 0;
	freeReplyObject(r);
	return 0;
}

static int rm_statfs(struct meta *mm, uint64_t *used_space, uint64_t *used_inodes)
{
	struct statfs_arg a = { used_space, used_inodes };

	return rm_run((struct rmeta *)mm, NULL, statfs_body, &a);
}

static int rm_count_dir_quotas(struct meta *mm, uint64_t *n)
{
	struct call_arg a = { .r = NULL };
	int ret;

	cmd_init(&a.c, "HLEN");
	cmd_str(&a.c, "dirQuota");
	ret = rm_run((struct rmeta *)mm, NULL, call_body, &a);
	if (!ret && a.r->type != REDIS_REPLY_INTEGER)
		ret = rm_bad_reply((struct rmeta *)mm, "dirQuota");
	*n = ret || a.r->integer < 0 ? 0 : (uint64_t)a.r->integer;
	freeReplyObject(a.r);
	return ret;
}

/* ---- operations: sessions ---------------------------------------------- */

struct session_arg {
	uint64_t sid;
	const char *info;
	bool create;
};

static int session_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct session_arg *a = arg;
	struct timespec now;
	redisReply *r;
	struct cmd c;
	int ret;

	if (a->create && !a->sid) {
		cmd_init(&c, "INCR");
		cmd_str(&c, "nextsession");
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
	tx_multi(rc);
	cmd_init(&c, "ZADD");
	cmd_str(&c, "allSessions");
	cmd_fmt(&c, "%lld", (long long)now.tv_sec + RM_SESSION_TTL);
	cmd_fmt(&c, "%" PRIu64, a->sid);
	tx_add(rc, &c);
	if (a->info) {
		/* a refresh only restores a lost record, as JuiceFS's HSETNX */
		cmd_init(&c, a->create ? "HSET" : "HSETNX");
		cmd_str(&c, "sessionInfos");
		cmd_fmt(&c, "%" PRIu64, a->sid);
		cmd_str(&c, a->info);
		tx_add(rc, &c);
	}
	return tx_exec(m, rc, NULL);
}

static int rm_new_session(struct meta *mm, const char *info_json, uint64_t *sid)
{
	struct session_arg a = { .info = info_json, .create = true };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, session_body, &a);
	if (!ret) {
		*sid = a.sid;
		mm->sid = a.sid;
	}
	return ret;
}

static int rm_refresh_session(struct meta *mm, uint64_t sid, const char *info_json)
{
	struct session_arg a = { .sid = sid, .info = info_json };

	return rm_run((struct rmeta *)mm, NULL, session_body, &a);
}

struct sustained_arg {
	uint64_t sid, ino;
	bool free_data;		/* out */
	uint64_t length;	/* out */
};

/* spec 6.6 doDeleteSustainedInode */
static int sustained_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct sustained_arg *a = arg;
	struct meta_attr attr;
	struct timespec now;
	int ret;

	a->free_data = false;
	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (ret)
		return ret;
	ret = get_attr(m, rc, a->ino, &attr);
	if (ret && ret != -ENOENT)
		return ret;
	meta_now(&now);
	tx_multi(rc);
	if (!ret && attr.nlink == 0) {
		q_delfile(rc, a->ino, attr.length, &now);
		q_key(rc, "DEL", "i%" PRIu64, a->ino);
		q_incrby(rc, "usedSpace", -(int64_t)meta_align4k(attr.length));
		q_incrby(rc, "totalInodes", -1);
		a->free_data = true;
		a->length = attr.length;
	}
	/* gone already, or linked again: just forget it */
	q_sustain(rc, a->sid, a->ino, "SREM");
	return tx_exec(m, rc, NULL);
}

static int release_sustained_sid(struct rmeta *m, uint64_t sid, uint64_t ino)
{
	struct sustained_arg a = { .sid = sid, .ino = ino };
	char key[RM_ARGLEN];
	int ret;

	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run(m, key, sustained_body, &a);
	if (!ret && a.free_data)
		ret = free_file_data(m, ino, a.length);
	return ret;
}

static int rm_release_sustained(struct meta *mm, uint64_t ino)
{
	return release_sustained_sid((struct rmeta *)mm, mm->sid, ino);
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

struct unlock_arg {
	uint64_t sid;
};

/* removes the session's lock fields ("{sid}_{owner}") from every key in locked{sid} */
static int unlock_body(struct rmeta *m, struct rconn *rc, void *arg)
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
	cmd_init(&c, "SMEMBERS");
	cmd_fmt(&c, "locked%" PRIu64, a->sid);
	ret = rm_call(m, rc, &c, &keys);
	if (ret)
		return ret;
	for (i = 0; keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++) {
		cmd_init(&c, "HKEYS");
		cmd_bin(&c, keys->element[i]->str, keys->element[i]->len);
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
			r = redisCommandArgv(rc->c, (int)n, argv, lens);
			if (!r || r->type == REDIS_REPLY_ERROR) {
				cmd_init(&c, "HDEL");
				cmd_bin(&c, keys->element[i]->str, keys->element[i]->len);
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

	tx_multi(rc);
	cmd_init(&c, "HDEL");
	cmd_str(&c, "sessionInfos");
	cmd_fmt(&c, "%" PRIu64, *sid);
	tx_add(rc, &c);
	cmd_init(&c, "ZREM");
	cmd_str(&c, "allSessions");
	cmd_fmt(&c, "%" PRIu64, *sid);
	tx_add(rc, &c);
	cmd_init(&c, "DEL");
	cmd_fmt(&c, "session%" PRIu64, *sid);
	cmd_fmt(&c, "locked%" PRIu64, *sid);
	tx_add(rc, &c);
	return tx_exec(m, rc, NULL);
}

/* what a clean unmount or stale-session cleanup does for one session */
static int close_session(struct rmeta *m, uint64_t sid)
{
	struct unlock_arg ua = { sid };
	struct members_arg ma = { .v = NULL };
	size_t i;
	int ret;

	cmd_init(&ma.c, "SMEMBERS");
	cmd_fmt(&ma.c, "session%" PRIu64, sid);
	ret = rm_run(m, NULL, members_body, &ma);
	for (i = 0; !ret && i < ma.n; i++)
		ret = release_sustained_sid(m, sid, ma.v[i]);
	free(ma.v);
	if (!ret)
		ret = rm_run(m, NULL, unlock_body, &ua);
	if (!ret)
		ret = rm_run(m, NULL, end_session_body, &sid);
	return ret;
}

static int rm_close_session(struct meta *mm, uint64_t sid)
{
	int ret;

	ret = close_session((struct rmeta *)mm, sid);
	if (!ret && sid == mm->sid)
		mm->sid = 0;
	return ret;
}

struct list_arg {
	struct meta_session_info *s;
	size_t n;
};

static int list_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct list_arg *a = arg;
	struct members_arg ma;
	struct meta_session_info *s;
	redisReply *r, *info;
	struct cmd c;
	size_t i;
	int ret;

	meta_free_sessions(a->s, a->n);
	a->s = NULL;
	a->n = 0;
	cmd_init(&c, "ZRANGE");
	cmd_str(&c, "allSessions");
	cmd_str(&c, "0");
	cmd_str(&c, "-1");
	cmd_str(&c, "WITHSCORES");
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

		cmd_init(&c, "HGET");
		cmd_str(&c, "sessionInfos");
		cmd_fmt(&c, "%" PRIu64, s->sid);
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
		cmd_init(&ma.c, "SMEMBERS");
		cmd_fmt(&ma.c, "session%" PRIu64, s->sid);
		if (!ret)
			ret = members_body(m, rc, &ma);
		s->sustained = ma.v;
		s->nsustained = ma.n;
	}
	freeReplyObject(r);
	return ret;
}

static int rm_list_sessions(struct meta *mm, struct meta_session_info **s, size_t *n)
{
	struct list_arg a = { NULL, 0 };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, list_body, &a);
	if (ret) {
		meta_free_sessions(a.s, a.n);
		a.s = NULL;
		a.n = 0;
	}
	*s = a.s;
	*n = a.n;
	return ret;
}

static int rm_cleanup_stale_sessions(struct meta *mm)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct members_arg ma = { .v = NULL };
	struct timespec now;
	size_t i;
	int ret;

	meta_now(&now);
	cmd_init(&ma.c, "ZRANGEBYSCORE");
	cmd_str(&ma.c, "allSessions");
	cmd_str(&ma.c, "-inf");
	cmd_fmt(&ma.c, "(%lld", (long long)now.tv_sec);
	cmd_str(&ma.c, "LIMIT");
	cmd_str(&ma.c, "0");
	cmd_str(&ma.c, "1000");
	ret = rm_run(m, NULL, members_body, &ma);
	for (i = 0; !ret && i < ma.n; i++) {
		/* our own late heartbeat is not a dead client: refresh fixes it */
		if (ma.v[i] == mm->sid)
			continue;
		ret = close_session(m, ma.v[i]);
	}
	free(ma.v);
	return ret;
}

/* ---- operations: background upkeep ------------------------------------ */

struct small_arg {
	const char *key;
	int64_t value, diff;
	bool won;
};

/* spec 6.10 setIfSmall: the leader election of the periodic jobs */
static int small_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct small_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int64_t old;
	int ret;

	a->won = false;
	cmd_init(&c, "WATCH");
	cmd_str(&c, a->key);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	c.argv[0] = "GET";
	c.len[0] = 3;
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	old = r->type == REDIS_REPLY_STRING ? reply_int(r) : 0;
	freeReplyObject(r);
	if (old > a->value - a->diff)
		return 0;
	tx_multi(rc);
	cmd_init(&c, "SET");
	cmd_str(&c, a->key);
	cmd_fmt(&c, "%lld", (long long)a->value);
	tx_add(rc, &c);
	ret = tx_exec(m, rc, NULL);
	a->won = !ret;
	return ret;
}

static int rm_set_if_small(struct meta *mm, const char *key, int64_t value,
			   int64_t diff, bool *won)
{
	struct small_arg a = { .key = key, .value = value, .diff = diff };
	int ret;

	if (strlen(key) >= RM_ARGLEN)
		return -EINVAL;
	ret = rm_run((struct rmeta *)mm, key, small_body, &a);
	*won = !ret && a.won;
	return ret;
}

struct syncstat_arg {
	struct meta_dirstat st;
	bool gone;
};

/* doSyncDirStat: HSET the recount unless the dir is gone meanwhile */
static int syncstat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	static const char *const keys[] = { "dirDataLength", "dirUsedSpace", "dirUsedInodes" };
	struct syncstat_arg *a = arg;
	const int64_t v[] = { a->st.length, a->st.space, a->st.inodes };
	struct meta_attr attr;
	struct cmd c;
	size_t i;
	int ret;

	a->gone = false;
	ret = watch_keys(m, rc, "i%" PRIu64, a->st.ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->st.ino, &attr);
	if (ret == -ENOENT) {
		a->gone = true;
		return 0;
	}
	if (ret)
		return ret;
	tx_multi(rc);
	for (i = 0; i < 3; i++) {
		cmd_init(&c, "HSET");
		cmd_str(&c, keys[i]);
		cmd_fmt(&c, "%" PRIu64, a->st.ino);
		cmd_fmt(&c, "%lld", (long long)v[i]);
		tx_add(rc, &c);
	}
	return tx_exec(m, rc, NULL);
}

/* calcDirStat: a dir without stats is recounted from its entries */
static int sync_dir_stat(struct rmeta *m, uint64_t ino)
{
	struct syncstat_arg a = { .st.ino = ino };
	struct meta_dirent *e = NULL;
	char key[RM_ARGLEN];
	size_t n = 0, i;
	int ret;

	ret = meta_redis_ops.readdir(&m->base, ino, true, &e, &n);
	if (ret)
		return ret == -ENOENT || ret == -ENOTDIR ? 0 : ret;
	for (i = 0; i < n; i++) {
		uint64_t len = e[i].attr.type == META_TYPE_FILE ? e[i].attr.length : 0;

		a.st.inodes++;
		a.st.length += (int64_t)len;
		a.st.space += (int64_t)meta_align4k(len);
	}
	meta_free_dirents(e, n);
	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	return rm_run(m, key, syncstat_body, &a);
}

struct dirstat_arg {
	const struct meta_dirstat *d;
	size_t n;
	bool *missing;		/* out: no stats yet, recount instead */
};

/* doUpdateDirStat: which dirs have stats, then HINCRBY theirs (pipelined) */
static int dirstat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	static const char *const keys[] = { "dirDataLength", "dirUsedSpace", "dirUsedInodes" };
	struct dirstat_arg *a = arg;
	size_t i, k, sent = 0;
	redisReply *r;
	struct cmd c;
	int ret = 0;

	for (i = 0; i < a->n; i++) {
		cmd_init(&c, "HEXISTS");
		cmd_str(&c, "dirUsedSpace");
		cmd_fmt(&c, "%" PRIu64, a->d[i].ino);
		if (redisAppendCommandArgv(rc->c, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < a->n; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &c);
		if (r->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r, &c);
		a->missing[i] = !(r->type == REDIS_REPLY_INTEGER && r->integer > 0);
		freeReplyObject(r);
	}
	if (ret)
		return ret;
	for (i = 0; i < a->n; i++) {
		const int64_t v[] = { a->d[i].length, a->d[i].space, a->d[i].inodes };

		for (k = 0; k < 3 && !a->missing[i]; k++) {
			if (!v[k])
				continue;
			cmd_init(&c, "HINCRBY");
			cmd_str(&c, keys[k]);
			cmd_fmt(&c, "%" PRIu64, a->d[i].ino);
			cmd_fmt(&c, "%lld", (long long)v[k]);
			if (redisAppendCommandArgv(rc->c, c.argc, c.argv, c.len) != REDIS_OK)
				return rm_error(m, rc, NULL, &c);
			sent++;
		}
	}
	for (i = 0; i < sent; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r)
			return rm_error(m, rc, NULL, &c);
		if (r->type == REDIS_REPLY_ERROR && !ret)
			ret = rm_error(m, rc, r, &c);
		freeReplyObject(r);
	}
	return ret;
}

static int rm_update_dir_stats(struct meta *mm, const struct meta_dirstat *d, size_t n)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct dirstat_arg a = { .d = d, .n = n };
	size_t i;
	int ret;

	a.missing = calloc(n, sizeof(*a.missing));
	if (!a.missing)
		return -ENOMEM;
	/* a failure after some HINCRBYs must not re-add them: no retry here */
	ret = rm_run(m, NULL, dirstat_body, &a);
	for (i = 0; !ret && i < n; i++)
		if (a.missing[i])
			ret = sync_dir_stat(m, d[i].ino);
	free(a.missing);
	return ret;
}

/* the hourly cleanupDeletedFiles: delfiles entries left by crashed clients */
static int rm_cleanup_deleted_files(struct meta *mm, int64_t before, size_t *n)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct call_arg a = { .r = NULL };
	uint64_t ino, len;
	size_t i;
	int ret;

	*n = 0;
	cmd_init(&a.c, "ZRANGEBYSCORE");
	cmd_str(&a.c, "delfiles");
	cmd_str(&a.c, "-inf");
	cmd_fmt(&a.c, "(%lld", (long long)before);
	cmd_str(&a.c, "LIMIT");
	cmd_str(&a.c, "0");
	cmd_str(&a.c, "1000");
	ret = rm_run(m, NULL, call_body, &a);
	for (i = 0; !ret && a.r->type == REDIS_REPLY_ARRAY && i < a.r->elements; i++) {
		const redisReply *e = a.r->element[i];
		char tail;

		/* "ino:length"; anything else is a legacy entry gc handles */
		if (e->type != REDIS_REPLY_STRING ||
		    sscanf(e->str, "%" SCNu64 ":%" SCNu64 "%c", &ino, &len, &tail) != 2)
			continue;
		ret = free_file_data(m, ino, len);
		if (!ret)
			(*n)++;
	}
	freeReplyObject(a.r);
	return ret;
}

struct delayed_arg {
	const char *field;	/* "{newSliceId}_{unixTs}" */
	struct freed_slice *s;	/* out: the slices of the entry */
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
	ret = watch_hget(m, rc, "delSlices", a->field, &r);
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
	tx_multi(rc);
	for (p = (const unsigned char *)r->str; p < (const unsigned char *)r->str + r->len; p += 12) {
		struct freed_slice *s = &a->s[a->n++];

		for (i = 0; i < 8; i++)
			s->id = s->id << 8 | p[i];
		s->size = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
		cmd_init(&c, "HINCRBY");
		cmd_str(&c, "sliceRef");
		cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, s->id, s->size);
		cmd_str(&c, "-1");
		tx_add(rc, &c);
	}
	freeReplyObject(r);
	cmd_init(&c, "HDEL");
	cmd_str(&c, "delSlices");
	cmd_str(&c, a->field);
	tx_add(rc, &c);
	ret = tx_exec(m, rc, &ex);
	for (i = 0; !ret && i < a->n && i < ex->elements; i++)
		a->freed[i] = reply_int(ex->element[i]) < 0;
	freeReplyObject(ex);
	return ret;
}

/* releases one expired delSlices entry; deletes the slices nobody uses */
static int release_delayed(struct rmeta *m, const char *field, size_t *n)
{
	struct delayed_arg a = { .field = field };
	struct slice_del_arg d;
	size_t i;
	int ret;

	ret = rm_run(m, "delSlices", delayed_body, &a);
	for (i = 0; !ret && i < a.n; i++) {
		if (!a.freed[i] || !m->base.hooks.delete_slice ||
		    m->base.hooks.delete_slice(m->base.hooks.arg, a.s[i].id, a.s[i].size))
			continue;	/* a negative ref stays for `juicefs gc` */
		d.s = a.s[i];
		ret = rm_run(m, NULL, hdel_ref_body, &d);
		(*n)++;
	}
	free(a.s);
	free(a.freed);
	return ret;
}

/* the trash job's doCleanupDelayedSlices: HSCAN delSlices for old entries */
/*
 * Calls fn for every (field, value) of hash 'key', HSCAN page by page (a
 * field may come twice while the hash is rehashed); stops at an error.
 */
static int hscan_each(struct rmeta *m, const char *key,
		      int (*fn)(struct rmeta *m, const char *field, const char *val, void *arg),
		      void *arg)
{
	struct call_arg a = { .r = NULL };
	char cursor[32] = "0";
	const redisReply *kv;
	size_t i;
	int ret;

	do {
		cmd_init(&a.c, "HSCAN");
		cmd_str(&a.c, key);
		cmd_str(&a.c, cursor);
		cmd_str(&a.c, "COUNT");
		cmd_str(&a.c, "1000");
		ret = rm_run(m, NULL, call_body, &a);
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
				ret = fn(m, kv->element[i]->str, kv->element[i + 1]->str, arg);
	} while (!ret && strcmp(cursor, "0"));
	freeReplyObject(a.r);
	return ret;
}

struct delayed_scan {
	int64_t before;
	size_t *n;
};

static int delayed_field(struct rmeta *m, const char *field, const char *val, void *arg)
{
	struct delayed_scan *a = arg;
	unsigned long long id, ts;
	char tail;

	if (sscanf(field, "%llu_%llu%c", &id, &ts, &tail) != 2 || (long long)ts >= a->before)
		return 0;
	return release_delayed(m, field, a->n);
}

static int rm_cleanup_delayed_slices(struct meta *mm, int64_t before, size_t *n)
{
	struct delayed_scan a = { .before = before, .n = n };

	*n = 0;
	return hscan_each((struct rmeta *)mm, "delSlices", delayed_field, &a);
}

/* drops a sliceRef field that still says "0" (one reference, as no field) */
static int zero_ref_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const char *field = arg;
	redisReply *r = NULL;
	struct cmd c;
	int ret;

	ret = watch_hget(m, rc, "sliceRef", field, &r);
	if (!ret && !(r->type == REDIS_REPLY_STRING && !strcmp(r->str, "0"))) {
		freeReplyObject(r);
		return 0;	/* changed meanwhile: leave it */
	}
	freeReplyObject(r);
	if (ret)
		return ret;
	tx_multi(rc);
	cmd_init(&c, "HDEL");
	cmd_str(&c, "sliceRef");
	cmd_str(&c, field);
	tx_add(rc, &c);
	return tx_exec(m, rc, NULL);
}

/* one sliceRef field: a negative count is a delete that failed before */
static int cleanup_ref(struct rmeta *m, const char *field, const char *val, void *arg)
{
	size_t *n = arg;
	const struct meta_hooks *h = &m->base.hooks;
	unsigned long long id, size;
	struct slice_del_arg d;
	char tail;
	int ret;

	if (!strcmp(val, "0"))
		return rm_run(m, NULL, zero_ref_body, (void *)field);
	if (val[0] != '-' || sscanf(field, "k%llu_%llu%c", &id, &size, &tail) != 2 ||
	    !id || !size || size > UINT32_MAX)
		return 0;
	if (!h->delete_slice || h->delete_slice(h->arg, id, (uint32_t)size))
		return 0;	/* still there: the next round or `juicefs gc` */
	d.s.id = id;
	d.s.size = (uint32_t)size;
	ret = rm_run(m, NULL, hdel_ref_body, &d);
	if (!ret)
		(*n)++;
	return ret;
}

/* doCleanupSlices: HSCAN sliceRef */
static int rm_cleanup_slices(struct meta *mm, size_t *n)
{
	*n = 0;
	return hscan_each((struct rmeta *)mm, "sliceRef", cleanup_ref, n);
}

/* ---- operations: namespace --------------------------------------------- */

struct lookup_arg {
	uint64_t parent;
	const char *name;
	size_t len;
	uint64_t ino;
	struct meta_attr attr;
};

static int lookup_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lookup_arg *a = arg;
	uint8_t type;
	int ret;

	ret = get_entry(m, rc, a->parent, a->name, a->len, &type, &a->ino);
	if (ret)
		return ret;
	ret = get_attr_hint(m, rc, a->ino, &a->attr);
	if (ret == -ENOENT) {
		/* as JuiceFS: a dangling entry stays visible so it can be removed */
		memset(&a->attr, 0, sizeof(a->attr));
		a->attr.type = type;
		ret = 0;
	}
	return ret;
}

static int rm_lookup(struct meta *mm, uint64_t parent, const char *name, size_t len,
		     uint64_t *ino, struct meta_attr *attr)
{
	struct lookup_arg a = { .parent = parent, .name = name, .len = len };
	int ret;

	ret = meta_check_name(name, len);
	if (ret)
		return ret;
	ret = rm_run((struct rmeta *)mm, NULL, lookup_body, &a);
	if (!ret) {
		*ino = a.ino;
		if (attr)
			*attr = a.attr;
	}
	return ret;
}

struct attr_arg {
	uint64_t ino;
	struct meta_attr attr;
};

static int getattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct attr_arg *a = arg;

	return get_attr_hint(m, rc, a->ino, &a->attr);
}

static int rm_getattr(struct meta *mm, uint64_t ino, struct meta_attr *attr)
{
	struct attr_arg a = { .ino = ino };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, getattr_body, &a);
	if (!ret)
		*attr = a.attr;
	return ret;
}

/* ---- ACL rules (JuiceFS 1.2: the `acl` hash, ids in the attr) ---------- */

/* The cached encoding of rule @id, or NULL; acl_lock held. */
static const struct rm_acl *acl_cached(struct rmeta *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->nacls; i++)
		if (m->acls[i].id == id)
			return &m->acls[i];
	return NULL;
}

static int acl_cache_put(struct rmeta *m, uint32_t id, const void *buf, size_t len)
{
	struct rm_acl *n;
	int ret = 0;

	pthread_mutex_lock(&m->acl_lock);
	if (acl_cached(m, id))
		goto out;
	if (m->nacls == m->capacls) {
		size_t cap = m->capacls ? 2 * m->capacls : 16;

		n = realloc(m->acls, cap * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		m->acls = n;
		m->capacls = cap;
	}
	n = &m->acls[m->nacls];
	n->buf = malloc(len ? len : 1);
	if (!n->buf) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(n->buf, buf, len);
	n->len = len;
	n->id = id;
	m->nacls++;
out:
	pthread_mutex_unlock(&m->acl_lock);
	return ret;
}

/* getACL: rule @id (non-zero) from the cache or HGET acl id */
static int get_acl_rule(struct rmeta *m, struct rconn *rc, uint32_t id,
			struct acl_rule *rule)
{
	const struct rm_acl *a;
	redisReply *r;
	struct cmd c;
	int ret;

	pthread_mutex_lock(&m->acl_lock);
	a = acl_cached(m, id);
	ret = a ? acl_rule_decode(a->buf, a->len, rule) : -ENOENT;
	pthread_mutex_unlock(&m->acl_lock);
	if (ret != -ENOENT)
		return ret == -EIO ? rm_bad_value(m, "acl", 0) : ret;
	cmd_init(&c, "HGET");
	cmd_str(&c, "acl");
	cmd_fmt(&c, "%" PRIu32, id);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_STRING)
		ret = rm_bad_value(m, "acl", 0);	/* an id without its rule */
	else if (acl_rule_decode((unsigned char *)r->str, r->len, rule))
		ret = rm_bad_value(m, "acl", r->len);
	else
		ret = acl_cache_put(m, id, r->str, r->len);
	freeReplyObject(r);
	if (ret)
		acl_rule_free(rule);
	return ret;
}

/* The id of a cached rule equal to @buf, or 0. */
static uint32_t acl_find(struct rmeta *m, const unsigned char *buf, size_t len)
{
	uint32_t id = 0;
	size_t i;

	pthread_mutex_lock(&m->acl_lock);
	for (i = 0; i < m->nacls && !id; i++)
		if (m->acls[i].len == len && !memcmp(m->acls[i].buf, buf, len))
			id = m->acls[i].id;
	pthread_mutex_unlock(&m->acl_lock);
	return id;
}

/* HGETALL acl into the cache: rules other clients made */
static int acl_load_all(struct rmeta *m, struct rconn *rc)
{
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	cmd_init(&c, "HGETALL");
	cmd_str(&c, "acl");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements && !ret; i += 2) {
		redisReply *k = r->element[i], *v = r->element[i + 1];
		unsigned long id;
		char *end;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		id = strtoul(k->str, &end, 10);
		if (*end || !id || id > UINT32_MAX)
			continue;
		ret = acl_cache_put(m, (uint32_t)id, v->str, v->len);
	}
	freeReplyObject(r);
	return ret;
}

/*
 * insertACL: the id of @rule, shared with an identical rule if one is
 * known, else a new one (INCR aclMaxId, HSETNX acl), as redis.go does.
 * Empty rules have id 0.  Runs outside MULTI: a retried transaction finds
 * the rule in the cache.
 */
static int insert_acl(struct rmeta *m, struct rconn *rc, const struct acl_rule *rule,
		      uint32_t *id)
{
	unsigned char *buf;
	redisReply *r;
	struct cmd c;
	size_t len;
	int ret;

	*id = 0;
	if (acl_rule_is_empty(rule))
		return 0;
	ret = acl_rule_encode(rule, &buf, &len);
	if (ret)
		return ret;
	*id = acl_find(m, buf, len);
	if (!*id) {
		ret = acl_load_all(m, rc);
		if (!ret)
			*id = acl_find(m, buf, len);
	}
	if (!ret && !*id) {
		cmd_init(&c, "INCR");
		cmd_str(&c, "aclMaxId");
		ret = rm_call(m, rc, &c, &r);
		if (!ret) {
			if (r->type != REDIS_REPLY_INTEGER || r->integer <= 0 ||
			    r->integer > UINT32_MAX)
				ret = rm_bad_value(m, "aclMaxId", 0);
			else
				*id = (uint32_t)r->integer;
			freeReplyObject(r);
		}
		if (!ret) {
			cmd_init(&c, "HSETNX");
			cmd_str(&c, "acl");
			cmd_fmt(&c, "%" PRIu32, *id);
			cmd_bin(&c, buf, len);
			ret = rm_do(m, rc, &c);
		}
		if (!ret)
			ret = acl_cache_put(m, *id, buf, len);
	}
	free(buf);
	return ret;
}

/* mergeAttr's chmod of a file with an access ACL: the rule follows */
static int chmod_acl(struct rmeta *m, struct rconn *rc, struct meta_attr *t,
		     uint16_t mode)
{
	struct acl_rule rule;
	int ret;

	ret = get_acl_rule(m, rc, t->access_acl, &rule);
	if (ret)
		return ret;
	acl_rule_set_mode(&rule, mode);
	t->mode = (mode & 07000) | acl_rule_get_mode(&rule);
	ret = insert_acl(m, rc, &rule, &t->access_acl);
	acl_rule_free(&rule);
	return ret;
}

/* doMknod under a dir with a default ACL: the child inherits it */
static int inherit_acl(struct rmeta *m, struct rconn *rc, const struct meta_attr *pa,
		       struct meta_attr *t, uint16_t mode)
{
	struct acl_rule def, child;
	int ret;

	ret = get_acl_rule(m, rc, pa->default_acl, &def);
	if (ret)
		return ret;
	if (t->type == META_TYPE_DIR)
		t->default_acl = pa->default_acl;
	if (acl_rule_is_minimal(&def)) {
		t->mode = mode & (07000 | acl_rule_get_mode(&def));
	} else {
		ret = acl_rule_child_access(&def, mode, &child);
		if (!ret) {
			ret = insert_acl(m, rc, &child, &t->access_acl);
			t->mode = (mode & 07000) | acl_rule_get_mode(&child);
			acl_rule_free(&child);
		}
	}
	acl_rule_free(&def);
	return ret;
}

struct setattr_arg {
	uint64_t ino;
	unsigned int set;
	const struct meta_attr *in;
	struct meta_attr out;
};

static int setattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct setattr_arg *a = arg;
	struct meta_attr *t = &a->out;
	struct timespec now;
	int ret;

	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	ret = meta_setattr_check(t, a->set);
	if (ret)
		return ret;
	meta_now(&now);
	if ((a->set & META_SET_MODE) && t->access_acl) {
		ret = chmod_acl(m, rc, t, a->in->mode & 07777);
		if (ret)
			return ret;
	} else if (a->set & META_SET_MODE) {
		t->mode = a->in->mode & 07777;
	}
	meta_setattr_merge(t, a->set, a->in, &now);
	tx_multi(rc);
	q_set_attr(rc, a->ino, t);
	return tx_exec(m, rc, NULL);
}

static int rm_setattr(struct meta *mm, uint64_t ino, unsigned int set,
		      const struct meta_attr *in, struct meta_attr *out)
{
	struct setattr_arg a = { .ino = ino, .set = set, .in = in };
	char key[RM_ARGLEN];
	int ret;

	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run((struct rmeta *)mm, key, setattr_body, &a);
	if (!ret && out)
		*out = a.out;
	return ret;
}

struct truncate_arg {
	uint64_t ino, length;
	uint64_t old;		/* out: the length before */
	struct meta_attr attr;
};


/*
 * updateParentStat: a file's length changed from 'old' to its attr's; its
 * parent dir (every parent, weighted by links, if hard-linked) follows.
 */
static void parent_stat(struct rmeta *m, uint64_t ino, const struct meta_attr *a,
			uint64_t old)
{
	int64_t dlen = (int64_t)a->length - (int64_t)old;
	int64_t dspace = (int64_t)meta_align4k(a->length) - (int64_t)meta_align4k(old);
	struct call_arg pa = { .r = NULL };
	size_t i;

	if (!m->base.dir_stats || (!dlen && !dspace))
		return;
	if (a->parent) {
		meta_dirstat_add(&m->base, a->parent, dlen, dspace, 0);
		return;
	}
	cmd_init(&pa.c, "HGETALL");
	cmd_fmt(&pa.c, "p%" PRIu64, ino);
	if (rm_run(m, NULL, call_body, &pa))
		return;		/* `juicefs fsck --sync-dir-stat` can repair */
	for (i = 0; pa.r->type == REDIS_REPLY_ARRAY && i + 1 < pa.r->elements; i += 2) {
		uint64_t p = strtoull(pa.r->element[i]->str ? pa.r->element[i]->str : "0",
				      NULL, 10);
		int64_t k = reply_int(pa.r->element[i + 1]);

		if (p && k > 0)
			meta_dirstat_add(&m->base, p, dlen * k, dspace * k, 0);
	}
	freeReplyObject(pa.r);
}

static void q_zero_slice(struct rconn *rc, const char *op, uint64_t ino,
			 uint64_t indx, uint32_t pos, uint32_t len)
{
	struct meta_slice s = { .pos = pos, .len = len };
	unsigned char buf[24];
	struct cmd c;

	meta_slice_encode(&s, buf);
	cmd_init(&c, op);
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu64, ino, indx);
	cmd_bin(&c, buf, sizeof(buf));
	tx_add(rc, &c);
}

/* spec 5.4: zero records mask [left, right) so old data never reappears */
static int truncate_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct truncate_arg *a = arg;
	struct meta_attr *t = &a->attr;
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t left, right, l, k, old;
	struct timespec now;
	int ret;

	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	if (t->type != META_TYPE_FILE || meta_is_immutable(t))
		return -EPERM;
	a->old = t->length;
	if (t->length == a->length)
		return 0;
	old = t->length;
	left = old < a->length ? old : a->length;
	right = old < a->length ? a->length : old;
	meta_now(&now);
	t->length = a->length;
	meta_set_mtime(t, &now);
	meta_set_ctime(t, &now);

	tx_multi(rc);
	q_set_attr(rc, a->ino, t);
	l = right - left;
	if (right > (left / cs + 1) * cs)
		l = cs - left % cs;
	q_zero_slice(rc, "RPUSH", a->ino, left / cs, (uint32_t)(left % cs), (uint32_t)l);
	/* whole chunks in between: only lists that exist can hold old data */
	if (right > (left / cs + 1) * cs && right - left > cs)
		for (k = left / cs + 1; k < right / cs; k++)
			q_zero_slice(rc, "RPUSHX", a->ino, k, 0, (uint32_t)cs);
	if (right > (left / cs + 1) * cs && right % cs > 0)
		q_zero_slice(rc, "RPUSH", a->ino, right / cs, 0, (uint32_t)(right % cs));
	q_incrby(rc, "usedSpace",
		 (int64_t)meta_align4k(a->length) - (int64_t)meta_align4k(old));
	return tx_exec(m, rc, NULL);
}

static int rm_truncate(struct meta *mm, uint64_t ino, uint64_t length,
		       struct meta_attr *attr)
{
	struct truncate_arg a = { .ino = ino, .length = length };
	char key[RM_ARGLEN];
	int ret;

	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run((struct rmeta *)mm, key, truncate_body, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	parent_stat((struct rmeta *)mm, ino, &a.attr, a.old);
	return 0;
}

/* INCR nextTrash: hour dirs take the inodes after the trash's own */
static int alloc_trash_ino(struct rmeta *m, struct rconn *rc, uint64_t *ino)
{
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "INCR");
	cmd_str(&c, "nextTrash");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_INTEGER || r->integer <= 0 ||
	    (uint64_t)r->integer > UINT64_MAX - META_TRASH_INO)
		ret = rm_bad_value(m, "nextTrash", 0);
	else
		*ino = META_TRASH_INO + (uint64_t)r->integer;
	freeReplyObject(r);
	return ret;
}

static int mknod_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_mknod *a = arg;
	struct meta_attr pa, *t = &a->attr;
	struct timespec now;
	uint8_t etype;
	uint64_t eino;
	struct cmd c;
	int ret;

	if (!a->ino) {
		ret = a->trash_hour ? alloc_trash_ino(m, rc, &a->ino) :
			alloc_ino(m, rc, &a->ino);
		if (ret)
			return ret;
	}
	ret = watch_keys(m, rc, "i%" PRIu64, a->parent, "d%" PRIu64, a->parent);
	if (!ret)
		ret = get_dir(m, rc, a->parent, &pa);
	if (ret)
		return ret;
	if (meta_is_immutable(&pa))
		return -EPERM;
	ret = get_entry(m, rc, a->parent, a->name, a->len, &etype, &eino);
	if (ret != -ENOENT)
		return ret ? ret : -EEXIST;

	meta_mknod_mode(a);
	if (pa.default_acl && a->type != META_TYPE_SYMLINK) {
		ret = inherit_acl(m, rc, &pa, t, a->mode & 07777);
		if (ret)
			return ret;
	}
	meta_now(&now);
	meta_mknod_attr(a, &pa, &now);

	tx_multi(rc);
	q_set_attr(rc, a->ino, t);
	if (!a->trash_hour)	/* JuiceFS leaves .trash's own attr alone */
		q_set_attr(rc, a->parent, &pa);
	if (a->type == META_TYPE_SYMLINK) {
		cmd_init(&c, "SET");
		cmd_fmt(&c, "s%" PRIu64, a->ino);
		cmd_bin(&c, a->target, a->targetlen);
		tx_add(rc, &c);
	}
	q_entry(rc, a->parent, a->name, a->len, a->type, a->ino);
	if (a->type == META_TYPE_DIR)
		q_zero_dir_stats(rc, a->ino);
	q_incrby(rc, "usedSpace", (int64_t)meta_align4k(t->length));
	q_incrby(rc, "totalInodes", 1);
	return tx_exec(m, rc, NULL);
}

static int rm_mknod(struct meta *mm, uint64_t parent, const char *name, size_t len,
		    uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid,
		    uint32_t gid, uint32_t rdev, const char *target, size_t targetlen,
		    uint64_t *ino, struct meta_attr *attr)
{
	struct meta_mknod a = {
		.parent = parent, .name = name, .len = len, .type = type,
		.mode = mode, .cumask = cumask, .uid = uid, .gid = gid, .rdev = rdev,
		.target = target, .targetlen = targetlen,
	};
	char key[RM_ARGLEN];
	int ret;

	ret = meta_mknod_check(&a);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "i%" PRIu64, parent);
	ret = rm_run((struct rmeta *)mm, key, mknod_body, &a);
	if (!ret) {
		*ino = a.ino;
		if (attr)
			*attr = a.attr;
		meta_dirstat_add(mm, parent, 0, 4096, 1);
	}
	return ret;
}

static int rm_new_trash_dir(struct meta *mm, const char *name, uint64_t *ino)
{
	struct meta_mknod a = {
		.parent = META_TRASH_INO, .name = name, .len = strlen(name),
		.type = META_TYPE_DIR, .mode = 0555, .trash_hour = true,
	};
	char key[RM_ARGLEN];
	int ret;

	ret = meta_mknod_check(&a);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "i%" PRIu64, (uint64_t)META_TRASH_INO);
	ret = rm_run((struct rmeta *)mm, key, mknod_body, &a);
	if (!ret)
		*ino = a.ino;
	return ret;
}

struct link_arg {
	uint64_t ino, parent;
	const char *name;
	size_t len;
	struct meta_attr attr;
};

static int link_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct link_arg *a = arg;
	struct meta_attr pa, *t = &a->attr;
	struct timespec now;
	uint8_t etype;
	uint64_t eino;
	struct cmd c;
	int ret;

	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "i%" PRIu64, a->parent);
	cmd_fmt(&c, "d%" PRIu64, a->parent);
	cmd_fmt(&c, "i%" PRIu64, a->ino);
	ret = rm_watch(m, rc, &c);
	if (!ret)
		ret = get_dir(m, rc, a->parent, &pa);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	if (t->type == META_TYPE_DIR)
		return -EPERM;
	if (t->nlink == 0)
		return -ENOENT;
	if (meta_is_immutable(t) || meta_is_immutable(&pa))
		return -EPERM;
	ret = get_entry(m, rc, a->parent, a->name, a->len, &etype, &eino);
	if (ret != -ENOENT)
		return ret ? ret : -EEXIST;

	meta_now(&now);
	tx_multi(rc);
	/* first extra link: the parents move to p{ino} (spec 2.2) */
	if (t->parent > 0)
		q_hincrby_parent(rc, a->ino, t->parent, 1);
	t->parent = 0;
	q_hincrby_parent(rc, a->ino, a->parent, 1);
	t->nlink++;
	meta_set_ctime(t, &now);
	meta_set_mtime(&pa, &now);
	meta_set_ctime(&pa, &now);
	q_entry(rc, a->parent, a->name, a->len, t->type, a->ino);
	q_set_attr(rc, a->parent, &pa);
	q_set_attr(rc, a->ino, t);
	return tx_exec(m, rc, NULL);
}

static int rm_link(struct meta *mm, uint64_t ino, uint64_t newparent,
		   const char *name, size_t len, struct meta_attr *attr)
{
	struct link_arg a = { .ino = ino, .parent = newparent, .name = name, .len = len };
	char key[RM_ARGLEN];
	int ret;

	ret = meta_check_name(name, len);
	if (ret)
		return ret;
	if (meta_is_trash(newparent))
		return -EPERM;
	snprintf(key, sizeof(key), "i%" PRIu64, newparent);
	ret = rm_run((struct rmeta *)mm, key, link_body, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	meta_stat_entry(mm, newparent, &a.attr, 1);
	return 0;
}

struct unlink_arg {
	uint64_t parent;
	const char *name;
	size_t len;
	bool dir;		/* rmdir */
	uint64_t trash;		/* hour dir to move it to, 0: delete */
	bool free_data;		/* out */
	uint64_t ino, length;	/* out, when free_data */
	bool removed;		/* out: an entry with an attr went away */
	struct meta_attr attr;	/* out: its attr */
};

/* HEXISTS d{dir} name */
static int has_entry(struct rmeta *m, struct rconn *rc, uint64_t dir,
		     const char *name, size_t len, bool *yes)
{
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "HEXISTS");
	cmd_fmt(&c, "d%" PRIu64, dir);
	cmd_bin(&c, name, len);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	*yes = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return 0;
}

/*
 * Queues the move of entry (type, ino, attr t) that leaves 'parent' under
 * 'name' into the trash hour dir 'trash' (spec 6.8): nlink unchanged, the
 * parent reference moves to the hour dir.
 */
static void q_to_trash(struct rconn *rc, uint64_t trash, uint64_t parent,
		       const char *name, size_t len, uint8_t type, uint64_t ino,
		       struct meta_attr *t, const struct timespec *now)
{
	char tname[META_MAX_NAME + 1];
	size_t tlen;

	meta_set_ctime(t, now);
	if (t->parent > 0) {
		t->parent = trash;
	} else {
		q_hincrby_parent(rc, ino, trash, 1);
		q_hincrby_parent(rc, ino, parent, -1);
	}
	q_set_attr(rc, ino, t);
	tlen = meta_trash_entry(tname, parent, ino, name, len);
	q_entry(rc, trash, tname, tlen, type, ino);
}

/*
 * Whether a deletion of (ino, attr t) from 'parent' goes to the trash:
 * not for chattr +s files, nor for a hard link whose trash name is taken
 * (JuiceFS then really unlinks that link).
 */
static int use_trash(struct rmeta *m, struct rconn *rc, uint64_t trash,
		     uint64_t parent, const char *name, size_t len, uint64_t ino,
		     const struct meta_attr *t, bool *yes)
{
	char tname[META_MAX_NAME + 1];
	size_t tlen;
	bool taken;
	int ret;

	*yes = false;
	if (!trash || (t->flags & META_FLAG_SKIP_TRASH))
		return 0;
	if (t->type != META_TYPE_DIR && t->nlink > 1) {
		tlen = meta_trash_entry(tname, parent, ino, name, len);
		ret = has_entry(m, rc, trash, tname, tlen, &taken);
		if (ret || taken)
			return ret;
	}
	*yes = true;
	return 0;
}

static int unlink_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct unlink_arg *a = arg;
	struct meta_attr pa, t;
	struct timespec now;
	redisReply *r;
	uint8_t type;
	uint64_t ino;
	bool have_attr, trash;
	struct cmd c;
	int ret;

	a->free_data = false;
	ret = watch_keys(m, rc, "i%" PRIu64, a->parent, "d%" PRIu64, a->parent);
	if (!ret)
		ret = get_dir(m, rc, a->parent, &pa);
	if (!ret)
		ret = get_entry(m, rc, a->parent, a->name, a->len, &type, &ino);
	if (ret)
		return ret;
	if (a->dir && type != META_TYPE_DIR)
		return -ENOTDIR;
	if (!a->dir && type == META_TYPE_DIR)
		return -EPERM;	/* POSIX unlink(2) on a directory, as JuiceFS */

	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "i%" PRIu64, ino);
	if (a->dir)
		cmd_fmt(&c, "d%" PRIu64, ino);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	if (a->dir) {
		cmd_init(&c, "HLEN");
		cmd_fmt(&c, "d%" PRIu64, ino);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		ret = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? -ENOTEMPTY : 0;
		freeReplyObject(r);
		if (ret)
			return ret;
	}
	ret = get_attr(m, rc, ino, &t);
	if (ret && ret != -ENOENT)
		return ret;
	have_attr = !ret;	/* a dangling entry is just removed */
	if (meta_is_immutable(&pa) || (have_attr && meta_is_immutable(&t)))
		return -EPERM;
	trash = false;
	if (have_attr) {
		ret = use_trash(m, rc, a->trash, a->parent, a->name, a->len, ino,
				&t, &trash);
		if (ret)
			return ret;
	}

	meta_now(&now);
	meta_set_mtime(&pa, &now);
	meta_set_ctime(&pa, &now);
	tx_multi(rc);
	q_hdel_entry(rc, a->parent, a->name, a->len);
	a->attr = t;
	if (a->dir) {
		if (pa.nlink > 2)
			pa.nlink--;
		q_forget_dir(rc, ino);
		if (trash) {
			q_to_trash(rc, a->trash, a->parent, a->name, a->len, type,
				   ino, &t, &now);
		} else {
			q_key(rc, "DEL", "i%" PRIu64, ino);
			q_key(rc, "DEL", "x%" PRIu64, ino);
		}
		if (have_attr && !trash) {
			q_incrby(rc, "usedSpace", -4096);
			q_incrby(rc, "totalInodes", -1);
		}
	} else if (trash) {
		q_to_trash(rc, a->trash, a->parent, a->name, a->len, type, ino,
			   &t, &now);
	} else if (have_attr) {
		q_drop_link(m, rc, ino, &t, a->parent, &now, &a->free_data);
		a->ino = ino;
		a->length = t.length;
	}
	if (!meta_is_trash(a->parent))	/* as JuiceFS: trash attrs stay */
		q_set_attr(rc, a->parent, &pa);
	ret = tx_exec(m, rc, NULL);
	if (ret) {
		a->free_data = false;
		return ret;
	}
	a->removed = have_attr;
	if (!trash)
		a->trash = 0;
	return 0;
}

static int do_unlink(struct meta *mm, uint64_t parent, const char *name, size_t len,
		     bool dir)
{
	struct unlink_arg a = { .parent = parent, .name = name, .len = len, .dir = dir };
	struct rmeta *m = (struct rmeta *)mm;
	char key[RM_ARGLEN];
	int ret;

	ret = meta_check_name(name, len);
	if (!ret)
		ret = meta_trash_dir(mm, parent, &a.trash);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "i%" PRIu64, parent);
	ret = rm_run(m, key, unlink_body, &a);
	if (ret)
		return ret;
	/* the name is gone: a failure to free data leaves it to delfiles */
	if (a.free_data)
		free_file_data(m, a.ino, a.length);
	if (a.removed) {
		meta_stat_entry(mm, parent, &a.attr, -1);
		if (a.trash)
			meta_stat_entry(mm, a.trash, &a.attr, 1);
	}
	return 0;
}

static int rm_unlink(struct meta *mm, uint64_t parent, const char *name, size_t len)
{
	return do_unlink(mm, parent, name, len, false);
}

static int rm_rmdir(struct meta *mm, uint64_t parent, const char *name, size_t len)
{
	return do_unlink(mm, parent, name, len, true);
}

struct rename_arg {
	uint64_t psrc, pdst;
	const char *nsrc, *ndst;
	size_t lsrc, ldst;
	unsigned int flags;
	uint64_t trash;		/* hour dir for a replaced entry, 0: delete */
	bool free_data;		/* out: a replaced file lost its last link */
	uint64_t dino, dlen;
	bool moved, replaced;	/* out: what the committed rename did */
	struct meta_attr sattr, dattr;	/* out: the moved and replaced attrs */
};

/*
 * Moves the parent reference of 'ino' from 'from' to 'to': a directory
 * carries its parent (and counts in the parents' nlink), a single-linked
 * file carries it in Parent, a hard-linked one in p{ino}.
 */
static void move_parent(struct rconn *rc, struct meta_attr *t, uint8_t type,
			uint64_t ino, uint64_t from, uint64_t to,
			struct meta_attr *fa, struct meta_attr *ta)
{
	if (type == META_TYPE_DIR) {
		t->parent = to;
		fa->nlink--;
		ta->nlink++;
	} else if (t->parent) {
		t->parent = to;
	} else {
		q_hincrby_parent(rc, ino, from, -1);
		q_hincrby_parent(rc, ino, to, 1);
	}
}

static int rename_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct rename_arg *a = arg;
	bool same = a->psrc == a->pdst;
	bool exchange = a->flags & META_RENAME_EXCHANGE;
	struct meta_attr spa, dpa_buf, *dpa, sa, da;
	bool have_d = false, have_da = false;
	uint8_t stype, dtype = 0;
	uint64_t sino, dino = 0;
	struct timespec now;
	redisReply *r;
	struct cmd c;
	bool trash = false;
	int ret;

	a->free_data = false;
	a->moved = a->replaced = false;
	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "i%" PRIu64, a->psrc);
	cmd_fmt(&c, "d%" PRIu64, a->psrc);
	if (!same) {
		cmd_fmt(&c, "i%" PRIu64, a->pdst);
		cmd_fmt(&c, "d%" PRIu64, a->pdst);
	}
	ret = rm_watch(m, rc, &c);
	if (!ret)
		ret = get_dir(m, rc, a->psrc, &spa);
	if (ret)
		return ret;
	dpa = same ? &spa : &dpa_buf;
	if (!same) {
		ret = get_dir(m, rc, a->pdst, dpa);
		if (ret)
			return ret;
	}
	ret = get_entry(m, rc, a->psrc, a->nsrc, a->lsrc, &stype, &sino);
	if (ret)
		return ret;
	if (same && a->lsrc == a->ldst && !memcmp(a->nsrc, a->ndst, a->lsrc))
		return 0;
	ret = get_entry(m, rc, a->pdst, a->ndst, a->ldst, &dtype, &dino);
	if (ret && ret != -ENOENT)
		return ret;
	have_d = !ret;
	ret = meta_rename_check(&(struct meta_rename_ends){
		.flags = a->flags, .psrc = a->psrc, .pdst = a->pdst,
		.spa_parent = spa.parent, .dpa_parent = dpa->parent,
		.stype = stype, .dtype = dtype, .sino = sino, .dino = dino,
		.have_dst = have_d });
	if (ret)
		return ret > 0 ? 0 : ret;

	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "i%" PRIu64, sino);
	if (have_d) {
		cmd_fmt(&c, "i%" PRIu64, dino);
		if (dtype == META_TYPE_DIR)
			cmd_fmt(&c, "d%" PRIu64, dino);
	}
	ret = rm_watch(m, rc, &c);
	if (!ret)
		ret = get_attr(m, rc, sino, &sa);
	if (ret)
		return ret;
	if (have_d) {
		ret = get_attr(m, rc, dino, &da);
		if (ret && ret != -ENOENT)
			return ret;
		have_da = !ret;
		if (dtype == META_TYPE_DIR && !exchange) {
			cmd_init(&c, "HLEN");
			cmd_fmt(&c, "d%" PRIu64, dino);
			ret = rm_call(m, rc, &c, &r);
			if (ret)
				return ret;
			ret = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ?
				-ENOTEMPTY : 0;
			freeReplyObject(r);
			if (ret)
				return ret;
		}
	}
	if (meta_is_immutable(&spa) || meta_is_immutable(dpa) || meta_is_immutable(&sa) ||
	    (have_da && meta_is_immutable(&da)))
		return -EPERM;
	if (have_da && !exchange) {
		ret = use_trash(m, rc, a->trash, a->pdst, a->ndst, a->ldst, dino,
				&da, &trash);
		if (ret)
			return ret;
	}
	a->sattr = sa;
	if (have_da)
		a->dattr = da;

	meta_now(&now);
	meta_set_mtime(&spa, &now);
	meta_set_ctime(&spa, &now);
	meta_set_mtime(dpa, &now);
	meta_set_ctime(dpa, &now);
	meta_set_ctime(&sa, &now);

	tx_multi(rc);
	if (exchange) {
		q_entry(rc, a->psrc, a->nsrc, a->lsrc, dtype, dino);
		q_entry(rc, a->pdst, a->ndst, a->ldst, stype, sino);
		if (!same) {
			move_parent(rc, &sa, stype, sino, a->psrc, a->pdst, &spa, dpa);
			if (have_da)
				move_parent(rc, &da, dtype, dino, a->pdst, a->psrc,
					    dpa, &spa);
		}
		if (have_da) {
			meta_set_ctime(&da, &now);
			q_set_attr(rc, dino, &da);
		}
	} else {
		if (trash) {
			if (dtype == META_TYPE_DIR)
				dpa->nlink--;
			q_to_trash(rc, a->trash, a->pdst, a->ndst, a->ldst, dtype,
				   dino, &da, &now);
		} else if (have_d && dtype == META_TYPE_DIR) {
			/* an empty directory is replaced */
			dpa->nlink--;
			q_key(rc, "DEL", "i%" PRIu64, dino);
			q_key(rc, "DEL", "x%" PRIu64, dino);
			q_forget_dir(rc, dino);
			if (have_da) {
				q_incrby(rc, "usedSpace", -4096);
				q_incrby(rc, "totalInodes", -1);
			}
		} else if (have_da) {
			q_drop_link(m, rc, dino, &da, a->pdst, &now, &a->free_data);
			a->dino = dino;
			a->dlen = da.length;
		}
		q_hdel_entry(rc, a->psrc, a->nsrc, a->lsrc);
		q_entry(rc, a->pdst, a->ndst, a->ldst, stype, sino);
		if (!same)
			move_parent(rc, &sa, stype, sino, a->psrc, a->pdst, &spa, dpa);
	}
	q_set_attr(rc, sino, &sa);
	if (!meta_is_trash(a->psrc))
		q_set_attr(rc, a->psrc, &spa);
	if (!same)
		q_set_attr(rc, a->pdst, dpa);
	ret = tx_exec(m, rc, NULL);
	if (ret) {
		a->free_data = false;
		return ret;
	}
	a->moved = true;
	a->replaced = have_da;
	if (!trash)
		a->trash = 0;
	return 0;
}

static int rm_rename(struct meta *mm, uint64_t psrc, const char *nsrc, size_t lsrc,
		     uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags)
{
	struct rename_arg a = {
		.psrc = psrc, .nsrc = nsrc, .lsrc = lsrc,
		.pdst = pdst, .ndst = ndst, .ldst = ldst, .flags = flags,
	};
	struct rmeta *m = (struct rmeta *)mm;
	char key[RM_ARGLEN];
	int ret;

	if (flags & ~(META_RENAME_NOREPLACE | META_RENAME_EXCHANGE) ||
	    flags == (META_RENAME_NOREPLACE | META_RENAME_EXCHANGE))
		return -EINVAL;
	ret = meta_check_name(nsrc, lsrc);
	if (!ret)
		ret = meta_check_name(ndst, ldst);
	if (ret)
		return ret;
	if (meta_is_trash(pdst))
		return -EPERM;
	if (!(flags & META_RENAME_EXCHANGE)) {
		ret = meta_trash_dir(mm, pdst, &a.trash);
		if (ret)
			return ret;
	}
	snprintf(key, sizeof(key), "i%" PRIu64, psrc);
	ret = rm_run(m, key, rename_body, &a);
	if (ret)
		return ret;
	if (a.free_data)
		free_file_data(m, a.dino, a.dlen);
	if (a.moved)
		meta_rename_stats(mm, a.psrc, a.pdst, a.flags, a.trash, &a.sattr,
				  a.replaced ? &a.dattr : NULL);
	return 0;
}

struct readlink_arg {
	uint64_t ino;
	char *target;
	size_t len;
};

static int readlink_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct readlink_arg *a = arg;
	struct meta_attr t;
	char key[RM_ARGLEN];
	struct str_arg s = { .out = &a->target, .len = &a->len, .key = key };
	int ret;

	free(a->target);
	a->target = NULL;
	snprintf(key, sizeof(key), "s%" PRIu64, a->ino);
	ret = get_string_body(m, rc, &s);
	if (ret != -ENOENT)
		return ret;
	ret = get_attr(m, rc, a->ino, &t);
	if (ret)
		return ret;
	if (t.type != META_TYPE_SYMLINK)
		return -EINVAL;
	meta_set_errmsg("redis %s: symlink %" PRIu64 " has no target '%s'",
			m->addr, a->ino, key);
	return -EIO;
}

static int rm_readlink(struct meta *mm, uint64_t ino, char **target, size_t *len)
{
	struct readlink_arg a = { .ino = ino };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, readlink_body, &a);
	if (ret) {
		free(a.target);
		a.target = NULL;
		a.len = 0;
	}
	*target = a.target;
	*len = a.len;
	return ret;
}

struct readdir_arg {
	uint64_t ino;
	bool plus;
	struct meta_dirent *ents;
	size_t n, cap;
};

/*
 * EXISTS x{...} of each entry, pipelined: sets the no-xattr hint of those
 * that have none (see get_attr_hint).
 */
static int readdir_xattr_hints(struct rmeta *m, struct rconn *rc,
			       struct meta_dirent *e, size_t count)
{
	struct cmd c;
	redisReply *r;
	size_t i;
	int ret = 0;

	for (i = 0; i < count; i++) {
		cmd_init(&c, "EXISTS");
		cmd_fmt(&c, "x%" PRIu64, e[i].ino);
		if (redisAppendCommandArgv(rc->c, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < count; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK || !r) {
			cmd_init(&c, "EXISTS");
			return rm_error(m, rc, NULL, &c);
		}
		if (r->type == REDIS_REPLY_ERROR && !ret) {
			cmd_init(&c, "EXISTS");
			ret = rm_error(m, rc, r, &c);
		}
		e[i].attr.no_xattr = r->type == REDIS_REPLY_INTEGER &&
				     r->integer == 0 && e[i].attr.nlink;
		freeReplyObject(r);
	}
	return ret;
}

/* MGET i{...} of ents[first, first+count) */
static int readdir_attrs(struct rmeta *m, struct rconn *rc, struct meta_dirent *e,
			 size_t count)
{
	const char **argv;
	size_t *lens, i;
	char (*keys)[24];
	redisReply *r;
	struct cmd what;
	int ret = 0;

	argv = calloc(count + 1, sizeof(*argv));
	lens = calloc(count + 1, sizeof(*lens));
	keys = calloc(count, sizeof(*keys));
	if (!argv || !lens || !keys) {
		ret = -ENOMEM;
		goto out;
	}
	argv[0] = "MGET";
	lens[0] = 4;
	for (i = 0; i < count; i++) {
		lens[i + 1] = (size_t)snprintf(keys[i], sizeof(keys[i]), "i%" PRIu64,
					       e[i].ino);
		argv[i + 1] = keys[i];
	}
	r = redisCommandArgv(rc->c, (int)count + 1, argv, lens);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != count) {
		cmd_init(&what, "MGET");
		cmd_str(&what, keys[0]);
		ret = !r || r->type == REDIS_REPLY_ERROR ?
			rm_error(m, rc, r, &what) : rm_bad_reply(m, keys[0]);
		freeReplyObject(r);
		goto out;
	}
	for (i = 0; i < count && !ret; i++) {
		redisReply *v = r->element[i];

		memset(&e[i].attr, 0, sizeof(e[i].attr));
		e[i].attr.type = e[i].type;	/* dangling entry: type only */
		if (v->type == REDIS_REPLY_STRING &&
		    meta_attr_decode((unsigned char *)v->str, v->len, &e[i].attr))
			ret = rm_bad_value(m, keys[i], v->len);
	}
	freeReplyObject(r);
	if (!ret)
		ret = readdir_xattr_hints(m, rc, e, count);
out:
	free(argv);
	free(lens);
	free(keys);
	return ret;
}

static int readdir_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct readdir_arg *a = arg;
	struct meta_attr t;
	char cursor[32] = "0";
	redisReply *r, *kv;
	struct cmd c;
	size_t i, j;
	int ret;

	meta_free_dirents(a->ents, a->n);
	a->ents = NULL;
	a->n = a->cap = 0;
	ret = get_dir(m, rc, a->ino, &t);
	if (ret)
		return ret;
	do {
		cmd_init(&c, "HSCAN");
		cmd_fmt(&c, "d%" PRIu64, a->ino);
		cmd_str(&c, cursor);
		cmd_str(&c, "COUNT");
		cmd_fmt(&c, "%d", RM_BATCH);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY ||
		    r->element[0]->len >= sizeof(cursor)) {
			freeReplyObject(r);
			return rm_bad_reply(m, c.buf[1]);
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
		kv = r->element[1];
		if (a->n + kv->elements / 2 > a->cap) {
			size_t cap = a->cap * 2 + kv->elements / 2 + 16;
			struct meta_dirent *ne = realloc(a->ents, cap * sizeof(*ne));

			if (!ne) {
				freeReplyObject(r);
				return -ENOMEM;
			}
			a->ents = ne;
			a->cap = cap;
		}
		for (i = 0; i + 1 < kv->elements; i += 2) {
			struct meta_dirent *e = &a->ents[a->n];

			memset(e, 0, sizeof(*e));
			if (entry_decode(kv->element[i + 1]->str, kv->element[i + 1]->len,
					 &e->type, &e->ino)) {
				ret = rm_bad_value(m, c.buf[1], kv->element[i + 1]->len);
				break;
			}
			e->name = malloc(kv->element[i]->len + 1);
			if (!e->name) {
				ret = -ENOMEM;
				break;
			}
			memcpy(e->name, kv->element[i]->str, kv->element[i]->len);
			e->name[kv->element[i]->len] = '\0';
			e->namelen = (uint16_t)kv->element[i]->len;
			a->n++;
		}
		freeReplyObject(r);
		if (ret)
			return ret;
	} while (strcmp(cursor, "0"));

	/* HSCAN may return an entry twice while the hash is rehashed */
	if (a->n > 1) {
		qsort(a->ents, a->n, sizeof(*a->ents), meta_dirent_cmp);
		for (i = 1, j = 0; i < a->n; i++) {
			if (!meta_dirent_cmp(&a->ents[j], &a->ents[i]))
				free(a->ents[i].name);
			else
				a->ents[++j] = a->ents[i];
		}
		a->n = j + 1;
	}
	for (i = 0; a->plus && !ret && i < a->n; i += RM_BATCH)
		ret = readdir_attrs(m, rc, a->ents + i,
				    a->n - i < RM_BATCH ? a->n - i : RM_BATCH);
	return ret;
}

static int rm_readdir(struct meta *mm, uint64_t ino, bool plus,
		      struct meta_dirent **ents, size_t *n)
{
	struct readdir_arg a = { .ino = ino, .plus = plus };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, readdir_body, &a);
	if (ret) {
		meta_free_dirents(a.ents, a.n);
		a.ents = NULL;
		a.n = 0;
	}
	*ents = a.ents;
	*n = a.n;
	return ret;
}

/* ---- operations: fallocate and copy_range (redis.go) -------------------- */

struct falloc_arg {
	uint64_t ino, off, len;
	unsigned int mode;
	uint64_t old;		/* out: the length before */
	struct meta_attr attr;
};

/*
 * doFallocate: the length grows unless KEEP_SIZE; punch and zero ranges
 * get zero records (id 0) over what existed before, chunk by chunk.
 */
static int falloc_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct falloc_arg *a = arg;
	struct meta_attr *t = &a->attr;
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t length, off, size;
	struct timespec now;
	int ret;

	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	if (t->type == META_TYPE_FIFO)
		return -EPIPE;
	if (t->type != META_TYPE_FILE || (t->flags & META_FLAG_IMMUTABLE))
		return -EPERM;
	if ((t->flags & META_FLAG_APPEND) && (a->mode & ~META_FALLOC_KEEP_SIZE))
		return -EPERM;
	a->old = t->length;
	length = t->length;
	if (a->off + a->len > length && !(a->mode & META_FALLOC_KEEP_SIZE))
		length = a->off + a->len;
	meta_now(&now);
	t->length = length;
	meta_set_mtime(t, &now);
	meta_set_ctime(t, &now);
	tx_multi(rc);
	q_set_attr(rc, a->ino, t);
	if ((a->mode & (META_FALLOC_ZERO_RANGE | META_FALLOC_PUNCH_HOLE)) &&
	    a->off < a->old) {
		off = a->off;
		size = a->off + a->len > a->old ? a->old - a->off : a->len;
		while (size > 0) {
			uint64_t coff = off % cs, l = size;

			if (coff + size > cs)
				l = cs - coff;
			q_zero_slice(rc, "RPUSH", a->ino, off / cs, (uint32_t)coff, (uint32_t)l);
			off += l;
			size -= l;
		}
	}
	q_incrby(rc, "usedSpace",
		 (int64_t)meta_align4k(length) - (int64_t)meta_align4k(a->old));
	return tx_exec(m, rc, NULL);
}

static int rm_fallocate(struct meta *mm, uint64_t ino, unsigned int mode,
			uint64_t off, uint64_t len, struct meta_attr *attr)
{
	struct falloc_arg a = { .ino = ino, .off = off, .len = len, .mode = mode };
	char key[RM_ARGLEN];
	int ret;

	if (mode & ~(META_FALLOC_KEEP_SIZE | META_FALLOC_PUNCH_HOLE | META_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & META_FALLOC_PUNCH_HOLE) && !(mode & META_FALLOC_KEEP_SIZE))
		return -EINVAL;
	if (!len || off > UINT64_MAX / 2 || len > UINT64_MAX / 2)
		return -EINVAL;
	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run((struct rmeta *)mm, key, falloc_body, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	parent_stat((struct rmeta *)mm, ino, &a.attr, a.old);
	return 0;
}

struct copy_arg {
	uint64_t fin, offin, fout, offout, len;
	uint64_t copied, old;
	struct meta_attr attr;	/* the destination's */
};

static int chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
		      size_t front, struct meta_slice **s, size_t *n);

/* RPUSH c{fout}_{indx} a record, and one more reference to its slice */
static void q_copy_record(struct rconn *rc, uint64_t ino, uint32_t indx,
			  const struct meta_slice *s)
{
	unsigned char buf[24];
	struct cmd c;

	meta_slice_encode(s, buf);
	cmd_init(&c, "RPUSH");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, ino, indx);
	cmd_bin(&c, buf, sizeof(buf));
	tx_add(rc, &c);
	if (!s->id)
		return;
	cmd_init(&c, "HINCRBY");
	cmd_str(&c, "sliceRef");
	cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, s->id, s->size);
	cmd_str(&c, "1");
	tx_add(rc, &c);
}

/*
 * CopyFileRange: the destination gets records pointing at the source's
 * slices (a hole copies as a zero record), and each referenced slice one
 * more sliceRef, so neither file's deletion frees the other's blocks.
 * Nothing is read or written in the object store.
 */
static int copy_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct copy_arg *a = arg;
	const uint64_t cs = META_CHUNK_SIZE;
	struct meta_attr src, *t = &a->attr;
	uint64_t size, end, i, newlen;
	struct meta_slice **lists = NULL;
	size_t *counts = NULL, nchunks;
	struct timespec now;
	struct cmd c;
	int ret;

	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "i%" PRIu64, a->fin);
	cmd_fmt(&c, "i%" PRIu64, a->fout);
	ret = rm_watch(m, rc, &c);
	if (!ret)
		ret = get_attr(m, rc, a->fin, &src);
	if (!ret)
		ret = get_attr(m, rc, a->fout, t);
	if (ret)
		return ret;
	if (src.type != META_TYPE_FILE || t->type != META_TYPE_FILE)
		return -EINVAL;
	if (t->flags & (META_FLAG_IMMUTABLE | META_FLAG_APPEND))
		return -EPERM;
	a->copied = 0;
	a->old = t->length;
	if (a->offin >= src.length)
		return 0;
	size = a->offin + a->len > src.length ? src.length - a->offin : a->len;
	end = a->offin + size;
	newlen = a->offout + size;
	if (newlen > t->length)
		t->length = newlen;
	meta_now(&now);
	meta_set_mtime(t, &now);
	meta_set_ctime(t, &now);

	nchunks = end / cs - a->offin / cs + 1;
	lists = calloc(nchunks, sizeof(*lists));
	counts = calloc(nchunks, sizeof(*counts));
	if (!lists || !counts) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nchunks && !ret; i++)
		ret = chunk_list(m, rc, a->fin, (uint32_t)(a->offin / cs + i), 1,
				 &lists[i], &counts[i]);
	if (ret)
		goto out;
	tx_multi(rc);
	for (i = 0; i < nchunks && !ret; i++) {
		uint64_t coff = (a->offin / cs + i) * cs;
		struct meta_segs segs;
		size_t k;

		lists[i][0] = (struct meta_slice){ .len = (uint32_t)cs };	/* holes */
		ret = meta_overlay(lists[i], counts[i], &segs);
		for (k = 0; !ret && k < segs.n; k++) {
			struct meta_slice s = {
				.id = segs.v[k].id, .size = segs.v[k].size,
				.off = segs.v[k].off,
				.len = segs.v[k].end - segs.v[k].start,
			};
			uint64_t pos = coff + segs.v[k].start, doff, skip;
			uint32_t indx, dpos;

			if (pos >= end || pos + s.len <= a->offin)
				continue;
			if (pos < a->offin) {
				s.off += (uint32_t)(a->offin - pos);
				s.len -= (uint32_t)(a->offin - pos);
				pos = a->offin;
			}
			if (pos + s.len > end)
				s.len -= (uint32_t)(pos + s.len - end);
			doff = pos - a->offin + a->offout;
			indx = (uint32_t)(doff / cs);
			dpos = (uint32_t)(doff % cs);
			s.pos = dpos;
			if (dpos + s.len > cs) {
				struct meta_slice rest = s;

				skip = cs - dpos;
				s.len = (uint32_t)skip;
				q_copy_record(rc, a->fout, indx, &s);
				rest.pos = 0;
				rest.off += (uint32_t)skip;
				rest.len -= (uint32_t)skip;
				q_copy_record(rc, a->fout, indx + 1, &rest);
			} else {
				q_copy_record(rc, a->fout, indx, &s);
			}
		}
		free(segs.v);
	}
	q_set_attr(rc, a->fout, t);
	q_incrby(rc, "usedSpace", (int64_t)meta_align4k(t->length) - (int64_t)meta_align4k(a->old));
	if (ret) {
		/* the queued commands must not run: drop the connection's state */
		rc->queued = 0;
		redisFree(rc->c);
		rc->c = NULL;
		goto out;
	}
	ret = tx_exec(m, rc, NULL);
	if (!ret)
		a->copied = size;
out:
	for (i = 0; lists && i < nchunks; i++)
		free(lists[i]);
	free(lists);
	free(counts);
	return ret;
}

static int rm_copy_range(struct meta *mm, uint64_t fin, uint64_t offin, uint64_t fout,
			 uint64_t offout, uint64_t len, uint64_t *copied,
			 struct meta_attr *attr)
{
	struct copy_arg a = { .fin = fin, .offin = offin, .fout = fout,
			      .offout = offout, .len = len };
	char key[RM_ARGLEN];
	int ret;

	*copied = 0;
	if (offin > UINT64_MAX / 2 || offout > UINT64_MAX / 2 || len > UINT64_MAX / 2)
		return -EINVAL;
	snprintf(key, sizeof(key), "i%" PRIu64, fout);
	ret = rm_run((struct rmeta *)mm, key, copy_body, &a);
	if (ret)
		return ret;
	*copied = a.copied;
	if (attr)
		*attr = a.attr;
	parent_stat((struct rmeta *)mm, fout, &a.attr, a.old);
	return 0;
}

/* ---- operations: locks (redis_lock.go) ---------------------------------- */

/*
 * lockf{ino} (flock) and lockp{ino} (POSIX) hold one field per owner,
 * "{sid}_{owner:%016X}"; locked{sid} lists the keys a session has fields
 * in, so stale-session cleanup finds them (unlock_body).  Nothing here
 * waits: a conflict is -EAGAIN and the kernel retries.
 */
/* a body's "another owner holds it": -EAGAIN would mean "retry the txn" */
#define RM_LOCK_HELD	(-EDEADLK)

struct lock_arg {
	uint64_t ino, owner;
	uint32_t type, pid;
	uint64_t start, end;
	char key[32], field[48];
	struct plock found;	/* getlk: the conflicting lock */
};

static void lock_arg_keys(struct rmeta *m, struct lock_arg *a, const char *kind)
{
	snprintf(a->key, sizeof(a->key), "%s%" PRIu64, kind, a->ino);
	plock_owner_key(a->field, sizeof(a->field), m->base.sid, a->owner);
}

/* Whether @field is the only one of this session among @r's fields. */
static bool last_of_session(struct rmeta *m, const redisReply *r, const char *field,
			    bool pairs)
{
	char prefix[32];
	size_t plen, i;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%" PRIu64 "_", m->base.sid);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i += pairs ? 2 : 1) {
		const redisReply *k = r->element[i];

		if (k->type == REDIS_REPLY_STRING && k->len >= plen &&
		    !memcmp(k->str, prefix, plen) &&
		    (k->len != strlen(field) || memcmp(k->str, field, k->len)))
			return false;
	}
	return true;
}

static void q_locked(struct rmeta *m, struct rconn *rc, const char *op, const char *key)
{
	struct cmd c;

	cmd_init(&c, op);
	cmd_fmt(&c, "locked%" PRIu64, m->base.sid);
	cmd_str(&c, key);
	tx_add(rc, &c);
}

static int hgetall_watched(struct rmeta *m, struct rconn *rc, const char *key,
			   redisReply **r)
{
	struct cmd c;
	int ret;

	cmd_init(&c, "WATCH");
	cmd_str(&c, key);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	cmd_init(&c, "HGETALL");
	cmd_str(&c, key);
	ret = rm_call(m, rc, &c, r);
	if (!ret && (*r)->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(*r);
		*r = NULL;
		ret = rm_bad_reply(m, key);
	}
	return ret;
}

static int flock_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lock_arg *a = arg;
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	ret = hgetall_watched(m, rc, a->key, &r);
	if (ret)
		return ret;
	for (i = 0; a->type != PLOCK_UN && i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->len == strlen(a->field) && !memcmp(k->str, a->field, k->len))
			continue;
		if (a->type == PLOCK_WR || (v->len == 1 && v->str[0] == 'W')) {
			freeReplyObject(r);
			return RM_LOCK_HELD;
		}
	}
	tx_multi(rc);
	if (a->type == PLOCK_UN) {
		cmd_init(&c, "HDEL");
		cmd_str(&c, a->key);
		cmd_str(&c, a->field);
		tx_add(rc, &c);
		if (last_of_session(m, r, a->field, true))
			q_locked(m, rc, "SREM", a->key);
	} else {
		cmd_init(&c, "HSET");
		cmd_str(&c, a->key);
		cmd_str(&c, a->field);
		cmd_str(&c, a->type == PLOCK_WR ? "W" : "R");
		tx_add(rc, &c);
		q_locked(m, rc, "SADD", a->key);
	}
	freeReplyObject(r);
	return tx_exec(m, rc, NULL);
}

static int rm_flock(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type };
	int ret;

	if (type > PLOCK_UN)
		return -EINVAL;
	lock_arg_keys(m, &a, "lockf");
	ret = rm_run(m, a.key, flock_body, &a);
	return ret == RM_LOCK_HELD ? -EAGAIN : ret;
}

/* the other owners' lists, and ours (in @own) */
static int load_plocks(struct rmeta *m, const redisReply *r, const char *field,
		       struct plock_list *own, const struct plock **hit, struct lock_arg *a,
		       const char *key)
{
	size_t i;
	int ret = 0;

	memset(own, 0, sizeof(*own));
	*hit = NULL;
	for (i = 0; i + 1 < r->elements && !ret; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		struct plock_list l;
		const struct plock *p;

		if (plock_load((const unsigned char *)v->str, v->len, &l))
			return rm_bad_value(m, key, v->len);
		if (k->len == strlen(field) && !memcmp(k->str, field, k->len)) {
			plock_list_free(own);
			*own = l;
			continue;
		}
		if (a->type != PLOCK_UN && !*hit) {
			p = plock_conflict(&l, a->type, a->start, a->end);
			if (p) {
				a->found = *p;
				*hit = &a->found;
			}
		}
		plock_list_free(&l);
	}
	return ret;
}

static int setlk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lock_arg *a = arg;
	struct plock nl = { a->type, a->pid, a->start, a->end };
	const struct plock *hit;
	struct plock_list own;
	unsigned char *buf;
	redisReply *r;
	struct cmd c;
	size_t len;
	int ret;

	ret = hgetall_watched(m, rc, a->key, &r);
	if (ret)
		return ret;
	ret = load_plocks(m, r, a->field, &own, &hit, a, a->key);
	if (!ret && hit)
		ret = RM_LOCK_HELD;
	if (!ret && a->type == PLOCK_UN && !own.n)
		goto out;	/* nothing of ours to unlock */
	if (!ret)
		ret = plock_update(&own, nl);
	if (!ret && own.n)
		ret = plock_dump(&own, &buf, &len);
	if (ret)
		goto out;
	tx_multi(rc);
	if (!own.n) {
		cmd_init(&c, "HDEL");
		cmd_str(&c, a->key);
		cmd_str(&c, a->field);
		tx_add(rc, &c);
		if (last_of_session(m, r, a->field, true))
			q_locked(m, rc, "SREM", a->key);
	} else {
		cmd_init(&c, "HSET");
		cmd_str(&c, a->key);
		cmd_str(&c, a->field);
		cmd_bin(&c, buf, len);
		tx_add(rc, &c);
		free(buf);
		q_locked(m, rc, "SADD", a->key);
	}
	ret = tx_exec(m, rc, NULL);
out:
	plock_list_free(&own);
	freeReplyObject(r);
	return ret;
}

static int rm_setlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
		    uint64_t start, uint64_t end, uint32_t pid)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type, .pid = pid,
			      .start = start, .end = end };
	int ret;

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	lock_arg_keys(m, &a, "lockp");
	ret = rm_run(m, a.key, setlk_body, &a);
	return ret == RM_LOCK_HELD ? -EAGAIN : ret;
}

static int getlk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lock_arg *a = arg;
	const struct plock *hit;
	struct plock_list own;
	redisReply *r;
	struct cmd c;
	int ret;

	cmd_init(&c, "HGETALL");
	cmd_str(&c, a->key);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY)
		ret = rm_bad_reply(m, a->key);
	else
		ret = load_plocks(m, r, a->field, &own, &hit, a, a->key);
	if (!ret) {
		plock_list_free(&own);
		if (!hit)
			a->found = (struct plock){ .type = PLOCK_UN };
	}
	freeReplyObject(r);
	return ret;
}

static int rm_getlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
		    uint64_t start, uint64_t end, struct plock *out)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type,
			      .start = start, .end = end };
	int ret;

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	*out = (struct plock){ .type = PLOCK_UN };
	if (type == PLOCK_UN)
		return 0;
	lock_arg_keys(m, &a, "lockp");
	ret = rm_run(m, NULL, getlk_body, &a);
	if (!ret)
		*out = a.found;
	return ret;
}

/* ---- operations: POSIX ACLs ------------------------------------------- */

struct facl_arg {
	uint64_t ino;
	int type;
	const struct acl_rule *in;
	bool kill_sgid;
	struct acl_rule out;
	struct meta_attr attr;
};

static int getfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct facl_arg *a = arg;
	uint32_t id;
	int ret;

	ret = get_attr(m, rc, a->ino, &a->attr);
	if (ret)
		return ret;
	id = a->type == ACL_TYPE_ACCESS_J ? a->attr.access_acl : a->attr.default_acl;
	if (!id)
		return -ENODATA;
	acl_rule_free(&a->out);
	return get_acl_rule(m, rc, id, &a->out);
}

static int rm_get_facl(struct meta *mm, uint64_t ino, int type, struct acl_rule *rule)
{
	struct facl_arg a = { .ino = ino, .type = type };
	int ret;

	acl_rule_init(&a.out);
	if (type != ACL_TYPE_ACCESS_J && type != ACL_TYPE_DEFAULT_J)
		return -EINVAL;
	ret = rm_run((struct rmeta *)mm, NULL, getfacl_body, &a);
	if (ret) {
		acl_rule_free(&a.out);
		return ret;
	}
	*rule = a.out;
	return 0;
}

/* doSetFacl: the rule's id goes into the attr; an access rule sets the mode */
static int setfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct facl_arg *a = arg;
	struct meta_attr *t = &a->attr;
	struct acl_rule rule;
	uint32_t *idp, old_id;
	struct timespec now;
	uint16_t old_mode;
	int ret;

	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	if (t->flags & META_FLAG_IMMUTABLE)
		return -EPERM;
	idp = a->type == ACL_TYPE_ACCESS_J ? &t->access_acl : &t->default_acl;
	old_id = *idp;
	old_mode = t->mode;
	ret = meta_facl_prepare(t, a->type, a->in, a->kill_sgid, &rule);
	if (ret > 0) {
		ret = insert_acl(m, rc, &rule, idp);
		if (!ret)
			meta_facl_stored(t, a->type, &rule);
		acl_rule_free(&rule);
	}
	if (ret)
		return ret;
	if (*idp == old_id && t->mode == old_mode)
		return 0;
	meta_now(&now);
	meta_set_ctime(t, &now);
	tx_multi(rc);
	q_set_attr(rc, a->ino, t);
	return tx_exec(m, rc, NULL);
}

static int rm_set_facl(struct meta *mm, uint64_t ino, int type,
		       const struct acl_rule *rule, bool kill_sgid,
		       struct meta_attr *attr)
{
	struct facl_arg a = { .ino = ino, .type = type, .in = rule,
			      .kill_sgid = kill_sgid };
	char key[RM_ARGLEN];
	int ret;

	if (type != ACL_TYPE_ACCESS_J && type != ACL_TYPE_DEFAULT_J)
		return -EINVAL;
	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run((struct rmeta *)mm, key, setfacl_body, &a);
	if (!ret && attr)
		*attr = a.attr;
	return ret;
}

/* ---- operations: xattrs ------------------------------------------------ */

/*
 * JuiceFS keeps an inode's extended attributes in one hash, x{ino}: field =
 * the full name ("user.foo"), value = the raw bytes.  Reads and removals
 * are single commands and a set is a transaction on x{ino}, as in
 * redis.go (GetXattr, ListXattr, doSetXattr, doRemoveXattr).  The hash
 * goes away with its inode (q_drop_link, rmdir, rename).
 */

struct xattr_arg {
	uint64_t ino;
	const char *name;
	size_t len;
	const void *value;
	size_t vlen;
	unsigned int flags;
	char *out;		/* getxattr's value, listxattr's names */
	size_t outlen;
};

/* "OP x{ino} name" */
static void xattr_cmd(struct cmd *c, const char *op, const struct xattr_arg *a)
{
	cmd_init(c, op);
	cmd_fmt(c, "x%" PRIu64, a->ino);
	cmd_bin(c, a->name, a->len);
}

static int getxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct xattr_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int ret;

	free(a->out);
	a->out = NULL;
	xattr_cmd(&c, "HGET", a);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type == REDIS_REPLY_NIL)
		ret = -ENODATA;
	else if (r->type != REDIS_REPLY_STRING)
		ret = rm_bad_reply(m, c.argv[1]);
	else if (!(a->out = malloc(r->len + 1)))
		ret = -ENOMEM;
	if (!ret) {
		memcpy(a->out, r->str, r->len);
		a->out[r->len] = '\0';
		a->outlen = r->len;
	}
	freeReplyObject(r);
	return ret;
}

static int rm_getxattr(struct meta *mm, uint64_t ino, const char *name, size_t len,
		       char **value, size_t *vlen)
{
	struct xattr_arg a = { .ino = ino, .name = name, .len = len };
	int ret;

	*value = NULL;
	*vlen = 0;
	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	ret = rm_run((struct rmeta *)mm, NULL, getxattr_body, &a);
	if (ret) {
		free(a.out);
		return ret;
	}
	*value = a.out;
	*vlen = a.outlen;
	return 0;
}

/* HKEYS x{ino}: the names, each followed by a NUL */
static int listxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct xattr_arg *a = arg;
	redisReply *r;
	struct cmd c;
	size_t i, n = 0;
	int ret;

	free(a->out);
	a->out = NULL;
	a->outlen = 0;
	cmd_init(&c, "HKEYS");
	cmd_fmt(&c, "x%" PRIu64, a->ino);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return rm_bad_reply(m, c.argv[1]);
	}
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			return rm_bad_reply(m, c.argv[1]);
		}
		n += r->element[i]->len + 1;
	}
	if (n && !(a->out = malloc(n))) {
		freeReplyObject(r);
		return -ENOMEM;
	}
	for (i = 0; i < r->elements; i++) {
		memcpy(a->out + a->outlen, r->element[i]->str, r->element[i]->len);
		a->outlen += r->element[i]->len;
		a->out[a->outlen++] = '\0';
	}
	freeReplyObject(r);
	return 0;
}

static int rm_listxattr(struct meta *mm, uint64_t ino, char **names, size_t *len)
{
	struct xattr_arg a = { .ino = ino };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, listxattr_body, &a);
	if (ret) {
		free(a.out);
		a.out = NULL;
		a.outlen = 0;
	}
	*names = a.out;
	*len = a.outlen;
	return ret;
}

/* WATCH x{ino}; HEXISTS for the create/replace flags; MULTI HSET EXEC */
static int setxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct xattr_arg *a = arg;
	redisReply *r;
	struct cmd c;
	int ret;

	ret = watch_keys(m, rc, "x%" PRIu64, a->ino, NULL, 0);
	if (ret)
		return ret;
	if (a->flags) {
		xattr_cmd(&c, "HEXISTS", a);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			return ret;
		if (r->type != REDIS_REPLY_INTEGER)
			ret = rm_bad_reply(m, c.argv[1]);
		else if (a->flags & META_XATTR_CREATE && r->integer)
			ret = -EEXIST;
		else if (a->flags & META_XATTR_REPLACE && !r->integer)
			ret = -ENODATA;
		freeReplyObject(r);
		if (ret)
			return ret;
	}
	tx_multi(rc);
	xattr_cmd(&c, "HSET", a);
	cmd_bin(&c, a->value, a->vlen);
	tx_add(rc, &c);
	return tx_exec(m, rc, NULL);
}

static int rm_setxattr(struct meta *mm, uint64_t ino, const char *name, size_t len,
		       const void *value, size_t vlen, unsigned int flags)
{
	struct xattr_arg a = {
		.ino = ino, .name = name, .len = len,
		.value = vlen ? value : "", .vlen = vlen, .flags = flags,
	};
	char key[RM_ARGLEN];
	int ret;

	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	if (vlen > META_XATTR_SIZE_MAX)
		return -E2BIG;
	/* as base.go: one flag or none */
	if (flags != 0 && flags != META_XATTR_CREATE && flags != META_XATTR_REPLACE)
		return -EINVAL;
	snprintf(key, sizeof(key), "x%" PRIu64, ino);
	return rm_run((struct rmeta *)mm, key, setxattr_body, &a);
}

/* HDEL x{ino} name; nothing deleted is ENODATA (JuiceFS's ENOATTR) */
static int rm_removexattr(struct meta *mm, uint64_t ino, const char *name, size_t len)
{
	struct xattr_arg x = { .ino = ino, .name = name, .len = len };
	struct call_arg a = { .r = NULL };
	int ret;

	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	xattr_cmd(&a.c, "HDEL", &x);
	ret = rm_run((struct rmeta *)mm, NULL, call_body, &a);
	if (!ret && a.r->type != REDIS_REPLY_INTEGER)
		ret = rm_bad_reply((struct rmeta *)mm, a.c.argv[1]);
	else if (!ret && a.r->integer == 0)
		ret = -ENODATA;
	freeReplyObject(a.r);
	return ret;
}

/* ---- operations: data -------------------------------------------------- */

struct id_arg {
	uint64_t id;
};

static int slice_id_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct id_arg *a = arg;

	return alloc_id(m, rc, "nextchunk", RM_SLICE_BATCH, 1, &m->slice_next,
			&m->slice_max, &a->id);
}

static int rm_new_slice_id(struct meta *mm, uint64_t *id)
{
	struct id_arg a = { 0 };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, slice_id_body, &a);
	if (!ret)
		*id = a.id;
	return ret;
}

/*
 * LRANGE c{ino}_{indx}, decoded into *s after @front empty slots (for
 * the caller's own records); a record that is not 24 bytes makes the
 * whole chunk corrupt, as in JuiceFS.
 */
static int chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
		      size_t front, struct meta_slice **s, size_t *n)
{
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	*s = NULL;
	*n = 0;
	cmd_init(&c, "LRANGE");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, ino, indx);
	cmd_str(&c, "0");
	cmd_str(&c, "-1");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	*n = front + (r->type == REDIS_REPLY_ARRAY ? r->elements : 0);
	*s = *n ? calloc(*n, sizeof(**s)) : NULL;
	if (*n && !*s)
		ret = -ENOMEM;
	for (i = 0; !ret && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		if (r->element[i]->len != 24) {
			ret = rm_bad_value(m, c.buf[1], r->element[i]->len);
			break;
		}
		meta_slice_decode((unsigned char *)r->element[i]->str, &(*s)[front + i]);
	}
	freeReplyObject(r);
	if (ret) {
		free(*s);
		*s = NULL;
		*n = 0;
	}
	return ret;
}

struct chunk_arg {
	uint64_t ino;
	uint32_t indx;
	struct meta_slice *s;
	size_t n;
};

static int read_chunk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct chunk_arg *a = arg;

	free(a->s);
	return chunk_list(m, rc, a->ino, a->indx, 0, &a->s, &a->n);
}

static int rm_read_chunk(struct meta *mm, uint64_t ino, uint32_t indx,
			 struct meta_slice **slices, size_t *n)
{
	struct chunk_arg a = { .ino = ino, .indx = indx };
	int ret;

	ret = rm_run((struct rmeta *)mm, NULL, read_chunk_body, &a);
	if (ret) {
		free(a.s);
		a.s = NULL;
		a.n = 0;
	}
	*slices = a.s;
	*n = a.n;
	return ret;
}

struct write_arg {
	uint64_t ino;
	uint32_t indx;
	const struct meta_slice *s;
	const struct timespec *mtime;
	uint64_t old;		/* out: the length before */
	size_t nrec;		/* out: the chunk's records after it */
	struct meta_attr attr;
};

/* spec 5.3 doWrite: the slice and the new length in one transaction */
static int write_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct write_arg *a = arg;
	struct meta_attr *t = &a->attr;
	unsigned char buf[24];
	redisReply *ex = NULL;
	struct timespec now;
	uint64_t newlen, old;
	struct cmd c;
	int ret;

	ret = watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = get_attr(m, rc, a->ino, t);
	if (ret)
		return ret;
	if (t->type != META_TYPE_FILE || (t->flags & META_FLAG_IMMUTABLE))
		return -EPERM;
	meta_now(&now);
	old = a->old = t->length;
	newlen = (uint64_t)a->indx * META_CHUNK_SIZE + a->s->pos + a->s->len;
	if (newlen > t->length)
		t->length = newlen;
	meta_set_mtime(t, a->mtime ? a->mtime : &now);
	meta_set_ctime(t, &now);

	meta_slice_encode(a->s, buf);
	tx_multi(rc);
	cmd_init(&c, "RPUSH");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	cmd_bin(&c, buf, sizeof(buf));
	tx_add(rc, &c);
	q_set_attr(rc, a->ino, t);
	if (meta_align4k(t->length) > meta_align4k(old))
		q_incrby(rc, "usedSpace",
			 (int64_t)(meta_align4k(t->length) - meta_align4k(old)));
	ret = tx_exec(m, rc, &ex);
	/* RPUSH answers the list's new length */
	if (!ret)
		a->nrec = ex->elements > 0 && reply_int(ex->element[0]) > 0 ?
			  (size_t)reply_int(ex->element[0]) : 0;
	freeReplyObject(ex);
	return ret;
}

static int rm_write_slice(struct meta *mm, uint64_t ino, uint32_t indx,
			  const struct meta_slice *s, const struct timespec *mtime,
			  struct meta_attr *attr, size_t *nrec)
{
	struct write_arg a = { .ino = ino, .indx = indx, .s = s, .mtime = mtime };
	char key[RM_ARGLEN];
	int ret;

	if ((uint64_t)s->pos + s->len > META_CHUNK_SIZE ||
	    (s->id && (uint64_t)s->off + s->len > s->size))
		return -EINVAL;
	snprintf(key, sizeof(key), "i%" PRIu64, ino);
	ret = rm_run((struct rmeta *)mm, key, write_body, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	if (nrec)
		*nrec = a.nrec;
	parent_stat((struct rmeta *)mm, ino, &a.attr, a.old);
	return 0;
}

struct compact_arg {
	uint64_t ino;
	uint32_t indx;
	const struct meta_slice *old;
	size_t n, skip;			/* old[0..skip) stay in front of s */
	const struct meta_slice *s;
	struct freed_slice *freed;	/* out: refcount went below zero */
	size_t nfreed;
};

/* true if the n replies are exactly the records a->old */
static bool same_records(const struct compact_arg *a, const redisReply *r)
{
	unsigned char buf[24];
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != a->n)
		return false;
	for (i = 0; i < a->n; i++) {
		meta_slice_encode(&a->old[i], buf);
		if (r->element[i]->len != 24 || memcmp(r->element[i]->str, buf, 24))
			return false;
	}
	return true;
}

/* the old slices as JuiceFS's delSlices value: 12-byte (id, size) records */
static void q_delayed(struct rconn *rc, const struct compact_arg *a, unsigned char *buf)
{
	unsigned char *p = buf;
	struct cmd c;
	size_t i;
	int k;

	for (i = a->skip; i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		for (k = 0; k < 8; k++)
			*p++ = a->old[i].id >> (56 - 8 * k);
		for (k = 0; k < 4; k++)
			*p++ = a->old[i].size >> (24 - 8 * k);
	}
	if (p == buf)
		return;
	cmd_init(&c, "HSET");
	cmd_str(&c, "delSlices");
	cmd_fmt(&c, "%" PRIu64 "_%lld", a->s->id, (long long)time(NULL));
	cmd_bin(&c, buf, p - buf);
	tx_add(rc, &c);
}

/* redis.go compactChunk's transaction: swap the first n records for one */
static int compact_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct compact_arg *a = arg;
	bool trash = m->base.trash_days > 0;
	redisReply *r, *ex = NULL;
	unsigned char rec[24], *del = NULL;
	struct cmd c;
	size_t i, k;
	int ret;

	free(a->freed);
	a->freed = NULL;
	a->nfreed = 0;
	cmd_init(&c, "WATCH");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	c.argv[0] = "LRANGE";
	c.len[0] = 6;
	cmd_str(&c, "0");
	cmd_fmt(&c, "%zu", a->n - 1);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (!same_records(a, r)) {
		freeReplyObject(r);
		return -EINVAL;	/* written meanwhile: the caller drops s */
	}
	freeReplyObject(r);
	a->freed = calloc(a->n, sizeof(*a->freed));
	del = trash ? malloc(a->n * 12) : NULL;
	if (!a->freed || (trash && !del)) {
		free(del);
		return -ENOMEM;
	}
	tx_multi(rc);
	cmd_init(&c, "LTRIM");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	cmd_fmt(&c, "%zu", a->n);
	cmd_str(&c, "-1");
	tx_add(rc, &c);
	meta_slice_encode(a->s, rec);
	cmd_init(&c, "LPUSH");
	cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
	cmd_bin(&c, rec, sizeof(rec));
	tx_add(rc, &c);
	for (i = a->skip; i > 0; i--) {	/* the skipped stay first */
		meta_slice_encode(&a->old[i - 1], rec);
		cmd_init(&c, "LPUSH");
		cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, a->ino, a->indx);
		cmd_bin(&c, rec, sizeof(rec));
		tx_add(rc, &c);
	}
	if (trash)
		q_delayed(rc, a, del);
	for (i = a->skip; !trash && i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		cmd_init(&c, "HINCRBY");
		cmd_str(&c, "sliceRef");
		cmd_fmt(&c, "k%" PRIu64 "_%" PRIu32, a->old[i].id, a->old[i].size);
		cmd_str(&c, "-1");
		tx_add(rc, &c);
	}
	ret = tx_exec(m, rc, &ex);
	free(del);
	for (i = a->skip, k = 2 + a->skip; !ret && !trash && i < a->n; i++) {
		if (!a->old[i].id)
			continue;
		if (k < ex->elements && reply_int(ex->element[k]) < 0) {
			a->freed[a->nfreed].id = a->old[i].id;
			a->freed[a->nfreed++].size = a->old[i].size;
		}
		k++;
	}
	freeReplyObject(ex);
	return ret;
}

static int rm_compact_chunk(struct meta *mm, uint64_t ino, uint32_t indx,
			    const struct meta_slice *old, size_t n, size_t skip,
			    const struct meta_slice *s)
{
	struct compact_arg a = { .ino = ino, .indx = indx, .old = old, .n = n,
				 .skip = skip, .s = s };
	struct rmeta *m = (struct rmeta *)mm;
	struct slice_del_arg d;
	char key[RM_ARGLEN];
	size_t i;
	int ret;

	if (skip >= n || (uint64_t)s->pos + s->len > META_CHUNK_SIZE ||
	    (s->id && (uint64_t)s->off + s->len > s->size))
		return -EINVAL;
	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	ret = rm_run(m, key, compact_body, &a);
	for (i = 0; !ret && i < a.nfreed; i++) {
		/* without a deleter the negative ref is left for `juicefs gc` */
		if (!mm->hooks.delete_slice ||
		    mm->hooks.delete_slice(mm->hooks.arg, a.freed[i].id, a.freed[i].size))
			continue;
		d.s = a.freed[i];
		ret = rm_run(m, NULL, hdel_ref_body, &d);
	}
	free(a.freed);
	return ret;
}

/* ---- operations: open and close ---------------------------------------- */

static void rm_free(struct rmeta *m)
{
	struct rconn *rc;
	int i;

	while ((rc = m->pool)) {
		m->pool = rc->next;
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
	meta_set_errmsg("invalid redis url '%s': %s", shown, why);
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
		meta_set_errmsg("out of memory");
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
			meta_set_errmsg("out of memory");
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
	.new_session = rm_new_session,
	.refresh_session = rm_refresh_session,
	.close_session = rm_close_session,
	.list_sessions = rm_list_sessions,
	.cleanup_stale_sessions = rm_cleanup_stale_sessions,
	.lookup = rm_lookup,
	.getattr = rm_getattr,
	.setattr = rm_setattr,
	.truncate = rm_truncate,
	.mknod = rm_mknod,
	.link = rm_link,
	.unlink = rm_unlink,
	.rmdir = rm_rmdir,
	.rename = rm_rename,
	.readlink = rm_readlink,
	.readdir = rm_readdir,
	.release_sustained = rm_release_sustained,
	.getxattr = rm_getxattr,
	.setxattr = rm_setxattr,
	.listxattr = rm_listxattr,
	.removexattr = rm_removexattr,
	.get_facl = rm_get_facl,
	.getlk = rm_getlk,
	.fallocate = rm_fallocate,
	.copy_range = rm_copy_range,
	.setlk = rm_setlk,
	.flock = rm_flock,
	.set_facl = rm_set_facl,
	.new_slice_id = rm_new_slice_id,
	.read_chunk = rm_read_chunk,
	.write_slice = rm_write_slice,
	.compact_chunk = rm_compact_chunk,
	.new_trash_dir = rm_new_trash_dir,
	.set_if_small = rm_set_if_small,
	.update_dir_stats = rm_update_dir_stats,
	.cleanup_deleted_files = rm_cleanup_deleted_files,
	.cleanup_delayed_slices = rm_cleanup_delayed_slices,
	.cleanup_slices = rm_cleanup_slices,
};
