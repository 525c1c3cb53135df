// SPDX-License-Identifier: GPL-2.0
/*
 * Inodes: allocation, the attribute cache, getattr/setattr, chattr flags,
 * symlinks.
 *
 * Attributes from jfsd are trusted for attr_timeout (JuiceFS's
 * --attr-cache, 1 s by default); after that getattr asks again.  Other
 * clients' changes therefore show up within the timeout, and at once on
 * open (close-to-open, see file.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/namei.h>
#include <linux/cred.h>
#include <linux/posix_acl.h>
#include <linux/fileattr.h>
#include "internal.h"

static struct kmem_cache *jfsk_inode_cachep;

struct inode *jfsk_alloc_inode(struct super_block *sb)
{
	struct jfsk_inode_info *ji;

	ji = alloc_inode_sb(sb, jfsk_inode_cachep, GFP_KERNEL);
	if (!ji)
		return NULL;
	ji->attr_expire = jiffies;
	ji->attr_seq = 0;
	ji->inval_seq = 0;
	ji->entries_seq = 0;
	ji->srv_size = 0;
	ji->srv_mtime = (struct timespec64){};
	ji->link = NULL;
	ji->nosec_stamp = jiffies;
	ji->noxattr = false;
	ji->flags = 0;
	ji->seq_pos = 0;
	ji->kick_from = 0;
	return &ji->vfs_inode;
}

void jfsk_free_inode(struct inode *inode)
{
	struct jfsk_inode_info *ji = JFS_I(inode);

	kfree(ji->link);
	kmem_cache_free(jfsk_inode_cachep, ji);
}

static void jfsk_inode_init_once(void *obj)
{
	struct jfsk_inode_info *ji = obj;

	inode_init_once(&ji->vfs_inode);
}

int jfsk_inode_cache_init(void)
{
	jfsk_inode_cachep = kmem_cache_create("jfsk_inode_cache",
					      sizeof(struct jfsk_inode_info), 0,
					     SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					     jfsk_inode_init_once);
	return jfsk_inode_cachep ? 0 : -ENOMEM;
}

void jfsk_inode_cache_exit(void)
{
	/* Inodes are freed after an RCU grace period: wait for them. */
	rcu_barrier();
	kmem_cache_destroy(jfsk_inode_cachep);
}

/* Attributes come from userspace: never trust them blindly. */
int jfsk_check_attr(const struct jfs_attr *attr)
{
	switch (attr->mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFIFO:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFSOCK:
		break;
	default:
		return -EIO;
	}
	if (!attr->ino || attr->mode & ~(S_IFMT | 07777))
		return -EIO;
	if (attr->atimensec >= NSEC_PER_SEC ||
	    attr->mtimensec >= NSEC_PER_SEC ||
	    attr->ctimensec >= NSEC_PER_SEC)
		return -EIO;
	if (attr->size > MAX_LFS_FILESIZE)
		return -EIO;
	if (S_ISLNK(attr->mode) && attr->size > JFS_SYMLINK_MAX)
		return -EIO;
	return 0;
}

static struct timespec64 jfsk_ts(s64 sec, u32 nsec)
{
	return (struct timespec64){ .tv_sec = sec, .tv_nsec = nsec };
}

static bool jfsk_has_dirty_data(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;

	return mapping_tagged(mapping, PAGECACHE_TAG_DIRTY) ||
	       mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK);
}

/**
 * jfsk_attr_apply - refresh an inode from attributes jfsd sent
 * @inode: the inode
 * @attr: checked attributes of the same inode
 * @seq: jfsk_seq() when they were asked for: a later notification about
 *	the inode leaves them applied but not trusted (notify.c)
 *
 * While the file has dirty or under-writeback pages the local size wins
 * if it is larger: those bytes are ours and not yet committed.  i_lock
 * orders this against jfsk_write_end(), which marks the folio dirty before
 * it grows i_size under the same lock.
 */
