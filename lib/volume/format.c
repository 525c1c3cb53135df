/*
 * format.c - volume_format(): create a JuiceFS volume (setting, root
 * inode, the bucket's juicefs_uuid object), or update the mutable settings
 * of the volume already there, as `juicefs format` does (cmd/format.go).
 *
 * Order matters for "nothing changed on failure": every check and every
 * object store step runs before the metadata is written, and the one
 * object written for a new volume is removed again if that write fails.
 * Messages are the reason alone ("META-URL already holds volume 'x'"); the
 * caller says what failed ("cannot format: ...").
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <uuid/uuid.h>

#include "util/url.h"
#include "volume/volume.h"

#define FMT_FAIL(err, ...)	jfs_fail("volume", err, __VA_ARGS__)

bool volume_name_valid(const char *name)
{
	regex_t re;
	bool ok;

	/* pkg/meta: `^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$` */
	if (!name || regcomp(&re, "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", REG_EXTENDED | REG_NOSUB))
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

static int oom(void)
{
	return FMT_FAIL(-ENOMEM, "out of memory");
}

/* Immutable fields change only with force, as in JuiceFS Format.update(). */
static int update_setting(struct setting *s, const struct volume_format_args *a)
{
	const char *old_comp = s->compression ? s->compression : "none";
	uint64_t block_kib = fix_block_size(a->block_size) >> 10;
	unsigned int g = a->given;

	if (!a->force) {
		if ((g & VOLUME_FMT_BLOCK_SIZE) && (uint64_t)s->block_size != block_kib)
			return FMT_FAIL(-EINVAL, "volume '%s' has block size %lld KiB, not %llu "
					"(--force changes it)", s->name, (long long)s->block_size,
					(unsigned long long)block_kib);
		if ((g & VOLUME_FMT_COMPRESS) && strcmp(old_comp, a->compress))
			return FMT_FAIL(-EINVAL, "volume '%s' uses compression '%s', not '%s' "
					"(--force changes it)", s->name, old_comp, a->compress);
		if ((g & VOLUME_FMT_HASH_PREFIX) && !s->hash_prefix)
			return FMT_FAIL(-EINVAL, "volume '%s' has no hash prefix "
					"(--force changes it)", s->name);
	}
	if (g & VOLUME_FMT_BLOCK_SIZE)
		s->block_size = block_kib;
	if ((g & VOLUME_FMT_COMPRESS) && setting_set_str(&s->compression, a->compress))
		return oom();
	if (g & VOLUME_FMT_HASH_PREFIX)
		s->hash_prefix = true;
	if (g & VOLUME_FMT_CAPACITY)
		s->capacity = a->capacity;
	if (g & VOLUME_FMT_INODES)
		s->inodes = a->inodes;
	if (g & VOLUME_FMT_TRASH_DAYS)
		s->trash_days = a->trash_days;
	/* as juicefs: ACLs can be turned on later, never off */
	if (a->enable_acl && !s->enable_acl) {
		s->enable_acl = true;
		if (setting_set_str(&s->min_client_version, "1.2.0-A"))
			return oom();
	}
	if (((g & VOLUME_FMT_STORAGE) && setting_set_str(&s->storage, a->storage)) ||
	    ((g & VOLUME_FMT_BUCKET) && setting_set_str(&s->bucket, a->bucket)) ||
	    ((g & VOLUME_FMT_ACCESS_KEY) && setting_set_str(&s->access_key, a->access_key)) ||
	    ((g & VOLUME_FMT_SECRET_KEY) && setting_set_str(&s->secret_key, a->secret_key)))
		return oom();
	return 0;
}

static int new_setting(struct setting *s, const struct volume_format_args *a)
{
	char uuid[37];
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, uuid);
	if (setting_init(s) ||
	    setting_set_str(&s->name, a->name) ||
	    setting_set_str(&s->uuid, uuid) ||
	    setting_set_str(&s->storage, a->storage) ||
	    setting_set_str(&s->bucket, a->bucket) ||
	    setting_set_str(&s->access_key, a->access_key) ||
	    setting_set_str(&s->secret_key, a->secret_key) ||
	    setting_set_str(&s->compression, a->compress) ||
	    setting_set_str(&s->encrypt_algo, "aes256gcm-rsa") ||
	    setting_set_str(&s->min_client_version, "1.1.0-A"))
		return oom();
	s->block_size = fix_block_size(a->block_size) >> 10;
	s->hash_prefix = a->hash_prefix;
	s->capacity = a->capacity;
	s->inodes = a->inodes;
	s->trash_days = a->trash_days;
	s->meta_version = SETTING_META_VERSION;
	s->dir_stats = true;	/* as juicefs format does for new volumes */
	if (a->enable_acl) {
		s->enable_acl = true;
		if (setting_set_str(&s->min_client_version, "1.2.0-A"))
			return oom();
	}
	return 0;
}

/* cmd/format.go test(): put, get back, compare, delete a random object */
static int probe_store(struct store *st, const struct setting *s,
		       struct volume_formatted *out)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[10], data[100], back[100];
	char key[128];
	size_t got, i;
	int ret;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(data, sizeof(data)) != 1)
		return FMT_FAIL(-EIO, "no random bytes");
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = letters[rnd[i] % (sizeof(letters) - 1)];
	snprintf(key, sizeof(key), "%s/testing/%.10s", s->name, (char *)rnd);

	ret = st->ops->put(st, key, data, sizeof(data));
	if (ret == -ENOENT || ret == -ENOTDIR) {
		ret = st->ops->create(st);
		if (!ret)
			ret = st->ops->put(st, key, data, sizeof(data));
	}
	if (!ret)
		ret = st->ops->get(st, key, 0, sizeof(back), back, &got);
	if (ret)
		return FMT_FAIL(ret, "storage '%s' does not work: %s", s->bucket, jfs_errmsg());
	if (got != sizeof(data) || memcmp(data, back, sizeof(data)))
		return FMT_FAIL(-EIO, "storage '%s' does not work: object '%s' read back wrong",
				s->bucket, key);
	if (st->ops->delete(st, key))
		snprintf(out->warning, sizeof(out->warning), "cannot delete probe object: %s",
			 jfs_errmsg());
	return 0;
}

