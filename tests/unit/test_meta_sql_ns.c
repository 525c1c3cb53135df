/*
 * test_meta_sql_ns.c - the SQLite engine's namespace (meta_sql_ns.c):
 * mknod of every type, lookup/getattr/setattr, links, unlink and rmdir,
 * rename, readlink, readdir, the trash and the usage counters.  Rows are
 * checked with a separate sqlite3 connection, so the tests pin JuiceFS's
 * SQL layout (times in microseconds, node.parent 0 for hard links, ...).
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

#include "meta/engine.h"
#include "check.h"
#include "sqlraw.h"

static const char *setting_json =
	"{\"Name\":\"nsvol\",\"UUID\":\"5b1e0c2a-7d3f-4a6b-8e9c-0a1b2c3d4e5f\","
	"\"Storage\":\"file\",\"Bucket\":\"/tmp/x/\",\"BlockSize\":4096,"
	"\"Compression\":\"none\",\"TrashDays\":0,\"MetaVersion\":1}";

/* what the hooks saw */
static uint64_t open_ino;

static bool hook_is_open(void *arg, uint64_t ino)
{
	return ino && ino == open_ino;
}

/* ---- raw access to the test's database file ---- */

static long long counter(const char *name)
{
	return raw_int("SELECT value FROM jfs_counter WHERE name='%s'", name);
}

static long long edges_of(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_edge WHERE inode=%" PRIu64, ino);
}

static bool node_exists(uint64_t ino)
{
	return raw_int("SELECT count(*) FROM jfs_node WHERE inode=%" PRIu64, ino) == 1;
}

/* ---- fixtures ---- */

/* a fresh database file for each test; trash: the volume has .trash */
static struct meta *fresh_vol(bool trash)
{
	struct meta *m = raw_volume(setting_json, trash);

	if (!m)
		return NULL;
	open_ino = 0;
	m->hooks.is_open = hook_is_open;
	/* the volume logs what jfs_delfile is given before the data is freed */
	if (raw_exec("CREATE TABLE t_delfile (inode, length, expire);"
		     "CREATE TRIGGER t_delfile_log AFTER INSERT ON jfs_delfile BEGIN "
		     "INSERT INTO t_delfile VALUES (new.inode, new.length, new.expire); END;")) {
		meta_close(m);
		return NULL;
	}
	return m;
}

static struct meta *fresh(void)
{
	return fresh_vol(false);
}

/* JuiceFS's defaults: a trash of one day (vol.c sets it from the setting) */
static struct meta *fresh_trash(void)
{
	struct meta *m = fresh_vol(true);

	if (m)
		m->trash_days = 1;
	return m;
}

static int mkfile(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_FILE, 0644, 0,
			     1000, 1000, 0, NULL, 0, ino, &a);
}

static int mkdir_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_mknod(m, parent, name, strlen(name), META_TYPE_DIR, 0755, 0,
			     0, 0, 0, NULL, 0, ino, &a);
}

static int getattr_(struct meta *m, uint64_t ino, struct meta_attr *a)
{
	return meta_getattr(m, ino, a);
}

static int lookup_(struct meta *m, uint64_t parent, const char *name, uint64_t *ino)
{
	struct meta_attr a;

	return meta_lookup(m, parent, name, strlen(name), ino, &a);
}

static int unlink_(struct meta *m, uint64_t parent, const char *name)
{
	return meta_unlink(m, parent, name, strlen(name));
}

static int rmdir_(struct meta *m, uint64_t parent, const char *name)
{
	return meta_rmdir(m, parent, name, strlen(name));
}

static int rename_(struct meta *m, uint64_t ps, const char *ns, uint64_t pd,
		   const char *nd, unsigned int flags)
{
	return meta_rename(m, ps, ns, strlen(ns), pd, nd, strlen(nd), flags);
}

/* the jfs_node row of 'ino' matches 'a' (times as JuiceFS stores them) */
static bool row_is(uint64_t ino, const struct meta_attr *a)
{
	return raw_int("SELECT count(*) FROM jfs_node WHERE inode=%" PRIu64
		       " AND type=%d AND flags=%d AND mode=%d AND uid=%u AND gid=%u"
		       " AND atime=%lld AND mtime=%lld AND ctime=%lld"
		       " AND atimensec=%u AND mtimensec=%u AND ctimensec=%u"
		       " AND nlink=%u AND length=%" PRIu64 " AND rdev=%u AND parent=%" PRIu64,
		       ino, a->type, a->flags, a->mode, a->uid, a->gid,
		       (long long)a->atime * 1000000 + a->atimensec / 1000,
		       (long long)a->mtime * 1000000 + a->mtimensec / 1000,
		       (long long)a->ctime * 1000000 + a->ctimensec / 1000,
		       a->atimensec % 1000, a->mtimensec % 1000, a->ctimensec % 1000,
		       a->nlink, a->length, a->rdev, a->parent) == 1;
}

static bool edge_is(uint64_t parent, const char *name, uint64_t ino, int type)
{
	return raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64
		       " AND name=CAST('%s' AS BLOB) AND typeof(name)='blob'"
		       " AND inode=%" PRIu64 " AND type=%d", parent, name, ino, type) == 1;
}

static void trash_hour_name(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d-%H", &tm);
}

/* ---- tests ---- */

