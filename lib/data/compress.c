/*
 * compress.c - JuiceFS's block compression formats on libzstd and liblz4.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <lz4.h>
#include <zstd.h>

#include "data/compress.h"
#include "store/store.h"

int compress_kind(const char *name, enum compress_kind *kind)
{
	if (!name || !*name || !strcmp(name, "none"))
		*kind = COMPRESS_NONE;
	else if (!strcmp(name, "lz4"))
		*kind = COMPRESS_LZ4;
	else if (!strcmp(name, "zstd"))
		*kind = COMPRESS_ZSTD;
	else
		return -EOPNOTSUPP;
	return 0;
}

size_t compress_bound(enum compress_kind kind, size_t n)
{
	switch (kind) {
	case COMPRESS_LZ4:
		return n > LZ4_MAX_INPUT_SIZE ? 0 : (size_t)LZ4_compressBound((int)n);
	case COMPRESS_ZSTD:
		return ZSTD_compressBound(n);
	default:
		return n;
	}
}

int compress_block(enum compress_kind kind, const void *src, size_t n, void *dst,
		   size_t cap, size_t *out)
{
	size_t r;
	int k;

	switch (kind) {
	case COMPRESS_LZ4:
		if (n > LZ4_MAX_INPUT_SIZE || cap > INT_MAX)
			return -EINVAL;
		k = LZ4_compress_default(src, dst, (int)n, (int)cap);
		if (k <= 0) {
			jfs_seterr("store", "lz4 cannot compress %zu bytes", n);
			return -EIO;
		}
		*out = k;
		return 0;
	case COMPRESS_ZSTD:
		r = ZSTD_compress(dst, cap, src, n, 1);	/* JuiceFS: level 1 */
		if (ZSTD_isError(r)) {
			jfs_seterr("store", "zstd cannot compress %zu bytes: %s", n,
					 ZSTD_getErrorName(r));
			return -EIO;
		}
		*out = r;
		return 0;
	default:
		if (cap < n)
			return -EINVAL;
		memcpy(dst, src, n);
		*out = n;
		return 0;
	}
}

int decompress_block(enum compress_kind kind, const void *src, size_t n, void *dst,
		     size_t plain)
{
	size_t r;
	int k;

	switch (kind) {
	case COMPRESS_LZ4:
		if (n > INT_MAX || plain > INT_MAX)
			return -EIO;
		k = LZ4_decompress_safe(src, dst, (int)n, (int)plain);
		if (k < 0 || (size_t)k != plain) {
			jfs_seterr("store", "lz4 block of %zu bytes does not decode to %zu bytes",
					 n, plain);
			return -EIO;
		}
		return 0;
	case COMPRESS_ZSTD:
		r = ZSTD_decompress(dst, plain, src, n);
		if (ZSTD_isError(r) || r != plain) {
			jfs_seterr("store", "zstd block of %zu bytes does not decode to %zu bytes%s%s",
					 n, plain, ZSTD_isError(r) ? ": " : "",
					 ZSTD_isError(r) ? ZSTD_getErrorName(r) : "");
			return -EIO;
		}
		return 0;
	default:
		if (n != plain) {
			jfs_seterr("store", "block of %zu bytes, expected %zu", n, plain);
			return -EIO;
		}
		memcpy(dst, src, n);
		return 0;
	}
}
