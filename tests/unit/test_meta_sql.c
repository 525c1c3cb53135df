/*
 * test_meta_sql.c - what only the SQLite engine has: URLs, the format and
 * JuiceFS's row layout (times in microseconds, tier ids, TEXT slices, hex'd
 * rows a real juicefs mount left), the jfs_delfile log, the ACL rule cache
 * and its rollback, and SQLite's locking between two instances on one
 * file.  What every engine does is in the conformance suite,
 * test_meta_engines.c.  Rows are checked with a separate sqlite3
 * connection (sqlraw.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "meta/sql/sql.h"
#include "check.h"
#include "conformance.h"
#include "sqlraw.h"

static const char *setting_json =
	"{\"Name\":\"sqlvol\",\"UUID\":\"0f3c4b1e-2a0d-4b7e-9d55-1f2e3d4c5b6a\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1,\"EnableACL\":true}";

/* a new database file, formatted, for each test */
static struct meta *fresh_sql(void)
{
	return volume(raw_next(), setting_json, true);
}

/* byte @off of the test's database file, or -1 */
static int file_byte(long off)
{
	FILE *f = fopen(path, "rb");
	int c = -1;

	if (f && !fseek(f, off, SEEK_SET))
		c = fgetc(f);
	if (f)
		fclose(f);
	return c;
}

static void open_bad_urls(void)
{
	struct meta *m = NULL;
	char dir[300];

	CHECK_EQ(meta_open("sqlite3://", &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "no database file"));
	CHECK_EQ(meta_open("sqlite3://?x=1", &m), -EINVAL);
	snprintf(dir, sizeof(dir), "sqlite3://%s", tmpdir);
	CHECK_EQ(meta_open(dir, &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "not a regular file"));
	CHECK(m == NULL);
}

static void unformatted_is_enoent(void)
{
	struct meta *m = NULL;
	char *json = NULL;

	REQUIRE(meta_open(raw_next(), &m) == 0);
	CHECK_EQ(meta_get_setting(m, &json), -ENOENT);
	CHECK(json == NULL);
	CHECK(strstr(jfs_errmsg(), "no such database file"));
	CHECK(access(path, F_OK) != 0);	/* a mount attempt makes no file */
	meta_close(m);
}

static void format_layout(void)
{
	mode_t old = umask(0);
	struct meta *m = fresh_sql();
	int64_t now = (int64_t)time(NULL);
	char *json = NULL, wal[300];
	struct stat st;

	umask(old);
	REQUIRE(m);
	/* the whole namespace: owner only whatever the umask, its WAL too */
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK(stat(wal, &st) == 0 && (st.st_mode & 07777) == 0600);
	REQUIRE(meta_get_setting(m, &json) == 0);
	CHECK(json && !strcmp(json, setting_json));
	free(json);
	CHECK_EQ(raw_int("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
			 "name LIKE 'jfs_%%'"), 21);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextInode'"), 2);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextChunk'"), 1);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextSession'"), 0);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=1"), 0777);
	CHECK_EQ(raw_int("SELECT type*1000+nlink*100+parent FROM jfs_node WHERE inode=1"), 2201);
	CHECK_EQ(raw_int("SELECT length FROM jfs_node WHERE inode=1"), 4096);
	/* times in microseconds, as JuiceFS's SQL engine keeps them */
	CHECK(raw_int("SELECT mtime/1000000 FROM jfs_node WHERE inode=1") >= now - 5);
	CHECK(raw_int("SELECT mtime/1000000 FROM jfs_node WHERE inode=1") <= now + 5);
	CHECK(raw_int("SELECT mtimensec FROM jfs_node WHERE inode=1") < 1000);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=9223372032828243968"), 0555);
	CHECK_EQ(file_byte(18) * 10 + file_byte(19), 22);	/* the header's WAL mark */
	/* formatting again keeps the root and the counters */
	REQUIRE(meta_init(m, setting_json, true) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_node"), 2);
	meta_close(m);
}

