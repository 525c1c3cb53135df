/*
 * check.h - the unit-test harness: each test is a function run by RUN(),
 * which prints "PASS name" or "FAIL name: why" (the first failed check);
 * a test binary ends with "return check_done();" (non-zero on failure).
 */
#ifndef JFS_TEST_CHECK_H
#define JFS_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *check_name;	/* the test running */
static int check_failed;	/* checks failed in it */
static int check_npass, check_nfail;

__attribute__((format(printf, 3, 4), unused))
static void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (check_failed++)
		printf("  also %s:%d: ", file, line);
	else
		printf("FAIL %s: %s:%d: ", check_name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK(cond) do { \
	if (!(cond)) \
		check_fail(__FILE__, __LINE__, "%s", #cond); \
} while (0)

/* a precondition: stop the test when it does not hold */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		check_fail(__FILE__, __LINE__, "%s", #cond); \
		return; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) \
		check_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
			   #a, #b, _a, _b); \
} while (0)

#define CHECK_EQU(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) \
		check_fail(__FILE__, __LINE__, "%s == %s (%llu != %llu)", \
			   #a, #b, _a, _b); \
} while (0)

#define CHECK_MEM(a, b, n) do { \
	if (memcmp((a), (b), (n))) \
		check_fail(__FILE__, __LINE__, "%s and %s differ", #a, #b); \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) \
		check_fail(__FILE__, __LINE__, "%s == %s ('%s' != '%s')", #a, #b, \
			   _a ? _a : "(null)", _b ? _b : "(null)"); \
} while (0)

/* runs fn as the test called name (a string that outlives the run) */
#define RUN_AS(name, fn) do { \
	check_name = (name); \
	check_failed = 0; \
	fn(); \
	if (check_failed) \
		check_nfail++; \
	else { \
		printf("PASS %s\n", check_name); \
		check_npass++; \
	} \
	fflush(stdout); \
} while (0)

#define RUN(fn) RUN_AS(#fn, fn)

__attribute__((unused))
static int check_done(void)
{
	return check_nfail ? 1 : 0;
}

#endif /* JFS_TEST_CHECK_H */
