/*
 * file.c - the "file" object store: a local directory, laid out as
 * JuiceFS's own `file` storage does (pkg/object/file.go), so a volume
 * formatted by either client is readable by the other.
 *
 * The bucket is a path.  When it ends in '/', it is a directory and key K
 * lives at bucket + K ("/var/lib/jfs/" + "myjfs/chunks/0/0/1_0_6"); otherwise
 * the bucket is a file-name prefix ("/data/pre" + K).  Missing parent
 * directories are made on put.
 *
 * A put writes a hidden temporary file next to the object, fsyncs it and
 * renames it into place, so readers see either no object or a whole one.
 *
 * Dirs are made 0700 and objects 0600 whatever the umask (JuiceFS uses
 * 0777/0666 less the umask): objects hold every file's data, readable
 * through the store whatever the file's own mode, so only the store's
 * owner (jfsd, or a juicefs client run as root or as that user) may read
 * them.  Existing dirs and objects keep their modes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "store/store.h"

struct file_store {
	struct store base;
	char *root;		/* the bucket, as given */
	size_t rootlen;
};

static struct file_store *to_file(struct store *s)
{
	return (struct file_store *)s;
}

/* The one place where a system call failure becomes errno + message. */
static int fail(int err, const char *what, const char *path)
{
	jfs_seterr("store", "file store: %s '%s': %s", what, path, strerror(err));
	return -err;
}

/*
 * Keys are relative and must stay inside the bucket: no leading '/', no
 * "." or ".." component.
 */
static int key_path(struct file_store *fs, const char *key, char *path)
{
	const char *p = key;

	if (*key == '/')
		goto bad;
	while (*p) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			goto bad;
		p += n;
		if (*p == '/')
			p++;
	}
	if (snprintf(path, PATH_MAX, "%s%s", fs->root, key) >= PATH_MAX) {
		jfs_seterr("store", "file store: path of object '%s' is too long", key);
		return -ENAMETOOLONG;
	}
	return 0;
bad:
	jfs_seterr("store", "file store: invalid object key '%s'", key);
	return -EINVAL;
}

/* mkdir -p of the first len bytes of path. */
static int mkdir_p(const char *path, size_t len)
{
	char buf[PATH_MAX];
	size_t i;

	if (len >= sizeof(buf))
		return fail(ENAMETOOLONG, "cannot create directory", path);
	memcpy(buf, path, len);
	buf[len] = '\0';
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return fail(errno, "cannot create directory", buf);
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* A renamed entry is durable only once its directory is synced. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return fail(errno, "cannot open directory", dir);
	if (fsync(fd))
		ret = fail(errno, "cannot sync directory", dir);
	close(fd);
	return ret;
}

/* JuiceFS's own temporary names look the same: ".{name}.tmp{random}". */
static bool is_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp") != NULL;
}

static int file_open(const char *bucket, const char *access_key,
		     const char *secret_key, struct store **sp)
{
	struct file_store *fs;

	*sp = NULL;
	if (!bucket || bucket[0] != '/') {
		jfs_seterr("store", "file store: bucket '%s' is not an absolute path",
				 bucket ? bucket : "");
		return -EINVAL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->root = strdup(bucket))) {
		free(fs);
		jfs_seterr("store", "file store: out of memory");
		return -ENOMEM;
	}
	fs->base.ops = &store_file_ops;
	fs->rootlen = strlen(bucket);
	*sp = &fs->base;
	return 0;
}

static void file_close(struct store *s)
{
	struct file_store *fs = to_file(s);

	free(fs->root);
	free(fs);
}

static int file_create(struct store *s)
{
	struct file_store *fs = to_file(s);
	const char *slash = strrchr(fs->root, '/');

	/* a prefix bucket "/data/pre" needs only its directory "/data/" */
	return mkdir_p(fs->root, slash - fs->root + 1);
}