static void attrs_round_trip(void)
{
	struct meta *m = fresh_sql();
	struct meta_attr a;

	REQUIRE(m);
	REQUIRE(meta_getattr(m, 1, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQ(a.mode, 0777);
	CHECK_EQ(a.nlink, 2);
	CHECK(a.mtimensec < 1000000000);
	/* microseconds plus the nanoseconds below: the nanosecond survives */
	CHECK_EQ(a.mtimensec % 1000, raw_int("SELECT mtimensec FROM jfs_node WHERE inode=1"));
	CHECK_EQ((int64_t)a.mtime * 1000000 + a.mtimensec / 1000,
		 raw_int("SELECT mtime FROM jfs_node WHERE inode=1"));
	meta_close(m);
}

/* a batch taken: the counter holds the next free id after it */
static void ids_and_counters(void)
{
	struct meta *m = fresh_sql();
	uint64_t id1 = 0, id2 = 0, ino;

	REQUIRE(m);
	REQUIRE(meta_new_slice_id(m, &id1) == 0);
	REQUIRE(meta_new_slice_id(m, &id2) == 0);
	CHECK_EQU(id2, 2);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextChunk'"), 4097);
	REQUIRE(mkfile(m, 1, "f", &ino) == 0);
	CHECK_EQU(ino, 2);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='nextInode'"), 2 + 1024);
	meta_close(m);
}

/* a node row as a juicefs mknod would leave it */
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

static const char *raw_acl(long long id)
{
	return raw_str("SELECT owner||','||`group`||','||mask||','||other||','||"
		       "quote(named_users)||','||quote(named_groups)||','||typeof(named_groups) "
		       "FROM jfs_acl WHERE id=%lld", id);
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

/* inherit_body for a new inode of 'type' and 'mode' under x->parent */
static int inherit(struct meta *m, struct acl_arg *x, uint8_t type, uint16_t mode)
{
	x->mode = mode;
	x->t.type = type;
	return sq_txn((struct smeta *)m, inherit_body, x);
}

/* JuiceFS's own rows (as a juicefs 1.4 mount wrote them) are found and shared */
static void acl_juicefs_rows(void)
{
	struct meta *m = fresh_sql();
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
	REQUIRE(inherit(m, &x, META_TYPE_FILE, 0664) == 0);
	CHECK_EQ(x.t.access_acl, 3);
	CHECK_EQ(x.t.default_acl, 0);
	CHECK_EQ(x.t.mode, 0664);
	/* a dir keeps the default rule too, and its access rule is 7,5,7,5 = rule 2 */
	REQUIRE(inherit(m, &x, META_TYPE_DIR, 0777) == 0);
	CHECK_EQ(x.t.default_acl, 2);
	CHECK_EQ(x.t.access_acl, 2);
	CHECK_EQ(x.t.mode, 0775);
	/* umask-free: mode 0600 gives a new rule 6,5,0,0 */
	REQUIRE(inherit(m, &x, META_TYPE_FILE, 0600) == 0);
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

/* ---- JuiceFS's rows, beyond what the conformance suite asks ---- */

/* node columns: times in microseconds + the nanoseconds below, no tier, no_xattr */
static void node_rows(void)
{
	struct meta *m = fresh_sql();
	struct meta_dirent *e = NULL;
	struct meta_attr a, in;
	uint64_t f, g, ino;
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "file-0", &g) == 0);
	CHECK_EQ(raw_int("SELECT access_acl_id + default_acl_id + tier_id FROM jfs_node "
			 "WHERE inode=%" PRIu64, f), 0);
	/* the nanoseconds at both ends of a microsecond */
	in = (struct meta_attr){ .atime = 5, .atimensec = 999, .mtime = 6, .mtimensec = 1000,
				 .ctime = 7, .ctimensec = 999999999 };
	REQUIRE(meta_setattr(m, f, META_SET_ATIME | META_SET_MTIME | META_SET_CTIME,
				&in, &a) == 0);
	CHECK_STR(raw_str("SELECT atime||','||atimensec||' '||mtime||','||mtimensec||' '||"
			  "ctime||','||ctimensec FROM jfs_node WHERE inode=%" PRIu64, f),
		  "5000000,999 6000001,0 7999999,999");
	/* the no_xattr hint: cleared by a row, in lookup, getattr and readdir */
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK(a.no_xattr);
	REQUIRE(raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES "
			 "(%" PRIu64 ", 'user.k', X'01')", f) == 0);
	REQUIRE(meta_getattr(m, f, &a) == 0);
	CHECK(!a.no_xattr);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, &a) == 0);
	CHECK(!a.no_xattr);
	/* readdir is sorted by name bytes; a dangling entry has its type only */
	REQUIRE(raw_exec("INSERT INTO jfs_edge (parent, name, inode, type) VALUES "
			 "(1, CAST('zz' AS BLOB), 4242, 1)") == 0);
	REQUIRE(meta_readdir(m, 1, true, &e, &n) == 0);
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK_STR(e[0].name, "f");
		CHECK(!e[0].attr.no_xattr);
		CHECK_STR(e[1].name, "file-0");
		CHECK(e[1].attr.no_xattr);
		CHECK_STR(e[2].name, "zz");
		CHECK_EQU(e[2].ino, 4242);
		CHECK_EQ(e[2].attr.type, META_TYPE_FILE);
		CHECK_EQ(e[2].attr.nlink, 0);
		CHECK(!e[2].attr.no_xattr);
	}
	meta_free_dirents(e, n);
	/* the dangling entry is looked up, then just removed */
	REQUIRE(meta_lookup(m, 1, "zz", 2, &ino, &a) == 0);
	CHECK_EQU(ino, 4242);
	CHECK_EQ(a.nlink, 0);
	REQUIRE(meta_unlink(m, 1, "zz", 2) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=1"), 2);
	CHECK_EQ(raw_int("SELECT value FROM jfs_counter WHERE name='totalInodes'"), 2);
	CHECK_EQ(meta_unlink(m, 1, "zz", 2), -ENOENT);
	/* juicefs writes `slices || ?`, which is TEXT: it reads the same */
	REQUIRE(raw_exec("INSERT INTO jfs_chunk (inode, indx, slices) VALUES (%" PRIu64
			 ", 0, CAST(X'%s%s' AS TEXT))", g,
			 "00000000" "0000000000000007" "0000000A" "00000000" "0000000A",
			 "00000005" "0000000000000008" "0000000A" "00000000" "0000000A") == 0);
	{
		struct meta_slice *sl = NULL;

		CHECK_EQ(raw_int("SELECT typeof(slices)='text' FROM jfs_chunk WHERE inode=%"
				 PRIu64, g), 1);
		REQUIRE(meta_read_chunk(m, g, 0, &sl, &n) == 0);
		CHECK_EQ(n, 2);
		if (n == 2)
			CHECK(sl[0].id == 7 && sl[0].len == 10 && sl[1].pos == 5);
		free(sl);
	}
	/* and so does the engine, appending a chunk's second record */
	REQUIRE(write_(m, f, 0, 0, 10, NULL, &a) == 0);
	REQUIRE(write_(m, f, 0, 5, 10, NULL, &a) == 0);
	CHECK_EQ(raw_int("SELECT typeof(slices)='text' FROM jfs_chunk WHERE inode=%"
			 PRIu64, f), 1);
	meta_close(m);
}

