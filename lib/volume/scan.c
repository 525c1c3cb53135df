/*
 * scan.c - what fsck.c and gc.c share (scan.h).  The table is open
 * addressing with linear probing; nothing is ever removed from it, so it
 * needs no tombstones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volume/scan.h"

static size_t slot(const struct idmap *m, uint64_t k1, uint64_t k2)
{
	uint64_t x = k1 * 0x9E3779B97F4A7C15ULL ^ (k2 + 0x632BE59BD9B4E019ULL);
	size_t i;

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 29;
	for (i = x & (m->cap - 1); m->v[i].used; i = (i + 1) & (m->cap - 1))
		if (m->v[i].k1 == k1 && m->v[i].k2 == k2)
			break;
	return i;
}

static int grow(struct idmap *m)
{
	struct idmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->v = calloc(m->cap, sizeof(*m->v));
	if (!m->v) {
		*m = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.v[i].used)
			m->v[slot(m, old.v[i].k1, old.v[i].k2)] = old.v[i];
	free(old.v);
	return 0;
}

int idmap_put(struct idmap *m, uint64_t k1, uint64_t k2, uint64_t val, bool *fresh)
{
	struct idmap_ent *e;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	e = &m->v[slot(m, k1, k2)];
	if (fresh)
		*fresh = !e->used;
	if (!e->used)
		m->n++;
	e->k1 = k1;
	e->k2 = k2;
	e->val = val;
	e->used = true;
	return 0;
}

bool idmap_get(const struct idmap *m, uint64_t k1, uint64_t k2, uint64_t *val)
{
	const struct idmap_ent *e;

	if (!m->cap)
		return false;
	e = &m->v[slot(m, k1, k2)];
	if (e->used && val)
		*val = e->val;
	return e->used;
}

void idmap_free(struct idmap *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

/* a decimal number of the whole string s[0..len); Go's Atoi accepts no sign here */
static bool number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (!len || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

bool scan_block_key(const char *key, size_t plen, const char **name, uint64_t *id,
		    uint32_t *indx, uint32_t *bsize, bool *ok)
{
	const char *rest = key + plen, *p, *u1, *u2;
	uint64_t a = 0, b = 0, c = 0;
	int slashes = 0;

	for (p = rest; *p; p++)
		slashes += *p == '/';
	if (slashes != 2)
		return false;
	*name = strrchr(rest, '/') + 1;
	u1 = strchr(*name, '_');
	u2 = u1 ? strchr(u1 + 1, '_') : NULL;
	if (!u1 || !u2 || strchr(u2 + 1, '_'))
		return false;
	*ok = number(*name, (size_t)(u1 - *name), UINT64_MAX, &a) &&
	      number(u1 + 1, (size_t)(u2 - u1 - 1), UINT32_MAX, &b) &&
	      number(u2 + 1, strlen(u2 + 1), UINT32_MAX, &c);
	*id = *ok ? a : 0;
	*indx = *ok ? (uint32_t)b : 0;
	*bsize = *ok ? (uint32_t)c : 0;
	return true;
}

void scan_note(volume_note_fn note, void *arg, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	note(arg, line);
}

int scan_layout(struct volume *v, const char *what, struct chunk_ctx *c, size_t *plen)
{
	int ret;

	if (!v->store)
		return jfs_fail("volume", -EINVAL, "%s needs the object store", what);
	ret = volume_chunk_layout(v, c);
	if (!ret)
		*plen = strlen(c->prefix) + strlen("chunks/");
	return ret;
}
