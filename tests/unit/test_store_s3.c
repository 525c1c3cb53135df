/*
 * test_store_s3.c - the "s3" object store against a real MinIO server
 * started on a free loopback port in a temp dir (killed at the end), plus
 * a scripted fake HTTP server for what MinIO will not do on demand:
 * 503s, ignored Ranges, bad listings, and the exact request on the wire.
 *
 * MinIO: $JFS_MINIO, else /var/cache/jfs-minio/bin/minio, else `minio` on
 * PATH; without one the test fails (CI always has it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "store/store.h"

#include "check.h"
#include "server.h"

#define USER	"jfs-test-user"
#define SECRET	"jfs-test-Secret-7f3Q"
#define MiB	(1U << 20)

/* ---- the MinIO server ---- */

static pid_t minio_pid;
static int minio_port;
static char tmpdir[] = "/tmp/jfs-store-s3-XXXXXX";
static char endpoint[96];	/* http[s]://127.0.0.1:PORT */
static bool minio_tls;		/* serve https with a self-signed certificate */
static char ca_file[256];	/* that certificate */
static char minio_path[4096];

static const char *find_minio(void)
{
	const char *env = getenv("JFS_MINIO"), *path = getenv("PATH"), *p;
	size_t n;

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	if (!access("/var/cache/jfs-minio/bin/minio", X_OK))
		return "/var/cache/jfs-minio/bin/minio";
	for (p = path; p && *p; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		snprintf(minio_path, sizeof(minio_path), "%.*s/minio", (int)n, p);
		if (n && !access(minio_path, X_OK))
			return minio_path;
	}
	return NULL;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static long http_status(const char *url)
{
	CURL *h = curl_easy_init();
	long status = 0;

	if (!h)
		return 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);	/* only "is it up?" */
	if (!curl_easy_perform(h))
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static int start_minio(const char *bin)
{
	char addr[64], console[64], data[200], logf[200], health[128];
	int i, fd;

	char certs[200], cmd[1024];

	strcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX");	/* reusable template */
	if (!mkdtemp(tmpdir))
		return -1;
	minio_port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", minio_port);
	snprintf(console, sizeof(console), "127.0.0.1:%d", free_port());
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	snprintf(logf, sizeof(logf), "%s/minio.log", tmpdir);
	snprintf(certs, sizeof(certs), "%s/certs", tmpdir);
	snprintf(ca_file, sizeof(ca_file), "%s/public.crt", certs);
	snprintf(endpoint, sizeof(endpoint), "%s://%s", minio_tls ? "https" : "http", addr);
	if (minio_tls) {
		/* MinIO serves https when its certs dir holds a key pair */
		snprintf(cmd, sizeof(cmd),
			 "mkdir -p '%s' && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
			 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
			 "-keyout '%s/private.key' -out '%s' >/dev/null 2>&1",
			 certs, certs, ca_file);
		if (system(cmd))
			return -1;
	}
	snprintf(health, sizeof(health), "%s/minio/health/live", endpoint);
	minio_pid = fork();
	if (minio_pid < 0)
		return -1;
	if (minio_pid == 0) {
		/* a test killed midway must not leave a server behind */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("MINIO_ROOT_USER", USER, 1);
		setenv("MINIO_ROOT_PASSWORD", SECRET, 1);
		setenv("MINIO_BROWSER", "off", 1);
		execl(bin, "minio", "server", "--quiet", "--address", addr,
		      "--console-address", console, "--certs-dir", certs, data,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 600; i++) {
		if (http_status(health) == 200)
			return 0;
		if (waitpid(minio_pid, NULL, WNOHANG) == minio_pid) {
			minio_pid = 0;
			return -1;
		}
		usleep(100000);
	}
	return -1;
}

static void stop_minio(void)
{
	char cmd[256];

	if (minio_pid > 0) {
		kill(minio_pid, SIGTERM);
		waitpid(minio_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
		/* a leftover temp dir is not a test failure */
	}
}

/* ---- helpers ---- */

static struct store *open_bucket(const char *name, const char *ak, const char *sk)
{
	char url[128];
	struct store *s = NULL;

	snprintf(url, sizeof(url), "%s/%s", endpoint, name);
	if (store_open("s3", url, ak, sk, &s))
		return NULL;
	return s;
}

static void fill(char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = seed >> 16;
	}
}

static int count_key(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	(*(int *)arg)++;
	return 0;
}

/* how many TCP sockets, in any state, have the MinIO port as their peer */
static int conns_to_minio(void)
{
	const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512], rem[64];
	unsigned int port;
	int n = 0, i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %*s %63s", rem) == 1 &&
			    sscanf(strchr(rem, ':') ? strchr(rem, ':') + 1 : "", "%x",
				   &port) == 1 && (int)port == minio_port)
				n++;
		fclose(f);
	}
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- MinIO tests ---- */

static struct store *S;	/* the bucket "jfstest" */

static void test_create_bucket(void)
{
	S = open_bucket("jfstest", USER, SECRET);
	REQUIRE(S != NULL);
	CHECK_EQ(S->ops->create(S), 0);
	CHECK_EQ(S->ops->create(S), 0);	/* again: it is ours already */
	CHECK_EQ(S->ops->put(S, "myvol/juicefs_uuid", "u-u-i-d", 7), 0);
}

/*
 * https: the server's certificate is checked (an unknown CA fails at once,
 * not after retries, naming the problem); SSL_CERT_FILE names a private CA.
 */
