/*
 * test_meta_sql_ext.c - the SQLite engine's xattrs (jfs_xattr), ACL rules
 * (jfs_acl) and locks (jfs_flock, jfs_plock), with two engine instances
 * (two sessions) on one file for the locks.  Rows are checked with a
 * separate sqlite3 connection, against what juicefs 1.4 writes (the rows
 * a real `juicefs` mount left in a database are copied here as literals).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "meta/sql/sql.h"
#include "check.h"
#include "sqlraw.h"

static const char *setting_json =
	"{\"Name\":\"sqlvol\",\"UUID\":\"0f3c4b1e-2a0d-4b7e-9d55-1f2e3d4c5b6a\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1,\"EnableACL\":true}";

/* a fresh database file for each test */
static struct meta *fresh(void)
{
	return raw_volume(setting_json, false);
}

/* ---- the raw connection ---- */

/* whether the xattr row holds exactly want (as a BLOB) */
static bool raw_xattr_is(uint64_t ino, const char *name, const void *want, size_t len)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	bool same = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_prepare_v2(db, "SELECT value, typeof(value), typeof(name) FROM jfs_xattr "
			       "WHERE inode=? AND name=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (int64_t)ino);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			same = (size_t)sqlite3_column_bytes(st, 0) == len &&
			       (!len || !memcmp(sqlite3_column_blob(st, 0), want, len)) &&
			       !strcmp((const char *)sqlite3_column_text(st, 1), "blob") &&
			       !strcmp((const char *)sqlite3_column_text(st, 2), "text");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return same;
}

/* a node row as a juicefs mknod would leave it (the test needs no namespace op) */
static uint64_t next_ino = 100;

static uint64_t raw_node(uint8_t type, uint16_t mode)
{
	uint64_t ino = next_ino++;

	if (raw_exec("INSERT INTO jfs_node (inode, type, flags, mode, uid, gid, atime, mtime, "
		     "ctime, atimensec, mtimensec, ctimensec, nlink, length, rdev, parent, "
		     "access_acl_id, default_acl_id) VALUES (%" PRIu64 ", %d, 0, %d, 1000, "
		     "1000, 1000000, 1000000, 1000000, 0, 0, 0, 1, 0, 0, 1, 0, 0)",
		     ino, type, mode))
		return 0;
	return ino;
}

static int setx(struct meta *m, uint64_t ino, const char *name, const void *v,
		size_t vlen, unsigned int flags)
{
	return meta_setxattr(m, ino, name, strlen(name), v, vlen, flags);
}

static int getx(struct meta *m, uint64_t ino, const char *name, char **v, size_t *vlen)
{
	return meta_getxattr(m, ino, name, strlen(name), v, vlen);
}

/* ---- xattrs ---- */

