// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/jfs: the channel between the kernel and jfsd.
 *
 * A caller builds a request (header + arguments in one buffer), queues it
 * on the pending list and sleeps killably.  jfsd read()s requests one at a
 * time; each read moves a request into the "sent" table keyed by its
 * unique id.  jfsd write()s exactly one reply per request; the reply is
 * checked (length, opcode, id, errno range, payload size) before anything
 * is copied, and a bad reply fails only its own request.
 *
 * One jfsd serves every mount.  When it closes the device, every queued
 * and sent request fails with -ENOTCONN and new ones fail at once.
 * jfsd may also write notifications, which carry unique 0 (notify.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include "internal.h"

struct jfsk_chan {
	spinlock_t lock;		/* protects everything below */
	struct list_head pending;
	DECLARE_HASHTABLE(sent, 8);
	wait_queue_head_t waitq;	/* jfsd readers */
	bool open;			/* a jfsd holds the device */
	bool attached;			/* ... and completed the handshake */
	u32 minor;			/* jfsd's protocol minor */
	u64 next_unique;
};

static struct jfsk_chan jfsk_chan;

bool jfsk_dev_attached(void)
{
	return READ_ONCE(jfsk_chan.attached);
}

/* Whether the attached jfsd speaks protocol minor @minor (or later). */
bool jfsk_dev_minor(u32 minor)
{
	return READ_ONCE(jfsk_chan.minor) >= minor;
}

struct jfsk_req *jfsk_req_new(struct jfsk_sb_info *sbi, u16 opcode, u64 ino,
			      size_t args_len, size_t out_max)
{
	struct jfsk_req *req;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return ERR_PTR(-ENOMEM);
	req->in_len = sizeof(struct jfs_in_hdr) + args_len;
	/* Not zeroed whole: WRITE data (up to 4 MiB) overwrites it anyway. */
	req->in = kvmalloc(req->in_len, GFP_KERNEL);
	if (out_max)
		req->out = kvmalloc(out_max, GFP_KERNEL);
	if (!req->in || (out_max && !req->out)) {
		kvfree(req->in);
		kvfree(req->out);
		kfree(req);
		return ERR_PTR(-ENOMEM);
	}
	memset(req->in, 0, min_t(size_t, req->in_len, 512));
	INIT_LIST_HEAD(&req->list);
	refcount_set(&req->ref, 1);
	init_completion(&req->done);
	req->sbi = sbi;
	req->seq = sbi ? atomic_long_read(&sbi->inval_seq) : 0;
	req->opcode = opcode;
	req->out_max = out_max;
	req->in->len = req->in_len;
	req->in->opcode = opcode;
	req->in->mount_id = sbi ? sbi->mount_id : 0;
	req->in->ino = ino;
	req->in->uid = from_kuid(&init_user_ns, current_fsuid());
	req->in->gid = from_kgid(&init_user_ns, current_fsgid());
	req->in->pid = task_tgid_nr(current);
	return req;
}

void jfsk_req_put(struct jfsk_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	kvfree(req->in);
	kvfree(req->out);
	kfree(req);
}

/*
 * Counts a request in its mount's statistics.  Only the waiting caller
 * (or an async request's end_io) does this: a reply to an abandoned or
 * no-reply request may arrive after the superblock is gone.
 */
void jfsk_req_account(struct jfsk_req *req, int error)
{
	struct jfsk_sb_info *sbi = req->sbi;
	struct jfsk_op_stats *st;

	if (!sbi)
		return;
	atomic64_dec(&sbi->inflight);
	if (req->opcode >= JFS_OP_MAX)
		return;
	st = &sbi->ops[req->opcode];
	atomic64_inc(&st->count);
	if (error)
		atomic64_inc(&st->errors);
	atomic64_add(ktime_to_ns(ktime_sub(ktime_get(), req->start)),
		     &st->latency_ns);
	atomic64_add(req->engine_cmds, &st->engine_cmds);
	atomic64_add(req->engine_rtts, &st->engine_rtts);
}

/* Finishes a request that is no longer on any list; drops the queue's ref. */
static void jfsk_req_end(struct jfsk_req *req, int error)
{
	if (error)
		req->error = error;
	if (req->end_io)
		req->end_io(req);	/* nobody waits: the callback takes the outcome */
	else
		complete(&req->done);
	jfsk_req_put(req);
}

static int jfsk_req_queue(struct jfsk_req *req)
{
	struct jfsk_chan *ch = &jfsk_chan;

	spin_lock(&ch->lock);
	if (!ch->attached) {
		spin_unlock(&ch->lock);
		return -ENOTCONN;
	}
	req->unique = ++ch->next_unique;
	req->in->unique = req->unique;
	req->state = JFS_REQ_PENDING;
	refcount_inc(&req->ref);	/* the queue's reference */
	list_add_tail(&req->list, &ch->pending);
	spin_unlock(&ch->lock);
	wake_up(&ch->waitq);
	return 0;
}

/* Queues a request and waits; see jfsk_req_send(). */
static int jfsk_req_wait(struct jfsk_req *req)
{
	struct jfsk_chan *ch = &jfsk_chan;
	int ret;

	ret = jfsk_req_queue(req);
	if (ret)
		return ret;
	if (!wait_for_completion_killable(&req->done))
		return req->error;

	spin_lock(&ch->lock);
	switch (req->state) {
	case JFS_REQ_PENDING:
		/* jfsd never saw it: withdraw it. */
		list_del_init(&req->list);
		req->state = JFS_REQ_DONE;
		spin_unlock(&ch->lock);
		jfsk_req_end(req, -EINTR);
		return -EINTR;
	case JFS_REQ_SENT:
		/* A late reply lands in the request's own buffers, then frees. */
		spin_unlock(&ch->lock);
		return -EINTR;
	default:
		/*
		 * Claimed: a reply (or the abort) is being copied in and will
		 * complete the request; until then req->error and the payload
		 * are not the reply's yet.  The copy never waits for jfsd.
		 */
		spin_unlock(&ch->lock);
		wait_for_completion(&req->done);
		return req->error;
	}
}

/**
 * jfsk_req_send - queue a request and wait killably for its reply
 * @req: the request; the caller keeps its reference and puts it after
 *
 * Return: the reply's error (0 or -errno), -ENOTCONN without jfsd, or
 * -EINTR when a fatal signal ended the wait.
 */
int jfsk_req_send(struct jfsk_req *req)
{
	int ret;

	req->start = ktime_get();
	if (req->sbi)
		atomic64_inc(&req->sbi->inflight);
	ret = jfsk_req_wait(req);
	jfsk_req_account(req, ret);
	return ret;
}

/**
 * jfsk_req_send_async - queue a request whose reply a callback handles
 * @req: the request; the caller puts its own reference after queueing
 * @end_io: called exactly once, in process context without locks held,
 *	with the reply (or -ENOTCONN/-EIO) in req->error; it must account
 *	the request (jfsk_req_account) while the mount is surely alive
 *
 * Return: 0 once queued; otherwise the error, and @end_io is never called.
 */
int jfsk_req_send_async(struct jfsk_req *req, void (*end_io)(struct jfsk_req *req))
{
	int ret;

	req->start = ktime_get();
	req->end_io = end_io;
	if (req->sbi)
		atomic64_inc(&req->sbi->inflight);
	ret = jfsk_req_queue(req);
	if (ret) {
		req->end_io = NULL;
		jfsk_req_account(req, ret);
	}
	return ret;
}

/* Queues a request nobody waits for (release paths must never block). */
void jfsk_req_send_noreply(struct jfsk_req *req)
{
	req->sbi = NULL;	/* may outlive the mount: see jfsk_req_account() */
	jfsk_req_queue(req);
	jfsk_req_put(req);
}

/* One-shot helper for requests with small fixed-size arguments/replies. */
int jfsk_simple_req(struct jfsk_sb_info *sbi, u16 op, u64 ino,
		    const void *args, size_t args_len, void *out, size_t out_len)
{
	struct jfsk_req *req;
	int ret;

	req = jfsk_req_new(sbi, op, ino, args_len, out_len);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (args_len)
		memcpy(jfsk_req_args(req), args, args_len);
	ret = jfsk_req_send(req);
	if (!ret && req->out_len != out_len)
		ret = -EIO;	/* replies of fixed-size ops must be exact */
	if (!ret && out_len)
		memcpy(out, req->out, out_len);
	jfsk_req_put(req);
	return ret;
}

static int jfsk_dev_open(struct inode *inode, struct file *file)
{
	struct jfsk_chan *ch = &jfsk_chan;
	int ret = 0;

	/* whoever holds the device serves every mount: root only */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	spin_lock(&ch->lock);
	if (ch->open)
		ret = -EBUSY;
	else
		ch->open = true;
	spin_unlock(&ch->lock);
	if (ret)
		return ret;
	return stream_open(inode, file);
}

/* Fails every queued and sent request; used when jfsd goes away. */
static void jfsk_chan_abort(void)
{
	struct jfsk_chan *ch = &jfsk_chan;
	struct jfsk_req *req, *tmp;
	struct hlist_node *n;
	LIST_HEAD(dead);
	int bkt;

	spin_lock(&ch->lock);
	ch->attached = false;
	list_splice_init(&ch->pending, &dead);
	hash_for_each_safe(ch->sent, bkt, n, req, hnode) {
		hash_del(&req->hnode);
		list_add_tail(&req->list, &dead);
	}
	list_for_each_entry(req, &dead, list)
		req->state = JFS_REQ_DONE;
	spin_unlock(&ch->lock);

	list_for_each_entry_safe(req, tmp, &dead, list) {
		list_del_init(&req->list);
		jfsk_req_end(req, -ENOTCONN);
	}
}

static int jfsk_dev_release(struct inode *inode, struct file *file)
{
	struct jfsk_chan *ch = &jfsk_chan;

	jfsk_chan_abort();
	spin_lock(&ch->lock);
	ch->open = false;
	spin_unlock(&ch->lock);
	wake_up_all(&ch->waitq);
	return 0;
}

static struct jfsk_req *jfsk_chan_take(size_t count, int *err)
{
	struct jfsk_chan *ch = &jfsk_chan;
	struct jfsk_req *req;

	spin_lock(&ch->lock);
	if (!ch->attached) {
		spin_unlock(&ch->lock);
		*err = -EPROTO;
		return NULL;
	}
	req = list_first_entry_or_null(&ch->pending, struct jfsk_req, list);
	if (req && req->in_len > count) {
		/* jfsd's buffer is below JFS_MSG_MAX: fail this request, not all */
		list_del_init(&req->list);
		req->state = JFS_REQ_DONE;
		spin_unlock(&ch->lock);
		jfsk_req_end(req, -EIO);
		*err = -EINVAL;
		return NULL;
	}
	if (req) {
		list_del_init(&req->list);
		req->state = JFS_REQ_SENT;
		hash_add(ch->sent, &req->hnode, req->unique);
		refcount_inc(&req->ref);	/* held while we copy */
	}
	spin_unlock(&ch->lock);
	*err = 0;
	return req;
}

/* Removes a sent request from the table; NULL if it is no longer there. */
static struct jfsk_req *jfsk_chan_claim(u64 unique)
{
	struct jfsk_chan *ch = &jfsk_chan;
	struct jfsk_req *req;

	spin_lock(&ch->lock);
	hash_for_each_possible(ch->sent, req, hnode, unique) {
		if (req->unique == unique && req->state == JFS_REQ_SENT) {
			hash_del(&req->hnode);
			req->state = JFS_REQ_DONE;
			spin_unlock(&ch->lock);
			return req;
		}
	}
	spin_unlock(&ch->lock);
	return NULL;
}

static ssize_t jfsk_dev_read(struct file *file, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct jfsk_chan *ch = &jfsk_chan;
	struct jfsk_req *req;
	int err;

	for (;;) {
		req = jfsk_chan_take(count, &err);
		if (req || err)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(ch->waitq,
					       !list_empty(&ch->pending) ||
					       !READ_ONCE(ch->attached));
		if (err)
			return err;
	}
	if (err)
		return err;

	if (copy_to_user(buf, req->in, req->in_len)) {
		struct jfsk_req *claimed = jfsk_chan_claim(req->unique);

		if (claimed)
			jfsk_req_end(claimed, -EIO);
		jfsk_req_put(req);
		return -EFAULT;
	}
	err = req->in_len;
	jfsk_req_put(req);
	return err;
}

/* A reply must echo the opcode, carry a sane errno and fit its buffer. */
static int jfsk_reply_check(const struct jfs_out_hdr *oh, struct jfsk_req *req,
			    size_t payload)
{
	if (oh->opcode != req->opcode)
		return -EIO;
	/* the kernel's own codes (-ERESTARTSYS ... -EIOCBQUEUED) too, as fuse */
	if (oh->error > 0 || oh->error <= -ERESTARTSYS)
		return -EIO;
	/* only a failed MOUNT may explain itself (text for the kernel log) */
	if (oh->error && payload && req->opcode != JFS_OP_MOUNT)
		return -EIO;
	if (payload > req->out_max)
		return -EIO;
	return 0;
}

static ssize_t jfsk_dev_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct jfs_out_hdr oh;
	struct jfsk_req *req;
	size_t payload;
	int ret;

	if (!jfsk_dev_attached())
		return -EPROTO;
	if (count < sizeof(oh) || count > JFS_MSG_MAX)
		return -EINVAL;
	if (copy_from_user(&oh, buf, sizeof(oh)))
		return -EFAULT;
	if (oh.len != count)
		return -EINVAL;
	/* unique 0 is never a request's: a notification (notify.c) */
	if (!oh.unique) {
		if (oh.error)
			return -EINVAL;
		ret = jfsk_notify(oh.opcode, buf + sizeof(oh), count - sizeof(oh));
		return ret ? ret : count;
	}

	req = jfsk_chan_claim(oh.unique);
	if (!req)
		return -ENOENT;	/* unknown id, or its caller gave up */

	payload = count - sizeof(oh);
	ret = jfsk_reply_check(&oh, req, payload);
	if (ret) {
		pr_warn_ratelimited("bad reply to op %u (unique %llu): opcode %u error %d len %zu\n",
				    req->opcode, req->unique, oh.opcode,
				    oh.error, count);
		jfsk_req_end(req, -EIO);
		return -EINVAL;
	}
	if (payload && copy_from_user(req->out, buf + sizeof(oh), payload)) {
		jfsk_req_end(req, -EIO);
		return -EFAULT;
	}
	req->out_len = payload;
	req->error = oh.error;
	req->engine_cmds = oh.engine_cmds;
	req->engine_rtts = oh.engine_rtts;
	jfsk_req_end(req, 0);
	return count;
}

