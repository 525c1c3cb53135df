/*
 * opnames.c - opcode to lowercase name, for jfsd's logs and jfsadm's
 * per-op counters alike, built from uapi/jfs_ops.h.
 */
#include <stddef.h>

#include "uapi/jfs.h"
#include "util/opnames.h"

static const char *const names[JFS_OP_MAX] = {
#define JFS_OP(NAME, name, args, mutates)	[JFS_OP_##NAME] = #name,
#include "uapi/jfs_ops.h"
#undef JFS_OP
};

const char *jfs_opname(uint32_t code)
{
	return code < JFS_OP_MAX ? names[code] : NULL;
}
