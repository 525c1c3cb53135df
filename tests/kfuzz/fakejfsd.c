/*
 * fakejfsd - a deliberately broken helper, to prove the kernel module
 * never trusts jfsd's replies.
 *
 * It attaches to /dev/jfs like jfsd, answers MOUNT with a valid root (so
 * a mount succeeds) unless the mode breaks MOUNT itself, and answers the
 * one op named by the mode with a malformed reply.  Everything else gets
 * a plausible answer.  The test then checks that the syscall failed with
 * EIO (or the like) and that dmesg stays clean.
 *
 * usage: fakejfsd MODE     (runs until killed; prints "ready" when attached)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uapi/jfs.h"

static const char *mode;
static int fd;

static void fill_attr(struct jfs_attr *a, __u64 ino, __u32 mode_bits)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode_bits;
	a->nlink = S_ISDIR(mode_bits) ? 2 : 1;
	a->size = S_ISDIR(mode_bits) ? 4096 : 10;
	a->atime = a->mtime = a->ctime = 1700000000;
}

/* Sends a reply; returns write()'s errno (0 if accepted). */
static int send_raw(const struct jfs_in_hdr *in, int error, __u16 opcode,
		    const void *payload, size_t len, long len_delta)
{
	static unsigned char buf[JFS_MSG_MAX];
	struct jfs_out_hdr *oh = (void *)buf;

	memset(oh, 0, sizeof(*oh));
	oh->len = sizeof(*oh) + len + len_delta;
	oh->error = error;
	oh->unique = in->unique;
	oh->opcode = opcode;
	memcpy(buf + sizeof(*oh), payload, len);
	if (write(fd, buf, sizeof(*oh) + len) < 0)
		return errno;
	return 0;
}

static int reply(const struct jfs_in_hdr *in, int error, const void *p,
		 size_t len)
{
	return send_raw(in, error, in->opcode, p, len, 0);
}

static int is(const char *m)
{
	return strcmp(mode, m) == 0;
}

static void serve_mount(const struct jfs_in_hdr *in)
{
	struct jfs_mount_out mo;

	memset(&mo, 0, sizeof(mo));
	fill_attr(&mo.root, 1, S_IFDIR | 0755);
	mo.block_size = 4 << 20;
	strcpy(mo.name, "fake");
	strcpy(mo.uuid, "00000000-0000-0000-0000-000000000000");
	if (is("mount-wrong-opcode")) {
		send_raw(in, 0, JFS_OP_GETATTR, &mo, sizeof(mo), 0);
	} else if (is("mount-short")) {
		reply(in, 0, &mo, sizeof(mo) - 8);
	} else if (is("mount-long")) {
		static unsigned char big[8192];

		memcpy(big, &mo, sizeof(mo));
		reply(in, 0, big, sizeof(big));
	} else if (is("mount-positive-errno")) {
		reply(in, 5, NULL, 0);
	} else if (is("mount-huge-errno")) {
		reply(in, -100000, NULL, 0);
	} else if (is("mount-root-ino")) {
		mo.root.ino = 7;
		reply(in, 0, &mo, sizeof(mo));
	} else if (is("mount-root-mode")) {
		mo.root.mode = 0170000 | 0755;
		reply(in, 0, &mo, sizeof(mo));
	} else if (is("mount-block-size")) {
		mo.block_size = 3000;
		reply(in, 0, &mo, sizeof(mo));
	} else if (is("mount-bad-len-field")) {
		/* header len disagrees with the write size: rejected, then a
		 * valid reply must still be accepted */
		if (send_raw(in, 0, in->opcode, &mo, sizeof(mo), 4) != EINVAL)
			fprintf(stderr, "fakejfsd: bad len accepted\n");
		if (send_raw(in, 0, in->opcode, &mo, sizeof(mo), 0))
			fprintf(stderr, "fakejfsd: good reply refused\n");
	} else if (is("mount-unknown-unique")) {
		struct jfs_in_hdr other = *in;

		other.unique += 1000;
		if (reply(&other, 0, &mo, sizeof(mo)) != ENOENT)
			fprintf(stderr, "fakejfsd: unknown unique accepted\n");
		reply(in, -ENOENT, "no such volume", 14);
	} else {
		reply(in, 0, &mo, sizeof(mo));
	}
}