/* what jfs_delfile is given before the data is freed, logged by a trigger */
static void delfile_log(void)
{
	struct meta *m = fresh_sql(), *m2 = NULL;
	long long now = (long long)time(NULL);
	uint64_t f, d, ino, sid;
	char name[32];
	size_t n = 0;
	int i;

	REQUIRE(m);
	REQUIRE(raw_exec("CREATE TABLE t_delfile (inode, length, expire);"
			 "CREATE TRIGGER t_delfile_log AFTER INSERT ON jfs_delfile BEGIN "
			 "INSERT INTO t_delfile VALUES (new.inode, new.length, new.expire); END;")
		== 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET length=10000 WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(meta_mknod(m, 1, "p", 1, META_TYPE_FIFO, 0644, 0, 0, 0, 0, NULL, 0,
			      &ino, NULL) == 0);
	REQUIRE(meta_unlink(m, 1, "f", 1) == 0);
	CHECK_EQ(raw_int("SELECT length FROM t_delfile WHERE inode=%" PRIu64, f), 10000);
	CHECK(raw_int("SELECT expire FROM t_delfile WHERE inode=%" PRIu64, f) >= now - 5);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	REQUIRE(meta_unlink(m, 1, "p", 1) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 1);	/* files only */
	/* a file replaced by a rename */
	REQUIRE(mkfile(m, 1, "g", &f) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET length=100 WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(mkfile(m, 1, "h", &ino) == 0);
	REQUIRE(meta_rename(m, 1, "h", 1, 1, "g", 1, 0) == 0);
	CHECK_EQ(raw_int("SELECT length FROM t_delfile WHERE inode=%" PRIu64, f), 100);
	/* two instances renaming onto one name: each replaced file logged once */
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(meta_mknod(m, 1, "d", 1, META_TYPE_DIR, 0755, 0, 0, 0, 0, NULL, 0,
			      &d, NULL) == 0);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		REQUIRE(mkfile(i % 2 ? m2 : m, d, name, &ino) == 0);
		REQUIRE(meta_rename(i % 2 ? m : m2, d, name, strlen(name), d, "shared", 6,
				       0) == 0);
	}
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 2 + 99);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_node"), 2 + 3);
	meta_close(m2);
	/* a file kept open (sustained) is logged when it is released */
	rec_hooks(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "o", &f) == 0);
	rec.open_ino = f;
	REQUIRE(meta_unlink(m, 1, "o", 1) == 0);
	rec.open_ino = 0;
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 0);
	REQUIRE(meta_release_sustained(m, f) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 1);
	/* a trashed file is not deleted; its cleanup logs it once */
	m->trash_days = 1;
	REQUIRE(meta_init(m, setting_json, true) == 0);
	REQUIRE(mkfile(m, 1, "t", &f) == 0);
	REQUIRE(meta_unlink(m, 1, "t", 1) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 0);
	REQUIRE(meta_cleanup_trash(m, time(NULL) + 7200, &n) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 1);
	meta_close(m);
}

