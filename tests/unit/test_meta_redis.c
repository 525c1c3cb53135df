/*
 * test_meta_redis.c - the Redis metadata engine against a real
 * redis-server started on a free loopback port in a temp dir (killed at
 * the end).  Keys are checked byte for byte with a separate hiredis
 * connection, so the tests pin JuiceFS's format, not just round trips.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "meta/engine.h"
#include "check.h"
#include "server.h"

#define MiB (1U << 20)
#define CS META_CHUNK_SIZE

/* ---- the server and a raw connection ---- */

static pid_t redis_pid;
static int redis_port;
static char tmpdir[] = "/tmp/jfs-meta-redis-XXXXXX";
static char sockpath[128];
static char url[128];
static redisContext *R;

static int start_redis(void)
{
	char port[16], logf[200];
	struct timeval tv = { 1, 0 };
	int i;

	if (!mkdtemp(tmpdir))
		return -1;
	redis_port = free_port();
	if (redis_port <= 0)
		return -1;
	snprintf(port, sizeof(port), "%d", redis_port);
	snprintf(sockpath, sizeof(sockpath), "%s/redis.sock", tmpdir);
	snprintf(logf, sizeof(logf), "%s/redis.log", tmpdir);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis_port);
	redis_pid = fork();
	if (redis_pid < 0)
		return -1;
	if (redis_pid == 0) {
		execlp("redis-server", "redis-server", "--port", port,
		       "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		       "--daemonize", "no", "--dir", tmpdir, "--logfile", logf,
		       "--unixsocket", sockpath, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		R = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
		if (R && !R->err) {
			redisReply *r = redisCommand(R, "PING");
			if (r && r->type == REDIS_REPLY_STATUS) {
				freeReplyObject(r);
				return 0;
			}
			freeReplyObject(r);
		}
		if (R)
			redisFree(R);
		R = NULL;
		if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
			redis_pid = 0;
			return -1;
		}
		usleep(100000);
	}
	return -1;
}

static void stop_redis(void)
{
	char cmd[256];

	if (R)
		redisFree(R);
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
		/* a leftover temp dir is not a test failure */
	}
}

/* a raw command; the caller frees the reply */
static redisReply *raw(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(R, fmt, ap);
	va_end(ap);
	return r;
}

static long long raw_int(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v = -999999;

	va_start(ap, fmt);
	r = redisvCommand(R, fmt, ap);
	va_end(ap);
	if (r && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	else if (r && r->type == REDIS_REPLY_NIL)
		v = -1000000;	/* absent */
	freeReplyObject(r);
	return v;
}

#define ABSENT -1000000

static int raw_exists(const char *key)
{
	return (int)raw_int("EXISTS %s", key);
}

static int raw_existsf(const char *fmt, uint64_t ino)
{
	char key[64];

	snprintf(key, sizeof(key), fmt, ino);
	return raw_exists(key);
}

/* ---- hooks that record what the engine asks ---- */

struct rec {
	pthread_mutex_t lock;
	uint64_t open_ino;
	int n;
	uint64_t id[64];
	uint32_t size[64];
};

static struct rec rec;

static bool rec_is_open(void *arg, uint64_t ino)
{
	struct rec *r = arg;

	return ino && ino == r->open_ino;
}

static int rec_delete(void *arg, uint64_t id, uint32_t size)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->lock);
	if (r->n < 64) {
		r->id[r->n] = id;
		r->size[r->n] = size;
	}
	r->n++;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static bool rec_has(uint64_t id, uint32_t size)
{
	int i;

	for (i = 0; i < rec.n && i < 64; i++)
		if (rec.id[i] == id && rec.size[i] == size)
			return true;
	return false;
}

static const char *setting_json = "{\n\"Name\": \"test\",\n\"BlockSize\": 4096,\n\"TrashDays\": 0\n}";

/* an empty database, a formatted volume and a new engine instance */
static struct meta *fresh(void)
{
	struct meta *m = NULL;

	freeReplyObject(raw("FLUSHALL"));
	if (meta_open(url, &m)) {
		printf("  meta_open: %s\n", jfs_errmsg());
		return NULL;
	}
	memset(&rec, 0, sizeof(rec));
	pthread_mutex_init(&rec.lock, NULL);
	m->hooks.arg = &rec;
	m->hooks.is_open = rec_is_open;
	m->hooks.delete_slice = rec_delete;
	if (meta_init(m, setting_json, false)) {
		meta_close(m);
		return NULL;
	}
	return m;
}

static int mkfile(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_FILE, 0644, 0,
			     1000, 1000, 0, NULL, 0, ino, &a);
}

static int mkdir_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_DIR, 0755, 0,
			     0, 0, 0, NULL, 0, ino, &a);
}

static int getattr_(struct meta *m, uint64_t ino, struct meta_attr *a)
{
	return meta_getattr(m, ino, a);
}

static int lookup_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_lookup(m, parent, name, strlen(name), ino, &a);
}

/* commits a new slice of 'len' bytes at chunk offset 'pos' */
static int write_(struct meta *m, uint64_t ino, uint32_t indx, uint32_t pos,
		  uint32_t len, uint64_t *id, struct meta_attr *a)
{
	struct meta_slice s = { .pos = pos, .size = len, .len = len };
	int ret;

	ret = meta_new_slice_id(m, &s.id);
	if (ret)
		return ret;
	if (id)
		*id = s.id;
	return meta_write_slice(m, ino, indx, &s, NULL, a, NULL);
}

static bool same_record(const redisReply *r, uint32_t pos, uint64_t id,
			uint32_t size, uint32_t off, uint32_t len)
{
	struct meta_slice s = { pos, id, size, off, len };
	unsigned char buf[24];

	meta_slice_encode(&s, buf);
	return r && r->type == REDIS_REPLY_STRING && r->len == 24 &&
	       !memcmp(r->str, buf, 24);
}

/* ---- tests ---- */

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
	snprintf(u, sizeof(u), "%s/notadb", url);
	CHECK_EQ(meta_open(u, &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "database") != NULL);
	snprintf(u, sizeof(u), "%s/1?bogus=1", url);
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

	freeReplyObject(raw("FLUSHALL"));
	snprintf(u, sizeof(u), "%s/2", url);
	REQUIRE(meta_open(u, &m) == 0);
	CHECK_EQ(meta_init(m, setting_json, false), 0);
	meta_close(m);
	snprintf(u, sizeof(u), "unix://%s?db=3", sockpath);
	REQUIRE(meta_open(u, &m) == 0);
	CHECK_EQ(meta_init(m, setting_json, false), 0);
	CHECK_EQ(mkfile(m, 1, "f", &ino), 0);
	meta_close(m);
	CHECK_EQ(raw_int("DBSIZE"), 0);
	freeReplyObject(raw("SELECT 2"));
	CHECK_EQ(raw_exists("setting"), 1);
	CHECK_EQ(raw_exists("i2"), 0);
	freeReplyObject(raw("SELECT 3"));
	CHECK_EQ(raw_exists("setting"), 1);
	CHECK_EQ(raw_exists("i2"), 1);
	freeReplyObject(raw("SELECT 0"));
}

static void open_auth(void)
{
	struct meta *m = NULL;
	char *json = NULL;
	char u[200];

	freeReplyObject(raw("FLUSHALL"));
	freeReplyObject(raw("CONFIG SET requirepass s3cret"));
	REQUIRE(meta_open(url, &m) == 0);
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
	if (meta_open(url, &m) == 0) {
		CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
		meta_close(m);
	} else {
		CHECK(!"META_PASSWORD");
	}
	unsetenv("META_PASSWORD");
	freeReplyObject(raw("CONFIG SET requirepass %s", ""));
}

