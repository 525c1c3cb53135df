/*
 * ops.c - request handlers: decode and check the arguments, call the
 * metadata engine or the chunk layer, encode the reply.
 *
 * The dispatcher has already checked that the fixed argument struct is
 * there; each handler checks the variable part (names, targets, data)
 * against the lengths the kernel claims, because jfsd never trusts what
 * it is sent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "data/fmap.h"
#include "jfsd.h"
#include "util/log.h"

static const mode_t type_ifmt[] = {
	[META_TYPE_FILE] = S_IFREG, [META_TYPE_DIR] = S_IFDIR,
	[META_TYPE_SYMLINK] = S_IFLNK, [META_TYPE_FIFO] = S_IFIFO,
	[META_TYPE_BLKDEV] = S_IFBLK, [META_TYPE_CHRDEV] = S_IFCHR,
	[META_TYPE_SOCKET] = S_IFSOCK,
};

static const unsigned char type_dt[] = {
	[META_TYPE_FILE] = DT_REG, [META_TYPE_DIR] = DT_DIR,
	[META_TYPE_SYMLINK] = DT_LNK, [META_TYPE_FIFO] = DT_FIFO,
	[META_TYPE_BLKDEV] = DT_BLK, [META_TYPE_CHRDEV] = DT_CHR,
	[META_TYPE_SOCKET] = DT_SOCK,
};

static int ifmt_to_type(mode_t mode)
{
	int t;

	for (t = META_TYPE_FILE; t <= META_TYPE_SOCKET; t++)
		if (type_ifmt[t] == (mode & S_IFMT))
			return t;
	return -EINVAL;
}

void attr_to_wire(uint64_t ino, const struct meta_attr *a, struct jfs_attr *w)
{
	memset(w, 0, sizeof(*w));
	w->ino = ino;
	w->size = a->length;
	w->atime = a->atime;
	w->mtime = a->mtime;
	w->ctime = a->ctime;
	w->atimensec = a->atimensec;
	w->mtimensec = a->mtimensec;
	w->ctimensec = a->ctimensec;
	w->mode = (a->type <= META_TYPE_SOCKET ? type_ifmt[a->type] : 0) |
		  (a->mode & 07777);
	w->nlink = a->nlink;
	w->uid = a->uid;
	w->gid = a->gid;
	w->rdev = a->rdev;
	w->flags = a->flags;
	if (a->no_xattr && !a->access_acl && !a->default_acl)
		w->hints |= JFS_ATTR_NOXATTR;
}

static int reply_attr(struct reply *r, uint64_t ino, const struct meta_attr *a)
{
	attr_to_wire(ino, a, reply_payload(r));
	r->len = sizeof(struct jfs_attr);
	return 0;
}

static int check_name(const char *name, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > META_MAX_NAME)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, 0, len))
		return -EINVAL;
	return 0;
}

/* The name that follows a fixed struct must fill the message exactly. */
static int arg_name(const unsigned char *args, size_t alen, size_t fixed,
		    size_t namelen, const char **name)
{
	if (alen != fixed + namelen)
		return -EINVAL;
	*name = (const char *)args + fixed;
	return check_name(*name, namelen);
}

/* ".trash" in the root: JuiceFS's virtual entry for the trash dir */
static bool is_trash_name(uint64_t parent, const char *name, size_t len)
{
	return parent == META_ROOT_INO && len == sizeof(META_TRASH_NAME) - 1 &&
	       !memcmp(name, META_TRASH_NAME, len);
}

/* as JuiceFS: only root takes things out of the trash */
static int check_trash_delete(const struct jfs_in_hdr *in, const char *name, size_t len)
{
	if (is_trash_name(in->ino, name, len))
		return -EPERM;
	if (meta_is_trash(in->ino) && in->uid != 0)
		return -EPERM;
	return 0;
}

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

int op_statfs(struct vol *v, const struct jfs_in_hdr *in,
	      const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_statfs_out *so = reply_payload(r);
	uint64_t used, iused, total, iavail;
	int ret;

	ret = meta_statfs(v->meta, &used, &iused);
	if (ret)
		return ret;
	/*
	 * JuiceFS's numbers: the capacity (at least what is used), else
	 * 1 PiB doubled until used is under 80 %; 10 Mi free inodes doubled
	 * until used is under 80 % of all.
	 */
	total = v->setting->capacity;
	if (total && total < used)
		total = used;
	if (!total)
		for (total = 1ULL << 50; total * 8 < used * 10; total *= 2)
			;
	if (v->setting->inodes)
		iavail = v->setting->inodes > iused ? v->setting->inodes - iused : 0;
	else
		for (iavail = 10 << 20; iused * 10 > (iused + iavail) * 8;
		     iavail *= 2)
			;
	memset(so, 0, sizeof(*so));
	so->bsize = 4096;
	so->blocks = total / 4096;
	so->bfree = (total - used) / 4096;
	so->bavail = so->bfree;
	so->files = iused + iavail;
	so->ffree = iavail;
	so->namelen = META_MAX_NAME;
	r->len = sizeof(*so);
	return 0;
}

