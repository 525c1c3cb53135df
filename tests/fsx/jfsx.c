/*
 * jfsx.c - an fsx-style random-operation verifier.
 *
 * Applies random operations to one file and checks every byte read back
 * against an in-memory model of what the file must contain.  With two
 * paths (the same file seen through two mounts) the close/reopen op moves
 * to the other path, so the run also checks close-to-open consistency
 * between clients.
 *
 *   jfsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-x ops] [-P every] FILE [FILE2]
 *
 *   -x  comma-separated ops to leave out (e.g. punch,zero,clone,copy when
 *       the file system lacks them); every op is on by default:
 *       write read trunc mapwrite mapread punch zero copy clone fsync reopen
 *
 * Exit 0 when every read matched; 1 on the first mismatch (the last ops
 * and the differing bytes are printed); 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum op {
	OP_WRITE, OP_READ, OP_TRUNC, OP_MAPWRITE, OP_MAPREAD, OP_PUNCH,
	OP_ZERO, OP_COPY, OP_CLONE, OP_FSYNC, OP_REOPEN, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"write", "read", "trunc", "mapwrite", "mapread", "punch",
	"zero", "copy", "clone", "fsync", "reopen",
};

/* relative frequencies: data ops dominate, as in fsx */
static const unsigned int op_weight[OP_COUNT] = {
	20, 20, 4, 10, 10, 4, 4, 5, 4, 2, 3,
};

#define LOG_LEN	32

struct logent {
	long n;
	enum op op;
	uint64_t a, b, c;
	int path;
};

struct fsx {
	const char *path[2];
	int npaths, cur, fd;
	unsigned char *model;	/* what the file holds */
	unsigned char *buf;
	uint64_t size, maxlen, maxop;
	uint64_t seed;
	bool off[OP_COUNT];
	long done[OP_COUNT];
	long n;
	struct logent log[LOG_LEN];
	size_t page;
};

static uint64_t rnd_state;

/* splitmix64: reproducible from the seed alone */
static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void log_op(struct fsx *f, enum op op, uint64_t a, uint64_t b, uint64_t c)
{
	struct logent *e = &f->log[f->n % LOG_LEN];

	e->n = f->n;
	e->op = op;
	e->a = a;
	e->b = b;
	e->c = c;
	e->path = f->cur;
}

static void dump_log(const struct fsx *f)
{
	long i, first = f->n >= LOG_LEN ? f->n - LOG_LEN + 1 : 0;

	fprintf(stderr, "jfsx: last operations (seed %" PRIu64 "):\n", f->seed);
	for (i = first; i <= f->n; i++) {
		const struct logent *e = &f->log[i % LOG_LEN];

		if (e->n != i)
			continue;
		fprintf(stderr, "  %8ld %-8s path%d a=%" PRIu64 " b=%" PRIu64 " c=%" PRIu64 "\n",
			e->n, op_names[e->op], e->path, e->a, e->b, e->c);
	}
}

static void die(struct fsx *f, const char *what)
{
	fprintf(stderr, "jfsx: op %ld: %s: %s\n", f->n, what, strerror(errno));
	dump_log(f);
	exit(2);
}

static int compare(struct fsx *f, const unsigned char *got, uint64_t off, uint64_t len,
		   const char *how)
{
	uint64_t i, shown = 0;

	if (!memcmp(got, f->model + off, len))
		return 0;
	fprintf(stderr, "jfsx: op %ld: %s of %" PRIu64 " bytes at %" PRIu64
		" differs from the model (file size %" PRIu64 "):\n", f->n, how, len, off,
		f->size);
	for (i = 0; i < len && shown < 16; i++) {
		if (got[i] == f->model[off + i])
			continue;
		fprintf(stderr, "  offset %" PRIu64 ": got 0x%02x, want 0x%02x\n",
			off + i, got[i], f->model[off + i]);
		shown++;
	}
	dump_log(f);
	exit(1);
}