static void test_https(void)
{
	char buf[16], url[160];
	struct store *s = NULL;
	size_t got;

	snprintf(url, sizeof(url), "%s/tlsbucket", endpoint);
	REQUIRE(!strncmp(url, "https://", 8));
	unsetenv("SSL_CERT_FILE");
	REQUIRE(store_open("s3", url, USER, SECRET, &s) == 0);
	CHECK_EQ(s->ops->create(s), -EIO);
	CHECK(strstr(jfs_errmsg(), "certificate") || strstr(jfs_errmsg(), "SSL"));
	CHECK(!strstr(jfs_errmsg(), "attempts"));	/* not retried */
	store_close(s);

	setenv("SSL_CERT_FILE", ca_file, 1);
	REQUIRE(store_open("s3", url, USER, SECRET, &s) == 0);
	unsetenv("SSL_CERT_FILE");
	CHECK_EQ(s->ops->create(s), 0);
	CHECK_EQ(s->ops->put(s, "v/chunks/0/0/9_0_5", "https", 5), 0);
	CHECK_EQ(s->ops->get(s, "v/chunks/0/0/9_0_5", 0, 5, buf, &got), 0);
	CHECK_EQU(got, 5);
	CHECK_MEM(buf, "https", 5);
	store_close(s);
}

static void test_put_get_whole(void)
{
	char buf[64] = "";
	size_t got = 99;

	REQUIRE(S);
	CHECK_EQ(S->ops->put(S, "myvol/chunks/0/0/1_0_11", "hello world", 11), 0);
	CHECK_EQ(S->ops->get(S, "myvol/chunks/0/0/1_0_11", 0, 11, buf, &got), 0);
	CHECK_EQU(got, 11);
	CHECK_MEM(buf, "hello world", 11);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(S->ops->get(S, "myvol/chunks/0/0/1_0_11", 0, 0, buf, &got), 0);
	CHECK_EQU(got, 11);
	CHECK_MEM(buf, "hello world", 11);
	/* overwrite replaces whole; an empty object is an object */
	CHECK_EQ(S->ops->put(S, "myvol/chunks/0/0/1_0_11", "HELLO", 5), 0);
	CHECK_EQ(S->ops->get(S, "myvol/chunks/0/0/1_0_11", 0, 0, buf, &got), 0);
	CHECK_EQU(got, 5);
	CHECK_MEM(buf, "HELLO", 5);
	CHECK_EQ(S->ops->put(S, "myvol/empty", "", 0), 0);
	CHECK_EQ(S->ops->get(S, "myvol/empty", 0, 0, buf, &got), 0);
	CHECK_EQU(got, 0);
	CHECK_EQ(S->ops->get(S, "myvol/empty", 0, 10, buf, &got), 0);
	CHECK_EQU(got, 0);
	CHECK_EQ(S->ops->put(S, "", "x", 1), -EINVAL);
}

static void test_range_get(void)
{
	char data[100], buf[128];
	size_t got;

	REQUIRE(S);
	fill(data, sizeof(data), 1);
	REQUIRE(S->ops->put(S, "myvol/range", data, sizeof(data)) == 0);
	/* the middle */
	memset(buf, 0x55, sizeof(buf));
	CHECK_EQ(S->ops->get(S, "myvol/range", 10, 20, buf, &got), 0);
	CHECK_EQU(got, 20);
	CHECK_MEM(buf, data + 10, 20);
	CHECK_EQ((unsigned char)buf[20], 0x55);	/* nothing past len */
	/* to the end */
	CHECK_EQ(S->ops->get(S, "myvol/range", 90, 0, buf, &got), 0);
	CHECK_EQU(got, 10);
	CHECK_MEM(buf, data + 90, 10);
	/* a range running past the end: a short read */
	CHECK_EQ(S->ops->get(S, "myvol/range", 95, 20, buf, &got), 0);
	CHECK_EQU(got, 5);
	CHECK_MEM(buf, data + 95, 5);
	/* at and beyond the end: nothing */
	CHECK_EQ(S->ops->get(S, "myvol/range", 100, 10, buf, &got), 0);
	CHECK_EQU(got, 0);
	CHECK_EQ(S->ops->get(S, "myvol/range", 5000, 0, buf, &got), 0);
	CHECK_EQU(got, 0);
	/* the last byte */
	CHECK_EQ(S->ops->get(S, "myvol/range", 99, 1, buf, &got), 0);
	CHECK_EQU(got, 1);
	CHECK_EQ(buf[0], data[99]);
}

static void test_head(void)
{
	uint64_t size = 0;

	REQUIRE(S);
	CHECK_EQ(S->ops->head(S, "myvol/range", &size), 0);
	CHECK_EQU(size, 100);
	CHECK_EQ(S->ops->head(S, "myvol/empty", &size), 0);
	CHECK_EQU(size, 0);
	CHECK_EQ(S->ops->head(S, "myvol/no/such/key", &size), -ENOENT);
	CHECK(strstr(jfs_errmsg(), "s3 HEAD myvol/no/such/key: 404") != NULL);
}

static void test_delete(void)
{
	char buf[16];
	size_t got = 7;
	uint64_t size;

	REQUIRE(S);
	REQUIRE(S->ops->put(S, "myvol/doomed", "bye", 3) == 0);
	CHECK_EQ(S->ops->delete(S, "myvol/doomed"), 0);
	CHECK_EQ(S->ops->get(S, "myvol/doomed", 0, 3, buf, &got), -ENOENT);
	CHECK_EQU(got, 0);
	CHECK(strstr(jfs_errmsg(), "s3 GET myvol/doomed: 404 NoSuchKey") != NULL);
	CHECK_EQ(S->ops->head(S, "myvol/doomed", &size), -ENOENT);
	CHECK_EQ(S->ops->delete(S, "myvol/doomed"), 0);	/* absent: fine */
	CHECK_EQ(S->ops->delete(S, "myvol/never/was"), 0);
}