static void init_and_setting(void)
{
	struct meta *m = NULL;
	struct meta_attr a;
	redisReply *r1, *r2;
	char *json = NULL;

	freeReplyObject(raw("FLUSHALL"));
	REQUIRE(meta_open(url, &m) == 0);
	CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
	REQUIRE(meta_init(m, setting_json, false) == 0);
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK_STR(json, setting_json);
	free(json);
	r1 = raw("GET i1");
	REQUIRE(r1 && r1->type == REDIS_REPLY_STRING);
	CHECK_EQ(r1->len, 72);
	REQUIRE(meta_attr_decode((unsigned char *)r1->str, r1->len, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQ(a.mode, 0777);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.length, 4096);
	CHECK_EQU(a.parent, 1);
	CHECK(a.mtime > 1700000000);
	CHECK_EQ(raw_exists("i9223372032828243968"), 0);
	CHECK_EQ(raw_exists("totalInodes"), 0);

	/* re-init: the setting changes, the root stays, the trash appears */
	sleep(1);
	CHECK_EQ(meta_init(m, "{\"Name\": \"other\"}", true), 0);
	r2 = raw("GET i1");
	CHECK(r2 && r2->len == r1->len && !memcmp(r1->str, r2->str, r1->len));
	freeReplyObject(r1);
	freeReplyObject(r2);
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK_STR(json, "{\"Name\": \"other\"}");
	free(json);
	REQUIRE(getattr_(m, META_TRASH_INO, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQ(a.mode, 0555);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 1);
	meta_close(m);
}

static void mknod_file_layout(void)
{
	struct meta *m = fresh();
	struct meta_attr a, root0, root1;
	redisReply *r;
	uint64_t ino = 0;

	REQUIRE(m);
	REQUIRE(getattr_(m, 1, &root0) == 0);
	REQUIRE(meta_mknod(m, 1, "hello", 5, META_TYPE_FILE, 0644, 0, 1000, 1000, 0,
			      NULL, 0, &ino, &a) == 0);
	CHECK_EQU(ino, 2);
	CHECK_EQ(raw_int("GET nextinode"), 1024);
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 0);
	CHECK_EQU(a.parent, 1);

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

	CHECK_EQ(raw_int("GET usedSpace"), 4096);
	CHECK_EQ(raw_int("GET totalInodes"), 1);
	REQUIRE(getattr_(m, 1, &root1) == 0);
	CHECK(root1.mtime > root0.mtime ||
	      (root1.mtime == root0.mtime && root1.mtimensec > root0.mtimensec));
	CHECK_EQ(root1.nlink, 2);
	meta_close(m);
}

static void mknod_every_type(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, s, f, c, k;
	char *target = NULL;
	size_t tlen = 0;
	redisReply *r;
	char key[32];

	REQUIRE(m);
	REQUIRE(meta_mknod(m, 1, "dir", 3, META_TYPE_DIR, 02755, 0, 0, 50, 0, NULL, 0,
			      &d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.length, 4096);
	CHECK_EQ(a.mode, 02755);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	r = raw("HGET d1 dir");
	CHECK(r && r->len == 9 && r->str[0] == 2);
	freeReplyObject(r);

	REQUIRE(meta_mknod(m, d, "link", 4, META_TYPE_SYMLINK, 0777, 0, 7, 7, 0,
			      "../some/target", 14, &s, &a) == 0);
	CHECK_EQU(a.length, 14);
	CHECK_EQ(a.gid, 50);	/* from the setgid parent */
	snprintf(key, sizeof(key), "s%" PRIu64, s);
	r = raw("GET %s", key);
	CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 14 &&
	      !memcmp(r->str, "../some/target", 14));
	freeReplyObject(r);
	REQUIRE(meta_readlink(m, s, &target, &tlen) == 0);
	CHECK_EQ(tlen, 14);
	CHECK_STR(target, "../some/target");
	free(target);

	REQUIRE(meta_mknod(m, d, "fifo", 4, META_TYPE_FIFO, 0600, 0, 0, 0, 0, NULL, 0,
			      &f, &a) == 0);
	REQUIRE(meta_mknod(m, d, "tty", 3, META_TYPE_CHRDEV, 0620, 0, 0, 0,
			      (4 << 8) | 1, NULL, 0, &c, &a) == 0);
	REQUIRE(getattr_(m, c, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_CHRDEV);
	CHECK_EQ(a.rdev, (4 << 8) | 1);
	REQUIRE(meta_mknod(m, d, "sock", 4, META_TYPE_SOCKET, 0755, 0, 0, 0, 0, NULL, 0,
			      &k, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_SOCKET);
	CHECK_EQ(raw_int("GET usedSpace"), 5 * 4096);
	CHECK_EQ(raw_int("GET totalInodes"), 5);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);

	CHECK_EQ(meta_readlink(m, f, &target, &tlen), -EINVAL);
	CHECK_EQ(meta_readlink(m, 12345, &target, &tlen), -ENOENT);
	CHECK_EQ(meta_mknod(m, d, "bad", 3, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, "", 0,
			       &k, &a), -EINVAL);
	CHECK_EQ(meta_mknod(m, d, "bad", 3, 9, 0777, 0, 0, 0, 0, NULL, 0, &k, &a),
		 -EINVAL);
	meta_close(m);
}

static void mknod_errors(void)
{
	struct meta *m = fresh();
	char name[300];
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
	name[255] = '\0';
	CHECK_EQ(mkfile(m, 1, name, &ino), 0);
	CHECK_EQ(lookup_(m, 1, name, &ino), 0);
	CHECK_EQ(mkfile(m, 1, "a/b", &ino), -EINVAL);
	CHECK_EQ(meta_mknod(m, 1, "a\0b", 3, META_TYPE_FILE, 0644, 0, 0, 0, 0, NULL, 0,
			       &ino, NULL), -EINVAL);
	CHECK_EQ(mkfile(m, 1, "", &ino), -EINVAL);
	CHECK_EQ(raw_int("GET totalInodes"), 2);
	CHECK_EQ(raw_int("GET usedSpace"), 2 * 4096);
	CHECK_EQ(raw_int("HLEN d1"), 2);
	/* binary names are kept as raw bytes */
	CHECK_EQ(meta_mknod(m, 1, "\xff\x01 x", 4, META_TYPE_FILE, 0644, 0, 0, 0, 0,
			       NULL, 0, &ino, NULL), 0);
	CHECK_EQ(raw_int("HEXISTS d1 %b", "\xff\x01 x", (size_t)4), 1);
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
	CHECK_EQ(meta_lookup(m, 1, "nope", 4, &ino, &a), -ENOENT);
	CHECK_EQ(meta_lookup(m, 1, "", 0, &ino, &a), -EINVAL);
	CHECK_EQ(getattr_(m, 424242, &a), -ENOENT);

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

	in.atime = 100;
	in.atimensec = 1;
	in.mtime = 200;
	in.mtimensec = 2;
	in.ctime = 300;
	in.ctimensec = 3;
	REQUIRE(meta_setattr(m, f, META_SET_ATIME | META_SET_MTIME | META_SET_CTIME,
				&in, &out) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.atime, 100);
	CHECK_EQ(a.atimensec, 1);
	CHECK_EQ(a.mtime, 200);
	CHECK_EQ(a.mtimensec, 2);
	CHECK_EQ(a.ctime, 300);
	CHECK_EQ(a.ctimensec, 3);
	CHECK_EQ(a.mode, 04600);	/* untouched */
	CHECK_EQ(meta_setattr(m, 777777, META_SET_MODE, &in, &out), -ENOENT);
	meta_close(m);
}

static void link_and_unlink_hardlinks(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, d, ino;
	char key[32];

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(meta_link(m, f, d, "l", 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	snprintf(key, sizeof(key), "p%" PRIu64, f);
	CHECK_EQ(raw_int("HGET %s 1", key), 1);
	CHECK_EQ(raw_int("HGET %s %" PRIu64, key, d), 1);
	REQUIRE(lookup_(m, d, "l", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(meta_link(m, d, 1, "dl", 2, &a), -EPERM);
	CHECK_EQ(meta_link(m, f, d, "l", 1, &a), -EEXIST);
	CHECK_EQ(meta_link(m, 99999, d, "x", 1, &a), -ENOENT);
	CHECK_EQ(meta_link(m, f, f, "x", 1, &a), -ENOTDIR);
	REQUIRE(meta_link(m, f, d, "l2", 2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(raw_int("HGET %s %" PRIu64, key, d), 2);
	CHECK_EQ(raw_int("GET totalInodes"), 2);
	CHECK_EQ(raw_int("GET usedSpace"), 2 * 4096);

	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(raw_int("HGET %s 1", key), 0);
	CHECK_EQ(meta_unlink(m, 1, "f", 1), -ENOENT);
	REQUIRE(meta_unlink(m, d, "l", 1) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQ(raw_int("HGET %s %" PRIu64, key, d), 1);
	REQUIRE(meta_unlink(m, d, "l2", 2) == 0);
	CHECK_EQ(getattr_(m, f, &a), -ENOENT);
	CHECK_EQ(raw_exists(key), 0);
	CHECK_EQ(raw_int("GET totalInodes"), 1);
	CHECK_EQ(raw_int("GET usedSpace"), 4096);
	CHECK_EQ(raw_int("ZCARD delfiles"), 0);
	CHECK_EQ(meta_unlink(m, 1, "d", 1), -EPERM);
	meta_close(m);
}

static void unlink_frees_slices(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id1, id2, id3;
	char key[64];

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 1000, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 500, 1000, &id2, &a) == 0);
	REQUIRE(write_(m, f, 1, 0, 5000, &id3, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 5000);
	CHECK_EQ(raw_int("GET usedSpace"), (long long)meta_align4k(CS + 5000));
	/* id2 is shared with another file (e.g. a clone): one extra ref */
	snprintf(key, sizeof(key), "k%" PRIu64 "_1000", id2);
	freeReplyObject(raw("HSET sliceRef %s 1", key));
	/* a stale record beyond the file's chunks is not touched */
	rec.n = 0;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id1, 1000));
	CHECK(rec_has(id3, 5000));
	CHECK(!rec_has(id2, 1000));
	CHECK_EQ(raw_int("HGET sliceRef %s", key), 0);
	snprintf(key, sizeof(key), "k%" PRIu64 "_1000", id1);
	CHECK_EQ(raw_int("HEXISTS sliceRef %s", key), 0);
	snprintf(key, sizeof(key), "c%" PRIu64 "_0", f);
	CHECK_EQ(raw_exists(key), 0);
	snprintf(key, sizeof(key), "c%" PRIu64 "_1", f);
	CHECK_EQ(raw_exists(key), 0);
	CHECK_EQ(raw_int("ZCARD delfiles"), 0);
	CHECK_EQ(raw_int("GET usedSpace"), 0);
	CHECK_EQ(raw_int("GET totalInodes"), 0);
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
	freeReplyObject(raw("HSET dirQuota 1 %b", "0123456789abcdef", (size_t)16));
	freeReplyObject(raw("HSET dirQuota 7 %b", "0123456789abcdef", (size_t)16));
	CHECK_EQ(meta_count_dir_quotas(m, &n), 0);
	CHECK_EQ(n, 2);
	meta_close(m);
}

/* the slice job (doCleanupSlices) deletes what a failed delete left */
static void cleanup_slices_retries(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, id;
	size_t n = 9;
	char key[64];

	REQUIRE(m);
	m->hooks.delete_slice = NULL;
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10, &id, &a) == 0);
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	/* a negative ref is what the slice job and `juicefs gc` look for */
	snprintf(key, sizeof(key), "k%" PRIu64 "_10", id);
	REQUIRE(raw_int("HGET sliceRef %s", key) == -1);
	freeReplyObject(raw("HSET sliceRef k900_50 2"));
	freeReplyObject(raw("HSET sliceRef k901_50 0"));
	freeReplyObject(raw("HSET sliceRef junk -1"));
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 0);		/* no deleter: nothing can go */
	CHECK_EQ(raw_int("HGET sliceRef %s", key), -1);
	m->hooks.delete_slice = rec_delete;
	CHECK_EQ(meta_cleanup_slices(m, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(id, 10));
	CHECK_EQ(raw_int("HEXISTS sliceRef %s", key), 0);
	CHECK_EQ(raw_int("HGET sliceRef k900_50"), 2);	/* referenced: left alone */
	CHECK(!rec_has(900, 50));
	CHECK_EQ(raw_int("HEXISTS sliceRef k901_50"), 0);	/* "0" is as no field */
	CHECK(!rec_has(901, 50));
	CHECK_EQ(raw_int("HEXISTS sliceRef junk"), 1);	/* not a slice's field */
	meta_close(m);
}

static void sustained_inode(void)
{
	struct meta *m = fresh();
	struct meta_session_info *s = NULL;
	struct meta_attr a;
	uint64_t f, id, sid;
	size_t n = 0;
	char key[64];

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id, &a) == 0);
	rec.open_ino = f;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(lookup_(m, 1, "f", &f), -ENOENT);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 0);
	snprintf(key, sizeof(key), "session%" PRIu64, sid);
	CHECK_EQ(raw_int("SISMEMBER %s %" PRIu64, key, f), 1);
	CHECK_EQ(raw_int("GET usedSpace"), 8192);
	CHECK_EQ(raw_int("GET totalInodes"), 1);
	CHECK_EQ(rec.n, 0);
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	REQUIRE(n == 1);
	CHECK_EQ(s[0].nsustained, 1);
	if (s[0].nsustained == 1)
		CHECK_EQU(s[0].sustained[0], f);
	meta_free_sessions(s, n);

	rec.open_ino = 0;
	REQUIRE(meta_release_sustained(m, f) == 0);
	CHECK_EQ(getattr_(m, f, &a), -ENOENT);
	CHECK_EQ(raw_exists(key), 0);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id, 8192));
	CHECK_EQ(raw_int("GET usedSpace"), 0);
	CHECK_EQ(raw_int("GET totalInodes"), 0);
	CHECK_EQ(raw_int("ZCARD delfiles"), 0);
	meta_close(m);
}

