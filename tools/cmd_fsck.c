/*
 * cmd_fsck.c - `jfsadm fsck`: checks a volume's blocks against its store,
 * or a tree's nlink and dir stats, as `juicefs fsck` does.  Parses the
 * command line and prints; lib/volume/fsck.c does the work.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "jfsadm.h"
#include "util/progress.h"
#include "volume/volume.h"

static const char usage[] =
	"jfsadm fsck [--path PATH [-r] [--repair] [--sync-dir-stat]] [-q] META-URL";
static const char help[] =
	"Without --path, checks that every block of every file's slices is in the\n"
	"object store.  With --path, checks the directories there: nlink, and dir\n"
	"stats on volumes that keep them.  Exit 1 when anything is wrong.\n"
	"\n"
	"options:\n"
	"  --path PATH         check this absolute path in the volume (default: every block)\n"
	"  -r, --recursive     check the whole tree under PATH (default: PATH only)\n"
	"  --repair            fix nlink and dir stats (default: only report)\n"
	"  --sync-dir-stat     recount dir stats (and with --repair on / -r, the volume's\n"
	"                      used space and inodes) (default: off)\n"
	"  -q, --quiet         no progress line (default: one on a terminal)\n"
	"  -h, --help          show this help\n";

enum { OPT_PATH = 256, OPT_REPAIR, OPT_SYNC };

static const struct option opts[] = {
	{ "path", required_argument, NULL, OPT_PATH },
	{ "recursive", no_argument, NULL, 'r' },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ "sync-dir-stat", no_argument, NULL, OPT_SYNC },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_fsck(int argc, char **argv)
{
	struct volume_fsck_opts o = { .note = jfsadm_note };
	struct volume_fsck_report r;
	bool quiet = false;
	const char *url;
	struct volume *v;
	size_t i;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rqh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PATH:
			o.path = optarg;
			break;
		case 'r':
			o.recursive = true;
			break;
		case OPT_REPAIR:
			o.repair = true;
			break;
		case OPT_SYNC:
			o.sync_dir_stat = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("usage: %s\n\n%s", usage, help);
			return JFSADM_OK;
		default:
			return jfsadm_bad_option(usage, c, argv);
		}
	}
	ret = jfsadm_one_url(argc, argv, usage, &url);
	if (ret)
		return ret;
	if (!o.path && (o.repair || o.recursive || o.sync_dir_stat))
		return jfsadm_usage_error(usage, "-r, --repair and --sync-dir-stat need --path");
	if (o.path && o.path[0] != '/')
		return jfsadm_usage_error(usage, "--path '%s' must be absolute", o.path);
	o.progress = progress_wanted(quiet);
	ret = jfsadm_open_volume(url, VOLUME_STORE | (o.repair ? 0 : VOLUME_RDONLY),
				 &v);
	if (ret)
		return ret;
	ret = volume_fsck(v, &o, &r);
	volume_close(v);
	if (ret) {
		volume_fsck_report_free(&r);
		return jfsadm_error("%s", jfsadm_why(ret));
	}
	if (!o.path)
		printf("Found %llu blocks (%llu bytes), used by %llu slices (%llu bytes)\n",
		       (unsigned long long)r.objects, (unsigned long long)r.object_bytes,
		       (unsigned long long)r.slices, (unsigned long long)r.slice_bytes);
	else
		printf("Checked %llu nodes, %llu slices\n", (unsigned long long)r.nodes,
		       (unsigned long long)r.slices);
	if (r.skipped_files)
		printf("Skipped %llu deleted files (%llu slices)\n",
		       (unsigned long long)r.skipped_files, (unsigned long long)r.skipped_slices);
	if (r.bad_nlink || r.bad_stats)
		printf("%llu dirs with a wrong nlink, %llu with broken stats, %llu repaired\n",
		       (unsigned long long)r.bad_nlink, (unsigned long long)r.bad_stats,
		       (unsigned long long)r.repaired);
	if (r.volume_stat)
		printf("Volume used space and inodes recounted\n");
	if (r.corrupt)
		printf("%llu corrupt chunk lists\n", (unsigned long long)r.corrupt);
	if (r.lost) {
		printf("%llu objects are lost (%llu bytes), %zu broken files:\n",
		       (unsigned long long)r.lost, (unsigned long long)r.lost_bytes, r.nbroken);
		printf("%13s: PATH\n", "INODE");
		for (i = 0; i < r.nbroken; i++)
			printf("%13llu: %s\n", (unsigned long long)r.broken[i].ino,
			       r.broken[i].path);
	}
	ret = r.problems ? JFSADM_FAIL : JFSADM_OK;
	volume_fsck_report_free(&r);
	return ret;
}
