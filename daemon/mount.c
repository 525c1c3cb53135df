/*
 * mount.c - one volume context per kernel mount.
 *
 * Mounting opens the volume (volume_open: engine, setting, object store),
 * starts its data path and, read-write, registers a session that a
 * heartbeat thread keeps alive and runs the shared clean-ups from
 * (volume_heartbeat, volume_run_jobs), exactly as a `juicefs mount`
 * does, so JuiceFS clients see us as one of theirs; a second thread
 * makes JuiceFS's metadata backups (--backup-meta, volume_backup), which
 * may take minutes on a large volume and so must not hold up the
 * heartbeat, let alone a request.  What is jfsd's
 * alone lives here: the refusal of quota'd volumes, the block cache and
 * the writeback staging area, handles and the per-inode open counts
 * (which decide whether an unlinked file is kept as "sustained").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/cache.h"
#include "data/fmap.h"
#include "data/stage.h"
#include "jfsd.h"
#include "util/log.h"
#include "util/url.h"

static bool vol_is_open(void *arg, uint64_t ino)
{
	struct vol *v = arg;
	bool open = false;
	size_t i;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nopens; i++)
		if (v->opens[i].ino == ino) {
			/* the engine asks only when it would drop the last link */
			v->opens[i].unlinked = true;
			open = true;
			break;
		}
	pthread_mutex_unlock(&v->lock);
	return open;
}

static int vol_delete_slice(void *arg, uint64_t id, uint32_t size)
{
	struct vol *v = arg;
	int ret = chunk_delete_slice(&v->chunk, id, size);

	if (ret)
		log_warn("deleting slice %llu (%u bytes) failed: %s; 'gc' will find it",
			 (unsigned long long)id, size, jfs_errmsg());
	return ret;
}

static void heartbeat(struct vol *v)
{
	uint64_t n;

	if (volume_heartbeat(v->volume))
		log_warn("volume '%s': session heartbeat failed: %s",
			 v->setting->name, jfs_errmsg());
	/* a quota set by a JuiceFS client after this read-write mount */
	if (!v->rdonly && !v->quota_warned &&
	    !meta_count_dir_quotas(v->meta, &n) && n) {
		log_warn("volume '%s': a directory quota was set, which jfsd does not "
			 "maintain; remount read-only", v->setting->name);
		v->quota_warned = true;
	}
}

/* JuiceFS's periodic clean-ups, whichever this mount wins the turn of. */
static void background_jobs(struct vol *v)
{
	struct volume_job jobs[VOLUME_NJOBS];
	int i;

	volume_run_jobs(v->volume, time(NULL), v->bg_secs, jobs);
	for (i = 0; i < VOLUME_NJOBS; i++) {
		if (jobs[i].err)
			log_warn("volume '%s': %s: %s", v->setting->name, jobs[i].what,
				 jobs[i].msg);
		else if (jobs[i].ran && jobs[i].n)
			log_info("volume '%s': %s: %zu %s", v->setting->name, jobs[i].what,
				 jobs[i].n, jobs[i].unit);
	}
}

/* Ticks every second: dir stats each tick, heartbeat every 12, jobs rarely. */
static void *heartbeat_main(void *arg)
{
	struct vol *v = arg;
	unsigned int tick = 0;
	struct timespec until;

	pthread_mutex_lock(&v->hb_lock);
	while (!v->hb_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&v->hb_cond, &v->hb_lock, &until);
		if (v->hb_stop)
			break;
		pthread_mutex_unlock(&v->hb_lock);
		tick++;
		if (meta_dirstat_flush(v->meta))
			log_warn("volume '%s': dir stats not written yet: %s",
				 v->setting->name, jfs_errmsg());
		if (tick % 12 == 0)
			heartbeat(v);
		if (v->bg_secs && tick % v->bg_secs == 0)
			background_jobs(v);
		pthread_mutex_lock(&v->hb_lock);
	}
	pthread_mutex_unlock(&v->hb_lock);
	return NULL;
}

static bool backup_cancelled(void *arg)
{
	struct vol *v = arg;

	return atomic_load(&v->bk_stop);
}