static void mknod_every_type(void)
{
	struct meta *m = fresh();
	struct meta_attr a, root0, root1;
	uint64_t f, d, s, p, c, b, k;
	char *target = NULL;
	size_t tlen = 0;

	REQUIRE(m);
	REQUIRE(getattr_(m, 1, &root0) == 0);
	REQUIRE(meta_mknod(m, 1, "hello", 5, META_TYPE_FILE, 0644, 022, 1000, 1001, 0,
			      NULL, 0, &f, &a) == 0);
	CHECK_EQU(f, 2);
	CHECK_EQ(counter("nextInode"), 2 + 1024);	/* one batch (inodeBatch) */
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(a.mode, 0644);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 0);
	CHECK_EQU(a.parent, 1);
	CHECK(row_is(f, &a));
	CHECK(edge_is(1, "hello", f, META_TYPE_FILE));
	CHECK_EQ(raw_int("SELECT access_acl_id + default_acl_id + tier_id FROM jfs_node "
			 "WHERE inode=%" PRIu64, f), 0);
	CHECK_EQ(counter("usedSpace"), 4096);
	CHECK_EQ(counter("totalInodes"), 1);
	REQUIRE(getattr_(m, 1, &root1) == 0);
	CHECK(root1.mtime > root0.mtime ||
	      (root1.mtime == root0.mtime && root1.mtimensec > root0.mtimensec));
	CHECK_EQ(root1.ctime, root1.mtime);
	CHECK_EQ(root1.nlink, 2);
	/* the parent's row carries the time at microsecond precision */
	CHECK(row_is(1, &root1));

	REQUIRE(meta_mknod(m, 1, "dir", 3, META_TYPE_DIR, 02755, 0, 0, 50, 0, NULL, 0,
			      &d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.length, 4096);
	CHECK_EQ(a.mode, 02755);
	CHECK(row_is(d, &a));
	CHECK(edge_is(1, "dir", d, META_TYPE_DIR));
	/* a new dir has its zero stats row, as doMknod writes it */
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64
			 " AND data_length=0 AND used_space=0 AND used_inodes=0", d), 1);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 3);

	REQUIRE(meta_mknod(m, d, "link", 4, META_TYPE_SYMLINK, 0777, 0, 7, 7, 0,
			      "../some/target", 14, &s, &a) == 0);
	CHECK_EQU(a.length, 14);
	CHECK_EQ(a.gid, 50);	/* from the setgid parent */
	CHECK_EQ(a.mode, 0777);
	CHECK(row_is(s, &a));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_symlink WHERE inode=%" PRIu64
			 " AND typeof(target)='blob'", s), 1);
	target = raw_blob("SELECT target FROM jfs_symlink WHERE inode=%" PRIu64, s);
	CHECK_STR(target, "../some/target");
	free(target);
	target = NULL;
	REQUIRE(meta_readlink(m, s, &target, &tlen) == 0);
	CHECK_EQ(tlen, 14);
	CHECK_STR(target, "../some/target");
	free(target);
	target = NULL;

	REQUIRE(meta_mknod(m, d, "fifo", 4, META_TYPE_FIFO, 0600, 0, 0, 0, 0, NULL, 0,
			      &p, &a) == 0);
	CHECK(row_is(p, &a));
	CHECK(edge_is(d, "fifo", p, META_TYPE_FIFO));
	REQUIRE(meta_mknod(m, d, "tty", 3, META_TYPE_CHRDEV, 0620, 0, 0, 0,
			      (4 << 8) | 1, NULL, 0, &c, &a) == 0);
	CHECK_EQ(raw_int("SELECT rdev FROM jfs_node WHERE inode=%" PRIu64, c), (4 << 8) | 1);
	REQUIRE(getattr_(m, c, &a) == 0);
	CHECK_EQ(a.type, META_TYPE_CHRDEV);
	CHECK_EQ(a.rdev, (4 << 8) | 1);
	REQUIRE(meta_mknod(m, d, "sda", 3, META_TYPE_BLKDEV, 0660, 0, 0, 0,
			      (8 << 8), NULL, 0, &b, &a) == 0);
	CHECK(row_is(b, &a));
	CHECK(edge_is(d, "sda", b, META_TYPE_BLKDEV));
	REQUIRE(meta_mknod(m, d, "sock", 4, META_TYPE_SOCKET, 0755, 0, 0, 0, 0, NULL, 0,
			      &k, &a) == 0);
	CHECK(row_is(k, &a));
	CHECK_EQ(a.type, META_TYPE_SOCKET);
	CHECK_EQ(counter("usedSpace"), 7 * 4096);
	CHECK_EQ(counter("totalInodes"), 7);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, d), 5);

	CHECK_EQ(meta_readlink(m, p, &target, &tlen), -EINVAL);
	CHECK_EQ(meta_readlink(m, 12345, &target, &tlen), -ENOENT);
	CHECK(target == NULL);
	meta_close(m);
}

static void mknod_errors(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	char name[300], tgt[META_MAX_SYMLINK + 2];
	uint64_t f, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(mkfile(m, 1, "f", &ino), -EEXIST);
	CHECK_EQ(mkdir_(m, 1, "f", &ino), -EEXIST);
	CHECK_EQ(mkfile(m, f, "x", &ino), -ENOTDIR);
	CHECK_EQ(mkfile(m, 999999, "x", &ino), -ENOENT);
	memset(name, 'n', sizeof(name));
	name[256] = '\0';
	CHECK_EQ(mkfile(m, 1, name, &ino), -ENAMETOOLONG);
	CHECK_EQ(lookup_(m, 1, name, &ino), -ENAMETOOLONG);
	name[255] = '\0';
	CHECK_EQ(mkfile(m, 1, name, &ino), 0);
	CHECK_EQ(lookup_(m, 1, name, &ino), 0);
	CHECK_EQ(mkfile(m, 1, "a/b", &ino), -EINVAL);
	CHECK_EQ(meta_mknod(m, 1, "a\0b", 3, META_TYPE_FILE, 0644, 0, 0, 0, 0, NULL, 0,
			       &ino, NULL), -EINVAL);
	CHECK_EQ(mkfile(m, 1, "", &ino), -EINVAL);
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, "", 0,
			       &ino, &a), -EINVAL);
	memset(tgt, 't', sizeof(tgt));
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, tgt,
			       META_MAX_SYMLINK + 1, &ino, &a), -ENAMETOOLONG);
	CHECK_EQ(meta_mknod(m, 1, "bad", 3, 9, 0777, 0, 0, 0, 0, NULL, 0, &ino, &a),
		 -EINVAL);
	CHECK_EQ(mkfile(m, META_TRASH_INO, "x", &ino), -EPERM);
	/* an immutable dir takes no new entries */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=1") == 0);
	CHECK_EQ(mkfile(m, 1, "imm", &ino), -EPERM);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=0 WHERE inode=1") == 0);
	CHECK_EQ(counter("totalInodes"), 2);
	CHECK_EQ(counter("usedSpace"), 2 * 4096);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=1"), 2);
	/* binary names are kept as raw bytes */
	CHECK_EQ(meta_mknod(m, 1, "\xff\x01 x", 4, META_TYPE_FILE, 0644, 0, 0, 0, 0,
			       NULL, 0, &ino, NULL), 0);
	CHECK_EQ(raw_int("SELECT inode FROM jfs_edge WHERE parent=1 AND name=X'ff012078'"),
		 (long long)ino);
	meta_close(m);
}

