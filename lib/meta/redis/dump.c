/*
 * dump.c - the Redis engine's part of dump and load (meta.h): the keys a
 * dump needs that no namespace call reads (counters, delfiles, quotas),
 * and the raw writes of a load, as redis.go's DumpMeta and LoadMeta do
 * them.  The walk of the tree and every decision are lib/volume's.
 *
 * Counters: Redis keeps the last id handed out in nextinode/nextchunk,
 * dumps the next free one (+1 here, -1 back on load).
 */
#include "redis.h"

#include "util/bytes.h"

/* ---- dump ---------------------------------------------------------- */

static const char *const quota_keys[META_QUOTA_KINDS][3] = {
	{ "dirQuota", "dirQuotaUsedSpace", "dirQuotaUsedInodes" },
	{ "userQuota", "userQuotaUsedSpace", "userQuotaUsedInodes" },
	{ "groupQuota", "groupQuotaUsedSpace", "groupQuotaUsedInodes" },
};

/* runs c, whose reply must be an array (of pairs, when 'pairs') */
static int call_array(struct rmeta *m, struct rconn *rc, struct cmd *c, const char *key,
		      bool pairs, redisReply **rp)
{
	int ret = rm_call(m, rc, c, rp);

	if (!ret && ((*rp)->type != REDIS_REPLY_ARRAY || (pairs && (*rp)->elements % 2))) {
		freeReplyObject(*rp);
		*rp = NULL;
		ret = rm_bad_reply(m, key);
	}
	return ret;
}

static int counters_read(struct rmeta *m, struct rconn *rc, struct meta_counters *c)
{
	static const char *const names[] = {
		"usedSpace", "totalInodes", "nextinode", "nextchunk", "nextsession", "nextTrash",
	};
	int64_t *v[] = { &c->used_space, &c->used_inodes, &c->next_inode, &c->next_chunk,
			 &c->next_session, &c->next_trash };
	redisReply *r;
	struct cmd cmd;
	size_t i;
	int ret;

	rm_cmd_init(&cmd, "MGET");
	for (i = 0; i < 6; i++)
		rm_cmd_str(&cmd, names[i]);
	ret = call_array(m, rc, &cmd, "nextinode", false, &r);
	if (ret)
		return ret;
	if (r->elements != 6) {
		freeReplyObject(r);
		return rm_bad_reply(m, "nextinode");
	}
	for (i = 0; i < 6; i++)
		*v[i] = rm_reply_int(r->element[i]);
	freeReplyObject(r);
	c->next_inode++;
	c->next_chunk++;
	return 0;
}

/* ZRANGE delfiles 0 -1 WITHSCORES: "{ino}:{length}" by expiry, as DumpMeta */
static int delfiles_read(struct rmeta *m, struct rconn *rc, struct meta_dump_info *a)
{
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	rm_cmd_init(&c, "ZRANGE");
	rm_cmd_str(&c, "delfiles");
	rm_cmd_str(&c, "0");
	rm_cmd_str(&c, "-1");
	rm_cmd_str(&c, "WITHSCORES");
	ret = call_array(m, rc, &c, "delfiles", true, &r);
	if (ret)
		return ret;
	a->del = calloc(r->elements / 2 + 1, sizeof(*a->del));
	if (!a->del) {
		freeReplyObject(r);
		return -ENOMEM;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		struct meta_delfile *d = &a->del[a->ndel];
		unsigned long long ino, len;

		/* juicefs skips a member that is not "ino:length" */
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    sscanf(r->element[i]->str, "%llu:%llu", &ino, &len) != 2)
			continue;
		d->ino = ino;
		d->length = len;
		d->expire = (int64_t)strtod(r->element[i + 1]->str ? r->element[i + 1]->str : "0",
					    NULL);
		a->ndel++;
	}
	freeReplyObject(r);
	return 0;
}

/* HGETALL {dir,user,group}Quota: 16-byte (maxSpace, maxInodes) values */
static int quotas_read(struct rmeta *m, struct rconn *rc, int kind, struct meta_dump_info *a)
{
	redisReply *r;
	struct cmd c;
	size_t i;
	int ret;

	rm_cmd_init(&c, "HGETALL");
	rm_cmd_str(&c, quota_keys[kind][0]);
	ret = call_array(m, rc, &c, quota_keys[kind][0], true, &r);
	if (ret)
		return ret;
	a->q[kind] = calloc(r->elements / 2 + 1, sizeof(*a->q[kind]));
	if (!a->q[kind]) {
		freeReplyObject(r);
		return -ENOMEM;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		struct meta_quota *q = &a->q[kind][a->nq[kind]];
		const redisReply *v = r->element[i + 1];
		char *end;

		/* juicefs warns and skips a bad field */
		q->id = strtoull(r->element[i]->str ? r->element[i]->str : "", &end, 10);
		if (*end || v->type != REDIS_REPLY_STRING || v->len != 16)
			continue;
		q->max_space = (int64_t)get_be64((const unsigned char *)v->str);
		q->max_inodes = (int64_t)get_be64((const unsigned char *)v->str + 8);
		a->nq[kind]++;
	}
	freeReplyObject(r);
	return 0;
}