static void backup_round(struct vol *v, struct volume_dump_opts *o)
{
	struct volume_backup_result r;
	struct timespec t0, t1;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = volume_backup(v->volume, time(NULL), v->backup_secs, o, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret == -ECANCELED && atomic_load(&v->bk_stop))
		log_info("volume '%s': metadata backup %s cancelled by the unmount",
			 v->setting->name, r.name);
	else if (ret)
		log_warn("volume '%s': metadata backup failed: %s", v->setting->name,
			 jfs_errmsg());
	else if (r.skipped)
		log_warn("volume '%s': metadata backup skipped because of too many inodes: "
			 "%" PRIu64 " %llds; increase --backup-meta beyond 1h to enable it again",
			 v->setting->name, r.inodes, (long long)v->backup_secs);
	else if (r.done)
		log_info("volume '%s': metadata backup %s/meta/%s, %" PRIu64 " bytes, "
			 "%" PRIu64 " inodes, in %.1f s", v->setting->name, v->setting->name,
			 r.name, r.size, r.inodes, (t1.tv_sec - t0.tv_sec) +
			 (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (r.deleted)
		log_info("volume '%s': %zu old metadata backup(s) deleted", v->setting->name,
			 r.deleted);
	if (*r.warning)
		log_warn("volume '%s': %s", v->setting->name, r.warning);
}

/* Looks every interval/10, +-5% as juicefs; lastBackup decides who backs up. */
static void *backup_main(void *arg)
{
	struct vol *v = arg;
	struct volume_dump_opts o = { .cancel = backup_cancelled, .cancel_arg = v };
	int64_t tenth = v->backup_secs * 100, j = tenth / 20, ms;
	unsigned int seed = (unsigned int)(time(NULL) ^ (uintptr_t)v);
	struct timespec until;

	pthread_mutex_lock(&v->bk_lock);
	while (!atomic_load(&v->bk_stop)) {
		ms = tenth + (j ? (int64_t)(rand_r(&seed) % (2 * j + 1)) - j : 0);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!atomic_load(&v->bk_stop) &&
		       pthread_cond_timedwait(&v->bk_cond, &v->bk_lock, &until) != ETIMEDOUT)
			;
		if (atomic_load(&v->bk_stop))
			break;
		pthread_mutex_unlock(&v->bk_lock);
		backup_round(v, &o);
		pthread_mutex_lock(&v->bk_lock);
	}
	pthread_mutex_unlock(&v->bk_lock);
	return NULL;
}

static void handle_free(struct handle *h)
{
	meta_free_dirents(h->ents, h->nents);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void vol_free(struct vol *v)
{
	size_t i;

	if (v->watching)
		meta_unwatch(v->meta);
	if (v->chunk_started)
		chunk_stop(&v->chunk);
	fmaps_free(v->chunk.maps);
	if (stage_count(v->stage))
		log_info("volume '%s': %llu staged blocks are not uploaded yet; the next "
			 "read-write mount of this volume with cache dir %s uploads them",
			 v->setting->name, (unsigned long long)stage_count(v->stage),
			 stage_dir(v->stage));
	stage_close(v->stage);
	cache_close(v->cache);
	volume_close(v->volume);
	for (i = 0; i < v->nhandles; i++) {
		if (v->handles[i])
			handle_free(v->handles[i]);
	}
	free(v->handles);
	free(v->opens);
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->hb_lock);
	pthread_cond_destroy(&v->hb_cond);
	pthread_mutex_destroy(&v->bk_lock);
	pthread_cond_destroy(&v->bk_cond);
	free(v);
}

/*
 * JuiceFS clients keep a quota dir's usage (dirQuotaUsed*) up to date and
 * refuse writes beyond it; jfsd does neither yet, so a writer here would
 * overrun the limit and leave the usage wrong for everyone: read-only.
 */
static int check_dir_quotas(struct vol *v, char *err, size_t errlen)
{
	uint64_t n;
	int ret;

	if (v->rdonly)
		return 0;
	ret = meta_count_dir_quotas(v->meta, &n);
	if (ret) {
		snprintf(err, errlen, "cannot read the directory quotas: %s", jfs_errmsg());
		return ret;
	}
	if (!n)
		return 0;
	snprintf(err, errlen, "volume '%s' has %" PRIu64 " directory quota(s) (juicefs quota), "
		 "which jfsd does not maintain yet; mount it read-only",
		 v->setting->name, n);
	return -EOPNOTSUPP;
}

/* The volume, refused as every client refuses it; then what jfsd adds. */
static int vol_open_volume(struct vol *v, const char *url, unsigned int retry_secs,
			   char *err, size_t errlen)
{
	int ret;

	ret = volume_open(url, VOLUME_STORE | (v->rdonly ? VOLUME_RDONLY : 0), &v->volume);
	if (!ret) {
		v->meta = v->volume->meta;
		v->meta->retry_secs = retry_secs;
		v->setting = &v->volume->setting;
		v->meta->hooks.arg = v;
		v->meta->hooks.is_open = vol_is_open;
		v->meta->hooks.delete_slice = vol_delete_slice;
		ret = check_dir_quotas(v, err, errlen);
		if (ret)
			return ret;
		ret = volume_chunk_layout(v->volume, &v->chunk);
	}
	if (ret)
		snprintf(err, errlen, "%s", jfs_errmsg());
	return ret;
}

/*
 * -o active-invalidation: what the engine says changed goes to the kernel
 * as JFS_NOTIFY_INVAL, on the engine's thread.  A failed write is only
 * logged: the kernel's timeouts still bound how stale a cache gets.
 */
static void vol_changed(void *arg, uint64_t ino, unsigned int what)
{
	struct vol *v = arg;
	unsigned char msg[sizeof(struct jfs_out_hdr) + sizeof(struct jfs_notify_inval)];
	struct jfs_out_hdr h = { .len = sizeof(msg), .opcode = JFS_NOTIFY_INVAL };
	struct jfs_notify_inval n = { .mount_id = v->mount_id, .ino = ino };
	int ret;

	n.what = (what & META_CHANGED_ATTR ? JFS_INVAL_ATTR : 0) |
		 (what & META_CHANGED_ENTRIES ? JFS_INVAL_ENTRIES : 0) |
		 (what & META_CHANGED_ALL ? JFS_INVAL_ALL : 0);
	if (n.what & JFS_INVAL_ALL)
		n.ino = 0;
	/* another client may have written it: its chunk maps go too */
	if (n.what & JFS_INVAL_ALL)
		fmaps_forget_all(v->chunk.maps);
	else if (n.what & JFS_INVAL_ATTR)
		fmaps_forget(v->chunk.maps, ino);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &n, sizeof(n));
	ret = v->chan->ops->send(v->chan->ctx, msg, sizeof(msg));
	if (ret)
		log_warn("volume '%s': invalidation of inode %" PRIu64 " not delivered: %s",
			 v->setting->name, ino, strerror(-ret));
}

