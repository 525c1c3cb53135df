// SPDX-License-Identifier: GPL-2.0
/*
 * Page cache I/O.
 *
 * Reads: readahead is widened to whole JuiceFS blocks (4 MiB by default)
 * so one READ to jfsd, and one object GET behind it, fills a whole block
 * of page cache.  Writes: writeback gathers contiguous dirty folios into
 * one WRITE of up to JFS_IO_MAX bytes, cut at block boundaries; jfsd
 * stores the data and commits it as a slice before replying.
 *
 * Only order-0 folios are used for now (no mapping_set_large_folios()).
 * O_DIRECT I/O (end of the file) sends READ/WRITE without the cache.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pagemap.h>
#include <linux/writeback.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include "internal.h"

/* Asks jfsd for [pos, pos + len); the reply may be short at EOF. */
static struct jfsk_req *jfsk_fetch(struct inode *inode, loff_t pos, size_t len)
{
	struct jfs_io_in io = { .offset = pos, .size = len };
	struct jfsk_req *req;
	int ret;

	req = jfsk_req_new(JFS_SB(inode->i_sb), JFS_OP_READ, inode->i_ino,
			   sizeof(io), len);
	if (IS_ERR(req))
		return req;
	memcpy(jfsk_req_args(req), &io, sizeof(io));
	ret = jfsk_req_send(req);
	if (ret) {
		jfsk_req_put(req);
		return ERR_PTR(ret);
	}
	atomic64_add(req->out_len, &JFS_SB(inode->i_sb)->bytes_in);
	return req;
}

/* Copies up to avail bytes into a folio and zeroes the rest of it. */
static void jfsk_fill_folio(struct folio *folio, const char *data, size_t avail)
{
	size_t off, n;
	char *kaddr;

	for (off = 0; off < folio_size(folio); off += PAGE_SIZE) {
		kaddr = kmap_local_folio(folio, off);
		n = avail > off ? min_t(size_t, avail - off, PAGE_SIZE) : 0;
		memcpy(kaddr, data + off, n);
		memset(kaddr + n, 0, PAGE_SIZE - n);
		kunmap_local(kaddr);
	}
	flush_dcache_folio(folio);
}

/* Fills a locked folio from jfsd; the folio stays locked. */
static int jfsk_read_folio_locked(struct inode *inode, struct folio *folio)
{
	loff_t pos = folio_pos(folio);
	loff_t isize = i_size_read(inode);
	struct jfsk_req *req;

	if (pos >= isize) {
		jfsk_fill_folio(folio, NULL, 0);
		folio_mark_uptodate(folio);
		return 0;
	}
	req = jfsk_fetch(inode, pos, min_t(loff_t, folio_size(folio),
					   isize - pos));
	if (IS_ERR(req))
		return PTR_ERR(req);
	jfsk_fill_folio(folio, req->out, req->out_len);
	folio_mark_uptodate(folio);
	jfsk_req_put(req);
	return 0;
}

static int jfsk_read_folio(struct file *file, struct folio *folio)
{
	int ret = jfsk_read_folio_locked(folio->mapping->host, folio);

	folio_unlock(folio);
	return ret;
}

/*
 * Readahead is asynchronous, as fuse's is: each READ carries the locked
 * folios it fills, and its reply unlocks them.  The reader only waits for
 * the folio it needs, so while it consumes one block the next one is
 * already on its way (the window is two blocks: see jfsk_fill_super()).
 *
 * Note: readahead_folio() retires a folio only on the next call, so
 * readahead_pos() lags one folio behind while we iterate.  The window is
 * therefore fixed up front, and each folio is placed by its own position.
 */
#define JFS_RA_SMALL	(64 * 1024)

/* One READ in flight and the locked folios it fills, from pos on. */
struct jfsk_ra_batch {
	struct inode *inode;
	loff_t pos;
	unsigned int nr;
	struct folio *folios[];
};

/*
 * Fills the folios from data (have bytes from b->pos; zeroes past them)
 * and unlocks them.  On an error (!fill) they stay !uptodate, and the
 * reader's ->read_folio asks again and gets the error itself.
 */
