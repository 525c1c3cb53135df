/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * jfs_ops.h - every jfs opcode, in wire order (MOUNT is 1), one line each:
 *
 *	JFS_OP(NAME, name, args, mutates)
 *
 * gives JFS_OP_NAME (uapi/jfs.h's enum), its name in logs and counters,
 * the size of the fixed argument struct its request starts with, and
 * whether it changes the volume (refused on a read-only mount).  jfsd's
 * checks and dispatch, its log names and jfsadm's per-op counters are all
 * built from this one list: define JFS_OP, include this file, undefine it.
 * An opcode is added here and nowhere else in the protocol.
 *
 * No include guard: it is meant to be included more than once.
 */
JFS_OP(MOUNT, mount, sizeof(struct jfs_mount_in), 0)
JFS_OP(UMOUNT, umount, 0, 0)
JFS_OP(STATFS, statfs, 0, 0)
JFS_OP(LOOKUP, lookup, sizeof(struct jfs_name_in), 0)
JFS_OP(GETATTR, getattr, 0, 0)
JFS_OP(SETATTR, setattr, sizeof(struct jfs_setattr_in), 1)
JFS_OP(MKNOD, mknod, sizeof(struct jfs_create_in), 1)
JFS_OP(MKDIR, mkdir, sizeof(struct jfs_create_in), 1)
JFS_OP(SYMLINK, symlink, sizeof(struct jfs_symlink_in), 1)
JFS_OP(LINK, link, sizeof(struct jfs_link_in), 1)
JFS_OP(UNLINK, unlink, sizeof(struct jfs_name_in), 1)
JFS_OP(RMDIR, rmdir, sizeof(struct jfs_name_in), 1)
JFS_OP(RENAME, rename, sizeof(struct jfs_rename_in), 1)
JFS_OP(READLINK, readlink, 0, 0)
JFS_OP(OPEN, open, sizeof(struct jfs_open_in), 0)
JFS_OP(RELEASE, release, sizeof(struct jfs_fh_in), 0)
JFS_OP(OPENDIR, opendir, sizeof(struct jfs_open_in), 0)
JFS_OP(READDIR, readdir, sizeof(struct jfs_readdir_in), 0)
JFS_OP(RELEASEDIR, releasedir, sizeof(struct jfs_fh_in), 0)
JFS_OP(READ, read, sizeof(struct jfs_io_in), 0)
JFS_OP(WRITE, write, sizeof(struct jfs_io_in), 1)
JFS_OP(FLUSH, flush, sizeof(struct jfs_fh_in), 0)
JFS_OP(FSYNC, fsync, sizeof(struct jfs_fh_in), 0)
/* protocol 1.1 (JFS_PROTO_MINOR_XATTR) */
JFS_OP(GETXATTR, getxattr, sizeof(struct jfs_xattr_in), 0)
JFS_OP(SETXATTR, setxattr, sizeof(struct jfs_xattr_in), 1)
JFS_OP(LISTXATTR, listxattr, sizeof(struct jfs_xattr_in), 0)
JFS_OP(REMOVEXATTR, removexattr, sizeof(struct jfs_xattr_in), 1)
/* protocol 1.2 (JFS_PROTO_MINOR_LOCK) */
JFS_OP(GETLK, getlk, sizeof(struct jfs_lock_in), 0)
JFS_OP(SETLK, setlk, sizeof(struct jfs_lock_in), 0)
JFS_OP(FLOCK, flock, sizeof(struct jfs_lock_in), 0)
/* protocol 1.3 (JFS_PROTO_MINOR_FALLOC) */
JFS_OP(FALLOCATE, fallocate, sizeof(struct jfs_fallocate_in), 1)
JFS_OP(COPY_RANGE, copy_range, sizeof(struct jfs_copy_in), 1)
/* protocol 1.5 (JFS_PROTO_MINOR_CREATE) */
JFS_OP(CREATE, create, sizeof(struct jfs_create_open_in), 1)
