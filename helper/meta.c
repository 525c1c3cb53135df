/*
 * meta.c - the engine-independent part of the metadata layer: choosing an
 * engine by URL scheme, the per-thread error detail, and the JuiceFS
 * binary codecs (attr records, slice records) every engine stores.
 *
 * All integers in JuiceFS values are big-endian (utils.Buffer).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

/* ---- types --------------------------------------------------------- */

/* Engines are listed here; one engine may serve several schemes. */
extern const struct meta_ops meta_redis_ops;
extern const struct meta_ops meta_sqlite_ops;

struct meta_engine {
	const char *scheme;
	const struct meta_ops *ops;
};

/* ---- static state --------------------------------------------------- */

static const struct meta_engine meta_engines[] = {
	{ "redis", &meta_redis_ops },
	{ "unix", &meta_redis_ops },
	{ "sqlite3", &meta_sqlite_ops },
};

/* the detail of the calling thread's last failure */
static __thread char meta_errbuf[512];

/* ---- helpers ------------------------------------------------------- */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- public functions ---------------------------------------------- */

const char *meta_errmsg(void)
{
	return meta_errbuf;
}

void meta_set_errmsg(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(meta_errbuf, sizeof(meta_errbuf), fmt, ap);
	va_end(ap);
	/* the text may cross the kernel protocol: keep it on one line */
	for (p = meta_errbuf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int meta_open(const char *url, struct meta **mp)
{
	const char *sep;
	size_t i, len;

	*mp = NULL;
	sep = url ? strstr(url, "://") : NULL;
	if (!sep || sep == url) {
		meta_set_errmsg("invalid metadata url '%s': no scheme",
				url ? url : "");
		return -EINVAL;
	}
	len = sep - url;
	for (i = 0; i < sizeof(meta_engines) / sizeof(meta_engines[0]); i++) {
		if (strlen(meta_engines[i].scheme) == len &&
		    !strncmp(meta_engines[i].scheme, url, len)) {
			int ret = meta_engines[i].ops->open(url, mp);

			if (!ret)
				meta_base_init(*mp);
			return ret;
		}
	}
	meta_set_errmsg("unsupported metadata engine '%.*s'", (int)len, url);
	return -EINVAL;
}

void meta_close(struct meta *m)
{
	if (!m)
		return;
	meta_base_destroy(m);
	m->ops->close(m);
}

void meta_free_dirents(struct meta_dirent *ents, size_t n)
{
	size_t i;

	if (!ents)
		return;
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

void meta_free_sessions(struct meta_session_info *s, size_t n)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < n; i++) {
		free(s[i].info);
		free(s[i].sustained);
	}
	free(s);
}

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
	put16(buf + 1, (uint16_t)((a->type & 0xf) << 12 | (a->mode & 07777)));
	put32(buf + 3, a->uid);
	put32(buf + 7, a->gid);
	put64(buf + 11, (uint64_t)a->atime);
	put32(buf + 19, a->atimensec);
	put64(buf + 23, (uint64_t)a->mtime);
	put32(buf + 31, a->mtimensec);
	put64(buf + 35, (uint64_t)a->ctime);
	put32(buf + 43, a->ctimensec);
	put32(buf + 47, a->nlink);
	put64(buf + 51, a->length);
	put32(buf + 59, a->rdev);
	put64(buf + 63, a->parent);
	if (a->access_acl || a->default_acl) {
		put32(buf + n, a->access_acl);
		put32(buf + n + 4, a->default_acl);
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
	mode = get16(buf + 1);
	a->type = mode >> 12;
	a->mode = mode & 07777;
	a->uid = get32(buf + 3);
	a->gid = get32(buf + 7);
	a->atime = (int64_t)get64(buf + 11);
	a->atimensec = get32(buf + 19);
	a->mtime = (int64_t)get64(buf + 23);
	a->mtimensec = get32(buf + 31);
	a->ctime = (int64_t)get64(buf + 35);
	a->ctimensec = get32(buf + 43);
	a->nlink = get32(buf + 47);
	a->length = get64(buf + 51);
	a->rdev = get32(buf + 59);
	if (len - off >= 8) {
		a->parent = get64(buf + off);
		off += 8;
	}
	if (len - off >= 8) {
		a->access_acl = get32(buf + off);
		a->default_acl = get32(buf + off + 4);
		off += 8;
	}
	if (len - off >= 1)
		a->tier = buf[off];
	return 0;
}

void meta_slice_encode(const struct meta_slice *s, unsigned char buf[24])
{
	put32(buf, s->pos);
	put64(buf + 4, s->id);
	put32(buf + 12, s->size);
	put32(buf + 16, s->off);
	put32(buf + 20, s->len);
}

void meta_slice_decode(const unsigned char buf[24], struct meta_slice *s)
{
	s->pos = get32(buf);
	s->id = get64(buf + 4);
	s->size = get32(buf + 12);
	s->off = get32(buf + 16);
	s->len = get32(buf + 20);
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
