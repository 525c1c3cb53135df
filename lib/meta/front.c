/*
 * front.c - the metadata layer's front: what callers (jfsd, jfsadm, the
 * data path) call.  It picks the engine by the URL's scheme and runs each
 * meta_*() call through the engine's ops table (engine.h), so nothing above
 * the library reaches an engine directly.  Rules every engine applies the
 * same way live here or in base.c, written once; an engine supplies only
 * its transaction bodies (as JuiceFS's baseMeta wraps its engines' doX).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta/engine.h"

/* ---- types --------------------------------------------------------- */

/* Engines are listed here; one engine may serve several schemes. */
extern const struct meta_ops meta_redis_ops;
extern const struct meta_ops meta_sqlite_ops;

struct meta_engine {
	const char *scheme;
	const struct meta_ops *ops;
};

/* ---- static state --------------------------------------------------- */

static const struct meta_engine meta_engines[] = {
	{ "redis", &meta_redis_ops },
	{ "unix", &meta_redis_ops },
	{ "sqlite3", &meta_sqlite_ops },
};

/* ---- public functions ---------------------------------------------- */

int meta_open(const char *url, struct meta **mp)
{
	const char *sep;
	size_t i, len;

	*mp = NULL;
	sep = url ? strstr(url, "://") : NULL;
	if (!sep || sep == url) {
		jfs_seterr("meta", "invalid metadata url '%s': no scheme",
				url ? url : "");
		return -EINVAL;
	}
	len = sep - url;
	for (i = 0; i < sizeof(meta_engines) / sizeof(meta_engines[0]); i++) {
		if (strlen(meta_engines[i].scheme) == len &&
		    !strncmp(meta_engines[i].scheme, url, len)) {
			int ret = meta_engines[i].ops->open(url, mp);

			if (!ret)
				meta_base_init(*mp);
			return ret;
		}
	}
	jfs_seterr("meta", "unsupported metadata engine '%.*s'", (int)len, url);
	return -EINVAL;
}

void meta_close(struct meta *m)
{
	if (!m)
		return;
	meta_base_destroy(m);
	m->ops->close(m);
}

void meta_free_dirents(struct meta_dirent *ents, size_t n)
{
	size_t i;

	if (!ents)
		return;
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

void meta_free_sessions(struct meta_session_info *s, size_t n)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < n; i++) {
		free(s[i].info);
		free(s[i].sustained);
	}
	free(s);
}

/* ---- the calls: one per engine op (meta.h documents each) ---------- */

int meta_get_setting(struct meta *m, char **json)
{
	return m->ops->get_setting(m, json);
}

int meta_init(struct meta *m, const char *json, bool trash)
{
	return m->ops->init(m, json, trash);
}

int meta_statfs(struct meta *m, uint64_t *used_space, uint64_t *used_inodes)
{
	return m->ops->statfs(m, used_space, used_inodes);
}

int meta_count_dir_quotas(struct meta *m, uint64_t *n)
{
	return m->ops->count_dir_quotas(m, n);
}

int meta_new_session(struct meta *m, const char *info_json, uint64_t *sid)
{
	return m->ops->new_session(m, info_json, sid);
}

int meta_refresh_session(struct meta *m, uint64_t sid, const char *info_json)
{
	return m->ops->refresh_session(m, sid, info_json);
}

int meta_close_session(struct meta *m, uint64_t sid)
{
	return m->ops->close_session(m, sid);
}

int meta_list_sessions(struct meta *m, struct meta_session_info **s, size_t *n)
{
	return m->ops->list_sessions(m, s, n);
}

int meta_cleanup_stale_sessions(struct meta *m)
{
	return m->ops->cleanup_stale_sessions(m);
}

int meta_lookup(struct meta *m, uint64_t parent, const char *name, size_t len,
		uint64_t *ino, struct meta_attr *attr)
{
	return m->ops->lookup(m, parent, name, len, ino, attr);
}

int meta_getattr(struct meta *m, uint64_t ino, struct meta_attr *attr)
{
	return m->ops->getattr(m, ino, attr);
}

int meta_setattr(struct meta *m, uint64_t ino, unsigned int set,
		 const struct meta_attr *in, struct meta_attr *out)
{
	return m->ops->setattr(m, ino, set, in, out);
}

int meta_truncate(struct meta *m, uint64_t ino, uint64_t length, struct meta_attr *attr)
{
	return m->ops->truncate(m, ino, length, attr);
}

int meta_mknod(struct meta *m, uint64_t parent, const char *name, size_t len,
	       uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid,
	       uint32_t rdev, const char *target, size_t targetlen, uint64_t *ino,
	       struct meta_attr *attr)
{
	return m->ops->mknod(m, parent, name, len, type, mode, cumask, uid, gid, rdev, target, targetlen, ino, attr);
}

