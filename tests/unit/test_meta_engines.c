/*
 * test_meta_engines.c - the engine conformance suite: every case is written
 * once against the meta_*() API and run on each metadata engine (Redis on
 * a redis-server it starts, SQLite on a temp file), printing
 * "PASS <engine>: <case>".  What a case checks of the raw storage goes
 * through the engine's hooks (conformance.h); what only one engine has
 * (URLs, key and row layout, WATCH conflicts, SQLite locking, juicefs's
 * own rows) stays in test_meta_redis.c and test_meta_sql.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conformance.h"
#include "redisraw.h"
#include "sqlraw.h"

static const char *setting_json =
	"{\"Name\":\"confvol\",\"UUID\":\"5b1e0c2a-7d3f-4a6b-8e9c-0a1b2c3d4e5f\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1,\"EnableACL\":true}";

/* an engine's hooks are the functions of its prefix: rd_fresh, sq_fresh, ... */
#define ENGINE_HOOKS(p) \
	.fresh = p##_fresh, .blank = p##_blank, .url = p##_url, \
	.counter = p##_counter, .set_counter = p##_set_counter, \
	.entries = p##_entries, .entry_is = p##_entry_is, .entry_rename = p##_entry_rename, \
	.node_exists = p##_node_exists, .node_is = p##_node_is, .set_flags = p##_set_flags, \
	.symlink_is = p##_symlink_is, .links_in = p##_links_in, .links_total = p##_links_total, \
	.chunk_raw = p##_chunk_raw, .chunk_corrupt = p##_chunk_corrupt, .chunks_of = p##_chunks_of, \
	.refs_are = p##_refs_are, .ref_put = p##_ref_put, \
	.delslices = p##_delslices, .delslice_put = p##_delslice_put, \
	.delfiles = p##_delfiles, .crash_unlink = p##_crash_unlink, \
	.xattrs = p##_xattrs, .xattr_is = p##_xattr_is, .xattr_put = p##_xattr_put, \
	.sustained = p##_sustained, .sustained_put = p##_sustained_put, \
	.session_expire = p##_session_expire, .set_session_expire = p##_set_session_expire, \
	.session_info = p##_session_info, \
	.flock_of = p##_flock_of, .flock_put = p##_flock_put, .plock_is = p##_plock_is, \
	.dir_stat = p##_dir_stat, .dir_quota_put = p##_dir_quota_put, .acl_rules = p##_acl_rules

/* ======== Redis: keys as JuiceFS's redis.go keeps them ======== */

static struct meta *rd_fresh(bool trash)
{
	return volume(rd_flush(), setting_json, trash);
}

static struct meta *rd_blank(void)
{
	return opened(rd_flush());
}

static const char *rd_url(void)
{
	return redis_url;
}

static long long rd_counter(const char *name)
{
	return rd_int("GET %s", name);
}

static int rd_set_counter(const char *name, long long v)
{
	freeReplyObject(raw("SET %s %lld", name, v));
	return 0;
}

static long long rd_entries(uint64_t parent)
{
	return rd_int("HLEN d%" PRIu64, parent);
}

static bool rd_entry_is(uint64_t parent, const char *name, size_t len, uint64_t ino,
			int type)
{
	unsigned char want[9];
	redisReply *r = raw("HGET d%" PRIu64 " %b", parent, name, len);
	bool ok;
	int i;

	want[0] = (unsigned char)type;
	for (i = 0; i < 8; i++)
		want[1 + i] = (unsigned char)(ino >> (56 - 8 * i));
	ok = rd_is(r, want, 9);
	freeReplyObject(r);
	return ok;
}

static int rd_entry_rename(uint64_t parent, const char *from, const char *to)
{
	redisReply *r = raw("HGET d%" PRIu64 " %s", parent, from);
	int ret = -1;

	if (r && r->type == REDIS_REPLY_STRING) {
		freeReplyObject(raw("HSET d%" PRIu64 " %s %b", parent, to, r->str, r->len));
		freeReplyObject(raw("HDEL d%" PRIu64 " %s", parent, from));
		ret = 0;
	}
	freeReplyObject(r);
	return ret;
}

static bool rd_node_exists(uint64_t ino)
{
	return rd_existsf("i%" PRIu64, ino) == 1;
}

static bool rd_node_is(uint64_t ino, const struct meta_attr *a)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	size_t n = meta_attr_encode(a, buf);
	redisReply *r = raw("GET i%" PRIu64, ino);
	bool ok = rd_is(r, buf, n);

	freeReplyObject(r);
	return ok;
}

static int rd_set_flags(uint64_t ino, uint8_t flags)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	redisReply *r = raw("GET i%" PRIu64, ino);
	struct meta_attr a;
	int ret = -1;

	if (r && r->type == REDIS_REPLY_STRING &&
	    !meta_attr_decode((unsigned char *)r->str, r->len, &a)) {
		a.flags = flags;
		freeReplyObject(raw("SET i%" PRIu64 " %b", ino, buf, meta_attr_encode(&a, buf)));
		ret = 0;
	}
	freeReplyObject(r);
	return ret;
}

static bool rd_symlink_is(uint64_t ino, const char *target)
{
	redisReply *r = raw("GET s%" PRIu64, ino);
	bool ok = rd_is(r, target, strlen(target));

	freeReplyObject(r);
	return ok;
}

static long long rd_links_in(uint64_t ino, uint64_t parent)
{
	return rd_int("HGET p%" PRIu64 " %" PRIu64, ino, parent);
}

static long long rd_links_total(uint64_t ino)
{
	redisReply *r = raw("HVALS p%" PRIu64, ino);
	long long sum = 0;
	size_t i;

	for (i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		sum += strtoll(r->element[i]->str, NULL, 10);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements && !sum)
		sum = -1;
	freeReplyObject(r);
	return sum;
}

static long rd_chunk_raw(uint64_t ino, uint32_t indx, unsigned char **b)
{
	redisReply *r = raw("LRANGE c%" PRIu64 "_%" PRIu32 " 0 -1", ino, indx);
	long n = -1;
	size_t i;

	*b = NULL;
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements) {
		n = 0;
		*b = malloc(24 * r->elements + 1);
		for (i = 0; *b && i < r->elements; i++) {
			if (r->element[i]->len != 24) {
				n = -2;
				break;
			}
			memcpy(*b + n, r->element[i]->str, 24);
			n += 24;
		}
	}
	freeReplyObject(r);
	return n;
}

static const char *rd_chunk_corrupt(uint64_t ino, uint32_t indx)
{
	static char key[64];

	snprintf(key, sizeof(key), "c%" PRIu64 "_%" PRIu32, ino, indx);
	freeReplyObject(raw("DEL %s", key));
	freeReplyObject(raw("RPUSH %s short", key));
	return key;
}

static long long rd_chunks_of(uint64_t ino)
{
	redisReply *r = raw("KEYS c%" PRIu64 "_*", ino);
	long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;

	freeReplyObject(r);
	return n;
}

/* sliceRef holds the references beyond the first; "0" is kept after a decrement */
static bool rd_refs_are(uint64_t id, uint32_t size, int n)
{
	long long v = rd_int("HGET sliceRef k%" PRIu64 "_%" PRIu32, id, size);

	if (n == REFS_NONE || n == 1)
		return v == ABSENT;
	if (n == REFS_1_KEPT)
		return v == 0;
	return v == n - 1;
}

static int rd_ref_put(uint64_t id, uint32_t size, int n)
{
	freeReplyObject(raw("HSET sliceRef k%" PRIu64 "_%" PRIu32 " %d", id, size, n - 1));
	return 0;
}

/* fields "{new slice id}_{unix time}" */
static long long rd_delslices(uint64_t *id, int64_t *when, unsigned char *v, size_t *vlen)
{
	redisReply *r = raw("HGETALL delSlices");
	long long n = -1;

	if (r && r->type == REDIS_REPLY_ARRAY) {
		n = (long long)r->elements / 2;
		if (n && id)
			*id = strtoull(r->element[0]->str, NULL, 10);
		if (n && when) {
			const char *us = strchr(r->element[0]->str, '_');

			*when = us ? strtoll(us + 1, NULL, 10) : -1;
		}
		if (n && v && vlen) {
			*vlen = r->element[1]->len < 256 ? r->element[1]->len : 256;
			memcpy(v, r->element[1]->str, *vlen);
		}
	}
	freeReplyObject(r);
	return n;
}

static int rd_delslice_put(uint64_t id, int64_t when, const unsigned char *v, size_t len)
{
	freeReplyObject(raw("HSET delSlices %" PRIu64 "_%lld %b", id, (long long)when, v, len));
	return 0;
}

static long long rd_delfiles(void)
{
	return rd_int("ZCARD delfiles");
}

/* the node and entry gone, the file's delfiles member "ino:length" left */
static int rd_crash_unlink(uint64_t parent, const char *name, uint64_t ino, uint64_t length)
{
	freeReplyObject(raw("DEL i%" PRIu64, ino));
	freeReplyObject(raw("HDEL d%" PRIu64 " %s", parent, name));
	freeReplyObject(raw("ZADD delfiles 1000 %" PRIu64 ":%" PRIu64, ino, length));
	return 0;
}

static long long rd_xattrs(uint64_t ino)
{
	return rd_int("HLEN x%" PRIu64, ino);
}

static bool rd_xattr_is(uint64_t ino, const char *name, const void *v, size_t len)
{
	redisReply *r = raw("HGET x%" PRIu64 " %s", ino, name);
	bool ok = rd_is(r, v, len);

	freeReplyObject(r);
	return ok;
}

static int rd_xattr_put(uint64_t ino, const char *name, const void *v, size_t len)
{
	freeReplyObject(raw("HSET x%" PRIu64 " %s %b", ino, name, v, len));
	return 0;
}

static long long rd_sustained(uint64_t sid, uint64_t ino)
{
	if (!ino)
		return rd_int("SCARD session%" PRIu64, sid);
	return rd_int("SISMEMBER session%" PRIu64 " %" PRIu64, sid, ino);
}

static int rd_sustained_put(uint64_t sid, uint64_t ino)
{
	freeReplyObject(raw("SADD session%" PRIu64 " %" PRIu64, sid, ino));
	return 0;
}

static long long rd_session_expire(uint64_t sid)
{
	long long v = rd_int("ZSCORE allSessions %" PRIu64, sid);

	return v == ABSENT ? NONE : v;
}

static int rd_set_session_expire(uint64_t sid, long long t)
{
	freeReplyObject(raw("ZADD allSessions %lld %" PRIu64, t, sid));
	return 0;
}

static const char *rd_session_info(uint64_t sid)
{
	static char out[512];
	redisReply *r = raw("HGET sessionInfos %" PRIu64, sid);
	const char *ret = NULL;

	if (r && r->type == REDIS_REPLY_STRING) {
		snprintf(out, sizeof(out), "%s", r->str);
		ret = out;
	}
	freeReplyObject(r);
	return ret;
}

static int rd_flock_of(uint64_t ino, uint64_t sid, uint64_t owner)
{
	redisReply *r = raw("HGET lockf%" PRIu64 " %" PRIu64 "_%016" PRIX64, ino, sid, owner);
	int t = r && r->type == REDIS_REPLY_STRING && r->len == 1 ? r->str[0] : 0;

	freeReplyObject(r);
	return t;
}

static int rd_flock_put(uint64_t ino, uint64_t sid, uint64_t owner, char type)
{
	char t[2] = { type, 0 };

	freeReplyObject(raw("HSET lockf%" PRIu64 " %" PRIu64 "_%016" PRIX64 " %s",
			    ino, sid, owner, t));
	freeReplyObject(raw("SADD locked%" PRIu64 " lockf%" PRIu64, sid, ino));
	return 0;
}

static bool rd_plock_is(uint64_t ino, uint64_t sid, uint64_t owner,
			const unsigned char *recs, size_t len)
{
	redisReply *r = raw("HGET lockp%" PRIu64 " %" PRIu64 "_%016" PRIX64, ino, sid, owner);
	bool ok = len ? rd_is(r, recs, len) : r && r->type == REDIS_REPLY_NIL;

	freeReplyObject(r);
	return ok;
}

static long long rd_dir_stat(uint64_t ino, int which)
{
	static const char *hash[] = { "dirUsedInodes", "dirUsedSpace", "dirDataLength" };
	long long v = rd_int("HGET %s %" PRIu64, hash[which], ino);

	return v == ABSENT ? NONE : v;
}

static int rd_dir_quota_put(uint64_t ino)
{
	freeReplyObject(raw("HSET dirQuota %" PRIu64 " %b", ino, "0123456789abcdef", (size_t)16));
	return 0;
}

static long long rd_acl_rules(void)
{
	return rd_int("HLEN acl");
}

static const struct engine redis_engine = {
	.name = "redis", .setup = redis_setup, .teardown = stop_redis,
	ENGINE_HOOKS(rd),
};

/* ======== SQLite: rows as JuiceFS's sql.go keeps them ======== */

static struct meta *sq_fresh(bool trash)
{
	return volume(raw_next(), setting_json, trash);
}

static struct meta *sq_blank(void)
{
	return opened(raw_next());
}

static const char *sq_url(void)
{
	return url;
}

static long long sq_counter(const char *name)
{
	return raw_int("SELECT value FROM jfs_counter WHERE name='%s'", name);
}

static int sq_set_counter(const char *name, long long v)
{
	return raw_exec("UPDATE jfs_counter SET value=%lld WHERE name='%s'", v, name);
}

static long long sq_entries(uint64_t parent)
{
	return raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, parent);
}

static bool sq_entry_is(uint64_t parent, const char *name, size_t len, uint64_t ino,
			int type)
{
	char hex[2 * 256 + 1];
	size_t i;

	for (i = 0; i < len && i < 256; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)name[i]);
	hex[2 * i] = '\0';
	return raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64
		       " AND name=X'%s' AND typeof(name)='blob'"
		       " AND inode=%" PRIu64 " AND type=%d", parent, hex, ino, type) == 1;
}

static int sq_entry_rename(uint64_t parent, const char *from, const char *to)
{
	return raw_exec("UPDATE jfs_edge SET name=CAST('%s' AS BLOB) WHERE parent=%" PRIu64
			" AND name=CAST('%s' AS BLOB)", to, parent, from);
}

static bool sq_node_exists(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_node WHERE inode=%" PRIu64, ino) == 1;
}

/* times in microseconds and the nanoseconds below one apart, as JuiceFS */
static bool sq_node_is(uint64_t ino, const struct meta_attr *a)
{
	return raw_int("SELECT count(*) FROM jfs_node WHERE inode=%" PRIu64
		       " AND type=%d AND flags=%d AND mode=%d AND uid=%u AND gid=%u"
		       " AND atime=%lld AND mtime=%lld AND ctime=%lld"
		       " AND atimensec=%u AND mtimensec=%u AND ctimensec=%u"
		       " AND nlink=%u AND length=%" PRIu64 " AND rdev=%u AND parent=%" PRIu64
		       " AND access_acl_id=%u AND default_acl_id=%u",
		       ino, a->type, a->flags, a->mode, a->uid, a->gid,
		       (long long)a->atime * 1000000 + a->atimensec / 1000,
		       (long long)a->mtime * 1000000 + a->mtimensec / 1000,
		       (long long)a->ctime * 1000000 + a->ctimensec / 1000,
		       a->atimensec % 1000, a->mtimensec % 1000, a->ctimensec % 1000,
		       a->nlink, a->length, a->rdev, a->parent,
		       a->access_acl, a->default_acl) == 1;
}

static int sq_set_flags(uint64_t ino, uint8_t flags)
{
	return raw_exec("UPDATE jfs_node SET flags=%d WHERE inode=%" PRIu64, flags, ino);
}

static bool sq_symlink_is(uint64_t ino, const char *target)
{
	char *t;
	bool ok;

	if (raw_int("SELECT count(*) FROM jfs_symlink WHERE inode=%" PRIu64
		    " AND typeof(target)='blob'", ino) != 1)
		return false;
	t = raw_blob("SELECT target FROM jfs_symlink WHERE inode=%" PRIu64, ino);
	ok = t && !strcmp(t, target);
	free(t);
	return ok;
}

static long long sq_links_in(uint64_t ino, uint64_t parent)
{
	return raw_int("SELECT count(*) FROM jfs_edge WHERE inode=%" PRIu64
		       " AND parent=%" PRIu64, ino, parent);
}

static long long sq_links_total(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_edge WHERE inode=%" PRIu64, ino);
}

