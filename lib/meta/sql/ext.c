/*
 * meta_sql_ext.c - the SQLite engine's extended attributes (jfs_xattr),
 * POSIX ACL rules (jfs_acl) and shared locks (jfs_flock, jfs_plock), as
 * JuiceFS's sql.go and sql_lock.go keep them; each op behaves as the Redis
 * engine's one of the same name (meta_redis.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

/* ---- ACL rules ---------------------------------------------------------- */

/*
 * jfs_acl keeps a rule's four permissions as integers and its named users
 * and groups as blobs of 6-byte big-endian entries {u32 id, u16 perm}
 * (acl.Entries.Encode: no count, unlike the Redis encoding).  A row's id
 * is the rule id; JuiceFS never changes a row once made.
 */

static void put_entries(unsigned char *p, const struct acl_entry *e, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++, p += 6) {
		p[0] = (unsigned char)(e[i].id >> 24);
		p[1] = (unsigned char)(e[i].id >> 16);
		p[2] = (unsigned char)(e[i].id >> 8);
		p[3] = (unsigned char)e[i].id;
		p[4] = (unsigned char)(e[i].perm >> 8);
		p[5] = (unsigned char)e[i].perm;
	}
}

/* both blobs in one buffer: users at *buf, groups at *buf + nusers * 6 */
static int encode_entries(const struct acl_rule *r, unsigned char **buf)
{
	size_t n = ((size_t)r->nusers + r->ngroups) * 6;

	*buf = malloc(n ? n : 1);
	if (!*buf)
		return -ENOMEM;
	put_entries(*buf, r->users, r->nusers);
	put_entries(*buf + (size_t)r->nusers * 6, r->groups, r->ngroups);
	return 0;
}

static int decode_entries(const unsigned char *p, size_t len, uint32_t *n,
			  struct acl_entry **e)
{
	uint32_t i;

	*n = 0;
	*e = NULL;
	if (len % 6 || len / 6 > ACL_MAX_ENTRIES)
		return -EIO;
	if (!len)
		return 0;
	*e = calloc(len / 6, sizeof(**e));
	if (!*e)
		return -ENOMEM;
	for (i = 0; i < len / 6; i++, p += 6) {
		(*e)[i].id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];
		(*e)[i].perm = (uint16_t)(p[4] << 8 | p[5]);
	}
	*n = (uint32_t)(len / 6);
	return 0;
}

/* the rule in columns col.. (owner, group, mask, other, named_users, named_groups) */
static int acl_read(sqlite3_stmt *st, int col, uint32_t id, struct acl_rule *r)
{
	int ret;

	acl_rule_init(r);
	r->owner = (uint16_t)sqlite3_column_int(st, col);
	r->group = (uint16_t)sqlite3_column_int(st, col + 1);
	r->mask = (uint16_t)sqlite3_column_int(st, col + 2);
	r->other = (uint16_t)sqlite3_column_int(st, col + 3);
	ret = decode_entries(sqlite3_column_blob(st, col + 4),
			     (size_t)sqlite3_column_bytes(st, col + 4), &r->nusers, &r->users);
	if (!ret)
		ret = decode_entries(sqlite3_column_blob(st, col + 5),
				     (size_t)sqlite3_column_bytes(st, col + 5),
				     &r->ngroups, &r->groups);
	if (ret)
		acl_rule_free(r);
	return ret == -EIO ? sq_bad_value("jfs_acl", id, "bad named entries") : ret;
}

/* a copy of cached rule @id; -ENOENT when not cached.  Under acl_lock. */
static int acl_cached(struct smeta *m, uint32_t id, struct acl_rule *rule)
{
	size_t i;

	for (i = 0; i < m->nacls; i++)
		if (m->acls[i].id == id)
			return acl_rule_copy(rule, &m->acls[i].rule);
	return -ENOENT;
}