static void xattr_layout(void)
{
	static const char bin[] = { 'a', 0, 'b', 0, (char)0xff, 0 };
	struct meta *m = fresh();
	char before[64], *v = NULL;
	uint64_t f;
	size_t n = 99;

	REQUIRE(m);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	CHECK_EQ(getx(m, f, "user.a", &v, &n), -ENODATA);
	CHECK(v == NULL);
	CHECK_EQ(n, 0);
	snprintf(before, sizeof(before), "%s",
		 raw_str("SELECT ctime||'.'||ctimensec||'.'||mode FROM jfs_node WHERE inode=%"
			 PRIu64, f));
	/* a binary value with NUL bytes is stored as is */
	REQUIRE(setx(m, f, "user.a", bin, sizeof(bin), 0) == 0);
	CHECK(raw_xattr_is(f, "user.a", bin, sizeof(bin)));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr"), 1);
	REQUIRE(getx(m, f, "user.a", &v, &n) == 0);
	CHECK_EQ(n, sizeof(bin));
	CHECK_MEM(v, bin, sizeof(bin));
	free(v);
	/* as JuiceFS: the node (ctime included) does not change */
	CHECK_STR(raw_str("SELECT ctime||'.'||ctimensec||'.'||mode FROM jfs_node WHERE inode=%"
			  PRIu64, f), before);

	/* overwrite keeps the row; an empty value is an empty BLOB */
	REQUIRE(setx(m, f, "user.a", "xyz", 3, 0) == 0);
	CHECK(raw_xattr_is(f, "user.a", "xyz", 3));
	CHECK_EQ(raw_int("SELECT id FROM jfs_xattr WHERE name='user.a'"), 1);
	REQUIRE(setx(m, f, "trusted.empty", "", 0, 0) == 0);
	CHECK(raw_xattr_is(f, "trusted.empty", "", 0));
	REQUIRE(getx(m, f, "trusted.empty", &v, &n) == 0);
	CHECK(v != NULL);
	CHECK_EQ(n, 0);
	free(v);
	/* what a juicefs client wrote reads back (its rows, as a real mount left them) */
	REQUIRE(raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES (%" PRIu64
			 ", 'user.color', X'626C7565')", f) == 0);
	REQUIRE(getx(m, f, "user.color", &v, &n) == 0);
	CHECK_EQ(n, 4);
	CHECK_MEM(v, "blue", 4);
	CHECK_EQ(v[4], '\0');
	free(v);
	/* a name may hold any byte but NUL, '/' included */
	REQUIRE(setx(m, f, "user.a/b c", "1", 1, 0) == 0);
	CHECK(raw_xattr_is(f, "user.a/b c", "1", 1));
	/* the inode is not checked, as in JuiceFS */
	CHECK_EQ(setx(m, 999999, "user.x", "1", 1, 0), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=999999"), 1);
	meta_close(m);
}

static void xattr_flags(void)
{
	struct meta *m = fresh();
	uint64_t f;
	char *v;
	size_t n;

	REQUIRE(m);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	/* XATTR_REPLACE needs the name, XATTR_CREATE its absence */
	CHECK_EQ(setx(m, f, "user.k", "r", 1, META_XATTR_REPLACE), -ENODATA);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr"), 0);
	CHECK_EQ(setx(m, f, "user.k", "c", 1, META_XATTR_CREATE), 0);
	CHECK(raw_xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "C", 1, META_XATTR_CREATE), -EEXIST);
	CHECK(raw_xattr_is(f, "user.k", "c", 1));
	CHECK_EQ(setx(m, f, "user.k", "R", 1, META_XATTR_REPLACE), 0);
	CHECK(raw_xattr_is(f, "user.k", "R", 1));
	CHECK_EQ(setx(m, f, "user.k", "R", 1, META_XATTR_REPLACE), 0);	/* same value */
	/* as base.go: one flag or none */
	CHECK_EQ(setx(m, f, "user.k", "B", 1, META_XATTR_CREATE | META_XATTR_REPLACE), -EINVAL);
	CHECK_EQ(setx(m, f, "user.k", "B", 1, 4), -EINVAL);
	REQUIRE(getx(m, f, "user.k", &v, &n) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(v[0], 'R');
	free(v);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr"), 1);
	meta_close(m);
}

static void xattr_names_and_sizes(void)
{
	struct meta *m = fresh();
	char name[300], *big, *v;
	uint64_t f;
	size_t n;

	REQUIRE(m);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	CHECK_EQ(meta_setxattr(m, f, "", 0, "v", 1, 0), -EINVAL);
	CHECK_EQ(meta_getxattr(m, f, "", 0, &v, &n), -EINVAL);
	CHECK_EQ(meta_removexattr(m, f, "", 0), -EINVAL);
	CHECK_EQ(meta_setxattr(m, f, "user.a\0b", 8, "v", 1, 0), -EINVAL);
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	CHECK_EQ(meta_setxattr(m, f, name, 256, "v", 1, 0), -ERANGE);
	CHECK_EQ(meta_getxattr(m, f, name, 256, &v, &n), -ERANGE);
	CHECK_EQ(meta_removexattr(m, f, name, 256), -ERANGE);
	CHECK_EQ(meta_setxattr(m, f, name, 255, "v", 1, 0), 0);
	name[255] = '\0';
	CHECK(raw_xattr_is(f, name, "v", 1));
	CHECK_EQ(raw_int("SELECT length(name) FROM jfs_xattr"), 255);
	/* values up to 64 KiB, as JuiceFS's xattrMaxSize */
	big = malloc(META_XATTR_SIZE_MAX + 1);
	REQUIRE(big);
	for (n = 0; n <= META_XATTR_SIZE_MAX; n++)
		big[n] = (char)(n * 7);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX + 1, 0), -E2BIG);
	CHECK_EQ(setx(m, f, "user.big", big, META_XATTR_SIZE_MAX, 0), 0);
	CHECK(raw_xattr_is(f, "user.big", big, META_XATTR_SIZE_MAX));
	if (getx(m, f, "user.big", &v, &n) == 0) {
		CHECK_EQ(n, META_XATTR_SIZE_MAX);
		CHECK_MEM(v, big, META_XATTR_SIZE_MAX);
		free(v);
	} else {
		CHECK(!"getxattr of 64 KiB");
	}
	free(big);
	meta_close(m);
}

