/*
 * test_acl.c - ACL rules in JuiceFS's encoding (pkg/acl/acl.go) and the
 * Linux xattr form (pkg/vfs encodeACL/decodeACL), byte for byte, and the
 * mode rules JuiceFS applies (SetMode, GetMode, ChildAccessACL).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/acl.h"

#include "check.h"

/* u:1000:r-- on owner rw-, group r--, mask r--, other --- */
static const unsigned char rule_bytes[] = {
	0x00, 0x06, 0x00, 0x04, 0x00, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x04,
	0x00, 0x00, 0x00, 0x00,
};

/* the same as setfacl hands it to the kernel: version 2, tag/perm/id LE */
static const unsigned char xattr_bytes[] = {
	0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x06, 0x00, 0xff, 0xff, 0xff, 0xff,	/* user:: rw- */
	0x02, 0x00, 0x04, 0x00, 0xe8, 0x03, 0x00, 0x00,	/* user:1000: r-- */
	0x04, 0x00, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff,	/* group:: r-- */
	0x10, 0x00, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff,	/* mask:: r-- */
	0x20, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,	/* other:: --- */
};

static void test_round_trips(void)
{
	struct acl_rule r, d;
	unsigned char *buf;
	size_t len;

	REQUIRE(acl_from_xattr(xattr_bytes, sizeof(xattr_bytes), &r) == 0);
	CHECK_EQ(r.owner, 6);
	CHECK_EQ(r.group, 4);
	CHECK_EQ(r.mask, 4);
	CHECK_EQ(r.other, 0);
	REQUIRE(r.nusers == 1 && r.ngroups == 0);
	CHECK_EQ(r.users[0].id, 1000);
	REQUIRE(acl_rule_encode(&r, &buf, &len) == 0);
	CHECK_EQ(len, sizeof(rule_bytes));
	CHECK_MEM(buf, rule_bytes, sizeof(rule_bytes));
	free(buf);
	REQUIRE(acl_rule_decode(rule_bytes, sizeof(rule_bytes), &d) == 0);
	CHECK(acl_rule_equal(&r, &d));
	REQUIRE(acl_to_xattr(&d, &buf, &len) == 0);
	CHECK_EQ(len, sizeof(xattr_bytes));
	CHECK_MEM(buf, xattr_bytes, sizeof(xattr_bytes));
	free(buf);
	CHECK(!acl_rule_is_minimal(&r));
	CHECK_EQ(acl_rule_get_mode(&r), 0640);
	acl_rule_free(&r);
	acl_rule_free(&d);
}

static void test_bad_input(void)
{
	unsigned char x[sizeof(xattr_bytes)];
	struct acl_rule r;

	CHECK_EQ(acl_from_xattr(xattr_bytes, 3, &r), -EINVAL);
	CHECK_EQ(acl_from_xattr(xattr_bytes, sizeof(xattr_bytes) - 1, &r), -EINVAL);
	memcpy(x, xattr_bytes, sizeof(x));
	x[0] = 1;				/* version */
	CHECK_EQ(acl_from_xattr(x, sizeof(x), &r), -EINVAL);
	memcpy(x, xattr_bytes, sizeof(x));
	x[36] = 0x40;				/* unknown tag */
	CHECK_EQ(acl_from_xattr(x, sizeof(x), &r), -EINVAL);
	memcpy(x, xattr_bytes, sizeof(x));
	x[4] = 0x20;				/* two "other" entries */
	CHECK_EQ(acl_from_xattr(x, sizeof(x), &r), -EINVAL);
	memcpy(x, xattr_bytes, sizeof(x));
	x[30] = 0x08;				/* perm beyond rwx */
	CHECK_EQ(acl_from_xattr(x, sizeof(x), &r), -EINVAL);
	/* a named user without a mask */
	memcpy(x, xattr_bytes, sizeof(x));
	x[28] = 0x02;
	CHECK_EQ(acl_from_xattr(x, sizeof(x), &r), -EINVAL);
	/* truncated or padded rules from the store */
	CHECK_EQ(acl_rule_decode(rule_bytes, sizeof(rule_bytes) - 1, &r), -EIO);
	CHECK_EQ(acl_rule_decode(rule_bytes, 10, &r), -EIO);
	{
		unsigned char big[sizeof(rule_bytes)];

		memcpy(big, rule_bytes, sizeof(big));
		big[8] = 0x7f;			/* a huge user count */
		CHECK_EQ(acl_rule_decode(big, sizeof(big), &r), -EIO);
	}
}

static void test_modes(void)
{
	struct acl_rule r, c;

	REQUIRE(acl_from_xattr(xattr_bytes, sizeof(xattr_bytes), &r) == 0);
	/* chmod 0750: the group bits become the mask */
	acl_rule_set_mode(&r, 0750);
	CHECK_EQ(r.owner, 7);
	CHECK_EQ(r.mask, 5);
	CHECK_EQ(r.group, 4);
	CHECK_EQ(r.other, 0);
	CHECK_EQ(acl_rule_get_mode(&r), 0750);
	/* a child of a dir with this default rule, created 0666 */
	REQUIRE(acl_rule_child_access(&r, 0666, &c) == 0);
	CHECK_EQ(c.owner, 6);
	CHECK_EQ(c.mask, 4);
	CHECK_EQ(c.other, 0);
	CHECK_EQ(c.group, 4);
	CHECK_EQ(c.nusers, 1);
	acl_rule_free(&c);
	acl_rule_free(&r);

	/* the empty rule and the minimal one */
	acl_rule_init(&r);
	CHECK(acl_rule_is_empty(&r));
	r.owner = 7;
	r.group = 5;
	r.other = 4;
	CHECK(!acl_rule_is_empty(&r) && acl_rule_is_minimal(&r));
	CHECK_EQ(acl_rule_get_mode(&r), 0754);
	acl_rule_init(&r);
	acl_rule_inherit_perms(&r, 0751);
	CHECK_EQ(r.owner, 7);
	CHECK_EQ(r.group, 5);
	CHECK_EQ(r.other, 1);
	CHECK_EQ(acl_xattr_type("system.posix_acl_access", 23), ACL_TYPE_ACCESS_J);
	CHECK_EQ(acl_xattr_type("system.posix_acl_default", 24), ACL_TYPE_DEFAULT_J);
	CHECK_EQ(acl_xattr_type("system.posix_acl_defaul", 23), 0);
}

int main(void)
{
	RUN(test_round_trips);
	RUN(test_bad_input);
	RUN(test_modes);
	return check_done();
}