static void rmdir_cases(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, f;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, d, "e", &e) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_rmdir(m, 1, "d", 1), -ENOTEMPTY);
	CHECK_EQ(meta_rmdir(m, 1, "f", 1), -ENOTDIR);
	CHECK_EQ(meta_rmdir(m, 1, "x", 1), -ENOENT);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(meta_rmdir(m, d, "e", 1) == 0);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(getattr_(m, e, &a), -ENOENT);
	REQUIRE(meta_rmdir(m, 1, "d", 1) == 0);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(raw_int("GET totalInodes"), 1);
	CHECK_EQ(raw_int("GET usedSpace"), 4096);
	CHECK_EQ(raw_int("HLEN d1"), 1);
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
	REQUIRE(getattr_(m, f, &before) == 0);

	REQUIRE(meta_rename(m, d1, "f", 1, d1, "g", 1, 0) == 0);
	CHECK_EQ(lookup_(m, d1, "f", &ino), -ENOENT);
	REQUIRE(lookup_(m, d1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK(a.ctime > before.ctime ||
	      (a.ctime == before.ctime && a.ctimensec > before.ctimensec));

	REQUIRE(meta_rename(m, d1, "g", 1, d2, "h", 1, 0) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(meta_rename(m, d1, "sub", 3, d2, "sub2", 4, 0) == 0);
	REQUIRE(getattr_(m, sub, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(getattr_(m, d1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(getattr_(m, d2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(raw_int("HLEN d%" PRIu64, d1), 0);
	CHECK_EQ(raw_int("HLEN d%" PRIu64, d2), 2);
	/* onto itself: nothing happens */
	CHECK_EQ(meta_rename(m, d2, "h", 1, d2, "h", 1, 0), 0);
	CHECK_EQ(lookup_(m, d2, "h", &ino), 0);
	/* into itself */
	CHECK_EQ(meta_rename(m, d2, "sub2", 4, sub, "x", 1, 0), -EINVAL);
	CHECK_EQ(meta_rename(m, d2, "nope", 4, d1, "x", 1, 0), -ENOENT);
	CHECK_EQ(meta_rename(m, d2, "h", 1, 424242, "x", 1, 0), -ENOENT);
	CHECK_EQ(meta_rename(m, d2, "h", 1, f, "x", 1, 0), -ENOTDIR);
	CHECK_EQ(raw_int("GET totalInodes"), 4);
	meta_close(m);
}

static void rename_replaces(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, full, f, g, id, ino;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, 1, "e", &e) == 0);
	REQUIRE(mkdir_(m, 1, "full", &full) == 0);
	REQUIRE(mkfile(m, full, "x", &ino) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, g, 0, 0, 100, &id, &a) == 0);
	CHECK_EQ(raw_int("GET totalInodes"), 6);

	CHECK_EQ(meta_rename(m, 1, "f", 1, 1, "g", 1, META_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(meta_rename(m, 1, "d", 1, 1, "f", 1, 0), -ENOTDIR);
	CHECK_EQ(meta_rename(m, 1, "f", 1, 1, "d", 1, 0), -EISDIR);
	CHECK_EQ(meta_rename(m, 1, "d", 1, 1, "full", 4, 0), -ENOTEMPTY);
	CHECK_EQ(meta_rename(m, 1, "f", 1, 1, "g", 1, ~0U), -EINVAL);

	/* a file over a file: the target's last link and data go */
	rec.n = 0;
	REQUIRE(meta_rename(m, 1, "f", 1, 1, "g", 1, 0) == 0);
	REQUIRE(lookup_(m, 1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(getattr_(m, g, &a), -ENOENT);
	CHECK_EQ(rec.n, 1);
	CHECK(rec_has(id, 100));
	CHECK_EQ(raw_int("GET totalInodes"), 5);

	/* a dir over an empty dir */
	REQUIRE(meta_rename(m, 1, "d", 1, 1, "e", 1, 0) == 0);
	REQUIRE(lookup_(m, 1, "e", &ino) == 0);
	CHECK_EQU(ino, d);
	CHECK_EQ(getattr_(m, e, &a), -ENOENT);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);	/* e(=d) and full */
	CHECK_EQ(raw_int("GET totalInodes"), 4);
	CHECK_EQ(raw_int("GET usedSpace"), 4 * 4096);

	/* a dir from elsewhere over an empty dir: parents' nlink */
	REQUIRE(mkdir_(m, full, "y", &ino) == 0);
	REQUIRE(meta_rename(m, full, "y", 1, 1, "e", 1, 0) == 0);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);
	REQUIRE(getattr_(m, full, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(getattr_(m, ino, &a) == 0);
	CHECK_EQU(a.parent, 1);

	/* two names of one inode: a no-op that keeps both */
	REQUIRE(meta_link(m, f, 1, "g2", 2, &a) == 0);
	REQUIRE(meta_rename(m, 1, "g", 1, 1, "g2", 2, 0) == 0);
	CHECK_EQ(lookup_(m, 1, "g", &ino), 0);
	CHECK_EQ(lookup_(m, 1, "g2", &ino), 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	meta_close(m);
}

static void rename_exchange(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t p1, p2, f, d, ino;
	uint8_t flags = META_RENAME_EXCHANGE;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "p1", &p1) == 0);
	REQUIRE(mkdir_(m, 1, "p2", &p2) == 0);
	REQUIRE(mkfile(m, p1, "f", &f) == 0);
	REQUIRE(mkdir_(m, p2, "d", &d) == 0);
	CHECK_EQ(meta_rename(m, p1, "f", 1, p2, "nope", 4, flags), -ENOENT);
	CHECK_EQ(meta_rename(m, p1, "f", 1, p2, "d", 1,
				flags | META_RENAME_NOREPLACE), -EINVAL);
	REQUIRE(meta_rename(m, p1, "f", 1, p2, "d", 1, flags) == 0);
	REQUIRE(lookup_(m, p1, "f", &ino) == 0);
	CHECK_EQU(ino, d);
	REQUIRE(lookup_(m, p2, "d", &ino) == 0);
	CHECK_EQU(ino, f);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQU(a.parent, p1);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, p2);
	REQUIRE(getattr_(m, p1, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(getattr_(m, p2, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(raw_int("GET totalInodes"), 4);
	meta_close(m);
}

static void rename_hardlinked_file(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, f;
	char key[32];

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_link(m, f, 1, "f2", 2, &a) == 0);
	snprintf(key, sizeof(key), "p%" PRIu64, f);
	CHECK_EQ(raw_int("HGET %s 1", key), 2);
	REQUIRE(meta_rename(m, 1, "f2", 2, d, "f3", 2, 0) == 0);
	CHECK_EQ(raw_int("HGET %s 1", key), 1);
	CHECK_EQ(raw_int("HGET %s %" PRIu64, key, d), 1);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(a.nlink, 2);
	meta_close(m);
}

static void readdir_large(void)
{
	struct meta *m = fresh();
	struct meta_dirent *e = NULL;
	size_t n = 0, i, dirs = 0;
	uint64_t d, ino, f;
	char name[32];
	bool ok = true;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "big", &d) == 0);
	for (i = 0; i < 1500 && ok; i++) {
		snprintf(name, sizeof(name), "file-%04zu", i);
		ok = mkfile(m, d, name, &ino) == 0;
	}
	REQUIRE(ok);
	REQUIRE(mkdir_(m, d, "sub", &ino) == 0);
	REQUIRE(meta_readdir(m, d, false, &e, &n) == 0);
	CHECK_EQ(n, 1501);
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_DIR) {
			dirs++;
			CHECK_STR(e[i].name, "sub");
			CHECK_EQ(e[i].namelen, 3);
			CHECK_EQU(e[i].ino, ino);
		}
	}
	CHECK_EQ(dirs, 1);
	meta_free_dirents(e, n);

	REQUIRE(meta_readdir(m, d, true, &e, &n) == 0);
	CHECK_EQ(n, 1501);
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_FILE &&
		    (e[i].attr.type != META_TYPE_FILE || e[i].attr.mode != 0644 ||
		     e[i].attr.uid != 1000 || e[i].attr.parent != d)) {
			CHECK(!"plus attrs");
			break;
		}
	}
	meta_free_dirents(e, n);
	REQUIRE(meta_readdir(m, 1, true, &e, &n) == 0);
	CHECK_EQ(n, 1);
	meta_free_dirents(e, n);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_readdir(m, f, false, &e, &n), -ENOTDIR);
	CHECK_EQ(meta_readdir(m, 777777, false, &e, &n), -ENOENT);
	meta_close(m);
}

static void write_and_read_chunks(void)
{
	struct meta *m = fresh();
	struct timespec mt = { 1234567890, 42 };
	struct meta_slice s = { 0 }, *sl = NULL;
	struct meta_attr a;
	uint64_t f, d, id, id2;
	size_t n = 0;
	redisReply *r;
	char key[32];

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 1);
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
	CHECK_EQ(raw_int("GET usedSpace"), 12288);
	snprintf(key, sizeof(key), "c%" PRIu64 "_0", f);
	r = raw("LRANGE %s 0 -1", key);
	REQUIRE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
	CHECK(same_record(r->element[0], 0, 1, 10000, 0, 10000));
	freeReplyObject(r);

	/* an overwrite inside the file: length and usedSpace stay */
	REQUIRE(write_(m, f, 0, 100, 50, &id2, &a) == 0);
	CHECK_EQU(a.length, 10000);
	CHECK_EQ(raw_int("GET usedSpace"), 12288);
	/* a write in chunk 2 */
	REQUIRE(write_(m, f, 2, 1 * MiB, 6, &id2, &a) == 0);
	CHECK_EQU(a.length, 2ULL * CS + MiB + 6);
	CHECK_EQ(raw_int("GET usedSpace"), (long long)meta_align4k(2ULL * CS + MiB + 6));

	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQU(sl[0].id, 1);
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
		CHECK_EQU(sl[0].id, id2);
	}
	free(sl);

	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	CHECK_EQ(meta_write_slice(m, d, 0, &s, NULL, &a, NULL), -EPERM);
	CHECK_EQ(meta_write_slice(m, 99999, 0, &s, NULL, &a, NULL), -ENOENT);
	s.pos = CS - 10;
	CHECK_EQ(meta_write_slice(m, f, 0, &s, NULL, &a, NULL), -EINVAL);

	/* a record that is not 24 bytes makes the chunk corrupt */
	freeReplyObject(raw("RPUSH %s short", key));
	CHECK_EQ(meta_read_chunk(m, f, 0, &sl, &n), -EIO);
	CHECK(strstr(jfs_errmsg(), key) != NULL);
	meta_close(m);
}

static void truncate_records(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, id, len = 100ULL * MiB + 5;
	char k0[32], k1[32], k2[32], k3[32];
	redisReply *r;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	snprintf(k0, sizeof(k0), "c%" PRIu64 "_0", f);
	snprintf(k1, sizeof(k1), "c%" PRIu64 "_1", f);
	REQUIRE(meta_truncate(m, f, len, &a) == 0);
	CHECK_EQU(a.length, len);
	CHECK_EQ(raw_int("GET usedSpace"), (long long)meta_align4k(len));
	r = raw("LRANGE %s 0 -1", k0);
	CHECK(r && r->elements == 1 && same_record(r->element[0], 0, 0, 0, 0, CS));
	freeReplyObject(r);
	r = raw("LRANGE %s 0 -1", k1);
	CHECK(r && r->elements == 1 &&
	      same_record(r->element[0], 0, 0, 0, 0, (uint32_t)(len - CS)));
	freeReplyObject(r);

	/* shrink to 10 bytes: [10, len) is masked */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQU(a.length, 10);
	CHECK_EQ(raw_int("GET usedSpace"), 4096);
	r = raw("LRANGE %s 0 -1", k0);
	CHECK(r && r->elements == 2 && same_record(r->element[1], 10, 0, 0, 0, CS - 10));
	freeReplyObject(r);
	r = raw("LRANGE %s 0 -1", k1);
	CHECK(r && r->elements == 2 &&
	      same_record(r->element[1], 0, 0, 0, 0, (uint32_t)(len - CS)));
	freeReplyObject(r);
	/* the same length: nothing is written */
	REQUIRE(meta_truncate(m, f, 10, &a) == 0);
	CHECK_EQ(raw_int("LLEN %s", k0), 2);

	/* whole chunks in between only get a record where a list exists */
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	snprintf(k1, sizeof(k1), "c%" PRIu64 "_1", g);
	snprintf(k2, sizeof(k2), "c%" PRIu64 "_2", g);
	snprintf(k3, sizeof(k3), "c%" PRIu64 "_3", g);
	REQUIRE(write_(m, g, 2, 0, 10, &id, &a) == 0);
	REQUIRE(meta_truncate(m, g, 10, &a) == 0);
	CHECK_EQ(raw_exists(k1), 0);
	r = raw("LRANGE %s 0 -1", k2);
	CHECK(r && r->elements == 2 && same_record(r->element[1], 0, 0, 0, 0, 10));
	freeReplyObject(r);
	REQUIRE(meta_truncate(m, g, 3ULL * CS + 8 * MiB, &a) == 0);
	CHECK_EQ(raw_exists(k1), 0);
	r = raw("LRANGE %s 0 -1", k2);
	CHECK(r && r->elements == 3 && same_record(r->element[2], 0, 0, 0, 0, CS));
	freeReplyObject(r);
	r = raw("LRANGE %s 0 -1", k3);
	CHECK(r && r->elements == 1 && same_record(r->element[0], 0, 0, 0, 0, 8 * MiB));
	freeReplyObject(r);
	/* growing from the middle of chunk 2: its record starts at the old end */
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 10, &a) == 0);
	REQUIRE(meta_truncate(m, g, 2ULL * CS + 30, &a) == 0);
	r = raw("LRANGE %s -1 -1", k2);
	CHECK(r && r->elements == 1 && same_record(r->element[0], 10, 0, 0, 0, 20));
	freeReplyObject(r);

	REQUIRE(mkdir_(m, 1, "d", &g) == 0);
	CHECK_EQ(meta_truncate(m, g, 0, &a), -EPERM);
	CHECK_EQ(meta_truncate(m, 99999, 0, &a), -ENOENT);
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
	freeReplyObject(raw("SET usedSpace -5"));
	REQUIRE(meta_statfs(m, &space, &inodes) == 0);
	CHECK_EQU(space, 0);
	meta_close(m);
}

