/*
 * acl.h - POSIX ACL rules as JuiceFS 1.2 stores them (pkg/acl), and their
 * conversion from and to the Linux xattr form of system.posix_acl_*.
 *
 * A rule keeps the owner, group, mask and other permissions (0xFFFF =
 * unset) and the named users and groups.  The `acl` hash maps an id to a
 * rule's encoding; an inode's record carries the ids of its access and
 * default rules (0 = none), and identical rules share an id.
 */
#ifndef JFS_ACL_H
#define JFS_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ACL_UNSET	0xFFFF
#define ACL_MAX_ENTRIES	1024	/* named entries per rule; the kernel's limit is higher */

enum acl_type { ACL_TYPE_ACCESS_J = 1, ACL_TYPE_DEFAULT_J = 2 };	/* JuiceFS's numbers */

struct acl_entry {
	uint32_t id;
	uint16_t perm;
};

struct acl_rule {
	uint16_t owner, group, mask, other;
	uint32_t nusers, ngroups;
	struct acl_entry *users;	/* malloc'd; users then groups */
	struct acl_entry *groups;
};

void acl_rule_init(struct acl_rule *r);		/* the empty rule */
void acl_rule_free(struct acl_rule *r);
int acl_rule_copy(struct acl_rule *dst, const struct acl_rule *src);
bool acl_rule_is_empty(const struct acl_rule *r);
bool acl_rule_is_minimal(const struct acl_rule *r);
bool acl_rule_equal(const struct acl_rule *a, const struct acl_rule *b);
void acl_rule_inherit_perms(struct acl_rule *r, uint16_t mode);
void acl_rule_set_mode(struct acl_rule *r, uint16_t mode);
uint16_t acl_rule_get_mode(const struct acl_rule *r);
int acl_rule_child_access(const struct acl_rule *def, uint16_t mode, struct acl_rule *out);

/* JuiceFS's binary encoding (big-endian); *buf is malloc'd */
int acl_rule_encode(const struct acl_rule *r, unsigned char **buf, size_t *len);
int acl_rule_decode(const unsigned char *buf, size_t len, struct acl_rule *r);

/* The Linux xattr value (little-endian, version 2); -EINVAL if malformed */
int acl_from_xattr(const unsigned char *buf, size_t len, struct acl_rule *r);
int acl_to_xattr(const struct acl_rule *r, unsigned char **buf, size_t *len);

/* "system.posix_acl_access" -> ACL_TYPE_ACCESS_J, ..._default -> DEFAULT, else 0 */
int acl_xattr_type(const char *name, size_t len);

#endif