static long sq_chunk_raw(uint64_t ino, uint32_t indx, unsigned char **b)
{
	long long n = raw_int("SELECT length(CAST(slices AS BLOB)) FROM jfs_chunk WHERE inode=%"
			      PRIu64 " AND indx=%" PRIu32, ino, indx);

	*b = NULL;
	if (n < 0)
		return -1;
	*b = (unsigned char *)raw_blob("SELECT slices FROM jfs_chunk WHERE inode=%" PRIu64
				       " AND indx=%" PRIu32, ino, indx);
	return *b ? (long)n : -1;
}

static const char *sq_chunk_corrupt(uint64_t ino, uint32_t indx)
{
	raw_exec("UPDATE jfs_chunk SET slices=x'0102030405' WHERE inode=%" PRIu64
		 " AND indx=%" PRIu32, ino, indx);
	return "jfs_chunk";
}

static long long sq_chunks_of(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_chunk WHERE inode=%" PRIu64, ino);
}

/* jfs_chunk_ref: refs = the records that use the slice */
static bool sq_refs_are(uint64_t id, uint32_t size, int n)
{
	if (n == REFS_NONE)
		return raw_int("SELECT count(*) FROM jfs_chunk_ref WHERE chunkid=%" PRIu64, id) == 0;
	if (n == REFS_1_KEPT)
		n = 1;
	return raw_int("SELECT count(*) FROM jfs_chunk_ref WHERE chunkid=%" PRIu64
		       " AND size=%" PRIu32 " AND refs=%d", id, size, n) == 1;
}

static int sq_ref_put(uint64_t id, uint32_t size, int n)
{
	return raw_exec("INSERT OR REPLACE INTO jfs_chunk_ref (chunkid, size, refs) VALUES (%" PRIu64
			", %" PRIu32 ", %d)", id, size, n);
}

static long long sq_delslices(uint64_t *id, int64_t *when, unsigned char *v, size_t *vlen)
{
	long long n = raw_int("SELECT count(*) FROM jfs_delslices");

	if (n > 0 && id)
		*id = (uint64_t)raw_int("SELECT chunkid FROM jfs_delslices ORDER BY deleted LIMIT 1");
	if (n > 0 && when)
		*when = raw_int("SELECT deleted FROM jfs_delslices ORDER BY deleted LIMIT 1");
	if (n > 0 && v && vlen) {
		long long len = raw_int("SELECT length(slices) FROM jfs_delslices "
					"ORDER BY deleted LIMIT 1");
		char *b = raw_blob("SELECT slices FROM jfs_delslices ORDER BY deleted LIMIT 1");

		*vlen = len > 0 && len < 256 ? (size_t)len : 0;
		if (b)
			memcpy(v, b, *vlen);
		free(b);
	}
	return n;
}

static int sq_delslice_put(uint64_t id, int64_t when, const unsigned char *v, size_t len)
{
	char hex[2 * 256 + 1];
	size_t i;

	for (i = 0; i < len && i < 256; i++)
		sprintf(hex + 2 * i, "%02x", v[i]);
	hex[2 * i] = '\0';
	return raw_exec("INSERT INTO jfs_delslices (chunkid, deleted, slices) VALUES "
			"(%" PRIu64 ", %lld, X'%s')", id, (long long)when, hex);
}

static long long sq_delfiles(void)
{
	return raw_int("SELECT count(*) FROM jfs_delfile");
}

static int sq_crash_unlink(uint64_t parent, const char *name, uint64_t ino, uint64_t length)
{
	return raw_exec("DELETE FROM jfs_edge WHERE parent=%" PRIu64 " AND name=CAST('%s' AS BLOB);"
			"DELETE FROM jfs_node WHERE inode=%" PRIu64 ";"
			"INSERT INTO jfs_delfile VALUES (%" PRIu64 ", %" PRIu64 ", 1000)",
			parent, name, ino, ino, length);
}

static long long sq_xattrs(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=%" PRIu64, ino);
}

/* the value a BLOB, the name TEXT */
static bool sq_xattr_is(uint64_t ino, const char *name, const void *want, size_t len)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	bool same = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_prepare_v2(db, "SELECT value, typeof(value), typeof(name) FROM jfs_xattr "
			       "WHERE inode=? AND name=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (int64_t)ino);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			same = (size_t)sqlite3_column_bytes(st, 0) == len &&
			       (!len || !memcmp(sqlite3_column_blob(st, 0), want, len)) &&
			       !strcmp((const char *)sqlite3_column_text(st, 1), "blob") &&
			       !strcmp((const char *)sqlite3_column_text(st, 2), "text");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return same;
}

static int sq_xattr_put(uint64_t ino, const char *name, const void *v, size_t len)
{
	char hex[2 * 64 + 1];
	size_t i;

	for (i = 0; i < len && i < 64; i++)
		sprintf(hex + 2 * i, "%02x", ((const unsigned char *)v)[i]);
	hex[2 * i] = '\0';
	return raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES (%" PRIu64
			", '%s', X'%s')", ino, name, hex);
}

static long long sq_sustained(uint64_t sid, uint64_t ino)
{
	if (!ino)
		return raw_int("SELECT count(*) FROM jfs_sustained WHERE sid=%" PRIu64, sid);
	return raw_int("SELECT count(*) FROM jfs_sustained WHERE sid=%" PRIu64
		       " AND inode=%" PRIu64, sid, ino);
}

static int sq_sustained_put(uint64_t sid, uint64_t ino)
{
	return raw_exec("INSERT INTO jfs_sustained (sid, inode) VALUES (%" PRIu64 ", %" PRIu64 ")",
			sid, ino);
}

static long long sq_session_expire(uint64_t sid)
{
	if (raw_int("SELECT count(*) FROM jfs_session2 WHERE sid=%" PRIu64, sid) != 1)
		return NONE;
	return raw_int("SELECT expire FROM jfs_session2 WHERE sid=%" PRIu64, sid);
}

static int sq_set_session_expire(uint64_t sid, long long t)
{
	if (raw_int("SELECT count(*) FROM jfs_session2 WHERE sid=%" PRIu64, sid) == 1)
		return raw_exec("UPDATE jfs_session2 SET expire=%lld WHERE sid=%" PRIu64, t, sid);
	return raw_exec("INSERT INTO jfs_session2 (sid, expire, info) VALUES (%" PRIu64
			", %lld, CAST('{}' AS BLOB))", sid, t);
}

static const char *sq_session_info(uint64_t sid)
{
	static char out[512];

	if (raw_int("SELECT count(*) FROM jfs_session2 WHERE sid=%" PRIu64, sid) != 1)
		return NULL;
	snprintf(out, sizeof(out), "%s",
		 raw_str("SELECT CAST(info AS TEXT) FROM jfs_session2 WHERE sid=%" PRIu64, sid));
	return out;
}

static int sq_flock_of(uint64_t ino, uint64_t sid, uint64_t owner)
{
	long long t = raw_int("SELECT ltype FROM jfs_flock WHERE inode=%" PRIu64 " AND sid=%"
			      PRIu64 " AND owner=%" PRId64, ino, sid, (int64_t)owner);

	return t < 0 ? 0 : (int)t;
}

static int sq_flock_put(uint64_t ino, uint64_t sid, uint64_t owner, char type)
{
	return raw_exec("INSERT INTO jfs_flock (inode, sid, owner, ltype) VALUES (%" PRIu64
			", %" PRIu64 ", %" PRId64 ", %d)", ino, sid, (int64_t)owner, type);
}

static bool sq_plock_is(uint64_t ino, uint64_t sid, uint64_t owner,
			const unsigned char *recs, size_t len)
{
	char hex[2 * 240 + 1];
	size_t i;

	if (!len)
		return !strcmp(raw_str("SELECT hex(records) FROM jfs_plock WHERE inode=%" PRIu64
				       " AND sid=%" PRIu64 " AND owner=%" PRId64, ino, sid,
				       (int64_t)owner), "(none)");
	for (i = 0; i < len && i < 240; i++)
		sprintf(hex + 2 * i, "%02X", recs[i]);
	hex[2 * i] = '\0';
	return raw_int("SELECT count(*) FROM jfs_plock WHERE inode=%" PRIu64 " AND sid=%" PRIu64
		       " AND owner=%" PRId64 " AND hex(records)='%s' AND typeof(records)='blob'",
		       ino, sid, (int64_t)owner, hex) == 1;
}

static long long sq_dir_stat(uint64_t ino, int which)
{
	static const char *col[] = { "used_inodes", "used_space", "data_length" };

	if (raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64, ino) != 1)
		return NONE;
	return raw_int("SELECT %s FROM jfs_dir_stats WHERE inode=%" PRIu64, col[which], ino);
}

static int sq_dir_quota_put(uint64_t ino)
{
	return raw_exec("INSERT INTO jfs_dir_quota VALUES (%" PRIu64 ", 1073741824, 0, 0, 0)",
			ino);
}

static long long sq_acl_rules(void)
{
	return raw_int("SELECT count(*) FROM jfs_acl");
}

static const struct engine sqlite_engine = {
	.name = "sqlite", .setup = raw_setup, .teardown = raw_cleanup,
	ENGINE_HOOKS(sq),
	.acl_dedup_races = true,
};

/* ======== the cases ======== */

/* ---- the volume ---- */