int meta_link(struct meta *m, uint64_t ino, uint64_t newparent, const char *name,
	      size_t len, struct meta_attr *attr)
{
	return m->ops->link(m, ino, newparent, name, len, attr);
}

int meta_unlink(struct meta *m, uint64_t parent, const char *name, size_t len)
{
	return m->ops->unlink(m, parent, name, len);
}

int meta_rmdir(struct meta *m, uint64_t parent, const char *name, size_t len)
{
	return m->ops->rmdir(m, parent, name, len);
}

int meta_rename(struct meta *m, uint64_t psrc, const char *nsrc, size_t lsrc,
		uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags)
{
	return m->ops->rename(m, psrc, nsrc, lsrc, pdst, ndst, ldst, flags);
}

int meta_readlink(struct meta *m, uint64_t ino, char **target, size_t *len)
{
	return m->ops->readlink(m, ino, target, len);
}

int meta_readdir(struct meta *m, uint64_t ino, bool plus, struct meta_dirent **ents,
		 size_t *n)
{
	return m->ops->readdir(m, ino, plus, ents, n);
}

int meta_release_sustained(struct meta *m, uint64_t ino)
{
	return m->ops->release_sustained(m, ino);
}

int meta_getxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  char **value, size_t *vlen)
{
	return m->ops->getxattr(m, ino, name, len, value, vlen);
}

int meta_setxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  const void *value, size_t vlen, unsigned int flags)
{
	return m->ops->setxattr(m, ino, name, len, value, vlen, flags);
}

int meta_listxattr(struct meta *m, uint64_t ino, char **names, size_t *len)
{
	return m->ops->listxattr(m, ino, names, len);
}

int meta_removexattr(struct meta *m, uint64_t ino, const char *name, size_t len)
{
	return m->ops->removexattr(m, ino, name, len);
}

int meta_get_facl(struct meta *m, uint64_t ino, int type, struct acl_rule *rule)
{
	return m->ops->get_facl(m, ino, type, rule);
}

int meta_getlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, struct plock *out)
{
	return m->ops->getlk(m, ino, owner, type, start, end, out);
}

int meta_setlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, uint32_t pid)
{
	return m->ops->setlk(m, ino, owner, type, start, end, pid);
}

int meta_flock(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type)
{
	return m->ops->flock(m, ino, owner, type);
}

int meta_fallocate(struct meta *m, uint64_t ino, unsigned int mode, uint64_t off,
		   uint64_t len, struct meta_attr *attr)
{
	return m->ops->fallocate(m, ino, mode, off, len, attr);
}

int meta_copy_range(struct meta *m, uint64_t fin, uint64_t offin, uint64_t fout,
		    uint64_t offout, uint64_t len, uint64_t *copied,
		    struct meta_attr *attr)
{
	return m->ops->copy_range(m, fin, offin, fout, offout, len, copied, attr);
}

int meta_set_facl(struct meta *m, uint64_t ino, int type, const struct acl_rule *rule,
		  bool kill_sgid, struct meta_attr *attr)
{
	return m->ops->set_facl(m, ino, type, rule, kill_sgid, attr);
}

int meta_new_trash_dir(struct meta *m, const char *name, uint64_t *ino)
{
	return m->ops->new_trash_dir(m, name, ino);
}

int meta_set_if_small(struct meta *m, const char *key, int64_t value, int64_t diff,
		      bool *won)
{
	return m->ops->set_if_small(m, key, value, diff, won);
}

int meta_update_dir_stats(struct meta *m, const struct meta_dirstat *d, size_t n)
{
	return m->ops->update_dir_stats(m, d, n);
}

int meta_cleanup_deleted_files(struct meta *m, int64_t before, size_t *n)
{
	return m->ops->cleanup_deleted_files(m, before, n);
}

int meta_cleanup_delayed_slices(struct meta *m, int64_t before, size_t *n)
{
	return m->ops->cleanup_delayed_slices(m, before, n);
}

int meta_cleanup_slices(struct meta *m, size_t *n)
{
	return m->ops->cleanup_slices(m, n);
}

int meta_new_slice_id(struct meta *m, uint64_t *id)
{
	return m->ops->new_slice_id(m, id);
}

int meta_read_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		    struct meta_slice **slices, size_t *n)
{
	return m->ops->read_chunk(m, ino, indx, slices, n);
}

int meta_write_slice(struct meta *m, uint64_t ino, uint32_t indx,
		     const struct meta_slice *s, const struct timespec *mtime,
		     struct meta_attr *attr, size_t *nrec)
{
	return m->ops->write_slice(m, ino, indx, s, mtime, attr, nrec);
}

int meta_compact_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		       const struct meta_slice *old, size_t n, size_t skip,
		       const struct meta_slice *s)
{
	return m->ops->compact_chunk(m, ino, indx, old, n, skip, s);
}
