/*
 * test_meta_codec.c - the JuiceFS attr and slice codecs of meta.c against
 * the exact bytes of the format spec (sections 2.1 and 2.4).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "meta/engine.h"
#include "check.h"

/* spec 2.1: file 0644, uid/gid 1000, times 1700000000, nlink 1, length 6, parent 1 */
static const unsigned char spec_attr[72] = {
	0x00, 0x11, 0xa4, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x03, 0xe8,
	0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00,
};

/* spec 2.4: 6-byte slice id 1 at pos 0 */
static const unsigned char spec_slice[24] = {
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x06,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x06,
};

static struct meta_attr spec_file(void)
{
	struct meta_attr a;

	memset(&a, 0, sizeof(a));
	a.type = META_TYPE_FILE;
	a.mode = 0644;
	a.uid = a.gid = 1000;
	a.atime = a.mtime = a.ctime = 1700000000;
	a.nlink = 1;
	a.length = 6;
	a.parent = 1;
	return a;
}

static void attr_encode_spec_example(void)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct meta_attr a = spec_file();
	size_t n;

	memset(buf, 0xee, sizeof(buf));
	n = meta_attr_encode(&a, buf);
	CHECK_EQ(n, 72);
	CHECK_MEM(buf, spec_attr, 72);
}

static void attr_decode_spec_example(void)
{
	struct meta_attr a, want = spec_file();

	REQUIRE(meta_attr_decode(spec_attr, sizeof(spec_attr), &a) == 0);
	CHECK_EQ(a.flags, 0);
	CHECK_EQ(a.type, META_TYPE_FILE);
	CHECK_EQ(a.mode, 0644);
	CHECK_EQ(a.uid, 1000);
	CHECK_EQ(a.gid, 1000);
	CHECK_EQ(a.atime, 1700000000);
	CHECK_EQ(a.mtime, 1700000000);
	CHECK_EQ(a.ctime, 1700000000);
	CHECK_EQ(a.nlink, 1);
	CHECK_EQU(a.length, 6);
	CHECK_EQ(a.rdev, 0);
	CHECK_EQU(a.parent, 1);
	CHECK_EQ(a.access_acl, 0);
	CHECK_EQ(a.default_acl, 0);
	CHECK_EQ(a.tier, 0);	/* the slack byte */
	CHECK(!memcmp(&a, &want, sizeof(a)));
}

static void attr_round_trip_all_fields(void)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct meta_attr a, b;

	memset(&a, 0, sizeof(a));
	a.flags = META_FLAG_IMMUTABLE | META_FLAG_APPEND | 0x20;
	a.type = META_TYPE_CHRDEV;
	a.mode = 07777;
	a.uid = 0xfffffffe;
	a.gid = 0x12345678;
	a.atime = -1;			/* before 1970 */
	a.atimensec = 999999999;
	a.mtime = INT64_MAX;
	a.mtimensec = 1;
	a.ctime = INT64_MIN;
	a.ctimensec = 500000000;
	a.nlink = 0xffffffff;
	a.length = UINT64_MAX;
	a.rdev = (136 << 8) | 5;
	a.parent = 0x7FFFFFFF10000001ULL;
	REQUIRE(meta_attr_encode(&a, buf) == 72);
	CHECK_EQ(buf[1] >> 4, META_TYPE_CHRDEV);
	CHECK_EQ(((buf[1] & 0xf) << 8 | buf[2]), 07777);
	CHECK_EQ(buf[71], 0);
	REQUIRE(meta_attr_decode(buf, 72, &b) == 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
}

static void attr_acl_is_80_bytes(void)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct meta_attr a = spec_file(), b;

	a.access_acl = 7;
	REQUIRE(meta_attr_encode(&a, buf) == 80);
	CHECK_MEM(buf, spec_attr, 71);
	CHECK_MEM(buf + 71, "\0\0\0\x07\0\0\0\0\0", 9);
	REQUIRE(meta_attr_decode(buf, 80, &b) == 0);
	CHECK_EQ(b.access_acl, 7);
	CHECK_EQ(b.default_acl, 0);
	CHECK_EQ(b.tier, 0);

	a.access_acl = 0;
	a.default_acl = 0x01020304;
	REQUIRE(meta_attr_encode(&a, buf) == 80);
	CHECK_MEM(buf + 71, "\0\0\0\0\x01\x02\x03\x04\0", 9);
	REQUIRE(meta_attr_decode(buf, 80, &b) == 0);
	CHECK_EQ(b.default_acl, 0x01020304);
}

static void attr_tier_is_73_bytes(void)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct meta_attr a = spec_file(), b;

	a.tier = 3;
	REQUIRE(meta_attr_encode(&a, buf) == 73);
	CHECK_MEM(buf, spec_attr, 71);
	CHECK_EQ(buf[71], 3);
	CHECK_EQ(buf[72], 0);
	REQUIRE(meta_attr_decode(buf, 73, &b) == 0);
	CHECK_EQ(b.tier, 3);
	CHECK_EQ(b.access_acl, 0);
}