static void jfsk_ra_finish(struct jfsk_ra_batch *b, bool fill,
			   const char *data, size_t have)
{
	unsigned int i;
	size_t off;

	for (i = 0; i < b->nr; i++) {
		struct folio *folio = b->folios[i];

		if (fill) {
			off = folio_pos(folio) - b->pos;
			jfsk_fill_folio(folio, have > off ? data + off : NULL,
					have > off ? have - off : 0);
			folio_mark_uptodate(folio);
		}
		folio_unlock(folio);
		folio_put(folio);
	}
	kfree(b);
}

static void jfsk_read_end_io(struct jfsk_req *req)
{
	struct jfsk_ra_batch *b = req->private;
	struct jfsk_sb_info *sbi = JFS_SB(b->inode->i_sb);
	int ret = req->error;

	/* our locked folios keep the inode, and so the mount, alive */
	jfsk_req_account(req, ret);
	if (!ret)
		atomic64_add(req->out_len, &sbi->bytes_in);
	jfsk_ra_finish(b, !ret, req->out, req->out_len);
}

/* Sends one READ of [b->pos, b->pos + len) for the folios in b. */
static void jfsk_ra_send(struct jfsk_ra_batch *b, size_t len)
{
	struct inode *inode = b->inode;
	loff_t isize = i_size_read(inode);
	struct jfs_io_in *io;
	struct jfsk_req *req;

	if (b->pos >= isize) {	/* all past EOF: zeroes, no READ */
		jfsk_ra_finish(b, true, NULL, 0);
		return;
	}
	len = min_t(loff_t, len, isize - b->pos);
	req = jfsk_req_new(JFS_SB(inode->i_sb), JFS_OP_READ, inode->i_ino,
			   sizeof(*io), len);
	if (IS_ERR(req)) {
		jfsk_ra_finish(b, false, NULL, 0);
		return;
	}
	io = jfsk_req_args(req);
	io->offset = b->pos;
	io->size = len;
	req->private = b;
	if (jfsk_req_send_async(req, jfsk_read_end_io))
		jfsk_ra_finish(b, false, NULL, 0);
	jfsk_req_put(req);
}

static void jfsk_readahead(struct readahead_control *rac)
{
	struct inode *inode = rac->mapping->host;
	u32 bs = JFS_SB(inode->i_sb)->block_size;
	loff_t isize = i_size_read(inode);
	struct jfsk_ra_batch *b;
	struct folio *folio;
	loff_t start, end, pos;
	size_t len, max;

	/*
	 * Streaming readers get whole blocks: one object GET fills 4 MiB.  A
	 * small window (a random read) only widens to JFS_RA_SMALL, so 4 KiB
	 * random reads do not drag a whole block through the channel.
	 */
	if (readahead_length(rac) < JFS_RA_SMALL && readahead_pos(rac))
		bs = JFS_RA_SMALL;
	start = round_down(readahead_pos(rac), bs);
	end = round_up(readahead_pos(rac) + readahead_length(rac), bs);
	end = min_t(loff_t, end, round_up(isize, PAGE_SIZE));
	if (end > start)
		readahead_expand(rac, start, end - start);

	pos = readahead_pos(rac);
	end = pos + readahead_length(rac);
	while (pos < end) {
		/* one READ per block at most: never straddle a block */
		len = min_t(loff_t, end - pos, bs - pos % bs);
		len = min_t(size_t, len, JFS_IO_MAX);
		max = DIV_ROUND_UP(len, PAGE_SIZE);
		b = kmalloc(struct_size(b, folios, max), GFP_NOFS);
		if (!b)
			return;	/* the rest stay unread: ->read_folio fills them */
		b->inode = inode;
		b->pos = pos;
		b->nr = 0;
		while ((folio = readahead_folio(rac))) {
			folio_get(folio);	/* readahead_folio() dropped ours */
			b->folios[b->nr++] = folio;
			if (b->nr == max ||
			    folio_pos(folio) + folio_size(folio) >= pos + len)
				break;
		}
		jfsk_ra_send(b, len);
		pos += len;
	}
}

