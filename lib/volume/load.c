/*
 * load.c - volume_load(): a `juicefs dump` JSON into an empty database,
 * as `juicefs load` does (pkg/meta/dump.go loadEntries/decodeEntry,
 * redis.go and sql.go LoadMeta).
 *
 * The dump is read with dumpio.c's pull lexer, one entry at a time: an
 * entry's small values (attr, xattrs, ACLs, chunks) become json-c
 * objects, its "entries" are walked as they come, so a directory is
 * never held whole.  What juicefs recomputes is recomputed here from
 * the tree, not taken from the dump: each inode is written at its first
 * occurrence with that parent; a dir's nlink is 2 + its subdirs (the
 * trash's stay 2); a file seen under several names gets nlink = their
 * number, parent 0 and its parents (p{ino} in Redis); dir stats, the
 * counters (usedSpace, totalInodes, nextInode, nextChunk, nextTrash;
 * nextSession 0), slice references and dir quota usage are counted.
 * Sustained inodes are dropped, as juicefs drops them.
 *
 * Memory: besides the entry being read and the path to it, two tables
 * grow with the volume, as juicefs's parents and refs maps do: 24 bytes
 * per non-directory inode (to find hard links) and 24 per distinct
 * slice (its reference count); directories and names are not kept.
 *
 * Writes go out as raw records (meta.h) in batches of LOAD_BATCH, each
 * one engine transaction.  Nothing is written before the Setting and
 * Counters were read and the database found empty; a dump that fails
 * later (truncated, malformed) makes the engine empty the database again
 * (it was empty before), so a failed load leaves nothing behind.
 *
 * Like juicefs, holes (slice id 0) are counted as slices too (a
 * jfs_chunk_ref row, a sliceRef field when repeated).  Unlike it,
 * user/group quotas (juicefs: rebuilt by scanning the volume) are
 * refused rather than loaded with made-up usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/progress.h"
#include "volume/dumpio.h"
#include "volume/volume.h"

#define LOAD_BATCH	500

/* a non-directory inode seen in the tree */
struct inode_seen {
	uint64_t ino;		/* 0: free slot */
	uint64_t parent;	/* at its first occurrence */
	uint64_t count;		/* its occurrences */
};

struct slice_seen {
	uint64_t id;		/* 0 is a hole's */
	uint32_t size;
	uint64_t refs;		/* 0: free slot */
};

/* a later occurrence of a hard-linked inode */
struct extra_link {
	uint64_t ino, parent;
};

struct loader {
	struct meta *m;
	struct jlex lex;
	const char *src;		/* the file's name, for messages */

	struct meta_rec *recs;		/* the batch */
	size_t n, cap;
	void **owned;			/* what the batch's records point at */
	size_t nowned, capowned;
	bool written;			/* a batch went out: a failure resets */

	struct meta_counters c;		/* recomputed */
	struct inode_seen *files;
	size_t nfiles, capfiles;	/* capfiles: 0 or a power of 2 */
	struct slice_seen *slices;
	size_t nslices, capslices;
	struct extra_link *extra;
	size_t nextra, capextra;

	char *setting;			/* the Setting, as the volume layer writes it */
	bool have_counters, have_tree;
	struct meta_delfile *del;
	size_t ndel;
	struct meta_quota *quotas;	/* dir quotas; usage counted here */
	size_t nquotas;

	uint64_t *path;			/* the dirs from the root to the current one */
	size_t depth, cappath;

	struct volume_loaded *out;
	struct progress bar;		/* entries read */
};

