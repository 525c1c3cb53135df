/*
 * engine.h - what a metadata engine implements, and the engine-independent
 * rules the engines call from inside their transactions (base.c).  Only the
 * engines (lib/meta/redis/, lib/meta/sql/), the front (front.c, base.c,
 * codec.c) and engine-level unit tests include it: daemon/ and tools/ call
 * the front's meta_*() functions of meta.h (lib/check-includes.sh).
 *
 * An engine is a `struct meta_ops` table.  Each member implements the
 * meta.h call of the same name (meta_lookup -> ops->lookup, ...) with the
 * contract documented there; the front calls it with the arguments as the
 * caller passed them.
 */
#ifndef JFS_META_ENGINE_H
#define JFS_META_ENGINE_H

#include "meta/meta.h"

struct meta_ops {
	const char *scheme;	/* "redis", "sqlite3" ... */

	int (*open)(const char *url, struct meta **mp);
	void (*close)(struct meta *m);

	/* volume */
	int (*get_setting)(struct meta *m, char **json);	/* -ENOENT: unformatted */
	int (*init)(struct meta *m, const char *json, bool trash);	/* writes setting, root */
	int (*statfs)(struct meta *m, uint64_t *used_space, uint64_t *used_inodes);
	/* how many dirs have a JuiceFS quota (`juicefs quota set --path`) */
	int (*count_dir_quotas)(struct meta *m, uint64_t *n);

	/* sessions */
	int (*new_session)(struct meta *m, const char *info_json, uint64_t *sid);
	int (*refresh_session)(struct meta *m, uint64_t sid, const char *info_json);
	int (*close_session)(struct meta *m, uint64_t sid);
	int (*list_sessions)(struct meta *m, struct meta_session_info **s, size_t *n);
	int (*cleanup_stale_sessions)(struct meta *m);

	/* namespace; `now` is the time stamped on what changes */
	int (*lookup)(struct meta *m, uint64_t parent, const char *name, size_t len,
		      uint64_t *ino, struct meta_attr *attr);
	int (*getattr)(struct meta *m, uint64_t ino, struct meta_attr *attr);
	int (*setattr)(struct meta *m, uint64_t ino, unsigned int set,
		       const struct meta_attr *in, struct meta_attr *out);
	int (*truncate)(struct meta *m, uint64_t ino, uint64_t length,
			struct meta_attr *attr);
	/*
	 * mknod: mode & ~cumask, unless the parent has a default ACL, which
	 * the new inode inherits instead (ACL volumes send the umask here).
	 */
	int (*mknod)(struct meta *m, uint64_t parent, const char *name, size_t len,
		     uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid,
		     uint32_t rdev, const char *target, size_t targetlen,
		     uint64_t *ino, struct meta_attr *attr);
	int (*link)(struct meta *m, uint64_t ino, uint64_t newparent,
		    const char *name, size_t len, struct meta_attr *attr);
	int (*unlink)(struct meta *m, uint64_t parent, const char *name, size_t len);
	int (*rmdir)(struct meta *m, uint64_t parent, const char *name, size_t len);
	int (*rename)(struct meta *m, uint64_t psrc, const char *nsrc, size_t lsrc,
		      uint64_t pdst, const char *ndst, size_t ldst, unsigned int flags);
	int (*readlink)(struct meta *m, uint64_t ino, char **target, size_t *len);
	int (*readdir)(struct meta *m, uint64_t ino, bool plus,
		       struct meta_dirent **ents, size_t *n);

	/* last close of a sustained inode: delete it and its data */
	int (*release_sustained)(struct meta *m, uint64_t ino);

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
	int (*getxattr)(struct meta *m, uint64_t ino, const char *name, size_t len,
			char **value, size_t *vlen);
	int (*setxattr)(struct meta *m, uint64_t ino, const char *name, size_t len,
			const void *value, size_t vlen, unsigned int flags);
	int (*listxattr)(struct meta *m, uint64_t ino, char **names, size_t *len);
	int (*removexattr)(struct meta *m, uint64_t ino, const char *name, size_t len);

