/*
 * redis/ext.c - the Redis engine: the extensions: ACL rules (JuiceFS 1.2), POSIX ACLs, flock/plock
 * locks (redis_lock.go) and xattrs.
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
	rm_cmd_init(&c, "HGET");
	rm_cmd_str(&c, "acl");
	rm_cmd_fmt(&c, "%" PRIu32, id);
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

	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, "acl");
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
		rm_cmd_init(&c, "INCR");
		rm_cmd_str(&c, "aclMaxId");
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
			rm_cmd_init(&c, "HSETNX");
			rm_cmd_str(&c, "acl");
			rm_cmd_fmt(&c, "%" PRIu32, *id);
			rm_cmd_bin(&c, buf, len);
			ret = rm_do(m, rc, &c);
		}
		if (!ret)
			ret = acl_cache_put(m, *id, buf, len);
	}
	free(buf);
	return ret;
}

static int acl_io_get(void *ctx, uint32_t id, struct acl_rule *rule)
{
	struct rm_acl_ctx *x = ctx;

	return get_acl_rule(x->m, x->rc, id, rule);
}

static int acl_io_insert(void *ctx, const struct acl_rule *rule, uint32_t *id)
{
	struct rm_acl_ctx *x = ctx;

	return insert_acl(x->m, x->rc, rule, id);
}

/* the base.c ACL rules read and store rules through this */
void rm_acl_io(struct rm_acl_ctx *x, struct rmeta *m, struct rconn *rc)
{
	x->m = m;
	x->rc = rc;
	x->io = (struct meta_acl_io){ acl_io_get, acl_io_insert, x };
}

/* ---- operations: locks (redis_lock.go) ---------------------------------- */

/*
 * lockf{ino} (flock) and lockp{ino} (POSIX) hold one field per owner,
 * "{sid}_{owner:%016X}"; locked{sid} lists the keys a session has fields
 * in, so stale-session cleanup finds them (rm_unlock_body).  Nothing here
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

	rm_cmd_init(&c, op);
	rm_cmd_fmt(&c, "locked%" PRIu64, m->base.sid);
	rm_cmd_str(&c, key);
	rm_tx_add(rc, &c);
}

static int hgetall_watched(struct rmeta *m, struct rconn *rc, const char *key,
			   redisReply **r)
{
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "WATCH");
	rm_cmd_str(&c, key);
	ret = rm_watch(m, rc, &c);
	if (ret)
		return ret;
	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, key);
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
	rm_tx_multi(rc);
	if (a->type == PLOCK_UN) {
		rm_cmd_init(&c, "HDEL");
		rm_cmd_str(&c, a->key);
		rm_cmd_str(&c, a->field);
		rm_tx_add(rc, &c);
		if (last_of_session(m, r, a->field, true))
			q_locked(m, rc, "SREM", a->key);
	} else {
		rm_cmd_init(&c, "HSET");
		rm_cmd_str(&c, a->key);
		rm_cmd_str(&c, a->field);
		rm_cmd_str(&c, a->type == PLOCK_WR ? "W" : "R");
		rm_tx_add(rc, &c);
		q_locked(m, rc, "SADD", a->key);
	}
	freeReplyObject(r);
	return rm_tx_exec(m, rc, NULL);
}

int rm_flock(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type)
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
	rm_tx_multi(rc);
	if (!own.n) {
		rm_cmd_init(&c, "HDEL");
		rm_cmd_str(&c, a->key);
		rm_cmd_str(&c, a->field);
		rm_tx_add(rc, &c);
		if (last_of_session(m, r, a->field, true))
			q_locked(m, rc, "SREM", a->key);
	} else {
		rm_cmd_init(&c, "HSET");
		rm_cmd_str(&c, a->key);
		rm_cmd_str(&c, a->field);
		rm_cmd_bin(&c, buf, len);
		rm_tx_add(rc, &c);
		free(buf);
		q_locked(m, rc, "SADD", a->key);
	}
	ret = rm_tx_exec(m, rc, NULL);
out:
	plock_list_free(&own);
	freeReplyObject(r);
	return ret;
}

int rm_setlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
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

	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, a->key);
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

int rm_getlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
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

static int getfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_facl *a = arg;
	struct rm_acl_ctx x;
	int ret;

	rm_acl_io(&x, m, rc);
	ret = rm_get_attr(m, rc, a->ino, &a->attr);
	return ret ? ret : meta_get_facl_rule(&x.io, a);
}

int rm_get_facl(struct meta *mm, struct meta_facl *a)
{
	return rm_run((struct rmeta *)mm, NULL, getfacl_body, a);
}

/* doSetFacl (meta_set_facl_apply) on i{ino} */
static int setfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_facl *a = arg;
	struct rm_acl_ctx x;
	int ret;

	rm_acl_io(&x, m, rc);
	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, &a->attr);
	if (!ret)
		ret = meta_set_facl_apply(&x.io, a);
	if (ret <= 0)
		return ret;
	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, &a->attr);
	return rm_tx_exec(m, rc, NULL);
}