static int lfail(struct loader *L, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lfail(struct loader *L, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return jfs_fail("volume", err, "load %s: %s", L->src, msg);
}

/* the lexer's failure, or a malformed dump's */
static int lex_fail(struct loader *L, const char *what)
{
	if (L->lex.err[0])
		return lfail(L, -EINVAL, "%s", L->lex.err);
	return lfail(L, -EINVAL, "line %llu: %s", (unsigned long long)L->lex.line, what);
}

/* an unexpected token t: the end of the file is a truncated dump */
static int tok_fail(struct loader *L, enum jtok t, const char *what)
{
	if (t == JT_EOF)
		return lfail(L, -EINVAL, "line %llu: the file ends early (truncated?)",
			     (unsigned long long)L->lex.line);
	return lex_fail(L, what);
}

/* ---- the two tables ---------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int grow(void **v, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	void *p = calloc(ncap, size);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static struct inode_seen *file_slot(struct inode_seen *t, size_t cap, uint64_t ino)
{
	size_t i = mix(ino) & (cap - 1);

	while (t[i].ino && t[i].ino != ino)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* the inode's record, added (count 0) if new */
static int file_find(struct loader *L, uint64_t ino, struct inode_seen **out)
{
	struct inode_seen *s;

	if (L->nfiles * 2 >= L->capfiles) {
		struct inode_seen *old = L->files;
		size_t oldcap = L->capfiles, i;

		if (grow((void **)&L->files, &L->capfiles, sizeof(*L->files)))
			return -ENOMEM;
		for (i = 0; i < oldcap; i++)
			if (old[i].ino)
				*file_slot(L->files, L->capfiles, old[i].ino) = old[i];
		free(old);
	}
	s = file_slot(L->files, L->capfiles, ino);
	if (!s->ino) {
		s->ino = ino;
		L->nfiles++;
	}
	*out = s;
	return 0;
}

static struct slice_seen *slice_slot(struct slice_seen *t, size_t cap, uint64_t id,
				     uint32_t size)
{
	size_t i = mix(id * 31 + size) & (cap - 1);

	while (t[i].refs && (t[i].id != id || t[i].size != size))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int slice_ref(struct loader *L, uint64_t id, uint32_t size)
{
	struct slice_seen *s;

	if (L->nslices * 2 >= L->capslices) {
		struct slice_seen *old = L->slices;
		size_t oldcap = L->capslices, i;

		if (grow((void **)&L->slices, &L->capslices, sizeof(*L->slices)))
			return -ENOMEM;
		for (i = 0; i < oldcap; i++)
			if (old[i].refs)
				*slice_slot(L->slices, L->capslices, old[i].id, old[i].size) = old[i];
		free(old);
	}
	s = slice_slot(L->slices, L->capslices, id, size);
	if (!s->refs) {
		s->id = id;
		s->size = size;
		L->nslices++;
	}
	s->refs++;
	return 0;
}

/* ---- the batch of records -------------------------------------------- */

static int flush(struct loader *L)
{
	size_t i;
	int ret;

	ret = meta_load_records(L->m, L->recs, L->n);
	if (L->n)
		L->written = true;
	for (i = 0; i < L->nowned; i++)
		free(L->owned[i]);
	L->nowned = 0;
	L->n = 0;
	if (ret)
		return jfs_fail("volume", ret, "load: writing the records failed: %s",
				*jfs_errmsg() ? jfs_errmsg() : strerror(-ret));
	return 0;
}

/* a new record in the batch; the first batch starts with META_REC_INIT */
static int add_rec(struct loader *L, enum meta_rec_kind kind, uint64_t ino,
		   struct meta_rec **out)
{
	int ret;

	if (L->n + 1 >= LOAD_BATCH && (ret = flush(L)))
		return ret;
	if (L->n + 2 > L->cap) {
		size_t cap = L->cap ? L->cap * 2 : LOAD_BATCH + 2;
		struct meta_rec *r = realloc(L->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		L->recs = r;
		L->cap = cap;
	}
	if (!L->written && !L->n) {
		memset(&L->recs[0], 0, sizeof(L->recs[0]));
		L->recs[L->n++].kind = META_REC_INIT;
	}
	*out = &L->recs[L->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->kind = kind;
	(*out)->ino = ino;
	return 0;
}

/* keeps p (malloc'd) until the batch is written */
static int own(struct loader *L, void *p)
{
	if (!p)
		return -ENOMEM;
	if (L->nowned == L->capowned) {
		size_t cap = L->capowned ? L->capowned * 2 : 256;
		void **v = realloc(L->owned, cap * sizeof(*v));

		if (!v) {
			free(p);
			return -ENOMEM;
		}
		L->owned = v;
		L->capowned = cap;
	}
	L->owned[L->nowned++] = p;
	return 0;
}

static void *own_copy(struct loader *L, const void *p, size_t n)
{
	void *q = malloc(n + 1);

	if (q) {
		memcpy(q, p, n);
		((char *)q)[n] = 0;
	}
	return own(L, q) ? NULL : q;
}

/* ---- an entry ---------------------------------------------------------- */

struct entry {
	bool have_attr, first, dir;
	uint64_t ino;
	struct meta_attr attr;
	uint64_t dumped_length;		/* the attr's "length" as dumped */
	json_object *chunks, *xattrs;
	char *symlink;
	size_t symlen;
	struct acl_rule acl[2];		/* access, default */
	bool have_acl[2];
	/* a dir's children */
	uint32_t subdirs;
	struct meta_dirstat st;
};

static void entry_free(struct entry *e)
{
	json_object_put(e->chunks);
	json_object_put(e->xattrs);
	free(e->symlink);
	acl_rule_free(&e->acl[0]);
	acl_rule_free(&e->acl[1]);
}

static const char *const type_names[] = {
	"", "regular", "directory", "symlink", "fifo", "blockdev", "chardev", "socket",
};

static uint64_t jint(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_uint64(v);
}

static bool jhas_int(json_object *o, const char *key)
{
	json_object *v;

	return !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_int);
}

static int decode_attr(struct loader *L, json_object *o, struct entry *e)
{
	static const char *const ints[] = {
		"inode", "flags", "mode", "uid", "gid", "atime", "mtime", "ctime", "atimensec",
		"mtimensec", "ctimensec", "nlink", "length", "rdev", "tier",
	};
	const char *type;
	json_object *t;
	size_t i;

	if (!json_object_is_type(o, json_type_object))
		return lex_fail(L, "an attr is not an object");
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!jhas_int(o, ints[i]))
			return lfail(L, -EINVAL, "line %llu: attr \"%s\" is not a number",
				     (unsigned long long)L->lex.line, ints[i]);
	type = json_object_object_get_ex(o, "type", &t) ? json_object_get_string(t) : "";
	memset(&e->attr, 0, sizeof(e->attr));
	for (i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type && !strcmp(type, type_names[i]))
			e->attr.type = (uint8_t)i;
	if (!e->attr.type)
		return lfail(L, -EINVAL, "line %llu: unknown type '%s'",
			     (unsigned long long)L->lex.line, type ? type : "");
	e->ino = jint(o, "inode");
	e->attr.flags = (uint8_t)jint(o, "flags");
	e->attr.mode = (uint16_t)(jint(o, "mode") & 07777);
	e->attr.uid = (uint32_t)jint(o, "uid");
	e->attr.gid = (uint32_t)jint(o, "gid");
	e->attr.atime = (int64_t)jint(o, "atime");
	e->attr.mtime = (int64_t)jint(o, "mtime");
	e->attr.ctime = (int64_t)jint(o, "ctime");
	e->attr.atimensec = (uint32_t)jint(o, "atimensec");
	e->attr.mtimensec = (uint32_t)jint(o, "mtimensec");
	e->attr.ctimensec = (uint32_t)jint(o, "ctimensec");
	e->attr.rdev = (uint32_t)jint(o, "rdev");
	e->attr.tier = (uint8_t)jint(o, "tier");
	e->dumped_length = jint(o, "length");
	e->dir = e->attr.type == META_TYPE_DIR;
	return 0;
}

/* decodeEntry's "attr": first occurrence, the counters */
static int take_attr(struct loader *L, struct entry *e, uint64_t parent, bool tree_root)
{
	struct inode_seen *s;
	int ret;

	if (tree_root)
		e->ino = META_ROOT_INO;		/* a --subdir dump loads as the root */
	if (!e->ino)
		return lex_fail(L, "an entry has inode 0");
	e->have_attr = true;
	e->first = true;
	if (!e->dir) {
		ret = file_find(L, e->ino, &s);
		if (ret)
			return ret;
		e->first = !s->count++;
		if (e->first) {
			s->parent = parent;
		} else {
			if (L->nextra == L->capextra) {
				size_t cap = L->capextra ? L->capextra * 2 : 64;
				struct extra_link *x = realloc(L->extra, cap * sizeof(*x));

				if (!x)
					return -ENOMEM;
				L->extra = x;
				L->capextra = cap;
			}
			L->extra[L->nextra++] = (struct extra_link){ e->ino, parent };
		}
	}
	e->attr.parent = parent;
	e->attr.nlink = e->dir ? 2 : 1;
	if (!e->first)
		return 0;
	if (e->ino > META_ROOT_INO && e->ino != META_TRASH_INO) {
		L->c.used_space += (int64_t)meta_align4k(e->dumped_length);
		L->c.used_inodes++;
	}
	if (e->ino < META_TRASH_INO) {
		if (L->c.next_inode <= (int64_t)e->ino)
			L->c.next_inode = (int64_t)e->ino + 1;
	} else if (L->c.next_trash < (int64_t)(e->ino - META_TRASH_INO)) {
		L->c.next_trash = (int64_t)(e->ino - META_TRASH_INO);
	}
	L->out->inodes++;
	return 0;
}

static int decode_acl(struct loader *L, json_object *o, struct acl_rule *r)
{
	json_object *lists[2] = { NULL, NULL };
	struct acl_entry **ents[2] = { &r->users, &r->groups };
	uint32_t *counts[2] = { &r->nusers, &r->ngroups };
	size_t k, i, n;

	acl_rule_init(r);
	if (!json_object_is_type(o, json_type_object))
		return lex_fail(L, "an ACL is not an object");
	r->owner = (uint16_t)jint(o, "owner");
	r->group = (uint16_t)jint(o, "group");
	r->other = (uint16_t)jint(o, "other");
	r->mask = (uint16_t)jint(o, "mask");
	json_object_object_get_ex(o, "users", &lists[0]);
	json_object_object_get_ex(o, "groups", &lists[1]);
	for (k = 0; k < 2; k++) {
		if (!lists[k] || !json_object_is_type(lists[k], json_type_array))
			continue;
		n = json_object_array_length(lists[k]);
		if (!n)
			continue;
		*ents[k] = calloc(n, sizeof(**ents[k]));
		if (!*ents[k])
			return -ENOMEM;
		*counts[k] = (uint32_t)n;
		for (i = 0; i < n; i++) {
			json_object *x = json_object_array_get_idx(lists[k], i);

			(*ents[k])[i].id = (uint32_t)jint(x, "id");
			(*ents[k])[i].perm = (uint16_t)jint(x, "perm");
		}
	}
	return 0;
}

/* the records of a file's chunks: references and nextChunk counted */
static int emit_chunks(struct loader *L, struct entry *e)
{
	size_t i, j, n, ns;
	int ret;

	if (!json_object_is_type(e->chunks, json_type_array))
		return lex_fail(L, "\"chunks\" is not a list");
	n = json_object_array_length(e->chunks);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(e->chunks, i), *sl;
		struct meta_slice *s;
		struct meta_rec *r;

		if (!json_object_object_get_ex(c, "slices", &sl) ||
		    !json_object_is_type(sl, json_type_array))
			return lex_fail(L, "a chunk has no \"slices\" list");
		ns = json_object_array_length(sl);
		if (!ns)
			continue;
		s = calloc(ns, sizeof(*s));
		if ((ret = own(L, s)))
			return ret;
		for (j = 0; j < ns; j++) {
			json_object *x = json_object_array_get_idx(sl, j);

			/* old dumps name the id "chunkid" */
			s[j].id = jint(x, "id") ? jint(x, "id") : jint(x, "chunkid");
			s[j].pos = (uint32_t)jint(x, "pos");
			s[j].size = (uint32_t)jint(x, "size");
			s[j].off = (uint32_t)jint(x, "off");
			s[j].len = (uint32_t)jint(x, "len");
			/* holes (id 0) too, as decodeEntry counts them */
			if ((ret = slice_ref(L, s[j].id, s[j].size)))
				return ret;
			if (L->c.next_chunk <= (int64_t)s[j].id)
				L->c.next_chunk = (int64_t)s[j].id + 1;
		}
		ret = add_rec(L, META_REC_CHUNK, e->ino, &r);
		if (ret)
			return ret;
		r->u.chunk.indx = (uint32_t)jint(c, "index");
		r->u.chunk.s = s;
		r->u.chunk.n = ns;
	}
	return 0;
}

static int emit_xattrs(struct loader *L, struct entry *e)
{
	size_t i, n;
	int ret;

	if (!json_object_is_type(e->xattrs, json_type_array))
		return lex_fail(L, "\"xattrs\" is not a list");
	n = json_object_array_length(e->xattrs);
	for (i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(e->xattrs, i), *name, *value;
		struct meta_rec *r;
		char *v;
		size_t vlen;

		if (!json_object_object_get_ex(x, "name", &name) ||
		    !json_object_object_get_ex(x, "value", &value))
			return lex_fail(L, "an xattr lacks its name or value");
		ret = add_rec(L, META_REC_XATTR, e->ino, &r);
		if (ret)
			return ret;
		/* the name as is, the value escaped (loadEntry) */
		r->u.xattr.len = (size_t)json_object_get_string_len(name);
		r->u.xattr.name = own_copy(L, json_object_get_string(name), r->u.xattr.len);
		vlen = (size_t)json_object_get_string_len(value);
		v = own_copy(L, json_object_get_string(value), vlen);
		if (!r->u.xattr.name || !v)
			return -ENOMEM;
		r->u.xattr.value = v;
		r->u.xattr.vlen = dump_unescape(v, vlen);
	}
	return 0;
}

/* loadEntry: the entry's records, at its end (a dir's after its children) */
static int emit_entry(struct loader *L, struct entry *e)
{
	struct meta_rec *r;
	struct acl_rule *acl;
	int i, ret;

	if (e->dir) {
		e->attr.length = 4096;
		ret = add_rec(L, META_REC_DIRSTAT, e->ino, &r);
		if (ret)
			return ret;
		r->u.stat = e->st;
	} else if (e->attr.type == META_TYPE_FILE) {
		e->attr.length = e->dumped_length;
		if (e->chunks && (ret = emit_chunks(L, e)))
			return ret;
	} else if (e->attr.type == META_TYPE_SYMLINK) {
		e->attr.length = e->symlen;
		ret = add_rec(L, META_REC_SYMLINK, e->ino, &r);
		if (ret)
			return ret;
		r->u.str.p = own_copy(L, e->symlink ? e->symlink : "", e->symlen);
		r->u.str.len = e->symlen;
		if (!r->u.str.p)
			return -ENOMEM;
	}
	if (e->xattrs && (ret = emit_xattrs(L, e)))
		return ret;
	ret = add_rec(L, META_REC_NODE, e->ino, &r);
	if (ret)
		return ret;
	r->u.node.attr = e->attr;
	for (i = 0; i < 2; i++) {
		if (!e->have_acl[i] || acl_rule_is_empty(&e->acl[i]))
			continue;
		acl = malloc(sizeof(*acl));
		if ((ret = own(L, acl)))
			return ret;
		*acl = e->acl[i];		/* its lists go with it */
		acl_rule_init(&e->acl[i]);
		if ((acl->users && (ret = own(L, acl->users))) ||
		    (acl->groups && (ret = own(L, acl->groups))))
			return ret;
		if (i == 0)
			r->u.node.access = acl;
		else
			r->u.node.dflt = acl;
	}
	return 0;
}

/* usage of a dir's children, for every quota on it and above it */
static void quota_usage(struct loader *L, const struct entry *e)
{
	size_t i, k;

	for (i = 0; i < L->nquotas; i++) {
		for (k = 0; k < L->depth; k++) {
			if (L->path[k] != L->quotas[i].id)
				continue;
			L->quotas[i].used_space += e->st.space;
			L->quotas[i].used_inodes += e->st.inodes;
		}
	}
}

struct child {
	uint64_t ino;
	uint8_t type;
	uint64_t length;
};

static int parse_entry(struct loader *L, uint64_t parent, int kind, struct child *out);

/* "entries": each child is read whole before the next */
static int parse_children(struct loader *L, struct entry *e)
{
	enum jtok t;
	int ret;

	if (!e->have_attr)
		return lex_fail(L, "\"entries\" before \"attr\"");
	if (!e->dir)
		return lex_fail(L, "\"entries\" in a non-directory");
	if (jlex_expect(&L->lex, JT_LBRACE, "'{'"))
		return lex_fail(L, "bad \"entries\"");
	if (L->depth == L->cappath) {
		size_t cap = L->cappath ? L->cappath * 2 : 64;
		uint64_t *p = realloc(L->path, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		L->path = p;
		L->cappath = cap;
	}
	L->path[L->depth++] = e->ino;
	for (t = jlex_next(&L->lex); t != JT_RBRACE; t = jlex_next(&L->lex)) {
		struct child c = { 0 };
		struct meta_rec *r;
		char *name;
		size_t len;

		if (t == JT_COMMA)
			t = jlex_next(&L->lex);
		if (t != JT_STRING)
			return tok_fail(L, t, "a name expected in \"entries\"");
		len = L->lex.tok.n;
		name = malloc(len + 1);
		if (!name)
			return -ENOMEM;
		memcpy(name, L->lex.tok.p, len);
		len = dump_unescape(name, len);
		ret = jlex_expect(&L->lex, JT_COLON, "':'");
		if (!ret)
			ret = parse_entry(L, e->ino, 2, &c);
		else
			ret = lex_fail(L, "':' expected");
		if (!ret && e->first)
			ret = add_rec(L, META_REC_EDGE, e->ino, &r);
		if (ret || !e->first) {
			free(name);
			if (ret)
				return ret;
			continue;
		}
		if ((ret = own(L, name)))
			return ret;
		r->u.edge.name = name;
		r->u.edge.len = len;
		r->u.edge.type = c.type;
		r->u.edge.ino = c.ino;
		L->out->entries++;
		progress_add(&L->bar, 1);
		if (e->ino < META_TRASH_INO && c.type == META_TYPE_DIR)
			e->attr.nlink++;
		if (c.type == META_TYPE_FILE)
			e->st.length += (int64_t)c.length;
		e->st.space += (int64_t)meta_align4k(c.type == META_TYPE_FILE ? c.length : 0);
		e->st.inodes++;
	}
	quota_usage(L, e);
	L->depth--;
	return 0;
}

/* kind: 0 the FSTree root, 1 the Trash root, 2 a child */
static int parse_entry(struct loader *L, uint64_t parent, int kind, struct child *out)
{
	struct entry e;
	json_object *v = NULL;
	enum jtok t;
	int ret = 0;

	memset(&e, 0, sizeof(e));
	acl_rule_init(&e.acl[0]);
	acl_rule_init(&e.acl[1]);
	if (jlex_expect(&L->lex, JT_LBRACE, "'{'"))
		return lex_fail(L, "an entry is not an object");
	for (t = jlex_next(&L->lex); t != JT_RBRACE && !ret; t = jlex_next(&L->lex)) {
		char key[32];

		if (t == JT_COMMA)
			t = jlex_next(&L->lex);
		if (t != JT_STRING) {
			ret = tok_fail(L, t, "a key expected in an entry");
			break;
		}
		snprintf(key, sizeof(key), "%s", L->lex.tok.p);
		if (jlex_expect(&L->lex, JT_COLON, "':'")) {
			ret = lex_fail(L, "':' expected");
			break;
		}
		if (!strcmp(key, "entries")) {
			ret = parse_children(L, &e);
			continue;
		}
		t = jlex_next(&L->lex);
		ret = jlex_value(&L->lex, t, &v);
		if (ret) {
			ret = lex_fail(L, "bad value in an entry");
			break;
		}
		if (!strcmp(key, "attr")) {
			ret = decode_attr(L, v, &e);
			if (!ret)
				ret = take_attr(L, &e, kind == 2 ? parent : META_ROOT_INO, kind == 0);
		} else if (!strcmp(key, "chunks")) {
			json_object_put(e.chunks);
			e.chunks = json_object_get(v);
		} else if (!strcmp(key, "xattrs")) {
			json_object_put(e.xattrs);
			e.xattrs = json_object_get(v);
		} else if (!strcmp(key, "symlink") && json_object_is_type(v, json_type_string)) {
			free(e.symlink);
			e.symlen = (size_t)json_object_get_string_len(v);
			e.symlink = malloc(e.symlen + 1);
			if (!e.symlink)
				ret = -ENOMEM;
			else
				memcpy(e.symlink, json_object_get_string(v), e.symlen);
			if (!ret)
				e.symlen = dump_unescape(e.symlink, e.symlen);
		} else if (!strcmp(key, "posix_acl_access") || !strcmp(key, "posix_acl_default")) {
			int i = key[10] == 'd';

			if (v) {
				acl_rule_free(&e.acl[i]);
				ret = decode_acl(L, v, &e.acl[i]);
				e.have_acl[i] = true;
			}
		}
		json_object_put(v);
		v = NULL;
	}
	if (!ret && !e.have_attr)
		ret = lex_fail(L, "an entry has no \"attr\"");
	if (!ret && e.first)
		ret = emit_entry(L, &e);
	if (!ret && out) {
		out->ino = e.ino;
		out->type = e.attr.type;
		out->length = e.dumped_length;
	}
	entry_free(&e);
	return ret;
}

/* ---- the header --------------------------------------------------------- */

static int take_setting(struct loader *L, json_object *o)
{
	struct setting s;
	const char *text;
	int ret;

	if (!json_object_is_type(o, json_type_object))
		return lfail(L, -EINVAL, "not a juicefs dump: \"Setting\" is not an object");
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = setting_parse(&s, text);
	if (ret)
		return lfail(L, ret, "not a juicefs dump: bad Setting: %s", jfs_errmsg());
	if (!s.name || !*s.name || !s.uuid || !*s.uuid)
		ret = lfail(L, -EINVAL, "not a juicefs dump: the Setting has no Name or UUID");
	/* re-written as juicefs's load does: MarshalIndent of the Format */
	if (!ret && setting_to_json(&s, &L->setting))
		ret = lfail(L, -ENOMEM, "out of memory");
	setting_release(&s);
	return ret;
}

static int take_delfiles(struct loader *L, json_object *o)
{
	size_t i, n;

	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_array))
		return lex_fail(L, "\"DelFiles\" is not a list");
	n = json_object_array_length(o);
	L->del = calloc(n + 1, sizeof(*L->del));
	if (!L->del)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(o, i);

		L->del[i].ino = jint(d, "inode");
		L->del[i].length = jint(d, "length");
		L->del[i].expire = (int64_t)jint(d, "expire");
	}
	L->ndel = n;
	return 0;
}

