/*
 * chunk.h - the JuiceFS data layer: files are split into 64 MiB chunks,
 * each chunk holds an ordered list of slices (later ones win where they
 * overlap), each slice is stored as ceil(size / block_size) block objects
 * named "{Name}/chunks/{id/1000/1000}/{id/1000}/{id}_{i}_{bsize}".
 *
 * Write rule: every block of a slice is stored before the slice is
 * committed to the metadata engine, so a committed slice never points at
 * a missing object.  With writeback (JuiceFS's --writeback), "stored" is
 * "staged on local disk" (stage.h), and the upload follows in the
 * background; until it is done, only this mount can read those blocks.
 */
#ifndef JFS_CHUNK_H
#define JFS_CHUNK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/compress.h"
#include "meta/meta.h"
#include "store/store.h"

#define CHUNK_KEY_MAX 256
/* JuiceFS compacts at the 99th, 199th ... record, and past 350 always */
#define CHUNK_COMPACT_EVERY 100
#define CHUNK_COMPACT_ALWAYS 350
#define CHUNK_SKIP_MIN	(1U << 20)	/* a leading record this big may stay (skipSome) */

struct cache;
struct fmaps;
struct pool;
struct inflight;
struct stage;

struct chunk_ctx {
	struct meta *meta;
	struct store *store;
	char prefix[80];	/* "{Name}/" */
	uint32_t block_size;	/* bytes, power of two */
	int hash_prefix;	/* JuiceFS HashPrefix layout */
	enum compress_kind comp;
	/*
	 * Keep full blocks in the cache after uploading them.  Off, as in
	 * JuiceFS (--cache-large-write): a big writer rarely reads back what
	 * it wrote, and the copy (with its checksums) is on the upload path.
	 * Partial blocks, small files' usual case, are cached either way.
	 */
	bool cache_large_write;
	/*
	 * Writeback: a staging area (NULL: none), whether writes stage their
	 * blocks there (off: the area only uploads what an earlier run left),
	 * and how long a staged block waits before its upload (seconds,
	 * JuiceFS's --upload-delay).  Set before chunk_start().
	 */
	struct stage *stage;
	bool writeback;
	int64_t upload_delay;
	/* optional, set by chunk_start(): */
	struct cache *cache;	/* local block cache; NULL = none */
	struct pool *uploader;	/* parallel block uploads */
	struct pool *prefetcher;	/* read-ahead of whole blocks into the cache */
	unsigned int prefetch;	/* blocks to read ahead of a sequential reader */
	struct fmaps *maps;	/* open files' chunk maps (fmap.h); NULL = none */
	/* private */
	pthread_mutex_t lock;
	pthread_cond_t fetched;
	struct inflight *inflight;	/* whole-block fetches under way */
	bool stopping;
	pthread_cond_t wake;		/* the stager's sleep */
	pthread_t stager;		/* hands due staged blocks to the uploader */
	bool stager_running;
	unsigned int uploads;		/* the uploader's threads */
};

/*
 * Starts the optional machinery of a context whose meta, store, prefix,
 * block size and compression are set: `uploads` parallel uploads (0/1 =
 * inline), and, with a cache, `prefetch` blocks of read-ahead; with a
 * staging area, the thread that uploads its blocks in the background.
 */
int chunk_start(struct chunk_ctx *c, struct cache *cache, unsigned int uploads,
		unsigned int prefetch);
/*
 * Waits for running jobs, drops queued prefetches and background uploads
 * (staged blocks stay staged, for the next mount); the cache and the
 * staging area stay the caller's.
 */
void chunk_stop(struct chunk_ctx *c);

/*
 * Starts fetching the blocks that hold [off, off+len) of a file of
 * `length` bytes into the cache, in the background; a hint, never fails.
 */
void chunk_prefetch(struct chunk_ctx *c, uint64_t ino, uint64_t length, uint64_t off,
		    uint64_t len);

/* Object key of block `indx` of slice `id` whose total size is `size`. */
int chunk_block_key(const struct chunk_ctx *c, uint64_t id, uint32_t size,
		    uint32_t indx, char *buf, size_t buflen);

/*
 * Reads up to len bytes at off of a file whose length is `length`; holes
 * and bytes beyond all slices read as zeros; *got stops at EOF.
 */
int chunk_read(struct chunk_ctx *c, uint64_t ino, uint64_t length, uint64_t off,
	       size_t len, void *buf, size_t *got);

/*
 * Writes buf as new slices (split at chunk boundaries), uploads their
 * blocks, then commits each slice; *attr is the attribute after commit.
 */
int chunk_write(struct chunk_ctx *c, uint64_t ino, uint64_t off,
		const void *buf, size_t len, const struct timespec *mtime,
		struct meta_attr *attr);

/*
 * Rewrites what chunk indx shows as one slice and releases the records it
 * replaces (JuiceFS compactChunk); -EINVAL if the chunk was written
 * meanwhile (nothing changed).  Writes call it now and then by themselves.
 */
int chunk_compact(struct chunk_ctx *c, uint64_t ino, uint32_t indx);

/* Deletes the block objects of a slice (a meta_hooks.delete_slice). */
int chunk_delete_slice(struct chunk_ctx *c, uint64_t id, uint32_t size);

#endif /* JFS_CHUNK_H */
