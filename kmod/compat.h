/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between 6.1 and current LTS kernels, absorbed in
 * one place.  The JFS_HAVE_* macros come from compat-probe.sh, which reads
 * the target's headers (distributions backport, so versions lie).
 */
#ifndef _JFSK_COMPAT_H
#define _JFSK_COMPAT_H

#include <linux/fs.h>
#include "compat_gen.h"

#ifdef JFS_HAVE_MNT_IDMAP
#define JFS_IDMAP_T		mnt_idmap
#define JFS_NOP_IDMAP		(&nop_mnt_idmap)
#else
#define JFS_IDMAP_T		user_namespace
#define JFS_NOP_IDMAP		(&init_user_ns)
#endif

static inline void jfsk_fillattr(struct JFS_IDMAP_T *idmap, u32 mask,
				 struct inode *inode, struct kstat *stat)
{
#ifdef JFS_HAVE_FILLATTR_MASK
	generic_fillattr(idmap, mask, inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
}

static inline void jfsk_set_times(struct inode *inode, struct timespec64 atime,
				  struct timespec64 mtime,
				 struct timespec64 ctime)
{
#ifdef JFS_HAVE_INODE_MTIME_ACCESSORS
	inode_set_atime_to_ts(inode, atime);
	inode_set_mtime_to_ts(inode, mtime);
#else
	inode->i_atime = atime;
	inode->i_mtime = mtime;
#endif
#ifdef JFS_HAVE_INODE_CTIME_ACCESSORS
	inode_set_ctime_to_ts(inode, ctime);
#else
	inode->i_ctime = ctime;
#endif
}

#ifdef JFS_HAVE_FILEMAP_SPLICE_READ
#define jfsk_splice_read		filemap_splice_read
#else
#define jfsk_splice_read		generic_file_splice_read
#endif

/* 6.3 passes a mnt_idmap instead of a user_namespace to xattr_handler.set */
#ifdef JFS_HAVE_XATTR_SET_IDMAP
#define JFS_XATTR_IDMAP_T	mnt_idmap
#else
#define JFS_XATTR_IDMAP_T	user_namespace
#endif

/*
 * 6.7 made sb->s_xattr an array of const pointers; older kernels declare
 * it without the const but never write through it either.
 */
#ifdef JFS_HAVE_CONST_S_XATTR
#define JFS_XATTR_HANDLERS(h)	(h)
#else
#define JFS_XATTR_HANDLERS(h)	((const struct xattr_handler **)(h))
#endif

static inline struct timespec64 jfsk_get_ctime(const struct inode *inode)
{
#ifdef JFS_HAVE_INODE_CTIME_ACCESSORS
	return inode_get_ctime(inode);
#else
	return inode->i_ctime;
#endif
}

/*
 * POSIX ACLs: 6.2 split ->get_acl into ->get_inode_acl (permission
 * checks, may be called under RCU) and a dentry-based ->get_acl, made
 * ->set_acl take a dentry, and let the VFS route the system.posix_acl_*
 * xattrs itself; 6.1 needs the posix_acl xattr handlers for that.
 */
#ifdef JFS_HAVE_GET_INODE_ACL
struct posix_acl *jfsk_get_inode_acl(struct inode *inode, int type, bool rcu);
struct posix_acl *jfsk_get_acl(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
			       int type);
int jfsk_set_acl(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type);
#else
struct posix_acl *jfsk_get_acl(struct inode *inode, int type, bool rcu);
int jfsk_set_acl(struct user_namespace *ns, struct inode *inode,
		 struct posix_acl *acl, int type);
#endif

/*
 * 6.9 moved the common fields of struct file_lock into file_lock_core
 * (fl->c.flc_*).  A lock held on another client has a negative fl_pid,
 * which F_GETLK reports as it is (as ceph does): a positive one would be
 * looked up among this kernel's processes.
 */
#ifdef JFS_HAVE_FILE_LOCK_CORE
#include <linux/filelock.h>
static inline fl_owner_t jfsk_fl_owner(const struct file_lock *fl)
{
	return fl->c.flc_owner;
}

static inline unsigned char jfsk_fl_type(const struct file_lock *fl)
{
	return fl->c.flc_type;
}

static inline void jfsk_fl_set_type(struct file_lock *fl, unsigned char type)
{
	fl->c.flc_type = type;
}

static inline unsigned int jfsk_fl_flags(const struct file_lock *fl)
{
	return fl->c.flc_flags;
}

static inline pid_t jfsk_fl_pid(const struct file_lock *fl)
{
	return fl->c.flc_pid;
}

static inline void jfsk_fl_set_holder(struct file_lock *fl, u32 pid)
{
	fl->c.flc_pid = -(pid_t)pid;
}
#else
static inline fl_owner_t jfsk_fl_owner(const struct file_lock *fl)
{
	return fl->fl_owner;
}

static inline unsigned char jfsk_fl_type(const struct file_lock *fl)
{
	return fl->fl_type;
}

static inline void jfsk_fl_set_type(struct file_lock *fl, unsigned char type)
{
	fl->fl_type = type;
}

static inline unsigned int jfsk_fl_flags(const struct file_lock *fl)
{
	return fl->fl_flags;
}

static inline pid_t jfsk_fl_pid(const struct file_lock *fl)
{
	return fl->fl_pid;
}

static inline void jfsk_fl_set_holder(struct file_lock *fl, u32 pid)
{
	fl->fl_pid = -(pid_t)pid;
}
#endif

/* 6.1 has the flags but not the name for them (added in 6.2) */
#include <linux/pagemap.h>
#ifndef FGP_WRITEBEGIN
#define FGP_WRITEBEGIN		(FGP_LOCK | FGP_WRITE | FGP_CREAT | FGP_STABLE)
#endif

#endif /* _JFSK_COMPAT_H */
