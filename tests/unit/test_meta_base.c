/*
 * test_meta_base.c - the attribute rules of meta_base.c that both engines
 * apply (names, mknod, setattr, rename, setfacl, dir stats), on their own;
 * the engine suites drive the same rules through Redis and SQLite.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "meta/engine.h"
#include "check.h"

static const struct timespec t0 = { .tv_sec = 1700000000, .tv_nsec = 42 };

static void names(void)
{
	char big[META_MAX_NAME + 1];

	memset(big, 'a', sizeof(big));
	CHECK(meta_check_name("a", 1) == 0);
	CHECK(meta_check_name(big, META_MAX_NAME) == 0);
	CHECK(meta_check_name(big, META_MAX_NAME + 1) == -ENAMETOOLONG);
	CHECK(meta_check_name("", 0) == -EINVAL);
	CHECK(meta_check_name(NULL, 1) == -EINVAL);
	CHECK(meta_check_name("a/b", 3) == -EINVAL);
	CHECK(meta_check_name("a\0b", 3) == -EINVAL);

	CHECK(meta_check_xattr_name("user.a", 6) == 0);
	CHECK(meta_check_xattr_name(big, META_XATTR_NAME_MAX + 1) == -ERANGE);
	CHECK(meta_check_xattr_name("user.a\0", 7) == -EINVAL);
	CHECK(meta_check_xattr_name("user/a", 6) == 0);	/* only NUL is refused */
}

static void mknod_check(void)
{
	struct meta_mknod a = { .parent = 1, .name = "f", .len = 1,
				.type = META_TYPE_FILE };

	CHECK(meta_mknod_check(&a) == 0);
	a.type = 0;
	CHECK(meta_mknod_check(&a) == -EINVAL);
	a.type = META_TYPE_SOCKET + 1;
	CHECK(meta_mknod_check(&a) == -EINVAL);
	a.type = META_TYPE_SYMLINK;
	CHECK(meta_mknod_check(&a) == -EINVAL);	/* no target */
	a.target = "t";
	a.targetlen = META_MAX_SYMLINK + 1;
	CHECK(meta_mknod_check(&a) == -ENAMETOOLONG);
	a.targetlen = 1;
	CHECK(meta_mknod_check(&a) == 0);
	a.parent = META_TRASH_INO;
	CHECK(meta_mknod_check(&a) == -EPERM);	/* nothing is made in .trash */
	a.type = META_TYPE_DIR;
	a.trash_hour = true;
	CHECK(meta_mknod_check(&a) == 0);	/* but its hour dirs */
}

static void mknod_attr_file(void)
{
	struct meta_mknod a = { .parent = 7, .name = "f", .len = 1,
				.type = META_TYPE_FILE, .mode = 0666, .cumask = 022,
				.uid = 1000, .gid = 1000, .rdev = 5 };
	struct meta_attr pa = { .type = META_TYPE_DIR, .mode = 0755, .nlink = 3,
				.gid = 50 };

	a.attr.uid = 99;	/* meta_mknod_mode starts from nothing */
	meta_mknod_mode(&a);
	CHECK(a.attr.uid == 0);
	CHECK(a.attr.type == META_TYPE_FILE);
	CHECK(a.attr.mode == 0644);
	meta_mknod_attr(&a, &pa, &t0);
	CHECK(a.attr.uid == 1000 && a.attr.gid == 1000 && a.attr.rdev == 5);
	CHECK(a.attr.nlink == 1 && a.attr.length == 0 && a.attr.parent == 7);
	CHECK(a.attr.atime == t0.tv_sec && a.attr.ctimensec == 42);
	CHECK(pa.nlink == 3);
	CHECK(pa.mtime == t0.tv_sec && pa.ctime == t0.tv_sec);
}

/* setgid dirs: group inherited; a new dir gets the bit, a file does not */
static void mknod_attr_setgid(void)
{
	struct meta_mknod d = { .parent = 7, .type = META_TYPE_DIR, .mode = 0777,
				.cumask = 002, .uid = 1000, .gid = 1000 };
	struct meta_mknod f = { .parent = 7, .type = META_TYPE_FILE, .mode = 0666,
				.uid = 1000, .gid = 1000 };
	struct meta_mknod s = { .parent = 7, .type = META_TYPE_SYMLINK, .mode = 0777,
				.target = "abc", .targetlen = 3 };
	struct meta_attr pa = { .type = META_TYPE_DIR, .mode = 02775, .nlink = 2,
				.gid = 50 };

	meta_mknod_mode(&d);
	meta_mknod_attr(&d, &pa, &t0);
	CHECK(d.attr.gid == 50);
	CHECK(d.attr.mode == 02775);
	CHECK(d.attr.nlink == 2 && d.attr.length == 4096);
	CHECK(pa.nlink == 3);

	meta_mknod_mode(&f);
	meta_mknod_attr(&f, &pa, &t0);
	CHECK(f.attr.gid == 50);
	CHECK(f.attr.mode == 0666);
	CHECK(pa.nlink == 3);

	meta_mknod_mode(&s);
	meta_mknod_attr(&s, &pa, &t0);
	CHECK(s.attr.length == 3);
}

