/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jfsk internal definitions: per-superblock and per-inode state, the
 * request API of the /dev/jfs channel, and prototypes shared by the
 * per-concern files.
 */
#ifndef _JFSK_H
#define _JFSK_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/completion.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/ktime.h>
#include "../uapi/jfs.h"
#include "compat.h"

#define JFS_SUPER_MAGIC		0x4a465321	/* "JFS!" */

/* Per-op counters, reported over generic netlink. */
struct jfs_op_stats {
	atomic64_t count;
	atomic64_t errors;
	atomic64_t latency_ns;
};

struct jfs_sb_info {
	struct list_head node;		/* on jfs_mounts */
	struct super_block *sb;
	u64 mount_id;
	u64 sid;
	char *url;			/* full META-URL, sent to jfsd only */
	char *display;			/* URL without password, for /proc */
	char name[64];			/* volume name */
	char uuid[40];
	u32 block_size;
	unsigned int attr_timeout;	/* jiffies */
	unsigned int entry_timeout;	/* jiffies */
	unsigned int attr_timeout_ms;	/* as given, for show_options */
	unsigned int entry_timeout_ms;
	bool rdonly;
	bool mounted;			/* jfsd opened the volume */
	atomic64_t inflight;
	atomic_t wb_inflight;		/* WRITEs of writeback in flight */
	wait_queue_head_t wb_wait;	/* ... for a free slot */
	atomic64_t bytes_in;		/* data read from jfsd */
	atomic64_t bytes_out;		/* data written to jfsd */
	struct jfs_op_stats ops[JFS_OP_MAX];
};

struct jfs_inode_info {
	struct inode vfs_inode;
	unsigned long attr_expire;	/* jiffies; attrs trusted until then */
	struct timespec64 srv_mtime;	/* server state the page cache */
	u64 srv_size;			/* matches: see jfs_cache_stamp() */
	char *link;			/* cached symlink target (immutable) */
	unsigned long nosec_stamp;	/* jiffies: security xattrs last known */
	bool noxattr;			/* JFS_ATTR_NOXATTR, until attr_expire */
	u32 flags;			/* jfs_attr.flags (JuiceFS's bits) */
};

static inline struct jfs_inode_info *JFS_I(struct inode *inode)
{
	return container_of(inode, struct jfs_inode_info, vfs_inode);
}

static inline struct jfs_sb_info *JFS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* ---- requests (dev.c) ---- */

enum jfs_req_state {
	JFS_REQ_NEW,
	JFS_REQ_PENDING,	/* queued, not yet read by jfsd */
	JFS_REQ_SENT,		/* read by jfsd, awaiting reply */
	JFS_REQ_DONE,
};

/*
 * A request owns its argument and reply buffers, so a caller that is
 * killed while jfsd works on it can simply drop its reference: a late
 * reply then lands in memory that is still ours.
 */
struct jfs_req {
	struct list_head list;		/* on the pending list */
	struct hlist_node hnode;	/* in the sent table, by unique */
	refcount_t ref;
	struct completion done;
	enum jfs_req_state state;
	struct jfs_sb_info *sbi;	/* for counters; NULL for none */
	u16 opcode;
	u64 unique;
	ktime_t start;
	struct jfs_in_hdr *in;		/* header + args, in_len bytes */
	size_t in_len;
	void *out;			/* reply payload, out_max bytes */
	size_t out_max;
	size_t out_len;
	int error;
	/* async requests: called once with the outcome in ->error */
	void (*end_io)(struct jfs_req *req);
	void *private;
};

struct jfs_req *jfs_req_new(struct jfs_sb_info *sbi, u16 opcode, u64 ino,
			    size_t args_len, size_t out_max);
static inline void *jfs_req_args(struct jfs_req *req)
{
	return req->in + 1;
}

int jfs_req_send(struct jfs_req *req);
int jfs_req_send_async(struct jfs_req *req, void (*end_io)(struct jfs_req *req));
void jfs_req_account(struct jfs_req *req, int error);
void jfs_req_send_noreply(struct jfs_req *req);
void jfs_req_put(struct jfs_req *req);
int jfs_simple_req(struct jfs_sb_info *sbi, u16 op, u64 ino,
		   const void *args, size_t args_len, void *out, size_t out_len);
bool jfs_dev_attached(void);
bool jfs_dev_minor(u32 minor);
int jfs_dev_init(void);
void jfs_dev_exit(void);

/* ---- super.c ---- */
extern struct mutex jfs_mounts_lock;
extern struct list_head jfs_mounts;

/* ---- inode.c ---- */
int jfs_inode_cache_init(void);
void jfs_inode_cache_exit(void);
struct inode *jfs_alloc_inode(struct super_block *sb);
void jfs_free_inode(struct inode *inode);
int jfs_check_attr(const struct jfs_attr *attr);
struct inode *jfs_iget(struct super_block *sb, const struct jfs_attr *attr);
void jfs_attr_apply(struct inode *inode, const struct jfs_attr *attr);
void jfs_attr_invalidate(struct inode *inode);
void jfs_cache_stamp(struct inode *inode, const struct jfs_attr *attr);
int jfs_revalidate(struct inode *inode);
int jfs_getattr(struct JFS_IDMAP_T *idmap, const struct path *path,
		struct kstat *stat, u32 mask, unsigned int flags);
int jfs_setattr(struct JFS_IDMAP_T *idmap, struct dentry *dentry, struct iattr *iattr);
struct fileattr;
int jfs_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int jfs_fileattr_set(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
		     struct fileattr *fa);
void jfs_fill_in_owner(struct jfs_req *req, struct inode *dir, umode_t *mode);
extern const struct inode_operations jfs_file_inode_operations;
extern const struct inode_operations jfs_symlink_inode_operations;
extern const struct inode_operations jfs_special_inode_operations;

/* ---- dir.c ---- */
extern const struct inode_operations jfs_dir_inode_operations;
extern const struct file_operations jfs_dir_operations;
extern const struct dentry_operations jfs_dentry_operations;

/* ---- file.c ---- */
extern const struct file_operations jfs_file_operations;
int jfs_open_common(struct inode *inode, struct file *file, u16 op, u64 *fh);
void jfs_release_common(struct inode *inode, u16 op, u64 fh);

/* ---- addr.c: O_DIRECT ---- */
ssize_t jfs_direct_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t jfs_direct_write(struct kiocb *iocb, struct iov_iter *from);

/* ---- falloc.c ---- */
long jfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len);
loff_t jfs_remap_file_range(struct file *src_file, loff_t src_off,
			    struct file *dst_file, loff_t dst_off, loff_t len,
			    unsigned int remap_flags);

/* ---- lock.c ---- */
int jfs_lock(struct file *file, int cmd, struct file_lock *fl);
int jfs_flock(struct file *file, int cmd, struct file_lock *fl);

/* ---- xattr.c ---- */
extern const struct xattr_handler * const jfs_xattr_handlers[];
ssize_t jfs_listxattr(struct dentry *dentry, char *list, size_t size);
void jfs_nosec_known(struct inode *inode);
bool jfs_known_noxattr(struct inode *inode);
ssize_t jfs_xattr_fetch(struct inode *inode, const char *name, void *buffer,
			size_t size);
int jfs_xattr_store(struct inode *inode, const char *name, const void *value,
		    size_t size, u32 jflags);

/* ---- addr.c ---- */
extern const struct address_space_operations jfs_aops;

/* ---- netlink.c ---- */
int jfs_netlink_init(void);
void jfs_netlink_exit(void);

#endif /* _JFSK_H */