static void id_batches(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	uint64_t id, ino;

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 1);
	REQUIRE(meta_new_slice_id(m, &id) == 0);
	CHECK_EQU(id, 2);
	CHECK_EQ(raw_int("GET nextchunk"), 4096);
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(meta_new_slice_id(m2, &id) == 0);
	CHECK_EQU(id, 4097);
	CHECK_EQ(raw_int("GET nextchunk"), 8192);
	REQUIRE(mkfile(m, 1, "a", &ino) == 0);
	CHECK_EQU(ino, 2);
	REQUIRE(mkfile(m2, 1, "b", &ino) == 0);
	CHECK_EQU(ino, 1025);
	REQUIRE(mkfile(m, 1, "c", &ino) == 0);
	CHECK_EQU(ino, 3);
	CHECK_EQ(raw_int("GET nextinode"), 2048);
	meta_close(m2);
	meta_close(m);

	/* a volume used by others: the batch follows the stored counter */
	m = fresh();
	REQUIRE(m);
	freeReplyObject(raw("SET nextinode 5000"));
	REQUIRE(mkfile(m, 1, "a", &ino) == 0);
	CHECK_EQU(ino, 5001);
	CHECK_EQ(raw_int("GET nextinode"), 6024);
	meta_close(m);
}

static void sessions(void)
{
	struct meta *m = fresh();
	struct meta_session_info *s = NULL;
	struct meta_attr a;
	uint64_t sid, sid2, f, id;
	size_t n = 0;
	time_t now = time(NULL);
	long long score;
	redisReply *r;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{\"Version\":\"1\"}", &sid) == 0);
	CHECK_EQU(sid, 1);
	CHECK_EQU(m->sid, 1);
	score = raw_int("ZSCORE allSessions 1");
	CHECK(score >= now + 59 && score <= now + 62);
	r = raw("HGET sessionInfos 1");
	CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "{\"Version\":\"1\"}"));
	freeReplyObject(r);
	/* a heartbeat keeps the record (MountTime must not move)... */
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"2\"}") == 0);
	r = raw("HGET sessionInfos 1");
	CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "{\"Version\":\"1\"}"));
	freeReplyObject(r);
	/* ...and restores it if someone deleted it */
	freeReplyObject(raw("HDEL sessionInfos 1"));
	REQUIRE(meta_refresh_session(m, sid, "{\"Version\":\"2\"}") == 0);
	r = raw("HGET sessionInfos 1");
	CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "{\"Version\":\"2\"}"));
	freeReplyObject(r);

	/* locks: only this session's fields go at close */
	freeReplyObject(raw("HSET lockf5 1_0000000000000001 W"));
	freeReplyObject(raw("HSET lockf5 2_00000000000000AA R"));
	freeReplyObject(raw("HSET lockp5 1_0000000000000002 x"));
	freeReplyObject(raw("SADD locked1 lockf5 lockp5"));

	/* a dead client (expired) with a sustained inode */
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 100, &id, &a) == 0);
	m->sid = 7;
	rec.open_ino = f;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	rec.open_ino = 0;
	m->sid = sid;
	CHECK_EQ(raw_int("SISMEMBER session7 %" PRIu64, f), 1);
	freeReplyObject(raw("ZADD allSessions %lld 7", (long long)now - 10));
	freeReplyObject(raw("HSET sessionInfos 7 {}"));

	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQU(s[0].sid, 7);
	CHECK_EQ(s[0].expire, now - 10);
	CHECK_STR(s[0].info, "{}");
	CHECK_EQ(s[0].nsustained, 1);
	CHECK_EQU(s[1].sid, 1);
	CHECK_STR(s[1].info, "{\"Version\":\"2\"}");
	CHECK_EQ(s[1].nsustained, 0);
	meta_free_sessions(s, n);

	rec.n = 0;
	REQUIRE(meta_cleanup_stale_sessions(m) == 0);
	CHECK_EQ(raw_int("ZSCORE allSessions 7"), ABSENT);
	CHECK_EQ(raw_int("HEXISTS sessionInfos 7"), 0);
	CHECK_EQ(raw_exists("session7"), 0);
	CHECK_EQ(getattr_(m, f, &a), -ENOENT);
	CHECK(rec_has(id, 100));
	CHECK_EQ(raw_int("GET totalInodes"), 0);
	CHECK(raw_int("ZSCORE allSessions 1") > now);	/* alive: kept */

	REQUIRE(meta_new_session(m, NULL, &sid2) == 0);
	CHECK_EQU(sid2, 2);
	m->sid = sid;
	REQUIRE(meta_close_session(m, sid) == 0);
	CHECK_EQU(m->sid, 0);
	CHECK_EQ(raw_int("HEXISTS lockf5 1_0000000000000001"), 0);
	CHECK_EQ(raw_int("HEXISTS lockf5 2_00000000000000AA"), 1);
	CHECK_EQ(raw_exists("lockp5"), 0);
	CHECK_EQ(raw_exists("locked1"), 0);
	CHECK_EQ(raw_int("HEXISTS sessionInfos 1"), 0);
	CHECK_EQ(raw_int("ZSCORE allSessions 1"), ABSENT);
	REQUIRE(meta_list_sessions(m, &s, &n) == 0);
	CHECK_EQ(n, 1);
	meta_free_sessions(s, n);
	meta_close(m);
}