/* the names of a listxattr buffer, sorted, joined by ',' */
static void names_joined(const char *names, size_t len, char *out, size_t outlen)
{
	const char *v[16];
	size_t i, j, k = 0, pos;

	for (pos = 0; pos < len && k < 16; pos += strlen(names + pos) + 1)
		v[k++] = names + pos;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", v[i]);
}

static void xattr_list_and_remove(void)
{
	struct meta *m = fresh();
	char *names = (char *)1, joined[256];
	uint64_t f, g;
	size_t len = 99;

	REQUIRE(m);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	REQUIRE((g = raw_node(META_TYPE_FILE, 0644)));
	CHECK_EQ(meta_listxattr(m, f, &names, &len), 0);
	CHECK(names == NULL);
	CHECK_EQ(len, 0);
	REQUIRE(setx(m, f, "user.b", "2", 1, 0) == 0);
	REQUIRE(setx(m, f, "trusted.t", "", 0, 0) == 0);
	REQUIRE(setx(m, f, "user.a", "1", 1, 0) == 0);
	REQUIRE(setx(m, g, "user.other", "1", 1, 0) == 0);
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	CHECK_EQ(len, strlen("user.b") + strlen("trusted.t") + strlen("user.a") + 3);
	REQUIRE(names && names[len - 1] == '\0');
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a,user.b");
	free(names);

	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=%" PRIu64
			 " AND name='user.b'", f), 0);
	CHECK_EQ(meta_removexattr(m, f, "user.b", 6), -ENODATA);
	CHECK_EQ(meta_removexattr(m, f, "user.zz", 7), -ENODATA);
	CHECK_EQ(meta_removexattr(m, f, "user.other", 10), -ENODATA);	/* g's */
	REQUIRE(meta_listxattr(m, f, &names, &len) == 0);
	names_joined(names, len, joined, sizeof(joined));
	CHECK_STR(joined, "trusted.t,user.a");
	free(names);
	CHECK_EQ(meta_removexattr(m, f, "user.a", 6), 0);
	CHECK_EQ(meta_removexattr(m, f, "trusted.t", 9), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=%" PRIu64, f), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr"), 1);
	meta_close(m);
}

/* ---- ACL rules ---- */

/* u::rw- u:1000:r-- g::r-- m::r-- o::--- */
static void rule_1000(struct acl_rule *r)
{
	acl_rule_init(r);
	r->owner = 6;
	r->group = 4;
	r->mask = 4;
	r->other = 0;
	r->nusers = 1;
	r->users = calloc(1, sizeof(*r->users));
	if (r->users)
		r->users[0] = (struct acl_entry){ 1000, 4 };
	else
		r->nusers = 0;
}

static const char *raw_acl(long long id)
{
	return raw_str("SELECT owner||','||`group`||','||mask||','||other||','||"
		       "quote(named_users)||','||quote(named_groups)||','||typeof(named_groups) "
		       "FROM jfs_acl WHERE id=%lld", id);
}

