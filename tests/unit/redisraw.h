/*
 * redisraw.h - what the Redis engine suites share: a real redis-server
 * started on a free loopback port in a temp dir (killed at the end), an
 * emptied database per test (FLUSHALL), and a separate hiredis
 * connection to check keys byte for byte, so the tests pin JuiceFS's
 * format, not just round trips.  Include after check.h.
 */
#ifndef JFS_TEST_REDISRAW_H
#define JFS_TEST_REDISRAW_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "server.h"

#define RD_UNUSED	__attribute__((unused))

static pid_t redis_pid;
static int redis_port;
static char redis_dir[] = "/tmp/jfs-meta-redis-XXXXXX";
static char redis_sock[128];
static char redis_url[128];	/* redis://127.0.0.1:PORT */
static redisContext *R;

/* a raw reply that is absent (nil) */
#define ABSENT -1000000

/* redis-server on redis_port and redis_dir (its dump.rdb, if any, loaded) */
RD_UNUSED static int spawn_redis(void)
{
	char port[16], logf[200];
	struct timeval tv = { 1, 0 };
	int i;

	snprintf(port, sizeof(port), "%d", redis_port);
	snprintf(logf, sizeof(logf), "%s/redis.log", redis_dir);
	redis_pid = fork();
	if (redis_pid < 0)
		return -1;
	if (redis_pid == 0) {
		execlp("redis-server", "redis-server", "--port", port,
		       "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		       "--daemonize", "no", "--dir", redis_dir, "--logfile", logf,
		       "--unixsocket", redis_sock, (char *)NULL);
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

RD_UNUSED static int start_redis(void)
{
	if (!mkdtemp(redis_dir))
		return -1;
	redis_port = free_port();
	if (redis_port <= 0)
		return -1;
	snprintf(redis_sock, sizeof(redis_sock), "%s/redis.sock", redis_dir);
	snprintf(redis_url, sizeof(redis_url), "redis://127.0.0.1:%d", redis_port);
	return spawn_redis();
}

/* a crash after SAVE: the server is gone, its data is in dump.rdb */
RD_UNUSED static void kill_redis(void)
{
	freeReplyObject(redisCommand(R, "SAVE"));
	redisFree(R);
	R = NULL;
	kill(redis_pid, SIGKILL);
	waitpid(redis_pid, NULL, 0);
	redis_pid = 0;
}

RD_UNUSED static void stop_redis(void)
{
	char cmd[256];

	if (R)
		redisFree(R);
	R = NULL;
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	redis_pid = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", redis_dir);
	if (system(cmd)) {
		/* a leftover temp dir is not a test failure */
	}
}

/* the server for a suite; 0, or -1 with a FAIL line */
RD_UNUSED static int redis_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!start_redis())
		return 0;
	printf("FAIL start_redis: cannot start redis-server on 127.0.0.1:%d\n", redis_port);
	stop_redis();
	return -1;
}

/* a raw command; the caller frees the reply */
RD_UNUSED static redisReply *raw(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(R, fmt, ap);
	va_end(ap);
	return r;
}

/* an integer (or a number as a string) reply; ABSENT for nil */
RD_UNUSED static long long rd_int(const char *fmt, ...)
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
		v = ABSENT;
	freeReplyObject(r);
	return v;
}

RD_UNUSED static int rd_exists(const char *key)
{
	return (int)rd_int("EXISTS %s", key);
}

RD_UNUSED static int rd_existsf(const char *fmt, uint64_t ino)
{
	char key[64];

	snprintf(key, sizeof(key), fmt, ino);
	return rd_exists(key);
}

/* a string reply is exactly 'want' */
RD_UNUSED static bool rd_is(const redisReply *r, const void *want, size_t len)
{
	return r && r->type == REDIS_REPLY_STRING && (size_t)r->len == len &&
	       !memcmp(r->str, want, len);
}

/* the server emptied for a new volume; its url */
RD_UNUSED static const char *rd_flush(void)
{
	freeReplyObject(raw("FLUSHALL"));
	return redis_url;
}

#endif /* JFS_TEST_REDISRAW_H */
