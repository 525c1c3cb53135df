/*
 * opnames.h - the names jfs tools show for the kernel protocol's JFS_OP_*
 * opcodes (uapi/jfs.h), as in per-op counters.
 */
#ifndef JFS_OPNAMES_H
#define JFS_OPNAMES_H

#include <stdint.h>

/* "lookup", "write" ...; NULL for a code this build does not know. */
const char *opnames_name(uint32_t code);

#endif /* JFS_OPNAMES_H */
