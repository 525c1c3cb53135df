/*
 * volume.h - a volume as a whole: its metadata engine, its setting and its
 * object store, and the operations on it that jfsd and jfsadm share.
 *
 * "Open the engine, read the setting, refuse if unformatted, parse, check"
 * is volume_open(); creating or updating a volume is volume_format(); the
 * session a read-write client keeps and JuiceFS's periodic clean-ups are
 * volume_new_session(), volume_heartbeat() and volume_run_jobs().  jfsd's
 * mounts, mount.jfs's pre-flight check and every jfsadm command call these
 * and nothing below them; dump.c and load.c are `jfsadm dump` and
 * `jfsadm load` (dumpio.c their streams and escaping).
 *
 * Every function returns 0 or a negative errno and, on failure, leaves one
 * error record (util/err.h) whose message names the volume by its
 * password-hidden URL.  Its layer says where it failed: "meta" when the
 * engine could not be opened or reached (the URL's fault or the server's),
 * "volume" for everything after that.
 */
#ifndef JFS_VOLUME_H
#define JFS_VOLUME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/chunk.h"
#include "meta/meta.h"
#include "store/store.h"
#include "volume/setting.h"

/* volume_open() flags */
#define VOLUME_RDONLY	0x1	/* a read-only client: no dir stats, fewer refusals */
#define VOLUME_STORE	0x2	/* unseal the secrets and open the object store */
#define VOLUME_ANY	0x4	/* take any setting, even one this client cannot serve */

struct volume {
	struct meta *meta;
	struct setting setting;
	struct store *store;		/* VOLUME_STORE only, else NULL */
	unsigned int flags;
	char shown[512];		/* the META-URL with its password hidden */
};

/*
 * Opens the engine at url and the volume in it.  Unless VOLUME_ANY, refuses
 * one this client cannot serve (setting_check).  Sets what the volume asks
 * of every writer on the engine (trash days, dir stats).  -ENOENT: the
 * database holds no volume ("not formatted").
 */
int volume_open(const char *url, unsigned int flags, struct volume **vp);
void volume_close(struct volume *v);

/* The data layout of the volume's blocks, for chunk_start(): prefix, sizes, compression. */
int volume_chunk_layout(const struct volume *v, struct chunk_ctx *c);

/* JuiceFS's rule for volume names: 3-63 of a-z, 0-9, '-', not starting or ending with '-'. */
bool volume_name_valid(const char *name);

/* volume_format_args.given bits: what the caller set */
enum {
	VOLUME_FMT_STORAGE = 1 << 0,
	VOLUME_FMT_BUCKET = 1 << 1,
	VOLUME_FMT_BLOCK_SIZE = 1 << 2,
	VOLUME_FMT_COMPRESS = 1 << 3,
	VOLUME_FMT_HASH_PREFIX = 1 << 4,
	VOLUME_FMT_TRASH_DAYS = 1 << 5,
	VOLUME_FMT_CAPACITY = 1 << 6,
	VOLUME_FMT_INODES = 1 << 7,
	VOLUME_FMT_ACCESS_KEY = 1 << 8,
	VOLUME_FMT_SECRET_KEY = 1 << 9,
	VOLUME_FMT_ENABLE_ACL = 1 << 10,
};

/*
 * What `juicefs format` takes.  A new volume gets every field as given
 * here (the caller fills in the defaults); an existing one changes only
 * the fields in `given`, and its immutable ones (block size, compression,
 * hash prefix) only with force.
 */
struct volume_format_args {
	const char *name;
	unsigned int given;
	const char *storage;		/* "file", "s3", "minio" */
	const char *bucket;		/* a file store's directory may be relative */
	uint64_t block_size;		/* bytes; rounded to a power of 2 in 64 KiB..16 MiB */
	const char *compress;		/* "none", "lz4", "zstd" */
	bool hash_prefix;
	uint64_t trash_days, capacity, inodes;	/* capacity in bytes; 0: no limit */
	const char *access_key, *secret_key;
	bool enable_acl;		/* on for good: ACLs cannot be turned off */
	bool force;
};

struct volume_formatted {
	bool created;			/* a new volume, not an update */
	char name[64], uuid[40], storage[32];
	char bucket[PATH_MAX];
	char warning[256];		/* "" or what went wrong without failing */
};

/*
 * Creates the volume at url (setting, root inode, the bucket's
 * juicefs_uuid object) or updates the one there, as `juicefs format`
 * does.  Every check and every object store step runs before the
 * metadata is written, and the one object a new volume puts is removed
 * again if that write fails: on failure nothing changed.
 */
int volume_format(const char *url, const struct volume_format_args *a,
		  struct volume_formatted *out);

