// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes in the "user.", "trusted." and "security."
 * namespaces.  jfsd keeps them where JuiceFS does (the x{ino} hash), so
 * they are shared with juicefs clients.  There is no "system." handler:
 * POSIX ACLs get EOPNOTSUPP from the VFS.
 *
 * The VFS checks permissions before calling in (trusted.* needs
 * CAP_SYS_ADMIN, user.* only on files and dirs the caller may access);
 * listing leaves out trusted.* names for callers without CAP_SYS_ADMIN,
 * as other file systems do.
 *
 * S_NOSEC.  The superblock has SB_NOSEC, so once a write found neither a
 * setuid/setgid bit nor security.capability, the VFS marks the inode
 * S_NOSEC and stops asking on every write.  Another client may set the
 * capability later, and JuiceFS does not move ctime for xattrs, so that
 * answer is trusted like any other attribute: for attr_timeout after jfsd
 * gave it (nosec_stamp), after which jfsk_attr_apply() drops S_NOSEC and
 * the next write asks once more.  Our own security.* changes drop it at
 * once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/xattr.h>
#include <linux/posix_acl_xattr.h>
#include <linux/capability.h>
#include <linux/user_namespace.h>
#include "internal.h"

/* xattr_handler.flags: which namespace a handler serves */
enum { JFS_XATTR_USER, JFS_XATTR_TRUSTED, JFS_XATTR_SECURITY };

/*
 * Whether jfsd said, with attributes that are still trusted, that the
 * inode has no extended attributes (nor ACLs) at all (JFS_ATTR_NOXATTR).
 */
bool jfsk_known_noxattr(struct inode *inode)
{
	return READ_ONCE(JFS_I(inode)->noxattr) && jfsk_attr_fresh(inode);
}

/* Records that jfsd just told whether a security xattr exists. */
void jfsk_nosec_known(struct inode *inode)
{
	WRITE_ONCE(JFS_I(inode)->nosec_stamp, jiffies);
}

/* Builds a request: jfs_xattr_in, the name (if any), the value (if any). */
static struct jfsk_req *jfsk_xattr_req(struct inode *inode, u16 op,
				       const char *name, const void *value,
				     u32 size, u32 flags, size_t out_max)
{
	size_t namelen = name ? strlen(name) : 0;
	size_t vlen = value ? size : 0;
	struct jfs_xattr_in *xi;
	struct jfsk_req *req;

	if (!jfsk_dev_minor(JFS_PROTO_MINOR_XATTR))
		return ERR_PTR(-EOPNOTSUPP);	/* an older jfsd */
	if (namelen > JFS_XATTR_NAME_MAX)
		return ERR_PTR(-ERANGE);
	if (vlen > JFS_XATTR_SIZE_MAX)
		return ERR_PTR(-E2BIG);
	req = jfsk_req_new(JFS_SB(inode->i_sb), op, inode->i_ino,
			   sizeof(*xi) + namelen + vlen, out_max);
	if (IS_ERR(req))
		return req;
	xi = jfsk_req_args(req);
	xi->namelen = namelen;
	xi->size = size;
	xi->flags = flags;
	if (namelen)
		memcpy(xi + 1, name, namelen);
	if (vlen)
		memcpy((char *)(xi + 1) + namelen, value, vlen);
	return req;
}

/*
 * Checks a GETXATTR/LISTXATTR reply: jfs_xattr_out with the full length
 * (at most @max), followed by exactly that many bytes when @room was
 * asked for, which they must fit in.
 */
static int jfsk_xattr_reply(const struct jfsk_req *req, size_t room, size_t max,
			    struct jfs_xattr_out *xo)
{
	if (req->out_len < sizeof(*xo))
		return -EIO;
	memcpy(xo, req->out, sizeof(*xo));
	if (xo->size > max || (room && xo->size > room))
		return -EIO;
	if (req->out_len != sizeof(*xo) + (room ? xo->size : 0))
		return -EIO;
	return 0;
}