static void init_and_setting(void)
{
	struct meta *m = E->blank();
	struct meta_attr root, a;
	char *json = NULL;

	REQUIRE(m);
	CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
	CHECK(json == NULL);
	REQUIRE(meta_init(m, setting_json, false) == 0);
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK_STR(json, setting_json);
	free(json);
	REQUIRE(meta_getattr(m, 1, &root) == 0);
	CHECK_EQ(root.type, META_TYPE_DIR);
	CHECK_EQ(root.mode, 0777);
	CHECK_EQ(root.nlink, 2);
	CHECK_EQU(root.length, 4096);
	CHECK_EQU(root.parent, 1);
	CHECK(root.mtime > 1700000000);
	CHECK(E->node_is(1, &root));
	CHECK(!E->node_exists(META_TRASH_INO));

	/* again: the setting changes, the root stays, the trash appears */
	sleep(1);	/* a root written anew would show */
	CHECK_EQ(meta_init(m, "{\"Name\": \"other\"}", true), 0);
	CHECK(E->node_is(1, &root));
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK_STR(json, "{\"Name\": \"other\"}");
	free(json);
	REQUIRE(meta_getattr(m, META_TRASH_INO, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQ(a.mode, 0555);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 1);
	CHECK(E->node_is(META_TRASH_INO, &a));
	CHECK_EQ(E->entries(1), 0);	/* .trash has no entry: ops.c shows it */
	meta_close(m);
}

/* ---- namespace ---- */

static void mknod_every_type(void)
{
	struct meta *m = fresh();
	struct meta_attr a, root0, root1;
	uint64_t f, d, s, p, c, b, k;
	char *target = NULL;
	size_t tlen = 0;

	REQUIRE(m);
	REQUIRE(meta_getattr(m, 1, &root0) == 0);
	REQUIRE(meta_mknod(m, 1, "hello", 5, META_TYPE_FILE, 0644, 022, 1000, 1001, 0,
			      NULL, 0, &f, &a) == 0);
	CHECK_EQU(f, 2);
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(a.mode, 0644);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 0);
	CHECK_EQU(a.parent, 1);
	CHECK(E->node_is(f, &a));
	CHECK(E->entry_is(1, "hello", 5, f, META_TYPE_FILE));
	CHECK_EQ(E->counter("usedSpace"), 4096);
	CHECK_EQ(E->counter("totalInodes"), 1);
	REQUIRE(meta_getattr(m, 1, &root1) == 0);
	CHECK(root1.mtime > root0.mtime ||
	      (root1.mtime == root0.mtime && root1.mtimensec > root0.mtimensec));
	CHECK_EQ(root1.ctime, root1.mtime);
	CHECK_EQ(root1.nlink, 2);
	CHECK(E->node_is(1, &root1));

	REQUIRE(meta_mknod(m, 1, "dir", 3, META_TYPE_DIR, 02755, 0, 0, 50, 0, NULL, 0,
			      &d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.length, 4096);
	CHECK_EQ(a.mode, 02755);
	CHECK(E->node_is(d, &a));
	CHECK(E->entry_is(1, "dir", 3, d, META_TYPE_DIR));
	/* its zero stats, as doMknod writes them even with dir stats off */
	CHECK_EQ(E->dir_stat(d, DS_INODES), 0);
	CHECK_EQ(E->dir_stat(d, DS_SPACE), 0);
	CHECK_EQ(E->dir_stat(d, DS_LENGTH), 0);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 3);

	REQUIRE(meta_mknod(m, d, "link", 4, META_TYPE_SYMLINK, 0777, 0, 7, 7, 0,
			      "../some/target", 14, &s, &a) == 0);
	CHECK_EQU(a.length, 14);
	CHECK_EQ(a.gid, 50);	/* from the setgid parent */
	CHECK_EQ(a.mode, 0777);
	CHECK(E->node_is(s, &a));
	CHECK(E->symlink_is(s, "../some/target"));
	REQUIRE(meta_readlink(m, s, &target, &tlen) == 0);
	CHECK_EQ(tlen, 14);
	CHECK_STR(target, "../some/target");
	free(target);
	target = NULL;

	REQUIRE(meta_mknod(m, d, "fifo", 4, META_TYPE_FIFO, 0600, 0, 0, 0, 0, NULL, 0,
			      &p, &a) == 0);
	CHECK(E->node_is(p, &a));
	CHECK(E->entry_is(d, "fifo", 4, p, META_TYPE_FIFO));
	REQUIRE(meta_mknod(m, d, "tty", 3, META_TYPE_CHRDEV, 0620, 0, 0, 0,
			      (4 << 8) | 1, NULL, 0, &c, &a) == 0);
	CHECK(E->node_is(c, &a));
	REQUIRE(meta_getattr(m, c, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_CHRDEV);
	CHECK_EQ(a.rdev, (4 << 8) | 1);
	REQUIRE(meta_mknod(m, d, "sda", 3, META_TYPE_BLKDEV, 0660, 0, 0, 0,
			      (8 << 8), NULL, 0, &b, &a) == 0);
	CHECK(E->node_is(b, &a));
	CHECK(E->entry_is(d, "sda", 3, b, META_TYPE_BLKDEV));
	REQUIRE(meta_mknod(m, d, "sock", 4, META_TYPE_SOCKET, 0755, 0, 0, 0, 0, NULL, 0,
			      &k, &a) == 0);
	CHECK(E->node_is(k, &a));
	CHECK_EQ(a.type, META_TYPE_SOCKET);
	CHECK_EQ(E->counter("usedSpace"), 7 * 4096);
	CHECK_EQ(E->counter("totalInodes"), 7);
	REQUIRE(meta_getattr(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(E->entries(d), 5);

	CHECK_EQ(meta_readlink(m, p, &target, &tlen), -EINVAL);
	CHECK_EQ(meta_readlink(m, 12345, &target, &tlen), -ENOENT);
	CHECK(target == NULL);
	meta_close(m);
}

static void mknod_errors(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	char name[300], tgt[META_MAX_SYMLINK + 2];
	uint64_t f, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(mkfile(m, 1, "f", &ino), -EEXIST);
	CHECK_EQ(mkdir_(m, 1, "f", &ino), -EEXIST);
	CHECK_EQ(mkfile(m, f, "x", &ino), -ENOTDIR);
	CHECK_EQ(mkfile(m, 999999, "x", &ino), -ENOENT);
	memset(name, 'n', sizeof(name));
	name[256] = '\0';
	CHECK_EQ(mkfile(m, 1, name, &ino), -ENAMETOOLONG);
	CHECK_EQ(lookup_(m, 1, name, &ino), -ENAMETOOLONG);
	name[255] = '\0';
	CHECK_EQ(mkfile(m, 1, name, &ino), 0);
	CHECK_EQ(lookup_(m, 1, name, &ino), 0);
	CHECK_EQ(mkfile(m, 1, "a/b", &ino), -EINVAL);
	CHECK_EQ(meta_mknod(m, 1, "a\0b", 3, META_TYPE_FILE, 0644, 0, 0, 0, 0, NULL, 0,
			       &ino, NULL), -EINVAL);
	CHECK_EQ(mkfile(m, 1, "", &ino), -EINVAL);
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, "", 0,
			       &ino, &a), -EINVAL);
	memset(tgt, 't', sizeof(tgt));
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, tgt,
			       META_MAX_SYMLINK + 1, &ino, &a), -ENAMETOOLONG);
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, 9, 0777, 0, 0, 0, 0, NULL, 0, &ino, &a),
		 -EINVAL);
	CHECK_EQ(mkfile(m, META_TRASH_INO, "x", &ino), -EPERM);
	/* an immutable dir takes no new entries */
	REQUIRE(E->set_flags(1, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(mkfile(m, 1, "imm", &ino), -EPERM);
	REQUIRE(E->set_flags(1, 0) == 0);
	CHECK_EQ(E->counter("totalInodes"), 2);
	CHECK_EQ(E->counter("usedSpace"), 2 * 4096);
	CHECK_EQ(E->entries(1), 2);
	/* binary names are kept as raw bytes */
	CHECK_EQ(meta_mknod(m, 1, "\xff\x01 x", 4, META_TYPE_FILE, 0644, 0, 0, 0, 0,
			       NULL, 0, &ino, NULL), 0);
	CHECK(E->entry_is(1, "\xff\x01 x", 4, ino, META_TYPE_FILE));
	meta_close(m);
}

static void lookup_getattr_setattr(void)
{
	struct meta *m = fresh();
	struct meta_attr a, in, out;
	struct timespec t0;
	uint64_t f, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, &a) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(a.mode, 0644);
	CHECK_EQ(a.uid, 1000);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, NULL) == 0);
	CHECK_EQ(meta_lookup(m, 1, "nope", 4, &ino, &a), -ENOENT);
	CHECK_EQ(meta_lookup(m, 1, "", 0, &ino, &a), -EINVAL);
	CHECK_EQ(meta_getattr(m, 424242, &a), -ENOENT);

	memset(&in, 0, sizeof(in));
	in.mode = 0600 | 04000;
	in.uid = 5;
	in.gid = 6;
	clock_gettime(CLOCK_REALTIME, &t0);
	REQUIRE(meta_setattr(m, f, META_SET_MODE | META_SET_UID | META_SET_GID,
				&in, &out) == 0);
	CHECK_EQ(out.mode, 04600);
	CHECK_EQ(out.uid, 5);
	CHECK_EQ(out.gid, 6);
	CHECK(out.ctime >= t0.tv_sec);
	CHECK_EQ(out.type, META_TYPE_FILE);
	CHECK(E->node_is(f, &out));

	in.atime = 100;
	in.atimensec = 1;
	in.mtime = 200;
	in.mtimensec = 2002;
	in.ctime = 300;
	in.ctimensec = 3000003;
	REQUIRE(meta_setattr(m, f, META_SET_ATIME | META_SET_MTIME | META_SET_CTIME,
				&in, &out) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.atime, 100);
	CHECK_EQ(a.atimensec, 1);
	CHECK_EQ(a.mtime, 200);
	CHECK_EQ(a.mtimensec, 2002);
	CHECK_EQ(a.ctime, 300);
	CHECK_EQ(a.ctimensec, 3000003);
	CHECK_EQ(a.mode, 04600);	/* untouched */
	CHECK(E->node_is(f, &a));
	CHECK_EQ(meta_setattr(m, 777777, META_SET_MODE, &in, &out), -ENOENT);
	/* immutable: refused */
	REQUIRE(E->set_flags(f, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(meta_setattr(m, f, META_SET_UID, &in, &out), -EPERM);
	meta_close(m);
}

static void hard_links(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, d, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(meta_link(m, f, d, "l", 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	CHECK(E->node_is(f, &a));
	CHECK(E->entry_is(d, "l", 1, f, META_TYPE_FILE));
	CHECK(E->entry_is(1, "f", 1, f, META_TYPE_FILE));
	CHECK_EQ(E->links_in(f, 1), 1);
	CHECK_EQ(E->links_in(f, d), 1);
	REQUIRE(lookup_(m, d, "l", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(meta_link(m, d, 1, "dl", 2, &a), -EPERM);
	CHECK_EQ(meta_link(m, f, d, "l", 1, &a), -EEXIST);
	CHECK_EQ(meta_link(m, 99999, d, "x", 1, &a), -ENOENT);
	CHECK_EQ(meta_link(m, f, f, "x", 1, &a), -ENOTDIR);
	CHECK_EQ(meta_link(m, f, META_TRASH_INO, "x", 1, &a), -EPERM);
	CHECK_EQ(meta_link(m, f, d, "", 0, &a), -EINVAL);
	REQUIRE(meta_link(m, f, d, "l2", 2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(E->links_in(f, d), 2);
	CHECK_EQ(E->links_total(f), 3);
	CHECK_EQ(E->counter("totalInodes"), 2);
	CHECK_EQ(E->counter("usedSpace"), 2 * 4096);

	REQUIRE(unlink_(m, 1, "f") == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(E->links_in(f, 1), 0);
	CHECK_EQ(E->links_total(f), 2);
	CHECK_EQ(unlink_(m, 1, "f"), -ENOENT);
	REQUIRE(unlink_(m, d, "l") == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.parent, 0);		/* as sql.go and redis.go: not restored */
	CHECK_EQ(E->links_in(f, d), 1);
	CHECK_EQ(E->links_total(f), 1);
	REQUIRE(unlink_(m, d, "l2") == 0);
	CHECK_EQ(meta_getattr(m, f, &a), -ENOENT);
	CHECK_EQ(E->links_total(f), 0);
	CHECK(!E->node_exists(f));
	CHECK_EQ(E->counter("totalInodes"), 1);
	CHECK_EQ(E->counter("usedSpace"), 4096);
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(unlink_(m, 1, "d"), -EPERM);
	meta_close(m);
}

/* the last unlink of each type: node, entry, xattrs, symlink and data go */
static void unlink_frees(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, s, p, id;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10000, &id, &a) == 0);
	REQUIRE(setx(m, f, "user.a", "\0", 1, 0) == 0);
	REQUIRE(meta_mknod(m, 1, "s", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, "tgt", 3,
			      &s, &a) == 0);
	REQUIRE(meta_mknod(m, 1, "p", 1, META_TYPE_FIFO, 0644, 0, 0, 0, 0, NULL, 0,
			      &p, &a) == 0);
	CHECK_EQ(E->counter("usedSpace"), 12288 + 2 * 4096);
	CHECK_EQ(E->counter("totalInodes"), 3);

	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK(!E->node_exists(f));
	CHECK_EQ(E->links_total(f), 0);
	CHECK_EQ(E->xattrs(f), 0);
	CHECK(rec_has(id, 10000));
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(E->counter("usedSpace"), 2 * 4096);
	CHECK_EQ(E->counter("totalInodes"), 2);

	REQUIRE(unlink_(m, 1, "s") == 0);
	CHECK(!E->node_exists(s));
	CHECK(!E->symlink_is(s, "tgt"));
	REQUIRE(unlink_(m, 1, "p") == 0);
	CHECK(!E->node_exists(p));
	CHECK_EQ(E->counter("usedSpace"), 0);
	CHECK_EQ(E->counter("totalInodes"), 0);
	CHECK_EQ(E->entries(1), 0);
	CHECK_EQ(unlink_(m, 1, "p"), -ENOENT);
	CHECK_EQ(unlink_(m, 424242, "x"), -ENOENT);
	meta_close(m);
}

static void rmdir_cases(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, f, nq = 9;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, d, "e", &e) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(rmdir_(m, 1, "d"), -ENOTEMPTY);
	CHECK_EQ(rmdir_(m, 1, "f"), -ENOTDIR);
	CHECK_EQ(rmdir_(m, 1, "x"), -ENOENT);
	CHECK_EQ(rmdir_(m, f, "x"), -ENOTDIR);
	CHECK_EQ(unlink_(m, 1, "d"), -EPERM);
	REQUIRE(meta_getattr(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(setx(m, e, "user.x", "\1", 1, 0) == 0);
	REQUIRE(E->dir_quota_put(e) == 0);
	REQUIRE(rmdir_(m, d, "e") == 0);
	REQUIRE(meta_getattr(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(meta_getattr(m, e, &a), -ENOENT);
	CHECK(!E->node_exists(e));
	CHECK_EQ(E->xattrs(e), 0);
	CHECK_EQ(E->dir_stat(e, DS_INODES), NONE);
	CHECK_EQ(meta_count_dir_quotas(m, &nq), 0);
	CHECK_EQU(nq, 0);		/* its quota went with it */
	REQUIRE(rmdir_(m, 1, "d") == 0);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(E->counter("totalInodes"), 1);
	CHECK_EQ(E->counter("usedSpace"), 4096);
	CHECK_EQ(E->entries(1), 1);
	meta_close(m);
}

static void rename_moves(void)
{
	struct meta *m = fresh();
	struct meta_attr a, before;
	uint64_t d1, d2, sub, f, ino;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "a", &d1) == 0);
	REQUIRE(mkdir_(m, 1, "b", &d2) == 0);
	REQUIRE(mkdir_(m, d1, "sub", &sub) == 0);
	REQUIRE(mkfile(m, d1, "f", &f) == 0);
	REQUIRE(meta_getattr(m, f, &before) == 0);

	REQUIRE(rename_(m, d1, "f", d1, "g", 0) == 0);
	CHECK_EQ(lookup_(m, d1, "f", &ino), -ENOENT);
	REQUIRE(lookup_(m, d1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(E->entry_is(d1, "g", 1, f, META_TYPE_FILE));
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK(a.ctime > before.ctime ||
	      (a.ctime == before.ctime && a.ctimensec > before.ctimensec));
	CHECK(E->node_is(f, &a));

	REQUIRE(rename_(m, d1, "g", d2, "h", 0) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(rename_(m, d1, "sub", d2, "sub2", 0) == 0);
	REQUIRE(meta_getattr(m, sub, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(meta_getattr(m, d1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(meta_getattr(m, d2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(E->entries(d1), 0);
	CHECK_EQ(E->entries(d2), 2);
	/* onto itself: nothing happens */
	CHECK_EQ(rename_(m, d2, "h", d2, "h", 0), 0);
	CHECK_EQ(lookup_(m, d2, "h", &ino), 0);
	/* into itself */
	CHECK_EQ(rename_(m, d2, "sub2", sub, "x", 0), -EINVAL);
	CHECK_EQ(rename_(m, d2, "nope", d1, "x", 0), -ENOENT);
	CHECK_EQ(rename_(m, d2, "h", 424242, "x", 0), -ENOENT);
	CHECK_EQ(rename_(m, d2, "h", f, "x", 0), -ENOTDIR);
	CHECK_EQ(rename_(m, d2, "h", META_TRASH_INO, "x", 0), -EPERM);
	CHECK_EQ(E->counter("totalInodes"), 4);
	meta_close(m);
}

static void rename_replaces(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, full, f, g, id, ino, y;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, 1, "e", &e) == 0);
	REQUIRE(mkdir_(m, 1, "full", &full) == 0);
	REQUIRE(mkfile(m, full, "x", &ino) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 100, &id, &a) == 0);
	CHECK_EQ(E->counter("totalInodes"), 6);

	CHECK_EQ(rename_(m, 1, "f", 1, "g", META_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(rename_(m, 1, "d", 1, "f", 0), -ENOTDIR);
	CHECK_EQ(rename_(m, 1, "f", 1, "d", 0), -EISDIR);
	CHECK_EQ(rename_(m, 1, "d", 1, "full", 0), -ENOTEMPTY);
	CHECK_EQ(rename_(m, 1, "f", 1, "g", ~0U), -EINVAL);
	CHECK_EQ(rename_(m, 1, "f", 1, "g", META_RENAME_NOREPLACE | META_RENAME_EXCHANGE),
		 -EINVAL);
	/* NOREPLACE onto a free name is a plain move */
	REQUIRE(rename_(m, 1, "f", 1, "f1", META_RENAME_NOREPLACE) == 0);
	REQUIRE(rename_(m, 1, "f1", 1, "f", 0) == 0);

	/* a file over a file: the target's last link and data go */
	rec.n = 0;
	REQUIRE(rename_(m, 1, "f", 1, "g", 0) == 0);
	REQUIRE(lookup_(m, 1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(E->entry_is(1, "g", 1, f, META_TYPE_FILE));
	CHECK_EQ(E->links_total(g), 0);
	CHECK_EQ(meta_getattr(m, g, &a), -ENOENT);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id, 100));
	CHECK_EQ(E->counter("totalInodes"), 5);

	/* a dir over an empty dir */
	REQUIRE(rename_(m, 1, "d", 1, "e", 0) == 0);
	REQUIRE(lookup_(m, 1, "e", &ino) == 0);
	CHECK_EQU(ino, d);
	CHECK_EQ(meta_getattr(m, e, &a), -ENOENT);
	CHECK_EQ(E->dir_stat(e, DS_INODES), NONE);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);	/* e(=d) and full */
	CHECK_EQ(E->counter("totalInodes"), 4);
	CHECK_EQ(E->counter("usedSpace"), 4 * 4096);

	/* a dir from elsewhere over an empty dir: parents' nlink */
	REQUIRE(mkdir_(m, full, "y", &y) == 0);
	REQUIRE(rename_(m, full, "y", 1, "e", 0) == 0);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);
	REQUIRE(meta_getattr(m, full, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(meta_getattr(m, y, &a) == 0);
	CHECK_EQU(a.parent, 1);
	CHECK(E->node_is(y, &a));

	/* two names of one inode: a no-op that keeps both */
	REQUIRE(meta_link(m, f, 1, "g2", 2, &a) == 0);
	REQUIRE(rename_(m, 1, "g", 1, "g2", 0) == 0);
	CHECK_EQ(lookup_(m, 1, "g", &ino), 0);
	CHECK_EQ(lookup_(m, 1, "g2", &ino), 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* a hard link over a file: one link of it goes, the node stays */
	REQUIRE(mkfile(m, 1, "h", &ino) == 0);
	REQUIRE(rename_(m, 1, "h", 1, "g2", 0) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(E->links_total(f), 1);
	CHECK(E->entry_is(1, "g2", 2, ino, META_TYPE_FILE));
	meta_close(m);
}

static void rename_exchange(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t p1, p2, f, d, g, ino;
	unsigned int flags = META_RENAME_EXCHANGE;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "p1", &p1) == 0);
	REQUIRE(mkdir_(m, 1, "p2", &p2) == 0);
	REQUIRE(mkfile(m, p1, "f", &f) == 0);
	REQUIRE(mkdir_(m, p2, "d", &d) == 0);
	CHECK_EQ(rename_(m, p1, "f", p2, "nope", flags), -ENOENT);
	CHECK_EQ(rename_(m, p1, "f", p2, "d", flags | META_RENAME_NOREPLACE), -EINVAL);
	REQUIRE(rename_(m, p1, "f", p2, "d", flags) == 0);
	REQUIRE(lookup_(m, p1, "f", &ino) == 0);
	CHECK_EQU(ino, d);
	REQUIRE(lookup_(m, p2, "d", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(E->entry_is(p1, "f", 1, d, META_TYPE_DIR));
	CHECK(E->entry_is(p2, "d", 1, f, META_TYPE_FILE));
	REQUIRE(meta_getattr(m, d, &a) == 0);
	CHECK_EQU(a.parent, p1);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.parent, p2);
	REQUIRE(meta_getattr(m, p1, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(meta_getattr(m, p2, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(E->counter("totalInodes"), 4);
	/* in one dir: only the names swap */
	REQUIRE(mkfile(m, p2, "g", &g) == 0);
	REQUIRE(rename_(m, p2, "g", p2, "d", flags) == 0);
	CHECK(E->entry_is(p2, "g", 1, f, META_TYPE_FILE));
	CHECK(E->entry_is(p2, "d", 1, g, META_TYPE_FILE));
	CHECK_EQ(E->counter("totalInodes"), 5);
	CHECK_EQ(E->entries(1) + E->entries(p1) + E->entries(p2), 5);
	meta_close(m);
}

static void rename_hardlinked_file(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, f;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_link(m, f, 1, "f2", 2, &a) == 0);
	CHECK_EQ(E->links_in(f, 1), 2);
	REQUIRE(rename_(m, 1, "f2", d, "f3", 0) == 0);
	CHECK_EQ(E->links_in(f, 1), 1);
	CHECK_EQ(E->links_in(f, d), 1);
	CHECK(E->entry_is(1, "f", 1, f, META_TYPE_FILE));
	CHECK(E->entry_is(d, "f3", 2, f, META_TYPE_FILE));
	CHECK_EQ(E->links_total(f), 2);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(a.nlink, 2);
	meta_close(m);
}

static void readdir_plus(void)
{
	struct meta *m = fresh();
	struct meta_dirent *e = NULL;
	size_t n = 0, i, dirs = 0;
	uint64_t d, ino, sub, f;
	char name[32];
	bool ok = true, sorted = true, attrs = true;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "big", &d) == 0);
	/* out of order, and more than one batch of a listing */
	for (i = 0; i < 1500 && ok; i++) {
		snprintf(name, sizeof(name), "file-%04zu", (i * 7) % 1500);
		ok = mkfile(m, d, name, &ino) == 0;
	}
	REQUIRE(ok);
	REQUIRE(mkdir_(m, d, "sub", &sub) == 0);
	REQUIRE(meta_readdir(m, d, false, &e, &n) == 0);
	CHECK_EQ(n, 1501);
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_DIR) {
			dirs++;
			CHECK_STR(e[i].name, "sub");
			CHECK_EQ(e[i].namelen, 3);
			CHECK_EQU(e[i].ino, sub);
		}
	}
	CHECK_EQ(dirs, 1);
	meta_free_dirents(e, n);

	REQUIRE(meta_readdir(m, d, true, &e, &n) == 0);
	CHECK_EQ(n, 1501);
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_DIR)
			CHECK(e[i].attr.type == META_TYPE_DIR && e[i].attr.nlink == 2);
		if (e[i].type != META_TYPE_FILE)
			continue;
		if (e[i].attr.type != META_TYPE_FILE || e[i].attr.mode != 0644 ||
		    e[i].attr.uid != 1000 || e[i].attr.parent != d || e[i].attr.nlink != 1)
			attrs = false;
	}
	CHECK(attrs);
	meta_free_dirents(e, n);
	(void)sorted;

	/* the engine lists no .trash: that is ops.c's virtual entry */
	REQUIRE(meta_readdir(m, 1, true, &e, &n) == 0);
	CHECK_EQ(n, 1);
	meta_free_dirents(e, n);
	REQUIRE(mkdir_(m, 1, "empty", &ino) == 0);
	REQUIRE(meta_readdir(m, ino, true, &e, &n) == 0);
	CHECK_EQ(n, 0);
	meta_free_dirents(e, n);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_readdir(m, f, false, &e, &n), -ENOTDIR);
	CHECK_EQ(meta_readdir(m, 777777, false, &e, &n), -ENOENT);
	CHECK(e == NULL && n == 0);
	meta_close(m);
}

static void statfs_counters(void)
{
	struct meta *m = fresh();
	uint64_t space = 1, inodes = 1, f;
	struct meta_attr a;

	REQUIRE(m);
	REQUIRE(meta_statfs(m, &space, &inodes) == 0);
	CHECK_EQU(space, 0);
	CHECK_EQU(inodes, 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, NULL, &a) == 0);
	REQUIRE(meta_statfs(m, &space, &inodes) == 0);
	CHECK_EQU(space, 8192);
	CHECK_EQU(inodes, 1);
	REQUIRE(E->set_counter("usedSpace", -5) == 0);
	REQUIRE(meta_statfs(m, &space, &inodes) == 0);
	CHECK_EQU(space, 0);
	meta_close(m);
}

/* ---- the trash ---- */

static void trash_moves_and_restores(void)
{
	struct meta *m = fresh_trash();
	uint64_t dir, f, hour, ino, sub, h1, id;
	char hname[32], ename[64], sname[64];
	struct meta_attr a;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &dir) == 0);
	REQUIRE(mkfile(m, dir, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id, &a) == 0);
	REQUIRE(unlink_(m, dir, "f") == 0);
	CHECK_EQ(lookup_(m, dir, "f", &ino), -ENOENT);
	/* the hour dir: inode TrashInode + nextTrash, mode 0555, under .trash */
	trash_hour_name(hname, sizeof(hname));
	REQUIRE(lookup_(m, META_TRASH_INO, hname, &hour) == 0);
	CHECK_EQU(hour, META_TRASH_INO + 1);
	CHECK_EQ(E->counter("nextTrash"), 1);
	REQUIRE(meta_getattr(m, hour, &a) == 0);
	CHECK_EQ(a.mode, 0555);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQU(a.parent, META_TRASH_INO);
	CHECK(E->entry_is(META_TRASH_INO, hname, strlen(hname), hour, META_TYPE_DIR));
	/* the file keeps its inode, data and nlink; its parent is the hour dir */
	snprintf(ename, sizeof(ename), "%" PRIu64 "-%" PRIu64 "-f", dir, f);
	CHECK(E->entry_is(hour, ename, strlen(ename), f, META_TYPE_FILE));
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 5000);
	CHECK_EQU(a.parent, hour);
	CHECK_EQ(records(f, 0, NULL, 0), 1);
	CHECK(!rec_has(id, 5000));
	CHECK_EQ(E->delfiles(), 0);
	/* .trash itself is not touched */
	REQUIRE(meta_getattr(m, META_TRASH_INO, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* a second delete in the same hour reuses the dir */
	REQUIRE(mkdir_(m, dir, "sub", &sub) == 0);
	REQUIRE(rmdir_(m, dir, "sub") == 0);
	CHECK_EQ(E->counter("nextTrash"), 1);
	CHECK_EQ(E->entries(hour), 2);
	REQUIRE(meta_getattr(m, sub, &a) == 0);
	CHECK_EQU(a.parent, hour);
	CHECK_EQ(E->dir_stat(sub, DS_INODES), NONE);
	snprintf(sname, sizeof(sname), "%" PRIu64 "-%" PRIu64 "-sub", dir, sub);
	CHECK(E->entry_is(hour, sname, strlen(sname), sub, META_TYPE_DIR));
	REQUIRE(meta_getattr(m, dir, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* an hour dir made meanwhile by another client */
	CHECK_EQ(meta_new_trash_dir(m, hname, &ino), -EEXIST);
	/* creating in the trash is refused */
	CHECK_EQ(mkfile(m, hour, "x", &ino), -EPERM);
	CHECK_EQ(rename_(m, 1, "d", hour, "d", 0), -EPERM);
	/* restore by rename */
	REQUIRE(rename_(m, hour, ename, dir, "f", 0) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.parent, dir);
	CHECK_EQU(a.length, 5000);
	/* an overwritten target goes to the trash too */
	REQUIRE(mkfile(m, dir, "g", &ino) == 0);
	REQUIRE(rename_(m, dir, "g", dir, "f", 0) == 0);
	CHECK(E->entry_is(hour, ename, strlen(ename), f, META_TYPE_FILE));
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.parent, hour);
	/* a hard link in the trash keeps parent 0 and gets one more entry */
	REQUIRE(mkfile(m, dir, "h", &h1) == 0);
	REQUIRE(meta_link(m, h1, 1, "h2", 2, &a) == 0);
	REQUIRE(unlink_(m, 1, "h2") == 0);
	REQUIRE(meta_getattr(m, h1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	snprintf(sname, sizeof(sname), "1-%" PRIu64 "-h2", h1);
	CHECK(E->entry_is(hour, sname, strlen(sname), h1, META_TYPE_FILE));
	/* inside the trash deletes are final */
	REQUIRE(unlink_(m, hour, sname) == 0);
	REQUIRE(meta_getattr(m, h1, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQ(E->links_total(h1), 1);
	/* chattr +s: deletes skip the trash */
	REQUIRE(mkfile(m, dir, "s", &ino) == 0);
	REQUIRE(E->set_flags(ino, META_FLAG_SKIP_TRASH) == 0);
	REQUIRE(unlink_(m, dir, "s") == 0);
	CHECK(!E->node_exists(ino));
	meta_close(m);
}

static void trash_cleanup_expired(void)
{
	struct meta *m = fresh_trash();
	uint64_t f, hour, id, ino;
	char hname[32];
	struct meta_attr a;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "old", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 100, &id, &a) == 0);
	REQUIRE(unlink_(m, 1, "old") == 0);
	trash_hour_name(hname, sizeof(hname));
	REQUIRE(lookup_(m, META_TRASH_INO, hname, &hour) == 0);
	/* age the hour dir: its entry gets the name of an hour long past */
	REQUIRE(E->entry_rename(META_TRASH_INO, hname, "2020-01-01-00") == 0);
	CHECK(E->entry_is(META_TRASH_INO, "2020-01-01-00", 13, hour, META_TYPE_DIR));
	/* a fresh deletion lands in this hour's dir, which is not expired */
	REQUIRE(mkfile(m, 1, "new", &ino) == 0);
	m->trash_name[0] = '\0';
	REQUIRE(unlink_(m, 1, "new") == 0);
	CHECK_EQ(E->counter("totalInodes"), 4);	/* 2 files, 2 hour dirs */
	REQUIRE(meta_cleanup_trash(m, time(NULL) - 26 * 3600, &n) == 0);
	CHECK_EQ(n, 1);
	CHECK(!E->node_exists(f));
	CHECK_EQ(records(f, 0, NULL, 0), -1);
	CHECK(!E->node_exists(hour));
	CHECK(rec_has(id, 100));
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(E->entries(META_TRASH_INO), 1);
	CHECK(E->node_exists(ino));
	CHECK_EQ(E->counter("totalInodes"), 2);
	meta_close(m);
}

/* ---- sessions and sustained inodes ---- */

static void sustained_inode(void)
{
	struct meta *m = fresh();
	struct meta_session_info *s = NULL;
	struct meta_attr a;
	uint64_t f, g, id, sid;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id, &a) == 0);
	rec.open_ino = f;
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(lookup_(m, 1, "f", &f), -ENOENT);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 0);
	CHECK_EQU(a.length, 8192);
	CHECK_EQ(E->sustained(sid, f), 1);
	CHECK_EQ(E->counter("usedSpace"), 8192);
	CHECK_EQ(E->counter("totalInodes"), 1);
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(rec.n, 0);
	CHECK(E->refs_are(id, 8192, 1));
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	REQUIRE(n == 1);
	CHECK_EQ(s[0].nsustained, 1);
	if (s[0].nsustained == 1)
		CHECK_EQU(s[0].sustained[0], f);
	meta_free_sessions(s, n);

	rec.open_ino = 0;
	REQUIRE(meta_release_sustained(m, f) == 0);
	CHECK_EQ(meta_getattr(m, f, &a), -ENOENT);
	CHECK_EQ(E->sustained(sid, 0), 0);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id, 8192));
	CHECK(E->refs_are(id, 8192, REFS_NONE));
	CHECK_EQ(records(f, 0, NULL, 0), -1);
	CHECK_EQ(E->counter("usedSpace"), 0);
	CHECK_EQ(E->counter("totalInodes"), 0);
	CHECK_EQ(E->delfiles(), 0);
	/* again, or an inode that is gone: nothing left to do */
	CHECK_EQ(meta_release_sustained(m, f), 0);

	/* a sustained record whose inode still has a link: only the record goes */
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, &id, &a) == 0);
	REQUIRE(E->sustained_put(sid, g) == 0);
	REQUIRE(meta_release_sustained(m, g) == 0);
	CHECK_EQ(E->sustained(sid, 0), 0);
	CHECK_EQ(meta_getattr(m, g, &a), 0);
	CHECK(E->refs_are(id, 10, 1));
	CHECK_EQ(rec.n, 1);

	/* closing the session releases what it still holds */
	rec.open_ino = g;
	REQUIRE(unlink_(m, 1, "g") == 0);
	rec.open_ino = 0;
	CHECK_EQ(E->sustained(sid, 0), 1);
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQ(E->sustained(sid, 0), 0);
	CHECK_EQ(meta_getattr(m, g, &a), -ENOENT);
	CHECK(rec_has(id, 10));
	CHECK_EQ(E->counter("usedSpace"), 0);
	CHECK_EQ(E->counter("totalInodes"), 0);
	meta_close(m);
}

static void sessions(void)
{
	struct meta *m = fresh(), *other = NULL;
	struct meta_session_info *s = NULL;
	struct meta_attr a;
	uint64_t sid, sid2, f, id, dead;
	size_t n = 0, i;
	time_t now = time(NULL);
	long long exp;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{\"Version\":\"1\"}", &sid) == 0);
	CHECK_EQU(sid, 1);
	CHECK_EQU(m->sid, 1);
	exp = E->session_expire(sid);
	CHECK(exp >= now + 59 && exp <= now + 62);
	CHECK_STR(E->session_info(sid), "{\"Version\":\"1\"}");
	/* a heartbeat keeps the record (MountTime must not move) */
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"2\"}") == 0);
	CHECK_STR(E->session_info(sid), "{\"Version\":\"1\"}");
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	CHECK(n == 1 && s[0].sid == 1 && s[0].info && strstr(s[0].info, "Version"));
	meta_free_sessions(s, n);

	/* a dead client (expired) with a sustained inode and a lock */
	REQUIRE(meta_open(E->url(), &other) == 0);
	other->hooks = m->hooks;
	REQUIRE(meta_new_session(other, "{}", &dead) == 0);
	CHECK_EQU(dead, 2);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 100, &id, &a) == 0);
	rec.open_ino = f;
	REQUIRE(unlink_(other, 1, "f") == 0);
	rec.open_ino = 0;
	CHECK_EQ(E->sustained(dead, f), 1);
	REQUIRE(E->flock_put(1, dead, 7, 'W') == 0);
	REQUIRE(E->set_session_expire(dead, (long long)now - 10) == 0);

	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	REQUIRE(n == 2);
	for (i = 0; i < n; i++) {
		if (s[i].sid == dead) {
			CHECK_EQ(s[i].expire, now - 10);
			CHECK_STR(s[i].info, "{}");
			CHECK_EQ(s[i].nsustained, 1);
		} else {
			CHECK_EQU(s[i].sid, 1);
			CHECK_STR(s[i].info, "{\"Version\":\"1\"}");
			CHECK_EQ(s[i].nsustained, 0);
		}
	}
	CHECK(s[0].sid != s[1].sid);
	meta_free_sessions(s, n);

	rec.n = 0;
	REQUIRE(meta_cleanup_stale_sessions(m) == 0);
	CHECK_EQ(E->session_expire(dead), NONE);
	CHECK(E->session_info(dead) == NULL);
	CHECK_EQ(E->sustained(dead, 0), 0);
	CHECK_EQ(E->flock_of(1, dead, 7), 0);
	CHECK_EQ(meta_getattr(m, f, &a), -ENOENT);
	CHECK(rec_has(id, 100));
	CHECK_EQ(E->counter("totalInodes"), 0);
	CHECK(E->session_expire(sid) > now);	/* alive: kept */
	meta_close(other);

	REQUIRE(meta_new_session(m, NULL, &sid2) == 0);
	CHECK_EQU(sid2, 3);
	m->sid = sid;
	/* a close takes the session's own locks, not another's on the file */
	REQUIRE(mkfile(m, 1, "g", &f) == 0);
	REQUIRE(meta_setlk(m, f, 2, PLOCK_RD, 0, 9, 1) == 0);
	REQUIRE(E->flock_put(f, sid, 1, 'W') == 0);
	REQUIRE(E->flock_put(f, sid2, 0xAA, 'R') == 0);
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQU(m->sid, 0);
	CHECK(E->session_info(sid) == NULL);
	CHECK_EQ(E->session_expire(sid), NONE);
	CHECK_EQ(E->flock_of(f, sid, 1), 0);
	CHECK(E->plock_is(f, sid, 2, NULL, 0));
	CHECK_EQ(E->flock_of(f, sid2, 0xAA), 'R');
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	CHECK_EQ(n, 1);
	meta_free_sessions(s, n);
	/* a session cleaned up (as stale, say) comes back on its next heartbeat */
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"3\"}") == 0);
	CHECK(E->session_expire(sid) > now);
	CHECK_STR(E->session_info(sid), "{\"Version\":\"3\"}");
	meta_close(m);
}

