/*
 * jfsadm.c - main() of the jfs admin tool: finds the command in a table,
 * runs it, and makes a failed write to stdout fail the command (so
 * `jfsadm status > full-disk` does not exit 0).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "jfsadm.h"
#include "volume/setting.h"
#include "util/url.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "format", cmd_format, "create a volume, or update the settings of an existing one" },
	{ "status", cmd_status, "show this host's mounts, or a volume's settings, sessions and usage" },
	{ "dump", cmd_dump, "write a volume's metadata as juicefs dump JSON" },
	{ "load", cmd_load, "load a juicefs dump into an empty database" },
	{ "fsck", cmd_fsck, "check a volume's blocks, or a tree's nlink and dir stats" },
	{ "gc", cmd_gc, "find and delete leaked objects and pending deletions" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char main_usage[] = "jfsadm [--version] [--help] <command> [<args>]";

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "jfsadm: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* what a failed library call said, or its errno's text */
const char *jfsadm_why(int ret)
{
	return *jfs_errmsg() ? jfs_errmsg() : strerror(-ret);
}

int jfsadm_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return JFSADM_FAIL;
}

void jfsadm_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int jfsadm_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s\n", usage);
	return JFSADM_USAGE;
}

int jfsadm_bad_option(const char *usage, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return jfsadm_usage_error(usage, "option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		return jfsadm_usage_error(usage, "unknown option '-%c'", optopt);
	return jfsadm_usage_error(usage, "unknown option '%s'", arg);
}

int jfsadm_check_url(const char *url, char *shown, size_t shownlen)
{
	if (url_redact(url, shown, shownlen))
		snprintf(shown, shownlen, "(too long)");
	if (url_meta_validate(url)) {
		jfsadm_error("%s", jfs_errmsg());
		return JFSADM_USAGE;
	}
	return JFSADM_OK;
}

int jfsadm_open_volume(const char *url, unsigned int flags, struct volume **v)
{
	char shown[1024];
	int ret;

	ret = jfsadm_check_url(url, shown, sizeof(shown));
	if (ret)
		return ret;
	ret = volume_open(url, flags, v);
	if (ret && !strcmp(jfs_errlayer(), "meta"))
		return jfsadm_error("cannot open META-URL '%s': %s", shown,
				    jfsadm_why(ret));
	if (ret)
		return jfsadm_error("%s", jfs_errmsg());
	return JFSADM_OK;
}

int jfsadm_one_url(int argc, char **argv, const char *usage, const char **url)
{
	if (optind >= argc)
		return jfsadm_usage_error(usage, "missing META-URL");
	if (argc - optind > 1)
		return jfsadm_usage_error(usage, "too many arguments");
	*url = argv[optind];
	return JFSADM_OK;
}

void jfsadm_note(void *arg, const char *line)
{
	fprintf(stderr, "jfsadm: %s\n", line);
}

int jfsadm_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int jfsadm_parse_size(const char *s, unsigned int unit_shift, uint64_t *bytes)
{
	static const char units[] = "KMGTPE";
	unsigned int shift = unit_shift;
	unsigned long long n;
	const char *u;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (u - units + 1);
		end++;
		/* "4M", "4MB", "4MiB" all mean mebibytes, as in juicefs */
		if (*end == 'i')
			end++;
		if (*end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)n << shift;
	return 0;
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s\n\ncommands:\n", main_usage);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "   %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nSee 'jfsadm <command> --help' for the options of a command.\n");
}

/* git's run_builtin epilogue: output that did not reach stdout is a failure. */
static int finish_stdout(int status)
{
	struct stat st;

	if (fstat(fileno(stdout), &st))
		return status;	/* stdout closed: nothing was lost here */
	if (fflush(stdout) || ferror(stdout))
		return jfsadm_error("write failure on standard output: %s", strerror(errno));
	if (fclose(stdout))
		return jfsadm_error("close failed on standard output: %s", strerror(errno));
	return status;
}

int main(int argc, char **argv)
{
	const char *name;
	size_t i;
	int status;

	if (argc < 2) {
		print_usage(stderr);
		return JFSADM_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		print_usage(stdout);
		return finish_stdout(JFSADM_OK);
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("jfsadm version %s (JuiceFS compatible)\n", SETTING_CLIENT_VERSION);
		return finish_stdout(JFSADM_OK);
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			break;
	if (i == NCMDS) {
		if (name[0] == '-')
			return jfsadm_usage_error(main_usage, "unknown option '%s'", name);
		return jfsadm_usage_error(main_usage, "'%s' is not a jfsadm command; "
					  "see 'jfsadm --help'", name);
	}
	/* before any thread exists: curl's global state is not thread safe */
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		jfsadm_error("cannot initialize libcurl");
		return JFSADM_FAIL;
	}
	status = cmds[i].fn(argc - 1, argv + 1);
	status = finish_stdout(status);
	curl_global_cleanup();
	return status;
}