struct listed {
	const char *testing;	/* "{Name}/testing/" */
	char key[512];
};

static int find_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct listed *l = arg;

	if (!size || !strncmp(key, l->testing, strlen(l->testing)))
		return 0;
	snprintf(l->key, sizeof(l->key), "%s", key);
	return 1;
}

/* A new volume must not land on another volume's objects. */
static int check_empty(struct store *st, const struct setting *s)
{
	char prefix[128], testing[160];
	struct listed l = { testing, "" };
	int ret;

	snprintf(prefix, sizeof(prefix), "%s/", s->name);
	snprintf(testing, sizeof(testing), "%s/testing/", s->name);
	ret = st->ops->list(st, prefix, find_object, &l);
	if (ret < 0)
		return FMT_FAIL(ret, "cannot list storage '%s': %s", s->bucket, jfs_errmsg());
	if (ret)
		return FMT_FAIL(-EEXIST, "storage '%s' already holds objects under '%s' "
				"(e.g. '%s'); remove them or pick another name",
				s->bucket, prefix, l.key);
	return 0;
}

/* Reads the volume there, if any, into s; checks it may be rewritten. */
static int load_existing(struct meta *m, const char *shown, const char *name,
			 struct setting *s, bool *create)
{
	char *json = NULL;
	int ret;

	ret = meta_get_setting(m, &json);
	*create = ret == -ENOENT;
	if (*create)
		return 0;
	if (ret)
		return FMT_FAIL(ret, "cannot read the setting of %s: %s", shown, jfs_errmsg());
	ret = setting_parse(s, json);
	free(json);
	if (ret)
		return FMT_FAIL(ret, "%s holds a bad setting: %s", shown, jfs_errmsg());
	if (!s->name || strcmp(s->name, name))
		return FMT_FAIL(-EEXIST, "META-URL already holds volume '%s'",
				s->name ? s->name : "");
	/* rewriting a record of a newer format could damage it */
	if (s->meta_version > SETTING_META_VERSION) {
		setting_check(s, true);
		return FMT_FAIL(-EOPNOTSUPP, "%s", jfs_errmsg());
	}
	return setting_unseal(s);
}

/* The object store half: open, create, probe; a new volume's juicefs_uuid. */
static int prepare_store(struct setting *s, bool create, struct store **st,
			 struct volume_formatted *out)
{
	char key[128];
	int ret;

	if (!s->storage || !s->bucket)
		return FMT_FAIL(-EINVAL, "volume '%s' has no storage or bucket", s->name);
	if (!strcmp(s->storage, "file")) {
		ret = file_bucket(s->bucket, out->bucket);
		if (!ret)
			ret = setting_set_str(&s->bucket, out->bucket);
		if (ret)
			return FMT_FAIL(ret, "bad bucket '%s': %s", s->bucket, strerror(-ret));
	}
	ret = store_open(s->storage, s->bucket, s->access_key, s->secret_key, st);
	if (ret)
		return ret;
	ret = (*st)->ops->create(*st);
	if (ret)
		return FMT_FAIL(ret, "cannot create storage '%s': %s", s->bucket, jfs_errmsg());
	ret = probe_store(*st, s, out);
	if (ret || !create)
		return ret;
	ret = check_empty(*st, s);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "%s/juicefs_uuid", s->name);
	return (*st)->ops->put(*st, key, s->uuid, strlen(s->uuid));
}

int volume_format(const char *url, const struct volume_format_args *a,
		  struct volume_formatted *out)
{
	struct setting s = { 0 };
	struct store *st = NULL;
	struct meta *m = NULL;
	char *json = NULL, shown[512], key[128];
	bool create = false, put_uuid = false;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!volume_name_valid(a->name))
		return FMT_FAIL(-EINVAL, "invalid volume name '%s'", a->name ? a->name : "");
	if (url_redact(url, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "(invalid url)");
	ret = meta_open(url, &m);
	if (ret)
		return ret;	/* layer "meta" */
	ret = load_existing(m, shown, a->name, &s, &create);
	if (!ret)
		ret = create ? new_setting(&s, a) : update_setting(&s, a);
	if (!ret) {
		ret = prepare_store(&s, create, &st, out);
		put_uuid = create && !ret;
	}
	if (!ret && (setting_seal(&s) || setting_to_json(&s, &json)))
		ret = -EINVAL;
	if (!ret) {
		ret = meta_init(m, json, s.trash_days > 0);
		if (ret)
			FMT_FAIL(ret, "cannot write the volume to %s: %s", shown, jfs_errmsg());
	}
	if (ret && put_uuid) {
		snprintf(key, sizeof(key), "%s/juicefs_uuid", s.name);
		st->ops->delete(st, key);
	}
	if (!ret) {
		out->created = create;
		snprintf(out->name, sizeof(out->name), "%s", s.name);
		snprintf(out->uuid, sizeof(out->uuid), "%s", s.uuid ? s.uuid : "");
		snprintf(out->storage, sizeof(out->storage), "%s", s.storage);
		snprintf(out->bucket, sizeof(out->bucket), "%s", s.bucket);
	}
	store_close(st);
	free(json);
	setting_release(&s);
	meta_close(m);
	return ret;
}
