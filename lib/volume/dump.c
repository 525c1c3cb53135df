/*
 * dump.c - volume_dump(): a volume's metadata as `juicefs dump` writes
 * it (pkg/meta/dump.go, redis.go DumpMeta), byte for byte where juicefs
 * is deterministic: the header (Setting, Counters, Sustained, DelFiles,
 * quotas) as json.MarshalIndent(.., "", "  ") gives it, then the tree
 * streamed entry by entry, children sorted by name, each entry's attr,
 * xattrs, ACLs and chunks in Go's compact JSON.
 *
 * Engine independent: the tree is read through meta.h's calls (readdir,
 * getattr, listxattr/getxattr, readlink, read_chunk, get_facl); only
 * the counters, delfiles and quotas come from the engine's dump_info.
 * Memory: one directory's entry list per level of the walk (juicefs
 * keeps the same), nothing per file beyond the one being written.
 *
 * Not a snapshot: like juicefs without --fast, entries are read one by
 * one while the volume may change.
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

struct dumper {
	struct meta *m;
	struct dump_out *out;
	struct dbuf b;		/* the entry being written */
	const struct volume_dump_opts *o;
	struct progress bar;	/* entries written */
};

static const char *const type_names[] = {
	[META_TYPE_FILE] = "regular", [META_TYPE_DIR] = "directory",
	[META_TYPE_SYMLINK] = "symlink", [META_TYPE_FIFO] = "fifo",
	[META_TYPE_BLKDEV] = "blockdev", [META_TYPE_CHRDEV] = "chardev",
	[META_TYPE_SOCKET] = "socket",
};

static const char *type_name(uint8_t t)
{
	return t && t <= META_TYPE_SOCKET ? type_names[t] : "";
}

static int fail_meta(int ret, const char *what, uint64_t ino)
{
	if (ret == -ENOMEM)
		return jfs_fail("volume", ret, "out of memory");
	return jfs_fail("volume", ret, "dump: %s of inode %" PRIu64 ": %s", what, ino,
			*jfs_errmsg() ? jfs_errmsg() : strerror(-ret));
}

static int bfmt(struct dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bfmt(struct dbuf *b, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s))
		return -EINVAL;
	return dbuf_put(b, s, (size_t)n);
}

static int indent(struct dbuf *b, int depth)
{
	int ret = 0;

	while (depth-- > 0 && !ret)
		ret = dbuf_put(b, "  ", 2);
	return ret;
}

/* DumpedAttr: omitempty fields left out when zero; length only for files */
static int put_attr(struct dbuf *b, uint64_t ino, const struct meta_attr *a)
{
	int ret = bfmt(b, "{\"inode\":%" PRIu64, ino);

	if (!ret && a->flags)
		ret = bfmt(b, ",\"flags\":%u", a->flags);
	if (!ret)
		ret = bfmt(b, ",\"type\":\"%s\",\"mode\":%u,\"uid\":%" PRIu32 ",\"gid\":%" PRIu32
			   ",\"atime\":%" PRId64 ",\"mtime\":%" PRId64 ",\"ctime\":%" PRId64,
			   type_name(a->type), a->mode, a->uid, a->gid, a->atime, a->mtime,
			   a->ctime);
	if (!ret && a->atimensec)
		ret = bfmt(b, ",\"atimensec\":%" PRIu32, a->atimensec);
	if (!ret && a->mtimensec)
		ret = bfmt(b, ",\"mtimensec\":%" PRIu32, a->mtimensec);
	if (!ret && a->ctimensec)
		ret = bfmt(b, ",\"ctimensec\":%" PRIu32, a->ctimensec);
	if (!ret)
		ret = bfmt(b, ",\"nlink\":%" PRIu32 ",\"length\":%" PRIu64, a->nlink,
			   a->type == META_TYPE_FILE ? a->length : 0);
	if (!ret && a->rdev)
		ret = bfmt(b, ",\"rdev\":%" PRIu32, a->rdev);
	if (!ret && a->tier)
		ret = bfmt(b, ",\"tier\":%u", a->tier);
	return ret ? ret : dbuf_putc(b, '}');
}