	/*
	 * POSIX ACLs of volumes with EnableACL, as JuiceFS 1.2 keeps them
	 * (rules shared by id, ids in the attr).  get_facl: the rule of
	 * @type (ACL_TYPE_ACCESS_J/DEFAULT_J), -ENODATA if none; the caller
	 * frees it.  set_facl: NULL or an empty rule removes it; an access
	 * rule sets the mode's permission bits (a minimal one only those,
	 * as doSetFacl); kill_sgid clears S_ISGID; *attr gets the result.
	 */
	int (*get_facl)(struct meta *m, uint64_t ino, int type, struct acl_rule *rule);

	/*
	 * Locks shared by every client, as JuiceFS keeps them (plock.h): the
	 * owner is this session's (m->sid) lock owner; types PLOCK_*.  None
	 * waits: a conflict is -EAGAIN.  getlk: *out = the first conflicting
	 * lock of another owner, type PLOCK_UN if none.  setlk locks or
	 * unlocks [start, end]; flock the whole file.
	 */
	int (*getlk)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
		     uint64_t start, uint64_t end, struct plock *out);
	int (*setlk)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
		     uint64_t start, uint64_t end, uint32_t pid);
	int (*flock)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type);

	/*
	 * fallocate (META_FALLOC_* modes, as JuiceFS's doFallocate): the
	 * length grows unless KEEP_SIZE; PUNCH_HOLE (needs KEEP_SIZE) and
	 * ZERO_RANGE put zero records over the range.  copy_range
	 * (CopyFileRange): the destination's records reference the source's
	 * slices, each one sliceRef more; *copied may be short at the
	 * source's end.  *attr: the (destination) file's new attributes.
	 */
	int (*fallocate)(struct meta *m, uint64_t ino, unsigned int mode,
			 uint64_t off, uint64_t len, struct meta_attr *attr);
	int (*copy_range)(struct meta *m, uint64_t fin, uint64_t offin, uint64_t fout,
			  uint64_t offout, uint64_t len, uint64_t *copied,
			  struct meta_attr *attr);
	int (*set_facl)(struct meta *m, uint64_t ino, int type,
			const struct acl_rule *rule, bool kill_sgid,
			struct meta_attr *attr);

	/*
	 * Trash and background upkeep (JuiceFS's base.go jobs).  new_trash_dir
	 * creates the hour dir 'name' under .trash (inode from nextTrash);
	 * -EEXIST if another client won the race.  set_if_small elects the
	 * leader of a periodic job: *won when 'key' was older than 'diff'.
	 * update_dir_stats adds deltas, recounting a dir that has no stats.
	 * cleanup_deleted_files frees delfiles entries older than 'before'.
	 */
	int (*new_trash_dir)(struct meta *m, const char *name, uint64_t *ino);
	int (*set_if_small)(struct meta *m, const char *key, int64_t value,
			    int64_t diff, bool *won);
	int (*update_dir_stats)(struct meta *m, const struct meta_dirstat *d, size_t n);
	int (*cleanup_deleted_files)(struct meta *m, int64_t before, size_t *n);
	/* delSlices entries (kept by a compaction under trash) older than 'before' */
	int (*cleanup_delayed_slices)(struct meta *m, int64_t before, size_t *n);
	/*
	 * doCleanupSlices: slices whose last reference went but whose objects
	 * could not be deleted then (a store error); deletes them now.
	 */
	int (*cleanup_slices)(struct meta *m, size_t *n);

	/* data */
	int (*new_slice_id)(struct meta *m, uint64_t *id);
	int (*read_chunk)(struct meta *m, uint64_t ino, uint32_t indx,
			  struct meta_slice **slices, size_t *n);
	/* *nrec (if asked): the chunk's records now, JuiceFS's numSlices */
	int (*write_slice)(struct meta *m, uint64_t ino, uint32_t indx,
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
	 * was not committed.  Every engine has it.
	 */
	int (*compact_chunk)(struct meta *m, uint64_t ino, uint32_t indx,
			     const struct meta_slice *old, size_t n, size_t skip,
			     const struct meta_slice *s);
};

/*
 * meta_base.c: the engine-independent policies engines call.
 * meta_trash_dir gives the hour dir a deletion under 'parent' goes to
 * (*trash = 0: delete for real); meta_trash_entry names the entry there
 * ("{parent}-{ino}-{name}", cut at 255 bytes).  meta_dirstat_add queues a
 * delta (meta.h: meta_dirstat_flush writes it).
 */
