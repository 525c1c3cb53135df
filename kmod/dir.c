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
#include "jfs.h"

static void jfs_dentry_set_expire(struct dentry *dentry)
{
	struct jfs_sb_info *sbi = JFS_SB(dentry->d_sb);

	dentry->d_time = jiffies + sbi->entry_timeout;
}

/* Sends an op whose arguments are a fixed struct followed by a name. */
static struct jfs_req *jfs_name_req(struct inode *dir, u16 op, u64 ino,
				    const void *args, size_t args_len,
				    const struct qstr *name, size_t out_max)
{
	struct jfs_req *req;

	if (name->len > JFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	req = jfs_req_new(JFS_SB(dir->i_sb), op, ino, args_len + name->len,
			  out_max);
	if (IS_ERR(req))
		return req;
	memcpy(jfs_req_args(req), args, args_len);
	memcpy(jfs_req_args(req) + args_len, name->name, name->len);
	return req;
}

/* Reads a jfs_attr reply and checks it. */
static int jfs_reply_attr(struct jfs_req *req, struct jfs_attr *attr)
{
	if (req->out_len != sizeof(*attr))
		return -EIO;
	memcpy(attr, req->out, sizeof(*attr));
	return jfs_check_attr(attr);
}

static int jfs_do_lookup(struct inode *dir, const struct qstr *name,
			 struct jfs_attr *attr)
{
	struct jfs_name_in ni = { .namelen = name->len };
	struct jfs_req *req;
	int ret;

	req = jfs_name_req(dir, JFS_OP_LOOKUP, dir->i_ino, &ni, sizeof(ni),
			   name, sizeof(*attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfs_req_send(req);
	if (!ret)
		ret = jfs_reply_attr(req, attr);
	jfs_req_put(req);
	return ret;
}

static struct dentry *jfs_lookup(struct inode *dir, struct dentry *dentry,
				 unsigned int flags)
{
	struct inode *inode = NULL;
	struct jfs_attr attr;
	int ret;

	ret = jfs_do_lookup(dir, &dentry->d_name, &attr);
	if (ret == -ENOENT)
		return d_splice_alias(NULL, dentry);
	if (ret)
		return ERR_PTR(ret);
	inode = jfs_iget(dir->i_sb, &attr);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	jfs_dentry_set_expire(dentry);
	return d_splice_alias(inode, dentry);
}

static int jfs_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode, *dir;
	struct dentry *parent;
	struct jfs_attr attr;
	int ret;

	inode = d_inode_rcu(dentry);
	if (!inode)
		return 0;	/* negative entries are never cached */
	if (time_before(jiffies, dentry->d_time))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;

	parent = dget_parent(dentry);
	dir = d_inode(parent);
	ret = jfs_do_lookup(dir, &dentry->d_name, &attr);
	dput(parent);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	if (attr.ino != inode->i_ino || ((attr.mode ^ inode->i_mode) & S_IFMT))
		return 0;
	jfs_attr_apply(inode, &attr);
	jfs_dentry_set_expire(dentry);
	return 1;
}

const struct dentry_operations jfs_dentry_operations = {
	.d_revalidate	= jfs_d_revalidate,
};

/* Instantiates a freshly created inode from the attr reply of `req`. */
static int jfs_instantiate(struct inode *dir, struct dentry *dentry,
			   struct jfs_req *req)
{
	struct jfs_attr attr;
	struct inode *inode;
	int ret;

	ret = jfs_reply_attr(req, &attr);
	if (ret)
		return ret;
	inode = jfs_iget(dir->i_sb, &attr);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	if (S_ISREG(inode->i_mode)) {
		/* a new file has no xattrs: its first write need not ask */
		jfs_nosec_known(inode);
		inode_has_no_xattr(inode);
	}
	d_instantiate(dentry, inode);
	jfs_dentry_set_expire(dentry);
	jfs_attr_invalidate(dir);	/* its mtime and maybe nlink changed */
	return 0;
}

static int jfs_make_node(struct inode *dir, struct dentry *dentry,
			 umode_t mode, dev_t rdev)
{
	struct jfs_create_in ci = {};
	struct jfs_req *req;
	u16 op = S_ISDIR(mode) ? JFS_OP_MKDIR : JFS_OP_MKNOD;
	int ret;

	ci.namelen = dentry->d_name.len;
	ci.rdev = new_encode_dev(rdev);
	req = jfs_name_req(dir, op, dir->i_ino, &ci, sizeof(ci),
			   &dentry->d_name, sizeof(struct jfs_attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	jfs_fill_in_owner(req, dir, &mode);
	((struct jfs_create_in *)jfs_req_args(req))->mode = mode;
	/* with SB_POSIXACL the VFS leaves the umask to us: jfsd applies it
	 * unless the parent's default ACL rules instead
	 */
	if (IS_POSIXACL(dir))
		((struct jfs_create_in *)jfs_req_args(req))->umask = current_umask();
	ret = jfs_req_send(req);
	if (!ret)
		ret = jfs_instantiate(dir, dentry, req);
	jfs_req_put(req);
	return ret;
}

static int jfs_create(struct JFS_IDMAP_T *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return jfs_make_node(dir, dentry, (mode & 07777) | S_IFREG, 0);
}

static int jfs_mknod(struct JFS_IDMAP_T *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return jfs_make_node(dir, dentry, mode, rdev);
}

static int jfs_mkdir(struct JFS_IDMAP_T *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode)
{
	return jfs_make_node(dir, dentry, (mode & 07777) | S_IFDIR, 0);
}

static int jfs_symlink(struct JFS_IDMAP_T *idmap, struct inode *dir,
		       struct dentry *dentry, const char *target)
{
	struct jfs_symlink_in si = {};
	size_t tlen = strlen(target);
	struct jfs_req *req;
	int ret;

	if (tlen > JFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (dentry->d_name.len > JFS_NAME_MAX)
		return -ENAMETOOLONG;
	si.namelen = dentry->d_name.len;
	si.targetlen = tlen;
	req = jfs_req_new(JFS_SB(dir->i_sb), JFS_OP_SYMLINK, dir->i_ino,
			  sizeof(si) + si.namelen + tlen, sizeof(struct jfs_attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	memcpy(jfs_req_args(req), &si, sizeof(si));
	memcpy(jfs_req_args(req) + sizeof(si), dentry->d_name.name, si.namelen);
	memcpy(jfs_req_args(req) + sizeof(si) + si.namelen, target, tlen);
	ret = jfs_req_send(req);
	if (!ret)
		ret = jfs_instantiate(dir, dentry, req);
	jfs_req_put(req);
	return ret;
}

static int jfs_link(struct dentry *old, struct inode *dir, struct dentry *new)
{
	struct inode *inode = d_inode(old);
	struct jfs_link_in li = {};
	struct jfs_attr attr;
	struct jfs_req *req;
	int ret;

	li.newparent = dir->i_ino;
	li.namelen = new->d_name.len;
	req = jfs_name_req(dir, JFS_OP_LINK, inode->i_ino, &li, sizeof(li),
			   &new->d_name, sizeof(attr));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfs_req_send(req);
	if (!ret)
		ret = jfs_reply_attr(req, &attr);
	jfs_req_put(req);
	if (ret)
		return ret;
	if (attr.ino != inode->i_ino)
		return -EIO;
	jfs_attr_apply(inode, &attr);
	ihold(inode);
	d_instantiate(new, inode);
	jfs_dentry_set_expire(new);
	jfs_attr_invalidate(dir);
	return 0;
}

static int jfs_remove(struct inode *dir, struct dentry *dentry, u16 op)
{
	struct jfs_name_in ni = { .namelen = dentry->d_name.len };
	struct inode *inode = d_inode(dentry);
	struct jfs_req *req;
	int ret;

	req = jfs_name_req(dir, op, dir->i_ino, &ni, sizeof(ni),
			   &dentry->d_name, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfs_req_send(req);
	jfs_req_put(req);
	if (ret)
		return ret;
	if (op == JFS_OP_RMDIR)
		clear_nlink(inode);
	else
		drop_nlink(inode);
	jfs_attr_invalidate(inode);
	jfs_attr_invalidate(dir);
	return 0;
}

static int jfs_unlink(struct inode *dir, struct dentry *dentry)
{
	return jfs_remove(dir, dentry, JFS_OP_UNLINK);
}

static int jfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	return jfs_remove(dir, dentry, JFS_OP_RMDIR);
}

static int jfs_rename(struct JFS_IDMAP_T *idmap, struct inode *olddir,
		      struct dentry *old, struct inode *newdir,
		      struct dentry *new, unsigned int flags)
{
	struct jfs_rename_in ri = {};
	struct inode *target = d_inode(new);
	struct jfs_req *req;
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
	req = jfs_req_new(JFS_SB(olddir->i_sb), JFS_OP_RENAME, olddir->i_ino,
			  sizeof(ri) + ri.oldlen + ri.newlen, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	memcpy(jfs_req_args(req), &ri, sizeof(ri));
	memcpy(jfs_req_args(req) + sizeof(ri), old->d_name.name, ri.oldlen);
	memcpy(jfs_req_args(req) + sizeof(ri) + ri.oldlen, new->d_name.name,
	       ri.newlen);
	ret = jfs_req_send(req);
	jfs_req_put(req);
	if (ret)
		return ret;
	if (target && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(target->i_mode))
			clear_nlink(target);
		else
			drop_nlink(target);
	}
	if (target)
		jfs_attr_invalidate(target);
	jfs_attr_invalidate(d_inode(old));
	jfs_attr_invalidate(olddir);
	jfs_attr_invalidate(newdir);
	return 0;
}

/* ---- readdir ---- */

static int jfs_dir_open(struct inode *inode, struct file *file)
{
	u64 fh;
	int ret;

	ret = jfs_open_common(inode, file, JFS_OP_OPENDIR, &fh);
	if (ret)
		return ret;
	file->private_data = (void *)(uintptr_t)fh;
	return 0;
}

static int jfs_dir_release(struct inode *inode, struct file *file)
{
	jfs_release_common(inode, JFS_OP_RELEASEDIR,
			   (u64)(uintptr_t)file->private_data);
	return 0;
}

/* Puts one READDIR entry with its attributes into the dcache. */
static void jfs_prime_dentry(struct dentry *parent, const char *name,
			     unsigned int len, const struct jfs_attr *attr)
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
			jfs_attr_apply(inode, attr);
			jfs_dentry_set_expire(dentry);
		}
		dput(dentry);
		return;
	}
	inode = jfs_iget(parent->d_sb, attr);
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
		jfs_dentry_set_expire(dentry);
	dput(dentry);
}

/* Walks one READDIR reply; sets *full when the caller's buffer is full. */
static int jfs_emit_batch(struct file *file, struct dir_context *ctx,
			  const char *buf, size_t len, bool *full)
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
		    memchr(name, 0, de->namelen) || jfs_check_attr(&de->attr))
			return -EIO;
		if (de->type > DT_WHT)
			return -EIO;
		jfs_prime_dentry(parent, name, de->namelen, &de->attr);
		if (!dir_emit(ctx, name, de->namelen, de->attr.ino, de->type)) {
			*full = true;
			return 0;
		}
		ctx->pos = de->offset + 2;
		pos += reclen;
	}
	return 0;
}

static int jfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct jfs_readdir_in ri = {};
	struct jfs_req *req;
	bool full = false;
	int ret = 0;

	if (!dir_emit_dots(file, ctx))
		return 0;
	while (!full) {
		ri.fh = (u64)(uintptr_t)file->private_data;
		ri.offset = ctx->pos - 2;
		ri.size = JFS_READDIR_MAX;
		req = jfs_req_new(JFS_SB(inode->i_sb), JFS_OP_READDIR,
				  inode->i_ino, sizeof(ri), JFS_READDIR_MAX);
		if (IS_ERR(req))
			return PTR_ERR(req);
		memcpy(jfs_req_args(req), &ri, sizeof(ri));
		ret = jfs_req_send(req);
		if (!ret && !req->out_len) {
			jfs_req_put(req);
			break;		/* end of directory */
		}
		if (!ret)
			ret = jfs_emit_batch(file, ctx, req->out, req->out_len,
					     &full);
		jfs_req_put(req);
		if (ret)
			break;
	}
	return ret;
}

const struct file_operations jfs_dir_operations = {
	.open		= jfs_dir_open,
	.release	= jfs_dir_release,
	.iterate_shared	= jfs_readdir,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
	.fsync		= noop_fsync,
};

const struct inode_operations jfs_dir_inode_operations = {
	.lookup		= jfs_lookup,
	.create		= jfs_create,
	.mknod		= jfs_mknod,
	.mkdir		= jfs_mkdir,
	.symlink	= jfs_symlink,
	.link		= jfs_link,
	.unlink		= jfs_unlink,
	.rmdir		= jfs_rmdir,
	.rename		= jfs_rename,
	.getattr	= jfs_getattr,
	.setattr	= jfs_setattr,
	.fileattr_get	= jfs_fileattr_get,
	.fileattr_set	= jfs_fileattr_set,
	.listxattr	= jfs_listxattr,
	.get_acl	= jfs_get_acl,
	.set_acl	= jfs_set_acl,
#ifdef JFS_HAVE_GET_INODE_ACL
	.get_inode_acl	= jfs_get_inode_acl,
#endif
};
