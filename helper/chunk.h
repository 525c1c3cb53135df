/*
 * chunk.h - the JuiceFS data layer: files are split into 64 MiB chunks,
 * each chunk holds an ordered list of slices (later ones win where they
 * overlap), each slice is stored as ceil(size / block_size) block objects
 * named "{Name}/chunks/{id/1000/1000}/{id/1000}/{id}_{i}_{bsize}".
 *
 * Write rule: every block of a slice is stored before the slice is
 * committed to the metadata engine, so a committed slice never points at
 * a missing object.
 */
#ifndef JFS_CHUNK_H
#define JFS_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "store.h"

struct chunk_ctx {
	struct meta *meta;
	struct store *store;
	char prefix[80];	/* "{Name}/" */
	uint32_t block_size;	/* bytes, power of two */
	int hash_prefix;	/* JuiceFS HashPrefix layout */
};

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

/* Deletes the block objects of a slice (a meta_hooks.delete_slice). */
int chunk_delete_slice(struct chunk_ctx *c, uint64_t id, uint32_t size);

#endif /* JFS_CHUNK_H */
