/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * jfs kernel <-> jfsd protocol.
 *
 * This is the one definition of the wire format between the kernel module
 * and the userspace helper; both sides include it and nothing here is
 * defined twice.  All structs are fixed-size, naturally aligned to 8 bytes
 * and little-endian (host order on every platform we build for); there
 * are no pointers, enums or bools in them.
 *
 * Hot path: /dev/jfs.  jfsd read()s one request at a time (header +
 * op arguments) and write()s exactly one reply per request, matched by
 * `unique`.  Control path: the generic netlink family JFS_GENL_NAME.
 */
#ifndef _UAPI_JFS_H
#define _UAPI_JFS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define JFS_PROTO_MAJOR		1
#define JFS_PROTO_MINOR		6
/* the minors that added ops: those are not sent to an older jfsd */
#define JFS_PROTO_MINOR_XATTR	1
#define JFS_PROTO_MINOR_LOCK	2
#define JFS_PROTO_MINOR_FALLOC	3
#define JFS_PROTO_MINOR_CHATTR	4	/* SETATTR's JFS_SET_FLAGS */
#define JFS_PROTO_MINOR_CREATE	5
#define JFS_PROTO_MINOR_NOTIFY	6	/* jfsd -> kernel notifications */

#define JFS_DEV_NAME		"jfs"		/* /dev/jfs */
#define JFS_GENL_NAME		"jfs"
#define JFS_GENL_VERSION	1

#define JFS_NAME_MAX		255
#define JFS_SYMLINK_MAX		4096
#define JFS_URL_MAX		4096
#define JFS_OPTS_MAX		4096
/* Largest data payload of one READ/WRITE: one default JuiceFS block. */
#define JFS_IO_MAX		(4U << 20)
/* Largest READDIR reply payload. */
#define JFS_READDIR_MAX		(64U << 10)
/* Every message fits in this; jfsd's read buffer must be at least this. */
#define JFS_MSG_MAX		(JFS_IO_MAX + 8192)

/* Versioned handshake: jfsd must do this before read() returns requests. */
struct jfs_handshake {
	__u32	major;		/* in: JFS_PROTO_MAJOR of jfsd; out: kernel's */
	__u32	minor;		/* in: jfsd's minor; out: kernel's */
	__u32	msg_max;	/* out: JFS_MSG_MAX of the kernel */
	__u32	flags;		/* reserved, 0 */
};

#define JFS_IOC_MAGIC		0xb7
#define JFS_IOC_HANDSHAKE	_IOWR(JFS_IOC_MAGIC, 1, struct jfs_handshake)

/* The opcodes: uapi/jfs_ops.h lists them, with what the wire says of each. */
enum {
	JFS_OP_NONE,		/* 0 is never an opcode */
#define JFS_OP(NAME, name, args, mutates)	JFS_OP_##NAME,
#include "jfs_ops.h"
#undef JFS_OP
	JFS_OP_MAX
};

/* kernel -> jfsd: every request starts with this */
struct jfs_in_hdr {
	__u32	len;		/* whole message, header included */
	__u16	opcode;
	__u16	flags;
	__u64	unique;		/* request id, echoed in the reply */
	__u64	mount_id;	/* which mount (kernel-assigned, never reused) */
	__u64	ino;		/* inode the op applies to (parent for names) */
	__u32	uid;		/* caller's fsuid/fsgid/tgid, for ownership */
	__u32	gid;
	__u32	pid;
	__u32	padding;
};

/* jfsd -> kernel: every reply starts with this */
struct jfs_out_hdr {
	__u32	len;		/* whole message, header included */
	__s32	error;		/* 0 or -errno */
	__u64	unique;
	__u16	opcode;		/* echo of the request's opcode */
	/* what the op cost in the metadata engine (saturating; 0 before 1.5) */
	__u16	engine_cmds;	/* commands or statements */
	__u16	engine_rtts;	/* round trips */
	__u16	padding;
};

