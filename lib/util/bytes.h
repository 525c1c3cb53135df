/*
 * bytes.h - fixed-width integers in byte buffers.  JuiceFS stores its
 * binary values big-endian (utils.Buffer); the kernel's POSIX ACL xattr
 * format is little-endian.  One copy for every codec of the library.
 */
#ifndef JFS_UTIL_BYTES_H
#define JFS_UTIL_BYTES_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define JFS_BYTES_PUT(name, type, conv)					\
static inline void name(unsigned char *p, type v)			\
{									\
	v = conv(v);							\
	memcpy(p, &v, sizeof(v));					\
}
#define JFS_BYTES_GET(name, type, conv)					\
static inline type name(const unsigned char *p)				\
{									\
	type v;								\
									\
	memcpy(&v, p, sizeof(v));					\
	return conv(v);							\
}

JFS_BYTES_PUT(put_be16, uint16_t, htobe16)
JFS_BYTES_PUT(put_be32, uint32_t, htobe32)
JFS_BYTES_PUT(put_be64, uint64_t, htobe64)
JFS_BYTES_GET(get_be16, uint16_t, be16toh)
JFS_BYTES_GET(get_be32, uint32_t, be32toh)
JFS_BYTES_GET(get_be64, uint64_t, be64toh)
JFS_BYTES_PUT(put_le16, uint16_t, htole16)
JFS_BYTES_PUT(put_le32, uint32_t, htole32)
JFS_BYTES_GET(get_le16, uint16_t, le16toh)
JFS_BYTES_GET(get_le32, uint32_t, le32toh)

#undef JFS_BYTES_PUT
#undef JFS_BYTES_GET

#endif /* JFS_UTIL_BYTES_H */
