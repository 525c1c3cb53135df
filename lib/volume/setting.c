/*
 * setting.c - parse, edit and rewrite a volume's Format JSON (the
 * `setting` key), seal its secrets, and decide whether jfs can serve it.
 *
 * One table lists the known fields in JuiceFS's struct order with their
 * JSON type and omitempty flag; parsing, serializing and freeing all walk
 * it, so a new field is one table line plus one struct member.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "volume/setting.h"

enum ftype {
	F_STR,
	F_INT,		/* Go int / int64 */
	F_UINT,		/* Go uint64 */
	F_BOOL,
	F_RAW,		/* kept as JSON, not modelled (Tiers) */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	bool omitempty;
};

#define FLD(n, t, m, o) { n, t, offsetof(struct setting, m), o }
#define RAW(n) { n, F_RAW, 0, true }

/* pkg/meta/config.go `Format`, in order */
static const struct field fields[] = {
	FLD("Name", F_STR, name, false),
	FLD("UUID", F_STR, uuid, false),
	FLD("Storage", F_STR, storage, false),
	FLD("StorageClass", F_STR, storage_class, true),
	RAW("Tiers"),
	FLD("Bucket", F_STR, bucket, false),
	FLD("AccessKey", F_STR, access_key, true),
	FLD("SecretKey", F_STR, secret_key, true),
	FLD("SessionToken", F_STR, session_token, true),
	FLD("BlockSize", F_INT, block_size, false),
	FLD("Compression", F_STR, compression, true),
	FLD("Shards", F_INT, shards, true),
	FLD("HashPrefix", F_BOOL, hash_prefix, true),
	FLD("Capacity", F_UINT, capacity, true),
	FLD("Inodes", F_UINT, inodes, true),
	FLD("EncryptKey", F_STR, encrypt_key, true),
	FLD("EncryptAlgo", F_STR, encrypt_algo, true),
	FLD("KeyEncrypted", F_BOOL, key_encrypted, true),
	FLD("UploadLimit", F_INT, upload_limit, true),
	FLD("DownloadLimit", F_INT, download_limit, true),
	FLD("TrashDays", F_INT, trash_days, false),
	FLD("MetaVersion", F_INT, meta_version, true),
	FLD("MinClientVersion", F_STR, min_client_version, true),
	FLD("MaxClientVersion", F_STR, max_client_version, true),
	FLD("DirStats", F_BOOL, dir_stats, true),
	FLD("UserGroupQuota", F_BOOL, user_group_quota, true),
	FLD("EnableACL", F_BOOL, enable_acl, false),
	FLD("RangerRestUrl", F_STR, ranger_rest_url, true),
	FLD("RangerService", F_STR, ranger_service, true),
	FLD("ChangeLog", F_BOOL, changelog, true),
	FLD("ChangeLogMaxAge", F_INT, changelog_max_age, true),
	FLD("ChangeLogMaxLines", F_INT, changelog_max_lines, true),
	FLD("KerbConf", F_STR, kerb_conf, true),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jfs_vseterr("setting", fmt, ap);
	va_end(ap);
	return err;
}

static char **str_at(struct setting *s, const struct field *f)
{
	return (char **)((char *)s + f->off);
}

static const char *cstr_at(const struct setting *s, const struct field *f)
{
	return *(char *const *)((const char *)s + f->off);
}

static const struct field *find_field(const char *name)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

int setting_set_str(char **field, const char *value)
{
	char *v = NULL;

	if (value && *value && !(v = strdup(value)))
		return fail(-ENOMEM, "out of memory");
	free(*field);
	*field = v;
	return 0;
}

int setting_init(struct setting *s)
{
	memset(s, 0, sizeof(*s));
	s->obj = json_object_new_object();
	return s->obj ? 0 : fail(-ENOMEM, "out of memory");
}

void setting_release(struct setting *s)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_STR)
			free(*str_at(s, &fields[i]));
	json_object_put(s->obj);
	memset(s, 0, sizeof(*s));
}

static int parse_field(struct setting *s, const struct field *f, json_object *v)
{
	void *p = (char *)s + f->off;
	enum json_type t = json_object_get_type(v);

	if (f->type == F_RAW || t == json_type_null)
		return 0;
	switch (f->type) {
	case F_STR:
		if (t != json_type_string)
			break;
		return setting_set_str(p, json_object_get_string(v));
	case F_INT:
		if (t != json_type_int)
			break;
		*(int64_t *)p = json_object_get_int64(v);
		return 0;
	case F_UINT:
		if (t != json_type_int || json_object_get_int64(v) < 0)
			break;
		*(uint64_t *)p = json_object_get_uint64(v);
		return 0;
	case F_BOOL:
		if (t != json_type_boolean)
			break;
		*(bool *)p = json_object_get_boolean(v);
		return 0;
	case F_RAW:
		break;
	}
	return fail(-EINVAL, "setting: field '%s' has the wrong type", f->name);
}