int op_lookup(struct vol *v, const struct jfs_in_hdr *in,
	      const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_name_in *ni = (const void *)args;
	struct meta_attr attr;
	const char *name;
	uint64_t ino;
	int ret;

	ret = arg_name(args, alen, sizeof(*ni), ni->namelen, &name);
	if (ret)
		return ret;
	if (is_trash_name(in->ino, name, ni->namelen)) {
		ino = META_TRASH_INO;
		ret = meta_getattr(v->meta, ino, &attr);
	} else {
		ret = meta_lookup(v->meta, in->ino, name, ni->namelen,
					   &ino, &attr);
	}
	return ret ? ret : reply_attr(r, ino, &attr);
}

int op_getattr(struct vol *v, const struct jfs_in_hdr *in,
	       const unsigned char *args, size_t alen, struct reply *r)
{
	struct meta_attr attr;
	int ret;

	ret = meta_getattr(v->meta, in->ino, &attr);
	if (ret)
		return ret;
	if (attr.type == META_TYPE_FILE)
		fmaps_saw_length(v->chunk.maps, in->ino, attr.length);
	return reply_attr(r, in->ino, &attr);
}

_Static_assert(JFS_FL_IMMUTABLE == META_FLAG_IMMUTABLE && JFS_FL_APPEND == META_FLAG_APPEND &&
	       JFS_FL_SKIP_TRASH == META_FLAG_SKIP_TRASH, "chattr's bits are JuiceFS's");

int op_setattr(struct vol *v, const struct jfs_in_hdr *in,
	       const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_setattr_in *si = (const void *)args;
	struct meta_attr want = {}, attr;
	struct timespec ts = now();
	unsigned int set = 0;
	int ret;

	if (alen != sizeof(*si) || si->valid & ~JFS_SET_ALL)
		return -EINVAL;
	if (si->valid & JFS_SET_SIZE) {
		ret = meta_truncate(v->meta, in->ino, si->size, &attr);
		if (ret)
			return ret;
	}
	if (si->valid & JFS_SET_MODE) {
		set |= META_SET_MODE;
		want.mode = si->mode & 07777;
	}
	if (si->valid & JFS_SET_UID) {
		set |= META_SET_UID;
		want.uid = si->uid;
	}
	if (si->valid & JFS_SET_GID) {
		set |= META_SET_GID;
		want.gid = si->gid;
	}
	if (si->valid & (JFS_SET_ATIME | JFS_SET_ATIME_NOW)) {
		set |= META_SET_ATIME;
		want.atime = si->valid & JFS_SET_ATIME ? si->atime : ts.tv_sec;
		want.atimensec = si->valid & JFS_SET_ATIME ? si->atimensec :
			(uint32_t)ts.tv_nsec;
	}
	if (si->valid & (JFS_SET_MTIME | JFS_SET_MTIME_NOW)) {
		set |= META_SET_MTIME;
		want.mtime = si->valid & JFS_SET_MTIME ? si->mtime : ts.tv_sec;
		want.mtimensec = si->valid & JFS_SET_MTIME ? si->mtimensec :
			(uint32_t)ts.tv_nsec;
	}
	if (si->valid & JFS_SET_FLAGS) {
		if (si->flags & ~JFS_FL_CHATTR)
			return -EINVAL;
		set |= META_SET_FLAGS;
		want.flags = si->flags;	/* the JFS_FL_* bits are JuiceFS's */
	}
	if (want.atimensec >= 1000000000 || want.mtimensec >= 1000000000)
		return -EINVAL;
	if (set || !(si->valid & JFS_SET_SIZE)) {
		ret = meta_setattr(v->meta, in->ino, set, &want, &attr);
		if (ret)
			return ret;
	}
	if (si->valid & JFS_SET_SIZE) {
		fmaps_forget(v->chunk.maps, in->ino);
		fmaps_set_length(v->chunk.maps, in->ino, attr.length);
	}
	return reply_attr(r, in->ino, &attr);
}