static int dump_info_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_dump_info *a = arg;
	int i, ret;

	meta_dump_info_free(a);
	ret = counters_read(m, rc, &a->c);
	if (!ret)
		ret = delfiles_read(m, rc, a);
	for (i = 0; i < META_QUOTA_KINDS && !ret; i++)
		ret = quotas_read(m, rc, i, a);
	return ret;
}

int rm_dump_info(struct meta *mm, struct meta_dump_info *a)
{
	return rm_run((struct rmeta *)mm, NULL, dump_info_body, a);
}

/* ---- load ---------------------------------------------------------- */

/* LoadMeta: the database must be empty (DBSIZE 0) */
static int check_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	redisReply *r;
	struct cmd c;
	long long n;
	int ret;

	rm_cmd_init(&c, "DBSIZE");
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	if (n < 0)
		return rm_bad_reply(m, "DBSIZE");
	if (n)
		return jfs_fail("meta", -ENOTEMPTY, "database redis://%s/%d is not empty (%lld keys)",
				m->addr, m->db, n);
	return 0;
}

int rm_load_check(struct meta *mm)
{
	return rm_run((struct rmeta *)mm, NULL, check_body, NULL);
}

static int reset_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct cmd c;

	rm_cmd_init(&c, "FLUSHDB");
	return rm_do(m, rc, &c);
}

int rm_load_reset(struct meta *mm)
{
	return rm_run((struct rmeta *)mm, NULL, reset_body, NULL);
}

static void q_hset_int(struct rconn *rc, const char *key, uint64_t field, int64_t v)
{
	struct cmd c;

	rm_cmd_init(&c, "HSET");
	rm_cmd_str(&c, key);
	rm_cmd_fmt(&c, "%" PRIu64, field);
	rm_cmd_fmt(&c, "%" PRId64, v);
	rm_tx_add(rc, &c);
}

static void q_set_int(struct rconn *rc, const char *key, int64_t v)
{
	struct cmd c;

	rm_cmd_init(&c, "SET");
	rm_cmd_str(&c, key);
	rm_cmd_fmt(&c, "%" PRId64, v);
	rm_tx_add(rc, &c);
}

static void q_chunk(struct rconn *rc, uint64_t ino, const struct meta_rec *r)
{
	unsigned char buf[6][24];
	struct cmd c;
	size_t i = 0, k;

	/* RPUSH takes up to RM_ARGS - 2 records per command */
	while (i < r->u.chunk.n) {
		rm_cmd_init(&c, "RPUSH");
		rm_cmd_fmt(&c, "c%" PRIu64 "_%" PRIu32, ino, r->u.chunk.indx);
		for (k = 0; k < 6 && i < r->u.chunk.n; k++, i++) {
			meta_slice_encode(&r->u.chunk.s[i], buf[k]);
			rm_cmd_bin(&c, buf[k], 24);
		}
		rm_tx_add(rc, &c);
	}
}

static void q_quota(struct rconn *rc, const struct meta_rec *r)
{
	const char *const *keys = quota_keys[r->u.quota.kind];
	const struct meta_quota *q = &r->u.quota.q;
	unsigned char buf[16];
	struct cmd c;

	put_be64(buf, (uint64_t)q->max_space);
	put_be64(buf + 8, (uint64_t)q->max_inodes);
	rm_cmd_init(&c, "HSET");
	rm_cmd_str(&c, keys[0]);
	rm_cmd_fmt(&c, "%" PRIu64, q->id);
	rm_cmd_bin(&c, buf, sizeof(buf));
	rm_tx_add(rc, &c);
	q_hset_int(rc, keys[1], q->id, q->used_space);
	q_hset_int(rc, keys[2], q->id, q->used_inodes);
}

static void q_counters(struct rconn *rc, const struct meta_counters *c)
{
	q_set_int(rc, "usedSpace", c->used_space);
	q_set_int(rc, "totalInodes", c->used_inodes);
	q_set_int(rc, "nextinode", c->next_inode - 1);
	q_set_int(rc, "nextchunk", c->next_chunk - 1);
	q_set_int(rc, "nextsession", c->next_session);
	q_set_int(rc, "nextTrash", c->next_trash);
}

