/*
 * plock.c - JuiceFS's POSIX lock lists (loadLocks, dumpLocks, updateLocks
 * in pkg/meta/utils.go), shared by the engines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/plock.h"
#include "util/bytes.h"

void plock_list_free(struct plock_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int push(struct plock_list *l, struct plock p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct plock *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = p;
	return 0;
}





int plock_load(const unsigned char *buf, size_t len, struct plock_list *l)
{
	size_t i;
	int ret;

	memset(l, 0, sizeof(*l));
	if (len % PLOCK_RECORD)
		return -EIO;
	for (i = 0; i < len; i += PLOCK_RECORD) {
		struct plock p = {
			.type = get_be32(buf + i), .pid = get_be32(buf + i + 4),
			.start = get_be64(buf + i + 8), .end = get_be64(buf + i + 16),
		};

		ret = push(l, p);
		if (ret) {
			plock_list_free(l);
			return ret;
		}
	}
	return 0;
}

int plock_dump(const struct plock_list *l, unsigned char **buf, size_t *len)
{
	unsigned char *p;
	size_t i;

	p = malloc(l->n ? l->n * PLOCK_RECORD : 1);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		put_be32(p + i * PLOCK_RECORD, l->v[i].type);
		put_be32(p + i * PLOCK_RECORD + 4, l->v[i].pid);
		put_be64(p + i * PLOCK_RECORD + 8, l->v[i].start);
		put_be64(p + i * PLOCK_RECORD + 16, l->v[i].end);
	}
	*buf = p;
	*len = l->n * PLOCK_RECORD;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct plock *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * updateLocks, step by step: the new range splits the records it
 * overlaps and takes over the overlapped parts; then the list is sorted,
 * emptied records (unlocked parts) dropped and adjacent equal ones merged.
 * "Consumed" is tracked with a flag rather than start > end, so an end of
 * UINT64_MAX (another client's "to EOF") cannot wrap around.
 */
int plock_update(struct plock_list *l, struct plock nl)
{
	size_t i, size = l->n, j;
	bool left = nl.start <= nl.end;
	int ret;

	for (i = 0; i < size && left; i++) {
		struct plock cur = l->v[i];

		if (nl.start < cur.start && nl.end >= cur.start) {
			struct plock head = nl;

			head.end = cur.start - 1;
			ret = push(l, head);
			if (ret)
				return ret;
			nl.start = cur.start;
		}
		if (nl.start > cur.start && nl.start <= cur.end) {
			struct plock front = cur;

			front.end = nl.start - 1;
			ret = push(l, front);
			if (ret)
				return ret;
			l->v[i].start = nl.start;
			cur = l->v[i];
		}
		if (nl.start == cur.start) {
			l->v[i].type = nl.type;
			l->v[i].pid = nl.pid;
			if (cur.end > nl.end) {
				struct plock tail = cur;

				l->v[i].end = nl.end;
				tail.start = nl.end + 1;
				ret = push(l, tail);
				if (ret)
					return ret;
			}
			if (l->v[i].end == UINT64_MAX || l->v[i].end >= nl.end)
				left = false;
			else
				nl.start = l->v[i].end + 1;
		}
	}
	if (left) {
		ret = push(l, nl);
		if (ret)
			return ret;
	}
	qsort(l->v, l->n, sizeof(*l->v), by_start);
	for (i = 0, j = 0; i < l->n; i++) {
		if (l->v[i].type == PLOCK_UN || l->v[i].start > l->v[i].end)
			continue;
		if (j && l->v[j - 1].type == l->v[i].type && l->v[j - 1].pid == l->v[i].pid &&
		    l->v[j - 1].end != UINT64_MAX && l->v[j - 1].end + 1 == l->v[i].start) {
			l->v[j - 1].end = l->v[i].end;
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	return 0;
}

const struct plock *plock_conflict(const struct plock_list *l, uint32_t type,
				   uint64_t start, uint64_t end)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct plock *p = &l->v[i];

		if ((type == PLOCK_WR || p->type == PLOCK_WR) &&
		    end >= p->start && start <= p->end)
			return p;
	}
	return NULL;
}

void plock_owner_key(char *buf, size_t size, uint64_t sid, uint64_t owner)
{
	snprintf(buf, size, "%" PRIu64 "_%016" PRIX64, sid, owner);
}