/* rows as juicefs writes them: ACL rules, xattr ids, signed lock owners */
static void acl_xattr_lock_rows(void)
{
	struct meta *m = fresh_sql();
	struct acl_rule r;
	struct meta_attr a;
	uint64_t f, d, c, sid;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE((f = raw_node(META_TYPE_FILE, 0644)));
	REQUIRE((d = raw_node(META_TYPE_DIR, 0755)));
	rule_1000(&r);
	REQUIRE(r.nusers == 1);
	REQUIRE(meta_set_facl(m, f, ACL_TYPE_ACCESS_J, &r, false, &a) == 0);
	/* named entries: 6 bytes each {u32 id, u16 perm}, no count; none is X'' */
	CHECK_STR(raw_acl(1), "6,4,4,0,X'000003E80004',X'',blob");
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, f), 1);
	CHECK_EQ(raw_int("SELECT mode FROM jfs_node WHERE inode=%" PRIu64, f), 0640);
	CHECK(raw_int("SELECT ctime FROM jfs_node WHERE inode=%" PRIu64, f) >
	      (long long)time(NULL) * 1000000 - 10000000);
	acl_rule_free(&r);
	rule_1000_dir(&r);
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	CHECK_STR(raw_acl(2), "7,5,7,5,X'000003E80007',X'',blob");
	CHECK_EQ(raw_int("SELECT default_acl_id FROM jfs_node WHERE inode=%" PRIu64, d), 2);
	acl_rule_free(&r);
	/* a file made under it: the default rule cut by the mode, a new row */
	REQUIRE(meta_mknod(m, d, "c", 1, META_TYPE_FILE, 0666, 077, 0, 0, 0, NULL, 0,
			      &c, &a) == 0);
	CHECK_EQ(a.access_acl, 3);
	CHECK_STR(raw_acl(3), "6,5,6,4,X'000003E80007',X'',blob");
	CHECK_EQ(raw_int("SELECT access_acl_id*10000+mode FROM jfs_node WHERE inode=%" PRIu64, c),
		 30000 + 0664);
	/* an overwrite keeps the xattr row; the inode is not checked, as in JuiceFS */
	REQUIRE(meta_setxattr(m, f, "user.a", 6, "1", 1, 0) == 0);
	REQUIRE(meta_setxattr(m, f, "user.a", 6, "xyz", 3, 0) == 0);
	CHECK_EQ(raw_int("SELECT id FROM jfs_xattr WHERE name='user.a'"), 1);
	CHECK_EQ(meta_setxattr(m, 999999, "user.x", 6, "1", 1, 0), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=999999"), 1);
	/* a lock owner is a signed 64-bit number; locking needs the inode */
	CHECK_EQ(meta_setlk(m, f, 0xFFFFFFFFFFFFFFF0ULL, PLOCK_RD, 100, UINT64_MAX, 1), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock WHERE owner=-16 AND sid=%" PRIu64, sid), 1);
	CHECK_EQ(meta_setlk(m, 999999, 1, PLOCK_WR, 0, 10, 7), -ENOENT);
	CHECK_EQ(meta_setlk(m, 999999, 1, PLOCK_UN, 0, 10, 7), 0);
	CHECK_EQ(meta_flock(m, 999999, 5, PLOCK_WR), -ENOENT);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_plock"), 1);
	meta_close(m);
}

int main(void)
{
	if (raw_setup())
		return 1;
	RUN(open_bad_urls);
	RUN(unformatted_is_enoent);
	RUN(format_layout);
	RUN(attrs_round_trip);
	RUN(ids_and_counters);
	RUN(acl_juicefs_rows);
	RUN(node_rows);
	RUN(delfile_log);
	RUN(acl_xattr_lock_rows);
	raw_cleanup();
	return check_done();
}