/* ---- writeback ---- */

/*
 * Writeback sends WRITEs without waiting: up to JFS_WB_INFLIGHT of them
 * per mount are in flight, so jfsd stores their blocks in parallel.  The
 * folios of a WRITE stay under writeback until its reply, which is what
 * fsync and umount wait for, and which keeps the inode alive meanwhile.
 */
#define JFS_WB_INFLIGHT	6

/* One WRITE being filled or in flight, and the folios it carries. */
struct jfsk_wb_batch {
	struct inode *inode;
	loff_t start;
	size_t len;
	unsigned int nr;
	struct folio *folios[];
};

struct jfsk_wb {
	struct inode *inode;
	struct jfsk_req *req;	/* WRITE being filled, JFS_IO_MAX of room */
	struct jfsk_wb_batch *b;
};

/* Checks a WRITE reply and refreshes attributes from it. */
static int jfsk_write_reply(struct inode *inode, struct jfsk_req *req, size_t len)
{
	struct jfs_write_out wo;

	if (req->out_len != sizeof(wo))
		return -EIO;
	memcpy(&wo, req->out, sizeof(wo));
	if (wo.written != len || wo.attr.ino != inode->i_ino ||
	    jfsk_check_attr(&wo.attr))
		return -EIO;
	jfsk_attr_apply(inode, &wo.attr, req->seq);
	jfsk_cache_stamp(inode, &wo.attr);	/* the new data is ours */
	atomic64_add(len, &JFS_SB(inode->i_sb)->bytes_out);
	return 0;
}

static void jfsk_write_prepare(struct jfsk_req *req, loff_t start, size_t len)
{
	struct jfs_io_in *io = jfsk_req_args(req);

	io->offset = start;
	io->size = len;
	req->in_len = sizeof(struct jfs_in_hdr) + sizeof(*io) + len;
	req->in->len = req->in_len;
}

/* Sends a filled WRITE request and waits for it (launder). */
static int jfsk_send_write(struct inode *inode, struct jfsk_req *req,
			   loff_t start, size_t len)
{
	int ret;

	jfsk_write_prepare(req, start, len);
	ret = jfsk_req_send(req);
	if (ret)
		return ret;
	return jfsk_write_reply(inode, req, len);
}

static struct jfsk_req *jfsk_write_req(struct inode *inode, size_t max)
{
	return jfsk_req_new(JFS_SB(inode->i_sb), JFS_OP_WRITE, inode->i_ino,
			   sizeof(struct jfs_io_in) + max,
			   sizeof(struct jfs_write_out));
}

static void jfsk_copy_from_folio(void *dst, struct folio *folio, size_t len)
{
	size_t off, n;
	char *kaddr;

	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, PAGE_SIZE);
		kaddr = kmap_local_folio(folio, off);
		memcpy(dst + off, kaddr, n);
		kunmap_local(kaddr);
	}
}

/* Ends writeback of a batch's folios; the inode may go right after. */
static void jfsk_wb_finish(struct jfsk_wb_batch *b, int ret)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++) {
		if (ret)
			mapping_set_error(b->folios[i]->mapping, ret);
		folio_end_writeback(b->folios[i]);
		folio_put(b->folios[i]);
	}
	kfree(b);
}

static void jfsk_write_end_io(struct jfsk_req *req)
{
	struct jfsk_wb_batch *b = req->private;
	struct jfsk_sb_info *sbi = JFS_SB(b->inode->i_sb);
	int ret = req->error;

	/* the mount lives while our folios are under writeback: use it first */
	jfsk_req_account(req, ret);
	if (!ret)
		ret = jfsk_write_reply(b->inode, req, b->len);
	atomic_dec(&sbi->wb_inflight);
	wake_up(&sbi->wb_wait);
	jfsk_wb_finish(b, ret);
}

