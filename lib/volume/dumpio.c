/*
 * dumpio.c - escaping, Go's JSON strings, the compressing and
 * decompressing streams and the pull lexer of dump.c and load.c
 * (dumpio.h says why they are not json-c's).
 *
 * The streams are buffered in 64 KiB (JuiceFS's jsonWriteSize); gzip is
 * zlib's deflate with a gzip header at level 1 (juicefs: BestSpeed), zstd
 * libzstd's streaming API at its default level.  Input is told by magic
 * bytes, not by name, so `jfsadm load - < x.gz` works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "util/err.h"
#include "volume/dumpio.h"

#define DUMP_BUF	(64 << 10)

int dbuf_put(struct dbuf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *q;

		while (cap < b->n + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

void dbuf_free(struct dbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* ---- UTF-8 the way Go's `range` over a string decodes it ---- */

/* the rune at s (n > 0 bytes), *w its width; -1 (width 1) when invalid */
static int32_t go_rune(const unsigned char *s, size_t n, size_t *w)
{
	unsigned char c = s[0];
	int32_t r;
	size_t k, i;
	unsigned char lo = 0x80, hi = 0xBF;

	*w = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		k = 2;
		r = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 3;
		r = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 4;
		r = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return -1;
	}
	if (n < k)
		return -1;
	for (i = 1; i < k; i++) {
		unsigned char d = s[i];

		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xBF))
			return -1;
		r = (r << 6) | (d & 0x3F);
	}
	*w = k;
	return r;
}

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

