/*
 * test_meta_redis.c - what only the Redis engine has: URLs (db number,
 * unix socket, passwords), the keys as JuiceFS's redis.go lays them out
 * byte for byte (attrs, entries, counters, sessionInfos, locked{sid},
 * sliceRef fields, the acl hash), and the driver's behaviour on a killed
 * connection or a full server.  What every engine does is in the
 * conformance suite, test_meta_engines.c.  It starts its own redis-server
 * and checks keys over a separate hiredis connection (redisraw.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conformance.h"
#include "redisraw.h"

static const char *setting_json = "{\n\"Name\": \"test\",\n\"BlockSize\": 4096,\n\"TrashDays\": 0\n}";

/* an emptied database, a formatted volume, the recording hooks */
static struct meta *fresh_redis(void)
{
	return rec_hooks(volume(rd_flush(), setting_json, false));
}

/* ---- URLs and the connection ---- */

static void open_bad_urls(void)
{
	struct meta *m = NULL;
	char u[160];

	snprintf(u, sizeof(u), "redis://127.0.0.1:99999");
	CHECK_EQ(meta_open(u, &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "invalid redis url") != NULL);
	CHECK_EQ(meta_open("redis://user:s3cret@[::1", &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "invalid redis url") != NULL);
	CHECK(strstr(jfs_errmsg(), "s3cret") == NULL);
	snprintf(u, sizeof(u), "%s/notadb", redis_url);
	CHECK_EQ(meta_open(u, &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "database") != NULL);
	snprintf(u, sizeof(u), "%s/1?bogus=1", redis_url);
	CHECK_EQ(meta_open(u, &m), -EINVAL);
	CHECK_EQ(meta_open("unix://", &m), -EINVAL);
	CHECK(m == NULL);
}

static void open_unreachable(void)
{
	struct meta *m = NULL;
	char u[64], want[96];
	int port = free_port();

	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/1", port);
	CHECK_EQ(meta_open(u, &m), -ECONNREFUSED);
	CHECK(m == NULL);
	snprintf(want, sizeof(want), "redis 127.0.0.1:%d: Connection refused", port);
	CHECK_STR(jfs_errmsg(), want);
	CHECK_EQ(meta_open("unix:///nonexistent/redis.sock", &m), -ECONNREFUSED);
	CHECK(strstr(jfs_errmsg(), "/nonexistent/redis.sock") != NULL);
}

static void open_db_and_unix_socket(void)
{
	struct meta *m = NULL;
	char u[200];
	uint64_t ino;

	rd_flush();
	snprintf(u, sizeof(u), "%s/2", redis_url);
	REQUIRE(meta_open(u, &m) == 0);
	CHECK_EQ(meta_init(m, setting_json, false), 0);
	meta_close(m);
	snprintf(u, sizeof(u), "unix://%s?db=3", redis_sock);
	REQUIRE(meta_open(u, &m) == 0);
	CHECK_EQ(meta_init(m, setting_json, false), 0);
	CHECK_EQ(mkfile(m, 1, "f", &ino), 0);
	meta_close(m);
	CHECK_EQ(rd_int("DBSIZE"), 0);
	freeReplyObject(raw("SELECT 2"));
	CHECK_EQ(rd_exists("setting"), 1);
	CHECK_EQ(rd_exists("i2"), 0);
	freeReplyObject(raw("SELECT 3"));
	CHECK_EQ(rd_exists("setting"), 1);
	CHECK_EQ(rd_exists("i2"), 1);
	freeReplyObject(raw("SELECT 0"));
}

static void open_auth(void)
{
	struct meta *m = NULL;
	char *json = NULL;
	char u[200];

	rd_flush();
	freeReplyObject(raw("CONFIG SET requirepass s3cret"));
	REQUIRE(meta_open(redis_url, &m) == 0);
	CHECK_EQ(meta_get_setting(m, &json), -EACCES);
	CHECK(strstr(jfs_errmsg(), "NOAUTH") != NULL);
	meta_close(m);

	snprintf(u, sizeof(u), "redis://:wrong@127.0.0.1:%d", redis_port);
	CHECK_EQ(meta_open(u, &m), -EACCES);
	CHECK(strstr(jfs_errmsg(), "wrong") == NULL);

	snprintf(u, sizeof(u), "redis://:s3cret@127.0.0.1:%d", redis_port);
	if (meta_open(u, &m) == 0) {
		CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
		meta_close(m);
	} else {
		CHECK(!"password in the url");
	}
	snprintf(u, sizeof(u), "redis://default:s3cret@127.0.0.1:%d", redis_port);
	if (meta_open(u, &m) == 0) {
		CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
		meta_close(m);
	} else {
		CHECK(!"user and password in the url");
	}
	setenv("META_PASSWORD", "s3cret", 1);
	if (meta_open(redis_url, &m) == 0) {
		CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
		meta_close(m);
	} else {
		CHECK(!"META_PASSWORD");
	}
	unsetenv("META_PASSWORD");
	freeReplyObject(raw("CONFIG SET requirepass %s", ""));
}

