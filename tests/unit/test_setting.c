/*
 * test_setting.c - the volume Format record: parse/serialize round trips
 * (field order, omitempty, unknown fields kept), secret sealing, the
 * version compare and the feature gate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "volume/setting.h"

#include "check.h"

/* What juicefs 1.4 writes for a new S3 volume, plus a field from the future. */
static const char stored[] =
	"{\n"
	"\"Name\": \"myjfs\",\n"
	"\"UUID\": \"2f1c5b7e-8d9a-4c3b-a1e2-0f9e8d7c6b5a\",\n"
	"\"Storage\": \"s3\",\n"
	"\"Tiers\": {\n"
	"\"0\": {\n"
	"\"ID\": 0,\n"
	"\"StorageClass\": \"\",\n"
	"\"Tag\": \"\"\n"
	"}\n"
	"},\n"
	"\"Bucket\": \"https://mybucket.s3.us-east-2.amazonaws.com\",\n"
	"\"AccessKey\": \"AKIAEXAMPLE\",\n"
	"\"BlockSize\": 4096,\n"
	"\"Compression\": \"none\",\n"
	"\"Capacity\": 18446744073709551615,\n"
	"\"EncryptAlgo\": \"aes256gcm-rsa\",\n"
	"\"TrashDays\": 1,\n"
	"\"MetaVersion\": 1,\n"
	"\"MinClientVersion\": \"1.1.0-A\",\n"
	"\"DirStats\": true,\n"
	"\"EnableACL\": false,\n"
	"\"FutureThing\": {\n"
	"\"a\": [\n"
	"1,\n"
	"2.5,\n"
	"\"x\"\n"
	"],\n"
	"\"b\": []\n"
	"},\n"
	"\"FutureFlag\": true\n"
	"}";

static void test_round_trip(void)
{
	struct setting s;
	char *out = NULL;

	CHECK_EQ(setting_parse(&s, stored), 0);
	CHECK_STR(s.name, "myjfs");
	CHECK_STR(s.storage, "s3");
	CHECK_STR(s.bucket, "https://mybucket.s3.us-east-2.amazonaws.com");
	CHECK_EQ(s.block_size, 4096);
	CHECK(s.capacity == UINT64_MAX);
	CHECK_EQ(s.trash_days, 1);
	CHECK_EQ(s.meta_version, 1);
	CHECK(s.dir_stats);
	CHECK(!s.enable_acl);
	CHECK(s.secret_key == NULL);

	/* rewritten byte for byte: same order, same omissions, unknowns kept */
	CHECK_EQ(setting_to_json(&s, &out), 0);
	CHECK_STR(out, stored);
	free(out);

	/* an edit changes just that line */
	s.trash_days = 0;
	s.capacity = 0;	/* omitempty: the line goes */
	CHECK_EQ(setting_to_json(&s, &out), 0);
	CHECK(strstr(out, "\"TrashDays\": 0,\n") != NULL);	/* not omitempty */
	CHECK(strstr(out, "Capacity") == NULL);
	CHECK(strstr(out, "\"FutureFlag\": true\n}") != NULL);
	free(out);
	setting_release(&s);
}

static void test_new_volume(void)
{
	struct setting s;
	char *out = NULL;

	CHECK_EQ(setting_init(&s), 0);
	CHECK_EQ(setting_set_str(&s.name, "vol1"), 0);
	CHECK_EQ(setting_set_str(&s.uuid, "u"), 0);
	CHECK_EQ(setting_set_str(&s.storage, "file"), 0);
	CHECK_EQ(setting_set_str(&s.bucket, "/var/jfs/a&b<c>/"), 0);
	s.block_size = 4096;
	/* zero non-omitempty fields are written, omitempty ones are not */
	CHECK_EQ(setting_to_json(&s, &out), 0);
	CHECK_STR(out, "{\n"
		  "\"Name\": \"vol1\",\n"
		  "\"UUID\": \"u\",\n"
		  "\"Storage\": \"file\",\n"
		  "\"Bucket\": \"/var/jfs/a\\u0026b\\u003cc\\u003e/\",\n"
		  "\"BlockSize\": 4096,\n"
		  "\"TrashDays\": 0,\n"
		  "\"EnableACL\": false\n"
		  "}");
	free(out);
	/* the Go-escaped text parses back to the same value */
	CHECK_EQ(setting_to_json(&s, &out), 0);
	setting_release(&s);
	CHECK_EQ(setting_parse(&s, out), 0);
	CHECK_STR(s.bucket, "/var/jfs/a&b<c>/");
	free(out);
	setting_release(&s);
}