static void set_if_small_elects_one(void)
{
	struct meta *m = fresh(), *other = NULL;
	bool won = false;

	REQUIRE(m);
	REQUIRE(meta_open(E->url(), &other) == 0);
	CHECK_EQ(meta_set_if_small(m, "lastCleanupTrash", 1000, 900, &won), 0);
	CHECK(won);
	CHECK_EQ(E->counter("lastCleanupTrash"), 1000);
	/* within the interval: the other client leaves the job to the winner */
	CHECK_EQ(meta_set_if_small(other, "lastCleanupTrash", 1500, 900, &won), 0);
	CHECK(!won);
	CHECK_EQ(E->counter("lastCleanupTrash"), 1000);
	CHECK_EQ(meta_set_if_small(other, "lastCleanupTrash", 2000, 900, &won), 0);
	CHECK(won);
	CHECK_EQ(E->counter("lastCleanupTrash"), 2000);
	meta_close(other);
	meta_close(m);
}

struct alloc_arg {
	struct meta *m;
	uint64_t ids[300];
	int ret;
};

static void *alloc_many(void *p)
{
	struct alloc_arg *a = p;
	int i;

	for (i = 0; i < 300 && !a->ret; i++)
		a->ret = meta_new_slice_id(a->m, &a->ids[i]);
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* ids come in batches; two clients (as two jfsd, or jfsd and juicefs) never share one */
static void id_batches(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	struct alloc_arg a[4];
	uint64_t id, ino, all[1200];
	pthread_t t[4];
	int i, dups = 0;

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 1);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 2);
	REQUIRE(meta_open(E->url(), &m2) == 0);
	REQUIRE(meta_new_slice_id(m2, &id) == 0);
	CHECK_EQU(id, 4097);
	REQUIRE(mkfile(m, 1, "a", &ino) == 0);
	CHECK_EQU(ino, 2);
	REQUIRE(mkfile(m2, 1, "b", &ino) == 0);
	CHECK(ino >= 1025 && ino <= 1026);	/* after m's batch of 1024 */
	REQUIRE(mkfile(m, 1, "c", &ino) == 0);
	CHECK_EQU(ino, 3);

	for (i = 0; i < 4; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].m = i % 2 ? m2 : m;
		pthread_create(&t[i], NULL, alloc_many, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(a[i].ret, 0);
		memcpy(all + 300 * i, a[i].ids, sizeof(a[i].ids));
	}
	qsort(all, 1200, sizeof(all[0]), cmp_u64);
	for (i = 1; i < 1200; i++)
		dups += all[i] == all[i - 1];
	CHECK_EQ(dups, 0);
	CHECK(all[0] >= 3);
	meta_close(m2);
	meta_close(m);
}