static __poll_t jfsk_dev_poll(struct file *file, poll_table *wait)
{
	struct jfsk_chan *ch = &jfsk_chan;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &ch->waitq, wait);
	spin_lock(&ch->lock);
	if (!list_empty(&ch->pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&ch->lock);
	return mask;
}

static long jfsk_dev_handshake(void __user *arg)
{
	struct jfsk_chan *ch = &jfsk_chan;
	struct jfs_handshake hs;
	u32 minor;

	if (copy_from_user(&hs, arg, sizeof(hs)))
		return -EFAULT;
	if (hs.major != JFS_PROTO_MAJOR) {
		pr_err("jfsd speaks protocol %u.%u, this module %u.%u: install matching versions\n",
		       hs.major, hs.minor, JFS_PROTO_MAJOR, JFS_PROTO_MINOR);
		return -EPROTO;
	}
	minor = hs.minor;
	hs.major = JFS_PROTO_MAJOR;
	hs.minor = JFS_PROTO_MINOR;
	hs.msg_max = JFS_MSG_MAX;
	hs.flags = 0;
	if (copy_to_user(arg, &hs, sizeof(hs)))
		return -EFAULT;
	spin_lock(&ch->lock);
	ch->minor = minor;
	ch->attached = true;
	spin_unlock(&ch->lock);
	return 0;
}

static long jfsk_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case JFS_IOC_HANDSHAKE:
		return jfsk_dev_handshake((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations jfsk_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= jfsk_dev_open,
	.release	= jfsk_dev_release,
	.read		= jfsk_dev_read,
	.write		= jfsk_dev_write,
	.poll		= jfsk_dev_poll,
	.unlocked_ioctl	= jfsk_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice jfsk_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= JFS_DEV_NAME,
	.fops	= &jfsk_dev_fops,
	.mode	= 0600,
};

int jfsk_dev_init(void)
{
	spin_lock_init(&jfsk_chan.lock);
	INIT_LIST_HEAD(&jfsk_chan.pending);
	hash_init(jfsk_chan.sent);
	init_waitqueue_head(&jfsk_chan.waitq);
	return misc_register(&jfsk_miscdev);
}

void jfsk_dev_exit(void)
{
	misc_deregister(&jfsk_miscdev);
}
