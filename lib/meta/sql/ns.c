/*
 * meta_sql_ns.c - the namespace operations of the SQLite engine: lookup,
 * attributes, creating, linking, removing and renaming entries, symlinks,
 * directory listings and the trash's hour dirs.
 *
 * What mknod, link, unlink and rename read, check and decide is base.c's
 * (meta_*_txn, reading through volume.c's struct meta_ns_io); this file
 * writes what they decided, with JuiceFS's SQL rows in place of the
 * Redis keys: a dir's entries are its jfs_edge rows, and a hard-linked
 * file (node.parent 0) has its parents in the jfs_edge rows that name
 * it, so there is no p{ino} to keep.  As in sql.go, node.parent stays 0
 * once a file was linked, even when one link is left.
 *
 * Dir-stat deltas and freeing the data of a file whose last link went
 * are the front's, after the commit (its jfs_delfile row covers a crash
 * in between).
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

/* ---- lookup, getattr, setattr ----------------------------------------- */

static int lookup_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_lookup *a = arg;
	uint8_t type;
	int ret;

	ret = sq_get_edge(c, a->parent, a->name, a->len, &type, &a->ino);
	return ret ? ret : meta_lookup_attr(a, type, get_attr_hint(c, a->ino, &a->attr));
}

int sqm_lookup(struct meta *mm, struct meta_lookup *a)
{
	return sq_read((struct smeta *)mm, lookup_body, a);
}

static int getattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_getattr *a = arg;

	return get_attr_hint(c, a->ino, &a->attr);
}

int sqm_getattr(struct meta *mm, struct meta_getattr *a)
{
	return sq_read((struct smeta *)mm, getattr_body, a);
}

static int setattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_setattr *a = arg;
	struct sq_tx x;
	int ret;

	sq_tx_io(&x, m, c);
	ret = sq_get_node(c, a->ino, &a->out);
	if (!ret)
		ret = meta_setattr_apply(&x.acl, a);
	return ret ? ret : sq_update_node(c, a->ino, &a->out);
}

int sqm_setattr(struct meta *mm, struct meta_setattr *a)
{
	return sq_txn((struct smeta *)mm, setattr_body, a);
}

/* ---- mknod, hour dirs, link ------------------------------------------- */

/* doMknod's writes, on what meta_mknod_txn made */
static int mknod_writes(void *ctx, struct meta_mknod *a)
{
	struct sq_tx *x = ctx;
	struct sconn *c = x->c;
	int ret;

	ret = sq_insert_node(c, a->ino, &a->attr);
	if (!ret && !a->trash_hour)	/* JuiceFS leaves .trash's own attr alone */
		ret = sq_update_node(c, a->parent, &a->pa);
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
		ret = incr_usage(c, (int64_t)meta_align4k(a->attr.length), 1);
	return ret;
}

static int mknod_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_mknod_txn(&x.ns, &x.acl, arg, mknod_writes, &x);
}

/* ids are allocated before the transaction (sql.h), once for all its runs */
int sqm_mknod(struct meta *mm, struct meta_mknod *a)
{
	struct smeta *m = (struct smeta *)mm;
	int ret;

	ret = a->trash_hour ? sq_next_trash_ino(m, &a->ino) : sq_next_ino(m, &a->ino);
	return ret ? ret : sq_txn(m, mknod_body, a);
}

/* doLink's writes: a hard link's parents are the edges naming it */
static int link_writes(void *ctx, struct meta_link *a)
{
	struct sq_tx *x = ctx;
	struct sconn *c = x->c;
	int ret;

	ret = sq_insert_edge(c, a->parent, a->name, a->len, a->attr.type, a->ino);
	if (!ret)
		ret = sq_update_node(c, a->parent, &a->pa);
	return ret ? ret : sq_update_node(c, a->ino, &a->attr);
}

static int link_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_link_txn(&x.ns, arg, link_writes, &x);
}

int sqm_link(struct meta *mm, struct meta_link *a)
{
	return sq_txn((struct smeta *)mm, link_body, a);
}

/* ---- unlink, rmdir ------------------------------------------------------ */

/* a removed dir's node and xattrs; 'counted': it had a node, in the usage */
static int drop_dir(struct sconn *c, uint64_t ino, bool counted)
{
	int ret = sq_delete_node(c, ino);

	if (!ret)
		ret = delete_xattrs(c, ino);
	if (!ret && counted)
		ret = incr_usage(c, -4096, -1);
	return ret;
}

