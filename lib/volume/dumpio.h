/*
 * dumpio.h - the byte-level pieces of `jfsadm dump` and `jfsadm load`
 * (dump.c, load.c): JuiceFS's escaping of names and values, Go's JSON
 * string encoding, a compressing output stream, a decompressing input
 * stream and a pull lexer over it.  Private to lib/volume/ (and its unit
 * test).
 *
 * Why not json-c for all of it: a dump is one JSON document as large as
 * the volume, so neither side may hold it whole.  json-c builds trees; we
 * use it for the small values (a Setting, an attr, a chunk list: the
 * lexer builds them as json_object) and stream everything between them.
 * And juicefs writes its strings with Go's encoder (HTML characters as
 * \u003c ...), which json-c does not reproduce.
 */
#ifndef JFS_VOLUME_DUMPIO_H
#define JFS_VOLUME_DUMPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* a growable byte buffer */
struct dbuf {
	char *p;
	size_t n, cap;
};

int dbuf_put(struct dbuf *b, const void *p, size_t n);
static inline int dbuf_putc(struct dbuf *b, char c)
{
	return dbuf_put(b, &c, 1);
}
void dbuf_free(struct dbuf *b);

/*
 * juicefs's escape() (pkg/meta/dump.go): bytes <= 0x20, '%', '"', '\\'
 * and every byte of invalid UTF-8 become %XX (upper-case hex); the rest
 * is kept.  As in Go, a well-formed U+FFFD counts as invalid and becomes
 * "%EF" alone.  dump_unescape() undoes it in place (a '%' not followed
 * by two upper-case hex digits stays) and returns the new length.
 */
int dump_escape(struct dbuf *b, const char *s, size_t len);
size_t dump_unescape(char *s, size_t len);

/*
 * Go's encoding/json string: quotes, \" \\ \n \r \t, other control
 * bytes as \u00xx, <, > and & as \u003c \u003e \u0026, invalid UTF-8 as
 * \ufffd, U+2028 and U+2029 as \u2028 \u2029.
 */
int dump_go_string(struct dbuf *b, const char *s, size_t len);

/* ---- output: plain, gzip (.gz) or zstd (.zstd), by the file's suffix ---- */

enum dump_codec { DUMP_PLAIN, DUMP_GZIP, DUMP_ZSTD };

struct dump_out;

/*
 * Opens path for writing ("-" or NULL: stdout).  A file is written as
 * path.tmp and renamed at dump_out_close(..., true), so a failed dump
 * leaves no file.
 */
int dump_out_open(const char *path, struct dump_out **op);
int dump_out_write(struct dump_out *o, const void *p, size_t n);
int dump_out_str(struct dump_out *o, const char *s);
int dump_out_fmt(struct dump_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* commit: flush, end the compressed stream, rename; else discard */
int dump_out_close(struct dump_out *o, bool commit);

/* ---- input: the codec found by its magic bytes ---- */

struct dump_in;

int dump_in_open(const char *path, struct dump_in **ip);
void dump_in_close(struct dump_in *in);

/* ---- the pull lexer ---- */

enum jtok {
	JT_ERR = -1, JT_EOF = 0,
	JT_LBRACE, JT_RBRACE, JT_LBRACKET, JT_RBRACKET, JT_COLON, JT_COMMA,
	JT_STRING, JT_NUMBER, JT_TRUE, JT_FALSE, JT_NULL,
};

struct jlex {
	struct dump_in *in;
	struct dbuf tok;	/* a string's decoded bytes, a number's text (NUL-ended) */
	int depth;
	uint64_t line;
	char err[160];
};

void jlex_init(struct jlex *l, struct dump_in *in);
void jlex_free(struct jlex *l);
/* the next token; JT_ERR with l->err set (malformed, truncated, I/O) */
enum jtok jlex_next(struct jlex *l);
/* the rest of a value whose first token t was read, as json-c builds it */
int jlex_value(struct jlex *l, enum jtok t, json_object **out);
/* skips the rest of a value whose first token was t */
int jlex_skip(struct jlex *l, enum jtok t);
/* fails with l->err unless the next token is want */
int jlex_expect(struct jlex *l, enum jtok want, const char *what);

#endif /* JFS_VOLUME_DUMPIO_H */