static int vol_start_notify(struct vol *v, char *err, size_t errlen)
{
	int ret;

	if (!v->notify)
		return 0;
	ret = meta_watch(v->meta, vol_changed, v);
	if (ret) {
		snprintf(err, errlen, "active-invalidation: %s", jfs_errmsg());
		return ret;
	}
	v->watching = true;
	return 0;
}

/*
 * Writeback's staging area, next to the cache.  A read-write mount opens
 * it even without writeback when an earlier run left blocks there, to
 * upload them: they are committed, and no other client can read them.  As
 * in JuiceFS, no cache (--cache-size 0) means no writeback.
 */
static int vol_open_stage(struct vol *v, const char *root, char *err, size_t errlen)
{
	struct stage_stats st;
	int ret;

	if (v->rdonly)
		return 0;
	if (v->writeback && !v->cache) {
		log_warn("volume '%s': no block cache, so no writeback (as juicefs)",
			 v->setting->name);
		v->writeback = false;
	}
	if (!v->cache)
		return 0;
	ret = stage_open(root, &v->stage);
	if (ret) {
		snprintf(err, errlen, "cannot open the staging directory %s/%s: %s", root,
			 STAGE_DIR, strerror(-ret));
		return ret;
	}
	stage_stats(v->stage, &st);
	if (st.found)
		log_info("volume '%s': found %llu staged blocks (%llu bytes) in %s; "
			 "uploading them", v->setting->name, (unsigned long long)st.found,
			 (unsigned long long)st.bytes, stage_dir(v->stage));
	if (!v->writeback && !st.found) {
		stage_close(v->stage);
		v->stage = NULL;
	}
	v->chunk.stage = v->stage;
	v->chunk.writeback = v->writeback;
	v->chunk.upload_delay = v->upload_delay;
	return 0;
}