struct worker {
	struct meta *m;
	uint64_t dir;
	int id, files, dirs, renames, fails;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32];
	uint64_t ino;
	int i;

	for (i = 0; i < w->files + w->dirs; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		if ((i < w->files ? mkfile(w->m, w->dir, name, &ino) :
				    mkdir_(w->m, w->dir, name, &ino)) != 0)
			w->fails++;
		else if (i < w->renames && i % 2 &&
			 rename_(w->m, w->dir, name, w->dir, "shared", 0))
			w->fails++;
	}
	return NULL;
}

/* several clients (and several threads of one client) in one directory */
static void concurrent_creates(void)
{
	enum { NT = 6, FILES = 40, DIRS = 10 };
	struct meta *m = fresh(), *ms[NT] = { 0 };
	struct worker w[NT];
	pthread_t t[NT];
	struct meta_attr a;
	uint64_t d;
	int i, fails = 0;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "shared", &d) == 0);
	for (i = 0; i < NT; i++) {
		/* half the threads are separate clients, half share 'm' */
		if (i % 2 == 0)
			REQUIRE(meta_open(E->url(), &ms[i]) == 0);
		w[i] = (struct worker){ i % 2 ? m : ms[i], d, i, FILES, DIRS, 0, 0 };
	}
	for (i = 0; i < NT; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	CHECK_EQ(fails, 0);
	CHECK_EQ(E->entries(d), NT * (FILES + DIRS));
	CHECK_EQ(E->counter("totalInodes"), NT * (FILES + DIRS) + 1);
	CHECK_EQ(E->counter("usedSpace"), (NT * (FILES + DIRS) + 1) * 4096LL);
	REQUIRE(meta_getattr(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2 + NT * DIRS);
	for (i = 0; i < NT; i++)
		meta_close(ms[i]);
	meta_close(m);
}

/* two clients renaming onto one name: every change lands once */
static void concurrent_renames(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	struct worker w[2];
	pthread_t t[2];
	uint64_t d;
	int i;

	REQUIRE(m);
	REQUIRE(meta_open(E->url(), &m2) == 0);
	m2->hooks = m->hooks;
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker){ i ? m2 : m, d, i, 100, 0, 100, 0 };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(w[0].fails + w[1].fails, 0);
	/* 200 made, 99 of the 100 renamed onto "shared" replaced the one before */
	CHECK_EQ(E->entries(d), 101);
	CHECK_EQ(E->counter("totalInodes"), 102);
	CHECK_EQ(E->counter("usedSpace"), 102 * 4096);
	CHECK_EQ(E->delfiles(), 0);
	meta_close(m2);
	meta_close(m);
}

/* ---- chunks and slices ---- */

static void write_and_read_chunks(void)
{
	struct meta *m = fresh();
	struct timespec mt = { 1234567890, 42 };
	struct meta_slice s = { 0 }, *sl = NULL;
	struct meta_attr a;
	uint64_t f, d, id, id2, id3;
	const char *what;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 1);	/* nextChunk starts at 1 */
	s.id = id;
	s.size = 10000;
	s.len = 10000;
	n = 9;
	REQUIRE(meta_write_slice(m, f, 0, &s, &mt, &a, &n) == 0);
	CHECK_EQ(n, 1);		/* the chunk's records, as numSlices */
	CHECK_EQU(a.length, 10000);
	CHECK_EQ(a.mtime, 1234567890);
	CHECK_EQ(a.mtimensec, 42);
	CHECK(a.ctime > 1700000000);
	CHECK(E->node_is(f, &a));
	CHECK_EQ(E->counter("usedSpace"), 12288);
	/* one big-endian record, as marshalSlice writes it */
	{
		static const unsigned char want[24] = {
			0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 1,  0, 0, 0x27, 0x10,
			0, 0, 0, 0,  0, 0, 0x27, 0x10,
		};
		unsigned char *b = NULL;

		CHECK_EQ(E->chunk_raw(f, 0, &b), 24);
		CHECK(b && !memcmp(b, want, 24));
		free(b);
	}
	CHECK(E->refs_are(id, 10000, 1));

	/* an overwrite inside the file: length and usedSpace stay */
	REQUIRE(write_(m, f, 0, 100, 50, &id2, &a) == 0);
	CHECK_EQU(a.length, 10000);
	CHECK_EQ(E->counter("usedSpace"), 12288);
	CHECK_EQ(records(f, 0, NULL, 0), 2);
	CHECK(same_record(f, 0, 0, 0, id, 10000, 0, 10000));
	CHECK(same_record(f, 0, 1, 100, id2, 50, 0, 50));
	CHECK(E->refs_are(id2, 50, 1));
	CHECK_EQ(E->chunks_of(f), 1);
	/* a write in chunk 2 */
	REQUIRE(write_(m, f, 2, 1 * MiB, 6, &id3, &a) == 0);
	CHECK_EQU(a.length, 2ULL * CS + MiB + 6);
	CHECK_EQ(E->counter("usedSpace"), (long long)meta_align4k(2ULL * CS + MiB + 6));
	CHECK(same_record(f, 2, 0, MiB, id3, 6, 0, 6));

	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQU(sl[0].id, id);
	CHECK_EQ(sl[0].len, 10000);
	CHECK_EQ(sl[1].pos, 100);
	CHECK_EQ(sl[1].len, 50);
	free(sl);
	REQUIRE(meta_read_chunk(m, f, 1, &sl, &n) == 0);
	CHECK_EQ(n, 0);
	free(sl);
	REQUIRE(meta_read_chunk(m, f, 2, &sl, &n) == 0);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(sl[0].pos, MiB);
		CHECK_EQU(sl[0].id, id3);
	}
	free(sl);

	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	CHECK_EQ(meta_write_slice(m, d, 0, &s, NULL, &a, NULL), -EPERM);
	CHECK_EQ(meta_write_slice(m, 99999, 0, &s, NULL, &a, NULL), -ENOENT);
	s.pos = CS - 10;
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), -EINVAL);
	s.pos = 0;
	s.off = 9999;	/* past the slice's end */
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), -EINVAL);
	/* immutable: no write; append-only: writes go on */
	REQUIRE(E->set_flags(f, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(write_(m, f, 0, 0, 10, NULL, &a), -EPERM);
	REQUIRE(E->set_flags(f, META_FLAG_APPEND) == 0);
	CHECK_EQ(write_(m, f, 3, 0, 10, NULL, &a), 0);

	/* a value that is not 24-byte records makes the chunk corrupt */
	what = E->chunk_corrupt(f, 0);
	sl = NULL;
	n = 0;
	CHECK_EQ(meta_read_chunk(m, f, 0, &sl, &n), -EIO);
	CHECK(sl == NULL && n == 0);
	CHECK(strstr(jfs_errmsg(), what) != NULL);
	meta_close(m);
}

/* compactChunk: the first records become one, the old slices are released */
static void compact_chunk_swaps(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, *sl = NULL, s = { 0 };
	struct meta_attr a;
	uint64_t f, id1, id2, id3, id4, copied;
	unsigned char *before = NULL, *after = NULL;
	long nb, na;
	size_t n = 0, nold = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 1000, 2000, &id2, &a) == 0);
	/* a second record of id2's slice: one slice, two references */
	REQUIRE(meta_copy_range(m, f, 1000, f, 6000, 100, &copied, &a) == 0);
	REQUIRE(copied == 100);
	CHECK(E->refs_are(id2, 2000, 2));
	REQUIRE(meta_read_chunk(m, f, 0, &old, &nold) == 0);
	REQUIRE(nold == 3);
	/* written after the read: it stays behind the compacted record */
	REQUIRE(write_(m, f, 0, 100, 10, &id4, &a) == 0);
	REQUIRE(meta_new_slice_id(m, &id3) == 0);
	s = (struct meta_slice){ .pos = 0, .id = id3, .size = 6100, .off = 0, .len = 6100 };

	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 0, 0, &s), -EINVAL);
	s.len = CS;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	s.len = 6100;
	s.off = 1;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	s.off = 0;
	CHECK_EQ(records(f, 0, NULL, 0), 4);

	rec.n = 0;
	REQUIRE(meta_compact_chunk(m, f, 0, old, 3, 0, &s) == 0);
	CHECK_EQ(records(f, 0, NULL, 0), 2);
	CHECK(same_record(f, 0, 0, 0, id3, 6100, 0, 6100));
	CHECK(same_record(f, 0, 1, 100, id4, 10, 0, 10));
	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	CHECK_EQ(n, 2);
	if (n == 2)
		CHECK(sl[0].id == id3 && sl[0].len == 6100 && sl[1].id == id4);
	free(sl);
	CHECK(E->refs_are(id3, 6100, 1));
	CHECK(E->refs_are(id4, 10, 1));
	/* each old slice freed once, its record gone */
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 2000));
	CHECK(E->refs_are(id1, 5000, REFS_NONE));
	CHECK(E->refs_are(id2, 2000, REFS_NONE));
	CHECK_EQ(E->delslices(NULL, NULL, NULL, NULL), 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK_EQU(a.length, 6100);

	/* the stale list again: nothing changes */
	rec.n = 0;
	nb = E->chunk_raw(f, 0, &before);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 3, 0, &s), -EINVAL);
	na = E->chunk_raw(f, 0, &after);
	CHECK(nb == 48 && na == nb && before && after && !memcmp(before, after, 48));
	free(before);
	free(after);
	CHECK_EQ(rec.n, 0);
	CHECK(E->refs_are(id3, 6100, 1));
	CHECK(E->refs_are(id4, 10, 1));
	/* a chunk with nothing stored has no list to match */
	CHECK_EQ(meta_compact_chunk(m, f, 5, old, 3, 0, &s), -EINVAL);
	CHECK_EQ(E->chunks_of(f), 1);
	free(old);
	meta_close(m);
}

/* a shared slice of the compacted records keeps its other reference */
static void compact_chunk_shared(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, *sl = NULL, s = { 0 };
	struct meta_attr a;
	uint64_t f, id[3], late;
	size_t n = 0, n2 = 0;
	int i;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	for (i = 0; i < 3; i++)
		REQUIRE(write_(m, f, 0, i * 100, 1000, &id[i], &a) == 0);
	/* id[1] is shared with another file's record, as a clone would */
	REQUIRE(E->ref_put(id[1], 1000, 2) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &n) == 0);
	REQUIRE(n == 3);
	REQUIRE(write_(m, f, 0, 5, 5, &late, &a) == 0);	/* after the read */
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	s.size = s.len = 1200;
	rec.n = 0;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 0, &s), 0);
	CHECK_EQ(records(f, 0, NULL, 0), 2);
	CHECK(same_record(f, 0, 0, 0, s.id, 1200, 0, 1200));
	CHECK(same_record(f, 0, 1, 5, late, 5, 0, 5));
	/* the unshared slices went to the deleter, their refs are gone */
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id[0], 1000) && rec_has(id[2], 1000));
	CHECK(E->refs_are(id[0], 1000, REFS_NONE));
	CHECK(E->refs_are(id[2], 1000, REFS_NONE));
	CHECK(E->refs_are(id[1], 1000, REFS_1_KEPT));
	CHECK(E->refs_are(s.id, 1200, 1));
	CHECK(E->refs_are(late, 5, 1));

	/* a stale list is refused and nothing changes */
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 0, &s), -EINVAL);
	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n2) == 0);
	CHECK_EQ(n2, 2);
	free(sl);
	CHECK_EQ(rec.n, 2);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 0, 0, &s), -EINVAL);
	free(old);
	meta_close(m);
}

/* skipSome's commit: the first records stay, in order, with their refs */
static void compact_chunk_skips(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, s = { 0 };
	struct meta_attr a;
	uint64_t f, id[4];
	size_t n = 0;
	int i;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	for (i = 0; i < 4; i++)
		REQUIRE(write_(m, f, 0, i * 1000, 1000, &id[i], &a) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &n) == 0);
	REQUIRE(n == 4);
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	s.pos = 2000;
	s.size = s.len = 2000;
	rec.n = 0;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 4, &s), -EINVAL);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 2, &s), 0);
	CHECK_EQ(records(f, 0, NULL, 0), 3);
	CHECK(same_record(f, 0, 0, 0, id[0], 1000, 0, 1000));
	CHECK(same_record(f, 0, 1, 1000, id[1], 1000, 0, 1000));
	CHECK(same_record(f, 0, 2, 2000, s.id, 2000, 0, 2000));
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id[2], 1000) && rec_has(id[3], 1000));
	CHECK(!rec_has(id[0], 1000) && !rec_has(id[1], 1000));
	CHECK(E->refs_are(id[0], 1000, 1));
	CHECK(E->refs_are(id[2], 1000, REFS_NONE));
	free(old);
	meta_close(m);
}

/* with trash on the old slices wait as delayed slices; the trash job frees them */
static void compact_chunk_trash(void)
{
	struct meta *m = fresh_trash();
	struct meta_slice *old = NULL, s = { 0 };
	struct meta_attr a;
	uint64_t f, id1, id2, id3, dsid = 0;
	unsigned char want[24], v[256];
	size_t nold = 0, n = 0, vlen = 0;
	int64_t when = 0;
	int k;

	REQUIRE(m);
	m->dir_stats = false;
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(meta_truncate(m, f, 4000, &a) == 0);		/* a zero record */
	REQUIRE(write_(m, f, 0, 4096, 4096, &id2, &a) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &nold) == 0);
	REQUIRE(nold == 3);
	REQUIRE(meta_new_slice_id(m, &id3) == 0);
	s = (struct meta_slice){ .pos = 0, .id = id3, .size = 8192, .off = 0, .len = 8192 };
	rec.n = 0;
	REQUIRE(meta_compact_chunk(m, f, 0, old, 3, 0, &s) == 0);
	CHECK_EQ(records(f, 0, NULL, 0), 1);
	CHECK(same_record(f, 0, 0, 0, id3, 8192, 0, 8192));
	CHECK(E->refs_are(id3, 8192, 1));
	/* nothing freed yet: the references stay until the entry is cleaned up */
	CHECK_EQ(rec.n, 0);
	CHECK(E->refs_are(id1, 5000, 1));
	CHECK(E->refs_are(id2, 4096, 1));
	CHECK_EQ(E->delslices(&dsid, &when, v, &vlen), 1);
	CHECK_EQU(dsid, id3);		/* keyed by the slice that replaced them */
	CHECK(llabs(when - (long long)time(NULL)) < 60);
	/* the value: (id, size) big-endian, the zero record left out */
	for (k = 0; k < 8; k++) {
		want[k] = (unsigned char)(id1 >> (56 - 8 * k));
		want[12 + k] = (unsigned char)(id2 >> (56 - 8 * k));
	}
	for (k = 0; k < 4; k++) {
		want[8 + k] = (unsigned char)(5000U >> (24 - 8 * k));
		want[20 + k] = (unsigned char)(4096U >> (24 - 8 * k));
	}
	CHECK_EQ(vlen, 24);
	CHECK_MEM(v, want, 24);
	/* the trash's cleanup of the entry then frees them */
	REQUIRE(meta_cleanup_delayed_slices(m, (int64_t)time(NULL) + 10, &n) == 0);
	CHECK_EQ(n, 2);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 4096));
	CHECK(E->refs_are(id1, 5000, REFS_NONE));
	CHECK(E->refs_are(id2, 4096, REFS_NONE));
	CHECK_EQ(E->delslices(NULL, NULL, NULL, NULL), 0);
	CHECK(E->refs_are(id3, 8192, 1));
	free(old);
	meta_close(m);
}

