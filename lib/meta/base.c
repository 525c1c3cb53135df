/*
 * base.c - what every engine does the same way around its own
 * transactions, as JuiceFS's baseMeta does: the trash (hour dirs under
 * .trash and their expiry), the attribute rules and the batching of
 * directory statistics.
 *
 * Trash.  With TrashDays > 0 a deleted or replaced entry is not freed but
 * moved to .trash/YYYY-MM-DD-HH (UTC hour of the deletion) under the name
 * "{parent}-{ino}-{name}", where `juicefs restore` and a plain `mv` find
 * it.  The hour dir is created on first use by whichever client gets there
 * first; its inode is cached for the rest of the hour.  Hour dirs older
 * than TrashDays days (+2 h) are emptied for real by the hourly job.
 *
 * Attribute rules.  What a mknod, setattr, rename or setfacl does to the
 * attrs it read is the same for every engine; the engines call these
 * between their reads and their writes.  For mknod, link, unlink, rename
 * and copy_range the whole of that is here (meta_*_txn): the reads go
 * through the engine's struct meta_ns_io, inside its transaction, and the
 * engine's callback writes what was decided.
 *
 * Slices.  A slice whose last reference a transaction dropped loses its
 * objects (hooks.delete_slice) and then its reference record, after the
 * commit (meta_free_slice).
 *
 * Dir stats.  JuiceFS clients add their deltas to the dir-stat hashes
 * once a second, not in the namespace transaction; a dir without stats is
 * recounted from its entries by the first client that touches it.  We do
 * the same, so deltas queued here are flushed by the volume's heartbeat
 * thread and at unmount.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta/engine.h"

#define TRASH_FMT	"%Y-%m-%d-%H"

/* ---- trash ---------------------------------------------------------- */

int meta_trash_dir(struct meta *m, uint64_t parent, uint64_t *trash)
{
	char name[sizeof(m->trash_name)];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t ino;
	int ret;

	*trash = 0;
	if (m->trash_days <= 0 || meta_is_trash(parent))
		return 0;
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), TRASH_FMT, &tm);
	pthread_mutex_lock(&m->trash_lock);
	if (!strcmp(name, m->trash_name))
		*trash = m->trash_ino;
	pthread_mutex_unlock(&m->trash_lock);
	if (*trash)
		return 0;

	ret = meta_lookup(m, META_TRASH_INO, name, strlen(name), &ino, NULL);
	if (ret == -ENOENT) {
		ret = meta_new_trash_dir(m, name, &ino);
		if (ret == -EEXIST)	/* another client made it first */
			ret = meta_lookup(m, META_TRASH_INO, name, strlen(name),
					     &ino, NULL);
	}
	if (ret)
		return ret;
	if (!meta_is_trash(ino) || ino == META_TRASH_INO) {
		jfs_seterr("meta", "trash hour dir %s has inode %" PRIu64
				", outside the trash range", name, ino);
		return -EIO;
	}
	pthread_mutex_lock(&m->trash_lock);
	memcpy(m->trash_name, name, sizeof(name));
	m->trash_ino = ino;
	pthread_mutex_unlock(&m->trash_lock);
	*trash = ino;
	return 0;
}

size_t meta_trash_entry(char *buf, uint64_t parent, uint64_t ino,
			const char *name, size_t len)
{
	int n = snprintf(buf, META_MAX_NAME + 1, "%" PRIu64 "-%" PRIu64 "-",
			 parent, ino);

	if (len > (size_t)(META_MAX_NAME - n))
		len = META_MAX_NAME - n;	/* JuiceFS cuts it too */
	memcpy(buf + n, name, len);
	return n + len;
}

/* Removes everything below 'dir' (inside the trash: deletes are final). */
static int empty_dir(struct meta *m, uint64_t dir, size_t *deleted, int depth)
{
	struct meta_dirent *e = NULL;
	size_t n = 0, i;
	int ret, err = 0;

	if (depth > 64)
		return -ELOOP;
	ret = meta_readdir(m, dir, false, &e, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_DIR) {
			ret = empty_dir(m, e[i].ino, deleted, depth + 1);
			if (!ret)
				ret = meta_rmdir(m, dir, e[i].name, e[i].namelen);
		} else {
			ret = meta_unlink(m, dir, e[i].name, e[i].namelen);
		}
		if (ret && ret != -ENOENT)
			err = ret;
		else if (!ret)
			(*deleted)++;
	}
	meta_free_dirents(e, n);
	return err;
}

int meta_cleanup_trash(struct meta *m, time_t edge, size_t *deleted)
{
	struct meta_dirent *e = NULL;
	size_t n = 0, i;
	int ret, err = 0;

	*deleted = 0;
	ret = meta_readdir(m, META_TRASH_INO, false, &e, &n);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	for (i = 0; i < n; i++) {
		struct tm tm = { 0 };
		const char *end;

		end = strptime(e[i].name, TRASH_FMT, &tm);
		if (!end || *end || e[i].type != META_TYPE_DIR)
			continue;	/* not an hour dir: JuiceFS skips it too */
		if (timegm(&tm) >= edge)
			continue;
		ret = empty_dir(m, e[i].ino, deleted, 0);
		if (!ret)
			ret = meta_rmdir(m, META_TRASH_INO, e[i].name, e[i].namelen);
		if (ret && ret != -ENOENT)
			err = ret;
	}
	meta_free_dirents(e, n);
	pthread_mutex_lock(&m->trash_lock);
	m->trash_name[0] = '\0';	/* the cached hour dir may be gone */
	pthread_mutex_unlock(&m->trash_lock);
	return err;
}

