/*
 * cmd_format.c - `jfsadm format`: create a JuiceFS volume (setting, root
 * inode, the bucket's juicefs_uuid object), or update the mutable settings
 * of the volume already there, as `juicefs format` does.
 *
 * Order matters for "nothing changed on failure": every check and every
 * object store step runs before the metadata is written, and the one
 * object written for a new volume is removed again if that write fails.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <uuid/uuid.h>

#include "jfsadm.h"
#include "volume/setting.h"
#include "store/store.h"

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
	uint64_t block_kib;
	const char *compress;
	uint64_t trash_days, capacity, inodes;
	const char *access_key, *secret_key;
	bool hash_prefix, force, enable_acl;
};

/* pkg/meta: `^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$` */
static bool valid_name(const char *name)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", REG_EXTENDED | REG_NOSUB))
		return false;
	ok = !regexec(&re, name, 0, NULL, 0);
	regfree(&re);
	return ok;
}

/* cmd/format.go fixObjectSize: round down to a power of 2, clamp to 64 KiB..16 MiB */
static uint64_t fix_block_size(uint64_t bytes)
{
	uint64_t p = 1;

	while (bytes >>= 1)
		p <<= 1;
	if (p < (64 << 10))
		p = 64 << 10;
	if (p > (16 << 20))
		p = 16 << 20;
	return p;
}

