/*
 * jfsd - the jfs helper daemon.
 *
 * Serves every jfs mount on this host: reads requests from /dev/jfs,
 * answers them from the volume's metadata engine and object store.
 * Runs in the foreground (for systemd) or, with -d, detaches and returns
 * only once it is attached to the kernel and ready, like `juicefs mount -d`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "jfsd.h"
#include "util/log.h"

#define DEFAULT_WORKERS	16
/* JuiceFS's mount defaults: --cache-size 100 GiB, --max-uploads 20 */
#define DEFAULT_CACHE_MIB	102400
#define DEFAULT_UPLOADS		20
#define DEFAULT_PREFETCH	2
#define DEFAULT_BG_SECS		3600	/* JuiceFS's hourly background jobs */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: jfsd [-d] [-l LOGFILE] [-w WORKERS] [--dev PATH] [-v]\n"
		"            [--cache-dir DIR] [--cache-size MiB] [--max-uploads N] [--prefetch N]\n"
		"            [--bg-interval SECS] [--cache-large-write] [--backup-meta DURATION]\n"
		"            [--meta-retry DURATION]\n"
		"            [--writeback] [--upload-delay DURATION]\n"
		"  -d, --daemon         detach once attached to the kernel\n"
		"  -l, --log FILE       log to FILE instead of stderr\n"
		"  -w, --workers N      worker threads (default %d)\n"
		"      --dev PATH       kernel device (default /dev/%s)\n"
		"      --cache-dir DIR  local block cache (default /var/jfsCache, as root)\n"
		"      --cache-size MiB cache limit, 0 disables it (default %d)\n"
		"      --max-uploads N  parallel block uploads per mount (default %d)\n"
		"      --prefetch N     blocks read ahead of sequential reads (default %d)\n"
		"      --cache-large-write  cache full blocks after uploading them, not\n"
		"                       only partial ones (default off, as in JuiceFS)\n"
		"      --bg-interval S  period of the trash expiry, deleted-file and slice\n"
		"                       cleanups, shared with other clients; 0 turns them\n"
		"                       off (default %d)\n"
		"      --backup-meta D  back up the metadata of each read-write mount into\n"
		"                       its object store (meta/) every D (1h, 30m, 3600),\n"
		"                       one client of the volume per interval, as juicefs\n"
		"                       mount --backup-meta; at least 5m, 0 turns it off\n"
		"                       (default 1h; SKIP_BACKUP_META_CHECK=true lifts the\n"
		"                       minimum, for tests)\n"
		"      --meta-retry D   how long a metadata operation keeps retrying,\n"
		"                       with backoff, while the metadata server is down\n"
		"                       or restarting (30s, 5m, 300) before the error\n"
		"                       reaches the application; 0 retries once\n"
		"                       (default %ds)\n"
		"      --writeback      every mount stages its writes in the cache dir\n"
		"                       ({cache-dir}/{UUID}/rawstaging), commits them and\n"
		"                       uploads them in the background, as juicefs mount\n"
		"                       --writeback; per mount: -o writeback, -o nowriteback\n"
		"                       (default off; needs a cache)\n"
		"      --upload-delay D staged blocks wait D before their upload (30s, 1h;\n"
		"                       juicefs's --upload-delay); per mount: -o\n"
		"                       upload-delay=D (default 0)\n"
		"  -v, --verbose        debug logging\n",
		DEFAULT_WORKERS, JFS_DEV_NAME, DEFAULT_CACHE_MIB, DEFAULT_UPLOADS,
		DEFAULT_PREFETCH, DEFAULT_BG_SECS, META_RETRY_SECS);
}

/* JuiceFS: /var/jfsCache for root, ~/.juicefs/cache for anyone else */
static const char *default_cache_dir(char *buf, size_t len)
{
	const char *home = getenv("HOME");

	if (geteuid() == 0 || !home || !*home)
		return "/var/jfsCache";
	snprintf(buf, len, "%s/.juicefs/cache", home);
	return buf;
}

static int parse_count(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *v > max ? -1 : 0;
}


static void on_wake(int sig)
{
	(void)sig;	/* only interrupts blocking reads */
}

/*
 * With -d the parent waits on a pipe: the child writes one byte once
 * attached, or closes the pipe on failure.
 */
static int detach(int *notify_fd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);
	setsid();
	*notify_fd = fds[1];
	return 0;
}

