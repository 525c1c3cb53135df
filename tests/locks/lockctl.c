/*
 * lockctl - runs a sequence of lock operations on one open file and
 * prints one line per operation, for tests/it/t-locks.sh.
 *
 *   lockctl FILE OP...
 *
 *   w:START:LEN  r:START:LEN  u:START:LEN   fcntl F_SETLK (LEN 0 = to EOF)
 *   W:START:LEN  R:START:LEN                fcntl F_SETLKW
 *   ow:START:LEN oW:START:LEN               OFD F_OFD_SETLK / F_OFD_SETLKW
 *   g:w|r:START:LEN                         F_GETLK: "g TYPE START END PID"
 *   fe fs fu  fE fS                         flock LOCK_EX|NB, SH|NB, UN, EX, SH
 *   alarm:SECS                              SIGALRM (no SA_RESTART) in SECS
 *   sleep:SECS  ready:PATH  wait:PATH       pause, create PATH, wait for PATH
 *
 * Each result line is "OP ok" or "OP ERRNAME" (EAGAIN, EINTR, ...) and,
 * for blocking ops, the milliseconds waited.  Exit status 0 unless an
 * argument is malformed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *errname(int e)
{
	switch (e) {
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	case EDEADLK: return "EDEADLK";
	case ENOLCK: return "ENOLCK";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case ENOTCONN: return "ENOTCONN";
	default: return strerror(e);
	}
}

static int parse_range(const char *s, struct flock *fl)
{
	long long start, len;

	if (sscanf(s, "%lld:%lld", &start, &len) != 2)
		return -1;
	fl->l_whence = SEEK_SET;
	fl->l_start = start;
	fl->l_len = len;
	return 0;
}

static void report(const char *op, int rc, long t0)
{
	if (rc == 0)
		printf("%s ok %ld\n", op, now_ms() - t0);
	else
		printf("%s %s %ld\n", op, errname(errno), now_ms() - t0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: lockctl FILE OP...\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a wait ends with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	fd = open(argv[1], O_RDWR | O_CREAT, 0666);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		const char *op = argv[i];
		struct flock fl = { 0 };
		long t0 = now_ms();
		int cmd;

		if (!strncmp(op, "sleep:", 6)) {
			sleep(atoi(op + 6));
			continue;
		}
		if (!strncmp(op, "alarm:", 6)) {
			alarm(atoi(op + 6));
			continue;
		}
		if (!strncmp(op, "ready:", 6)) {
			close(open(op + 6, O_WRONLY | O_CREAT, 0644));
			continue;
		}
		if (!strncmp(op, "wait:", 5)) {
			while (access(op + 5, F_OK))
				usleep(50000);
			continue;
		}
		if (op[0] == 'f') {
			static const struct { const char *n; int how; } f[] = {
				{ "fe", LOCK_EX | LOCK_NB }, { "fs", LOCK_SH | LOCK_NB },
				{ "fu", LOCK_UN }, { "fE", LOCK_EX }, { "fS", LOCK_SH },
			};
			size_t k;

			for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
				if (!strcmp(op, f[k].n))
					break;
			if (k == sizeof(f) / sizeof(f[0]))
				goto bad;
			report(op, flock(fd, f[k].how), t0);
			continue;
		}
		if (op[0] == 'g') {
			if (strlen(op) < 4 || (op[2] != 'w' && op[2] != 'r') ||
			    parse_range(op + 4, &fl))
				goto bad;
			fl.l_type = op[2] == 'w' ? F_WRLCK : F_RDLCK;
			if (fcntl(fd, F_GETLK, &fl)) {
				report(op, -1, t0);
				continue;
			}
			if (fl.l_type == F_UNLCK)
				printf("g unlocked\n");
			else
				printf("g %s %lld %lld %d\n", fl.l_type == F_WRLCK ? "w" : "r",
				       (long long)fl.l_start,
				       fl.l_len ? (long long)(fl.l_start + fl.l_len - 1) : -1LL,
				       (int)fl.l_pid);
			fflush(stdout);
			continue;
		}
		if (op[0] == 'o') {
			if (strlen(op) < 3 || parse_range(op + 3, &fl))
				goto bad;
			fl.l_type = (op[1] == 'w' || op[1] == 'W') ? F_WRLCK : F_RDLCK;
			cmd = (op[1] == 'W' || op[1] == 'R') ? F_OFD_SETLKW : F_OFD_SETLK;
			report(op, fcntl(fd, cmd, &fl), t0);
			continue;
		}
		if (strlen(op) < 3 || op[1] != ':' || parse_range(op + 2, &fl))
			goto bad;
		switch (op[0]) {
		case 'w': fl.l_type = F_WRLCK; cmd = F_SETLK; break;
		case 'r': fl.l_type = F_RDLCK; cmd = F_SETLK; break;
		case 'u': fl.l_type = F_UNLCK; cmd = F_SETLK; break;
		case 'W': fl.l_type = F_WRLCK; cmd = F_SETLKW; break;
		case 'R': fl.l_type = F_RDLCK; cmd = F_SETLKW; break;
		default: goto bad;
		}
		report(op, fcntl(fd, cmd, &fl), t0);
	}
	close(fd);
	return 0;
bad:
	fprintf(stderr, "lockctl: bad op '%s'\n", argv[i]);
	return 2;
}
