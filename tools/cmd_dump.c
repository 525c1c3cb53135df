/*
 * cmd_dump.c - `jfsadm dump` and `jfsadm load`: a volume's metadata to
 * and from JuiceFS's dump JSON, as `juicefs dump` and `juicefs load`
 * do.  Parses the command line and prints; lib/volume/dump.c and load.c
 * do the work.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jfsadm.h"
#include "util/progress.h"
#include "volume/volume.h"

static const char dump_usage[] =
	"jfsadm dump [--subdir PATH] [--keep-secret-key] [--skip-trash] [--quiet] META-URL [FILE]";
static const char dump_help[] =
	"Writes the volume's metadata as `juicefs dump` JSON to FILE (default \"-\":\n"
	"standard output); a FILE ending in .gz or .zstd is compressed.\n"
	"\n"
	"options:\n"
	"  --subdir PATH       dump only this directory's tree (default: the whole volume)\n"
	"  --keep-secret-key   keep SecretKey and SessionToken (default: \"removed\")\n"
	"  --skip-trash        leave the trash out (default: dump it)\n"
	"  -q, --quiet         no progress line (default: one on a terminal)\n"
	"  -h, --help          show this help\n";

static const char load_usage[] = "jfsadm load [--quiet] META-URL [FILE]";
static const char load_help[] =
	"Loads a `juicefs dump` JSON file (default \"-\": standard input; gzip or zstd\n"
	"compressed ones are recognised) into META-URL, which must be empty.\n"
	"Counters, links, dir stats and slice references are rebuilt from the tree.\n"
	"\n"
	"options:\n"
	"  -q, --quiet         no progress line (default: one on a terminal)\n"
	"  -h, --help          show this help\n";

enum { OPT_SUBDIR = 256, OPT_KEEP_SECRET, OPT_SKIP_TRASH };

static const struct option dump_opts[] = {
	{ "subdir", required_argument, NULL, OPT_SUBDIR },
	{ "keep-secret-key", no_argument, NULL, OPT_KEEP_SECRET },
	{ "skip-trash", no_argument, NULL, OPT_SKIP_TRASH },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const struct option load_opts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* META-URL [FILE] after the options; *file NULL when absent */
static int positional(int argc, char **argv, const char *usage, const char **url,
		      const char **file)
{
	if (optind >= argc)
		return jfsadm_usage_error(usage, "missing META-URL");
	if (argc - optind > 2)
		return jfsadm_usage_error(usage, "too many arguments");
	*url = argv[optind];
	*file = optind + 1 < argc ? argv[optind + 1] : NULL;
	return JFSADM_OK;
}

int cmd_dump(int argc, char **argv)
{
	struct volume_dump_opts o = { 0 };
	const char *url, *file;
	struct volume *v;
	bool quiet = false;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", dump_opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case OPT_SUBDIR:
			o.subdir = optarg;
			break;
		case OPT_KEEP_SECRET:
			o.keep_secret = true;
			break;
		case OPT_SKIP_TRASH:
			o.skip_trash = true;
			break;
		case 'h':
			printf("usage: %s\n\n%s", dump_usage, dump_help);
			return JFSADM_OK;
		default:
			return jfsadm_bad_option(dump_usage, c, argv);
		}
	}
	ret = positional(argc, argv, dump_usage, &url, &file);
	if (ret)
		return ret;
	o.progress = progress_wanted(quiet);
	/* any volume, even one jfsd could not serve, can be dumped */
	ret = jfsadm_open_volume(url, VOLUME_RDONLY | VOLUME_ANY, &v);
	if (ret)
		return ret;
	ret = volume_dump(v, file, &o);
	volume_close(v);
	if (ret)
		return jfsadm_error("%s", jfsadm_why(ret));
	return JFSADM_OK;
}

int cmd_load(int argc, char **argv)
{
	struct volume_loaded out;
	const char *url, *file;
	char shown[1024];
	bool quiet = false;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", load_opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("usage: %s\n\n%s", load_usage, load_help);
			return JFSADM_OK;
		default:
			return jfsadm_bad_option(load_usage, c, argv);
		}
	}
	ret = positional(argc, argv, load_usage, &url, &file);
	if (!ret)
		ret = jfsadm_check_url(url, shown, sizeof(shown));
	if (ret)
		return ret;
	ret = volume_load(url, file, progress_wanted(quiet), &out);
	if (ret && !strcmp(jfs_errlayer(), "meta") && ret != -ENOTEMPTY)
		return jfsadm_error("cannot open META-URL '%s': %s", shown,
				    jfsadm_why(ret));
	if (ret)
		return jfsadm_error("%s", jfsadm_why(ret));
	fprintf(stderr, "jfsadm: loaded %llu inodes (%llu entries) into %s\n",
		(unsigned long long)out.inodes, (unsigned long long)out.entries, shown);
	return JFSADM_OK;
}