/*
 * jfsd -> kernel, unasked: a jfs_out_hdr with unique 0, error 0 and
 * opcode JFS_NOTIFY_*, then the payload.  Sent only for a mount whose
 * options asked for it (active-invalidation), so a kernel that predates
 * a notification never gets one.
 *
 * JFS_NOTIFY_INVAL: an array of jfs_notify_inval, each telling one mount
 * that another client (or this one: the engine cannot tell) changed an
 * inode's attributes or a directory's entries, or that changes may have
 * been missed (JFS_INVAL_ALL: drop every cached attribute and dentry).
 */
#define JFS_NOTIFY_INVAL	1

#define JFS_INVAL_ATTR		(1U << 0)	/* the inode's attributes */
#define JFS_INVAL_ENTRIES	(1U << 1)	/* a directory's names */
#define JFS_INVAL_ALL		(1U << 2)	/* everything; ino is 0 */

struct jfs_notify_inval {
	__u64	mount_id;
	__u64	ino;
	__u32	what;		/* JFS_INVAL_* */
	__u32	padding;
};

/* Inode attributes as the kernel sees them. mode carries S_IFMT. */
struct jfs_attr {
	__u64	ino;
	__u64	size;
	__s64	atime;
	__s64	mtime;
	__s64	ctime;
	__u32	atimensec;
	__u32	mtimensec;
	__u32	ctimensec;
	__u32	mode;
	__u32	nlink;
	__u32	uid;
	__u32	gid;
	__u32	rdev;		/* new_encode_dev() form, as JuiceFS stores it */
	__u32	flags;		/* JuiceFS attr flags (immutable, append...) */
	__u32	hints;		/* JFS_ATTR_*: what jfsd knows besides */
};

/*
 * The inode had no extended attributes when jfsd read these attributes:
 * for as long as the attributes are trusted the kernel answers getxattr
 * and listxattr itself ('ls -l' asks for security.selinux on every
 * entry).  0 = unknown, what a jfsd that predates the hint sends.
 */
#define JFS_ATTR_NOXATTR	(1U << 0)

/*
 * JFS_OP_MOUNT: args = jfs_mount_in, url bytes, option bytes (no NULs:
 * the mount options jfsd acts on, "key=value,...", e.g. backup-meta=1h).  A failed MOUNT
 * may carry a one-line reason as its payload, which the kernel logs.
 */
#define JFS_MOUNT_RDONLY	(1U << 0)	/* jfs_mount_in.flags */
#define JFS_MOUNT_ACL		(1U << 0)	/* jfs_mount_out.flags: POSIX ACLs on */

struct jfs_mount_in {
	__u32	flags;
	__u32	url_len;
	__u32	opts_len;
	__u32	padding;
};

struct jfs_mount_out {
	struct jfs_attr	root;
	__u64	sid;		/* session id in the metadata engine */
	__u32	block_size;	/* bytes */
	__u32	flags;		/* JFS_MOUNT_ACL */
	char	name[64];	/* volume name, NUL-terminated */
	char	uuid[40];	/* volume UUID, NUL-terminated */
};

struct jfs_statfs_out {
	__u64	blocks;		/* in units of bsize */
	__u64	bfree;
	__u64	bavail;
	__u64	files;
	__u64	ffree;
	__u32	bsize;
	__u32	namelen;
};

/* LOOKUP, UNLINK, RMDIR: args = jfs_name_in + name */
struct jfs_name_in {
	__u32	namelen;
	__u32	padding;
};

/* SETATTR */
#define JFS_SET_MODE		(1U << 0)
#define JFS_SET_UID		(1U << 1)
#define JFS_SET_GID		(1U << 2)
#define JFS_SET_SIZE		(1U << 3)
#define JFS_SET_ATIME		(1U << 4)
#define JFS_SET_MTIME		(1U << 5)
#define JFS_SET_ATIME_NOW	(1U << 6)
#define JFS_SET_MTIME_NOW	(1U << 7)
#define JFS_SET_FLAGS		(1U << 8)	/* chattr: flags replace the JFS_FL_CHATTR bits */
#define JFS_SET_ALL		0x1ffU

