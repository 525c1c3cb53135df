/*
 * meta_sql_ns.c - the namespace operations of the SQLite engine: lookup,
 * attributes, creating, linking, removing and renaming entries, symlinks,
 * directory listings and the trash's hour dirs.
 *
 * Each op follows the Redis engine's version of it (same checks in the
 * same order, same errno, same trash, nlink and counter rules), with
 * JuiceFS's SQL rows in place of the Redis keys: a dir's entries are its
 * jfs_edge rows, and a hard-linked file (node.parent 0) has its parents
 * in the jfs_edge rows that name it, so there is no p{ino} to keep.  As
 * in sql.go, node.parent stays 0 once a file was linked, even when one
 * link is left.
 *
 * Dir-stat deltas are queued after the commit, where the Redis engine
 * queues them; the data of a file whose last link went is freed after
 * the commit too (its jfs_delfile row covers a crash in between).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

/*
 * SQ_NODE_COLS of the jfs_node row joined as 'n' (same order: it is
 * decoded with sq_node_read).
 */
#define NS_NODE_COLS_N "n.inode,n.type,n.flags,n.mode,n.uid,n.gid,n.atime," \
	"n.mtime,n.ctime,n.atimensec,n.mtimensec,n.ctimensec,n.nlink,n.length," \
	"n.rdev,n.parent,n.access_acl_id,n.default_acl_id,n.tier_id"

/* ---- helpers: reads --------------------------------------------------- */

/* the parent directory of a namespace change: must exist and be a dir */
static int get_dir(struct sconn *c, uint64_t ino, struct meta_attr *a)
{
	int ret = sq_get_node(c, ino, a);

	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	return ret;
}

/* any jfs_xattr row of 'ino' */
static int has_xattr(struct sconn *c, uint64_t ino, bool *yes)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT 1 FROM jfs_xattr WHERE inode=? LIMIT 1", "i",
		       (int64_t)ino);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	*yes = ret == 1;
	return 0;
}

/*
 * The attributes plus the hint that the inode has no xattrs, which spares
 * the kernel a GETXATTR per 'ls -l' entry.
 */
static int get_attr_hint(struct sconn *c, uint64_t ino, struct meta_attr *a)
{
	bool yes;
	int ret;

	ret = sq_get_node(c, ino, a);
	if (!ret)
		ret = has_xattr(c, ino, &yes);
	if (!ret)
		a->no_xattr = !yes;
	return ret;
}

/* -ENOTEMPTY when 'dir' has any entry */
static int check_empty(struct sconn *c, uint64_t dir)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT 1 FROM jfs_edge WHERE parent=? LIMIT 1", "i",
		       (int64_t)dir);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	return ret ? -ENOTEMPTY : 0;
}

/* ---- helpers: writes -------------------------------------------------- */

static int incr(struct sconn *c, const char *name, int64_t delta)
{
	return delta ? sq_incr_counter(c, name, delta, NULL) : 0;
}

/* the volume's usedSpace/totalInodes, as the Redis engine's INCRBYs */
static int incr_usage(struct sconn *c, int64_t space, int64_t inodes)
{
	int ret = incr(c, "usedSpace", space);

	return ret ? ret : incr(c, "totalInodes", inodes);
}

static int delete_xattrs(struct sconn *c, uint64_t ino)
{
	return sq_exec(c, "DELETE FROM jfs_xattr WHERE inode=?", "i", (int64_t)ino);
}

/* the dir-stat and quota rows JuiceFS keeps per directory (q_forget_dir) */
static int forget_dir(struct sconn *c, uint64_t ino)
{
	int ret;

	ret = sq_exec(c, "DELETE FROM jfs_dir_stats WHERE inode=?", "i", (int64_t)ino);
	if (!ret)
		ret = sq_exec(c, "DELETE FROM jfs_dir_quota WHERE inode=?", "i", (int64_t)ino);
	return ret;
}

/* points the existing entry (parent, name) at another inode */
static int set_edge(struct sconn *c, uint64_t parent, const char *name, size_t len,
		    uint8_t type, uint64_t ino)
{
	return sq_exec(c, "UPDATE jfs_edge SET inode=?, type=? WHERE parent=? AND name=?",
		       "iiib", (int64_t)ino, (int64_t)type, (int64_t)parent, name, len);
}