static void set_size(struct fsx *f, uint64_t size)
{
	if (size > f->size)
		memset(f->model + f->size, 0, size - f->size);
	f->size = size;
}

static void fill(unsigned char *p, uint64_t len)
{
	uint64_t i, v = 0;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = rnd();
		p[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
}

static void do_open(struct fsx *f)
{
	f->fd = open(f->path[f->cur], O_RDWR);
	if (f->fd < 0)
		die(f, f->path[f->cur]);
}

/* the size the file system reports must be the model's */
static void check_size(struct fsx *f, const char *when)
{
	struct stat st;

	if (fstat(f->fd, &st))
		die(f, "fstat");
	if ((uint64_t)st.st_size == f->size)
		return;
	fprintf(stderr, "jfsx: op %ld: after %s the file size is %lld, want %" PRIu64 "\n",
		f->n, when, (long long)st.st_size, f->size);
	dump_log(f);
	exit(1);
}

static void op_write(struct fsx *f)
{
	uint64_t off = below(f->maxlen), len = 1 + below(f->maxop);

	if (off + len > f->maxlen)
		len = f->maxlen - off;
	log_op(f, OP_WRITE, off, len, f->size);
	fill(f->buf, len);
	if (pwrite(f->fd, f->buf, len, off) != (ssize_t)len)
		die(f, "pwrite");
	if (off + len > f->size)
		set_size(f, off + len);
	memcpy(f->model + off, f->buf, len);
}

static void op_read(struct fsx *f)
{
	uint64_t off, len;
	ssize_t got;

	if (!f->size)
		return;
	off = below(f->size);
	len = 1 + below(f->maxop);
	log_op(f, OP_READ, off, len, f->size);
	got = pread(f->fd, f->buf, len, off);
	if (got < 0)
		die(f, "pread");
	if (off + len > f->size)
		len = f->size - off;	/* a short read at EOF */
	if ((uint64_t)got != len) {
		fprintf(stderr, "jfsx: op %ld: read at %" PRIu64 " returned %zd bytes, want %"
			PRIu64 "\n", f->n, off, got, len);
		dump_log(f);
		exit(1);
	}
	compare(f, f->buf, off, len, "read");
}

static void op_trunc(struct fsx *f)
{
	uint64_t size = below(f->maxlen + 1);

	log_op(f, OP_TRUNC, size, 0, f->size);
	if (ftruncate(f->fd, size))
		die(f, "ftruncate");
	set_size(f, size);
	check_size(f, "truncate");
}

/* maps the pages covering [off, off+len); *delta is off's offset in it */
static unsigned char *map(struct fsx *f, uint64_t off, uint64_t len, int prot,
			  uint64_t *start, size_t *mlen)
{
	void *p;

	*start = off / f->page * f->page;
	*mlen = off + len - *start;
	p = mmap(NULL, *mlen, prot, MAP_SHARED, f->fd, *start);
	if (p == MAP_FAILED)
		die(f, "mmap");
	return p;
}

static void op_mapwrite(struct fsx *f)
{
	uint64_t off = below(f->maxlen), len = 1 + below(f->maxop), start;
	unsigned char *p;
	size_t mlen;

	if (off + len > f->maxlen)
		len = f->maxlen - off;
	log_op(f, OP_MAPWRITE, off, len, f->size);
	/* a mapping cannot extend a file: grow it first, as fsx does */
	if (off + len > f->size) {
		if (ftruncate(f->fd, off + len))
			die(f, "ftruncate (mapwrite)");
		set_size(f, off + len);
	}
	p = map(f, off, len, PROT_READ | PROT_WRITE, &start, &mlen);
	fill(f->model + off, len);
	memcpy(p + (off - start), f->model + off, len);
	if (msync(p, mlen, MS_SYNC))
		die(f, "msync");
	munmap(p, mlen);
}

static void op_mapread(struct fsx *f)
{
	uint64_t off, len, start;
	unsigned char *p;
	size_t mlen;

	if (!f->size)
		return;
	off = below(f->size);
	len = 1 + below(f->maxop);
	if (off + len > f->size)
		len = f->size - off;
	log_op(f, OP_MAPREAD, off, len, f->size);
	p = map(f, off, len, PROT_READ, &start, &mlen);
	compare(f, p + (off - start), off, len, "mapped read");
	munmap(p, mlen);
}

static void op_punch(struct fsx *f)
{
	uint64_t off, len;

	if (!f->size)
		return;
	off = below(f->size);
	len = 1 + below(f->maxop);
	log_op(f, OP_PUNCH, off, len, f->size);
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		die(f, "fallocate(PUNCH_HOLE)");
	if (off + len > f->size)
		len = f->size - off;
	memset(f->model + off, 0, len);
	check_size(f, "punch hole");
}

static void op_zero(struct fsx *f)
{
	uint64_t off = below(f->maxlen), len = 1 + below(f->maxop);
	bool keep = rnd() & 1;

	if (off + len > f->maxlen)
		len = f->maxlen - off;
	log_op(f, OP_ZERO, off, len, keep);
	if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE | (keep ? FALLOC_FL_KEEP_SIZE : 0), off, len))
		die(f, "fallocate(ZERO_RANGE)");
	if (!keep && off + len > f->size)
		set_size(f, off + len);
	if (off < f->size)
		memset(f->model + off, 0, (off + len > f->size ? f->size : off + len) - off);
	check_size(f, "zero range");
}