/* doUnlink's writes, on what meta_unlink_txn decided */
static int unlink_writes(void *ctx, struct meta_unlink *a)
{
	struct sq_tx *x = ctx;
	struct sconn *c = x->c;
	int ret;

	ret = sq_delete_edge(c, a->parent, a->name, a->len);
	if (!ret && a->dir)
		ret = forget_dir(c, a->ino);
	if (ret)
		return ret;
	if (a->to_trash)
		ret = to_trash(c, a->trash, a->parent, a->name, a->len, a->type, a->ino,
			       &a->attr, &a->now);
	else if (a->dir)
		ret = drop_dir(c, a->ino, a->removed);
	else if (a->removed)
		ret = drop_link(x->m, c, a->ino, &a->attr, &a->now, &a->free_data);
	if (!ret && !meta_is_trash(a->parent))	/* as JuiceFS: trash attrs stay */
		ret = sq_update_node(c, a->parent, &a->pa);
	return ret;
}

static int unlink_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_unlink_txn(&x.ns, arg, unlink_writes, &x);
}

int sqm_unlink(struct meta *mm, struct meta_unlink *a)
{
	return sq_txn((struct smeta *)mm, unlink_body, a);
}

/* ---- rename ------------------------------------------------------------- */

/* the entry at the destination goes away (a->have_d, not an exchange) */
static int replace_dst(struct smeta *m, struct sconn *c, struct meta_rename *a)
{
	struct meta_attr *da = &a->dattr;
	int ret;

	if (a->to_trash) {
		if (a->dtype == META_TYPE_DIR) {
			ret = sq_exec(c, "DELETE FROM jfs_dir_quota WHERE inode=?", "i",
				      (int64_t)a->dino);
			if (ret)
				return ret;
		}
		return to_trash(c, a->trash, a->pdst, a->ndst, a->ldst, a->dtype, a->dino,
				da, &a->now);
	}
	if (a->dtype == META_TYPE_DIR) {
		/* an empty directory is replaced */
		ret = drop_dir(c, a->dino, a->replaced);
		return ret ? ret : forget_dir(c, a->dino);
	}
	return a->replaced ? drop_link(m, c, a->dino, da, &a->now, &a->free_data) : 0;
}

/*
 * doRename's writes, on what meta_rename_txn decided.  A hard-linked
 * file's parents are the edges naming it: meta_move_parent leaves
 * nothing more to move.
 */
static int rename_writes(void *ctx, struct meta_rename *a)
{
	struct sq_tx *x = ctx;
	struct sconn *c = x->c;
	bool same = a->psrc == a->pdst;
	int ret = 0;

	if (a->flags & META_RENAME_EXCHANGE) {
		ret = set_edge(c, a->psrc, a->nsrc, a->lsrc, a->dtype, a->dino);
		if (!ret)
			ret = set_edge(c, a->pdst, a->ndst, a->ldst, a->stype, a->sino);
		if (!same) {
			meta_move_parent(&a->sattr, a->stype, a->pdst, &a->spa, a->dpa);
			if (a->replaced)
				meta_move_parent(&a->dattr, a->dtype, a->psrc, a->dpa, &a->spa);
		}
		if (!ret && a->replaced) {
			meta_set_ctime(&a->dattr, &a->now);
			ret = sq_update_node(c, a->dino, &a->dattr);
		}
	} else {
		if (a->have_d)
			ret = replace_dst(x->m, c, a);
		if (!ret)
			ret = sq_delete_edge(c, a->psrc, a->nsrc, a->lsrc);
		if (!ret && a->have_d)
			ret = set_edge(c, a->pdst, a->ndst, a->ldst, a->stype, a->sino);
		else if (!ret)
			ret = sq_insert_edge(c, a->pdst, a->ndst, a->ldst, a->stype, a->sino);
		if (!same)
			meta_move_parent(&a->sattr, a->stype, a->pdst, &a->spa, a->dpa);
	}
	if (!ret)
		ret = sq_update_node(c, a->sino, &a->sattr);
	if (!ret && !meta_is_trash(a->psrc))
		ret = sq_update_node(c, a->psrc, &a->spa);
	if (!ret && !same)
		ret = sq_update_node(c, a->pdst, a->dpa);
	return ret;
}

static int rename_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_rename_txn(&x.ns, arg, rename_writes, &x);
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
	ret = sq_get_dir(c, a->ino, &t);
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