static void attr_acl_tier_is_81_bytes(void)
{
	unsigned char buf[META_ATTR_MAX_BYTES];
	struct meta_attr a = spec_file(), b;

	a.access_acl = 1;
	a.default_acl = 2;
	a.tier = 9;
	REQUIRE(meta_attr_encode(&a, buf) == 81);
	CHECK_MEM(buf + 71, "\0\0\0\x01\0\0\0\x02\x09\0", 10);
	REQUIRE(meta_attr_decode(buf, 81, &b) == 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
}

/* older writers: no slack byte, or no parent at all */
static void attr_decode_short_values(void)
{
	struct meta_attr b;

	REQUIRE(meta_attr_decode(spec_attr, 71, &b) == 0);
	CHECK_EQU(b.parent, 1);
	CHECK_EQ(b.tier, 0);
	CHECK_EQU(b.length, 6);

	REQUIRE(meta_attr_decode(spec_attr, 63, &b) == 0);
	CHECK_EQU(b.parent, 0);
	CHECK_EQ(b.nlink, 1);
	CHECK_EQU(b.length, 6);

	/* 7 bytes past the fixed part: not enough for a parent */
	REQUIRE(meta_attr_decode(spec_attr, 70, &b) == 0);
	CHECK_EQU(b.parent, 0);

	CHECK_EQ(meta_attr_decode(spec_attr, 62, &b), -EIO);
	CHECK_EQ(meta_attr_decode(spec_attr, 0, &b), -EIO);
}

/* "remaining >= 8" decides ACL, so a 79-byte value has a tier, no ACL */
static void attr_decode_remaining_rules(void)
{
	unsigned char buf[81];
	struct meta_attr b;

	memcpy(buf, spec_attr, 71);
	memcpy(buf + 71, "\x05\0\0\0\0\0\0\0\0\0", 10);
	REQUIRE(meta_attr_decode(buf, 78, &b) == 0);
	CHECK_EQ(b.access_acl, 0);
	CHECK_EQ(b.tier, 5);
	REQUIRE(meta_attr_decode(buf, 79, &b) == 0);
	CHECK_EQ(b.access_acl, 0x05000000);
	CHECK_EQ(b.tier, 0);
}

static void slice_spec_example(void)
{
	struct meta_slice s = { .pos = 0, .id = 1, .size = 6, .off = 0, .len = 6 };
	unsigned char buf[24];
	struct meta_slice d;

	meta_slice_encode(&s, buf);
	CHECK_MEM(buf, spec_slice, 24);
	meta_slice_decode(spec_slice, &d);
	CHECK_EQ(d.pos, 0);
	CHECK_EQU(d.id, 1);
	CHECK_EQ(d.size, 6);
	CHECK_EQ(d.off, 0);
	CHECK_EQ(d.len, 6);
}

static void slice_round_trip(void)
{
	struct meta_slice s = {
		.pos = 0x01020304, .id = 0x1122334455667788ULL,
		.size = 0x04000000, .off = 0xa0b0c0d0, .len = 0xffffffff,
	}, d;
	static const unsigned char want[24] = {
		0x01, 0x02, 0x03, 0x04,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x04, 0x00, 0x00, 0x00,
		0xa0, 0xb0, 0xc0, 0xd0,
		0xff, 0xff, 0xff, 0xff,
	};
	unsigned char buf[24];

	meta_slice_encode(&s, buf);
	CHECK_MEM(buf, want, 24);
	meta_slice_decode(buf, &d);
	CHECK_EQ(d.pos, s.pos);
	CHECK_EQU(d.id, s.id);
	CHECK_EQ(d.size, s.size);
	CHECK_EQU(d.off, s.off);
	CHECK_EQU(d.len, s.len);
}

static void align4k(void)
{
	CHECK_EQU(meta_align4k(0), 4096);
	CHECK_EQU(meta_align4k(1), 4096);
	CHECK_EQU(meta_align4k(4096), 4096);
	CHECK_EQU(meta_align4k(4097), 8192);
	CHECK_EQU(meta_align4k(6), 4096);
}

static void open_rejects_unknown_engines(void)
{
	struct meta *m = (struct meta *)1;

	CHECK_EQ(meta_open("foo://x/y", &m), -EINVAL);
	CHECK(m == NULL);
	CHECK_STR(jfs_errmsg(), "unsupported metadata engine 'foo'");
	CHECK_EQ(meta_open("no-scheme", &m), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "no scheme") != NULL);
	CHECK_EQ(meta_open("mysql://root@127.0.0.1/jfs", &m), -EINVAL);
	CHECK_STR(jfs_errmsg(), "unsupported metadata engine 'mysql'");
	/* sqlite3 is an engine now: open needs no file until it is used */
	REQUIRE(meta_open("sqlite3:///tmp/jfs-codec-none.db", &m) == 0);
	CHECK(m != NULL);
	meta_close(m);
}

static void errmsg_is_one_line(void)
{
	jfs_seterr("meta", "a\nb\rc %d", 1);
	CHECK_STR(jfs_errmsg(), "a b c 1");
}

int main(void)
{
	RUN(attr_encode_spec_example);
	RUN(attr_decode_spec_example);
	RUN(attr_round_trip_all_fields);
	RUN(attr_acl_is_80_bytes);
	RUN(attr_tier_is_73_bytes);
	RUN(attr_acl_tier_is_81_bytes);
	RUN(attr_decode_short_values);
	RUN(attr_decode_remaining_rules);
	RUN(slice_spec_example);
	RUN(slice_round_trip);
	RUN(align4k);
	RUN(open_rejects_unknown_engines);
	RUN(errmsg_is_one_line);
	return check_done();
}
