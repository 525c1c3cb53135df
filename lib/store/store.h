/*
 * store.h - the object store interface of jfsd.
 *
 * Block objects are immutable: written once under a key, read (whole or
 * by range), deleted when their slice is freed.  Backends: "file" (a local
 * directory) and "s3" (S3 and compatible servers).  Keys are relative to
 * the volume prefix the caller passes in (JuiceFS: "{Name}/").
 *
 * Every function returns 0 or a negative errno; jfs_errmsg() carries the
 * detail of the calling thread's last failure (key, path or HTTP status).
 * Instances are safe to use from many threads at once.
 */
#ifndef JFS_STORE_H
#define JFS_STORE_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_ops {
	const char *name;	/* "file", "s3" */
	int (*open)(const char *bucket, const char *access_key,
		    const char *secret_key, struct store **sp);
	void (*close)(struct store *s);
	int (*create)(struct store *s);		/* make the bucket / directory */
	int (*put)(struct store *s, const char *key, const void *buf, size_t len);
	/*
	 * Reads [off, off+len) (len 0: to the end, and buf must hold the
	 * rest of the object); *got = bytes read, short past the end.
	 */
	int (*get)(struct store *s, const char *key, uint64_t off, size_t len,
		   void *buf, size_t *got);
	int (*head)(struct store *s, const char *key, uint64_t *size);
	int (*delete)(struct store *s, const char *key);	/* absent is success */
	/*
	 * Calls fn for each key under prefix, in any order, with its size and
	 * modification time (unix seconds, 0 if the store did not say); stops
	 * on non-zero.
	 */
	int (*list)(struct store *s, const char *prefix,
		    int (*fn)(void *arg, const char *key, uint64_t size, int64_t mtime), void *arg);
};

struct store {
	const struct store_ops *ops;
};

/* The backends, one per store_<name>.c; store_open() picks among them. */
extern const struct store_ops store_file_ops;
/* S3 and compatible servers; bucket URL forms and env in s3.c */
extern const struct store_ops store_s3_ops;

/* storage: "file" | "s3"; bucket: directory path or URL, as in `setting` */
int store_open(const char *storage, const char *bucket, const char *access_key,
	       const char *secret_key, struct store **sp);
void store_close(struct store *s);

#endif /* JFS_STORE_H */
