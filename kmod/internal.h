/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jfsk internal definitions: per-superblock and per-inode state, the
 * request API of the /dev/jfs channel, and prototypes shared by the
 * per-concern files.
 */
#ifndef _JFSK_INTERNAL_H
#define _JFSK_INTERNAL_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/completion.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/ktime.h>
#include "../uapi/jfs.h"
#include "compat.h"

#define JFSK_SUPER_MAGIC		0x4a465321	/* "JFS!" */

/* Per-op counters, reported over generic netlink. */
struct jfsk_op_stats {
	atomic64_t count;
	atomic64_t errors;
	atomic64_t latency_ns;
	atomic64_t engine_cmds;		/* what jfsd said the ops cost */
	atomic64_t engine_rtts;
};

struct jfsk_sb_info {
	struct list_head node;		/* on jfsk_mounts */
	struct super_block *sb;
	u64 mount_id;
	u64 sid;
	char *url;			/* full META-URL, sent to jfsd only */
	char *display;			/* URL without password, for /proc */
	char *helper_opts;		/* jfsd's mount options, or NULL */
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
	/*
	 * Active invalidation (notify.c): bumped by every notification;
	 * what a reply says is trusted only if no notification about it
	 * came after its request was made (the seq it was sent with).
	 */
	atomic_long_t inval_seq;
	unsigned long inval_all;	/* seq of the last JFS_INVAL_ALL */
	struct jfsk_op_stats ops[JFS_OP_MAX];
};

struct jfsk_inode_info {
	struct inode vfs_inode;
	unsigned long attr_expire;	/* jiffies; attrs trusted until then */
	unsigned long attr_seq;		/* inval_seq the attrs were asked at */
	unsigned long inval_seq;	/* last notification: attributes */
	unsigned long entries_seq;	/* ... a directory's names */
	struct timespec64 srv_mtime;	/* server state the page cache */
	u64 srv_size;			/* matches: see jfsk_cache_stamp() */
	char *link;			/* cached symlink target (immutable) */
	unsigned long nosec_stamp;	/* jiffies: security xattrs last known */
	bool noxattr;			/* JFS_ATTR_NOXATTR, until attr_expire */
	u32 flags;			/* jfs_attr.flags (JuiceFS's bits) */
	loff_t seq_pos;			/* where a sequential writer goes on */
	loff_t kick_from;		/* ... and the first block not kicked */
};

static inline struct jfsk_inode_info *JFS_I(struct inode *inode)
{
	return container_of(inode, struct jfsk_inode_info, vfs_inode);
}

static inline struct jfsk_sb_info *JFS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* ---- requests (dev.c) ---- */

