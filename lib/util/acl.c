/*
 * acl.c - JuiceFS ACL rules (pkg/acl/acl.go) and the Linux xattr form
 * (pkg/vfs encodeACL/decodeACL), byte for byte, so rules written here and
 * by juicefs are interchangeable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/acl.h"
#include "util/bytes.h"

#define XATTR_ACL_VERSION	2
/* Linux ACL entry tags */
#define TAG_USER_OBJ	0x01
#define TAG_USER	0x02
#define TAG_GROUP_OBJ	0x04
#define TAG_GROUP	0x08
#define TAG_MASK	0x10
#define TAG_OTHER	0x20

void acl_rule_init(struct acl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->owner = r->group = r->mask = r->other = ACL_UNSET;
}

void acl_rule_free(struct acl_rule *r)
{
	free(r->users);
	free(r->groups);
	r->users = r->groups = NULL;
	r->nusers = r->ngroups = 0;
}

static int dup_entries(struct acl_entry **dst, const struct acl_entry *src, uint32_t n)
{
	*dst = NULL;
	if (!n)
		return 0;
	*dst = malloc(n * sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(**dst));
	return 0;
}

int acl_rule_copy(struct acl_rule *dst, const struct acl_rule *src)
{
	*dst = *src;
	if (dup_entries(&dst->users, src->users, src->nusers) ||
	    dup_entries(&dst->groups, src->groups, src->ngroups)) {
		free(dst->users);
		dst->users = dst->groups = NULL;
		dst->nusers = dst->ngroups = 0;
		return -ENOMEM;
	}
	return 0;
}

bool acl_rule_is_empty(const struct acl_rule *r)
{
	return !r->nusers && !r->ngroups &&
	       (r->owner & r->group & r->other & r->mask) == ACL_UNSET;
}

bool acl_rule_is_minimal(const struct acl_rule *r)
{
	return !r->nusers && !r->ngroups && r->mask == ACL_UNSET;
}

static bool entries_equal(const struct acl_entry *a, const struct acl_entry *b, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (a[i].id != b[i].id || a[i].perm != b[i].perm)
			return false;
	return true;
}

bool acl_rule_equal(const struct acl_rule *a, const struct acl_rule *b)
{
	return a->owner == b->owner && a->group == b->group && a->mask == b->mask &&
	       a->other == b->other && a->nusers == b->nusers &&
	       a->ngroups == b->ngroups &&
	       entries_equal(a->users, b->users, a->nusers) &&
	       entries_equal(a->groups, b->groups, a->ngroups);
}

void acl_rule_inherit_perms(struct acl_rule *r, uint16_t mode)
{
	if (r->owner == ACL_UNSET)
		r->owner = (mode >> 6) & 7;
	if (r->group == ACL_UNSET)
		r->group = (mode >> 3) & 7;
	if (r->other == ACL_UNSET)
		r->other = mode & 7;
}

/* chmod on a file with an access ACL: the group bits become the mask */
void acl_rule_set_mode(struct acl_rule *r, uint16_t mode)
{
	r->owner = (r->owner & 0xFFF8) | ((mode >> 6) & 7);
	if (acl_rule_is_minimal(r))
		r->group = (r->group & 0xFFF8) | ((mode >> 3) & 7);
	else
		r->mask = (r->mask & 0xFFF8) | ((mode >> 3) & 7);
	r->other = (r->other & 0xFFF8) | (mode & 7);
}

uint16_t acl_rule_get_mode(const struct acl_rule *r)
{
	uint16_t g = acl_rule_is_minimal(r) ? r->group : r->mask;

	return ((r->owner & 7) << 6) | ((g & 7) << 3) | (r->other & 7);
}

/* A new inode's access rule under a directory's default rule */
int acl_rule_child_access(const struct acl_rule *def, uint16_t mode, struct acl_rule *out)
{
	int ret = acl_rule_copy(out, def);

	if (ret)
		return ret;
	out->owner = (mode >> 6) & 7 & def->owner;
	out->mask = (mode >> 3) & 7 & def->mask;
	out->other = mode & 7 & def->other;
	return 0;
}





int acl_rule_encode(const struct acl_rule *r, unsigned char **buf, size_t *len)
{
	size_t n = 16 + ((size_t)r->nusers + r->ngroups) * 6, off;
	unsigned char *p;
	uint32_t i;

	p = malloc(n);
	if (!p)
		return -ENOMEM;
	put_be16(p, r->owner);
	put_be16(p + 2, r->group);
	put_be16(p + 4, r->mask);
	put_be16(p + 6, r->other);
	put_be32(p + 8, r->nusers);
	off = 12;
	for (i = 0; i < r->nusers; i++, off += 6) {
		put_be32(p + off, r->users[i].id);
		put_be16(p + off + 4, r->users[i].perm);
	}
	put_be32(p + off, r->ngroups);
	off += 4;
	for (i = 0; i < r->ngroups; i++, off += 6) {
		put_be32(p + off, r->groups[i].id);
		put_be16(p + off + 4, r->groups[i].perm);
	}
	*buf = p;
	*len = n;
	return 0;
}

