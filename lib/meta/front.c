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
#include <time.h>

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

/* ---- after-work shared by the calls -------------------------------- */

/*
 * updateParentStat: a file's length changed from 'old' to its attr's; its
 * parent dir (every parent, weighted by links, if hard-linked) follows.
 * A failure only skews the stats: `juicefs fsck --sync-dir-stat` repairs.
 */
static void parent_stat(struct meta *m, uint64_t ino, const struct meta_attr *a,
			uint64_t old)
{
	int64_t dlen = (int64_t)a->length - (int64_t)old;
	int64_t dspace = (int64_t)meta_align4k(a->length) - (int64_t)meta_align4k(old);
	struct meta_parents pa = { .n = 0 };
	size_t i;

	if (!m->dir_stats || (!dlen && !dspace))
		return;
	if (a->parent) {
		meta_dirstat_add(m, a->parent, dlen, dspace, 0);
		return;
	}
	if (!m->ops->get_parents(m, ino, &pa))
		for (i = 0; i < pa.n; i++)
			if (pa.p[i] && pa.k[i] > 0)
				meta_dirstat_add(m, pa.p[i], dlen * pa.k[i], dspace * pa.k[i], 0);
	free(pa.p);
	free(pa.k);
}

/* a slice record as a chunk may hold it */
static bool slice_ok(const struct meta_slice *s)
{
	return (uint64_t)s->pos + s->len <= META_CHUNK_SIZE &&
	       (!s->id || (uint64_t)s->off + s->len <= s->size);
}

/* ---- the calls (meta.h documents each) ------------------------------ */

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

int meta_watch(struct meta *m, meta_changed_fn fn, void *arg)
{
	if (!m->ops->watch) {
		jfs_seterr("meta", "the %s engine cannot report other clients' changes "
			   "(active invalidation needs Redis)", m->ops->scheme);
		return -EOPNOTSUPP;
	}
	return m->ops->watch(m, fn, arg);
}

void meta_unwatch(struct meta *m)
{
	if (m->ops->unwatch)
		m->ops->unwatch(m);
}

int meta_count_dir_quotas(struct meta *m, uint64_t *n)
{
	return m->ops->count_dir_quotas(m, n);
}

int meta_new_session(struct meta *m, const char *info_json, uint64_t *sid)
{
	struct meta_session a = { .info = info_json, .create = true };
	int ret;

	ret = m->ops->do_session(m, &a);
	if (!ret) {
		*sid = a.sid;
		m->sid = a.sid;
	}
	return ret;
}

int meta_refresh_session(struct meta *m, uint64_t sid, const char *info_json)
{
	struct meta_session a = { .sid = sid, .info = info_json };

	return m->ops->do_session(m, &a);
}

/* doDeleteSustainedInode, then the data of an inode that went with it */
static int release_sustained(struct meta *m, uint64_t sid, uint64_t ino)
{
	struct meta_sustained a = { .sid = sid, .ino = ino };
	int ret;

	ret = m->ops->do_release_sustained(m, &a);
	if (!ret && a.free_data)
		ret = m->ops->free_file_data(m, ino, a.length);
	return ret;
}

/* what a clean unmount or a stale session's cleanup does for one session */
static int close_session(struct meta *m, uint64_t sid)
{
	struct meta_ids a = { .v = NULL };
	size_t i;
	int ret;

	ret = m->ops->list_sustained(m, sid, &a);
	for (i = 0; !ret && i < a.n; i++)
		ret = release_sustained(m, sid, a.v[i]);
	free(a.v);
	return ret ? ret : m->ops->do_close_session(m, sid);
}

int meta_close_session(struct meta *m, uint64_t sid)
{
	int ret = close_session(m, sid);

	if (!ret && sid == m->sid)
		m->sid = 0;
	return ret;
}

int meta_list_sessions(struct meta *m, struct meta_session_info **s, size_t *n)
{
	struct meta_sessions a = { NULL, 0 };
	int ret;

	ret = m->ops->do_list_sessions(m, &a);
	if (ret) {
		meta_free_sessions(a.s, a.n);
		a.s = NULL;
		a.n = 0;
	}
	*s = a.s;
	*n = a.n;
	return ret;
}

int meta_cleanup_stale_sessions(struct meta *m)
{
	struct meta_ids a = { .v = NULL };
	size_t i;
	int ret;

	ret = m->ops->stale_sessions(m, (int64_t)time(NULL), &a);
	for (i = 0; !ret && i < a.n; i++) {
		/* our own late heartbeat is not a dead client: refresh fixes it */
		if (a.v[i] == m->sid)
			continue;
		ret = close_session(m, a.v[i]);
	}
	free(a.v);
	return ret;
}