/* ---- dir stats ------------------------------------------------------ */

static uint64_t ds_hash(uint64_t ino)
{
	return ino * 0x9E3779B97F4A7C15ULL;
}

static struct meta_dirstat *ds_slot(struct meta_dirstats *ds, uint64_t ino)
{
	size_t i = ds_hash(ino) & (ds->cap - 1);

	while (ds->v[i].ino && ds->v[i].ino != ino)
		i = (i + 1) & (ds->cap - 1);
	return &ds->v[i];
}

static int ds_grow(struct meta_dirstats *ds)
{
	struct meta_dirstats old = *ds;
	size_t i;

	ds->cap = old.cap ? old.cap * 2 : 64;
	ds->v = calloc(ds->cap, sizeof(*ds->v));
	if (!ds->v) {
		*ds = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.v[i].ino)
			*ds_slot(ds, old.v[i].ino) = old.v[i];
	free(old.v);
	return 0;
}

/* per thread: a jfsd worker runs one request at a time */
static __thread struct meta_io io_tls;

void meta_io_count(uint32_t cmds, uint32_t rtts)
{
	io_tls.cmds += cmds;
	io_tls.rtts += rtts;
}

void meta_io_take(struct meta_io *io)
{
	*io = io_tls;
	io_tls = (struct meta_io){ 0, 0 };
}

void meta_dirstat_add(struct meta *m, uint64_t ino, int64_t length,
		      int64_t space, int64_t inodes)
{
	struct meta_dirstats *ds = &m->ds;
	struct meta_dirstat *d;

	if (!m->dir_stats || !ino || (!length && !space && !inodes))
		return;
	pthread_mutex_lock(&ds->lock);
	/* out of memory: the delta is lost, `juicefs fsck` can resync */
	if (2 * (ds->n + 1) > ds->cap && ds_grow(ds))
		goto out;
	d = ds_slot(ds, ino);
	if (!d->ino) {
		d->ino = ino;
		ds->n++;
	}
	d->length += length;
	d->space += space;
	d->inodes += inodes;
out:
	pthread_mutex_unlock(&ds->lock);
}

int meta_dirstat_flush(struct meta *m)
{
	struct meta_dirstats *ds = &m->ds;
	struct meta_dirstat *v, *batch;
	size_t cap, n = 0, i;
	int ret;

	pthread_mutex_lock(&ds->lock);
	v = ds->v;
	cap = ds->cap;
	ds->v = NULL;
	ds->n = ds->cap = 0;
	pthread_mutex_unlock(&ds->lock);
	if (!v)
		return 0;
	batch = v;	/* compacted in place */
	for (i = 0; i < cap; i++)
		if (v[i].ino)
			batch[n++] = v[i];
	ret = n ? meta_update_dir_stats(m, batch, n) : 0;
	if (ret)	/* put them back for the next flush */
		for (i = 0; i < n; i++)
			meta_dirstat_add(m, batch[i].ino, batch[i].length,
					 batch[i].space, batch[i].inodes);
	free(v);
	return ret;
}

/* ---- attribute rules ------------------------------------------------ */