static void acl_rules(void)
{
	struct acl_rule r, got;
	struct meta *m = fresh(), *m2 = NULL;
	struct meta_attr a;
	uint64_t f, g, h, d;

	REQUIRE(m);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	REQUIRE((g = raw_node(META_TYPE_FILE, 0644)));
	REQUIRE((h = raw_node(META_TYPE_FILE, 0644)));
	CHECK_EQ(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	CHECK_EQ(meta_get_facl(m, 999999, ACL_TYPE_ACCESS_J, &got), -ENOENT);
	CHECK_EQ(meta_get_facl(m, f, 3, &got), -EINVAL);
	rule_1000(&r);
	REQUIRE(r.nusers == 1);
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(a.mode, 0640);
	/* named entries: 6 bytes each {u32 id, u16 perm}, no count; none is X'' */
	CHECK_STR(raw_acl(1), "6,4,4,0,X'000003E80004',X'',blob");
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, f), 1);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=%" PRIu64, f), 0640);
	CHECK(raw_int("SELECT ctime FROM jfs_node WHERE inode=%" PRIu64, f) >
	      (long long)time(NULL) * 1000000 - 10000000);
	/* the same rule elsewhere shares its row */
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 1);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(acl_rule_equal(&got, &r));
	acl_rule_free(&got);
	/* ... also for another client, whose cache knows nothing yet */
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(meta_set_facl(m2, h, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	CHECK_EQ(a.access_acl, 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 1);
	REQUIRE(meta_get_facl(m2, h, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(acl_rule_equal(&got, &r));
	acl_rule_free(&got);

	/* kill_sgid; then removal keeps the mode */
	REQUIRE(raw_exec("UPDATE jfs_node SET mode=%d WHERE inode=%" PRIu64, 02640, g) == 0);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, true, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 1);
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, NULL, false, &a) == 0);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, g), 0);
	CHECK_EQ(meta_get_facl(m, g, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	/* a minimal access rule is only mode bits */
	acl_rule_init(&got);
	got.owner = 7;
	got.group = 5;
	got.other = 1;
	REQUIRE(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &got, false, &a) == 0);
	CHECK_EQ(a.mode, 0751);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=%" PRIu64, g), 0751);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 1);
	/* an immutable file refuses */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=%" PRIu64, g) == 0);
	CHECK_EQ(meta_set_facl(m, g, ACL_TYPE_ACCESS_J, &r, false, &a), -EPERM);

	/* a default rule leaves the mode, and is its own row */
	REQUIRE((d = raw_node(META_TYPE_DIR, 0755)));
	r.users[0].perm = 7;
	r.owner = 7;
	r.group = 5;
	r.mask = 7;
	r.other = ACL_UNSET;
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK_EQ(a.default_acl, 2);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.mode, 0755);
	CHECK_STR(raw_acl(2), "7,5,7,5,X'000003E80007',X'',blob");
	CHECK_EQ(raw_int("SELECT default_acl_id FROM jfs_node WHERE inode=%" PRIu64, d), 2);
	/* other is unset in the request: inherited from the mode (5) */
	REQUIRE(meta_get_facl(m, d, ACL_TYPE_DEFAULT_J, &got) == 0);
	CHECK_EQ(got.other, 5);
	CHECK_EQ(got.nusers, 1);
	acl_rule_free(&got);
	CHECK_EQ(meta_get_facl(m, d, ACL_TYPE_ACCESS_J, &got), -ENODATA);
	acl_rule_free(&r);
	meta_close(m2);
	meta_close(m);
}

/* the row's id after a rollback is free again: nothing uncommitted is cached */
static int insert_then_fail(struct smeta *m, struct sconn *c, void *arg)
{
	uint32_t *id = arg;
	int ret = sq_insert_acl(m, c, &(struct acl_rule){ 7, 7, 7, 7, 0, 0, NULL, NULL }, id);

	return ret ? ret : -ENOSPC;
}

struct acl_arg {
	uint64_t ino, parent;
	uint16_t mode;
	struct meta_attr t;
};

/* what setattr's chmod does to a file with an access ACL */
static int chmod_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct acl_arg *a = arg;
	int ret = sq_get_node(c, a->ino, &a->t);

	if (!ret)
		ret = sq_chmod_acl(m, c, &a->t, a->mode);
	if (!ret)
		ret = sq_update_node(c, a->ino, &a->t);
	return ret;
}

/* what mknod does under a dir with a default ACL */
static int inherit_body(struct smeta *m, struct sconn *c, void *arg)
{
	struct acl_arg *a = arg;
	struct meta_attr pa;
	uint8_t type = a->t.type;
	int ret = sq_get_node(c, a->parent, &pa);

	memset(&a->t, 0, sizeof(a->t));
	a->t.type = type;
	if (!ret)
		ret = sq_inherit_acl(m, c, &pa, &a->t, a->mode);
	return ret;
}