static void lookup_getattr_setattr(void)
{
	struct meta *m = fresh();
	struct meta_attr a, in, out;
	struct timespec t0;
	uint64_t f, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, &a) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(a.mode, 0644);
	CHECK_EQ(a.uid, 1000);
	CHECK(a.no_xattr);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, NULL) == 0);
	CHECK_EQ(meta_lookup(m, 1, "nope", 4, &ino, &a), -ENOENT);
	CHECK_EQ(meta_lookup(m, 1, "", 0, &ino, &a), -EINVAL);
	CHECK_EQ(getattr_(m, 424242, &a), -ENOENT);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK(a.no_xattr);
	/* an xattr row clears the hint */
	REQUIRE(raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES "
			 "(%" PRIu64 ", 'user.k', X'01')", f) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK(!a.no_xattr);
	REQUIRE(meta_lookup(m, 1, "f", 1, &ino, &a) == 0);
	CHECK(!a.no_xattr);

	memset(&in, 0, sizeof(in));
	in.mode = 0600 | 04000;
	in.uid = 5;
	in.gid = 6;
	clock_gettime(CLOCK_REALTIME, &t0);
	REQUIRE(meta_setattr(m, f, META_SET_MODE | META_SET_UID | META_SET_GID,
				&in, &out) == 0);
	CHECK_EQ(out.mode, 04600);
	CHECK_EQ(out.uid, 5);
	CHECK_EQ(out.gid, 6);
	CHECK(out.ctime >= t0.tv_sec);
	CHECK_EQ(out.type, META_TYPE_FILE);
	CHECK(row_is(f, &out));

	in.atime = 100;
	in.atimensec = 1;
	in.mtime = 200;
	in.mtimensec = 2002;
	in.ctime = 300;
	in.ctimensec = 3000003;
	REQUIRE(meta_setattr(m, f, META_SET_ATIME | META_SET_MTIME | META_SET_CTIME,
				&in, &out) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.atime, 100);
	CHECK_EQ(a.atimensec, 1);
	CHECK_EQ(a.mtime, 200);
	CHECK_EQ(a.mtimensec, 2002);
	CHECK_EQ(a.ctime, 300);
	CHECK_EQ(a.ctimensec, 3000003);
	CHECK_EQ(a.mode, 04600);	/* untouched */
	/* microseconds, and the nanoseconds below one apart */
	CHECK_EQ(raw_int("SELECT atime FROM jfs_node WHERE inode=%" PRIu64, f), 100000000);
	CHECK_EQ(raw_int("SELECT atimensec FROM jfs_node WHERE inode=%" PRIu64, f), 1);
	CHECK_EQ(raw_int("SELECT mtime FROM jfs_node WHERE inode=%" PRIu64, f), 200000002);
	CHECK_EQ(raw_int("SELECT mtimensec FROM jfs_node WHERE inode=%" PRIu64, f), 2);
	CHECK_EQ(raw_int("SELECT ctime FROM jfs_node WHERE inode=%" PRIu64, f), 300003000);
	CHECK_EQ(raw_int("SELECT ctimensec FROM jfs_node WHERE inode=%" PRIu64, f), 3);
	CHECK_EQ(meta_setattr(m, 777777, META_SET_MODE, &in, &out), -ENOENT);
	/* immutable: refused */
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=1 WHERE inode=%" PRIu64, f) == 0);
	CHECK_EQ(meta_setattr(m, f, META_SET_UID, &in, &out), -EPERM);
	meta_close(m);
}