/*
 * Removes one link to 'ino' (not a directory) whose attr is 'a', as
 * JuiceFS's unlink does: nlink--, and on the last link either keep it as
 * sustained (open in this session) or delete it.  Sets *free_data when
 * the caller must free the file's chunks after the commit.
 */
static int drop_link(struct smeta *m, struct sconn *c, uint64_t ino,
		     struct meta_attr *a, const struct timespec *now, bool *free_data)
{
	int ret;

	*free_data = false;
	meta_set_ctime(a, now);
	if (a->nlink > 0)
		a->nlink--;
	if (a->nlink > 0)	/* the other links' edges stay its parents */
		return sq_update_node(c, ino, a);
	if (a->type == META_TYPE_FILE && meta_is_open(&m->base, ino)) {
		/* kept until the last close: release_sustained */
		ret = sq_update_node(c, ino, a);
		if (!ret)
			ret = sq_exec(c, "INSERT OR IGNORE INTO jfs_sustained (sid, inode) "
				      "VALUES (?,?)", "ii", (int64_t)m->base.sid,
				      (int64_t)ino);
	} else {
		ret = 0;
		if (a->type == META_TYPE_FILE) {
			ret = sq_add_delfile(c, ino, a->length);
			*free_data = !ret;
		} else if (a->type == META_TYPE_SYMLINK) {
			ret = sq_exec(c, "DELETE FROM jfs_symlink WHERE inode=?", "i",
				      (int64_t)ino);
		}
		if (!ret)
			ret = sq_delete_node(c, ino);
		if (!ret)
			ret = incr_usage(c, -(int64_t)meta_align4k(a->length), -1);
	}
	if (!ret)
		ret = delete_xattrs(c, ino);
	return ret;
}

/*
 * Moves the entry (type, ino, attr t) that leaves 'parent' under 'name'
 * into the trash hour dir 'trash': nlink unchanged; a single parent
 * becomes the hour dir, a hard link just gets one more edge there.
 */
static int to_trash(struct sconn *c, uint64_t trash, uint64_t parent,
		    const char *name, size_t len, uint8_t type, uint64_t ino,
		    struct meta_attr *t, const struct timespec *now)
{
	char tname[META_MAX_NAME + 1];
	size_t tlen;
	int ret;

	meta_set_ctime(t, now);
	if (t->parent > 0)
		t->parent = trash;
	ret = sq_update_node(c, ino, t);
	if (ret)
		return ret;
	tlen = meta_trash_entry(tname, parent, ino, name, len);
	return sq_insert_edge(c, trash, tname, tlen, type, ino);
}

/* meta_trash_choice, looking the trash name up when it asks */
static int use_trash(struct sconn *c, uint64_t trash, uint64_t parent,
		     const char *name, size_t len, uint64_t ino,
		     const struct meta_attr *t, bool *yes)
{
	int choice = meta_trash_choice(trash, t), ret = -ENOENT;
	char tname[META_MAX_NAME + 1];
	uint64_t eino;
	uint8_t etype;

	*yes = false;
	if (choice == 2)
		ret = sq_get_edge(c, trash, tname, meta_trash_entry(tname, parent, ino, name, len),
				  &etype, &eino);
	if (ret != -ENOENT)
		return ret;	/* taken (0), or an error */
	*yes = choice != 0;
	return 0;
}

/* ---- lookup, getattr, setattr ----------------------------------------- */

static int lookup_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_lookup *a = arg;
	uint8_t type;
	int ret;

	ret = sq_get_edge(c, a->parent, a->name, a->len, &type, &a->ino);
	if (ret)
		return ret;
	ret = get_attr_hint(c, a->ino, &a->attr);
	if (ret == -ENOENT) {
		/* as JuiceFS: a dangling entry stays visible so it can be removed */
		memset(&a->attr, 0, sizeof(a->attr));
		a->attr.type = type;
		ret = 0;
	}
	return ret;
}

int sqm_lookup(struct meta *mm, struct meta_lookup *a)
{
	return sq_read((struct smeta *)mm, lookup_body, a);
}

struct attr_arg {
	uint64_t ino;
	struct meta_attr attr;
};

static int getattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct attr_arg *a = arg;

	return get_attr_hint(c, a->ino, &a->attr);
}