/* MKNOD and MKDIR: regular files, dirs, fifos, devices, sockets. */
int op_mknod(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_create_in *ci = (const void *)args;
	struct meta_attr attr;
	const char *name;
	uint64_t ino;
	int type, ret;

	ret = arg_name(args, alen, sizeof(*ci), ci->namelen, &name);
	if (ret)
		return ret;
	if (is_trash_name(in->ino, name, ci->namelen))
		return -EEXIST;
	type = ifmt_to_type(ci->mode);
	if (type < 0 || (in->opcode == JFS_OP_MKDIR) != (type == META_TYPE_DIR) ||
	    type == META_TYPE_SYMLINK || (ci->umask & ~0777U))
		return -EINVAL;
	ret = meta_mknod(v->meta, in->ino, name, ci->namelen, type,
				  ci->mode & 07777, ci->umask, in->uid, in->gid,
				  ci->rdev, NULL, 0, &ino, &attr);
	return ret ? ret : reply_attr(r, ino, &attr);
}

/*
 * CREATE: make and open a regular file, or, when the name exists and
 * O_EXCL is not set, answer as LOOKUP would (fh 0) so the kernel opens
 * the existing entry itself.  A name that vanishes between the two is
 * created again: a few rounds, then the race is the caller's ENOENT.
 */
int op_create(struct vol *v, const struct jfs_in_hdr *in,
	      const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_create_open_in *co = (const void *)args;
	const struct jfs_create_in *ci = &co->create;
	struct jfs_open_out *oo = reply_payload(r);
	struct meta_attr attr;
	const char *name;
	uint64_t ino, fh = 0;
	int tries, ret;

	ret = arg_name(args, alen, sizeof(*co), ci->namelen, &name);
	if (ret)
		return ret;
	if ((ci->mode & S_IFMT) != S_IFREG || (ci->umask & ~0777U))
		return -EINVAL;
	for (tries = 0; tries < 3; tries++) {
		if (is_trash_name(in->ino, name, ci->namelen)) {
			ret = -EEXIST;
		} else {
			ret = meta_mknod(v->meta, in->ino, name, ci->namelen,
					 META_TYPE_FILE, ci->mode & 07777, ci->umask,
					 in->uid, in->gid, 0, NULL, 0, &ino, &attr);
		}
		if (ret == 0) {
			ret = vol_handle_new(v, ino, false, attr.length, &fh);
			break;
		}
		if (ret != -EEXIST || (co->flags & O_EXCL))
			break;
		if (is_trash_name(in->ino, name, ci->namelen)) {
			ino = META_TRASH_INO;
			ret = meta_getattr(v->meta, ino, &attr);
		} else {
			ret = meta_lookup(v->meta, in->ino, name, ci->namelen,
					  &ino, &attr);
		}
		if (ret != -ENOENT)
			break;
	}
	if (ret)
		return ret;
	memset(oo, 0, sizeof(*oo));
	oo->fh = fh;
	attr_to_wire(ino, &attr, &oo->attr);
	r->len = sizeof(*oo);
	return 0;
}

int op_symlink(struct vol *v, const struct jfs_in_hdr *in,
	       const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_symlink_in *si = (const void *)args;
	const char *name, *target;
	struct meta_attr attr;
	uint64_t ino;
	int ret;

	if (si->targetlen == 0)
		return -EINVAL;
	if (si->targetlen > META_MAX_SYMLINK)
		return -ENAMETOOLONG;
	ret = arg_name(args, alen - si->targetlen, sizeof(*si), si->namelen,
		       &name);
	if (ret)
		return ret;
	target = name + si->namelen;
	if (memchr(target, 0, si->targetlen))
		return -EINVAL;
	if (is_trash_name(in->ino, name, si->namelen))
		return -EEXIST;
	ret = meta_mknod(v->meta, in->ino, name, si->namelen,
				  META_TYPE_SYMLINK, 0777, 0, in->uid, in->gid, 0,
				  target, si->targetlen, &ino, &attr);
	return ret ? ret : reply_attr(r, ino, &attr);
}

int op_link(struct vol *v, const struct jfs_in_hdr *in,
	    const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_link_in *li = (const void *)args;
	struct meta_attr attr;
	const char *name;
	int ret;

	ret = arg_name(args, alen, sizeof(*li), li->namelen, &name);
	if (!ret && is_trash_name(li->newparent, name, li->namelen))
		ret = -EEXIST;
	if (!ret)
		ret = meta_link(v->meta, in->ino, li->newparent, name,
					 li->namelen, &attr);
	return ret ? ret : reply_attr(r, in->ino, &attr);
}

int op_unlink(struct vol *v, const struct jfs_in_hdr *in,
	      const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_name_in *ni = (const void *)args;
	const char *name;
	int ret;

	ret = arg_name(args, alen, sizeof(*ni), ni->namelen, &name);
	if (!ret)
		ret = check_trash_delete(in, name, ni->namelen);
	return ret ? ret : meta_unlink(v->meta, in->ino, name,
						ni->namelen);
}