/* doMknod: children of a skip-trash dir skip it too; no other flag passes */
static void mknod_attr_skip_trash(void)
{
	struct meta_mknod f = { .parent = 7, .type = META_TYPE_FILE, .mode = 0644 };
	struct meta_attr pa = { .type = META_TYPE_DIR, .mode = 0755,
				.flags = META_FLAG_SKIP_TRASH | META_FLAG_APPEND };

	meta_mknod_mode(&f);
	meta_mknod_attr(&f, &pa, &t0);
	CHECK(f.attr.flags == META_FLAG_SKIP_TRASH);
	pa.flags = META_FLAG_IMMUTABLE;
	meta_mknod_mode(&f);
	meta_mknod_attr(&f, &pa, &t0);
	CHECK(f.attr.flags == 0);
}

static void setattr_merge(void)
{
	struct meta_attr t = { .uid = 1, .gid = 2, .atime = 3, .mtime = 4, .ctime = 5 };
	struct meta_attr in = { .uid = 10, .gid = 20, .atime = 30, .atimensec = 31,
				.mtime = 40, .mtimensec = 41, .ctime = 50 };

	meta_setattr_merge(&t, META_SET_UID | META_SET_MTIME, &in, &t0);
	CHECK(t.uid == 10 && t.gid == 2);
	CHECK(t.atime == 3);
	CHECK(t.mtime == 40 && t.mtimensec == 41);
	CHECK(t.ctime == t0.tv_sec && t.ctimensec == 42);	/* ctime = now */
	meta_setattr_merge(&t, META_SET_GID | META_SET_ATIME | META_SET_CTIME, &in, &t0);
	CHECK(t.gid == 20 && t.atime == 30 && t.atimensec == 31);
	CHECK(t.ctime == 50);
}

/* chattr replaces i, a and s; the Windows bits stay; +i only takes chattr */
static void setattr_flags(void)
{
	struct meta_attr t = { .flags = META_FLAG_APPEND | 0x04 };
	struct meta_attr in = { .flags = META_FLAG_IMMUTABLE | 0x08 };

	CHECK(meta_setattr_check(&t, META_SET_MODE) == 0);
	meta_setattr_merge(&t, META_SET_FLAGS, &in, &t0);
	CHECK(t.flags == (META_FLAG_IMMUTABLE | 0x04));
	CHECK(t.ctime == t0.tv_sec);
	CHECK(meta_setattr_check(&t, META_SET_MODE) == -EPERM);
	CHECK(meta_setattr_check(&t, META_SET_MTIME | META_SET_FLAGS) == -EPERM);
	CHECK(meta_setattr_check(&t, META_SET_FLAGS) == 0);
	in.flags = 0;
	meta_setattr_merge(&t, META_SET_FLAGS, &in, &t0);
	CHECK(t.flags == 0x04);
}

static struct meta_rename_ends ends(unsigned int flags, uint8_t stype, uint8_t dtype)
{
	return (struct meta_rename_ends){
		.flags = flags, .psrc = 10, .pdst = 20, .spa_parent = 1, .dpa_parent = 1,
		.stype = stype, .sino = 100, .dtype = dtype, .dino = dtype ? 200 : 0,
		.have_dst = dtype != 0,
	};
}

static void rename_check(void)
{
	struct meta_rename_ends e;

	e = ends(0, META_TYPE_FILE, 0);
	CHECK(meta_rename_check(&e) == 0);
	e = ends(0, META_TYPE_FILE, META_TYPE_FILE);
	CHECK(meta_rename_check(&e) == 0);
	e.dino = e.sino;
	CHECK(meta_rename_check(&e) == 1);	/* two links of one inode */
	e = ends(META_RENAME_NOREPLACE, META_TYPE_FILE, META_TYPE_FILE);
	CHECK(meta_rename_check(&e) == -EEXIST);
	e = ends(0, META_TYPE_DIR, META_TYPE_FILE);
	CHECK(meta_rename_check(&e) == -ENOTDIR);
	e = ends(0, META_TYPE_FILE, META_TYPE_DIR);
	CHECK(meta_rename_check(&e) == -EISDIR);
	e = ends(META_RENAME_EXCHANGE, META_TYPE_FILE, META_TYPE_DIR);
	CHECK(meta_rename_check(&e) == 0);	/* an exchange mixes types */
	e = ends(META_RENAME_EXCHANGE, META_TYPE_FILE, 0);
	CHECK(meta_rename_check(&e) == -ENOENT);

	/* a dir into itself or into its own child */
	e = ends(0, META_TYPE_DIR, 0);
	e.pdst = e.sino;
	CHECK(meta_rename_check(&e) == -EINVAL);
	e = ends(0, META_TYPE_DIR, 0);
	e.dpa_parent = e.sino;
	CHECK(meta_rename_check(&e) == -EINVAL);
	e = ends(META_RENAME_EXCHANGE, META_TYPE_FILE, META_TYPE_DIR);
	e.spa_parent = e.dino;
	CHECK(meta_rename_check(&e) == -EINVAL);
}

