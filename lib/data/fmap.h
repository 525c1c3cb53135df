/*
 * fmap.h - the chunk maps of open files, as JuiceFS's reader keeps them:
 * what each chunk of a file open on this mount shows (meta_overlay of its
 * records) and the file's length, so a read the block cache can serve asks
 * the metadata engine nothing.
 *
 * Kept only between the first open and the last release of a file.  Every
 * open forgets what was cached (close-to-open: another client may have
 * written it since); this mount's writes, truncates and compactions
 * forget what they change; the caller forgets a file another client
 * changed when it learns of it (active invalidation).  A map looked up
 * before a forget is never stored after it: fmaps_get hands out the
 * file's generation and fmaps_put refuses an older one.
 */
#ifndef JFS_FMAP_H
#define JFS_FMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "meta/meta.h"

struct fmaps;

int fmaps_new(struct fmaps **fp);
void fmaps_free(struct fmaps *f);

/* An open of ino (length from its fresh attributes); -ENOMEM only. */
int fmaps_open(struct fmaps *f, uint64_t ino, uint64_t length);
/* A release that matches a successful fmaps_open; the last drops it all. */
void fmaps_close(struct fmaps *f, uint64_t ino);

/* Everything cached about ino, or only chunk indx's map, is stale. */
void fmaps_forget(struct fmaps *f, uint64_t ino);
void fmaps_forget_chunk(struct fmaps *f, uint64_t ino, uint32_t indx);
void fmaps_forget_all(struct fmaps *f);

/* The length as last seen (open, this mount's writes, attributes). */
bool fmaps_length(struct fmaps *f, uint64_t ino, uint64_t *length);
/* ... after this mount changed it */
void fmaps_set_length(struct fmaps *f, uint64_t ino, uint64_t length);
/* ... as the engine says now: a different one means another writer */
void fmaps_saw_length(struct fmaps *f, uint64_t ino, uint64_t length);

/*
 * 1: chunk indx's map copied to *out (the caller frees out->v);
 * 0: not cached, *gen is what fmaps_put wants; -1: ino is not open here.
 */
int fmaps_get(struct fmaps *f, uint64_t ino, uint32_t indx, struct meta_segs *out,
	      uint64_t *gen);
/* Keeps a copy of segs for chunk indx unless the file changed since gen. */
void fmaps_put(struct fmaps *f, uint64_t ino, uint32_t indx,
	       const struct meta_segs *segs, uint64_t gen);

#endif /* JFS_FMAP_H */
