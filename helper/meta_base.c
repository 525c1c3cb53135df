/*
 * meta_base.c - what every engine does the same way around its own
 * transactions, as JuiceFS's baseMeta does: the trash (hour dirs under
 * .trash and their expiry) and the batching of directory statistics.
 *
 * Trash.  With TrashDays > 0 a deleted or replaced entry is not freed but
 * moved to .trash/YYYY-MM-DD-HH (UTC hour of the deletion) under the name
 * "{parent}-{ino}-{name}", where `juicefs restore` and a plain `mv` find
 * it.  The hour dir is created on first use by whichever client gets there
 * first; its inode is cached for the rest of the hour.  Hour dirs older
 * than TrashDays days (+2 h) are emptied for real by the hourly job.
 *
 * Dir stats.  JuiceFS clients add their deltas to the dir-stat hashes
 * once a second, not in the namespace transaction; a dir without stats is
 * recounted from its entries by the first client that touches it.  We do
 * the same, so deltas queued here are flushed by the volume's heartbeat
 * thread and at unmount.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta.h"

#define TRASH_FMT	"%Y-%m-%d-%H"

/* ---- trash ---------------------------------------------------------- */

int meta_trash_dir(struct meta *m, uint64_t parent, uint64_t *trash)
{
	char name[sizeof(m->trash_name)];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t ino;
	int ret;

	*trash = 0;
	if (m->trash_days <= 0 || meta_is_trash(parent))
		return 0;
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), TRASH_FMT, &tm);
	pthread_mutex_lock(&m->trash_lock);
	if (!strcmp(name, m->trash_name))
		*trash = m->trash_ino;
	pthread_mutex_unlock(&m->trash_lock);
	if (*trash)
		return 0;

	ret = m->ops->lookup(m, META_TRASH_INO, name, strlen(name), &ino, NULL);
	if (ret == -ENOENT) {
		ret = m->ops->new_trash_dir(m, name, &ino);
		if (ret == -EEXIST)	/* another client made it first */
			ret = m->ops->lookup(m, META_TRASH_INO, name, strlen(name),
					     &ino, NULL);
	}
	if (ret)
		return ret;
	if (!meta_is_trash(ino) || ino == META_TRASH_INO) {
		meta_set_errmsg("trash hour dir %s has inode %" PRIu64
				", outside the trash range", name, ino);
		return -EIO;
	}
	pthread_mutex_lock(&m->trash_lock);
	memcpy(m->trash_name, name, sizeof(name));
	m->trash_ino = ino;
	pthread_mutex_unlock(&m->trash_lock);
	*trash = ino;
	return 0;
}

size_t meta_trash_entry(char *buf, uint64_t parent, uint64_t ino,
			const char *name, size_t len)
{
	int n = snprintf(buf, META_MAX_NAME + 1, "%" PRIu64 "-%" PRIu64 "-",
			 parent, ino);

	if (len > (size_t)(META_MAX_NAME - n))
		len = META_MAX_NAME - n;	/* JuiceFS cuts it too */
	memcpy(buf + n, name, len);
	return n + len;
}

/* Removes everything below 'dir' (inside the trash: deletes are final). */
static int empty_dir(struct meta *m, uint64_t dir, size_t *deleted, int depth)
{
	struct meta_dirent *e = NULL;
	size_t n = 0, i;
	int ret, err = 0;

	if (depth > 64)
		return -ELOOP;
	ret = m->ops->readdir(m, dir, false, &e, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (e[i].type == META_TYPE_DIR) {
			ret = empty_dir(m, e[i].ino, deleted, depth + 1);
			if (!ret)
				ret = m->ops->rmdir(m, dir, e[i].name, e[i].namelen);
		} else {
			ret = m->ops->unlink(m, dir, e[i].name, e[i].namelen);
		}
		if (ret && ret != -ENOENT)
			err = ret;
		else if (!ret)
			(*deleted)++;
	}
	meta_free_dirents(e, n);
	return err;
}