static int jfsk_wb_flush(struct jfsk_wb *wb)
{
	struct jfsk_sb_info *sbi = JFS_SB(wb->inode->i_sb);
	struct jfsk_req *req = wb->req;
	struct jfsk_wb_batch *b = wb->b;
	int ret;

	wb->req = NULL;
	wb->b = NULL;
	wait_event(sbi->wb_wait,
		   atomic_add_unless(&sbi->wb_inflight, 1, JFS_WB_INFLIGHT));
	jfsk_write_prepare(req, b->start, b->len);
	req->private = b;
	ret = jfsk_req_send_async(req, jfsk_write_end_io);
	jfsk_req_put(req);
	if (ret) {
		atomic_dec(&sbi->wb_inflight);
		wake_up(&sbi->wb_wait);
		jfsk_wb_finish(b, ret);
	}
	return ret;
}

/* Starts a new WRITE at pos: a request with room for JFS_IO_MAX bytes. */
static int jfsk_wb_begin(struct jfsk_wb *wb, loff_t pos)
{
	wb->b = kmalloc(struct_size(wb->b, folios, JFS_IO_MAX / PAGE_SIZE),
			GFP_NOFS);
	if (!wb->b)
		return -ENOMEM;
	wb->req = jfsk_write_req(wb->inode, JFS_IO_MAX);
	if (IS_ERR(wb->req)) {
		int ret = PTR_ERR(wb->req);

		kfree(wb->b);
		wb->b = NULL;
		wb->req = NULL;
		return ret;
	}
	wb->b->inode = wb->inode;
	wb->b->start = pos;
	wb->b->len = 0;
	wb->b->nr = 0;
	return 0;
}

static int jfsk_wb_add(struct folio *folio, struct writeback_control *wbc,
		       struct jfsk_wb *wb)
{
	struct inode *inode = wb->inode;
	u32 bs = JFS_SB(inode->i_sb)->block_size;
	loff_t pos = folio_pos(folio);
	loff_t isize = i_size_read(inode);
	struct jfsk_wb_batch *b = wb->b;
	size_t len;
	int ret;

	if (pos >= isize) {	/* truncated meanwhile */
		folio_unlock(folio);
		return 0;
	}
	/*
	 * Background writeback of a file still growing would upload its last,
	 * partial block now and again when it fills: leave that block for
	 * kupdate, sync or close, so blocks reach the store whole.
	 */
	if (wbc->for_background && (isize & (bs - 1)) &&
	    pos >= round_down(isize, bs)) {
		folio_redirty_for_writepage(wbc, folio);
		folio_unlock(folio);
		return 0;
	}
	len = min_t(loff_t, folio_size(folio), isize - pos);
	if (b && (pos != b->start + b->len || pos % bs == 0 ||
		  b->len + folio_size(folio) > JFS_IO_MAX))
		jfsk_wb_flush(wb);	/* its error reaches the mapping */
	if (!wb->req) {
		ret = jfsk_wb_begin(wb, pos);
		if (ret) {
			folio_redirty_for_writepage(wbc, folio);
			folio_unlock(folio);
			return ret;
		}
	}
	b = wb->b;
	folio_start_writeback(folio);
	jfsk_copy_from_folio(jfsk_req_args(wb->req) + sizeof(struct jfs_io_in) +
			    (pos - b->start), folio, len);
	folio_unlock(folio);
	folio_get(folio);
	b->folios[b->nr++] = folio;
	b->len = pos - b->start + len;
	return 0;
}

#ifdef JFS_HAVE_WRITEPAGE_FOLIO
static int jfsk_writepage_cb(struct folio *folio, struct writeback_control *wbc,
			     void *data)
{
	return jfsk_wb_add(folio, wbc, data);
}
#else
static int jfsk_writepage_cb(struct page *page, struct writeback_control *wbc,
			     void *data)
{
	return jfsk_wb_add(page_folio(page), wbc, data);
}
#endif

static int jfsk_writepages(struct address_space *mapping,
			   struct writeback_control *wbc)
{
	struct jfsk_wb wb = { .inode = mapping->host };
	unsigned int nofs;
	int ret;

