/*
 * scan.h - what fsck.c and gc.c share, private to lib/volume: a hash
 * table from a pair of 64-bit ids to a 64-bit value (the blocks a listing
 * found, the slices the metadata references, the inodes of delfiles;
 * 32 bytes a slot, at most half full), the parsing of block object keys,
 * and the one-line findings they report.
 */
#ifndef JFS_VOLUME_SCAN_H
#define JFS_VOLUME_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "volume/volume.h"

struct idmap_ent {
	uint64_t k1, k2, val;
	bool used;
};

struct idmap {
	struct idmap_ent *v;
	size_t n, cap;		/* cap: 0 or a power of two */
};

/* sets (k1, k2) to val; *fresh (if asked): it was not there; -ENOMEM */
int idmap_put(struct idmap *m, uint64_t k1, uint64_t k2, uint64_t val, bool *fresh);
/* the value of (k1, k2) into *val (if asked); false when absent */
bool idmap_get(const struct idmap *m, uint64_t k1, uint64_t k2, uint64_t *val);
void idmap_free(struct idmap *m);

/*
 * A listed key "{Name}/chunks/A/B/{id}_{indx}_{bsize}" after the
 * "{Name}/chunks/" prefix (plen bytes): false unless it has exactly the
 * three parts JuiceFS's scans take; *name: the last part; *ok: its three
 * numbers parsed (else they read 0, as Go's Atoi leaves them).
 */
bool scan_block_key(const char *key, size_t plen, const char **name, uint64_t *id,
		    uint32_t *indx, uint32_t *bsize, bool *ok);

/*
 * fsck's and gc's start: the volume's store must be open; c gets its
 * block layout and *plen the length of "{Name}/chunks/".
 */
int scan_layout(struct volume *v, const char *what, struct chunk_ctx *c, size_t *plen);

/* formats one finding for note(arg, line), if there is a note */
void scan_note(volume_note_fn note, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* JFS_VOLUME_SCAN_H */