int rm_set_facl(struct meta *mm, struct meta_facl *a)
{
	char key[RM_ARGLEN];

	snprintf(key, sizeof(key), "i%" PRIu64, a->ino);
	return rm_run((struct rmeta *)mm, key, setfacl_body, a);
}

/* ---- operations: xattrs ------------------------------------------------ */

/*
 * JuiceFS keeps an inode's extended attributes in one hash, x{ino}: field =
 * the full name ("user.foo"), value = the raw bytes.  Reads and removals
 * are single commands and a set is a transaction on x{ino}, as in
 * redis.go (GetXattr, ListXattr, doSetXattr, doRemoveXattr).  The hash
 * goes away with its inode (rm_q_drop_link, rmdir, rename).
 */

/* "OP x{ino} name" */
static void xattr_cmd(struct cmd *c, const char *op, const struct meta_xattr *a)
{
	rm_cmd_init(c, op);
	rm_cmd_fmt(c, "x%" PRIu64, a->ino);
	rm_cmd_bin(c, a->name, a->len);
}

static int getxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_xattr *a = arg;
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

int rm_getxattr(struct meta *mm, struct meta_xattr *a)
{
	return rm_run((struct rmeta *)mm, NULL, getxattr_body, a);
}

/* HKEYS x{ino}: the names, each followed by a NUL */
static int listxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_xattr *a = arg;
	redisReply *r;
	struct cmd c;
	size_t i, n = 0;
	int ret;

	free(a->out);
	a->out = NULL;
	a->outlen = 0;
	rm_cmd_init(&c, "HKEYS");
	rm_cmd_fmt(&c, "x%" PRIu64, a->ino);
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

int rm_listxattr(struct meta *mm, struct meta_xattr *a)
{
	return rm_run((struct rmeta *)mm, NULL, listxattr_body, a);
}

/* WATCH x{ino}; HEXISTS for the create/replace flags; MULTI HSET EXEC */
static int setxattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_xattr *a = arg;
	redisReply *r;
	struct cmd c;
	int ret;

	ret = rm_watch_keys(m, rc, "x%" PRIu64, a->ino, NULL, 0);
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
	rm_tx_multi(rc);
	xattr_cmd(&c, "HSET", a);
	rm_cmd_bin(&c, a->value, a->vlen);
	rm_tx_add(rc, &c);
	return rm_tx_exec(m, rc, NULL);
}

int rm_setxattr(struct meta *mm, struct meta_xattr *a)
{
	char key[RM_ARGLEN];

	snprintf(key, sizeof(key), "x%" PRIu64, a->ino);
	return rm_run((struct rmeta *)mm, key, setxattr_body, a);
}

/* HDEL x{ino} name; nothing deleted is ENODATA (JuiceFS's ENOATTR) */
int rm_removexattr(struct meta *mm, struct meta_xattr *x)
{
	struct call_arg a = { .r = NULL };
	int ret;

	xattr_cmd(&a.c, "HDEL", x);
	ret = rm_run((struct rmeta *)mm, NULL, rm_call_body, &a);
	if (!ret && a.r->type != REDIS_REPLY_INTEGER)
		ret = rm_bad_reply((struct rmeta *)mm, a.c.argv[1]);
	else if (!ret && a.r->integer == 0)
		ret = -ENODATA;
	freeReplyObject(a.r);
	return ret;
}
