/*
 * engine.h - what a metadata engine implements, and the engine-independent
 * rules the engines call from inside their transactions (base.c).  Only the
 * engines (lib/meta/redis/, lib/meta/sql/), the front (front.c, base.c,
 * codec.c) and engine-level unit tests include it: daemon/ and tools/ call
 * the front's meta_*() functions of meta.h (lib/check-includes.sh).
 *
 * An engine is a `struct meta_ops` table.  As in JuiceFS, where baseMeta.Rename
 * checks the names and flags, finds the trash, calls the engine's doRename
 * and then frees data and updates dir stats, the front (front.c) does
 * what is engine independent around each call: argument checks, the trash
 * hour dir lookup, copying results out, dir-stat deltas and freeing the
 * data of a file whose last link went.  The engine supplies only the
 * transaction (the do_* members, which take the arg structs below and
 * fill their "out" fields; a body may run several times, so it sets them
 * afresh each run).  Checks that need what a transaction read (link's
 * "dir -> EPERM, nlink 0 -> ENOENT, ...") are base.c rules the bodies of
 * both engines call.  Members without do_ implement the meta.h call of
 * the same name with the contract documented there.
 */
#ifndef JFS_META_ENGINE_H
#define JFS_META_ENGINE_H

#include <errno.h>

#include "meta/meta.h"

/*
 * The arg structs of the do_* ops: the front fills the inputs, the
 * engine's transaction the outputs.
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

struct meta_lookup {
	uint64_t parent;
	const char *name;
	size_t len;
	uint64_t ino;		/* out */
	struct meta_attr attr;	/* out */
};

struct meta_setattr {
	uint64_t ino;
	unsigned int set;
	const struct meta_attr *in;
	struct meta_attr out;
};

struct meta_link {
	uint64_t ino, parent;
	const char *name;
	size_t len;
	struct meta_attr attr;	/* out: the inode's */
};

/* unlink and rmdir */
struct meta_unlink {
	uint64_t parent;
	const char *name;
	size_t len;
	bool dir;		/* rmdir */
	uint64_t trash;		/* hour dir to move it to, 0: delete */
	bool to_trash;		/* out: it went there */
	bool free_data;		/* out: the front frees (ino, length)'s data */
	uint64_t ino, length;
	bool removed;		/* out: an entry with an attr went away */
	struct meta_attr attr;	/* out: its attr */
};

struct meta_rename {
	uint64_t psrc, pdst;
	const char *nsrc, *ndst;
	size_t lsrc, ldst;
	unsigned int flags;
	uint64_t trash;		/* hour dir for a replaced entry, 0: delete */
	bool to_trash;		/* out: the replaced entry went there */
	bool free_data;		/* out: a replaced file lost its last link */
	uint64_t dino, dlen;
	bool moved, replaced;	/* out: what the committed rename did */
	struct meta_attr sattr, dattr;	/* out: the moved and replaced attrs */
};

/* readlink (out: target, len) and readdir (out: ents, n) */
struct meta_readlink {
	uint64_t ino;
	char *target;
	size_t len;
};

struct meta_readdir {
	uint64_t ino;
	bool plus;
	struct meta_dirent *ents;	/* out, sorted and deduplicated by the front */
	size_t n, cap;
};

struct meta_xattr {
	uint64_t ino;
	const char *name;
	size_t len;
	const void *value;
	size_t vlen;
	unsigned int flags;
	char *out;		/* getxattr's value, listxattr's names */
	size_t outlen;
};

struct meta_facl {
	uint64_t ino;
	int type;
	const struct acl_rule *in;
	bool kill_sgid;
	struct acl_rule out;	/* get_facl */
	struct meta_attr attr;	/* out */
};

/*
 * The ops that change a file's length: 'old' is its length before, so
 * the front can move the parents' dir stats (updateParentStat).
 */
struct meta_truncate {
	uint64_t ino, length;
	uint64_t old;		/* out */
	struct meta_attr attr;	/* out */
};