static int get_entries(const unsigned char *buf, size_t len, size_t *off,
		       uint32_t *n, struct acl_entry **e)
{
	uint32_t i;

	if (len - *off < 4)
		return -EIO;
	*n = get_be32(buf + *off);
	*off += 4;
	if (*n > ACL_MAX_ENTRIES || (len - *off) / 6 < *n)
		return -EIO;
	*e = NULL;
	if (!*n)
		return 0;
	*e = calloc(*n, sizeof(**e));
	if (!*e)
		return -ENOMEM;
	for (i = 0; i < *n; i++, *off += 6) {
		(*e)[i].id = get_be32(buf + *off);
		(*e)[i].perm = get_be16(buf + *off + 4);
	}
	return 0;
}

int acl_rule_decode(const unsigned char *buf, size_t len, struct acl_rule *r)
{
	size_t off = 8;
	int ret;

	acl_rule_init(r);
	if (len < 16)
		return -EIO;
	r->owner = get_be16(buf);
	r->group = get_be16(buf + 2);
	r->mask = get_be16(buf + 4);
	r->other = get_be16(buf + 6);
	ret = get_entries(buf, len, &off, &r->nusers, &r->users);
	if (!ret)
		ret = get_entries(buf, len, &off, &r->ngroups, &r->groups);
	if (!ret && off != len)
		ret = -EIO;
	if (ret)
		acl_rule_free(r);
	return ret;
}





static int set_once(uint16_t *field, uint16_t perm)
{
	if (*field != ACL_UNSET)
		return -EINVAL;
	*field = perm;
	return 0;
}

int acl_from_xattr(const unsigned char *buf, size_t len, struct acl_rule *r)
{
	size_t i, n, nu = 0, ng = 0;
	int ret = 0;

	acl_rule_init(r);
	if (len < 4 || len % 8 != 4 || get_le32(buf) != XATTR_ACL_VERSION)
		return -EINVAL;
	n = (len - 4) / 8;
	for (i = 0; i < n; i++) {
		uint16_t tag = get_le16(buf + 4 + i * 8);

		nu += tag == TAG_USER;
		ng += tag == TAG_GROUP;
	}
	if (nu > ACL_MAX_ENTRIES || ng > ACL_MAX_ENTRIES)
		return -EINVAL;
	r->users = nu ? calloc(nu, sizeof(*r->users)) : NULL;
	r->groups = ng ? calloc(ng, sizeof(*r->groups)) : NULL;
	if ((nu && !r->users) || (ng && !r->groups)) {
		acl_rule_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		const unsigned char *e = buf + 4 + i * 8;
		uint16_t tag = get_le16(e), perm = get_le16(e + 2);
		uint32_t id = get_le32(e + 4);

		if (perm & ~7)
			ret = -EINVAL;
		else if (tag == TAG_USER_OBJ)
			ret = set_once(&r->owner, perm);
		else if (tag == TAG_GROUP_OBJ)
			ret = set_once(&r->group, perm);
		else if (tag == TAG_MASK)
			ret = set_once(&r->mask, perm);
		else if (tag == TAG_OTHER)
			ret = set_once(&r->other, perm);
		else if (tag == TAG_USER)
			r->users[r->nusers++] = (struct acl_entry){ id, perm };
		else if (tag == TAG_GROUP)
			r->groups[r->ngroups++] = (struct acl_entry){ id, perm };
		else
			ret = -EINVAL;
	}
	/* named entries need a mask */
	if (!ret && r->mask == ACL_UNSET && (r->nusers || r->ngroups))
		ret = -EINVAL;
	if (ret)
		acl_rule_free(r);
	return ret;
}

static unsigned char *put_xentry(unsigned char *p, uint16_t tag, uint16_t perm, uint32_t id)
{
	put_le16(p, tag);
	put_le16(p + 2, perm);
	put_le32(p + 4, id);
	return p + 8;
}

int acl_to_xattr(const struct acl_rule *r, unsigned char **buf, size_t *len)
{
	size_t n = 4 + 24 + ((size_t)r->nusers + r->ngroups) * 8;
	unsigned char *p, *q;
	uint32_t i;

	if (r->mask != ACL_UNSET)
		n += 8;
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	put_le32(p, XATTR_ACL_VERSION);
	q = put_xentry(p + 4, TAG_USER_OBJ, r->owner, UINT32_MAX);
	for (i = 0; i < r->nusers; i++)
		q = put_xentry(q, TAG_USER, r->users[i].perm, r->users[i].id);
	q = put_xentry(q, TAG_GROUP_OBJ, r->group, UINT32_MAX);
	for (i = 0; i < r->ngroups; i++)
		q = put_xentry(q, TAG_GROUP, r->groups[i].perm, r->groups[i].id);
	if (r->mask != ACL_UNSET)
		q = put_xentry(q, TAG_MASK, r->mask, UINT32_MAX);
	put_xentry(q, TAG_OTHER, r->other, UINT32_MAX);
	*buf = p;
	*len = n;
	return 0;
}

int acl_xattr_type(const char *name, size_t len)
{
	static const char acc[] = "system.posix_acl_access";
	static const char def[] = "system.posix_acl_default";

	if (len == sizeof(acc) - 1 && !memcmp(name, acc, len))
		return ACL_TYPE_ACCESS_J;
	if (len == sizeof(def) - 1 && !memcmp(name, def, len))
		return ACL_TYPE_DEFAULT_J;
	return 0;
}
