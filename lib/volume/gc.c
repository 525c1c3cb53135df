/*
 * gc.c - `jfsadm gc`: volume_gc() collects a volume's garbage as `juicefs
 * gc` 1.4 does (cmd/gc.go), in its order:
 *
 *  1. --delete: the trash past TrashDays goes (meta_cleanup_trash).
 *  2. delfiles are counted; --delete frees every one now
 *     (meta_cleanup_deleted_files with no age limit).
 *  3. --compact: every chunk list of more than one record is compacted
 *     (chunk_compact, the compaction writes do).
 *  4. The slices the metadata references are collected (meta_scan): live
 *     ones from every chunk list, pending ones (sliceRef below zero, a
 *     delete that failed), and with trash the delSlices a compaction kept.
 *     A chunk list whose inode has no attr is an orphan; --delete removes
 *     it first (meta_delete_chunk), so its slices lose that reference.
 *     --delete also finishes the pending deletes (meta_cleanup_slices).
 *  5. delSlices entries past TrashDays are counted, and released with
 *     --delete (meta_cleanup_delayed_slices).
 *  6. The store is listed under {Name}/chunks/: an object younger than
 *     skip_new is skipped; one of no collected slice, or whose index and
 *     size do not fit its slice, is leaked, and deleted with --delete.
 *
 * Without --delete nothing changes (and no deleter is wired, so not even
 * a compaction can delete).  The slices' objects go through
 * hooks.delete_slice = chunk_delete_slice, as in jfsd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/pool.h"
#include "util/progress.h"
#include "volume/scan.h"
#include "volume/volume.h"

enum { LIVE, PENDING, TRASH };

struct gc {
	struct volume *v;
	const struct volume_gc_opts *o;
	struct volume_gc_report *r;
	struct chunk_ctx c;
	size_t plen;
	int64_t edge;			/* now - TrashDays */
	int64_t newest;			/* objects modified after this are skipped */
	struct idmap slices;		/* id -> size | state << 32 */
	uint64_t last_ino;		/* the orphan check's last answer */
	bool last_orphan;
	struct pool *deleters;
	struct pool_group group;
	struct progress bar;
};

#define NOTE(g, ...) scan_note((g)->o->note, (g)->o->arg, __VA_ARGS__)

static int put_slice(struct gc *g, uint64_t id, uint32_t size, int state)
{
	uint64_t old;

	/* a live slice wins over a pending one, which wins over the trash's */
	if (idmap_get(&g->slices, id, 0, &old) && (int)(old >> 32) <= state)
		return 0;
	if (idmap_put(&g->slices, id, 0, (uint64_t)state << 32 | size, NULL))
		return jfs_fail("volume", -ENOMEM, "out of memory");
	return 0;
}

static int gc_delete_slice(void *arg, uint64_t id, uint32_t size)
{
	struct gc *g = arg;

	return chunk_delete_slice(&g->c, id, size);
}

/* ---- slices ----------------------------------------------------------- */

static bool orphan(struct gc *g, uint64_t ino)
{
	struct meta_attr a;

	if (ino != g->last_ino) {
		g->last_ino = ino;
		g->last_orphan = meta_getattr(g->v->meta, ino, &a) == -ENOENT;
	}
	return g->last_orphan;
}

static int chunk_found(void *arg, uint64_t ino, uint32_t indx, const struct meta_slice *s,
		       size_t n, bool corrupt)
{
	struct gc *g = arg;
	size_t i;
	int ret = 0;

	if (corrupt) {
		NOTE(g, "corrupt value for inode %llu chunk %u", (unsigned long long)ino, indx);
		return 0;
	}
	if (orphan(g, ino)) {
		NOTE(g, "found leaked chunk c%llu_%u", (unsigned long long)ino, indx);
		g->r->orphan_chunks++;
		if (g->o->delete)
			return meta_delete_chunk(g->v->meta, ino, indx);
	}
	for (i = 0; !ret && i < n; i++)
		if (s[i].id)
			ret = put_slice(g, s[i].id, s[i].size, LIVE);
	progress_add(&g->bar, n);
	return ret;
}