static int take_quotas(struct loader *L, json_object *o)
{
	size_t n = 0;

	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return lex_fail(L, "\"Quotas\" is not an object");
	L->quotas = calloc((size_t)json_object_object_length(o) + 1, sizeof(*L->quotas));
	if (!L->quotas)
		return -ENOMEM;
	json_object_object_foreach(o, key, val) {
		L->quotas[n].id = strtoull(key, NULL, 10);
		L->quotas[n].max_space = (int64_t)jint(val, "maxSpace");
		L->quotas[n].max_inodes = (int64_t)jint(val, "maxInodes");
		n++;
	}
	L->nquotas = n;
	return 0;
}

/* ---- the end: what the whole tree decided ------------------------------ */

static int extra_cmp(const void *x, const void *y)
{
	const struct extra_link *a = x, *b = y;

	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return (a->parent > b->parent) - (a->parent < b->parent);
}

/* hard links: nlink = occurrences, parent 0, the parents counted per dir */
static int finish_links(struct loader *L)
{
	size_t i = 0, j;
	int ret = 0;

	qsort(L->extra, L->nextra, sizeof(*L->extra), extra_cmp);
	while (i < L->nextra && !ret) {
		uint64_t ino = L->extra[i].ino;
		struct inode_seen *s = file_slot(L->files, L->capfiles, ino);
		struct meta_attr a;
		struct meta_rec *r;
		int64_t first = 1;

		ret = meta_getattr(L->m, ino, &a);
		if (ret)
			return jfs_fail("volume", ret, "load: inode %" PRIu64 ": %s", ino,
					jfs_errmsg());
		a.nlink = (uint32_t)s->count;
		a.parent = 0;
		ret = add_rec(L, META_REC_NODE, ino, &r);
		if (ret)
			return ret;
		r->u.node.attr = a;	/* its ACL ids as written */
		for (j = i; j < L->nextra && L->extra[j].ino == ino; j++)
			if (L->extra[j].parent == s->parent)
				first++;
		ret = add_rec(L, META_REC_PARENT, ino, &r);
		if (ret)
			return ret;
		r->u.parent.parent = s->parent;
		r->u.parent.n = first;
		while (i < L->nextra && L->extra[i].ino == ino && !ret) {
			uint64_t p = L->extra[i].parent;
			int64_t k = 0;

			for (; i < L->nextra && L->extra[i].ino == ino && L->extra[i].parent == p; i++)
				k++;
			if (p == s->parent)
				continue;
			ret = add_rec(L, META_REC_PARENT, ino, &r);
			if (!ret) {
				r->u.parent.parent = p;
				r->u.parent.n = k;
			}
		}
	}
	return ret;
}

