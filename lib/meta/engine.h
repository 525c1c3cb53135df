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
 * afresh each run).  Where a transaction's logic is the same for every
 * engine, base.c has it once: the bodies of mknod, link, unlink, rename
 * and copy_range call a meta_*_txn rule that reads through the engine's
 * struct meta_ns_io, checks and decides, then calls back the engine's
 * writes; the others call base.c's rules on what they read (link's "dir
 * -> EPERM, nlink 0 -> ENOENT, ...", truncate's length, setfacl's mode).
 * Members without do_ implement the meta.h call of the same name with the
 * contract documented there.
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
	struct meta_attr pa;	/* meta_mknod_txn's: the parent, stamped */
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
	/* meta_link_txn's: the parent, stamped, and the inode's one parent */
	struct meta_attr pa;
	uint64_t prev_parent;	/* 0: it was hard-linked already */
	struct meta_attr attr;	/* out: the inode's */
};

/*
 * unlink and rmdir.  The fields after 'trash' are meta_unlink_txn's:
 * what it found and decided, for the body's writes and the front's
 * after-work.
 */
struct meta_unlink {
	uint64_t parent;
	const char *name;
	size_t len;
	bool dir;		/* rmdir */
	uint64_t trash;		/* hour dir to move it to, 0: delete */
	struct meta_attr pa;	/* the parent, stamped */
	uint8_t type;		/* the entry's */
	uint64_t ino, length;	/* its inode and length */
	struct meta_attr attr;	/* its attr: zero for a dangling entry */
	bool removed;		/* it has an attr (the dir stats lose it) */
	bool to_trash;		/* it goes to the trash hour dir */
	struct timespec now;
	bool free_data;		/* out: the front frees (ino, length)'s data */
};

