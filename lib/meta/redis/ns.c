/*
 * redis/ns.c - the Redis engine: the namespace: lookup, getattr, setattr, truncate, mknod, link,
 * unlink, rmdir, rename, readlink, readdir, trash hour dirs.  What mknod,
 * link, unlink and rename read and decide is base.c's (meta_*_txn, through
 * conn.c's watched reads); the bodies here queue their writes.
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
#include <openssl/sha.h>

#include "redis.h"

/* ---- operations: namespace --------------------------------------------- */

/*
 * JuiceFS's lookup script: the entry and its inode's attr in one round
 * trip, three commands as JuiceFS's.  An inode beyond a double's 52 bits
 * (the trash's) comes back with the entry only, for the two-step way.
 */
static const char lookup_lua[] =
	"local e = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if not e then return false end\n"
	"if #e ~= 9 then return {e} end\n"
	"local ino = 0\n"
	"for i = 2, 9 do ino = ino * 256 + string.byte(e, i) end\n"
	"if ino > 4503599627370495 then return {e} end\n"
	"return {e, redis.call('GET', 'i' .. string.format('%.0f', ino))}\n";

static pthread_once_t lookup_sha_once = PTHREAD_ONCE_INIT;
static char lookup_sha[2 * SHA_DIGEST_LENGTH + 1];

static void lookup_sha_init(void)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	SHA1((const unsigned char *)lookup_lua, strlen(lookup_lua), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		sprintf(lookup_sha + 2 * i, "%02x", md[i]);
}

/* EVALSHA, loading the script once if the server does not have it */
static int lookup_eval(struct rmeta *m, struct rconn *rc, struct cmd *c,
		       uint64_t parent, const char *name, size_t len, redisReply **rp)
{
	struct cmd load;
	redisReply *r;
	int ret;

	pthread_once(&lookup_sha_once, lookup_sha_init);
	rm_cmd_init(c, "EVALSHA");
	rm_cmd_str(c, lookup_sha);
	rm_cmd_str(c, "1");
	rm_cmd_fmt(c, "d%" PRIu64, parent);
	rm_cmd_bin(c, name, len);
	r = rm_command(rc, c->argc, c->argv, c->len);
	if (r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
		freeReplyObject(r);
		rm_cmd_init(&load, "SCRIPT");
		rm_cmd_str(&load, "LOAD");
		rm_cmd_str(&load, lookup_lua);
		ret = rm_do(m, rc, &load);
		if (ret)
			return ret;
		r = rm_command(rc, c->argc, c->argv, c->len);
	}
	*rp = r;
	return r ? 0 : rm_error(m, rc, NULL, c);
}

static int lookup_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_lookup *a = arg;
	redisReply *r, *e;
	struct cmd c;
	uint8_t type;
	int ret;

	if (m->no_scripts)
		goto two_steps;
	ret = lookup_eval(m, rc, &c, a->parent, a->name, a->len, &r);
	if (ret)
		return ret;
	if (r->type == REDIS_REPLY_ERROR) {
		/* scripting off (a proxy, a managed server): never again */
		m->no_scripts = true;
		freeReplyObject(r);
		goto two_steps;
	}
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return -ENOENT;
	}
	e = r->type == REDIS_REPLY_ARRAY && r->elements >= 1 ? r->element[0] : NULL;
	if (!e || e->type != REDIS_REPLY_STRING || r->elements > 2 ||
	    rm_entry_decode(e->str, e->len, &type, &a->ino)) {
		freeReplyObject(r);
		return rm_bad_value(m, c.argv[3], 0);
	}
	if (r->elements == 1) {
		freeReplyObject(r);
		return meta_lookup_attr(a, type, rm_get_attr_hint(m, rc, a->ino, &a->attr));
	}
	e = r->element[1];
	if (e->type != REDIS_REPLY_STRING)
		ret = -ENOENT;
	else if (meta_attr_decode((unsigned char *)e->str, e->len, &a->attr))
		ret = rm_bad_value(m, "i", e->len);
	else
		ret = 0;
	freeReplyObject(r);
	return meta_lookup_attr(a, type, ret);