static int acl_cache_put(struct smeta *m, uint32_t id, const struct acl_rule *rule)
{
	struct acl_rule dummy;
	struct sq_acl *v;
	int ret = 0;

	pthread_mutex_lock(&m->acl_lock);
	if (acl_cached(m, id, &dummy) == 0) {
		acl_rule_free(&dummy);
		goto out;	/* another thread got it first */
	}
	if (m->nacls == m->capacls) {
		size_t cap = m->capacls ? m->capacls * 2 : 16;

		v = realloc(m->acls, cap * sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		m->acls = v;
		m->capacls = cap;
	}
	ret = acl_rule_copy(&m->acls[m->nacls].rule, rule);
	if (!ret)
		m->acls[m->nacls++].id = id;
out:
	pthread_mutex_unlock(&m->acl_lock);
	return ret;
}

/*
 * getACL.  A rule read is cached for good: rows never change.  (A body
 * must not read back a rule it inserted itself, as the transaction may
 * still roll back; no caller does.)
 */
int sq_get_acl(struct smeta *m, struct sconn *c, uint32_t id, struct acl_rule *rule)
{
	sqlite3_stmt *st;
	int ret;

	pthread_mutex_lock(&m->acl_lock);
	ret = acl_cached(m, id, rule);
	pthread_mutex_unlock(&m->acl_lock);
	if (ret != -ENOENT)
		return ret;
	ret = sq_query(c, &st, "SELECT owner, `group`, mask, other, named_users, named_groups "
		       "FROM jfs_acl WHERE id=?", "i", (int64_t)id);
	if (!ret)
		ret = sq_row(c, st);
	if (ret == 0)
		ret = sq_bad_value("jfs_acl", id, "an inode names a rule that is not there");
	if (ret < 0)
		return ret;
	ret = acl_read(st, 0, id, rule);
	sqlite3_reset(st);
	if (!ret) {
		ret = acl_cache_put(m, id, rule);
		if (ret)
			acl_rule_free(rule);
	}
	return ret;
}

/*
 * insertACL: the id of an identical row, else of a new one.  JuiceFS
 * looks in its cache (all rows, loaded at start); we ask the table, which
 * the transaction's write lock keeps from changing meanwhile, so two
 * clients never make twins.  Nothing found or made here is cached: a row
 * inserted (or first seen) in a transaction that then rolls back is gone,
 * and SQLite may give its id to another rule.
 */
int sq_insert_acl(struct smeta *m, struct sconn *c, const struct acl_rule *rule,
		  uint32_t *id)
{
	size_t ulen = (size_t)rule->nusers * 6, glen = (size_t)rule->ngroups * 6;
	unsigned char *buf;
	sqlite3_stmt *st;
	int64_t rowid;
	int ret;

	*id = 0;
	if (acl_rule_is_empty(rule))
		return 0;
	ret = encode_entries(rule, &buf);
	if (ret)
		return ret;
	/* NULL or text blobs (another writer's) compare as the bytes they hold */
	ret = sq_query(c, &st, "SELECT id FROM jfs_acl WHERE owner=? AND `group`=? AND "
		       "mask=? AND other=? AND CAST(IFNULL(named_users, '') AS BLOB)=? AND "
		       "CAST(IFNULL(named_groups, '') AS BLOB)=? ORDER BY id LIMIT 1",
		       "iiiibb", (int64_t)rule->owner, (int64_t)rule->group,
		       (int64_t)rule->mask, (int64_t)rule->other, buf, ulen, buf + ulen, glen);
	if (!ret)
		ret = sq_row(c, st);
	if (ret > 0) {
		rowid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		ret = rowid > 0 && rowid <= UINT32_MAX ? 0 :
		      sq_bad_value("jfs_acl", (uint64_t)rowid, "id out of range");
		if (!ret)
			*id = (uint32_t)rowid;
		free(buf);
		return ret;
	}
	if (!ret)
		ret = sq_exec(c, "INSERT INTO jfs_acl (owner, `group`, mask, other, named_users, "
			      "named_groups) VALUES (?,?,?,?,?,?)", "iiiibb",
			      (int64_t)rule->owner, (int64_t)rule->group, (int64_t)rule->mask,
			      (int64_t)rule->other, buf, ulen, buf + ulen, glen);
	free(buf);
	if (ret)
		return ret;
	rowid = sqlite3_last_insert_rowid(c->db);
	if (rowid <= 0 || rowid > UINT32_MAX)
		return sq_bad_value("jfs_acl", (uint64_t)rowid, "id out of range");
	*id = (uint32_t)rowid;
	return 0;
}

/* mergeAttr's chmod of a file with an access ACL: the rule follows */
int sq_chmod_acl(struct smeta *m, struct sconn *c, struct meta_attr *t, uint16_t mode)
{
	struct acl_rule rule;
	int ret;

	ret = sq_get_acl(m, c, t->access_acl, &rule);
	if (ret)
		return ret;
	acl_rule_set_mode(&rule, mode);
	t->mode = (mode & 07000) | acl_rule_get_mode(&rule);
	ret = sq_insert_acl(m, c, &rule, &t->access_acl);
	acl_rule_free(&rule);
	return ret;
}

/* doMknod under a dir with a default ACL: the child inherits it */
int sq_inherit_acl(struct smeta *m, struct sconn *c, const struct meta_attr *pa,
		   struct meta_attr *t, uint16_t mode)
{
	struct acl_rule def, child;
	int ret;

	ret = sq_get_acl(m, c, pa->default_acl, &def);
	if (ret)
		return ret;
	if (t->type == META_TYPE_DIR)
		t->default_acl = pa->default_acl;
	if (acl_rule_is_minimal(&def)) {
		t->mode = mode & (07000 | acl_rule_get_mode(&def));
	} else {
		ret = acl_rule_child_access(&def, mode, &child);
		if (!ret) {
			ret = sq_insert_acl(m, c, &child, &t->access_acl);
			t->mode = (mode & 07000) | acl_rule_get_mode(&child);
			acl_rule_free(&child);
		}
	}
	acl_rule_free(&def);
	return ret;
}

void sq_acl_cache_free(struct smeta *m)
{
	size_t i;

	for (i = 0; i < m->nacls; i++)
		acl_rule_free(&m->acls[i].rule);
	free(m->acls);
	m->acls = NULL;
	m->nacls = m->capacls = 0;
}

/* ---- operations: POSIX ACLs ------------------------------------------- */

struct facl_arg {
	uint64_t ino;
	int type;
	const struct acl_rule *in;
	bool kill_sgid;
	struct acl_rule out;
	struct meta_attr attr;
};

static int getfacl_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct facl_arg *a = arg;
	uint32_t id;
	int ret;

	ret = sq_get_node(c, a->ino, &a->attr);
	if (ret)
		return ret;
	id = a->type == ACL_TYPE_ACCESS_J ? a->attr.access_acl : a->attr.default_acl;
	if (!id)
		return -ENODATA;
	acl_rule_free(&a->out);
	return sq_get_acl(m, c, id, &a->out);
}