static void facl_rules(void)
{
	struct acl_rule in, rule;
	struct meta_attr t = { .mode = 02770, .access_acl = 9, .default_acl = 8 };

	/* an empty rule drops the ACL; kill_sgid drops the bit */
	acl_rule_init(&in);
	CHECK(meta_facl_prepare(&t, ACL_TYPE_DEFAULT_J, &in, true, &rule) == 0);
	CHECK(t.default_acl == 0 && t.access_acl == 9);
	CHECK(t.mode == 0770);
	CHECK(meta_facl_prepare(&t, ACL_TYPE_ACCESS_J, NULL, false, &rule) == 0);
	CHECK(t.access_acl == 0);

	/* a minimal access rule is only a mode */
	t.access_acl = 9;
	in.owner = 6;
	in.group = 4;
	in.other = 0;
	CHECK(meta_facl_prepare(&t, ACL_TYPE_ACCESS_J, &in, false, &rule) == 0);
	CHECK(t.access_acl == 0);
	CHECK(t.mode == 0640);

	/* a full rule is stored; its mask is the group bits of the mode */
	in.mask = 5;
	in.ngroups = 1;
	in.groups = &(struct acl_entry){ .id = 7, .perm = 7 };
	CHECK(meta_facl_prepare(&t, ACL_TYPE_ACCESS_J, &in, false, &rule) == 1);
	CHECK(rule.ngroups == 1 && rule.groups != in.groups);
	meta_facl_stored(&t, ACL_TYPE_ACCESS_J, &rule);
	CHECK(t.mode == 0650);
	acl_rule_free(&rule);
	t.mode = 0700;
	CHECK(meta_facl_prepare(&t, ACL_TYPE_DEFAULT_J, &in, false, &rule) == 1);
	meta_facl_stored(&t, ACL_TYPE_DEFAULT_J, &rule);
	CHECK(t.mode == 0700);	/* a default rule leaves the mode */
	acl_rule_free(&rule);
}

static const struct meta_dirstat *queued(const struct meta *m, uint64_t ino)
{
	size_t i;

	for (i = 0; i < m->ds.cap; i++)
		if (m->ds.v[i].ino == ino)
			return &m->ds.v[i];
	return NULL;
}

static void rename_stats(void)
{
	struct meta m = { .dir_stats = true };
	struct meta_attr f = { .type = META_TYPE_FILE, .length = 5000 };
	struct meta_attr d = { .type = META_TYPE_DIR, .length = 4096 };
	const struct meta_dirstat *s;

	meta_base_init(&m);
	/* f replaces d's entry in another dir; d goes to trash hour 30 */
	meta_rename_stats(&m, 10, 20, 0, 30, &f, &d);
	s = queued(&m, 10);
	CHECK(s && s->length == -5000 && s->space == -8192 && s->inodes == -1);
	s = queued(&m, 20);
	CHECK(s && s->length == 5000 && s->space == 8192 - 4096 && s->inodes == 0);
	s = queued(&m, 30);
	CHECK(s && s->length == 0 && s->space == 4096 && s->inodes == 1);

	/* an exchange in one dir changes nothing */
	meta_base_destroy(&m);
	meta_base_init(&m);
	meta_rename_stats(&m, 10, 10, META_RENAME_EXCHANGE, 0, &f, &d);
	CHECK(m.ds.n == 0);
	/* across dirs, each side gains what it lost */
	meta_rename_stats(&m, 10, 20, META_RENAME_EXCHANGE, 0, &f, &d);
	s = queued(&m, 10);
	CHECK(s && s->length == -5000 && s->space == -8192 + 4096 && s->inodes == 0);
	s = queued(&m, 20);
	CHECK(s && s->length == 5000 && s->space == 8192 - 4096 && s->inodes == 0);
	meta_base_destroy(&m);
}

static void dirent_order(void)
{
	struct meta_dirent e[3] = {
		{ .name = "ab", .namelen = 2 },
		{ .name = "a", .namelen = 1 },
		{ .name = "b", .namelen = 1 },
	};

	qsort(e, 3, sizeof(e[0]), meta_dirent_cmp);
	CHECK(e[0].namelen == 1 && e[0].name[0] == 'a');
	CHECK(e[1].namelen == 2);
	CHECK(e[2].name[0] == 'b');
}

int main(void)
{
	RUN(names);
	RUN(mknod_check);
	RUN(mknod_attr_file);
	RUN(mknod_attr_setgid);
	RUN(mknod_attr_skip_trash);
	RUN(setattr_merge);
	RUN(setattr_flags);
	RUN(rename_check);
	RUN(facl_rules);
	RUN(rename_stats);
	RUN(dirent_order);
	return check_done();
}