static void test_bad_records(void)
{
	struct setting s;

	CHECK_EQ(setting_parse(&s, "not json"), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "not JSON") != NULL);
	CHECK_EQ(setting_parse(&s, "[1,2]"), -EINVAL);
	CHECK_EQ(setting_parse(&s, "{\"Name\": 5}"), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "'Name'") != NULL);
	CHECK_EQ(setting_parse(&s, "{\"BlockSize\": \"4096\"}"), -EINVAL);
	CHECK_EQ(setting_parse(&s, "{\"Capacity\": -1}"), -EINVAL);
	CHECK_EQ(setting_parse(&s, "{\"DirStats\": 1}"), -EINVAL);
	/* null reads as zero, like Go */
	CHECK_EQ(setting_parse(&s, "{\"Name\": null, \"BlockSize\": 1024}"), 0);
	CHECK(s.name == NULL);
	CHECK_EQ(s.block_size, 1024);
	setting_release(&s);
}

/* Opens a sealed value independently of setting.c, with EVP directly. */
static int open_sealed(const char *uuid, const char *b64, char *out)
{
	unsigned char key[16], raw[256];
	unsigned int kl;
	int n, fl, len = strlen(b64), pad = 0, ok;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	EVP_Digest(uuid, strlen(uuid), key, &kl, EVP_md5(), NULL);
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, len) - pad;
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, raw) == 1 &&
	     EVP_DecryptUpdate(ctx, (unsigned char *)out, &len, raw + 12, n - 28) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, raw + n - 16) == 1 &&
	     EVP_DecryptFinal_ex(ctx, (unsigned char *)out + len, &fl) == 1;
	out[n - 28] = '\0';
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static void test_secrets(void)
{
	struct setting s, t;
	char *out = NULL, plain[256];
	char *first;

	CHECK_EQ(setting_init(&s), 0);
	setting_set_str(&s.name, "vol1");
	setting_set_str(&s.uuid, "2f1c5b7e-8d9a-4c3b-a1e2-0f9e8d7c6b5a");
	setting_set_str(&s.secret_key, "wJalrXUtnFEMI/K7MDENG");
	setting_set_str(&s.session_token, "tok");

	CHECK_EQ(setting_seal(&s), 0);
	CHECK(s.key_encrypted);
	CHECK(strcmp(s.secret_key, "wJalrXUtnFEMI/K7MDENG") != 0);
	/* base64(12-byte nonce || ciphertext || 16-byte tag) */
	CHECK_EQ(strlen(s.secret_key), 4 * ((12 + 21 + 16 + 2) / 3));
	CHECK_EQ(open_sealed(s.uuid, s.secret_key, plain), 0);
	CHECK_STR(plain, "wJalrXUtnFEMI/K7MDENG");

	/* sealing twice is a no-op; a fresh nonce each time makes values differ */
	first = strdup(s.secret_key);
	CHECK_EQ(setting_seal(&s), 0);
	CHECK_STR(s.secret_key, first);

	/* through JSON and back */
	CHECK_EQ(setting_to_json(&s, &out), 0);
	CHECK(strstr(out, "\"KeyEncrypted\": true") != NULL);
	CHECK_EQ(setting_parse(&t, out), 0);
	free(out);
	CHECK_EQ(setting_unseal(&t), 0);
	CHECK(!t.key_encrypted);
	CHECK_STR(t.secret_key, "wJalrXUtnFEMI/K7MDENG");
	CHECK_STR(t.session_token, "tok");
	CHECK_EQ(setting_seal(&t), 0);
	CHECK(strcmp(t.secret_key, first) != 0);
	setting_release(&t);

	/* the wrong UUID does not open it */
	setting_set_str(&s.uuid, "another-uuid");
	CHECK_EQ(setting_unseal(&s), -EBADMSG);
	CHECK(strstr(jfs_errmsg(), "SecretKey") != NULL);

	/* a removed secret is reported, not decrypted */
	setting_set_str(&s.secret_key, "removed");
	CHECK_EQ(setting_unseal(&s), -EINVAL);
	CHECK(strstr(jfs_errmsg(), "removed") != NULL);

	/* no secrets: nothing sealed, KeyEncrypted stays off (as juicefs) */
	setting_release(&s);
	setting_init(&s);
	setting_set_str(&s.uuid, "u");
	CHECK_EQ(setting_seal(&s), 0);
	CHECK(!s.key_encrypted);

	/* remove_secrets: what status and dumps show */
	setting_set_str(&s.secret_key, "x");
	setting_set_str(&s.encrypt_key, "-----BEGIN");
	CHECK_EQ(setting_remove_secrets(&s), 0);
	CHECK_STR(s.secret_key, "removed");
	CHECK_STR(s.encrypt_key, "removed");
	CHECK(s.session_token == NULL);
	setting_release(&s);
	free(first);
}