struct worker {
	struct meta *m;
	uint64_t dir;
	int id, files, dirs, fails;
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
			REQUIRE(meta_open(url, &ms[i]) == 0);
		w[i] = (struct worker){ i % 2 ? m : ms[i], d, i, FILES, DIRS, 0 };
	}
	for (i = 0; i < NT; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	CHECK_EQ(fails, 0);
	CHECK_EQ(raw_int("HLEN d%" PRIu64, d), NT * (FILES + DIRS));
	CHECK_EQ(raw_int("GET totalInodes"), NT * (FILES + DIRS) + 1);
	CHECK_EQ(raw_int("GET usedSpace"), (NT * (FILES + DIRS) + 1) * 4096LL);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2 + NT * DIRS);
	for (i = 0; i < NT; i++)
		meta_close(ms[i]);
	meta_close(m);
}

static void reconnects_after_kill(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	freeReplyObject(raw("CLIENT KILL TYPE normal SKIPME yes"));
	CHECK_EQ(getattr_(m, f, &a), 0);
	freeReplyObject(raw("CLIENT KILL TYPE normal SKIPME yes"));
	CHECK_EQ(mkfile(m, 1, "g", &f), 0);
	CHECK_EQ(raw_int("GET totalInodes"), 2);
	meta_close(m);
}

static void oom_is_enospc(void)
{
	struct meta *m = fresh();
	uint64_t f;

	REQUIRE(m);
	freeReplyObject(raw("CONFIG SET maxmemory 1"));
	CHECK_EQ(mkfile(m, 1, "f", &f), -ENOSPC);
	CHECK(strstr(jfs_errmsg(), "OOM") != NULL);
	freeReplyObject(raw("CONFIG SET maxmemory 0"));
	CHECK_EQ(mkfile(m, 1, "f", &f), 0);
	meta_close(m);
}

/* a volume with JuiceFS's defaults: trash 1 day, dir stats on */
static struct meta *fresh_trash(void)
{
	struct meta *m = fresh();

	if (!m)
		return NULL;
	if (meta_init(m, setting_json, true)) {
		meta_close(m);
		return NULL;
	}
	m->trash_days = 1;
	m->dir_stats = true;
	return m;
}

static void trash_hour_name(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d-%H", &tm);
}