static int put_acl_entries(struct dbuf *b, const struct acl_entry *e, uint32_t n)
{
	uint32_t i;
	int ret;

	if (!n)		/* dumpACLEntries gives nil: null */
		return dbuf_put(b, "null", 4);
	ret = dbuf_putc(b, '[');
	for (i = 0; i < n && !ret; i++)
		ret = bfmt(b, "%s{\"id\":%" PRIu32 ",\"perm\":%u}", i ? "," : "", e[i].id,
			   e[i].perm);
	return ret ? ret : dbuf_putc(b, ']');
}

static int put_acl(struct dumper *d, uint64_t ino, int type, const char *key, int depth)
{
	struct acl_rule r;
	int ret;

	ret = meta_get_facl(d->m, ino, type, &r);
	if (ret == -ENODATA || ret == -ENOENT)
		return 0;
	if (ret)
		return fail_meta(ret, "the ACL", ino);
	ret = dbuf_put(&d->b, ",\n", 2);
	if (!ret)
		ret = indent(&d->b, depth);
	if (!ret)
		ret = bfmt(&d->b, "\"%s\": {\"owner\":%u,\"group\":%u,\"other\":%u,\"mask\":%u,"
			   "\"users\":", key, r.owner, r.group, r.other, r.mask);
	if (!ret)
		ret = put_acl_entries(&d->b, r.users, r.nusers);
	if (!ret)
		ret = dbuf_put(&d->b, ",\"groups\":", 10);
	if (!ret)
		ret = put_acl_entries(&d->b, r.groups, r.ngroups);
	if (!ret)
		ret = dbuf_putc(&d->b, '}');
	acl_rule_free(&r);
	return ret;
}

struct xattr {
	char *name, *value;
	size_t len, vlen;
};