void jfsk_attr_apply(struct inode *inode, const struct jfs_attr *attr,
		     unsigned long seq)
{
	struct jfsk_inode_info *ji = JFS_I(inode);
	struct jfsk_sb_info *sbi = JFS_SB(inode->i_sb);
	struct timespec64 ctime = jfsk_ts(attr->ctime, attr->ctimensec);
	loff_t size = attr->size;
	struct timespec64 old;
	bool acl_stale;

	spin_lock(&inode->i_lock);
	/* a setfacl (here or on another client) moves ctime */
	old = jfsk_get_ctime(inode);
	acl_stale = IS_POSIXACL(inode) && !timespec64_equal(&old, &ctime);
	inode->i_mode = (inode->i_mode & S_IFMT) | (attr->mode & 07777);
	inode->i_uid = make_kuid(&init_user_ns, attr->uid);
	inode->i_gid = make_kgid(&init_user_ns, attr->gid);
	set_nlink(inode, attr->nlink);
	jfsk_set_times(inode, jfsk_ts(attr->atime, attr->atimensec),
		       jfsk_ts(attr->mtime, attr->mtimensec),
		      jfsk_ts(attr->ctime, attr->ctimensec));
	if (S_ISREG(inode->i_mode) && size < i_size_read(inode) &&
	    jfsk_has_dirty_data(inode))
		size = i_size_read(inode);
	i_size_write(inode, size);
	inode->i_blocks = (attr->size + 511) >> 9;
	ji->attr_expire = jiffies + sbi->attr_timeout;
	WRITE_ONCE(ji->attr_seq, seq);
	ji->noxattr = !!(attr->hints & JFS_ATTR_NOXATTR);
	ji->flags = attr->flags;
	/* chattr +i/+a, here or on another client: the VFS enforces them */
	inode_set_flags(inode, (attr->flags & JFS_FL_IMMUTABLE ? S_IMMUTABLE : 0) |
			(attr->flags & JFS_FL_APPEND ? S_APPEND : 0),
			S_IMMUTABLE | S_APPEND);
	/* "no setuid bit, no security.capability" ages like the rest */
	if (IS_NOSEC(inode) &&
	    (is_sxid(inode->i_mode) ||
	     time_after_eq(jiffies, READ_ONCE(ji->nosec_stamp) + sbi->attr_timeout)))
		inode->i_flags &= ~S_NOSEC;
	spin_unlock(&inode->i_lock);
	if (acl_stale)
		forget_all_cached_acls(inode);
}

/**
 * jfsk_cache_stamp - note which server state the page cache now matches
 * @inode: the inode
 * @attr: the attributes the cached data corresponds to
 *
 * Only open (after dropping stale pages), this client's own writes and
 * truncates move the stamp; plain attribute refreshes must not, or open
 * could no longer tell that another client changed the file.
 */
void jfsk_cache_stamp(struct inode *inode, const struct jfs_attr *attr)
{
	struct jfsk_inode_info *ji = JFS_I(inode);

	spin_lock(&inode->i_lock);
	ji->srv_mtime = jfsk_ts(attr->mtime, attr->mtimensec);
	ji->srv_size = attr->size;
	spin_unlock(&inode->i_lock);
}

void jfsk_attr_invalidate(struct inode *inode)
{
	JFS_I(inode)->attr_expire = jiffies - 1;
}

static void jfsk_inode_init(struct inode *inode, const struct jfs_attr *attr)
{
	inode->i_mode = attr->mode & S_IFMT;
	switch (inode->i_mode) {
	case S_IFREG:
		inode->i_op = &jfsk_file_inode_operations;
		inode->i_fop = &jfsk_file_operations;
		inode->i_mapping->a_ops = &jfsk_aops;
		break;
	case S_IFDIR:
		inode->i_op = &jfsk_dir_inode_operations;
		inode->i_fop = &jfsk_dir_operations;
		break;
	case S_IFLNK:
		inode->i_op = &jfsk_symlink_inode_operations;
		inode_nohighmem(inode);
		break;
	default:
		inode->i_op = &jfsk_special_inode_operations;
		init_special_inode(inode, inode->i_mode,
				   new_decode_dev(attr->rdev));
		break;
	}
}

/**
 * jfsk_iget - find or create the inode for checked attributes
 * @sb: the superblock
 * @attr: attributes from jfsd, already passed through jfsk_check_attr()
 * @seq: jfsk_seq() when they were asked for
 *
 * JuiceFS never reuses inode numbers, so a type change means a broken
 * helper: refuse it rather than morph a live inode.
 */
struct inode *jfsk_iget(struct super_block *sb, const struct jfs_attr *attr,
			unsigned long seq)
{
	struct inode *inode;

	inode = iget_locked(sb, attr->ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW)) {
		if ((inode->i_mode ^ attr->mode) & S_IFMT) {
			iput(inode);
			return ERR_PTR(-EIO);
		}
		jfsk_attr_apply(inode, attr, seq);
		return inode;
	}
	jfsk_inode_init(inode, attr);
	jfsk_attr_apply(inode, attr, seq);
	jfsk_cache_stamp(inode, attr);	/* nothing cached yet */
	unlock_new_inode(inode);
	return inode;
}

