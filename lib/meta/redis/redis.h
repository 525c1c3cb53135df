/*
 * redis.h - the private header of the Redis metadata engine: a JuiceFS
 * volume's metadata in standalone Redis, with exactly JuiceFS's key schema
 * and binary values so the `juicefs` client can share the volume.
 *
 * DESIGN
 *
 * Connections.  hiredis contexts are not thread-safe, so an engine keeps a
 * pool of connections guarded by 'pool_lock'; an operation takes one for
 * its whole duration and gives it back, so a context is only ever used by
 * one thread at a time.  A context whose 'err' is set is dead (hiredis
 * errors are sticky).
 *
 * Faults.  A dead connection, a refused connect or a reply that says "try
 * later" (LOADING after a restart, BUSY, MASTERDOWN, TRYAGAIN, too many
 * clients) is not an error yet: the operation reconnects and runs again,
 * at once the first time, then after 10 ms doubling to 1 s, until
 * base.retry_secs have passed since the first failure (jfsd --meta-retry,
 * 5 minutes by default); only then does the last error reach the caller.
 * Opening the engine does not retry: a wrong URL fails at once.
 *
 * Commit markers.  A connection lost after EXEC was sent and before its
 * reply came leaves the transaction in doubt: it may have committed, and
 * running it again would push a slice twice or answer EEXIST to a create
 * that succeeded.  So every EXEC also sets the connection's marker key
 * "jfs-commit:{token}" to the connection's EXEC count (token: 16 random
 * bytes, one key per connection, expiring after base.retry_secs + 60 s
 * idle, deleted when the engine is closed).  Marker and effects commit
 * atomically, so after reconnecting the marker tells which happened: our
 * count means committed (the body goes on with no EXEC reply), anything
 * else means nothing was applied (the body runs again, as after a
 * conflict).  If the server stays away past
 * the retry time the answer cannot be known: EIO, with a message saying
 * so.  JuiceFS ignores keys it does not know, so the volume stays its.
 *
 * Transactions.  Every change is an optimistic transaction as in JuiceFS's
 * redisMeta.txn: WATCH the keys, read, then MULTI ... EXEC.  A nil EXEC
 * means another client changed a watched key: the whole read-modify-write
 * is run again, up to 50 times with a random quadratic backoff.  Within one
 * engine, transactions on the same first key are serialised on one of 1024
 * local mutexes (as JuiceFS does), so only other clients cause conflicts.
 * The commands between MULTI and EXEC are pipelined: one round trip.
 *
 * Ids.  Inode numbers and slice ids come from batches reserved with INCRBY
 * on 'nextinode' (1024) and 'nextchunk' (4096), handed out under 'id_lock'.
 *
 * Every command goes through redisCommandArgv/redisAppendCommandArgv with
 * explicit lengths: names are arbitrary bytes.
 *
 * Files (the same names in every engine): conn.c, volume.c, ns.c, data.c,
 * ext.c, dump.c, check.c; and track.c (CLIENT TRACKING, for meta_watch).
 * Only they include this header.
 */
#ifndef JFS_META_REDIS_H
#define JFS_META_REDIS_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "meta/engine.h"
#include "util/acl.h"
#include "util/plock.h"

/* ---- types --------------------------------------------------------- */

#define RM_DEFAULT_PORT		6379
#define RM_CONNECT_TIMEOUT	5	/* seconds */
#define RM_COMMAND_TIMEOUT	30	/* seconds, JuiceFS read-timeout */
#define RM_TXN_RETRIES		50
#define RM_BACKOFF_MIN_MS	10	/* reconnect backoff, doubling ... */
#define RM_BACKOFF_MAX_MS	1000	/* ... up to this */
#define RM_MARKER		"jfs-commit:"	/* + the connection's token */
#define RM_TXN_LOCKS		1024
#define RM_INODE_BATCH		1024
#define RM_SLICE_BATCH		4096
#define RM_SESSION_TTL		60	/* 5 x the 12 s heartbeat */
#define RM_BATCH		1000	/* HSCAN COUNT, MGET and LLEN batches */
#define RM_ARGS			8
#define RM_ARGLEN		48

/* the retry clock of one operation (conn.c) */
struct rm_retry {
	int64_t since_ms;	/* first failure, monotonic; 0: none yet */
	unsigned int delay_ms;	/* the next wait */
};