/* JuiceFS's own rows (as a juicefs 1.4 mount wrote them) are found and shared */
static void acl_juicefs_rows(void)
{
	struct meta *m = fresh();
	struct acl_arg x = { 0 };
	struct acl_rule got;
	uint32_t id = 0;
	uint64_t d, f;

	REQUIRE(m);
	REQUIRE((d = raw_node(META_TYPE_DIR, 0775)));
	REQUIRE((f = raw_node(META_TYPE_FILE, 0664)));
	REQUIRE(raw_exec("INSERT INTO jfs_acl (id, owner, `group`, mask, other, named_users, "
			 "named_groups) VALUES (1, 6, 4, 6, 4, X'000003E80006', X'000000640004'),"
			 " (2, 7, 5, 7, 5, X'000003E90007', X''),"
			 " (3, 6, 5, 6, 4, X'000003E90007', X''),"
			 " (4, 7, 7, 7, 7, NULL, NULL)") == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET default_acl_id=2 WHERE inode=%" PRIu64, d) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET access_acl_id=1 WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(got.owner == 6 && got.group == 4 && got.mask == 6 && got.other == 4);
	CHECK(got.nusers == 1 && got.users[0].id == 1000 && got.users[0].perm == 6);
	CHECK(got.ngroups == 1 && got.groups[0].id == 100 && got.groups[0].perm == 4);
	acl_rule_free(&got);

	/* a file made in d with mode 0664 gets juicefs's rule 3 (as its inode 1027) */
	x.parent = d;
	x.mode = 0664;
	x.t.type = META_TYPE_FILE;
	REQUIRE(sq_txn((struct smeta *)m, inherit_body, &x) == 0);
	CHECK_EQ(x.t.access_acl, 3);
	CHECK_EQ(x.t.default_acl, 0);
	CHECK_EQ(x.t.mode, 0664);
	/* a dir keeps the default rule too, and its access rule is 7,5,7,5 = rule 2 */
	x.mode = 0777;
	x.t.type = META_TYPE_DIR;
	REQUIRE(sq_txn((struct smeta *)m, inherit_body, &x) == 0);
	CHECK_EQ(x.t.default_acl, 2);
	CHECK_EQ(x.t.access_acl, 2);
	CHECK_EQ(x.t.mode, 0775);
	/* umask-free: mode 0600 gives a new rule 6,5,0,0 */
	x.mode = 0600;
	x.t.type = META_TYPE_FILE;
	REQUIRE(sq_txn((struct smeta *)m, inherit_body, &x) == 0);
	CHECK_EQ(x.t.access_acl, 5);
	CHECK_EQ(x.t.mode, 0600);
	CHECK_STR(raw_acl(5), "6,5,0,0,X'000003E90007',X'',blob");
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 5);

	/* a NULL-entries row (another writer's) reads as no entries and is matched */
	REQUIRE(raw_exec("UPDATE jfs_node SET access_acl_id=4 WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(meta_get_facl(m, f, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK(got.owner == 7 && got.mask == 7 && !got.nusers && !got.ngroups);
	REQUIRE(sq_txn((struct smeta *)m, insert_then_fail, &id) == -ENOSPC);
	CHECK_EQ(id, 4);
	acl_rule_free(&got);

	/* chmod moves the mask: a new row; the old one stays (shared, never changed) */
	REQUIRE(raw_exec("UPDATE jfs_node SET access_acl_id=1 WHERE inode=%" PRIu64, f) == 0);
	x.ino = f;
	x.mode = 0600;
	REQUIRE(sq_txn((struct smeta *)m, chmod_body, &x) == 0);
	CHECK_EQ(x.t.mode, 0600);
	CHECK_EQ(x.t.access_acl, 6);
	CHECK_STR(raw_acl(6), "6,4,0,0,X'000003E80006',X'000000640004',blob");
	CHECK_STR(raw_acl(1), "6,4,6,4,X'000003E80006',X'000000640004',blob");
	CHECK_EQ(raw_int("SELECT access_acl_id*10000+mode FROM jfs_node WHERE inode=%" PRIu64, f),
		 60000 + 0600);
	/* chmod back: the first row again */
	x.mode = 0664;
	REQUIRE(sq_txn((struct smeta *)m, chmod_body, &x) == 0);
	CHECK_EQ(x.t.access_acl, 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 6);

	/* a rolled-back insert leaves neither a row nor a cached id */
	REQUIRE(sq_txn((struct smeta *)m, insert_then_fail, &id) == -ENOSPC);
	CHECK_EQ(id, 4);	/* 7,7,7,7 is rule 4 */
	REQUIRE(raw_exec("DELETE FROM jfs_acl WHERE id=4") == 0);
	REQUIRE(sq_txn((struct smeta *)m, insert_then_fail, &id) == -ENOSPC);
	CHECK_EQ(id, 7);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 5);
	/* SQLite hands the id out again: had it been cached, 7 would be 7,7,7,7 */
	REQUIRE(raw_exec("INSERT INTO jfs_acl (owner, `group`, mask, other, named_users, "
			 "named_groups) VALUES (1, 1, 1, 1, X'', X'')") == 0);
	CHECK_EQ(raw_int("SELECT max(id) FROM jfs_acl"), 7);
	REQUIRE(sq_txn((struct smeta *)m, insert_then_fail, &id) == -ENOSPC);
	CHECK_EQ(id, 8);
	meta_close(m);
}

/* the same through the ops (needs meta_sql_ns.c): mknod and setattr's chmod */
static void acl_mknod_and_chmod(void)
{
	struct meta *m = fresh();
	struct acl_rule r, got;
	struct meta_attr a;
	uint64_t d, c, sub, um;

	REQUIRE(m);
	REQUIRE(meta_mknod(m, 1, "d", 1, META_TYPE_DIR, 0755, 0, 0, 0, 0, NULL, 0,
			      &d, &a) == 0);
	rule_1000(&r);
	r.users[0].perm = 7;
	r.owner = 7;
	r.group = 5;
	r.mask = 7;
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK_EQ(a.default_acl, 1);
	REQUIRE(meta_mknod(m, d, "c", 1, META_TYPE_FILE, 0666, 077, 0, 0, 0, NULL, 0,
			      &c, &a) == 0);
	CHECK(a.access_acl != 0 && a.default_acl == 0);
	CHECK_EQ(a.mode, 0660);		/* umask ignored; mask = 6 & 7 */
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=%" PRIu64, c), 0660);
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, c),
		 a.access_acl);
	CHECK_STR(raw_acl(a.access_acl), "6,5,6,0,X'000003E80007',X'',blob");
	REQUIRE(meta_mknod(m, d, "sub", 3, META_TYPE_DIR, 0777, 077, 0, 0, 0, NULL, 0,
			      &sub, &a) == 0);
	CHECK_EQ(a.default_acl, 1);
	CHECK(a.access_acl != 0);
	CHECK_EQ(raw_int("SELECT default_acl_id FROM jfs_node WHERE inode=%" PRIu64, sub), 1);
	/* no default rule: the umask applies */
	REQUIRE(meta_mknod(m, 1, "um", 2, META_TYPE_FILE, 0666, 027, 0, 0, 0, NULL, 0,
			      &um, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 0);

	/* chmod of c moves its mask: a new rule */
	REQUIRE(meta_getattr(m, c, &a) == 0);
	a.mode = 0600;
	REQUIRE(meta_setattr(m, c, META_SET_MODE, &a, &a) == 0);
	CHECK_EQ(a.mode, 0600);
	REQUIRE(meta_get_facl(m, c, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK_EQ(got.mask, 0);
	CHECK_EQ(got.group, 5);
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, c),
		 a.access_acl);
	acl_rule_free(&got);
	acl_rule_free(&r);
	meta_close(m);
}