int meta_lookup(struct meta *m, uint64_t parent, const char *name, size_t len,
		uint64_t *ino, struct meta_attr *attr)
{
	struct meta_lookup a = { .parent = parent, .name = name, .len = len };
	int ret;

	ret = meta_check_name(name, len);
	if (!ret)
		ret = m->ops->do_lookup(m, &a);
	if (ret)
		return ret;
	*ino = a.ino;
	if (attr)
		*attr = a.attr;
	return 0;
}

int meta_getattr(struct meta *m, uint64_t ino, struct meta_attr *attr)
{
	struct meta_getattr a = { .ino = ino };
	int ret;

	ret = m->ops->do_getattr(m, &a);
	if (!ret)
		*attr = a.attr;
	return ret;
}

int meta_setattr(struct meta *m, uint64_t ino, unsigned int set,
		 const struct meta_attr *in, struct meta_attr *out)
{
	struct meta_setattr a = { .ino = ino, .set = set, .in = in };
	int ret;

	ret = m->ops->do_setattr(m, &a);
	if (!ret && out)
		*out = a.out;
	return ret;
}

int meta_truncate(struct meta *m, uint64_t ino, uint64_t length, struct meta_attr *attr)
{
	struct meta_truncate a = { .ino = ino, .length = length };
	int ret;

	ret = m->ops->do_truncate(m, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	parent_stat(m, ino, &a.attr, a.old);
	return 0;
}

/* mknod and hour dirs: one body, the engine allocating the inode */
static int mknod(struct meta *m, struct meta_mknod *a)
{
	int ret = meta_mknod_check(a);

	return ret ? ret : m->ops->do_mknod(m, a);
}

int meta_mknod(struct meta *m, uint64_t parent, const char *name, size_t len,
	       uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid,
	       uint32_t rdev, const char *target, size_t targetlen, uint64_t *ino,
	       struct meta_attr *attr)
{
	struct meta_mknod a = {
		.parent = parent, .name = name, .len = len, .type = type,
		.mode = mode, .cumask = cumask, .uid = uid, .gid = gid, .rdev = rdev,
		.target = target, .targetlen = targetlen,
	};
	int ret;

	ret = mknod(m, &a);
	if (ret)
		return ret;
	*ino = a.ino;
	if (attr)
		*attr = a.attr;
	meta_dirstat_add(m, parent, 0, 4096, 1);
	return 0;
}

int meta_new_trash_dir(struct meta *m, const char *name, uint64_t *ino)
{
	struct meta_mknod a = {
		.parent = META_TRASH_INO, .name = name, .len = name ? strlen(name) : 0,
		.type = META_TYPE_DIR, .mode = 0555, .trash_hour = true,
	};
	int ret;

	ret = mknod(m, &a);
	if (!ret)
		*ino = a.ino;
	return ret;
}

int meta_link(struct meta *m, uint64_t ino, uint64_t newparent, const char *name,
	      size_t len, struct meta_attr *attr)
{
	struct meta_link a = { .ino = ino, .parent = newparent, .name = name, .len = len };
	int ret;

	ret = meta_check_name(name, len);
	if (ret)
		return ret;
	if (meta_is_trash(newparent))
		return -EPERM;
	ret = m->ops->do_link(m, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	meta_stat_entry(m, newparent, &a.attr, 1);
	return 0;
}

static int unlink_entry(struct meta *m, uint64_t parent, const char *name, size_t len,
			bool dir)
{
	struct meta_unlink a = { .parent = parent, .name = name, .len = len, .dir = dir };
	int ret;

	ret = meta_check_name(name, len);
	if (!ret)
		ret = meta_trash_dir(m, parent, &a.trash);
	if (!ret)
		ret = m->ops->do_unlink(m, &a);
	if (ret)
		return ret;
	/* the name is gone: a failure to free data leaves it to the delfiles */
	if (a.free_data)
		m->ops->free_file_data(m, a.ino, a.length);
	if (a.removed) {
		meta_stat_entry(m, parent, &a.attr, -1);
		if (a.to_trash)
			meta_stat_entry(m, a.trash, &a.attr, 1);
	}
	return 0;
}

int meta_unlink(struct meta *m, uint64_t parent, const char *name, size_t len)
{
	return unlink_entry(m, parent, name, len, false);
}

int meta_rmdir(struct meta *m, uint64_t parent, const char *name, size_t len)
{
	return unlink_entry(m, parent, name, len, true);
}

int meta_rename(struct meta *m, uint64_t psrc, const char *nsrc, size_t lsrc,
		uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags)
{
	struct meta_rename a = {
		.psrc = psrc, .nsrc = nsrc, .lsrc = lsrc,
		.pdst = pdst, .ndst = ndst, .ldst = ldst, .flags = flags,
	};
	int ret;

	if (flags & ~(META_RENAME_NOREPLACE | META_RENAME_EXCHANGE) ||
	    flags == (META_RENAME_NOREPLACE | META_RENAME_EXCHANGE))
		return -EINVAL;
	ret = meta_check_name(nsrc, lsrc);
	if (!ret)
		ret = meta_check_name(ndst, ldst);
	if (ret)
		return ret;
	if (meta_is_trash(pdst))
		return -EPERM;
	if (!(flags & META_RENAME_EXCHANGE)) {
		ret = meta_trash_dir(m, pdst, &a.trash);
		if (ret)
			return ret;
	}
	ret = m->ops->do_rename(m, &a);
	if (ret)
		return ret;
	if (a.free_data)
		m->ops->free_file_data(m, a.dino, a.dlen);
	if (a.moved)
		meta_rename_stats(m, psrc, pdst, flags, a.to_trash ? a.trash : 0,
				  &a.sattr, a.replaced ? &a.dattr : NULL);
	return 0;
}

int meta_readlink(struct meta *m, uint64_t ino, char **target, size_t *len)
{
	struct meta_readlink a = { .ino = ino };
	int ret;

	ret = m->ops->do_readlink(m, &a);
	if (ret) {
		free(a.target);
		a.target = NULL;
		a.len = 0;
	}
	*target = a.target;
	*len = a.len;
	return ret;
}

int meta_readdir(struct meta *m, uint64_t ino, bool plus, struct meta_dirent **ents,
		 size_t *n)
{
	struct meta_readdir a = { .ino = ino, .plus = plus };
	size_t i, j;
	int ret;

	ret = m->ops->do_readdir(m, &a);
	if (ret) {
		meta_free_dirents(a.ents, a.n);
		a.ents = NULL;
		a.n = 0;
	}
	/*
	 * Bytewise order for every engine (SQL may hold a name as TEXT), and
	 * one entry per name (Redis's HSCAN may return one twice while the
	 * hash is rehashed).
	 */
	if (a.n > 1) {
		qsort(a.ents, a.n, sizeof(*a.ents), meta_dirent_cmp);
		for (i = 1, j = 0; i < a.n; i++) {
			if (!meta_dirent_cmp(&a.ents[j], &a.ents[i]))
				free(a.ents[i].name);
			else
				a.ents[++j] = a.ents[i];
		}
		a.n = j + 1;
	}
	*ents = a.ents;
	*n = a.n;
	return ret;
}

int meta_release_sustained(struct meta *m, uint64_t ino)
{
	return release_sustained(m, m->sid, ino);
}

int meta_getxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  char **value, size_t *vlen)
{
	struct meta_xattr a = { .ino = ino, .name = name, .len = len };
	int ret;

	*value = NULL;
	*vlen = 0;
	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	ret = m->ops->do_getxattr(m, &a);
	if (ret) {
		free(a.out);
		return ret;
	}
	*value = a.out;
	*vlen = a.outlen;
	return 0;
}

int meta_setxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  const void *value, size_t vlen, unsigned int flags)
{
	struct meta_xattr a = {
		.ino = ino, .name = name, .len = len,
		.value = vlen ? value : "", .vlen = vlen, .flags = flags,
	};
	int ret;

	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	if (vlen > META_XATTR_SIZE_MAX)
		return -E2BIG;
	/* as base.go: one flag or none */
	if (flags != 0 && flags != META_XATTR_CREATE && flags != META_XATTR_REPLACE)
		return -EINVAL;
	return m->ops->do_setxattr(m, &a);
}

