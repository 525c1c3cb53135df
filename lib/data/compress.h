/*
 * compress.h - block compression exactly as JuiceFS frames it
 * (pkg/compress): "zstd" is a standard zstd frame at level 1, "lz4" a raw
 * LZ4 block with no frame and no size header, "none" the bytes as is.
 * The volume's `Compression` setting picks one at format time.
 */
#ifndef JFS_COMPRESS_H
#define JFS_COMPRESS_H

#include <stddef.h>

enum compress_kind { COMPRESS_NONE, COMPRESS_LZ4, COMPRESS_ZSTD };

/* "none", "", NULL, "lz4", "zstd"; -EOPNOTSUPP for anything else */
int compress_kind(const char *name, enum compress_kind *kind);

/* Worst-case compressed size of n bytes (0 if n is too large). */
size_t compress_bound(enum compress_kind kind, size_t n);

/* Compresses n bytes of src into dst (cap bytes); *out = stored size. */
int compress_block(enum compress_kind kind, const void *src, size_t n, void *dst,
		   size_t cap, size_t *out);

/*
 * Decodes a stored object of n bytes into exactly `plain` bytes at dst;
 * anything that does not decode to exactly that length is -EIO, because
 * the block key names the uncompressed size.
 */
int decompress_block(enum compress_kind kind, const void *src, size_t n, void *dst,
		     size_t plain);

#endif /* JFS_COMPRESS_H */