struct seen {
	char keys[64][64];
	uint64_t sizes[64];
	int n;
	int64_t oldest;		/* LastModified: the earliest listed */
};

static int collect(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct seen *s = arg;

	if (s->n < 64) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
		s->sizes[s->n] = size;
	}
	if (!s->n || mtime < s->oldest)
		s->oldest = mtime;
	s->n++;
	return 0;
}

static int seen_has(const struct seen *s, const char *key, uint64_t size)
{
	int i, n = 0;

	for (i = 0; i < s->n && i < 64; i++)
		if (!strcmp(s->keys[i], key))
			n += s->sizes[i] == size ? 1 : 100;
	return n == 1;
}

static int stop_at_third(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void test_list_paging(void)
{
	struct store *s;
	struct seen seen = { .n = 0 };
	char key[64];
	int i, n = 0, all = 0;

	/* 7 keys a page: 23 keys take 4 pages and 3 continuation tokens */
	setenv("JFS_S3_LIST_MAX", "7", 1);
	s = open_bucket("jfstest", NULL, NULL);	/* ACCESS_KEY from env */
	unsetenv("JFS_S3_LIST_MAX");
	REQUIRE(s != NULL);
	for (i = 0; i < 23; i++) {
		snprintf(key, sizeof(key), "pg/chunks/%d/%d_0_%d", i % 3, i, i + 1);
		REQUIRE(s->ops->put(s, key, key, i + 1) == 0);
	}
	REQUIRE(s->ops->put(s, "pgx/outside", "x", 1) == 0);
	/* not "pg": MinIO cannot hold an object "pg" beside "pg/..." keys */
	REQUIRE(s->ops->put(s, "pg.txt", "y", 1) == 0);
	CHECK_EQ(s->ops->list(s, "pg/", collect, &seen), 0);
	CHECK_EQ(seen.n, 23);
	/* every object has its LastModified, just now (gc's age rule reads it) */
	CHECK(seen.oldest > (int64_t)time(NULL) - 3600 && seen.oldest <= (int64_t)time(NULL) + 60);
	for (i = 0; i < 23; i++) {
		snprintf(key, sizeof(key), "pg/chunks/%d/%d_0_%d", i % 3, i, i + 1);
		CHECK(seen_has(&seen, key, i + 1));
	}
	/* the callback's non-zero return stops the listing and is returned */
	CHECK_EQ(s->ops->list(s, "pg/", stop_at_third, &n), 42);
	CHECK_EQ(n, 3);
	CHECK_EQ(s->ops->list(s, "", count_key, &all), 0);
	CHECK(all >= 25);
	n = 0;
	CHECK_EQ(s->ops->list(s, "nothing/here/", count_key, &n), 0);
	CHECK_EQ(n, 0);
	store_close(s);
}

static void test_keys_needing_encoding(void)
{
	static const char *const keys[] = {
		"enc/with space", "enc/plus+sign", "enc/a b+c=d&e?f#g%h",
		"enc/tilde~star*(paren)!'", "enc/colon:at@comma,semi;",
		"enc/caf\xc3\xa9 \xe2\x82\xac", "enc/ trailing ", "enc/100%",
	};
	struct seen seen = { .n = 0 };
	char buf[128];
	uint64_t size;
	size_t i, got;

	REQUIRE(S);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t len = strlen(keys[i]);

		CHECK_EQ(S->ops->put(S, keys[i], keys[i], len), 0);
		CHECK_EQ(S->ops->head(S, keys[i], &size), 0);
		CHECK_EQU(size, len);
		CHECK_EQ(S->ops->get(S, keys[i], 0, len, buf, &got), 0);
		CHECK_EQU(got, len);
		CHECK_MEM(buf, keys[i], len);
	}
	/* the prefix needs encoding too */
	CHECK_EQ(S->ops->list(S, "enc/", collect, &seen), 0);
	CHECK_EQ(seen.n, (int)(sizeof(keys) / sizeof(keys[0])));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(seen_has(&seen, keys[i], strlen(keys[i])));
	seen.n = 0;
	CHECK_EQ(S->ops->list(S, "enc/a b+c=", collect, &seen), 0);
	CHECK_EQ(seen.n, 1);
	CHECK(seen_has(&seen, "enc/a b+c=d&e?f#g%h", 19));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_EQ(S->ops->delete(S, keys[i]), 0);
	CHECK_EQ(S->ops->head(S, keys[2], &size), -ENOENT);
}

static void test_wrong_credentials(void)
{
	struct store *s;
	char buf[8];
	size_t got;

	s = open_bucket("jfstest", USER, "not-the-Secret-9xZ");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->put(s, "myvol/denied", "x", 1), -EACCES);
	CHECK(strstr(jfs_errmsg(), "s3 PUT myvol/denied: 403 SignatureDoesNotMatch") != NULL);
	CHECK(strstr(jfs_errmsg(), "not-the-Secret-9xZ") == NULL);
	CHECK(strstr(jfs_errmsg(), SECRET) == NULL);
	CHECK(strstr(jfs_errmsg(), "attempts") == NULL);	/* no retry */
	CHECK_EQ(s->ops->get(s, "myvol/range", 0, 8, buf, &got), -EACCES);
	CHECK(strstr(jfs_errmsg(), "SignatureDoesNotMatch") != NULL);
	store_close(s);

	s = open_bucket("jfstest", "no-such-user", SECRET);
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->put(s, "myvol/denied", "x", 1), -EACCES);
	CHECK(strstr(jfs_errmsg(), "InvalidAccessKeyId") != NULL);
	CHECK(strstr(jfs_errmsg(), SECRET) == NULL);
	store_close(s);
}