/* rename: the fields after 'trash' are meta_rename_txn's, as unlink's */
struct meta_rename {
	uint64_t psrc, pdst;
	const char *nsrc, *ndst;
	size_t lsrc, ldst;
	unsigned int flags;
	uint64_t trash;		/* hour dir for a replaced entry, 0: delete */
	struct meta_attr spa, dpa_buf;	/* the dirs, stamped */
	struct meta_attr *dpa;	/* the destination: &spa when psrc == pdst */
	uint8_t stype, dtype;
	uint64_t sino, dino;	/* the moved inode, the one at the destination */
	bool have_d;		/* an entry at the destination */
	bool replaced;		/* ... with an attr, in dattr */
	struct meta_attr sattr, dattr;	/* the moved and replaced attrs */
	bool to_trash;		/* the replaced entry goes to the trash */
	uint64_t dlen;		/* the replaced one's length */
	bool moved;		/* a rename to do (else nothing changes) */
	struct timespec now;
	bool free_data;		/* out: a replaced file lost its last link */
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

struct meta_getattr {
	uint64_t ino;
	struct meta_attr attr;	/* out */
};

/* getlk, setlk and flock: the lock of (this session, owner) on ino */
struct meta_lock {
	uint64_t ino, owner;
	uint32_t type, pid;
	uint64_t start, end;
	struct plock found;	/* out, getlk: the conflict, PLOCK_UN if none */
};

/*
 * A lock body's "another owner holds it": -EAGAIN would tell the engine
 * to run the transaction again, so bodies return this and the front
 * answers -EAGAIN.
 */
#define META_LOCK_HELD	(-EDEADLK)

/*
 * The reads base.c's transaction rules (meta_mknod_txn ... meta_copy_txn)
 * make through the engine, inside its running transaction.  The Redis
 * engine WATCHes what get_dir, get_attr and dir_empty read, so that its
 * EXEC fails when another client changed it meanwhile; a name in the
 * trash (has_entry) and a source's chunks (load_chunk) are not watched.
 */
struct meta_ns_io {
	/* a dir's attr (-ENOENT, -ENOTDIR); its entries are watched too */
	int (*get_dir)(void *ctx, uint64_t ino, struct meta_attr *a);
	/* an inode's attr, -ENOENT when it has none */
	int (*get_attr)(void *ctx, uint64_t ino, struct meta_attr *a);
	/* an entry of a dir read with get_dir; -ENOENT */
	int (*get_entry)(void *ctx, uint64_t parent, const char *name, size_t len,
			 uint8_t *type, uint64_t *ino);
	/* whether the entry (parent, name) exists */
	int (*has_entry)(void *ctx, uint64_t parent, const char *name, size_t len,
			 bool *yes);
	/* 0 when dir 'ino' has no entry, else -ENOTEMPTY or an error */
	int (*dir_empty)(void *ctx, uint64_t ino);
	/* chunk indx of 'ino': its records into *s (malloc'd) after 'front' free slots */
	int (*load_chunk)(void *ctx, uint64_t ino, uint32_t indx, size_t front,
			  struct meta_slice **s, size_t *n);
	void *ctx;
};

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

/* new_session and refresh_session */
struct meta_session {
	uint64_t sid;		/* out when 'create' */
	const char *info;	/* SessionInfo JSON, or NULL */
	bool create;
};

/* ids an op lists (sessions, sustained inodes): v is malloc'd */
struct meta_ids {
	uint64_t *v;
	size_t n;
};

/* list_sessions: the front frees what a failed op left */
struct meta_sessions {
	struct meta_session_info *s;
	size_t n;
};

/* doDeleteSustainedInode: (sid, ino) goes; the inode too if unlinked */
struct meta_sustained {
	uint64_t sid, ino;
	bool free_data;		/* out: the front frees (ino, length)'s data */
	uint64_t length;
};

/* setIfSmall: the leader election of the periodic jobs */
struct meta_small {
	const char *key;
	int64_t value, diff;
	bool won;		/* out */
};

/*
 * doUpdateDirStat: the deltas of the dirs that have stats are added;
 * the others are flagged missing, and the front recounts them.
 */
struct meta_dirstat_update {
	const struct meta_dirstat *d;
	size_t n;
	bool *missing;		/* out, n flags */
};

/* a slice (id, size) whose last reference a transaction dropped */
struct meta_slice_ref {
	uint64_t id;
	uint32_t size;
};

/*
 * deleteChunk, freeing a file's data: the chunk's records go, each slice
 * they name loses a reference; meta_delete_chunk deletes the objects of
 * the slices left with none.
 */
struct meta_delchunk {
	uint64_t ino;
	uint32_t indx;
	struct meta_slice_ref *freed;	/* out, malloc'd */
	size_t nfreed;
};

/*
 * compactChunk's commit (meta.h): the front deletes the objects of the
 * slices that lost their last reference.
 */
struct meta_compact {
	uint64_t ino;
	uint32_t indx;
	const struct meta_slice *old;
	size_t n, skip;			/* old[0..skip) stay in front of s */
	const struct meta_slice *s;
	struct meta_slice_ref *freed;	/* out, malloc'd */
	size_t nfreed;
};

/* fsck's repairs: a dir's nlink (out, recounted), the volume's counters */
struct meta_repair {
	uint64_t ino;
	uint32_t nlink;
};

struct meta_volstat {
	int64_t used_space, used_inodes;
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
	/* optional: meta_watch / meta_unwatch (meta.h) */
	int (*watch)(struct meta *m, meta_changed_fn fn, void *arg);
	void (*unwatch)(struct meta *m);

	/*
	 * Sessions.  do_session opens one (a->create: the engine picks
	 * a->sid, the front keeps it in m->sid) or refreshes a->sid's
	 * heartbeat.  A session closes (meta_close_session, or a stale one's
	 * cleanup) in three steps the front runs: list_sustained gives the
	 * inodes it kept open after their last unlink, do_release_sustained
	 * deletes each, do_close_session then drops its locks and records.
	 * stale_sessions lists (up to 1000) sessions whose heartbeat expired
	 * before 'before'.
	 */
	int (*do_session)(struct meta *m, struct meta_session *a);
	int (*list_sustained)(struct meta *m, uint64_t sid, struct meta_ids *a);
	int (*do_release_sustained)(struct meta *m, struct meta_sustained *a);
	int (*do_close_session)(struct meta *m, uint64_t sid);
	int (*do_list_sessions)(struct meta *m, struct meta_sessions *a);
	int (*stale_sessions)(struct meta *m, int64_t before, struct meta_ids *a);

	/* namespace: the front has checked names, flags and the trash */
	int (*do_lookup)(struct meta *m, struct meta_lookup *a);
	int (*do_getattr)(struct meta *m, struct meta_getattr *a);
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

