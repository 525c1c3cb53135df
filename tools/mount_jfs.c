/*
 * mount_jfs.c - mount.jfs, the mount(8) helper for jfs volumes.
 *
 *   mount.jfs META-URL DIR [-sfnvrw] [-o OPTIONS] [-t TYPE]
 *
 * `mount -t jfs META-URL DIR` runs /sbin/mount.jfs with these arguments.
 * A bare mount(2) failing says only "Invalid argument" or "Transport
 * endpoint is not connected"; this helper checks, in order, what a mount
 * needs and names the first thing missing in one "mount.jfs: " line:
 *
 *   1. the META-URL is well formed                        (exit 1)
 *   2. DIR is a directory                                 (exit 32)
 *   3. /dev/jfs exists: the kernel module is loaded       (exit 32)
 *   4. the metadata engine answers and holds a volume
 *      this client can serve in the requested mode        (exit 32)
 *   5. mount(2), its errno explained                      (exit 32;
 *      1 when not permitted)
 *
 * The exit codes are mount(8)'s: 1 incorrect invocation or permissions,
 * 2 system error, 32 mount failure.  Mounts are nosuid,nodev unless
 * -o suid / -o dev asks otherwise: any client of a shared volume can
 * write a setuid file or a device node, so honouring them is a choice for
 * volumes whose every writer is trusted (mount(8) drops options at their
 * kernel default, suid and dev among them, before it runs the helper:
 * they work when mount.jfs is run itself).  The standard options (ro,
 * noatime ...) become MS_* flags, mount(8)'s own ones (noauto, _netdev,
 * x-* ...) are dropped, and the rest (attr_timeout=N ...) go to the
 * kernel as the data string.  A password in the URL is never printed.
 * The file system type is -t TYPE, else the "X" of a program named
 * mount.X (so a mount.juicefs link serves a module loaded with
 * fstype=juicefs), else "jfs".
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uapi/jfs.h"
#include "util/url.h"
#include "volume/volume.h"

/* ---- types ---------------------------------------------------------- */

/* mount(8) RETURN CODES */
enum {
	EX_OK = 0,
	EX_USAGE = 1,		/* incorrect invocation or permissions */
	EX_SYSERR = 2,		/* out of memory and the like */
	EX_FAIL = 32,		/* mount failure */
};

struct mnt_flag {
	const char *name;
	unsigned long set;
	unsigned long clear;
};

/* One mount request, from the command line; nothing global. */
struct mnt_req {
	const char *prog;	/* for messages: "mount.jfs" */
	const char *url;
	char shown[JFS_URL_MAX + 16];	/* url, password hidden */
	const char *dir;
	const char *type;
	const char *dev_path;	/* the kernel module's device */
	unsigned long flags;	/* MS_* */
	char data[JFS_OPTS_MAX];	/* options for the kernel */
	bool fake;
	bool verbose;
	bool sloppy;
};

/* ---- static state ------------------------------------------------- */

static const char usage_line[] =
	"usage: mount.jfs META-URL DIR [-sfnvrw] [-o OPTIONS] [-t TYPE]\n";

static const struct mnt_flag mnt_flags[] = {
	{ "ro",			MS_RDONLY,	0 },
	{ "rw",			0,		MS_RDONLY },
	{ "nosuid",		MS_NOSUID,	0 },
	{ "suid",		0,		MS_NOSUID },
	{ "nodev",		MS_NODEV,	0 },
	{ "dev",		0,		MS_NODEV },
	{ "noexec",		MS_NOEXEC,	0 },
	{ "exec",		0,		MS_NOEXEC },
	{ "sync",		MS_SYNCHRONOUS,	0 },
	{ "async",		0,		MS_SYNCHRONOUS },
	{ "dirsync",		MS_DIRSYNC,	0 },
	{ "noatime",		MS_NOATIME,	0 },
	{ "atime",		0,		MS_NOATIME },
	{ "nodiratime",		MS_NODIRATIME,	0 },
	{ "diratime",		0,		MS_NODIRATIME },
	{ "relatime",		MS_RELATIME,	0 },
	{ "norelatime",		0,		MS_RELATIME },
	{ "strictatime",	MS_STRICTATIME,	0 },
	{ "nostrictatime",	0,		MS_STRICTATIME },
	{ "lazytime",		MS_LAZYTIME,	0 },
	{ "nolazytime",		0,		MS_LAZYTIME },
	{ "mand",		MS_MANDLOCK,	0 },
	{ "nomand",		0,		MS_MANDLOCK },
	{ "iversion",		MS_I_VERSION,	0 },
	{ "noiversion",		0,		MS_I_VERSION },
	{ "silent",		MS_SILENT,	0 },
	{ "loud",		0,		MS_SILENT },
	{ "remount",		MS_REMOUNT,	0 },
	{ "defaults",		0,		0 },
};