int sqm_getattr(struct meta *mm, uint64_t ino, struct meta_attr *attr)
{
	struct attr_arg a = { .ino = ino };
	int ret;

	ret = sq_read((struct smeta *)mm, getattr_body, &a);
	if (!ret)
		*attr = a.attr;
	return ret;
}

static int setattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_setattr *a = arg;
	struct sq_acl_ctx x;
	int ret;

	sq_acl_io(&x, m, c);
	ret = sq_get_node(c, a->ino, &a->out);
	if (!ret)
		ret = meta_setattr_apply(&x.io, a);
	return ret ? ret : sq_update_node(c, a->ino, &a->out);
}

int sqm_setattr(struct meta *mm, struct meta_setattr *a)
{
	return sq_txn((struct smeta *)mm, setattr_body, a);
}

/* ---- mknod, hour dirs, link ------------------------------------------- */

static int mknod_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_mknod *a = arg;
	struct meta_attr pa, *t = &a->attr;
	struct timespec now;
	uint8_t etype;
	uint64_t eino;
	int ret;

	ret = get_dir(c, a->parent, &pa);
	if (ret)
		return ret;
	if (meta_is_immutable(&pa))
		return -EPERM;
	ret = meta_new_entry_check(sq_get_edge(c, a->parent, a->name, a->len, &etype, &eino));
	if (ret)
		return ret;

	meta_mknod_mode(a);
	if (pa.default_acl && a->type != META_TYPE_SYMLINK) {
		ret = sq_inherit_acl(m, c, &pa, t, a->mode & 07777);
		if (ret)
			return ret;
	}
	meta_now(&now);
	meta_mknod_attr(a, &pa, &now);

	ret = sq_insert_node(c, a->ino, t);
	if (!ret && !a->trash_hour)	/* JuiceFS leaves .trash's own attr alone */
		ret = sq_update_node(c, a->parent, &pa);
	if (!ret && a->type == META_TYPE_SYMLINK)
		ret = sq_exec(c, "INSERT INTO jfs_symlink (inode, target) VALUES (?,?)", "ib",
			      (int64_t)a->ino, a->target, a->targetlen);
	if (!ret)
		ret = sq_insert_edge(c, a->parent, a->name, a->len, a->type, a->ino);
	/* a new dir starts with empty stats, as JuiceFS's doMknod writes them */
	if (!ret && a->type == META_TYPE_DIR)
		ret = sq_exec(c, "REPLACE INTO jfs_dir_stats (inode, data_length, used_space, "
			      "used_inodes) VALUES (?,0,0,0)", "i", (int64_t)a->ino);
	if (!ret)
		ret = incr_usage(c, (int64_t)meta_align4k(t->length), 1);
	return ret;
}

/* ids are allocated before the transaction (sql.h), once for all its runs */
int sqm_mknod(struct meta *mm, struct meta_mknod *a)
{
	struct smeta *m = (struct smeta *)mm;
	int ret;

	ret = a->trash_hour ? sq_next_trash_ino(m, &a->ino) : sq_next_ino(m, &a->ino);
	return ret ? ret : sq_txn(m, mknod_body, a);
}

static int link_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_link *a = arg;
	struct meta_attr pa, *t = &a->attr;
	struct timespec now;
	uint8_t etype;
	uint64_t eino;
	int ret;

	ret = get_dir(c, a->parent, &pa);
	if (!ret)
		ret = sq_get_node(c, a->ino, t);
	if (!ret)
		ret = meta_link_check(t, &pa);
	if (!ret)
		ret = meta_new_entry_check(sq_get_edge(c, a->parent, a->name, a->len,
						       &etype, &eino));
	if (ret)
		return ret;

	meta_now(&now);
	/* several parents: they are the edges naming it (doLink) */
	t->parent = 0;
	t->nlink++;
	meta_set_ctime(t, &now);
	meta_set_mtime(&pa, &now);
	meta_set_ctime(&pa, &now);
	ret = sq_insert_edge(c, a->parent, a->name, a->len, t->type, a->ino);
	if (!ret)
		ret = sq_update_node(c, a->parent, &pa);
	if (!ret)
		ret = sq_update_node(c, a->ino, t);
	return ret;
}

