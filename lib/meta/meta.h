/*
 * meta.h - the metadata engine interface of jfsd.
 *
 * An engine stores a JuiceFS volume's metadata in exactly JuiceFS's own
 * format (Redis keys and binary records today, SQL tables later), so a
 * volume is shared with the real `juicefs` client.  Everything above this
 * interface (jfsd's request handlers, the chunk layer, jfsadm) is engine
 * independent.
 *
 * Conventions:
 *  - every function returns 0 or a negative errno (-ENOENT, -EEXIST, ...),
 *    the same currency as the kernel protocol's reply header;
 *  - an engine instance serves one volume and is safe to call from many
 *    threads at once (each engine keeps per-thread or pooled connections);
 *  - names are raw bytes with an explicit length (no NUL needed, never
 *    containing '/' or NUL, 1..255 bytes: callers check, engines recheck);
 *  - jfs_errmsg() (util/err.h) gives the last human-readable failure detail of the
 *    calling thread (e.g. "redis 127.0.0.1:6379: Connection refused").
 */
#ifndef JFS_META_H
#define JFS_META_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/acl.h"
#include "util/err.h"
#include "util/plock.h"

#define META_ROOT_INO		1ULL
#define META_TRASH_INO		0x7FFFFFFF10000000ULL	/* .trash; its hour dirs follow */
#define META_TRASH_NAME		".trash"
#define META_CHUNK_SIZE		(64U << 20)
#define META_MAX_NAME		255
#define META_MAX_SYMLINK	4096
#define META_XATTR_NAME_MAX	255		/* JuiceFS xattrMaxName */
#define META_XATTR_SIZE_MAX	65536		/* JuiceFS xattrMaxSize */

/* JuiceFS inode types (stored in the top 4 bits of the attr mode field) */
enum meta_type {
	META_TYPE_FILE = 1,
	META_TYPE_DIR = 2,
	META_TYPE_SYMLINK = 3,
	META_TYPE_FIFO = 4,
	META_TYPE_BLKDEV = 5,
	META_TYPE_CHRDEV = 6,
	META_TYPE_SOCKET = 7,
};

/* fallocate modes (JuiceFS's, the same values as Linux's FALLOC_FL_*) */
#define META_FALLOC_KEEP_SIZE	0x01
#define META_FALLOC_PUNCH_HOLE	0x02
#define META_FALLOC_ZERO_RANGE	0x10

/* JuiceFS attr flags */
#define META_FLAG_IMMUTABLE	0x01
#define META_FLAG_APPEND	0x02
#define META_FLAG_SKIP_TRASH	0x20	/* chattr +s: deletes bypass the trash */
#define META_FLAG_CHATTR	(META_FLAG_IMMUTABLE | META_FLAG_APPEND | META_FLAG_SKIP_TRASH)

static inline bool meta_is_trash(uint64_t ino)
{
	return ino >= META_TRASH_INO;
}

/* Decoded JuiceFS attribute (the `i{ino}` record). */
struct meta_attr {
	uint8_t flags;
	uint8_t type;		/* enum meta_type */
	uint16_t mode;		/* permission bits, 07777 */
	uint32_t uid;
	uint32_t gid;
	int64_t atime;
	int64_t mtime;
	int64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t nlink;
	uint64_t length;
	uint32_t rdev;
	uint64_t parent;	/* 0: several parents, see p{ino} */
	uint32_t access_acl;	/* JuiceFS 1.2 ACL ids, 0 = none */
	uint32_t default_acl;
	uint8_t tier;
	bool no_xattr;		/* not stored: the engine saw no xattrs (hint) */
};

/* One 24-byte record of a chunk's slice list (`c{ino}_{indx}`). */
struct meta_slice {
	uint32_t pos;		/* offset in the chunk */
	uint64_t id;		/* 0 = zeros */
	uint32_t size;		/* size of the slice object set */
	uint32_t off;		/* visible part starts here in the slice */
	uint32_t len;		/* visible length */
};