int sqm_get_facl(struct meta *mm, uint64_t ino, int type, struct acl_rule *rule)
{
	struct facl_arg a = { .ino = ino, .type = type };
	int ret;

	acl_rule_init(&a.out);
	if (type != ACL_TYPE_ACCESS_J && type != ACL_TYPE_DEFAULT_J)
		return -EINVAL;
	ret = sq_read((struct smeta *)mm, getfacl_body, &a);
	if (ret) {
		acl_rule_free(&a.out);
		return ret;
	}
	*rule = a.out;
	return 0;
}

/* doSetFacl: the rule's id goes into the node; an access rule sets the mode */
static int setfacl_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct facl_arg *a = arg;
	struct meta_attr *t = &a->attr;
	struct acl_rule rule;
	uint32_t *idp, old_id;
	struct timespec now;
	uint16_t old_mode;
	int ret;

	ret = sq_get_node(c, a->ino, t);
	if (ret)
		return ret;
	if (t->flags & META_FLAG_IMMUTABLE)
		return -EPERM;
	idp = a->type == ACL_TYPE_ACCESS_J ? &t->access_acl : &t->default_acl;
	old_id = *idp;
	old_mode = t->mode;
	ret = meta_facl_prepare(t, a->type, a->in, a->kill_sgid, &rule);
	if (ret > 0) {
		ret = sq_insert_acl(m, c, &rule, idp);
		if (!ret)
			meta_facl_stored(t, a->type, &rule);
		acl_rule_free(&rule);
	}
	if (ret)
		return ret;
	if (*idp == old_id && t->mode == old_mode)
		return 0;
	meta_now(&now);
	meta_set_ctime(t, &now);
	return sq_update_node(c, a->ino, t);
}