static int file_put(struct store *s, const char *key, const void *buf, size_t len)
{
	struct file_store *fs = to_file(s);
	char path[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	unsigned char rnd[8];
	const char *base;
	size_t dirlen;
	int fd, ret;

	ret = key_path(fs, key, path);
	if (ret)
		return ret;
	base = strrchr(path, '/') + 1;
	dirlen = base - path;
	if (!*base) {
		jfs_seterr("store", "file store: object key '%s' names a directory", key);
		return -EISDIR;
	}
	memcpy(dir, path, dirlen);
	dir[dirlen] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		jfs_seterr("store", "file store: no random bytes for a temporary name");
		return -EIO;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.%.200s.tmp%02x%02x%02x%02x%02x%02x%02x%02x",
		     dir, base, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		     rnd[6], rnd[7]) >= (int)sizeof(tmp))
		return fail(ENAMETOOLONG, "cannot create", path);

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		ret = mkdir_p(dir, dirlen);
		if (ret)
			return ret;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return fail(errno, "cannot create", tmp);
	ret = write_all(fd, buf, len);
	if (ret) {
		ret = fail(-ret, "cannot write", tmp);
		goto out;
	}
	if (fsync(fd)) {
		ret = fail(errno, "cannot sync", tmp);
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		ret = fail(errno, "cannot close", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		ret = fail(errno, "cannot rename into place", path);
		goto out;
	}
	return sync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

static int file_get(struct store *s, const char *key, uint64_t off, size_t len,
		    void *buf, size_t *got)
{
	struct file_store *fs = to_file(s);
	char path[PATH_MAX];
	struct stat st;
	size_t done = 0;
	int fd, ret;

	*got = 0;
	ret = key_path(fs, key, path);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "cannot open object", path);
	if (fstat(fd, &st)) {
		ret = fail(errno, "cannot stat object", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(EISDIR, "not an object", path);
		goto out;
	}
	if (off >= (uint64_t)st.st_size)
		goto out;
	if (!len)
		len = st.st_size - off;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = fail(errno, "cannot read object", path);
			goto out;
		}
		if (n == 0)
			break;
		done += n;
	}
	*got = done;
out:
	close(fd);
	return ret;
}

static int file_head(struct store *s, const char *key, uint64_t *size)
{
	struct file_store *fs = to_file(s);
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = key_path(fs, key, path);
	if (ret)
		return ret;
	if (stat(path, &st))
		return fail(errno, "cannot stat object", path);
	if (!S_ISREG(st.st_mode))
		return fail(EISDIR, "not an object", path);
	*size = st.st_size;
	return 0;
}

static int file_delete(struct store *s, const char *key)
{
	struct file_store *fs = to_file(s);
	char path[PATH_MAX];
	int ret;

	ret = key_path(fs, key, path);
	if (ret)
		return ret;
	if (unlink(path) && errno != ENOENT)
		return fail(errno, "cannot delete object", path);
	return 0;
}

struct walk {
	struct file_store *fs;
	const char *want;	/* root + prefix: every listed path starts so */
	size_t wantlen;
	int (*fn)(void *arg, const char *key, uint64_t size, int64_t mtime);
	void *arg;
};

/* Lists the files under directory `path` (ending in '/', in a PATH_MAX buffer). */
static int walk_dir(struct walk *w, char *path)
{
	size_t len = strlen(path);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : fail(errno, "cannot list directory", path);
	while (!ret) {
		struct stat st;
		size_t n, cmp;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				ret = fail(errno, "cannot list directory", path);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    is_temp_name(de->d_name))
			continue;
		n = strlen(de->d_name);
		if (len + n + 2 > PATH_MAX) {
			ret = fail(ENAMETOOLONG, "cannot list", path);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)	/* deleted while we walk */
				continue;
			ret = fail(errno, "cannot stat", de->d_name);
			break;
		}
		memcpy(path + len, de->d_name, n + 1);
		if (S_ISDIR(st.st_mode)) {
			path[len + n] = '/';
			path[len + n + 1] = '\0';
			/* descend only where keys with the prefix can be */
			cmp = len + n + 1 < w->wantlen ? len + n + 1 : w->wantlen;
			if (!strncmp(path, w->want, cmp))
				ret = walk_dir(w, path);
		} else if (S_ISREG(st.st_mode) &&
			   !strncmp(path, w->want, w->wantlen)) {
			ret = w->fn(w->arg, path + w->fs->rootlen, st.st_size,
				    (int64_t)st.st_mtime);
		}
		path[len] = '\0';
	}
	closedir(d);
	return ret;
}

static int file_list(struct store *s, const char *prefix,
		     int (*fn)(void *arg, const char *key, uint64_t size, int64_t mtime), void *arg)
{
	struct file_store *fs = to_file(s);
	char want[PATH_MAX], path[PATH_MAX];
	struct walk w = { fs, want, 0, fn, arg };
	const char *slash;

	if (snprintf(want, sizeof(want), "%s%s", fs->root, prefix) >= (int)sizeof(want))
		return fail(ENAMETOOLONG, "cannot list", prefix);
	w.wantlen = strlen(want);
	/* start at the deepest directory every match lives under */
	slash = strrchr(want, '/');
	memcpy(path, want, slash - want + 1);
	path[slash - want + 1] = '\0';
	return walk_dir(&w, path);
}

const struct store_ops store_file_ops = {
	.name = "file",
	.open = file_open,
	.close = file_close,
	.create = file_create,
	.put = file_put,
	.get = file_get,
	.head = file_head,
	.delete = file_delete,
	.list = file_list,
};