two_steps:
	ret = rm_get_entry(m, rc, a->parent, a->name, a->len, &type, &a->ino);
	return ret ? ret : meta_lookup_attr(a, type, rm_get_attr_hint(m, rc, a->ino,
									 &a->attr));
}

int rm_lookup(struct meta *mm, struct meta_lookup *a)
{
	return rm_run((struct rmeta *)mm, NULL, lookup_body, a);
}

static int getattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_getattr *a = arg;

	return rm_get_attr_hint(m, rc, a->ino, &a->attr);
}

int rm_getattr(struct meta *mm, struct meta_getattr *a)
{
	return rm_run((struct rmeta *)mm, NULL, getattr_body, a);
}

static int setattr_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_setattr *a = arg;
	struct rm_tx x;
	int ret;

	rm_tx_io(&x, m, rc);
	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, &a->out);
	if (!ret)
		ret = meta_setattr_apply(&x.acl, a);
	if (ret)
		return ret;
	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, &a->out);
	return rm_tx_exec(m, rc, NULL);
}

int rm_setattr(struct meta *mm, struct meta_setattr *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, setattr_body, a);
}

/* doGetParents: HGETALL p{ino}, parent -> links */
int rm_get_parents(struct meta *mm, uint64_t ino, struct meta_parents *pa)
{
	struct call_arg c = { .r = NULL };
	size_t i;

	rm_cmd_init(&c.c, "HGETALL");
	rm_cmd_fmt(&c.c, "p%" PRIu64, ino);
	if (rm_run((struct rmeta *)mm, NULL, rm_call_body, &c))
		return -EIO;
	pa->n = 0;
	if (c.r->type == REDIS_REPLY_ARRAY && c.r->elements >= 2) {
		pa->cap = c.r->elements / 2;
		pa->p = calloc(pa->cap, sizeof(*pa->p));
		pa->k = calloc(pa->cap, sizeof(*pa->k));
	}
	for (i = 0; pa->p && pa->k && i + 1 < c.r->elements; i += 2) {
		pa->p[pa->n] = strtoull(c.r->element[i]->str ? c.r->element[i]->str : "0",
					NULL, 10);
		pa->k[pa->n++] = rm_reply_int(c.r->element[i + 1]);
	}
	freeReplyObject(c.r);
	return 0;
}

void rm_q_zero_slice(struct rconn *rc, const char *op, uint64_t ino,
		     uint64_t indx, uint32_t pos, uint32_t len)
{
	struct meta_slice s = { .pos = pos, .len = len };
	unsigned char buf[24];
	struct cmd c;

	meta_slice_encode(&s, buf);
	rm_cmd_init(&c, op);
	rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu64, ino, indx);
	rm_cmd_bin(&c, buf, sizeof(buf));
	rm_tx_add(rc, &c);
}

/* spec 5.4: zero records mask [left, right) so old data never reappears */
static int truncate_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_truncate *a = arg;
	struct meta_attr *t = &a->attr;
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t left, right, l, k, old;
	int ret;

	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, NULL, 0);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, t);
	if (!ret)
		ret = meta_truncate_attr(a);
	if (ret)
		return ret > 0 ? 0 : ret;
	old = a->old;
	left = old < a->length ? old : a->length;
	right = old < a->length ? a->length : old;

	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, t);
	l = right - left;
	if (right > (left / cs + 1) * cs)
		l = cs - left % cs;
	rm_q_zero_slice(rc, "RPUSH", a->ino, left / cs, (uint32_t)(left % cs), (uint32_t)l);
	/* whole chunks in between: only lists that exist can hold old data */
	if (right > (left / cs + 1) * cs && right - left > cs)
		for (k = left / cs + 1; k < right / cs; k++)
			rm_q_zero_slice(rc, "RPUSHX", a->ino, k, 0, (uint32_t)cs);
	if (right > (left / cs + 1) * cs && right % cs > 0)
		rm_q_zero_slice(rc, "RPUSH", a->ino, right / cs, 0, (uint32_t)(right % cs));
	rm_q_incrby(rc, "usedSpace",
		 (int64_t)meta_align4k(a->length) - (int64_t)meta_align4k(old));
	return rm_tx_exec(m, rc, NULL);
}