/* The local block cache and the upload/prefetch threads of one mount. */
static int vol_start_data(struct vol *v, const struct jfsd_conf *conf, char *err,
			  size_t errlen)
{
	char root[4096];
	int ret;

	if (conf->cache_size && conf->cache_dir) {
		snprintf(root, sizeof(root), "%s/%s", conf->cache_dir, v->setting->uuid);
		ret = cache_open(root, conf->cache_size, &v->cache);
		/* a mount without its cache is slower, not broken */
		if (ret)
			log_warn("volume '%s': no block cache in %s: %s", v->setting->name,
				 root, strerror(-ret));
	}
	v->chunk.cache_large_write = conf->cache_large_write;
	ret = vol_open_stage(v, root, err, errlen);
	if (ret)
		return ret;
	ret = chunk_start(&v->chunk, v->cache, conf->max_uploads, conf->prefetch);
	if (ret) {
		snprintf(err, errlen, "cannot start data threads: %s", strerror(-ret));
		return ret;
	}
	v->chunk_started = true;
	return 0;
}

static int vol_start_session(struct vol *v, char *err, size_t errlen)
{
	int ret;

	ret = volume_new_session(v->volume);
	if (ret) {
		snprintf(err, errlen, "cannot register session: %s", jfs_errmsg());
		return ret;
	}
	ret = pthread_create(&v->heartbeat, NULL, heartbeat_main, v);
	if (ret) {
		volume_close_session(v->volume);
		snprintf(err, errlen, "cannot start heartbeat: %s", strerror(ret));
		return -ret;
	}
	v->hb_running = true;
	if (!v->backup_secs)
		return 0;
	ret = pthread_create(&v->backup, NULL, backup_main, v);
	if (ret) {
		snprintf(err, errlen, "cannot start the metadata backup thread: %s",
			 strerror(ret));
		return -ret;	/* vol_mount's failure path stops the heartbeat */
	}
	v->bk_running = true;
	return 0;
}

static void vol_stop(struct vol *v);

#define MAX_BACKUP_SECS		(366 * 86400)

/* juicefs's duration forms; its 5-minute minimum unless its test knob is set */
int vol_parse_backup(const char *s, int64_t *secs, char *err, size_t errlen)
{
	const char *skip = getenv("SKIP_BACKUP_META_CHECK");
	double v;

	if (volume_parse_duration(s, &v) || v < 0) {
		snprintf(err, errlen, "backup-meta takes a duration (1h, 30m, 3600), not '%s'", s);
		return -EINVAL;
	}
	if (v > 0 && v < VOLUME_BACKUP_MIN && !(skip && !strcmp(skip, "true"))) {
		snprintf(err, errlen, "backup-meta should not be less than 5 minutes: %s", s);
		return -EINVAL;
	}
	if (v > 0 && v < 1) {
		snprintf(err, errlen, "backup-meta should be at least 1 second: %s", s);
		return -EINVAL;
	}
	if (v > MAX_BACKUP_SECS) {
		snprintf(err, errlen, "backup-meta should be at most 366 days: %s", s);
		return -EINVAL;
	}
	*secs = (int64_t)v;
	return 0;
}

/* juicefs's --upload-delay: a duration, 0 (the default) uploads at once */
int vol_parse_upload_delay(const char *s, int64_t *secs, char *err, size_t errlen)
{
	double v;

	if (volume_parse_duration(s, &v) || v < 0 || v > MAX_BACKUP_SECS) {
		snprintf(err, errlen, "upload-delay takes a duration up to 366 days "
			 "(0, 30s, 1h), not '%s'", s);
		return -EINVAL;
	}
	*secs = (int64_t)v;
	return 0;
}

/*
 * The mount options the kernel passed on ("key=value,..."), which override
 * jfsd's own for this mount: backup-meta, writeback (and nowriteback),
 * upload-delay; and the flag active-invalidation.
 */
static int vol_parse_opts(struct vol *v, const char *opts, size_t len,
			  char *err, size_t errlen)
{
	char item[128];
	const char *p = opts, *end = opts + len, *comma;
	size_t n;
	int ret;

	if (memchr(opts, '\0', len)) {
		snprintf(err, errlen, "a NUL in the mount options");
		return -EINVAL;
	}
	while (p < end) {
		comma = memchr(p, ',', end - p);
		n = (comma ? comma : end) - p;
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "mount option too long");
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (!strncmp(item, "backup-meta=", 12)) {
			ret = vol_parse_backup(item + 12, &v->backup_secs, err, errlen);
			if (ret)
				return ret;
		} else if (!strcmp(item, "active-invalidation")) {
			v->notify = true;
		} else if (!strcmp(item, "writeback") || !strcmp(item, "nowriteback")) {
			v->writeback = item[0] == 'w';
		} else if (!strncmp(item, "upload-delay=", 13)) {
			ret = vol_parse_upload_delay(item + 13, &v->upload_delay, err, errlen);
			if (ret)
				return ret;
		} else {
			snprintf(err, errlen, "unknown mount option '%s'", item);
			return -EINVAL;
		}
		p += n + 1;
	}
	return 0;
}