int setting_parse(struct setting *s, const char *json)
{
	enum json_tokener_error jerr;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->obj = json_tokener_parse_verbose(json, &jerr);
	if (!s->obj)
		return fail(-EINVAL, "setting: not JSON: %s", json_tokener_error_desc(jerr));
	if (!json_object_is_type(s->obj, json_type_object)) {
		setting_release(s);
		return fail(-EINVAL, "setting: not a JSON object");
	}
	for (i = 0; i < NFIELDS; i++) {
		json_object *v;

		if (!json_object_object_get_ex(s->obj, fields[i].name, &v))
			continue;
		ret = parse_field(s, &fields[i], v);
		if (ret) {
			setting_release(s);
			return ret;
		}
	}
	return 0;
}

/* ---- writing, as Go's json.MarshalIndent(v, "", "") ---- */

/* json-c escapes; Go additionally escapes <, >, & and U+2028/U+2029. */
static void put_string(FILE *f, const char *str, size_t len)
{
	json_object *o = json_object_new_string_len(str, len);
	const char *p = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	for (; *p; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else if (*p == '>')
			fputs("\\u003e", f);
		else if (*p == '&')
			fputs("\\u0026", f);
		else if (!strncmp(p, "\xe2\x80\xa8", 3) || !strncmp(p, "\xe2\x80\xa9", 3)) {
			fprintf(f, "\\u202%c", p[2] == '\xa8' ? '8' : '9');
			p += 2;
		} else
			fputc(*p, f);
	}
	json_object_put(o);
}

static void put_value(FILE *f, json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (!json_object_object_length(v)) {
			fputs("{}", f);
			break;
		}
		fputs("{\n", f);
		i = 0;
		json_object_object_foreach(v, key, val) {
			if (i++)
				fputs(",\n", f);
			put_string(f, key, strlen(key));
			fputs(": ", f);
			put_value(f, val);
		}
		fputs("\n}", f);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		if (!n) {
			fputs("[]", f);
			break;
		}
		fputs("[\n", f);
		for (i = 0; i < n; i++) {
			if (i)
				fputs(",\n", f);
			put_value(f, json_object_array_get_idx(v, i));
		}
		fputs("\n]", f);
		break;
	case json_type_string:
		put_string(f, json_object_get_string(v), json_object_get_string_len(v));
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), f);
		break;
	}
}

static bool field_is_zero(const struct setting *s, const struct field *f)
{
	const void *p = (const char *)s + f->off;

	switch (f->type) {
	case F_STR:
		return !cstr_at(s, f) || !*cstr_at(s, f);
	case F_INT:
		return !*(const int64_t *)p;
	case F_UINT:
		return !*(const uint64_t *)p;
	case F_BOOL:
		return !*(const bool *)p;
	case F_RAW:
		break;
	}
	return false;
}

static void put_field(FILE *f, const struct setting *s, const struct field *fd)
{
	const void *p = (const char *)s + fd->off;
	const char *str;

	put_string(f, fd->name, strlen(fd->name));
	fputs(": ", f);
	switch (fd->type) {
	case F_STR:
		str = cstr_at(s, fd) ? cstr_at(s, fd) : "";
		put_string(f, str, strlen(str));
		break;
	case F_INT:
		fprintf(f, "%lld", (long long)*(const int64_t *)p);
		break;
	case F_UINT:
		fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case F_BOOL:
		fputs(*(const bool *)p ? "true" : "false", f);
		break;
	case F_RAW:
		break;
	}
}

