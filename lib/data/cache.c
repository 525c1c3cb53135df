/*
 * cache.c - the local block cache (see cache.h).
 *
 * A cache file of a block of blen bytes, n = ceil(blen / 32 KiB) pieces:
 *
 *	data[blen] | crc[n] | magic | blen | crc(crc[n] | magic | blen)
 *
 * all little-endian 32-bit words, crc32 from zlib.  Files are written to a
 * temporary name and renamed into place without fsync: after a crash a
 * file may hold anything, which the checksums catch.
 *
 * One mutex guards the index: a hash table of entries by key, and a list
 * of the entries on disk, most recently used first.  Space is reserved
 * under the lock before a file is written (the entry is "pending" until
 * renamed into place), so the files never add up to more than the limit.
 * Renames and unlinks of cache files happen under the lock too, so the
 * index and the directory always agree; reads and writes of data do not.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <zlib.h>

#include "data/cache.h"

#define PIECE		(32u << 10)
#define FOOTER		12u
#define MAGIC		0x3143464au	/* "JFC1" */
#define MIN_BUCKETS	1024

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU list; only entries on disk */
	uint64_t gen;		/* tells a re-cached key from the one we read */
	uint64_t size;		/* of the file */
	int64_t age;		/* last use in ns, while scanning only */
	bool ready;		/* on disk, else being written */
	bool dropped;		/* dropped while being written */
	char key[];
};

struct cache {
	pthread_mutex_t lock;
	char *raw;		/* "{root}/raw/" */
	uint64_t limit;
	uint64_t used;		/* files on disk + space reserved for pending */
	double free_ratio;	/* accessed atomically */
	struct entry **tab;
	size_t nbuckets, nentries;
	struct entry lru;	/* list head: next is the newest */
	uint64_t gen;
	struct cache_stats st;
};

static uint32_t pieces(uint32_t blen)
{
	return blen / PIECE + (blen % PIECE != 0);
}

uint64_t cache_file_size(uint32_t blen)
{
	return (uint64_t)blen + 4ull * pieces(blen) + FOOTER;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get_le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/*
 * Keys come from metadata we do not fully trust: relative, no empty
 * components, none starting with '.' (no "..", nor our temporary names).
 */
static int key_check(const char *key)
{
	const char *p = key;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || p[0] == '.')
			return -EINVAL;
		p += n;
		if (!*p)
			return 0;
		p++;
	}
}