/*
 * The attr flags chattr sets, in JuiceFS's bits (jfs_attr.flags carries
 * these and the Windows bits a Samba or Windows client may have set).
 */
#define JFS_FL_IMMUTABLE	0x01		/* chattr +i */
#define JFS_FL_APPEND		0x02		/* chattr +a */
#define JFS_FL_SKIP_TRASH	0x20		/* chattr +s: deletes skip .trash */
#define JFS_FL_CHATTR		(JFS_FL_IMMUTABLE | JFS_FL_APPEND | JFS_FL_SKIP_TRASH)

struct jfs_setattr_in {
	__u32	valid;
	__u32	mode;
	__u32	uid;
	__u32	gid;
	__u64	size;
	__s64	atime;
	__s64	mtime;
	__s64	ctime;
	__u32	atimensec;
	__u32	mtimensec;
	__u32	ctimensec;
	__u32	flags;		/* JFS_SET_FLAGS: JFS_FL_CHATTR bits */
};

/* MKNOD, MKDIR: args = jfs_create_in + name; reply = jfs_attr */
struct jfs_create_in {
	__u32	mode;		/* S_IFMT | permission bits */
	__u32	rdev;
	__u32	namelen;
	__u32	umask;		/* JFS_MOUNT_ACL: jfsd applies it; else 0 */
};

/* SYMLINK: args = jfs_symlink_in + name + target; reply = jfs_attr */
struct jfs_symlink_in {
	__u32	namelen;
	__u32	targetlen;
};

/* LINK: hdr.ino = existing inode; args = jfs_link_in + name */
struct jfs_link_in {
	__u64	newparent;
	__u32	namelen;
	__u32	padding;
};

/* RENAME: hdr.ino = old parent; args = jfs_rename_in + oldname + newname */
#define JFS_RENAME_NOREPLACE	(1U << 0)
#define JFS_RENAME_EXCHANGE	(1U << 1)

struct jfs_rename_in {
	__u64	newparent;
	__u32	flags;
	__u16	oldlen;
	__u16	newlen;
};

/* OPEN, OPENDIR: reply = jfs_open_out (fresh attributes: close-to-open) */
struct jfs_open_in {
	__u32	flags;		/* O_ACCMODE | O_TRUNC | O_APPEND ... */
	__u32	padding;
};

struct jfs_open_out {
	__u64	fh;
	struct jfs_attr	attr;
};

/*
 * CREATE: open(O_CREAT) of a name the kernel has not looked up, in one
 * round trip instead of LOOKUP, MKNOD and OPEN.  args = jfs_create_open_in
 * + name; reply = jfs_open_out.  A new regular file is made and opened.
 * If the name exists and flags lack O_EXCL nothing changes: the reply has
 * fh 0 and the existing entry's attributes, as LOOKUP would answer.
 */
struct jfs_create_open_in {
	struct jfs_create_in	create;	/* mode: S_IFREG | permission bits */
	__u32	flags;		/* open(2) flags */
	__u32	padding;
};

/* RELEASE, RELEASEDIR, FLUSH, FSYNC */
#define JFS_FSYNC_DATASYNC	(1U << 0)

struct jfs_fh_in {
	__u64	fh;
	__u32	flags;
	__u32	padding;
};

/*
 * READDIR: args = jfs_readdir_in; reply = packed jfs_dirent records, each
 * followed by its name padded to 8 bytes (JFS_DIRENT_SIZE).  `offset` is
 * the cookie to resume after this entry.  "." and ".." are not sent.
 */
struct jfs_readdir_in {
	__u64	fh;
	__u64	offset;
	__u32	size;		/* max reply payload */
	__u32	padding;
};

struct jfs_dirent {
	struct jfs_attr	attr;	/* attr.ino is the entry's inode */
	__u64	offset;
	__u32	namelen;
	__u32	type;		/* DT_* */
};

