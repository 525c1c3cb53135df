/*
 * stage.h - the writeback staging area of a mount (JuiceFS's --writeback
 * "rawstaging"): blocks written to local disk, committed to the metadata
 * engine, and uploaded to the object store later, in the background.
 *
 * A staged block is the file "{cache_dir}/{UUID}/rawstaging/{chunk key}"
 * (the chunk key as in cache.h: "chunks/0/1/1234_0_4194304"), in the block
 * cache's file format (checksummed).  The files are the truth: opening
 * the area indexes every file an earlier run left, so blocks staged before
 * a crash are uploaded by the next mount.  The index in memory tells
 * readers which blocks to take from here, and the uploader which are due.
 *
 * This file keeps the files and the index only; what uploads a block
 * (compression, the store, retries) is chunk.c's.  Every function is safe
 * to call from many threads at once.  Errors are negative errnos.
 */
#ifndef JFS_STAGE_H
#define JFS_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STAGE_DIR	"rawstaging"
#define STAGE_KEY_MAX	256

struct stage;
struct cache;

struct stage_stats {
	uint64_t blocks, bytes;		/* staged now, bytes of block data */
	uint64_t found;			/* indexed at open: left by an earlier run */
	uint64_t uploaded, failures;	/* since open */
};

/* A block due for upload, as stage_take hands it out. */
struct stage_item {
	char key[STAGE_KEY_MAX];
	uint32_t blen;
};

/*
 * root: "{cache_dir}/{UUID}"; the area is root/rawstaging, made by the
 * first stage_put (a missing one is empty).  Files there are indexed,
 * oldest first; leftover temporary files are deleted, files that are no
 * chunk key or not a block's size are skipped with a warning.
 */
int stage_open(const char *root, struct stage **sp);
void stage_close(struct stage *s);

/* The block count (stage_stats' blocks) without the rest. */
uint64_t stage_count(struct stage *s);
void stage_stats(struct stage *s, struct stage_stats *st);
const char *stage_dir(struct stage *s);

/*
 * Stages block key, buf[0, blen): written, then indexed.  taken: the
 * caller uploads it now (as if stage_take had handed it out).
 */
int stage_put(struct stage *s, const char *key, const void *buf, uint32_t blen,
	      bool taken);

/* [off, off+len) of a staged block.  -ENOENT: not staged (or gone meanwhile). */
int stage_read(struct stage *s, const char *key, uint32_t blen, uint32_t off,
	       uint32_t len, void *buf);
bool stage_has(struct stage *s, const char *key);

/*
 * The entry and the file go: its slice was deleted, or the file is damaged
 * or vanished.  true if it was staged.
 */
bool stage_drop(struct stage *s, const char *key);

/*
 * Hands out up to max blocks staged at least delay seconds before now
 * (seconds since the epoch) that no upload holds and that are not waiting
 * out a failure, marking them taken; returns how many.
 */
size_t stage_take(struct stage *s, int64_t now, int64_t delay, struct stage_item *v,
		  size_t max);

/*
 * The upload of a taken block succeeded: its entry goes and its file is
 * moved into the block cache (or deleted).  false: the block was dropped
 * meanwhile, so what was uploaded belongs to no slice.
 */
bool stage_uploaded(struct stage *s, const char *key, struct cache *cache);

/* The upload failed: the block is handed out again after a backoff. */
void stage_failed(struct stage *s, const char *key, int64_t now);

/* Not uploaded (the mount is stopping): the next stage_take may hand it out. */
void stage_release(struct stage *s, const char *key);

#endif /* JFS_STAGE_H */