/* a source range inside the file and a destination not overlapping it */
static bool pick_ranges(struct fsx *f, uint64_t align, uint64_t *src, uint64_t *dst,
			uint64_t *len)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		*len = (1 + below(f->maxop)) / align * align;
		if (!*len || *len > f->size)
			continue;
		*src = below(f->size - *len + 1) / align * align;
		*dst = below(f->maxlen - *len + 1) / align * align;
		if (*src + *len <= *dst || *dst + *len <= *src)
			return true;
	}
	return false;
}

static void op_copy(struct fsx *f)
{
	uint64_t src, dst, len, done = 0;
	loff_t in, out;
	ssize_t n;

	if (!pick_ranges(f, 1, &src, &dst, &len))
		return;
	log_op(f, OP_COPY, src, dst, len);
	while (done < len) {
		in = src + done;
		out = dst + done;
		n = copy_file_range(f->fd, &in, f->fd, &out, len - done, 0);
		if (n < 0)
			die(f, "copy_file_range");
		if (n == 0)
			break;
		done += n;
	}
	if (done != len) {
		fprintf(stderr, "jfsx: op %ld: copy_file_range copied %" PRIu64 " of %" PRIu64
			" bytes\n", f->n, done, len);
		dump_log(f);
		exit(1);
	}
	if (dst + len > f->size)
		set_size(f, dst + len);
	memmove(f->model + dst, f->model + src, len);
	check_size(f, "copy_file_range");
}

static void op_clone(struct fsx *f)
{
	struct file_clone_range r;
	uint64_t src, dst, len;
	struct stat st;

	if (fstat(f->fd, &st))
		die(f, "fstat");
	if (!pick_ranges(f, st.st_blksize, &src, &dst, &len))
		return;
	/* only the last block of the source may be partial: its EOF */
	log_op(f, OP_CLONE, src, dst, len);
	r.src_fd = f->fd;
	r.src_offset = src;
	r.src_length = len;
	r.dest_offset = dst;
	if (ioctl(f->fd, FICLONERANGE, &r))
		die(f, "ioctl(FICLONERANGE)");
	if (dst + len > f->size)
		set_size(f, dst + len);
	memmove(f->model + dst, f->model + src, len);
	check_size(f, "clone range");
}

static void op_fsync(struct fsx *f)
{
	log_op(f, OP_FSYNC, 0, 0, f->size);
	if (fsync(f->fd))
		die(f, "fsync");
}

