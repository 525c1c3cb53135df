/*
 * fsck.c - `jfsadm fsck`: volume_fsck() checks a volume as `juicefs fsck`
 * does (cmd/fsck.go, base.go Check).
 *
 * Whole volume: the store is listed once under {Name}/chunks/ (keys of
 * exactly three parts, as juicefs takes them), then every slice of every
 * chunk list (meta_scan; files in delfiles skipped) must find each of its
 * blocks there; one not listed is HEADed before it counts as lost, as in
 * juicefs, so a listing that lags never makes a false alarm.  With a
 * path: the tree there is walked through the front's readdir; a dir's
 * nlink must be 2 + its subdirs, its dir stats (DirStats volumes) must
 * exist (and with --sync-dir-stat equal a recount), and its files' blocks
 * are HEADed.  --repair rewrites nlink (meta_repair_dir, counted again in
 * the transaction) and the stats, and on / -r --sync-dir-stat also the
 * volume's usedSpace/totalInodes from the walk (trash and sustained
 * inodes included, hard links once).  Lost blocks are never "repaired":
 * nothing can bring their data back, as in juicefs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/progress.h"
#include "volume/scan.h"
#include "volume/volume.h"

struct fsck {
	struct volume *v;
	const struct volume_fsck_opts *o;
	struct volume_fsck_report *r;
	struct chunk_ctx c;
	size_t plen;			/* strlen("{Name}/chunks/") */
	struct idmap blocks;		/* (id, indx << 32 | bsize) listed */
	struct idmap delfiles;		/* inodes */
	struct idmap broken;		/* inode -> index in r->broken */
	struct idmap seen;		/* hard-linked inodes counted once */
	bool count_volume;
	int64_t used, inodes;
	struct progress bar;
};

#define NOTE(f, ...) scan_note((f)->o->note, (f)->o->arg, __VA_ARGS__)

static int oom(void)
{
	return jfs_fail("volume", -ENOMEM, "out of memory");
}

/* ---- paths ------------------------------------------------------------ */

/* GetPaths' first answer: up the parents, each name found in its dir */
static void inode_path(struct fsck *f, uint64_t ino, char *buf, size_t len)
{
	char path[4096] = "", tmp[4096];
	uint64_t cur = ino;
	int depth;

	for (depth = 0; cur != META_ROOT_INO && depth < 1000; depth++) {
		struct meta_dirent *e = NULL;
		struct meta_attr a;
		const char *name = NULL;
		size_t n = 0, i;
		uint64_t parent;

		if (cur == META_TRASH_INO) {
			name = META_TRASH_NAME;
			parent = META_ROOT_INO;
		} else if (meta_getattr(f->v->meta, cur, &a) || !a.parent) {
			break;
		} else {
			parent = a.parent;
			if (meta_readdir(f->v->meta, parent, false, &e, &n))
				break;
			for (i = 0; i < n && !name; i++)
				if (e[i].ino == cur)
					name = e[i].name;
		}
		if (!name) {
			meta_free_dirents(e, n);
			break;
		}
		snprintf(tmp, sizeof(tmp), "/%s%s", name, path);
		memcpy(path, tmp, sizeof(path));
		meta_free_dirents(e, n);
		cur = parent;
	}
	if (cur == META_ROOT_INO && path[0])
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "inode:%llu", (unsigned long long)ino);
}

static int add_broken(struct fsck *f, uint64_t ino, const char *path)
{
	struct volume_fsck_report *r = f->r;
	struct volume_fsck_broken *b;

	if (idmap_get(&f->broken, ino, 0, NULL))
		return 0;
	b = realloc(r->broken, (r->nbroken + 1) * sizeof(*b));
	if (!b)
		return oom();
	r->broken = b;
	b[r->nbroken].ino = ino;
	b[r->nbroken].path = strdup(path);
	if (!b[r->nbroken].path || idmap_put(&f->broken, ino, 0, r->nbroken, NULL))
		return oom();
	r->nbroken++;
	return 0;
}

/* ---- blocks ----------------------------------------------------------- */