int meta_listxattr(struct meta *m, uint64_t ino, char **names, size_t *len)
{
	struct meta_xattr a = { .ino = ino };
	int ret;

	ret = m->ops->do_listxattr(m, &a);
	if (ret) {
		free(a.out);
		a.out = NULL;
		a.outlen = 0;
	}
	*names = a.out;
	*len = a.outlen;
	return ret;
}

int meta_removexattr(struct meta *m, uint64_t ino, const char *name, size_t len)
{
	struct meta_xattr a = { .ino = ino, .name = name, .len = len };
	int ret;

	ret = meta_check_xattr_name(name, len);
	return ret ? ret : m->ops->do_removexattr(m, &a);
}

static bool acl_type_ok(int type)
{
	return type == ACL_TYPE_ACCESS_J || type == ACL_TYPE_DEFAULT_J;
}

int meta_get_facl(struct meta *m, uint64_t ino, int type, struct acl_rule *rule)
{
	struct meta_facl a = { .ino = ino, .type = type };
	int ret;

	acl_rule_init(&a.out);
	if (!acl_type_ok(type))
		return -EINVAL;
	ret = m->ops->do_get_facl(m, &a);
	if (ret) {
		acl_rule_free(&a.out);
		return ret;
	}
	*rule = a.out;
	return 0;
}

