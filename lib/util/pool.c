/*
 * pool.c - worker threads and a FIFO of jobs (see pool.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/pool.h"

struct job {
	struct job *next;
	int (*fn)(void *);
	void *arg;
	struct pool_group *group;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job *head, **tail;
	unsigned int queued, nthreads;
	bool stopping;
	pthread_t *threads;
};

static void group_finish(struct pool_group *g, int ret)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	if (ret && !g->err)
		g->err = ret;
	if (!--g->pending)
		pthread_cond_broadcast(&g->done);
	pthread_mutex_unlock(&g->lock);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = &p->head;
		p->queued--;
		pthread_mutex_unlock(&p->lock);
		group_finish(j->group, j->fn(j->arg));
		free(j);
	}
}

int pool_create(unsigned int nthreads, struct pool **pp)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned int i;
	int ret;

	if (!p || !nthreads) {
		free(p);
		return p ? -EINVAL : -ENOMEM;
	}
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->tail = &p->head;
	for (i = 0; i < nthreads; i++) {
		ret = pthread_create(&p->threads[i], NULL, worker, p);
		if (ret) {
			p->nthreads = i;
			pool_destroy(p);
			return -ret;
		}
	}
	p->nthreads = nthreads;
	*pp = p;
	return 0;
}

void pool_destroy(struct pool *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

void pool_group_init(struct pool_group *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->done, NULL);
	g->pending = 0;
	g->err = 0;
}

int pool_group_wait(struct pool_group *g)
{
	int ret;

	pthread_mutex_lock(&g->lock);
	while (g->pending)
		pthread_cond_wait(&g->done, &g->lock);
	ret = g->err;
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
	return ret;
}

void pool_submit(struct pool *p, struct pool_group *g, int (*fn)(void *), void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (g) {
		pthread_mutex_lock(&g->lock);
		g->pending++;
		pthread_mutex_unlock(&g->lock);
	}
	if (!j) {
		group_finish(g, fn(arg));
		return;
	}
	*j = (struct job){ NULL, fn, arg, g };
	pthread_mutex_lock(&p->lock);
	*p->tail = j;
	p->tail = &j->next;
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

unsigned int pool_queued(struct pool *p)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}
