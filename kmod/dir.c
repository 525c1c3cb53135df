// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: lookup and the namespace operations, readdir, and dentry
 * revalidation.
 *
 * A positive dentry is trusted for entry_timeout (JuiceFS's
 * --entry-cache); then it is looked up again and dropped if the name now
 * points elsewhere.  Negative dentries are not cached (JuiceFS's
 * --negative-entry-cache defaults to 0).  READDIR replies carry each
 * entry's attributes, which prime the dcache and icache so that `ls -l`
 * needs no further round trip.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include "internal.h"

/* @seq: jfsk_seq() when the entry was asked for (see notify.c) */
static void jfsk_dentry_set_expire(struct dentry *dentry, unsigned long seq)
{
	struct jfsk_sb_info *sbi = JFS_SB(dentry->d_sb);

	WRITE_ONCE(dentry->d_fsdata, (void *)seq);
	WRITE_ONCE(dentry->d_time, jiffies + sbi->entry_timeout);
}

/* Sends an op whose arguments are a fixed struct followed by a name. */
static struct jfsk_req *jfsk_name_req(struct inode *dir, u16 op, u64 ino,
				      const void *args, size_t args_len,
				    const struct qstr *name, size_t out_max)
{
	struct jfsk_req *req;

	if (name->len > JFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	req = jfsk_req_new(JFS_SB(dir->i_sb), op, ino, args_len + name->len,
			   out_max);
	if (IS_ERR(req))
		return req;
	memcpy(jfsk_req_args(req), args, args_len);
	memcpy(jfsk_req_args(req) + args_len, name->name, name->len);
	return req;
}

/* Reads a jfs_attr reply and checks it. */
static int jfsk_reply_attr(struct jfsk_req *req, struct jfs_attr *attr)
{
	if (req->out_len != sizeof(*attr))
		return -EIO;
	memcpy(attr, req->out, sizeof(*attr));
	return jfsk_check_attr(attr);
}

static int jfsk_do_lookup(struct inode *dir, const struct qstr *name,
			  struct jfs_attr *attr)
{
	struct jfs_name_in ni = { .namelen = name->len };
	struct jfsk_req *req;
	int ret;

	req = jfsk_name_req(dir, JFS_OP_LOOKUP, dir->i_ino, &ni, sizeof(ni),
			    name, sizeof(*attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_reply_attr(req, attr);
	jfsk_req_put(req);
	return ret;
}

static struct dentry *jfsk_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	unsigned long seq = jfsk_seq(dir->i_sb);
	struct inode *inode = NULL;
	struct jfs_attr attr;
	int ret;

	/*
	 * mkdir, mknod, symlink and link fail with EEXIST in jfsd when the
	 * name is taken: as NFS does, their lookup is left to that, and the
	 * dentry stays unhashed until the op instantiates it.
	 */
	if ((flags & (LOOKUP_CREATE | LOOKUP_EXCL)) == (LOOKUP_CREATE | LOOKUP_EXCL))
		return NULL;
	ret = jfsk_do_lookup(dir, &dentry->d_name, &attr);
	if (ret == -ENOENT)
		return d_splice_alias(NULL, dentry);
	if (ret)
		return ERR_PTR(ret);
	inode = jfsk_iget(dir->i_sb, &attr, seq);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	jfsk_dentry_set_expire(dentry, seq);
	return d_splice_alias(inode, dentry);
}

static int jfsk_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode, *dir;
	struct dentry *parent;
	struct jfs_attr attr;
	unsigned long seq;
	int ret;

	inode = d_inode_rcu(dentry);
	if (!inode)
		return 0;	/* negative entries are never cached */
	if (flags & LOOKUP_RCU) {
		parent = READ_ONCE(dentry->d_parent);
		dir = d_inode_rcu(parent);
		if (dir && jfsk_dentry_fresh(dentry, dir))
			return 1;
		return -ECHILD;
	}

	parent = dget_parent(dentry);
	dir = d_inode(parent);
	if (jfsk_dentry_fresh(dentry, dir)) {
		dput(parent);
		return 1;
	}
	seq = jfsk_seq(dir->i_sb);
	ret = jfsk_do_lookup(dir, &dentry->d_name, &attr);
	dput(parent);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	if (attr.ino != inode->i_ino || ((attr.mode ^ inode->i_mode) & S_IFMT))
		return 0;
	jfsk_attr_apply(inode, &attr, seq);
	jfsk_dentry_set_expire(dentry, seq);
	return 1;
}

const struct dentry_operations jfsk_dentry_operations = {
	.d_revalidate	= jfsk_d_revalidate,
};

/* Instantiates a freshly created inode from the attr reply of `req`. */
static int jfsk_instantiate(struct inode *dir, struct dentry *dentry,
			    struct jfsk_req *req)
{
	struct jfs_attr attr;
	struct inode *inode;
	int ret;

	ret = jfsk_reply_attr(req, &attr);
	if (ret)
		return ret;
	inode = jfsk_iget(dir->i_sb, &attr, req->seq);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	if (S_ISREG(inode->i_mode)) {
		/* a new file has no xattrs: its first write need not ask */
		jfsk_nosec_known(inode);
		inode_has_no_xattr(inode);
	}
	/* unhashed: its lookup was skipped (jfsk_lookup) */
	if (d_unhashed(dentry))
		d_add(dentry, inode);
	else
		d_instantiate(dentry, inode);
	jfsk_dentry_set_expire(dentry, req->seq);
	jfsk_attr_invalidate(dir);	/* its mtime and maybe nlink changed */
	return 0;
}

static int jfsk_make_node(struct inode *dir, struct dentry *dentry,
			  umode_t mode, dev_t rdev)
{
	struct jfs_create_in ci = {};
	struct jfsk_req *req;
	u16 op = S_ISDIR(mode) ? JFS_OP_MKDIR : JFS_OP_MKNOD;
	int ret;

	ci.namelen = dentry->d_name.len;
	ci.rdev = new_encode_dev(rdev);
	req = jfsk_name_req(dir, op, dir->i_ino, &ci, sizeof(ci),
			    &dentry->d_name, sizeof(struct jfs_attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	jfsk_fill_in_owner(req, dir, &mode);
	((struct jfs_create_in *)jfsk_req_args(req))->mode = mode;
	/* with SB_POSIXACL the VFS leaves the umask to us: jfsd applies it
	 * unless the parent's default ACL rules instead
	 */
	if (IS_POSIXACL(dir))
		((struct jfs_create_in *)jfsk_req_args(req))->umask = current_umask();
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_instantiate(dir, dentry, req);
	jfsk_req_put(req);
	return ret;
}

static int jfsk_create(struct JFS_IDMAP_T *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return jfsk_make_node(dir, dentry, (mode & 07777) | S_IFREG, 0);
}

/*
 * One CREATE for a name the dcache does not hold.  jfsd answers with the
 * new file opened (fh != 0), or with the entry that already has the name
 * (fh 0), which the VFS then opens through ->open like a looked-up one.
 */
static int jfsk_create_open(struct inode *dir, struct dentry *dentry,
			    struct file *file, unsigned int flags, umode_t mode)
{
	struct jfs_create_open_in co = {}, *args;
	struct dentry *alias = NULL;
	struct jfs_open_out oo;
	struct jfsk_req *req;
	struct inode *inode;
	unsigned long seq;
	int ret;

	mode = (mode & 07777) | S_IFREG;
	co.create.namelen = dentry->d_name.len;
	co.flags = flags;
	req = jfsk_name_req(dir, JFS_OP_CREATE, dir->i_ino, &co, sizeof(co),
			    &dentry->d_name, sizeof(oo));
	if (IS_ERR(req))
		return PTR_ERR(req);
	args = jfsk_req_args(req);
	jfsk_fill_in_owner(req, dir, &mode);
	args->create.mode = mode;
	if (IS_POSIXACL(dir))
		args->create.umask = current_umask();
	ret = jfsk_req_send(req);
	if (!ret && req->out_len != sizeof(oo))
		ret = -EIO;
	if (!ret)
		memcpy(&oo, req->out, sizeof(oo));
	seq = req->seq;
	jfsk_req_put(req);
	if (ret)
		return ret;
	/* a handle is only ever for the regular file just made */
	ret = jfsk_check_attr(&oo.attr);
	if (!ret && oo.fh && !S_ISREG(oo.attr.mode))
		ret = -EIO;
	if (ret)
		goto out_release;
	inode = jfsk_iget(dir->i_sb, &oo.attr, seq);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto out_release;
	}
	if (oo.fh) {
		/* a new file has no xattrs: its first write need not ask */
		jfsk_nosec_known(inode);
		inode_has_no_xattr(inode);
		jfsk_attr_invalidate(dir);	/* its mtime changed */
	}
	if (d_in_lookup(dentry)) {
		alias = d_splice_alias(inode, dentry);
		if (IS_ERR(alias)) {
			ret = PTR_ERR(alias);
			goto out_release;
		}
		if (alias)
			dentry = alias;
	} else {
		d_instantiate(dentry, inode);
	}
	jfsk_dentry_set_expire(dentry, seq);
	if (!oo.fh)
		return finish_no_open(file, alias);
	file->f_mode |= FMODE_CREATED;
	ret = finish_open(file, dentry, generic_file_open);
	dput(alias);
	if (ret) {
		jfsk_release_common(d_inode(dentry), JFS_OP_RELEASE, oo.fh);
		return ret;
	}
	file->private_data = (void *)(uintptr_t)oo.fh;
	return 0;

out_release:
	if (oo.fh)
		jfsk_release_common(dir, JFS_OP_RELEASE, oo.fh);
	return ret;
}

/**
 * jfsk_atomic_open - open(2) of a name the dcache has no positive entry for
 * @dir: the parent
 * @dentry: the name, usually still being looked up (d_in_lookup())
 * @file: the file to open
 * @flags: open(2) flags
 * @mode: the new file's mode, for O_CREAT
 *
 * O_CREAT on a name not yet looked up is one CREATE round trip instead of
 * LOOKUP, MKNOD and OPEN; negative entries are never cached, so that is
 * nearly every create.  Everything else (no O_CREAT, a jfsd before
 * protocol 1.5) is a lookup and the ordinary ->create / ->open.
 *
 * Return: 0 or -errno; finish_open() or finish_no_open() was called on 0.
 */
static int jfsk_atomic_open(struct inode *dir, struct dentry *dentry,
			    struct file *file, unsigned int flags, umode_t mode)
{
	struct dentry *res = NULL;
	int ret;

	if ((flags & O_CREAT) && jfsk_dev_minor(JFS_PROTO_MINOR_CREATE) &&
	    (d_in_lookup(dentry) || d_really_is_negative(dentry)))
		return jfsk_create_open(dir, dentry, file, flags, mode);
	if (d_in_lookup(dentry)) {
		res = jfsk_lookup(dir, dentry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			dentry = res;
	}
	if ((flags & O_CREAT) && d_really_is_negative(dentry)) {
		ret = jfsk_make_node(dir, dentry, (mode & 07777) | S_IFREG, 0);
		if (ret) {
			dput(res);
			return ret;
		}
		file->f_mode |= FMODE_CREATED;
	}
	return finish_no_open(file, res);
}

static int jfsk_mknod(struct JFS_IDMAP_T *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return jfsk_make_node(dir, dentry, mode, rdev);
}

static int jfsk_mkdir(struct JFS_IDMAP_T *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	return jfsk_make_node(dir, dentry, (mode & 07777) | S_IFDIR, 0);
}

static int jfsk_symlink(struct JFS_IDMAP_T *idmap, struct inode *dir,
			struct dentry *dentry, const char *target)
{
	struct jfs_symlink_in si = {};
	size_t tlen = strlen(target);
	struct jfsk_req *req;
	int ret;

	if (tlen > JFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (dentry->d_name.len > JFS_NAME_MAX)
		return -ENAMETOOLONG;
	si.namelen = dentry->d_name.len;
	si.targetlen = tlen;
	req = jfsk_req_new(JFS_SB(dir->i_sb), JFS_OP_SYMLINK, dir->i_ino,
			   sizeof(si) + si.namelen + tlen, sizeof(struct jfs_attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	memcpy(jfsk_req_args(req), &si, sizeof(si));
	memcpy(jfsk_req_args(req) + sizeof(si), dentry->d_name.name, si.namelen);
	memcpy(jfsk_req_args(req) + sizeof(si) + si.namelen, target, tlen);
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_instantiate(dir, dentry, req);
	jfsk_req_put(req);
	return ret;
}

static int jfsk_link(struct dentry *old, struct inode *dir, struct dentry *new)
{
	struct inode *inode = d_inode(old);
	struct jfs_link_in li = {};
	struct jfs_attr attr;
	struct jfsk_req *req;
	unsigned long seq;
	int ret;

	li.newparent = dir->i_ino;
	li.namelen = new->d_name.len;
	req = jfsk_name_req(dir, JFS_OP_LINK, inode->i_ino, &li, sizeof(li),
			    &new->d_name, sizeof(attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_reply_attr(req, &attr);
	seq = req->seq;
	jfsk_req_put(req);
	if (ret)
		return ret;
	if (attr.ino != inode->i_ino)
		return -EIO;
	jfsk_attr_apply(inode, &attr, seq);
	ihold(inode);
	if (d_unhashed(new))	/* its lookup was skipped (jfsk_lookup) */
		d_add(new, inode);
	else
		d_instantiate(new, inode);
	jfsk_dentry_set_expire(new, seq);
	jfsk_attr_invalidate(dir);
	return 0;
}

static int jfsk_remove(struct inode *dir, struct dentry *dentry, u16 op)
{
	struct jfs_name_in ni = { .namelen = dentry->d_name.len };
	struct inode *inode = d_inode(dentry);
	struct jfsk_req *req;
	int ret;

	req = jfsk_name_req(dir, op, dir->i_ino, &ni, sizeof(ni),
			    &dentry->d_name, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfsk_req_send(req);
	jfsk_req_put(req);
	if (ret)
		return ret;
	if (op == JFS_OP_RMDIR)
		clear_nlink(inode);
	else
		drop_nlink(inode);
	jfsk_attr_invalidate(inode);
	jfsk_attr_invalidate(dir);
	return 0;
}

static int jfsk_unlink(struct inode *dir, struct dentry *dentry)
{
	return jfsk_remove(dir, dentry, JFS_OP_UNLINK);
}

static int jfsk_rmdir(struct inode *dir, struct dentry *dentry)
{
	return jfsk_remove(dir, dentry, JFS_OP_RMDIR);
}

static int jfsk_rename(struct JFS_IDMAP_T *idmap, struct inode *olddir,
		       struct dentry *old, struct inode *newdir,
		      struct dentry *new, unsigned int flags)
{
	struct jfs_rename_in ri = {};
	struct inode *target = d_inode(new);
	struct jfsk_req *req;
	int ret;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (old->d_name.len > JFS_NAME_MAX || new->d_name.len > JFS_NAME_MAX)
		return -ENAMETOOLONG;
	ri.newparent = newdir->i_ino;
	ri.flags = (flags & RENAME_NOREPLACE ? JFS_RENAME_NOREPLACE : 0) |
		   (flags & RENAME_EXCHANGE ? JFS_RENAME_EXCHANGE : 0);
	ri.oldlen = old->d_name.len;
	ri.newlen = new->d_name.len;
	req = jfsk_req_new(JFS_SB(olddir->i_sb), JFS_OP_RENAME, olddir->i_ino,
			   sizeof(ri) + ri.oldlen + ri.newlen, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	memcpy(jfsk_req_args(req), &ri, sizeof(ri));
	memcpy(jfsk_req_args(req) + sizeof(ri), old->d_name.name, ri.oldlen);
	memcpy(jfsk_req_args(req) + sizeof(ri) + ri.oldlen, new->d_name.name,
	       ri.newlen);
	ret = jfsk_req_send(req);
	jfsk_req_put(req);
	if (ret)
		return ret;
	if (target && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(target->i_mode))
			clear_nlink(target);
		else
			drop_nlink(target);
	}
	if (target)
		jfsk_attr_invalidate(target);
	jfsk_attr_invalidate(d_inode(old));
	jfsk_attr_invalidate(olddir);
	jfsk_attr_invalidate(newdir);
	return 0;
}

/* ---- readdir ---- */

static int jfsk_dir_open(struct inode *inode, struct file *file)
{
	u64 fh;
	int ret;

	ret = jfsk_open_common(inode, file, JFS_OP_OPENDIR, &fh);
	if (ret)
		return ret;
	file->private_data = (void *)(uintptr_t)fh;
	return 0;
}

static int jfsk_dir_release(struct inode *inode, struct file *file)
{
	jfsk_release_common(inode, JFS_OP_RELEASEDIR,
			    (u64)(uintptr_t)file->private_data);
	return 0;
}

/* Puts one READDIR entry with its attributes into the dcache. */
static void jfsk_prime_dentry(struct dentry *parent, const char *name,
			      unsigned int len, const struct jfs_attr *attr,
			      unsigned long seq)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);
	struct qstr q = QSTR_INIT(name, len);
	struct dentry *dentry, *alias;
	struct inode *inode;

	q.hash = full_name_hash(parent, name, len);
	dentry = d_lookup(parent, &q);
	if (!dentry) {
		dentry = d_alloc_parallel(parent, &q, &wq);
		if (IS_ERR(dentry))
			return;
	}
	if (!d_in_lookup(dentry)) {
		inode = d_inode(dentry);
		/* Refresh a matching entry; leave others to revalidation. */
		if (inode && inode->i_ino == attr->ino &&
		    !((inode->i_mode ^ attr->mode) & S_IFMT)) {
			jfsk_attr_apply(inode, attr, seq);
			jfsk_dentry_set_expire(dentry, seq);
		}
		dput(dentry);
		return;
	}
	inode = jfsk_iget(parent->d_sb, attr, seq);
	if (IS_ERR(inode)) {
		d_lookup_done(dentry);
		dput(dentry);
		return;
	}
	alias = d_splice_alias(inode, dentry);
	d_lookup_done(dentry);
	if (alias && !IS_ERR(alias)) {
		dput(dentry);
		dentry = alias;
	}
	if (!IS_ERR(alias))
		jfsk_dentry_set_expire(dentry, seq);
	dput(dentry);
}

/* Walks one READDIR reply; sets *full when the caller's buffer is full. */
static int jfsk_emit_batch(struct file *file, struct dir_context *ctx,
			   const char *buf, size_t len, unsigned long seq,
			   bool *full)
{
	struct dentry *parent = file->f_path.dentry;
	const struct jfs_dirent *de;
	size_t pos = 0, reclen;
	const char *name;

	while (pos < len) {
		if (len - pos < sizeof(*de))
			return -EIO;
		de = (const struct jfs_dirent *)(buf + pos);
		if (!de->namelen || de->namelen > JFS_NAME_MAX)
			return -EIO;
		reclen = JFS_DIRENT_SIZE(de->namelen);
		if (reclen > len - pos || de->offset <= ctx->pos - 2)
			return -EIO;
		name = (const char *)(de + 1);
		if (memchr(name, '/', de->namelen) ||
		    memchr(name, 0, de->namelen) || jfsk_check_attr(&de->attr))
			return -EIO;
		if (de->type > DT_WHT)
			return -EIO;
		jfsk_prime_dentry(parent, name, de->namelen, &de->attr, seq);
		if (!dir_emit(ctx, name, de->namelen, de->attr.ino, de->type)) {
			*full = true;
			return 0;
		}
		ctx->pos = de->offset + 2;
		pos += reclen;
	}
	return 0;
}

static int jfsk_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct jfs_readdir_in ri = {};
	struct jfsk_req *req;
	bool full = false;
	int ret = 0;

	if (!dir_emit_dots(file, ctx))
		return 0;
	while (!full) {
		ri.fh = (u64)(uintptr_t)file->private_data;
		ri.offset = ctx->pos - 2;
		ri.size = JFS_READDIR_MAX;
		req = jfsk_req_new(JFS_SB(inode->i_sb), JFS_OP_READDIR,
				   inode->i_ino, sizeof(ri), JFS_READDIR_MAX);
		if (IS_ERR(req))
			return PTR_ERR(req);
		memcpy(jfsk_req_args(req), &ri, sizeof(ri));
		ret = jfsk_req_send(req);
		if (!ret && !req->out_len) {
			jfsk_req_put(req);
			break;		/* end of directory */
		}
		if (!ret)
			ret = jfsk_emit_batch(file, ctx, req->out, req->out_len,
					      req->seq, &full);
		jfsk_req_put(req);
		if (ret)
			break;
	}
	return ret;
}

const struct file_operations jfsk_dir_operations = {
	.open		= jfsk_dir_open,
	.release	= jfsk_dir_release,
	.iterate_shared	= jfsk_readdir,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
	.fsync		= noop_fsync,
};

const struct inode_operations jfsk_dir_inode_operations = {
	.lookup		= jfsk_lookup,
	.atomic_open	= jfsk_atomic_open,
	.create		= jfsk_create,
	.mknod		= jfsk_mknod,
	.mkdir		= jfsk_mkdir,
	.symlink	= jfsk_symlink,
	.link		= jfsk_link,
	.unlink		= jfsk_unlink,
	.rmdir		= jfsk_rmdir,
	.rename		= jfsk_rename,
	.getattr	= jfsk_getattr,
	.setattr	= jfsk_setattr,
	.fileattr_get	= jfsk_fileattr_get,
	.fileattr_set	= jfsk_fileattr_set,
	.listxattr	= jfsk_listxattr,
	.get_acl	= jfsk_get_acl,
	.set_acl	= jfsk_set_acl,
#ifdef JFS_HAVE_GET_INODE_ACL
	.get_inode_acl	= jfsk_get_inode_acl,
#endif
};