/* A resolved, visible run of a chunk: [start, end) shows slice bytes from off. */
struct meta_seg {
	uint32_t start, end;
	uint64_t id;		/* 0 = zeros */
	uint32_t size;
	uint32_t off;
};

struct meta_segs {
	struct meta_seg *v;
	size_t n, cap;
};

/*
 * What a chunk's records show: later records win; the result is sorted
 * and disjoint, ranges no record covers are absent (they read as zeros).
 * out->v is malloc'd.
 */
int meta_overlay(const struct meta_slice *r, size_t nr, struct meta_segs *out);

struct meta_dirent {
	uint64_t ino;
	uint8_t type;		/* enum meta_type */
	uint16_t namelen;
	char *name;		/* namelen bytes + NUL, owned by the array */
	struct meta_attr attr;	/* valid only when readdir was asked for attrs */
};

/* setattr mask */
#define META_SET_MODE		(1U << 0)
#define META_SET_UID		(1U << 1)
#define META_SET_GID		(1U << 2)
#define META_SET_ATIME		(1U << 3)
#define META_SET_MTIME		(1U << 4)
#define META_SET_CTIME		(1U << 5)	/* else ctime = now */
#define META_SET_FLAGS		(1U << 6)	/* in's META_FLAG_CHATTR bits replace t's */

/* setxattr flags (same values as the kernel's XATTR_CREATE/REPLACE) */
#define META_XATTR_CREATE	(1U << 0)
#define META_XATTR_REPLACE	(1U << 1)

/* rename flags (same values as the kernel's RENAME_*) */
#define META_RENAME_NOREPLACE	(1U << 0)
#define META_RENAME_EXCHANGE	(1U << 1)

/* A session as listed by `jfsadm status`. */
struct meta_session_info {
	uint64_t sid;
	int64_t expire;		/* unix seconds */
	char *info;		/* SessionInfo JSON as stored, may be NULL */
	uint64_t *sustained;	/* inodes kept open after unlink */
	size_t nsustained;
};

/*
 * Usage of a directory's direct children as JuiceFS's DirStats keeps it
 * (dirDataLength / dirUsedSpace / dirUsedInodes), or a delta of it.
 */
struct meta_dirstat {
	uint64_t ino;
	int64_t length;		/* sum of regular files' lengths */
	int64_t space;		/* sum of align4k(length), 4 KiB for others */
	int64_t inodes;		/* number of entries */
};

struct meta;

/*
 * Callbacks a mount wires into its engine instance.  is_open() tells the
 * engine whether this session has `ino` open, so a last unlink keeps the
 * inode as "sustained" (JuiceFS session{sid}) instead of deleting it.
 * delete_slice() removes a slice's objects once its refcount drops below
 * zero; it is called from the thread that freed the slice.
 */
struct meta_hooks {
	void *arg;
	bool (*is_open)(void *arg, uint64_t ino);
	int (*delete_slice)(void *arg, uint64_t id, uint32_t size);
};

/* Dir-stat deltas not yet flushed: an open-addressing table by inode. */
struct meta_dirstats {
	pthread_mutex_t lock;
	struct meta_dirstat *v;		/* ino 0 = free slot */
	size_t n, cap;			/* cap: 0 or a power of two */
};

/* Fields common to every engine instance; engines embed this first. */
struct meta {
	const struct meta_ops *ops;	/* engine.h */
	struct meta_hooks hooks;
	uint64_t sid;			/* 0 until a session is opened */

	/* what the volume asks writers to keep (set from its setting) */
	int trash_days;			/* 0: deletes are final */
	bool dir_stats;

	/*
	 * How long an operation keeps retrying, with backoff, while the
	 * engine's server is unreachable or still loading, before it fails
	 * (jfsd --meta-retry; META_RETRY_SECS unless set after meta_open).
	 */
	unsigned int retry_secs;

	struct meta_dirstats ds;
	pthread_mutex_t trash_lock;	/* guards the cached hour dir */
	char trash_name[16];		/* "YYYY-MM-DD-HH" (UTC) */
	uint64_t trash_ino;
};