static int pending_found(void *arg, uint64_t id, uint32_t size)
{
	return put_slice(arg, id, size, PENDING);
}

static int delayed_found(void *arg, int64_t ts, const uint64_t *id, const uint32_t *size,
			 size_t n)
{
	struct gc *g = arg;
	size_t i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		g->r->trash_slices++;
		g->r->trash_slices_bytes += size[i];
		if (g->o->delete && ts < g->edge) {
			g->r->delslices++;
			g->r->delslices_bytes += size[i];
		}
		if (!ret && id[i] && g->v->meta->trash_days > 0)
			ret = put_slice(g, id[i], size[i], TRASH);
	}
	return ret;
}

/* --compact: each chunk of more than one record, as CompactAll */
static int compact_one(void *arg, uint64_t ino, uint32_t indx, const struct meta_slice *s,
		       size_t n, bool corrupt)
{
	struct gc *g = arg;
	int ret;

	if (corrupt || n < 2)
		return 0;
	ret = chunk_compact(&g->c, ino, indx);
	if (ret == -EINVAL || ret == -ENOENT)
		return 0;	/* written or gone meanwhile */
	if (!ret)
		g->r->compacted_chunks++;
	progress_add(&g->bar, 1);
	return ret;
}

/* ---- objects ---------------------------------------------------------- */

struct del_job {
	struct store *store;
	char key[];
};

static int delete_job(void *arg)
{
	struct del_job *j = arg;
	int ret = j->store->ops->delete(j->store, j->key);

	free(j);
	return ret;
}

static int leaked(struct gc *g, const char *key, uint64_t size)
{
	struct del_job *j;

	g->r->leaked++;
	g->r->leaked_bytes += size;
	if (!g->o->delete)
		return 0;
	j = malloc(sizeof(*j) + strlen(key) + 1);
	if (!j)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	j->store = g->v->store;
	strcpy(j->key, key);
	pool_submit(g->deleters, &g->group, delete_job, j);
	g->r->deleted++;
	return 0;
}

/* isLeakedBlock: a full block past the slice's end, or a last one of the wrong size */
static bool misfit(uint32_t indx, uint32_t bsize, uint32_t size, uint32_t bs)
{
	if (bsize == bs)
		return (uint64_t)(indx + 1) * bsize > size;
	return (uint64_t)indx * bs + bsize != size;
}

static int object_found(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct gc *g = arg;
	struct volume_gc_report *r = g->r;
	const char *name;
	uint64_t id, v;
	uint32_t indx, bsize;
	bool ok;

	progress_add(&g->bar, 1);
	/* no time given, or too new: a write may be under way, as juicefs skips it */
	if (!mtime || mtime > g->newest) {
		r->scanned++;
		r->skipped++;
		r->skipped_bytes += size;
		return 0;
	}
	if (!scan_block_key(key, g->plen, &name, &id, &indx, &bsize, &ok))
		return 0;
	r->scanned++;
	if (!idmap_get(&g->slices, id, 0, &v) || !(uint32_t)v)
		return leaked(g, key, size);
	if (misfit(indx, bsize, (uint32_t)v, g->c.block_size)) {
		NOTE(g, "size of slice %llu is %llu, but expect %u", (unsigned long long)id,
		     (unsigned long long)indx * g->c.block_size + bsize, (uint32_t)v);
		return leaked(g, key, size);
	}
	switch (v >> 32) {
	case PENDING:
		r->pending++;
		r->pending_bytes += size;
		break;
	case TRASH:
		r->compacted++;
		r->compacted_bytes += size;
		break;
	default:
		r->valid++;
		r->valid_bytes += size;
	}
	return 0;
}

/* ---- the steps -------------------------------------------------------- */