struct facl_worker {
	struct meta *m;
	uint64_t ino[10];
	int ret;
};

/* three rules, set in turn on the worker's files */
static void *facl_worker_main(void *p)
{
	struct facl_worker *w = p;
	struct acl_rule r;
	int i;

	rule_1000(&r);
	for (i = 0; i < 10 && !w->ret && r.nusers; i++) {
		r.users[0].perm = (uint16_t)(i % 3);
		w->ret = meta_set_facl(w->m, w->ino[i], ACL_TYPE_ACCESS_J, &r, false, NULL);
	}
	acl_rule_free(&r);
	return NULL;
}

/* two clients making the same new rules at once make one row each */
static void acl_concurrent_dedup(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	struct facl_worker w[4];
	pthread_t t[4];
	int i, j;

	REQUIRE(m);
	REQUIRE(meta_open(url, &m2) == 0);
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = i % 2 ? m2 : m;
		for (j = 0; j < 10; j++)
			REQUIRE((w[i].ino[j] = raw_node(META_TYPE_FILE, 0644)));
	}
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, facl_worker_main, &w[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(w[i].ret, 0);
	}
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl"), 3);
	CHECK_EQ(raw_int("SELECT count(DISTINCT access_acl_id) FROM jfs_node WHERE "
			 "access_acl_id > 0"), 3);
	meta_close(m2);
	meta_close(m);
}