int sqm_set_facl(struct meta *mm, uint64_t ino, int type, const struct acl_rule *rule,
		 bool kill_sgid, struct meta_attr *attr)
{
	struct facl_arg a = { .ino = ino, .type = type, .in = rule,
			      .kill_sgid = kill_sgid };
	int ret;

	if (type != ACL_TYPE_ACCESS_J && type != ACL_TYPE_DEFAULT_J)
		return -EINVAL;
	ret = sq_txn((struct smeta *)mm, setfacl_body, &a);
	if (!ret && attr)
		*attr = a.attr;
	return ret;
}

/* ---- operations: xattrs ------------------------------------------------ */

/*
 * jfs_xattr holds one row per (inode, name): the name as TEXT (any bytes
 * but NUL), the raw value as a BLOB.  The rows go with their inode (the
 * namespace ops delete them).
 */

struct xattr_arg {
	uint64_t ino;
	const char *name;
	size_t len;
	const void *value;
	size_t vlen;
	unsigned int flags;
	char *out;		/* getxattr's value, listxattr's names */
	size_t outlen;
};

static int getxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct xattr_arg *a = arg;
	sqlite3_stmt *st;
	size_t n;
	int ret;

	free(a->out);
	a->out = NULL;
	ret = sq_query(c, &st, "SELECT value FROM jfs_xattr WHERE inode=? AND name=?", "it",
		       (int64_t)a->ino, a->name, a->len);
	if (!ret)
		ret = sq_row(c, st);
	if (ret == 0)
		return -ENODATA;
	if (ret < 0)
		return ret;
	n = (size_t)sqlite3_column_bytes(st, 0);
	a->out = malloc(n + 1);
	if (!a->out) {
		sqlite3_reset(st);
		return -ENOMEM;
	}
	if (n)
		memcpy(a->out, sqlite3_column_blob(st, 0), n);
	a->out[n] = '\0';
	a->outlen = n;
	sqlite3_reset(st);
	return 0;
}

int sqm_getxattr(struct meta *mm, uint64_t ino, const char *name, size_t len,
		 char **value, size_t *vlen)
{
	struct xattr_arg a = { .ino = ino, .name = name, .len = len };
	int ret;

	*value = NULL;
	*vlen = 0;
	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	ret = sq_read((struct smeta *)mm, getxattr_body, &a);
	if (ret) {
		free(a.out);
		return ret;
	}
	*value = a.out;
	*vlen = a.outlen;
	return 0;
}