struct rconn {
	redisContext *c;	/* NULL or dead (err set): reconnect */
	bool unsent;		/* appended commands not yet sent (meta_io) */
	bool watching;		/* WATCH sent, no EXEC yet */
	bool transient;		/* the last error reply said: try later */
	int queued;		/* commands queued after MULTI */
	char token[33];		/* names this connection's commit marker */
	uint64_t execs;		/* EXECs sent: the marker's value */
	struct rm_retry *retry;	/* the running operation's clock */
	struct rconn *next;	/* in the pool */
};

struct rmeta {
	struct meta base;
	char *host;			/* NULL for a unix socket */
	int port;
	char *path;			/* unix socket path */
	char *user;
	char *pass;
	int db;
	char addr[300];			/* "host:port" or the socket path */

	pthread_mutex_t pool_lock;	/* guards pool */
	struct rconn *pool;

	pthread_mutex_t id_lock;	/* guards the four id fields */
	uint64_t ino_next, ino_max;
	uint64_t slice_next, slice_max;

	pthread_mutex_t txn_locks[RM_TXN_LOCKS];

	atomic_bool no_scripts;		/* the server refused EVALSHA: two steps */
	struct rm_watcher *watcher;	/* meta_watch's thread (track.c) */
	atomic_bool down;		/* an outage is being retried (logged once) */

	/* ACL rules by id, as JuiceFS's aclCache: rules never change */
	pthread_mutex_t acl_lock;
	struct rm_acl { uint32_t id; unsigned char *buf; size_t len; } *acls;
	size_t nacls, capacls;
};

/* One command: argv with lengths; small arguments are formatted in 'buf'. */
struct cmd {
	int argc;
	const char *argv[RM_ARGS];
	size_t len[RM_ARGS];
	char buf[RM_ARGS][RM_ARGLEN];
};

typedef int (*rm_body)(struct rmeta *m, struct rconn *rc, void *arg);

/* the engine's ops table (conn.c), listed by the front */
extern const struct meta_ops meta_redis_ops;

/* ---- conn.c ---- */
/* one plain command whose reply the caller reads (and frees) */
struct call_arg {
	struct cmd c;
	redisReply *r;
};

void rm_cmd_bin(struct cmd *c, const void *p, size_t n);
void rm_cmd_str(struct cmd *c, const char *s);
void rm_cmd_init(struct cmd *c, const char *name);
void rm_cmd_fmt(struct cmd *c, const char *fmt, ...);
int rm_error(struct rmeta *m, struct rconn *rc, const redisReply *r,
	     const struct cmd *c);
int rm_bad_value(struct rmeta *m, const char *key, size_t len);
/* (re)connects rc: AUTH and SELECT done */
int rm_connect(struct rmeta *m, struct rconn *rc);
/*
 * hiredis, counted for meta_io: a command per append, a round trip per
 * wait for a reply with commands not yet sent.
 */
int rm_append(struct rconn *rc, int argc, const char **argv, const size_t *len);
int rm_get_reply(struct rconn *rc, redisReply **r);
redisReply *rm_command(struct rconn *rc, int argc, const char **argv, const size_t *len);
/* sends c[0..n) in one round trip; r[i] their replies (the caller frees) */
int rm_pipe(struct rmeta *m, struct rconn *rc, struct cmd *c, int n, redisReply **r);
int rm_call(struct rmeta *m, struct rconn *rc, struct cmd *c,
	    redisReply **rp);
int rm_call_string(struct rmeta *m, struct rconn *rc, struct cmd *c, redisReply **rp);
int rm_do(struct rmeta *m, struct rconn *rc, struct cmd *c);
int rm_watch(struct rmeta *m, struct rconn *rc, struct cmd *c);
void rm_tx_multi(struct rconn *rc);
void rm_tx_add(struct rconn *rc, struct cmd *c);
int rm_tx_exec(struct rmeta *m, struct rconn *rc, redisReply **out);
int rm_run(struct rmeta *m, const char *lockkey, rm_body body, void *arg);
int rm_run_on_ino(struct rmeta *m, uint64_t ino, rm_body body, void *arg);
int rm_entry_decode(const char *p, size_t len, uint8_t *type, uint64_t *ino);
int64_t rm_reply_int(const redisReply *r);
int rm_get_attr(struct rmeta *m, struct rconn *rc, uint64_t ino,
		struct meta_attr *a);
