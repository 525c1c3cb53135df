/*
 * backup.c - JuiceFS's automatic metadata backup (pkg/vfs/backup.go), as
 * a read-write `juicefs mount --backup-meta` makes it.
 *
 * One round, volume_backup(): the root's xattr `lastBackup` (RFC 3339,
 * UTC) is the election shared by every client of the volume, jfs and
 * juicefs alike: whoever finds it at least one interval old (or absent)
 * writes the current time into it and makes the backup, so the others
 * see a fresh stamp and skip this interval.  The backup is the whole tree
 * dumped by volume_dump() (gzip, BestSpeed) into a temporary file, then
 * put as {Name}/meta/dump-YYYY-MM-DD-HHMMSS.json.gz (UTC) in the volume's
 * object store, which for juicefs is the bucket with the volume prefix
 * and nothing else (its block compression is not applied; encrypted
 * volumes, the only other wrapper, jfs refuses to open).  A volume of
 * 1M inodes or more is skipped when the interval is at most an hour.
 *
 * After a backup the old ones are thinned out (volume_backup_expired):
 * everything of the last 2 days stays, then one per day up to 2 weeks,
 * one per week up to about 2 months, one per month up to 2 years; older
 * ones go.  The caller (jfsd's backup thread) decides when a round runs:
 * juicefs looks every interval/10, +-5%.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "volume/volume.h"

#define LAST_BACKUP	"lastBackup"
#define NAME_LEN	30	/* strlen("dump-2006-01-02-150405.json.gz") */
#define TOO_MANY_INODES	1000000

/* ---- durations (juicefs utils.Duration) ----------------------------------- */

/* one "<number><unit>" of Go's time.ParseDuration, in seconds */
static int duration_term(const char **sp, double *secs)
{
	static const struct { const char *unit; double secs; } units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "ms", 1e-3 },
		{ "s", 1 }, { "m", 60 }, { "h", 3600 },
	};
	const char *s = *sp;
	char *end;
	double v;
	size_t i, n;

	if (!(*s >= '0' && *s <= '9') && *s != '.')
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].unit);
		/* "m" must not take the "m" of "ms" */
		if (!strncmp(end, units[i].unit, n) &&
		    !(n == 1 && end[0] == 'm' && end[1] == 's')) {
			*secs = v * units[i].secs;
			*sp = end + n;
			return 0;
		}
	}
	return -EINVAL;
}

int volume_parse_duration(const char *s, double *secs)
{
	const char *p = s, *d;
	double v = 0, t;
	char *end;

	if (!*s)
		return -EINVAL;
	/* a bare number is seconds */
	if ((*s >= '0' && *s <= '9') || *s == '.') {
		t = strtod(s, &end);
		if (end != s && !*end) {
			*secs = t;
			return isfinite(t) ? 0 : -EINVAL;
		}
	}
	/* "<days>d" may come first, then Go's syntax ("1d12h", "1h30m") */
	d = strchr(s, 'd');
	if (d) {
		if (d == s || !((*s >= '0' && *s <= '9') || *s == '.'))
			return -EINVAL;
		v = strtod(s, &end);
		if (end != d)
			return -EINVAL;
		v *= 86400;
		p = d + 1;
	}
	while (*p) {
		if (duration_term(&p, &t))
			return -EINVAL;
		v += t;
	}
	*secs = v;
	return isfinite(v) ? 0 : -EINVAL;
}

/* ---- the retention policy ------------------------------------------------- */

/* "dump-2006-01-02-150405.json.gz": the time of chars 5..21, as Go parses it */
static bool name_time(const char *name, time_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *s = name + 5;
	struct tm tm = { 0 };
	int i, year, mon, day, leap;

	for (i = 0; i < 17; i++) {
		if (i == 4 || i == 7 || i == 10) {
			if (s[i] != '-')
				return false;
		} else if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
#define NUM2(o) ((s[o] - '0') * 10 + s[(o) + 1] - '0')
	year = NUM2(0) * 100 + NUM2(2);
	mon = NUM2(5);
	day = NUM2(8);
	tm.tm_hour = NUM2(11);
	tm.tm_min = NUM2(13);
	tm.tm_sec = NUM2(15);
#undef NUM2
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 && !leap) || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 59)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	*t = timegm(&tm);
	return true;
}

