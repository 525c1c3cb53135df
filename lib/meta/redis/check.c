/*
 * check.c - the Redis engine's part of fsck and gc (meta.h): scans of the
 * keys no namespace call reaches (every c{ino}_{indx} list, the pending
 * sliceRef fields, delSlices) and the repairs `juicefs fsck --repair`
 * makes (redis.go doRepair, doSyncVolumeStat), as JuiceFS keeps them.
 * Every decision is lib/volume's fsck.c and gc.c.
 *
 * The scans call back between Redis calls, never inside a transaction:
 * a callback may run other engine calls (the walk of a broken file's
 * paths, a chunk's deletion).
 */
#include "redis.h"

/* ---- scans --------------------------------------------------------- */

/* LRANGE key: the records, or corrupt when one is not 24 bytes; 1: empty */
static int chunk_read(struct rmeta *m, const char *key, struct meta_slice **s, size_t *n,
		      bool *corrupt)
{
	struct call_arg a = { .r = NULL };
	size_t i;
	int ret;

	*s = NULL;
	*n = 0;
	*corrupt = false;
	rm_cmd_init(&a.c, "LRANGE");
	rm_cmd_str(&a.c, key);
	rm_cmd_str(&a.c, "0");
	rm_cmd_str(&a.c, "-1");
	ret = rm_run(m, NULL, rm_call_body, &a);
	if (ret)
		return ret;
	if (a.r->type != REDIS_REPLY_ARRAY || !a.r->elements) {
		/* empty: the list went while we scanned */
		ret = a.r->type == REDIS_REPLY_ARRAY ? 1 : rm_bad_reply(m, key);
		freeReplyObject(a.r);
		return ret;
	}
	for (i = 0; i < a.r->elements; i++)
		if (a.r->element[i]->type != REDIS_REPLY_STRING || a.r->element[i]->len != 24)
			*corrupt = true;
	if (!*corrupt) {
		*s = calloc(a.r->elements, sizeof(**s));
		if (!*s) {
			freeReplyObject(a.r);
			return -ENOMEM;
		}
		for (i = 0; i < a.r->elements; i++)
			meta_slice_decode((const unsigned char *)a.r->element[i]->str, &(*s)[i]);
		*n = a.r->elements;
	}
	freeReplyObject(a.r);
	return 0;
}

/* one SCAN page of c*_* lists: each is read and given to a->chunk */
static int chunks_page(struct rmeta *m, const struct meta_scan *a, const redisReply *keys)
{
	struct meta_slice *s;
	size_t i, n;
	bool corrupt;
	int ret = 0;

	for (i = 0; !ret && i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		unsigned long long ino;
		unsigned int indx;
		char tail;

		/* JuiceFS's c{ino}_{indx}; other keys starting with c are not chunks */
		if (k->type != REDIS_REPLY_STRING || k->len >= RM_ARGLEN ||
		    sscanf(k->str, "c%llu_%u%c", &ino, &indx, &tail) != 2)
			continue;
		ret = chunk_read(m, k->str, &s, &n, &corrupt);
		if (ret == 1) {
			ret = 0;
			continue;
		}
		if (!ret)
			ret = a->chunk(a->arg, ino, indx, s, n, corrupt);
		free(s);
	}
	return ret;
}

/* SCAN 0 MATCH c*_* COUNT 1000 ... until the cursor comes back to 0 */
static int scan_chunks(struct rmeta *m, const struct meta_scan *a)
{
	struct call_arg c = { .r = NULL };
	char cursor[32] = "0";
	int ret;

	do {
		rm_cmd_init(&c.c, "SCAN");
		rm_cmd_str(&c.c, cursor);
		rm_cmd_str(&c.c, "MATCH");
		rm_cmd_str(&c.c, "c*_*");
		rm_cmd_str(&c.c, "COUNT");
		rm_cmd_str(&c.c, "1000");
		ret = rm_run(m, NULL, rm_call_body, &c);
		if (ret)
			break;
		if (c.r->type != REDIS_REPLY_ARRAY || c.r->elements != 2 ||
		    c.r->element[0]->type != REDIS_REPLY_STRING ||
		    c.r->element[0]->len >= sizeof(cursor) ||
		    c.r->element[1]->type != REDIS_REPLY_ARRAY) {
			ret = rm_bad_reply(m, "SCAN");
			break;
		}
		memcpy(cursor, c.r->element[0]->str, c.r->element[0]->len + 1);
		ret = chunks_page(m, a, c.r->element[1]);
	} while (!ret && strcmp(cursor, "0"));
	freeReplyObject(c.r);
	return ret;
}

/* a sliceRef field k{id}_{size} below zero: nobody references the slice */
static int pending_field(struct rmeta *m, const char *field, const char *val, size_t vlen,
			 void *arg)
{
	const struct meta_scan *a = arg;
	unsigned long long id, size;
	char tail;

	if (val[0] != '-' || sscanf(field, "k%llu_%llu%c", &id, &size, &tail) != 2 ||
	    !id || !size || size > UINT32_MAX)
		return 0;
	return a->pending(a->arg, id, (uint32_t)size);
}

