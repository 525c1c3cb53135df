/*
 * genl_status.h - the jfs kernel module's mounts and their counters, read
 * over its generic netlink family (JFS_GENL_NAME, JFS_CMD_GET_MOUNTS dump;
 * uapi/jfs.h).  Decoding only: presenting them is the caller's business.
 */
#ifndef JFS_GENL_STATUS_H
#define JFS_GENL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/jfs.h"

/* One opcode's counters; only opcodes used at least once are sent. */
struct genl_op_stat {
	uint32_t code;		/* JFS_OP_* */
	uint64_t count;
	uint64_t errors;
	uint64_t latency_ns;	/* sum over count */
	uint64_t engine_cmds;	/* metadata-engine commands, sum over count */
	uint64_t engine_rtts;	/* engine round trips, sum over count */
};

/* room for opcodes a newer kernel may count; more than this are dropped */
#define GENL_OPS_MAX	64

struct genl_mount {
	uint64_t mount_id;
	char *volume;
	char *uuid;
	char *url;		/* password already removed by the kernel */
	uint64_t sid;
	bool helper;		/* jfsd attached to /dev/jfs */
	bool rdonly;
	uint64_t inflight;
	uint64_t bytes_in;	/* read through jfsd */
	uint64_t bytes_out;	/* written through jfsd */
	struct genl_op_stat ops[GENL_OPS_MAX];
	size_t nops;
};

struct genl_mounts {
	struct genl_mount *v;
	size_t n;
};

/*
 * Fills *ms with every jfs mount of this host, in the kernel's order.
 * 0, -ENOENT if the family is not registered (jfs kernel module not
 * loaded), -EPROTO if the kernel sent something malformed, or another
 * -errno; err (errlen bytes) then holds a one-line lowercase reason.
 * On success release *ms with genl_mounts_release().
 */
int genl_status_get_mounts(struct genl_mounts *ms, char *err, size_t errlen);

void genl_mounts_release(struct genl_mounts *ms);

#endif /* JFS_GENL_STATUS_H */
