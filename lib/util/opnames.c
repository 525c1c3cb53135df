/*
 * opnames.c - one static table from JFS_OP_* opcode to its lowercase
 * name; adding an opcode to uapi/jfs.h means adding one line here, for jfsd's logs and jfsadm's counters alike (the
 * build fails until the table covers every opcode).
 */
#include <stddef.h>

#include "uapi/jfs.h"
#include "util/opnames.h"

static const char *const names[JFS_OP_MAX] = {
	[JFS_OP_MOUNT]		= "mount",
	[JFS_OP_UMOUNT]		= "umount",
	[JFS_OP_STATFS]		= "statfs",
	[JFS_OP_LOOKUP]		= "lookup",
	[JFS_OP_GETATTR]	= "getattr",
	[JFS_OP_SETATTR]	= "setattr",
	[JFS_OP_MKNOD]		= "mknod",
	[JFS_OP_MKDIR]		= "mkdir",
	[JFS_OP_SYMLINK]	= "symlink",
	[JFS_OP_LINK]		= "link",
	[JFS_OP_UNLINK]		= "unlink",
	[JFS_OP_RMDIR]		= "rmdir",
	[JFS_OP_RENAME]		= "rename",
	[JFS_OP_READLINK]	= "readlink",
	[JFS_OP_OPEN]		= "open",
	[JFS_OP_RELEASE]	= "release",
	[JFS_OP_OPENDIR]	= "opendir",
	[JFS_OP_READDIR]	= "readdir",
	[JFS_OP_RELEASEDIR]	= "releasedir",
	[JFS_OP_READ]		= "read",
	[JFS_OP_WRITE]		= "write",
	[JFS_OP_FLUSH]		= "flush",
	[JFS_OP_FSYNC]		= "fsync",
	[JFS_OP_GETXATTR]	= "getxattr",
	[JFS_OP_SETXATTR]	= "setxattr",
	[JFS_OP_LISTXATTR]	= "listxattr",
	[JFS_OP_REMOVEXATTR]	= "removexattr",
	[JFS_OP_GETLK]		= "getlk",
	[JFS_OP_SETLK]		= "setlk",
	[JFS_OP_FLOCK]		= "flock",
	[JFS_OP_FALLOCATE]	= "fallocate",
	[JFS_OP_COPY_RANGE]	= "copy_range",
};

/* the last opcode has a name, so every opcode before it was thought of */
_Static_assert(JFS_OP_COPY_RANGE == JFS_OP_MAX - 1,
	       "a JFS_OP_* opcode was added: name it in lib/util/opnames.c");

const char *jfs_opname(uint32_t code)
{
	return code < JFS_OP_MAX ? names[code] : NULL;
}