static void trash_moves_and_restores(void)
{
	struct meta *m = fresh_trash();
	uint64_t dir, f, hour, ino, id;
	char hname[32], ename[64];
	struct meta_attr a;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(mkdir_(m, 1, "d", &dir), 0);
	CHECK_EQ(mkfile(m, dir, "f", &f), 0);
	CHECK_EQ(write_(m, f, 0, 0, 5000, &id, &a), 0);
	CHECK_EQ(meta_unlink(m, dir, "f", 1), 0);
	CHECK_EQ(lookup_(m, dir, "f", &ino), -ENOENT);
	/* the hour dir: inode TrashInode + nextTrash, mode 0555 */
	trash_hour_name(hname, sizeof(hname));
	CHECK_EQ(lookup_(m, META_TRASH_INO, hname, &hour), 0);
	CHECK_EQU(hour, META_TRASH_INO + 1);
	CHECK_EQ(raw_int("GET nextTrash"), 1);
	CHECK_EQ(getattr_(m, hour, &a), 0);
	CHECK_EQ(a.mode, 0555);
	CHECK_EQU(a.parent, META_TRASH_INO);
	/* the file keeps its inode, data and nlink; its parent is the hour dir */
	snprintf(ename, sizeof(ename), "%" PRIu64 "-%" PRIu64 "-f", dir, f);
	CHECK_EQ(lookup_(m, hour, ename, &ino), 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(getattr_(m, f, &a), 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.parent, hour);
	CHECK_EQ(raw_int("LLEN c%" PRIu64 "_0", f), 1);
	CHECK(!rec_has(id, 5000));
	CHECK_EQ(raw_int("ZCARD delfiles"), 0);
	/* a second delete in the same hour reuses the dir */
	CHECK_EQ(mkdir_(m, dir, "sub", &ino), 0);
	CHECK_EQ(meta_rmdir(m, dir, "sub", 3), 0);
	CHECK_EQ(raw_int("GET nextTrash"), 1);
	CHECK_EQ(raw_int("HLEN d%" PRIu64, hour), 2);
	CHECK_EQ(getattr_(m, ino, &a), 0);
	CHECK_EQU(a.parent, hour);
	/* creating in the trash is refused */
	CHECK_EQ(mkfile(m, hour, "x", &ino), -EPERM);
	CHECK_EQ(meta_rename(m, 1, "d", 1, hour, "d", 1, 0), -EPERM);
	/* restore by rename */
	CHECK_EQ(meta_rename(m, hour, ename, strlen(ename), dir, "f", 1, 0), 0);
	CHECK_EQ(getattr_(m, f, &a), 0);
	CHECK_EQU(a.parent, dir);
	CHECK_EQ(a.length, 5000);
	/* an overwritten target goes to the trash too */
	CHECK_EQ(mkfile(m, dir, "g", &ino), 0);
	CHECK_EQ(meta_rename(m, dir, "g", 1, dir, "f", 1, 0), 0);
	CHECK_EQ(lookup_(m, hour, ename, &ino), 0);
	CHECK_EQU(ino, f);
	/* chattr +s: deletes skip the trash */
	CHECK_EQ(mkfile(m, dir, "s", &ino), 0);
	CHECK_EQ(getattr_(m, ino, &a), 0);
	a.flags |= META_FLAG_SKIP_TRASH;
	freeReplyObject(raw("DEL i%" PRIu64, ino));
	{
		unsigned char buf[META_ATTR_MAX_BYTES];
		size_t n = meta_attr_encode(&a, buf);

		freeReplyObject(raw("SET i%" PRIu64 " %b", ino, buf, n));
	}
	CHECK_EQ(meta_unlink(m, dir, "s", 1), 0);
	CHECK(!raw_existsf("i%" PRIu64, ino));
	meta_close(m);
}

static void trash_cleanup_expired(void)
{
	struct meta *m = fresh_trash();
	uint64_t f, hour, id, ino;
	char hname[32];
	struct meta_attr a;
	redisReply *r;
	size_t n;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(mkfile(m, 1, "old", &f), 0);
	CHECK_EQ(write_(m, f, 0, 0, 100, &id, &a), 0);
	CHECK_EQ(meta_unlink(m, 1, "old", 3), 0);
	trash_hour_name(hname, sizeof(hname));
	CHECK_EQ(lookup_(m, META_TRASH_INO, hname, &hour), 0);
	/* age the hour dir: rename its entry to an hour long past */
	r = raw("HGET d%" PRIu64 " %s", (uint64_t)META_TRASH_INO, hname);
	CHECK(r && r->type == REDIS_REPLY_STRING);
	if (r && r->type == REDIS_REPLY_STRING)
		freeReplyObject(raw("HSET d%" PRIu64 " 2020-01-01-00 %b",
				    (uint64_t)META_TRASH_INO, r->str, r->len));
	freeReplyObject(r);
	freeReplyObject(raw("HDEL d%" PRIu64 " %s", (uint64_t)META_TRASH_INO, hname));
	/* a fresh deletion lands in this hour's dir, which is not expired */
	CHECK_EQ(mkfile(m, 1, "new", &ino), 0);
	m->trash_name[0] = '\0';
	CHECK_EQ(meta_unlink(m, 1, "new", 3), 0);
	CHECK_EQ(meta_cleanup_trash(m, time(NULL) - 26 * 3600, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(!raw_existsf("i%" PRIu64, f));
	CHECK(!raw_existsf("c%" PRIu64 "_0", f));
	CHECK(!raw_existsf("i%" PRIu64, hour));
	CHECK(rec_has(id, 100));
	CHECK_EQ(raw_int("ZCARD delfiles"), 0);
	CHECK_EQ(raw_int("HLEN d%" PRIu64, (uint64_t)META_TRASH_INO), 1);
	CHECK(raw_existsf("i%" PRIu64, ino));
	meta_close(m);
}

static long long stat_of(const char *hash, uint64_t ino)
{
	return raw_int("HGET %s %" PRIu64, hash, ino);
}

static void dir_stats_kept(void)
{
	struct meta *m = fresh_trash();
	uint64_t d1, d2, f, s, id, ino;
	struct meta_attr a;

	CHECK(m != NULL);
	if (!m)
		return;
	m->trash_days = 0;
	CHECK_EQ(mkdir_(m, 1, "d1", &d1), 0);
	CHECK_EQ(mkdir_(m, 1, "d2", &d2), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	/* root had no stats: recounted (d1, d2) rather than incremented */
	CHECK_EQ(stat_of("dirUsedInodes", 1), 2);
	CHECK_EQ(stat_of("dirUsedSpace", 1), 8192);
	CHECK_EQ(mkfile(m, d1, "f", &f), 0);
	CHECK_EQ(meta_mknod(m, d1, "s", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0,
			       "target", 6, &s, &a), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirUsedInodes", d1), 2);
	CHECK_EQ(stat_of("dirUsedSpace", d1), 8192);
	CHECK_EQ(stat_of("dirDataLength", d1), 0);
	/* writes and truncates move the length and space of the parent */
	CHECK_EQ(write_(m, f, 0, 0, 10000, &id, &a), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirDataLength", d1), 10000);
	CHECK_EQ(stat_of("dirUsedSpace", d1), 12288 + 4096);
	CHECK_EQ(meta_truncate(m, f, 100, &a), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirDataLength", d1), 100);
	CHECK_EQ(stat_of("dirUsedSpace", d1), 8192);
	/* rename to another dir moves the entry's share */
	CHECK_EQ(meta_rename(m, d1, "f", 1, d2, "f", 1, 0), 0);
	/* a hard link counts in both; a write then reaches both parents */
	CHECK_EQ(meta_link(m, f, d1, "hl", 2, &a), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirDataLength", d2), 100);
	CHECK_EQ(stat_of("dirUsedInodes", d2), 1);
	CHECK_EQ(stat_of("dirDataLength", d1), 100);
	CHECK_EQ(stat_of("dirUsedInodes", d1), 2);
	CHECK_EQ(write_(m, f, 0, 0, 300, &id, &a), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirDataLength", d1), 300);
	CHECK_EQ(stat_of("dirDataLength", d2), 300);
	CHECK_EQ(meta_unlink(m, d1, "hl", 2), 0);
	CHECK_EQ(meta_unlink(m, d1, "s", 1), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(stat_of("dirUsedInodes", d1), 0);
	CHECK_EQ(stat_of("dirDataLength", d1), 0);
	CHECK_EQ(stat_of("dirUsedSpace", d1), 0);
	/* rmdir forgets the dir's own stats */
	CHECK_EQ(meta_rmdir(m, 1, "d1", 2), 0);
	CHECK_EQ(meta_dirstat_flush(m), 0);
	CHECK_EQ(raw_int("HEXISTS dirUsedSpace %" PRIu64, d1), 0);
	CHECK_EQ(stat_of("dirUsedInodes", 1), 1);
	(void)ino;
	meta_close(m);
}

/* JuiceFS's compaction under trash leaves delSlices; the trash job frees them */
static void delayed_slices_released(void)
{
	struct meta *m = fresh_trash();
	unsigned char v[24];
	size_t n = 9;
	int i;

	CHECK(m != NULL);
	if (!m)
		return;
	/* old entry 10_1000: slices (7, 4096) unshared and (8, 100) shared */
	memset(v, 0, sizeof(v));
	v[7] = 7;
	v[10] = 0x10;	/* size 4096 = 0x00001000 */
	v[19] = 8;
	v[23] = 100;
	freeReplyObject(raw("HSET delSlices 10_1000 %b", v, sizeof(v)));
	freeReplyObject(raw("HSET sliceRef k8_100 1"));
	freeReplyObject(raw("HSET delSlices 11_%lld %b", (long long)time(NULL), v, sizeof(v)));
	CHECK_EQ(meta_cleanup_delayed_slices(m, time(NULL) - 86400, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(rec_has(7, 4096));
	CHECK(!rec_has(8, 100));
	CHECK_EQ(raw_int("HEXISTS delSlices 10_1000"), 0);
	CHECK_EQ(raw_int("HLEN delSlices"), 1);	/* the young one stays */
	CHECK_EQ(raw_int("HGET sliceRef k8_100"), 0);
	CHECK_EQ(raw_int("HEXISTS sliceRef k7_4096"), 0);
	for (i = 0; i < 2; i++)	/* idempotent */
		CHECK_EQ(meta_cleanup_delayed_slices(m, time(NULL) - 86400, &n), 0);
	CHECK_EQ(n, 0);
	meta_close(m);
}

static void set_if_small_elects_one(void)
{
	struct meta *m = fresh();
	bool won;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(meta_set_if_small(m, "lastCleanupTrash", 1000, 900, &won), 0);
	CHECK(won);
	CHECK_EQ(meta_set_if_small(m, "lastCleanupTrash", 1500, 900, &won), 0);
	CHECK(!won);
	CHECK_EQ(raw_int("GET lastCleanupTrash"), 1000);
	CHECK_EQ(meta_set_if_small(m, "lastCleanupTrash", 2000, 900, &won), 0);
	CHECK(won);
	CHECK_EQ(raw_int("GET lastCleanupTrash"), 2000);
	meta_close(m);
}

/* ---- extended attributes: x{ino}, a hash of name -> raw value ---- */

static int setx(struct meta *m, uint64_t ino, const char *name, const void *v,
		size_t vlen, unsigned int flags)
{
	return meta_setxattr(m, ino, name, strlen(name), v, vlen, flags);
}

static int getx(struct meta *m, uint64_t ino, const char *name, char **v,
		size_t *vlen)
{
	return meta_getxattr(m, ino, name, strlen(name), v, vlen);
}

/* raw HGET x{ino} name is exactly 'want' */
static bool raw_xattr_is(uint64_t ino, const char *name, const void *want,
			 size_t len)
{
	redisReply *r = raw("HGET x%" PRIu64 " %s", ino, name);
	bool same = r && r->type == REDIS_REPLY_STRING && r->len == len &&
		    !memcmp(r->str, want, len);

	freeReplyObject(r);
	return same;
}

static void xattr_layout(void)
{
	static const char bin[] = { 'a', 0, 'b', 0, (char)0xff, 0 };
	struct meta *m = fresh();
	redisReply *before, *after;
	uint64_t f;
	char *v = NULL;
	size_t n = 99;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(getx(m, f, "user.a", &v, &n), -ENODATA);
	CHECK(v == NULL);
	CHECK_EQ(n, 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, f), 0);

	before = raw("GET i%" PRIu64, f);
	sleep(1);	/* a ctime change would show */
	/* a binary value with NUL bytes is stored as is */
	REQUIRE(setx(m, f, "user.a", bin, sizeof(bin), 0) == 0);
	CHECK(raw_xattr_is(f, "user.a", bin, sizeof(bin)));
	CHECK_EQ(raw_int("HLEN x%" PRIu64, f), 1);
	REQUIRE(getx(m, f, "user.a", &v, &n) == 0);
	CHECK_EQ(n, sizeof(bin));
	CHECK_MEM(v, bin, sizeof(bin));
	free(v);
	/* as JuiceFS: the inode's attr (ctime included) does not change */
	after = raw("GET i%" PRIu64, f);
	CHECK(before && after && before->len == after->len &&
	      !memcmp(before->str, after->str, before->len));
	freeReplyObject(before);
	freeReplyObject(after);

	/* overwrite, and an empty value is a value */
	REQUIRE(setx(m, f, "user.a", "xyz", 3, 0) == 0);
	CHECK(raw_xattr_is(f, "user.a", "xyz", 3));
	REQUIRE(setx(m, f, "trusted.empty", "", 0, 0) == 0);
	CHECK(raw_xattr_is(f, "trusted.empty", "", 0));
	REQUIRE(getx(m, f, "trusted.empty", &v, &n) == 0);
	CHECK(v != NULL);
	CHECK_EQ(n, 0);
	free(v);
	/* what a juicefs client wrote (HSET x{ino}) reads back */
	freeReplyObject(raw("HSET x%" PRIu64 " security.selinux %b", f,
			    "ctx\0", (size_t)4));
	REQUIRE(getx(m, f, "security.selinux", &v, &n) == 0);
	CHECK_EQ(n, 4);
	CHECK_MEM(v, "ctx\0", 4);
	free(v);
	/* a name may hold any byte but NUL, '/' included */
	REQUIRE(setx(m, f, "user.a/b c", "1", 1, 0) == 0);
	CHECK(raw_xattr_is(f, "user.a/b c", "1", 1));
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
	CHECK_EQ(raw_existsf("x%" PRIu64, f), 0);
	CHECK_EQ(setx(m, f, "user.k", "c", 1, META_XATTR_CREATE), 0);
	CHECK(raw_xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "C", 1, META_XATTR_CREATE), -EEXIST);
	CHECK(raw_xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "R", 1, META_XATTR_REPLACE), 0);
	CHECK(raw_xattr_is(f, "user.k", "R", 1));
	/* as base.go: one flag or none */
	CHECK_EQ(setx(m, f, "user.k", "B", 1,
		      META_XATTR_CREATE | META_XATTR_REPLACE), -EINVAL);
	CHECK_EQ(setx(m, f, "user.k", "B", 1, 4), -EINVAL);
	REQUIRE(getx(m, f, "user.k", &v, &n) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(v[0], 'R');
	free(v);
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
	CHECK_EQ(meta_setxattr(m, f, name, 255, "v", 1, 0), 0);
	name[255] = '\0';
	CHECK(raw_xattr_is(f, name, "v", 1));
	/* values up to 64 KiB, as JuiceFS's xattrMaxSize */
	big = malloc(META_XATTR_SIZE_MAX + 1);
	REQUIRE(big);
	for (n = 0; n <= META_XATTR_SIZE_MAX; n++)
		big[n] = (char)(n * 7);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX + 1, 0), -E2BIG);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX, 0), 0);
	CHECK(raw_xattr_is(f, "user.big", big, META_XATTR_SIZE_MAX));
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
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
			 i ? "," : "", v[i]);
}

static void xattr_list_and_remove(void)
{
	struct meta *m = fresh();
	char *names = (char *)1, joined[256];
	uint64_t f;
	size_t len = 99;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_listxattr(m, f, &names, &len), 0);
	CHECK(names == NULL);
	CHECK_EQ(len, 0);
	REQUIRE(setx(m, f, "user.b", "2", 1, 0) == 0);
	REQUIRE(setx(m, f, "trusted.t", "", 0, 0) == 0);
	REQUIRE(setx(m, f, "user.a", "1", 1, 0) == 0);
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	CHECK_EQ(len, strlen("user.b") + strlen("trusted.t") + strlen("user.a") + 3);
	REQUIRE(names && names[len - 1] == '\0');
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a,user.b");
	free(names);

	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), 0);
	CHECK_EQ(raw_int("HEXISTS x%" PRIu64 " user.b", f), 0);
	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), -ENODATA);
	CHECK_EQ(meta_removexattr(m, f, "user.zz", 7), -ENODATA);
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a");
	free(names);
	/* the last one gone, so is the hash */
	CHECK_EQ(meta_removexattr(m, f, "user.a", 6), 0);
	CHECK_EQ(meta_removexattr(m, f, "trusted.t", 9), 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, f), 0);
	meta_close(m);
}

