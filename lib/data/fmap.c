/*
 * fmap.c - the chunk maps of open files (see fmap.h for the rules).
 *
 * A hash of open files, each with its cached chunks in a small array
 * (most files have a few 64 MiB chunks; past FMAP_CHUNKS the oldest
 * goes), all under one mutex: lookups copy a handful of segments and
 * return, the engine round trip they save is what matters.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data/fmap.h"

#define FMAP_BUCKETS	256
#define FMAP_CHUNKS	1024	/* per file: 64 GiB of it */

struct fchunk {
	uint32_t indx;
	struct meta_segs segs;
};

struct fmap {
	struct fmap *next;
	uint64_t ino;
	unsigned int opens;
	uint64_t gen;		/* moves at every forget */
	uint64_t length;
	struct fchunk *chunks;
	size_t n, cap;
	size_t oldest;		/* next to evict when full */
};

struct fmaps {
	pthread_mutex_t lock;
	struct fmap *tab[FMAP_BUCKETS];
};

int fmaps_new(struct fmaps **fp)
{
	struct fmaps *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	*fp = f;
	return 0;
}

static void fmap_drop_chunks(struct fmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->chunks[i].segs.v);
	m->n = 0;
	m->oldest = 0;
	m->gen++;
}

static void fmap_free(struct fmap *m)
{
	fmap_drop_chunks(m);
	free(m->chunks);
	free(m);
}

void fmaps_free(struct fmaps *f)
{
	struct fmap *m;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < FMAP_BUCKETS; i++)
		while ((m = f->tab[i])) {
			f->tab[i] = m->next;
			fmap_free(m);
		}
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static struct fmap **fmap_slot(struct fmaps *f, uint64_t ino)
{
	struct fmap **pp = &f->tab[(ino * 0x9e3779b97f4a7c15ULL) >> 56];

	while (*pp && (*pp)->ino != ino)
		pp = &(*pp)->next;
	return pp;
}

static struct fmap *fmap_find(struct fmaps *f, uint64_t ino)
{
	return *fmap_slot(f, ino);
}

int fmaps_open(struct fmaps *f, uint64_t ino, uint64_t length)
{
	struct fmap **pp, *m;

	pthread_mutex_lock(&f->lock);
	pp = fmap_slot(f, ino);
	m = *pp;
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m) {
			pthread_mutex_unlock(&f->lock);
			return -ENOMEM;
		}
		m->ino = ino;
		*pp = m;
	}
	m->opens++;
	fmap_drop_chunks(m);	/* close-to-open */
	m->length = length;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void fmaps_close(struct fmaps *f, uint64_t ino)
{
	struct fmap **pp, *m;

	pthread_mutex_lock(&f->lock);
	pp = fmap_slot(f, ino);
	m = *pp;
	if (m && !--m->opens) {
		*pp = m->next;
		fmap_free(m);
	}
	pthread_mutex_unlock(&f->lock);
}

void fmaps_forget(struct fmaps *f, uint64_t ino)
{
	struct fmap *m;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m)
		fmap_drop_chunks(m);
	pthread_mutex_unlock(&f->lock);
}

void fmaps_forget_chunk(struct fmaps *f, uint64_t ino, uint32_t indx)
{
	struct fmap *m;
	size_t i;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m) {
		m->gen++;
		for (i = 0; i < m->n; i++)
			if (m->chunks[i].indx == indx) {
				free(m->chunks[i].segs.v);
				m->chunks[i] = m->chunks[--m->n];
				m->oldest = 0;
				break;
			}
	}
	pthread_mutex_unlock(&f->lock);
}

void fmaps_forget_all(struct fmaps *f)
{
	struct fmap *m;
	size_t i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < FMAP_BUCKETS; i++)
		for (m = f->tab[i]; m; m = m->next)
			fmap_drop_chunks(m);
	pthread_mutex_unlock(&f->lock);
}

bool fmaps_length(struct fmaps *f, uint64_t ino, uint64_t *length)
{
	struct fmap *m;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m)
		*length = m->length;
	pthread_mutex_unlock(&f->lock);
	return m != NULL;
}

void fmaps_set_length(struct fmaps *f, uint64_t ino, uint64_t length)
{
	struct fmap *m;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m)
		m->length = length;
	pthread_mutex_unlock(&f->lock);
}

void fmaps_saw_length(struct fmaps *f, uint64_t ino, uint64_t length)
{
	struct fmap *m;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m && m->length != length) {
		fmap_drop_chunks(m);
		m->length = length;
	}
	pthread_mutex_unlock(&f->lock);
}

static int segs_copy(const struct meta_segs *from, struct meta_segs *to)
{
	to->n = to->cap = from->n;
	to->v = NULL;
	if (!from->n)
		return 0;
	to->v = malloc(from->n * sizeof(*to->v));
	if (!to->v)
		return -ENOMEM;
	memcpy(to->v, from->v, from->n * sizeof(*to->v));
	return 0;
}

int fmaps_get(struct fmaps *f, uint64_t ino, uint32_t indx, struct meta_segs *out,
	      uint64_t *gen)
{
	struct fmap *m;
	int ret = -1;
	size_t i;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (m) {
		*gen = m->gen;
		ret = 0;
		for (i = 0; i < m->n; i++)
			if (m->chunks[i].indx == indx) {
				ret = segs_copy(&m->chunks[i].segs, out) ? 0 : 1;
				break;
			}
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

void fmaps_put(struct fmaps *f, uint64_t ino, uint32_t indx,
	       const struct meta_segs *segs, uint64_t gen)
{
	struct fchunk *c, *nc;
	struct fmap *m;
	size_t i;

	pthread_mutex_lock(&f->lock);
	m = fmap_find(f, ino);
	if (!m || m->gen != gen)
		goto out;
	for (i = 0; i < m->n; i++)
		if (m->chunks[i].indx == indx)
			goto out;	/* another reader was first */
	if (m->n == FMAP_CHUNKS) {
		c = &m->chunks[m->oldest];
		m->oldest = (m->oldest + 1) % FMAP_CHUNKS;
		free(c->segs.v);
	} else {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 4;

			nc = realloc(m->chunks, cap * sizeof(*nc));
			if (!nc)
				goto out;
			m->chunks = nc;
			m->cap = cap;
		}
		c = &m->chunks[m->n++];
	}
	c->indx = indx;
	if (segs_copy(segs, &c->segs)) {
		*c = m->chunks[--m->n];
		m->oldest = 0;
	}
out:
	pthread_mutex_unlock(&f->lock);
}