struct meta_falloc {
	uint64_t ino, off, len;
	unsigned int mode;
	uint64_t old;
	struct meta_attr attr;
};

struct meta_copy {
	uint64_t fin, offin, fout, offout, len;
	uint64_t copied, old;
	struct meta_attr attr;	/* the destination's */
};

struct meta_write {
	uint64_t ino;
	uint32_t indx;
	const struct meta_slice *s;
	const struct timespec *mtime;
	uint64_t old;
	size_t nrec;		/* out: the chunk's records after it */
	struct meta_attr attr;
};

struct meta_chunk {
	uint64_t ino;
	uint32_t indx;
	struct meta_slice *s;	/* out, malloc'd */
	size_t n;
};

/* a hard-linked file's parents (doGetParents) with its links in each */
struct meta_parents {
	uint64_t *p;
	int64_t *k;
	size_t n, cap;
};

struct meta_ops {
	const char *scheme;	/* "redis", "sqlite3" ... */

	int (*open)(const char *url, struct meta **mp);
	void (*close)(struct meta *m);

	/* volume */
	int (*get_setting)(struct meta *m, char **json);	/* -ENOENT: unformatted */
	int (*init)(struct meta *m, const char *json, bool trash);	/* writes setting, root */
	int (*statfs)(struct meta *m, uint64_t *used_space, uint64_t *used_inodes);
	int (*count_dir_quotas)(struct meta *m, uint64_t *n);

	/* sessions; do_close_session ends 'sid' (the front forgets m->sid) */
	int (*new_session)(struct meta *m, const char *info_json, uint64_t *sid);
	int (*refresh_session)(struct meta *m, uint64_t sid, const char *info_json);
	int (*do_close_session)(struct meta *m, uint64_t sid);
	int (*list_sessions)(struct meta *m, struct meta_session_info **s, size_t *n);
	int (*cleanup_stale_sessions)(struct meta *m);

	/* namespace: the front has checked names, flags and the trash */
	int (*do_lookup)(struct meta *m, struct meta_lookup *a);
	int (*getattr)(struct meta *m, uint64_t ino, struct meta_attr *attr);
	int (*do_setattr)(struct meta *m, struct meta_setattr *a);
	int (*do_truncate)(struct meta *m, struct meta_truncate *a);
	/*
	 * mknod and new_trash_dir (a->trash_hour): the engine allocates
	 * a->ino (from nextTrash for an hour dir) when it is 0.
	 */
	int (*do_mknod)(struct meta *m, struct meta_mknod *a);
	int (*do_link)(struct meta *m, struct meta_link *a);
	int (*do_unlink)(struct meta *m, struct meta_unlink *a);
	int (*do_rename)(struct meta *m, struct meta_rename *a);
	int (*do_readlink)(struct meta *m, struct meta_readlink *a);
	int (*do_readdir)(struct meta *m, struct meta_readdir *a);
	/* after a committed unlink/rename: frees a file's chunks and delfile entry */
	int (*free_file_data)(struct meta *m, uint64_t ino, uint64_t length);
	/* the parents of a file with node parent 0; a->n = 0 when none */
	int (*get_parents)(struct meta *m, uint64_t ino, struct meta_parents *a);

	int (*release_sustained)(struct meta *m, uint64_t ino);

	/* xattrs (names and sizes checked by the front) and ACLs */
	int (*do_getxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_setxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_listxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_removexattr)(struct meta *m, struct meta_xattr *a);
	int (*do_get_facl)(struct meta *m, struct meta_facl *a);
	int (*do_set_facl)(struct meta *m, struct meta_facl *a);