	/* Reclaim must not recurse into our own writeback from here. */
	nofs = memalloc_nofs_save();
	ret = write_cache_pages(mapping, wbc, jfsk_writepage_cb, &wb);
	if (wb.b && wb.b->nr)
		jfsk_wb_flush(&wb);
	if (wb.req) {		/* begun, but no folio made it in */
		jfsk_req_put(wb.req);
		kfree(wb.b);
	}
	memalloc_nofs_restore(nofs);
	return ret;
}

static int jfsk_launder_folio(struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	loff_t pos = folio_pos(folio);
	loff_t isize = i_size_read(inode);
	struct jfsk_req *req;
	size_t len;
	int ret;

	if (!folio_clear_dirty_for_io(folio) || pos >= isize)
		return 0;
	len = min_t(loff_t, folio_size(folio), isize - pos);
	req = jfsk_write_req(inode, len);
	if (IS_ERR(req))
		return PTR_ERR(req);
	jfsk_copy_from_folio(jfsk_req_args(req) + sizeof(struct jfs_io_in),
			     folio, len);
	ret = jfsk_send_write(inode, req, pos, len);
	jfsk_req_put(req);
	return ret;
}

/* Makes the folio ready for a partial write of [pos, pos + len). */
static int jfsk_prepare_folio(struct inode *inode, struct folio *folio,
			      loff_t pos, unsigned int len)
{
	size_t off = offset_in_folio(folio, pos);

	if (folio_test_uptodate(folio))
		return 0;
	if (off == 0 && len >= folio_size(folio))
		return 0;	/* fully overwritten: see jfsk_write_end() */
	if (folio_pos(folio) >= i_size_read(inode)) {
		/* Past EOF there is nothing to read: zero around the write. */
		folio_zero_segments(folio, 0, off, off + len,
				    folio_size(folio));
		folio_mark_uptodate(folio);
		return 0;
	}
	return jfsk_read_folio_locked(inode, folio);
}

static int jfsk_write_begin_folio(struct address_space *mapping, loff_t pos,
				  unsigned int len, struct folio **foliop)
{
	struct folio *folio;
	int ret;

	folio = __filemap_get_folio(mapping, pos >> PAGE_SHIFT, FGP_WRITEBEGIN,
				    mapping_gfp_mask(mapping));
	/* NULL on older kernels, an ERR_PTR on newer ones */
	if (IS_ERR_OR_NULL(folio))
		return folio ? PTR_ERR(folio) : -ENOMEM;
	ret = jfsk_prepare_folio(mapping->host, folio, pos, len);
	if (ret) {
		folio_unlock(folio);
		folio_put(folio);
		return ret;
	}
	*foliop = folio;
	return 0;
}

static int jfsk_write_end_folio(struct address_space *mapping, loff_t pos,
				unsigned int len, unsigned int copied,
			       struct folio *folio)
{
	struct inode *inode = mapping->host;

