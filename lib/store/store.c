/*
 * store.c - object store front end: picks a backend by the `Storage`
 * name of a volume's setting and keeps the per-thread failure detail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const struct store_ops *const backends[] = {
	&store_file_ops,
	&store_s3_ops,
};

/* JuiceFS's other names for a backend we serve with the same code. */
static const struct {
	const char *name, *backend;
} aliases[] = {
	{ "minio", "s3" },	/* S3 protocol, bucket as http://host:port/NAME */
};


int store_open(const char *storage, const char *bucket, const char *access_key,
	       const char *secret_key, struct store **sp)
{
	size_t i;

	*sp = NULL;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i].name, storage))
			storage = aliases[i].backend;
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, storage))
			return backends[i]->open(bucket, access_key, secret_key, sp);
	jfs_seterr("store", "unsupported storage '%s'", storage);
	return -EPROTONOSUPPORT;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}