/* a dropped connection is dialled again, the next command goes through */
static void reconnects_after_kill(void)
{
	struct meta *m = fresh_redis();
	struct meta_attr a;
	uint64_t f;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	freeReplyObject(raw("CLIENT KILL TYPE normal SKIPME yes"));
	CHECK_EQ(meta_getattr(m, f, &a), 0);
	freeReplyObject(raw("CLIENT KILL TYPE normal SKIPME yes"));
	CHECK_EQ(mkfile(m, 1, "g", &f), 0);
	CHECK_EQ(rd_int("GET totalInodes"), 2);
	meta_close(m);
}

/* redis's OOM error is a full file system, not an I/O error */
static void oom_is_enospc(void)
{
	struct meta *m = fresh_redis();
	uint64_t f;

	REQUIRE(m);
	freeReplyObject(raw("CONFIG SET maxmemory 1"));
	CHECK_EQ(mkfile(m, 1, "f", &f), -ENOSPC);
	CHECK(strstr(jfs_errmsg(), "OOM") != NULL);
	freeReplyObject(raw("CONFIG SET maxmemory 0"));
	CHECK_EQ(mkfile(m, 1, "f", &f), 0);
	meta_close(m);
}

/* ---- keys as redis.go writes them ---- */

/* the format writes the setting and i1, no counters; .trash is i{TrashInode} */
static void init_keys(void)
{
	struct meta *m = fresh_redis();
	redisReply *r;

	REQUIRE(m);
	CHECK_EQ(rd_int("DBSIZE"), 2);
	CHECK_EQ(rd_exists("setting"), 1);
	r = raw("GET i1");
	CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 72);	/* no ACL ids */
	freeReplyObject(r);
	CHECK_EQ(rd_exists("totalInodes"), 0);
	CHECK_EQ(rd_exists("i9223372032828243968"), 0);
	CHECK_EQ(meta_init(m, setting_json, true), 0);
	CHECK_EQ(rd_exists("i9223372032828243968"), 1);
	meta_close(m);
}

static void mknod_file_layout(void)
{
	struct meta *m = fresh_redis();
	struct meta_attr a;
	redisReply *r;
	uint64_t ino = 0;

	REQUIRE(m);
	REQUIRE(meta_mknod(m, 1, "hello", 5, META_TYPE_FILE, 0644, 0, 1000, 1000, 0,
			      NULL, 0, &ino, &a) == 0);
	CHECK_EQU(ino, 2);
	CHECK_EQ(rd_int("GET nextinode"), 1024);	/* the last of the batch */

	r = raw("GET i2");
	REQUIRE(r && r->type == REDIS_REPLY_STRING);
	CHECK_EQ(r->len, 72);
	CHECK_MEM(r->str, "\x00\x11\xa4\x00\x00\x03\xe8\x00\x00\x03\xe8", 11);
	CHECK_MEM(r->str + 47, "\x00\x00\x00\x01", 4);			/* nlink */
	CHECK_MEM(r->str + 51, "\0\0\0\0\0\0\0\0", 8);			/* length */
	CHECK_MEM(r->str + 63, "\0\0\0\0\0\0\0\x01\0", 9);		/* parent, slack */
	freeReplyObject(r);

	r = raw("HGET d1 hello");
	REQUIRE(r && r->type == REDIS_REPLY_STRING);
	CHECK_EQ(r->len, 9);
	CHECK_MEM(r->str, "\x01\0\0\0\0\0\0\0\x02", 9);
	freeReplyObject(r);
	meta_close(m);
}

/*
 * What a namespace change costs (meta_io, what jfsd reports per op): the
 * reads of a transaction go in one pipeline with its WATCH, so a create
 * is two round trips (WATCH+GET+HGET, MULTI..EXEC), as few commands as
 * JuiceFS's chain less its UNWATCH.
 */
