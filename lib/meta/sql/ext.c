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
static int acl_read(struct sq_stmt *st, int col, uint32_t id, struct acl_rule *r)
{
	int ret;

	acl_rule_init(r);
	r->owner = (uint16_t)sq_col_int(st, col);
	r->group = (uint16_t)sq_col_int(st, col + 1);
	r->mask = (uint16_t)sq_col_int(st, col + 2);
	r->other = (uint16_t)sq_col_int(st, col + 3);
	ret = decode_entries(sq_col_blob(st, col + 4, NULL),
			     sq_col_bytes(st, col + 4), &r->nusers, &r->users);
	if (!ret)
		ret = decode_entries(sq_col_blob(st, col + 5, NULL),
				     sq_col_bytes(st, col + 5),
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
 * getACL, base.c's acl.get (ctx: an sq_tx).  A rule read is cached for
 * good: rows never change.  (A body
 * must not read back a rule it inserted itself, as the transaction may
 * still roll back; no caller does.)
 */
int sq_acl_get(void *ctx, uint32_t id, struct acl_rule *rule)
{
	struct sq_tx *x = ctx;
	struct smeta *m = x->m;
	struct sconn *c = x->c;
	struct sq_stmt *st;
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
	sq_reset(st);
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
	struct sq_stmt *st;
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
		rowid = sq_col_int64(st, 0);
		sq_reset(st);
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
	rowid = sq_last_id(c);
	if (rowid <= 0 || rowid > UINT32_MAX)
		return sq_bad_value("jfs_acl", (uint64_t)rowid, "id out of range");
	*id = (uint32_t)rowid;
	return 0;
}

int sq_acl_insert(void *ctx, const struct acl_rule *rule, uint32_t *id)
{
	struct sq_tx *x = ctx;

	return sq_insert_acl(x->m, x->c, rule, id);
}

int sq_chmod_acl(struct smeta *m, struct sconn *c, struct meta_attr *t, uint16_t mode)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_acl_chmod(&x.acl, t, mode);
}

int sq_inherit_acl(struct smeta *m, struct sconn *c, const struct meta_attr *pa,
		   struct meta_attr *t, uint16_t mode)
{
	struct sq_tx x;

	sq_tx_io(&x, m, c);
	return meta_acl_inherit(&x.acl, pa, t, mode);
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

static int getfacl_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_facl *a = arg;
	struct sq_tx x;
	int ret;

	sq_tx_io(&x, m, c);
	ret = sq_get_node(c, a->ino, &a->attr);
	return ret ? ret : meta_get_facl_rule(&x.acl, a);
}

int sqm_get_facl(struct meta *mm, struct meta_facl *a)
{
	return sq_read((struct smeta *)mm, getfacl_body, a);
}

/* doSetFacl (meta_set_facl_apply) on the node */
static int setfacl_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_facl *a = arg;
	struct sq_tx x;
	int ret;

	sq_tx_io(&x, m, c);
	ret = sq_get_node(c, a->ino, &a->attr);
	if (!ret)
		ret = meta_set_facl_apply(&x.acl, a);
	return ret <= 0 ? ret : sq_update_node(c, a->ino, &a->attr);
}

int sqm_set_facl(struct meta *mm, struct meta_facl *a)
{
	return sq_txn((struct smeta *)mm, setfacl_body, a);
}

/* ---- operations: xattrs ------------------------------------------------ */

/*
 * jfs_xattr holds one row per (inode, name): the name as TEXT (any bytes
 * but NUL), the raw value as a BLOB.  The rows go with their inode (the
 * namespace ops delete them).
 */

static int getxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_xattr *a = arg;
	struct sq_stmt *st;
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
	n = sq_col_bytes(st, 0);
	a->out = malloc(n + 1);
	if (!a->out) {
		sq_reset(st);
		return -ENOMEM;
	}
	if (n)
		memcpy(a->out, sq_col_blob(st, 0, NULL), n);
	a->out[n] = '\0';
	a->outlen = n;
	sq_reset(st);
	return 0;
}

int sqm_getxattr(struct meta *mm, struct meta_xattr *a)
{
	return sq_read((struct smeta *)mm, getxattr_body, a);
}

/* the names, each followed by a NUL */
static int listxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_xattr *a = arg;
	size_t cap = 0;
	struct sq_stmt *st;
	int ret;

	free(a->out);
	a->out = NULL;
	a->outlen = 0;
	ret = sq_query(c, &st, "SELECT name FROM jfs_xattr WHERE inode=?", "i",
		       (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		size_t n = sq_col_bytes(st, 0);

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
			memcpy(a->out + a->outlen, sq_col_blob(st, 0, NULL), n);
		a->outlen += n;
		a->out[a->outlen++] = '\0';
	}
	if (ret < 0)
		sq_reset(st);
	return ret < 0 ? ret : 0;
}

int sqm_listxattr(struct meta *mm, struct meta_xattr *a)
{
	return sq_read((struct smeta *)mm, listxattr_body, a);
}

