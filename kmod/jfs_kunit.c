// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the pure logic that needs no running jfsd: attribute
 * validation, URL redaction, reply validation and xattr replies.
 *
 * Not part of the normal module build (kmod/Kbuild does not list it):
 * tests/kunit/run.sh builds it into a UML kernel, in place of super.o,
 * dev.o and xattr.o, whose static helpers it reaches by including them
 * (as ext4's mballoc tests do).
 */
/* first: they define pr_fmt */
#include "super.c"
#include "dev.c"
#include "xattr.c"
#include <kunit/test.h>

static struct jfs_attr jfsk_test_attr(u32 mode)
{
	return (struct jfs_attr){
		.ino = 2,
		.size = 10,
		.mode = mode,
		.nlink = 1,
	};
}

static void jfsk_check_attr_types(struct kunit *test)
{
	static const u32 good[] = {
		S_IFREG | 0644, S_IFDIR | 0755, S_IFLNK | 0777, S_IFIFO | 0600,
		S_IFCHR | 0600, S_IFBLK | 0600, S_IFSOCK | 0600,
		S_IFREG | 07777,
	};
	struct jfs_attr a;
	int i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		a = jfsk_test_attr(good[i]);
		KUNIT_EXPECT_EQ_MSG(test, jfsk_check_attr(&a), 0, "mode %o", good[i]);
	}
	a = jfsk_test_attr(0644);		/* no type at all */
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a = jfsk_test_attr(0160000 | 0644);	/* unknown type */
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a = jfsk_test_attr(S_IFREG | 0644 | 0200000);	/* bits above S_IFMT */
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
}

static void jfsk_check_attr_ino(struct kunit *test)
{
	struct jfs_attr a = jfsk_test_attr(S_IFREG | 0644);

	a.ino = 0;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a.ino = 1;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), 0);
}

static void jfsk_check_attr_nsec(struct kunit *test)
{
	struct jfs_attr a = jfsk_test_attr(S_IFREG | 0644);

	a.atimensec = NSEC_PER_SEC - 1;
	a.mtimensec = NSEC_PER_SEC - 1;
	a.ctimensec = NSEC_PER_SEC - 1;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), 0);
	a.atimensec = NSEC_PER_SEC;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a.atimensec = 0;
	a.mtimensec = NSEC_PER_SEC;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a.mtimensec = 0;
	a.ctimensec = U32_MAX;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
}

static void jfsk_check_attr_size(struct kunit *test)
{
	struct jfs_attr a = jfsk_test_attr(S_IFREG | 0644);

	a.size = MAX_LFS_FILESIZE;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), 0);
	a.size = (u64)MAX_LFS_FILESIZE + 1;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a.size = U64_MAX;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
}

static void jfsk_check_attr_symlink_size(struct kunit *test)
{
	struct jfs_attr a = jfsk_test_attr(S_IFLNK | 0777);

	a.size = JFS_SYMLINK_MAX;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), 0);
	a.size = JFS_SYMLINK_MAX + 1;
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), -EIO);
	a.mode = S_IFREG | 0644;	/* the limit is for symlinks only */
	KUNIT_EXPECT_EQ(test, jfsk_check_attr(&a), 0);
}

static void jfsk_expect_redacted(struct kunit *test, const char *url,
				 const char *want)
{
	char *got = jfsk_redact_url(url);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, got);
	KUNIT_EXPECT_STREQ_MSG(test, got, want, "url %s", url);
	kfree(got);
}

static void jfsk_redact_url_password(struct kunit *test)
{
	jfsk_expect_redacted(test, "redis://:pw@h:6379/1",
			     "redis://:****@h:6379/1");
	jfsk_expect_redacted(test, "redis://user:secret@host/1",
			     "redis://user:****@host/1");
	jfsk_expect_redacted(test, "postgres://u:pw@h:5432/db?sslmode=off",
			     "postgres://u:****@h:5432/db?sslmode=off");
}

static void jfsk_redact_url_at_in_password(struct kunit *test)
{
	jfsk_expect_redacted(test, "redis://user:p@ss@h/1",
			     "redis://user:****@h/1");
	jfsk_expect_redacted(test, "redis://:a@b@c@h",
			     "redis://:****@h");
}

static void jfsk_redact_url_unchanged(struct kunit *test)
{
	/* no password */
	jfsk_expect_redacted(test, "redis://h:6379/1", "redis://h:6379/1");
	jfsk_expect_redacted(test, "redis://user@h/1", "redis://user@h/1");
	/* an '@' after the authority is not a credential */
	jfsk_expect_redacted(test, "redis://h:1/x:y@z", "redis://h:1/x:y@z");
	/* no scheme */
	jfsk_expect_redacted(test, "user:pw@host/1", "user:pw@host/1");
	jfsk_expect_redacted(test, "", "");
}

static void jfsk_reply_check_case(struct kunit *test, u16 req_op,
				  size_t out_max, u16 op, s32 error,
				 size_t payload, int want)
{
	struct jfs_out_hdr oh = { .opcode = op, .error = error };
	struct jfsk_req req = { .opcode = req_op, .out_max = out_max };

	KUNIT_EXPECT_EQ_MSG(test, jfsk_reply_check(&oh, &req, payload), want,
			    "req op %u, reply op %u error %d payload %zu",
			    req_op, op, error, payload);
}