/* x{ino} goes with its inode: unlink, rmdir, a replacing rename */
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
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, f), 1);
	REQUIRE(meta_unlink(m, 1, "f2", 2) == 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, f), 0);
	REQUIRE(meta_rmdir(m, 1, "d", 1) == 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, d), 0);
	REQUIRE(meta_unlink(m, 1, "l", 1) == 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, l), 0);
	REQUIRE(meta_rename(m, 1, "g", 1, 1, "h", 1, 0) == 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, h), 0);
	CHECK_EQ(raw_existsf("x%" PRIu64, g), 1);	/* the moved one keeps them */
	meta_close(m);
}

/* JuiceFS 1.2 ACLs: rules in the acl hash, ids in the 80-byte attr */
static void acl_rules(void)
{
	static const unsigned char want[] = {	/* u::rw- u:1000:r-- g::r-- m::r-- o::--- */
		0, 6, 0, 4, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0xe8, 0, 4, 0, 0, 0, 0,
	};
	struct acl_rule r, got;
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, g, d, c, sub;
	redisReply *rep;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	CHECK_EQ(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	acl_rule_init(&r);
	r.owner = 6;
	r.group = 4;
	r.mask = 4;
	r.other = 0;
	r.nusers = 1;
	r.users = calloc(1, sizeof(*r.users));
	REQUIRE(r.users);
	r.users[0] = (struct acl_entry){ 1000, 4 };
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(a.mode, 0640);
	rep = raw("HGET acl 1");
	CHECK(rep && rep->type == REDIS_REPLY_STRING && rep->len == sizeof(want) &&
	      !memcmp(rep->str, want, sizeof(want)));
	freeReplyObject(rep);
	rep = raw("GET i%" PRIu64, f);
	CHECK(rep && rep->len == 80);
	freeReplyObject(rep);
	CHECK_EQ(raw_int("GET aclMaxId"), 1);
	/* the same rule elsewhere shares its id */
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(raw_int("HLEN acl"), 1);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
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
	acl_rule_free(&got);

	/* kill_sgid, then removal keeps the mode */
	a.mode = 02640;
	REQUIRE(meta_setattr(m, g, META_SET_MODE, &a, &a) == 0);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, true, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, NULL, false, &a) == 0);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.mode, 0640);
	rep = raw("GET i%" PRIu64, g);
	CHECK(rep && rep->len == 72);
	freeReplyObject(rep);

	/* a default rule is inherited: dirs keep it, files get an access rule */
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	r.users[0].perm = 7;
	r.owner = 7;
	r.group = 5;
	r.mask = 7;
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK(a.default_acl != 0);
	CHECK_EQ(a.mode, 0755);		/* a default rule leaves the mode */
	REQUIRE(meta_mknod(m, d, "c", 1, META_TYPE_FILE, 0666, 077, 0, 0, 0,
			      NULL, 0, &c, &a) == 0);
	CHECK(a.access_acl != 0 && a.default_acl == 0);
	CHECK_EQ(a.mode, 0660);		/* umask ignored; mask = 6 & 7 */
	REQUIRE(meta_mknod(m, d, "sub", 3, META_TYPE_DIR, 0777, 077, 0, 0, 0,
			      NULL, 0, &sub, &a) == 0);
	CHECK(a.default_acl != 0 && a.access_acl != 0);
	/* no default rule: the umask applies */
	REQUIRE(meta_mknod(m, 1, "um", 2, META_TYPE_FILE, 0666, 027, 0, 0, 0,
			      NULL, 0, &c, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 0);
	acl_rule_free(&r);
	meta_close(m);
}

/* locks (redis_lock.go): fields, records, conflicts across sessions, cleanup */
static void locks_across_sessions(void)
{
	static const unsigned char rec[] = {	/* F_WRLCK, pid 42, 0..39 */
		0, 0, 0, 1, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 39,
	};
	struct meta *m = fresh(), *m2 = NULL;
	uint64_t f, s1, s2;
	redisReply *r;
	struct plock p;

	REQUIRE(m);
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(meta_new_session(m, "{}", &s1) == 0);
	REQUIRE(meta_new_session(m2, "{}", &s2) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);

	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 99, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 40, 99, 42), 0);
	r = raw("HGET lockp%" PRIu64 " %" PRIu64 "_0000000000000ABC", f, s1);
	CHECK(r && r->type == REDIS_REPLY_STRING && r->len == sizeof(rec) &&
	      !memcmp(r->str, rec, sizeof(rec)));
	freeReplyObject(r);
	CHECK_EQ(raw_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, s1, f), 1);
	/* the same owner number in another session is another owner */
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_RD, 30, 50, 7), -EAGAIN);
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 40, 50, 7), 0);
	CHECK_EQ(meta_getlk(m2, f, 0xabc, PLOCK_RD, 0, 100, &p), 0);
	CHECK(p.type == PLOCK_WR && p.start == 0 && p.end == 39 && p.pid == 42);
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* its own lock is no conflict */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 0, 39, 42), 0);	/* downgrade */
	CHECK_EQ(meta_getlk(m2, f, 1, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* read + read */

	/* flock: "R"/"W" per owner */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);
	r = raw("HGET lockf%" PRIu64 " %" PRIu64 "_0000000000000005", f, s1);
	CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "W"));
	freeReplyObject(r);
	CHECK_EQ(meta_flock(m2, f, 5, PLOCK_RD), -EAGAIN);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_RD), 0);			/* downgrade */
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_RD), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_WR), -EAGAIN);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_UN), 0);
	CHECK_EQ(raw_int("HLEN lockf%" PRIu64, f), 1);

	/* m's client dies: once its session expires, m2's cleanup frees its locks */
	freeReplyObject(raw("ZADD allSessions 1 %" PRIu64, s1));
	CHECK_EQ(meta_cleanup_stale_sessions(m2), 0);
	CHECK_EQ(raw_int("HEXISTS lockp%" PRIu64 " %" PRIu64 "_0000000000000ABC", f, s1), 0);
	CHECK_EQ(raw_int("HLEN lockf%" PRIu64, f), 0);
	CHECK_EQ(raw_int("EXISTS locked%" PRIu64, s1), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_WR), 0);
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_WR, 0, 39, 7), 0);
	/* m2's last unlock drops the key from locked{sid} */
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_UN, 0, UINT64_MAX, 7), 0);
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_UN, 0, UINT64_MAX, 7), 0);
	CHECK_EQ(raw_int("SISMEMBER locked%" PRIu64 " lockp%" PRIu64, s2, f), 0);
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_UN, 0, 10, 7), 0);	/* nothing held */
	CHECK_EQ(meta_setlk(m2, f, 1, 9, 0, 10, 7), -EINVAL);
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_WR, 10, 0, 7), -EINVAL);
	meta_close(m2);
	meta_close(m);
}

/* the chunk's records, decoded */
static size_t records(uint64_t ino, uint32_t indx, struct meta_slice *out, size_t max)
{
	redisReply *r = raw("LRANGE c%" PRIu64 "_%" PRIu32 " 0 -1", ino, indx);
	size_t i, n = 0;

	for (i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && n < max; i++)
		if (r->element[i]->len == 24)
			meta_slice_decode((unsigned char *)r->element[i]->str, &out[n++]);
	freeReplyObject(r);
	return n;
}