int sqm_link(struct meta *mm, struct meta_link *a)
{
	return sq_txn((struct smeta *)mm, link_body, a);
}

/* ---- unlink, rmdir ------------------------------------------------------ */

static int unlink_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_unlink *a = arg;
	struct meta_attr pa, t;
	struct timespec now;
	bool have_attr, trash = false;
	uint8_t type;
	uint64_t ino;
	int ret;

	a->free_data = a->removed = a->to_trash = false;
	ret = get_dir(c, a->parent, &pa);
	if (!ret)
		ret = sq_get_edge(c, a->parent, a->name, a->len, &type, &ino);
	if (!ret)
		ret = meta_unlink_check(a->dir, type);
	if (ret)
		return ret;
	if (a->dir) {
		ret = check_empty(c, ino);
		if (ret)
			return ret;
	}
	memset(&t, 0, sizeof(t));
	ret = sq_get_node(c, ino, &t);
	if (ret && ret != -ENOENT)
		return ret;
	have_attr = !ret;	/* a dangling entry is just removed */
	if (meta_is_immutable(&pa) || (have_attr && meta_is_immutable(&t)))
		return -EPERM;
	if (have_attr) {
		ret = use_trash(c, a->trash, a->parent, a->name, a->len, ino, &t, &trash);
		if (ret)
			return ret;
	}

	meta_now(&now);
	meta_set_mtime(&pa, &now);
	meta_set_ctime(&pa, &now);
	ret = sq_delete_edge(c, a->parent, a->name, a->len);
	if (ret)
		return ret;
	a->attr = t;
	if (a->dir) {
		if (pa.nlink > 2)
			pa.nlink--;
		ret = forget_dir(c, ino);
		if (!ret && trash) {
			ret = to_trash(c, a->trash, a->parent, a->name, a->len, type, ino,
				       &t, &now);
		} else if (!ret) {
			ret = sq_delete_node(c, ino);
			if (!ret)
				ret = delete_xattrs(c, ino);
		}
		if (!ret && have_attr && !trash)
			ret = incr_usage(c, -4096, -1);
	} else if (trash) {
		ret = to_trash(c, a->trash, a->parent, a->name, a->len, type, ino, &t, &now);
	} else if (have_attr) {
		ret = drop_link(m, c, ino, &t, &now, &a->free_data);
		a->ino = ino;
		a->length = t.length;
	}
	if (!ret && !meta_is_trash(a->parent))	/* as JuiceFS: trash attrs stay */
		ret = sq_update_node(c, a->parent, &pa);
	if (ret) {
		a->free_data = false;
		return ret;
	}
	a->removed = have_attr;
	a->to_trash = trash;
	return 0;
}

int sqm_unlink(struct meta *mm, struct meta_unlink *a)
{
	return sq_txn((struct smeta *)mm, unlink_body, a);
}

/* ---- rename ------------------------------------------------------------- */

/*
 * Moves the parent reference of an entry from dir 'fa' to dir 'ta': a
 * directory carries its parent (and counts in the parents' nlink), a
 * single-linked file carries it in parent; a hard-linked one has none to
 * move (its edges are its parents).
 */
static void move_parent(struct meta_attr *t, uint8_t type, uint64_t to,
			struct meta_attr *fa, struct meta_attr *ta)
{
	if (type == META_TYPE_DIR) {
		t->parent = to;
		fa->nlink--;
		ta->nlink++;
	} else if (t->parent) {
		t->parent = to;
	}
}

/* the replaced entry (dtype, dino, da) at the destination goes away */
static int replace_dst(struct smeta *m, struct sconn *c, struct meta_rename *a,
		       uint8_t dtype, uint64_t dino, bool have_da, struct meta_attr *da,
		       struct meta_attr *dpa, const struct timespec *now)
{
	int ret;