static void test_env_credentials(void)
{
	struct store *s;
	uint64_t size;

	/* ACCESS_KEY / SECRET_KEY (set in main) win over the AWS variables */
	setenv("AWS_ACCESS_KEY_ID", "wrong", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wrong-wrong", 1);
	s = open_bucket("jfstest", "", NULL);
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "myvol/range", &size), 0);
	store_close(s);
	/* then the AWS ones */
	unsetenv("ACCESS_KEY");
	unsetenv("SECRET_KEY");
	setenv("AWS_ACCESS_KEY_ID", USER, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	s = open_bucket("jfstest", NULL, NULL);
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "myvol/range", &size), 0);
	store_close(s);
	/* none: anonymous requests, which MinIO refuses */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	s = open_bucket("jfstest", NULL, NULL);
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->put(s, "myvol/anon", "x", 1), -EACCES);
	CHECK(strstr(jfs_errmsg(), "AccessDenied") != NULL);
	store_close(s);
	setenv("ACCESS_KEY", USER, 1);
	setenv("SECRET_KEY", SECRET, 1);
}

static void test_retry_closed_port(void)
{
	char url[64];
	struct store *s;
	double t;
	int ret;

	setenv("JFS_S3_RETRIES", "4", 1);
	setenv("JFS_S3_RETRY_BASE_MS", "20", 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/bkt", free_port());
	ret = store_open("s3", url, USER, SECRET, &s);
	unsetenv("JFS_S3_RETRIES");
	unsetenv("JFS_S3_RETRY_BASE_MS");
	REQUIRE(ret == 0);
	t = now();
	CHECK_EQ(s->ops->put(s, "myvol/chunks/0/0/1_0_4096", "data", 4), -EIO);
	t = now() - t;
	CHECK(strstr(jfs_errmsg(), "s3 PUT myvol/chunks/0/0/1_0_4096: ") == jfs_errmsg());
	CHECK(strstr(jfs_errmsg(), "after 4 attempts") != NULL);
	CHECK(strstr(jfs_errmsg(), "onnect") != NULL);
	CHECK(strstr(jfs_errmsg(), SECRET) == NULL);
	/* 3 backoffs of at least 10, 20, 40 ms (half of each is jitter) */
	CHECK(t >= 0.07);
	CHECK(t < 5);
	store_close(s);
}

static void test_hung_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char url[64], buf[8];
	struct store *s;
	size_t got;
	double t;
	int fd, ret;

	/* connections complete in the backlog but nothing ever answers */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !listen(fd, 16) &&
		!getsockname(fd, (struct sockaddr *)&a, &len));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/bkt", ntohs(a.sin_port));
	setenv("JFS_S3_RETRIES", "2", 1);
	setenv("JFS_S3_RETRY_BASE_MS", "1", 1);
	setenv("JFS_S3_IO_TIMEOUT", "1", 1);
	ret = store_open("s3", url, USER, SECRET, &s);
	unsetenv("JFS_S3_RETRIES");
	unsetenv("JFS_S3_RETRY_BASE_MS");
	unsetenv("JFS_S3_IO_TIMEOUT");
	if (ret)
		close(fd);
	REQUIRE(ret == 0);
	t = now();
	CHECK_EQ(s->ops->get(s, "myvol/hung", 0, 8, buf, &got), -EIO);
	t = now() - t;
	CHECK(strstr(jfs_errmsg(), "s3 GET myvol/hung: Timeout was reached") != NULL);
	CHECK(strstr(jfs_errmsg(), "after 2 attempts") != NULL);
	CHECK(t >= 1.5 && t < 10);
	store_close(s);
	close(fd);
}

struct worker {
	struct store *s;
	int id;
	int errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t len, got;
	uint64_t size;
	char key[64];
	char *a = malloc(80000), *b = malloc(80000);
	int i;

	if (!a || !b) {
		w->errors++;
		goto out;
	}
	for (i = 0; i < 16; i++) {
		len = 30000 + w->id * 1000 + i * 777;
		fill(a, len, w->id * 100 + i);
		snprintf(key, sizeof(key), "thr/%d/%d", w->id, i);
		if (w->s->ops->put(w->s, key, a, len) ||
		    w->s->ops->get(w->s, key, 0, len, b, &got) || got != len ||
		    memcmp(a, b, len) ||
		    w->s->ops->head(w->s, key, &size) || size != len ||
		    w->s->ops->get(w->s, key, 1000, 10, b, &got) || got != 10 ||
		    memcmp(a + 1000, b, 10))
			w->errors++;
		if (i % 2 && w->s->ops->delete(w->s, key))
			w->errors++;
	}
out:
	free(a);
	free(b);
	return NULL;
}

static void test_threads(void)
{
	struct worker w[8];
	pthread_t th[8];
	int i, n = 0;

	REQUIRE(S);
	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ S, i, 0 };
		REQUIRE(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].errors, 0);
	}
	CHECK_EQ(S->ops->list(S, "thr/", count_key, &n), 0);
	CHECK_EQ(n, 8 * 8);
}

static void test_connection_reuse(void)
{
	uint64_t size;
	int before, i, ret = 0;

	REQUIRE(S);
	REQUIRE(S->ops->head(S, "myvol/range", &size) == 0);
	before = conns_to_minio();
	for (i = 0; i < 60; i++) {
		ret |= S->ops->head(S, "myvol/range", &size);
		ret |= S->ops->put(S, "myvol/reuse", "abc", 3);
	}
	CHECK_EQ(ret, 0);
	/* 120 requests, one warm connection: no new sockets, not 120 */
	CHECK(conns_to_minio() - before <= 2);
}