/* JuiceFS's compaction under trash leaves delayed slices; only old ones go */
static void delayed_slices_released(void)
{
	struct meta *m = fresh_trash();
	int64_t young = (int64_t)time(NULL), when = 0;
	unsigned char v[24];
	uint64_t id = 0;
	size_t n = 9;
	int i;

	REQUIRE(m);
	/* old entry of 10 at 1000: slices (7, 4096) unshared and (8, 100) shared */
	memset(v, 0, sizeof(v));
	v[7] = 7;
	v[10] = 0x10;	/* size 4096 = 0x00001000 */
	v[19] = 8;
	v[23] = 100;
	REQUIRE(E->delslice_put(10, 1000, v, sizeof(v)) == 0);
	REQUIRE(E->ref_put(8, 100, 2) == 0);
	REQUIRE(E->delslice_put(11, young, v, sizeof(v)) == 0);
	CHECK_EQ(meta_cleanup_delayed_slices(m, time(NULL) - 86400, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(7, 4096));
	CHECK(!rec_has(8, 100));
	CHECK_EQ(E->delslices(&id, &when, NULL, NULL), 1);	/* the young one stays */
	CHECK_EQU(id, 11);
	CHECK_EQ(when, young);
	CHECK(E->refs_are(8, 100, REFS_1_KEPT));
	CHECK(E->refs_are(7, 4096, REFS_NONE));
	for (i = 0; i < 2; i++)	/* idempotent */
		CHECK_EQ(meta_cleanup_delayed_slices(m, time(NULL) - 86400, &n), 0);
	CHECK_EQ(n, 0);
	meta_close(m);
}

static void truncate_records(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, d, id, len = 100ULL * MiB + 5;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_truncate(m, f, len, &a) == 0);
	CHECK_EQU(a.length, len);
	CHECK(a.mtime > 1700000000);
	CHECK(E->node_is(f, &a));
	CHECK_EQ(E->counter("usedSpace"), (long long)meta_align4k(len));
	CHECK_EQ(records(f, 0, NULL, 0), 1);
	CHECK(same_record(f, 0, 0, 0, 0, 0, 0, CS));
	CHECK_EQ(records(f, 1, NULL, 0), 1);
	CHECK(same_record(f, 1, 0, 0, 0, 0, 0, (uint32_t)(len - CS)));
	CHECK(E->refs_are(0, 0, REFS_NONE));	/* zeros: no refs */

	/* shrink to 10 bytes: [10, len) is masked */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQU(a.length, 10);
	CHECK_EQ(E->counter("usedSpace"), 4096);
	CHECK_EQ(records(f, 0, NULL, 0), 2);
	CHECK(same_record(f, 0, 1, 10, 0, 0, 0, CS - 10));
	CHECK_EQ(records(f, 1, NULL, 0), 2);
	CHECK(same_record(f, 1, 1, 0, 0, 0, 0, (uint32_t)(len - CS)));
	/* the same length: nothing is written */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQU(a.length, 10);
	CHECK_EQ(records(f, 0, NULL, 0), 2);

	/* whole chunks in between only get a record where some are stored */
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 2, 0, 10, &id, &a) == 0);
	REQUIRE(meta_truncate(m, g, 10, &a) == 0);
	CHECK_EQ(records(g, 1, NULL, 0), -1);
	CHECK_EQ(records(g, 2, NULL, 0), 2);
	CHECK(same_record(g, 2, 1, 0, 0, 0, 0, 10));
	REQUIRE(meta_truncate(m, g, 3ULL * CS + 8 * MiB, &a) == 0);
	CHECK_EQ(records(g, 1, NULL, 0), -1);
	CHECK_EQ(records(g, 2, NULL, 0), 3);
	CHECK(same_record(g, 2, 2, 0, 0, 0, 0, CS));
	CHECK_EQ(records(g, 3, NULL, 0), 1);
	CHECK(same_record(g, 3, 0, 0, 0, 0, 0, 8 * MiB));
	/* growing from the middle of chunk 2: its record starts at the old end */
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 10, &a) == 0);
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 30, &a) == 0);
	CHECK_EQ(records(g, 2, NULL, 0), 5);
	CHECK(same_record(g, 2, 4, 10, 0, 0, 0, 20));
	CHECK_EQ(E->counter("usedSpace"), 4096 + (long long)meta_align4k(2ULL * CS + 30));
	CHECK(E->refs_are(id, 10, 1));	/* truncation frees nothing */

	/* immutable and append-only files keep their length */
	REQUIRE(E->set_flags(g, META_FLAG_APPEND) == 0);
	CHECK_EQ(meta_truncate(m, g, 0, &a), -EPERM);
	REQUIRE(E->set_flags(g, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(meta_truncate(m, g, 0, &a), -EPERM);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	CHECK_EQ(meta_truncate(m, d, 0, &a), -EPERM);
	CHECK_EQ(meta_truncate(m, 99999, 0, &a), -ENOENT);
	meta_close(m);
}

/* doFallocate: lengths and the zero records JuiceFS writes */
static void fallocate_modes(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id, p;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10000, &id, &a) == 0);
	REQUIRE(meta_fallocate(m, f, 0, 0, 20000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	CHECK(E->node_is(f, &a));
	CHECK_EQ(records(f, 0, NULL, 0), 1);		/* allocation: no record */
	CHECK_EQ(E->counter("usedSpace"), 20480);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 50000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	CHECK_EQ(E->counter("usedSpace"), 20480);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE | META_FALLOC_KEEP_SIZE,
				  5000, 100000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	REQUIRE(records(f, 0, NULL, 0) == 2);
	/* only up to the old length */
	CHECK(same_record(f, 0, 1, 5000, 0, 0, 0, 15000));
	/* a zero range inside the file, across a chunk boundary once it is big */
	REQUIRE(meta_fallocate(m, f, META_FALLOC_ZERO_RANGE, (uint64_t)CS - 10, 20, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 10);
	CHECK_EQ(records(f, 0, NULL, 0), 2);	/* past the old length: nothing to zero */
	CHECK_EQ(E->counter("usedSpace"), (long long)meta_align4k(CS + 10));
	REQUIRE(meta_fallocate(m, f, META_FALLOC_ZERO_RANGE | META_FALLOC_KEEP_SIZE,
				  (uint64_t)CS - 4, 100, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 10);
	CHECK_EQ(records(f, 0, NULL, 0), 3);
	CHECK(same_record(f, 0, 2, CS - 4, 0, 0, 0, 4));
	CHECK_EQ(records(f, 1, NULL, 0), 1);
	CHECK(same_record(f, 1, 0, 0, 0, 0, 0, 10));
	CHECK(E->refs_are(id, 10000, 1));

	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE, 0, 10, &a), -EINVAL);
	CHECK_EQ(meta_fallocate(m, f, 0x08, 0, 10, &a), -EOPNOTSUPP);
	CHECK_EQ(meta_fallocate(m, f, 0, 0, 0, &a), -EINVAL);
	CHECK_EQ(meta_fallocate(m, 1, 0, 0, 10, &a), -EPERM);
	CHECK_EQ(meta_fallocate(m, 99999, 0, 0, 10, &a), -ENOENT);
	/* append-only: only a plain keep-size allocation */
	REQUIRE(E->set_flags(f, META_FLAG_APPEND) == 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 10, &a), 0);
	CHECK_EQ(meta_fallocate(m, f, 0, 0, (uint64_t)CS + 100, &a), 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE | META_FALLOC_KEEP_SIZE,
				   0, 10, &a), -EPERM);
	REQUIRE(E->set_flags(f, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 10, &a), -EPERM);
	/* a fifo is a pipe */
	REQUIRE(meta_mknod(m, 1, "p", 1, META_TYPE_FIFO, 0644, 0, 0, 0, 0, NULL, 0, &p, &a) == 0);
	CHECK_EQ(meta_fallocate(m, p, 0, 0, 10, &a), -EPIPE);
	meta_close(m);
}

/* CopyFileRange: records that reference the source, one more reference each */
static void copy_range_clones(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, id1, id2, copied;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 12288, 4096, &id2, &a) == 0);	/* a hole before it */
	/* the whole file into g at 4096 */
	REQUIRE(meta_copy_range(m, f, 0, g, 4096, 1 << 20, &copied, &a) == 0);
	CHECK_EQU(copied, 16384);		/* short: the source ends there */
	CHECK_EQU(a.length, 4096 + 16384);
	CHECK(E->node_is(g, &a));
	CHECK_EQ(E->counter("usedSpace"), 16384 + 4096 + 16384);
	REQUIRE(records(g, 0, NULL, 0) == 3);
	CHECK(same_record(g, 0, 0, 4096, id1, 8192, 0, 8192));
	/* the hole: off as buildSlice cuts the whole-chunk zero slice */
	CHECK(same_record(g, 0, 1, 4096 + 8192, 0, 0, 8192, 4096));
	CHECK(same_record(g, 0, 2, 4096 + 12288, id2, 4096, 0, 4096));
	CHECK(E->refs_are(id1, 8192, 2));
	CHECK(E->refs_are(id2, 4096, 2));
	/* a range starting inside a slice, landing across a chunk boundary */
	REQUIRE(meta_copy_range(m, f, 100, g, (uint64_t)CS - 50, 200, &copied, &a) == 0);
	CHECK_EQU(copied, 200);
	CHECK_EQU(a.length, (uint64_t)CS + 150);
	CHECK(records(g, 0, NULL, 0) == 4 && same_record(g, 0, 3, CS - 50, id1, 8192, 100, 50));
	CHECK(records(g, 1, NULL, 0) == 1 && same_record(g, 1, 0, 0, id1, 8192, 150, 150));
	CHECK(E->refs_are(id1, 8192, 4));
	CHECK(E->refs_are(id2, 4096, 2));
	/* deleting the source frees nothing g still uses */
	rec.n = 0;
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(rec.n, 0);
	CHECK(!rec_has(id1, 8192) && !rec_has(id2, 4096));
	CHECK(E->refs_are(id1, 8192, 3));
	CHECK(E->refs_are(id2, 4096, REFS_1_KEPT));
	CHECK_EQ(E->chunks_of(f), 0);
	/* a copy within one file */
	REQUIRE(meta_copy_range(m, g, 4096, g, 2ULL * CS, 8192, &copied, &a) == 0);
	CHECK_EQU(copied, 8192);
	CHECK(records(g, 2, NULL, 0) == 1 && same_record(g, 2, 0, 0, id1, 8192, 0, 8192));
	CHECK(E->refs_are(id1, 8192, 4));
	/* the last file going frees every slice once */
	REQUIRE(unlink_(m, 1, "g") == 0);
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id1, 8192) && rec_has(id2, 4096));
	CHECK(E->refs_are(id1, 8192, REFS_NONE));
	CHECK(E->refs_are(id2, 4096, REFS_NONE));
	CHECK_EQ(E->chunks_of(g), 0);

	/* nothing to copy past the end; a dir is no file; immutable/append */
	REQUIRE(mkfile(m, 1, "h", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, NULL, &a) == 0);
	REQUIRE(meta_copy_range(m, g, 1 << 30, g, 0, 10, &copied, &a) == 0);
	CHECK_EQU(copied, 0);
	CHECK_EQ(meta_copy_range(m, 1, 0, g, 0, 10, &copied, &a), -EINVAL);
	CHECK_EQ(meta_copy_range(m, g, 0, 1, 0, 10, &copied, &a), -EINVAL);
	CHECK_EQ(meta_copy_range(m, 99999, 0, g, 0, 10, &copied, &a), -ENOENT);
	REQUIRE(E->set_flags(g, META_FLAG_APPEND) == 0);
	CHECK_EQ(meta_copy_range(m, g, 0, g, 100, 10, &copied, &a), -EPERM);
	/* a corrupt source chunk fails the whole copy */
	REQUIRE(E->set_flags(g, 0) == 0);
	E->chunk_corrupt(g, 0);
	CHECK_EQ(meta_copy_range(m, g, 0, g, 100, 10, &copied, &a), -EIO);
	CHECK_EQU(copied, 0);
	meta_close(m);
}

/* the last unlink frees the file's slices through the hook */
static void unlink_frees_slices(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, h, id1, id2, id3, copied;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 5000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 1, 0, 100, &id2, &a) == 0);
	REQUIRE(write_(m, f, 0, 10, 20, &id3, &a) == 0);
	REQUIRE(meta_truncate(m, f, 3ULL * CS, &a) == 0);	/* zero records too */
	CHECK_EQ(E->counter("usedSpace"), (long long)(3ULL * CS));
	CHECK_EQ(E->counter("totalInodes"), 1);
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(rec.n, 3);
	CHECK(rec_has(id1, 5000) && rec_has(id2, 100) && rec_has(id3, 20));
	CHECK(E->refs_are(id1, 5000, REFS_NONE));
	CHECK(E->refs_are(id2, 100, REFS_NONE));
	CHECK(E->refs_are(id3, 20, REFS_NONE));
	CHECK_EQ(E->chunks_of(f), 0);
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(E->counter("usedSpace"), 0);
	CHECK_EQ(E->counter("totalInodes"), 0);

	/* a slice shared with another file (e.g. a clone): one extra ref */
	rec.n = 0;
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 1000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 500, 1000, &id2, &a) == 0);
	REQUIRE(E->ref_put(id2, 1000, 2) == 0);
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id1, 1000));
	CHECK(!rec_has(id2, 1000));
	CHECK(E->refs_are(id2, 1000, REFS_1_KEPT));
	CHECK(E->refs_are(id1, 1000, REFS_NONE));

	/* no deleter: the record stays at 0 refs, pending for `juicefs gc` */
	rec.n = 0;
	m->hooks.delete_slice = NULL;
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 10, &id1, &a) == 0);
	REQUIRE(unlink_(m, 1, "g") == 0);
	CHECK(E->refs_are(id1, 10, 0));
	CHECK_EQ(E->chunks_of(g), 0);
	CHECK_EQ(E->delfiles(), 0);

	/* a failing deleter: the objects stay, and so does their record */
	m->hooks.delete_slice = rec_delete;
	rec.fail = 1;
	REQUIRE(mkfile(m, 1, "h", &h) == 0);
	REQUIRE(write_(m, h, 0, 0, 10, &id2, &a) == 0);
	REQUIRE(unlink_(m, 1, "h") == 0);
	CHECK_EQ(rec.n, 1);
	CHECK(E->refs_are(id2, 10, 0));
	CHECK_EQ(E->chunks_of(h), 0);
	rec.fail = 0;

	/* a hard link keeps the data until the last one goes */
	rec.n = 0;
	REQUIRE(mkfile(m, 1, "k", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id3, &a) == 0);
	REQUIRE(meta_link(m, f, 1, "k2", 2, &a) == 0);
	REQUIRE(unlink_(m, 1, "k") == 0);
	CHECK_EQ(rec.n, 0);
	CHECK(E->refs_are(id3, 10, 1));
	REQUIRE(meta_copy_range(m, f, 0, f, 100, 10, &copied, &a) == 0);
	CHECK(E->refs_are(id3, 10, 2));
	REQUIRE(unlink_(m, 1, "k2") == 0);
	CHECK_EQ(rec.n, 1);	/* two records of one slice: deleted once */
	CHECK(rec_has(id3, 10));
	CHECK(E->refs_are(id3, 10, REFS_NONE));

	/* a corrupt chunk still goes; the delfile entry too */
	rec.n = 0;
	REQUIRE(mkfile(m, 1, "c", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id1, &a) == 0);
	E->chunk_corrupt(f, 0);
	REQUIRE(unlink_(m, 1, "c") == 0);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(E->chunks_of(f), 0);
	CHECK(E->refs_are(id1, 10, 1));		/* leaked: gc's business */
	CHECK_EQ(E->delfiles(), 0);
	meta_close(m);
}

/* the slice job (doCleanupSlices) deletes what a failed delete left */
static void cleanup_slices_retries(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id;
	size_t n = 9;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	REQUIRE(E->ref_put(900, 50, 3) == 0);
	rec.fail = 1;
	REQUIRE(unlink_(m, 1, "f") == 0);
	/* a zero ref is what the slice job and `juicefs gc` look for */
	CHECK(E->refs_are(id, 10, 0));	/* its objects are still there */
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 0);			/* and the store still fails */
	CHECK(E->refs_are(id, 10, 0));
	rec.fail = 0;
	m->hooks.delete_slice = NULL;
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 0);		/* no deleter: nothing can go */
	CHECK(E->refs_are(id, 10, 0));
	m->hooks.delete_slice = rec_delete;
	rec.n = 0;
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(id, 10));
	CHECK(E->refs_are(id, 10, REFS_NONE));
	CHECK(E->refs_are(900, 50, 3));	/* referenced: left alone */
	CHECK(!rec_has(900, 50));
	meta_close(m);
}