/* mount(8)'s own options: meaningful to mount/fstab, never to the kernel */
static const char *const user_opts[] = {
	"auto", "noauto", "user", "nouser", "users", "owner", "group",
	"nofail", "_netdev",
};

static const char *const user_opt_prefixes[] = {
	"x-", "X-", "comment=", "user=",
};

/* ---- helpers ------------------------------------------------------ */

static int fail(const struct mnt_req *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The one failure line; returns the exit code. */
static int fail(const struct mnt_req *r, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", r->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void verbose(const struct mnt_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void verbose(const struct mnt_req *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->verbose)
		return;
	printf("%s: ", r->prog);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static bool is_user_opt(const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(user_opts) / sizeof(user_opts[0]); i++)
		if (!strcmp(opt, user_opts[i]))
			return true;
	for (i = 0; i < sizeof(user_opt_prefixes) / sizeof(user_opt_prefixes[0]); i++)
		if (!strncmp(opt, user_opt_prefixes[i], strlen(user_opt_prefixes[i])))
			return true;
	return false;
}

static int add_data(struct mnt_req *r, const char *opt)
{
	size_t len = strlen(r->data), olen = strlen(opt);

	if (len + !!len + olen + 1 > sizeof(r->data))
		return -E2BIG;
	if (len)
		r->data[len++] = ',';
	memcpy(r->data + len, opt, olen + 1);
	return 0;
}

/* Splits a -o list into r->flags and r->data; may be called repeatedly. */
static int parse_opts(struct mnt_req *r, const char *list)
{
	char *copy, *opt, *save = NULL;
	size_t i;
	int ret = 0;

	copy = strdup(list);
	if (!copy)
		return fail(r, EX_SYSERR, "out of memory");
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(mnt_flags) / sizeof(mnt_flags[0]); i++)
			if (!strcmp(opt, mnt_flags[i].name))
				break;
		if (i < sizeof(mnt_flags) / sizeof(mnt_flags[0])) {
			r->flags = (r->flags & ~mnt_flags[i].clear) | mnt_flags[i].set;
			continue;
		}
		if (is_user_opt(opt))
			continue;
		if (add_data(r, opt)) {
			ret = fail(r, EX_USAGE, "mount options too long (at most %d bytes)",
				   JFS_OPTS_MAX - 1);
			break;
		}
	}
	free(copy);
	return ret;
}

static bool is_conn_error(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET || err == -ETIMEDOUT ||
	       err == -EHOSTUNREACH || err == -ENETUNREACH || err == -EHOSTDOWN;
}

/* Step 4: the volume exists and this client may mount it so. */
static int check_volume(struct mnt_req *r)
{
	struct volume *v;
	int ret;

	ret = volume_open(r->url, r->flags & MS_RDONLY ? VOLUME_RDONLY : 0, &v);
	if (ret == -ENOMEM)
		return fail(r, EX_SYSERR, "out of memory");
	if (ret == -EINVAL && !strcmp(jfs_errlayer(), "meta"))
		return fail(r, EX_USAGE, "%s", jfs_errmsg());
	if (ret && !strcmp(jfs_errlayer(), "meta"))
		return fail(r, EX_FAIL, "cannot reach metadata engine %s: %s", r->shown,
			    is_conn_error(ret) || !*jfs_errmsg() ? strerror(-ret) :
			    jfs_errmsg());
	if (ret)
		return fail(r, EX_FAIL, "%s", jfs_errmsg());
	verbose(r, "volume '%s' (uuid %s) at %s", v->setting.name ? v->setting.name : "",
		v->setting.uuid ? v->setting.uuid : "", r->shown);
	volume_close(v);
	return EX_OK;
}

