/*
 * jfsadm.h - shared parts of the jfsadm commands: exit codes, the one-line
 * error reporters, and opening a META-URL.
 *
 * Each command is `int cmd_<name>(int argc, char **argv)` with argv[0] the
 * command name; it returns the process exit code.  Commands print at most
 * one "jfsadm: ..." line on failure and change nothing when they fail
 * before their final write.
 */
#ifndef JFSADM_H
#define JFSADM_H

#include <stdint.h>

#include "meta/meta.h"
#include "volume/volume.h"

/* exit codes */
#define JFSADM_OK	0
#define JFSADM_FAIL	1	/* the operation failed */
#define JFSADM_USAGE	2	/* the command line is wrong: options, arguments, their syntax */

/* Prints "jfsadm: <msg>" to stderr; returns JFSADM_FAIL. */
const char *jfsadm_why(int ret);
int jfsadm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "jfsadm: warning: <msg>" to stderr. */
void jfsadm_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "jfsadm: <msg>" and the command's usage line; returns JFSADM_USAGE. */
int jfsadm_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Reports a getopt_long() failure (unknown option, missing value) for the
 * option character it returned; returns JFSADM_USAGE.
 */
int jfsadm_bad_option(const char *usage, int c, char **argv);

/*
 * Checks the META-URL's syntax: JFSADM_USAGE (one line printed) if it is
 * wrong; *shown is the URL with the password hidden, for messages.
 */
int jfsadm_check_url(const char *url, char *shown, size_t shownlen);

/*
 * The same check, then volume_open(url, flags): JFSADM_USAGE for a bad
 * URL, JFSADM_FAIL (one line printed) when the engine or volume fails.
 */
int jfsadm_open_volume(const char *url, unsigned int flags, struct volume **v);

/* The one META-URL left after the options: JFSADM_USAGE (printed) if none or more */
int jfsadm_one_url(int argc, char **argv, const char *usage, const char **url);
/* A library finding (volume_note_fn): "jfsadm: <line>" on stderr. */
void jfsadm_note(void *arg, const char *line);

/* Parses a size such as "4096" (in units of 2^unit_shift bytes), "512K", "4M", "2G", "1T". */
int jfsadm_parse_size(const char *s, unsigned int unit_shift, uint64_t *bytes);
/* Parses a plain non-negative decimal integer. */
int jfsadm_parse_u64(const char *s, uint64_t *v);

int cmd_format(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_gc(int argc, char **argv);

#endif /* JFSADM_H */