/* Registers this client's session (v->meta->sid), as `juicefs mount` does. */
int volume_new_session(struct volume *v);
/* Keeps the session alive and removes other clients' stale ones (every 12 s in jfsd). */
int volume_heartbeat(struct volume *v);
/* Ends the session: its sustained inodes and locks go too. */
int volume_close_session(struct volume *v);

/* JuiceFS's periodic clean-ups, in the order volume_run_jobs() runs them */
enum {
	VOLUME_JOB_TRASH,		/* expired trash hour dirs */
	VOLUME_JOB_DELAYED_SLICES,	/* slices a compaction kept for the trash's lifetime */
	VOLUME_JOB_DELETED_FILES,	/* delfiles entries a crashed client left (> 1 h old) */
	VOLUME_JOB_SLICES,		/* slices whose objects a failed delete left */
	VOLUME_NJOBS
};

struct volume_job {
	const char *what;		/* "trash cleanup", ... */
	const char *unit;		/* what n counts: "expired trash entries", ... */
	bool ran;			/* this client won the job's turn */
	int err;			/* 0 or -errno */
	char msg[256];			/* the error record when err */
	size_t n;
};

/*
 * Runs the jobs whose turn this client wins: each is taken by one client
 * of the volume at a time, at most once a period (setIfSmall on a shared
 * timestamp, as JuiceFS's clients do).  Every job runs even if one before
 * it failed; jobs[] says what each did.  Returns the first failure.
 */
int volume_run_jobs(struct volume *v, int64_t now, int64_t period,
		    struct volume_job jobs[VOLUME_NJOBS]);

/* volume_dump() options: `juicefs dump`'s */
struct volume_dump_opts {
	const char *subdir;		/* NULL or "": the whole tree (and the trash) */
	bool keep_secret;		/* else SecretKey and SessionToken read "removed" */
	bool skip_trash;
	/* polled before each entry: true stops the dump with -ECANCELED */
	bool (*cancel)(void *arg);
	void *cancel_arg;
	bool progress;			/* a progress line on stderr (the caller decided) */
};

/*
 * Writes the volume's metadata as `juicefs dump` does (dump.c) to path:
 * "-" or NULL is stdout, a ".gz" or ".zstd" name is compressed.  A file
 * appears only when the dump succeeded.  The volume may be one this
 * client cannot serve (open it with VOLUME_ANY | VOLUME_RDONLY).
 */
int volume_dump(struct volume *v, const char *path, const struct volume_dump_opts *o);

/* ---- automatic metadata backup (backup.c), JuiceFS's --backup-meta ---- */

/* juicefs's default interval and the least it takes (without SKIP_BACKUP_META_CHECK) */
#define VOLUME_BACKUP_DEFAULT	3600
#define VOLUME_BACKUP_MIN	300

/*
 * A juicefs duration: "1h", "30m", "1h30m", "1d12h", "250ms" (Go's units
 * with an optional leading "<N>d"), or a bare number of seconds ("3600").
 * -EINVAL if it is none of these.
 */
int volume_parse_duration(const char *s, double *secs);

struct volume_backup_result {
	bool ran;			/* this client won the interval's turn */
	bool skipped;			/* ... but the volume has too many inodes */
	bool done;			/* the backup is in the object store */
	char name[40];			/* dump-YYYY-MM-DD-HHMMSS.json.gz */
	uint64_t size;			/* its bytes */
	uint64_t inodes;		/* the volume's, when the turn was ours */
	size_t deleted;			/* old backups the rotation removed */
	char warning[256];		/* "" or why the rotation failed */
};

/*
 * One round of JuiceFS's metadata backup at time now: unless the root's
 * xattr lastBackup is less than interval seconds old, stamps it with now
 * and uploads the whole tree, dumped as o says (subdir and keep_secret
 * are ignored), as {Name}/meta/dump-{UTC}.json.gz to v->store (open it
 * with VOLUME_STORE), then deletes the backups volume_backup_expired()
 * names.  Volumes of more than 1M inodes are skipped when interval is at
 * most an hour.  r says what happened; a failed rotation only warns.
 */
int volume_backup(struct volume *v, int64_t now, int64_t interval,
		  const struct volume_dump_opts *o, struct volume_backup_result *r);

/*
 * JuiceFS's retention of those backups (backup.go rotate): names are the
 * objects under meta/ (without the prefix); sets del[i] for each to
 * delete at time now and returns how many.  Names that are not 30 bytes
 * or hold no time are skipped (but, as in juicefs, everything sorting
 * before a backup older than 2 years goes with it).
 */
size_t volume_backup_expired(char *const *names, size_t n, int64_t now, bool *del);

/* volume_load() results */
struct volume_loaded {
	uint64_t inodes;		/* the inodes written (hard links once) */
	uint64_t entries;		/* the entries: every name of every inode */
};

