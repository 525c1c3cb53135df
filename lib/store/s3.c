/*
 * s3.c - the "s3" object store: Amazon S3 and compatible servers
 * (MinIO, Ceph RGW, ...) over libcurl, addressed as JuiceFS spells the
 * bucket (pkg/object/s3.go):
 *
 *   http://127.0.0.1:9000/NAME               path-style, any endpoint
 *   https://NAME.s3.us-east-2.amazonaws.com  virtual-host style, AWS
 *   https://s3.us-east-2.amazonaws.com/NAME  the same bucket
 *
 * AWS endpoints use virtual-host style; other endpoints path-style unless
 * JFS_S3_VHOST_STYLE is set (and not "0"/"false").  The region comes from
 * an AWS host name, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4) with an unsigned
 * payload, as JuiceFS does.  libcurl 7.88 signs the path and query as
 * they appear in the URL, so both are built here already in the S3
 * canonical form: RFC 3986 unreserved bytes kept, the rest %XX, query
 * parameters sorted by name.
 *
 * Threads: a transfer needs an easy handle of its own, and libcurl does
 * not support one connection cache shared by concurrent threads
 * (CURLSHOPT_SHARE, KNOWN_BUGS "A shared connection cache is not
 * thread-safe").  So idle easy handles wait in a pool, each keeping its
 * keep-alive connections; a worker borrows one per request.  Only the DNS
 * and TLS session caches are shared, under locks.
 *
 * Environment (read at open):
 *   JFS_S3_RETRIES        attempts per request (10)
 *   JFS_S3_RETRY_BASE_MS  first backoff delay, doubled per attempt (100)
 *   JFS_S3_RETRY_MAX_MS   backoff cap (10000)
 *   JFS_S3_IO_TIMEOUT     seconds below 1 KiB/s before a transfer is
 *                         declared hung (30)
 *   JFS_S3_LIST_MAX       keys per ListObjectsV2 page, 1..1000 (1000)
 * Credentials not passed in come from ACCESS_KEY / SECRET_KEY, then
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store/store.h"
#include "util/url.h"

#define DEFAULT_REGION	"us-east-1"
#define POOL_MAX	64		/* idle easy handles kept */
#define ERR_BODY_MAX	(64 << 10)	/* error XML kept for the message */
#define LIST_BODY_MAX	(32 << 20)	/* a ListObjectsV2 page */
#define CONNECT_TIMEOUT_MS 10000L
#define LOW_SPEED_BYTES	1024L

struct s3_store {
	struct store base;
	char *urlbase;		/* "scheme://host[:port]" requests go to */
	char *bucket;
	bool vhost;		/* bucket in the host name, not the path */
	char sigv4[96];		/* "aws:amz:REGION:s3" */
	char *access_key;	/* NULL: anonymous, unsigned requests */
	char *secret_key;
	char *token_hdr;	/* "x-amz-security-token: ..." or NULL */
	char *ca_file;		/* SSL_CERT_FILE: CAs for https, else the system's */
	int attempts;
	long retry_base_ms, retry_max_ms;
	long io_timeout;
	int list_max;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *idle[POOL_MAX];
	int nidle;
};

/* One S3 request and what came back. */
struct req {
	const char *method;	/* "GET", "PUT", ... */
	const char *op;		/* for messages: the method, or "LIST" */
	const char *key;	/* the object (or "" for the bucket) */
	char *url;
	struct curl_slist *hdrs;
	bool nobody;		/* HEAD */
	CURL *h;
	/* the request body, sent from the caller's buffer */
	const char *up;
	size_t uplen;
	/* a 2xx GET body goes to dst[0, cap): the bytes from off on */
	char *dst;
	size_t cap, got;
	uint64_t off;
	uint64_t skip;		/* body bytes before off (Range ignored) */
	bool started;		/* the body has begun */
	bool enough;		/* dst is full; the rest was not wanted */
	bool overrun;		/* a 2xx body past body_max */
	uint64_t range_start;	/* from Content-Range, if have_range */
	bool have_range;
	/* other bodies (errors, listings), up to body_max */
	char *body;
	size_t blen, bcap, body_max;
	long status;
	curl_off_t clen;	/* Content-Length, -1 if none */
	char curl_err[CURL_ERROR_SIZE];
};

static struct s3_store *to_s3(struct store *s)
{
	return (struct s3_store *)s;
}

/* ---- set-up ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();	/* must precede threaded use of libxml2 */
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
		       void *arg)
{
	struct s3_store *s = arg;

	if (data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&s->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	struct s3_store *s = arg;

	if (data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&s->share_locks[data]);
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min)
		return def;
	return n > max ? max : n;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") && strcasecmp(v, "false");
}