/* Sends an op whose reply is the inode's attributes, and applies them. */
static int jfsk_attr_req(struct inode *inode, u16 opcode, const void *in, size_t inlen)
{
	unsigned long seq = jfsk_seq(inode->i_sb);
	struct jfs_attr attr;
	int ret;

	ret = jfsk_simple_req(JFS_SB(inode->i_sb), opcode, inode->i_ino,
			      in, inlen, &attr, sizeof(attr));
	if (ret)
		return ret;
	if (jfsk_check_attr(&attr) || attr.ino != inode->i_ino ||
	    ((attr.mode ^ inode->i_mode) & S_IFMT))
		return -EIO;
	jfsk_attr_apply(inode, &attr, seq);
	return 0;
}

/* Fetches fresh attributes if the cached ones have expired. */
int jfsk_revalidate(struct inode *inode)
{
	if (jfsk_attr_fresh(inode))
		return 0;
	return jfsk_attr_req(inode, JFS_OP_GETATTR, NULL, 0);
}

int jfsk_getattr(struct JFS_IDMAP_T *idmap, const struct path *path,
		 struct kstat *stat, u32 mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int ret;

	if (!(flags & AT_STATX_DONT_SYNC)) {
		ret = jfsk_revalidate(inode);
		if (ret)
			return ret;
	}
	jfsk_fillattr(idmap, mask, inode, stat);
	stat->blksize = JFS_SB(inode->i_sb)->block_size;
	return 0;
}

static void jfsk_iattr_to_in(const struct iattr *ia, struct jfs_setattr_in *in)
{
	unsigned int v = ia->ia_valid;

	if (v & ATTR_MODE) {
		in->valid |= JFS_SET_MODE;
		in->mode = ia->ia_mode & 07777;
	}
	if (v & ATTR_UID) {
		in->valid |= JFS_SET_UID;
		in->uid = from_kuid(&init_user_ns, ia->ia_uid);
	}
	if (v & ATTR_GID) {
		in->valid |= JFS_SET_GID;
		in->gid = from_kgid(&init_user_ns, ia->ia_gid);
	}
	if (v & ATTR_SIZE) {
		in->valid |= JFS_SET_SIZE;
		in->size = ia->ia_size;
	}
	if (v & ATTR_ATIME) {
		if (v & ATTR_ATIME_SET) {
			in->valid |= JFS_SET_ATIME;
			in->atime = ia->ia_atime.tv_sec;
			in->atimensec = ia->ia_atime.tv_nsec;
		} else {
			in->valid |= JFS_SET_ATIME_NOW;
		}
	}
	if (v & ATTR_MTIME) {
		if (v & ATTR_MTIME_SET) {
			in->valid |= JFS_SET_MTIME;
			in->mtime = ia->ia_mtime.tv_sec;
			in->mtimensec = ia->ia_mtime.tv_nsec;
		} else {
			in->valid |= JFS_SET_MTIME_NOW;
		}
	}
}

int jfsk_setattr(struct JFS_IDMAP_T *idmap, struct dentry *dentry, struct iattr *iattr)
{
	struct inode *inode = d_inode(dentry);
	struct jfs_setattr_in in = {};
	struct jfs_attr attr;
	unsigned long seq;
	int ret;

	ret = setattr_prepare(idmap, dentry, iattr);
	if (ret)
		return ret;
	if (iattr->ia_valid & ATTR_SIZE && S_ISREG(inode->i_mode)) {
		/* Commit what is dirty first: jfsd truncates committed data. */
		ret = filemap_write_and_wait(inode->i_mapping);
		if (ret)
			return ret;
	}
	jfsk_iattr_to_in(iattr, &in);
	if (!in.valid)
		return 0;
	seq = jfsk_seq(inode->i_sb);
	ret = jfsk_simple_req(JFS_SB(inode->i_sb), JFS_OP_SETATTR, inode->i_ino,
			      &in, sizeof(in), &attr, sizeof(attr));
	if (ret)
		return ret;
	if (jfsk_check_attr(&attr) || attr.ino != inode->i_ino)
		return -EIO;
	if (in.valid & JFS_SET_SIZE)
		truncate_setsize(inode, attr.size);
	jfsk_attr_apply(inode, &attr, seq);
	if (in.valid & JFS_SET_SIZE)
		jfsk_cache_stamp(inode, &attr);
	return 0;
}