int op_rmdir(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_name_in *ni = (const void *)args;
	const char *name;
	int ret;

	ret = arg_name(args, alen, sizeof(*ni), ni->namelen, &name);
	if (!ret)
		ret = check_trash_delete(in, name, ni->namelen);
	return ret ? ret : meta_rmdir(v->meta, in->ino, name,
					       ni->namelen);
}

int op_rename(struct vol *v, const struct jfs_in_hdr *in,
	      const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_rename_in *ri = (const void *)args;
	const char *oldname, *newname;
	unsigned int flags = 0;
	int ret;

	if (ri->flags & ~(JFS_RENAME_NOREPLACE | JFS_RENAME_EXCHANGE) ||
	    (ri->flags & JFS_RENAME_NOREPLACE && ri->flags & JFS_RENAME_EXCHANGE))
		return -EINVAL;
	if (alen != sizeof(*ri) + ri->oldlen + ri->newlen)
		return -EINVAL;
	oldname = (const char *)args + sizeof(*ri);
	newname = oldname + ri->oldlen;
	ret = check_name(oldname, ri->oldlen);
	if (!ret)
		ret = check_name(newname, ri->newlen);
	if (!ret)
		ret = check_trash_delete(in, oldname, ri->oldlen);
	if (!ret && is_trash_name(ri->newparent, newname, ri->newlen))
		ret = -EPERM;
	if (ret)
		return ret;
	if (ri->flags & JFS_RENAME_NOREPLACE)
		flags |= META_RENAME_NOREPLACE;
	if (ri->flags & JFS_RENAME_EXCHANGE)
		flags |= META_RENAME_EXCHANGE;
	return meta_rename(v->meta, in->ino, oldname, ri->oldlen,
				    ri->newparent, newname, ri->newlen, flags);
}

int op_readlink(struct vol *v, const struct jfs_in_hdr *in,
		const unsigned char *args, size_t alen, struct reply *r)
{
	char *target;
	size_t len;
	int ret;

	ret = meta_readlink(v->meta, in->ino, &target, &len);
	if (ret)
		return ret;
	if (len == 0 || len > META_MAX_SYMLINK) {
		free(target);
		return -EIO;
	}
	memcpy(reply_payload(r), target, len);
	r->len = len;
	free(target);
	return 0;
}