/* every block of slice (id, size) of file ino: listed, or HEADed */
static int check_slice(struct fsck *f, uint64_t ino, uint64_t id, uint32_t size)
{
	uint32_t bs = f->c.block_size, nblocks = (size - 1) / bs + 1, i;
	char key[CHUNK_KEY_MAX], path[4096];
	uint64_t got;
	int ret;

	for (i = 0; i < nblocks; i++) {
		uint32_t bsize = i == nblocks - 1 ? size - i * bs : bs;

		if (idmap_get(&f->blocks, id, (uint64_t)i << 32 | bsize, NULL))
			continue;
		ret = chunk_block_key(&f->c, id, size, i, key, sizeof(key));
		if (ret)
			return jfs_fail("volume", ret, "slice %llu: bad size %u",
					(unsigned long long)id, size);
		ret = f->v->store->ops->head(f->v->store, key, &got);
		if (!ret)
			continue;
		if (idmap_get(&f->broken, ino, 0, &got))
			snprintf(path, sizeof(path), "%s", f->r->broken[got].path);
		else
			inode_path(f, ino, path, sizeof(path));
		if (ret != -ENOENT) {
			NOTE(f, "check block %s for file %s in object storage: %s",
			     key + f->plen, path, jfs_errmsg());
			continue;
		}
		NOTE(f, "can't find block %s for file %s", key + f->plen,
		     path);
		f->r->lost++;
		f->r->lost_bytes += bsize;
		ret = add_broken(f, ino, path);
		if (ret)
			return ret;
	}
	f->r->slices++;
	f->r->slice_bytes += size;
	progress_add(&f->bar, 1);
	return 0;
}

static int check_records(struct fsck *f, uint64_t ino, const struct meta_slice *s, size_t n)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++)
		if (s[i].id && s[i].size)
			ret = check_slice(f, ino, s[i].id, s[i].size);
	return ret;
}

static int listed(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct fsck *f = arg;
	const char *name;
	uint64_t id;
	uint32_t indx, bsize;
	bool ok;

	if (!scan_block_key(key, f->plen, &name, &id, &indx, &bsize, &ok))
		return 0;
	f->r->objects++;
	f->r->object_bytes += size;
	progress_add(&f->bar, 1);
	if (ok && idmap_put(&f->blocks, id, (uint64_t)indx << 32 | bsize, size, NULL))
		return oom();
	return 0;
}

static int scanned_chunk(void *arg, uint64_t ino, uint32_t indx, const struct meta_slice *s,
			 size_t n, bool corrupt)
{
	struct fsck *f = arg;
	bool fresh;
	size_t i;

	if (corrupt) {
		NOTE(f, "corrupt value for inode %llu chunk %u", (unsigned long long)ino, indx);
		f->r->corrupt++;
		return 0;
	}
	if (idmap_get(&f->delfiles, ino, 0, NULL)) {
		if (idmap_put(&f->delfiles, ino, 1, 0, &fresh))
			return oom();
		f->r->skipped_files += fresh;
		for (i = 0; i < n; i++)
			f->r->skipped_slices += s[i].id != 0;
		return 0;
	}
	return check_records(f, ino, s, n);
}

static int fsck_volume(struct fsck *f)
{
	struct meta_scan sc = { .chunk = scanned_chunk, .arg = f };
	struct meta_dump_info info;
	char prefix[128];
	size_t i;
	int ret;

	snprintf(prefix, sizeof(prefix), "%schunks/", f->c.prefix);
	progress_start(&f->bar, "Found blocks", 0, f->o->progress);
	ret = f->v->store->ops->list(f->v->store, prefix, listed, f);
	progress_done(&f->bar);
	if (ret)
		return ret == -ENOMEM ? ret : jfs_fail("volume", ret, "list all blocks: %s",
							jfs_errmsg());
	ret = meta_dump_info(f->v->meta, &info);
	if (ret)
		return ret;
	for (i = 0; !ret && i < info.ndel; i++)
		ret = idmap_put(&f->delfiles, info.del[i].ino, 0, 0, NULL) ? oom() : 0;
	meta_dump_info_free(&info);
	if (ret)
		return ret;
	progress_start(&f->bar, "Scanned slices", 0, f->o->progress);
	ret = meta_scan(f->v->meta, &sc);
	progress_done(&f->bar);
	return ret;
}

