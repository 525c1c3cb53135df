# shellcheck shell=bash
# The juicefs peer for the interop suites (installed by install-juicefs.sh)
# and what they share: running it, mounting it, comparing two views.
: "${JFS_JUICEFS:=/var/cache/jfs-peers/juicefs-1.4.2/juicefs}"
export JFS_JUICEFS

# juicefs_available: 0 if the peer runs, else says why and returns 1.
juicefs_available() {
	if [[ ! -x $JFS_JUICEFS ]]; then
		echo "no juicefs binary at $JFS_JUICEFS (run tests/peers/install-juicefs.sh)" >&2
		return 1
	fi
	if ! "$JFS_JUICEFS" version >/dev/null 2>&1; then
		echo "$JFS_JUICEFS does not run" >&2
		return 1
	fi
}

jc() { "$JFS_JUICEFS" --no-color "$@"; }

# juicefs_mount URL MNT LOG [MOUNT-OPTION...]: `juicefs mount -d` gives up
# waiting after 10 s, which a loaded emulated guest can exceed while the
# mount still comes up
juicefs_mount() {
	local i
	mkdir -p "$2" "/tmp/jjcache-${2##*/}"
	jc mount -d --no-usage-report --no-syslog --backup-meta 0 --enable-ioctl \
		--cache-dir "/tmp/jjcache-${2##*/}" --log "$3" "${@:4}" "$1" "$2" \
		>>/vmout/juicefs.log 2>&1 && return 0
	for ((i = 0; i < 60; i++)); do
		mountpoint -q "$2" && return 0
		sleep 1
	done
	return 1
}

# tree DIR: one line per entry below DIR (JuiceFS's virtual root entries
# left out): path, type, mode, size (files), nlink, symlink target, and
# the SHA-256 of every regular file.
tree() {
	(cd "$1" && find . -mindepth 1 \
		\( -path ./.trash -o -path ./.accesslog -o -path ./.stats -o \
		-path ./.config -o -path ./.control \) -prune -o \
		\( -type f -printf '%p f %m %s %n\n' -o -type l -printf '%p l %m %n -> %l\n' \
		-o -printf '%p %y %m %n\n' \) | LC_ALL=C sort
	 find . -mindepth 1 \( -path ./.trash -o -path ./.accesslog -o -path ./.stats \
		-o -path ./.config -o -path ./.control \) -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# same_tree WHAT A B: the two views of one tree are identical
same_tree() {
	local what=$1 a b
	a=$(tree "$2") b=$(tree "$3")
	if [[ -n $a && $a == "$b" ]]; then
		_t_record_pass "$(_t_name "$what ($(grep -c . <<<"$a") lines)")"
	else
		_t_record_fail "$(_t_name "$what")" "the two views differ"
		diff <(echo "$a") <(echo "$b") | head -n 40
	fi
}

