#!/usr/bin/env bash
# Run a command as root inside a throw-away QEMU VM that boots Debian's own
# installed kernel, with the host's / as the guest's root (read-only 9p plus
# a tmpfs overlay, so the guest can write anywhere and the host stays clean).
#
# usage: tests/vm/run.sh [-k KVER] [-o OUTDIR] [-t TIMEOUT_SECONDS] -- CMD [ARGS...]
#
#   CMD       host path (host / is the guest /); runs with cwd = $PWD, stdin
#             /dev/null, PATH sane, JFS_VM=1, JFS_VM_OUT=/vmout, and every
#             JFS_* / CI variable of the caller's environment.
#   -k KVER   kernel to boot (default: newest /lib/modules/* with /boot/vmlinuz-*)
#   -o OUTDIR host dir shared writable as /vmout in the guest (default: new
#             /tmp/jfs-vm.XXXXXX, kept). Tests put logs there as /vmout/*.log.
#             After the run it holds: rc, dmesg.txt, console.txt, cmd.sh.
#   -t SECS   kill the VM after this long (default 1200). The guest gives up a
#             little earlier and dumps blocked tasks into dmesg first.
#
# Exit status: CMD's exit status; 124 if the VM timed out; 125 if the VM died
# without reporting one; 1 if CMD succeeded but the kernel log shows a
# WARNING/BUG/Oops/lockdep/... report. On any failure the guest dmesg and
# OUTDIR/*.log are printed.
#
# Environment knobs: JFS_VM_ACCEL (tcg; "kvm" to try KVM), JFS_VM_MEM (2048),
# JFS_VM_SMP (2), JFS_VM_APPEND (extra kernel cmdline),
# JFS_VM_DMESG_IGNORE (ERE; matching dmesg lines are not treated as problems,
# for tests that trigger a warning on purpose), JFS_VM_CACHE (initramfs cache
# dir, default /var/cache/jfs-vm).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=jfs-vm

say() { echo "$PROG: $*" >&2; }
die() {
	say "error: $*"
	exit 2
}

usage() {
	sed -n '6,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

KVER=${JFS_VM_KVER:-}
OUTDIR=
TIMEOUT=${JFS_VM_TIMEOUT:-1200}
while getopts "k:o:t:h" opt; do
	case $opt in
	k) KVER=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1)) # getopts also consumes the "--"
(($# > 0)) || usage
if [[ ! $TIMEOUT =~ ^[0-9]+$ ]] || ((TIMEOUT == 0)); then die "bad timeout '$TIMEOUT'"; fi

# --- kernel ---------------------------------------------------------------
if [[ -z $KVER ]]; then
	# Newest kernel that has both modules and a bootable image.
	KVER=$(for d in /lib/modules/*; do
		k=${d##*/}
		[[ -f /boot/vmlinuz-$k && -f $d/modules.dep ]] && echo "$k"
	done | sort -V | tail -n1)
	[[ -n $KVER ]] || die "no kernel with /boot/vmlinuz-* and /lib/modules/* (run tools/install-deps.sh)"
fi
VMLINUZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[[ -r $VMLINUZ ]] || die "$VMLINUZ not readable"
[[ -f $MODDIR/modules.dep ]] || die "$MODDIR/modules.dep missing"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run tools/install-deps.sh)"

# --- initramfs (cached; rebuilt when the scripts or the kernel change) ------
# Modules the guest needs to mount its root; their deps come from modules.dep.
GUEST_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