/* doSetXattr: the flags decide on the row's presence; an equal value stays */
static int setxattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_xattr *a = arg;
	struct sq_stmt *st;
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
	same = sq_col_bytes(st, 0) == a->vlen &&
	       (!a->vlen || !memcmp(sq_col_blob(st, 0, NULL), a->value, a->vlen));
	sq_reset(st);
	if (a->flags & META_XATTR_CREATE)
		return -EEXIST;
	if (same && !(a->flags & META_XATTR_REPLACE))
		return 0;
	return sq_exec(c, "UPDATE jfs_xattr SET value=? WHERE inode=? AND name=?", "bit",
		       a->value, a->vlen, (int64_t)a->ino, a->name, a->len);
}

int sqm_setxattr(struct meta *mm, struct meta_xattr *a)
{
	return sq_txn((struct smeta *)mm, setxattr_body, a);
}

/* nothing deleted is ENODATA (JuiceFS's ENOATTR) */
static int removexattr_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_xattr *a = arg;
	int ret;

	ret = sq_exec(c, "DELETE FROM jfs_xattr WHERE inode=? AND name=?", "it",
		      (int64_t)a->ino, a->name, a->len);
	if (!ret && sq_changes(c) == 0)
		ret = -ENODATA;
	return ret;
}

int sqm_removexattr(struct meta *mm, struct meta_xattr *a)
{
	return sq_txn((struct smeta *)mm, removexattr_body, a);
}

/* ---- operations: locks (sql_lock.go) ----------------------------------- */

/*
 * jfs_flock has a row per (inode, sid, owner) holding 'R' or 'W' (the
 * characters' codes, as JuiceFS's byte column); jfs_plock one per owner
 * holding its record list (plock.h).  The owner column is the kernel's
 * lock owner as a signed 64-bit number.  Sessions' rows go when they are
 * cleaned up (volume.c).  Nothing here waits: a conflict is
 * META_LOCK_HELD, which the front answers -EAGAIN.
 */
#define SQ_FLOCK_RD	'R'
#define SQ_FLOCK_WR	'W'

static bool lock_is_mine(struct smeta *m, struct sq_stmt *st, const struct meta_lock *a)
{
	return (uint64_t)sq_col_int64(st, 0) == m->base.sid &&
	       (uint64_t)sq_col_int64(st, 1) == a->owner;
}

/* as sql_lock.go, locking needs the inode (its row lock, in other databases) */
static int lock_node_exists(struct sconn *c, uint64_t ino)
{
	struct sq_stmt *st;
	int ret;

	ret = sq_query(c, &st, "SELECT 1 FROM jfs_node WHERE inode=?", "i", (int64_t)ino);
	if (!ret)
		ret = sq_row(c, st);
	if (ret > 0)
		sq_reset(st);
	return ret < 0 ? ret : ret ? 0 : -ENOENT;
}

static int flock_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_lock *a = arg;
	int64_t want = a->type == PLOCK_WR ? SQ_FLOCK_WR : SQ_FLOCK_RD, mine = 0;
	struct sq_stmt *st = NULL;
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
		int64_t lt = sq_col_int64(st, 2);

		ret = 0;
		if (lock_is_mine(m, st, a)) {
			mine = lt;
			had = true;
		} else if (a->type == PLOCK_WR || lt == SQ_FLOCK_WR)
			ret = META_LOCK_HELD;
	}
	if (ret) {
		if (ret == META_LOCK_HELD)
			sq_reset(st);
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

int sqm_flock(struct meta *mm, struct meta_lock *a)
{
	return sq_txn((struct smeta *)mm, flock_body, a);
}

/*
 * The inode's plock rows: ours into @own (*had: we have a row), the first
 * conflict with a's lock among the others' into a->found (*hit).
 */
static int load_plocks(struct smeta *m, struct sconn *c, struct meta_lock *a,
		       struct plock_list *own, bool *had, bool *hit)
{
	struct sq_stmt *st;
	int ret;

	memset(own, 0, sizeof(*own));
	*had = *hit = false;
	ret = sq_query(c, &st, "SELECT sid, owner, records FROM jfs_plock WHERE inode=?", "i",
		       (int64_t)a->ino);
	while (!ret && (ret = sq_row(c, st)) > 0) {
		bool mine = lock_is_mine(m, st, a);
		struct plock_list l;

		ret = plock_load(sq_col_blob(st, 2, NULL),
				 sq_col_bytes(st, 2), &l);
		if (ret) {
			ret = ret == -EIO ? sq_bad_value("jfs_plock", a->ino, "bad records") : ret;
			break;
		}
		*had = *had || mine;
		meta_plock_scan(a, &l, mine, own, hit);
	}
	if (ret)
		sq_reset(st);
	if (ret < 0)
		plock_list_free(own);
	return ret < 0 ? ret : 0;
}

static int setlk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_lock *a = arg;
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
	ret = meta_setlk_apply(a, hit, &own, &buf, &len);
	if (ret) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
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

int sqm_setlk(struct meta *mm, struct meta_lock *a)
{
	return sq_txn((struct smeta *)mm, setlk_body, a);
}

static int getlk_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct meta_lock *a = arg;
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

int sqm_getlk(struct meta *mm, struct meta_lock *a)
{
	return sq_read((struct smeta *)mm, getlk_body, a);
}