static int xattr_cmp(const void *x, const void *y)
{
	const struct xattr *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* "xattrs": [{"name":..,"value":escape(value)}], sorted by name */
static int put_xattrs(struct dumper *d, uint64_t ino, int depth)
{
	struct xattr *x = NULL;
	struct dbuf esc = { 0 };
	char *names = NULL, *p;
	size_t len = 0, n = 0, i;
	int ret;

	ret = meta_listxattr(d->m, ino, &names, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return fail_meta(ret, "the xattrs", ino);
	for (p = names; p < names + len; p += strlen(p) + 1)
		n++;
	if (!n) {
		free(names);
		return 0;
	}
	x = calloc(n, sizeof(*x));
	if (!x) {
		free(names);
		return fail_meta(-ENOMEM, "the xattrs", ino);
	}
	for (i = 0, p = names; i < n && !ret; i++, p += strlen(p) + 1) {
		x[i].name = p;
		x[i].len = strlen(p);
		ret = meta_getxattr(d->m, ino, p, x[i].len, &x[i].value, &x[i].vlen);
		if (ret == -ENODATA) {	/* removed meanwhile */
			x[i].len = 0;
			ret = 0;
		}
	}
	if (ret) {
		ret = fail_meta(ret, "an xattr", ino);
		goto out;
	}
	qsort(x, n, sizeof(*x), xattr_cmp);
	ret = dbuf_put(&d->b, ",\n", 2);
	if (!ret)
		ret = indent(&d->b, depth);
	if (!ret)
		ret = dbuf_put(&d->b, "\"xattrs\": [", 11);
	for (i = 0, len = 0; i < n && !ret; i++) {
		if (!x[i].len)
			continue;
		esc.n = 0;
		ret = dump_escape(&esc, x[i].value ? x[i].value : "", x[i].vlen);
		if (!ret)
			ret = len++ ? dbuf_put(&d->b, ",{\"name\":", 9) :
				      dbuf_put(&d->b, "{\"name\":", 8);
		if (!ret)
			ret = dump_go_string(&d->b, x[i].name, x[i].len);
		if (!ret)
			ret = dbuf_put(&d->b, ",\"value\":", 9);
		if (!ret)
			ret = dump_go_string(&d->b, esc.p ? esc.p : "", esc.n);
		if (!ret)
			ret = dbuf_putc(&d->b, '}');
	}
	if (!ret)
		ret = dbuf_putc(&d->b, ']');
out:
	for (i = 0; i < n; i++)
		free(x[i].value);
	free(x);
	free(names);
	dbuf_free(&esc);
	return ret;
}

static int put_chunk(struct dbuf *b, uint32_t indx, const struct meta_slice *s, size_t n)
{
	size_t i;
	int ret = bfmt(b, "{\"index\":%" PRIu32 ",\"slices\":[", indx);

	for (i = 0; i < n && !ret; i++) {
		ret = bfmt(b, "%s{\"id\":%" PRIu64, i ? "," : "", s[i].id);
		if (!ret && s[i].pos)
			ret = bfmt(b, ",\"pos\":%" PRIu32, s[i].pos);
		if (!ret)
			ret = bfmt(b, ",\"size\":%" PRIu32, s[i].size);
		if (!ret && s[i].off)
			ret = bfmt(b, ",\"off\":%" PRIu32, s[i].off);
		if (!ret)
			ret = bfmt(b, ",\"len\":%" PRIu32 "}", s[i].len);
	}
	return ret ? ret : dbuf_put(b, "]}", 2);
}

/* the chunks the length covers that have records: one line, or one per chunk */
static int put_chunks(struct dumper *d, uint64_t ino, uint64_t length, int depth)
{
	struct dbuf c = { 0 };
	struct meta_slice *s;
	size_t n, nchunks = 0;
	uint64_t indx;
	int ret = 0;

	for (indx = 0; !ret && (indx == 0 ? length > 0 : indx * META_CHUNK_SIZE < length); indx++) {
		ret = meta_read_chunk(d->m, ino, (uint32_t)indx, &s, &n);
		if (ret) {
			ret = fail_meta(ret, "a chunk", ino);
			break;
		}
		if (n) {
			if (nchunks++) {
				ret = dbuf_putc(&c, ',');
			}
			/* lay the chunks out as if there were several; fixed below */
			if (!ret)
				ret = dbuf_putc(&c, '\n');
			if (!ret)
				ret = indent(&c, depth + 1);
			if (!ret)
				ret = put_chunk(&c, (uint32_t)indx, s, n);
		}
		free(s);
	}
	if (!ret && nchunks) {
		ret = dbuf_put(&d->b, ",\n", 2);
		if (!ret)
			ret = indent(&d->b, depth);
		if (!ret)
			ret = dbuf_put(&d->b, "\"chunks\": [", 11);
		if (!ret && nchunks == 1) {
			/* one chunk: json.Marshal of the list, on the field's line */
			size_t skip = 1 + 2 * (size_t)(depth + 1);

			ret = dbuf_put(&d->b, c.p + skip, c.n - skip);
			if (!ret)
				ret = dbuf_putc(&d->b, ']');
		} else if (!ret) {
			ret = dbuf_put(&d->b, c.p, c.n);
			if (!ret)
				ret = dbuf_putc(&d->b, '\n');
			if (!ret)
				ret = indent(&d->b, depth);
			if (!ret)
				ret = dbuf_putc(&d->b, ']');
		}
	}
	dbuf_free(&c);
	return ret;
}

/*
 * An entry's attr: a missing one dumps as juicefs's zero Attr of the
 * entry's type (nlink 1, a dir's 2); when present, its own type wins.
 */
static int entry_attr(struct dumper *d, uint64_t ino, uint8_t type, struct meta_attr *a)
{
	int ret = meta_getattr(d->m, ino, a);

	if (ret == -ENOENT) {
		memset(a, 0, sizeof(*a));
		a->type = type;
		a->nlink = type == META_TYPE_DIR ? 2 : 1;
		return 0;
	}
	return ret ? fail_meta(ret, "the attr", ino) : 0;
}

static int dump_dir(struct dumper *d, const char *name, size_t len, uint64_t ino,
		    const struct meta_attr *a, int depth);

/* writeJSON / writeJsonWithOutEntry: the entry's own part */
static int entry_head(struct dumper *d, const char *name, size_t len, uint64_t ino,
		      const struct meta_attr *a, int depth)
{
	char *target = NULL;
	size_t tlen = 0;
	int ret;

	progress_add(&d->bar, 1);
	d->b.n = 0;
	ret = dbuf_putc(&d->b, '\n');
	if (!ret)
		ret = indent(&d->b, depth);
	if (!ret)
		ret = dbuf_putc(&d->b, '"');
	if (!ret)
		ret = dump_escape(&d->b, name, len);
	if (!ret)
		ret = dbuf_put(&d->b, "\": {\n", 5);
	if (!ret)
		ret = indent(&d->b, depth + 1);
	if (!ret)
		ret = dbuf_put(&d->b, "\"attr\": ", 8);
	if (!ret)
		ret = put_attr(&d->b, ino, a);
	if (!ret && a->type == META_TYPE_SYMLINK) {
		ret = meta_readlink(d->m, ino, &target, &tlen);
		if (ret == -ENOENT)	/* juicefs warns and dumps none */
			ret = 0;
		else if (ret)
			ret = fail_meta(ret, "the symlink", ino);
		if (!ret && tlen) {
			ret = dbuf_put(&d->b, ",\n", 2);
			if (!ret)
				ret = indent(&d->b, depth + 1);
			if (!ret)
				ret = dbuf_put(&d->b, "\"symlink\": \"", 12);
			if (!ret)
				ret = dump_escape(&d->b, target, tlen);
			if (!ret)
				ret = dbuf_putc(&d->b, '"');
		}
		free(target);
	}
	if (!ret)
		ret = put_xattrs(d, ino, depth + 1);
	if (!ret && a->access_acl)
		ret = put_acl(d, ino, ACL_TYPE_ACCESS_J, "posix_acl_access", depth + 1);
	if (!ret && a->default_acl)
		ret = put_acl(d, ino, ACL_TYPE_DEFAULT_J, "posix_acl_default", depth + 1);
	if (!ret && a->type == META_TYPE_FILE)
		ret = put_chunks(d, ino, a->length, depth + 1);
	return ret;
}

static int flush_entry(struct dumper *d)
{
	int ret = dump_out_write(d->out, d->b.p, d->b.n);

	d->b.n = 0;
	return ret;
}

static int dump_entry(struct dumper *d, const struct meta_dirent *e, int depth)
{
	struct meta_attr a;
	int ret;

	/* jfsd's backups stop here when the mount goes away */
	if (d->o->cancel && d->o->cancel(d->o->cancel_arg))
		return jfs_fail("volume", -ECANCELED, "dump: cancelled");
	ret = entry_attr(d, e->ino, e->type, &a);
	if (ret)
		return ret;
	if (a.type == META_TYPE_DIR)
		return dump_dir(d, e->name, e->namelen, e->ino, &a, depth);
	ret = entry_head(d, e->name, e->namelen, e->ino, &a, depth);
	if (!ret)
		ret = dbuf_putc(&d->b, '\n');
	if (!ret)
		ret = indent(&d->b, depth);
	if (!ret)
		ret = dbuf_putc(&d->b, '}');
	return ret ? ret : flush_entry(d);
}

static int dump_dir(struct dumper *d, const char *name, size_t len, uint64_t ino,
		    const struct meta_attr *a, int depth)
{
	struct meta_dirent *ents = NULL;
	size_t n = 0, i;
	int ret;

	ret = entry_head(d, name, len, ino, a, depth);
	if (!ret)
		ret = dbuf_put(&d->b, ",\n", 2);
	if (!ret)
		ret = indent(&d->b, depth + 1);
	if (!ret)
		ret = dbuf_put(&d->b, "\"entries\": {", 12);
	if (!ret)
		ret = flush_entry(d);
	if (ret)
		return ret;
	ret = meta_readdir(d->m, ino, false, &ents, &n);
	if (ret == -ENOENT)
		ret = 0;
	else if (ret)
		return fail_meta(ret, "the entries", ino);
	for (i = 0; i < n && !ret; i++) {
		ret = dump_entry(d, &ents[i], depth + 2);
		if (!ret && i + 1 < n)
			ret = dump_out_str(d->out, ",");
	}
	meta_free_dirents(ents, n);
	if (!ret) {
		ret = dbuf_putc(&d->b, '\n');
		if (!ret)
			ret = indent(&d->b, depth + 1);
		if (!ret)
			ret = dbuf_put(&d->b, "}\n", 2);
		if (!ret)
			ret = indent(&d->b, depth);
		if (!ret)
			ret = dbuf_putc(&d->b, '}');
		if (!ret)
			ret = flush_entry(d);
	}
	return ret;
}

/* ---- the header -------------------------------------------------------- */

/*
 * The Setting as the volume layer writes it (MarshalIndent(.., "", ""):
 * one token per line), indented to sit at depth 1.
 */
static int put_setting(struct dumper *d, const struct volume_dump_opts *o)
{
	struct setting s;
	char *raw = NULL, *json = NULL, *line, *next;
	int depth = 1, ret;

	ret = meta_get_setting(d->m, &raw);
	if (ret)
		return jfs_fail("volume", ret, "dump: cannot read the setting: %s", jfs_errmsg());
	ret = setting_parse(&s, raw);
	free(raw);
	if (ret)
		return jfs_fail("volume", ret, "dump: %s", jfs_errmsg());
	/* DumpMeta removes these two only: EncryptKey stays (sealed) */
	if (!o->keep_secret && s.secret_key && *s.secret_key)
		ret = setting_set_str(&s.secret_key, "removed");
	if (!ret && !o->keep_secret && s.session_token && *s.session_token)
		ret = setting_set_str(&s.session_token, "removed");
	if (!ret)
		ret = setting_to_json(&s, &json);
	setting_release(&s);
	if (ret)
		return ret;
	ret = dump_out_str(d->out, "{\n  \"Setting\": ");
	for (line = json; line && !ret; line = next) {
		size_t n;

		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (n && (line[0] == '}' || line[0] == ']'))
			depth--;
		d->b.n = 0;
		if (line != json)
			ret = indent(&d->b, depth);
		if (!ret)
			ret = dbuf_put(&d->b, line, n);
		if (!ret && next)
			ret = dbuf_putc(&d->b, '\n');
		if (!ret)
			ret = flush_entry(d);
		if (n && (line[n - 1] == '{' || line[n - 1] == '['))
			depth++;
	}
	free(json);
	return ret;
}

static int put_counters(struct dumper *d, const struct meta_counters *c)
{
	return dump_out_fmt(d->out, ",\n  \"Counters\": {\n    \"usedSpace\": %" PRId64
			    ",\n    \"usedInodes\": %" PRId64 ",\n    \"nextInodes\": %" PRId64
			    ",\n    \"nextChunk\": %" PRId64 ",\n    \"nextSession\": %" PRId64
			    ",\n    \"nextTrash\": %" PRId64 "\n  }",
			    c->used_space, c->used_inodes, c->next_inode, c->next_chunk,
			    c->next_session, c->next_trash);
}

static int put_sustained(struct dumper *d)
{
	struct meta_session_info *s = NULL;
	size_t n = 0, i, j, k = 0;
	int ret;

	ret = meta_list_sessions(d->m, &s, &n);
	if (ret)
		return jfs_fail("volume", ret, "dump: cannot list the sessions: %s", jfs_errmsg());
	ret = dump_out_str(d->out, ",\n  \"Sustained\": [");
	for (i = 0; i < n && !ret; i++) {
		if (!s[i].nsustained)
			continue;
		ret = dump_out_fmt(d->out, "%s\n    {\n      \"sid\": %" PRIu64
				   ",\n      \"inodes\": [", k++ ? "," : "", s[i].sid);
		for (j = 0; j < s[i].nsustained && !ret; j++)
			ret = dump_out_fmt(d->out, "%s\n        %" PRIu64, j ? "," : "",
					   s[i].sustained[j]);
		if (!ret)
			ret = dump_out_str(d->out, "\n      ]\n    }");
	}
	if (!ret)
		ret = dump_out_str(d->out, k ? "\n  ]" : "]");
	meta_free_sessions(s, n);
	return ret;
}

static int put_delfiles(struct dumper *d, const struct meta_dump_info *in)
{
	size_t i;
	int ret = dump_out_str(d->out, ",\n  \"DelFiles\": [");

	for (i = 0; i < in->ndel && !ret; i++)
		ret = dump_out_fmt(d->out, "%s\n    {\n      \"inode\": %" PRIu64
				   ",\n      \"length\": %" PRIu64 ",\n      \"expire\": %" PRId64
				   "\n    }", i ? "," : "", in->del[i].ino, in->del[i].length,
				   in->del[i].expire);
	return ret ? ret : dump_out_str(d->out, in->ndel ? "\n  ]" : "]");
}

/* Go sorts a map's integer keys as the strings they print as */
static int quota_cmp(const void *x, const void *y)
{
	char a[24], b[24];

	snprintf(a, sizeof(a), "%" PRIu64, ((const struct meta_quota *)x)->id);
	snprintf(b, sizeof(b), "%" PRIu64, ((const struct meta_quota *)y)->id);
	return strcmp(a, b);
}

static int put_quotas(struct dumper *d, const char *key, struct meta_quota *q, size_t n)
{
	size_t i;
	int ret;

	if (!n)		/* omitempty */
		return 0;
	qsort(q, n, sizeof(*q), quota_cmp);
	ret = dump_out_fmt(d->out, ",\n  \"%s\": {", key);
	for (i = 0; i < n && !ret; i++)
		ret = dump_out_fmt(d->out, "%s\n    \"%" PRIu64 "\": {\n      \"maxSpace\": %" PRId64
				   ",\n      \"maxInodes\": %" PRId64 "\n    }", i ? "," : "",
				   q[i].id, q[i].max_space, q[i].max_inodes);
	return ret ? ret : dump_out_str(d->out, "\n  }");
}

/* --subdir: the path's inode, looked up from the root */
static int resolve(struct meta *m, const char *path, uint64_t *ino, struct meta_attr *a)
{
	const char *p = path, *q;
	int ret;

	*ino = META_ROOT_INO;
	ret = meta_getattr(m, *ino, a);
	while (!ret && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		q = strchr(p, '/');
		if (!q)
			q = p + strlen(p);
		if (a->type != META_TYPE_DIR)
			ret = -ENOTDIR;
		else
			ret = meta_lookup(m, *ino, p, (size_t)(q - p), ino, a);
		p = q;
	}
	if (!ret && a->type != META_TYPE_DIR)
		ret = -ENOTDIR;
	if (ret)
		return jfs_fail("volume", ret, "dump: --subdir '%s': %s", path, strerror(-ret));
	return 0;
}

int volume_dump(struct volume *v, const char *path, const struct volume_dump_opts *o)
{
	struct dumper d = { .m = v->meta, .o = o };
	struct meta_dump_info info;
	struct meta_attr a;
	uint64_t root = META_ROOT_INO;
	int ret;

	ret = meta_dump_info(v->meta, &info);
	if (ret)
		return jfs_fail("volume", ret, "dump: %s", jfs_errmsg());
	if (o->subdir && *o->subdir)
		ret = resolve(v->meta, o->subdir, &root, &a);
	else
		ret = entry_attr(&d, root, META_TYPE_DIR, &a);
	if (!ret)
		ret = dump_out_open(path, &d.out);
	if (ret) {
		meta_dump_info_free(&info);
		return ret;
	}
	progress_start(&d.bar, "Dumped entries", 0, o->progress);
	ret = put_setting(&d, o);
	if (!ret)
		ret = put_counters(&d, &info.c);
	if (!ret)
		ret = put_sustained(&d);
	if (!ret)
		ret = put_delfiles(&d, &info);
	if (!ret)
		ret = put_quotas(&d, "Quotas", info.q[META_QUOTA_DIR], info.nq[META_QUOTA_DIR]);
	if (!ret && root == META_ROOT_INO)
		ret = put_quotas(&d, "UserQuotas", info.q[META_QUOTA_USER],
				 info.nq[META_QUOTA_USER]);
	if (!ret && root == META_ROOT_INO)
		ret = put_quotas(&d, "GroupQuotas", info.q[META_QUOTA_GROUP],
				 info.nq[META_QUOTA_GROUP]);
	if (!ret)
		ret = dump_out_str(d.out, ",");
	if (!ret)
		ret = dump_dir(&d, "FSTree", 6, root, &a, 1);
	if (!ret && root == META_ROOT_INO && !o->skip_trash) {
		ret = entry_attr(&d, META_TRASH_INO, META_TYPE_DIR, &a);
		if (!ret)
			ret = dump_out_str(d.out, ",");
		if (!ret)
			ret = dump_dir(&d, "Trash", 5, META_TRASH_INO, &a, 1);
	}
	if (!ret)
		ret = dump_out_str(d.out, "\n}\n");
	progress_done(&d.bar);
	meta_dump_info_free(&info);
	dbuf_free(&d.b);
	if (ret == -ENOMEM)
		jfs_seterr("volume", "dump: out of memory");
	return dump_out_close(d.out, !ret) ?: ret;
}