/* a conflict is -EAGAIN: the kernel retries, nothing here waits */
static int lock_ret(int ret)
{
	return ret == META_LOCK_HELD ? -EAGAIN : ret;
}

int meta_getlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, struct plock *out)
{
	struct meta_lock a = { .ino = ino, .owner = owner, .type = type,
			       .start = start, .end = end };
	int ret;

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	*out = (struct plock){ .type = PLOCK_UN };
	if (type == PLOCK_UN)
		return 0;
	ret = lock_ret(m->ops->do_getlk(m, &a));
	if (!ret)
		*out = a.found;
	return ret;
}

int meta_setlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, uint32_t pid)
{
	struct meta_lock a = { .ino = ino, .owner = owner, .type = type, .pid = pid,
			       .start = start, .end = end };

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	return lock_ret(m->ops->do_setlk(m, &a));
}

int meta_flock(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type)
{
	struct meta_lock a = { .ino = ino, .owner = owner, .type = type };

	if (type > PLOCK_UN)
		return -EINVAL;
	return lock_ret(m->ops->do_flock(m, &a));
}

int meta_fallocate(struct meta *m, uint64_t ino, unsigned int mode, uint64_t off,
		   uint64_t len, struct meta_attr *attr)
{
	struct meta_falloc a = { .ino = ino, .off = off, .len = len, .mode = mode };
	int ret;

	if (mode & ~(META_FALLOC_KEEP_SIZE | META_FALLOC_PUNCH_HOLE | META_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & META_FALLOC_PUNCH_HOLE) && !(mode & META_FALLOC_KEEP_SIZE))
		return -EINVAL;
	if (!len || off > UINT64_MAX / 2 || len > UINT64_MAX / 2)
		return -EINVAL;
	ret = m->ops->do_fallocate(m, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	parent_stat(m, ino, &a.attr, a.old);
	return 0;
}

int meta_copy_range(struct meta *m, uint64_t fin, uint64_t offin, uint64_t fout,
		    uint64_t offout, uint64_t len, uint64_t *copied,
		    struct meta_attr *attr)
{
	struct meta_copy a = { .fin = fin, .offin = offin, .fout = fout,
			       .offout = offout, .len = len };
	int ret;

	*copied = 0;
	if (offin > UINT64_MAX / 2 || offout > UINT64_MAX / 2 || len > UINT64_MAX / 2)
		return -EINVAL;
	ret = m->ops->do_copy_range(m, &a);
	if (ret)
		return ret;
	*copied = a.copied;
	if (attr)
		*attr = a.attr;
	parent_stat(m, fout, &a.attr, a.old);
	return 0;
}

int meta_set_facl(struct meta *m, uint64_t ino, int type, const struct acl_rule *rule,
		  bool kill_sgid, struct meta_attr *attr)
{
	struct meta_facl a = { .ino = ino, .type = type, .in = rule,
			       .kill_sgid = kill_sgid };
	int ret;

	if (!acl_type_ok(type))
		return -EINVAL;
	ret = m->ops->do_set_facl(m, &a);
	if (!ret && attr)
		*attr = a.attr;
	return ret;
}

int meta_set_if_small(struct meta *m, const char *key, int64_t value, int64_t diff,
		      bool *won)
{
	struct meta_small a = { .key = key, .value = value, .diff = diff };
	int ret;

	ret = m->ops->do_set_if_small(m, &a);
	*won = !ret && a.won;
	return ret;
}

/* calcDirStat: a dir's stats recounted from its entries */
int meta_calc_dir_stat(struct meta *m, uint64_t ino, struct meta_dirstat *st)
{
	struct meta_dirent *e = NULL;
	size_t n = 0, i;
	int ret;

	memset(st, 0, sizeof(*st));
	st->ino = ino;
	ret = meta_readdir(m, ino, true, &e, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		uint64_t len = e[i].attr.type == META_TYPE_FILE ? e[i].attr.length : 0;

		st->inodes++;
		st->length += (int64_t)len;
		st->space += (int64_t)meta_align4k(len);
	}
	meta_free_dirents(e, n);
	return 0;
}

/* doSyncDirStat: a dir without stats (or with wrong ones) gets the recount */
int meta_sync_dir_stat(struct meta *m, uint64_t ino, struct meta_dirstat *out)
{
	struct meta_dirstat st;
	int ret;

	ret = meta_calc_dir_stat(m, ino, &st);
	if (out)
		*out = st;
	if (ret)
		return ret == -ENOENT || ret == -ENOTDIR ? 0 : ret;
	return m->ops->sync_dir_stat(m, &st);
}

static int sync_dir_stat(struct meta *m, uint64_t ino)
{
	return meta_sync_dir_stat(m, ino, NULL);
}

int meta_update_dir_stats(struct meta *m, const struct meta_dirstat *d, size_t n)
{
	struct meta_dirstat_update a = { .d = d, .n = n };
	size_t i;
	int ret;

	a.missing = calloc(n, sizeof(*a.missing));
	if (!a.missing)
		return -ENOMEM;
	ret = m->ops->do_update_dir_stats(m, &a);
	for (i = 0; !ret && i < n; i++)
		if (a.missing[i])
			ret = sync_dir_stat(m, d[i].ino);
	free(a.missing);
	return ret;
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
	struct meta_chunk a = { .ino = ino, .indx = indx };
	int ret;

	ret = m->ops->do_read_chunk(m, &a);
	if (ret) {
		free(a.s);
		a.s = NULL;
		a.n = 0;
	}
	*slices = a.s;
	*n = a.n;
	return ret;
}

int meta_write_slice(struct meta *m, uint64_t ino, uint32_t indx,
		     const struct meta_slice *s, const struct timespec *mtime,
		     struct meta_attr *attr, size_t *nrec)
{
	struct meta_write a = { .ino = ino, .indx = indx, .s = s, .mtime = mtime };
	int ret;

	if (!slice_ok(s))
		return -EINVAL;
	ret = m->ops->do_write_slice(m, &a);
	if (ret)
		return ret;
	if (attr)
		*attr = a.attr;
	if (nrec)
		*nrec = a.nrec;
	parent_stat(m, ino, &a.attr, a.old);
	return 0;
}

int meta_compact_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		       const struct meta_slice *old, size_t n, size_t skip,
		       const struct meta_slice *s)
{
	struct meta_compact a = { .ino = ino, .indx = indx, .old = old, .n = n,
				  .skip = skip, .s = s };
	int ret;

	if (skip >= n || !slice_ok(s))
		return -EINVAL;
	ret = m->ops->do_compact_chunk(m, &a);
	if (!ret)
		ret = meta_free_slices(m, a.freed, a.nfreed);
	free(a.freed);
	return ret;
}