/* ---- locks ---- */

/* hex(records) of an owner's jfs_plock row */
static const char *raw_plock(uint64_t ino, uint64_t sid, int64_t owner)
{
	return raw_str("SELECT hex(records) FROM jfs_plock WHERE inode=%" PRIu64 " AND sid=%"
		       PRIu64 " AND owner=%" PRId64, ino, sid, owner);
}

#define REC(t, pid, s, e) t pid "00000000" s "00000000" e

static void plock_records(void)
{
	struct meta *m = fresh();
	uint64_t f, sid;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 99, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 40, 99, 42), 0);
	/* {u32 type, u32 pid, u64 start, u64 end} big-endian, as juicefs's rows */
	CHECK_STR(raw_plock(f, sid, 0xabc), REC("00000001", "0000002A", "00000000", "00000027"));
	CHECK_STR(raw_str("SELECT typeof(records) FROM jfs_plock"), "blob");
	/* a read lock after a gap, then the gap write-locked: merged with the first */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 50, 59, 42), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 40, 49, 42), 0);
	CHECK_STR(raw_plock(f, sid, 0xabc),
		  REC("00000001", "0000002A", "00000000", "00000031")
		  REC("00000000", "0000002A", "00000032", "0000003B"));
	/* an unlock in the middle splits */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 20, 29, 42), 0);
	CHECK_STR(raw_plock(f, sid, 0xabc),
		  REC("00000001", "0000002A", "00000000", "00000013")
		  REC("00000001", "0000002A", "0000001E", "00000031")
		  REC("00000000", "0000002A", "00000032", "0000003B"));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock"), 1);
	/* the owner is stored as a signed 64-bit number */
	CHECK_EQ(meta_setlk(m, f, 0xFFFFFFFFFFFFFFF0ULL, PLOCK_RD, 100, UINT64_MAX, 1), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE owner=-16 AND sid=%" PRIu64, sid), 1);
	CHECK_STR(raw_plock(f, sid, -16),
		  "00000000000000010000000000000064FFFFFFFFFFFFFFFF");
	/* all unlocked: the row goes */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, UINT64_MAX, 42), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE owner=2748"), 0);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, 10, 42), 0);	/* nothing held */
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock"), 1);
	/* locking needs the inode (sql_lock.go); unlocking does not */
	CHECK_EQ(meta_setlk(m, 999999, 1, PLOCK_WR, 0, 10, 7), -ENOENT);
	CHECK_EQ(meta_setlk(m, 999999, 1, PLOCK_UN, 0, 10, 7), 0);
	CHECK_EQ(meta_setlk(m, f, 1, 9, 0, 10, 7), -EINVAL);
	CHECK_EQ(meta_setlk(m, f, 1, PLOCK_WR, 10, 0, 7), -EINVAL);
	meta_close(m);
}

