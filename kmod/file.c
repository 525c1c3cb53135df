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
#include "internal.h"

static bool jfsk_changed_remotely(struct inode *inode,
				  const struct jfs_attr *attr)
{
	struct jfsk_inode_info *ji = JFS_I(inode);

	return attr->mtime != ji->srv_mtime.tv_sec ||
	       attr->mtimensec != ji->srv_mtime.tv_nsec ||
	       attr->size != ji->srv_size;
}

int jfsk_open_common(struct inode *inode, struct file *file, u16 op, u64 *fh)
{
	struct jfs_open_in oi = { .flags = file->f_flags };
	unsigned long seq = jfsk_seq(inode->i_sb);
	struct jfs_open_out oo;
	int ret;

	ret = jfsk_simple_req(JFS_SB(inode->i_sb), op, inode->i_ino, &oi,
			      sizeof(oi), &oo, sizeof(oo));
	if (ret)
		return ret;
	if (jfsk_check_attr(&oo.attr) || oo.attr.ino != inode->i_ino ||
	    ((oo.attr.mode ^ inode->i_mode) & S_IFMT)) {
		jfsk_release_common(inode, op == JFS_OP_OPEN ? JFS_OP_RELEASE :
				   JFS_OP_RELEASEDIR, oo.fh);
		return -EIO;
	}
	if (S_ISREG(inode->i_mode) && jfsk_changed_remotely(inode, &oo.attr)) {
		/* Our own dirty data goes out first, then stale pages go. */
		filemap_write_and_wait(inode->i_mapping);
		invalidate_inode_pages2(inode->i_mapping);
	}
	jfsk_attr_apply(inode, &oo.attr, seq);
	if (S_ISREG(inode->i_mode))
		jfsk_cache_stamp(inode, &oo.attr);
	*fh = oo.fh;
	return 0;
}

void jfsk_release_common(struct inode *inode, u16 op, u64 fh)
{
	struct jfs_fh_in fi = { .fh = fh };
	struct jfsk_req *req;

	req = jfsk_req_new(JFS_SB(inode->i_sb), op, inode->i_ino, sizeof(fi), 0);
	if (IS_ERR(req))
		return;	/* jfsd frees handles of a mount at umount */
	memcpy(jfsk_req_args(req), &fi, sizeof(fi));
	jfsk_req_send_noreply(req);
}

static int jfsk_file_open(struct inode *inode, struct file *file)
{
	u64 fh;
	int ret;

	ret = generic_file_open(inode, file);
	if (ret)
		return ret;
	ret = jfsk_open_common(inode, file, JFS_OP_OPEN, &fh);
	if (ret)
		return ret;
	file->private_data = (void *)(uintptr_t)fh;
	return 0;
}

static int jfsk_file_release(struct inode *inode, struct file *file)
{
	jfsk_release_common(inode, JFS_OP_RELEASE,
			    (u64)(uintptr_t)file->private_data);
	return 0;
}

static int jfsk_fh_op(struct file *file, u16 op, u32 flags)
{
	struct inode *inode = file_inode(file);
	struct jfs_fh_in fi = {
		.fh = (u64)(uintptr_t)file->private_data,
		.flags = flags,
	};

	return jfsk_simple_req(JFS_SB(inode->i_sb), op, inode->i_ino, &fi,
			      sizeof(fi), NULL, 0);
}

/*
 * close(2): commit what this file wrote, so other clients see it.  jfsd
 * commits every WRITE before it answers, so once writeback is done there
 * is nothing to ask it: no FLUSH round trip per close.
 */
static int jfsk_file_flush(struct file *file, fl_owner_t id)
{
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	ret = filemap_write_and_wait(file->f_mapping);
	if (ret)
		return ret;
	return file_check_and_advance_wb_err(file);
}

static int jfsk_file_fsync(struct file *file, loff_t start, loff_t end,
			   int datasync)
{
	int ret;

	ret = file_write_and_wait_range(file, start, end);
	if (ret)
		return ret;
	return jfsk_fh_op(file, JFS_OP_FSYNC, datasync ? JFS_FSYNC_DATASYNC : 0);
}

static ssize_t jfsk_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (iocb->ki_flags & IOCB_DIRECT)
		return jfsk_direct_read(iocb, to);
	return generic_file_read_iter(iocb, to);
}

/*
 * A sequential writer's full blocks are sent as soon as they are written,
 * not when the dirty limits or fsync get to them, so jfsd uploads while
 * the writer goes on (as JuiceFS's writer flushes a full block at once);
 * the writeback in-flight limit is the back-pressure.  Only blocks written
 * whole by one run of sequential writes go: writing a block piecemeal
 * would make a slice of each piece.
 */
static void jfsk_write_kick(struct inode *inode, loff_t pos, size_t len)
{
	struct jfsk_inode_info *ji = JFS_I(inode);
	u32 bs = JFS_SB(inode->i_sb)->block_size;
	loff_t end = round_down(pos + len, bs), from;
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = LONG_MAX,
	};

	spin_lock(&inode->i_lock);
	if (pos != ji->seq_pos)
		ji->kick_from = round_up(pos, bs);
	ji->seq_pos = pos + len;
	from = ji->kick_from;
	if (end > from)
		ji->kick_from = end;
	spin_unlock(&inode->i_lock);
	if (end <= from)
		return;
	wbc.range_start = from;
	wbc.range_end = end - 1;
	filemap_fdatawrite_wbc(inode->i_mapping, &wbc);
}

static ssize_t jfsk_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret;

	if (iocb->ki_flags & IOCB_DIRECT)
		return jfsk_direct_write(iocb, from);
	ret = generic_file_write_iter(iocb, from);
	if (ret > 0)
		jfsk_write_kick(file_inode(iocb->ki_filp), iocb->ki_pos - ret, ret);
	return ret;
}

const struct file_operations jfsk_file_operations = {
	.open		= jfsk_file_open,
	.release	= jfsk_file_release,
	.flush		= jfsk_file_flush,
	.fsync		= jfsk_file_fsync,
	.llseek		= generic_file_llseek,
	.read_iter	= jfsk_file_read_iter,
	.write_iter	= jfsk_file_write_iter,
	.mmap		= generic_file_mmap,
	.splice_read	= jfsk_splice_read,
	.splice_write	= iter_file_splice_write,
	.lock		= jfsk_lock,
	.flock		= jfsk_flock,
	.fallocate	= jfsk_fallocate,
	.remap_file_range = jfsk_remap_file_range,
};