int setting_to_json(const struct setting *s, char **json)
{
	size_t i, len, n = 0;
	json_object *v;
	FILE *f;

	*json = NULL;
	f = open_memstream(json, &len);
	if (!f)
		return fail(-ENOMEM, "out of memory");
	fputs("{\n", f);
	for (i = 0; i < NFIELDS; i++) {
		const struct field *fd = &fields[i];

		if (fd->type == F_RAW) {
			if (!s->obj || !json_object_object_get_ex(s->obj, fd->name, &v))
				continue;
		} else if (fd->omitempty && field_is_zero(s, fd)) {
			continue;
		}
		if (n++)
			fputs(",\n", f);
		if (fd->type == F_RAW) {
			put_string(f, fd->name, strlen(fd->name));
			fputs(": ", f);
			put_value(f, v);
		} else {
			put_field(f, s, fd);
		}
	}
	/* fields of newer clients, kept as they were */
	if (s->obj) {
		json_object_object_foreach(s->obj, key, val) {
			if (find_field(key))
				continue;
			if (n++)
				fputs(",\n", f);
			put_string(f, key, strlen(key));
			fputs(": ", f);
			put_value(f, val);
		}
	}
	fputs("\n}", f);
	if (fclose(f) || !*json) {
		free(*json);
		*json = NULL;
		return fail(-ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- secrets (Format.Encrypt / Decrypt) ---- */

#define NONCE_LEN	12
#define TAG_LEN		16

static const char *const secret_names[] = { "SecretKey", "SessionToken", "EncryptKey" };

static char **secret_at(struct setting *s, size_t i)
{
	return str_at(s, find_field(secret_names[i]));
}

/* AES-128 key = MD5 of the UUID string, as JuiceFS newCipher() does. */
static int seal_key(const struct setting *s, unsigned char key[16])
{
	unsigned int n = 0;

	if (s->encrypt_algo && !strcmp(s->encrypt_algo, "sm4gcm"))
		return fail(-EOPNOTSUPP, "setting: secrets sealed with sm4gcm are not supported");
	if (!s->uuid || !*s->uuid)
		return fail(-EINVAL, "setting: volume has no UUID to seal its secrets with");
	if (!EVP_Digest(s->uuid, strlen(s->uuid), key, &n, EVP_md5(), NULL) || n != 16)
		return fail(-EIO, "setting: md5 failed");
	return 0;
}

static int seal_one(const unsigned char key[16], const char *name, char **val)
{
	size_t plen = strlen(*val);
	size_t blen = NONCE_LEN + plen + TAG_LEN;
	unsigned char *buf = malloc(blen);
	char *out = malloc(4 * ((blen + 2) / 3) + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ret = -EIO;

	if (!buf || !out || !ctx) {
		ret = fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(buf, NONCE_LEN) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + NONCE_LEN, &n, (unsigned char *)*val, plen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + NONCE_LEN + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + plen) != 1) {
		ret = fail(-EIO, "setting: cannot seal '%s'", name);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, buf, blen);
	free(*val);
	*val = out;
	out = NULL;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	free(out);
	return ret;
}

static int unseal_one(const unsigned char key[16], const char *name, char **val)
{
	size_t elen = strlen(*val), pad = 0;
	unsigned char *buf = malloc(elen / 4 * 3 + 1);
	char *out = NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, blen, ret = -EBADMSG;

	if (!buf || !ctx) {
		ret = fail(-ENOMEM, "out of memory");
		goto out;
	}
	while (pad < elen && pad < 2 && (*val)[elen - 1 - pad] == '=')
		pad++;
	blen = elen % 4 ? -1 : EVP_DecodeBlock(buf, (unsigned char *)*val, elen);
	if (blen < 0 || (blen -= pad) < NONCE_LEN + TAG_LEN) {
		ret = fail(-EBADMSG, "setting: '%s' is not a sealed secret", name);
		goto out;
	}
	blen -= NONCE_LEN + TAG_LEN;
	out = malloc(blen + 1);
	if (!out) {
		ret = fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, buf) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)out, &n, buf + NONCE_LEN, blen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				buf + NONCE_LEN + blen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &n) != 1) {
		ret = fail(-EBADMSG, "setting: cannot unseal '%s': wrong UUID or damaged value",
			   name);
		goto out;
	}
	out[blen] = '\0';
	free(*val);
	*val = out;
	out = NULL;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	free(out);
	return ret;
}

int setting_seal(struct setting *s)
{
	unsigned char key[16];
	size_t i;
	bool any = false;
	int ret;

	for (i = 0; i < 3; i++)
		any |= *secret_at(s, i) != NULL;
	if (s->key_encrypted || !any)
		return 0;
	ret = seal_key(s, key);
	for (i = 0; i < 3 && !ret; i++)
		if (*secret_at(s, i))
			ret = seal_one(key, secret_names[i], secret_at(s, i));
	if (!ret)
		s->key_encrypted = true;
	return ret;
}

int setting_unseal(struct setting *s)
{
	unsigned char key[16];
	size_t i;
	int ret;

	if (!s->key_encrypted)
		return 0;
	ret = seal_key(s, key);
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		char **v = secret_at(s, i);

		if (!*v)
			continue;
		if (!strcmp(*v, "removed"))
			return fail(-EINVAL, "setting: '%s' was removed from this record; "
				    "set it again with `juicefs config`", secret_names[i]);
		ret = unseal_one(key, secret_names[i], v);
		if (ret)
			return ret;
	}
	s->key_encrypted = false;
	return 0;
}