int rm_get_attr_hint(struct rmeta *m, struct rconn *rc, uint64_t ino,
		     struct meta_attr *a);
int rm_get_entry(struct rmeta *m, struct rconn *rc, uint64_t parent,
		 const char *name, size_t len, uint8_t *type, uint64_t *ino);
int rm_get_dir(struct rmeta *m, struct rconn *rc, uint64_t ino,
	       struct meta_attr *a);
int rm_watch_call(struct rmeta *m, struct rconn *rc, struct cmd *c, redisReply **r);
int rm_watch_hget(struct rmeta *m, struct rconn *rc, const char *key,
		  const char *field, redisReply **r);
int rm_watch_keys(struct rmeta *m, struct rconn *rc, const char *fmt1,
		  uint64_t a1, const char *fmt2, uint64_t a2);
int rm_call_body(struct rmeta *m, struct rconn *rc, void *arg);

/* the reads of base.c's rules (ACLs, namespace read phases) in rc's transaction */
/*
 * A transaction body's reads.  rm_tx_hint names the entry the body will
 * look up in the dir it reads first: tx_get_dir then sends WATCH, GET and
 * HGET in one round trip, and tx_get_entry answers from that.
 */
struct rm_tx {
	struct rmeta *m;
	struct rconn *rc;
	struct meta_acl_io acl;
	struct meta_ns_io ns;
	uint64_t hint_parent;		/* 0: no hint */
	const char *hint_name;
	size_t hint_len;
	int hint_ret;			/* 1: not read yet; 0 or -ENOENT */
	uint8_t hint_type;
	uint64_t hint_ino;
};
void rm_tx_io(struct rm_tx *x, struct rmeta *m, struct rconn *rc);
void rm_tx_hint(struct rm_tx *x, uint64_t parent, const char *name, size_t len);
void rm_q_set_attr(struct rconn *rc, uint64_t ino, const struct meta_attr *a);
void rm_q_key(struct rconn *rc, const char *op, const char *fmt, uint64_t ino);
void rm_q_incrby(struct rconn *rc, const char *key, int64_t delta);
void rm_q_hincrby_parent(struct rconn *rc, uint64_t ino, uint64_t parent,
			 int delta);
void rm_q_entry(struct rconn *rc, uint64_t parent, const char *name,
		size_t len, uint8_t type, uint64_t ino);
void rm_q_hdel_entry(struct rconn *rc, uint64_t parent, const char *name,
		     size_t len);
void rm_q_delfile(struct rconn *rc, uint64_t ino, uint64_t length,
		  const struct timespec *now);
void rm_q_sustain(struct rconn *rc, uint64_t sid, uint64_t ino, const char *op);
void rm_q_zero_dir_stats(struct rconn *rc, uint64_t ino);
void rm_q_forget_dir(struct rconn *rc, uint64_t ino);
void rm_q_drop_link(struct rmeta *m, struct rconn *rc, uint64_t ino,
		    struct meta_attr *a, uint64_t parent,
		    const struct timespec *now, bool *free_data);
int rm_alloc_id(struct rmeta *m, struct rconn *rc, const char *key,
		uint64_t batch, uint64_t min, uint64_t *next, uint64_t *max,
		uint64_t *id);
int rm_alloc_ino(struct rmeta *m, struct rconn *rc, uint64_t *ino);

/* ---- volume.c ---- */
struct str_arg {
	char **out;
	size_t *len;
	const char *key;
};

int rm_bad_reply(struct rmeta *m, const char *key);
int rm_get_string_body(struct rmeta *m, struct rconn *rc, void *arg);
int rm_get_setting(struct meta *mm, char **json);
int rm_init(struct meta *mm, const char *json, bool trash);
int rm_statfs(struct meta *mm, uint64_t *used_space, uint64_t *used_inodes);
int rm_count_dir_quotas(struct meta *mm, uint64_t *n);
int rm_session(struct meta *mm, struct meta_session *a);
int rm_list_sustained(struct meta *mm, uint64_t sid, struct meta_ids *a);
int rm_release_sustained(struct meta *mm, struct meta_sustained *a);
int rm_unlock_body(struct rmeta *m, struct rconn *rc, void *arg);
int rm_close_session(struct meta *mm, uint64_t sid);
int rm_list_sessions(struct meta *mm, struct meta_sessions *a);
int rm_stale_sessions(struct meta *mm, int64_t before, struct meta_ids *a);
int rm_set_if_small(struct meta *mm, struct meta_small *a);
int rm_update_dir_stats(struct meta *mm, struct meta_dirstat_update *a);
int rm_sync_dir_stat(struct meta *mm, const struct meta_dirstat *st);
int rm_cleanup_deleted_files(struct meta *mm, int64_t before, size_t *n);
int rm_cleanup_delayed_slices(struct meta *mm, int64_t before, size_t *n);
int rm_cleanup_slices(struct meta *mm, size_t *n);