static void jfsk_reply_check_ok(struct kunit *test)
{
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR, 0,
			      128, 0);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR, 0,
			      0, 0);
	jfsk_reply_check_case(test, JFS_OP_LOOKUP, 128, JFS_OP_LOOKUP,
			      -ENOENT, 0, 0);
	jfsk_reply_check_case(test, JFS_OP_LOOKUP, 128, JFS_OP_LOOKUP,
			      -(ERESTARTSYS - 1), 0, 0);
}

static void jfsk_reply_check_opcode(struct kunit *test)
{
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_LOOKUP, 0,
			      0, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, 0, 0, 0, -EIO);
}

static void jfsk_reply_check_errno(struct kunit *test)
{
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR, 1,
			      0, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      -MAX_ERRNO - 1, 0, -EIO);
	/* the kernel's own codes never reach an application */
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      -ERESTARTSYS, 0, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      -EIOCBQUEUED, 0, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      -MAX_ERRNO, 0, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      S32_MIN, 0, -EIO);
}

static void jfsk_reply_check_error_payload(struct kunit *test)
{
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR,
			      -EIO, 1, -EIO);
	/* only a failed MOUNT may explain itself */
	jfsk_reply_check_case(test, JFS_OP_MOUNT, 128, JFS_OP_MOUNT,
			      -EINVAL, 20, 0);
	jfsk_reply_check_case(test, JFS_OP_MOUNT, 16, JFS_OP_MOUNT,
			      -EINVAL, 17, -EIO);
}

static void jfsk_reply_check_too_long(struct kunit *test)
{
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 128, JFS_OP_GETATTR, 0,
			      129, -EIO);
	jfsk_reply_check_case(test, JFS_OP_GETATTR, 0, JFS_OP_GETATTR, 0,
			      1, -EIO);
}

static void jfsk_xattr_list_names(struct kunit *test)
{
	static const char ok[] = "user.a\0security.selinux\0trusted.t\0";
	static const char untrusted[] = "user.a\0security.b\0";
	char name[300];

	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(ok, sizeof(ok) - 1, true, false), 0);
	/* trusted.* only when the caller could see it */
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(ok, sizeof(ok) - 1, false, false), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(untrusted,
						    sizeof(untrusted) - 1, false, false), 0);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("", 0, false, false), 0);
	/* the last name unterminated, an empty name, a bare prefix */
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(ok, sizeof(ok) - 2, true, false), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("\0", 1, true, false), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("user.\0", 6, true, false), -EIO);
	/* namespaces without a handler; the ACL names only with ACLs on */
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("system.posix_acl_access\0",
						    24, true, false), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("system.posix_acl_access\0",
						    24, false, true), 0);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("system.posix_acl_defaulx\0",
						    25, false, true), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list("com.apple.x\0", 12, true, false),
			-EIO);
	/* 255 bytes is the longest name */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = '\0';
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(name, 256, false, false), 0);
	name[255] = 'n';
	name[256] = '\0';
	KUNIT_EXPECT_EQ(test, jfsk_check_xattr_list(name, 257, false, false), -EIO);
}

/* a GETXATTR/LISTXATTR reply of out_len bytes, claiming size */
static int jfsk_xattr_reply_case(size_t out_len, u32 size, size_t room,
				 size_t max)
{
	struct jfs_xattr_out xo = { .size = size }, got;
	char buf[64] = {};
	struct jfsk_req req = { .out = buf, .out_len = out_len };

	memcpy(buf, &xo, sizeof(xo));
	return jfsk_xattr_reply(&req, room, max, &got);
}

static void jfsk_xattr_reply_lengths(struct kunit *test)
{
	size_t h = sizeof(struct jfs_xattr_out);

	/* size queries: the header alone */
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h, 100, 0, 65536), 0);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h, 65536, 0, 65536), 0);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h, 65537, 0, 65536), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h + 3, 3, 0, 65536), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h - 1, 0, 0, 65536), -EIO);
	/* values: exactly the claimed bytes, within the room asked */
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h + 5, 5, 10, 65536), 0);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h, 0, 10, 65536), 0);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h + 4, 5, 10, 65536), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h + 6, 5, 10, 65536), -EIO);
	KUNIT_EXPECT_EQ(test, jfsk_xattr_reply_case(h + 11, 11, 10, 65536), -EIO);
}

static struct kunit_case jfsk_kunit_cases[] = {
	KUNIT_CASE(jfsk_check_attr_types),
	KUNIT_CASE(jfsk_check_attr_ino),
	KUNIT_CASE(jfsk_check_attr_nsec),
	KUNIT_CASE(jfsk_check_attr_size),
	KUNIT_CASE(jfsk_check_attr_symlink_size),
	KUNIT_CASE(jfsk_redact_url_password),
	KUNIT_CASE(jfsk_redact_url_at_in_password),
	KUNIT_CASE(jfsk_redact_url_unchanged),
	KUNIT_CASE(jfsk_reply_check_ok),
	KUNIT_CASE(jfsk_reply_check_opcode),
	KUNIT_CASE(jfsk_reply_check_errno),
	KUNIT_CASE(jfsk_reply_check_error_payload),
	KUNIT_CASE(jfsk_reply_check_too_long),
	KUNIT_CASE(jfsk_xattr_list_names),
	KUNIT_CASE(jfsk_xattr_reply_lengths),
	{}
};

static struct kunit_suite jfsk_kunit_suite = {
	.name = "jfsk",
	.test_cases = jfsk_kunit_cases,
};

kunit_test_suite(jfsk_kunit_suite);