static void op_costs(void)
{
	struct meta *m = fresh_redis();
	struct meta_attr a;
	struct meta_io io;
	uint64_t ino = 0, ino2 = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "warm", &ino) == 0);	/* the inode batch */
	meta_io_take(&io);
	REQUIRE(meta_mknod(m, 1, "f", 1, META_TYPE_FILE, 0644, 0, 0, 0, 0,
			   NULL, 0, &ino, &a) == 0);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 2);
	CHECK_EQU(io.cmds, 10);
	REQUIRE(meta_mknod(m, 1, "f", 1, META_TYPE_FILE, 0644, 0, 0, 0, 0,
			   NULL, 0, &ino, &a) == -EEXIST);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 2);		/* the reads, then UNWATCH */
	REQUIRE(meta_getattr(m, ino, &a) == 0);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 1);
	/* a lookup is JuiceFS's script: entry and attr in one round trip */
	REQUIRE(meta_lookup(m, 1, "warm", 4, &ino2, &a) == 0);	/* loads it */
	meta_io_take(&io);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino2, &a) == 0);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 1);
	CHECK_EQU(ino2, ino);
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(meta_lookup(m, 1, "nope", 4, &ino2, &a), -ENOENT);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 1);
	freeReplyObject(raw("SCRIPT FLUSH"));	/* a restarted server: loaded again */
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino2, &a) == 0);
	CHECK_EQU(ino2, ino);
	meta_io_take(&io);
	CHECK_EQU(io.rtts, 3);		/* NOSCRIPT, SCRIPT LOAD, EVALSHA */
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	meta_io_take(&io);
	/* dir+entry, the inode, MULTI..EXEC; then delfiles is cleared */
	CHECK_EQU(io.rtts, 4);
	meta_close(m);
}

/* nextinode / nextchunk hold the last id handed out, batch by batch */
static void id_counters(void)
{
	struct meta *m = fresh_redis(), *m2 = NULL;
	uint64_t id, ino;

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQ(rd_int("GET nextchunk"), 4096);
	REQUIRE(meta_open(redis_url, &m2) == 0);
	REQUIRE(meta_new_slice_id(m2, &id) == 0);
	CHECK_EQU(id, 4097);
	CHECK_EQ(rd_int("GET nextchunk"), 8192);
	REQUIRE(mkfile(m, 1, "a", &ino) == 0);
	REQUIRE(mkfile(m2, 1, "b", &ino) == 0);
	CHECK_EQU(ino, 1025);
	CHECK_EQ(rd_int("GET nextinode"), 2048);
	meta_close(m2);
	meta_close(m);

	/* a volume used by others: the batch follows the stored counter */
	m = fresh_redis();
	REQUIRE(m);
	freeReplyObject(raw("SET nextinode 5000"));
	REQUIRE(mkfile(m, 1, "a", &ino) == 0);
	CHECK_EQU(ino, 5001);
	CHECK_EQ(rd_int("GET nextinode"), 6024);
	meta_close(m);
}

/* sessionInfos is set once (HSETNX on refresh); locked{sid} lists its lock keys */
static void session_keys(void)
{
	struct meta *m = fresh_redis();
	uint64_t sid, f;
	redisReply *r;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{\"Version\":\"1\"}", &sid) == 0);
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"2\"}") == 0);
	r = raw("HGET sessionInfos %" PRIu64, sid);
	CHECK(rd_is(r, "{\"Version\":\"1\"}", 15));
	freeReplyObject(r);
	/* lost while the session lives: the next refresh restores it */
	freeReplyObject(raw("HDEL sessionInfos %" PRIu64, sid));
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"2\"}") == 0);
	r = raw("HGET sessionInfos %" PRIu64, sid);
	CHECK(rd_is(r, "{\"Version\":\"2\"}", 15));
	freeReplyObject(r);

	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_flock(m, f, 5, PLOCK_WR) == 0);
	REQUIRE(meta_setlk(m, f, 5, PLOCK_WR, 0, 9, 1) == 0);
	CHECK_EQ(rd_int("SCARD locked%" PRIu64, sid), 2);
	CHECK_EQ(rd_int("SISMEMBER locked%" PRIu64 " lockf%" PRIu64, sid, f), 1);
	CHECK_EQ(rd_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, sid, f), 1);
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQ(rd_int("EXISTS lockf%" PRIu64, f), 0);
	CHECK_EQ(rd_int("EXISTS lockp%" PRIu64, f), 0);
	CHECK_EQ(rd_int("EXISTS locked%" PRIu64, sid), 0);
	CHECK_EQ(rd_int("EXISTS session%" PRIu64, sid), 0);
	meta_close(m);
}