int setting_remove_secrets(struct setting *s)
{
	size_t i;
	int ret;

	for (i = 0; i < 3; i++) {
		char **v = secret_at(s, i);

		if (*v && (ret = setting_set_str(v, "removed")))
			return ret;
	}
	return 0;
}

/* ---- the version and feature gate ---- */

struct semver {
	unsigned long long v[3];
	char pre[64];
};

/* pkg/version Parse: "MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]" */
static int semver_parse(const char *str, struct semver *sv)
{
	char buf[128], *dash, *p, *end;
	int i;

	memset(sv, 0, sizeof(*sv));
	if (snprintf(buf, sizeof(buf), "%s", str) >= (int)sizeof(buf))
		return -EINVAL;
	if ((p = strchr(buf, '+')) && p > buf)
		*p = '\0';
	dash = strchr(buf, '-');
	if (dash && dash > buf) {
		snprintf(sv->pre, sizeof(sv->pre), "%s", dash + 1);
		*dash = '\0';
	}
	p = buf;
	for (i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		sv->v[i] = strtoull(p, &end, 10);
		if (errno)
			return -EINVAL;
		if (!*end)
			return 0;
		if (*end != '.')
			return -EINVAL;
		p = end + 1;
	}
	return -EINVAL;		/* a fourth component */
}

int setting_version_cmp(const char *a, const char *b, int *result)
{
	struct semver x, y;
	bool less;
	int i;

	if (semver_parse(a, &x))
		return fail(-EINVAL, "malformed version '%s'", a);
	if (semver_parse(b, &y))
		return fail(-EINVAL, "malformed version '%s'", b);
	for (i = 0; i < 3; i++) {
		if (x.v[i] != y.v[i]) {
			*result = x.v[i] < y.v[i] ? -1 : 1;
			return 0;
		}
	}
	if (!strcmp(x.pre, y.pre)) {
		*result = 0;
		return 0;
	}
	/* a release sorts after its pre-releases */
	less = strcmp(x.pre, y.pre) < 0;
	if (!*x.pre || !*y.pre)
		less = !less;
	*result = less ? -1 : 1;
	return 0;
}

int setting_check(const struct setting *s, bool readonly)
{
	const char *name = s->name ? s->name : "";
	int cmp, ret;

	if (s->meta_version > SETTING_META_VERSION)
		return fail(-EOPNOTSUPP, "volume '%s' has metadata version %lld; "
			    "jfs supports up to %d", name, (long long)s->meta_version,
			    SETTING_META_VERSION);
	if (s->min_client_version) {
		ret = setting_version_cmp(SETTING_CLIENT_VERSION, s->min_client_version, &cmp);
		if (ret)
			return fail(ret, "volume '%s' has a malformed MinClientVersion '%s'",
				    name, s->min_client_version);
		if (cmp < 0)
			return fail(-EOPNOTSUPP, "volume '%s' needs client version %s or newer; "
				    "jfs is %s", name, s->min_client_version,
				    SETTING_CLIENT_VERSION);
	}
	if (s->max_client_version) {
		ret = setting_version_cmp(SETTING_CLIENT_VERSION, s->max_client_version, &cmp);
		if (ret)
			return fail(ret, "volume '%s' has a malformed MaxClientVersion '%s'",
				    name, s->max_client_version);
		if (cmp > 0)
			return fail(-EOPNOTSUPP, "volume '%s' allows client version %s at most; "
				    "jfs is %s", name, s->max_client_version,
				    SETTING_CLIENT_VERSION);
	}

	/* data jfs cannot even read yet: refused read-only too */
	if (s->encrypt_key)
		return fail(-EOPNOTSUPP, "volume '%s' encrypts its data (EncryptKey), "
			    "which jfs does not support yet", name);
	if (s->compression && strcmp(s->compression, "none") &&
	    strcmp(s->compression, "lz4") && strcmp(s->compression, "zstd") &&
	    *s->compression)
		return fail(-EOPNOTSUPP, "volume '%s' uses compression '%s'; jfs knows "
			    "none, lz4 and zstd", name, s->compression);
	if (s->shards > 1)
		return fail(-EOPNOTSUPP, "volume '%s' spreads its data over %lld shards, "
			    "which jfs does not support yet", name, (long long)s->shards);
	if (readonly)
		return 0;

	/* metadata other clients expect writers to maintain (trash, DirStats: kept) */
	if (s->user_group_quota)
		return fail(-EOPNOTSUPP, "volume '%s' has user/group quotas (UserGroupQuota), "
			    "which jfsd does not maintain yet; mount it read-only", name);
	if (s->changelog)
		return fail(-EOPNOTSUPP, "volume '%s' keeps a changelog (ChangeLog), which jfsd "
			    "does not maintain yet; mount it read-only", name);
	return 0;
}