/* ---- ns.c ---- */
int rm_lookup(struct meta *mm, struct meta_lookup *a);
int rm_getattr(struct meta *mm, struct meta_getattr *a);
int rm_setattr(struct meta *mm, struct meta_setattr *a);
int rm_get_parents(struct meta *mm, uint64_t ino, struct meta_parents *pa);
void rm_q_zero_slice(struct rconn *rc, const char *op, uint64_t ino,
		     uint64_t indx, uint32_t pos, uint32_t len);
int rm_truncate(struct meta *mm, struct meta_truncate *a);
int rm_mknod(struct meta *mm, struct meta_mknod *a);
int rm_link(struct meta *mm, struct meta_link *a);
int rm_unlink(struct meta *mm, struct meta_unlink *a);
int rm_rename(struct meta *mm, struct meta_rename *a);
int rm_readlink(struct meta *mm, struct meta_readlink *a);
int rm_readdir(struct meta *mm, struct meta_readdir *a);

/* ---- ext.c ---- */
/* base.c's acl.get and acl.insert (ctx: an rm_tx) */
int rm_acl_get(void *ctx, uint32_t id, struct acl_rule *rule);
int rm_acl_insert(void *ctx, const struct acl_rule *rule, uint32_t *id);
int rm_flock(struct meta *mm, struct meta_lock *a);
int rm_setlk(struct meta *mm, struct meta_lock *a);
int rm_getlk(struct meta *mm, struct meta_lock *a);
int rm_get_facl(struct meta *mm, struct meta_facl *a);
int rm_set_facl(struct meta *mm, struct meta_facl *a);
int rm_getxattr(struct meta *mm, struct meta_xattr *a);
int rm_listxattr(struct meta *mm, struct meta_xattr *a);
int rm_setxattr(struct meta *mm, struct meta_xattr *a);
int rm_removexattr(struct meta *mm, struct meta_xattr *a);

/* ---- data.c ---- */
/* LRANGE c{ino}_{indx}, decoded after 'front' free slots */
int rm_chunk_list(struct rmeta *m, struct rconn *rc, uint64_t ino, uint32_t indx,
		  size_t front, struct meta_slice **s, size_t *n);
int rm_delete_slice_ref(struct meta *mm, uint64_t id, uint32_t size);
int rm_delete_chunk(struct meta *mm, struct meta_delchunk *a);
int rm_free_file_data(struct meta *mm, uint64_t ino, uint64_t length);
int rm_fallocate(struct meta *mm, struct meta_falloc *a);
int rm_copy_range(struct meta *mm, struct meta_copy *a);
int rm_new_slice_id(struct meta *mm, uint64_t *id);
int rm_read_chunk(struct meta *mm, struct meta_chunk *a);
int rm_write_slice(struct meta *mm, struct meta_write *a);
int rm_compact_chunk(struct meta *mm, struct meta_compact *a);

int rm_hscan_each(struct rmeta *m, const char *key,
		  int (*fn)(struct rmeta *m, const char *field, const char *val, size_t vlen,
			    void *arg),
		  void *arg);

/* ---- check.c ---- */
int rm_scan(struct meta *mm, const struct meta_scan *a);
int rm_get_dir_stat(struct meta *mm, struct meta_dirstat *st, bool *have);
int rm_repair_dir(struct meta *mm, struct meta_repair *a);
int rm_set_volume_stat(struct meta *mm, const struct meta_volstat *a);

/* ---- track.c ---- */
int rm_watch_changes(struct meta *mm, meta_changed_fn fn, void *arg);
void rm_unwatch_changes(struct meta *mm);

/* ---- dump.c ---- */
int rm_dump_info(struct meta *mm, struct meta_dump_info *a);
int rm_load_check(struct meta *mm);
int rm_load_records(struct meta *mm, const struct meta_rec *r, size_t n);
int rm_load_reset(struct meta *mm);

#endif /* JFS_META_REDIS_H */
