/*
 * test_url.c - META-URL password redaction and validation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/url.h"

#include "check.h"

static void redact(const char *in, const char *want)
{
	char buf[256];

	if (url_redact(in, buf, sizeof(buf)) || strcmp(buf, want))
		check_fail(__FILE__, __LINE__, "url_redact('%s') = '%s', want '%s'", in, buf, want);
}

/* want: NULL = valid, else a piece of the message */
static void validate(const char *in, const char *want)
{
	int ret = url_meta_validate(in);

	if (want ? ret != -EINVAL || !strstr(jfs_errmsg(), want) : ret != 0)
		check_fail(__FILE__, __LINE__, "url_meta_validate('%s') = %d '%s', want %s", in,
			   ret, ret ? jfs_errmsg() : "", want ? want : "valid");
}

static void test_redact(void)
{
	char small[8];

	redact("redis://user:secret@host/1", "redis://user:****@host/1");
	redact("redis://:secret@host:6379/1", "redis://:****@host:6379/1");
	redact("rediss://user:p%40ss@host/2?tls-ca-cert-file=/x", "rediss://user:****@host/2?tls-ca-cert-file=/x");
	redact("redis://user@host/1", "redis://user@host/1");
	redact("redis://:@host/1", "redis://:@host/1");
	redact("redis://host:6379/1", "redis://host:6379/1");
	redact("redis://localhost", "redis://localhost");
	/* cluster/sentinel lists curl cannot parse: still hidden */
	redact("redis://:pw@h1:6379,h2:6380/1", "redis://:****@h1:6379,h2:6380/1");
	redact("redis://u:pw@master,s1,s2:26379/2", "redis://u:****@master,s1,s2:26379/2");
	/* malformed: hide what looks like a password */
	redact("redis://u:p@ss@host:99999/1", "redis://u:****@host:99999/1");
	redact("no scheme at all", "no scheme at all");
	CHECK_EQ(url_redact("redis://u:pw@host/1", small, sizeof(small)), -ENAMETOOLONG);
}

static void test_validate(void)
{
	validate("redis://127.0.0.1:6379/1", NULL);
	validate("redis://user:pw@host/15", NULL);
	validate("redis://host", NULL);
	validate("redis://host/", NULL);
	validate("rediss://host:6380/0?tls-cert-file=/a", NULL);
	validate("redis://[::1]:6379/2", NULL);
	validate("redis://:pw@h1:6379,h2:6380,h3/1", NULL);
	validate("unix:///run/redis.sock?db=3", NULL);
	validate("", "empty");
	validate("localhost:6379/1", "no scheme");
	validate("1redis://host", "bad scheme");
	validate("redis:///1", "no host");
	validate("redis://user:pw@/1", "no host");
	validate("redis://host:99999/1", "port");
	validate("redis://host:abc/1", "port");
	validate("redis://ho st/1", "hostname");
	validate("redis://host/db1", "database 'db1' is not a number");
	validate("redis://h1:6379,h2:x/1", "port");
	validate("redis://h1,,h2/1", "empty host");
	validate("unix://", "socket path");
	validate("sqlite3:///var/lib/jfs/meta.db", NULL);
	validate("sqlite3://meta.db?_busy_timeout=100", NULL);
	validate("sqlite3://", "no database file");
	validate("sqlite3://?x=1", "no database file");
	/* the message shows the URL with its password hidden */
	validate("redis://u:hunter2@host:99999/1", "invalid META-URL 'redis://u:****@host:99999/1': ");
	CHECK(strstr(jfs_errmsg(), "hunter2") == NULL);
}

int main(void)
{
	RUN(test_redact);
	RUN(test_validate);
	return check_done();
}