static int key_path(struct cache *c, const char *key, char *path)
{
	int ret = key_check(key);

	if (ret)
		return ret;
	if (snprintf(path, PATH_MAX, "%s%s", c->raw, key) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the index; callers hold c->lock ---- */

static size_t bucket(struct cache *c, const char *key)
{
	return crc32(0, (const Bytef *)key, strlen(key)) & (c->nbuckets - 1);
}

static struct entry *tab_find(struct cache *c, const char *key)
{
	struct entry *e;

	for (e = c->tab[bucket(c, key)]; e; e = e->hnext)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

/* Doubles the table when it gets full; without memory, chains just grow. */
static void tab_grow(struct cache *c)
{
	size_t old = c->nbuckets, i;
	struct entry **otab = c->tab, *e, *next;

	c->tab = calloc(old * 2, sizeof(*c->tab));
	if (!c->tab) {
		c->tab = otab;
		return;
	}
	c->nbuckets = old * 2;
	for (i = 0; i < old; i++)
		for (e = otab[i]; e; e = next) {
			size_t b = bucket(c, e->key);

			next = e->hnext;
			e->hnext = c->tab[b];
			c->tab[b] = e;
		}
	free(otab);
}

static void tab_insert(struct cache *c, struct entry *e)
{
	size_t b;

	if (c->nentries >= c->nbuckets)
		tab_grow(c);
	b = bucket(c, e->key);
	e->hnext = c->tab[b];
	c->tab[b] = e;
	c->nentries++;
}

static void tab_remove(struct cache *c, struct entry *e)
{
	struct entry **pp;

	for (pp = &c->tab[bucket(c, e->key)]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			c->nentries--;
			return;
		}
}

static void lru_add(struct cache *c, struct entry *e)
{
	e->prev = &c->lru;
	e->next = c->lru.next;
	e->next->prev = e;
	c->lru.next = e;
}

static void lru_del(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static struct entry *entry_new(const char *key)
{
	size_t n = strlen(key) + 1;
	struct entry *e = calloc(1, sizeof(*e) + n);

	if (e)
		memcpy(e->key, key, n);
	return e;
}

/* Puts a written file into the index as the newest. */
static void entry_ready(struct cache *c, struct entry *e)
{
	e->ready = true;
	lru_add(c, e);
	c->st.blocks++;
	c->st.bytes += e->size;
}

/* Takes e out of the index and frees it; its file must be gone already. */
static void entry_forget(struct cache *c, struct entry *e)
{
	tab_remove(c, e);
	if (e->ready) {
		lru_del(e);
		c->st.blocks--;
		c->st.bytes -= e->size;
	}
	c->used -= e->size;
	free(e);
}

/*
 * Deletes a cached file and its entry.  Should the unlink fail, the entry
 * goes anyway: keeping it would let a bad file block eviction forever.
 */
static void entry_remove(struct cache *c, struct entry *e)
{
	char path[PATH_MAX];

	if (e->ready && !key_path(c, e->key, path))
		unlink(path);
	entry_forget(c, e);
}

/* Evicts the least recently used files until size more bytes fit. */
static bool make_room(struct cache *c, uint64_t size)
{
	while (c->used + size > c->limit && c->lru.prev != &c->lru) {
		entry_remove(c, c->lru.prev);
		c->st.evictions++;
	}
	return c->used + size <= c->limit;
}

/* ---- files ---- */

/* mkdir -p of the directory part of path (up to its last '/'). */
static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strrchr(path, '/') - path, i;

	memcpy(buf, path, len);
	buf[len] = '\0';
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Reads exactly len bytes at off; a short file is a damaged one. */
static int read_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EBADMSG;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The crc array and footer of block buf[0, blen); *tlen is their length. */
static unsigned char *make_trailer(const unsigned char *buf, uint32_t blen,
				   size_t *tlen)
{
	uint32_t n = pieces(blen), i;
	unsigned char *t;

	*tlen = 4ull * n + FOOTER;
	t = malloc(*tlen);
	if (!t)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t len = blen - i * PIECE < PIECE ? blen - i * PIECE : PIECE;

		put_le32(t + 4 * i, crc32(0, buf + (size_t)i * PIECE, len));
	}
	put_le32(t + 4 * n, MAGIC);
	put_le32(t + 4 * n + 4, blen);
	put_le32(t + 4 * n + 8, crc32(0, t, 4 * n + 8));
	return t;
}

/* Writes the cache file of a block under a temporary name next to path. */
static int write_temp(const char *path, const void *buf, uint32_t blen, char *tmp)
{
	const char *base = strrchr(path, '/') + 1;
	unsigned char *trailer;
	size_t tlen;
	int fd, ret;

	if (snprintf(tmp, PATH_MAX, "%.*s.%s.tmpXXXXXX", (int)(base - path), path,
		     base) >= PATH_MAX)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		ret = mkdir_parent(path);
		if (ret)
			return ret;
		memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	trailer = make_trailer(buf, blen, &tlen);
	ret = trailer ? write_all(fd, buf, blen) : -ENOMEM;
	if (!ret)
		ret = write_all(fd, trailer, tlen);
	free(trailer);
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Reads pieces first..last into dst and checks each against its crc. */
static int read_pieces(int fd, const unsigned char *crcs, uint32_t blen,
		       uint32_t first, uint32_t last, unsigned char *dst)
{
	uint64_t start = (uint64_t)first * PIECE;
	uint64_t end = (uint64_t)(last + 1) * PIECE;
	uint32_t p;
	int ret;

	if (end > blen)
		end = blen;
	ret = read_all(fd, dst, end - start, start);
	if (ret)
		return ret;
	for (p = first; p <= last; p++) {
		uint64_t ps = (uint64_t)p * PIECE;
		uint64_t pe = ps + PIECE < end ? ps + PIECE : end;

		if (crc32(0, dst + (ps - start), pe - ps) != get_le32(crcs + 4 * p))
			return -EBADMSG;
	}
	return 0;
}

/*
 * Copies [off, off+len) of a block, len > 0, checking every piece it
 * touches.  Pieces wanted whole go straight into buf; a piece wanted in
 * part (at either end) goes through a scratch buffer to be checked whole.
 */
static int read_range(int fd, const unsigned char *crcs, uint32_t blen,
		      uint32_t off, uint32_t len, unsigned char *buf)
{
	uint64_t end = (uint64_t)off + len;
	int64_t first = off / PIECE, last = (end - 1) / PIECE;
	unsigned char *scratch = NULL;
	uint64_t ps, pe;
	int ret = 0;

	ps = first * PIECE;
	pe = ps + PIECE < blen ? ps + PIECE : blen;
	if (ps < off || pe > end) {
		scratch = malloc(PIECE);
		if (!scratch)
			return -ENOMEM;
		ret = read_pieces(fd, crcs, blen, first, first, scratch);
		if (ret)
			goto out;
		memcpy(buf, scratch + (off - ps), (pe < end ? pe : end) - off);
		first++;
	}
	ps = last * PIECE;
	pe = ps + PIECE < blen ? ps + PIECE : blen;
	if (last >= first && pe > end) {
		if (!scratch && !(scratch = malloc(PIECE)))
			return -ENOMEM;
		ret = read_pieces(fd, crcs, blen, last, last, scratch);
		if (ret)
			goto out;
		memcpy(buf + (ps - off), scratch, end - ps);
		last--;
	}
	if (last >= first)
		ret = read_pieces(fd, crcs, blen, first, last,
				  buf + (first * PIECE - off));
out:
	free(scratch);
	return ret;
}

/*
 * Reads [off, off+len) of the cache file at path.  -EBADMSG: the file is
 * damaged (wrong size, bad footer or checksum).
 */
static int read_block(const char *path, uint32_t blen, uint32_t off,
		      uint32_t len, void *buf)
{
	uint32_t n = pieces(blen);
	size_t tlen = 4ull * n + FOOTER;
	unsigned char *t = NULL, *f;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	ret = -EBADMSG;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != cache_file_size(blen))
		goto out;
	t = malloc(tlen);
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_all(fd, t, tlen, blen);
	if (ret)
		goto out;
	f = t + 4 * n;
	if (get_le32(f) != MAGIC || get_le32(f + 4) != blen ||
	    get_le32(f + 8) != crc32(0, t, tlen - 4)) {
		ret = -EBADMSG;
		goto out;
	}
	if (len)
		ret = read_range(fd, t, blen, off, len, buf);
out:
	free(t);
	close(fd);
	return ret;
}

/* Whether the disk holding the cache has ratio of its space and inodes free. */
static int disk_has_room(struct cache *c)
{
	struct statvfs v;
	double ratio;

	__atomic_load(&c->free_ratio, &ratio, __ATOMIC_RELAXED);
	if (ratio <= 0)
		return 0;
	if (statvfs(c->raw, &v))
		return -errno;
	if (v.f_blocks && (double)v.f_bavail / v.f_blocks < ratio)
		return -ENOSPC;
	if (v.f_files && (double)v.f_favail / v.f_files < ratio)
		return -ENOSPC;
	return 0;
}

/* ---- the API ---- */

int cache_get(struct cache *c, const char *key, uint32_t blen, uint32_t off,
	      uint32_t len, void *buf)
{
	char path[PATH_MAX];
	struct entry *e;
	uint64_t gen;
	int ret;

	if (!c)
		return -ENOENT;
	ret = key_path(c, key, path);
	if (ret)
		return ret;
	if (off > blen || len > blen - off)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	e = tab_find(c, key);
	if (!e || !e->ready) {
		c->st.misses++;
		pthread_mutex_unlock(&c->lock);
		return -ENOENT;
	}
	lru_del(e);
	lru_add(c, e);
	gen = e->gen;
	pthread_mutex_unlock(&c->lock);

	ret = read_block(path, blen, off, len, buf);

	pthread_mutex_lock(&c->lock);
	if (!ret) {
		c->st.hits++;
		goto out;
	}
	c->st.misses++;
	if (ret == -EBADMSG)
		c->st.corrupt++;
	/* a damaged, unreadable or vanished file: forget it, unless re-cached */
	if (ret == -EBADMSG || ret == -EIO || ret == -ENOENT) {
		e = tab_find(c, key);
		if (e && e->gen == gen)
			entry_remove(c, e);
		ret = -ENOENT;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* Reserves the space of a new entry for key; 1: the key is there already. */
static int reserve(struct cache *c, struct entry *e)
{
	struct entry *old;
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	old = tab_find(c, e->key);
	/*
	 * A ready file of the wrong size (found torn when the index was
	 * rebuilt) is what cache_has() already calls a miss: replace it.
	 */
	if (old && old->ready && old->size != e->size) {
		entry_remove(c, old);
		c->st.corrupt++;
		old = NULL;
	}
	if (old)
		ret = 1;
	else if (!make_room(c, e->size))
		ret = -ENOSPC;
	if (!ret) {
		e->gen = ++c->gen;
		tab_insert(c, e);
		c->used += e->size;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * The checks and the reservation of a new file for key, whose path goes
 * to path.  *ep = NULL with 0: the key is cached (or being cached) already.
 */
static int entry_reserve(struct cache *c, const char *key, uint32_t blen, char *path,
			 struct entry **ep)
{
	struct entry *e;
	int ret;

	*ep = NULL;
	ret = key_path(c, key, path);
	if (ret)
		return ret;
	if (cache_file_size(blen) > c->limit)
		return -EFBIG;
	e = entry_new(key);
	if (!e)
		return -ENOMEM;
	e->size = cache_file_size(blen);
	ret = reserve(c, e);
	if (ret) {
		free(e);
		return ret > 0 ? 0 : ret;
	}
	*ep = e;
	return 0;
}

/*
 * Renames a written file (from) into place as e's and indexes it, unless
 * e was dropped meanwhile (-ECANCELED); on failure, from is still there.
 * Under the lock, so the index and the directory agree.
 */
static int entry_place(struct cache *c, struct entry *e, const char *from, const char *to)
{
	int ret = -ECANCELED;

	pthread_mutex_lock(&c->lock);
	if (!e->dropped) {
		ret = rename(from, to) ? -errno : 0;
		if (ret == -ENOENT && !mkdir_parent(to))
			ret = rename(from, to) ? -errno : 0;
	}
	if (!ret) {
		entry_ready(c, e);
		c->st.writes++;
	} else {
		entry_forget(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int cache_put(struct cache *c, const char *key, const void *buf, uint32_t blen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct entry *e = NULL;
	int ret;

	if (!c)
		return -ENODEV;
	ret = disk_has_room(c);
	if (!ret)
		ret = entry_reserve(c, key, blen, path, &e);
	if (ret || !e)
		return ret;

	ret = write_temp(path, buf, blen, tmp);
	if (ret) {
		pthread_mutex_lock(&c->lock);
		entry_forget(c, e);
		pthread_mutex_unlock(&c->lock);
		return ret;
	}
	ret = entry_place(c, e, tmp, path);
	if (ret)
		unlink(tmp);
	return ret == -ECANCELED ? 0 : ret;	/* dropped meanwhile: fine */
}

bool cache_has(struct cache *c, const char *key, uint32_t blen)
{
	struct entry *e;
	bool ret;

	if (!c || key_check(key))
		return false;
	pthread_mutex_lock(&c->lock);
	e = tab_find(c, key);
	ret = e && !e->dropped && e->size == cache_file_size(blen);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cache_drop(struct cache *c, const char *key)
{
	struct entry *e;

	if (!c || key_check(key))
		return;
	pthread_mutex_lock(&c->lock);
	e = tab_find(c, key);
	if (e && e->ready)
		entry_remove(c, e);
	else if (e)
		e->dropped = true;	/* its writer deletes it */
	pthread_mutex_unlock(&c->lock);
}

void cache_stats(struct cache *c, struct cache_stats *st)
{
	if (!c) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	pthread_mutex_unlock(&c->lock);
}

void cache_set_free_ratio(struct cache *c, double ratio)
{
	__atomic_store(&c->free_ratio, &ratio, __ATOMIC_RELAXED);
}

/* ---- the file format, for the staging area (stage.c) ---- */

int cache_file_write(const char *path, const void *buf, uint32_t blen)
{
	char tmp[PATH_MAX];
	int ret;

	if (!strrchr(path, '/'))
		return -EINVAL;
	ret = write_temp(path, buf, blen, tmp);
	if (!ret && rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
	}
	return ret;
}

int cache_file_read(const char *path, uint32_t blen, uint32_t off, uint32_t len,
		    void *buf)
{
	if (off > blen || len > blen - off)
		return -EINVAL;
	return read_block(path, blen, off, len, buf);
}

/*
 * A rename, so it costs no copy; the space is accounted and made room for
 * as a put's.  Not taken (the file stays): a key cached already, no room,
 * or dropped meanwhile.
 */
int cache_adopt(struct cache *c, const char *key, const char *path, uint32_t blen)
{
	char dst[PATH_MAX];
	struct entry *e;
	int ret;

	if (!c)
		return -ENODEV;
	ret = entry_reserve(c, key, blen, dst, &e);
	if (ret || !e)
		return ret ? ret : -EEXIST;
	return entry_place(c, e, path, dst);
}

/* ---- opening: index what an earlier run left ---- */

struct scan {
	struct cache *c;
	struct entry **v;
	size_t n, cap;
};

static int scan_add(struct scan *s, const char *key, const struct stat *st)
{
	int64_t at = st->st_atim.tv_sec * 1000000000ll + st->st_atim.tv_nsec;
	int64_t mt = st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	struct entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct entry **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = entry_new(key);
	if (!e)
		return -ENOMEM;
	e->size = st->st_size;
	e->age = at > mt ? at : mt;
	s->v[s->n++] = e;
	return 0;
}

/*
 * Indexes the files under directory path (ending in '/', in a PATH_MAX
 * buffer).  Temporary files of puts cut short are deleted; so are files
 * too short to be a block, as a read would delete them anyway.
 */
static int scan_dir(struct scan *s, char *path)
{
	size_t len = strlen(path), rawlen = strlen(s->c->raw);
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret) {
		struct stat st;
		size_t n;

		errno = 0;
		de = readdir(d);
		if (!de) {
			ret = -errno;
			break;
		}
		n = strlen(de->d_name);
		if (de->d_name[0] == '.') {
			if (strstr(de->d_name, ".tmp"))
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (len + n + 2 > PATH_MAX)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		memcpy(path + len, de->d_name, n + 1);
		if (S_ISDIR(st.st_mode)) {
			memcpy(path + len + n, "/", 2);
			ret = scan_dir(s, path);
		} else if (S_ISREG(st.st_mode) && st.st_size < FOOTER) {
			unlinkat(dirfd(d), de->d_name, 0);
		} else if (S_ISREG(st.st_mode)) {
			ret = scan_add(s, path + rawlen, &st);
		}
		path[len] = '\0';
	}
	closedir(d);
	return ret;
}

static int by_age(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return (x->age > y->age) - (x->age < y->age);
}

/* Indexes the files on disk, oldest first so the newest end up in front. */
static int scan(struct cache *c)
{
	struct scan s = { c, NULL, 0, 0 };
	char path[PATH_MAX];
	size_t i;
	int ret;

	snprintf(path, sizeof(path), "%s", c->raw);
	ret = scan_dir(&s, path);
	if (!ret && s.n)
		qsort(s.v, s.n, sizeof(*s.v), by_age);
	for (i = 0; i < s.n; i++) {
		if (ret) {
			free(s.v[i]);
			continue;
		}
		s.v[i]->gen = ++c->gen;
		tab_insert(c, s.v[i]);
		c->used += s.v[i]->size;
		entry_ready(c, s.v[i]);
	}
	free(s.v);
	if (!ret)
		make_room(c, 0);
	return ret;
}

int cache_open(const char *root, uint64_t limit_bytes, struct cache **cp)
{
	struct cache *c;
	int ret;

	*cp = NULL;
	if (!root || !*root)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->limit = limit_bytes;
	c->free_ratio = CACHE_FREE_RATIO;
	c->lru.next = c->lru.prev = &c->lru;
	c->nbuckets = MIN_BUCKETS;
	c->tab = calloc(c->nbuckets, sizeof(*c->tab));
	if (!c->tab || asprintf(&c->raw, "%s/raw/", root) < 0) {
		c->raw = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (strlen(c->raw) >= PATH_MAX) {
		ret = -ENAMETOOLONG;
		goto fail;
	}
	ret = mkdir_parent(c->raw);
	if (!ret)
		ret = scan(c);
	if (ret)
		goto fail;
	*cp = c;
	return 0;
fail:
	cache_close(c);
	return ret;
}

void cache_close(struct cache *c)
{
	struct entry *e, *next;
	size_t i;

	if (!c)
		return;
	for (i = 0; c->tab && i < c->nbuckets; i++)
		for (e = c->tab[i]; e; e = next) {
			next = e->hnext;
			free(e);
		}
	free(c->tab);
	free(c->raw);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