int rm_truncate(struct meta *mm, struct meta_truncate *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, truncate_body, a);
}

/* INCR nextTrash: hour dirs take the inodes after the trash's own */
static int alloc_trash_ino(struct rmeta *m, struct rconn *rc, uint64_t *ino)
{
	redisReply *r;
	struct cmd c;
	int ret;

	rm_cmd_init(&c, "INCR");
	rm_cmd_str(&c, "nextTrash");
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

/* doMknod's writes, on what meta_mknod_txn made */
static int mknod_writes(void *ctx, struct meta_mknod *a)
{
	struct rm_tx *x = ctx;
	struct rconn *rc = x->rc;
	struct cmd c;

	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, &a->attr);
	if (!a->trash_hour)	/* JuiceFS leaves .trash's own attr alone */
		rm_q_set_attr(rc, a->parent, &a->pa);
	if (a->type == META_TYPE_SYMLINK) {
		rm_cmd_init(&c, "SET");
		rm_cmd_fmt(&c, "s%" PRIu64, a->ino);
		rm_cmd_bin(&c, a->target, a->targetlen);
		rm_tx_add(rc, &c);
	}
	rm_q_entry(rc, a->parent, a->name, a->len, a->type, a->ino);
	if (a->type == META_TYPE_DIR)
		rm_q_zero_dir_stats(rc, a->ino);
	rm_q_incrby(rc, "usedSpace", (int64_t)meta_align4k(a->attr.length));
	rm_q_incrby(rc, "totalInodes", 1);
	return rm_tx_exec(x->m, rc, NULL);
}

/* the inode is allocated inside the body: Redis ids need no transaction */
static int mknod_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_mknod *a = arg;
	struct rm_tx x;
	int ret = 0;

	if (!a->ino)
		ret = a->trash_hour ? alloc_trash_ino(m, rc, &a->ino) :
			rm_alloc_ino(m, rc, &a->ino);
	rm_tx_io(&x, m, rc);
	rm_tx_hint(&x, a->parent, a->name, a->len);
	return ret ? ret : meta_mknod_txn(&x.ns, &x.acl, a, mknod_writes, &x);
}

int rm_mknod(struct meta *mm, struct meta_mknod *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->parent, mknod_body, a);
}

/* doLink's writes: the first extra link moves the parents to p{ino} (spec 2.2) */
static int link_writes(void *ctx, struct meta_link *a)
{
	struct rm_tx *x = ctx;
	struct rconn *rc = x->rc;

	rm_tx_multi(rc);
	if (a->prev_parent > 0)
		rm_q_hincrby_parent(rc, a->ino, a->prev_parent, 1);
	rm_q_hincrby_parent(rc, a->ino, a->parent, 1);
	rm_q_entry(rc, a->parent, a->name, a->len, a->attr.type, a->ino);
	rm_q_set_attr(rc, a->parent, &a->pa);
	rm_q_set_attr(rc, a->ino, &a->attr);
	return rm_tx_exec(x->m, rc, NULL);
}

static int link_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_link *a = arg;
	struct rm_tx x;

	rm_tx_io(&x, m, rc);
	rm_tx_hint(&x, a->parent, a->name, a->len);
	return meta_link_txn(&x.ns, arg, link_writes, &x);
}

int rm_link(struct meta *mm, struct meta_link *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->parent, link_body, a);
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
		rm_q_hincrby_parent(rc, ino, trash, 1);
		rm_q_hincrby_parent(rc, ino, parent, -1);
	}
	rm_q_set_attr(rc, ino, t);
	tlen = meta_trash_entry(tname, parent, ino, name, len);
	rm_q_entry(rc, trash, tname, tlen, type, ino);
}

/* a removed dir's keys; 'counted': it had an attr, counted in the usage */
static void q_drop_dir(struct rconn *rc, uint64_t ino, bool counted)
{
	rm_q_key(rc, "DEL", "i%" PRIu64, ino);
	rm_q_key(rc, "DEL", "x%" PRIu64, ino);
	if (counted) {
		rm_q_incrby(rc, "usedSpace", -4096);
		rm_q_incrby(rc, "totalInodes", -1);
	}
}