static void serve_lookup(const struct jfs_in_hdr *in)
{
	struct jfs_attr a;

	fill_attr(&a, 100, S_IFREG | 0644);
	if (is("lookup-kernel-errno"))	/* -ERESTARTSYS: never for applications */
		return (void)reply(in, -512, NULL, 0);
	if (is("lookup-bad-mode"))
		a.mode = 0;
	else if (is("lookup-zero-ino"))
		a.ino = 0;
	else if (is("lookup-bad-nsec"))
		a.mtimensec = 2000000000;
	else if (is("lookup-huge-size"))
		a.size = ~0ULL;
	else if (is("lookup-short"))
		return (void)reply(in, 0, &a, sizeof(a) - 1);
	reply(in, 0, &a, sizeof(a));
}

static void put_dirent(unsigned char *p, size_t *pos, const char *name,
		       size_t namelen, __u64 ino, __u64 off)
{
	struct jfs_dirent de;

	memset(&de, 0, sizeof(de));
	fill_attr(&de.attr, ino, S_IFREG | 0644);
	de.offset = off;
	de.namelen = namelen;
	de.type = 8;
	memset(p + *pos, 0, JFS_DIRENT_SIZE(namelen));
	memcpy(p + *pos, &de, sizeof(de));
	memcpy(p + *pos + sizeof(de), name, namelen);
	*pos += JFS_DIRENT_SIZE(namelen);
}

static void serve_readdir(const struct jfs_in_hdr *in)
{
	const struct jfs_readdir_in *ri = (const void *)(in + 1);
	static unsigned char p[JFS_READDIR_MAX + 64];
	size_t pos = 0;

	if (ri->offset)
		return (void)reply(in, 0, NULL, 0);
	if (is("readdir-slash"))
		put_dirent(p, &pos, "a/b", 3, 200, 1);
	else if (is("readdir-zero-namelen"))
		put_dirent(p, &pos, "", 0, 200, 1);
	else if (is("readdir-offset-backwards")) {
		put_dirent(p, &pos, "a", 1, 200, 2);
		put_dirent(p, &pos, "b", 1, 201, 1);
	} else if (is("readdir-truncated")) {
		put_dirent(p, &pos, "abc", 3, 200, 1);
		pos -= 4;
	} else if (is("readdir-oversize")) {
		return (void)reply(in, 0, p, sizeof(p));
	} else {
		put_dirent(p, &pos, "ok", 2, 200, 1);
	}
	reply(in, 0, p, pos);
}

static void serve_read(const struct jfs_in_hdr *in)
{
	const struct jfs_io_in *io = (const void *)(in + 1);
	static unsigned char data[JFS_IO_MAX + 4096];

	memset(data, 'x', sizeof(data));
	if (is("read-too-long"))
		return (void)reply(in, 0, data, io->size + 1);
	reply(in, 0, data, io->size < 10 ? io->size : 10);
}

/* GETXATTR: absent unless the mode lies about the value */
static void serve_getxattr(const struct jfs_in_hdr *in)
{
	const struct jfs_xattr_in *xi = (const void *)(in + 1);
	unsigned char p[64];
	struct jfs_xattr_out xo = { .size = 5 };

	memset(p, 'v', sizeof(p));
	if (is("getxattr-size-lies")) {
		/* claims 5 bytes, sends 3 (or sends some when none were asked) */
		memcpy(p, &xo, sizeof(xo));
		return (void)reply(in, 0, p, sizeof(xo) + 3);
	}
	if (is("getxattr-too-big")) {
		xo.size = JFS_XATTR_SIZE_MAX + 1;
		memcpy(p, &xo, sizeof(xo));
		return (void)reply(in, 0, p, sizeof(xo) + (xi->size ? 8 : 0));
	}
	reply(in, -ENODATA, NULL, 0);
}