/* JuiceFS keeps file buckets absolute, with a trailing '/' (a directory). */
static int file_bucket(const char *in, char *out)
{
	char cwd[PATH_MAX];
	size_t len;
	int n;

	if (in[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", in);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	else
		n = snprintf(out, PATH_MAX, "%s/%s", strcmp(cwd, "/") ? cwd : "", in);
	if (n >= PATH_MAX - 1)
		return -ENAMETOOLONG;
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	if (strcmp(out, "/"))
		strcat(out, "/");
	return 0;
}

static int default_bucket(char *out)
{
	const char *home = getenv("HOME");

	if (geteuid() == 0 || !home || !*home)
		return file_bucket("/var/lib/jfs/", out);
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
	a->block_kib = 4096;
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
			a->block_kib = fix_block_size(v) >> 10;
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

/* Immutable fields change only with --force, as in JuiceFS Format.update(). */
static int update_setting(struct setting *s, const struct format_args *a)
{
	const char *old_comp = s->compression ? s->compression : "none";

	if (!a->force) {
		if (a->given[OPT_BLOCK_SIZE] && (uint64_t)s->block_size != a->block_kib)
			return jfsadm_error("cannot format: volume '%s' has block size %lld KiB, "
					    "not %llu (--force changes it)", s->name,
					    (long long)s->block_size,
					    (unsigned long long)a->block_kib);
		if (a->given[OPT_COMPRESS] && strcmp(old_comp, a->compress))
			return jfsadm_error("cannot format: volume '%s' uses compression '%s', "
					    "not '%s' (--force changes it)", s->name, old_comp,
					    a->compress);
		if (a->given[OPT_HASH_PREFIX] && !s->hash_prefix)
			return jfsadm_error("cannot format: volume '%s' has no hash prefix "
					    "(--force changes it)", s->name);
	}
	if (a->given[OPT_BLOCK_SIZE])
		s->block_size = a->block_kib;
	if (a->given[OPT_COMPRESS] && setting_set_str(&s->compression, a->compress))
		return jfsadm_error("out of memory");
	if (a->given[OPT_HASH_PREFIX])
		s->hash_prefix = true;
	if (a->given[OPT_CAPACITY])
		s->capacity = a->capacity;
	if (a->given[OPT_INODES])
		s->inodes = a->inodes;
	if (a->given[OPT_TRASH_DAYS])
		s->trash_days = a->trash_days;
	/* as juicefs: ACLs can be turned on later, never off */
	if (a->enable_acl && !s->enable_acl) {
		s->enable_acl = true;
		if (setting_set_str(&s->min_client_version, "1.2.0-A"))
			return jfsadm_error("out of memory");
	}
	if ((a->given[OPT_STORAGE] && setting_set_str(&s->storage, a->storage)) ||
	    (a->given[OPT_BUCKET] && setting_set_str(&s->bucket, a->bucket)) ||
	    (a->given[OPT_ACCESS_KEY] && setting_set_str(&s->access_key, a->access_key)) ||
	    (a->given[OPT_SECRET_KEY] && setting_set_str(&s->secret_key, a->secret_key)))
		return jfsadm_error("out of memory");
	return JFSADM_OK;
}

static int new_setting(struct setting *s, const char *name, const struct format_args *a)
{
	char uuid[37];
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, uuid);
	if (setting_init(s) ||
	    setting_set_str(&s->name, name) ||
	    setting_set_str(&s->uuid, uuid) ||
	    setting_set_str(&s->storage, a->storage) ||
	    setting_set_str(&s->bucket, a->bucket) ||
	    setting_set_str(&s->access_key, a->access_key) ||
	    setting_set_str(&s->secret_key, a->secret_key) ||
	    setting_set_str(&s->compression, a->compress) ||
	    setting_set_str(&s->encrypt_algo, "aes256gcm-rsa") ||
	    setting_set_str(&s->min_client_version, "1.1.0-A"))
		return jfsadm_error("out of memory");
	s->block_size = a->block_kib;
	s->hash_prefix = a->hash_prefix;
	s->capacity = a->capacity;
	s->inodes = a->inodes;
	s->trash_days = a->trash_days;
	s->meta_version = SETTING_META_VERSION;
	s->dir_stats = true;	/* as juicefs format does for new volumes */
	if (a->enable_acl) {
		s->enable_acl = true;
		if (setting_set_str(&s->min_client_version, "1.2.0-A"))
			return jfsadm_error("out of memory");
	}
	return JFSADM_OK;
}

/* cmd/format.go test(): put, get back, compare, delete a random object */
static int probe_store(struct store *st, const char *name, const char *bucket)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[10], data[100], back[100];
	char key[128];
	size_t got, i;
	int ret;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(data, sizeof(data)) != 1)
		return jfsadm_error("cannot format: no random bytes");
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = letters[rnd[i] % (sizeof(letters) - 1)];
	snprintf(key, sizeof(key), "%s/testing/%.10s", name, (char *)rnd);

	ret = st->ops->put(st, key, data, sizeof(data));
	if (ret == -ENOENT || ret == -ENOTDIR) {
		ret = st->ops->create(st);
		if (!ret)
			ret = st->ops->put(st, key, data, sizeof(data));
	}
	if (ret)
		return jfsadm_error("cannot format: storage '%s' does not work: %s", bucket,
				    jfs_errmsg());
	ret = st->ops->get(st, key, 0, sizeof(back), back, &got);
	if (ret)
		return jfsadm_error("cannot format: storage '%s' does not work: %s", bucket,
				    jfs_errmsg());
	if (got != sizeof(data) || memcmp(data, back, sizeof(data)))
		return jfsadm_error("cannot format: storage '%s' does not work: object '%s' "
				    "read back wrong", bucket, key);
	if (st->ops->delete(st, key))
		jfsadm_warning("cannot delete probe object: %s", jfs_errmsg());
	return JFSADM_OK;
}

struct listed {
	const char *testing;	/* "{Name}/testing/" */
	char key[512];
};

static int find_object(void *arg, const char *key, uint64_t size)
{
	struct listed *l = arg;

	if (!size || !strncmp(key, l->testing, strlen(l->testing)))
		return 0;
	snprintf(l->key, sizeof(l->key), "%s", key);
	return 1;
}

/* A new volume must not land on another volume's objects. */
static int check_empty(struct store *st, const char *name, const char *bucket)
{
	char prefix[128], testing[160];
	struct listed l = { testing, "" };
	int ret;

	snprintf(prefix, sizeof(prefix), "%s/", name);
	snprintf(testing, sizeof(testing), "%s/testing/", name);
	ret = st->ops->list(st, prefix, find_object, &l);
	if (ret < 0)
		return jfsadm_error("cannot format: cannot list storage '%s': %s", bucket,
				    jfs_errmsg());
	if (ret)
		return jfsadm_error("cannot format: storage '%s' already holds objects under "
				    "'%s' (e.g. '%s'); remove them or pick another name",
				    bucket, prefix, l.key);
	return JFSADM_OK;
}

