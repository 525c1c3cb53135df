/*
 * progress.c - the progress line of the admin commands (progress.h).
 *
 * "\r" and "erase to end of line" redraw one line in place, as juicefs's
 * mpb bars do; the rate is the average since the start, which is steady
 * enough for a scan, and the time left follows from it.
 */
#include <stdio.h>
#include <unistd.h>

#include "util/progress.h"

#define REDRAW_NS 200000000LL

static int64_t ns_since(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

bool progress_wanted(bool quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}

static void draw(struct progress *p, const struct timespec *now)
{
	double secs = ns_since(&p->start, now) / 1e9;
	double rate = secs > 0 ? p->count / secs : 0;
	char eta[32] = "";

	if (p->total && rate > 0 && p->count < p->total) {
		unsigned long long left = (unsigned long long)((p->total - p->count) / rate);

		snprintf(eta, sizeof(eta), " ETA: %llum%02llus", left / 60, left % 60);
	}
	if (p->total)
		fprintf(stderr, "\r%s: %llu/%llu [%3.0f%%] %.1f/s%s\033[K", p->title,
			(unsigned long long)p->count, (unsigned long long)p->total,
			100.0 * (p->count > p->total ? p->total : p->count) / p->total, rate, eta);
	else
		fprintf(stderr, "\r%s: %llu %.1f/s\033[K", p->title,
			(unsigned long long)p->count, rate);
	p->drawn = *now;
}

void progress_start(struct progress *p, const char *title, uint64_t total, bool on)
{
	p->title = title;
	p->count = 0;
	p->total = total;
	p->on = on;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->drawn = p->start;
	if (on)
		draw(p, &p->start);
}

void progress_set_total(struct progress *p, uint64_t total)
{
	p->total = total;
}

void progress_add(struct progress *p, uint64_t n)
{
	struct timespec now;

	p->count += n;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ns_since(&p->drawn, &now) >= REDRAW_NS)
		draw(p, &now);
}

void progress_done(struct progress *p)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, &now);
	fputc('\n', stderr);
	p->on = false;
}