/* LISTXATTR: no names unless the mode sends a bad list */
static void serve_listxattr(const struct jfs_in_hdr *in)
{
	const struct jfs_xattr_in *xi = (const void *)(in + 1);
	unsigned char p[64];
	struct jfs_xattr_out xo = { 0 };
	const char *names = NULL;
	size_t n = 0;

	if (is("listxattr-no-nul")) {
		names = "user.a";
		n = 6;
	} else if (is("listxattr-bad-prefix")) {
		names = "system.x";
		n = 9;
	}
	xo.size = n;
	memcpy(p, &xo, sizeof(xo));
	if (xi->size && n)
		memcpy(p + sizeof(xo), names, n);
	reply(in, 0, p, sizeof(xo) + (xi->size ? n : 0));
}

/* GETLK: no conflict, unless the mode sends a malformed answer */
static void serve_getlk(const struct jfs_in_hdr *in)
{
	struct jfs_lock_out lo = { .type = F_UNLCK };

	if (is("getlk-bad-type"))
		lo.type = 7;
	if (is("getlk-bad-range")) {
		lo.type = F_WRLCK;
		lo.start = 10;
		lo.end = 5;
	}
	reply(in, 0, &lo, is("getlk-short") ? sizeof(lo) - 4 : sizeof(lo));
}

/*
 * CREATE: a new file opened, unless the mode sends a handle for a
 * directory, a short reply or a handle with a bad attribute
 */
static void serve_create(const struct jfs_in_hdr *in)
{
	struct jfs_open_out oo = { .fh = 1 };

	fill_attr(&oo.attr, 7, S_IFREG | 0644);
	if (is("create-dir-handle"))
		oo.attr.mode = S_IFDIR | 0755;
	if (is("create-zero-ino"))
		oo.attr.ino = 0;
	reply(in, 0, &oo, is("create-short") ? sizeof(oo) - 8 : sizeof(oo));
}

/* Writes one notification; complains unless write() gives errno want. */
static void notify_raw(__u16 code, __s32 error, const void *p, size_t len, int want)
{
	static unsigned char buf[4096];
	struct jfs_out_hdr *oh = (void *)buf;
	int got = 0;

	memset(oh, 0, sizeof(*oh));
	oh->len = sizeof(*oh) + len;
	oh->error = error;
	oh->opcode = code;
	memcpy(buf + sizeof(*oh), p, len);
	if (write(fd, buf, sizeof(*oh) + len) < 0)
		got = errno;
	if (got != want)
		fprintf(stderr, "fakejfsd: notification (code %u, %zu bytes) gave errno %d, not %d\n",
			code, len, got, want);
}

/* "notify": good, stray and malformed notifications before a STATFS reply */
static void send_notifications(const struct jfs_in_hdr *in)
{
	struct jfs_notify_inval n[2] = {
		{ .mount_id = in->mount_id, .ino = 1, .what = JFS_INVAL_ATTR },
		{ .mount_id = in->mount_id, .ino = 100, .what = JFS_INVAL_ENTRIES },
	};
	struct jfs_notify_inval b = n[0];

	notify_raw(JFS_NOTIFY_INVAL, 0, n, sizeof(n), 0);
	b.what = JFS_INVAL_ALL, b.ino = 0;
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), 0);
	b = n[0], b.mount_id += 1000;	/* no such mount: skipped */
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), 0);
	b = n[0], b.what = 0;
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), EINVAL);
	b = n[0], b.what = 1U << 7;
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), EINVAL);
	b = n[0], b.what = JFS_INVAL_ALL;	/* ALL names no inode */
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), EINVAL);
	b = n[0], b.ino = 0;
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), EINVAL);
	b = n[0], b.padding = 1;
	notify_raw(JFS_NOTIFY_INVAL, 0, &b, sizeof(b), EINVAL);
	notify_raw(JFS_NOTIFY_INVAL, 0, &n, sizeof(n[0]) + 3, EINVAL);
	notify_raw(JFS_NOTIFY_INVAL, 0, NULL, 0, EINVAL);
	notify_raw(99, 0, &n, sizeof(n[0]), EINVAL);
	notify_raw(JFS_NOTIFY_INVAL, -EIO, &n, sizeof(n[0]), EINVAL);
	n[1].what = 1U << 9;	/* one bad record refuses the message */
	notify_raw(JFS_NOTIFY_INVAL, 0, &n, sizeof(n), EINVAL);
}