#define META_RETRY_SECS		300	/* a Redis restart or failover takes seconds */

/* Opens the engine named by the URL's scheme; does not need a volume. */
int meta_open(const char *url, struct meta **mp);
void meta_close(struct meta *m);

/*
 * Active invalidation: meta_watch starts telling fn, on a thread of the
 * engine's, which inodes' attributes or directory entries changed in the
 * engine (by any client, this one included), or that anything may have
 * (META_CHANGED_ALL, ino 0: the engine lost track for a while).  Redis
 * only (client-side caching); -EOPNOTSUPP elsewhere.  meta_unwatch
 * returns once fn runs no more; meta_close stops it too.
 */
#define META_CHANGED_ATTR	(1U << 0)
#define META_CHANGED_ENTRIES	(1U << 1)
#define META_CHANGED_ALL	(1U << 2)
typedef void (*meta_changed_fn)(void *arg, uint64_t ino, unsigned int what);
int meta_watch(struct meta *m, meta_changed_fn fn, void *arg);
void meta_unwatch(struct meta *m);
void meta_free_dirents(struct meta_dirent *ents, size_t n);
void meta_free_sessions(struct meta_session_info *s, size_t n);

/*
 * The calling thread's engine traffic since its last meta_io_take():
 * commands (Redis commands, SQL statements) and round trips waited for
 * (a pipeline is one).  jfsd reports it per request, so each op's cost
 * shows in `jfsadm status`.
 */
struct meta_io {
	uint32_t cmds;
	uint32_t rtts;
};

void meta_io_take(struct meta_io *io);

/*
 * Dir stats and trash upkeep (base.c): meta_dirstat_flush writes the
 * queued dir-stat deltas (every second and at unmount);
 * meta_cleanup_trash empties hour dirs older than 'edge'.
 */
int meta_dirstat_flush(struct meta *m);
int meta_cleanup_trash(struct meta *m, time_t edge, size_t *deleted);

/*
 * The calls (front.c).  Each runs one engine operation on the volume of
 * `m`; every one returns 0 or a negative errno.
 */
/* volume */
int meta_get_setting(struct meta *m, char **json);	/* -ENOENT: unformatted */
int meta_init(struct meta *m, const char *json, bool trash);	/* writes setting, root */
int meta_statfs(struct meta *m, uint64_t *used_space, uint64_t *used_inodes);
/* how many dirs have a JuiceFS quota (`juicefs quota set --path`) */
int meta_count_dir_quotas(struct meta *m, uint64_t *n);

/* sessions */
int meta_new_session(struct meta *m, const char *info_json, uint64_t *sid);
int meta_refresh_session(struct meta *m, uint64_t sid, const char *info_json);
int meta_close_session(struct meta *m, uint64_t sid);
int meta_list_sessions(struct meta *m, struct meta_session_info **s, size_t *n);
int meta_cleanup_stale_sessions(struct meta *m);

/* namespace; `now` is the time stamped on what changes */
int meta_lookup(struct meta *m, uint64_t parent, const char *name, size_t len,
		uint64_t *ino, struct meta_attr *attr);
int meta_getattr(struct meta *m, uint64_t ino, struct meta_attr *attr);
int meta_setattr(struct meta *m, uint64_t ino, unsigned int set,
		 const struct meta_attr *in, struct meta_attr *out);
int meta_truncate(struct meta *m, uint64_t ino, uint64_t length, struct meta_attr *attr);
/*
 * mknod: mode & ~cumask, unless the parent has a default ACL, which
 * the new inode inherits instead (ACL volumes send the umask here).
 */
int meta_mknod(struct meta *m, uint64_t parent, const char *name, size_t len,
	       uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid,
	       uint32_t rdev, const char *target, size_t targetlen, uint64_t *ino,
	       struct meta_attr *attr);
int meta_link(struct meta *m, uint64_t ino, uint64_t newparent, const char *name,
	      size_t len, struct meta_attr *attr);