	if (!folio_test_uptodate(folio)) {
		/* A short copy into an unread folio: let the caller retry. */
		if (copied < len) {
			copied = 0;
			goto out;
		}
		folio_mark_uptodate(folio);
	}
	if (copied) {
		/*
		 * Dirty first, then the size, both seen by jfsk_attr_apply()
		 * under i_lock: it never shrinks a size that dirty pages back.
		 */
		folio_mark_dirty(folio);
		spin_lock(&inode->i_lock);
		if (pos + copied > i_size_read(inode))
			i_size_write(inode, pos + copied);
		spin_unlock(&inode->i_lock);
	}
out:
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

#ifdef JFS_HAVE_WRITE_BEGIN_FOLIO
static int jfsk_write_begin(struct file *file, struct address_space *mapping,
			    loff_t pos, unsigned int len, struct folio **foliop,
			   void **fsdata)
{
	return jfsk_write_begin_folio(mapping, pos, len, foliop);
}

static int jfsk_write_end(struct file *file, struct address_space *mapping,
			  loff_t pos, unsigned int len, unsigned int copied,
			 struct folio *folio, void *fsdata)
{
	return jfsk_write_end_folio(mapping, pos, len, copied, folio);
}
#else
static int jfsk_write_begin(struct file *file, struct address_space *mapping,
			    loff_t pos, unsigned int len, struct page **pagep,
			   void **fsdata)
{
	struct folio *folio;
	int ret;

	ret = jfsk_write_begin_folio(mapping, pos, len, &folio);
	if (!ret)
		*pagep = &folio->page;
	return ret;
}

static int jfsk_write_end(struct file *file, struct address_space *mapping,
			  loff_t pos, unsigned int len, unsigned int copied,
			 struct page *page, void *fsdata)
{
	return jfsk_write_end_folio(mapping, pos, len, copied, page_folio(page));
}
#endif

/* ---- O_DIRECT: straight to jfsd, around the page cache ---- */

/*
 * A direct read sees this client's own writes: dirty pages of the range
 * go out first.  Then READs of up to JFS_IO_MAX bytes fill the caller's
 * buffer; a short reply is the end of the file.
 */
ssize_t jfsk_direct_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	size_t count = iov_iter_count(to);
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;
	int ret;

	if (!count)
		return 0;
	ret = filemap_write_and_wait_range(inode->i_mapping, pos, pos + count - 1);
	while (!ret && iov_iter_count(to)) {
		size_t len = min_t(size_t, iov_iter_count(to), JFS_IO_MAX);
		struct jfsk_req *req = jfsk_fetch(inode, pos, len);
		size_t n;

		if (IS_ERR(req)) {
			ret = PTR_ERR(req);
			break;
		}
		n = copy_to_iter(req->out, req->out_len, to);
		if (n != req->out_len)
			ret = -EFAULT;
		jfsk_req_put(req);
		pos += n;
		done += n;
		if (n < len)
			break;
	}
	iocb->ki_pos = pos;
	file_accessed(iocb->ki_filp);
	return done ? done : ret;
}

/*
 * A direct write goes to jfsd in WRITEs cut at block boundaries, as
 * writeback's are; cached pages of the range are written first (or they
 * would land later, on top) and dropped after.
 */
ssize_t jfsk_direct_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	u32 bs = JFS_SB(inode->i_sb)->block_size;
	loff_t start, pos;
	ssize_t done = 0;
	int ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	start = iocb->ki_pos;
	pos = start;
	ret = filemap_write_and_wait_range(inode->i_mapping, start,
					   start + iov_iter_count(from) - 1);
	while (!ret && iov_iter_count(from)) {
		size_t len = min_t(size_t, iov_iter_count(from), JFS_IO_MAX);
		struct jfsk_req *req;

		len = min_t(size_t, len, bs - pos % bs);
		req = jfsk_write_req(inode, len);
		if (IS_ERR(req)) {
			ret = PTR_ERR(req);
			break;
		}
		if (copy_from_iter(jfsk_req_args(req) + sizeof(struct jfs_io_in),
				   len, from) != len)
			ret = -EFAULT;
		else
			ret = jfsk_send_write(inode, req, pos, len);
		jfsk_req_put(req);
		if (!ret) {
			pos += len;
			done += len;
		}
	}
	if (done)
		invalidate_inode_pages2_range(inode->i_mapping, start >> PAGE_SHIFT,
					      (pos - 1) >> PAGE_SHIFT);
	iocb->ki_pos = pos;
out:
	inode_unlock(inode);
	return done ? done : ret;
}

const struct address_space_operations jfsk_aops = {
	.read_folio	= jfsk_read_folio,
	.readahead	= jfsk_readahead,
	.writepages	= jfsk_writepages,
	.dirty_folio	= filemap_dirty_folio,
	.write_begin	= jfsk_write_begin,
	.write_end	= jfsk_write_end,
	.launder_folio	= jfsk_launder_folio,
	/* O_DIRECT is served in read_iter/write_iter; this allows the open */
	.direct_IO	= noop_direct_IO,
};