static int finish(struct loader *L)
{
	struct meta_rec *r;
	size_t i;
	int ret;

	ret = flush(L);		/* the inodes finish_links reads back */
	if (!ret)
		ret = finish_links(L);
	for (i = 0; i < L->capslices && !ret; i++) {
		if (!L->slices[i].refs)
			continue;
		ret = add_rec(L, META_REC_SLICEREF, 0, &r);
		if (!ret) {
			r->u.ref.id = L->slices[i].id;
			r->u.ref.size = L->slices[i].size;
			r->u.ref.refs = (int64_t)L->slices[i].refs;
		}
	}
	for (i = 0; i < L->ndel && !ret; i++) {
		ret = add_rec(L, META_REC_DELFILE, L->del[i].ino, &r);
		if (!ret)
			r->u.del = L->del[i];
	}
	for (i = 0; i < L->nquotas && !ret; i++) {
		ret = add_rec(L, META_REC_QUOTA, L->quotas[i].id, &r);
		if (!ret) {
			r->u.quota.kind = META_QUOTA_DIR;
			r->u.quota.q = L->quotas[i];
		}
	}
	if (!ret)
		ret = add_rec(L, META_REC_COUNTERS, 0, &r);
	if (!ret)
		r->u.counters = L->c;
	/* the setting last: until it is there, no client takes this for a volume */
	if (!ret)
		ret = add_rec(L, META_REC_SETTING, 0, &r);
	if (!ret) {
		r->u.str.p = L->setting;
		r->u.str.len = strlen(L->setting);
		ret = flush(L);
	}
	return ret;
}

