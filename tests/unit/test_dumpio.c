/*
 * test_dumpio.c - the byte-level rules of dump and load (lib/volume/
 * dumpio.c): juicefs's %XX escaping and its inverse, Go's JSON string
 * encoding, and the pull lexer on good, malformed and truncated input.
 * Expected strings are what juicefs 1.4.2 wrote for the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "volume/dumpio.h"

#include "check.h"

static char *esc(const char *s, size_t n)
{
	static struct dbuf b;

	b.n = 0;
	if (dump_escape(&b, s, n) || dbuf_put(&b, "", 0))
		return "(error)";
	return b.p;
}

static char *gostr(const char *s, size_t n)
{
	static struct dbuf b;

	b.n = 0;
	if (dump_go_string(&b, s, n))
		return "(error)";
	return b.p;
}

static void test_escape(void)
{
	/* as juicefs dumped the fixture's name "we%ird name\"\\\n<&>é\xff" */
	static const char name[] = "we%ird name\"\\\n<&>\xc3\xa9\xff";

	CHECK(!strcmp(esc(name, sizeof(name) - 1), "we%25ird%20name%22%5C%0A<&>\xc3\xa9%FF"));
	CHECK(!strcmp(esc("plain", 5), "plain"));
	CHECK(!strcmp(esc("a\0b", 3), "a%00b"));
	/* Go's range: a real U+FFFD is RuneError too, and only its first byte shows */
	CHECK(!strcmp(esc("x\xef\xbf\xbdy", 5), "x%EFy"));
	/* a surrogate's encoding is invalid UTF-8: each byte escaped */
	CHECK(!strcmp(esc("\xed\xa0\x80", 3), "%ED%A0%80"));
	CHECK(!strcmp(esc("\x7f", 1), "\x7f"));
}

static void test_unescape(void)
{
	char a[] = "we%25ird%20name%22%5C%0A%FF", b[] = "100%", c[] = "%zz%4", d[] = "%41%4";

	CHECK_EQ(dump_unescape(a, strlen(a)), 15);
	CHECK(!memcmp(a, "we%ird name\"\\\n\xff", 15));
	CHECK_EQ(dump_unescape(b, 4), 4);
	CHECK_EQ(dump_unescape(c, 5), 5);
	CHECK(!memcmp(c, "%zz%4", 5));
	/* a "%4" cut short stays as it is */
	CHECK_EQ(dump_unescape(d, 5), 3);
	CHECK(!memcmp(d, "A%4", 3));
}

static void test_go_string(void)
{
	CHECK(!strcmp(gostr("<x>", 3), "\"\\u003cx\\u003e\""));
	CHECK(!strcmp(gostr("a&b\"c\\", 6), "\"a\\u0026b\\\"c\\\\\""));
	CHECK(!strcmp(gostr("\n\r\t\x01", 4), "\"\\n\\r\\t\\u0001\""));
	CHECK(!strcmp(gostr("\xff", 1), "\"\\ufffd\""));
	CHECK(!strcmp(gostr("\xe2\x80\xa8", 3), "\"\\u2028\""));
	CHECK(!strcmp(gostr("\xc3\xa9", 2), "\"\xc3\xa9\""));
}

/* a lexer over the bytes s */
static int lex_on(const char *s, struct jlex *l, struct dump_in **in)
{
	char path[] = "/tmp/test_dumpio.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		return -EIO;
	close(fd);
	if (dump_in_open(path, in)) {
		unlink(path);
		return -EIO;
	}
	unlink(path);
	jlex_init(l, *in);
	return 0;
}

static void test_lexer(void)
{
	struct dump_in *in;
	struct jlex l;
	json_object *v;

	REQUIRE(!lex_on("{\"a\\u00e9\\ud83d\\ude00\": [1, -2, true, null, \"x\"]}", &l, &in));
	CHECK_EQ(jlex_next(&l), JT_LBRACE);
	CHECK_EQ(jlex_next(&l), JT_STRING);
	CHECK(!strcmp(l.tok.p, "a\xc3\xa9\xf0\x9f\x98\x80"));
	CHECK(!jlex_expect(&l, JT_COLON, "':'"));
	CHECK(!jlex_value(&l, jlex_next(&l), &v));
	CHECK(!strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		      "[1,-2,true,null,\"x\"]"));
	json_object_put(v);
	CHECK_EQ(jlex_next(&l), JT_RBRACE);
	CHECK_EQ(jlex_next(&l), JT_EOF);
	jlex_free(&l);
	dump_in_close(in);

	REQUIRE(!lex_on("{\"a\": {\"b\": 1,", &l, &in));
	jlex_next(&l);
	jlex_next(&l);
	jlex_next(&l);
	CHECK(jlex_value(&l, jlex_next(&l), &v) == -EINVAL);
	CHECK(strstr(l.err, "truncated") != NULL);
	jlex_free(&l);
	dump_in_close(in);

	REQUIRE(!lex_on("{\"a\" 1}", &l, &in));
	jlex_next(&l);
	jlex_next(&l);
	CHECK(jlex_expect(&l, JT_COLON, "':'") == -EINVAL);
	CHECK(strstr(l.err, "':' expected") != NULL);
	jlex_free(&l);
	dump_in_close(in);

	REQUIRE(!lex_on("hello", &l, &in));
	CHECK_EQ(jlex_next(&l), JT_ERR);
	CHECK(strstr(l.err, "not JSON") != NULL);
	jlex_free(&l);
	dump_in_close(in);
}

int main(void)
{
	RUN(test_escape);
	RUN(test_unescape);
	RUN(test_go_string);
	RUN(test_lexer);
	return check_done();
}