static void hard_links(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, d, ino;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(meta_link(m, f, d, "l", 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	CHECK(row_is(f, &a));
	CHECK(edge_is(d, "l", f, META_TYPE_FILE));
	CHECK(edge_is(1, "f", f, META_TYPE_FILE));
	REQUIRE(lookup_(m, d, "l", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK_EQ(meta_link(m, d, 1, "dl", 2, &a), -EPERM);
	CHECK_EQ(meta_link(m, f, d, "l", 1, &a), -EEXIST);
	CHECK_EQ(meta_link(m, 99999, d, "x", 1, &a), -ENOENT);
	CHECK_EQ(meta_link(m, f, f, "x", 1, &a), -ENOTDIR);
	CHECK_EQ(meta_link(m, f, META_TRASH_INO, "x", 1, &a), -EPERM);
	CHECK_EQ(meta_link(m, f, d, "", 0, &a), -EINVAL);
	REQUIRE(meta_link(m, f, d, "l2", 2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(edges_of(f), 3);
	CHECK_EQ(counter("totalInodes"), 2);
	CHECK_EQ(counter("usedSpace"), 2 * 4096);

	REQUIRE(unlink_(m, 1, "f") == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(edges_of(f), 2);
	CHECK_EQ(unlink_(m, 1, "f"), -ENOENT);
	REQUIRE(unlink_(m, d, "l") == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.parent, 0);		/* as sql.go: not restored */
	CHECK_EQ(edges_of(f), 1);
	REQUIRE(unlink_(m, d, "l2") == 0);
	CHECK_EQ(getattr_(m, f, &a), -ENOENT);
	CHECK_EQ(edges_of(f), 0);
	CHECK_EQ(counter("totalInodes"), 1);
	CHECK_EQ(counter("usedSpace"), 4096);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 1);
	CHECK_EQ(unlink_(m, 1, "d"), -EPERM);
	meta_close(m);
}

static void unlink_frees(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, s, p;
	long long now = (long long)time(NULL);

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	/* a file of 10000 bytes (the data layer's job, done raw here) */
	REQUIRE(raw_exec("UPDATE jfs_node SET length=10000 WHERE inode=%" PRIu64 ";"
			 "UPDATE jfs_counter SET value=value+8192 WHERE name='usedSpace'",
			 f) == 0);
	REQUIRE(raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES "
			 "(%" PRIu64 ", 'user.a', X'00')", f) == 0);
	REQUIRE(meta_mknod(m, 1, "s", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0, "tgt", 3,
			      &s, &a) == 0);
	REQUIRE(meta_mknod(m, 1, "p", 1, META_TYPE_FIFO, 0644, 0, 0, 0, 0, NULL, 0,
			      &p, &a) == 0);
	CHECK_EQ(counter("usedSpace"), 12288 + 2 * 4096);
	CHECK_EQ(counter("totalInodes"), 3);

	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK(!node_exists(f));
	CHECK_EQ(edges_of(f), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=%" PRIu64, f), 0);
	/* its jfs_delfile row was written with the length, then the data freed */
	CHECK_EQ(raw_int("SELECT length FROM t_delfile WHERE inode=%" PRIu64, f), 10000);
	CHECK(raw_int("SELECT expire FROM t_delfile WHERE inode=%" PRIu64, f) >= now - 5);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_delfile"), 0);
	CHECK_EQ(counter("usedSpace"), 2 * 4096);
	CHECK_EQ(counter("totalInodes"), 2);

	REQUIRE(unlink_(m, 1, "s") == 0);
	CHECK(!node_exists(s));
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_symlink"), 0);
	REQUIRE(unlink_(m, 1, "p") == 0);
	CHECK(!node_exists(p));
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 1);	/* files only */
	CHECK_EQ(counter("usedSpace"), 0);
	CHECK_EQ(counter("totalInodes"), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge"), 0);

	/* a dangling entry (no node) is just removed */
	REQUIRE(raw_exec("INSERT INTO jfs_edge (parent, name, inode, type) VALUES "
			 "(1, CAST('ghost' AS BLOB), 4242, 1)") == 0);
	REQUIRE(meta_lookup(m, 1, "ghost", 5, &f, &a) == 0);
	CHECK_EQU(f, 4242);
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(a.nlink, 0);
	REQUIRE(unlink_(m, 1, "ghost") == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge"), 0);
	CHECK_EQ(counter("totalInodes"), 0);
	CHECK_EQ(unlink_(m, 1, "ghost"), -ENOENT);
	CHECK_EQ(unlink_(m, 424242, "x"), -ENOENT);
	meta_close(m);
}

static void sustained_inode(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t f, sid;

	REQUIRE(m);
	REQUIRE(meta_new_session(m, "{}", &sid) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET length=8192 WHERE inode=%" PRIu64 ";"
			 "UPDATE jfs_counter SET value=value+4096 WHERE name='usedSpace'",
			 f) == 0);
	open_ino = f;
	REQUIRE(unlink_(m, 1, "f") == 0);
	CHECK_EQ(lookup_(m, 1, "f", &f), -ENOENT);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 0);
	CHECK_EQU(a.length, 8192);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_sustained WHERE sid=%" PRIu64
			 " AND inode=%" PRIu64, sid, f), 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 0);
	CHECK_EQ(counter("usedSpace"), 8192);
	CHECK_EQ(counter("totalInodes"), 1);
	open_ino = 0;
	meta_close(m);
}

static void rmdir_cases(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, f;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, d, "e", &e) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(rmdir_(m, 1, "d"), -ENOTEMPTY);
	CHECK_EQ(rmdir_(m, 1, "f"), -ENOTDIR);
	CHECK_EQ(rmdir_(m, 1, "x"), -ENOENT);
	CHECK_EQ(rmdir_(m, f, "x"), -ENOTDIR);
	CHECK_EQ(unlink_(m, 1, "d"), -EPERM);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(raw_exec("INSERT INTO jfs_dir_quota (inode, max_space, max_inodes, "
			 "used_space, used_inodes) VALUES (%" PRIu64 ", 1, 1, 0, 0);"
			 "INSERT INTO jfs_xattr (inode, name, value) VALUES "
			 "(%" PRIu64 ", 'user.x', X'01')", e, e) == 0);
	REQUIRE(rmdir_(m, d, "e") == 0);
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(getattr_(m, e, &a), -ENOENT);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64, e), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_quota WHERE inode=%" PRIu64, e), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_xattr WHERE inode=%" PRIu64, e), 0);
	REQUIRE(rmdir_(m, 1, "d") == 0);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(counter("totalInodes"), 1);
	CHECK_EQ(counter("usedSpace"), 4096);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=1"), 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats"), 0);
	meta_close(m);
}