/* ---- fsck and gc -------------------------------------------------- */

int meta_scan(struct meta *m, const struct meta_scan *a)
{
	return m->ops->scan(m, a);
}

int meta_get_dir_stat(struct meta *m, struct meta_dirstat *st, bool *have)
{
	uint64_t ino = st->ino;

	memset(st, 0, sizeof(*st));
	st->ino = ino;
	*have = false;
	return m->ops->get_dir_stat(m, st, have);
}

int meta_repair_dir(struct meta *m, uint64_t ino, uint32_t *nlink)
{
	struct meta_repair a = { .ino = ino };
	int ret;

	ret = m->ops->repair_dir(m, &a);
	if (!ret)
		*nlink = a.nlink;
	return ret;
}

int meta_set_volume_stat(struct meta *m, int64_t used_space, int64_t used_inodes)
{
	struct meta_volstat a = { used_space, used_inodes };

	return m->ops->set_volume_stat(m, &a);
}

/* ---- dump and load ------------------------------------------------- */

void meta_dump_info_free(struct meta_dump_info *a)
{
	int i;

	free(a->del);
	a->del = NULL;
	a->ndel = 0;
	for (i = 0; i < META_QUOTA_KINDS; i++) {
		free(a->q[i]);
		a->q[i] = NULL;
		a->nq[i] = 0;
	}
}

int meta_dump_info(struct meta *m, struct meta_dump_info *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	ret = m->ops->dump_info(m, a);
	if (ret)
		meta_dump_info_free(a);
	return ret;
}

int meta_load_check(struct meta *m)
{
	return m->ops->load_check(m);
}

int meta_load_records(struct meta *m, const struct meta_rec *r, size_t n)
{
	return n ? m->ops->load_records(m, r, n) : 0;
}

int meta_load_reset(struct meta *m)
{
	return m->ops->load_reset(m);
}