static int by_name(const void *a, const void *b, void *names)
{
	char *const *n = names;

	return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/*
 * juicefs's rotate(): newest first, each backup falls in a bucket whose
 * lower edge steps back 1 day (to 14 days), then 7 (to 60), then 30; of a
 * bucket's backups only the oldest stays.  The first one past the 2-year
 * cutoff goes with every name sorting before it.
 */
size_t volume_backup_expired(char *const *names, size_t n, int64_t now, bool *del)
{
	struct tm tm;
	time_t cutoff, edge, ts, nowt = (time_t)now;
	size_t *idx, *within, nwithin = 0, ndel = 0, i, j;
	int days = 2;

	memset(del, 0, n * sizeof(*del));
	idx = malloc((n + 1) * sizeof(*idx));
	within = malloc((n + 1) * sizeof(*within));
	if (!idx || !within) {
		free(idx);
		free(within);
		return 0;	/* nothing deleted is the safe answer */
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), by_name, (void *)names);
	gmtime_r(&nowt, &tm);
	tm.tm_year -= 2;	/* Go's AddDate(-2, 0, 0): Feb 29 becomes Mar 1 */
	cutoff = timegm(&tm);
	edge = nowt - 2 * 86400;
	for (i = n; i-- > 0;) {
		const char *name = names[idx[i]];

		if (strlen(name) != NAME_LEN || !name_time(name, &ts))
			continue;
		if (ts < cutoff) {
			for (j = 0; j <= i; j++)
				del[idx[j]] = true;
			break;
		}
		if (ts < edge) {
			/* a new bucket: the one before keeps its oldest */
			for (j = 0; j + 1 < nwithin; j++)
				del[within[j]] = true;
			nwithin = 0;
			do {
				if (days < 14) {
					days++;
					edge -= 86400;
				} else if (days < 60) {
					days += 7;
					edge -= 7 * 86400;
				} else {
					days += 30;
					edge -= 30 * 86400;
				}
			} while (ts < edge);
			within[nwithin++] = idx[i];
		} else if (days > 2) {
			within[nwithin++] = idx[i];
		}
	}
	for (j = 0; j + 1 < nwithin; j++)
		del[within[j]] = true;
	for (i = 0; i < n; i++)
		ndel += del[i];
	free(idx);
	free(within);
	return ndel;
}

/* ---- one round ------------------------------------------------------------ */

