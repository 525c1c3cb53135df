#!/bin/bash
# S3 credentials: MinIO really verifies signatures (a wrong secret or an
# unknown key fails format with the server's error code, never printing the
# secret); keys given on the command line or in ACCESS_KEY/SECRET_KEY are
# stored as JuiceFS stores them (secret sealed); a volume whose stored secret
# is wrong mounts but fails reads with EIO-class errors and a log line that
# names the object and the S3 error.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/it/env.sh

M=/mnt/s3a
U2="redis://127.0.0.1:$JFS_IT_REDIS_PORT/14"
U3="redis://127.0.0.1:$JFS_IT_REDIS_PORT/15"
WRONG=not-the-secret-4711
S3=(--storage minio --bucket "$JFS_IT_S3_URL")

t_begin "s3 auth: format"
err "wrong secret: SignatureDoesNotMatch" SignatureDoesNotMatch -- \
	"$JFSADM" format "${S3[@]}" --access-key "$JFS_IT_S3_USER" --secret-key $WRONG "$U2" authvol
"$JFSADM" format "${S3[@]}" --access-key "$JFS_IT_S3_USER" --secret-key $WRONG "$U2" authvol >/tmp/a-out 2>&1
! grep -q $WRONG /tmp/a-out
check "the wrong secret is not printed" "$(cat /tmp/a-out)"
err "unknown access key: InvalidAccessKeyId" InvalidAccessKeyId -- \
	"$JFSADM" format "${S3[@]}" --access-key nobody --secret-key "$JFS_IT_S3_PASS" "$U2" authvol
expect_eq "nothing was written to redis" 0 "$(redis-cli -p "$JFS_IT_REDIS_PORT" -n 14 dbsize)"
ok "keys from ACCESS_KEY/SECRET_KEY" -- env ACCESS_KEY="$JFS_IT_S3_USER" SECRET_KEY="$JFS_IT_S3_PASS" \
	"$JFSADM" format "${S3[@]}" "$U2" authvol
setting=$(redis-cli -p "$JFS_IT_REDIS_PORT" -n 14 get setting)
[[ $setting == *"\"AccessKey\":\"$JFS_IT_S3_USER\""* || $setting == *"\"AccessKey\": \"$JFS_IT_S3_USER\""* ]]
check "access key stored" "$setting"
[[ $setting != *"$JFS_IT_S3_PASS"* ]]
check "secret key stored sealed, not in clear" "$setting"
python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s.get("KeyEncrypted") and s.get("SecretKey") else 1)' <<<"$setting"
check "KeyEncrypted with a sealed SecretKey" "$setting"
"$JFSADM" status "$U2" >/tmp/a-out 2>&1
! grep -q -- "$JFS_IT_S3_PASS" /tmp/a-out
check "jfsadm status does not print the secret"

t_begin "s3 auth: mount"
ok "mount the env-keyed volume" -- mount_vol $M "" "$U2"
ok "write through it" -- cp /etc/services $M/services
ok "umount" -- umount_vol $M
# a stored secret that is wrong (KeyEncrypted false: the secret in clear)
python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
s["SecretKey"], s["KeyEncrypted"] = sys.argv[1], False
print(json.dumps(s))' $WRONG <<<"$setting" >/tmp/a-setting
ok "store a wrong secret in the setting" -- eval "redis-cli -p $JFS_IT_REDIS_PORT -n 14 -x set setting </tmp/a-setting"
ok "jfsd restarts with an empty cache" -- eval 'stop_jfsd && rm -rf "$JFS_IT_CACHE_DIR" && start_jfsd'
ok "mount with the wrong secret" -- mount_vol $M "" "$U2"
mark=$(wc -l <"$JFS_IT_JFSD_LOG")
err "read fails" "" -- cat $M/services
tail -n +"$((mark + 1))" "$JFS_IT_JFSD_LOG" >/tmp/a-log
grep -q "SignatureDoesNotMatch" /tmp/a-log && grep -q "authvol/chunks/" /tmp/a-log
check "jfsd logs the S3 error and the object" "$(head -c 600 /tmp/a-log)"
! grep -q $WRONG /tmp/a-log
check "jfsd never logs the secret"
ok "umount" -- umount_vol $M
# no credentials at all
err "anonymous format fails with AccessDenied" AccessDenied -- \
	env -u ACCESS_KEY -u SECRET_KEY -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	"$JFSADM" format "${S3[@]}" "$U3" anonvol
redis-cli -p "$JFS_IT_REDIS_PORT" -n 14 flushdb >/dev/null
redis-cli -p "$JFS_IT_REDIS_PORT" -n 15 flushdb >/dev/null
t_summary