/* doUnlink's writes, on what meta_unlink_txn decided */
static int unlink_writes(void *ctx, struct meta_unlink *a)
{
	struct rm_tx *x = ctx;
	struct rconn *rc = x->rc;

	rm_tx_multi(rc);
	rm_q_hdel_entry(rc, a->parent, a->name, a->len);
	if (a->dir)
		rm_q_forget_dir(rc, a->ino);
	if (a->to_trash)
		q_to_trash(rc, a->trash, a->parent, a->name, a->len, a->type, a->ino,
			   &a->attr, &a->now);
	else if (a->dir)
		q_drop_dir(rc, a->ino, a->removed);
	else if (a->removed)
		rm_q_drop_link(x->m, rc, a->ino, &a->attr, a->parent, &a->now,
			       &a->free_data);
	if (!meta_is_trash(a->parent))	/* as JuiceFS: trash attrs stay */
		rm_q_set_attr(rc, a->parent, &a->pa);
	return rm_tx_exec(x->m, rc, NULL);
}

static int unlink_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_unlink *a = arg;
	struct rm_tx x;

	rm_tx_io(&x, m, rc);
	rm_tx_hint(&x, a->parent, a->name, a->len);
	return meta_unlink_txn(&x.ns, arg, unlink_writes, &x);
}

int rm_unlink(struct meta *mm, struct meta_unlink *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->parent, unlink_body, a);
}

/* meta_move_parent; a hard-linked file's parents are p{ino}'s fields */
static void move_parent(struct rconn *rc, struct meta_attr *t, uint8_t type,
			uint64_t ino, uint64_t from, uint64_t to,
			struct meta_attr *fa, struct meta_attr *ta)
{
	if (meta_move_parent(t, type, to, fa, ta)) {
		rm_q_hincrby_parent(rc, ino, from, -1);
		rm_q_hincrby_parent(rc, ino, to, 1);
	}
}

/* doRename's writes, on what meta_rename_txn decided */
static int rename_writes(void *ctx, struct meta_rename *a)
{
	struct rm_tx *x = ctx;
	struct rconn *rc = x->rc;
	struct meta_attr *sa = &a->sattr, *da = &a->dattr;
	bool same = a->psrc == a->pdst;

	rm_tx_multi(rc);
	if (a->flags & META_RENAME_EXCHANGE) {
		rm_q_entry(rc, a->psrc, a->nsrc, a->lsrc, a->dtype, a->dino);
		rm_q_entry(rc, a->pdst, a->ndst, a->ldst, a->stype, a->sino);
		if (!same) {
			move_parent(rc, sa, a->stype, a->sino, a->psrc, a->pdst, &a->spa,
				    a->dpa);
			if (a->replaced)
				move_parent(rc, da, a->dtype, a->dino, a->pdst, a->psrc,
					    a->dpa, &a->spa);
		}
		if (a->replaced) {
			meta_set_ctime(da, &a->now);
			rm_q_set_attr(rc, a->dino, da);
		}
	} else {
		if (a->to_trash) {
			q_to_trash(rc, a->trash, a->pdst, a->ndst, a->ldst, a->dtype,
				   a->dino, da, &a->now);
		} else if (a->have_d && a->dtype == META_TYPE_DIR) {
			/* an empty directory is replaced */
			rm_q_forget_dir(rc, a->dino);
			q_drop_dir(rc, a->dino, a->replaced);
		} else if (a->replaced) {
			rm_q_drop_link(x->m, rc, a->dino, da, a->pdst, &a->now,
				       &a->free_data);
		}
		rm_q_hdel_entry(rc, a->psrc, a->nsrc, a->lsrc);
		rm_q_entry(rc, a->pdst, a->ndst, a->ldst, a->stype, a->sino);
		if (!same)
			move_parent(rc, sa, a->stype, a->sino, a->psrc, a->pdst, &a->spa,
				    a->dpa);
	}
	rm_q_set_attr(rc, a->sino, sa);
	if (!meta_is_trash(a->psrc))
		rm_q_set_attr(rc, a->psrc, &a->spa);
	if (!same)
		rm_q_set_attr(rc, a->pdst, a->dpa);
	return rm_tx_exec(x->m, rc, NULL);
}