static const char *env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * JuiceFS's parseRegion(): "s3.us-east-2.amazonaws.com" -> "us-east-2",
 * "s3-eu-west-1.amazonaws.com" -> "eu-west-1", "s3.amazonaws.com" and
 * "s3-external-1..." -> us-east-1.
 */
static void aws_region(const char *ep, char *region, size_t size)
{
	size_t n;

	if (!strncmp(ep, "s3-", 3) || !strncmp(ep, "s3.", 3))
		ep += 3;
	if (!strncmp(ep, "dualstack.", 10))
		ep += 10;
	n = strcspn(ep, ".");
	if (!strcmp(ep, "amazonaws.com") || !strncmp(ep, "amazonaws.com:", 14) ||
	    (n == 10 && !strncmp(ep, "external-1", 10)) || !n)
		snprintf(region, size, "%s", DEFAULT_REGION);
	else
		snprintf(region, size, "%.*s", (int)n, ep);
}

static bool is_aws(const char *host)
{
	return strstr(host, ".amazonaws.com") != NULL;
}

/* "10.0.0.1" or "[::1]": no bucket can be in such a host name */
static bool is_ip(const char *host)
{
	return host[0] == '[' || strspn(host, "0123456789.") == strlen(host);
}

/* The bucket URL as shown: any password in it replaced (url_redact) */
static int bad_bucket(const char *bucket, const char *why)
{
	char shown[512];

	if (url_redact(bucket, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "(too long)");
	jfs_seterr("store", "s3 store: invalid bucket URL '%s': %s", shown, why);
	return -EINVAL;
}

/* s->urlbase: the endpoint, with the bucket in front of the host if vhost */
static int make_base(struct s3_store *s, const char *scheme, const char *ep,
		     const char *port)
{
	CURLU *u = curl_url();
	char *host = NULL, *url = NULL;
	int ret = -ENOMEM;

	if (!u || (s->vhost && asprintf(&host, "%s.%s", s->bucket, ep) < 0)) {
		host = NULL;
		goto out;
	}
	ret = -EINVAL;
	if (curl_url_set(u, CURLUPART_SCHEME, scheme, 0) ||
	    curl_url_set(u, CURLUPART_HOST, s->vhost ? host : ep, 0) ||
	    (port && curl_url_set(u, CURLUPART_PORT, port, 0)) ||
	    curl_url_get(u, CURLUPART_URL, &url, 0))
		goto out;
	/* "http://host:port/": the path is ours to add */
	s->urlbase = strndup(url, strlen(url) - (url[strlen(url) - 1] == '/'));
	ret = s->urlbase ? 0 : -ENOMEM;
out:
	curl_free(url);
	free(host);
	curl_url_cleanup(u);
	return ret;
}

/* JuiceFS: a bare host is http, unless it is AWS (or has no dots) */
static char *with_scheme(const char *bucket)
{
	size_t n = strlen(bucket);
	bool aws = n > 14 && !strcmp(bucket + n - 14, ".amazonaws.com");
	char *url;

	if (strstr(bucket, "://"))
		return strdup(bucket);
	if (asprintf(&url, "%s://%s", strchr(bucket, '.') && !aws ? "http" : "https",
		     bucket) < 0)
		return NULL;
	return url;
}

/*
 * Splits a JuiceFS bucket URL into the endpoint (scheme, host, port),
 * the bucket name, the addressing style and the region.
 */
static int parse_bucket(struct s3_store *s, const char *bucket)
{
	char *url = with_scheme(bucket), *scheme = NULL, *host = NULL;
	char *port = NULL, *path = NULL, region[64] = "";
	const char *ep, *name_end, *why = "not an http(s) URL";
	CURLU *u = curl_url();
	int ret = -ENOMEM;

	if (!url || !u)
		goto out;
	ret = -EINVAL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0))
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0))
		port = NULL;

	if (path[0] == '/' && path[1] && path[1] != '/') {
		/* [ENDPOINT]/[BUCKET][/...] */
		name_end = path + 1 + strcspn(path + 1, "/");
		s->bucket = strndup(path + 1, name_end - path - 1);
		ep = host;
		if (is_aws(host))
			aws_region(host, region, sizeof(region));
	} else if (is_aws(host) && strstr(host, ".s3")) {
		/* [BUCKET].s3[-.][REGION].amazonaws.com */
		name_end = strstr(host, ".s3");
		s->bucket = strndup(host, name_end - host);
		ep = name_end + 1;
		aws_region(ep, region, sizeof(region));
	} else if (strchr(host, '.') && !is_ip(host)) {
		/* [BUCKET].[ENDPOINT] */
		name_end = strchr(host, '.');
		s->bucket = strndup(host, name_end - host);
		ep = name_end + 1;
	} else {
		why = "no bucket name in it";
		goto out;
	}
	ret = -ENOMEM;
	if (!s->bucket)
		goto out;
	ret = -EINVAL;
	why = "bad bucket name";
	if (!s->bucket[0] || strpbrk(s->bucket, "%?#"))
		goto out;

	/* AWS: virtual-host style, except for names not valid as a host */
	if (is_aws(ep))
		s->vhost = !strchr(s->bucket, '.');
	else
		s->vhost = env_true("JFS_S3_VHOST_STYLE");
	if (!region[0])
		snprintf(region, sizeof(region), "%s",
			 env_str("AWS_REGION") ? env_str("AWS_REGION") :
			 env_str("AWS_DEFAULT_REGION") ? env_str("AWS_DEFAULT_REGION") :
			 DEFAULT_REGION);
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%.60s:s3", region);
	why = "bad endpoint host";
	ret = make_base(s, scheme, ep, port);