int meta_unlink(struct meta *m, uint64_t parent, const char *name, size_t len);
int meta_rmdir(struct meta *m, uint64_t parent, const char *name, size_t len);
int meta_rename(struct meta *m, uint64_t psrc, const char *nsrc, size_t lsrc,
		uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags);
int meta_readlink(struct meta *m, uint64_t ino, char **target, size_t *len);
int meta_readdir(struct meta *m, uint64_t ino, bool plus, struct meta_dirent **ents,
		 size_t *n);

/* last close of a sustained inode: delete it and its data */
int meta_release_sustained(struct meta *m, uint64_t ino);

/*
 * Extended attributes, JuiceFS's x{ino} (name -> raw value bytes).
 * Names are 1..META_XATTR_NAME_MAX bytes without NUL (-EINVAL,
 * -ERANGE), values at most META_XATTR_SIZE_MAX (-E2BIG); the inode's
 * existence is not checked, as in JuiceFS, and nothing else changes
 * (not even ctime).  getxattr: *value is malloc'd (NUL-terminated,
 * not counted), -ENODATA when absent.  setxattr: flags 0,
 * META_XATTR_CREATE (-EEXIST when present) or META_XATTR_REPLACE
 * (-ENODATA when absent); both at once is -EINVAL.  listxattr: every
 * stored name, each followed by a NUL, in one malloc'd buffer (NULL
 * when empty).  removexattr: -ENODATA when absent.
 */
int meta_getxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  char **value, size_t *vlen);
int meta_setxattr(struct meta *m, uint64_t ino, const char *name, size_t len,
		  const void *value, size_t vlen, unsigned int flags);
int meta_listxattr(struct meta *m, uint64_t ino, char **names, size_t *len);
int meta_removexattr(struct meta *m, uint64_t ino, const char *name, size_t len);

/*
 * POSIX ACLs of volumes with EnableACL, as JuiceFS 1.2 keeps them
 * (rules shared by id, ids in the attr).  get_facl: the rule of
 * @type (ACL_TYPE_ACCESS_J/DEFAULT_J), -ENODATA if none; the caller
 * frees it.  set_facl: NULL or an empty rule removes it; an access
 * rule sets the mode's permission bits (a minimal one only those,
 * as doSetFacl); kill_sgid clears S_ISGID; *attr gets the result.
 */
int meta_get_facl(struct meta *m, uint64_t ino, int type, struct acl_rule *rule);

/*
 * Locks shared by every client, as JuiceFS keeps them (plock.h): the
 * owner is this session's (m->sid) lock owner; types PLOCK_*.  None
 * waits: a conflict is -EAGAIN.  getlk: *out = the first conflicting
 * lock of another owner, type PLOCK_UN if none.  setlk locks or
 * unlocks [start, end]; flock the whole file.
 */
int meta_getlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, struct plock *out);
int meta_setlk(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
	       uint64_t start, uint64_t end, uint32_t pid);
int meta_flock(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type);

/*
 * fallocate (META_FALLOC_* modes, as JuiceFS's doFallocate): the
 * length grows unless KEEP_SIZE; PUNCH_HOLE (needs KEEP_SIZE) and
 * ZERO_RANGE put zero records over the range.  copy_range
 * (CopyFileRange): the destination's records reference the source's
 * slices, each one sliceRef more; *copied may be short at the
 * source's end.  *attr: the (destination) file's new attributes.
 */
int meta_fallocate(struct meta *m, uint64_t ino, unsigned int mode, uint64_t off,
		   uint64_t len, struct meta_attr *attr);
int meta_copy_range(struct meta *m, uint64_t fin, uint64_t offin, uint64_t fout,
		    uint64_t offout, uint64_t len, uint64_t *copied,
		    struct meta_attr *attr);
int meta_set_facl(struct meta *m, uint64_t ino, int type, const struct acl_rule *rule,
		  bool kill_sgid, struct meta_attr *attr);