/* the delfiles job frees the data a crashed client left behind */
static void cleanup_deleted_files(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, id, id2;
	size_t n = 9;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	REQUIRE(write_(m, f, 1, 0, 20, &id2, &a) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(E->crash_unlink(1, "f", f, a.length) == 0);
	CHECK_EQ(E->delfiles(), 1);
	/* entries younger than the cut are left for their client */
	CHECK_EQ(meta_cleanup_deleted_files(m, 1000, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(E->delfiles(), 1);
	CHECK_EQ(meta_cleanup_deleted_files(m, (int64_t)time(NULL), &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id, 10) && rec_has(id2, 20));
	CHECK(E->refs_are(id, 10, REFS_NONE));
	CHECK(E->refs_are(id2, 20, REFS_NONE));
	CHECK_EQ(E->chunks_of(f), 0);
	CHECK_EQ(E->delfiles(), 0);
	CHECK_EQ(meta_getattr(m, g, &a), 0);
	CHECK_EQ(meta_cleanup_deleted_files(m, (int64_t)time(NULL), &n), 0);
	CHECK_EQ(n, 0);
	meta_close(m);
}

/* what the mount gate asks: how many dirs JuiceFS put a quota on */
static void dir_quotas_counted(void)
{
	struct meta *m = fresh();
	uint64_t n = 9;

	REQUIRE(m);
	CHECK_EQ(meta_count_dir_quotas(m, &n), 0);
	CHECK_EQ(n, 0);
	REQUIRE(E->dir_quota_put(1) == 0);
	REQUIRE(E->dir_quota_put(7) == 0);
	CHECK_EQ(meta_count_dir_quotas(m, &n), 0);
	CHECK_EQ(n, 2);
	meta_close(m);
}

/* every change reaches the parents' stats, each parent's for hard links */
static void dir_stats_kept(void)
{
	struct meta *m = fresh();
	uint64_t d1, d2, f, s, id, copied;
	struct meta_attr a;

	REQUIRE(m);
	m->dir_stats = true;
	REQUIRE(mkdir_(m, 1, "d1", &d1) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_INODES), 0);	/* made with the dir */
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 0);
	REQUIRE(mkdir_(m, 1, "d2", &d2) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	/* root had no stats: recounted (d1, d2) rather than incremented */
	CHECK_EQ(E->dir_stat(1, DS_INODES), 2);
	CHECK_EQ(E->dir_stat(1, DS_SPACE), 8192);
	REQUIRE(mkfile(m, d1, "f", &f) == 0);
	REQUIRE(meta_mknod(m, d1, "s", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0,
			      "target", 6, &s, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_INODES), 2);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 8192);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 0);
	/* writes and truncates move the length and space of the parent */
	REQUIRE(write_(m, f, 0, 0, 10000, &id, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 10000);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 12288 + 4096);
	REQUIRE(meta_truncate(m, f, 100, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 100);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 8192);
	/* rename to another dir moves the entry's share */
	REQUIRE(rename_(m, d1, "f", d2, "f", 0) == 0);
	/* a hard link counts in both; a write then reaches both parents */
	REQUIRE(meta_link(m, f, d1, "hl", 2, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d2, DS_LENGTH), 100);
	CHECK_EQ(E->dir_stat(d2, DS_INODES), 1);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 100);
	CHECK_EQ(E->dir_stat(d1, DS_INODES), 2);
	REQUIRE(write_(m, f, 0, 0, 300, &id, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 300);
	CHECK_EQ(E->dir_stat(d2, DS_LENGTH), 300);
	/* twice in one dir: the change counts twice there */
	REQUIRE(meta_link(m, f, d2, "l2", 2, &a) == 0);
	REQUIRE(meta_truncate(m, f, 10000, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 10000);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 4096 + 12288);
	CHECK_EQ(E->dir_stat(d2, DS_LENGTH), 20000);
	CHECK_EQ(E->dir_stat(d2, DS_SPACE), 2 * 12288);
	REQUIRE(meta_fallocate(m, f, 0, 0, 20000, &a) == 0);
	REQUIRE(meta_copy_range(m, f, 0, f, 20000, 100, &copied, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 20100);
	CHECK_EQ(E->dir_stat(d2, DS_LENGTH), 40200);
	REQUIRE(unlink_(m, d2, "l2") == 0);
	REQUIRE(unlink_(m, d1, "hl") == 0);
	REQUIRE(unlink_(m, d1, "s") == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_INODES), 0);
	CHECK_EQ(E->dir_stat(d1, DS_LENGTH), 0);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), 0);
	/* rmdir forgets the dir's own stats */
	REQUIRE(rmdir_(m, 1, "d1") == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(E->dir_stat(d1, DS_SPACE), NONE);
	CHECK_EQ(E->dir_stat(1, DS_INODES), 1);
	meta_close(m);
}

/* what a flush hands the engine: deltas, and a recount where none are kept */
static void dir_stats_update(void)
{
	struct meta *m = fresh();
	struct meta_dirstat ds = { .ino = 1, .length = 10, .space = 4096, .inodes = 1 };
	uint64_t d;

	REQUIRE(m);
	/* the root has no stats yet: it is recounted (empty), not incremented */
	CHECK_EQ(E->dir_stat(1, DS_INODES), NONE);
	REQUIRE(meta_update_dir_stats(m, &ds, 1) == 0);
	CHECK_EQ(E->dir_stat(1, DS_INODES), 0);
	CHECK_EQ(E->dir_stat(1, DS_LENGTH), 0);
	REQUIRE(meta_update_dir_stats(m, &ds, 1) == 0);
	CHECK_EQ(E->dir_stat(1, DS_INODES), 1);
	CHECK_EQ(E->dir_stat(1, DS_LENGTH), 10);
	CHECK_EQ(E->dir_stat(1, DS_SPACE), 4096);
	/* a dir made with its stats takes the delta at once */
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	ds.ino = d;
	ds.length = -5;
	REQUIRE(meta_update_dir_stats(m, &ds, 1) == 0);
	CHECK_EQ(E->dir_stat(d, DS_INODES), 1);
	CHECK_EQ(E->dir_stat(d, DS_LENGTH), -5);
	CHECK_EQ(E->dir_stat(d, DS_SPACE), 4096);
	meta_close(m);
}

/* ---- extended attributes ---- */

static void xattr_layout(void)
{
	static const char bin[] = { 'a', 0, 'b', 0, (char)0xff, 0 };
	struct meta *m = fresh();
	struct meta_attr before;
	uint64_t f;
	char *v = NULL;
	size_t n = 99;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(getx(m, f, "user.a", &v, &n), -ENODATA);
	CHECK(v == NULL);
	CHECK_EQ(n, 0);
	CHECK_EQ(E->xattrs(f), 0);
	REQUIRE(meta_getattr(m, f, &before) == 0);
	sleep(1);	/* a ctime change would show */
	/* a binary value with NUL bytes is stored as is */
	REQUIRE(setx(m, f, "user.a", bin, sizeof(bin), 0) == 0);
	CHECK(E->xattr_is(f, "user.a", bin, sizeof(bin)));
	CHECK_EQ(E->xattrs(f), 1);
	REQUIRE(getx(m, f, "user.a", &v, &n) == 0);
	CHECK_EQ(n, sizeof(bin));
	CHECK_MEM(v, bin, sizeof(bin));
	free(v);
	/* as JuiceFS: the inode's attr (ctime included) does not change */
	CHECK(E->node_is(f, &before));

	/* overwrite, and an empty value is a value */
	REQUIRE(setx(m, f, "user.a", "xyz", 3, 0) == 0);
	CHECK(E->xattr_is(f, "user.a", "xyz", 3));
	REQUIRE(setx(m, f, "trusted.empty", "", 0, 0) == 0);
	CHECK(E->xattr_is(f, "trusted.empty", "", 0));
	REQUIRE(getx(m, f, "trusted.empty", &v, &n) == 0);
	CHECK(v != NULL);
	CHECK_EQ(n, 0);
	free(v);
	/* what a juicefs client wrote reads back */
	REQUIRE(E->xattr_put(f, "security.selinux", "ctx\0", 4) == 0);
	REQUIRE(getx(m, f, "security.selinux", &v, &n) == 0);
	CHECK_EQ(n, 4);
	CHECK_MEM(v, "ctx\0", 4);
	free(v);
	REQUIRE(E->xattr_put(f, "user.color", "blue", 4) == 0);
	REQUIRE(getx(m, f, "user.color", &v, &n) == 0);
	CHECK_EQ(n, 4);
	CHECK_MEM(v, "blue", 4);
	CHECK_EQ(v[4], '\0');
	free(v);
	/* a name may hold any byte but NUL, '/' included */
	REQUIRE(setx(m, f, "user.a/b c", "1", 1, 0) == 0);
	CHECK(E->xattr_is(f, "user.a/b c", "1", 1));
	CHECK_EQ(E->xattrs(f), 5);
	meta_close(m);
}

static void xattr_flags(void)
{
	struct meta *m = fresh();
	uint64_t f;
	char *v;
	size_t n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	/* XATTR_REPLACE needs the name, XATTR_CREATE its absence */
	CHECK_EQ(setx(m, f, "user.k", "r", 1, META_XATTR_REPLACE), -ENODATA);
	CHECK_EQ(E->xattrs(f), 0);
	CHECK_EQ(setx(m, f, "user.k", "c", 1, META_XATTR_CREATE), 0);
	CHECK(E->xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "C", 1, META_XATTR_CREATE), -EEXIST);
	CHECK(E->xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "R", 1, META_XATTR_REPLACE), 0);
	CHECK(E->xattr_is(f, "user.k", "R", 1));
	CHECK_EQ(setx(m, f, "user.k", "R", 1, META_XATTR_REPLACE), 0);	/* same value */
	/* as base.go: one flag or none */
	CHECK_EQ(setx(m, f, "user.k", "B", 1, META_XATTR_CREATE | META_XATTR_REPLACE), -EINVAL);
	CHECK_EQ(setx(m, f, "user.k", "B", 1, 4), -EINVAL);
	REQUIRE(getx(m, f, "user.k", &v, &n) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(v[0], 'R');
	free(v);
	CHECK_EQ(E->xattrs(f), 1);
	meta_close(m);
}

static void xattr_names_and_sizes(void)
{
	struct meta *m = fresh();
	char name[300], *big, *v;
	uint64_t f;
	size_t n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_setxattr(m, f, "", 0, "v", 1, 0), -EINVAL);
	CHECK_EQ(meta_getxattr(m, f, "", 0, &v, &n), -EINVAL);
	CHECK_EQ(meta_removexattr(m, f, "", 0), -EINVAL);
	CHECK_EQ(meta_setxattr(m, f, "user.a\0b", 8, "v", 1, 0), -EINVAL);
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	CHECK_EQ(meta_setxattr(m, f, name, 256, "v", 1, 0), -ERANGE);
	CHECK_EQ(meta_getxattr(m, f, name, 256, &v, &n), -ERANGE);
	CHECK_EQ(meta_removexattr(m, f, name, 256), -ERANGE);
	CHECK_EQ(meta_setxattr(m, f, name, 255, "v", 1, 0), 0);
	name[255] = '\0';
	CHECK(E->xattr_is(f, name, "v", 1));
	/* values up to 64 KiB, as JuiceFS's xattrMaxSize */
	big = malloc(META_XATTR_SIZE_MAX + 1);
	REQUIRE(big);
	for (n = 0; n <= META_XATTR_SIZE_MAX; n++)
		big[n] = (char)(n * 7);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX + 1, 0), -E2BIG);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX, 0), 0);
	CHECK(E->xattr_is(f, "user.big", big, META_XATTR_SIZE_MAX));
	if (getx(m, f, "user.big", &v, &n) == 0) {
		CHECK_EQ(n, META_XATTR_SIZE_MAX);
		CHECK_MEM(v, big, META_XATTR_SIZE_MAX);
		free(v);
	} else {
		CHECK(!"getxattr of 64 KiB");
	}
	free(big);
	meta_close(m);
}

/* the names of a listxattr buffer, sorted, joined by ',' */
static void names_joined(const char *names, size_t len, char *out, size_t outlen)
{
	const char *v[16];
	size_t i, j, k = 0, pos;

	for (pos = 0; pos < len && k < 16; pos += strlen(names + pos) + 1)
		v[k++] = names + pos;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", v[i]);
}

static void xattr_list_and_remove(void)
{
	struct meta *m = fresh();
	char *names = (char *)1, joined[256];
	uint64_t f, g;
	size_t len = 99;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	CHECK_EQ(meta_listxattr(m, f, &names, &len), 0);
	CHECK(names == NULL);
	CHECK_EQ(len, 0);
	REQUIRE(setx(m, f, "user.b", "2", 1, 0) == 0);
	REQUIRE(setx(m, f, "trusted.t", "", 0, 0) == 0);
	REQUIRE(setx(m, f, "user.a", "1", 1, 0) == 0);
	REQUIRE(setx(m, g, "user.other", "1", 1, 0) == 0);
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	CHECK_EQ(len, strlen("user.b") + strlen("trusted.t") + strlen("user.a") + 3);
	REQUIRE(names && names[len - 1] == '\0');
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a,user.b");
	free(names);

	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), 0);
	CHECK(!E->xattr_is(f, "user.b", "2", 1));
	CHECK_EQ(E->xattrs(f), 2);
	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), -ENODATA);
	CHECK_EQ(meta_removexattr(m, f, "user.zz", 7), -ENODATA);
	CHECK_EQ(meta_removexattr(m, f, "user.other", 10), -ENODATA);	/* g's */
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a");
	free(names);
	/* the last one gone, so is what held them */
	CHECK_EQ(meta_removexattr(m, f, "user.a", 6), 0);
	CHECK_EQ(meta_removexattr(m, f, "trusted.t", 9), 0);
	CHECK_EQ(E->xattrs(f), 0);
	CHECK_EQ(E->xattrs(g), 1);
	meta_close(m);
}

/* xattrs go with their inode: unlink, rmdir, a replacing rename */
static void xattr_deleted_with_inode(void)
{
	struct meta *m = fresh();
	uint64_t f, g, h, d, l;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(mkfile(m, 1, "h", &h) == 0);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(meta_mknod(m, 1, "l", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0,
			      "f", 1, &l, NULL) == 0);
	REQUIRE(setx(m, f, "user.x", "1", 1, 0) == 0);
	REQUIRE(setx(m, g, "user.x", "1", 1, 0) == 0);
	REQUIRE(setx(m, h, "user.x", "1", 1, 0) == 0);
	REQUIRE(setx(m, d, "user.x", "1", 1, 0) == 0);
	REQUIRE(setx(m, l, "trusted.x", "1", 1, 0) == 0);

	/* a file with another link keeps its xattrs */
	REQUIRE(meta_link(m, f, 1, "f2", 2, NULL) == 0);
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(E->xattrs(f), 1);
	REQUIRE(unlink_(m, 1, "f2") == 0);
	CHECK_EQ(E->xattrs(f), 0);
	REQUIRE(rmdir_(m, 1, "d") == 0);
	CHECK_EQ(E->xattrs(d), 0);
	REQUIRE(unlink_(m, 1, "l") == 0);
	CHECK_EQ(E->xattrs(l), 0);
	REQUIRE(rename_(m, 1, "g", 1, "h", 0) == 0);
	CHECK_EQ(E->xattrs(h), 0);
	CHECK_EQ(E->xattrs(g), 1);	/* the moved one keeps them */
	meta_close(m);
}

/* ---- ACLs (JuiceFS 1.2) ---- */