/* attached to the kernel: tell whoever waits (systemd Type=notify, -d's parent) */
static void ready(int notify_fd, int nworkers)
{
	int devnull;

	/* a no-op unless systemd started us with NOTIFY_SOCKET */
	sd_notifyf(0, "READY=1\nSTATUS=serving /dev/%s with %d workers",
		   JFS_DEV_NAME, nworkers);
	if (notify_fd < 0)
		return;
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		if (jfs_logger.out != stderr)
			dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	if (write(notify_fd, "", 1) != 1)
		log_warn("could not notify the parent process");
	close(notify_fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "dev", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "cache-size", required_argument, NULL, 'S' },
		{ "max-uploads", required_argument, NULL, 'U' },
		{ "prefetch", required_argument, NULL, 'P' },
		{ "bg-interval", required_argument, NULL, 'B' },
		{ "cache-large-write", no_argument, NULL, 'L' },
		{ "backup-meta", required_argument, NULL, 'M' },
		{ "meta-retry", required_argument, NULL, 'R' },
		{ "writeback", no_argument, NULL, 'W' },
		{ "upload-delay", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev = "/dev/" JFS_DEV_NAME, *logfile = NULL;
	char err[160];
	struct jfsd d = {
		.nworkers = DEFAULT_WORKERS,
		.conf = {
			.cache_size = (uint64_t)DEFAULT_CACHE_MIB << 20,
			.max_uploads = DEFAULT_UPLOADS,
			.prefetch = DEFAULT_PREFETCH,
			.bg_secs = DEFAULT_BG_SECS,
			.backup_secs = VOLUME_BACKUP_DEFAULT,
			.meta_retry_secs = META_RETRY_SECS,
		},
	};
	char cache_dir[4096];
	unsigned long long n;
	double secs;
	struct sigaction sa = { .sa_handler = on_wake };
	int opt, i, sig, ret, notify_fd = -1;
	bool daemonize = false;
	pthread_t *workers;
	sigset_t set;

	while ((opt = getopt_long(argc, argv, "dl:w:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			daemonize = true;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'w':
			d.nworkers = atoi(optarg);
			if (d.nworkers < 1 || d.nworkers > 256) {
				fprintf(stderr, "jfsd: --workers must be 1..256\n");
				return 2;
			}
			break;
		case 'D':
			dev = optarg;
			break;
		case 'C':
			if (!*optarg) {
				fprintf(stderr, "jfsd: empty --cache-dir\n");
				return 2;
			}
			d.conf.cache_dir = optarg;
			break;
		case 'S':
			if (parse_count(optarg, 1ULL << 40, &n)) {
				fprintf(stderr, "jfsd: --cache-size takes MiB, not '%s'\n", optarg);
				return 2;
			}
			d.conf.cache_size = (uint64_t)n << 20;
			break;
		case 'U':
			if (parse_count(optarg, 256, &n) || !n) {
				fprintf(stderr, "jfsd: --max-uploads must be 1..256\n");
				return 2;
			}
			d.conf.max_uploads = n;
			break;
		case 'P':
			if (parse_count(optarg, 64, &n)) {
				fprintf(stderr, "jfsd: --prefetch must be 0..64\n");
				return 2;
			}
			d.conf.prefetch = n;
			break;
		case 'B':
			if (parse_count(optarg, 7 * 86400, &n)) {
				fprintf(stderr, "jfsd: --bg-interval takes seconds (0..604800)\n");
				return 2;
			}
			d.conf.bg_secs = n;
			break;
		case 'L':
			d.conf.cache_large_write = true;
			break;
		case 'M':
			if (vol_parse_backup(optarg, &d.conf.backup_secs, err, sizeof(err))) {
				fprintf(stderr, "jfsd: --%s\n", err);
				return 2;
			}
			break;
		case 'R':
			if (volume_parse_duration(optarg, &secs) || secs < 0 || secs > 86400) {
				fprintf(stderr, "jfsd: --meta-retry takes a duration up to a day "
					"(30s, 5m, 300), not '%s'\n", optarg);
				return 2;
			}
			d.conf.meta_retry_secs = (unsigned int)secs;
			break;
		case 'W':
			d.conf.writeback = true;
			break;
		case 'Y':
			if (vol_parse_upload_delay(optarg, &d.conf.upload_delay, err,
						   sizeof(err))) {
				fprintf(stderr, "jfsd: --%s\n", err);
				return 2;
			}
			break;
		case 'v':
			jfs_logger.level = LOG_LVL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!d.conf.cache_dir)
		d.conf.cache_dir = default_cache_dir(cache_dir, sizeof(cache_dir));
	if (log_open(logfile)) {
		fprintf(stderr, "jfsd: cannot open log '%s': %s\n", logfile,
			strerror(errno));
		return 1;
	}
	if (daemonize && detach(&notify_fd)) {
		log_error("cannot detach: %s", strerror(errno));
		return 1;
	}

	/* Before any thread starts: curl's global state, signal routing. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_mutex_init(&d.vols_lock, NULL);

	ret = dev_open(dev, &d.chan);
	if (ret)
		return 1;
	workers = calloc(d.nworkers, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < d.nworkers; i++) {
		ret = pthread_create(&workers[i], NULL, worker_main, &d);
		if (ret) {
			log_error("cannot start worker: %s", strerror(ret));
			return 1;
		}
	}
	log_info("ready: %d workers", d.nworkers);
	ready(notify_fd, d.nworkers);

	sigwait(&set, &sig);
	log_info("got signal %d, stopping", sig);
	sd_notify(0, "STOPPING=1");
	atomic_store(&d.stop, true);
	for (i = 0; i < d.nworkers; i++)
		pthread_kill(workers[i], SIGUSR1);
	for (i = 0; i < d.nworkers; i++)
		pthread_join(workers[i], NULL);
	vol_close_all(&d);
	dev_close(&d.chan);
	free(workers);
	curl_global_cleanup();
	log_info("stopped");
	return 0;
}
