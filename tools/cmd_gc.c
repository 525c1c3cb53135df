/*
 * cmd_gc.c - `jfsadm gc`: finds (and with --delete removes) a volume's
 * leaked objects and pending deletions, as `juicefs gc` does, and prints
 * juicefs's summary line.  Parses the command line and prints;
 * lib/volume/gc.c does the work.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfsadm.h"
#include "util/progress.h"
#include "volume/volume.h"

static const char usage[] = "jfsadm gc [--compact] [--delete] [--threads N] [-q] META-URL";
static const char help[] =
	"Counts the objects no slice uses (leaked), pending deletions, the expired\n"
	"trash and chunk lists of no inode; with --delete removes them.  Objects\n"
	"modified in the last hour are skipped (JFS_GC_SKIPPEDTIME=SECONDS changes\n"
	"that, as for juicefs).\n"
	"\n"
	"options:\n"
	"  --compact           compact every chunk first (default: off)\n"
	"  --delete            delete what was found (default: only count)\n"
	"  --threads N         parallel deletes of leaked objects (default: 10)\n"
	"  -q, --quiet         no progress line (default: one on a terminal)\n"
	"  -h, --help          show this help\n";

enum { OPT_COMPACT = 256, OPT_DELETE, OPT_THREADS };

static const struct option opts[] = {
	{ "compact", no_argument, NULL, OPT_COMPACT },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_gc(int argc, char **argv)
{
	struct volume_gc_opts o = { .threads = 10, .skip_new = 3600, .note = jfsadm_note };
	struct volume_gc_report r;
	const char *env = getenv("JFS_GC_SKIPPEDTIME");
	bool quiet = false;
	const char *url;
	struct volume *v;
	uint64_t n;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_COMPACT:
			o.compact = true;
			break;
		case OPT_DELETE:
			o.delete = true;
			break;
		case OPT_THREADS:
			if (jfsadm_parse_u64(optarg, &n) || n < 1 || n > 1000)
				return jfsadm_usage_error(usage, "--threads '%s': want 1..1000",
							  optarg);
			o.threads = (unsigned int)n;
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
	if (env && *env) {
		if (jfsadm_parse_u64(env, &n))
			return jfsadm_usage_error(usage, "JFS_GC_SKIPPEDTIME='%s': want seconds",
						  env);
		o.skip_new = (int64_t)n;
	}
	o.progress = progress_wanted(quiet);
	ret = jfsadm_open_volume(url, VOLUME_STORE, &v);
	if (ret)
		return ret;
	ret = volume_gc(v, &o, &r);
	volume_close(v);
	if (ret)
		return jfsadm_error("%s", jfsadm_why(ret));
	if (o.delete)
		printf("Cleaned %llu expired trash entries, %llu chunk lists of no inode, "
		       "%llu pending slices\n", (unsigned long long)r.trash_cleaned,
		       (unsigned long long)r.orphan_chunks,
		       (unsigned long long)r.pending_slices_cleaned);
	else if (r.orphan_chunks)
		printf("Found %llu chunk lists of no inode\n", (unsigned long long)r.orphan_chunks);
	if (r.pending_files)
		printf("Pending deleted files: %llu (%llu bytes)\n",
		       (unsigned long long)r.pending_files,
		       (unsigned long long)r.pending_files_bytes);
	if (o.compact)
		printf("Compacted %llu chunks\n", (unsigned long long)r.compacted_chunks);
	/* juicefs gc's summary, word for word */
	printf("scanned %llu objects, %llu valid, %llu pending delete (%llu bytes), "
	       "%llu compacted (%llu bytes), %llu leaked (%llu bytes), %llu delslices "
	       "(%llu bytes), %llu delfiles (%llu bytes), %llu skipped (%llu bytes)\n",
	       (unsigned long long)r.scanned, (unsigned long long)r.valid,
	       (unsigned long long)r.pending, (unsigned long long)r.pending_bytes,
	       (unsigned long long)r.compacted, (unsigned long long)r.compacted_bytes,
	       (unsigned long long)r.leaked, (unsigned long long)r.leaked_bytes,
	       (unsigned long long)r.delslices, (unsigned long long)r.delslices_bytes,
	       (unsigned long long)r.delfiles, (unsigned long long)r.delfiles_bytes,
	       (unsigned long long)r.skipped, (unsigned long long)r.skipped_bytes);
	if (r.leaked && !o.delete)
		printf("Please add `--delete` to clean leaked objects\n");
	/* something to clean and not cleaned: the volume needs attention */
	return !o.delete && (r.leaked || r.orphan_chunks) ? JFSADM_FAIL : JFSADM_OK;
}