static int cleanups(struct gc *g, int64_t now)
{
	struct meta *m = g->v->meta;
	struct meta_dump_info info;
	size_t i, n;
	int ret;

	if (g->o->delete && m->trash_days > 0) {
		ret = meta_cleanup_trash(m, (time_t)g->edge, &n);
		if (ret)
			return ret;
		g->r->trash_cleaned = n;
	}
	ret = meta_dump_info(m, &info);
	if (ret)
		return ret;
	for (i = 0; i < info.ndel; i++) {
		g->r->pending_files++;
		g->r->pending_files_bytes += info.del[i].length;
	}
	meta_dump_info_free(&info);
	if (g->o->delete) {
		ret = meta_cleanup_deleted_files(m, now + 1, &n);
		if (ret)
			return ret;
		g->r->delfiles = g->r->pending_files;
		g->r->delfiles_bytes = g->r->pending_files_bytes;
	}
	return 0;
}

static int collect(struct gc *g)
{
	struct meta *m = g->v->meta;
	struct meta_scan sc = { .chunk = chunk_found, .arg = g };
	size_t n;
	int ret;

	if (g->o->compact) {
		struct meta_scan cs = { .chunk = compact_one, .arg = g };

		progress_start(&g->bar, "Compacted chunks", 0, g->o->progress);
		ret = meta_scan(m, &cs);
		progress_done(&g->bar);
		if (ret)
			return ret;
	}
	if (g->o->delete) {
		ret = meta_cleanup_slices(m, &n);
		if (ret)
			return ret;
		g->r->pending_slices_cleaned = n;
	}
	progress_start(&g->bar, "Listed slices", 0, g->o->progress);
	ret = meta_scan(m, &sc);
	progress_done(&g->bar);
	if (ret)
		return ret;
	sc.chunk = NULL;
	sc.pending = pending_found;
	sc.delayed = delayed_found;
	ret = meta_scan(m, &sc);
	if (!ret && g->o->delete && m->trash_days > 0)
		ret = meta_cleanup_delayed_slices(m, g->edge, &n);
	return ret;
}

static int list_objects(struct gc *g)
{
	char prefix[128];
	int ret, ret2 = 0;

	if (g->o->delete) {
		ret = pool_create(g->o->threads ? g->o->threads : 1, &g->deleters);
		if (ret)
			return jfs_fail("volume", ret, "cannot start the deleting threads");
		pool_group_init(&g->group);
	}
	snprintf(prefix, sizeof(prefix), "%schunks/", g->c.prefix);
	progress_start(&g->bar, "Scanned objects", 0, g->o->progress);
	ret = g->v->store->ops->list(g->v->store, prefix, object_found, g);
	progress_done(&g->bar);
	if (ret && ret != -ENOMEM)
		ret = jfs_fail("volume", ret, "list all blocks: %s", jfs_errmsg());
	if (g->deleters) {
		ret2 = pool_group_wait(&g->group);
		pool_destroy(g->deleters);
		if (ret2 && !ret)
			ret = jfs_fail("volume", ret2, "delete leaked objects: %s", jfs_errmsg());
	}
	return ret;
}

int volume_gc(struct volume *v, const struct volume_gc_opts *o, struct volume_gc_report *r)
{
	struct gc g = { .v = v, .o = o, .r = r };
	int64_t now = (int64_t)time(NULL);
	int ret;

	memset(r, 0, sizeof(*r));
	ret = scan_layout(v, "gc", &g.c, &g.plen);
	if (ret)
		return ret;
	ret = chunk_start(&g.c, NULL, 0, 0);
	if (ret)
		return jfs_fail("volume", ret, "cannot start the data layer");
	g.edge = now - (int64_t)v->meta->trash_days * 86400;
	g.newest = now - o->skip_new;
	if (o->delete || o->compact) {
		v->meta->hooks.arg = &g;
		v->meta->hooks.delete_slice = gc_delete_slice;
	}
	ret = cleanups(&g, now);
	if (!ret)
		ret = collect(&g);
	if (!ret)
		ret = list_objects(&g);
	if (!ret && v->meta->dir_stats)
		ret = meta_dirstat_flush(v->meta);
	v->meta->hooks.delete_slice = NULL;
	v->meta->hooks.arg = NULL;
	chunk_stop(&g.c);
	idmap_free(&g.slices);
	return ret;
}
