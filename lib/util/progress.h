/*
 * progress.h - a one-line progress report on stderr for long admin
 * commands (fsck, gc; dump and load may use it too), as juicefs's bars:
 * count, total and percentage when known, rate and time left.
 *
 * It draws only when stderr is a terminal and the caller did not ask for
 * quiet: off a terminal (a log, a pipe, a test) nothing is written at all.
 * One thread updates a bar; it redraws at most every 200 ms.
 */
#ifndef JFS_PROGRESS_H
#define JFS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct progress {
	const char *title;
	uint64_t count, total;		/* total 0: unknown */
	bool on;
	struct timespec start, drawn;
};

/* true when progress may be drawn: stderr is a terminal and not quiet */
bool progress_wanted(bool quiet);
void progress_start(struct progress *p, const char *title, uint64_t total, bool on);
void progress_add(struct progress *p, uint64_t n);
void progress_set_total(struct progress *p, uint64_t total);
/* the final state, and the line is ended (if it was drawn) */
void progress_done(struct progress *p);

#endif /* JFS_PROGRESS_H */