static void rename_moves(void)
{
	struct meta *m = fresh();
	struct meta_attr a, before;
	uint64_t d1, d2, sub, f, ino;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "a", &d1) == 0);
	REQUIRE(mkdir_(m, 1, "b", &d2) == 0);
	REQUIRE(mkdir_(m, d1, "sub", &sub) == 0);
	REQUIRE(mkfile(m, d1, "f", &f) == 0);
	REQUIRE(getattr_(m, f, &before) == 0);

	REQUIRE(rename_(m, d1, "f", d1, "g", 0) == 0);
	CHECK_EQ(lookup_(m, d1, "f", &ino), -ENOENT);
	REQUIRE(lookup_(m, d1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(edge_is(d1, "g", f, META_TYPE_FILE));
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK(a.ctime > before.ctime ||
	      (a.ctime == before.ctime && a.ctimensec > before.ctimensec));
	CHECK(row_is(f, &a));

	REQUIRE(rename_(m, d1, "g", d2, "h", 0) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(rename_(m, d1, "sub", d2, "sub2", 0) == 0);
	REQUIRE(getattr_(m, sub, &a) == 0);
	CHECK_EQU(a.parent, d2);
	REQUIRE(getattr_(m, d1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(getattr_(m, d2, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, d1), 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, d2), 2);
	/* onto itself: nothing happens */
	CHECK_EQ(rename_(m, d2, "h", d2, "h", 0), 0);
	CHECK_EQ(lookup_(m, d2, "h", &ino), 0);
	/* into itself */
	CHECK_EQ(rename_(m, d2, "sub2", sub, "x", 0), -EINVAL);
	CHECK_EQ(rename_(m, d2, "nope", d1, "x", 0), -ENOENT);
	CHECK_EQ(rename_(m, d2, "h", 424242, "x", 0), -ENOENT);
	CHECK_EQ(rename_(m, d2, "h", f, "x", 0), -ENOTDIR);
	CHECK_EQ(rename_(m, d2, "h", META_TRASH_INO, "x", 0), -EPERM);
	CHECK_EQ(counter("totalInodes"), 4);
	meta_close(m);
}

static void rename_replaces(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, e, full, f, g, ino, y;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkdir_(m, 1, "e", &e) == 0);
	REQUIRE(mkdir_(m, 1, "full", &full) == 0);
	REQUIRE(mkfile(m, full, "x", &ino) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(mkfile(m, 1, "g", &g) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET length=100 WHERE inode=%" PRIu64, g) == 0);
	CHECK_EQ(counter("totalInodes"), 6);

	CHECK_EQ(rename_(m, 1, "f", 1, "g", META_RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(rename_(m, 1, "d", 1, "f", 0), -ENOTDIR);
	CHECK_EQ(rename_(m, 1, "f", 1, "d", 0), -EISDIR);
	CHECK_EQ(rename_(m, 1, "d", 1, "full", 0), -ENOTEMPTY);
	CHECK_EQ(rename_(m, 1, "f", 1, "g", ~0U), -EINVAL);
	CHECK_EQ(rename_(m, 1, "f", 1, "g", META_RENAME_NOREPLACE | META_RENAME_EXCHANGE),
		 -EINVAL);
	/* NOREPLACE onto a free name is a plain move */
	REQUIRE(rename_(m, 1, "f", 1, "f1", META_RENAME_NOREPLACE) == 0);
	REQUIRE(rename_(m, 1, "f1", 1, "f", 0) == 0);

	/* a file over a file: the target's last link and data go */
	REQUIRE(rename_(m, 1, "f", 1, "g", 0) == 0);
	REQUIRE(lookup_(m, 1, "g", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(edge_is(1, "g", f, META_TYPE_FILE));
	CHECK_EQ(edges_of(g), 0);
	CHECK_EQ(getattr_(m, g, &a), -ENOENT);
	CHECK_EQ(raw_int("SELECT length FROM t_delfile WHERE inode=%" PRIu64, g), 100);
	CHECK_EQ(counter("totalInodes"), 5);

	/* a dir over an empty dir */
	REQUIRE(rename_(m, 1, "d", 1, "e", 0) == 0);
	REQUIRE(lookup_(m, 1, "e", &ino) == 0);
	CHECK_EQU(ino, d);
	CHECK_EQ(getattr_(m, e, &a), -ENOENT);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64, e), 0);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);	/* e(=d) and full */
	CHECK_EQ(counter("totalInodes"), 4);
	CHECK_EQ(counter("usedSpace"), 4 * 4096);

	/* a dir from elsewhere over an empty dir: parents' nlink */
	REQUIRE(mkdir_(m, full, "y", &y) == 0);
	REQUIRE(rename_(m, full, "y", 1, "e", 0) == 0);
	REQUIRE(getattr_(m, 1, &a) == 0);
	CHECK_EQ(a.nlink, 4);
	REQUIRE(getattr_(m, full, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	REQUIRE(getattr_(m, y, &a) == 0);
	CHECK_EQU(a.parent, 1);
	CHECK(row_is(y, &a));

	/* two names of one inode: a no-op that keeps both */
	REQUIRE(meta_link(m, f, 1, "g2", 2, &a) == 0);
	REQUIRE(rename_(m, 1, "g", 1, "g2", 0) == 0);
	CHECK_EQ(lookup_(m, 1, "g", &ino), 0);
	CHECK_EQ(lookup_(m, 1, "g2", &ino), 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* a hard link over a file: one link of it goes, the node stays */
	REQUIRE(mkfile(m, 1, "h", &ino) == 0);
	REQUIRE(rename_(m, 1, "h", 1, "g2", 0) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(edges_of(f), 1);
	CHECK(edge_is(1, "g2", ino, META_TYPE_FILE));
	meta_close(m);
}

static void rename_exchange(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t p1, p2, f, d, g, ino;
	unsigned int flags = META_RENAME_EXCHANGE;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "p1", &p1) == 0);
	REQUIRE(mkdir_(m, 1, "p2", &p2) == 0);
	REQUIRE(mkfile(m, p1, "f", &f) == 0);
	REQUIRE(mkdir_(m, p2, "d", &d) == 0);
	CHECK_EQ(rename_(m, p1, "f", p2, "nope", flags), -ENOENT);
	REQUIRE(rename_(m, p1, "f", p2, "d", flags) == 0);
	REQUIRE(lookup_(m, p1, "f", &ino) == 0);
	CHECK_EQU(ino, d);
	REQUIRE(lookup_(m, p2, "d", &ino) == 0);
	CHECK_EQU(ino, f);
	CHECK(edge_is(p1, "f", d, META_TYPE_DIR));
	CHECK(edge_is(p2, "d", f, META_TYPE_FILE));
	REQUIRE(getattr_(m, d, &a) == 0);
	CHECK_EQU(a.parent, p1);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, p2);
	REQUIRE(getattr_(m, p1, &a) == 0);
	CHECK_EQ(a.nlink, 3);
	REQUIRE(getattr_(m, p2, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* in one dir: only the names swap */
	REQUIRE(mkfile(m, p2, "g", &g) == 0);
	REQUIRE(rename_(m, p2, "g", p2, "d", flags) == 0);
	CHECK(edge_is(p2, "g", f, META_TYPE_FILE));
	CHECK(edge_is(p2, "d", g, META_TYPE_FILE));
	CHECK_EQ(counter("totalInodes"), 5);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge"), 5);
	meta_close(m);
}

static void rename_hardlinked_file(void)
{
	struct meta *m = fresh();
	struct meta_attr a;
	uint64_t d, f;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	REQUIRE(meta_link(m, f, 1, "f2", 2, &a) == 0);
	REQUIRE(rename_(m, 1, "f2", d, "f3", 0) == 0);
	CHECK(edge_is(1, "f", f, META_TYPE_FILE));
	CHECK(edge_is(d, "f3", f, META_TYPE_FILE));
	CHECK_EQ(edges_of(f), 2);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, 0);
	CHECK_EQ(a.nlink, 2);
	meta_close(m);
}

static void readdir_plus(void)
{
	struct meta *m = fresh();
	struct meta_dirent *e = NULL;
	size_t n = 0, i, dirs = 0;
	uint64_t d, ino, sub, f;
	char name[32];
	bool ok = true, sorted = true, attrs = true;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "big", &d) == 0);
	/* created out of order: the listing is sorted by name bytes */
	for (i = 0; i < 300 && ok; i++) {
		snprintf(name, sizeof(name), "file-%03zu", (i * 7) % 300);
		ok = mkfile(m, d, name, &ino) == 0;
	}
	REQUIRE(ok);
	REQUIRE(mkdir_(m, d, "sub", &sub) == 0);
	REQUIRE(mkfile(m, d, "file-0", &ino) == 0);
	REQUIRE(raw_exec("INSERT INTO jfs_xattr (inode, name, value) VALUES "
			 "(%" PRIu64 ", 'user.k', X'01')", ino) == 0);
	REQUIRE(meta_readdir(m, d, false, &e, &n) == 0);
	CHECK_EQ(n, 302);
	for (i = 0; i < n; i++) {
		if (i && strcmp(e[i - 1].name, e[i].name) >= 0)
			sorted = false;
		if (e[i].type == META_TYPE_DIR) {
			dirs++;
			CHECK_STR(e[i].name, "sub");
			CHECK_EQ(e[i].namelen, 3);
			CHECK_EQU(e[i].ino, sub);
		}
	}
	CHECK(sorted);
	CHECK_EQ(dirs, 1);
	if (n == 302) {
		CHECK_STR(e[0].name, "file-0");	/* the shorter name first */
		CHECK_STR(e[1].name, "file-000");
		CHECK_STR(e[301].name, "sub");
	}
	meta_free_dirents(e, n);

	REQUIRE(meta_readdir(m, d, true, &e, &n) == 0);
	CHECK_EQ(n, 302);
	for (i = 0; i < n; i++) {
		if (e[i].type != META_TYPE_FILE)
			continue;
		if (e[i].attr.type != META_TYPE_FILE || e[i].attr.mode != 0644 ||
		    e[i].attr.uid != 1000 || e[i].attr.parent != d || e[i].attr.nlink != 1 ||
		    e[i].attr.no_xattr != (e[i].ino != ino))
			attrs = false;
	}
	CHECK(attrs);
	if (n == 302) {
		CHECK_EQ(e[301].attr.type, META_TYPE_DIR);
		CHECK_EQ(e[301].attr.nlink, 2);
		CHECK(e[301].attr.no_xattr);
	}
	meta_free_dirents(e, n);

	/* a dangling entry is listed with its type only */
	REQUIRE(raw_exec("INSERT INTO jfs_edge (parent, name, inode, type) VALUES "
			 "(%" PRIu64 ", CAST('zz' AS BLOB), 4242, 1)", d) == 0);
	REQUIRE(meta_readdir(m, d, true, &e, &n) == 0);
	CHECK_EQ(n, 303);
	if (n == 303) {
		CHECK_STR(e[302].name, "zz");
		CHECK_EQU(e[302].ino, 4242);
		CHECK_EQ(e[302].attr.type, META_TYPE_FILE);
		CHECK_EQ(e[302].attr.nlink, 0);
		CHECK(!e[302].attr.no_xattr);
	}
	meta_free_dirents(e, n);

	/* the engine lists no .trash: that is ops.c's virtual entry */
	REQUIRE(meta_readdir(m, 1, true, &e, &n) == 0);
	CHECK_EQ(n, 1);
	meta_free_dirents(e, n);
	REQUIRE(mkdir_(m, 1, "empty", &ino) == 0);
	REQUIRE(meta_readdir(m, ino, true, &e, &n) == 0);
	CHECK_EQ(n, 0);
	meta_free_dirents(e, n);
	REQUIRE(mkfile(m, 1, "f", &f) == 0);
	CHECK_EQ(meta_readdir(m, f, false, &e, &n), -ENOTDIR);
	CHECK_EQ(meta_readdir(m, 777777, false, &e, &n), -ENOENT);
	CHECK(e == NULL && n == 0);
	meta_close(m);
}

static void trash_moves_and_restores(void)
{
	struct meta *m = fresh_trash();
	uint64_t dir, f, hour, ino, sub, h1;
	char hname[32], ename[64], sname[64];
	struct meta_attr a;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &dir) == 0);
	REQUIRE(mkfile(m, dir, "f", &f) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET length=5000 WHERE inode=%" PRIu64, f) == 0);
	REQUIRE(unlink_(m, dir, "f") == 0);
	CHECK_EQ(lookup_(m, dir, "f", &ino), -ENOENT);
	/* the hour dir: inode TrashInode + nextTrash, mode 0555, under .trash */
	trash_hour_name(hname, sizeof(hname));
	REQUIRE(lookup_(m, META_TRASH_INO, hname, &hour) == 0);
	CHECK_EQU(hour, META_TRASH_INO + 1);
	CHECK_EQ(counter("nextTrash"), 1);
	REQUIRE(getattr_(m, hour, &a) == 0);
	CHECK_EQ(a.mode, 0555);
	CHECK_EQ(a.type, META_TYPE_DIR);
	CHECK_EQU(a.parent, META_TRASH_INO);
	CHECK(edge_is(META_TRASH_INO, hname, hour, META_TYPE_DIR));
	/* the file keeps its inode, length and nlink; its parent is the hour dir */
	snprintf(ename, sizeof(ename), "%" PRIu64 "-%" PRIu64 "-f", dir, f);
	CHECK(edge_is(hour, ename, f, META_TYPE_FILE));
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 5000);
	CHECK_EQU(a.parent, hour);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 0);
	/* .trash's own row is not touched */
	CHECK_EQ(raw_int("SELECT nlink FROM jfs_node WHERE inode=%" PRIu64,
			 (uint64_t)META_TRASH_INO), 2);
	/* a second delete in the same hour reuses the dir */
	REQUIRE(mkdir_(m, dir, "sub", &sub) == 0);
	REQUIRE(rmdir_(m, dir, "sub") == 0);
	CHECK_EQ(counter("nextTrash"), 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, hour), 2);
	REQUIRE(getattr_(m, sub, &a) == 0);
	CHECK_EQU(a.parent, hour);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64, sub), 0);
	snprintf(sname, sizeof(sname), "%" PRIu64 "-%" PRIu64 "-sub", dir, sub);
	CHECK(edge_is(hour, sname, sub, META_TYPE_DIR));
	REQUIRE(getattr_(m, dir, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	/* an hour dir made meanwhile by another client */
	CHECK_EQ(meta_new_trash_dir(m, hname, &ino), -EEXIST);
	/* creating in the trash is refused */
	CHECK_EQ(mkfile(m, hour, "x", &ino), -EPERM);
	CHECK_EQ(rename_(m, 1, "d", hour, "d", 0), -EPERM);
	/* restore by rename */
	REQUIRE(rename_(m, hour, ename, dir, "f", 0) == 0);
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, dir);
	CHECK_EQU(a.length, 5000);
	/* an overwritten target goes to the trash too */
	REQUIRE(mkfile(m, dir, "g", &ino) == 0);
	REQUIRE(rename_(m, dir, "g", dir, "f", 0) == 0);
	CHECK(edge_is(hour, ename, f, META_TYPE_FILE));
	REQUIRE(getattr_(m, f, &a) == 0);
	CHECK_EQU(a.parent, hour);
	/* a hard link in the trash keeps parent 0 and gets one more edge */
	REQUIRE(mkfile(m, dir, "h", &h1) == 0);
	REQUIRE(meta_link(m, h1, 1, "h2", 2, &a) == 0);
	REQUIRE(unlink_(m, 1, "h2") == 0);
	REQUIRE(getattr_(m, h1, &a) == 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQU(a.parent, 0);
	snprintf(sname, sizeof(sname), "1-%" PRIu64 "-h2", h1);
	CHECK(edge_is(hour, sname, h1, META_TYPE_FILE));
	/* inside the trash deletes are final */
	REQUIRE(unlink_(m, hour, sname) == 0);
	REQUIRE(getattr_(m, h1, &a) == 0);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQ(edges_of(h1), 1);
	/* chattr +s: deletes skip the trash */
	REQUIRE(mkfile(m, dir, "s", &ino) == 0);
	REQUIRE(raw_exec("UPDATE jfs_node SET flags=%d WHERE inode=%" PRIu64,
			 META_FLAG_SKIP_TRASH, ino) == 0);
	REQUIRE(unlink_(m, dir, "s") == 0);
	CHECK(!node_exists(ino));
	meta_close(m);
}

static void trash_cleanup_expired(void)
{
	struct meta *m = fresh_trash();
	uint64_t f, hour, ino;
	char hname[32];
	size_t n = 0;

	REQUIRE(m);
	REQUIRE(mkfile(m, 1, "old", &f) == 0);
	REQUIRE(unlink_(m, 1, "old") == 0);
	trash_hour_name(hname, sizeof(hname));
	REQUIRE(lookup_(m, META_TRASH_INO, hname, &hour) == 0);
	/* age the hour dir: its entry gets the name of an hour long past */
	REQUIRE(raw_exec("UPDATE jfs_edge SET name=CAST('2020-01-01-00' AS BLOB) "
			 "WHERE inode=%" PRIu64, hour) == 0);
	/* a fresh deletion lands in this hour's dir, which is not expired */
	REQUIRE(mkfile(m, 1, "new", &ino) == 0);
	m->trash_name[0] = '\0';
	REQUIRE(unlink_(m, 1, "new") == 0);
	CHECK_EQ(counter("totalInodes"), 4);	/* 2 files, 2 hour dirs */
	REQUIRE(meta_cleanup_trash(m, time(NULL) - 26 * 3600, &n) == 0);
	CHECK_EQ(n, 1);
	CHECK(!node_exists(f));
	CHECK(!node_exists(hour));
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile WHERE inode=%" PRIu64, f), 1);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64,
			 (uint64_t)META_TRASH_INO), 1);
	CHECK(node_exists(ino));
	CHECK_EQ(counter("totalInodes"), 2);
	meta_close(m);
}