	/* xattrs (names and sizes checked by the front) and ACLs */
	int (*do_getxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_setxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_listxattr)(struct meta *m, struct meta_xattr *a);
	int (*do_removexattr)(struct meta *m, struct meta_xattr *a);
	int (*do_get_facl)(struct meta *m, struct meta_facl *a);
	int (*do_set_facl)(struct meta *m, struct meta_facl *a);

	/* locks: the front has checked type and range (META_LOCK_HELD) */
	int (*do_getlk)(struct meta *m, struct meta_lock *a);
	int (*do_setlk)(struct meta *m, struct meta_lock *a);
	int (*do_flock)(struct meta *m, struct meta_lock *a);

	int (*do_fallocate)(struct meta *m, struct meta_falloc *a);
	int (*do_copy_range)(struct meta *m, struct meta_copy *a);

	/* upkeep */
	int (*do_set_if_small)(struct meta *m, struct meta_small *a);
	int (*do_update_dir_stats)(struct meta *m, struct meta_dirstat_update *a);
	/* doSyncDirStat: st (a recount) becomes the dir's stats, unless it is gone */
	int (*sync_dir_stat)(struct meta *m, const struct meta_dirstat *st);
	int (*cleanup_deleted_files)(struct meta *m, int64_t before, size_t *n);
	int (*cleanup_delayed_slices)(struct meta *m, int64_t before, size_t *n);
	int (*cleanup_slices)(struct meta *m, size_t *n);

	/* data; the front checks the slices' bounds */
	int (*new_slice_id)(struct meta *m, uint64_t *id);
	int (*do_read_chunk)(struct meta *m, struct meta_chunk *a);
	int (*do_write_slice)(struct meta *m, struct meta_write *a);
	/* the transactions of compactChunk and deleteChunk (a->freed) */
	int (*do_compact_chunk)(struct meta *m, struct meta_compact *a);
	int (*do_delete_chunk)(struct meta *m, struct meta_delchunk *a);
	/*
	 * After a slice's objects were deleted (meta_free_slice): its
	 * reference record goes (SQL's only if still unreferenced).
	 */
	int (*delete_slice_ref)(struct meta *m, uint64_t id, uint32_t size);

	/*
	 * fsck and gc (meta.h; the engine's check.c): meta_scan,
	 * meta_get_dir_stat, meta_repair_dir and meta_set_volume_stat's
	 * bodies.  scan calls back outside any transaction.
	 */
	int (*scan)(struct meta *m, const struct meta_scan *a);
	int (*get_dir_stat)(struct meta *m, struct meta_dirstat *st, bool *have);
	int (*repair_dir)(struct meta *m, struct meta_repair *a);
	int (*set_volume_stat)(struct meta *m, const struct meta_volstat *a);

