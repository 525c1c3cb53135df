#!/usr/bin/env bash
# check-includes.sh - daemon/ and tools/ use libjfs through its public
# headers only.  Every #include "..." in them must name a file of their own
# directory, the wire format (uapi/jfs.h) or one of PUBLIC below; an
# engine's private header (meta/engine.h, meta/redis/*, meta/sql/*) or any
# other lib/ internal fails the build with the offending line.
#
#   lib/check-includes.sh [DIR...]      (default: daemon tools)
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PUBLIC=(
	meta/meta.h
	store/store.h
	data/chunk.h data/cache.h data/compress.h data/fmap.h data/stage.h
	volume/volume.h volume/setting.h
	util/err.h util/opnames.h util/url.h util/log.h util/pool.h util/acl.h util/plock.h util/progress.h
	uapi/jfs.h uapi/jfs_ops.h
)
dirs=("$@")
((${#dirs[@]})) || dirs=("$top/daemon" "$top/tools")
bad=0
for d in "${dirs[@]}"; do
	for f in "$d"/*.c "$d"/*.h; do
		[[ -f $f ]] || continue
		while IFS=: read -r line inc; do
			inc=${inc#*\"}
			inc=${inc%%\"*}
			[[ -f $d/$inc && $inc != */* ]] && continue
			ok=0
			for p in "${PUBLIC[@]}"; do
				[[ $inc == "$p" ]] && ok=1 && break
			done
			((ok)) && continue
			echo "check-includes: ${f#"$top"/}:$line: includes \"$inc\", not a public libjfs header" >&2
			bad=1
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed 's/:.*#[[:space:]]*include[[:space:]]*/:/')
	done
done
exit "$bad"