/* Step 5: mount(2), with its errno said in words. */
static int do_mount(struct mnt_req *r)
{
	int err;

	verbose(r, "mount(%s, %s, %s, 0x%lx, \"%s\")", r->shown, r->dir, r->type,
		r->flags, r->data);
	if (r->fake)
		return EX_OK;
	if (!mount(r->url, r->dir, r->type, r->flags, r->data[0] ? r->data : NULL))
		return EX_OK;
	err = errno;
	switch (err) {
	case ENOTCONN:
		return fail(r, EX_FAIL, "jfsd is not running: start it with 'jfsd -d' "
			    "(or systemctl start jfsd)");
	case ENODEV:
		return fail(r, EX_FAIL, "file system type '%s' not registered: "
			    "run 'modprobe jfsk'", r->type);
	case EPERM:
		return fail(r, EX_USAGE, "cannot mount %s on '%s': %s (only root can)",
			    r->shown, r->dir, strerror(err));
	default:
		return fail(r, EX_FAIL, "mounting %s on '%s' failed: %s; see dmesg for details",
			    r->shown, r->dir, strerror(err));
	}
}

/*
 * sqlite3://rel.db names a file relative to where mount runs, as juicefs
 * takes it; jfsd runs elsewhere, so the kernel gets the absolute path.
 */
static int absolute_sqlite(struct mnt_req *r)
{
	const char *rel = r->url + strlen("sqlite3://");
	char *cwd, *abs;

	if (strncmp(r->url, "sqlite3://", strlen("sqlite3://")) || *rel == '/')
		return 0;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return -1;
	if (asprintf(&abs, "sqlite3://%s/%s", cwd, rel) < 0)
		abs = NULL;
	free(cwd);
	if (!abs)
		return -1;
	r->url = abs;	/* lives as long as the process */
	if (url_redact(r->url, r->shown, sizeof(r->shown)))
		snprintf(r->shown, sizeof(r->shown), "(too long)");
	return 0;
}

/* -t TYPE, else mount.TYPE from the program name, else "jfs" */
static const char *default_type(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	if (!strncmp(base, "mount.", 6) && base[6])
		return base + 6;
	return "jfs";
}

/* ---- main --------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mnt_req r = {
		.prog = "mount.jfs",
		.dev_path = "/dev/" JFS_DEV_NAME,
		.flags = MS_NOSUID | MS_NODEV,	/* -o suid,dev lift them */
	};
	struct stat st;
	int opt, ret;

	r.type = default_type(argv[0]);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":sfnvrwo:t:N:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			r.sloppy = true;
			break;
		case 'f':
			r.fake = true;
			break;
		case 'n':
			break;		/* no mtab: jfs never writes one */
		case 'v':
			r.verbose = true;
			break;
		case 'r':
			r.flags |= MS_RDONLY;
			break;
		case 'w':
			r.flags &= ~MS_RDONLY;
			break;
		case 'o':
			ret = parse_opts(&r, optarg);
			if (ret)
				return ret;
			break;
		case 't':
			r.type = optarg;
			break;
		case 'N':
			return fail(&r, EX_USAGE, "mounting in another namespace (-N) "
				    "is not supported");
		case 'h':
			printf("%s", usage_line);
			return EX_OK;
		case ':':
			fail(&r, EX_USAGE, "option '-%c' needs a value", optopt);
			fputs(usage_line, stderr);
			return EX_USAGE;
		default:
			if (optopt)
				fail(&r, EX_USAGE, "unknown option '-%c'", optopt);
			else
				fail(&r, EX_USAGE, "unknown option '%s'", argv[optind - 1]);
			fputs(usage_line, stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 2) {
		fail(&r, EX_USAGE, "need a META-URL and a mount point");
		fputs(usage_line, stderr);
		return EX_USAGE;
	}
	r.url = argv[optind];
	r.dir = argv[optind + 1];
	if (url_redact(r.url, r.shown, sizeof(r.shown)))
		snprintf(r.shown, sizeof(r.shown), "(too long)");

	/* a remount changes flags of a live mount: nothing to check first */
	if (r.flags & MS_REMOUNT)
		return do_mount(&r);

	if (url_meta_validate(r.url))
		return fail(&r, EX_USAGE, "%s", jfs_errmsg());
	if (absolute_sqlite(&r))
		return fail(&r, EX_SYSERR, "out of memory");
	if (stat(r.dir, &st))
		return fail(&r, EX_FAIL, errno == ENOENT ? "mount point '%s' does not exist" :
			    "cannot access mount point '%s'", r.dir);
	if (!S_ISDIR(st.st_mode))
		return fail(&r, EX_FAIL, "mount point '%s' is not a directory", r.dir);
	if (stat(r.dev_path, &st))
		return fail(&r, EX_FAIL, "jfs kernel module not loaded: run 'modprobe jfsk'");
	ret = check_volume(&r);
	if (ret)
		return ret;
	return do_mount(&r);
}