	int (*getlk)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
		     uint64_t start, uint64_t end, struct plock *out);
	int (*setlk)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type,
		     uint64_t start, uint64_t end, uint32_t pid);
	int (*flock)(struct meta *m, uint64_t ino, uint64_t owner, uint32_t type);

	int (*do_fallocate)(struct meta *m, struct meta_falloc *a);
	int (*do_copy_range)(struct meta *m, struct meta_copy *a);

	int (*set_if_small)(struct meta *m, const char *key, int64_t value,
			    int64_t diff, bool *won);
	int (*update_dir_stats)(struct meta *m, const struct meta_dirstat *d, size_t n);
	int (*cleanup_deleted_files)(struct meta *m, int64_t before, size_t *n);
	int (*cleanup_delayed_slices)(struct meta *m, int64_t before, size_t *n);
	int (*cleanup_slices)(struct meta *m, size_t *n);

	/* data; the front checks the slices' bounds */
	int (*new_slice_id)(struct meta *m, uint64_t *id);
	int (*do_read_chunk)(struct meta *m, struct meta_chunk *a);
	int (*do_write_slice)(struct meta *m, struct meta_write *a);
	int (*compact_chunk)(struct meta *m, uint64_t ino, uint32_t indx,
			     const struct meta_slice *old, size_t n, size_t skip,
			     const struct meta_slice *s);
};

/*
 * base.c: the engine-independent policies engines call.
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
 * The checks and attribute rules both engines apply inside their
 * transactions, between their reads and their writes, so that a Redis
 * and a SQLite volume answer alike (JuiceFS repeats them per engine; we
 * keep one copy).
 */
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
void meta_rename_stamp(struct meta_rename *a, struct meta_attr *spa, struct meta_attr *dpa,
		       struct meta_attr *sa, const struct meta_attr *da,
		       struct timespec *now);

int meta_facl_prepare(struct meta_attr *t, int type, const struct acl_rule *in,
		      bool kill_sgid, struct acl_rule *rule);
void meta_facl_stored(struct meta_attr *t, int type, const struct acl_rule *rule);

/* a new name's lookup result: -ENOENT is 0, a found entry -EEXIST */
static inline int meta_new_entry_check(int lookup_ret)
{
	if (lookup_ret == -ENOENT)
		return 0;
	return lookup_ret ? lookup_ret : -EEXIST;
}

int meta_link_check(const struct meta_attr *t, const struct meta_attr *pa);
int meta_unlink_check(bool dir, uint8_t type);
/* 0: delete for real, 1: to the trash, 2: to the trash if its name there is free */
int meta_trash_choice(uint64_t trash, const struct meta_attr *t);

/* the file ops' attribute rules; 1 from truncate/copy: nothing to write */
int meta_truncate_attr(struct meta_truncate *a);
int meta_falloc_attr(struct meta_falloc *a);
int meta_write_attr(struct meta_write *a);
int meta_copy_attr(struct meta_copy *a, const struct meta_attr *src, uint64_t *size);

/*
 * ACL rules are read and stored by the engine (ids, caches), the rest of
 * doSetFacl/mergeAttr/doMknod's ACL handling is the same: 'io' gives the
 * engine's get and insert within the running transaction.
 */
struct meta_acl_io {
	int (*get)(void *ctx, uint32_t id, struct acl_rule *rule);
	int (*insert)(void *ctx, const struct acl_rule *rule, uint32_t *id);
	void *ctx;
};
int meta_acl_chmod(const struct meta_acl_io *io, struct meta_attr *t, uint16_t mode);
int meta_acl_inherit(const struct meta_acl_io *io, const struct meta_attr *pa,
		     struct meta_attr *t, uint16_t mode);
/* setattr on the attr 'a->out' read: 0 or an error */
int meta_setattr_apply(const struct meta_acl_io *io, struct meta_setattr *a);
/* getfacl on the attr read: the rule into a->out, -ENODATA if none */
int meta_get_facl_rule(const struct meta_acl_io *io, struct meta_facl *a);
/* setfacl on the attr read: 1 when it changed (to be written), 0 or error */
int meta_set_facl_apply(const struct meta_acl_io *io, struct meta_facl *a);

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