static int rename_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_rename *a = arg;
	struct rm_tx x;

	rm_tx_io(&x, m, rc);
	rm_tx_hint(&x, a->psrc, a->nsrc, a->lsrc);
	return meta_rename_txn(&x.ns, arg, rename_writes, &x);
}

int rm_rename(struct meta *mm, struct meta_rename *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->psrc, rename_body, a);
}

static int readlink_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_readlink *a = arg;
	struct meta_attr t;
	char key[RM_ARGLEN];
	struct str_arg s = { .out = &a->target, .len = &a->len, .key = key };
	int ret;

	free(a->target);
	a->target = NULL;
	snprintf(key, sizeof(key), "s%" PRIu64, a->ino);
	ret = rm_get_string_body(m, rc, &s);
	if (ret != -ENOENT)
		return ret;
	ret = rm_get_attr(m, rc, a->ino, &t);
	if (ret)
		return ret;
	if (t.type != META_TYPE_SYMLINK)
		return -EINVAL;
	jfs_seterr("meta", "redis %s: symlink %" PRIu64 " has no target '%s'",
			m->addr, a->ino, key);
	return -EIO;
}

int rm_readlink(struct meta *mm, struct meta_readlink *a)
{
	return rm_run((struct rmeta *)mm, NULL, readlink_body, a);
}

/*
 * EXISTS x{...} of each entry, pipelined: sets the no-xattr hint of those
 * that have none (see rm_get_attr_hint).
 */
static int readdir_xattr_hints(struct rmeta *m, struct rconn *rc,
			       struct meta_dirent *e, size_t count)
{
	struct cmd c;
	redisReply *r;
	size_t i;
	int ret = 0;

	for (i = 0; i < count; i++) {
		rm_cmd_init(&c, "EXISTS");
		rm_cmd_fmt(&c, "x%" PRIu64, e[i].ino);
		if (rm_append(rc, c.argc, c.argv, c.len) != REDIS_OK)
			return rm_error(m, rc, NULL, &c);
	}
	for (i = 0; i < count; i++) {
		if (rm_get_reply(rc, &r) != REDIS_OK || !r) {
			rm_cmd_init(&c, "EXISTS");
			return rm_error(m, rc, NULL, &c);
		}
		if (r->type == REDIS_REPLY_ERROR && !ret) {
			rm_cmd_init(&c, "EXISTS");
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
	r = rm_command(rc, (int)count + 1, argv, lens);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != count) {
		rm_cmd_init(&what, "MGET");
		rm_cmd_str(&what, keys[0]);
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
	struct meta_readdir *a = arg;
	struct meta_attr t;
	char cursor[32] = "0";
	redisReply *r, *kv;
	struct cmd c;
	size_t i;
	int ret;

	meta_free_dirents(a->ents, a->n);
	a->ents = NULL;
	a->n = a->cap = 0;
	ret = rm_get_dir(m, rc, a->ino, &t);
	if (ret)
		return ret;
	do {
		rm_cmd_init(&c, "HSCAN");
		rm_cmd_fmt(&c, "d%" PRIu64, a->ino);
		rm_cmd_str(&c, cursor);
		rm_cmd_str(&c, "COUNT");
		rm_cmd_fmt(&c, "%d", RM_BATCH);
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
			if (rm_entry_decode(kv->element[i + 1]->str, kv->element[i + 1]->len,
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

	/* the front drops what HSCAN returned twice */
	for (i = 0; a->plus && !ret && i < a->n; i += RM_BATCH)
		ret = readdir_attrs(m, rc, a->ents + i,
				    a->n - i < RM_BATCH ? a->n - i : RM_BATCH);
	return ret;
}

int rm_readdir(struct meta *mm, struct meta_readdir *a)
{
	return rm_run((struct rmeta *)mm, NULL, readdir_body, a);
}