static void test_big_object(void)
{
	size_t len = 4 * MiB, got;
	char *a = malloc(len), *b = malloc(len + 16);
	uint64_t size;

	if (!a || !b) {
		free(a);
		free(b);
	}
	REQUIRE(a && b);
	fill(a, len, 4);
	memset(b + len, 0x77, 16);
	CHECK_EQ(S->ops->put(S, "myvol/chunks/0/0/9_0_4194304", a, len), 0);
	CHECK_EQ(S->ops->head(S, "myvol/chunks/0/0/9_0_4194304", &size), 0);
	CHECK_EQU(size, len);
	CHECK_EQ(S->ops->get(S, "myvol/chunks/0/0/9_0_4194304", 0, len, b, &got), 0);
	CHECK_EQU(got, len);
	CHECK(!memcmp(a, b, len));
	CHECK_EQ((unsigned char)b[len], 0x77);
	CHECK_EQ(S->ops->get(S, "myvol/chunks/0/0/9_0_4194304", 3 * MiB + 512 * 1024,
			     MiB, b, &got), 0);
	CHECK_EQU(got, 512 * 1024);
	CHECK(!memcmp(a + 3 * MiB + 512 * 1024, b, 512 * 1024));
	free(a);
	free(b);
}

static void test_front_end(void)
{
	struct store *s;

	CHECK_EQ(store_open("s3", "ftp://127.0.0.1/bkt", USER, SECRET, &s), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "ftp://127.0.0.1/bkt") != NULL);
	CHECK_EQ(store_open("s3", "http://127.0.0.1:9000", USER, SECRET, &s), -EINVAL);
	CHECK_EQ(store_open("s3", "http://127.0.0.1:9000/", USER, SECRET, &s), -EINVAL);
	CHECK_EQ(store_open("s3", "", USER, SECRET, &s), -EINVAL);
	CHECK_EQ(store_open("s3", "https://bkt.s3.us-east-2.amazonaws.com", "a", "b", &s), 0);
	store_close(s);
	CHECK_EQ(store_open("s3", "bkt.minio.example.com:9000", "a", "b", &s), 0);
	store_close(s);
}

/* ---- a scripted HTTP server ---- */

struct fake {
	int fd, port;
	pthread_t th;
	pthread_mutex_t lock;
	char script[3][4096];	/* request i gets script[min(i, n - 1)] */
	int nscript;
	int nreq;
	char last[8192];	/* the last request's head */
};

static struct fake F;