static int format(struct meta *m, const char *shown, const char *name,
		  struct format_args *a)
{
	struct setting s = { 0 };
	struct store *st = NULL;
	char *json = NULL, uuid_key[128];
	bool create;
	int ret, status = JFSADM_FAIL;

	ret = meta_get_setting(m, &json);
	if (ret && ret != -ENOENT)
		return jfsadm_error("cannot read the setting of '%s': %s", shown, jfs_errmsg());
	create = ret == -ENOENT;
	if (create) {
		status = new_setting(&s, name, a);
		if (status)
			goto out;
	} else {
		if (setting_parse(&s, json)) {
			status = jfsadm_error("cannot format: '%s' holds a bad setting: %s", shown,
					      jfs_errmsg());
			goto out;
		}
		if (!s.name || strcmp(s.name, name)) {
			status = jfsadm_error("cannot format: META-URL already holds volume '%s'",
					      s.name ? s.name : "");
			goto out;
		}
		/* rewriting a record of a newer format could damage it */
		if (s.meta_version > SETTING_META_VERSION) {
			setting_check(&s, true);
			status = jfsadm_error("cannot format: %s", jfs_errmsg());
			goto out;
		}
		if (setting_unseal(&s)) {
			status = jfsadm_error("cannot format: %s", jfs_errmsg());
			goto out;
		}
		status = update_setting(&s, a);
		if (status)
			goto out;
	}
	status = JFSADM_FAIL;
	if (!s.storage || !s.bucket) {
		jfsadm_error("cannot format: volume '%s' has no storage or bucket", s.name);
		goto out;
	}
	if (!strcmp(s.storage, "file")) {
		ret = file_bucket(s.bucket, a->bucket);
		if (!ret)
			ret = setting_set_str(&s.bucket, a->bucket);
		if (ret) {
			jfsadm_error("cannot format: bad bucket '%s': %s", s.bucket, strerror(-ret));
			goto out;
		}
	}

	ret = store_open(s.storage, s.bucket, s.access_key, s.secret_key, &st);
	if (ret) {
		jfsadm_error("cannot format: %s", jfs_errmsg());
		goto out;
	}
	ret = st->ops->create(st);
	if (ret) {
		jfsadm_error("cannot format: cannot create storage '%s': %s", s.bucket,
			     jfs_errmsg());
		goto out;
	}
	if (probe_store(st, s.name, s.bucket))
		goto out;
	snprintf(uuid_key, sizeof(uuid_key), "%s/juicefs_uuid", s.name);
	if (create) {
		if (check_empty(st, s.name, s.bucket))
			goto out;
		ret = st->ops->put(st, uuid_key, s.uuid, strlen(s.uuid));
		if (ret) {
			jfsadm_error("cannot format: %s", jfs_errmsg());
			goto out;
		}
	}

	free(json);
	json = NULL;
	if (setting_seal(&s) || setting_to_json(&s, &json)) {
		jfsadm_error("cannot format: %s", jfs_errmsg());
		goto undo;
	}
	ret = meta_init(m, json, s.trash_days > 0);
	if (ret) {
		jfsadm_error("cannot format '%s': %s", shown, jfs_errmsg());
		goto undo;
	}
	if (create)
		printf("formatted volume '%s' (UUID %s) with data in %s '%s'\n", s.name, s.uuid,
		       s.storage, s.bucket);
	else
		printf("updated volume '%s' (UUID %s)\n", s.name, s.uuid);
	status = JFSADM_OK;
	goto out;
undo:
	if (create)
		st->ops->delete(st, uuid_key);
out:
	store_close(st);
	free(json);
	setting_release(&s);
	return status;
}

int cmd_format(int argc, char **argv)
{
	struct format_args a;
	struct meta *m = NULL;
	char shown[1024];
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? JFSADM_OK : ret;
	if (argc - optind != 2)
		return jfsadm_usage_error(usage, "need META-URL and NAME");
	if (!valid_name(argv[optind + 1]))
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

	ret = jfsadm_open_meta(argv[optind], &m, shown, sizeof(shown));
	if (ret)
		return ret;
	ret = format(m, shown, argv[optind + 1], &a);
	meta_close(m);
	return ret;
}