int meta_check_name(const char *name, size_t len)
{
	if (len == 0 || !name)
		return -EINVAL;
	if (len > META_MAX_NAME)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

/* as JuiceFS's vfs checks them; a name is a C string, so no NUL in it */
int meta_check_xattr_name(const char *name, size_t len)
{
	if (len == 0 || !name)
		return -EINVAL;
	if (len > META_XATTR_NAME_MAX)
		return -ERANGE;
	if (memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

/* what a mknod may ask before any engine looks at the volume */
int meta_mknod_check(const struct meta_mknod *a)
{
	int ret;

	ret = meta_check_name(a->name, a->len);
	if (ret)
		return ret;
	if (a->type < META_TYPE_FILE || a->type > META_TYPE_SOCKET)
		return -EINVAL;
	if (a->type == META_TYPE_SYMLINK) {
		if (!a->target || a->targetlen == 0)
			return -EINVAL;
		if (a->targetlen > META_MAX_SYMLINK)
			return -ENAMETOOLONG;
	}
	if (meta_is_trash(a->parent) && !a->trash_hour)
		return -EPERM;
	return 0;
}

/* the new inode's mode before a default ACL (if any) replaces it */
void meta_mknod_mode(struct meta_mknod *a)
{
	memset(&a->attr, 0, sizeof(a->attr));
	a->attr.type = a->type;
	a->attr.mode = a->mode & 07777 & ~a->cumask;
}

/*
 * The rest of doMknod's attributes, and the parent's changes (nlink for a
 * new dir, mtime, ctime): setgid dirs pass their group, and to a new dir
 * the bit too; a skip-trash dir (chattr +s) passes that flag on.
 */
void meta_mknod_attr(struct meta_mknod *a, struct meta_attr *pa,
		     const struct timespec *now)
{
	struct meta_attr *t = &a->attr;

	t->uid = a->uid;
	t->gid = a->gid;
	t->rdev = a->rdev;
	t->parent = a->parent;
	t->flags = pa->flags & META_FLAG_SKIP_TRASH;
	t->atime = t->mtime = t->ctime = now->tv_sec;
	t->atimensec = t->mtimensec = t->ctimensec = (uint32_t)now->tv_nsec;
	if (pa->mode & 02000) {
		t->gid = pa->gid;
		if (a->type == META_TYPE_DIR)
			t->mode |= 02000;
	}
	if (a->type == META_TYPE_DIR) {
		t->nlink = 2;
		t->length = 4096;
		pa->nlink++;
	} else {
		t->nlink = 1;
		t->length = a->type == META_TYPE_SYMLINK ? a->targetlen : 0;
	}
	meta_set_mtime(pa, now);
	meta_set_ctime(pa, now);
}

/* the root and .trash, as a format writes them */
void meta_new_dir_attr(struct meta_attr *a, uint16_t mode, const struct timespec *now)
{
	memset(a, 0, sizeof(*a));
	a->type = META_TYPE_DIR;
	a->mode = mode;
	a->nlink = 2;
	a->length = 4096;
	a->parent = META_ROOT_INO;
	a->atime = a->mtime = a->ctime = now->tv_sec;
	a->atimensec = a->mtimensec = a->ctimensec = (uint32_t)now->tv_nsec;
}

/* an immutable inode takes only the chattr that may clear the bit */
int meta_setattr_check(const struct meta_attr *t, unsigned int set)
{
	if ((t->flags & META_FLAG_IMMUTABLE) && (set & ~META_SET_FLAGS))
		return -EPERM;
	return 0;
}

/*
 * setattr's owner, times and chattr flags (the mode goes through the ACL,
 * per engine).  Flags chattr cannot express (the Windows bits) are kept.
 */
void meta_setattr_merge(struct meta_attr *t, unsigned int set,
			const struct meta_attr *in, const struct timespec *now)
{
	if (set & META_SET_UID)
		t->uid = in->uid;
	if (set & META_SET_GID)
		t->gid = in->gid;
	if (set & META_SET_ATIME) {
		t->atime = in->atime;
		t->atimensec = in->atimensec;
	}
	if (set & META_SET_MTIME) {
		t->mtime = in->mtime;
		t->mtimensec = in->mtimensec;
	}
	if (set & META_SET_FLAGS)
		t->flags = (t->flags & ~META_FLAG_CHATTR) | (in->flags & META_FLAG_CHATTR);
	if (set & META_SET_CTIME) {
		t->ctime = in->ctime;
		t->ctimensec = in->ctimensec;
	} else {
		meta_set_ctime(t, now);
	}
}

/* an entry joins (sign 1) or leaves (-1) dir's stats */
void meta_stat_entry(struct meta *m, uint64_t dir, const struct meta_attr *a, int sign)
{
	int64_t len = a->type == META_TYPE_FILE ? (int64_t)a->length : 0;

	meta_dirstat_add(m, dir, sign * len, sign * (int64_t)meta_align4k((uint64_t)len),
			 sign);
}

/*
 * A committed rename's stats (base.go Rename): 'moved' left psrc for pdst; 'replaced'
 * (NULL: none) was at the destination, and is swapped back to psrc by
 * RENAME_EXCHANGE or went to the trash hour dir 'trash'.
 */
void meta_rename_stats(struct meta *m, uint64_t psrc, uint64_t pdst, unsigned int flags,
		       uint64_t trash, const struct meta_attr *moved,
		       const struct meta_attr *replaced)
{
	bool exchange = flags & META_RENAME_EXCHANGE;

	if (psrc != pdst) {
		meta_stat_entry(m, psrc, moved, -1);
		meta_stat_entry(m, pdst, moved, 1);
	}
	if (!replaced)
		return;
	if (psrc != pdst || !exchange)
		meta_stat_entry(m, pdst, replaced, -1);
	if (psrc != pdst && exchange)
		meta_stat_entry(m, psrc, replaced, 1);
	if (trash)
		meta_stat_entry(m, trash, replaced, 1);
}

/*
 * doRename's rules once both names are looked up: 1 when there is nothing
 * to do (two links of one inode), else 0 or the error.
 */
int meta_rename_check(const struct meta_rename_ends *e)
{
	bool exchange = e->flags & META_RENAME_EXCHANGE;

	if (e->have_dst) {
		if (e->dino == e->sino)
			return 1;
		if (e->flags & META_RENAME_NOREPLACE)
			return -EEXIST;
		if (!exchange) {
			if (e->stype == META_TYPE_DIR && e->dtype != META_TYPE_DIR)
				return -ENOTDIR;
			if (e->stype != META_TYPE_DIR && e->dtype == META_TYPE_DIR)
				return -EISDIR;
		}
	} else if (exchange) {
		return -ENOENT;
	}
	/* JuiceFS's only cycle check; the kernel checks real ancestry */
	if (e->stype == META_TYPE_DIR && (e->sino == e->pdst || e->sino == e->dpa_parent))
		return -EINVAL;
	if (exchange && e->dtype == META_TYPE_DIR &&
	    (e->dino == e->psrc || e->dino == e->spa_parent))
		return -EINVAL;
	return 0;
}

/* doLink's checks of the inode 't' and the new parent 'pa' */
int meta_link_check(const struct meta_attr *t, const struct meta_attr *pa)
{
	if (t->type == META_TYPE_DIR)
		return -EPERM;
	if (t->nlink == 0)
		return -ENOENT;
	if (meta_is_immutable(t) || meta_is_immutable(pa))
		return -EPERM;
	return 0;
}

/* the entry's type against the call: rmdir a non-dir, unlink a dir */
int meta_unlink_check(bool dir, uint8_t type)
{
	if (dir && type != META_TYPE_DIR)
		return -ENOTDIR;
	if (!dir && type == META_TYPE_DIR)
		return -EPERM;	/* POSIX unlink(2) on a directory, as JuiceFS */
	return 0;
}

/*
 * Whether a deletion of (attr t) goes to the trash hour dir 'trash': not
 * for chattr +s files, nor for a hard link whose trash name is taken
 * (JuiceFS then really unlinks that link): 2 asks the engine to look.
 */
int meta_trash_choice(uint64_t trash, const struct meta_attr *t)
{
	if (!trash || (t->flags & META_FLAG_SKIP_TRASH))
		return 0;
	return t->type != META_TYPE_DIR && t->nlink > 1 ? 2 : 1;
}

/* ---- the transactions' logic (meta_*_txn) ---------------------------- */

/* meta_trash_choice, looking the trash name up when it asks */
static int trash_decide(const struct meta_ns_io *io, uint64_t trash, uint64_t parent,
			const char *name, size_t len, uint64_t ino,
			const struct meta_attr *t, bool *yes)
{
	char tname[META_MAX_NAME + 1];
	int ret, choice = meta_trash_choice(trash, t);
	bool taken = false;

	*yes = false;
	if (choice == 2) {
		ret = io->has_entry(io->ctx, trash, tname,
				    meta_trash_entry(tname, parent, ino, name, len), &taken);
		if (ret)
			return ret;
	}
	*yes = choice && !taken;
	return 0;
}

/* a dir's entries changed: its mtime and ctime */
static void stamp_dir(struct meta_attr *d, const struct timespec *now)
{
	meta_set_mtime(d, now);
	meta_set_ctime(d, now);
}

/* a new name in a dir read with get_dir: -EEXIST when taken */
static int new_entry(const struct meta_ns_io *io, uint64_t parent, const char *name,
		     size_t len)
{
	uint8_t type;
	uint64_t ino;

	return meta_new_entry_check(io->get_entry(io->ctx, parent, name, len, &type, &ino));
}

static int mknod_read(const struct meta_ns_io *io, const struct meta_acl_io *acl,
		      struct meta_mknod *a)
{
	struct timespec now;
	int ret;

	ret = io->get_dir(io->ctx, a->parent, &a->pa);
	if (!ret && meta_is_immutable(&a->pa))
		ret = -EPERM;
	if (!ret)
		ret = new_entry(io, a->parent, a->name, a->len);
	if (ret)
		return ret;
	meta_mknod_mode(a);
	if (a->pa.default_acl && a->type != META_TYPE_SYMLINK) {
		ret = meta_acl_inherit(acl, &a->pa, &a->attr, a->mode & 07777);
		if (ret)
			return ret;
	}
	meta_now(&now);
	meta_mknod_attr(a, &a->pa, &now);
	return 0;
}

int meta_mknod_txn(const struct meta_ns_io *io, const struct meta_acl_io *acl,
		   struct meta_mknod *a, int (*write)(void *ctx, struct meta_mknod *a),
		   void *ctx)
{
	int ret = mknod_read(io, acl, a);

	return ret ? ret : write(ctx, a);
}

static int link_read(const struct meta_ns_io *io, struct meta_link *a)
{
	struct timespec now;
	int ret;

	ret = io->get_dir(io->ctx, a->parent, &a->pa);
	if (!ret)
		ret = io->get_attr(io->ctx, a->ino, &a->attr);
	if (!ret)
		ret = meta_link_check(&a->attr, &a->pa);
	if (!ret)
		ret = new_entry(io, a->parent, a->name, a->len);
	if (ret)
		return ret;
	meta_now(&now);
	/* several parents: the engine keeps them apart from the attr (doLink) */
	a->prev_parent = a->attr.parent;
	a->attr.parent = 0;
	a->attr.nlink++;
	meta_set_ctime(&a->attr, &now);
	stamp_dir(&a->pa, &now);
	return 0;
}

int meta_link_txn(const struct meta_ns_io *io, struct meta_link *a,
		  int (*write)(void *ctx, struct meta_link *a), void *ctx)
{
	int ret = link_read(io, a);

	return ret ? ret : write(ctx, a);
}

static int unlink_read(const struct meta_ns_io *io, struct meta_unlink *a)
{
	int ret;

	a->free_data = a->removed = a->to_trash = false;
	ret = io->get_dir(io->ctx, a->parent, &a->pa);
	if (!ret)
		ret = io->get_entry(io->ctx, a->parent, a->name, a->len, &a->type, &a->ino);
	if (!ret)
		ret = meta_unlink_check(a->dir, a->type);
	if (!ret && a->dir)
		ret = io->dir_empty(io->ctx, a->ino);
	if (ret)
		return ret;
	memset(&a->attr, 0, sizeof(a->attr));
	ret = io->get_attr(io->ctx, a->ino, &a->attr);
	if (ret && ret != -ENOENT)
		return ret;
	a->removed = !ret;	/* else a dangling entry: just removed */
	a->length = a->attr.length;
	if (meta_is_immutable(&a->pa) || (a->removed && meta_is_immutable(&a->attr)))
		return -EPERM;
	if (a->removed) {
		ret = trash_decide(io, a->trash, a->parent, a->name, a->len, a->ino,
				   &a->attr, &a->to_trash);
		if (ret)
			return ret;
	}
	meta_now(&a->now);
	stamp_dir(&a->pa, &a->now);
	if (a->dir && a->pa.nlink > 2)
		a->pa.nlink--;
	return 0;
}

/* 1: nothing to do */
static int rename_read(const struct meta_ns_io *io, struct meta_rename *a)
{
	bool same = a->psrc == a->pdst, exchange = a->flags & META_RENAME_EXCHANGE;
	int ret;

	a->free_data = a->to_trash = a->moved = false;
	a->have_d = a->replaced = false;
	a->dtype = 0;
	a->dino = a->dlen = 0;
	a->dpa = same ? &a->spa : &a->dpa_buf;
	ret = io->get_dir(io->ctx, a->psrc, &a->spa);
	if (!ret && !same)
		ret = io->get_dir(io->ctx, a->pdst, a->dpa);
	if (!ret)
		ret = io->get_entry(io->ctx, a->psrc, a->nsrc, a->lsrc, &a->stype, &a->sino);
	if (ret)
		return ret;
	if (same && a->lsrc == a->ldst && !memcmp(a->nsrc, a->ndst, a->lsrc))
		return 1;
	ret = io->get_entry(io->ctx, a->pdst, a->ndst, a->ldst, &a->dtype, &a->dino);
	if (ret && ret != -ENOENT)
		return ret;
	a->have_d = !ret;
	ret = meta_rename_check(&(struct meta_rename_ends){
		.flags = a->flags, .psrc = a->psrc, .pdst = a->pdst,
		.spa_parent = a->spa.parent, .dpa_parent = a->dpa->parent,
		.stype = a->stype, .dtype = a->dtype, .sino = a->sino, .dino = a->dino,
		.have_dst = a->have_d });
	if (!ret)
		ret = io->get_attr(io->ctx, a->sino, &a->sattr);
	if (ret)
		return ret;
	memset(&a->dattr, 0, sizeof(a->dattr));
	if (a->have_d) {
		ret = io->get_attr(io->ctx, a->dino, &a->dattr);
		if (ret && ret != -ENOENT)
			return ret;
		a->replaced = !ret;
		ret = 0;
		if (a->dtype == META_TYPE_DIR && !exchange)
			ret = io->dir_empty(io->ctx, a->dino);
		if (ret)
			return ret;
	}
	if (meta_is_immutable(&a->spa) || meta_is_immutable(a->dpa) ||
	    meta_is_immutable(&a->sattr) || (a->replaced && meta_is_immutable(&a->dattr)))
		return -EPERM;
	if (a->replaced && !exchange) {
		ret = trash_decide(io, a->trash, a->pdst, a->ndst, a->ldst, a->dino,
				   &a->dattr, &a->to_trash);
		if (ret)
			return ret;
	}
	/* a replaced dir's ".." no longer links the destination */
	if (a->have_d && !exchange && a->dtype == META_TYPE_DIR)
		a->dpa->nlink--;
	meta_now(&a->now);
	stamp_dir(&a->spa, &a->now);
	stamp_dir(a->dpa, &a->now);
	meta_set_ctime(&a->sattr, &a->now);
	a->dlen = a->dattr.length;
	a->moved = true;
	return 0;
}

int meta_unlink_txn(const struct meta_ns_io *io, struct meta_unlink *a,
		    int (*write)(void *ctx, struct meta_unlink *a), void *ctx)
{
	int ret = unlink_read(io, a);

	return ret ? ret : write(ctx, a);
}

int meta_rename_txn(const struct meta_ns_io *io, struct meta_rename *a,
		    int (*write)(void *ctx, struct meta_rename *a), void *ctx)
{
	int ret = rename_read(io, a);

	if (ret)
		return ret > 0 ? 0 : ret;
	return write(ctx, a);
}

bool meta_move_parent(struct meta_attr *t, uint8_t type, uint64_t to,
		      struct meta_attr *fa, struct meta_attr *ta)
{
	if (type == META_TYPE_DIR) {
		t->parent = to;
		fa->nlink--;
		ta->nlink++;
		return false;
	}
	if (!t->parent)
		return true;
	t->parent = to;
	return false;
}

void meta_plock_scan(struct meta_lock *a, struct plock_list *l, bool mine,
		     struct plock_list *own, bool *hit)
{
	const struct plock *p;

	if (mine) {
		plock_list_free(own);
		*own = *l;
		return;
	}
	if (a->type != PLOCK_UN && !*hit) {
		p = plock_conflict(l, a->type, a->start, a->end);
		if (p) {
			a->found = *p;
			*hit = true;
		}
	}
	plock_list_free(l);
}

int meta_setlk_apply(const struct meta_lock *a, bool hit, struct plock_list *own,
		     unsigned char **buf, size_t *len)
{
	struct plock nl = { a->type, a->pid, a->start, a->end };
	int ret;

	if (hit)
		return META_LOCK_HELD;
	if (a->type == PLOCK_UN && !own->n)
		return 1;	/* nothing of ours to unlock */
	ret = plock_update(own, nl);
	if (!ret && own->n)
		ret = plock_dump(own, buf, len);
	return ret;
}

int meta_lookup_attr(struct meta_lookup *a, uint8_t type, int ret)
{
	if (ret != -ENOENT)
		return ret;
	memset(&a->attr, 0, sizeof(a->attr));
	a->attr.type = type;
	return 0;
}

static void touch(struct meta_attr *t, const struct timespec *mtime)
{
	struct timespec now;

	meta_now(&now);
	meta_set_mtime(t, mtime ? mtime : &now);
	meta_set_ctime(t, &now);
}

/* doTruncate on the attr read: 1 when the length is already right */
int meta_truncate_attr(struct meta_truncate *a)
{
	struct meta_attr *t = &a->attr;

	if (t->type != META_TYPE_FILE || meta_is_immutable(t))
		return -EPERM;
	a->old = t->length;
	if (t->length == a->length)
		return 1;
	t->length = a->length;
	touch(t, NULL);
	return 0;
}

/* doFallocate on the attr read: the length grows unless KEEP_SIZE */
int meta_falloc_attr(struct meta_falloc *a)
{
	struct meta_attr *t = &a->attr;

	if (t->type == META_TYPE_FIFO)
		return -EPIPE;
	if (t->type != META_TYPE_FILE || (t->flags & META_FLAG_IMMUTABLE))
		return -EPERM;
	if ((t->flags & META_FLAG_APPEND) && (a->mode & ~META_FALLOC_KEEP_SIZE))
		return -EPERM;
	a->old = t->length;
	if (a->off + a->len > t->length && !(a->mode & META_FALLOC_KEEP_SIZE))
		t->length = a->off + a->len;
	touch(t, NULL);
	return 0;
}

/* doWrite on the attr read: the length covers the slice */
int meta_write_attr(struct meta_write *a)
{
	struct meta_attr *t = &a->attr;
	uint64_t newlen;

	if (t->type != META_TYPE_FILE || (t->flags & META_FLAG_IMMUTABLE))
		return -EPERM;
	a->old = t->length;
	newlen = (uint64_t)a->indx * META_CHUNK_SIZE + a->s->pos + a->s->len;
	if (newlen > t->length)
		t->length = newlen;
	touch(t, a->mtime);
	return 0;
}

/*
 * CopyFileRange on both attrs read: *size is what is copied (short at
 * the source's end); 1 when nothing is (offin past the end).
 */
int meta_copy_attr(struct meta_copy *a, const struct meta_attr *src, uint64_t *size)
{
	struct meta_attr *t = &a->attr;

	if (src->type != META_TYPE_FILE || t->type != META_TYPE_FILE)
		return -EINVAL;
	if (meta_is_immutable(t))
		return -EPERM;
	a->copied = 0;
	a->old = t->length;
	if (a->offin >= src->length)
		return 1;
	*size = a->offin + a->len > src->length ? src->length - a->offin : a->len;
	if (a->offout + *size > t->length)
		t->length = a->offout + *size;
	touch(t, NULL);
	return 0;
}

struct copy_recs {
	struct meta_copy_rec *v;
	size_t n, cap;
};

static int copy_add(struct copy_recs *r, uint32_t indx, const struct meta_slice *s)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct meta_copy_rec *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct meta_copy_rec){ indx, *s };
	return 0;
}

/* the records one visible run [pos, pos + s.len) of the source makes */
static int copy_seg(const struct meta_copy *a, uint64_t pos, uint64_t end,
		    struct meta_slice s, struct copy_recs *r)
{
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t doff, skip;
	uint32_t indx, dpos;
	struct meta_slice rest;
	int ret;

	if (pos >= end || pos + s.len <= a->offin)
		return 0;
	if (pos < a->offin) {
		s.off += (uint32_t)(a->offin - pos);
		s.len -= (uint32_t)(a->offin - pos);
		pos = a->offin;
	}
	if (pos + s.len > end)
		s.len -= (uint32_t)(pos + s.len - end);
	doff = pos - a->offin + a->offout;
	indx = (uint32_t)(doff / cs);
	dpos = (uint32_t)(doff % cs);
	s.pos = dpos;
	if (dpos + s.len <= cs)
		return copy_add(r, indx, &s);
	/* it lands across a chunk boundary: one record on each side */
	skip = cs - dpos;
	rest = s;
	s.len = (uint32_t)skip;
	ret = copy_add(r, indx, &s);
	rest.pos = 0;
	rest.off += (uint32_t)skip;
	rest.len -= (uint32_t)skip;
	return ret ? ret : copy_add(r, indx + 1, &rest);
}

/* the records of meta_copy_txn, into *recs (malloc'd) */
static int copy_plan(const struct meta_ns_io *io, const struct meta_copy *a, uint64_t size,
		     struct meta_copy_rec **recs, size_t *nrec)
{
	const uint64_t cs = META_CHUNK_SIZE;
	uint64_t end = a->offin + size;
	size_t nchunks = end / cs - a->offin / cs + 1, i, k;
	struct copy_recs r = { NULL, 0, 0 };
	struct meta_slice **lists;
	size_t *counts;
	int ret = 0;

	*recs = NULL;
	*nrec = 0;
	lists = calloc(nchunks, sizeof(*lists));
	counts = calloc(nchunks, sizeof(*counts));
	if (!lists || !counts)
		ret = -ENOMEM;
	for (i = 0; i < nchunks && !ret; i++)
		ret = io->load_chunk(io->ctx, a->fin, (uint32_t)(a->offin / cs + i), 1,
				     &lists[i], &counts[i]);
	for (i = 0; i < nchunks && !ret; i++) {
		uint64_t coff = (a->offin / cs + i) * cs;
		struct meta_segs segs = { 0 };

		lists[i][0] = (struct meta_slice){ .len = (uint32_t)cs };	/* holes */
		ret = meta_overlay(lists[i], counts[i], &segs);
		for (k = 0; !ret && k < segs.n; k++) {
			struct meta_slice s = {
				.id = segs.v[k].id, .size = segs.v[k].size,
				.off = segs.v[k].off,
				.len = segs.v[k].end - segs.v[k].start,
			};

			ret = copy_seg(a, coff + segs.v[k].start, end, s, &r);
		}
		free(segs.v);
	}
	for (i = 0; lists && i < nchunks; i++)
		free(lists[i]);
	free(lists);
	free(counts);
	if (ret) {
		free(r.v);
		return ret;
	}
	*recs = r.v;
	*nrec = r.n;
	return 0;
}

int meta_copy_txn(const struct meta_ns_io *io, struct meta_copy *a,
		  int (*write)(void *ctx, struct meta_copy *a, const struct meta_copy_rec *r,
			       size_t n),
		  void *ctx)
{
	struct meta_copy_rec *r = NULL;
	struct meta_attr src;
	uint64_t size = 0;
	size_t n = 0;
	int ret;

	a->copied = 0;
	ret = io->get_attr(io->ctx, a->fin, &src);
	if (!ret)
		ret = io->get_attr(io->ctx, a->fout, &a->attr);
	if (!ret)
		ret = meta_copy_attr(a, &src, &size);
	if (ret)
		return ret > 0 ? 0 : ret;	/* 1: nothing to copy */
	ret = copy_plan(io, a, size, &r, &n);
	if (!ret)
		ret = write(ctx, a, r, n);
	free(r);
	if (!ret)
		a->copied = size;
	return ret;
}

/* mergeAttr's chmod of a file with an access ACL: the rule follows */
int meta_acl_chmod(const struct meta_acl_io *io, struct meta_attr *t, uint16_t mode)
{
	struct acl_rule rule;
	int ret;

	ret = io->get(io->ctx, t->access_acl, &rule);
	if (ret)
		return ret;
	acl_rule_set_mode(&rule, mode);
	t->mode = (mode & 07000) | acl_rule_get_mode(&rule);
	ret = io->insert(io->ctx, &rule, &t->access_acl);
	acl_rule_free(&rule);
	return ret;
}

/* doMknod under a dir with a default ACL: the child inherits it */
int meta_acl_inherit(const struct meta_acl_io *io, const struct meta_attr *pa,
		     struct meta_attr *t, uint16_t mode)
{
	struct acl_rule def, child;
	int ret;

	ret = io->get(io->ctx, pa->default_acl, &def);
	if (ret)
		return ret;
	if (t->type == META_TYPE_DIR)
		t->default_acl = pa->default_acl;
	if (acl_rule_is_minimal(&def)) {
		t->mode = mode & (07000 | acl_rule_get_mode(&def));
	} else {
		ret = acl_rule_child_access(&def, mode, &child);
		if (!ret) {
			ret = io->insert(io->ctx, &child, &t->access_acl);
			t->mode = (mode & 07000) | acl_rule_get_mode(&child);
			acl_rule_free(&child);
		}
	}
	acl_rule_free(&def);
	return ret;
}

int meta_setattr_apply(const struct meta_acl_io *io, struct meta_setattr *a)
{
	struct meta_attr *t = &a->out;
	struct timespec now;
	int ret;

	ret = meta_setattr_check(t, a->set);
	if (ret)
		return ret;
	meta_now(&now);
	if ((a->set & META_SET_MODE) && t->access_acl) {
		ret = meta_acl_chmod(io, t, a->in->mode & 07777);
		if (ret)
			return ret;
	} else if (a->set & META_SET_MODE) {
		t->mode = a->in->mode & 07777;
	}
	meta_setattr_merge(t, a->set, a->in, &now);
	return 0;
}

int meta_get_facl_rule(const struct meta_acl_io *io, struct meta_facl *a)
{
	uint32_t id = a->type == ACL_TYPE_ACCESS_J ? a->attr.access_acl : a->attr.default_acl;

	if (!id)
		return -ENODATA;
	acl_rule_free(&a->out);
	return io->get(io->ctx, id, &a->out);
}

/* doSetFacl: the rule's id goes into the attr; an access rule sets the mode */
int meta_set_facl_apply(const struct meta_acl_io *io, struct meta_facl *a)
{
	struct meta_attr *t = &a->attr;
	struct acl_rule rule;
	uint32_t *idp, old_id;
	struct timespec now;
	uint16_t old_mode;
	int ret;

	if (t->flags & META_FLAG_IMMUTABLE)
		return -EPERM;
	idp = a->type == ACL_TYPE_ACCESS_J ? &t->access_acl : &t->default_acl;
	old_id = *idp;
	old_mode = t->mode;
	ret = meta_facl_prepare(t, a->type, a->in, a->kill_sgid, &rule);
	if (ret > 0) {
		ret = io->insert(io->ctx, &rule, idp);
		if (!ret)
			meta_facl_stored(t, a->type, &rule);
		acl_rule_free(&rule);
	}
	if (ret)
		return ret;
	if (*idp == old_id && t->mode == old_mode)
		return 0;
	meta_now(&now);
	meta_set_ctime(t, &now);
	return 1;
}

static void facl_set_mode(struct meta_attr *t, uint16_t owner, uint16_t group,
			  uint16_t other)
{
	t->mode = (t->mode & 07000) | (owner & 7) << 6 | (group & 7) << 3 | (other & 7);
}

/*
 * doSetFacl's rules for t's access or default ACL: an empty rule drops
 * it, a minimal access rule is just the mode.  Returns 1 when 'rule' (a
 * copy of 'in' to free) is to be stored and its id set with
 * meta_facl_stored, else 0 or an error.
 */
int meta_facl_prepare(struct meta_attr *t, int type, const struct acl_rule *in,
		      bool kill_sgid, struct acl_rule *rule)
{
	uint32_t *idp = type == ACL_TYPE_ACCESS_J ? &t->access_acl : &t->default_acl;
	int ret;

	if (kill_sgid)
		t->mode &= 05777;
	if (!in || acl_rule_is_empty(in)) {
		*idp = 0;
		return 0;
	}
	if (acl_rule_is_minimal(in) && type == ACL_TYPE_ACCESS_J) {
		*idp = 0;
		facl_set_mode(t, in->owner, in->group, in->other);
		return 0;
	}
	ret = acl_rule_copy(rule, in);
	if (ret)
		return ret;
	acl_rule_inherit_perms(rule, t->mode);
	return 1;
}

/* an access rule's owner, mask and other become the mode */
void meta_facl_stored(struct meta_attr *t, int type, const struct acl_rule *rule)
{
	if (type == ACL_TYPE_ACCESS_J)
		facl_set_mode(t, rule->owner, rule->mask, rule->other);
}

/* readdir's order: bytewise, a prefix first */
int meta_dirent_cmp(const void *x, const void *y)
{
	const struct meta_dirent *a = x, *b = y;
	size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
	int c = memcmp(a->name, b->name, n);

	return c ? c : (int)a->namelen - (int)b->namelen;
}

/* ---- slices ---------------------------------------------------------- */

int meta_free_slice(struct meta *m, uint64_t id, uint32_t size, bool *gone)
{
	const struct meta_hooks *h = &m->hooks;

	if (gone)
		*gone = false;
	if (!h->delete_slice)
		return 0;	/* the reference stays for `juicefs gc` */
	if (h->delete_slice(h->arg, id, size))
		return 0;	/* the objects stay: so does the reference, for later */
	if (gone)
		*gone = true;
	return m->ops->delete_slice_ref(m, id, size);
}

int meta_free_slices(struct meta *m, const struct meta_slice_ref *v, size_t n)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++)
		ret = meta_free_slice(m, v[i].id, v[i].size, NULL);
	return ret;
}

int meta_delete_chunk(struct meta *m, uint64_t ino, uint32_t indx)
{
	struct meta_delchunk a = { .ino = ino, .indx = indx };
	int ret;

	ret = m->ops->do_delete_chunk(m, &a);
	if (!ret)
		ret = meta_free_slices(m, a.freed, a.nfreed);
	free(a.freed);
	return ret;
}

/* ---- lifetime ------------------------------------------------------- */

void meta_base_init(struct meta *m)
{
	pthread_mutex_init(&m->ds.lock, NULL);
	pthread_mutex_init(&m->trash_lock, NULL);
	m->retry_secs = META_RETRY_SECS;
}

void meta_base_destroy(struct meta *m)
{
	free(m->ds.v);
	m->ds.v = NULL;
	m->ds.n = m->ds.cap = 0;
	pthread_mutex_destroy(&m->ds.lock);
	pthread_mutex_destroy(&m->trash_lock);
}