int vol_mount(struct jfsd *d, uint64_t mount_id, const char *url, bool rdonly,
	      const char *opts, size_t opts_len, struct vol **vp, char *err,
	      size_t errlen)
{
	char shown[512];
	struct vol *v;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->mount_id = mount_id;
	v->rdonly = rdonly;
	v->refs = 1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->hb_lock, NULL);
	pthread_cond_init(&v->hb_cond, NULL);
	pthread_mutex_init(&v->bk_lock, NULL);
	pthread_cond_init(&v->bk_cond, NULL);
	if (url_redact(url, shown, sizeof(shown)))
		snprintf(shown, sizeof(shown), "(invalid url)");

	v->bg_secs = d->conf.bg_secs;
	v->backup_secs = d->conf.backup_secs;
	v->chan = &d->chan;
	v->writeback = d->conf.writeback;
	v->upload_delay = d->conf.upload_delay;
	ret = vol_parse_opts(v, opts, opts_len, err, errlen);
	/* before the notifications, which forget maps */
	if (!ret && (ret = fmaps_new(&v->chunk.maps)))
		snprintf(err, errlen, "out of memory");
	if (!ret)
		ret = vol_open_volume(v, url, d->conf.meta_retry_secs, err, errlen);
	if (!ret)
		ret = vol_start_notify(v, err, errlen);
	if (!ret)
		ret = vol_start_data(v, &d->conf, err, errlen);
	if (!ret && !rdonly)
		ret = vol_start_session(v, err, errlen);
	if (ret)
		goto fail;

	pthread_mutex_lock(&d->vols_lock);
	v->next = d->vols;
	d->vols = v;
	v->refs++;		/* the list's reference */
	pthread_mutex_unlock(&d->vols_lock);
	log_info("mounted volume '%s' from %s (mount %llu, session %llu%s%s)",
		 v->setting->name, shown, (unsigned long long)mount_id,
		 (unsigned long long)v->meta->sid, rdonly ? ", read-only" : "",
		 v->writeback ? ", writeback" : "");
	*vp = v;
	return 0;
fail:
	log_error("mount of %s failed: %s", shown, err);
	if (v->hb_running)
		vol_stop(v);
	vol_free(v);
	return ret;
}

struct vol *vol_get(struct jfsd *d, uint64_t mount_id)
{
	struct vol *v;

	pthread_mutex_lock(&d->vols_lock);
	for (v = d->vols; v; v = v->next)
		if (v->mount_id == mount_id) {
			v->refs++;
			break;
		}
	pthread_mutex_unlock(&d->vols_lock);
	return v;
}

void vol_put(struct jfsd *d, struct vol *v)
{
	bool last;

	pthread_mutex_lock(&d->vols_lock);
	last = --v->refs == 0;
	pthread_mutex_unlock(&d->vols_lock);
	if (last)
		vol_free(v);
}

static void vol_stop(struct vol *v)
{
	uint64_t sid;

	/* first: a dump under way reads the engine the session lives in */
	if (v->bk_running) {
		pthread_mutex_lock(&v->bk_lock);
		atomic_store(&v->bk_stop, true);
		pthread_cond_signal(&v->bk_cond);
		pthread_mutex_unlock(&v->bk_lock);
		pthread_join(v->backup, NULL);
		v->bk_running = false;
	}
	if (v->hb_running) {
		pthread_mutex_lock(&v->hb_lock);
		v->hb_stop = true;
		pthread_cond_signal(&v->hb_cond);
		pthread_mutex_unlock(&v->hb_lock);
		pthread_join(v->heartbeat, NULL);
		v->hb_running = false;
	}
	if (meta_dirstat_flush(v->meta))
		log_warn("volume '%s': dir stats lost at unmount: %s; 'juicefs fsck "
			 "--sync-dir-stat' repairs them", v->setting->name, jfs_errmsg());
	sid = v->meta->sid;
	if (volume_close_session(v->volume))
		log_warn("volume '%s': closing session %llu failed: %s",
			 v->setting->name, (unsigned long long)sid, jfs_errmsg());
}