/* mknod's default ACLs and setattr's chmod of a file with an access ACL */
static void acl_inherit_and_chmod(void)
{
	struct meta *m = fresh();
	struct acl_rule r, got;
	struct meta_attr a, in;
	uint64_t d, c, sub, um;

	REQUIRE(m);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	acl_rule_init(&r);
	r.owner = 7;
	r.group = 5;
	r.mask = 7;
	r.other = 0;
	r.nusers = 1;
	r.users = calloc(1, sizeof(*r.users));
	REQUIRE(r.users);
	r.users[0] = (struct acl_entry){ 1000, 7 };
	REQUIRE(meta_set_facl(m, d, ACL_TYPE_DEFAULT_J, &r, false, &a) == 0);
	REQUIRE(a.default_acl != 0);
	/* a file gets an access rule from it: umask ignored, mask = 6 & 7 */
	REQUIRE(meta_mknod(m, d, "c", 1, META_TYPE_FILE, 0666, 077, 0, 0, 0,
			      NULL, 0, &c, &a) == 0);
	CHECK(a.access_acl != 0 && a.default_acl == 0);
	CHECK_EQ(a.mode, 0660);
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, c),
		 a.access_acl);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_acl WHERE id=%u", a.access_acl), 1);
	/* a dir keeps the default rule too */
	REQUIRE(meta_mknod(m, d, "sub", 3, META_TYPE_DIR, 0777, 077, 0, 0, 0,
			      NULL, 0, &sub, &a) == 0);
	CHECK(a.default_acl != 0 && a.access_acl != 0);
	CHECK_EQ(raw_int("SELECT default_acl_id FROM jfs_node WHERE inode=%" PRIu64, sub),
		 a.default_acl);
	/* no default rule: the umask applies */
	REQUIRE(meta_mknod(m, 1, "um", 2, META_TYPE_FILE, 0666, 027, 0, 0, 0,
			      NULL, 0, &um, &a) == 0);
	CHECK_EQ(a.mode, 0640);
	CHECK_EQ(a.access_acl, 0);
	/* chmod of a file with an access rule moves the rule's mask */
	REQUIRE(getattr_(m, c, &a) == 0);
	memset(&in, 0, sizeof(in));
	in.mode = 0600;
	REQUIRE(meta_setattr(m, c, META_SET_MODE, &in, &a) == 0);
	CHECK_EQ(a.mode, 0600);
	CHECK(a.access_acl != 0);
	REQUIRE(meta_get_facl(m, c, ACL_TYPE_ACCESS_J, &got) == 0);
	CHECK_EQ(got.mask, 0);
	CHECK_EQ(got.owner, 6);
	acl_rule_free(&got);
	CHECK_EQ(raw_int("SELECT access_acl_id FROM jfs_node WHERE inode=%" PRIu64, c),
		 a.access_acl);
	acl_rule_free(&r);
	meta_close(m);
}

