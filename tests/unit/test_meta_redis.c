/*
 * test_meta_redis.c - what only the Redis engine has: URLs (db number,
 * unix socket, passwords), the keys as JuiceFS's redis.go lays them out
 * byte for byte (attrs, entries, counters, sessionInfos, locked{sid},
 * sliceRef fields, the acl hash), and the driver's behaviour on a killed
 * connection, a full server, a restart or busy server (waited out with
 * backoff) and an EXEC whose reply is lost (a proxy in the test drops the
 * connection right after forwarding it: the commit marker must tell).  What every engine does is in the
 * conformance suite, test_meta_engines.c.  It starts its own redis-server
 * and checks keys over a separate hiredis connection (redisraw.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* ---- outages: the server restarted or busy, an EXEC in doubt ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *restart_later(void *arg)
{
	usleep(1500 * 1000);
	if (spawn_redis())
		printf("  could not restart redis-server\n");
	return arg;
}

/* a restart 1.5 s long is waited out: the caller sees no error */
static void outage_waited_out(void)
{
	struct meta *m = fresh_redis();
	struct meta_attr a;
	pthread_t t;
	uint64_t f, g;
	double t0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	kill_redis();
	REQUIRE(pthread_create(&t, NULL, restart_later, NULL) == 0);
	t0 = now_s();
	CHECK_EQ(mkfile(m, 1, "g", &g), 0);
	CHECK(now_s() - t0 >= 1.0);
	pthread_join(t, NULL);
	REQUIRE(R);
	CHECK_EQ(meta_getattr(m, f, &a), 0);
	CHECK_EQ(rd_int("GET totalInodes"), 2);
	meta_close(m);
}

/* past the retry time the error comes, saying how long it was tried */
static void outage_gives_up(void)
{
	struct meta *m = fresh_redis();
	struct meta_attr a;
	uint64_t f;
	double t0, dt;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	m->retry_secs = 1;
	kill_redis();
	t0 = now_s();
	CHECK_EQ(meta_getattr(m, f, &a), -ECONNREFUSED);
	dt = now_s() - t0;
	CHECK(dt >= 0.99 && dt < 3.0);	/* the clock counts whole ms */
	CHECK(strstr(jfs_errmsg(), "Connection refused") != NULL);
	CHECK(strstr(jfs_errmsg(), "still failing after 1 s of retries") != NULL);
	REQUIRE(spawn_redis() == 0);
	CHECK_EQ(meta_getattr(m, f, &a), 0);
	meta_close(m);
}

