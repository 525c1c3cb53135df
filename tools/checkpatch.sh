#!/bin/bash
# Runs the kernel's checkpatch.pl --strict over the module's sources.
# checkpatch ships in linux-source-6.1 (not in the headers package); it is
# unpacked once into a cache outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${JFS_CHECKPATCH_CACHE:-/var/cache/jfs-checkpatch}
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [[ ! -x $cache/scripts/checkpatch.pl ]]; then
	[[ -n $tarball ]] || { echo "checkpatch: install linux-source-6.1 first" >&2; exit 2; }
	mkdir -p "$cache"
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi
"$cache/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $(ls kmod/*.c kmod/*.h | grep -v "\.mod\.c$") "$@"
# uapi headers cannot use BIT(): it is not part of the uapi
"$cache/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,BIT_MACRO -f uapi/jfs.h uapi/jfs_ops.h