/* doFallocate: lengths and the zero records JuiceFS writes */
static void fallocate_records(void)
{
	struct meta *m = fresh();
	struct meta_slice s[8];
	struct meta_attr a;
	uint64_t f, id;
	size_t n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(write_(m, f, 0, 0, 10000, &id, &a) == 0);
	REQUIRE(meta_fallocate(m, f, 0, 0, 20000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	CHECK_EQ(records(f, 0, s, 8), 1);		/* allocation: no record */
	REQUIRE(meta_fallocate(m, f, META_FALLOC_KEEP_SIZE, 0, 50000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE | META_FALLOC_KEEP_SIZE,
				  5000, 100000, &a) == 0);
	CHECK_EQU(a.length, 20000);
	n = records(f, 0, s, 8);
	REQUIRE(n == 2);
	/* only up to the old length */
	CHECK(s[1].id == 0 && s[1].pos == 5000 && s[1].len == 15000 && s[1].size == 0);
	REQUIRE(meta_fallocate(m, f, META_FALLOC_ZERO_RANGE, (uint64_t)CS - 10, 20, &a) == 0);
	CHECK_EQU(a.length, (uint64_t)CS + 10);
	CHECK_EQ(records(f, 0, s, 8), 2);	/* past the old length: nothing to zero */
	CHECK_EQ(raw_int("GET usedSpace"), (long long)meta_align4k(CS + 10));
	CHECK_EQ(meta_fallocate(m, f, META_FALLOC_PUNCH_HOLE, 0, 10, &a), -EINVAL);
	CHECK_EQ(meta_fallocate(m, f, 0x08, 0, 10, &a), -EOPNOTSUPP);
	CHECK_EQ(meta_fallocate(m, 1, 0, 0, 10, &a), -EPERM);
	meta_close(m);
}

/* CopyFileRange: records that reference the source, sliceRef + 1 each */
static void copy_range_clones(void)
{
	struct meta *m = fresh();
	struct meta_slice s[8];
	struct meta_attr a;
	uint64_t f, g, id1, id2, copied;
	char key[64];
	size_t n;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(write_(m, f, 0, 0, 8192, &id1, &a) == 0);
	REQUIRE(write_(m, f, 0, 12288, 4096, &id2, &a) == 0);	/* a hole before it */
	/* the whole file into g at 4096, across nothing special */
	REQUIRE(meta_copy_range(m, f, 0, g, 4096, 1 << 20, &copied, &a) == 0);
	CHECK_EQU(copied, 16384);		/* short: the source ends there */
	CHECK_EQU(a.length, 4096 + 16384);
	n = records(g, 0, s, 8);
	REQUIRE(n == 3);
	CHECK(s[0].id == id1 && s[0].pos == 4096 && s[0].off == 0 && s[0].len == 8192);
	CHECK(s[1].id == 0 && s[1].pos == 4096 + 8192 && s[1].len == 4096);	/* the hole */
	CHECK(s[2].id == id2 && s[2].pos == 4096 + 12288 && s[2].len == 4096);
	snprintf(key, sizeof(key), "k%" PRIu64 "_8192", id1);
	CHECK_EQ(raw_int("HGET sliceRef %s", key), 1);
	snprintf(key, sizeof(key), "k%" PRIu64 "_4096", id2);
	CHECK_EQ(raw_int("HGET sliceRef %s", key), 1);
	/* a range starting inside a slice, landing across a chunk boundary */
	REQUIRE(meta_copy_range(m, f, 100, g, (uint64_t)CS - 50, 200, &copied, &a) == 0);
	CHECK_EQU(copied, 200);
	CHECK_EQU(a.length, (uint64_t)CS + 150);
	n = records(g, 0, s, 8);
	CHECK(n == 4 && s[3].id == id1 && s[3].off == 100 && s[3].len == 50 &&
	      s[3].pos == CS - 50);
	n = records(g, 1, s, 8);
	CHECK(n == 1 && s[0].id == id1 && s[0].off == 150 && s[0].len == 150 && s[0].pos == 0);
	snprintf(key, sizeof(key), "k%" PRIu64 "_8192", id1);
	CHECK_EQ(raw_int("HGET sliceRef %s", key), 3);
	/* deleting the source frees nothing g still uses */
	rec.n = 0;
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK(!rec_has(id1, 8192) && !rec_has(id2, 4096));
	CHECK_EQ(raw_int("HGET sliceRef %s", key), 2);
	/* nothing to copy past the end; a dir is no file */
	REQUIRE(meta_copy_range(m, g, 1 << 30, g, 0, 10, &copied, &a) == 0);
	CHECK_EQU(copied, 0);
	CHECK_EQ(meta_copy_range(m, 1, 0, g, 0, 10, &copied, &a), -EINVAL);
	meta_close(m);
}

/* redis.go compactChunk's commit: a compare-and-swap of the list's head */
static void compact_chunks(void)
{
	struct meta *m = fresh();
	struct meta_slice *old = NULL, *sl = NULL, s = { 0 };
	struct meta_attr a;
	uint64_t f, id[3], late;
	size_t n = 0, n2 = 0;
	char key[32];
	redisReply *r;
	int i;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	for (i = 0; i < 3; i++)
		REQUIRE(write_(m, f, 0, i * 100, 1000, &id[i], &a) == 0);
	/* id[1] is shared with another record, as a clone would */
	freeReplyObject(raw("HSET sliceRef k%" PRIu64 "_1000 1", id[1]));
	REQUIRE(meta_read_chunk(m, f, 0, &old, &n) == 0);
	REQUIRE(n == 3);
	REQUIRE(write_(m, f, 0, 5, 5, &late, &a) == 0);	/* after the read */
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	s.size = s.len = 1200;
	rec.n = 0;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 0, &s), 0);
	snprintf(key, sizeof(key), "c%" PRIu64 "_0", f);
	r = raw("LRANGE %s 0 -1", key);
	REQUIRE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
	CHECK(same_record(r->element[0], 0, s.id, 1200, 0, 1200));
	CHECK(same_record(r->element[1], 5, late, 5, 0, 5));
	freeReplyObject(r);
	/* the unshared slices went to the deleter, their refs are gone */
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id[0], 1000) && rec_has(id[2], 1000));
	CHECK_EQ(raw_int("HLEN sliceRef"), 1);
	r = raw("HGET sliceRef k%" PRIu64 "_1000", id[1]);
	CHECK(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "0"));
	freeReplyObject(r);

	/* a stale list is refused and nothing changes */
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 0, &s), -EINVAL);
	REQUIRE(meta_read_chunk(m, f, 0, &sl, &n2) == 0);
	CHECK_EQ(n2, 2);
	free(sl);
	CHECK_EQ(rec.n, 2);
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, 0, 0, &s), -EINVAL);
	free(old);
	meta_close(m);

	/* with trash on, a delSlices entry keeps the old slices */
	m = fresh_trash();
	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "g", &f) == 0);
	for (i = 0; i < 2; i++)
		REQUIRE(write_(m, f, 0, 0, 1000, &id[i], &a) == 0);
	REQUIRE(meta_read_chunk(m, f, 0, &old, &n) == 0);
	REQUIRE(meta_new_slice_id(m, &s.id) == 0);
	s.size = s.len = 1000;
	rec.n = 0;
	CHECK_EQ(meta_compact_chunk(m, f, 0, old, n, 0, &s), 0);
	free(old);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(raw_int("HLEN delSlices"), 1);
	r = raw("HVALS delSlices");
	CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	      r->element[0]->len == 24);
	freeReplyObject(r);
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
	char key[32];
	redisReply *r;
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
	snprintf(key, sizeof(key), "c%" PRIu64 "_0", f);
	r = raw("LRANGE %s 0 -1", key);
	REQUIRE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3);
	CHECK(same_record(r->element[0], 0, id[0], 1000, 0, 1000));
	CHECK(same_record(r->element[1], 1000, id[1], 1000, 0, 1000));
	CHECK(same_record(r->element[2], 2000, s.id, 2000, 0, 2000));
	freeReplyObject(r);
	CHECK_EQ(rec.n, 2);
	CHECK(rec_has(id[2], 1000) && rec_has(id[3], 1000));
	CHECK(!rec_has(id[0], 1000) && !rec_has(id[1], 1000));
	free(old);
	meta_close(m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (start_redis()) {
		printf("FAIL start_redis: cannot start redis-server on 127.0.0.1:%d\n",
		       redis_port);
		stop_redis();
		return 1;
	}
	RUN(open_bad_urls);
	RUN(open_unreachable);
	RUN(open_db_and_unix_socket);
	RUN(open_auth);
	RUN(init_and_setting);
	RUN(mknod_file_layout);
	RUN(mknod_every_type);
	RUN(mknod_errors);
	RUN(lookup_getattr_setattr);
	RUN(link_and_unlink_hardlinks);
	RUN(unlink_frees_slices);
	RUN(sustained_inode);
	RUN(rmdir_cases);
	RUN(rename_moves);
	RUN(rename_replaces);
	RUN(rename_exchange);
	RUN(rename_hardlinked_file);
	RUN(readdir_large);
	RUN(write_and_read_chunks);
	RUN(compact_chunks);
	RUN(compact_chunk_skips);
	RUN(truncate_records);
	RUN(statfs_counters);
	RUN(id_batches);
	RUN(sessions);
	RUN(concurrent_creates);
	RUN(reconnects_after_kill);
	RUN(oom_is_enospc);
	RUN(trash_moves_and_restores);
	RUN(trash_cleanup_expired);
	RUN(dir_stats_kept);
	RUN(delayed_slices_released);
	RUN(cleanup_slices_retries);
	RUN(dir_quotas_counted);
	RUN(set_if_small_elects_one);
	RUN(xattr_layout);
	RUN(xattr_flags);
	RUN(xattr_names_and_sizes);
	RUN(xattr_list_and_remove);
	RUN(xattr_deleted_with_inode);
	RUN(acl_rules);
	RUN(locks_across_sessions);
	RUN(fallocate_records);
	RUN(copy_range_clones);
	stop_redis();
	return check_done();
}