#define JFS_ALIGN8(x)		(((x) + 7) & ~(__u64)7)
#define JFS_DIRENT_SIZE(namelen) \
	JFS_ALIGN8(sizeof(struct jfs_dirent) + (namelen))

/* READ: args = jfs_io_in; reply = data (shorter than size only at EOF) */
/* WRITE: args = jfs_io_in + data; reply = jfs_write_out */
struct jfs_io_in {
	__u64	fh;
	__u64	offset;
	__u32	size;
	__u32	flags;
};

struct jfs_write_out {
	__u32	written;
	__u32	padding;
	struct jfs_attr	attr;
};

/*
 * Extended attributes: hdr.ino = the inode; args = jfs_xattr_in, then the
 * name (namelen bytes: 1..JFS_XATTR_NAME_MAX, no NUL, the full name with
 * its "user."/"trusted."/"security." prefix), then for SETXATTR the value.
 *
 * GETXATTR: size = room for the value (0: just tell its length); reply =
 *	jfs_xattr_out (the value's length), then the value unless size is 0.
 *	-ENODATA when absent, -ERANGE when longer than a non-zero size.
 * SETXATTR: size = value bytes (<= JFS_XATTR_SIZE_MAX), flags =
 *	JFS_XATTR_CREATE (-EEXIST if present) or JFS_XATTR_REPLACE (-ENODATA
 *	if absent) or 0; reply empty.
 * REMOVEXATTR: size 0, flags 0; reply empty; -ENODATA when absent.
 * LISTXATTR: namelen 0, size = room for the list (0: just tell its
 *	length), flags = JFS_LISTXATTR_TRUSTED to include "trusted." names;
 *	reply = jfs_xattr_out (the list's length), then unless size is 0 the
 *	names, each NUL-terminated.  Only the three prefixes above are
 *	listed.  -ERANGE when longer than a non-zero size.
 *
 * POSIX ACLs (mounts with JFS_MOUNT_ACL) travel as the xattrs
 * "system.posix_acl_access" and "system.posix_acl_default" in the kernel's
 * xattr form (version 2, little-endian entries); jfsd keeps them as
 * JuiceFS's ACL rules.  SETXATTR of an access ACL may carry
 * JFS_XATTR_KILL_SGID: the caller is not in the file's group (nor
 * CAP_FSETID), so S_ISGID goes, as posix_acl_update_mode() would do.
 * LISTXATTR lists them too when the inode has them.
 */
#define JFS_XATTR_NAME_MAX	255		/* XATTR_NAME_MAX */
#define JFS_XATTR_SIZE_MAX	(64U << 10)	/* XATTR_SIZE_MAX: one value */
#define JFS_XATTR_LIST_MAX	(64U << 10)	/* XATTR_LIST_MAX: all names */

#define JFS_XATTR_CREATE	(1U << 0)	/* SETXATTR */
#define JFS_XATTR_REPLACE	(1U << 1)	/* SETXATTR */
#define JFS_XATTR_KILL_SGID	(1U << 2)	/* SETXATTR of an access ACL */
#define JFS_LISTXATTR_TRUSTED	(1U << 0)	/* LISTXATTR */

struct jfs_xattr_in {
	__u32	namelen;
	__u32	size;
	__u32	flags;
	__u32	padding;
};

struct jfs_xattr_out {
	__u32	size;		/* full length of the value or of the list */
	__u32	padding;
};

/*
 * Locks shared by every client of the volume (JuiceFS's lockp/lockf).
 * hdr.ino = the file; args = jfs_lock_in.  owner identifies the lock
 * owner on this client (a keyed hash of the kernel's owner: never a
 * kernel address); type is F_RDLCK, F_WRLCK or F_UNLCK (Linux values, as
 * JuiceFS stores them); start..end inclusive.  jfsd never waits: a
 * conflict is -EAGAIN and the kernel retries, sleeping interruptibly, for
 * a blocking request.
 *
 * GETLK: reply = jfs_lock_out, the first conflicting lock (type F_UNLCK
 *	if none; pid as the holder's client recorded it).
 * SETLK: POSIX record lock or unlock of [start, end]; reply empty.
 * FLOCK: BSD lock of the whole file (start, end, pid ignored); reply empty.
 */