int meta_trash_dir(struct meta *m, uint64_t parent, uint64_t *trash);
size_t meta_trash_entry(char *buf, uint64_t parent, uint64_t ino,
			const char *name, size_t len);
void meta_dirstat_add(struct meta *m, uint64_t ino, int64_t length,
		      int64_t space, int64_t inodes);
void meta_base_init(struct meta *m);
void meta_base_destroy(struct meta *m);

/*
 * The attribute rules both engines apply inside their transactions, so
 * that a Redis and a SQLite volume answer alike (JuiceFS keeps them in
 * base.go and repeats them per engine; we keep one copy).
 */
struct meta_mknod {
	uint64_t parent;
	const char *name;
	size_t len;
	uint8_t type;
	uint16_t mode, cumask;
	uint32_t uid, gid, rdev;
	const char *target;
	size_t targetlen;
	uint64_t ino;		/* allocated once, kept across retries */
	bool trash_hour;	/* an hour dir under .trash */
	struct meta_attr attr;	/* out: the new inode */
};

int meta_check_name(const char *name, size_t len);
int meta_check_xattr_name(const char *name, size_t len);
int meta_mknod_check(const struct meta_mknod *a);
void meta_mknod_mode(struct meta_mknod *a);
void meta_mknod_attr(struct meta_mknod *a, struct meta_attr *pa,
		     const struct timespec *now);
void meta_new_dir_attr(struct meta_attr *a, uint16_t mode, const struct timespec *now);
int meta_setattr_check(const struct meta_attr *t, unsigned int set);
void meta_setattr_merge(struct meta_attr *t, unsigned int set,
			const struct meta_attr *in, const struct timespec *now);
void meta_stat_entry(struct meta *m, uint64_t dir, const struct meta_attr *a, int sign);
void meta_rename_stats(struct meta *m, uint64_t psrc, uint64_t pdst, unsigned int flags,
		       uint64_t trash, const struct meta_attr *moved,
		       const struct meta_attr *replaced);
int meta_dirent_cmp(const void *x, const void *y);

/* a rename with both names looked up (dtype, dino: when have_dst) */
struct meta_rename_ends {
	unsigned int flags;
	uint64_t psrc, pdst;
	uint64_t spa_parent, dpa_parent;	/* the two dirs' own parents */
	uint8_t stype, dtype;
	uint64_t sino, dino;
	bool have_dst;
};
int meta_rename_check(const struct meta_rename_ends *e);

int meta_facl_prepare(struct meta_attr *t, int type, const struct acl_rule *in,
		      bool kill_sgid, struct acl_rule *rule);
void meta_facl_stored(struct meta_attr *t, int type, const struct acl_rule *rule);

static inline void meta_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static inline void meta_set_mtime(struct meta_attr *a, const struct timespec *ts)
{
	a->mtime = ts->tv_sec;
	a->mtimensec = (uint32_t)ts->tv_nsec;
}

static inline void meta_set_ctime(struct meta_attr *a, const struct timespec *ts)
{
	a->ctime = ts->tv_sec;
	a->ctimensec = (uint32_t)ts->tv_nsec;
}

/* chattr +i / +a: the inode (or a dir's entries) may not change */
static inline bool meta_is_immutable(const struct meta_attr *a)
{
	return a->flags & (META_FLAG_IMMUTABLE | META_FLAG_APPEND);
}

static inline bool meta_is_open(const struct meta *m, uint64_t ino)
{
	return m->hooks.is_open && m->hooks.is_open(m->hooks.arg, ino);
}

/* JuiceFS attr record codec (72/73/80/81-byte values); engine independent. */
#define META_ATTR_MAX_BYTES	81
size_t meta_attr_encode(const struct meta_attr *a, unsigned char *buf);
int meta_attr_decode(const unsigned char *buf, size_t len, struct meta_attr *a);
void meta_slice_encode(const struct meta_slice *s, unsigned char buf[24]);
void meta_slice_decode(const unsigned char buf[24], struct meta_slice *s);

#endif /* JFS_META_ENGINE_H */