static void q_rec(struct rconn *rc, const struct meta_rec *r, const struct meta_attr *attr)
{
	char field[48];
	struct cmd c;

	switch (r->kind) {
	case META_REC_INIT:
		break;
	case META_REC_NODE:
		rm_q_set_attr(rc, r->ino, attr);
		break;
	case META_REC_EDGE:
		rm_q_entry(rc, r->ino, r->u.edge.name, r->u.edge.len, r->u.edge.type,
			   r->u.edge.ino);
		break;
	case META_REC_CHUNK:
		q_chunk(rc, r->ino, r);
		break;
	case META_REC_SYMLINK:
	case META_REC_SETTING:
		rm_cmd_init(&c, "SET");
		if (r->kind == META_REC_SETTING)
			rm_cmd_str(&c, "setting");
		else
			rm_cmd_fmt(&c, "s%" PRIu64, r->ino);
		rm_cmd_bin(&c, r->u.str.p, r->u.str.len);
		rm_tx_add(rc, &c);
		break;
	case META_REC_XATTR:
		rm_cmd_init(&c, "HSET");
		rm_cmd_fmt(&c, "x%" PRIu64, r->ino);
		rm_cmd_bin(&c, r->u.xattr.name, r->u.xattr.len);
		rm_cmd_bin(&c, r->u.xattr.value, r->u.xattr.vlen);
		rm_tx_add(rc, &c);
		break;
	case META_REC_PARENT:
		rm_q_hincrby_parent(rc, r->ino, r->u.parent.parent, (int)r->u.parent.n);
		break;
	case META_REC_DIRSTAT:
		q_hset_int(rc, "dirDataLength", r->ino, r->u.stat.length);
		q_hset_int(rc, "dirUsedSpace", r->ino, r->u.stat.space);
		q_hset_int(rc, "dirUsedInodes", r->ino, r->u.stat.inodes);
		break;
	case META_REC_SLICEREF:
		/* sliceRef holds the references beyond the first */
		if (r->u.ref.refs > 1) {
			rm_cmd_init(&c, "HSET");
			rm_cmd_str(&c, "sliceRef");
			snprintf(field, sizeof(field), "k%" PRIu64 "_%" PRIu32, r->u.ref.id,
				 r->u.ref.size);
			rm_cmd_str(&c, field);
			rm_cmd_fmt(&c, "%" PRId64, r->u.ref.refs - 1);
			rm_tx_add(rc, &c);
		}
		break;
	case META_REC_DELFILE:
		rm_cmd_init(&c, "ZADD");
		rm_cmd_str(&c, "delfiles");
		rm_cmd_fmt(&c, "%" PRId64, r->u.del.expire);
		rm_cmd_fmt(&c, "%" PRIu64 ":%" PRIu64, r->u.del.ino, r->u.del.length);
		rm_tx_add(rc, &c);
		break;
	case META_REC_QUOTA:
		q_quota(rc, r);
		break;
	case META_REC_COUNTERS:
		q_counters(rc, &r->u.counters);
		break;
	}
}

struct load_arg {
	const struct meta_rec *r;
	size_t n;
	struct meta_attr *attrs;	/* the nodes' attrs with their ACL ids */
};

/*
 * The ACL ids first (rm_acl_insert runs its own commands, outside
 * MULTI), then every write in one MULTI/EXEC: nothing is watched, the
 * database was empty and only this load writes it.
 */
static int load_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct load_arg *a = arg;
	struct rm_tx x;
	size_t i;
	int ret = 0;

	rm_tx_io(&x, m, rc);
	for (i = 0; i < a->n && !ret; i++) {
		const struct meta_rec *r = &a->r[i];

		if (r->kind != META_REC_NODE)
			continue;
		a->attrs[i] = r->u.node.attr;
		if (r->u.node.access)
			ret = rm_acl_insert(&x, r->u.node.access, &a->attrs[i].access_acl);
		if (!ret && r->u.node.dflt)
			ret = rm_acl_insert(&x, r->u.node.dflt, &a->attrs[i].default_acl);
	}
	if (ret)
		return ret;
	rm_tx_multi(rc);
	for (i = 0; i < a->n; i++)
		q_rec(rc, &a->r[i], &a->attrs[i]);
	return rm_tx_exec(m, rc, NULL);
}

int rm_load_records(struct meta *mm, const struct meta_rec *r, size_t n)
{
	struct load_arg a = { r, n, calloc(n, sizeof(*a.attrs)) };
	int ret;

	if (!a.attrs)
		return -ENOMEM;
	ret = rm_run((struct rmeta *)mm, NULL, load_body, &a);
	free(a.attrs);
	return ret;
}
