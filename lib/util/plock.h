/*
 * plock.h - POSIX record locks as JuiceFS stores them (pkg/meta/utils.go):
 * each owner's locks are a list of 24-byte big-endian records
 * {u32 type, u32 pid, u64 start, u64 end} (end inclusive), sorted by
 * start, without overlaps, adjacent equal records merged.  The engines
 * keep one such list per owner ("{sid}_{owner:%016X}") of an inode.
 */
#ifndef JFS_PLOCK_H
#define JFS_PLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the Linux values, which JuiceFS stores as they are */
#define PLOCK_RD	0
#define PLOCK_WR	1
#define PLOCK_UN	2

#define PLOCK_RECORD	24

struct plock {
	uint32_t type, pid;
	uint64_t start, end;
};

struct plock_list {
	struct plock *v;
	size_t n, cap;
};

void plock_list_free(struct plock_list *l);
/* -EIO when the length is not a multiple of the record size */
int plock_load(const unsigned char *buf, size_t len, struct plock_list *l);
int plock_dump(const struct plock_list *l, unsigned char **buf, size_t *len);
/* updateLocks: lock (or unlock, type PLOCK_UN) [nl.start, nl.end] */
int plock_update(struct plock_list *l, struct plock nl);
/* the first record of @l that conflicts with a lock of @type on [start, end] */
const struct plock *plock_conflict(const struct plock_list *l, uint32_t type,
				   uint64_t start, uint64_t end);
/* "{sid}_{owner:%016X}" */
void plock_owner_key(char *buf, size_t size, uint64_t sid, uint64_t owner);

#endif
