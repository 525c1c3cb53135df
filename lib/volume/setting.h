/*
 * setting.h - a volume's Format record, the JSON stored under `setting`.
 *
 * The typed fields below are what jfs reads and edits; the parsed JSON
 * object is kept too, so fields this code does not know (written by newer
 * JuiceFS clients) survive a rewrite.  setting_to_json() writes the record
 * the way JuiceFS does: json.MarshalIndent(format, "", ""), known fields in
 * JuiceFS's struct order, omitempty fields left out when zero, unknown
 * fields after them in their original order.
 *
 * Secrets (SecretKey, SessionToken, EncryptKey) are sealed in storage when
 * KeyEncrypted is true: AES-GCM keyed by MD5(UUID), see setting_seal().
 *
 * Every function returns 0 or a negative errno; jfs_errmsg() gives the
 * calling thread's last failure detail.
 */
#ifndef JFS_SETTING_H
#define JFS_SETTING_H

#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* The JuiceFS version jfs claims in the Min/MaxClientVersion gate. */
#define SETTING_CLIENT_VERSION	"1.2.0"
/* Highest MetaVersion jfs understands (JuiceFS MaxVersion). */
#define SETTING_META_VERSION	1

struct setting {
	json_object *obj;	/* the record as parsed (owned); unknown fields live here */

	char *name;
	char *uuid;
	char *storage;
	char *storage_class;
	char *bucket;
	char *access_key;
	char *secret_key;
	char *session_token;
	int64_t block_size;	/* KiB */
	char *compression;	/* "none", "lz4", "zstd"; NULL/"" = none */
	int64_t shards;
	bool hash_prefix;
	uint64_t capacity;	/* bytes, 0 = unlimited */
	uint64_t inodes;	/* 0 = unlimited */
	char *encrypt_key;
	char *encrypt_algo;
	bool key_encrypted;
	int64_t upload_limit;	/* Mbps */
	int64_t download_limit;
	int64_t trash_days;
	int64_t meta_version;
	char *min_client_version;
	char *max_client_version;
	bool dir_stats;
	bool user_group_quota;
	bool enable_acl;
	char *ranger_rest_url;
	char *ranger_service;
	bool changelog;
	int64_t changelog_max_age;
	int64_t changelog_max_lines;
	char *kerb_conf;
};

/* An empty record (all zero, no unknown fields), for a new volume. */
int setting_init(struct setting *s);
/* Parses a stored record; -EINVAL when it is not JSON or a field has the wrong type. */
int setting_parse(struct setting *s, const char *json);
/* Frees the contents; s may then be initialized again. */
void setting_release(struct setting *s);
/* Writes the record as JuiceFS does; *json is malloc'd. */
int setting_to_json(const struct setting *s, char **json);

/* Sets a string field (NULL or "" clears it); the value is copied. */
int setting_set_str(char **field, const char *value);

/* Seals the non-empty secrets unless already sealed; sets key_encrypted. */
int setting_seal(struct setting *s);
/* Opens sealed secrets; -EINVAL if one was "removed", -EBADMSG if it does not decrypt. */
int setting_unseal(struct setting *s);
/* Replaces every non-empty secret with "removed", as dumps and status show them. */
int setting_remove_secrets(struct setting *s);

/*
 * Refuses volumes this client cannot serve: MetaVersion too new or a
 * client version window that excludes SETTING_CLIENT_VERSION (always),
 * and features jfsd does not maintain yet (read-write mounts only).
 * -EOPNOTSUPP (or -EINVAL for a malformed version) with the feature named
 * in jfs_errmsg().
 */
int setting_check(const struct setting *s, bool readonly);

/* JuiceFS's loose semver compare ("1.2.0-A"); -EINVAL if either is malformed. */
int setting_version_cmp(const char *a, const char *b, int *result);


#endif /* JFS_SETTING_H */
