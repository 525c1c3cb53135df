/*
 * opnames.h - the names jfsd logs and jfsadm shows for the kernel protocol's JFS_OP_*
 * opcodes (uapi/jfs.h), as in per-op counters.
 */
#ifndef JFS_OPNAMES_H
#define JFS_OPNAMES_H

#include <stdint.h>

/* "lookup", "write" ...; NULL for a code this build does not know. */
const char *jfs_opname(uint32_t code);

#endif /* JFS_OPNAMES_H */