out:
	if (ret == -EINVAL)
		bad_bucket(bucket, why);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	free(url);
	return ret;
}

/* Arguments first, then ACCESS_KEY, then the AWS variables. */
static int set_credentials(struct s3_store *s, const char *ak, const char *sk)
{
	const char *token = NULL;

	if (!ak || !*ak) {
		if (env_str("ACCESS_KEY")) {
			ak = env_str("ACCESS_KEY");
			sk = getenv("SECRET_KEY");
		} else {
			ak = env_str("AWS_ACCESS_KEY_ID");
			sk = getenv("AWS_SECRET_ACCESS_KEY");
			token = env_str("AWS_SESSION_TOKEN");
		}
	}
	if (!ak || !strcmp(ak, "anonymous"))
		return 0;
	s->access_key = strdup(ak);
	s->secret_key = strdup(sk ? sk : "");
	if (!s->access_key || !s->secret_key)
		return -ENOMEM;
	if (token && asprintf(&s->token_hdr, "x-amz-security-token: %s", token) < 0) {
		s->token_hdr = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int init_share(struct s3_store *s)
{
	int i;

	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->share_locks[i], NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	s->share = curl_share_init();
	if (!s->share ||
	    curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(s->share, CURLSHOPT_USERDATA, s) ||
	    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		return -ENOMEM;
	return 0;
}

static void free_secret(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

static void s3_close(struct store *st)
{
	struct s3_store *s = to_s3(st);
	int i;

	for (i = 0; i < s->nidle; i++)
		curl_easy_cleanup(s->idle[i]);
	if (s->share)
		curl_share_cleanup(s->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_locks[i]);
	pthread_mutex_destroy(&s->pool_lock);
	free(s->urlbase);
	free(s->ca_file);
	free(s->bucket);
	free(s->access_key);
	free_secret(s->secret_key);
	free_secret(s->token_hdr);
	free(s);
}

static int s3_open(const char *bucket, const char *access_key,
		   const char *secret_key, struct store **sp)
{
	struct s3_store *s;
	int ret;

	*sp = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc) {
		jfs_seterr("store", "s3 store: libcurl init failed: %s",
				 curl_easy_strerror(global_rc));
		return -EIO;
	}
	if (!bucket || !*bucket) {
		jfs_seterr("store", "s3 store: no bucket URL");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		jfs_seterr("store", "s3 store: out of memory");
		return -ENOMEM;
	}
	s->base.ops = &store_s3_ops;
	s->attempts = env_long("JFS_S3_RETRIES", 10, 1, 1000);
	s->retry_base_ms = env_long("JFS_S3_RETRY_BASE_MS", 100, 0, 60000);
	s->retry_max_ms = env_long("JFS_S3_RETRY_MAX_MS", 10000, 0, 600000);
	s->io_timeout = env_long("JFS_S3_IO_TIMEOUT", 30, 1, 3600);
	s->list_max = env_long("JFS_S3_LIST_MAX", 1000, 1, 1000);
	/* OpenSSL's and Go's variable: a private CA works for juicefs and us alike */
	if (env_str("SSL_CERT_FILE") && !(s->ca_file = strdup(env_str("SSL_CERT_FILE")))) {
		free(s);
		jfs_seterr("store", "s3 store: out of memory");
		return -ENOMEM;
	}
	ret = init_share(s);
	if (!ret)
		ret = parse_bucket(s, bucket);
	if (!ret)
		ret = set_credentials(s, access_key, secret_key);
	if (ret) {
		if (ret == -ENOMEM)
			jfs_seterr("store", "s3 store: out of memory");
		s3_close(&s->base);
		return ret;
	}
	*sp = &s->base;
	return 0;
}

/* ---- URLs ---- */

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* S3's URI encoding; '/' is kept when keep_slash (paths, not queries). */
static char *uri_encode(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = *s;

		if (unreserved(c) || (keep_slash && c == '/')) {
			*p++ = c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/*
 * urlbase + "/bucket/key" (or "/key" for vhost) + "?query"; key NULL = the
 * bucket itself.  Joined as text: curl's URL API would lowercase the %XX
 * escapes, and S3 signs (and checks) them as uppercase.
 */
static char *make_url(struct s3_store *s, const char *key, const char *query)
{
	char *ekey = uri_encode(key ? key : "", true), *url;
	int n;

	if (!ekey)
		return NULL;
	if (s->vhost)
		n = asprintf(&url, "%s/%s%s%s", s->urlbase, ekey, query ? "?" : "",
			     query ? query : "");
	else
		n = asprintf(&url, "%s/%s%s%s%s%s", s->urlbase, s->bucket,
			     key ? "/" : "", ekey, query ? "?" : "", query ? query : "");
	free(ekey);
	return n < 0 ? NULL : url;
}

/* ---- transfers ---- */

static int oom(struct req *r)
{
	jfs_seterr("store", "s3 %s %s: out of memory", r->op, r->key);
	return -ENOMEM;
}

static bool body_append(struct req *r, const char *p, size_t n)
{
	if (r->blen + n > r->body_max)
		return false;
	if (r->blen + n + 1 > r->bcap) {
		size_t cap = r->bcap ? r->bcap : 4096;
		char *b;

		while (cap < r->blen + n + 1)
			cap *= 2;
		b = realloc(r->body, cap);
		if (!b)
			return false;
		r->body = b;
		r->bcap = cap;
	}
	memcpy(r->body + r->blen, p, n);
	r->blen += n;
	r->body[r->blen] = '\0';
	return true;
}

/* A 2xx GET body: straight into the caller's buffer, never past cap. */
static size_t to_dst(struct req *r, const char *p, size_t n)
{
	size_t room = r->cap - r->got, all = n, take;

	if (!r->started) {
		/* 200 to a ranged GET: the server sent the whole object */
		r->started = true;
		r->skip = r->status == 200 ? r->off : 0;
	}
	if (r->skip) {
		take = r->skip < n ? r->skip : n;
		r->skip -= take;
		p += take;
		n -= take;
	}
	take = n < room ? n : room;
	memcpy(r->dst + r->got, p, take);
	r->got += take;
	if (take < n) {
		r->enough = true;	/* stop the transfer; we have it all */
		return 0;
	}
	return all;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t n = size * nmemb;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->dst && r->status / 100 == 2)
		return to_dst(r, p, n);
	if (!body_append(r, p, n)) {
		if (r->status / 100 != 2)
			return n;	/* an error body: the head is enough */
		r->overrun = true;
		return 0;
	}
	return n;
}

/* "Content-Range: bytes START-END/TOTAL" tells where a 206 body starts. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t n = size * nmemb;
	char line[128], *end;

	if (n < 14 || n >= sizeof(line) || strncasecmp(p, "Content-Range:", 14))
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	p = line + 14;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "bytes ", 6) || !isdigit((unsigned char)p[6]))
		return n;
	errno = 0;
	r->range_start = strtoull(p + 6, &end, 10);
	r->have_range = !errno && *end == '-';
	return n;
}

static CURL *handle_get(struct s3_store *s)
{
	CURL *h = NULL;

	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle)
		h = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->pool_lock);
	return h ? h : curl_easy_init();
}

/* The last used handle is the next one lent: its connection is warm. */
static void handle_put(struct s3_store *s, CURL *h)
{
	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle < POOL_MAX) {
		s->idle[s->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&s->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

static CURLcode setup(struct s3_store *s, struct req *r)
{
	CURL *h = r->h;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (!rc) rc = curl_easy_setopt(h, opt, val); } while (0)
	curl_easy_reset(h);	/* keeps the connections, drops old options */
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PATH_AS_IS, 1L);	/* keys are not file paths */
	SET(CURLOPT_SHARE, s->share);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	/* a hung server, not a slow transfer, is what to give up on */
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, s->io_timeout);
	SET(CURLOPT_ERRORBUFFER, r->curl_err);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_HTTPHEADER, r->hdrs);
	if (s->ca_file)
		SET(CURLOPT_CAINFO, s->ca_file);
	if (s->access_key) {
		SET(CURLOPT_AWS_SIGV4, s->sigv4);
		SET(CURLOPT_USERNAME, s->access_key);
		SET(CURLOPT_PASSWORD, s->secret_key);
	}
	if (r->nobody) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (r->up) {
		/*
		 * A PUT of a buffer, not CURLOPT_UPLOAD: that would send
		 * "Expect: 100-continue" for every body, a round trip each
		 * time, and libcurl 7.88 would sign an "Expect:" that turned
		 * it off.  This way only bodies over 1 MiB wait for it.
		 */
		SET(CURLOPT_CUSTOMREQUEST, r->method);
		SET(CURLOPT_POSTFIELDS, r->up);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->uplen);
	} else if (strcmp(r->method, "GET")) {
		SET(CURLOPT_CUSTOMREQUEST, r->method);
	}
#undef SET
	return rc;
}

static bool retry_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool retry_status(long status)
{
	return status >= 500 || status == 429;
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static void backoff(struct s3_store *s, int attempt)
{
	long ms = s->retry_base_ms;
	unsigned int rnd = 0;
	struct timespec ts;

	while (--attempt > 0 && ms < s->retry_max_ms)
		ms *= 2;
	if (ms > s->retry_max_ms)
		ms = s->retry_max_ms;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (unsigned int)time(NULL);
	ms = ms / 2 + (ms ? rnd % (ms / 2 + 1) : 0);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* " after N attempts", when there was more than one */
static const char *attempts_note(int n, char *buf, size_t size)
{
	if (n > 1)
		snprintf(buf, size, " after %d attempts", n);
	else
		buf[0] = '\0';
	return buf;
}

/*
 * Sends r until it gets a final answer: 0 with r->status set for any
 * HTTP response (callers judge it), or -EIO/-ENOMEM with the message set
 * when no usable response came.
 */
static int perform(struct s3_store *s, struct req *r)
{
	char note[40];
	CURLcode rc;
	int attempt;

	for (attempt = 1;; attempt++) {
		r->h = handle_get(s);
		if (!r->h)
			return oom(r);
		r->status = 0;
		r->got = r->blen = 0;
		r->started = r->enough = r->overrun = r->have_range = false;
		r->skip = 0;
		r->curl_err[0] = '\0';
		rc = setup(s, r);
		if (!rc)
			rc = curl_easy_perform(r->h);
		if (rc == CURLE_WRITE_ERROR && r->enough)
			rc = CURLE_OK;
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
		if (curl_easy_getinfo(r->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->clen))
			r->clen = -1;
		curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, NULL);
		handle_put(s, r->h);
		r->h = NULL;
		if (r->overrun) {
			jfs_seterr("store", "s3 %s %s: %ld: response body too large",
					 r->op, r->key, r->status);
			return -EIO;
		}
		if (rc == CURLE_OK && !retry_status(r->status))
			return 0;
		if (attempt >= s->attempts ||
		    (rc != CURLE_OK && !retry_curl(rc)))
			break;
		backoff(s, attempt);
	}
	if (rc == CURLE_OK)
		return 0;	/* a 5xx after the last attempt: the caller says it */
	attempts_note(attempt, note, sizeof(note));
	jfs_seterr("store", "s3 %s %s: %s (%s)%s", r->op, r->key,
			 curl_easy_strerror(rc),
			 r->curl_err[0] ? r->curl_err : "no detail", note);
	return -EIO;
}

/* ---- XML ---- */

static xmlDocPtr parse_xml(const char *buf, size_t len)
{
	if (!buf || !len || len > INT_MAX)
		return NULL;
	return xmlReadMemory(buf, (int)len, "s3.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
			     XML_PARSE_NOWARNING);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name, xmlNodePtr after)
{
	xmlNodePtr n = after ? after->next : parent->children;

	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

/* The text of parent's child `name` into buf; false if absent. */
static bool child_text(xmlNodePtr parent, const char *name, char *buf, size_t size)
{
	xmlNodePtr n = child(parent, name, NULL);
	xmlChar *t;

	buf[0] = '\0';
	if (!n)
		return false;
	t = xmlNodeGetContent(n);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
	xmlFree(t);
	return true;
}

/* <Error><Code>..</Code><Message>..</Message></Error> */
static void error_xml(struct req *r, char *code, size_t csize, char *msg, size_t msize)
{
	xmlDocPtr doc = parse_xml(r->body, r->blen);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	code[0] = msg[0] = '\0';
	if (root && !strcmp((const char *)root->name, "Error")) {
		child_text(root, "Code", code, csize);
		child_text(root, "Message", msg, msize);
	}
	xmlFreeDoc(doc);
}

static const char *status_name(long status)
{
	switch (status) {
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 409: return "Conflict";
	case 416: return "InvalidRange";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	default: return "";
	}
}

/* An S3 error answer: errno by status, detail by the error XML. */
static int http_error(struct s3_store *s, struct req *r, int attempts)
{
	char code[128], msg[512], note[40];

	error_xml(r, code, sizeof(code), msg, sizeof(msg));
	if (!code[0])
		snprintf(code, sizeof(code), "%s", status_name(r->status));
	attempts_note(attempts, note, sizeof(note));
	jfs_seterr("store", "s3 %s %s: %ld %s%s%.400s%s%s", r->op, r->key,
			 r->status, code, msg[0] ? " (" : "", msg,
			 msg[0] ? ")" : "", note);
	if (r->status == 404)
		return -ENOENT;
	if (r->status == 403)
		return -EACCES;
	return -EIO;
}

/* After perform(): 0 on 2xx, else the error. */
static int result(struct s3_store *s, struct req *r)
{
	if (r->status / 100 == 2)
		return 0;
	return http_error(s, r, retry_status(r->status) ? s->attempts : 1);
}

/* ---- requests ---- */

static int req_init(struct s3_store *s, struct req *r, const char *method,
		    const char *key, const char *query)
{
	memset(r, 0, sizeof(*r));
	r->method = r->op = method;
	r->key = key ? key : "";
	r->body_max = ERR_BODY_MAX;
	r->url = make_url(s, key, query);
	if (!r->url)
		return oom(r);
	/* libcurl signs with this value instead of hashing the body */
	if (!(r->hdrs = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD")))
		return oom(r);
	if (s->token_hdr && !curl_slist_append(r->hdrs, s->token_hdr))
		return oom(r);
	return 0;
}

static int req_header(struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int req_header(struct req *r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return curl_slist_append(r->hdrs, line) ? 0 : oom(r);
}

static void req_free(struct req *r)
{
	free(r->url);
	curl_slist_free_all(r->hdrs);
	free(r->body);
}

static int check_key(const char *op, const char *key)
{
	if (key && *key)
		return 0;
	jfs_seterr("store", "s3 %s: empty object key", op);
	return -EINVAL;
}

static int s3_put(struct store *st, const char *key, const void *buf, size_t len)
{
	struct s3_store *s = to_s3(st);
	struct req r;
	int ret = check_key("PUT", key);

	if (ret)
		return ret;
	ret = req_init(s, &r, "PUT", key, NULL);
	if (!ret)
		ret = req_header(&r, "Content-Type: application/octet-stream");
	if (!ret) {
		r.up = len ? buf : "";
		r.uplen = len;
		ret = perform(s, &r);
	}
	if (!ret)
		ret = result(s, &r);
	req_free(&r);
	return ret;
}


/* What a GET got back, checked against what was asked. */
static int get_result(struct s3_store *s, struct req *r, size_t *got)
{
	if (r->status == 416)	/* off at or past the end: nothing to read */
		return 0;
	if (r->status / 100 != 2)
		return result(s, r);
	if (r->status == 206 && (!r->have_range || r->range_start != r->off)) {
		jfs_seterr("store", "s3 GET %s: 206 for offset %" PRIu64
				 " without a matching Content-Range", r->key, r->off);
		return -EIO;
	}
	/* a whole-object 200 shorter than off leaves skip unspent: nothing */
	*got = r->skip ? 0 : r->got;
	return 0;
}

static int s3_get(struct store *st, const char *key, uint64_t off, size_t len,
		  void *buf, size_t *got)
{
	struct s3_store *s = to_s3(st);
	struct req r;
	int ret = check_key("GET", key);

	*got = 0;
	if (ret)
		return ret;
	if (len && off + len - 1 < off) {
		jfs_seterr("store", "s3 GET %s: range %" PRIu64 "+%zu overflows",
				 key, off, len);
		return -EINVAL;
	}
	ret = req_init(s, &r, "GET", key, NULL);
	if (!ret && len)
		ret = req_header(&r, "Range: bytes=%" PRIu64 "-%" PRIu64, off,
				 off + len - 1);
	else if (!ret && off)
		ret = req_header(&r, "Range: bytes=%" PRIu64 "-", off);
	if (!ret) {
		r.dst = buf;
		r.off = off;
		/* len 0: the caller sized buf for the rest of the object */
		r.cap = len ? len : SIZE_MAX;
		ret = perform(s, &r);
	}
	if (!ret)
		ret = get_result(s, &r, got);
	req_free(&r);
	return ret;
}

static int s3_head(struct store *st, const char *key, uint64_t *size)
{
	struct s3_store *s = to_s3(st);
	struct req r;
	int ret = check_key("HEAD", key);

	if (ret)
		return ret;
	ret = req_init(s, &r, "HEAD", key, NULL);
	if (!ret) {
		r.nobody = true;
		ret = perform(s, &r);
	}
	if (!ret)
		ret = result(s, &r);
	if (!ret && r.clen < 0) {
		jfs_seterr("store", "s3 HEAD %s: %ld without Content-Length",
				 key, r.status);
		ret = -EIO;
	} else if (!ret) {
		*size = r.clen;
	}
	req_free(&r);
	return ret;
}

static int s3_delete(struct store *st, const char *key)
{
	struct s3_store *s = to_s3(st);
	struct req r;
	int ret = check_key("DELETE", key);

	if (ret)
		return ret;
	ret = req_init(s, &r, "DELETE", key, NULL);
	if (!ret)
		ret = perform(s, &r);
	if (!ret && r.status != 404)	/* absent is success */
		ret = result(s, &r);
	req_free(&r);
	return ret;
}

/* ---- list ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* encoding-type=url keys, decoded in place as Go's url.QueryUnescape */
static bool url_decode(char *s)
{
	char *out = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '+') {
			*out++ = ' ';
		} else if (*s == '%') {
			hi = hexval(s[1]);
			lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0)
				return false;
			*out++ = hi << 4 | lo;
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
	return true;
}

struct lister {
	const char *prefix;
	int (*fn)(void *arg, const char *key, uint64_t size, int64_t mtime);
	void *arg;
	char *token;		/* NextContinuationToken, or NULL at the end */
};

static int bad_listing(struct req *r, const char *why, const char *what)
{
	jfs_seterr("store", "s3 LIST %s: %s%s%.300s%s", r->key, why,
			 what ? " '" : "", what ? what : "", what ? "'" : "");
	return -EIO;
}

/* <LastModified> "2026-12-06T16:00:00.000Z" as unix seconds; 0 when absent or bad */
static int64_t last_modified(xmlNodePtr c)
{
	char text[64];
	struct tm tm = { 0 };
	const char *end;

	if (!child_text(c, "LastModified", text, sizeof(text)))
		return 0;
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && *end != '.' && *end != 'Z'))
		return 0;
	return (int64_t)timegm(&tm);
}

/* One <Contents> entry to the caller. */
static int list_entry(struct lister *l, struct req *r, xmlNodePtr c, bool encoded)
{
	char size[32], *end;
	xmlChar *key;
	uint64_t n;
	int ret;

	if (!child(c, "Key", NULL) || !child_text(c, "Size", size, sizeof(size)))
		return bad_listing(r, "entry without Key or Size", NULL);
	errno = 0;
	n = strtoull(size, &end, 10);
	if (errno || end == size || *end || size[0] == '-')
		return bad_listing(r, "bad object size", size);
	key = xmlNodeGetContent(child(c, "Key", NULL));
	if (!key)
		return oom(r);
	if (encoded && !url_decode((char *)key))
		ret = bad_listing(r, "bad key encoding", (char *)key);
	else if (strncmp((char *)key, l->prefix, strlen(l->prefix)))
		ret = bad_listing(r, "key outside the prefix", (char *)key);
	else
		ret = l->fn(l->arg, (char *)key, n, last_modified(c));
	xmlFree(key);
	return ret;
}

/* One ListObjectsV2 page: calls fn, sets l->token for the next page. */
static int list_page(struct lister *l, struct req *r)
{
	xmlDocPtr doc = parse_xml(r->body, r->blen);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, c = NULL;
	char flag[16], enc[16], *token;
	bool encoded;
	int ret = 0;

	free(l->token);
	l->token = NULL;
	if (!root || strcmp((const char *)root->name, "ListBucketResult")) {
		ret = bad_listing(r, "not a ListBucketResult", NULL);
		goto out;
	}
	child_text(root, "EncodingType", enc, sizeof(enc));
	encoded = !strcmp(enc, "url");
	while (!ret && (c = child(root, "Contents", c)))
		ret = list_entry(l, r, c, encoded);
	if (ret)
		goto out;
	child_text(root, "IsTruncated", flag, sizeof(flag));
	if (strcmp(flag, "true"))
		goto out;
	c = child(root, "NextContinuationToken", NULL);
	token = c ? (char *)xmlNodeGetContent(c) : NULL;
	if (token && *token)
		l->token = strdup(token);
	xmlFree(token);
	if (!l->token)	/* truncated with nowhere to go on: never loop */
		ret = bad_listing(r, "truncated without a continuation token", NULL);
out:
	xmlFreeDoc(doc);
	return ret;
}

/* The query, in canonical (sorted, encoded) form, for libcurl to sign. */
static char *list_query(struct s3_store *s, const char *prefix, const char *token,
			int max)
{
	char *ep = uri_encode(prefix, false), *et = NULL, *q = NULL;

	if (!ep || (token && !(et = uri_encode(token, false))))
		goto out;
	if (asprintf(&q, "%s%s%sencoding-type=url&list-type=2&max-keys=%d&prefix=%s",
		     et ? "continuation-token=" : "", et ? et : "", et ? "&" : "",
		     max, ep) < 0)
		q = NULL;
out:
	free(ep);
	free(et);
	return q;
}

/* GET ?list-type=2 of the bucket, one page, body kept in r. */
static int list_request(struct s3_store *s, struct req *r, const char *prefix,
			const char *token, int max)
{
	char *q = list_query(s, prefix, token, max);
	int ret;

	if (!q) {
		memset(r, 0, sizeof(*r));
		jfs_seterr("store", "s3 LIST %s: out of memory", prefix);
		return -ENOMEM;
	}
	ret = req_init(s, r, "GET", NULL, q);
	free(q);
	r->op = "LIST";
	r->key = prefix;
	r->body_max = LIST_BODY_MAX;
	if (!ret)
		ret = perform(s, r);
	if (!ret)
		ret = result(s, r);
	return ret;
}

static int s3_list(struct store *st, const char *prefix,
		   int (*fn)(void *arg, const char *key, uint64_t size, int64_t mtime), void *arg)
{
	struct s3_store *s = to_s3(st);
	struct lister l = { prefix ? prefix : "", fn, arg, NULL };
	struct req r;
	int ret;

	do {
		ret = list_request(s, &r, l.prefix, l.token, s->list_max);
		if (!ret)
			ret = list_page(&l, &r);
		req_free(&r);
	} while (!ret && l.token);
	free(l.token);
	return ret;
}

/* ---- create ---- */

static int s3_create(struct store *st)
{
	struct s3_store *s = to_s3(st);
	char body[256], code[128], msg[16];
	const char *region = s->sigv4 + strlen("aws:amz:");
	int rlen = strchr(region, ':') - region;
	struct req r;
	int ret;

	/* as JuiceFS: a bucket we can list exists, whoever made it */
	ret = list_request(s, &r, "", NULL, 1);
	req_free(&r);
	if (ret != -ENOENT && ret != -EACCES)	/* not the NoSuchBucket kind */
		return ret;
	ret = req_init(s, &r, "PUT", NULL, NULL);
	if (ret)
		goto out;
	r.key = s->bucket;
	ret = req_header(&r, "Content-Type: application/xml");
	if (ret)
		goto out;
	/* us-east-1 is the default and may not be named */
	if (rlen == 9 && !strncmp(region, DEFAULT_REGION, 9))
		body[0] = '\0';
	else
		snprintf(body, sizeof(body), "<CreateBucketConfiguration xmlns="
			 "\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
			 "%.*s</LocationConstraint></CreateBucketConfiguration>",
			 rlen, region);
	r.up = body;
	r.uplen = strlen(body);
	ret = perform(s, &r);
	if (ret)
		goto out;
	if (r.status == 409) {
		error_xml(&r, code, sizeof(code), msg, sizeof(msg));
		if (!strcmp(code, "BucketAlreadyOwnedByYou") ||
		    !strcmp(code, "BucketAlreadyExists"))
			goto out;	/* made meanwhile: fine */
	}
	ret = result(s, &r);
out:
	req_free(&r);
	return ret;
}

const struct store_ops store_s3_ops = {
	.name = "s3",
	.open = s3_open,
	.close = s3_close,
	.create = s3_create,
	.put = s3_put,
	.get = s3_get,
	.head = s3_head,
	.delete = s3_delete,
	.list = s3_list,
};
