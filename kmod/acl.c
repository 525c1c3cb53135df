// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs, on volumes formatted with ACLs on (JuiceFS's EnableACL;
 * the MOUNT reply says so and the superblock gets SB_POSIXACL).
 *
 * jfsd keeps them as JuiceFS 1.2 rules and ships them in the kernel's own
 * xattr form over GETXATTR/SETXATTR/REMOVEXATTR, so this file converts
 * and checks: posix_acl_from_xattr() plus posix_acl_valid() on every
 * reply.  The VFS caches them per inode; jfsk_attr_apply() forgets them
 * when ctime moves (a setfacl anywhere moves it).  What ext4 does in its
 * set_acl and in posix_acl_create() happens in jfsd, as in JuiceFS: the
 * mode follows an access ACL, an equivalent ACL becomes plain mode bits,
 * and a new inode inherits its parent's default ACL (the create ops send
 * the umask, which the VFS leaves to us on SB_POSIXACL).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/xattr.h>
#include "internal.h"

static const char *jfsk_acl_name(int type)
{
	return type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
		XATTR_NAME_POSIX_ACL_DEFAULT;
}

static struct posix_acl *jfsk_fetch_acl(struct inode *inode, int type)
{
	struct posix_acl *acl;
	ssize_t len;
	void *buf;

	if (!IS_POSIXACL(inode))
		return ERR_PTR(-EOPNOTSUPP);
	if (type != ACL_TYPE_ACCESS && type != ACL_TYPE_DEFAULT)
		return ERR_PTR(-EINVAL);
	if (jfsk_known_noxattr(inode))
		return NULL;
	buf = kvmalloc(JFS_XATTR_SIZE_MAX, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	len = jfsk_xattr_fetch(inode, jfsk_acl_name(type), buf, JFS_XATTR_SIZE_MAX);
	if (len == -ENODATA)
		acl = NULL;
	else if (len < 0)
		acl = ERR_PTR(len);
	else
		acl = posix_acl_from_xattr(&init_user_ns, buf, len);
	kvfree(buf);
	/* jfsd is not trusted: a malformed or inconsistent ACL is an I/O error */
	if (IS_ERR(acl) && PTR_ERR(acl) == -EINVAL)
		return ERR_PTR(-EIO);
	if (!IS_ERR_OR_NULL(acl) && posix_acl_valid(&init_user_ns, acl)) {
		posix_acl_release(acl);
		return ERR_PTR(-EIO);
	}
	return acl;
}

static int jfsk_store_acl(struct JFS_IDMAP_T *idmap, struct inode *inode,
			  struct posix_acl *acl, int type)
{
	u32 flags = 0;
	size_t size;
	void *buf;
	int ret;

	if (!IS_POSIXACL(inode))
		return -EOPNOTSUPP;
	if (type == ACL_TYPE_DEFAULT && !S_ISDIR(inode->i_mode))
		return acl ? -EACCES : 0;
	if (!acl) {
		ret = jfsk_xattr_store(inode, jfsk_acl_name(type), NULL, 0, 0);
		goto out;
	}
	size = posix_acl_xattr_size(acl->a_count);
	if (size > JFS_XATTR_SIZE_MAX)
		return -E2BIG;
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = posix_acl_to_xattr(&init_user_ns, acl, buf, size);
	/* as posix_acl_update_mode(): setgid goes unless group or CAP_FSETID */
	if (type == ACL_TYPE_ACCESS && (inode->i_mode & S_ISGID) &&
	    !in_group_p(inode->i_gid) &&
	    !capable_wrt_inode_uidgid(idmap, inode, CAP_FSETID))
		flags |= JFS_XATTR_KILL_SGID;
	if (ret >= 0)
		ret = jfsk_xattr_store(inode, jfsk_acl_name(type), buf, size, flags);
	kvfree(buf);
out:
	/* the mode may have changed too: jfsk_xattr_store dropped the attrs */
	forget_cached_acl(inode, type);
	return ret;
}

#ifdef JFS_HAVE_GET_INODE_ACL
struct posix_acl *jfsk_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	if (rcu)
		return ERR_PTR(-ECHILD);
	return jfsk_fetch_acl(inode, type);
}

struct posix_acl *jfsk_get_acl(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
			       int type)
{
	return jfsk_fetch_acl(d_inode(dentry), type);
}

int jfsk_set_acl(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type)
{
	return jfsk_store_acl(idmap, d_inode(dentry), acl, type);
}
#else
struct posix_acl *jfsk_get_acl(struct inode *inode, int type, bool rcu)
{
	if (rcu)
		return ERR_PTR(-ECHILD);
	return jfsk_fetch_acl(inode, type);
}

int jfsk_set_acl(struct user_namespace *ns, struct inode *inode,
		 struct posix_acl *acl, int type)
{
	return jfsk_store_acl(ns, inode, acl, type);
}
#endif
