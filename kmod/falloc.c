// SPDX-License-Identifier: GPL-2.0
/*
 * Space operations that move no data: fallocate, and clones
 * (FICLONE/FICLONERANGE, and copy_file_range, which the VFS tries as a
 * clone first).
 *
 * JuiceFS stores no blocks for these.  A punched or zeroed range becomes
 * zero records in the chunks' slice lists and an allocation only moves
 * the length; a clone gives the destination records that point at the
 * source's slices, with one more sliceRef each, as `juicefs clone` and
 * CopyFileRange do, so later writes to either file are copy-on-write for
 * free.  jfsd appends those records after what is committed, so dirty
 * pages are written back first and the page cache of the changed range
 * is dropped around the request.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include "internal.h"

#define JFS_FALLOC_MODES (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | \
			  FALLOC_FL_ZERO_RANGE)

static_assert(FALLOC_FL_KEEP_SIZE == JFS_FALLOC_KEEP_SIZE);
static_assert(FALLOC_FL_PUNCH_HOLE == JFS_FALLOC_PUNCH_HOLE);
static_assert(FALLOC_FL_ZERO_RANGE == JFS_FALLOC_ZERO_RANGE);

/* Applies attributes jfsd sent for a change this client made. */
static int jfsk_own_attr(struct inode *inode, const struct jfs_attr *attr,
			 unsigned long seq)
{
	if (jfsk_check_attr(attr) || attr->ino != inode->i_ino)
		return -EIO;
	jfsk_attr_apply(inode, attr, seq);
	jfsk_cache_stamp(inode, attr);
	return 0;
}

long jfsk_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file_inode(file);
	struct jfs_fallocate_in fi = {
		.offset = offset, .length = len, .mode = mode,
	};
	bool zeroes = mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE);
	struct jfs_attr attr;
	unsigned long seq;
	int ret;

	if (mode & ~JFS_FALLOC_MODES)
		return -EOPNOTSUPP;
	if (!jfsk_dev_minor(JFS_PROTO_MINOR_FALLOC))
		return -EOPNOTSUPP;
	inode_lock(inode);
	ret = file_remove_privs(file);
	if (!ret)
		ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		goto out;
	if (zeroes)
		truncate_pagecache_range(inode, offset, offset + len - 1);
	seq = jfsk_seq(inode->i_sb);
	ret = jfsk_simple_req(JFS_SB(inode->i_sb), JFS_OP_FALLOCATE, inode->i_ino,
			      &fi, sizeof(fi), &attr, sizeof(attr));
	if (!ret)
		ret = jfsk_own_attr(inode, &attr, seq);
	/* a page faulted in meanwhile may hold the old bytes */
	if (zeroes)
		truncate_pagecache_range(inode, offset, offset + len - 1);
out:
	inode_unlock(inode);
	return ret;
}

loff_t jfsk_remap_file_range(struct file *src_file, loff_t src_off,
			     struct file *dst_file, loff_t dst_off, loff_t len,
			    unsigned int remap_flags)
{
	struct inode *src = file_inode(src_file), *dst = file_inode(dst_file);
	struct jfs_copy_out co;
	struct jfs_copy_in ci;
	unsigned long seq;
	loff_t ret;

	if (remap_flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_ADVISORY))
		return -EINVAL;
	if (remap_flags & REMAP_FILE_DEDUP)
		return -EOPNOTSUPP;
	if (!jfsk_dev_minor(JFS_PROTO_MINOR_FALLOC))
		return -EOPNOTSUPP;
	lock_two_nondirectories(src, dst);
	ret = generic_remap_file_range_prep(src_file, src_off, dst_file, dst_off,
					    &len, remap_flags);
	if (ret < 0 || len == 0)
		goto out;
	/* the records to copy must all be committed, ours too */
	ret = filemap_write_and_wait(src->i_mapping);
	if (!ret && dst != src)
		ret = filemap_write_and_wait(dst->i_mapping);
	if (ret)
		goto out;
	truncate_pagecache_range(dst, dst_off, dst_off + len - 1);
	seq = jfsk_seq(dst->i_sb);
	ci = (struct jfs_copy_in){
		.off_in = src_off, .ino_out = dst->i_ino,
		.off_out = dst_off, .length = len,
	};
	ret = jfsk_simple_req(JFS_SB(src->i_sb), JFS_OP_COPY_RANGE, src->i_ino,
			      &ci, sizeof(ci), &co, sizeof(co));
	if (!ret && co.copied > len)
		ret = -EIO;
	if (!ret)
		ret = jfsk_own_attr(dst, &co.attr, seq);
	truncate_pagecache_range(dst, dst_off, dst_off + len - 1);
	if (!ret)
		ret = co.copied;
out:
	unlock_two_nondirectories(src, dst);
	return ret;
}
