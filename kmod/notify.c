// SPDX-License-Identifier: GPL-2.0
/*
 * Active invalidation: jfsd tells a mount that something it may cache
 * changed (-o active-invalidation; jfsd learns it from the metadata
 * engine, e.g. Redis client-side caching), so attributes and dentries can
 * be trusted for an hour and still follow another client within
 * milliseconds.
 *
 * A notification expires what it names at once.  But a reply read from
 * the engine before the change may still be on its way to its caller, and
 * would make the old state look fresh again.  So every notification takes
 * a number from the mount's inval_seq, every request is made with the
 * number current then (jfsk_seq()), and what a request returned is only
 * trusted if no notification about it came later (as fuse's attr_version):
 *
 *	attributes	ji->attr_seq >= ji->inval_seq and >= sbi->inval_all
 *	a dentry	its d_fsdata >= the parent's entries_seq and inval_all
 *
 * Without notifications every number stays 0 and nothing changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include "internal.h"

/* Whether an inode's cached attributes may still be used. */
bool jfsk_attr_fresh(struct inode *inode)
{
	struct jfsk_inode_info *ji = JFS_I(inode);
	unsigned long seq = READ_ONCE(ji->attr_seq);

	return time_before(jiffies, READ_ONCE(ji->attr_expire)) &&
	       seq >= READ_ONCE(ji->inval_seq) &&
	       seq >= READ_ONCE(JFS_SB(inode->i_sb)->inval_all);
}

/*
 * Whether a positive dentry of directory @dir may be used without asking
 * jfsd.  Safe in RCU walk: it reads only the two inodes' fields.
 */
bool jfsk_dentry_fresh(struct dentry *dentry, struct inode *dir)
{
	unsigned long seq = (unsigned long)READ_ONCE(dentry->d_fsdata);

	return time_before(jiffies, READ_ONCE(dentry->d_time)) &&
	       seq >= READ_ONCE(JFS_I(dir)->entries_seq) &&
	       seq >= READ_ONCE(JFS_SB(dir->i_sb)->inval_all);
}

static void jfsk_inval_one(struct jfsk_sb_info *sbi,
			   const struct jfs_notify_inval *n)
{
	unsigned long seq = atomic_long_inc_return(&sbi->inval_seq);
	struct jfsk_inode_info *ji;
	struct inode *inode;

	if (n->what & JFS_INVAL_ALL) {
		WRITE_ONCE(sbi->inval_all, seq);
		return;
	}
	inode = ilookup(sbi->sb, n->ino);
	if (!inode)
		return;		/* not cached: nothing to forget */
	ji = JFS_I(inode);
	if (n->what & JFS_INVAL_ATTR)
		WRITE_ONCE(ji->inval_seq, seq);
	if ((n->what & JFS_INVAL_ENTRIES) && S_ISDIR(inode->i_mode))
		WRITE_ONCE(ji->entries_seq, seq);
	iput(inode);
}

static int jfsk_inval_check(const struct jfs_notify_inval *n)
{
	if (n->padding || !n->what ||
	    (n->what & ~(JFS_INVAL_ATTR | JFS_INVAL_ENTRIES | JFS_INVAL_ALL)))
		return -EINVAL;
	if (n->what & JFS_INVAL_ALL)
		return n->ino ? -EINVAL : 0;
	return n->ino ? 0 : -EINVAL;
}

/**
 * jfsk_notify - act on a notification jfsd wrote to /dev/jfs
 * @code: JFS_NOTIFY_* from the header's opcode
 * @buf: the payload, in jfsd's memory
 * @len: its length
 *
 * Records for mounts that are gone are ignored: a mount may end while its
 * notification is under way.  A malformed message is refused whole.
 *
 * Return: 0, or -errno for jfsd's write().
 */
int jfsk_notify(u16 code, const void __user *buf, size_t len)
{
	struct jfs_notify_inval *ns;
	struct jfsk_sb_info *sbi;
	size_t i, n;
	int ret = 0;

	if (code != JFS_NOTIFY_INVAL)
		return -EINVAL;
	if (!len || len % sizeof(*ns))
		return -EINVAL;
	n = len / sizeof(*ns);
	ns = memdup_user(buf, len);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	for (i = 0; i < n; i++) {
		ret = jfsk_inval_check(&ns[i]);
		if (ret)
			goto out;
	}
	/* the mounts lock keeps each superblock alive (jfsk_kill_sb) */
	mutex_lock(&jfsk_mounts_lock);
	for (i = 0; i < n; i++) {
		list_for_each_entry(sbi, &jfsk_mounts, node) {
			if (sbi->mount_id == ns[i].mount_id) {
				jfsk_inval_one(sbi, &ns[i]);
				break;
			}
		}
	}
	mutex_unlock(&jfsk_mounts_lock);
out:
	kfree(ns);
	return ret;
}