enum jfsk_req_state {
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
struct jfsk_req {
	struct list_head list;		/* on the pending list */
	struct hlist_node hnode;	/* in the sent table, by unique */
	refcount_t ref;
	struct completion done;
	enum jfsk_req_state state;
	struct jfsk_sb_info *sbi;	/* for counters; NULL for none */
	u16 opcode;
	u64 unique;
	unsigned long seq;		/* sbi->inval_seq when made */
	ktime_t start;
	struct jfs_in_hdr *in;		/* header + args, in_len bytes */
	size_t in_len;
	void *out;			/* reply payload, out_max bytes */
	size_t out_max;
	size_t out_len;
	int error;
	u16 engine_cmds, engine_rtts;	/* from the reply header */
	/* async requests: called once with the outcome in ->error */
	void (*end_io)(struct jfsk_req *req);
	void *private;
};

struct jfsk_req *jfsk_req_new(struct jfsk_sb_info *sbi, u16 opcode, u64 ino,
			      size_t args_len, size_t out_max);
static inline void *jfsk_req_args(struct jfsk_req *req)
{
	return req->in + 1;
}

int jfsk_req_send(struct jfsk_req *req);
int jfsk_req_send_async(struct jfsk_req *req, void (*end_io)(struct jfsk_req *req));
void jfsk_req_account(struct jfsk_req *req, int error);
void jfsk_req_send_noreply(struct jfsk_req *req);
void jfsk_req_put(struct jfsk_req *req);
int jfsk_simple_req(struct jfsk_sb_info *sbi, u16 op, u64 ino,
		    const void *args, size_t args_len, void *out, size_t out_len);
bool jfsk_dev_attached(void);
bool jfsk_dev_minor(u32 minor);
int jfsk_dev_init(void);
void jfsk_dev_exit(void);

/* ---- super.c ---- */
extern struct mutex jfsk_mounts_lock;
extern struct list_head jfsk_mounts;

/* ---- notify.c ---- */
/* The invalidation sequence now: taken before asking jfsd anything. */
static inline unsigned long jfsk_seq(struct super_block *sb)
{
	return atomic_long_read(&JFS_SB(sb)->inval_seq);
}

bool jfsk_attr_fresh(struct inode *inode);
bool jfsk_dentry_fresh(struct dentry *dentry, struct inode *dir);
int jfsk_notify(u16 code, const void __user *buf, size_t len);

/* ---- inode.c ---- */
int jfsk_inode_cache_init(void);
void jfsk_inode_cache_exit(void);
struct inode *jfsk_alloc_inode(struct super_block *sb);
void jfsk_free_inode(struct inode *inode);
int jfsk_check_attr(const struct jfs_attr *attr);
struct inode *jfsk_iget(struct super_block *sb, const struct jfs_attr *attr,
			unsigned long seq);
void jfsk_attr_apply(struct inode *inode, const struct jfs_attr *attr,
		     unsigned long seq);
void jfsk_attr_invalidate(struct inode *inode);
void jfsk_cache_stamp(struct inode *inode, const struct jfs_attr *attr);
int jfsk_revalidate(struct inode *inode);
int jfsk_getattr(struct JFS_IDMAP_T *idmap, const struct path *path,
		 struct kstat *stat, u32 mask, unsigned int flags);
int jfsk_setattr(struct JFS_IDMAP_T *idmap, struct dentry *dentry, struct iattr *iattr);
struct fileattr;
int jfsk_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int jfsk_fileattr_set(struct JFS_IDMAP_T *idmap, struct dentry *dentry,
		      struct fileattr *fa);
void jfsk_fill_in_owner(struct jfsk_req *req, struct inode *dir, umode_t *mode);
extern const struct inode_operations jfsk_file_inode_operations;
extern const struct inode_operations jfsk_symlink_inode_operations;
extern const struct inode_operations jfsk_special_inode_operations;

/* ---- dir.c ---- */
extern const struct inode_operations jfsk_dir_inode_operations;
extern const struct file_operations jfsk_dir_operations;
extern const struct dentry_operations jfsk_dentry_operations;

/* ---- file.c ---- */
extern const struct file_operations jfsk_file_operations;
int jfsk_open_common(struct inode *inode, struct file *file, u16 op, u64 *fh);
void jfsk_release_common(struct inode *inode, u16 op, u64 fh);

/* ---- addr.c: O_DIRECT ---- */
ssize_t jfsk_direct_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t jfsk_direct_write(struct kiocb *iocb, struct iov_iter *from);

/* ---- falloc.c ---- */
long jfsk_fallocate(struct file *file, int mode, loff_t offset, loff_t len);
loff_t jfsk_remap_file_range(struct file *src_file, loff_t src_off,
			     struct file *dst_file, loff_t dst_off, loff_t len,
			    unsigned int remap_flags);

/* ---- lock.c ---- */
int jfsk_lock(struct file *file, int cmd, struct file_lock *fl);
int jfsk_flock(struct file *file, int cmd, struct file_lock *fl);

/* ---- xattr.c ---- */
extern const struct xattr_handler * const jfsk_xattr_handlers[];
ssize_t jfsk_listxattr(struct dentry *dentry, char *list, size_t size);
void jfsk_nosec_known(struct inode *inode);
bool jfsk_known_noxattr(struct inode *inode);
ssize_t jfsk_xattr_fetch(struct inode *inode, const char *name, void *buffer,
			 size_t size);
int jfsk_xattr_store(struct inode *inode, const char *name, const void *value,
		     size_t size, u32 jflags);

/* ---- addr.c ---- */
extern const struct address_space_operations jfsk_aops;

/* ---- netlink.c ---- */
int jfsk_netlink_init(void);
void jfsk_netlink_exit(void);

#endif /* _JFSK_INTERNAL_H */