	if (a->to_trash) {
		if (dtype == META_TYPE_DIR) {
			dpa->nlink--;
			ret = sq_exec(c, "DELETE FROM jfs_dir_quota WHERE inode=?", "i",
				      (int64_t)dino);
			if (ret)
				return ret;
		}
		return to_trash(c, a->trash, a->pdst, a->ndst, a->ldst, dtype, dino, da, now);
	}
	if (dtype == META_TYPE_DIR) {
		/* an empty directory is replaced */
		dpa->nlink--;
		ret = sq_delete_node(c, dino);
		if (!ret)
			ret = delete_xattrs(c, dino);
		if (!ret)
			ret = forget_dir(c, dino);
		if (!ret && have_da)
			ret = incr_usage(c, -4096, -1);
		return ret;
	}
	if (!have_da)
		return 0;
	ret = drop_link(m, c, dino, da, now, &a->free_data);
	a->dino = dino;
	a->dlen = da->length;
	return ret;
}

static int rename_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_rename *a = arg;
	bool same = a->psrc == a->pdst;
	bool exchange = a->flags & META_RENAME_EXCHANGE;
	struct meta_attr spa, dpa_buf, *dpa, sa, da;
	bool have_d = false, have_da = false;
	uint8_t stype, dtype = 0;
	uint64_t sino, dino = 0;
	struct timespec now;
	int ret;

	a->free_data = a->to_trash = false;
	a->moved = a->replaced = false;
	ret = get_dir(c, a->psrc, &spa);
	if (ret)
		return ret;
	dpa = same ? &spa : &dpa_buf;
	if (!same) {
		ret = get_dir(c, a->pdst, dpa);
		if (ret)
			return ret;
	}
	ret = sq_get_edge(c, a->psrc, a->nsrc, a->lsrc, &stype, &sino);
	if (ret)
		return ret;
	if (same && a->lsrc == a->ldst && !memcmp(a->nsrc, a->ndst, a->lsrc))
		return 0;
	ret = sq_get_edge(c, a->pdst, a->ndst, a->ldst, &dtype, &dino);
	if (ret && ret != -ENOENT)
		return ret;
	have_d = !ret;
	ret = meta_rename_check(&(struct meta_rename_ends){
		.flags = a->flags, .psrc = a->psrc, .pdst = a->pdst,
		.spa_parent = spa.parent, .dpa_parent = dpa->parent,
		.stype = stype, .dtype = dtype, .sino = sino, .dino = dino,
		.have_dst = have_d });
	if (ret)
		return ret > 0 ? 0 : ret;

	ret = sq_get_node(c, sino, &sa);
	if (ret)
		return ret;
	memset(&da, 0, sizeof(da));
	if (have_d) {
		ret = sq_get_node(c, dino, &da);
		if (ret && ret != -ENOENT)
			return ret;
		have_da = !ret;
		if (dtype == META_TYPE_DIR && !exchange) {
			ret = check_empty(c, dino);
			if (ret)
				return ret;
		}
	}
	if (meta_is_immutable(&spa) || meta_is_immutable(dpa) || meta_is_immutable(&sa) ||
	    (have_da && meta_is_immutable(&da)))
		return -EPERM;
	if (have_da && !exchange) {
		ret = use_trash(c, a->trash, a->pdst, a->ndst, a->ldst, dino, &da,
				&a->to_trash);
		if (ret)
			return ret;
	}
	meta_rename_stamp(a, &spa, dpa, &sa, have_da ? &da : NULL, &now);

	if (exchange) {
		ret = set_edge(c, a->psrc, a->nsrc, a->lsrc, dtype, dino);
		if (!ret)
			ret = set_edge(c, a->pdst, a->ndst, a->ldst, stype, sino);
		if (!same) {
			move_parent(&sa, stype, a->pdst, &spa, dpa);
			if (have_da)
				move_parent(&da, dtype, a->psrc, dpa, &spa);
		}
		if (!ret && have_da) {
			meta_set_ctime(&da, &now);
			ret = sq_update_node(c, dino, &da);
		}
	} else {
		if (have_d)
			ret = replace_dst(m, c, a, dtype, dino, have_da, &da, dpa, &now);
		if (!ret)
			ret = sq_delete_edge(c, a->psrc, a->nsrc, a->lsrc);
		if (!ret && have_d)
			ret = set_edge(c, a->pdst, a->ndst, a->ldst, stype, sino);
		else if (!ret)
			ret = sq_insert_edge(c, a->pdst, a->ndst, a->ldst, stype, sino);
		if (!same)
			move_parent(&sa, stype, a->pdst, &spa, dpa);
	}
	if (!ret)
		ret = sq_update_node(c, sino, &sa);
	if (!ret && !meta_is_trash(a->psrc))
		ret = sq_update_node(c, a->psrc, &spa);
	if (!ret && !same)
		ret = sq_update_node(c, a->pdst, dpa);
	if (ret) {
		a->free_data = false;
		return ret;
	}
	a->moved = true;
	a->replaced = have_da;
	return 0;
}

