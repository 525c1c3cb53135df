/*
 * open.c - volume_open(): from a META-URL to a volume a client may serve.
 *
 * The steps are those of every JuiceFS client's start: open the engine,
 * read the `setting` record (none: not formatted), parse it, refuse what
 * this client cannot serve, open the sealed secrets and the object store.
 * jfsd's mounts, mount.jfs's check and jfsadm all come through here, so a
 * volume is refused the same way, with the same words, by each of them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/compress.h"
#include "util/url.h"
#include "volume/volume.h"

/* Fails with the record's message behind what the volume step was. */
static int vfail(struct volume *v, int ret, const char *what)
{
	char inner[512];

	snprintf(inner, sizeof(inner), "%s", *jfs_errmsg() ? jfs_errmsg() : strerror(-ret));
	return jfs_fail("volume", ret, "%s%s%s", what, *what ? ": " : "", inner);
}

static int read_setting(struct volume *v)
{
	char *json = NULL, what[600];
	int ret;

	ret = meta_get_setting(v->meta, &json);
	if (ret == -ENOENT)
		return jfs_fail("volume", ret, "%s is not formatted: run 'jfsadm format'",
				v->shown);
	if (ret) {
		snprintf(what, sizeof(what), "cannot read the setting of %s", v->shown);
		return vfail(v, ret, what);
	}
	ret = setting_parse(&v->setting, json);
	free(json);
	if (ret) {
		snprintf(what, sizeof(what), "%s holds a bad setting", v->shown);
		return vfail(v, ret, what);
	}
	return 0;
}

int volume_open(const char *url, unsigned int flags, struct volume **vp)
{
	struct volume *v;
	bool rdonly = flags & VOLUME_RDONLY;
	int ret;

	*vp = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	v->flags = flags;
	setting_init(&v->setting);
	if (url_redact(url, v->shown, sizeof(v->shown)))
		snprintf(v->shown, sizeof(v->shown), "(invalid url)");
	ret = meta_open(url, &v->meta);
	if (ret) {
		/* the engine's own record, layer "meta", says why */
		if (!*jfs_errmsg())
			jfs_seterr("meta", "%s", strerror(-ret));
		goto fail;
	}
	ret = read_setting(v);
	if (!ret && !(flags & VOLUME_ANY)) {
		ret = setting_check(&v->setting, rdonly);
		if (ret)
			vfail(v, ret, "");
	}
	if (!ret && (flags & VOLUME_STORE)) {
		ret = setting_unseal(&v->setting);
		if (ret) {
			vfail(v, ret, "volume setting");
		} else {
			ret = store_open(v->setting.storage, v->setting.bucket,
					 v->setting.access_key, v->setting.secret_key,
					 &v->store);
			if (ret)
				vfail(v, ret, "object store");
		}
	}
	if (ret)
		goto fail;
	/* what the volume asks every writer to keep up to date */
	v->meta->trash_days = v->setting.trash_days > INT_MAX ? INT_MAX :
			      v->setting.trash_days < 0 ? 0 : (int)v->setting.trash_days;
	v->meta->dir_stats = v->setting.dir_stats && !rdonly;
	*vp = v;
	return 0;
fail:
	volume_close(v);
	return ret;
}

void volume_close(struct volume *v)
{
	if (!v)
		return;
	if (v->meta)
		meta_close(v->meta);
	if (v->store)
		store_close(v->store);
	setting_release(&v->setting);
	free(v);
}

int volume_chunk_layout(const struct volume *v, struct chunk_ctx *c)
{
	const struct setting *s = &v->setting;

	if (s->block_size <= 0 || s->block_size > (16 << 10))
		return jfs_fail("volume", -EINVAL, "volume '%s' has a bad block size %lld KiB",
				s->name ? s->name : "", (long long)s->block_size);
	if (compress_kind(s->compression, &c->comp))
		return jfs_fail("volume", -EOPNOTSUPP, "unknown compression '%s'",
				s->compression);
	c->meta = v->meta;
	c->store = v->store;
	snprintf(c->prefix, sizeof(c->prefix), "%s/", s->name ? s->name : "");
	c->block_size = (uint32_t)s->block_size * 1024;
	c->hash_prefix = s->hash_prefix;
	return 0;
}