/* the names, each followed by a NUL */
static int listxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct xattr_arg *a = arg;
	size_t cap = 0;
	sqlite3_stmt *st;
	int ret;

	free(a->out);
	a->out = NULL;
	a->outlen = 0;
	ret = sq_query(c, &st, "SELECT name FROM jfs_xattr WHERE inode=?", "i",
		       (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		ret = 0;
		if (a->outlen + n + 1 > cap) {
			size_t ncap = (a->outlen + n + 1) * 2;
			char *p = realloc(a->out, ncap);

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			a->out = p;
			cap = ncap;
		}
		if (n)
			memcpy(a->out + a->outlen, sqlite3_column_blob(st, 0), n);
		a->outlen += n;
		a->out[a->outlen++] = '\0';
	}
	if (ret < 0)
		sqlite3_reset(st);
	return ret < 0 ? ret : 0;
}

int sqm_listxattr(struct meta *mm, uint64_t ino, char **names, size_t *len)
{
	struct xattr_arg a = { .ino = ino };
	int ret;

	ret = sq_read((struct smeta *)mm, listxattr_body, &a);
	if (ret) {
		free(a.out);
		a.out = NULL;
		a.outlen = 0;
	}
	*names = a.out;
	*len = a.outlen;
	return ret;
}

/* doSetXattr: the flags decide on the row's presence; an equal value stays */
static int setxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct xattr_arg *a = arg;
	sqlite3_stmt *st;
	bool same;
	int ret;

	ret = sq_query(c, &st, "SELECT value FROM jfs_xattr WHERE inode=? AND name=?", "it",
		       (int64_t)a->ino, a->name, a->len);
	if (!ret)
		ret = sq_row(c, st);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		if (a->flags & META_XATTR_REPLACE)
			return -ENODATA;
		return sq_exec(c, "INSERT INTO jfs_xattr (inode, name, value) VALUES (?,?,?)",
			       "itb", (int64_t)a->ino, a->name, a->len, a->value, a->vlen);
	}
	same = (size_t)sqlite3_column_bytes(st, 0) == a->vlen &&
	       (!a->vlen || !memcmp(sqlite3_column_blob(st, 0), a->value, a->vlen));
	sqlite3_reset(st);
	if (a->flags & META_XATTR_CREATE)
		return -EEXIST;
	if (same && !(a->flags & META_XATTR_REPLACE))
		return 0;
	return sq_exec(c, "UPDATE jfs_xattr SET value=? WHERE inode=? AND name=?", "bit",
		       a->value, a->vlen, (int64_t)a->ino, a->name, a->len);
}

int sqm_setxattr(struct meta *mm, uint64_t ino, const char *name, size_t len,
		 const void *value, size_t vlen, unsigned int flags)
{
	struct xattr_arg a = {
		.ino = ino, .name = name, .len = len,
		.value = vlen ? value : "", .vlen = vlen, .flags = flags,
	};
	int ret;

	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	if (vlen > META_XATTR_SIZE_MAX)
		return -E2BIG;
	/* as base.go: one flag or none */
	if (flags != 0 && flags != META_XATTR_CREATE && flags != META_XATTR_REPLACE)
		return -EINVAL;
	return sq_txn((struct smeta *)mm, setxattr_body, &a);
}

/* nothing deleted is ENODATA (JuiceFS's ENOATTR) */
static int removexattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct xattr_arg *a = arg;
	int ret;

	ret = sq_exec(c, "DELETE FROM jfs_xattr WHERE inode=? AND name=?", "it",
		      (int64_t)a->ino, a->name, a->len);
	if (!ret && sq_changes(c) == 0)
		ret = -ENODATA;
	return ret;
}

int sqm_removexattr(struct meta *mm, uint64_t ino, const char *name, size_t len)
{
	struct xattr_arg a = { .ino = ino, .name = name, .len = len };
	int ret;

	ret = meta_check_xattr_name(name, len);
	if (ret)
		return ret;
	return sq_txn((struct smeta *)mm, removexattr_body, &a);
}

/* ---- operations: locks (sql_lock.go) ----------------------------------- */