/* ---- the document ------------------------------------------------------ */

static int parse_top(struct loader *L)
{
	bool first = true;
	json_object *v;
	enum jtok t;
	int ret = 0;

	t = jlex_next(&L->lex);
	if (t == JT_EOF)
		return lfail(L, -EINVAL, "the file is empty");
	if (t != JT_LBRACE)
		return lfail(L, -EINVAL, "not a juicefs dump (no JSON object)%s%s",
			     L->lex.err[0] ? ": " : "", L->lex.err);
	for (t = jlex_next(&L->lex); t != JT_RBRACE && !ret; t = jlex_next(&L->lex)) {
		char key[32];

		if (t == JT_COMMA && !first)
			t = jlex_next(&L->lex);
		if (t != JT_STRING)
			return tok_fail(L, t, "a key expected");
		snprintf(key, sizeof(key), "%s", L->lex.tok.p);
		if (first && strcmp(key, "Setting"))
			return lfail(L, -EINVAL, "not a juicefs dump: it does not start with "
				     "\"Setting\"");
		first = false;
		if (jlex_expect(&L->lex, JT_COLON, "':'"))
			return lex_fail(L, "':' expected");
		if (!strcmp(key, "FSTree") || !strcmp(key, "Trash")) {
			if (!L->have_counters)
				return lfail(L, -EINVAL, "not a juicefs dump: no \"Counters\" "
					     "before the tree");
			L->have_tree |= key[0] == 'F';
			ret = parse_entry(L, META_ROOT_INO, key[0] == 'F' ? 0 : 1, NULL);
			continue;
		}
		t = jlex_next(&L->lex);
		if (jlex_value(&L->lex, t, &v))
			return lex_fail(L, "bad value");
		if (!strcmp(key, "Setting"))
			ret = take_setting(L, v);
		else if (!strcmp(key, "Counters"))
			L->have_counters = json_object_is_type(v, json_type_object);
		else if (!strcmp(key, "DelFiles"))
			ret = take_delfiles(L, v);
		else if (!strcmp(key, "Quotas"))
			ret = take_quotas(L, v);
		else if ((!strcmp(key, "UserQuotas") || !strcmp(key, "GroupQuotas")) &&
			 v && json_object_object_length(v))
			ret = lfail(L, -EOPNOTSUPP, "user and group quotas are not supported");
		json_object_put(v);
	}
	if (!ret && t != JT_RBRACE)
		ret = lex_fail(L, "'}' expected");
	if (!ret && !L->have_tree)
		ret = lfail(L, -EINVAL, "not a juicefs dump: no \"FSTree\"");
	if (!ret && jlex_next(&L->lex) != JT_EOF)
		ret = lex_fail(L, "data after the dump");
	return ret;
}