struct jfs_lock_in {
	__u64	owner;
	__u64	start;
	__u64	end;
	__u32	type;
	__u32	pid;
};

struct jfs_lock_out {
	__u64	start;
	__u64	end;
	__u32	type;
	__u32	pid;
};

/*
 * FALLOCATE: hdr.ino = the file; args = jfs_fallocate_in; reply =
 *	jfs_attr.  mode: 0 (allocate: the size grows), JFS_FALLOC_KEEP_SIZE,
 *	JFS_FALLOC_PUNCH_HOLE (with KEEP_SIZE), JFS_FALLOC_ZERO_RANGE; the
 *	same values as FALLOC_FL_*.  No blocks are stored: holes and zeroed
 *	ranges are zero records, as in JuiceFS.
 * COPY_RANGE: hdr.ino = the source; args = jfs_copy_in; reply =
 *	jfs_copy_out.  A metadata-only copy: the destination references the
 *	source's slices (JuiceFS CopyFileRange, what `juicefs clone` builds
 *	on), so FICLONE and copy_file_range move no data.  copied may be
 *	short at the source's end.
 */
#define JFS_FALLOC_KEEP_SIZE	0x01
#define JFS_FALLOC_PUNCH_HOLE	0x02
#define JFS_FALLOC_ZERO_RANGE	0x10

struct jfs_fallocate_in {
	__u64	offset;
	__u64	length;
	__u32	mode;
	__u32	padding;
};

struct jfs_copy_in {
	__u64	off_in;
	__u64	ino_out;
	__u64	off_out;
	__u64	length;
};

struct jfs_copy_out {
	__u64	copied;
	struct jfs_attr	attr;	/* the destination's */
};

/*
 * Generic netlink family JFS_GENL_NAME (control, not the hot path).
 * JFS_CMD_GET_MOUNTS is a dump: one message per mount, attributes below;
 * JFS_A_OPS nests one JFS_A_OP per opcode, each nesting JFS_OPA_*.
 */
enum {
	JFS_CMD_UNSPEC,
	JFS_CMD_GET_MOUNTS,
	__JFS_CMD_MAX
};

#define JFS_CMD_MAX	(__JFS_CMD_MAX - 1)

enum {
	JFS_A_UNSPEC,
	JFS_A_PAD,
	JFS_A_MOUNT_ID,		/* u64 */
	JFS_A_VOLUME,		/* string */
	JFS_A_UUID,		/* string */
	JFS_A_URL,		/* string, password removed */
	JFS_A_SID,		/* u64 */
	JFS_A_HELPER,		/* u8: 1 if jfsd is attached */
	JFS_A_RDONLY,		/* u8 */
	JFS_A_INFLIGHT,		/* u64 */
	JFS_A_BYTES_IN,		/* u64: data read through jfsd */
	JFS_A_BYTES_OUT,	/* u64: data written through jfsd */
	JFS_A_OPS,		/* nested JFS_A_OP */
	JFS_A_OP,		/* nested JFS_OPA_* */
	__JFS_A_MAX
};

#define JFS_A_MAX	(__JFS_A_MAX - 1)

enum {
	JFS_OPA_UNSPEC,
	JFS_OPA_PAD,
	JFS_OPA_CODE,		/* u32: JFS_OP_* */
	JFS_OPA_COUNT,		/* u64 */
	JFS_OPA_ERRORS,		/* u64 */
	JFS_OPA_LATENCY_NS,	/* u64: sum */
	JFS_OPA_ENGINE_CMDS,	/* u64: sum of jfs_out_hdr.engine_cmds */
	JFS_OPA_ENGINE_RTTS,	/* u64: sum of jfs_out_hdr.engine_rtts */
	__JFS_OPA_MAX
};

#define JFS_OPA_MAX	(__JFS_OPA_MAX - 1)

#endif /* _UAPI_JFS_H */