/* ---- the tree --------------------------------------------------------- */

static int check_file(struct fsck *f, uint64_t ino, const struct meta_attr *a)
{
	uint32_t indx, chunks = (uint32_t)((a->length + META_CHUNK_SIZE - 1) / META_CHUNK_SIZE);
	struct meta_slice *s;
	size_t n;
	int ret = 0;

	for (indx = 0; !ret && indx < chunks; indx++) {
		ret = meta_read_chunk(f->v->meta, ino, indx, &s, &n);
		if (ret == -EIO) {
			NOTE(f, "corrupt value for inode %llu chunk %u", (unsigned long long)ino,
			     indx);
			f->r->corrupt++;
			ret = 0;
			continue;
		}
		if (!ret)
			ret = check_records(f, ino, s, n);
		free(s);
	}
	return ret;
}

static void count_node(struct fsck *f, uint64_t ino, const struct meta_attr *a)
{
	bool fresh = true;

	if (!f->count_volume || ino == META_ROOT_INO || ino == META_TRASH_INO)
		return;
	if (a->type != META_TYPE_DIR && a->nlink > 1)
		idmap_put(&f->seen, ino, 0, 0, &fresh);
	if (!fresh)
		return;
	f->used += (int64_t)meta_align4k(a->type == META_TYPE_DIR ? 0 : a->length);
	f->inodes++;
}

static int check_stats(struct fsck *f, uint64_t ino, const char *path)
{
	struct meta *m = f->v->meta;
	struct meta_dirstat st = { .ino = ino }, calc;
	bool have, broken;
	int ret;

	ret = meta_get_dir_stat(m, &st, &have);
	if (ret)
		return ret;
	broken = !have || st.space < 0 || st.inodes < 0;
	if (broken)
		NOTE(f, "usage stat of %s is missing or broken", path);
	if (!f->o->repair && f->o->sync_dir_stat && have) {
		ret = meta_calc_dir_stat(m, ino, &calc);
		if (ret)
			return ret;
		if (calc.space != st.space || calc.inodes != st.inodes) {
			NOTE(f, "usage stat of %s should be {%lld %lld %lld}, but got {%lld %lld %lld}",
			     path, (long long)calc.length, (long long)calc.space,
			     (long long)calc.inodes, (long long)st.length, (long long)st.space,
			     (long long)st.inodes);
			broken = true;
		}
	}
	f->r->bad_stats += broken;
	if (f->o->repair && (broken || f->o->sync_dir_stat)) {
		ret = meta_sync_dir_stat(m, ino, NULL);
		if (ret)
			return ret;
		f->r->repaired += broken;
	} else if (broken) {
		NOTE(f, "Stat of path %s (inode %llu) should be synced, please re-run with "
		     "'--path %s --repair --sync-dir-stat' to fix it", path,
		     (unsigned long long)ino, path);
		f->r->problems++;
	}
	return 0;
}

static int check_dir(struct fsck *f, uint64_t ino, const char *path, const struct meta_attr *a,
		     const struct meta_dirent *e, size_t n)
{
	uint32_t nlink = 2, fixed;
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		nlink += e[i].type == META_TYPE_DIR;
	if (a->nlink != nlink) {
		NOTE(f, "nlink of %s should be %u, but got %u", path, nlink, a->nlink);
		f->r->bad_nlink++;
		if (f->o->repair) {
			ret = meta_repair_dir(f->v->meta, ino, &fixed);
			if (ret)
				return ret;
			f->r->repaired++;
		} else {
			NOTE(f, "Path %s (inode %llu) can be repaired, please re-run with "
			     "'--path %s --repair' to fix it", path, (unsigned long long)ino, path);
			f->r->problems++;
		}
	}
	return f->v->setting.dir_stats ? check_stats(f, ino, path) : 0;
}