/*
 * Trash and background upkeep (JuiceFS's base.go jobs).  new_trash_dir
 * creates the hour dir 'name' under .trash (inode from nextTrash);
 * -EEXIST if another client won the race.  set_if_small elects the
 * leader of a periodic job: *won when 'key' was older than 'diff'.
 * update_dir_stats adds deltas, recounting a dir that has no stats.
 * cleanup_deleted_files frees delfiles entries older than 'before'.
 */
int meta_new_trash_dir(struct meta *m, const char *name, uint64_t *ino);
int meta_set_if_small(struct meta *m, const char *key, int64_t value, int64_t diff,
		      bool *won);
int meta_update_dir_stats(struct meta *m, const struct meta_dirstat *d, size_t n);
int meta_cleanup_deleted_files(struct meta *m, int64_t before, size_t *n);
/* delSlices entries (kept by a compaction under trash) older than 'before' */
int meta_cleanup_delayed_slices(struct meta *m, int64_t before, size_t *n);
/*
 * doCleanupSlices: slices whose last reference went but whose objects
 * could not be deleted then (a store error); deletes them now.
 */
int meta_cleanup_slices(struct meta *m, size_t *n);

/* data */
int meta_new_slice_id(struct meta *m, uint64_t *id);
int meta_read_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		    struct meta_slice **slices, size_t *n);
/* *nrec (if asked): the chunk's records now, JuiceFS's numSlices */
int meta_write_slice(struct meta *m, uint64_t ino, uint32_t indx,
		     const struct meta_slice *s, const struct timespec *mtime,
		     struct meta_attr *attr, size_t *nrec);
/*
 * JuiceFS compactChunk's commit: if the chunk's list still starts
 * with the n records `old`, the first `skip` of them stay (skipSome)
 * and the others are replaced by the one record `s`, whose slice
 * holds what they showed; each replaced record with a slice drops one
 * reference (with trash on, a delSlices entry keeps them for the
 * trash's lifetime instead) and slices nobody uses any more go to
 * hooks.delete_slice.  -EINVAL: the list changed meanwhile and `s`
 * was not committed.
 */
int meta_compact_chunk(struct meta *m, uint64_t ino, uint32_t indx,
		       const struct meta_slice *old, size_t n, size_t skip,
		       const struct meta_slice *s);

/*
 * Dump and load (lib/volume/dump.c, load.c, as `juicefs dump` and
 * `juicefs load`).  The tree is read through the calls above; what they
 * do not reach comes from meta_dump_info, and a load writes raw records
 * with meta_load_records.
 */
struct meta_delfile {
	uint64_t ino, length;
	int64_t expire;		/* unix seconds: when its last link went */
};

enum { META_QUOTA_DIR, META_QUOTA_USER, META_QUOTA_GROUP, META_QUOTA_KINDS };

struct meta_quota {
	uint64_t id;		/* dir inode, uid or gid */
	int64_t max_space, max_inodes;
	int64_t used_space, used_inodes;
};

/* the counters as dumps give them: next_inode, next_chunk are the next free ids */
struct meta_counters {
	int64_t used_space, used_inodes;
	int64_t next_inode, next_chunk, next_session, next_trash;
};

struct meta_dump_info {
	struct meta_counters c;
	struct meta_delfile *del;	/* in the engine's juicefs order */
	size_t ndel;
	struct meta_quota *q[META_QUOTA_KINDS];	/* limits only (dumps omit usage) */
	size_t nq[META_QUOTA_KINDS];
};

int meta_dump_info(struct meta *m, struct meta_dump_info *a);
void meta_dump_info_free(struct meta_dump_info *a);

/*
 * Checks and garbage collection (lib/volume/fsck.c, gc.c, as `juicefs fsck`
 * and `juicefs gc`): scans of what no namespace call reaches, and the
 * repairs.  meta_scan calls each non-NULL callback of 'a' for every
 * record of its kind, in any order; a non-zero return stops the scan and
 * is returned.
 */