	/*
	 * Dump and load (meta.h; the engine's dump.c): dump_info reads the
	 * counters, delfiles and quotas; load_check, load_records (one
	 * transaction) and load_reset are meta_load_*'s bodies.
	 */
	int (*dump_info)(struct meta *m, struct meta_dump_info *a);
	int (*load_check)(struct meta *m);
	int (*load_records)(struct meta *m, const struct meta_rec *r, size_t n);
	int (*load_reset)(struct meta *m);
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
/* counts engine traffic for meta_io_take (each engine's connection layer) */
void meta_io_count(uint32_t cmds, uint32_t rtts);
void meta_dirstat_add(struct meta *m, uint64_t ino, int64_t length,
		      int64_t space, int64_t inodes);
void meta_base_init(struct meta *m);
void meta_base_destroy(struct meta *m);

/*
 * meta_free_slice: a slice nobody references any more loses its objects
 * (hooks.delete_slice), then its reference record (delete_slice_ref).
 * Without a deleter, or when it fails, the record stays for a later
 * cleanup or `juicefs gc`; *gone (if asked): the objects went.  Runs
 * outside any transaction, after the one that dropped the reference.
 * meta_free_slices does it for n slices, stopping at an error.
 */
int meta_free_slice(struct meta *m, uint64_t id, uint32_t size, bool *gone);
int meta_free_slices(struct meta *m, const struct meta_slice_ref *v, size_t n);
/* meta_delete_chunk (meta.h) is deleteChunk: do_delete_chunk, then the slices */

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

/*
 * doMknod and doLink, run by the engine's transaction body as unlink's
 * below: the parent (a->pa), the new inode's attr (mknod: its mode,
 * inherited ACL and times) or the linked one's (link: nlink, parent 0
 * now, ctime) are read, checked and stamped, then 'write' writes them.
 */
int meta_mknod_txn(const struct meta_ns_io *io, const struct meta_acl_io *acl,
		   struct meta_mknod *a, int (*write)(void *ctx, struct meta_mknod *a),
		   void *ctx);
int meta_link_txn(const struct meta_ns_io *io, struct meta_link *a,
		  int (*write)(void *ctx, struct meta_link *a), void *ctx);

/*
 * doUnlink and doRename, run by the engine's transaction body: the
 * reads (through io), the checks and the decisions are the same for
 * every engine; they fill the fields of 'a' after 'trash', stamp the
 * attrs to be written, then 'write' (ctx: the engine's) writes what they
 * decided, changing the attrs in 'a' as it writes them (not their type
 * or length, which the front's dir stats read).  A rename with nothing
 * to do (a name onto itself or onto another link of its inode) writes
 * nothing and leaves a->moved false.
 */
int meta_unlink_txn(const struct meta_ns_io *io, struct meta_unlink *a,
		    int (*write)(void *ctx, struct meta_unlink *a), void *ctx);
int meta_rename_txn(const struct meta_ns_io *io, struct meta_rename *a,
		    int (*write)(void *ctx, struct meta_rename *a), void *ctx);

/*
 * Moves the parent reference of an entry (type, attr t) from dir 'fa'
 * to dir 'ta' (inode 'to'): a dir carries its parent and counts in its
 * parents' nlink, a single-linked file carries it in t->parent.  True
 * for a hard-linked file, whose parents the engine keeps elsewhere.
 */
bool meta_move_parent(struct meta_attr *t, uint8_t type, uint64_t to,
		      struct meta_attr *fa, struct meta_attr *ta);

/*
 * getlk's and setlk's scan of an inode's locks, one owner's record list
 * 'l' at a time (taken over): ours ('mine') becomes *own, and the first
 * lock of another owner in conflict with a's goes to a->found (*hit).
 */
void meta_plock_scan(struct meta_lock *a, struct plock_list *l, bool mine,
		     struct plock_list *own, bool *hit);
/*
 * setlk on what the scan found: *own becomes our new list, to be stored
 * as *buf (len bytes, malloc'd), or removed when it is empty.  1: nothing
 * to write; META_LOCK_HELD: another owner's lock is in the way.
 */
int meta_setlk_apply(const struct meta_lock *a, bool hit, struct plock_list *own,
		     unsigned char **buf, size_t *len);

/*
 * lookup's attr read (ret: 0 or its error): an entry whose inode has no
 * attr stays visible with its type only, so that it can be removed.
 */
int meta_lookup_attr(struct meta_lookup *a, uint8_t type, int ret);

/* the file ops' attribute rules; 1 from truncate/copy: nothing to write */
int meta_truncate_attr(struct meta_truncate *a);
int meta_falloc_attr(struct meta_falloc *a);
int meta_write_attr(struct meta_write *a);
int meta_copy_attr(struct meta_copy *a, const struct meta_attr *src, uint64_t *size);

/* a record CopyFileRange adds to the destination's chunk indx */
struct meta_copy_rec {
	uint32_t indx;
	struct meta_slice s;
};

/*
 * CopyFileRange, run by the engine's transaction body: both attrs are
 * read (io->get_attr) and checked (meta_copy_attr), then what the bytes
 * copied show in the source (io->load_chunk) becomes the n records r for
 * the destination (a hole copies as a zero record, a run across one of
 * its chunk boundaries as two); all is read before 'write' writes them,
 * the destination's attr and its usage.  a->copied on success.
 */
int meta_copy_txn(const struct meta_ns_io *io, struct meta_copy *a,
		  int (*write)(void *ctx, struct meta_copy *a, const struct meta_copy_rec *r,
			       size_t n),
		  void *ctx);

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
/*
 * A delSlices value (12-byte big-endian (id, size) records) decoded and
 * given to a->delayed with its time; a value that is not whole records
 * is skipped (0), as JuiceFS skips it.
 */
int meta_scan_delayed(const struct meta_scan *a, int64_t ts, const unsigned char *p,
		      size_t len);

#endif /* JFS_META_ENGINE_H */