int dump_escape(struct dbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, w;
	int ret = 0;

	while (i < len && !ret) {
		int32_t r = go_rune(u + i, len - i, &w);

		/* Go: r == RuneError also for a real U+FFFD, then only its first byte */
		if (r < 0 || r == 0xFFFD || r <= 32 || r == '%' || r == '"' || r == '\\') {
			char e[3] = { '%', hex_upper[u[i] >> 4], hex_upper[u[i] & 15] };

			ret = dbuf_put(b, e, 3);
		} else {
			ret = dbuf_put(b, u + i, w);
		}
		i += w;
	}
	return ret;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t dump_unescape(char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		/* juicefs's unescape: a '%' without two hex digits after it stays */
		if (c == '%' && i + 2 < len && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
			c = (char)(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
			i += 2;
		}
		s[n++] = c;
	}
	return n;
}

int dump_go_string(struct dbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, w;
	int ret = dbuf_putc(b, '"');

	while (i < len && !ret) {
		int32_t r = go_rune(u + i, len - i, &w);
		char e[7] = { '\\', 'u', '0', '0' };

		if (r < 0) {
			ret = dbuf_put(b, "\\ufffd", 6);
		} else if (r == 0x2028 || r == 0x2029) {
			ret = dbuf_put(b, r == 0x2028 ? "\\u2028" : "\\u2029", 6);
		} else if (r == '"' || r == '\\') {
			e[1] = (char)r;
			ret = dbuf_put(b, e, 2);
		} else if (r == '\n' || r == '\r' || r == '\t') {
			e[1] = r == '\n' ? 'n' : r == '\r' ? 'r' : 't';
			ret = dbuf_put(b, e, 2);
		} else if (r < 0x20 || r == '<' || r == '>' || r == '&') {
			e[4] = hex_lower[r >> 4];
			e[5] = hex_lower[r & 15];
			ret = dbuf_put(b, e, 6);
		} else {
			ret = dbuf_put(b, u + i, w);
		}
		i += w;
	}
	return ret ? ret : dbuf_putc(b, '"');
}

/* ---- output ---- */

struct dump_out {
	int fd;
	char *path, *tmp;	/* NULL for stdout */
	enum dump_codec codec;
	z_stream z;
	ZSTD_CStream *zs;
	unsigned char buf[DUMP_BUF];	/* plain bytes not yet encoded */
	size_t n;
	unsigned char obuf[DUMP_BUF];	/* encoded bytes */
	int err;
};

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static int write_all(struct dump_out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(o->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return jfs_fail("volume", -errno, "write %s: %s",
					o->path ? o->path : "standard output", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* encodes (and writes) the buffered bytes; end: finish the stream */
static int out_drain(struct dump_out *o, bool end)
{
	int ret = 0;

	if (o->codec == DUMP_PLAIN) {
		ret = write_all(o, o->buf, o->n);
	} else if (o->codec == DUMP_GZIP) {
		int zr;

		o->z.next_in = o->buf;
		o->z.avail_in = (uInt)o->n;
		do {
			o->z.next_out = o->obuf;
			o->z.avail_out = sizeof(o->obuf);
			zr = deflate(&o->z, end ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				return jfs_fail("volume", -EIO, "gzip: %s", o->z.msg ? o->z.msg : "error");
			ret = write_all(o, o->obuf, sizeof(o->obuf) - o->z.avail_out);
		} while (!ret && (o->z.avail_in || (end && zr != Z_STREAM_END)));
	} else {
		ZSTD_inBuffer ib = { o->buf, o->n, 0 };
		size_t left;

		do {
			ZSTD_outBuffer ob = { o->obuf, sizeof(o->obuf), 0 };

			left = ZSTD_compressStream2(o->zs, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left))
				return jfs_fail("volume", -EIO, "zstd: %s", ZSTD_getErrorName(left));
			ret = write_all(o, o->obuf, ob.pos);
		} while (!ret && (ib.pos < ib.size || (end && left)));
	}
	o->n = 0;
	return ret;
}

int dump_out_open(const char *path, struct dump_out **op)
{
	struct dump_out *o;

	*op = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	o->fd = STDOUT_FILENO;
	if (path && strcmp(path, "-")) {
		if (has_suffix(path, ".gz"))
			o->codec = DUMP_GZIP;
		else if (has_suffix(path, ".zstd"))
			o->codec = DUMP_ZSTD;
		o->path = strdup(path);
		if (!o->path || asprintf(&o->tmp, "%s.tmp", path) < 0) {
			o->tmp = NULL;
			dump_out_close(o, false);
			return jfs_fail("volume", -ENOMEM, "out of memory");
		}
		o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (o->fd < 0) {
			int err = -errno;

			jfs_seterr("volume", "cannot create %s: %s", o->tmp, strerror(errno));
			free(o->tmp);
			o->tmp = NULL;
			dump_out_close(o, false);
			return err;
		}
	}
	if (o->codec == DUMP_GZIP &&
	    deflateInit2(&o->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		o->codec = DUMP_PLAIN;
		dump_out_close(o, false);
		return jfs_fail("volume", -ENOMEM, "gzip: cannot start a stream");
	}
	if (o->codec == DUMP_ZSTD && !(o->zs = ZSTD_createCStream())) {
		dump_out_close(o, false);
		return jfs_fail("volume", -ENOMEM, "zstd: cannot start a stream");
	}
	*op = o;
	return 0;
}

int dump_out_write(struct dump_out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n && !o->err) {
		size_t k = sizeof(o->buf) - o->n;

		if (k > n)
			k = n;
		memcpy(o->buf + o->n, c, k);
		o->n += k;
		c += k;
		n -= k;
		if (o->n == sizeof(o->buf))
			o->err = out_drain(o, false);
	}
	return o->err;
}

int dump_out_str(struct dump_out *o, const char *s)
{
	return dump_out_write(o, s, strlen(s));
}

int dump_out_fmt(struct dump_out *o, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return dump_out_write(o, small, (size_t)n);
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	ret = dump_out_write(o, big, (size_t)n);
	free(big);
	return ret;
}

int dump_out_close(struct dump_out *o, bool commit)
{
	int ret = o->err;

	if (commit && !ret)
		ret = out_drain(o, true);
	if (o->codec == DUMP_GZIP)
		deflateEnd(&o->z);
	ZSTD_freeCStream(o->zs);
	if (o->tmp) {
		if (close(o->fd) && !ret && commit)
			ret = jfs_fail("volume", -errno, "write %s: %s", o->tmp, strerror(errno));
		if (commit && !ret && rename(o->tmp, o->path))
			ret = jfs_fail("volume", -errno, "rename %s: %s", o->tmp, strerror(errno));
		if (!commit || ret)
			unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	free(o);
	return commit ? ret : 0;
}

/* ---- input ---- */

struct dump_in {
	int fd;
	const char *name;
	enum dump_codec codec;
	z_stream z;
	ZSTD_DStream *zs;
	bool ended;		/* the compressed stream ended */
	unsigned char raw[DUMP_BUF];	/* bytes read, not yet decoded */
	size_t rpos, rn;
	bool eof;		/* no more raw bytes */
	unsigned char buf[DUMP_BUF];	/* decoded bytes */
	size_t pos, n;
};

static int in_fill_raw(struct dump_in *in)
{
	ssize_t r;

	if (in->rpos < in->rn || in->eof)
		return 0;
	do
		r = read(in->fd, in->raw, sizeof(in->raw));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return jfs_fail("volume", -errno, "read %s: %s", in->name, strerror(errno));
	in->rpos = 0;
	in->rn = (size_t)r;
	in->eof = r == 0;
	return 0;
}

/* decodes more bytes into buf; 0 with in->n == 0 at the end */
static int in_fill(struct dump_in *in)
{
	int ret;

	in->pos = in->n = 0;
	while (!in->n) {
		ret = in_fill_raw(in);
		if (ret)
			return ret;
		if (in->codec == DUMP_PLAIN || in->ended) {
			size_t k = in->rn - in->rpos;

			if (in->ended && k)
				return jfs_fail("volume", -EINVAL, "%s: data after the compressed stream",
						in->name);
			memcpy(in->buf, in->raw + in->rpos, k);
			in->rpos = in->rn;
			in->n = k;
			if (!k)
				return 0;
		} else if (in->codec == DUMP_GZIP) {
			int zr;

			if (in->eof)
				return jfs_fail("volume", -EINVAL, "%s: the gzip stream is truncated",
						in->name);
			in->z.next_in = in->raw + in->rpos;
			in->z.avail_in = (uInt)(in->rn - in->rpos);
			in->z.next_out = in->buf;
			in->z.avail_out = sizeof(in->buf);
			zr = inflate(&in->z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
				return jfs_fail("volume", -EINVAL, "%s: gzip: %s", in->name,
						in->z.msg ? in->z.msg : "corrupt data");
			in->rpos = in->rn - in->z.avail_in;
			in->n = sizeof(in->buf) - in->z.avail_out;
			in->ended = zr == Z_STREAM_END;
		} else {
			ZSTD_inBuffer ib = { in->raw + in->rpos, in->rn - in->rpos, 0 };
			ZSTD_outBuffer ob = { in->buf, sizeof(in->buf), 0 };
			size_t zr;

			if (in->eof)
				return jfs_fail("volume", -EINVAL, "%s: the zstd stream is truncated",
						in->name);
			zr = ZSTD_decompressStream(in->zs, &ob, &ib);
			if (ZSTD_isError(zr))
				return jfs_fail("volume", -EINVAL, "%s: zstd: %s", in->name,
						ZSTD_getErrorName(zr));
			in->rpos += ib.pos;
			in->n = ob.pos;
			in->ended = zr == 0;
		}
	}
	return 0;
}

int dump_in_open(const char *path, struct dump_in **ip)
{
	static const unsigned char gz[2] = { 0x1f, 0x8b }, zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	struct dump_in *in;
	int ret;

	*ip = NULL;
	in = calloc(1, sizeof(*in));
	if (!in)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	in->fd = STDIN_FILENO;
	in->name = "standard input";
	if (path && strcmp(path, "-")) {
		in->name = path;
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			ret = -errno;
			jfs_seterr("volume", "cannot open %s: %s", path, strerror(errno));
			free(in);
			return ret;
		}
	}
	/* the magic may come in more than one read from a pipe */
	while (in->rn < 4 && !in->eof) {
		ssize_t r = read(in->fd, in->raw + in->rn, sizeof(in->raw) - in->rn);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = jfs_fail("volume", -errno, "read %s: %s", in->name, strerror(errno));
			dump_in_close(in);
			return ret;
		}
		in->rn += (size_t)r;
		in->eof = r == 0;
	}
	in->eof = false;	/* read() says so again */
	if (in->rn >= 2 && !memcmp(in->raw, gz, 2)) {
		in->codec = DUMP_GZIP;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK) {
			in->codec = DUMP_PLAIN;
			dump_in_close(in);
			return jfs_fail("volume", -ENOMEM, "gzip: cannot start a stream");
		}
	} else if (in->rn >= 4 && !memcmp(in->raw, zs, 4)) {
		in->codec = DUMP_ZSTD;
		in->zs = ZSTD_createDStream();
		if (!in->zs) {
			dump_in_close(in);
			return jfs_fail("volume", -ENOMEM, "zstd: cannot start a stream");
		}
	}
	*ip = in;
	return 0;
}

void dump_in_close(struct dump_in *in)
{
	if (!in)
		return;
	if (in->codec == DUMP_GZIP)
		inflateEnd(&in->z);
	ZSTD_freeDStream(in->zs);
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	free(in);
}

/* the next byte, -1 at the end, -2 on an error (record set) */
static int in_getc(struct dump_in *in)
{
	if (in->pos == in->n) {
		if (in_fill(in))
			return -2;
		if (!in->n)
			return -1;
	}
	return in->buf[in->pos++];
}

static int in_peek(struct dump_in *in)
{
	int c = in_getc(in);

	if (c >= 0)
		in->pos--;
	return c;
}

/* ---- the lexer ---- */

void jlex_init(struct jlex *l, struct dump_in *in)
{
	memset(l, 0, sizeof(*l));
	l->in = in;
	l->line = 1;
}

void jlex_free(struct jlex *l)
{
	dbuf_free(&l->tok);
}

static enum jtok lex_fail(struct jlex *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum jtok lex_fail(struct jlex *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->err[0]) {
		va_start(ap, fmt);
		vsnprintf(l->err, sizeof(l->err), fmt, ap);
		va_end(ap);
	}
	return JT_ERR;
}

/* the next byte; an I/O or codec error is JT_ERR's message */
static int lex_getc(struct jlex *l)
{
	int c;

	c = in_getc(l->in);
	if (c == -2)
		lex_fail(l, "%s", jfs_errmsg());
	return c;
}

static int put_utf8(struct dbuf *b, uint32_t r)
{
	char u[4];
	size_t n;

	if (r < 0x80) {
		u[0] = (char)r;
		n = 1;
	} else if (r < 0x800) {
		u[0] = (char)(0xC0 | (r >> 6));
		u[1] = (char)(0x80 | (r & 0x3F));
		n = 2;
	} else if (r < 0x10000) {
		u[0] = (char)(0xE0 | (r >> 12));
		u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		u[2] = (char)(0x80 | (r & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (r >> 18));
		u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((r >> 6) & 0x3F));
		u[3] = (char)(0x80 | (r & 0x3F));
		n = 4;
	}
	return dbuf_put(b, u, n);
}

static int lex_hex4(struct jlex *l, uint32_t *v)
{
	int i, c, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = lex_getc(l);
		d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

static enum jtok lex_string(struct jlex *l)
{
	uint32_t r, lo;
	int c;

	l->tok.n = 0;
	for (;;) {
		c = lex_getc(l);
		if (c < 0)
			return c == -2 ? JT_ERR :
			       lex_fail(l, "line %llu: the file ends early in a string (truncated?)",
					(unsigned long long)l->line);
		if (c == '"')
			break;
		if (c < 0x20)
			return lex_fail(l, "line %llu: control character in a string",
					(unsigned long long)l->line);
		if (c != '\\') {
			if (dbuf_putc(&l->tok, (char)c))
				return lex_fail(l, "out of memory");
			continue;
		}
		c = lex_getc(l);
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (lex_hex4(l, &r))
				return lex_fail(l, "line %llu: bad \\u escape", (unsigned long long)l->line);
			if (r >= 0xD800 && r < 0xDC00 && in_peek(l->in) == '\\') {
				lex_getc(l);
				if (lex_getc(l) != 'u' || lex_hex4(l, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return lex_fail(l, "line %llu: bad surrogate pair",
							(unsigned long long)l->line);
				r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
			} else if (r >= 0xD800 && r < 0xE000) {
				r = 0xFFFD;
			}
			if (put_utf8(&l->tok, r))
				return lex_fail(l, "out of memory");
			continue;
		default:
			return lex_fail(l, "line %llu: bad escape in a string", (unsigned long long)l->line);
		}
		if (dbuf_putc(&l->tok, (char)c))
			return lex_fail(l, "out of memory");
	}
	if (!l->tok.p && dbuf_put(&l->tok, "", 0))
		return lex_fail(l, "out of memory");
	return JT_STRING;
}

static enum jtok lex_word(struct jlex *l, int c)
{
	char w[8];
	size_t n = 0;

	w[n++] = (char)c;
	while (n < sizeof(w) - 1 && (c = in_peek(l->in)) >= 'a' && c <= 'z')
		w[n++] = (char)lex_getc(l);
	w[n] = 0;
	if (!strcmp(w, "true"))
		return JT_TRUE;
	if (!strcmp(w, "false"))
		return JT_FALSE;
	if (!strcmp(w, "null"))
		return JT_NULL;
	return lex_fail(l, "line %llu: not JSON ('%s')", (unsigned long long)l->line, w);
}

static enum jtok lex_number(struct jlex *l, int c)
{
	l->tok.n = 0;
	for (;;) {
		if (dbuf_putc(&l->tok, (char)c))
			return lex_fail(l, "out of memory");
		c = in_peek(l->in);
		if (!(c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
		      (c >= '0' && c <= '9')))
			break;
		lex_getc(l);
		if (l->tok.n > 64)
			return lex_fail(l, "line %llu: number too long", (unsigned long long)l->line);
	}
	return JT_NUMBER;
}

enum jtok jlex_next(struct jlex *l)
{
	int c;

	if (l->err[0])
		return JT_ERR;
	do {
		c = lex_getc(l);
		if (c == '\n')
			l->line++;
	} while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	switch (c) {
	case -2: return JT_ERR;
	case -1: return JT_EOF;
	case '{': return JT_LBRACE;
	case '}': return JT_RBRACE;
	case '[': return JT_LBRACKET;
	case ']': return JT_RBRACKET;
	case ':': return JT_COLON;
	case ',': return JT_COMMA;
	case '"': return lex_string(l);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return lex_number(l, c);
	if (c >= 'a' && c <= 'z')
		return lex_word(l, c);
	return lex_fail(l, "line %llu: not JSON (byte 0x%02x)", (unsigned long long)l->line, c);
}

int jlex_expect(struct jlex *l, enum jtok want, const char *what)
{
	enum jtok t = jlex_next(l);

	if (t == want)
		return 0;
	if (t == JT_EOF)
		lex_fail(l, "line %llu: the file ends early (truncated?)", (unsigned long long)l->line);
	else
		lex_fail(l, "line %llu: %s expected", (unsigned long long)l->line, what);
	return -EINVAL;
}

static json_object *number_value(const char *s)
{
	char *end;

	errno = 0;
	if (*s == '-') {
		long long v = strtoll(s, &end, 10);

		if (!*end && !errno)
			return json_object_new_int64(v);
	} else {
		unsigned long long v = strtoull(s, &end, 10);

		if (!*end && !errno)
			return json_object_new_uint64(v);
	}
	return json_object_new_double(strtod(s, NULL));
}

#define JLEX_MAX_DEPTH	64

int jlex_value(struct jlex *l, enum jtok t, json_object **out)
{
	json_object *o = NULL, *v;
	bool first = true;
	int ret;

	*out = NULL;
	switch (t) {
	case JT_STRING:
		*out = json_object_new_string_len(l->tok.p, (int)l->tok.n);
		return *out ? 0 : -ENOMEM;
	case JT_NUMBER:
		*out = number_value(l->tok.p);
		return *out ? 0 : -ENOMEM;
	case JT_TRUE: case JT_FALSE:
		*out = json_object_new_boolean(t == JT_TRUE);
		return *out ? 0 : -ENOMEM;
	case JT_NULL:
		return 0;
	case JT_LBRACE: case JT_LBRACKET:
		break;
	case JT_EOF:
		lex_fail(l, "line %llu: the file ends early (truncated?)", (unsigned long long)l->line);
		return -EINVAL;
	default:
		lex_fail(l, "line %llu: a value expected", (unsigned long long)l->line);
		return -EINVAL;
	}
	if (++l->depth > JLEX_MAX_DEPTH) {
		lex_fail(l, "line %llu: nested too deep", (unsigned long long)l->line);
		return -EINVAL;
	}
	o = t == JT_LBRACE ? json_object_new_object() : json_object_new_array();
	if (!o)
		return -ENOMEM;
	for (;;) {
		char *key = NULL;
		enum jtok n = jlex_next(l);

		if (n == JT_EOF) {
			lex_fail(l, "line %llu: the file ends early (truncated?)",
				 (unsigned long long)l->line);
			goto bad;
		}

		if (n == (t == JT_LBRACE ? JT_RBRACE : JT_RBRACKET) && first)
			break;
		if (!first) {
			if (n == (t == JT_LBRACE ? JT_RBRACE : JT_RBRACKET))
				break;
			if (n != JT_COMMA)
				goto bad;
			n = jlex_next(l);
			if (n == JT_EOF) {
				lex_fail(l, "line %llu: the file ends early (truncated?)",
					 (unsigned long long)l->line);
				goto bad;
			}
		}
		first = false;
		if (t == JT_LBRACE) {
			if (n != JT_STRING)
				goto bad;
			key = strndup(l->tok.p, l->tok.n);
			if (!key || jlex_expect(l, JT_COLON, "':'")) {
				free(key);
				goto bad;
			}
			n = jlex_next(l);
		}
		ret = jlex_value(l, n, &v);
		if (ret) {
			free(key);
			json_object_put(o);
			return ret;
		}
		if (key)
			json_object_object_add(o, key, v);
		else
			json_object_array_add(o, v);
		free(key);
	}
	l->depth--;
	*out = o;
	return 0;
bad:
	json_object_put(o);
	if (!l->err[0])
		lex_fail(l, "line %llu: malformed JSON", (unsigned long long)l->line);
	return -EINVAL;
}

int jlex_skip(struct jlex *l, enum jtok t)
{
	json_object *v;
	int ret = jlex_value(l, t, &v);

	json_object_put(v);
	return ret;
}