/* chattr's letters: i, a, and s for JuiceFS's skip-trash */
#define JFS_FS_FLAGS	(FS_IMMUTABLE_FL | FS_APPEND_FL | FS_SECRM_FL)

static u32 jfsk_fs_flags(u32 flags)
{
	return (flags & JFS_FL_IMMUTABLE ? FS_IMMUTABLE_FL : 0) |
	       (flags & JFS_FL_APPEND ? FS_APPEND_FL : 0) |
	       (flags & JFS_FL_SKIP_TRASH ? FS_SECRM_FL : 0);
}

int jfsk_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	int ret;

	ret = jfsk_revalidate(inode);
	if (ret)
		return ret;
	fileattr_fill_flags(fa, jfsk_fs_flags(READ_ONCE(JFS_I(inode)->flags)));
	return 0;
}

/*
 * The VFS has checked ownership and CAP_LINUX_IMMUTABLE for i and a.  As
 * in JuiceFS only root may decide what skips the trash, so s needs the
 * same capability.
 */
int jfsk_fileattr_set(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
		      struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	struct jfs_setattr_in in = { .valid = JFS_SET_FLAGS };
	u32 old = jfsk_fs_flags(READ_ONCE(JFS_I(inode)->flags));

	if (fileattr_has_fsx(fa) || fa->flags & ~JFS_FS_FLAGS ||
	    !jfsk_dev_minor(JFS_PROTO_MINOR_CHATTR))
		return -EOPNOTSUPP;
	if ((old ^ fa->flags) & FS_SECRM_FL && !capable(CAP_LINUX_IMMUTABLE))
		return -EPERM;
	in.flags = (fa->flags & FS_IMMUTABLE_FL ? JFS_FL_IMMUTABLE : 0) |
		   (fa->flags & FS_APPEND_FL ? JFS_FL_APPEND : 0) |
		   (fa->flags & FS_SECRM_FL ? JFS_FL_SKIP_TRASH : 0);
	return jfsk_attr_req(inode, JFS_OP_SETATTR, &in, sizeof(in));
}

/*
 * Owner of a new inode: the caller's fsuid, and its fsgid unless the
 * parent directory is setgid (then the directory's group, and new
 * directories inherit the bit), as inode_init_owner() would decide.
 */
void jfsk_fill_in_owner(struct jfsk_req *req, struct inode *dir, umode_t *mode)
{
	if (dir->i_mode & S_ISGID) {
		req->in->gid = from_kgid(&init_user_ns, dir->i_gid);
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	}
}

static const char *jfsk_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	struct jfsk_inode_info *ji = JFS_I(inode);
	struct jfsk_req *req;
	char *target;
	int ret;

	target = READ_ONCE(ji->link);
	if (target)
		return target;
	if (!dentry)
		return ERR_PTR(-ECHILD);

	req = jfsk_req_new(JFS_SB(inode->i_sb), JFS_OP_READLINK, inode->i_ino,
			   0, JFS_SYMLINK_MAX);
	if (IS_ERR(req))
		return ERR_CAST(req);
	ret = jfsk_req_send(req);
	if (!ret && (!req->out_len || memchr(req->out, 0, req->out_len)))
		ret = -EIO;
	target = ret ? NULL : kmemdup_nul(req->out, req->out_len, GFP_KERNEL);
	jfsk_req_put(req);
	if (ret)
		return ERR_PTR(ret);
	if (!target)
		return ERR_PTR(-ENOMEM);
	/* JuiceFS symlinks never change: cache the first answer for good. */
	if (cmpxchg(&ji->link, NULL, target)) {
		kfree(target);
		target = ji->link;
	}
	return target;
}

const struct inode_operations jfsk_file_inode_operations = {
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

const struct inode_operations jfsk_symlink_inode_operations = {
	.get_link	= jfsk_get_link,
	.getattr	= jfsk_getattr,
	.setattr	= jfsk_setattr,
	.listxattr	= jfsk_listxattr,
};

const struct inode_operations jfsk_special_inode_operations = {
	.getattr	= jfsk_getattr,
	.setattr	= jfsk_setattr,
	.listxattr	= jfsk_listxattr,
	.get_acl	= jfsk_get_acl,
	.set_acl	= jfsk_set_acl,
#ifdef JFS_HAVE_GET_INODE_ACL
	.get_inode_acl	= jfsk_get_inode_acl,
#endif
};