static void test_versions(void)
{
	int r = 99;

	CHECK_EQ(setting_version_cmp("1.2.0", "1.1.0-A", &r), 0);
	CHECK_EQ(r, 1);
	CHECK_EQ(setting_version_cmp("1.2.0", "1.2.0-A", &r), 0);
	CHECK_EQ(r, 1);	/* a release is newer than its pre-releases */
	CHECK_EQ(setting_version_cmp("1.2.0-A", "1.2.0", &r), 0);
	CHECK_EQ(r, -1);
	CHECK_EQ(setting_version_cmp("1.2.0", "1.3.0-A", &r), 0);
	CHECK_EQ(r, -1);
	CHECK_EQ(setting_version_cmp("1.2.0+abc", "1.2", &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(setting_version_cmp("1.10.0", "1.9.9", &r), 0);
	CHECK_EQ(r, 1);
	CHECK_EQ(setting_version_cmp("1.2.0-beta", "1.2.0-alpha", &r), 0);
	CHECK_EQ(r, 1);
	CHECK_EQ(setting_version_cmp("1.2.0", "x.y", &r), -EINVAL);
	CHECK_EQ(setting_version_cmp("1.2.3.4", "1", &r), -EINVAL);
	CHECK_EQ(setting_version_cmp("1.2.", "1", &r), -EINVAL);
}

static void expect_gate(const char *json, int ro_ret, int rw_ret, const char *word)
{
	struct setting s;

	if (setting_parse(&s, json)) {
		check_fail(__FILE__, __LINE__, "cannot parse %s", json);
		return;
	}
	if (setting_check(&s, true) != ro_ret || setting_check(&s, false) != rw_ret ||
	    (word && !strstr(jfs_errmsg(), word))) {
		check_fail(__FILE__, __LINE__, "gate of %s: ro %d rw %d, message '%s'", json,
			   setting_check(&s, true), setting_check(&s, false), jfs_errmsg());
	}
	setting_release(&s);
}

static void test_gate(void)
{
	const int NO = -EOPNOTSUPP;

	/* what jfsadm format writes: fine both ways */
	expect_gate("{\"Name\":\"v\",\"Compression\":\"none\",\"TrashDays\":0,"
		    "\"MetaVersion\":1,\"MinClientVersion\":\"1.1.0-A\",\"HashPrefix\":true}",
		    0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"MetaVersion\":2}", NO, NO, "metadata version 2");
	expect_gate("{\"Name\":\"v\",\"MinClientVersion\":\"1.3.0-A\"}", NO, NO, "1.3.0-A");
	expect_gate("{\"Name\":\"v\",\"MinClientVersion\":\"1.2.0-A\"}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"MaxClientVersion\":\"1.1.9\"}", NO, NO, "1.1.9");
	expect_gate("{\"Name\":\"v\",\"MaxClientVersion\":\"1.2.0\"}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"MinClientVersion\":\"bogus\"}", -EINVAL, -EINVAL,
		    "MinClientVersion");
	/* read-write only */
	/* juicefs format's defaults: kept by jfsd, so mounted read-write */
	expect_gate("{\"Name\":\"v\",\"TrashDays\":1,\"DirStats\":true}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"UserGroupQuota\":true}", 0, NO, "UserGroupQuota");
	/* POSIX ACLs are kept (JuiceFS 1.2 rules) */
	expect_gate("{\"Name\":\"v\",\"EnableACL\":true}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"ChangeLog\":true}", 0, NO, "ChangeLog");
	/* data jfs cannot read: refused even read-only */
	expect_gate("{\"Name\":\"v\",\"EncryptKey\":\"pem\"}", NO, NO, "EncryptKey");
	expect_gate("{\"Name\":\"v\",\"Compression\":\"brotli\"}", NO, NO, "brotli");
	expect_gate("{\"Name\":\"v\",\"Compression\":\"lz4\"}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"Compression\":\"zstd\"}", 0, 0, NULL);
	expect_gate("{\"Name\":\"v\",\"Shards\":4}", NO, NO, "4 shards");
	expect_gate("{\"Name\":\"v\",\"Shards\":1}", 0, 0, NULL);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_new_volume);
	RUN(test_bad_records);
	RUN(test_secrets);
	RUN(test_versions);
	RUN(test_gate);
	return check_done();
}