int sqm_rename(struct meta *mm, struct meta_rename *a)
{
	return sq_txn((struct smeta *)mm, rename_body, a);
}

/* ---- readlink, readdir ------------------------------------------------- */

static int readlink_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_readlink *a = arg;
	struct meta_attr t;
	struct sq_stmt *st;
	const void *p;
	int ret;

	free(a->target);
	a->target = NULL;
	a->len = 0;
	ret = sq_query(c, &st, "SELECT target FROM jfs_symlink WHERE inode=?", "i",
		       (int64_t)a->ino);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		p = sq_col_blob(st, 0, &a->len);
		a->target = malloc(a->len + 1);
		if (!a->target)
			return -ENOMEM;
		if (a->len)
			memcpy(a->target, p, a->len);
		a->target[a->len] = '\0';
		return 0;
	}
	ret = sq_get_node(c, a->ino, &t);
	if (ret)
		return ret;
	if (t.type != META_TYPE_SYMLINK)
		return -EINVAL;
	return sq_bad_value("jfs_symlink", a->ino, "symlink has no target row");
}

int sqm_readlink(struct meta *mm, struct meta_readlink *a)
{
	return sq_read((struct smeta *)mm, readlink_body, a);
}

/* one listed row: name, inode, type, then (plus) has-node, has-xattr, node */
static int readdir_row(struct meta_readdir *a, struct sq_stmt *st)
{
	size_t len;
	const void *name = sq_col_blob(st, 0, &len);
	uint64_t ino = (uint64_t)sq_col_int64(st, 1);
	int type = sq_col_int(st, 2);
	struct meta_dirent *e;

	if (len == 0)
		return 0;	/* corrupt, as JuiceFS: skipped */
	if (len > META_MAX_NAME || !ino || type < META_TYPE_FILE || type > META_TYPE_SOCKET)
		return sq_bad_value("jfs_edge", a->ino, "bad name, inode or type");
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct meta_dirent *v = realloc(a->ents, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->ents = v;
		a->cap = cap;
	}
	e = &a->ents[a->n];
	memset(e, 0, sizeof(*e));
	e->name = malloc(len + 1);
	if (!e->name)
		return -ENOMEM;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->namelen = (uint16_t)len;
	e->ino = ino;
	e->type = (uint8_t)type;
	a->n++;
	if (!a->plus)
		return 0;
	if (sq_col_int(st, 3)) {
		sq_node_read(st, 5, &e->attr);
		e->attr.no_xattr = !sq_col_int(st, 4) && e->attr.nlink;
	} else {
		e->attr.type = e->type;		/* dangling entry: type only */
	}
	return 0;
}

static int readdir_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_readdir *a = arg;
	struct meta_attr t;
	struct sq_stmt *st;
	int ret;

	meta_free_dirents(a->ents, a->n);
	a->ents = NULL;
	a->n = a->cap = 0;
	ret = get_dir(c, a->ino, &t);
	if (ret)
		return ret;
	if (a->plus)
		ret = sq_query(c, &st, "SELECT e.name, e.inode, e.type, n.inode IS NOT NULL, "
			       "EXISTS (SELECT 1 FROM jfs_xattr x WHERE x.inode=e.inode), "
			       NS_NODE_COLS_N " FROM jfs_edge e LEFT JOIN jfs_node n "
			       "ON n.inode=e.inode WHERE e.parent=? ORDER BY e.name",
			       "i", (int64_t)a->ino);
	else
		ret = sq_query(c, &st, "SELECT name, inode, type FROM jfs_edge WHERE parent=? "
			       "ORDER BY name", "i", (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) == 1)
		ret = readdir_row(a, st);
	/* the front sorts: ORDER BY does not sort a name stored as TEXT bytewise */
	return ret;
}

int sqm_readdir(struct meta *mm, struct meta_readdir *a)
{
	return sq_read((struct smeta *)mm, readdir_body, a);
}