/* lockp{ino} fields "{sid}_{owner:%016X}"; an owner's last unlock leaves locked{sid} */
static void lock_keys(void)
{
	static const unsigned char rec[] = {	/* F_WRLCK, pid 42, 0..39 */
		0, 0, 0, 1, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 39,
	};
	struct meta *m = fresh_redis(), *m2 = NULL;
	uint64_t f, s1, s2;
	redisReply *r;

	REQUIRE(m);
	REQUIRE(meta_open(redis_url, &m2) == 0);
	REQUIRE(meta_new_session(m, "{}", &s1) == 0);
	REQUIRE(meta_new_session(m2, "{}", &s2) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 99, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 40, 99, 42), 0);
	r = raw("HGET lockp%" PRIu64 " %" PRIu64 "_0000000000000ABC", f, s1);
	CHECK(rd_is(r, rec, sizeof(rec)));
	freeReplyObject(r);
	CHECK_EQ(rd_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, s1, f), 1);
	r = raw("HGET lockf%" PRIu64 " %" PRIu64 "_0000000000000005", f, s1);
	CHECK(r && r->type == REDIS_REPLY_NIL);
	freeReplyObject(r);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);
	r = raw("HGET lockf%" PRIu64 " %" PRIu64 "_0000000000000005", f, s1);
	CHECK(rd_is(r, "W", 1));
	freeReplyObject(r);

	/* m's client dies: m2's cleanup takes its fields and its locked set */
	freeReplyObject(raw("ZADD allSessions 1 %" PRIu64, s1));
	CHECK_EQ(meta_cleanup_stale_sessions(m2), 0);
	CHECK_EQ(rd_int("HLEN lockf%" PRIu64, f), 0);
	CHECK_EQ(rd_int("HLEN lockp%" PRIu64, f), 0);
	CHECK_EQ(rd_int("EXISTS locked%" PRIu64, s1), 0);
	/* m2's last unlock drops the key from its locked{sid} */
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_WR, 0, 39, 7), 0);
	CHECK_EQ(rd_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, s2, f), 1);
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_UN, 0, UINT64_MAX, 7), 0);
	CHECK_EQ(rd_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, s2, f), 0);
	CHECK_EQ(rd_int("EXISTS lockp%" PRIu64, f), 0);
	meta_close(m2);
	meta_close(m);
}

/*
 * sliceRef holds refs - 1 per "k{id}_{size}": the slice job deletes what
 * is below 0, drops a "0" (one reference, as no field) and leaves fields
 * that are not a slice's.
 */
static void slice_ref_fields(void)
{
	struct meta *m = fresh_redis();
	size_t n = 9;

	REQUIRE(m);
	freeReplyObject(raw("HSET sliceRef k899_10 -1"));
	freeReplyObject(raw("HSET sliceRef k900_50 2"));
	freeReplyObject(raw("HSET sliceRef k901_50 0"));
	freeReplyObject(raw("HSET sliceRef junk -1"));
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(899, 10));
	CHECK_EQ(rd_int("HEXISTS sliceRef k899_10"), 0);
	CHECK_EQ(rd_int("HGET sliceRef k900_50"), 2);
	CHECK(!rec_has(900, 50));
	CHECK_EQ(rd_int("HEXISTS sliceRef k901_50"), 0);
	CHECK(!rec_has(901, 50));
	CHECK_EQ(rd_int("HEXISTS sliceRef junk"), 1);
	CHECK_EQ(rec.n, 1);
	meta_close(m);
}

/* JuiceFS 1.2 ACLs: rules in the acl hash (ids from aclMaxId), ids in an 80-byte attr */
static void acl_layout(void)
{
	static const unsigned char want[] = {	/* u::rw- u:1000:r-- g::r-- m::r-- o::--- */
		0, 6, 0, 4, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0xe8, 0, 4, 0, 0, 0, 0,
	};
	struct meta *m = fresh_redis();
	struct acl_rule r;
	struct meta_attr a;
	redisReply *rep;
	uint64_t f;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	rule_1000(&r);
	REQUIRE(r.nusers == 1);
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	acl_rule_free(&r);
	rep = raw("HGET acl 1");
	CHECK(rd_is(rep, want, sizeof(want)));
	freeReplyObject(rep);
	CHECK_EQ(rd_int("GET aclMaxId"), 1);
	rep = raw("GET i%" PRIu64, f);
	CHECK(rep && rep->type == REDIS_REPLY_STRING && rep->len == 80);
	freeReplyObject(rep);
	/* without ACLs the attr is the 72-byte one again */
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, NULL, false, &a) == 0);
	rep = raw("GET i%" PRIu64, f);
	CHECK(rep && rep->type == REDIS_REPLY_STRING && rep->len == 72);
	freeReplyObject(rep);
	CHECK_EQ(rd_int("HLEN acl"), 1);	/* rules are never deleted */
	meta_close(m);
}

int main(void)
{
	if (redis_setup())
		return 1;
	RUN(open_bad_urls);
	RUN(open_unreachable);
	RUN(open_db_and_unix_socket);
	RUN(open_auth);
	RUN(reconnects_after_kill);
	RUN(oom_is_enospc);
	RUN(init_keys);
	RUN(mknod_file_layout);
	RUN(op_costs);
	RUN(id_counters);
	RUN(session_keys);
	RUN(lock_keys);
	RUN(slice_ref_fields);
	RUN(acl_layout);
	stop_redis();
	return check_done();
}
