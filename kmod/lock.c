// SPDX-License-Identifier: GPL-2.0
/*
 * fcntl record locks (POSIX and OFD) and flock(2), shared by every client
 * of the volume: jfsd keeps them where JuiceFS does (lockp{ino} and
 * lockf{ino}), so juicefs clients see them too.
 *
 * jfsd never waits: a conflict comes back as -EAGAIN.  A blocking request
 * (F_SETLKW, flock without LOCK_NB) is a retry loop here that sleeps
 * interruptibly between tries with a growing delay, holding no lock and
 * no jfsd thread; a signal ends it with -ERESTARTSYS (EINTR for a handler
 * without SA_RESTART), as JuiceFS's own clients poll.  A granted lock is
 * also recorded in the VFS's lists, so close() and the last fput() call
 * back with F_UNLCK as POSIX and flock(2) require, and /proc/locks shows
 * it.  Owners go to jfsd as a keyed hash of the kernel's owner pointer,
 * never the pointer itself.
 *
 * With a jfsd older than protocol 1.2 the locks stay local, as before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/siphash.h>
#include "internal.h"

#define JFS_LOCK_WAIT_MIN_MS	1
#define JFS_LOCK_WAIT_MAX_MS	64

static siphash_key_t jfsk_owner_key;

static u64 jfsk_lock_owner(fl_owner_t owner)
{
	get_random_once(&jfsk_owner_key, sizeof(jfsk_owner_key));
	return siphash_1u64((u64)(unsigned long)owner, &jfsk_owner_key);
}

static void jfsk_lock_in_fill(struct jfs_lock_in *li, const struct file_lock *fl,
			      bool whole)
{
	pid_t pid = jfsk_fl_pid(fl);

	memset(li, 0, sizeof(*li));
	li->owner = jfsk_lock_owner(jfsk_fl_owner(fl));
	li->type = jfsk_fl_type(fl);
	li->pid = pid > 0 ? pid : 0;
	li->start = whole ? 0 : fl->fl_start;
	li->end = whole ? OFFSET_MAX : fl->fl_end;
}

static int jfsk_lock_send(struct inode *inode, u16 op, const struct jfs_lock_in *li,
			  struct jfs_lock_out *lo)
{
	return jfsk_simple_req(JFS_SB(inode->i_sb), op, inode->i_ino, li,
			      sizeof(*li), lo, lo ? sizeof(*lo) : 0);
}

/* Asks until granted, or once if !wait; no lock is held while asleep. */
static int jfsk_lock_wait(struct inode *inode, u16 op, const struct jfs_lock_in *li,
			  bool wait)
{
	unsigned int delay = JFS_LOCK_WAIT_MIN_MS;
	int ret;

	for (;;) {
		ret = jfsk_lock_send(inode, op, li, NULL);
		if (ret != -EAGAIN || !wait)
			return ret;
		msleep_interruptible(delay);
		if (signal_pending(current))
			return -ERESTARTSYS;
		delay = min(delay * 2, JFS_LOCK_WAIT_MAX_MS);
	}
}

/* F_GETLK: jfsd's answer, checked, into @fl */
static int jfsk_getlk_reply(struct file_lock *fl, const struct jfs_lock_out *lo)
{
	if (lo->type != F_RDLCK && lo->type != F_WRLCK && lo->type != F_UNLCK)
		return -EIO;
	if (lo->type == F_UNLCK) {
		jfsk_fl_set_type(fl, F_UNLCK);
		return 0;
	}
	if (lo->start > lo->end || lo->start > OFFSET_MAX)
		return -EIO;
	jfsk_fl_set_type(fl, lo->type);
	fl->fl_start = lo->start;
	fl->fl_end = min_t(u64, lo->end, OFFSET_MAX);
	jfsk_fl_set_holder(fl, lo->pid);
	return 0;
}

/*
 * Takes or drops @fl cluster-wide (op SETLK or FLOCK), then in the VFS's
 * lists.  If the local step fails the cluster-wide lock is given back.
 */
static int jfsk_lock_apply(struct file *file, u16 op, struct file_lock *fl,
			   struct jfs_lock_in *li, bool wait)
{
	struct inode *inode = file_inode(file);
	int ret, local;

	if (li->type == F_UNLCK) {
		ret = jfsk_lock_send(inode, op, li, NULL);
		local = locks_lock_file_wait(file, fl);
		return ret ? ret : local;
	}
	ret = jfsk_lock_wait(inode, op, li, wait);
	if (ret)
		return ret;
	ret = locks_lock_file_wait(file, fl);
	if (ret) {
		li->type = F_UNLCK;
		jfsk_lock_send(inode, op, li, NULL);
	}
	return ret;
}

int jfsk_lock(struct file *file, int cmd, struct file_lock *fl)
{
	struct inode *inode = file_inode(file);
	struct jfs_lock_out lo;
	struct jfs_lock_in li;
	int ret;

	if (!jfsk_dev_minor(JFS_PROTO_MINOR_LOCK)) {
		if (!IS_GETLK(cmd))
			return locks_lock_file_wait(file, fl);
		posix_test_lock(file, fl);
		return 0;
	}
	if (fl->fl_start < 0 || fl->fl_end < fl->fl_start)
		return -EINVAL;
	jfsk_lock_in_fill(&li, fl, false);
	if (IS_GETLK(cmd)) {
		ret = jfsk_lock_send(inode, JFS_OP_GETLK, &li, &lo);
		return ret ? ret : jfsk_getlk_reply(fl, &lo);
	}
	return jfsk_lock_apply(file, JFS_OP_SETLK, fl, &li, IS_SETLKW(cmd));
}

int jfsk_flock(struct file *file, int cmd, struct file_lock *fl)
{
	struct jfs_lock_in li;

	if (!(jfsk_fl_flags(fl) & FL_FLOCK))
		return -ENOLCK;
	if (!jfsk_dev_minor(JFS_PROTO_MINOR_LOCK))
		return locks_lock_file_wait(file, fl);
	jfsk_lock_in_fill(&li, fl, true);
	return jfsk_lock_apply(file, JFS_OP_FLOCK, fl, &li,
			      jfsk_fl_flags(fl) & FL_SLEEP);
}
