/*
 * jfsd.h - private header of the jfsd daemon files (jfsd.c, chan.c,
 * dispatch.c, ops.c, mount.c).
 *
 * All process state lives in struct jfsd, passed explicitly.  One volume
 * context (struct vol) exists per kernel mount, found by the mount id the
 * kernel puts in every request header.
 */
#ifndef JFS_JFSD_H
#define JFS_JFSD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/jfs.h"
#include "data/chunk.h"
#include "meta/meta.h"
#include "volume/volume.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Kernel channel; behind ops so tests can drive jfsd over a socketpair. */
struct chan_ops {
	int (*recv)(void *ctx, void *buf, size_t len);		/* bytes or -errno */
	int (*send)(void *ctx, const void *buf, size_t len);	/* 0 or -errno */
};

struct chan {
	const struct chan_ops *ops;
	void *ctx;
};

struct handle {
	uint64_t ino;
	bool dir;
	unsigned int refs;		/* table + ops using it; vol.lock */
	pthread_mutex_t lock;		/* serialises ops on one handle */
	bool loaded;			/* dir snapshot taken */
	struct meta_dirent *ents;	/* readdir snapshot (dirs) */
	size_t nents;
};

struct open_count {
	uint64_t ino;
	unsigned int n;
	/* an unlink or rename here found it open: it may be sustained */
	bool unlinked;
};

struct vol {
	struct vol *next;
	uint64_t mount_id;
	unsigned int refs;		/* guarded by jfsd.vols_lock */
	bool dying;			/* unmounted; freed at refs == 0 */
	bool rdonly;
	bool notify;		/* -o active-invalidation: engine changes to the kernel */
	bool watching;		/* ... meta_watch running */
	struct chan *chan;	/* where the notifications go */
	bool quota_warned;	/* a dir quota appeared while read-write */
	struct volume *volume;		/* engine, setting, store */
	struct meta *meta;		/* = volume->meta */
	const struct setting *setting;	/* = &volume->setting */
	struct chunk_ctx chunk;
	bool chunk_started;
	struct cache *cache;		/* NULL: --cache-size 0 */
	struct stage *stage;		/* writeback staging; NULL: none */
	bool writeback;			/* -o writeback (or jfsd --writeback) */
	int64_t upload_delay;		/* -o upload-delay (or jfsd's), seconds */
	/* where recent reads ended, to tell sequential readers; lock */
	struct { uint64_t ino, end; } reads[16];
	unsigned int next_read;

	pthread_mutex_t lock;		/* guards handles and opens below */
	struct handle **handles;	/* fh = index + 1 */
	size_t nhandles;
	struct open_count *opens;
	size_t nopens;

	pthread_t heartbeat;		/* also flushes dir stats, runs the jobs */
	unsigned int bg_secs;
	bool hb_running;
	pthread_mutex_t hb_lock;
	pthread_cond_t hb_cond;
	bool hb_stop;

	pthread_t backup;		/* JuiceFS's --backup-meta, read-write only */
	int64_t backup_secs;		/* 0: none */
	bool bk_running;
	atomic_bool bk_stop;		/* also cancels a dump under way */
	pthread_mutex_t bk_lock;
	pthread_cond_t bk_cond;
};

/* Data-path settings from the command line, the same for every mount. */
struct jfsd_conf {
	const char *cache_dir;		/* blocks go to {cache_dir}/{UUID}/raw */
	uint64_t cache_size;		/* bytes; 0 disables the cache */
	unsigned int max_uploads;	/* parallel block uploads per mount */
	unsigned int prefetch;		/* blocks read ahead of sequential readers */
	bool cache_large_write;		/* cache full blocks after uploading */
	unsigned int bg_secs;		/* period of the cleanup jobs; 0: none */
	int64_t backup_secs;		/* metadata backup interval; 0: none */
	unsigned int meta_retry_secs;	/* how long to ride out a metadata outage */
	bool writeback;			/* mounts stage their writes (JuiceFS --writeback) */
	int64_t upload_delay;		/* staged blocks wait this long (seconds) */
};

struct jfsd {
	struct chan chan;
	struct jfsd_conf conf;
	int nworkers;
	atomic_bool stop;
	pthread_mutex_t vols_lock;
	struct vol *vols;
};

/* A reply being built: header + payload in one buffer of JFS_MSG_MAX. */
struct reply {
	unsigned char *buf;
	size_t len;			/* payload bytes so far */
	size_t max;			/* payload room */
};

static inline void *reply_payload(struct reply *r)
{
	return r->buf + sizeof(struct jfs_out_hdr);
}

/* dispatch.c */
int dispatch(struct jfsd *d, const unsigned char *msg, size_t len,
	     struct reply *r);
void *worker_main(void *arg);

/* chan.c */
int dev_open(const char *path, struct chan *c);
void dev_close(struct chan *c);

/* mount.c */
int vol_mount(struct jfsd *d, uint64_t mount_id, const char *url, bool rdonly,
	      const char *opts, size_t opts_len, struct vol **vp, char *err,
	      size_t errlen);
int vol_parse_backup(const char *s, int64_t *secs, char *err, size_t errlen);
int vol_parse_upload_delay(const char *s, int64_t *secs, char *err, size_t errlen);
void vol_umount(struct jfsd *d, struct vol *v);
struct vol *vol_get(struct jfsd *d, uint64_t mount_id);
void vol_put(struct jfsd *d, struct vol *v);
void vol_close_all(struct jfsd *d);
int vol_handle_new(struct vol *v, uint64_t ino, bool dir, uint64_t length,
		   uint64_t *fh);
struct handle *vol_handle_get(struct vol *v, uint64_t fh);
void vol_handle_put(struct vol *v, struct handle *h);
int vol_handle_release(struct vol *v, uint64_t fh, uint64_t *ino,
		       bool *sustained);

/* ops.c: one handler per opcode */
typedef int (*op_fn)(struct vol *v, const struct jfs_in_hdr *in,
		     const unsigned char *args, size_t alen, struct reply *r);

int op_statfs(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_lookup(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_getattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_setattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_mknod(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_create(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_symlink(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_link(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_unlink(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_rmdir(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_rename(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_readlink(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_open(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_release(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_readdir(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_read(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_write(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_flush(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_getxattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_setxattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_listxattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_removexattr(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_getlk(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_setlk(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_flock(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_fallocate(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);
int op_copy_range(struct vol *, const struct jfs_in_hdr *, const unsigned char *, size_t, struct reply *);

/* ops.c helpers shared with mount.c */
void attr_to_wire(uint64_t ino, const struct meta_attr *a, struct jfs_attr *w);

#endif /* JFS_JFSD_H */
