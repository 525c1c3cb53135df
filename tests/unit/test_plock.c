/*
 * test_plock.c - JuiceFS's POSIX lock lists (updateLocks, loadLocks,
 * dumpLocks in pkg/meta/utils.go): splitting, merging, unlocking parts,
 * and the 24-byte big-endian records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/plock.h"

#include "check.h"

/* the list as "T:start-end,..." (T = r/w) */
static const char *show(const struct plock_list *l)
{
	static char buf[512];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n && n < sizeof(buf) - 64; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%c:%llu-%llu", i ? "," : "",
				      l->v[i].type == PLOCK_WR ? 'w' : 'r',
				      (unsigned long long)l->v[i].start,
				      (unsigned long long)l->v[i].end);
	return buf;
}

static void apply(struct plock_list *l, uint32_t type, uint64_t start, uint64_t end)
{
	struct plock p = { type, 7, start, end };

	REQUIRE(plock_update(l, p) == 0);
}

#define CHECK_LIST(l, want) do { \
	if (strcmp(show(l), want)) \
		check_fail(__FILE__, __LINE__, "list %s, want %s", show(l), want); \
} while (0)

static void test_update(void)
{
	struct plock_list l = { 0 };

	apply(&l, PLOCK_WR, 0, 99);
	CHECK_LIST(&l, "w:0-99");
	apply(&l, PLOCK_UN, 40, 59);		/* unlock the middle: a split */
	CHECK_LIST(&l, "w:0-39,w:60-99");
	apply(&l, PLOCK_RD, 30, 69);		/* a read lock across both */
	CHECK_LIST(&l, "w:0-29,r:30-69,w:70-99");
	apply(&l, PLOCK_WR, 30, 69);		/* back to write: all merges */
	CHECK_LIST(&l, "w:0-99");
	apply(&l, PLOCK_WR, 100, 199);		/* adjacent: merged */
	CHECK_LIST(&l, "w:0-199");
	apply(&l, PLOCK_RD, 300, 399);
	CHECK_LIST(&l, "w:0-199,r:300-399");
	apply(&l, PLOCK_UN, 0, UINT64_MAX);	/* unlock everything, to "EOF" */
	CHECK_EQ(l.n, 0);
	apply(&l, PLOCK_RD, 10, UINT64_MAX);	/* to EOF, then a piece inside */
	apply(&l, PLOCK_WR, 20, 29);
	CHECK_LIST(&l, "r:10-19,w:20-29,r:30-18446744073709551615");
	apply(&l, PLOCK_RD, 0, UINT64_MAX);
	CHECK_LIST(&l, "r:0-18446744073709551615");
	plock_list_free(&l);
}

static void test_conflicts(void)
{
	struct plock_list l = { 0 };

	apply(&l, PLOCK_RD, 0, 9);
	apply(&l, PLOCK_WR, 20, 29);
	CHECK(plock_conflict(&l, PLOCK_RD, 0, 9) == NULL);	/* read + read */
	CHECK(plock_conflict(&l, PLOCK_WR, 5, 5) != NULL);
	CHECK(plock_conflict(&l, PLOCK_RD, 10, 19) == NULL);	/* the gap */
	CHECK(plock_conflict(&l, PLOCK_RD, 19, 20)->start == 20);
	CHECK(plock_conflict(&l, PLOCK_RD, 30, UINT64_MAX) == NULL);
	plock_list_free(&l);
}

static void test_records(void)
{
	static const unsigned char want[] = {
		0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 39,
		0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 60,
		0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	struct plock_list l = { 0 }, back;
	unsigned char *buf;
	size_t len;
	char key[48];

	apply(&l, PLOCK_WR, 0, 0x7fffffffffffffffULL);
	apply(&l, PLOCK_UN, 40, 59);
	REQUIRE(plock_dump(&l, &buf, &len) == 0);
	CHECK_EQ(len, sizeof(want));
	CHECK_MEM(buf, want, sizeof(want));
	REQUIRE(plock_load(buf, len, &back) == 0);
	CHECK_LIST(&back, "w:0-39,w:60-9223372036854775807");
	CHECK_EQ(plock_load(buf, len - 1, &back), -EIO);
	free(buf);
	plock_list_free(&back);
	plock_list_free(&l);
	plock_owner_key(key, sizeof(key), 12, 0xabcULL);
	CHECK_STR(key, "12_0000000000000ABC");
}

int main(void)
{
	RUN(test_update);
	RUN(test_conflicts);
	RUN(test_records);
	return check_done();
}