/*
 * Loads a dump (load.c; plain, gzip or zstd, told by its first bytes;
 * "-" or NULL is stdin) into the database at url, which must hold no
 * volume and no inode, as `juicefs load` does: counters, nlink, parents,
 * dir stats, slice references and quota usage are recomputed from the
 * tree.  A dump that turns out bad midway (truncated, malformed) leaves
 * the database empty again.  progress: a progress line on stderr (the
 * caller decided: a terminal, not --quiet).
 */
int volume_load(const char *url, const char *path, bool progress, struct volume_loaded *out);

/*
 * fsck and gc tell their caller what they find as they go, one line a
 * finding ("can't find block ... for file ..."), through note(); the
 * counts come back in the report.  progress: draw a progress line on
 * stderr (the caller decided: a terminal, not --quiet).
 */
typedef void (*volume_note_fn)(void *arg, const char *line);

/* volume_fsck() options: `juicefs fsck`'s */
struct volume_fsck_opts {
	const char *path;		/* NULL: every slice of the volume against a listing */
	bool recursive, repair, sync_dir_stat;
	bool progress;
	volume_note_fn note;
	void *arg;
};

struct volume_fsck_broken {
	uint64_t ino;
	char *path;			/* its first path, or "inode:N" */
};

struct volume_fsck_report {
	uint64_t objects, object_bytes;	/* listed under chunks/ (whole volume) */
	uint64_t slices, slice_bytes;	/* checked against the store */
	uint64_t skipped_files, skipped_slices;	/* files in delfiles, not checked */
	uint64_t lost, lost_bytes;	/* blocks a slice needs that the store lacks */
	struct volume_fsck_broken *broken;	/* the files they belong to, by inode */
	size_t nbroken;
	uint64_t corrupt;		/* chunk lists that are not 24-byte records */
	uint64_t nodes;			/* --path: nodes checked */
	uint64_t bad_nlink, bad_stats;	/* dirs found so */
	uint64_t repaired;		/* of those, fixed (--repair) */
	bool volume_stat;		/* usedSpace/totalInodes recounted (/ -r --repair --sync-dir-stat) */
	uint64_t problems;		/* what is wrong and was not fixed */
};

/*
 * Checks the volume as `juicefs fsck` does (fsck.c): without a path,
 * every block of every slice (files in delfiles skipped) against a
 * listing of the store; with one, the tree there (recursive): dirs'
 * nlink and dir stats (fixed with repair) and its files' blocks.
 * Returns 0 when the check ran, whatever it found (r->problems); open
 * the volume with VOLUME_STORE.  Free r with volume_fsck_report_free.
 */
int volume_fsck(struct volume *v, const struct volume_fsck_opts *o,
		struct volume_fsck_report *r);
void volume_fsck_report_free(struct volume_fsck_report *r);

/* volume_gc() options: `juicefs gc`'s */
struct volume_gc_opts {
	bool compact, delete;
	unsigned int threads;		/* parallel deletes of leaked objects */
	int64_t skip_new;		/* objects younger than this (seconds) are skipped */
	bool progress;
	volume_note_fn note;
	void *arg;
};

/* the counts of `juicefs gc`'s summary, and what was cleaned */
struct volume_gc_report {
	uint64_t scanned;		/* objects looked at (skipped ones too) */
	uint64_t valid, valid_bytes;	/* a live slice's */
	uint64_t pending, pending_bytes;	/* a slice whose last reference went */
	uint64_t compacted, compacted_bytes;	/* a slice kept in delSlices for the trash */
	uint64_t leaked, leaked_bytes;	/* no slice's, or not fitting its slice */
	uint64_t skipped, skipped_bytes;	/* too new to judge */
	uint64_t delslices, delslices_bytes;	/* expired delSlices released (--delete) */
	uint64_t delfiles, delfiles_bytes;	/* delfiles freed (--delete) */
	uint64_t pending_files, pending_files_bytes;	/* delfiles found */
	uint64_t trash_slices, trash_slices_bytes;	/* delSlices found */
	uint64_t trash_cleaned;		/* expired trash entries deleted (--delete) */
	uint64_t orphan_chunks;		/* chunk lists of no inode */
	uint64_t pending_slices_cleaned;	/* slices whose objects a failed delete left */
	uint64_t compacted_chunks;	/* --compact */
	uint64_t deleted;		/* leaked objects deleted (--delete) */
};

/*
 * Garbage collection as `juicefs gc` does it (gc.c).  Without delete it
 * only counts; with it, the trash and delSlices past TrashDays, every
 * delfile, slices a failed delete left, chunk lists without an inode and
 * leaked objects go.  Open the volume with VOLUME_STORE, read-write.
 */
int volume_gc(struct volume *v, const struct volume_gc_opts *o, struct volume_gc_report *r);

#endif /* JFS_VOLUME_H */