static void acl_rules(void)
{
	struct acl_rule r, got;
	struct meta *m = fresh(), *m2 = NULL;
	struct meta_attr a;
	uint64_t f, g, h, d;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(mkfile(m, 1, "h", &h) == 0);
	CHECK_EQ(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	CHECK_EQ(meta_get_facl(m, 999999, ACL_TYPE_ACCESS_J, &got), -ENOENT);
	CHECK_EQ(meta_get_facl(m, f, 3, &got), -EINVAL);
	rule_1000(&r);
	REQUIRE(r.nusers == 1);
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(a.mode, 0640);
	CHECK(E->node_is(f, &a));
	CHECK_EQ(E->acl_rules(), 1);
	/* the same rule elsewhere shares its id */
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(E->acl_rules(), 1);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(acl_rule_equal(&got, &r));
	acl_rule_free(&got);
	/* ... also for another client, whose cache knows nothing yet */
	REQUIRE(meta_open(E->url(), &m2) == 0);
	REQUIRE(meta_set_facl(m2, h, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(E->acl_rules(), 1);
	REQUIRE(meta_get_facl(m2, h, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(acl_rule_equal(&got, &r));
	acl_rule_free(&got);

	/* chmod moves the mask: a new rule */
	a.mode = 0600;
	REQUIRE(meta_setattr(m, f, META_SET_MODE, &a, &a) == 0);
	CHECK_EQ(a.mode, 0600);
	CHECK_EQ(a.access_acl, 2);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK_EQ(got.mask, 0);
	CHECK_EQ(got.group, 4);
	CHECK_EQ(got.owner, 6);
	acl_rule_free(&got);
	CHECK(E->node_is(f, &a));

	/* kill_sgid; then removal keeps the mode */
	a.mode = 02640;
	REQUIRE(meta_setattr(m, g, META_SET_MODE, &a, &a) == 0);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, true, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 1);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, NULL, false, &a) == 0);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.mode, 0640);
	CHECK(E->node_is(g, &a));
	CHECK_EQ(meta_get_facl(m, g, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	/* a minimal access rule is only mode bits */
	acl_rule_init(&got);
	got.owner = 7;
	got.group = 5;
	got.other = 1;
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &got, false, &a) == 0);
	CHECK_EQ(a.mode, 0751);
	CHECK_EQ(a.access_acl, 0);
	CHECK(E->node_is(g, &a));
	CHECK_EQ(E->acl_rules(), 2);
	/* an immutable file refuses */
	REQUIRE(E->set_flags(g, META_FLAG_IMMUTABLE) == 0);
	CHECK_EQ(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, false, &a), -EPERM);

	/* a default rule leaves the mode, and is its own rule */
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	acl_rule_free(&r);
	rule_1000_dir(&r);
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK_EQ(a.default_acl, 3);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.mode, 0755);
	CHECK(E->node_is(d, &a));
	/* other is unset in the request: inherited from the mode (5) */
	REQUIRE(meta_get_facl(m, d, ACL_TYPE_DEFAULT_J, &got) == 0);
	CHECK_EQ(got.other, 5);
	CHECK_EQ(got.nusers, 1);
	acl_rule_free(&got);
	CHECK_EQ(meta_get_facl(m, d, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	acl_rule_free(&r);
	meta_close(m2);
	meta_close(m);
}

/* mknod's default ACLs and setattr's chmod of a file with an access ACL */
static void acl_inherit_and_chmod(void)
{
	struct meta *m = fresh();
	struct acl_rule r, got;
	struct meta_attr a, in;
	uint64_t d, c, sub, um;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	rule_1000(&r);
	r.users[0].perm = 7;
	r.owner = 7;
	r.group = 5;
	r.mask = 7;
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK_EQ(a.default_acl, 1);
	/* a file gets an access rule from it: umask ignored, mask = 6 & 7 */
	REQUIRE(meta_mknod(m, d, "c", 1, META_TYPE_FILE, 0666, 077, 0, 0, 0,
			      NULL, 0, &c, &a) == 0);
	CHECK(a.access_acl != 0 && a.default_acl == 0);
	CHECK_EQ(a.mode, 0660);
	CHECK(E->node_is(c, &a));
	REQUIRE(meta_get_facl(m, c, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(got.owner == 6 && got.group == 5 && got.mask == 6 && got.other == 0);
	CHECK(got.nusers == 1 && got.users[0].id == 1000 && got.users[0].perm == 7);
	acl_rule_free(&got);
	/* a dir keeps the default rule too */
	REQUIRE(meta_mknod(m, d, "sub", 3, META_TYPE_DIR, 0777, 077, 0, 0, 0,
			      NULL, 0, &sub, &a) == 0);
	CHECK_EQ(a.default_acl, 1);
	CHECK(a.access_acl != 0);
	CHECK(E->node_is(sub, &a));
	/* no default rule: the umask applies */
	REQUIRE(meta_mknod(m, 1, "um", 2, META_TYPE_FILE, 0666, 027, 0, 0, 0,
			      NULL, 0, &um, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 0);
	/* chmod of a file with an access rule moves the rule's mask */
	REQUIRE(meta_getattr(m, c, &a) == 0);
	memset(&in, 0, sizeof(in));
	in.mode = 0600;
	REQUIRE(meta_setattr(m, c, META_SET_MODE, &in, &a) == 0);
	CHECK_EQ(a.mode, 0600);
	CHECK(a.access_acl != 0);
	REQUIRE(meta_get_facl(m, c, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK_EQ(got.mask, 0);
	CHECK_EQ(got.owner, 6);
	CHECK_EQ(got.group, 5);
	acl_rule_free(&got);
	CHECK(E->node_is(c, &a));
	acl_rule_free(&r);
	meta_close(m);
}

struct facl_worker {
	struct meta *m;
	uint64_t ino[10];
	int ret;
};

/* three rules, set in turn on the worker's files */
static void *facl_worker_main(void *p)
{
	struct facl_worker *w = p;
	struct acl_rule r;
	int i;

	rule_1000(&r);
	for (i = 0; i < 10 && !w->ret && r.nusers; i++) {
		r.users[0].perm = (uint16_t)(i % 3);
		w->ret = meta_set_facl(w->m, w->ino[i], ACL_TYPE_ACCESS_J, &r, false, NULL);
	}
	acl_rule_free(&r);
	return NULL;
}

/* two clients making the same new rules at once */
static void acl_concurrent_dedup(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	struct facl_worker w[4];
	struct acl_rule r, got;
	struct meta_attr a;
	uint32_t ids[40] = { 0 };
	pthread_t t[4];
	char name[16];
	int i, j, k, nids = 0;

	REQUIRE(m);
	REQUIRE(meta_open(E->url(), &m2) == 0);
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = i % 2 ? m2 : m;
		for (j = 0; j < 10; j++) {
			snprintf(name, sizeof(name), "f%d-%d", i, j);
			REQUIRE(mkfile(m, 1, name, &w[i].ino[j]) == 0);
		}
	}
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, facl_worker_main, &w[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(w[i].ret, 0);
	}
	/* every file has the rule it was given, read back by either client */
	rule_1000(&r);
	REQUIRE(r.nusers == 1);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 10; j++) {
			r.users[0].perm = (uint16_t)(j % 3);
			REQUIRE(meta_get_facl(i % 2 ? m : m2, w[i].ino[j], ACL_TYPE_ACCESS_J,
					      &got) == 0);
			CHECK(acl_rule_equal(&got, &r));
			acl_rule_free(&got);
			REQUIRE(meta_getattr(m, w[i].ino[j], &a) == 0);
			for (k = 0; k < nids && ids[k] != a.access_acl; k++)
				;
			if (k == nids && nids < 40)
				ids[nids++] = a.access_acl;
		}
	acl_rule_free(&r);
	/* one id a rule, where the engine settles the race */
	CHECK(E->acl_rules() >= 3);
	CHECK_EQ(nids, E->acl_rules());
	if (E->acl_dedup_races)
		CHECK_EQ(E->acl_rules(), 3);
	meta_close(m2);
	meta_close(m);
}

/* ---- locks ---- */

/* {u32 type, u32 pid, u64 start, u64 end} big-endian, as juicefs keeps them */
static size_t plock_rec(unsigned char *b, uint32_t type, uint32_t pid, uint64_t start,
			uint64_t end)
{
	int k;

	for (k = 0; k < 4; k++) {
		b[k] = (unsigned char)(type >> (24 - 8 * k));
		b[4 + k] = (unsigned char)(pid >> (24 - 8 * k));
	}
	for (k = 0; k < 8; k++) {
		b[8 + k] = (unsigned char)(start >> (56 - 8 * k));
		b[16 + k] = (unsigned char)(end >> (56 - 8 * k));
	}
	return 24;
}

static void plock_records(void)
{
	struct meta *m = fresh();
	unsigned char b[96];
	uint64_t f, sid;
	size_t n;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 99, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 40, 99, 42), 0);
	n = plock_rec(b, 1, 42, 0, 39);
	CHECK(E->plock_is(f, sid, 0xabc, b, n));
	/* a read lock after a gap, then the gap write-locked: merged with the first */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 50, 59, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 40, 49, 42), 0);
	n = plock_rec(b, 1, 42, 0, 49);
	n += plock_rec(b + n, 0, 42, 50, 59);
	CHECK(E->plock_is(f, sid, 0xabc, b, n));
	/* an unlock in the middle splits */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 20, 29, 42), 0);
	n = plock_rec(b, 1, 42, 0, 19);
	n += plock_rec(b + n, 1, 42, 30, 49);
	n += plock_rec(b + n, 0, 42, 50, 59);
	CHECK(E->plock_is(f, sid, 0xabc, b, n));
	/* an owner with the top bit set */
	CHECK_EQ(meta_setlk(m, f, 0xFFFFFFFFFFFFFFF0ULL, PLOCK_RD, 100, UINT64_MAX, 1), 0);
	n = plock_rec(b, 0, 1, 100, UINT64_MAX);
	CHECK(E->plock_is(f, sid, 0xFFFFFFFFFFFFFFF0ULL, b, n));
	/* all unlocked: the owner's record goes */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, UINT64_MAX, 42), 0);
	CHECK(E->plock_is(f, sid, 0xabc, NULL, 0));
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, 10, 42), 0);	/* nothing held */
	CHECK(E->plock_is(f, sid, 0xFFFFFFFFFFFFFFF0ULL, b, n));
	CHECK_EQ(meta_setlk(m, f, 1, 9, 0, 10, 7), -EINVAL);
	CHECK_EQ(meta_setlk(m, f, 1, PLOCK_WR, 10, 0, 7), -EINVAL);
	meta_close(m);
}

/* fields, records, conflicts across sessions, cleanup */
static void locks_across_sessions(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	unsigned char b[24];
	uint64_t f, s1, s2;
	struct plock p;

	REQUIRE(m);
	REQUIRE(meta_open(E->url(), &m2) == 0);
	REQUIRE(meta_new_session(m, "{}", &s1) == 0);
	REQUIRE(meta_new_session(m2, "{}", &s2) == 0);
	REQUIRE(s1 != s2);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);

	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 39, 42), 0);
	/* the same owner number in another session is another owner */
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_RD, 30, 50, 7), -EAGAIN);
	CHECK(E->plock_is(f, s2, 0xabc, NULL, 0));
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 40, 50, 7), 0);
	CHECK_EQ(meta_getlk(m2, f, 0xabc, PLOCK_RD, 0, 100, &p), 0);
	CHECK(p.type == PLOCK_WR && p.start == 0 && p.end == 39 && p.pid == 42);
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_RD, 45, 45, &p), 0);
	CHECK(p.type == PLOCK_WR && p.start == 40 && p.end == 50 && p.pid == 7);
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* its own lock is no conflict */
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_UN, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 0, 39, 42), 0);	/* downgrade */
	CHECK_EQ(meta_getlk(m2, f, 1, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* read + read */
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_RD, 0, 39, 8), 0);
	CHECK_EQ(meta_getlk(m2, f, 1, PLOCK_WR, 0, 39, &p), 0);
	CHECK(p.type == PLOCK_RD && p.end == 39);
	/* m unlocks: m2 may now take it */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, UINT64_MAX, 42), 0);
	CHECK(E->plock_is(f, s1, 0xabc, NULL, 0));
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 0, 39, 7), -EAGAIN);	/* its owner 1 */
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_UN, 0, UINT64_MAX, 8), 0);
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 0, 39, 7), 0);
	CHECK(E->plock_is(f, s2, 0xabc, b, plock_rec(b, 1, 7, 0, 50)));

	/* flock: 'R' / 'W' per (inode, session, owner) */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);
	CHECK_EQ(E->flock_of(f, s1, 5), 'W');
	CHECK_EQ(meta_flock(m2, f, 5, PLOCK_RD), -EAGAIN);
	CHECK_EQ(meta_flock(m, f, 6, PLOCK_RD), -EAGAIN);	/* another owner of m's */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);			/* again: no change */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_RD), 0);			/* downgrade */
	CHECK_EQ(E->flock_of(f, s1, 5), 'R');
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_RD), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_WR), -EAGAIN);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), -EAGAIN);
	CHECK_EQ(E->flock_of(f, s2, 6), 'R');
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_UN), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_UN), 0);	/* nothing held */
	CHECK_EQ(E->flock_of(f, s2, 6), 0);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);		/* upgrade, alone now */
	CHECK_EQ(E->flock_of(f, s1, 5), 'W');
	CHECK_EQ(meta_flock(m, f, 5, 3), -EINVAL);

	/* another client's lock (owner with the top bit) blocks ours */
	REQUIRE(E->flock_put(f, 999, 0x9BBCC5E2BDC4AA6BULL, 'R') == 0);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_UN), 0);
	CHECK_EQ(meta_flock(m2, f, 1, PLOCK_RD), 0);
	CHECK_EQ(meta_flock(m2, f, 2, PLOCK_WR), -EAGAIN);

	/* m's client dies: once its session expires, m2's cleanup frees its locks */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 100, 200, 42), 0);
	CHECK_EQ(meta_flock(m, f, 9, PLOCK_RD), 0);
	REQUIRE(E->set_session_expire(s1, 1) == 0);
	CHECK_EQ(meta_cleanup_stale_sessions(m2), 0);
	CHECK(E->plock_is(f, s1, 0xabc, NULL, 0));
	CHECK_EQ(E->flock_of(f, s1, 9), 0);
	CHECK(E->plock_is(f, s2, 0xabc, b, plock_rec(b, 1, 7, 0, 50)));
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_WR, 100, 200, 7), 0);	/* its range is free */
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_WR), -EAGAIN);	/* the other client's R */
	meta_close(m2);
	meta_close(m);
}

/* ======== running every case on every engine ======== */

static void run_all(const struct engine *e)
{
	if (e->setup()) {
		printf("FAIL %s: setup\n", e->name);
		check_nfail++;
		return;
	}
	RUN_ON(e, init_and_setting);
	RUN_ON(e, mknod_every_type);
	RUN_ON(e, mknod_errors);
	RUN_ON(e, lookup_getattr_setattr);
	RUN_ON(e, hard_links);
	RUN_ON(e, unlink_frees);
	RUN_ON(e, rmdir_cases);
	RUN_ON(e, rename_moves);
	RUN_ON(e, rename_replaces);
	RUN_ON(e, rename_exchange);
	RUN_ON(e, rename_hardlinked_file);
	RUN_ON(e, readdir_plus);
	RUN_ON(e, statfs_counters);
	RUN_ON(e, trash_moves_and_restores);
	RUN_ON(e, trash_cleanup_expired);
	RUN_ON(e, sustained_inode);
	RUN_ON(e, sessions);
	RUN_ON(e, set_if_small_elects_one);
	RUN_ON(e, id_batches);
	RUN_ON(e, concurrent_creates);
	RUN_ON(e, concurrent_renames);
	RUN_ON(e, write_and_read_chunks);
	RUN_ON(e, compact_chunk_swaps);
	RUN_ON(e, compact_chunk_shared);
	RUN_ON(e, compact_chunk_skips);
	RUN_ON(e, compact_chunk_trash);
	RUN_ON(e, delayed_slices_released);
	RUN_ON(e, truncate_records);
	RUN_ON(e, fallocate_modes);
	RUN_ON(e, copy_range_clones);
	RUN_ON(e, unlink_frees_slices);
	RUN_ON(e, cleanup_slices_retries);
	RUN_ON(e, cleanup_deleted_files);
	RUN_ON(e, dir_quotas_counted);
	RUN_ON(e, dir_stats_kept);
	RUN_ON(e, dir_stats_update);
	RUN_ON(e, xattr_layout);
	RUN_ON(e, xattr_flags);
	RUN_ON(e, xattr_names_and_sizes);
	RUN_ON(e, xattr_list_and_remove);
	RUN_ON(e, xattr_deleted_with_inode);
	RUN_ON(e, acl_rules);
	RUN_ON(e, acl_inherit_and_chmod);
	RUN_ON(e, acl_concurrent_dedup);
	RUN_ON(e, plock_records);
	RUN_ON(e, locks_across_sessions);
	e->teardown();
}

int main(void)
{
	run_all(&redis_engine);
	run_all(&sqlite_engine);
	return check_done();
}