int meta_cleanup_trash(struct meta *m, time_t edge, size_t *deleted)
{
	struct meta_dirent *e = NULL;
	size_t n = 0, i;
	int ret, err = 0;

	*deleted = 0;
	ret = m->ops->readdir(m, META_TRASH_INO, false, &e, &n);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	for (i = 0; i < n; i++) {
		struct tm tm = { 0 };
		const char *end;

		end = strptime(e[i].name, TRASH_FMT, &tm);
		if (!end || *end || e[i].type != META_TYPE_DIR)
			continue;	/* not an hour dir: JuiceFS skips it too */
		if (timegm(&tm) >= edge)
			continue;
		ret = empty_dir(m, e[i].ino, deleted, 0);
		if (!ret)
			ret = m->ops->rmdir(m, META_TRASH_INO, e[i].name, e[i].namelen);
		if (ret && ret != -ENOENT)
			err = ret;
	}
	meta_free_dirents(e, n);
	pthread_mutex_lock(&m->trash_lock);
	m->trash_name[0] = '\0';	/* the cached hour dir may be gone */
	pthread_mutex_unlock(&m->trash_lock);
	return err;
}

/* ---- dir stats ------------------------------------------------------ */

static uint64_t ds_hash(uint64_t ino)
{
	return ino * 0x9E3779B97F4A7C15ULL;
}

static struct meta_dirstat *ds_slot(struct meta_dirstats *ds, uint64_t ino)
{
	size_t i = ds_hash(ino) & (ds->cap - 1);

	while (ds->v[i].ino && ds->v[i].ino != ino)
		i = (i + 1) & (ds->cap - 1);
	return &ds->v[i];
}

static int ds_grow(struct meta_dirstats *ds)
{
	struct meta_dirstats old = *ds;
	size_t i;

	ds->cap = old.cap ? old.cap * 2 : 64;
	ds->v = calloc(ds->cap, sizeof(*ds->v));
	if (!ds->v) {
		*ds = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.v[i].ino)
			*ds_slot(ds, old.v[i].ino) = old.v[i];
	free(old.v);
	return 0;
}

void meta_dirstat_add(struct meta *m, uint64_t ino, int64_t length,
		      int64_t space, int64_t inodes)
{
	struct meta_dirstats *ds = &m->ds;
	struct meta_dirstat *d;

	if (!m->dir_stats || !ino || (!length && !space && !inodes))
		return;
	pthread_mutex_lock(&ds->lock);
	/* out of memory: the delta is lost, `juicefs fsck` can resync */
	if (2 * (ds->n + 1) > ds->cap && ds_grow(ds))
		goto out;
	d = ds_slot(ds, ino);
	if (!d->ino) {
		d->ino = ino;
		ds->n++;
	}
	d->length += length;
	d->space += space;
	d->inodes += inodes;
out:
	pthread_mutex_unlock(&ds->lock);
}

int meta_dirstat_flush(struct meta *m)
{
	struct meta_dirstats *ds = &m->ds;
	struct meta_dirstat *v, *batch;
	size_t cap, n = 0, i;
	int ret;

	pthread_mutex_lock(&ds->lock);
	v = ds->v;
	cap = ds->cap;
	ds->v = NULL;
	ds->n = ds->cap = 0;
	pthread_mutex_unlock(&ds->lock);
	if (!v)
		return 0;
	batch = v;	/* compacted in place */
	for (i = 0; i < cap; i++)
		if (v[i].ino)
			batch[n++] = v[i];
	ret = n ? m->ops->update_dir_stats(m, batch, n) : 0;
	if (ret)	/* put them back for the next flush */
		for (i = 0; i < n; i++)
			meta_dirstat_add(m, batch[i].ino, batch[i].length,
					 batch[i].space, batch[i].inodes);
	free(v);
	return ret;
}

void meta_base_init(struct meta *m)
{
	pthread_mutex_init(&m->ds.lock, NULL);
	pthread_mutex_init(&m->trash_lock, NULL);
}

void meta_base_destroy(struct meta *m)
{
	free(m->ds.v);
	m->ds.v = NULL;
	pthread_mutex_destroy(&m->ds.lock);
	pthread_mutex_destroy(&m->trash_lock);
}