build_initramfs() { # $1 = output file
	local out=$1 stage name path deps d
	local -A DEP=() PATHOF=() SEEN=()
	local -a ORDER=()
	stage=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: stage is local
	trap "rm -rf '$stage'; trap - RETURN" RETURN

	[[ -x /bin/busybox ]] || die "/bin/busybox missing (apt-get install busybox-static)"
	if readelf -d /bin/busybox 2>/dev/null | grep -q NEEDED; then
		die "/bin/busybox is dynamically linked; install busybox-static"
	fi

	while IFS=: read -r path deps; do
		name=${path##*/}
		name=${name%%.ko*}
		name=${name//-/_}
		PATHOF[$name]=$path
		DEP[$name]=$deps
	done <"$MODDIR/modules.dep"

	# Depth-first, deps before dependants = a valid insmod order.
	visit() {
		local n=${1//-/_} p
		[[ -n ${SEEN[$n]:-} ]] && return 0
		SEEN[$n]=1
		if [[ -z ${PATHOF[$n]:-} ]]; then
			# Built into this kernel: nothing to load.
			grep -qE "/${n//_/[-_]}\.ko$" "$MODDIR/modules.builtin" 2>/dev/null && return 0
			die "module $n not found for $KVER"
		fi
		for p in ${DEP[$n]}; do
			p=${p##*/}
			visit "${p%%.ko*}"
		done
		ORDER+=("$n")
	}
	for name in "${GUEST_MODULES[@]}"; do visit "$name"; done

	mkdir -p "$stage"/{bin,dev,proc,sys,etc,lib/modules,newroot,hostroot,rw}
	cp /bin/busybox "$stage/bin/busybox"
	install -m 0755 "$HERE/init.sh" "$stage/init"
	mknod "$stage/dev/console" c 5 1 2>/dev/null || true # init copes without
	: >"$stage/etc/modules.order"
	for name in "${ORDER[@]}"; do
		path=$MODDIR/${PATHOF[$name]}
		# busybox insmod cannot decompress: store plain .ko files.
		case $path in
		*.ko.xz) xz -dc "$path" ;;
		*.ko.zst) zstd -qdc "$path" ;;
		*.ko.gz) gzip -dc "$path" ;;
		*) cat "$path" ;;
		esac >"$stage/lib/modules/$name.ko"
		echo "$name.ko" >>"$stage/etc/modules.order"
	done

	(cd "$stage" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out" # atomic: concurrent runs never see a partial file
	say "built $out (modules: ${ORDER[*]})"
}

CACHE=${JFS_VM_CACHE:-/var/cache/jfs-vm}
mkdir -p "$CACHE" 2>/dev/null || CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/jfs-vm
mkdir -p "$CACHE"
HASH=$(cat "$HERE/run.sh" "$HERE/init.sh" "$MODDIR/modules.dep" | sha256sum | cut -c1-12)
INITRD=$CACHE/initramfs-$KVER-$HASH.cpio.gz
if [[ ! -s $INITRD ]]; then
	rm -f "$CACHE/initramfs-$KVER-"*.cpio.gz
	build_initramfs "$INITRD"
fi

# --- uncompressed kernel (cached) ----------------------------------------------
# Under TCG the bzImage decompressor alone takes ~6-10 s. Debian kernels have
# CONFIG_PVH=y, so QEMU can boot the plain ELF vmlinux directly instead.
extract_vmlinux() { # $1 = bzImage, $2 = output ELF; fails if it cannot
	local in=$1 out=$2 magic cmd off
	for magic in '\xfd7zXZ\x00:xz -dc --single-stream' '\x28\xb5\x2f\xfd:zstd -qdc' \
		'\x1f\x8b\x08:gzip -dc'; do
		cmd=${magic#*:}
		magic=${magic%%:*}
		command -v "${cmd%% *}" >/dev/null || continue
		# Every occurrence of the magic is a candidate; the first that
		# decompresses to an ELF image wins (trailing data is ignored).
		# shellcheck disable=SC2013 # offsets are single words
		for off in $(LC_ALL=C grep -obUaP "$magic" "$in" 2>/dev/null | cut -d: -f1); do
			tail -c +$((off + 1)) "$in" | $cmd >"$out" 2>/dev/null || true
			[[ $(head -c 4 "$out" 2>/dev/null | od -An -c | tr -d ' ') == 177ELF ]] && return 0
		done
	done
	rm -f "$out"
	return 1
}

KERNEL=$VMLINUZ
if [[ ${JFS_VM_PVH:-1} == 1 ]] && grep -q '^CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null; then
	VMLINUX=$CACHE/vmlinux-$KVER
	stamp=$(stat -c '%s %Y' "$VMLINUZ")
	if [[ ! -s $VMLINUX || $(cat "$VMLINUX.stamp" 2>/dev/null) != "$stamp" ]]; then
		if extract_vmlinux "$VMLINUZ" "$VMLINUX.tmp.$$"; then
			mv -f "$VMLINUX.tmp.$$" "$VMLINUX"
			echo "$stamp" >"$VMLINUX.stamp"
		else
			say "note: could not extract vmlinux from $VMLINUZ; booting the bzImage (slower)"
		fi
	fi
	[[ -s $VMLINUX && $(cat "$VMLINUX.stamp" 2>/dev/null) == "$stamp" ]] && KERNEL=$VMLINUX
fi

# --- output dir and the guest's command script ------------------------------
if [[ -z $OUTDIR ]]; then
	OUTDIR=$(mktemp -d /tmp/jfs-vm.XXXXXX)
else
	mkdir -p "$OUTDIR"
fi
OUTDIR=$(cd "$OUTDIR" && pwd)
rm -f "$OUTDIR"/{rc,dmesg.txt,console.txt,cmd.sh,vm.env,timeout}

# The guest gives up this much before the host kills the VM, so there is time
# to dump blocked tasks and save dmesg.
if ((TIMEOUT > 120)); then GUEST_TIMEOUT=$((TIMEOUT - 45)); else GUEST_TIMEOUT=$((TIMEOUT * 2 / 3)); fi
printf 'JFS_VM_GUEST_TIMEOUT=%d\n' "$GUEST_TIMEOUT" >"$OUTDIR/vm.env"

{
	echo '# generated by tests/vm/run.sh; run by the guest init with bash'
	for v in $(compgen -e); do
		# Pass the caller's JFS_* knobs (e.g. JFS_RESULTS) and CI through.
		[[ $v == JFS_* || $v == CI ]] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/root TERM=dumb LANG=C.UTF-8 JFS_VM=1 JFS_VM_OUT=/vmout'
	printf 'cd %q || exit 125\n' "$PWD"
	echo ': >/vmout/started' # lets the host tell a boot failure from a test failure
	echo 'exec </dev/null'
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$OUTDIR/cmd.sh"

# --- boot --------------------------------------------------------------------
# shellcheck disable=SC2054 # commas are qemu option syntax
QEMU=(
	qemu-system-x86_64
	# thread=single: multi-threaded TCG once hit an int3 Oops while the
	# guest kernel patched its own text; one host thread is reliable.
	-accel "${JFS_VM_ACCEL:-tcg,thread=single}" -cpu max
	-m "${JFS_VM_MEM:-2048}" -smp "${JFS_VM_SMP:-2}"
	# no default NIC/VGA/monitor; serial = our stdout (+ a copy in OUTDIR)
	-nodefaults -display none -no-reboot
	-chardev "stdio,id=con0,signal=off,logfile=${OUTDIR//,/,,}/console.txt"
	-serial chardev:con0
	-kernel "$KERNEL" -initrd "$INITRD"
	# no_timer_check: under slow emulation the IO-APIC timer check can
	# time out and panic the boot ("IO-APIC + timer doesn't work")
	-append "console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check ${JFS_VM_APPEND:-}"
	# multidevs=remap: host / spans several filesystems; avoids inode clashes
	-fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot
	-fsdev "local,id=fs1,path=${OUTDIR//,/,,},security_model=none"  # "," is doubled for qemu
	-device virtio-9p-pci,fsdev=fs1,mount_tag=vmout
)

QPID=
# shellcheck disable=SC2317 # called from traps
cleanup() {
	if [[ -n $QPID ]]; then
		kill -TERM "$QPID" 2>/dev/null || true # timeout(1) passes it to qemu
		wait "$QPID" 2>/dev/null || true
	fi
	QPID=
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM HUP
trap cleanup EXIT

START=$SECONDS
# A VM that dies before the command even started (a boot failure under heavy
# host load) is retried once; a command that started is never run twice.
for attempt in 1 2; do
	rm -f "$OUTDIR/started" "$OUTDIR/rc" "$OUTDIR/dmesg.txt"
	say "booting $KVER (${JFS_VM_ACCEL:-tcg}), timeout ${TIMEOUT}s, out $OUTDIR"
	# Background + wait so our traps run at once on a signal; stdin is
	# /dev/null so CI without a tty behaves like a terminal. timeout(1)
	# kills qemu on expiry.
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null &
	QPID=$!
	qrc=0
	wait "$QPID" || qrc=$?
	QPID=
	if ((attempt == 1 && qrc != 124)) && [[ ! -e $OUTDIR/started ]]; then
		say "VM died before the command started (qemu status $qrc): retrying once"
		continue
	fi
	break
done
ELAPSED=$((SECONDS - START))

# --- verdict -------------------------------------------------------------------
fail=0
rc=125
if ((qrc == 124)); then
	say "FAIL: VM timed out after ${TIMEOUT}s and was killed"
	rc=124
	fail=1
elif [[ -f $OUTDIR/timeout ]]; then
	say "FAIL: command timed out in the guest after ${GUEST_TIMEOUT}s (blocked tasks are in dmesg)"
	rc=124
	fail=1
elif [[ -s $OUTDIR/rc ]]; then
	rc=$(<"$OUTDIR/rc")
	[[ $rc =~ ^[0-9]+$ ]] || rc=125
	if ((rc != 0)); then
		say "FAIL: command exited with status $rc"
		fail=1
	fi
else
	say "FAIL: VM exited (qemu status $qrc) without reporting the command's exit code"
	fail=1
fi

# Kernel problem reports. Matching is on the report headers; the taint notice
# for our unsigned out-of-tree module ("module verification failed") and
# "Tainted:" lines do not match on their own.
PROBLEMS='WARNING:|BUG:|Oops|general protection|lockdep|possible circular locking|KASAN|UBSAN|kernel BUG|Call Trace|refcount_t:|list_add corruption|list_del corruption|INFO: task .* blocked'
if [[ -f $OUTDIR/dmesg.txt ]]; then
	hits=$(grep -E "$PROBLEMS" "$OUTDIR/dmesg.txt" |
		{ if [[ -n ${JFS_VM_DMESG_IGNORE:-} ]]; then grep -vE "$JFS_VM_DMESG_IGNORE"; else cat; fi } || true)
	if [[ -n $hits ]]; then
		say "FAIL: kernel problems in guest dmesg:"
		printf '%s\n' "$hits" | sed 's/^/    /' >&2
		((rc != 0)) || rc=1
		fail=1
	fi
else
	say "FAIL: no guest dmesg was saved ($OUTDIR/dmesg.txt)"
	((rc != 0)) || rc=125
	fail=1
fi

if ((fail)); then
	if [[ -f $OUTDIR/dmesg.txt ]]; then
		echo "===== guest dmesg ($OUTDIR/dmesg.txt) =====" >&2
		cat "$OUTDIR/dmesg.txt" >&2
	fi
	for f in "$OUTDIR"/*.log; do
		[[ -f $f ]] || continue
		echo "===== $f =====" >&2
		cat "$f" >&2
	done
	echo "===== end of VM diagnostics =====" >&2
fi
say "VM finished in ${ELAPSED}s, status $rc"
exit "$rc"