/*
 * jfs_flock has a row per (inode, sid, owner) holding 'R' or 'W' (the
 * characters' codes, as JuiceFS's byte column); jfs_plock one per owner
 * holding its record list (plock.h).  The owner column is the kernel's
 * lock owner as a signed 64-bit number.  Sessions' rows go when they are
 * cleaned up (meta_sql.c).  Nothing here waits: a conflict is -EAGAIN.
 */
#define SQ_FLOCK_RD	'R'
#define SQ_FLOCK_WR	'W'

/* a body's "another owner holds it": -EAGAIN would mean "run the body again" */
#define SQ_LOCK_HELD	(-EDEADLK)

struct lock_arg {
	uint64_t ino, owner;
	uint32_t type, pid;
	uint64_t start, end;
	struct plock found;	/* getlk: the conflicting lock */
};

static bool lock_is_mine(struct smeta *m, sqlite3_stmt *st, const struct lock_arg *a)
{
	return (uint64_t)sqlite3_column_int64(st, 0) == m->base.sid &&
	       (uint64_t)sqlite3_column_int64(st, 1) == a->owner;
}

/* as sql_lock.go, locking needs the inode (its row lock, in other databases) */
static int lock_node_exists(struct sconn *c, uint64_t ino)
{
	sqlite3_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT 1 FROM jfs_node WHERE inode=?", "i", (int64_t)ino);
	if (!ret)
		ret = sq_row(c, st);
	if (ret > 0)
		sqlite3_reset(st);
	return ret < 0 ? ret : ret ? 0 : -ENOENT;
}

static int flock_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct lock_arg *a = arg;
	int64_t want = a->type == PLOCK_WR ? SQ_FLOCK_WR : SQ_FLOCK_RD, mine = 0;
	sqlite3_stmt *st = NULL;
	bool had = false;
	int ret;

	if (a->type == PLOCK_UN)
		return sq_exec(c, "DELETE FROM jfs_flock WHERE inode=? AND sid=? AND owner=?",
			       "iii", (int64_t)a->ino, (int64_t)m->base.sid, (int64_t)a->owner);
	ret = lock_node_exists(c, a->ino);
	if (!ret)
		ret = sq_query(c, &st, "SELECT sid, owner, ltype FROM jfs_flock WHERE inode=?",
			       "i", (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		int64_t lt = sqlite3_column_int64(st, 2);

		ret = 0;
		if (lock_is_mine(m, st, a)) {
			mine = lt;
			had = true;
		} else if (a->type == PLOCK_WR || lt == SQ_FLOCK_WR)
			ret = SQ_LOCK_HELD;
	}
	if (ret) {
		if (ret == SQ_LOCK_HELD)
			sqlite3_reset(st);
		return ret;
	}
	if (had && mine == want)
		return 0;
	if (had)
		return sq_exec(c, "UPDATE jfs_flock SET ltype=? WHERE inode=? AND sid=? AND owner=?",
			       "iiii", want, (int64_t)a->ino, (int64_t)m->base.sid,
			       (int64_t)a->owner);
	return sq_exec(c, "INSERT INTO jfs_flock (inode, sid, owner, ltype) VALUES (?,?,?,?)",
		       "iiii", (int64_t)a->ino, (int64_t)m->base.sid, (int64_t)a->owner, want);
}

int sqm_flock(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type)
{
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type };
	int ret;

	if (type > PLOCK_UN)
		return -EINVAL;
	ret = sq_txn((struct smeta *)mm, flock_body, &a);
	return ret == SQ_LOCK_HELD ? -EAGAIN : ret;
}

/*
 * The inode's plock rows: ours into @own (*had: we have a row), the first
 * conflict with a's lock among the others' into a->found (*hit).
 */
static int load_plocks(struct smeta *m, struct sconn *c, struct lock_arg *a,
		       struct plock_list *own, bool *had, bool *hit)
{
	sqlite3_stmt *st;
	int ret;

