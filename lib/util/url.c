/*
 * url.c - META-URL redaction and validation, on curl's URL parser.
 *
 * curl's parser takes one host per URL, so the host lists of Redis
 * cluster and sentinel URLs ("h1:p1,h2:p2") are checked one host at a
 * time and the rest of the URL with a single stand-in host.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/err.h"
#include "util/url.h"

#define REDACTED "****"

/* [*as, *ae) = the authority ("user:pass@host:port"), empty if there is none */
static void authority(const char *url, const char **as, const char **ae)
{
	const char *p = strstr(url, "://");

	if (!p) {
		*as = *ae = url;
		return;
	}
	*as = p + 3;
	*ae = *as + strcspn(*as, "/?#");
}

/* The last '@' of the authority ends the user info (as Go's url.Parse). */
static const char *userinfo_end(const char *as, const char *ae)
{
	const char *at = NULL, *p;

	for (p = as; p < ae; p++)
		if (*p == '@')
			at = p;
	return at;
}

/* Does curl see a password in this URL?  -1 when curl cannot parse it. */
static int curl_has_password(const char *url)
{
	CURLU *u = curl_url();
	char *pw = NULL;
	int ret = -1;

	if (!u)
		return -1;
	if (!curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)) {
		ret = !curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) && pw && *pw;
		curl_free(pw);
	}
	curl_url_cleanup(u);
	return ret;
}

int url_redact(const char *url, char *buf, size_t buflen)
{
	const char *as, *ae, *at, *colon;
	int n;

	authority(url, &as, &ae);
	at = userinfo_end(as, ae);
	colon = at ? memchr(as, ':', at - as) : NULL;
	/*
	 * Keep the text as typed.  When curl parses the URL it has the last
	 * word on whether there is a password; otherwise hide anything that
	 * looks like one.
	 */
	if (!colon || colon + 1 == at || curl_has_password(url) == 0)
		n = snprintf(buf, buflen, "%s", url);
	else
		n = snprintf(buf, buflen, "%.*s%s%s", (int)(colon + 1 - url), url,
			     REDACTED, at);
	return n < 0 || (size_t)n >= buflen ? -ENAMETOOLONG : 0;
}

static int invalid(const char *url, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(const char *url, const char *fmt, ...)
{
	char shown[512], why[512];
	va_list ap;

	if (url_redact(url, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "(too long)");
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	jfs_seterr("url", "invalid META-URL '%s': %s", shown, why);
	return -EINVAL;
}

/* curl's reason, lowercased to read as the tail of our message */
static const char *curl_reason(CURLUcode rc, char *buf, size_t len)
{
	snprintf(buf, len, "%s", curl_url_strerror(rc));
	buf[0] = tolower((unsigned char)buf[0]);
	return buf;
}

static bool is_redis(const char *scheme, size_t len)
{
	return (len == 5 && !strncmp(scheme, "redis", 5)) ||
	       (len == 6 && !strncmp(scheme, "rediss", 6));
}

/* Parses one URL with curl; on success hands back the path if asked. */
static int curl_check(const char *orig, const char *url, unsigned int flags, char **path)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char why[256];

	if (!u)
		return invalid(orig, "out of memory");
	rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | flags);
	if (!rc && path)
		rc = curl_url_get(u, CURLUPART_PATH, path, 0);
	curl_url_cleanup(u);
	if (rc)
		return invalid(orig, "%s", curl_reason(rc, why, sizeof(why)));
	return 0;
}

int url_meta_validate(const char *url)
{
	const char *sep, *as, *ae, *at, *hosts, *p;
	char *path = NULL, *one = NULL;
	size_t slen, i;
	int ret;

	if (!*url)
		return invalid(url, "empty");
	sep = strstr(url, "://");
	if (!sep)
		return invalid(url, "no scheme (e.g. redis://host:6379/1)");
	slen = sep - url;
	if (!slen || !isalpha((unsigned char)url[0]))
		return invalid(url, "bad scheme");
	for (i = 1; i < slen; i++)
		if (!isalnum((unsigned char)url[i]) && !strchr("+.-", url[i]))
			return invalid(url, "bad scheme");

	if (slen == 4 && !strncmp(url, "unix", 4)) {
		ret = curl_check(url, url, CURLU_NO_AUTHORITY, &path);
		if (!ret && (!path || strlen(path) < 2))
			ret = invalid(url, "no socket path (e.g. unix:///run/redis.sock)");
		curl_free(path);
		return ret;
	}

	/* sqlite3:///abs/meta.db or sqlite3://rel/meta.db: a file, no host */
	if (slen == 7 && !strncmp(url, "sqlite3", 7)) {
		p = sep + 3;
		if (!*p || *p == '?')
			return invalid(url, "no database file (e.g. sqlite3:///var/lib/jfs/meta.db)");
		return 0;
	}

	authority(url, &as, &ae);
	at = userinfo_end(as, ae);
	hosts = at ? at + 1 : as;
	if (hosts == ae)
		return invalid(url, "no host");

	one = malloc(strlen(url) + 16);
	if (!one)
		return invalid(url, "out of memory");
	ret = 0;
	if (memchr(hosts, ',', ae - hosts)) {
		/* each listed host on its own, then the rest around a stand-in */
		for (p = hosts; !ret && p < ae;) {
			size_t n = strcspn(p, ",/?#");

			if (!n)
				ret = invalid(url, "empty host in host list");
			else {
				sprintf(one, "%.*s://%.*s/", (int)slen, url, (int)n, p);
				ret = curl_check(url, one, 0, NULL);
			}
			p += n + (p[n] == ',');
		}
		if (!ret) {
			sprintf(one, "%.*slocalhost%s", (int)(hosts - url), url, ae);
			ret = curl_check(url, one, 0, &path);
		}
	} else {
		ret = curl_check(url, url, 0, &path);
	}

	/* the path selects the database: "/", "" or "/N" */
	if (!ret && is_redis(url, slen) && path && path[0] == '/' && path[1]) {
		for (p = path + 1; *p && isdigit((unsigned char)*p); p++)
			;
		if (*p)
			ret = invalid(url, "database '%s' is not a number", path + 1);
	}
	curl_free(path);
	free(one);
	return ret;
}