static void serve(const struct jfs_in_hdr *in)
{
	struct jfs_open_out oo;
	struct jfs_attr a;

	switch (in->opcode) {
	case JFS_OP_MOUNT:
		return serve_mount(in);
	case JFS_OP_LOOKUP:
		return serve_lookup(in);
	case JFS_OP_READDIR:
		return serve_readdir(in);
	case JFS_OP_READ:
		return serve_read(in);
	case JFS_OP_GETXATTR:
		return serve_getxattr(in);
	case JFS_OP_LISTXATTR:
		return serve_listxattr(in);
	case JFS_OP_GETLK:
		return serve_getlk(in);
	case JFS_OP_CREATE:
		return serve_create(in);
	case JFS_OP_GETATTR:
		fill_attr(&a, in->ino, in->ino == 1 ? S_IFDIR | 0755 :
			  S_IFREG | 0644);
		if (is("getattr-wrong-ino") && in->ino != 1)
			a.ino = in->ino + 1;
		return (void)reply(in, 0, &a, sizeof(a));
	case JFS_OP_OPEN:
	case JFS_OP_OPENDIR:
		memset(&oo, 0, sizeof(oo));
		oo.fh = 1;
		fill_attr(&oo.attr, in->ino, in->opcode == JFS_OP_OPENDIR ?
			  S_IFDIR | 0755 : S_IFREG | 0644);
		if (is("open-type-change") && in->opcode == JFS_OP_OPEN)
			oo.attr.mode = S_IFDIR | 0755;
		return (void)reply(in, 0, &oo, sizeof(oo));
	case JFS_OP_STATFS: {
		struct jfs_statfs_out so = { .blocks = 10, .bfree = 20,
					     .bsize = 4096 };

		if (!is("statfs-bfree"))
			so.bfree = 5;
		if (is("notify"))
			send_notifications(in);
		return (void)reply(in, 0, &so, sizeof(so));
	}
	default:
		reply(in, 0, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	static unsigned char buf[JFS_MSG_MAX];
	struct jfs_handshake hs = {
		.major = JFS_PROTO_MAJOR,
		.minor = JFS_PROTO_MINOR,
	};
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: fakejfsd MODE\n");
		return 2;
	}
	mode = argv[1];
	if (is("handshake-major"))
		hs.major = JFS_PROTO_MAJOR + 1;
	if (is("old-minor"))	/* a jfsd from before the xattr ops */
		hs.minor = 0;
	fd = open("/dev/jfs", O_RDWR);
	if (fd >= 0 && is("handshake-major"))
		return ioctl(fd, JFS_IOC_HANDSHAKE, &hs) == -1 &&
		       errno == EPROTO ? 0 : 1;
	if (fd < 0 || ioctl(fd, JFS_IOC_HANDSHAKE, &hs)) {
		perror("fakejfsd: /dev/jfs");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(struct jfs_in_hdr))
			return n < 0 ? 1 : 0;
		serve((const struct jfs_in_hdr *)buf);
	}
}