/* a delSlices field {id}_{unixTs}: 12-byte big-endian (id, size) records */
static int delayed_field(struct rmeta *m, const char *field, const char *val, size_t vlen,
			 void *arg)
{
	unsigned long long first;
	long long ts;
	char tail;

	if (sscanf(field, "%llu_%lld%c", &first, &ts, &tail) != 2)
		return 0;	/* not JuiceFS's: gc leaves it alone, as JuiceFS */
	return meta_scan_delayed(arg, ts, (const unsigned char *)val, vlen);
}

int rm_scan(struct meta *mm, const struct meta_scan *a)
{
	struct rmeta *m = (struct rmeta *)mm;
	int ret = 0;

	if (a->chunk)
		ret = scan_chunks(m, a);
	if (!ret && a->pending)
		ret = rm_hscan_each(m, "sliceRef", pending_field, (void *)a);
	if (!ret && a->delayed)
		ret = rm_hscan_each(m, "delSlices", delayed_field, (void *)a);
	return ret;
}

/* ---- dir stats, repairs -------------------------------------------- */

static const char *const stat_keys[] = { "dirDataLength", "dirUsedSpace", "dirUsedInodes" };

struct dirstat_arg {
	struct meta_dirstat *st;
	bool *have;
};

/* doGetDirStat: the three HGETs; stats exist when all three fields do */
static int get_stat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct dirstat_arg *a = arg;
	int64_t *v[] = { &a->st->length, &a->st->space, &a->st->inodes };
	int found = 0, i, ret = 0;
	redisReply *r;
	struct cmd c;

	for (i = 0; i < 3 && !ret; i++) {
		rm_cmd_init(&c, "HGET");
		rm_cmd_str(&c, stat_keys[i]);
		rm_cmd_fmt(&c, "%" PRIu64, a->st->ino);
		ret = rm_call(m, rc, &c, &r);
		if (ret)
			break;
		if (r->type == REDIS_REPLY_STRING) {
			*v[i] = rm_reply_int(r);
			found++;
		}
		freeReplyObject(r);
	}
	*a->have = !ret && found == 3;
	return ret;
}

int rm_get_dir_stat(struct meta *mm, struct meta_dirstat *st, bool *have)
{
	struct dirstat_arg a = { st, have };

	return rm_run((struct rmeta *)mm, NULL, get_stat_body, &a);
}

/* doRepair: WATCH i d, count the subdirs among the entries, SET i */
static int repair_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	struct meta_repair *a = arg;
	struct meta_attr attr;
	redisReply *r;
	struct cmd c;
	uint64_t ino;
	uint8_t type;
	size_t i;
	int ret;

	ret = rm_watch_keys(m, rc, "i%" PRIu64, a->ino, "d%" PRIu64, a->ino);
	if (!ret)
		ret = rm_get_attr(m, rc, a->ino, &attr);
	if (ret)
		return ret;
	if (attr.type != META_TYPE_DIR)
		return -ENOTDIR;
	rm_cmd_init(&c, "HVALS");
	rm_cmd_fmt(&c, "d%" PRIu64, a->ino);
	ret = rm_call(m, rc, &c, &r);
	if (ret)
		return ret;
	a->nlink = 2;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (!rm_entry_decode(r->element[i]->str, r->element[i]->len, &type, &ino) &&
		    type == META_TYPE_DIR)
			a->nlink++;
	freeReplyObject(r);
	attr.nlink = a->nlink;
	rm_tx_multi(rc);
	rm_q_set_attr(rc, a->ino, &attr);
	return rm_tx_exec(m, rc, NULL);
}

int rm_repair_dir(struct meta *mm, struct meta_repair *a)
{
	return rm_run_on_ino((struct rmeta *)mm, a->ino, repair_body, a);
}

static int volstat_body(struct rmeta *m, struct rconn *rc, void *arg)
{
	const struct meta_volstat *a = arg;
	struct cmd c;

	rm_tx_multi(rc);
	rm_cmd_init(&c, "SET");
	rm_cmd_str(&c, "totalInodes");
	rm_cmd_fmt(&c, "%lld", (long long)a->used_inodes);
	rm_tx_add(rc, &c);
	rm_cmd_init(&c, "SET");
	rm_cmd_str(&c, "usedSpace");
	rm_cmd_fmt(&c, "%lld", (long long)a->used_space);
	rm_tx_add(rc, &c);
	return rm_tx_exec(m, rc, NULL);
}

int rm_set_volume_stat(struct meta *mm, const struct meta_volstat *a)
{
	return rm_run((struct rmeta *)mm, NULL, volstat_body, (void *)a);
}