	memset(own, 0, sizeof(*own));
	*had = *hit = false;
	ret = sq_query(c, &st, "SELECT sid, owner, records FROM jfs_plock WHERE inode=?", "i",
		       (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		const struct plock *p;
		struct plock_list l;

		ret = plock_load(sqlite3_column_blob(st, 2),
				 (size_t)sqlite3_column_bytes(st, 2), &l);
		if (ret) {
			ret = ret == -EIO ? sq_bad_value("jfs_plock", a->ino, "bad records") : ret;
			break;
		}
		if (lock_is_mine(m, st, a)) {
			plock_list_free(own);
			*own = l;
			*had = true;
			continue;
		}
		if (a->type != PLOCK_UN && !*hit) {
			p = plock_conflict(&l, a->type, a->start, a->end);
			if (p) {
				a->found = *p;
				*hit = true;
			}
		}
		plock_list_free(&l);
	}
	if (ret)
		sqlite3_reset(st);
	if (ret < 0)
		plock_list_free(own);
	return ret < 0 ? ret : 0;
}

static int setlk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct lock_arg *a = arg;
	struct plock nl = { a->type, a->pid, a->start, a->end };
	struct plock_list own;
	unsigned char *buf = NULL;
	size_t len = 0;
	bool had, hit;
	int ret;

	ret = a->type == PLOCK_UN ? 0 : lock_node_exists(c, a->ino);
	if (!ret)
		ret = load_plocks(m, c, a, &own, &had, &hit);
	if (ret)
		return ret;
	if (hit)
		ret = SQ_LOCK_HELD;
	else if (a->type == PLOCK_UN && !own.n)
		goto out;	/* nothing of ours to unlock */
	if (!ret)
		ret = plock_update(&own, nl);
	if (!ret && own.n)
		ret = plock_dump(&own, &buf, &len);
	if (ret)
		goto out;
	if (!own.n)
		ret = sq_exec(c, "DELETE FROM jfs_plock WHERE inode=? AND sid=? AND owner=?",
			      "iii", (int64_t)a->ino, (int64_t)m->base.sid, (int64_t)a->owner);
	else if (had)
		ret = sq_exec(c, "UPDATE jfs_plock SET records=? WHERE inode=? AND sid=? AND "
			      "owner=?", "biii", buf, len, (int64_t)a->ino,
			      (int64_t)m->base.sid, (int64_t)a->owner);
	else
		ret = sq_exec(c, "INSERT INTO jfs_plock (inode, sid, owner, records) "
			      "VALUES (?,?,?,?)", "iiib", (int64_t)a->ino,
			      (int64_t)m->base.sid, (int64_t)a->owner, buf, len);
	free(buf);
out:
	plock_list_free(&own);
	return ret;
}

int sqm_setlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
	      uint64_t start, uint64_t end, uint32_t pid)
{
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type, .pid = pid,
			      .start = start, .end = end };
	int ret;

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	ret = sq_txn((struct smeta *)mm, setlk_body, &a);
	return ret == SQ_LOCK_HELD ? -EAGAIN : ret;
}

static int getlk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct lock_arg *a = arg;
	struct plock_list own;
	bool had, hit;
	int ret;

	ret = load_plocks(m, c, a, &own, &had, &hit);
	if (ret)
		return ret;
	plock_list_free(&own);
	if (!hit)
		a->found = (struct plock){ .type = PLOCK_UN };
	return 0;
}

int sqm_getlk(struct meta *mm, uint64_t ino, uint64_t owner, uint32_t type,
	      uint64_t start, uint64_t end, struct plock *out)
{
	struct lock_arg a = { .ino = ino, .owner = owner, .type = type,
			      .start = start, .end = end };
	int ret;

	if (type > PLOCK_UN || start > end)
		return -EINVAL;
	*out = (struct plock){ .type = PLOCK_UN };
	if (type == PLOCK_UN)
		return 0;
	ret = sq_read((struct smeta *)mm, getlk_body, &a);
	if (!ret)
		*out = a.found;
	return ret;
}
