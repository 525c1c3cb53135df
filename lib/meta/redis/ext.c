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

/* getACL, base.c's acl.get (ctx: an rm_tx): rule @id (non-zero) from the cache or HGET acl id */
int rm_acl_get(void *ctx, uint32_t id, struct acl_rule *rule)
{
	struct rm_tx *x = ctx;
	struct rmeta *m = x->m;
	struct rconn *rc = x->rc;
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
 * the rule in the cache.  base.c's acl.insert (ctx: an rm_tx).
 */
int rm_acl_insert(void *ctx, const struct acl_rule *rule, uint32_t *id)
{
	struct rm_tx *x = ctx;
	struct rmeta *m = x->m;
	struct rconn *rc = x->rc;
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

/* ---- operations: locks (redis_lock.go) ---------------------------------- */

/*
 * lockf{ino} (flock) and lockp{ino} (POSIX) hold one field per owner,
 * "{sid}_{owner:%016X}"; locked{sid} lists the keys a session has fields
 * in, so stale-session cleanup finds them (rm_unlock_body).  Nothing here
 * waits: a conflict is META_LOCK_HELD, which the front answers -EAGAIN.
 */
/* the lock and its hash key and field */
struct lock_arg {
	struct meta_lock *l;
	char key[32], field[48];
};

static void lock_arg_init(struct rmeta *m, struct lock_arg *a, struct meta_lock *l,
			  const char *kind)
{
	a->l = l;
	snprintf(a->key, sizeof(a->key), "%s%" PRIu64, kind, l->ino);
	plock_owner_key(a->field, sizeof(a->field), m->base.sid, l->owner);
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

/*
 * Queues our field of the lock key (HGETALL r): set to val (len bytes),
 * or dropped when val is NULL, with locked{sid} following.
 */
static void q_lock_field(struct rmeta *m, struct rconn *rc, const struct lock_arg *a,
			 const redisReply *r, const void *val, size_t len)
{
	struct cmd c;

	rm_cmd_init(&c, val ? "HSET" : "HDEL");
	rm_cmd_str(&c, a->key);
	rm_cmd_str(&c, a->field);
	if (val)
		rm_cmd_bin(&c, val, len);
	rm_tx_add(rc, &c);
	if (val)
		q_locked(m, rc, "SADD", a->key);
	else if (last_of_session(m, r, a->field, true))
		q_locked(m, rc, "SREM", a->key);
}

static int hgetall_watched(struct rmeta *m, struct rconn *rc, const char *key,
			   redisReply **r)
{
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, key);
	ret = rm_watch_call(m, rc, &c, r);
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
	size_t i;
	int ret;

	ret = hgetall_watched(m, rc, a->key, &r);
	if (ret)
		return ret;
	for (i = 0; a->l->type != PLOCK_UN && i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->len == strlen(a->field) && !memcmp(k->str, a->field, k->len))
			continue;
		if (a->l->type == PLOCK_WR || (v->len == 1 && v->str[0] == 'W')) {
			freeReplyObject(r);
			return META_LOCK_HELD;
		}
	}
	rm_tx_multi(rc);
	q_lock_field(m, rc, a, r, a->l->type == PLOCK_UN ? NULL :
		     a->l->type == PLOCK_WR ? "W" : "R", 1);
	freeReplyObject(r);
	return rm_tx_exec(m, rc, NULL);
}

int rm_flock(struct meta *mm, struct meta_lock *l)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a;

	lock_arg_init(m, &a, l, "lockf");
	return rm_run(m, a.key, flock_body, &a);
}

/* the HGETALL r of a lock key: meta_plock_scan of each field's list */
static int load_plocks(struct rmeta *m, const redisReply *r, struct lock_arg *a,
		       struct plock_list *own, bool *hit)
{
	size_t i;

	memset(own, 0, sizeof(*own));
	*hit = false;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		struct plock_list l;

		if (plock_load((const unsigned char *)v->str, v->len, &l))
			return rm_bad_value(m, a->key, v->len);
		meta_plock_scan(a->l, &l, k->len == strlen(a->field) &&
				!memcmp(k->str, a->field, k->len), own, hit);
	}
	return 0;
}

static int setlk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lock_arg *a = arg;
	struct plock_list own;
	unsigned char *buf = NULL;
	redisReply *r;
	size_t len = 0;
	bool hit;
	int ret;

	ret = hgetall_watched(m, rc, a->key, &r);
	if (ret)
		return ret;
	ret = load_plocks(m, r, a, &own, &hit);
	if (!ret)
		ret = meta_setlk_apply(a->l, hit, &own, &buf, &len);
	if (ret) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	rm_tx_multi(rc);
	q_lock_field(m, rc, a, r, own.n ? buf : NULL, len);
	free(buf);
	ret = rm_tx_exec(m, rc, NULL);
out:
	plock_list_free(&own);
	freeReplyObject(r);
	return ret;
}

int rm_setlk(struct meta *mm, struct meta_lock *l)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a;

	lock_arg_init(m, &a, l, "lockp");
	return rm_run(m, a.key, setlk_body, &a);
}

static int getlk_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct lock_arg *a = arg;
	struct plock_list own;
	redisReply *r;
	struct cmd c;
	bool hit;
	int ret;

	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, a->key);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	if (r->type != REDIS_REPLY_ARRAY)
		ret = rm_bad_reply(m, a->key);
	else
		ret = load_plocks(m, r, a, &own, &hit);
	if (!ret) {
		plock_list_free(&own);
		if (!hit)
			a->l->found = (struct plock){ .type = PLOCK_UN };
	}
	freeReplyObject(r);
	return ret;
}

int rm_getlk(struct meta *mm, struct meta_lock *l)
{
	struct rmeta *m = (struct rmeta *)mm;
	struct lock_arg a;

	lock_arg_init(m, &a, l, "lockp");
	return rm_run(m, NULL, getlk_body, &a);
}

/* ---- operations: POSIX ACLs ------------------------------------------- */

static int getfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_facl *a = arg;
	struct rm_tx x;
	int ret;

	rm_tx_io(&x, m, rc);
	ret = rm_get_attr(m, rc, a->ino, &a->attr);
	return ret ? ret : meta_get_facl_rule(&x.acl, a);
}

int rm_get_facl(struct meta *mm, struct meta_facl *a)
{
	return rm_run((struct rmeta *)mm, NULL, getfacl_body, a);
}

/* doSetFacl (meta_set_facl_apply) on i{ino} */
static int setfacl_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_facl *a = arg;
	struct rm_tx x;
	int ret;

	rm_tx_io(&x, m, rc);
	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, &a->attr);
	if (!ret)
		ret = meta_set_facl_apply(&x.acl, a);
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
