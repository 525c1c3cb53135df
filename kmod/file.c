// SPDX-License-Identifier: GPL-2.0
/*
 * Regular files: open/release, flush and fsync.
 *
 * Close-to-open, as JuiceFS: open always fetches fresh attributes and
 * drops the page cache if another client changed the file (its size or
 * mtime moved); close and fsync write dirty pages back and commit them,
 * after which any client that opens the file sees the new data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pagemap.h>
#include <linux/writeback.h>
#include "jfs.h"

static bool jfs_changed_remotely(struct inode *inode,
				 const struct jfs_attr *attr)
{
	struct jfs_inode_info *ji = JFS_I(inode);

	return attr->mtime != ji->srv_mtime.tv_sec ||
	       attr->mtimensec != ji->srv_mtime.tv_nsec ||
	       attr->size != ji->srv_size;
}

int jfs_open_common(struct inode *inode, struct file *file, u16 op, u64 *fh)
{
	struct jfs_open_in oi = { .flags = file->f_flags };
	struct jfs_open_out oo;
	int ret;

	ret = jfs_simple_req(JFS_SB(inode->i_sb), op, inode->i_ino, &oi,
			     sizeof(oi), &oo, sizeof(oo));
	if (ret)
		return ret;
	if (jfs_check_attr(&oo.attr) || oo.attr.ino != inode->i_ino ||
	    ((oo.attr.mode ^ inode->i_mode) & S_IFMT)) {
		jfs_release_common(inode, op == JFS_OP_OPEN ? JFS_OP_RELEASE :
				   JFS_OP_RELEASEDIR, oo.fh);
		return -EIO;
	}
	if (S_ISREG(inode->i_mode) && jfs_changed_remotely(inode, &oo.attr)) {
		/* Our own dirty data goes out first, then stale pages go. */
		filemap_write_and_wait(inode->i_mapping);
		invalidate_inode_pages2(inode->i_mapping);
	}
	jfs_attr_apply(inode, &oo.attr);
	if (S_ISREG(inode->i_mode))
		jfs_cache_stamp(inode, &oo.attr);
	*fh = oo.fh;
	return 0;
}

void jfs_release_common(struct inode *inode, u16 op, u64 fh)
{
	struct jfs_fh_in fi = { .fh = fh };
	struct jfs_req *req;

	req = jfs_req_new(JFS_SB(inode->i_sb), op, inode->i_ino, sizeof(fi), 0);
	if (IS_ERR(req))
		return;	/* jfsd frees handles of a mount at umount */
	memcpy(jfs_req_args(req), &fi, sizeof(fi));
	jfs_req_send_noreply(req);
}

static int jfs_file_open(struct inode *inode, struct file *file)
{
	u64 fh;
	int ret;

	ret = generic_file_open(inode, file);
	if (ret)
		return ret;
	ret = jfs_open_common(inode, file, JFS_OP_OPEN, &fh);
	if (ret)
		return ret;
	file->private_data = (void *)(uintptr_t)fh;
	return 0;
}

static int jfs_file_release(struct inode *inode, struct file *file)
{
	jfs_release_common(inode, JFS_OP_RELEASE,
			   (u64)(uintptr_t)file->private_data);
	return 0;
}

static int jfs_fh_op(struct file *file, u16 op, u32 flags)
{
	struct inode *inode = file_inode(file);
	struct jfs_fh_in fi = {
		.fh = (u64)(uintptr_t)file->private_data,
		.flags = flags,
	};

	return jfs_simple_req(JFS_SB(inode->i_sb), op, inode->i_ino, &fi,
			      sizeof(fi), NULL, 0);
}

/* close(2): commit what this file wrote, so other clients see it. */
static int jfs_file_flush(struct file *file, fl_owner_t id)
{
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	ret = filemap_write_and_wait(file->f_mapping);
	if (ret)
		return ret;
	ret = file_check_and_advance_wb_err(file);
	if (ret)
		return ret;
	return jfs_fh_op(file, JFS_OP_FLUSH, 0);
}

static int jfs_file_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	int ret;

	ret = file_write_and_wait_range(file, start, end);
	if (ret)
		return ret;
	return jfs_fh_op(file, JFS_OP_FSYNC, datasync ? JFS_FSYNC_DATASYNC : 0);
}

static ssize_t jfs_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (iocb->ki_flags & IOCB_DIRECT)
		return jfs_direct_read(iocb, to);
	return generic_file_read_iter(iocb, to);
}

static ssize_t jfs_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	if (iocb->ki_flags & IOCB_DIRECT)
		return jfs_direct_write(iocb, from);
	return generic_file_write_iter(iocb, from);
}

const struct file_operations jfs_file_operations = {
	.open		= jfs_file_open,
	.release	= jfs_file_release,
	.flush		= jfs_file_flush,
	.fsync		= jfs_file_fsync,
	.llseek		= generic_file_llseek,
	.read_iter	= jfs_file_read_iter,
	.write_iter	= jfs_file_write_iter,
	.mmap		= generic_file_mmap,
	.splice_read	= jfs_splice_read,
	.splice_write	= iter_file_splice_write,
	.lock		= jfs_lock,
	.flock		= jfs_flock,
	.fallocate	= jfs_fallocate,
	.remap_file_range = jfs_remap_file_range,
};