/* Unlinks the volume, ends its session; the caller's reference goes too. */
void vol_umount(struct jfsd *d, struct vol *v)
{
	struct vol **pp;
	bool listed = false;

	pthread_mutex_lock(&d->vols_lock);
	for (pp = &d->vols; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			listed = true;
			break;
		}
	v->dying = true;
	pthread_mutex_unlock(&d->vols_lock);
	vol_stop(v);
	log_info("unmounted volume '%s' (mount %llu)", v->setting->name,
		 (unsigned long long)v->mount_id);
	if (listed)
		vol_put(d, v);
	vol_put(d, v);
}

void vol_close_all(struct jfsd *d)
{
	struct vol *v;

	for (;;) {
		pthread_mutex_lock(&d->vols_lock);
		v = d->vols;
		if (v)
			v->refs++;
		pthread_mutex_unlock(&d->vols_lock);
		if (!v)
			return;
		vol_umount(d, v);
	}
}

static int open_inc(struct vol *v, uint64_t ino)
{
	struct open_count *n;
	size_t i;

	for (i = 0; i < v->nopens; i++)
		if (v->opens[i].ino == ino) {
			v->opens[i].n++;
			return 0;
		}
	n = realloc(v->opens, (v->nopens + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	v->opens = n;
	v->opens[v->nopens].ino = ino;
	v->opens[v->nopens].n = 1;
	v->opens[v->nopens].unlinked = false;
	v->nopens++;
	return 0;
}

/*
 * Returns true when that was the last open of ino and an unlink or rename
 * here saw it open: only then can the inode be sustained, so only then
 * does the release need to look at it.
 */
static bool open_dec(struct vol *v, uint64_t ino)
{
	bool unlinked;
	size_t i;

	for (i = 0; i < v->nopens; i++) {
		if (v->opens[i].ino != ino)
			continue;
		if (--v->opens[i].n)
			return false;
		unlinked = v->opens[i].unlinked;
		v->opens[i] = v->opens[--v->nopens];
		return unlinked;
	}
	return false;
}

int vol_handle_new(struct vol *v, uint64_t ino, bool dir, uint64_t length,
		   uint64_t *fh)
{
	struct handle *h, **nh;
	size_t i;
	int ret = 0;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ino = ino;
	h->dir = dir;
	h->refs = 1;		/* the table's */
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nhandles && v->handles[i]; i++)
		;
	if (i == v->nhandles) {
		nh = realloc(v->handles, (v->nhandles * 2 + 16) * sizeof(*nh));
		if (!nh) {
			ret = -ENOMEM;
			goto out;
		}
		memset(nh + v->nhandles, 0, (v->nhandles + 16) * sizeof(*nh));
		v->handles = nh;
		v->nhandles = v->nhandles * 2 + 16;
	}
	if (!dir)
		ret = open_inc(v, ino);
	/* an open file's chunk maps are kept from now on (fmap.h) */
	if (!dir && !ret && v->chunk.maps) {
		ret = fmaps_open(v->chunk.maps, ino, length);
		if (ret)
			open_dec(v, ino);
	}
	if (!ret) {
		v->handles[i] = h;
		*fh = i + 1;
	}
out:
	pthread_mutex_unlock(&v->lock);
	if (ret) {
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
	return ret;
}


/*
 * A reference keeps the handle alive even if the kernel releases it while
 * an op still runs (a killed getdents leaves its READDIR behind).
 */
struct handle *vol_handle_get(struct vol *v, uint64_t fh)
{
	struct handle *h = NULL;

	pthread_mutex_lock(&v->lock);
	if (fh >= 1 && fh <= v->nhandles)
		h = v->handles[fh - 1];
	if (h)
		h->refs++;
	pthread_mutex_unlock(&v->lock);
	return h;
}

void vol_handle_put(struct vol *v, struct handle *h)
{
	bool last;

	pthread_mutex_lock(&v->lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&v->lock);
	if (last)
		handle_free(h);
}

int vol_handle_release(struct vol *v, uint64_t fh, uint64_t *ino,
		       bool *sustained)
{
	struct handle *h;

	pthread_mutex_lock(&v->lock);
	if (fh < 1 || fh > v->nhandles || !v->handles[fh - 1]) {
		pthread_mutex_unlock(&v->lock);
		return -EBADF;
	}
	h = v->handles[fh - 1];
	v->handles[fh - 1] = NULL;
	*ino = h->ino;
	*sustained = !h->dir && open_dec(v, h->ino);
	if (!h->dir && v->chunk.maps)
		fmaps_close(v->chunk.maps, h->ino);
	pthread_mutex_unlock(&v->lock);
	vol_handle_put(v, h);	/* the table's reference */
	return 0;
}
