/*
 * codec.c - the JuiceFS binary values every engine stores: attribute
 * records (Attr.Marshal/Unmarshal), 24-byte slice records, and the overlay
 * that turns a chunk's slice list into what a read sees (slice.go
 * buildSlice).  All integers are big-endian (utils.Buffer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meta/engine.h"
#include "util/bytes.h"

/*
 * Writes 'a' as JuiceFS's Attr.Marshal does: 71 fixed bytes, the ACL ids
 * only when either is set, the tier only when set, then the 0x00 slack
 * byte JuiceFS's writer leaves at the end.  Returns the value length
 * (72, 73, 80 or 81); 'buf' must hold META_ATTR_MAX_BYTES.
 */
size_t meta_attr_encode(const struct meta_attr *a, unsigned char *buf)
{
	size_t n = 71;

	buf[0] = a->flags;
	put_be16(buf + 1, (uint16_t)((a->type & 0xf) << 12 | (a->mode & 07777)));
	put_be32(buf + 3, a->uid);
	put_be32(buf + 7, a->gid);
	put_be64(buf + 11, (uint64_t)a->atime);
	put_be32(buf + 19, a->atimensec);
	put_be64(buf + 23, (uint64_t)a->mtime);
	put_be32(buf + 31, a->mtimensec);
	put_be64(buf + 35, (uint64_t)a->ctime);
	put_be32(buf + 43, a->ctimensec);
	put_be32(buf + 47, a->nlink);
	put_be64(buf + 51, a->length);
	put_be32(buf + 59, a->rdev);
	put_be64(buf + 63, a->parent);
	if (a->access_acl || a->default_acl) {
		put_be32(buf + n, a->access_acl);
		put_be32(buf + n + 4, a->default_acl);
		n += 8;
	}
	if (a->tier)
		buf[n++] = a->tier;
	buf[n++] = 0;
	return n;
}

/*
 * Reads a JuiceFS attr by the "remaining bytes" rules of Attr.Unmarshal:
 * parent if 8 bytes remain (older writers omitted it), the ACL ids if 8
 * more remain, then the tier if one remains (so the slack byte reads as
 * tier 0).  Returns -EIO if the value is too short to be an attr.
 */
int meta_attr_decode(const unsigned char *buf, size_t len, struct meta_attr *a)
{
	uint16_t mode;
	size_t off = 63;

	memset(a, 0, sizeof(*a));
	if (len < 63)
		return -EIO;
	a->flags = buf[0];
	mode = get_be16(buf + 1);
	a->type = mode >> 12;
	a->mode = mode & 07777;
	a->uid = get_be32(buf + 3);
	a->gid = get_be32(buf + 7);
	a->atime = (int64_t)get_be64(buf + 11);
	a->atimensec = get_be32(buf + 19);
	a->mtime = (int64_t)get_be64(buf + 23);
	a->mtimensec = get_be32(buf + 31);
	a->ctime = (int64_t)get_be64(buf + 35);
	a->ctimensec = get_be32(buf + 43);
	a->nlink = get_be32(buf + 47);
	a->length = get_be64(buf + 51);
	a->rdev = get_be32(buf + 59);
	if (len - off >= 8) {
		a->parent = get_be64(buf + off);
		off += 8;
	}
	if (len - off >= 8) {
		a->access_acl = get_be32(buf + off);
		a->default_acl = get_be32(buf + off + 4);
		off += 8;
	}
	if (len - off >= 1)
		a->tier = buf[off];
	return 0;
}

void meta_slice_encode(const struct meta_slice *s, unsigned char buf[24])
{
	put_be32(buf, s->pos);
	put_be64(buf + 4, s->id);
	put_be32(buf + 12, s->size);
	put_be32(buf + 16, s->off);
	put_be32(buf + 20, s->len);
}

void meta_slice_decode(const unsigned char buf[24], struct meta_slice *s)
{
	s->pos = get_be32(buf);
	s->id = get_be64(buf + 4);
	s->size = get_be32(buf + 12);
	s->off = get_be32(buf + 16);
	s->len = get_be32(buf + 20);
}

/* ---- the slice overlay (JuiceFS slice.go buildSlice) ---- */

static int seg_push(struct meta_segs *s, const struct meta_seg *g)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct meta_seg *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *g;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct meta_seg *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Applies the records in list order: each one carves its range out of
 * what is there and then covers it.  The result is sorted by start and
 * disjoint; ranges no record covers are simply absent (they read as zeros).
 */
int meta_overlay(const struct meta_slice *r, size_t nr, struct meta_segs *out)
{
	struct meta_segs cur = { 0 }, next = { 0 };
	size_t i, j;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		uint32_t rs = r[i].pos, re = r[i].pos + r[i].len;
		struct meta_seg g;

		if (!r[i].len)
			continue;
		next.n = 0;
		for (j = 0; j < cur.n && !ret; j++) {
			struct meta_seg s = cur.v[j];

			if (s.end <= rs || s.start >= re) {
				ret = seg_push(&next, &s);
				continue;
			}
			if (s.start < rs) {
				g = s;
				g.end = rs;
				ret = seg_push(&next, &g);
			}
			if (!ret && s.end > re) {
				g = s;
				g.off = s.off + (re - s.start);
				g.start = re;
				ret = seg_push(&next, &g);
			}
		}
		g = (struct meta_seg){ rs, re, r[i].id, r[i].size, r[i].off };
		if (!ret)
			ret = seg_push(&next, &g);
		if (ret)
			break;
		struct meta_segs t = cur;
		cur = next;
		next = t;
	}
	free(next.v);
	if (ret) {
		free(cur.v);
		return ret;
	}
	qsort(cur.v, cur.n, sizeof(*cur.v), seg_cmp);
	*out = cur;
	return 0;
}

int meta_scan_delayed(const struct meta_scan *a, int64_t ts, const unsigned char *p,
		      size_t len)
{
	size_t i, n = len / 12;
	uint32_t *size;
	uint64_t *id;
	int ret;

	if (!n || len % 12)
		return 0;
	id = calloc(n, sizeof(*id));
	size = calloc(n, sizeof(*size));
	if (!id || !size) {
		free(id);
		free(size);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++, p += 12) {
		id[i] = get_be64(p);
		size[i] = get_be32(p + 8);
	}
	ret = a->delayed(a->arg, ts, id, size, n);
	free(id);
	free(size);
	return ret;
}