/* OPEN and OPENDIR: fresh attributes (close-to-open) plus a handle. */
int op_open(struct vol *v, const struct jfs_in_hdr *in,
	    const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_open_in *oi = (const void *)args;
	struct jfs_open_out *oo = reply_payload(r);
	bool dir = in->opcode == JFS_OP_OPENDIR;
	struct meta_attr attr;
	uint64_t fh;
	int ret;

	ret = meta_getattr(v->meta, in->ino, &attr);
	if (ret)
		return ret;
	if (dir && attr.type != META_TYPE_DIR)
		return -ENOTDIR;
	if (!dir && attr.type == META_TYPE_DIR)
		return -EISDIR;
	if (v->rdonly && (oi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	ret = vol_handle_new(v, in->ino, dir, attr.length, &fh);
	if (ret)
		return ret;
	memset(oo, 0, sizeof(*oo));
	oo->fh = fh;
	attr_to_wire(in->ino, &attr, &oo->attr);
	r->len = sizeof(*oo);
	return 0;
}

/* RELEASE and RELEASEDIR; the last close of an unlinked file frees it. */
int op_release(struct vol *v, const struct jfs_in_hdr *in,
	       const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_fh_in *fi = (const void *)args;
	struct meta_attr attr;
	bool sustained;
	uint64_t ino;
	int ret;

	ret = vol_handle_release(v, fi->fh, &ino, &sustained);
	if (ret || !sustained || v->rdonly)
		return ret;
	if (meta_getattr(v->meta, ino, &attr) == 0 && attr.nlink == 0) {
		ret = meta_release_sustained(v->meta, ino);
		if (ret)
			log_warn("freeing unlinked inode %llu failed: %s",
				 (unsigned long long)ino, jfs_errmsg());
	}
	return 0;
}

/* the root lists .trash last, when the volume has one (JuiceFS lists it too) */
static int add_trash_entry(struct vol *v, struct handle *h)
{
	struct meta_dirent *ents, *e;
	struct meta_attr attr;

	if (meta_getattr(v->meta, META_TRASH_INO, &attr))
		return 0;
	ents = realloc(h->ents, (h->nents + 1) * sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	h->ents = ents;
	e = &ents[h->nents];
	memset(e, 0, sizeof(*e));
	e->name = strdup(META_TRASH_NAME);
	if (!e->name)
		return -ENOMEM;
	e->ino = META_TRASH_INO;
	e->type = META_TYPE_DIR;
	e->namelen = sizeof(META_TRASH_NAME) - 1;
	e->attr = attr;
	h->nents++;
	return 0;
}

static int load_dir(struct vol *v, struct handle *h)
{
	meta_free_dirents(h->ents, h->nents);
	h->ents = NULL;
	h->nents = 0;
	h->loaded = false;
	if (meta_readdir(v->meta, h->ino, true, &h->ents, &h->nents))
		return -EIO;
	h->loaded = true;
	return h->ino == META_ROOT_INO ? add_trash_entry(v, h) : 0;
}

/* Offsets are positions in the handle's snapshot; 0 takes a new one. */
int op_readdir(struct vol *v, const struct jfs_in_hdr *in,
	       const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_readdir_in *ri = (const void *)args;
	struct handle *h = vol_handle_get(v, ri->fh);
	size_t room, pos = 0, i, rec;
	unsigned char *out = reply_payload(r);
	struct jfs_dirent de;
	int ret = 0;

	if (!h)
		return -EBADF;
	if (!h->dir || h->ino != in->ino) {
		vol_handle_put(v, h);
		return -EBADF;
	}
	pthread_mutex_lock(&h->lock);
	if (ri->offset == 0 || !h->loaded)
		ret = load_dir(v, h);
	if (ret)
		goto out;
	room = ri->size < r->max ? ri->size : r->max;
	for (i = ri->offset; i < h->nents; i++) {
		const struct meta_dirent *e = &h->ents[i];

		rec = JFS_DIRENT_SIZE(e->namelen);
		if (pos + rec > room)
			break;
		memset(&de, 0, sizeof(de));
		attr_to_wire(e->ino, &e->attr, &de.attr);
		de.offset = i + 1;
		de.namelen = e->namelen;
		de.type = e->type <= META_TYPE_SOCKET ? type_dt[e->type] : 0;
		memset(out + pos, 0, rec);
		memcpy(out + pos, &de, sizeof(de));
		memcpy(out + pos + sizeof(de), e->name, e->namelen);
		pos += rec;
	}
	r->len = pos;
out:
	pthread_mutex_unlock(&h->lock);
	vol_handle_put(v, h);
	return ret;
}

/*
 * A read that starts where a recent read of the same file ended is a
 * sequential reader: worth fetching its next blocks ahead.
 */
static bool read_is_sequential(struct vol *v, uint64_t ino, uint64_t off, uint64_t end)
{
	bool seq = false;
	unsigned int i;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < ARRAY_LEN(v->reads); i++)
		if (v->reads[i].ino == ino && v->reads[i].end == off) {
			v->reads[i].end = end;
			seq = true;
			break;
		}
	if (!seq) {
		seq = off == 0;		/* reading from the start: likely to go on */
		i = v->next_read++ % ARRAY_LEN(v->reads);
		v->reads[i].ino = ino;
		v->reads[i].end = end;
	}
	pthread_mutex_unlock(&v->lock);
	return seq;
}

int op_read(struct vol *v, const struct jfs_in_hdr *in,
	    const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_io_in *io = (const void *)args;
	struct meta_attr attr;
	uint64_t length;
	size_t got = 0;
	int ret;

	if (alen != sizeof(*io) || io->size > JFS_IO_MAX || io->size > r->max)
		return -EINVAL;
	/*
	 * An open file's length is known (fmap.h); only a read that reaches
	 * past it asks the engine, which may know a longer file.
	 */
	if (!fmaps_length(v->chunk.maps, in->ino, &length) ||
	    io->offset + io->size > length) {
		ret = meta_getattr(v->meta, in->ino, &attr);
		if (ret)
			return ret;
		if (attr.type != META_TYPE_FILE)
			return -EISDIR;
		length = attr.length;
		fmaps_saw_length(v->chunk.maps, in->ino, length);
	}
	if (v->chunk.prefetch && io->size &&
	    read_is_sequential(v, in->ino, io->offset, io->offset + io->size))
		chunk_prefetch(&v->chunk, in->ino, length, io->offset + io->size,
			       (uint64_t)v->chunk.prefetch * v->chunk.block_size);
	ret = chunk_read(&v->chunk, in->ino, length, io->offset, io->size,
			 reply_payload(r), &got);
	if (ret) {
		log_error("read of inode %llu at %llu (%u bytes) failed: %s",
			  (unsigned long long)in->ino,
			  (unsigned long long)io->offset, io->size,
			  jfs_errmsg());
		return ret;
	}
	log_debug("read ino %llu [%llu, +%u) of %llu: %zu bytes",
		  (unsigned long long)in->ino, (unsigned long long)io->offset,
		  io->size, (unsigned long long)length, got);
	r->len = got;
	return 0;
}

int op_write(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_io_in *io = (const void *)args;
	struct jfs_write_out *wo = reply_payload(r);
	struct timespec ts = now();
	struct meta_attr attr;
	int ret;

	if (io->size > JFS_IO_MAX || alen != sizeof(*io) + io->size ||
	    io->offset + io->size < io->offset)
		return -EINVAL;
	ret = chunk_write(&v->chunk, in->ino, io->offset, args + sizeof(*io),
			  io->size, &ts, &attr);
	if (ret) {
		log_error("write of inode %llu at %llu (%u bytes) failed: %s",
			  (unsigned long long)in->ino,
			  (unsigned long long)io->offset, io->size,
			  ret == -EIO ? jfs_errmsg() : strerror(-ret));
		return ret;
	}
	memset(wo, 0, sizeof(*wo));
	wo->written = io->size;
	attr_to_wire(in->ino, &attr, &wo->attr);
	r->len = sizeof(*wo);
	return 0;
}

/* Every WRITE is committed before it is answered: nothing is pending. */
int op_flush(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	return 0;
}

/* ---- extended attributes ---- */

/* the namespaces the kernel serves; "trusted." only when asked for */
static bool xattr_listable(const char *name, size_t len, bool trusted)
{
	static const struct { const char *p; size_t n; bool priv; } ns[] = {
		{ "user.", 5, false }, { "security.", 9, false },
		{ "trusted.", 8, true },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(ns); i++)
		if (len > ns[i].n && !memcmp(name, ns[i].p, ns[i].n))
			return trusted || !ns[i].priv;
	return false;
}

/*
 * The name (and for SETXATTR the value of xi->size bytes) after
 * jfs_xattr_in must fill the message exactly; names are 1..255 bytes
 * without NUL, in a namespace the kernel has a handler for.
 */
static int arg_xattr(const unsigned char *args, size_t alen, size_t vlen,
		     const char **name)
{
	const struct jfs_xattr_in *xi = (const void *)args;

	if (xi->namelen == 0)
		return -EINVAL;
	if (xi->namelen > JFS_XATTR_NAME_MAX)
		return -ERANGE;
	if (alen != sizeof(*xi) + xi->namelen + vlen)
		return -EINVAL;
	*name = (const char *)args + sizeof(*xi);
	if (memchr(*name, 0, xi->namelen))
		return -EINVAL;
	if (!xattr_listable(*name, xi->namelen, true) &&
	    !acl_xattr_type(*name, xi->namelen))
		return -EOPNOTSUPP;
	return 0;
}


/* reply = jfs_xattr_out (the full length), then the bytes if room was asked */
static int reply_xattr(struct reply *r, const void *data, size_t len, uint32_t room)
{
	struct jfs_xattr_out xo = { .size = (uint32_t)len };

	if (room && len > room)
		return -ERANGE;
	memcpy(reply_payload(r), &xo, sizeof(xo));
	if (room && len)
		memcpy((unsigned char *)reply_payload(r) + sizeof(xo), data, len);
	r->len = sizeof(xo) + (room ? len : 0);
	return 0;
}

/*
 * system.posix_acl_*: JuiceFS keeps them as rules, not in x{ino}.  The
 * VFS has checked ownership; a volume without EnableACL has none.
 */
static int getfacl(struct vol *v, uint64_t ino, int type, uint32_t room,
		   struct reply *r)
{
	struct acl_rule rule;
	unsigned char *buf;
	size_t len;
	int ret;

	if (!v->setting->enable_acl)
		return -EOPNOTSUPP;
	if (meta_is_trash(ino))
		return -ENODATA;
	ret = meta_get_facl(v->meta, ino, type, &rule);
	if (ret)
		return ret;
	ret = acl_to_xattr(&rule, &buf, &len);
	acl_rule_free(&rule);
	if (ret)
		return ret;
	ret = len > JFS_XATTR_SIZE_MAX ? -E2BIG : reply_xattr(r, buf, len, room);
	free(buf);
	return ret;
}

static int setfacl(struct vol *v, uint64_t ino, int type, const void *value,
		   size_t vlen, bool kill_sgid)
{
	struct acl_rule rule;
	int ret;

	if (!v->setting->enable_acl)
		return -EOPNOTSUPP;
	if (meta_is_trash(ino))
		return -EPERM;
	if (!value)
		return meta_set_facl(v->meta, ino, type, NULL, false, NULL);
	ret = acl_from_xattr(value, vlen, &rule);
	if (ret)
		return ret;
	ret = meta_set_facl(v->meta, ino, type, &rule, kill_sgid, NULL);
	acl_rule_free(&rule);
	return ret;
}

int op_getxattr(struct vol *v, const struct jfs_in_hdr *in,
		const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_xattr_in *xi = (const void *)args;
	const char *name;
	char *value;
	size_t vlen;
	int ret;

	if (xi->flags || xi->size > JFS_XATTR_SIZE_MAX)
		return -EINVAL;
	ret = arg_xattr(args, alen, 0, &name);
	if (ret)
		return ret;
	if (acl_xattr_type(name, xi->namelen))
		return getfacl(v, in->ino, acl_xattr_type(name, xi->namelen),
			       xi->size, r);
	if (meta_is_trash(in->ino))
		return -ENODATA;	/* as JuiceFS: the trash dirs have none */
	ret = meta_getxattr(v->meta, in->ino, name, xi->namelen,
				     &value, &vlen);
	if (ret)
		return ret;
	/* a value only another tool could have stored: not for the kernel */
	ret = vlen > JFS_XATTR_SIZE_MAX ? -E2BIG :
		reply_xattr(r, value, vlen, xi->size);
	free(value);
	return ret;
}

int op_setxattr(struct vol *v, const struct jfs_in_hdr *in,
		const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_xattr_in *xi = (const void *)args;
	unsigned int flags = 0;
	const char *name;
	int ret;

	if (xi->flags & ~(JFS_XATTR_CREATE | JFS_XATTR_REPLACE | JFS_XATTR_KILL_SGID))
		return -EINVAL;
	if (xi->size > JFS_XATTR_SIZE_MAX)
		return -E2BIG;
	ret = arg_xattr(args, alen, xi->size, &name);
	if (ret)
		return ret;
	if (acl_xattr_type(name, xi->namelen))
		return setfacl(v, in->ino, acl_xattr_type(name, xi->namelen),
			       name + xi->namelen, xi->size,
			       xi->flags & JFS_XATTR_KILL_SGID);
	if (xi->flags & JFS_XATTR_KILL_SGID)
		return -EINVAL;
	if (meta_is_trash(in->ino))
		return -EPERM;
	if (xi->flags & JFS_XATTR_CREATE)
		flags |= META_XATTR_CREATE;
	if (xi->flags & JFS_XATTR_REPLACE)
		flags |= META_XATTR_REPLACE;
	return meta_setxattr(v->meta, in->ino, name, xi->namelen,
				      name + xi->namelen, xi->size, flags);
}

int op_removexattr(struct vol *v, const struct jfs_in_hdr *in,
		   const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_xattr_in *xi = (const void *)args;
	const char *name;
	int ret;

	if (xi->flags || xi->size)
		return -EINVAL;
	ret = arg_xattr(args, alen, 0, &name);
	if (ret)
		return ret;
	if (acl_xattr_type(name, xi->namelen))
		return setfacl(v, in->ino, acl_xattr_type(name, xi->namelen),
			       NULL, 0, false);
	if (meta_is_trash(in->ino))
		return -EPERM;
	return meta_removexattr(v->meta, in->ino, name, xi->namelen);
}

/* ListXattr: the ACL names, when the inode has those rules */
static int add_acl_names(struct vol *v, uint64_t ino, char **names, size_t *len)
{
	static const char acc[] = "system.posix_acl_access";
	static const char def[] = "system.posix_acl_default";
	struct meta_attr a;
	size_t add;
	char *p;
	int ret;

	ret = meta_getattr(v->meta, ino, &a);
	if (ret)
		return ret;
	add = (a.access_acl ? sizeof(acc) : 0) + (a.default_acl ? sizeof(def) : 0);
	if (!add)
		return 0;
	p = realloc(*names, *len + add);
	if (!p)
		return -ENOMEM;
	if (a.access_acl) {
		memcpy(p + *len, acc, sizeof(acc));
		*len += sizeof(acc);
	}
	if (a.default_acl) {
		memcpy(p + *len, def, sizeof(def));
		*len += sizeof(def);
	}
	*names = p;
	return 0;
}

/*
 * Only names the kernel can serve are listed: "user.", "security." and,
 * for a privileged caller, "trusted.".  Others that a juicefs client
 * stored (macOS "com.apple.*", say) stay in the volume, unlisted.
 */
int op_listxattr(struct vol *v, const struct jfs_in_hdr *in,
		 const unsigned char *args, size_t alen, struct reply *r)
{
	const struct jfs_xattr_in *xi = (const void *)args;
	bool trusted = xi->flags & JFS_LISTXATTR_TRUSTED;
	size_t len = 0, keep = 0, pos, n, acl_from;
	char *names = NULL;
	int ret;

	if (alen != sizeof(*xi) || xi->namelen ||
	    xi->flags & ~JFS_LISTXATTR_TRUSTED || xi->size > JFS_XATTR_LIST_MAX)
		return -EINVAL;
	if (!meta_is_trash(in->ino)) {
		ret = meta_listxattr(v->meta, in->ino, &names, &len);
		if (ret)
			return ret;
	}
	acl_from = len;		/* names from here on are ACLs we add */
	if (v->setting->enable_acl && !meta_is_trash(in->ino)) {
		ret = add_acl_names(v, in->ino, &names, &len);
		if (ret) {
			free(names);
			return ret;
		}
	}
	/* squeeze out what is not listed, in place */
	for (pos = 0; pos < len; pos += n + 1) {
		n = strnlen(names + pos, len - pos);
		if (pos + n == len)
			break;		/* no NUL: engines always end a name */
		if (n > JFS_XATTR_NAME_MAX ||
		    (!xattr_listable(names + pos, n, trusted) && pos < acl_from))
			continue;
		memmove(names + keep, names + pos, n + 1);
		keep += n + 1;
	}
	ret = keep > JFS_XATTR_LIST_MAX ? -E2BIG :
		reply_xattr(r, names, keep, xi->size);
	free(names);
	return ret;
}

/* ---- locks ---- */

/*
 * jfs_lock_in must be exactly the message; the range inclusive and the
 * type one of the three.  Locks live on regular files (the kernel only
 * calls for those); the trash is read-only for them too.
 */
static int arg_lock(const struct jfs_in_hdr *in, const unsigned char *args, size_t alen,
		    struct jfs_lock_in *li)
{
	if (alen != sizeof(*li))
		return -EINVAL;
	memcpy(li, args, sizeof(*li));
	if (li->type > PLOCK_UN || li->start > li->end)
		return -EINVAL;
	if (meta_is_trash(in->ino))
		return -EPERM;
	return 0;
}

int op_getlk(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_lock_out *lo = reply_payload(r);
	struct jfs_lock_in li;
	struct plock p;
	int ret;

	ret = arg_lock(in, args, alen, &li);
	if (ret)
		return ret;
	ret = meta_getlk(v->meta, in->ino, li.owner, li.type, li.start, li.end, &p);
	if (ret)
		return ret;
	memset(lo, 0, sizeof(*lo));
	lo->type = p.type;
	lo->pid = p.pid;
	lo->start = p.start;
	lo->end = p.end;
	r->len = sizeof(*lo);
	return 0;
}

int op_setlk(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_lock_in li;
	int ret;

	ret = arg_lock(in, args, alen, &li);
	if (ret)
		return ret;
	return meta_setlk(v->meta, in->ino, li.owner, li.type, li.start,
				   li.end, li.pid);
}

int op_flock(struct vol *v, const struct jfs_in_hdr *in,
	     const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_lock_in li;
	int ret;

	ret = arg_lock(in, args, alen, &li);
	if (ret)
		return ret;
	return meta_flock(v->meta, in->ino, li.owner, li.type);
}

/* ---- fallocate, copy_range ---- */

int op_fallocate(struct vol *v, const struct jfs_in_hdr *in,
		 const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_fallocate_in fi;
	struct meta_attr attr;
	int ret;

	if (alen != sizeof(fi))
		return -EINVAL;
	memcpy(&fi, args, sizeof(fi));
	if (meta_is_trash(in->ino))
		return -EPERM;
	if (!fi.length || fi.offset > INT64_MAX || fi.length > INT64_MAX - fi.offset)
		return -EINVAL;
	ret = meta_fallocate(v->meta, in->ino, fi.mode, fi.offset, fi.length,
				      &attr);
	fmaps_forget(v->chunk.maps, in->ino);
	if (ret)
		return ret;
	fmaps_set_length(v->chunk.maps, in->ino, attr.length);
	return reply_attr(r, in->ino, &attr);
}

int op_copy_range(struct vol *v, const struct jfs_in_hdr *in,
		  const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_copy_out *co = reply_payload(r);
	struct meta_attr attr;
	struct jfs_copy_in ci;
	uint64_t copied;
	int ret;

	if (alen != sizeof(ci))
		return -EINVAL;
	memcpy(&ci, args, sizeof(ci));
	if (meta_is_trash(in->ino) || meta_is_trash(ci.ino_out))
		return -EPERM;
	if (ci.off_in > INT64_MAX || ci.off_out > INT64_MAX ||
	    ci.length > INT64_MAX - ci.off_in || ci.length > INT64_MAX - ci.off_out)
		return -EINVAL;
	ret = meta_copy_range(v->meta, in->ino, ci.off_in, ci.ino_out,
				       ci.off_out, ci.length, &copied, &attr);
	fmaps_forget(v->chunk.maps, ci.ino_out);
	if (ret)
		return ret;
	fmaps_set_length(v->chunk.maps, ci.ino_out, attr.length);
	memset(co, 0, sizeof(*co));
	co->copied = copied;
	attr_to_wire(ci.ino_out, &attr, &co->attr);
	r->len = sizeof(*co);
	return 0;
}