/* Reads one request head and its Content-Length body. */
static int read_request(int c, char *head, size_t size)
{
	size_t n = 0;
	long body = 0;
	char *end = NULL, *cl, buf[4096];
	ssize_t r;

	while (!end) {
		if (n + 1 >= size)
			return -1;
		r = read(c, head + n, size - n - 1);
		if (r <= 0)
			return -1;
		n += r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	cl = strcasestr(head, "\r\nContent-Length:");
	if (cl)
		body = strtol(cl + 17, NULL, 10);
	body -= n - (end + 4 - head);
	end[4] = '\0';
	while (body > 0 && (r = read(c, buf, sizeof(buf))) > 0)
		body -= r;
	return 0;
}

static void *fake_run(void *arg)
{
	char head[8192], out[4096];
	int c;

	while ((c = accept(F.fd, NULL, NULL)) >= 0) {
		if (!read_request(c, head, sizeof(head))) {
			pthread_mutex_lock(&F.lock);
			memcpy(F.last, head, sizeof(head));
			memcpy(out, F.script[F.nreq < F.nscript ? F.nreq : F.nscript - 1],
			       sizeof(out));
			F.nreq++;
			pthread_mutex_unlock(&F.lock);
			if (write(c, out, strlen(out)) < 0) {
				/* the client went away: its problem */
			}
		}
		close(c);
	}
	return NULL;
}

static int fake_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	pthread_mutex_init(&F.lock, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	F.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (F.fd < 0 || bind(F.fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(F.fd, 16) || getsockname(F.fd, (struct sockaddr *)&a, &len))
		return -1;
	F.port = ntohs(a.sin_port);
	return pthread_create(&F.th, NULL, fake_run, NULL);
}

static void fake_stop(void)
{
	shutdown(F.fd, SHUT_RDWR);
	pthread_join(F.th, NULL);
	close(F.fd);
}

/* Sets the canned replies (the last one repeats); zeroes the count. */
static void fake_seq(int n, const char *r0, const char *r1, const char *r2)
{
	const char *r[3] = { r0, r1, r2 };
	int i;

	pthread_mutex_lock(&F.lock);
	for (i = 0; i < n; i++)
		snprintf(F.script[i], sizeof(F.script[i]), "%s", r[i]);
	F.nscript = n;
	F.nreq = 0;
	F.last[0] = '\0';
	pthread_mutex_unlock(&F.lock);
}

static void fake_script(const char *reply)
{
	fake_seq(1, reply, NULL, NULL);
}

static struct store *fake_open(const char *bucket_fmt)
{
	char url[128];
	struct store *s = NULL;

	snprintf(url, sizeof(url), bucket_fmt, F.port);
	if (store_open("s3", url, "AKFAKE", "fake-Secret-1234", &s))
		return NULL;
	return s;
}

static char replies[4][4096];

/* A whole canned response with a correct Content-Length; slot 0..3. */
static const char *reply(int slot, const char *status, const char *hdrs,
			 const char *body)
{
	snprintf(replies[slot], sizeof(replies[slot]), "HTTP/1.1 %s\r\n%s"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 status, hdrs, strlen(body), body);
	return replies[slot];
}

#define OK_EMPTY "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

static void test_wire_put(void)
{
	struct store *s;

	setenv("AWS_REGION", "eu-test-1", 1);
	s = fake_open("http://127.0.0.1:%d/bkt");
	unsetenv("AWS_REGION");
	REQUIRE(s != NULL);
	fake_script(OK_EMPTY);
	CHECK_EQ(s->ops->put(s, "vol/a b+c", "abc", 3), 0);
	CHECK_EQ(F.nreq, 1);
	CHECK(strstr(F.last, "PUT /bkt/vol/a%20b%2Bc HTTP/1.1\r\n") == F.last);
	CHECK(strcasestr(F.last, "\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n") != NULL);
	CHECK(strcasestr(F.last, "\r\nContent-Type: application/octet-stream\r\n") != NULL);
	CHECK(strcasestr(F.last, "\r\nContent-Length: 3\r\n") != NULL);
	CHECK(strcasestr(F.last, "\r\nExpect:") == NULL);	/* a small body */
	CHECK(strstr(F.last, "Credential=AKFAKE/") != NULL);
	CHECK(strstr(F.last, "/eu-test-1/s3/aws4_request") != NULL);
	CHECK(strstr(F.last, "x-amz-content-sha256") != NULL);
	CHECK(strstr(F.last, "SignedHeaders=") != NULL &&
	      strstr(strstr(F.last, "SignedHeaders="), "x-amz-content-sha256") != NULL);
	CHECK(strstr(F.last, "fake-Secret-1234") == NULL);
	CHECK(strstr(F.last, "x-amz-security-token") == NULL);
	store_close(s);

	/* a session token travels, signed, with env credentials */
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-Secret", 1);
	setenv("AWS_SESSION_TOKEN", "tok/en+1", 1);
	unsetenv("ACCESS_KEY");
	s = NULL;
	{
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/bkt", F.port);
		CHECK_EQ(store_open("s3", url, NULL, NULL, &s), 0);
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	setenv("ACCESS_KEY", USER, 1);
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->delete(s, "k"), 0);
	CHECK(strstr(F.last, "DELETE /bkt/k HTTP/1.1\r\n") == F.last);
	CHECK(strcasestr(F.last, "\r\nx-amz-security-token: tok/en+1\r\n") != NULL);
	CHECK(strstr(F.last, "Credential=AKENV/") != NULL);
	CHECK(strstr(F.last, "/us-east-1/s3/aws4_request") != NULL);
	CHECK(strstr(F.last, "SignedHeaders=") != NULL &&
	      strstr(strstr(F.last, "SignedHeaders="), "x-amz-security-token") != NULL);
	store_close(s);
}

/* AWS host names, through the fake server as an HTTP proxy */
static void test_wire_aws_urls(void)
{
	char proxy[64];
	struct store *s;
	uint64_t size;

	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", F.port);
	setenv("http_proxy", proxy, 1);
	fake_script("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");

	s = fake_open("http://mybkt.s3.us-east-2.amazonaws.com");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k/1", &size), 0);
	CHECK_EQU(size, 5);
	CHECK(strstr(F.last, "HEAD http://mybkt.s3.us-east-2.amazonaws.com/k/1 HTTP/1.1\r\n") == F.last);
	CHECK(strstr(F.last, "/us-east-2/s3/aws4_request") != NULL);
	store_close(s);

	/* path-style AWS input still goes virtual-host */
	s = fake_open("http://s3.eu-west-1.amazonaws.com/other");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k/2", &size), 0);
	CHECK(strstr(F.last, "HEAD http://other.s3.eu-west-1.amazonaws.com/k/2 HTTP/1.1\r\n") == F.last);
	CHECK(strstr(F.last, "/eu-west-1/s3/aws4_request") != NULL);
	store_close(s);

	/* s3-REGION and the global endpoint */
	s = fake_open("http://b3.s3-ap-south-1.amazonaws.com");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k", &size), 0);
	CHECK(strstr(F.last, "/ap-south-1/s3/aws4_request") != NULL);
	store_close(s);
	s = fake_open("http://b4.s3.amazonaws.com");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k", &size), 0);
	CHECK(strstr(F.last, "HEAD http://b4.s3.amazonaws.com/k HTTP/1.1\r\n") == F.last);
	CHECK(strstr(F.last, "/us-east-1/s3/aws4_request") != NULL);
	store_close(s);

	/* a compatible endpoint: path-style unless JFS_S3_VHOST_STYLE */
	s = fake_open("http://minio.example.com:9000/bk5");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k", &size), 0);
	CHECK(strstr(F.last, "HEAD http://minio.example.com:9000/bk5/k HTTP/1.1\r\n") == F.last);
	store_close(s);
	setenv("JFS_S3_VHOST_STYLE", "1", 1);
	s = fake_open("http://minio.example.com:9000/bk6");
	unsetenv("JFS_S3_VHOST_STYLE");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k", &size), 0);
	CHECK(strstr(F.last, "HEAD http://bk6.minio.example.com:9000/k HTTP/1.1\r\n") == F.last);
	store_close(s);
	setenv("JFS_S3_VHOST_STYLE", "false", 1);
	s = fake_open("http://bk7.minio.example.com");
	unsetenv("JFS_S3_VHOST_STYLE");
	REQUIRE(s != NULL);
	CHECK_EQ(s->ops->head(s, "k", &size), 0);
	CHECK(strstr(F.last, "HEAD http://minio.example.com/bk7/k HTTP/1.1\r\n") == F.last);
	store_close(s);

	unsetenv("http_proxy");
}

#define SLOWDOWN_XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>" \
	"<Message>Please reduce your request rate.</Message></Error>"

static char slowdown[512];

static void test_wire_retries(void)
{
	struct store *s;
	char buf[8];
	size_t got;

	snprintf(slowdown, sizeof(slowdown), "HTTP/1.1 503 Slow Down\r\nContent-Type: "
		 "application/xml\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(SLOWDOWN_XML), SLOWDOWN_XML);
	setenv("JFS_S3_RETRIES", "3", 1);
	setenv("JFS_S3_RETRY_BASE_MS", "1", 1);
	s = fake_open("http://127.0.0.1:%d/bkt");
	unsetenv("JFS_S3_RETRIES");
	unsetenv("JFS_S3_RETRY_BASE_MS");
	REQUIRE(s != NULL);

	fake_script(slowdown);
	CHECK_EQ(s->ops->put(s, "myvol/chunks/0/0/1_0_4096", "x", 1), -EIO);
	CHECK_EQ(F.nreq, 3);
	CHECK_STR(jfs_errmsg(), "s3 PUT myvol/chunks/0/0/1_0_4096: 503 SlowDown "
		  "(Please reduce your request rate.) after 3 attempts");

	fake_script("HTTP/1.1 429 Too Many\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	CHECK_EQ(s->ops->get(s, "k", 0, 4, buf, &got), -EIO);
	CHECK_EQ(F.nreq, 3);

	/* a failure that passes: the body of the last attempt, only */
	fake_seq(3, slowdown, "HTTP/1.1 500 Oops\r\nContent-Length: 3\r\nConnection: close"
		 "\r\n\r\nbad", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close"
		 "\r\n\r\ngood");
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(s->ops->get(s, "k", 0, 4, buf, &got), 0);
	CHECK_EQ(F.nreq, 3);
	CHECK_EQU(got, 4);
	CHECK_MEM(buf, "good", 4);

	/* 4xx other than 429: at once, no retry */
	fake_script("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	CHECK_EQ(s->ops->get(s, "k", 0, 4, buf, &got), -EIO);
	CHECK_EQ(F.nreq, 1);
	CHECK_STR(jfs_errmsg(), "s3 GET k: 400 BadRequest");
	fake_script("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	CHECK_EQ(s->ops->delete(s, "k"), -EACCES);
	CHECK_EQ(F.nreq, 1);
	store_close(s);
}

#define NO_BUCKET "<Error><Code>NoSuchBucket</Code><Message>no</Message></Error>"

static void test_wire_create(void)
{
	struct store *s;

	setenv("AWS_REGION", "eu-test-1", 1);
	s = fake_open("http://127.0.0.1:%d/newbkt");
	unsetenv("AWS_REGION");
	REQUIRE(s != NULL);
	/* listable: there already */
	fake_script(reply(0, "200 OK", "", "<ListBucketResult></ListBucketResult>"));
	CHECK_EQ(s->ops->create(s), 0);
	CHECK_EQ(F.nreq, 1);
	CHECK(strstr(F.last, "GET /newbkt?encoding-type=url&list-type=2&max-keys=1&prefix= ")
	      == F.last);
	/* missing: made, in the region */
	fake_seq(2, reply(0, "404 Not Found", "", NO_BUCKET), OK_EMPTY, NULL);
	CHECK_EQ(s->ops->create(s), 0);
	CHECK_EQ(F.nreq, 2);
	CHECK(strstr(F.last, "PUT /newbkt HTTP/1.1\r\n") == F.last);
	/* the LocationConstraint document, 153 bytes for eu-test-1 */
	CHECK(strcasestr(F.last, "\r\nContent-Length: 153\r\n") != NULL);
	/* made meanwhile, by us or by someone */
	fake_seq(2, reply(0, "404 Not Found", "", NO_BUCKET), reply(1, "409 Conflict", "",
		 "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>"), NULL);
	CHECK_EQ(s->ops->create(s), 0);
	fake_seq(2, reply(0, "404 Not Found", "", NO_BUCKET), reply(1, "409 Conflict", "",
		 "<Error><Code>BucketAlreadyExists</Code></Error>"), NULL);
	CHECK_EQ(s->ops->create(s), 0);
	/* other conflicts and refusals are errors */
	fake_seq(2, reply(0, "404 Not Found", "", NO_BUCKET), reply(1, "409 Conflict", "",
		 "<Error><Code>OperationAborted</Code></Error>"), NULL);
	CHECK_EQ(s->ops->create(s), -EIO);
	CHECK(strstr(jfs_errmsg(), "s3 PUT newbkt: 409 OperationAborted") != NULL);
	fake_seq(2, reply(0, "404 Not Found", "", NO_BUCKET), reply(1, "403 Forbidden", "",
		 "<Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>"),
		 NULL);
	CHECK_EQ(s->ops->create(s), -EACCES);
	CHECK_STR(jfs_errmsg(), "s3 PUT newbkt: 403 AccessDenied (Access Denied.)");
	store_close(s);
}

static void test_wire_bad_answers(void)
{
	struct store *s;
	char buf[16];
	size_t got;
	int n = 0;

	setenv("JFS_S3_RETRIES", "2", 1);
	setenv("JFS_S3_RETRY_BASE_MS", "1", 1);
	s = fake_open("http://127.0.0.1:%d/bkt");
	unsetenv("JFS_S3_RETRIES");
	unsetenv("JFS_S3_RETRY_BASE_MS");
	REQUIRE(s != NULL);

	/* a server ignoring Range: the asked-for bytes are picked out */
	fake_script("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789");
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(s->ops->get(s, "k", 3, 4, buf, &got), 0);
	CHECK(strstr(F.last, "\r\nRange: bytes=3-6\r\n") != NULL);
	CHECK_EQU(got, 4);
	CHECK_MEM(buf, "3456#", 5);
	CHECK_EQ(s->ops->get(s, "k", 8, 4, buf, &got), 0);
	CHECK_EQU(got, 2);
	CHECK_MEM(buf, "89", 2);
	CHECK_EQ(s->ops->get(s, "k", 12, 4, buf, &got), 0);
	CHECK_EQU(got, 0);

	/* more bytes than asked never pass len */
	fake_script("HTTP/1.1 206 Partial\r\nContent-Range: bytes 2-11/20\r\n"
		    "Content-Length: 10\r\nConnection: close\r\n\r\nabcdefghij");
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(s->ops->get(s, "k", 2, 3, buf, &got), 0);
	CHECK_EQU(got, 3);
	CHECK_MEM(buf, "abc#", 4);

	/* a 206 for another offset is refused */
	CHECK_EQ(s->ops->get(s, "k", 5, 3, buf, &got), -EIO);
	CHECK(strstr(jfs_errmsg(), "Content-Range") != NULL);

	/* a body cut short is retried, then reported */
	fake_script("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234");
	CHECK_EQ(s->ops->get(s, "k", 0, 10, buf, &got), -EIO);
	CHECK_EQ(F.nreq, 2);
	CHECK(strstr(jfs_errmsg(), "s3 GET k: ") == jfs_errmsg());

	/* HEAD without a length */
	fake_script("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	{
		uint64_t size;

		CHECK_EQ(s->ops->head(s, "k", &size), -EIO);
	}

	/* a truncated listing with no token to go on must not loop */
	fake_script(reply(0, "200 OK", "", "<ListBucketResult><IsTruncated>true"
			  "</IsTruncated><Contents><Key>p/a</Key><Size>1</Size>"
			  "</Contents></ListBucketResult>"));
	CHECK_EQ(s->ops->list(s, "p/", count_key, &n), -EIO);
	CHECK_EQ(n, 1);
	CHECK(strstr(jfs_errmsg(), "continuation") != NULL);
	CHECK(strstr(F.last, "GET /bkt?encoding-type=url&list-type=2&max-keys=1000&prefix=p%2F "
		     "HTTP/1.1\r\n") == F.last);

	/* keys outside the prefix and garbage are errors, not entries */
	fake_script(reply(0, "200 OK", "", "<ListBucketResult><Contents><Key>q/a"
			  "</Key><Size>1</Size></Contents></ListBucketResult>"));
	n = 0;
	CHECK_EQ(s->ops->list(s, "p/", count_key, &n), -EIO);
	CHECK_EQ(n, 0);
	CHECK(strstr(jfs_errmsg(), "outside the prefix") != NULL);
	fake_script(reply(0, "200 OK", "", "<ListBucketResult><Contents><Key>p/a"
			  "</Key><Size>-1</Size></Contents></ListBucketResult>"));
	CHECK_EQ(s->ops->list(s, "p/", count_key, &n), -EIO);
	CHECK_EQ(n, 0);
	fake_script(reply(0, "200 OK", "", "not <xml>"));
	CHECK_EQ(s->ops->list(s, "p/", count_key, &n), -EIO);
	/* url-encoded keys, as asked, are decoded; then the next page */
	fake_script(reply(0, "200 OK", "", "<ListBucketResult><EncodingType>url"
			  "</EncodingType><Contents><Key>p/a+b%2Bc%25</Key><Size>7</Size>"
			  "</Contents></ListBucketResult>"));
	{
		struct seen seen = { .n = 0 };

		CHECK_EQ(s->ops->list(s, "p/", collect, &seen), 0);
		CHECK_EQ(seen.n, 1);
		CHECK(seen_has(&seen, "p/a b+c%", 7));
	}
	store_close(s);
}

int main(void)
{
	const char *bin = find_minio();

	/* the requests here are all local */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("JFS_S3_VHOST_STYLE");
	setenv("ACCESS_KEY", USER, 1);
	setenv("SECRET_KEY", SECRET, 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	check_name = "fake_server";
	if (fake_start()) {
		check_fail(__FILE__, __LINE__, "cannot start the fake HTTP server");
		return 1;
	}
	RUN(test_front_end);
	RUN(test_wire_put);
	RUN(test_wire_aws_urls);
	RUN(test_wire_retries);
	RUN(test_wire_create);
	RUN(test_wire_bad_answers);
	RUN(test_retry_closed_port);
	RUN(test_hung_server);
	fake_stop();

	check_name = "minio";
	if (!bin) {
		check_fail(__FILE__, __LINE__, "no MinIO binary: set JFS_MINIO or build "
			   "/var/cache/jfs-minio/bin/minio (tools/install-deps.sh)");
		return 1;
	}
	if (start_minio(bin)) {
		check_fail(__FILE__, __LINE__, "cannot start %s (log in %s/minio.log)",
			   bin, tmpdir);
		stop_minio();
		return 1;
	}
	RUN(test_create_bucket);
	RUN(test_put_get_whole);
	RUN(test_range_get);
	RUN(test_head);
	RUN(test_delete);
	RUN(test_list_paging);
	RUN(test_keys_needing_encoding);
	RUN(test_wrong_credentials);
	RUN(test_env_credentials);
	RUN(test_threads);
	RUN(test_connection_reuse);
	RUN(test_big_object);
	store_close(S);
	stop_minio();

	check_name = "minio-tls";
	minio_tls = true;
	if (start_minio(bin)) {
		check_fail(__FILE__, __LINE__, "cannot start %s with TLS (log in %s/minio.log)",
			   bin, tmpdir);
		stop_minio();
		return 1;
	}
	RUN(test_https);
	stop_minio();
	curl_global_cleanup();
	return check_done();
}
