/*
 * pool.h - a fixed set of worker threads running queued jobs, and job
 * groups a caller can wait for.  jfsd uses one for parallel block uploads
 * and one for read prefetch, so the number of object-store requests in
 * flight stays bounded however many requests the kernel sends.
 */
#ifndef JFS_POOL_H
#define JFS_POOL_H

#include <pthread.h>

struct pool;

/* Counts a caller's outstanding jobs; the first failure is kept. */
struct pool_group {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned int pending;
	int err;
};

int pool_create(unsigned int nthreads, struct pool **pp);
/* Runs what is queued, then joins the threads. */
void pool_destroy(struct pool *p);

void pool_group_init(struct pool_group *g);
/* Waits for every job of g; returns the first non-zero job result. */
int pool_group_wait(struct pool_group *g);

/*
 * Queues fn(arg); with a group, fn's result is recorded in it.  Never
 * fails for lack of memory: the job then runs in the caller's thread.
 */
void pool_submit(struct pool *p, struct pool_group *g, int (*fn)(void *), void *arg);

/* Jobs queued but not started (prefetch uses it to stay shallow). */
unsigned int pool_queued(struct pool *p);

#endif /* JFS_POOL_H */
