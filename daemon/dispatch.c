/*
 * dispatch.c - worker threads and the opcode table (the wire facts of each
 * op, and its name, come from uapi/jfs_ops.h).
 *
 * Each worker reads one request, checks what the kernel sent (length,
 * opcode, argument sizes) before any handler runs, calls the handler and
 * writes exactly one reply.  Handlers return 0 or -errno and fill the
 * reply payload; nothing else writes to the channel.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "jfsd.h"
#include "util/log.h"
#include "util/opnames.h"

/* what the wire says of each op (uapi/jfs_ops.h): its fixed args, whether it writes */
static const struct {
	size_t min_args;	/* fixed argument struct the op starts with */
	bool mutates;		/* refused on read-only mounts */
} op_wire[JFS_OP_MAX] = {
#define JFS_OP(NAME, name, args, mutates_) \
	[JFS_OP_##NAME] = { .min_args = (args), .mutates = (mutates_) },
#include "uapi/jfs_ops.h"
#undef JFS_OP
};

/* the handler of each op but MOUNT and UMOUNT, which make and end a volume */
static const op_fn op_handler[JFS_OP_MAX] = {
	[JFS_OP_STATFS]	= op_statfs,
	[JFS_OP_LOOKUP]	= op_lookup,
	[JFS_OP_GETATTR] = op_getattr,
	[JFS_OP_SETATTR] = op_setattr,
	[JFS_OP_MKNOD]	= op_mknod,
	[JFS_OP_MKDIR]	= op_mknod,
	[JFS_OP_SYMLINK] = op_symlink,
	[JFS_OP_LINK]	= op_link,
	[JFS_OP_UNLINK]	= op_unlink,
	[JFS_OP_RMDIR]	= op_rmdir,
	[JFS_OP_RENAME]	= op_rename,
	[JFS_OP_READLINK] = op_readlink,
	[JFS_OP_OPEN]	= op_open,
	[JFS_OP_RELEASE] = op_release,
	[JFS_OP_OPENDIR] = op_open,
	[JFS_OP_READDIR] = op_readdir,
	[JFS_OP_RELEASEDIR] = op_release,
	[JFS_OP_READ]	= op_read,
	[JFS_OP_WRITE]	= op_write,
	[JFS_OP_FLUSH]	= op_flush,
	[JFS_OP_FSYNC]	= op_flush,
	[JFS_OP_GETXATTR] = op_getxattr,
	[JFS_OP_SETXATTR] = op_setxattr,
	[JFS_OP_LISTXATTR] = op_listxattr,
	[JFS_OP_REMOVEXATTR] = op_removexattr,
	[JFS_OP_GETLK]	= op_getlk,
	[JFS_OP_SETLK]	= op_setlk,
	[JFS_OP_FLOCK]	= op_flock,
	[JFS_OP_FALLOCATE] = op_fallocate,
	[JFS_OP_COPY_RANGE] = op_copy_range,
	[JFS_OP_CREATE]	= op_create,
};

/* MOUNT may explain a failure in its payload: the kernel logs the text. */
static int do_mount(struct jfsd *d, const struct jfs_in_hdr *in,
		    const unsigned char *args, size_t alen, struct reply *r)
{
	struct jfs_mount_in mi;
	struct jfs_mount_out *mo = reply_payload(r);
	struct meta_attr root;
	char *url, err[256] = "";
	struct vol *v;
	int ret;

	if (alen < sizeof(mi))
		return -EINVAL;
	memcpy(&mi, args, sizeof(mi));
	if (mi.url_len == 0 || mi.url_len > JFS_URL_MAX ||
	    mi.opts_len > JFS_OPTS_MAX ||
	    alen != sizeof(mi) + mi.url_len + mi.opts_len)
		return -EINVAL;
	url = strndup((const char *)args + sizeof(mi), mi.url_len);
	if (!url)
		return -ENOMEM;
	if (strlen(url) != mi.url_len) {
		free(url);
		return -EINVAL;
	}
	ret = vol_mount(d, in->mount_id, url, mi.flags & JFS_MOUNT_RDONLY,
			(const char *)args + sizeof(mi) + mi.url_len, mi.opts_len, &v,
			err, sizeof(err));
	free(url);
	if (ret) {
		size_t n = strlen(err);

		memcpy(reply_payload(r), err, n);
		r->len = n;
		return ret;
	}
	ret = meta_getattr(v->meta, META_ROOT_INO, &root);
	if (ret) {
		vol_umount(d, v);
		return ret;
	}
	memset(mo, 0, sizeof(*mo));
	attr_to_wire(META_ROOT_INO, &root, &mo->root);
	mo->sid = v->meta->sid;
	mo->block_size = v->chunk.block_size;
	mo->flags = v->setting->enable_acl ? JFS_MOUNT_ACL : 0;
	snprintf(mo->name, sizeof(mo->name), "%s", v->setting->name);
	snprintf(mo->uuid, sizeof(mo->uuid), "%s", v->setting->uuid);
	r->len = sizeof(*mo);
	vol_put(d, v);
	return 0;
}

static int do_umount(struct jfsd *d, const struct jfs_in_hdr *in)
{
	struct vol *v = vol_get(d, in->mount_id);

	if (!v)
		return -ENOENT;
	vol_umount(d, v);	/* drops our reference too */
	return 0;
}

/**
 * dispatch - serve one request
 *
 * Returns the reply's error; r->len holds the payload length.
 */
int dispatch(struct jfsd *d, const unsigned char *msg, size_t len,
	     struct reply *r)
{
	const struct jfs_in_hdr *in = (const void *)msg;
	const unsigned char *args = msg + sizeof(*in);
	size_t alen = len - sizeof(*in);
	op_fn fn;
	struct vol *v;
	int ret;

	r->len = 0;
	if (in->opcode == JFS_OP_MOUNT)
		return do_mount(d, in, args, alen, r);
	if (in->opcode == JFS_OP_UMOUNT)
		return do_umount(d, in);
	fn = in->opcode < JFS_OP_MAX ? op_handler[in->opcode] : NULL;
	if (!fn)
		return -ENOSYS;
	if (alen < op_wire[in->opcode].min_args)
		return -EINVAL;
	v = vol_get(d, in->mount_id);
	if (!v)
		return -ENOTCONN;	/* jfsd restarted under this mount */
	if (op_wire[in->opcode].mutates && v->rdonly)
		ret = -EROFS;
	else
		ret = fn(v, in, args, alen, r);
	if (ret && ret != -ENOENT && ret != -EEXIST && ret != -ENOTEMPTY &&
	    ret != -ENODATA)
		log_debug("%s ino %llu: %s", jfs_opname(in->opcode),
			  (unsigned long long)in->ino, strerror(-ret));
	vol_put(d, v);
	return ret;
}

static void serve_one(struct jfsd *d, const unsigned char *buf, size_t n,
		      unsigned char *rbuf)
{
	const struct jfs_in_hdr *in = (const void *)buf;
	struct jfs_out_hdr *out = (void *)rbuf;
	struct reply r = {
		.buf = rbuf,
		.max = JFS_MSG_MAX - sizeof(*out),
	};
	struct meta_io io;
	int err, ret;

	if (n < sizeof(*in) || in->len != n) {
		log_warn("dropping malformed request of %zu bytes", n);
		return;
	}
	jfs_clearerr();		/* what a failure logs is this request's */
	meta_io_take(&io);	/* what this worker did before is not this op's */
	err = dispatch(d, buf, n, &r);
	meta_io_take(&io);
	if (err && in->opcode != JFS_OP_MOUNT)
		r.len = 0;
	memset(out, 0, sizeof(*out));
	out->len = sizeof(*out) + r.len;
	out->error = err;
	out->unique = in->unique;
	out->opcode = in->opcode;
	out->engine_cmds = io.cmds > UINT16_MAX ? UINT16_MAX : io.cmds;
	out->engine_rtts = io.rtts > UINT16_MAX ? UINT16_MAX : io.rtts;
	ret = d->chan.ops->send(d->chan.ctx, rbuf, out->len);
	/* -ENOENT: the caller was killed and the kernel forgot the request */
	if (ret && ret != -ENOENT)
		log_warn("reply to op %u failed: %s", in->opcode, strerror(-ret));
}

void *worker_main(void *arg)
{
	struct jfsd *d = arg;
	unsigned char *buf = malloc(JFS_MSG_MAX);
	unsigned char *rbuf = malloc(JFS_MSG_MAX);
	int n;

	if (!buf || !rbuf) {
		log_error("worker: out of memory");
		goto out;
	}
	while (!atomic_load(&d->stop)) {
		n = d->chan.ops->recv(d->chan.ctx, buf, JFS_MSG_MAX);
		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n < 0) {
			/*
			 * The channel is broken: stop the whole daemon rather
			 * than hold /dev/jfs with nobody serving it.
			 */
			if (!atomic_load(&d->stop)) {
				log_error("reading requests failed: %s; stopping",
					  strerror(-n));
				kill(getpid(), SIGTERM);
			}
			break;
		}
		serve_one(d, buf, n, rbuf);
	}
out:
	free(buf);
	free(rbuf);
	return NULL;
}