static bool jfsk_is_acl_name(const char *name, size_t len)
{
	return (len == sizeof(XATTR_NAME_POSIX_ACL_ACCESS) - 1 &&
		!memcmp(name, XATTR_NAME_POSIX_ACL_ACCESS, len)) ||
	       (len == sizeof(XATTR_NAME_POSIX_ACL_DEFAULT) - 1 &&
		!memcmp(name, XATTR_NAME_POSIX_ACL_DEFAULT, len));
}

/*
 * Whether @name (@len bytes, no NUL) is a name LISTXATTR may return: the
 * ACL names only on a mount with ACLs.
 */
static bool jfsk_xattr_listable(const char *name, size_t len, bool trusted,
				bool acl)
{
	static const struct {
		const char *prefix;
		size_t len;
		bool privileged;
	} ns[] = {
		{ XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN, false },
		{ XATTR_SECURITY_PREFIX, XATTR_SECURITY_PREFIX_LEN, false },
		{ XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN, true },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		if (len <= ns[i].len || memcmp(name, ns[i].prefix, ns[i].len))
			continue;
		return trusted || !ns[i].privileged;
	}
	return acl && jfsk_is_acl_name(name, len);
}

/*
 * A LISTXATTR payload: NUL-terminated names of 1..255 bytes, each in a
 * namespace we serve (trusted.* only when asked for).
 */
static int jfsk_check_xattr_list(const char *p, size_t len, bool trusted,
				 bool acl)
{
	const char *end;
	size_t n;

	while (len) {
		end = memchr(p, 0, len);
		if (!end)
			return -EIO;
		n = end - p;
		if (!n || n > JFS_XATTR_NAME_MAX ||
		    !jfsk_xattr_listable(p, n, trusted, acl))
			return -EIO;
		p += n + 1;
		len -= n + 1;
	}
	return 0;
}

/**
 * jfsk_xattr_fetch - GETXATTR of a full name
 * @inode: the inode
 * @name: full name with its prefix
 * @buffer: where the value goes
 * @size: room in @buffer; 0 asks for the length only
 *
 * Return: the value's length, or -ENODATA, -ERANGE, ...
 */
ssize_t jfsk_xattr_fetch(struct inode *inode, const char *name, void *buffer,
			 size_t size)
{
	size_t room = min_t(size_t, size, JFS_XATTR_SIZE_MAX);
	struct jfs_xattr_out xo;
	struct jfsk_req *req;
	int ret;

	if (jfsk_known_noxattr(inode))
		return -ENODATA;
	req = jfsk_xattr_req(inode, JFS_OP_GETXATTR, name, NULL, room, 0,
			     sizeof(xo) + room);
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_xattr_reply(req, room, JFS_XATTR_SIZE_MAX, &xo);
	if (!ret && room)
		memcpy(buffer, (char *)req->out + sizeof(xo), xo.size);
	jfsk_req_put(req);
	if (ret)
		return ret;
	return xo.size;	/* at most JFS_XATTR_SIZE_MAX */
}

/**
 * jfsk_xattr_store - SETXATTR, or REMOVEXATTR when @value is NULL
 * @inode: the inode
 * @name: full name with its prefix
 * @value: the value or NULL
 * @size: its length
 * @jflags: JFS_XATTR_* flags
 *
 * Return: 0 or a negative errno.
 */