/* walk(): the node, then (recursive) every entry below it */
static int walk(struct fsck *f, uint64_t ino, const char *path, const struct meta_attr *a,
		bool check, bool deep)
{
	struct meta_dirent *e = NULL;
	char sub[4096];
	size_t n = 0, i;
	int ret;

	count_node(f, ino, a);
	if (a->type != META_TYPE_DIR) {
		if (!check || a->type != META_TYPE_FILE)
			return 0;
		f->r->nodes++;
		return check_file(f, ino, a);
	}
	ret = meta_readdir(f->v->meta, ino, true, &e, &n);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return jfs_fail("volume", ret, "list %s: %s", path, jfs_errmsg());
	if (check) {
		f->r->nodes++;
		progress_add(&f->bar, 1);
		ret = check_dir(f, ino, path, a, e, n);
	}
	for (i = 0; !ret && deep && i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "", e[i].name);
		ret = walk(f, e[i].ino, sub, &e[i].attr, check, deep);
	}
	meta_free_dirents(e, n);
	return ret;
}

/* doSyncVolumeStat: what the walk counted, the trash's and the sustained inodes */
static int sync_volume(struct fsck *f)
{
	struct meta *m = f->v->meta;
	struct meta_session_info *s = NULL;
	struct meta_attr a;
	size_t n = 0, i, k;
	int ret = 0;

	if (f->v->setting.trash_days > 0 && !meta_getattr(m, META_TRASH_INO, &a))
		ret = walk(f, META_TRASH_INO, "/.trash", &a, false, true);
	if (!ret)
		ret = meta_list_sessions(m, &s, &n);
	for (i = 0; !ret && i < n; i++)
		for (k = 0; k < s[i].nsustained; k++)
			if (!meta_getattr(m, s[i].sustained[k], &a)) {
				f->used += (int64_t)meta_align4k(a.length);
				f->inodes++;
			}
	meta_free_sessions(s, n);
	if (!ret)
		ret = meta_set_volume_stat(m, f->used, f->inodes);
	if (!ret)
		f->r->volume_stat = true;
	return ret;
}

static int fsck_path(struct fsck *f)
{
	const char *p = f->o->path, *slash;
	uint64_t ino = META_ROOT_INO;
	struct meta_attr a;
	int ret;

	if (p[0] != '/')
		return jfs_fail("volume", -EINVAL, "file path '%s' should be the absolute path "
				"within the volume", p);
	ret = meta_getattr(f->v->meta, ino, &a);
	while (!ret && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		ret = meta_lookup(f->v->meta, ino, p, slash ? (size_t)(slash - p) : strlen(p),
				  &ino, &a);
		p = slash ? slash : p + strlen(p);
	}
	if (ret == -ENOENT)
		return jfs_fail("volume", ret, "%s: no such file or directory", f->o->path);
	if (ret)
		return ret;
	f->count_volume = ino == META_ROOT_INO && f->o->repair && f->o->sync_dir_stat &&
			  f->o->recursive;
	progress_start(&f->bar, "Checked nodes", 0, f->o->progress);
	ret = walk(f, ino, f->o->path, &a, true, f->o->recursive);
	progress_done(&f->bar);
	if (!ret && f->count_volume)
		ret = sync_volume(f);
	if (!ret && f->v->meta->dir_stats)
		ret = meta_dirstat_flush(f->v->meta);
	return ret;
}

static int broken_cmp(const void *x, const void *y)
{
	const struct volume_fsck_broken *a = x, *b = y;

	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

int volume_fsck(struct volume *v, const struct volume_fsck_opts *o,
		struct volume_fsck_report *r)
{
	struct fsck f = { .v = v, .o = o, .r = r };
	int ret;

	memset(r, 0, sizeof(*r));
	ret = scan_layout(v, "fsck", &f.c, &f.plen);
	if (ret)
		return ret;
	ret = o->path ? fsck_path(&f) : fsck_volume(&f);
	r->problems += r->lost + r->corrupt;
	if (r->nbroken)
		qsort(r->broken, r->nbroken, sizeof(*r->broken), broken_cmp);
	idmap_free(&f.blocks);
	idmap_free(&f.delfiles);
	idmap_free(&f.broken);
	idmap_free(&f.seen);
	return ret;
}

void volume_fsck_report_free(struct volume_fsck_report *r)
{
	size_t i;

	for (i = 0; i < r->nbroken; i++)
		free(r->broken[i].path);
	free(r->broken);
	r->broken = NULL;
	r->nbroken = 0;
}