int volume_load(const char *url, const char *path, bool progress, struct volume_loaded *out)
{
	struct loader L;
	struct dump_in *in = NULL;
	int ret;

	memset(&L, 0, sizeof(L));
	memset(out, 0, sizeof(*out));
	L.out = out;
	L.src = path && strcmp(path, "-") ? path : "standard input";
	L.c.next_inode = 2;		/* decodeEntry's start */
	L.c.next_chunk = 1;
	ret = meta_open(url, &L.m);
	if (ret)
		return ret;
	ret = meta_load_check(L.m);
	if (!ret)
		ret = dump_in_open(path, &in);
	if (ret) {
		meta_close(L.m);
		return ret;
	}
	jlex_init(&L.lex, in);
	progress_start(&L.bar, "Loaded entries", 0, progress);
	ret = parse_top(&L);
	if (!ret)
		ret = finish(&L);
	progress_done(&L.bar);
	if (ret == -ENOMEM)
		jfs_seterr("volume", "load: out of memory");
	if (ret && L.written && meta_load_reset(L.m)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", jfs_errmsg());
		jfs_seterr("volume", "%s; emptying the database again failed too", msg);
	}
	for (size_t i = 0; i < L.nowned; i++)
		free(L.owned[i]);
	free(L.owned);
	free(L.recs);
	free(L.files);
	free(L.slices);
	free(L.extra);
	free(L.setting);
	free(L.del);
	free(L.quotas);
	free(L.path);
	jlex_free(&L.lex);
	dump_in_close(in);
	meta_close(L.m);
	return ret;
}