static void dir_stats_deltas(void)
{
	struct meta *m = fresh();
	uint64_t d1, d2, f, s;
	struct meta_attr a;

	REQUIRE(m);
	m->dir_stats = true;
	REQUIRE(mkdir_(m, 1, "d1", &d1) == 0);
	REQUIRE(mkdir_(m, 1, "d2", &d2) == 0);
	REQUIRE(mkfile(m, d1, "f", &f) == 0);
	REQUIRE(meta_mknod(m, d1, "s", 1, META_TYPE_SYMLINK, 0777, 0, 0, 0, 0,
			      "target", 6, &s, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 2);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 8192);
	/* a file of 100 bytes moves to d2 and gets a link in d1 */
	REQUIRE(raw_exec("UPDATE jfs_node SET length=100 WHERE inode=%" PRIu64 ";"
			 "UPDATE jfs_dir_stats SET data_length=100 WHERE inode=%" PRIu64,
			 f, d1) == 0);
	REQUIRE(rename_(m, d1, "f", d2, "f", 0) == 0);
	REQUIRE(meta_link(m, f, d1, "hl", 2, &a) == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d2), 100);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=%" PRIu64, d2), 1);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 100);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 2);
	REQUIRE(unlink_(m, d1, "hl") == 0);
	REQUIRE(unlink_(m, d1, "s") == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 0);
	CHECK_EQ(raw_int("SELECT data_length FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 0);
	CHECK_EQ(raw_int("SELECT used_space FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 0);
	/* rmdir forgets the dir's own stats */
	REQUIRE(rmdir_(m, 1, "d1") == 0);
	REQUIRE(meta_dirstat_flush(m) == 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_dir_stats WHERE inode=%" PRIu64, d1), 0);
	/* root had no row: recounted from its entries (d2) */
	CHECK_EQ(raw_int("SELECT used_inodes FROM jfs_dir_stats WHERE inode=1"), 1);
	meta_close(m);
}

struct worker {
	struct meta *m;
	uint64_t dir;
	int id, failed;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	char name[32];
	uint64_t ino;
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		if (mkfile(w->m, w->dir, name, &ino) ||
		    (i % 2 && rename_(w->m, w->dir, name, w->dir, "shared", 0)))
			w->failed++;
	}
	return NULL;
}

/* two engine instances on one file: every change lands once */
static void two_instances_race(void)
{
	struct meta *m = fresh(), *m2 = NULL;
	struct worker w[2];
	pthread_t t[2];
	uint64_t d;
	int i;

	REQUIRE(m);
	REQUIRE(meta_open(url, &m2) == 0);
	REQUIRE(mkdir_(m, 1, "d", &d) == 0);
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker){ i ? m2 : m, d, i, 0 };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(w[0].failed + w[1].failed, 0);
	/* 200 made, 99 of the 100 renamed onto "shared" replaced the one before */
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_edge WHERE parent=%" PRIu64, d), 101);
	CHECK_EQ(raw_int("SELECT count(*) FROM jfs_node"), 2 + 101);
	CHECK_EQ(counter("totalInodes"), 102);
	CHECK_EQ(counter("usedSpace"), 102 * 4096);
	CHECK_EQ(raw_int("SELECT count(*) FROM t_delfile"), 99);
	meta_close(m2);
	meta_close(m);
}

int main(void)
{
	if (raw_setup())
		return 1;
	RUN(mknod_every_type);
	RUN(mknod_errors);
	RUN(lookup_getattr_setattr);
	RUN(hard_links);
	RUN(unlink_frees);
	RUN(sustained_inode);
	RUN(rmdir_cases);
	RUN(rename_moves);
	RUN(rename_replaces);
	RUN(rename_exchange);
	RUN(rename_hardlinked_file);
	RUN(readdir_plus);
	RUN(trash_moves_and_restores);
	RUN(trash_cleanup_expired);
	RUN(acl_inherit_and_chmod);
	RUN(dir_stats_deltas);
	RUN(two_instances_race);
	raw_cleanup();
	return check_done();
}
