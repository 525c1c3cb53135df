/*
 * cmd_format.c - `jfsadm format`: create a JuiceFS volume, or update the
 * mutable settings of the volume already there, as `juicefs format` does.
 * Parses the command line into volume_format()'s arguments (lib/volume/
 * format.c does the work) and prints what it did.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jfsadm.h"
#include "volume/volume.h"

static const char usage[] =
	"jfsadm format [--storage file|s3|minio] [--bucket DIR|URL] [--block-size KiB] "
	"[--compress none|lz4|zstd] [--hash-prefix] [--trash-days N] [--enable-acl] [--capacity GiB] "
	"[--inodes N] [--access-key K] [--secret-key S] [--force] META-URL NAME";

enum {
	OPT_STORAGE = 256, OPT_BUCKET, OPT_BLOCK_SIZE, OPT_COMPRESS, OPT_HASH_PREFIX,
	OPT_TRASH_DAYS, OPT_CAPACITY, OPT_INODES, OPT_ACCESS_KEY, OPT_SECRET_KEY,
	OPT_FORCE, OPT_ENABLE_ACL, OPT_MAX
};

static const struct option longopts[] = {
	{ "storage", required_argument, NULL, OPT_STORAGE },
	{ "bucket", required_argument, NULL, OPT_BUCKET },
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "hash-prefix", no_argument, NULL, OPT_HASH_PREFIX },
	{ "trash-days", required_argument, NULL, OPT_TRASH_DAYS },
	{ "enable-acl", no_argument, NULL, OPT_ENABLE_ACL },
	{ "capacity", required_argument, NULL, OPT_CAPACITY },
	{ "inodes", required_argument, NULL, OPT_INODES },
	{ "access-key", required_argument, NULL, OPT_ACCESS_KEY },
	{ "secret-key", required_argument, NULL, OPT_SECRET_KEY },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct format_args {
	bool given[OPT_MAX];	/* which options the command line set */
	const char *storage;
	char bucket[PATH_MAX];
	uint64_t block_size;	/* bytes */
	const char *compress;
	uint64_t trash_days, capacity, inodes;
	const char *access_key, *secret_key;
	bool hash_prefix, force, enable_acl;
};

static int default_bucket(char *out)
{
	const char *home = getenv("HOME");

	if (geteuid() == 0 || !home || !*home)
		return snprintf(out, PATH_MAX, "/var/lib/jfs/") < 0 ? -EINVAL : 0;
	if (snprintf(out, PATH_MAX, "%s/.juicefs/local/", home) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int parse_args(int argc, char **argv, struct format_args *a)
{
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->storage = "file";
	a->compress = "none";
	a->block_size = 4 << 20;
	a->trash_days = 1;	/* juicefs format's default */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return jfsadm_bad_option(usage, c, argv);
		if (c == 'h') {
			printf("usage: %s\n", usage);
			return -1;
		}
		a->given[c] = true;
		switch (c) {
		case OPT_STORAGE:
			a->storage = optarg;
			break;
		case OPT_BUCKET:
			if (!*optarg)
				return jfsadm_usage_error(usage, "empty --bucket");
			snprintf(a->bucket, sizeof(a->bucket), "%s", optarg);
			break;
		case OPT_BLOCK_SIZE:
			if (jfsadm_parse_size(optarg, 10, &v) || !v)
				return jfsadm_usage_error(usage, "invalid block size '%s'", optarg);
			a->block_size = v;
			break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "none") && strcmp(optarg, "lz4") && strcmp(optarg, "zstd"))
				return jfsadm_usage_error(usage, "unsupported compression '%s' "
							  "(none, lz4, zstd)", optarg);
			a->compress = optarg;
			break;
		case OPT_HASH_PREFIX:
			a->hash_prefix = true;
			break;
		case OPT_TRASH_DAYS:
			if (jfsadm_parse_u64(optarg, &a->trash_days) || a->trash_days > INT_MAX)
				return jfsadm_usage_error(usage, "invalid trash days '%s'", optarg);
			break;
		case OPT_CAPACITY:
			if (jfsadm_parse_size(optarg, 30, &a->capacity))
				return jfsadm_usage_error(usage, "invalid capacity '%s'", optarg);
			break;
		case OPT_INODES:
			if (jfsadm_parse_u64(optarg, &a->inodes))
				return jfsadm_usage_error(usage, "invalid inode limit '%s'", optarg);
			break;
		case OPT_ACCESS_KEY:
			a->access_key = optarg;
			break;
		case OPT_SECRET_KEY:
			a->secret_key = optarg;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_ENABLE_ACL:
			a->enable_acl = true;
			break;
		}
	}
	return 0;
}

