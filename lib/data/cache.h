/*
 * cache.h - the local block cache of jfsd: plain (decoded) block bytes
 * kept on a local disk, laid out as JuiceFS's disk cache is:
 * "{cache_dir}/{UUID}/raw/{chunk key}", where the chunk key is the block
 * object key without the volume prefix ("chunks/0/1/1234_0_4194304").
 *
 * Each cache file is the block's bytes followed by a trailer: one crc32
 * per 32 KiB piece, then a footer (magic, block length, crc of the crc
 * array).  A read verifies the footer and the pieces it covers; a torn or
 * corrupted file is deleted and reported as a miss, never served.
 *
 * The cache holds at most limit_bytes (file sizes on disk, trailers
 * included), evicting the least recently used blocks, and stops taking
 * new blocks while the file system holding it is short of free space.
 *
 * Every function is safe to call from many threads at once.  Errors are
 * negative errnos; a caller treats any failure of get as a miss and of
 * put as "not cached".  A NULL cache is an empty one that caches nothing.
 */
#ifndef JFS_CACHE_H
#define JFS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct cache;

struct cache_stats {
	uint64_t hits, misses;	/* gets served / not (misses include corrupt) */
	uint64_t corrupt;	/* files found damaged and deleted */
	uint64_t evictions;	/* blocks evicted to make room */
	uint64_t writes;	/* blocks written */
	uint64_t bytes;		/* on disk now, trailers included */
	uint64_t blocks;	/* cached now */
};

/* JuiceFS's --free-space-ratio default: stop caching below 10% free */
#define CACHE_FREE_RATIO 0.1

/*
 * root: the per-volume directory "{cache_dir}/{UUID}", made if missing.
 * Blocks already there are indexed (the later of their atime and mtime
 * is their last use) and the oldest evicted down to limit_bytes.
 */
int cache_open(const char *root, uint64_t limit_bytes, struct cache **cp);
void cache_close(struct cache *c);

/*
 * Copies [off, off+len) of the cached block `key`, whose full plain length
 * is blen, into buf.  0: a hit; -ENOENT: not cached or found damaged;
 * -EINVAL: a bad key or a range outside the block.
 */
int cache_get(struct cache *c, const char *key, uint32_t blen, uint32_t off,
	      uint32_t len, void *buf);

/*
 * Caches the whole block buf[0, blen).  Caching a key already cached (or
 * being cached) is a no-op.  -EFBIG: the block alone exceeds the limit;
 * -ENOSPC: no room (too little free disk space, or the limit is taken by
 * blocks still being written).
 */
int cache_put(struct cache *c, const char *key, const void *buf, uint32_t blen);

/* Whether key is cached or being cached, without touching the disk. */
bool cache_has(struct cache *c, const char *key, uint32_t blen);

/* Forgets a block, as when its slice is deleted. */
void cache_drop(struct cache *c, const char *key);

void cache_stats(struct cache *c, struct cache_stats *st);

/* Stops caching while less than ratio of the disk (space or inodes) is free. */
void cache_set_free_ratio(struct cache *c, double ratio);

/* The size on disk of a cached block of blen bytes. */
uint64_t cache_file_size(uint32_t blen);

/*
 * The cache file format on its own, for the writeback staging area
 * (stage.h), whose files are the same: cache_file_write writes one at
 * path (a temporary name, then a rename; missing directories are made),
 * cache_file_read reads [off, off+len) of one, -EBADMSG if damaged.
 */
int cache_file_write(const char *path, const void *buf, uint32_t blen);
int cache_file_read(const char *path, uint32_t blen, uint32_t off, uint32_t len,
		    void *buf);

/*
 * Moves the file at path, a block of blen bytes in the cache format on the
 * cache's file system, into the cache as key.  On failure (-EEXIST: cached
 * already; -ENOSPC: no room) the file stays where it was.
 */
int cache_adopt(struct cache *c, const char *key, const char *path, uint32_t blen);

#endif /* JFS_CACHE_H */