int jfsk_xattr_store(struct inode *inode, const char *name, const void *value,
		     size_t size, u32 jflags)
{
	struct jfsk_req *req;
	int ret;

	if (value && size > JFS_XATTR_SIZE_MAX)
		return -E2BIG;
	if (value)
		req = jfsk_xattr_req(inode, JFS_OP_SETXATTR, name, value, size,
				     jflags, 0);
	else
		req = jfsk_xattr_req(inode, JFS_OP_REMOVEXATTR, name, NULL, 0,
				     0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	/* an attr reply racing with this one may carry an old hint: drop both */
	WRITE_ONCE(JFS_I(inode)->noxattr, false);
	ret = jfsk_req_send(req);
	jfsk_req_put(req);
	WRITE_ONCE(JFS_I(inode)->noxattr, false);
	jfsk_attr_invalidate(inode);
	return ret;
}

static int jfsk_xattr_get(const struct xattr_handler *handler,
			  struct dentry *dentry, struct inode *inode,
			 const char *name, void *buffer, size_t size)
{
	ssize_t ret;

	ret = jfsk_xattr_fetch(inode, xattr_full_name(handler, name), buffer,
			       size);
	if (handler->flags == JFS_XATTR_SECURITY &&
	    (ret >= 0 || ret == -ENODATA || ret == -ERANGE))
		jfsk_nosec_known(inode);
	return ret;
}

/* setxattr, and removexattr (value NULL) */
static int jfsk_xattr_set(const struct xattr_handler *handler,
			  struct JFS_XATTR_IDMAP_T *idmap,
			 struct dentry *dentry, struct inode *inode,
			 const char *name, const void *value, size_t size,
			 int flags)
{
	u32 jflags = 0;
	int ret;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (flags & XATTR_CREATE)
		jflags |= JFS_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		jflags |= JFS_XATTR_REPLACE;
	ret = jfsk_xattr_store(inode, xattr_full_name(handler, name), value,
			       size, value ? jflags : 0);
	/* a new security.capability must be seen by the next write */
	if (handler->flags == JFS_XATTR_SECURITY)
		inode->i_flags &= ~S_NOSEC;
	return ret;
}

ssize_t jfsk_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	size_t room = min_t(size_t, size, JFS_XATTR_LIST_MAX);
	bool trusted = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	struct jfs_xattr_out xo;
	struct jfsk_req *req;
	int ret;

	if (jfsk_known_noxattr(inode))
		return 0;
	req = jfsk_xattr_req(inode, JFS_OP_LISTXATTR, NULL, NULL, room,
			     trusted ? JFS_LISTXATTR_TRUSTED : 0,
			    sizeof(xo) + room);
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = jfsk_req_send(req);
	if (!ret)
		ret = jfsk_xattr_reply(req, room, JFS_XATTR_LIST_MAX, &xo);
	if (!ret && room)
		ret = jfsk_check_xattr_list((char *)req->out + sizeof(xo),
					    xo.size, trusted, IS_POSIXACL(inode));
	if (!ret && room)
		memcpy(list, (char *)req->out + sizeof(xo), xo.size);
	jfsk_req_put(req);
	if (ret)
		return ret;	/* not in a ?: with the u32: it would turn unsigned */
	return xo.size;
}

static const struct xattr_handler jfsk_user_xattr_handler = {
	.prefix	= XATTR_USER_PREFIX,
	.flags	= JFS_XATTR_USER,
	.get	= jfsk_xattr_get,
	.set	= jfsk_xattr_set,
};

static const struct xattr_handler jfsk_trusted_xattr_handler = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.flags	= JFS_XATTR_TRUSTED,
	.get	= jfsk_xattr_get,
	.set	= jfsk_xattr_set,
};

static const struct xattr_handler jfsk_security_xattr_handler = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.flags	= JFS_XATTR_SECURITY,
	.get	= jfsk_xattr_get,
	.set	= jfsk_xattr_set,
};

const struct xattr_handler * const jfsk_xattr_handlers[] = {
	&jfsk_user_xattr_handler,
	&jfsk_trusted_xattr_handler,
	&jfsk_security_xattr_handler,
#ifndef JFS_HAVE_GET_INODE_ACL
	/* 6.1: ACL xattrs go through these to ->get_acl/->set_acl */
	&posix_acl_access_xattr_handler,
	&posix_acl_default_xattr_handler,
#endif
	NULL,
};