/* which command-line options stand for which volume_format() fields */
static const struct { int opt; unsigned int bit; } given_bits[] = {
	{ OPT_STORAGE, VOLUME_FMT_STORAGE },
	{ OPT_BUCKET, VOLUME_FMT_BUCKET },
	{ OPT_BLOCK_SIZE, VOLUME_FMT_BLOCK_SIZE },
	{ OPT_COMPRESS, VOLUME_FMT_COMPRESS },
	{ OPT_HASH_PREFIX, VOLUME_FMT_HASH_PREFIX },
	{ OPT_TRASH_DAYS, VOLUME_FMT_TRASH_DAYS },
	{ OPT_CAPACITY, VOLUME_FMT_CAPACITY },
	{ OPT_INODES, VOLUME_FMT_INODES },
	{ OPT_ACCESS_KEY, VOLUME_FMT_ACCESS_KEY },
	{ OPT_SECRET_KEY, VOLUME_FMT_SECRET_KEY },
	{ OPT_ENABLE_ACL, VOLUME_FMT_ENABLE_ACL },
};

static int format(const char *url, const char *shown, const char *name,
		  const struct format_args *a)
{
	struct volume_format_args va = {
		.name = name,
		.storage = a->storage,
		.bucket = a->bucket,
		.block_size = a->block_size,
		.compress = a->compress,
		.hash_prefix = a->hash_prefix,
		.trash_days = a->trash_days,
		.capacity = a->capacity,
		.inodes = a->inodes,
		.access_key = a->access_key,
		.secret_key = a->secret_key,
		.enable_acl = a->enable_acl,
		.force = a->force,
	};
	struct volume_formatted out;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(given_bits) / sizeof(given_bits[0]); i++)
		if (a->given[given_bits[i].opt])
			va.given |= given_bits[i].bit;
	ret = volume_format(url, &va, &out);
	if (ret && !strcmp(jfs_errlayer(), "meta"))
		return jfsadm_error("cannot open META-URL '%s': %s", shown,
				    jfsadm_why(ret));
	if (ret)
		return jfsadm_error("cannot format: %s",
				    jfsadm_why(ret));
	if (*out.warning)
		jfsadm_warning("%s", out.warning);
	if (out.created)
		printf("formatted volume '%s' (UUID %s) with data in %s '%s'\n", out.name,
		       out.uuid, out.storage, out.bucket);
	else
		printf("updated volume '%s' (UUID %s)\n", out.name, out.uuid);
	return JFSADM_OK;
}

int cmd_format(int argc, char **argv)
{
	struct format_args a;
	char shown[1024];
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? JFSADM_OK : ret;
	if (argc - optind != 2)
		return jfsadm_usage_error(usage, "need META-URL and NAME");
	if (!volume_name_valid(argv[optind + 1]))
		return jfsadm_usage_error(usage, "invalid volume name '%s': use 3 to 63 "
					  "characters a-z, 0-9 and '-', starting and ending "
					  "with a letter or digit", argv[optind + 1]);
	if (!a.given[OPT_BUCKET] && !strcmp(a.storage, "file")) {
		if (default_bucket(a.bucket))
			return jfsadm_error("cannot find a default bucket directory");
	} else if (!a.given[OPT_BUCKET]) {
		return jfsadm_usage_error(usage, "storage '%s' needs --bucket", a.storage);
	}
	if (a.given[OPT_SECRET_KEY] && !a.given[OPT_ACCESS_KEY])
		return jfsadm_usage_error(usage, "--secret-key needs --access-key");
	/* as juicefs format: keys not on the command line come from the environment */
	if (!a.given[OPT_ACCESS_KEY] && getenv("ACCESS_KEY") && *getenv("ACCESS_KEY")) {
		a.access_key = getenv("ACCESS_KEY");
		a.given[OPT_ACCESS_KEY] = true;
		if (getenv("SECRET_KEY")) {
			a.secret_key = getenv("SECRET_KEY");
			a.given[OPT_SECRET_KEY] = true;
		}
	}

	ret = jfsadm_check_url(argv[optind], shown, sizeof(shown));
	if (ret)
		return ret;
	return format(argv[optind], shown, argv[optind + 1], &a);
}