static void locks_across_sessions(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	uint64_t f, s1, s2;
	struct plock p;

	REQUIRE(m);
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(meta_new_session(m, "{}", &s1) == 0);
	REQUIRE(meta_new_session(m2, "{}", &s2) == 0);
	REQUIRE(s1 != s2);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));

	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_WR, 0, 39, 42), 0);
	/* the same owner number in another session is another owner */
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_RD, 30, 50, 7), -EAGAIN);
	CHECK_STR(raw_plock(f, s2, 0xabc), "(none)");
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 40, 50, 7), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE inode=%" PRIu64, f), 2);
	CHECK_EQ(meta_getlk(m2, f, 0xabc, PLOCK_RD, 0, 100, &p), 0);
	CHECK(p.type == PLOCK_WR && p.start == 0 && p.end == 39 && p.pid == 42);
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_RD, 45, 45, &p), 0);
	CHECK(p.type == PLOCK_WR && p.start == 40 && p.end == 50 && p.pid == 7);
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* its own lock is no conflict */
	CHECK_EQ(meta_getlk(m, f, 0xabc, PLOCK_UN, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 0, 39, 42), 0);	/* downgrade */
	CHECK_EQ(meta_getlk(m2, f, 1, PLOCK_RD, 0, 39, &p), 0);
	CHECK_EQ(p.type, PLOCK_UN);		/* read + read */
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_RD, 0, 39, 8), 0);
	CHECK_EQ(meta_getlk(m2, f, 1, PLOCK_WR, 0, 39, &p), 0);
	CHECK(p.type == PLOCK_RD && p.end == 39);
	/* m unlocks: m2 may now take it */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_UN, 0, UINT64_MAX, 42), 0);
	CHECK_STR(raw_plock(f, s1, 0xabc), "(none)");
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 0, 39, 7), -EAGAIN);	/* its owner 1 */
	CHECK_EQ(meta_setlk(m2, f, 1, PLOCK_UN, 0, UINT64_MAX, 8), 0);
	CHECK_EQ(meta_setlk(m2, f, 0xabc, PLOCK_WR, 0, 39, 7), 0);
	CHECK_STR(raw_plock(f, s2, 0xabc),
		  "000000010000000700000000000000000000000000000032");

	/* flock: 'R' (82) / 'W' (87) per (inode, sid, owner) */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);
	CHECK_EQ(raw_int("SELECT ltype FROM jfs_flock WHERE inode=%" PRIu64 " AND sid=%" PRIu64
			 " AND owner=5", f, s1), 'W');
	CHECK_EQ(meta_flock(m2, f, 5, PLOCK_RD), -EAGAIN);
	CHECK_EQ(meta_flock(m, f, 6, PLOCK_RD), -EAGAIN);	/* another owner of m's */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);			/* again: no change */
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_RD), 0);			/* downgrade */
	CHECK_EQ(raw_int("SELECT ltype FROM jfs_flock WHERE sid=%" PRIu64, s1), 'R');
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_flock"), 1);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_RD), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_WR), -EAGAIN);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), -EAGAIN);
	CHECK_EQ(raw_int("SELECT ltype FROM jfs_flock WHERE sid=%" PRIu64, s2), 'R');
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_UN), 0);
	CHECK_EQ(meta_flock(m2, f, 6, PLOCK_UN), 0);	/* nothing held */
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_flock"), 1);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_WR), 0);		/* upgrade, alone now */
	CHECK_EQ(raw_int("SELECT ltype FROM jfs_flock WHERE sid=%" PRIu64, s1), 'W');
	CHECK_EQ(meta_flock(m, 999999, 5, PLOCK_WR), -ENOENT);
	CHECK_EQ(meta_flock(m, f, 5, 3), -EINVAL);

	/* a juicefs client's row (owner as a negative number) blocks ours */
	REQUIRE(raw_exec("INSERT INTO jfs_flock (inode, sid, owner, ltype) VALUES "
			 "(%" PRIu64 ", 999, -7224679164519973461, 82)", f) == 0);
	CHECK_EQ(meta_flock(m, f, 5, PLOCK_UN), 0);
	CHECK_EQ(meta_flock(m2, f, 1, PLOCK_RD), 0);
	CHECK_EQ(meta_flock(m2, f, 2, PLOCK_WR), -EAGAIN);

	/* m's client dies: once its session expires, m2's cleanup frees its locks */
	CHECK_EQ(meta_setlk(m, f, 0xabc, PLOCK_RD, 100, 200, 42), 0);
	CHECK_EQ(meta_flock(m, f, 9, PLOCK_RD), 0);
	REQUIRE(raw_exec("UPDATE jfs_session2 SET expire=1 WHERE sid=%" PRIu64, s1) == 0);
	CHECK_EQ(meta_cleanup_stale_sessions(m2), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE sid=%" PRIu64, s1), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_flock WHERE sid=%" PRIu64, s1), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE sid=%" PRIu64, s2), 1);
	meta_close(m2);
	meta_close(m);
}

int main(void)
{
	if (raw_setup())
		return 1;
	RUN(xattr_layout);
	RUN(xattr_flags);
	RUN(xattr_names_and_sizes);
	RUN(xattr_list_and_remove);
	RUN(acl_rules);
	RUN(acl_juicefs_rows);
	RUN(acl_mknod_and_chmod);
	RUN(acl_concurrent_dedup);
	RUN(plock_records);
	RUN(locks_across_sessions);
	raw_cleanup();
	return check_done();
}