/* "2006-01-02T15:04:05Z" or with an offset, as Go's time.Parse(RFC3339) takes it */
static int parse_rfc3339(const char *s, size_t len, int64_t *t)
{
	struct tm tm = { 0 };
	char buf[64], *end;
	int off = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.')	/* fractional seconds */
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end == 'Z' && !end[1]) {
		off = 0;
	} else if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':') {
		int h = atoi(end + 1), m = atoi(end + 4);

		off = (h * 3600 + m * 60) * (*end == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}

struct listing {
	char **names;
	size_t n, cap;
	size_t skip;		/* the prefix length */
};

static int collect(void *arg, const char *key, uint64_t size, int64_t mtime)
{
	struct listing *l = arg;
	char **nn;

	if (l->n == l->cap) {
		nn = realloc(l->names, (l->cap * 2 + 16) * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		l->names = nn;
		l->cap = l->cap * 2 + 16;
	}
	l->names[l->n] = strdup(key + l->skip);
	if (!l->names[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* The rotation over {Name}/meta/; a failure here leaves the backup made. */
static int rotate(struct volume *v, int64_t now, struct volume_backup_result *r)
{
	struct listing l = { 0 };
	char prefix[128], key[256];
	bool *del = NULL;
	size_t i;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s/meta/", v->setting.name);
	l.skip = strlen(prefix);
	ret = v->store->ops->list(v->store, prefix, collect, &l);
	if (ret == -ENOMEM)
		jfs_seterr("volume", "out of memory");
	if (!ret) {
		del = calloc(l.n + 1, sizeof(*del));
		if (!del)
			ret = jfs_fail("volume", -ENOMEM, "out of memory");
	}
	if (!ret)
		volume_backup_expired(l.names, l.n, now, del);
	for (i = 0; !ret && i < l.n; i++) {
		if (!del[i])
			continue;
		snprintf(key, sizeof(key), "%s%s", prefix, l.names[i]);
		ret = v->store->ops->delete(v->store, key);
		if (!ret)
			r->deleted++;
	}
	if (ret)
		snprintf(r->warning, sizeof(r->warning), "cleaning up old backups: %s",
			 jfs_errmsg());
	for (i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	free(del);
	return ret;
}

/* Puts the dump file under key; mapped, not read into the heap. */
static int upload(struct volume *v, const char *path, const char *key, uint64_t *size)
{
	struct stat st;
	void *p;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return jfs_fail("volume", ret, "backup: cannot read %s: %s", path,
				strerror(-ret));
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return jfs_fail("volume", -errno, "backup: cannot map %s: %s", path,
				strerror(errno));
	ret = v->store->ops->put(v->store, key, p, st.st_size);
	munmap(p, st.st_size);
	if (ret)
		return jfs_fail("volume", ret, "backup: cannot upload %s: %s", key,
				jfs_errmsg());
	*size = st.st_size;
	return 0;
}

int volume_backup(struct volume *v, int64_t now, int64_t interval,
		  const struct volume_dump_opts *o, struct volume_backup_result *r)
{
	char *value = NULL, stamp[32], dir[4096], path[4200], key[256];
	const char *tmp = getenv("TMPDIR");
	struct volume_dump_opts dopts = *o;
	uint64_t used, iused;
	int64_t last = 0;
	size_t vlen = 0;
	time_t t = (time_t)now;
	struct tm tm;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!v->store)
		return jfs_fail("volume", -EINVAL, "backup: the volume's object store is not open");
	ret = meta_getxattr(v->meta, META_ROOT_INO, LAST_BACKUP, strlen(LAST_BACKUP),
			    &value, &vlen);
	if (ret && ret != -ENODATA)
		return jfs_fail("volume", ret, "backup: cannot read xattr %s of the root: %s",
				LAST_BACKUP, jfs_errmsg());
	if (!ret && vlen) {
		ret = parse_rfc3339(value, vlen, &last);
		if (ret)
			jfs_seterr("volume", "backup: xattr %s of the root is not a time: '%.*s'",
				   LAST_BACKUP, (int)(vlen > 64 ? 64 : vlen), value);
	}
	free(value);
	if (ret && ret != -ENODATA)
		return ret;
	if (now - last < interval)
		return 0;	/* another client's (or our) backup of this interval */
	ret = meta_statfs(v->meta, &used, &iused);
	if (ret)
		return jfs_fail("volume", ret, "backup: cannot count the inodes: %s",
				jfs_errmsg());
	r->inodes = iused;
	if (interval <= 3600 && iused > TOO_MANY_INODES) {
		r->skipped = true;
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ret = meta_setxattr(v->meta, META_ROOT_INO, LAST_BACKUP, strlen(LAST_BACKUP),
			    stamp, strlen(stamp), 0);
	if (ret)
		return jfs_fail("volume", ret, "backup: cannot set xattr %s of the root: %s",
				LAST_BACKUP, jfs_errmsg());
	r->ran = true;
	strftime(r->name, sizeof(r->name), "dump-%Y-%m-%d-%H%M%S.json.gz", &tm);
	snprintf(dir, sizeof(dir), "%s/jfs-backup-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return jfs_fail("volume", -errno, "backup: cannot make a directory in %s: %s",
				tmp && *tmp ? tmp : "/tmp", strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, r->name);
	dopts.subdir = NULL;	/* always the whole tree */
	dopts.keep_secret = false;
	ret = volume_dump(v, path, &dopts);
	if (!ret) {
		snprintf(key, sizeof(key), "%s/meta/%s", v->setting.name, r->name);
		ret = upload(v, path, key, &r->size);
	}
	unlink(path);
	rmdir(dir);
	if (ret)
		return ret;
	r->done = true;
	rotate(v, now, r);
	return 0;
}