struct meta_scan {
	/* every chunk list c{ino}_{indx}; corrupt: not 24-byte records (s NULL) */
	int (*chunk)(void *arg, uint64_t ino, uint32_t indx, const struct meta_slice *s,
		     size_t n, bool corrupt);
	/* a slice whose last reference went, its objects not yet deleted */
	int (*pending)(void *arg, uint64_t id, uint32_t size);
	/* a delSlices entry (a compaction under trash): its unix time, its slices */
	int (*delayed)(void *arg, int64_t ts, const uint64_t *id, const uint32_t *size,
		       size_t n);
	void *arg;
};

int meta_scan(struct meta *m, const struct meta_scan *a);
/* the stats of dir st->ino into *st; *have false when it has none */
int meta_get_dir_stat(struct meta *m, struct meta_dirstat *st, bool *have);
/* calcDirStat: dir ino's stats recounted from its entries, nothing stored */
int meta_calc_dir_stat(struct meta *m, uint64_t ino, struct meta_dirstat *st);
/* doSyncDirStat: recounts dir ino's stats from its entries and stores them (*st) */
int meta_sync_dir_stat(struct meta *m, uint64_t ino, struct meta_dirstat *st);
/* doRepair: dir ino's nlink becomes 2 + its subdirs, counted in the same transaction */
int meta_repair_dir(struct meta *m, uint64_t ino, uint32_t *nlink);
/* deleteChunk: chunk (ino, indx) goes, and the slices nobody references then */
int meta_delete_chunk(struct meta *m, uint64_t ino, uint32_t indx);
/* doSyncVolumeStat: usedSpace and totalInodes become these */
int meta_set_volume_stat(struct meta *m, int64_t used_space, int64_t used_inodes);

/* a raw record of a load */
enum meta_rec_kind {
	META_REC_INIT,		/* first: make the database ready (SQL: the tables) */
	META_REC_NODE,		/* ino's attr, as given, replacing any; rules get ids */
	META_REC_EDGE,		/* entry u.edge in dir ino */
	META_REC_CHUNK,		/* chunk u.chunk.indx of ino */
	META_REC_SYMLINK,	/* ino's target, u.str */
	META_REC_XATTR,
	META_REC_PARENT,	/* a hard-linked ino has u.parent.n links in u.parent.parent */
	META_REC_DIRSTAT,	/* dir ino's stats (u.stat, its ino unused) */
	META_REC_SLICEREF,	/* slice (id, size) has u.ref.refs references, 1 or more */
	META_REC_DELFILE,
	META_REC_QUOTA,
	META_REC_COUNTERS,
	META_REC_SETTING,	/* the Format JSON, u.str */
};

struct meta_rec {
	enum meta_rec_kind kind;
	uint64_t ino;
	union {
		struct {
			struct meta_attr attr;	/* its ACL ids are set from the rules */
			const struct acl_rule *access, *dflt;	/* NULL: none */
		} node;
		struct {
			const char *name;
			size_t len;
			uint8_t type;
			uint64_t ino;
		} edge;
		struct {
			uint32_t indx;
			const struct meta_slice *s;
			size_t n;
		} chunk;
		struct {
			const char *p;
			size_t len;
		} str;
		struct {
			const char *name, *value;
			size_t len, vlen;
		} xattr;
		struct {
			uint64_t parent;
			int64_t n;
		} parent;
		struct meta_dirstat stat;
		struct {
			uint64_t id;
			uint32_t size;
			int64_t refs;
		} ref;
		struct meta_delfile del;
		struct {
			int kind;	/* META_QUOTA_* */
			struct meta_quota q;
		} quota;
		struct meta_counters counters;
	} u;
};

/* 0 when the database holds no volume and no inode, else -ENOTEMPTY (record set) */
int meta_load_check(struct meta *m);
/* writes the n records in one transaction */
int meta_load_records(struct meta *m, const struct meta_rec *r, size_t n);
/* after a failed load into what meta_load_check found empty: empties it again */
int meta_load_reset(struct meta *m);

/* align4K as JuiceFS accounts space: every inode costs at least 4 KiB */
static inline uint64_t meta_align4k(uint64_t n)
{
	return n == 0 ? 4096 : (n + 4095) / 4096 * 4096;
}

#endif /* JFS_META_H */