/* close, then open again: through the other mount when there are two */
static void op_reopen(struct fsx *f)
{
	log_op(f, OP_REOPEN, f->cur, (f->cur + 1) % f->npaths, f->size);
	if (close(f->fd))
		die(f, "close");
	f->cur = (f->cur + 1) % f->npaths;
	do_open(f);
	check_size(f, "reopen");
}

static void (*const op_fn[OP_COUNT])(struct fsx *) = {
	op_write, op_read, op_trunc, op_mapwrite, op_mapread, op_punch,
	op_zero, op_copy, op_clone, op_fsync, op_reopen,
};

static enum op pick(const struct fsx *f)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < OP_COUNT; i++)
		if (!f->off[i])
			total += op_weight[i];
	r = (unsigned int)below(total);
	for (i = 0; i < OP_COUNT; i++) {
		if (f->off[i])
			continue;
		if (r < op_weight[i])
			return i;
		r -= op_weight[i];
	}
	return OP_READ;
}

static int parse_off(struct fsx *f, char *list)
{
	char *tok, *save = NULL;
	int i;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < OP_COUNT && strcmp(tok, op_names[i]); i++)
			;
		if (i == OP_COUNT) {
			fprintf(stderr, "jfsx: unknown op '%s'\n", tok);
			return -1;
		}
		f->off[i] = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fsx f = { .maxlen = 6 << 20, .maxop = 256 << 10 };
	long nops = 10000, every = 0, i;
	int opt, fd;

	f.seed = (uint64_t)getpid();
	while ((opt = getopt(argc, argv, "N:S:l:o:x:P:")) != -1) {
		switch (opt) {
		case 'N':
			nops = atol(optarg);
			break;
		case 'S':
			f.seed = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			f.maxlen = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			f.maxop = strtoull(optarg, NULL, 0);
			break;
		case 'P':	/* progress line every N ops, for long runs */
			every = atol(optarg);
			break;
		case 'x':
			if (parse_off(&f, optarg))
				return 2;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc || argc - optind > 2 || nops <= 0 || !f.maxlen || !f.maxop)
		goto usage;
	f.npaths = argc - optind;
	f.path[0] = argv[optind];
	f.path[1] = f.npaths > 1 ? argv[optind + 1] : argv[optind];
	f.page = (size_t)sysconf(_SC_PAGESIZE);
	f.model = calloc(1, f.maxlen);
	f.buf = malloc(f.maxop);
	if (!f.model || !f.buf)
		return 2;
	rnd_state = f.seed;
	for (i = 0; i < LOG_LEN; i++)
		f.log[i].n = -1;	/* no op logged in this slot yet */

	fd = open(f.path[0], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || close(fd))
		die(&f, f.path[0]);
	do_open(&f);
	for (i = 0; i < nops; i++) {
		enum op op = pick(&f);

		f.n = i;
		op_fn[op](&f);
		f.done[op]++;
		if (every > 0 && (i + 1) % every == 0)
			fprintf(stderr, "jfsx: progress: %ld ops, 0 mismatches so far\n", i + 1);
	}
	/* a final full read through the other client, after close-to-open */
	op_reopen(&f);
	for (i = 0; (uint64_t)i < f.size; i += f.maxop) {
		uint64_t len = f.size - i < f.maxop ? f.size - i : f.maxop;

		if (pread(f.fd, f.buf, len, i) != (ssize_t)len)
			die(&f, "final pread");
		compare(&f, f.buf, i, len, "final read");
	}
	close(f.fd);
	printf("jfsx: %ld ops, 0 mismatches, seed %" PRIu64 ", %d path(s), final size %" PRIu64 ":",
	       nops, f.seed, f.npaths, f.size);
	for (i = 0; i < OP_COUNT; i++)
		if (!f.off[i])
			printf(" %s=%ld", op_names[i], f.done[i]);
	printf("\n");
	return 0;
usage:
	fprintf(stderr, "usage: jfsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-x op,...] [-P every] FILE [FILE2]\n");
	return 2;
}