static void *busy_script(void *arg)
{
	struct timeval tv = { 30, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

	if (c && !c->err)
		freeReplyObject(redisCommand(c, "EVAL %s 0", "while true do end"));
	if (c)
		redisFree(c);
	return arg;
}

/* "BUSY" (a script running long) is waited out like an outage */
static void busy_waited_out(void)
{
	struct meta *m = fresh_redis();
	struct timeval tv = { 5, 0 };
	struct meta_attr a;
	redisContext *k;
	pthread_t t;
	uint64_t f;
	double t0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	freeReplyObject(raw("CONFIG SET busy-reply-threshold 50"));
	REQUIRE(pthread_create(&t, NULL, busy_script, NULL) == 0);
	usleep(300 * 1000);
	t0 = now_s();
	k = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
	REQUIRE(k && !k->err);
	/* SCRIPT KILL from here once the engine has met BUSY for a while */
	if (fork() == 0) {
		usleep(800 * 1000);
		freeReplyObject(redisCommand(k, "SCRIPT KILL"));
		_exit(0);
	}
	CHECK_EQ(meta_getattr(m, f, &a), 0);
	CHECK(now_s() - t0 >= 0.7);
	wait(NULL);
	pthread_join(t, NULL);
	redisFree(k);
	freeReplyObject(raw("CONFIG SET busy-reply-threshold 5000"));
	meta_close(m);
}

/*
 * A TCP proxy in front of the server that, armed, drops the client's
 * connection at its next EXEC: after forwarding it (the transaction runs,
 * its reply is lost) or before (nothing runs); "then down" also refuses
 * new connections until disarmed.
 */
enum { PX_PASS, PX_AFTER_EXEC, PX_BEFORE_EXEC, PX_AFTER_THEN_DOWN, PX_DOWN };
static struct {
	int lfd, port;
	atomic_int mode, fired;
	pthread_t t;
	char url[64];
} px;

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *px_pipe(void *arg)
{
	int cfd = (int)(intptr_t)arg, sfd, mode;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd p[2];
	char buf[65536];
	ssize_t n;

	sa.sin_port = htons(redis_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	if (sfd < 0 || connect(sfd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(cfd);
		if (sfd >= 0)
			close(sfd);
		return NULL;
	}
	p[0] = (struct pollfd){ .fd = cfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(p, 2, -1) < 0)
			break;
		if (p[0].revents) {
			n = read(cfd, buf, sizeof(buf));
			if (n <= 0)
				break;
			mode = atomic_load(&px.mode);
			if (mode != PX_PASS && mode != PX_DOWN &&
			    memmem(buf, (size_t)n, "\r\nEXEC\r\n", 8)) {
				atomic_store(&px.mode, mode == PX_AFTER_THEN_DOWN ? PX_DOWN : PX_PASS);
				atomic_fetch_add(&px.fired, 1);
				if (mode != PX_BEFORE_EXEC) {
					write_all(sfd, buf, (size_t)n);
					usleep(200 * 1000);	/* it runs; the reply stays here */
				}
				break;
			}
			if (write_all(sfd, buf, (size_t)n))
				break;
		}
		if (p[1].revents) {
			n = read(sfd, buf, sizeof(buf));
			if (n <= 0 || write_all(cfd, buf, (size_t)n))
				break;
		}
	}
	close(cfd);
	close(sfd);
	return NULL;
}

static void *px_accept(void *arg)
{
	pthread_t t;
	int fd;

	while ((fd = accept(px.lfd, NULL, NULL)) >= 0) {
		if (atomic_load(&px.mode) == PX_DOWN ||
		    pthread_create(&t, NULL, px_pipe, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	return arg;
}

static int px_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	px.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (px.lfd < 0 || bind(px.lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(px.lfd, 64) || getsockname(px.lfd, (struct sockaddr *)&sa, &len))
		return -1;
	px.port = ntohs(sa.sin_port);
	snprintf(px.url, sizeof(px.url), "redis://127.0.0.1:%d", px.port);
	return pthread_create(&px.t, NULL, px_accept, NULL);
}

static void px_stop(void)
{
	shutdown(px.lfd, SHUT_RDWR);
	pthread_join(px.t, NULL);
	close(px.lfd);
}

/* a fresh volume reached through the proxy, with a file "f" */
static struct meta *px_volume(uint64_t *f)
{
	struct meta *m;

	rd_flush();
	m = rec_hooks(volume(px.url, setting_json, false));
	if (m && mkfile(m, 1, "f", f)) {
		meta_close(m);
		m = NULL;
	}
	return m;
}

/*
 * The EXEC went through, its reply did not: the marker says committed,
 * so the slice is pushed once (a re-run would push it twice) and a
 * create answers success, not EEXIST.  Dropped before the server saw it:
 * run again, once.
 */
static void exec_in_doubt(void)
{
	struct meta_slice s = { .size = 4096, .len = 4096 };
	struct meta_attr a;
	uint64_t f, g;
	struct meta *m = px_volume(&f);

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	atomic_store(&px.fired, 0);
	atomic_store(&px.mode, PX_AFTER_EXEC);
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), 0);
	CHECK_EQ(atomic_load(&px.fired), 1);
	CHECK_EQ(rd_int("LLEN c%" PRIu64 "_0", f), 1);
	CHECK_EQ(rd_int("GET usedSpace"), 4096);

	atomic_store(&px.mode, PX_AFTER_EXEC);
	CHECK_EQ(mkfile(m, 1, "g", &g), 0);
	CHECK_EQ(atomic_load(&px.fired), 2);
	atomic_store(&px.mode, PX_BEFORE_EXEC);
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), 0);
	CHECK_EQ(atomic_load(&px.fired), 3);
	CHECK_EQ(rd_int("LLEN c%" PRIu64 "_0", f), 2);	/* once more, not twice */
	CHECK_EQ(rd_int("HLEN d1"), 2);
	CHECK_EQ(rd_int("GET totalInodes"), 2);
	meta_close(m);
}

/* in doubt and the server away past the retry time: EIO, saying so */
static void exec_in_doubt_unknown(void)
{
	struct meta_attr a;
	uint64_t f, g;
	struct meta *m = px_volume(&f);

	REQUIRE(m);
	m->retry_secs = 1;
	atomic_store(&px.mode, PX_AFTER_THEN_DOWN);
	CHECK_EQ(mkfile(m, 1, "g", &g), -EIO);
	CHECK(strstr(jfs_errmsg(), "may or may not have committed") != NULL);
	atomic_store(&px.mode, PX_PASS);
	CHECK_EQ(meta_lookup(m, 1, "g", 1, &g, &a), 0);	/* it had committed */
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
	/* the setting, i1 and the format's commit marker (expiring) */
	CHECK_EQ(rd_int("DBSIZE"), 3);
	r = raw("KEYS jfs-commit:*");
	CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
		CHECK_EQ(r->element[0]->len, 11 + 32);
		CHECK_EQ(rd_int("GET %s", r->element[0]->str), 1);
		CHECK(rd_int("TTL %s", r->element[0]->str) > META_RETRY_SECS);
		CHECK(rd_int("TTL %s", r->element[0]->str) <= META_RETRY_SECS + 60);
	}
	freeReplyObject(r);
	CHECK_EQ(rd_exists("setting"), 1);
	r = raw("GET i1");
	CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 72);	/* no ACL ids */
	freeReplyObject(r);
	CHECK_EQ(rd_exists("totalInodes"), 0);
	CHECK_EQ(rd_exists("i9223372032828243968"), 0);
	CHECK_EQ(meta_init(m, setting_json, true), 0);
	CHECK_EQ(rd_exists("i9223372032828243968"), 1);
	meta_close(m);
	/* closed cleanly: no marker left, the keys are JuiceFS's alone */
	r = raw("KEYS jfs-commit:*");
	CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0);
	freeReplyObject(r);
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
 * JuiceFS's chain less its UNWATCH, plus the commit marker.
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
	CHECK_EQU(io.cmds, 11);		/* with the commit marker's SET */
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
	RUN(outage_waited_out);
	RUN(outage_gives_up);
	RUN(busy_waited_out);
	if (px_start()) {
		printf("FAIL px_start: no proxy\n");
		return 1;
	}
	RUN(exec_in_doubt);
	RUN(exec_in_doubt_unknown);
	px_stop();
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
