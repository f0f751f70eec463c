#!/bin/bash
# prepare-guest.sh [CACHE_DIR]
#
# Builds (once) a tiny qemu guest used to exercise dm-crypt for real: the
# container/host kernel running the test suite has no device-mapper, so we
# boot Debian's own distribution kernel instead.
#
# Result, in CACHE_DIR (default ${PARLEY_CACHE:-$HOME/.cache/parley}/guest):
#   vmlinuz         Debian's kernel (from the package linux-image-amd64 depends on)
#   initramfs.gz    busybox + the needed kernel modules + /init (see below)
#   stamp           "<package>=<version> <script hash>"; when it matches we do nothing
#
# Needs (apt): busybox-static (static /bin/busybox: it provides cpio, depmod,
# insmod for us and is the guest's whole userland before the chroot), apt/dpkg
# (always present), gzip. xz-utils/zstd only if a future kernel ships
# compressed modules. qemu-system-x86 is only needed by run-guest.sh.
#
# Prints the resulting paths on stdout as KEY=VALUE lines; progress on stderr.
set -euo pipefail

CACHE_DIR=${1:-${PARLEY_CACHE:-$HOME/.cache/parley}/guest}
SELF=$(readlink -f "$0")

log() { echo "prepare-guest: $*" >&2; }
die() { echo "prepare-guest: ERROR: $*" >&2; exit 1; }

# Modules we want in the guest. Dependencies are added automatically from
# modules.dep; anything listed in modules.builtin is skipped. Names use the
# file name spelling (dashes vs underscores matter for file lookup; we try both).
WANTED_MODULES="
  virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  virtio-rng
  9pnet 9pnet_virtio netfs fscache 9p
  dm-mod dm-crypt
  ecb xts cbc essiv aes_generic aesni-intel
  af_alg algif_skcipher algif_hash
  crc16 crc32c_generic crc32c-intel libcrc32c mbcache jbd2 ext4
  loop
  virtio_blk autofs4
"

print_result() {
    echo "GUEST_CACHE_DIR=$CACHE_DIR"
    echo "GUEST_KERNEL=$CACHE_DIR/vmlinuz"
    echo "GUEST_INITRAMFS=$CACHE_DIR/initramfs.gz"
    echo "GUEST_KERNEL_PACKAGE=$(cat "$CACHE_DIR/kernel-package")"
}

mkdir -p "$CACHE_DIR"
CACHE_DIR=$(readlink -f "$CACHE_DIR")

# Serialise concurrent runs (ctest -j may start several guests at once).
exec 9>"$CACHE_DIR/.lock"
flock 9

# --- Which kernel? -----------------------------------------------------------
have_cache() {
    [ -s "$CACHE_DIR/vmlinuz" ] && [ -s "$CACHE_DIR/initramfs.gz" ] && [ -s "$CACHE_DIR/stamp" ]
}
SCRIPT_HASH=$(sha256sum "$SELF" | cut -c1-16)
# Fast path (apt-cache takes ~1 s): same script and apt lists not updated
# since the stamp was written => the resolved kernel cannot have changed.
if have_cache && [ "$(cut -d' ' -f2 "$CACHE_DIR/stamp")" = "$SCRIPT_HASH" ] &&
   [ "$CACHE_DIR/stamp" -nt /var/lib/apt/lists ]; then
    print_result; exit 0
fi

# linux-image-amd64 is a metapackage; its candidate version depends on exactly
# one versioned image package: "Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)".
DEP=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
      sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -n1) || true
KPKG=${DEP%% *}
KVER_PKG=${DEP#* }
WANT_STAMP="$KPKG=$KVER_PKG $SCRIPT_HASH"

if [ -z "$DEP" ] || [ -z "$KPKG" ] || [ -z "$KVER_PKG" ]; then
    # apt lists missing (e.g. offline CI after apt-get clean). Reuse what we have.
    if have_cache; then
        log "cannot resolve linux-image-amd64 via apt-cache; reusing cached guest ($(cat "$CACHE_DIR/stamp"))"
        print_result; exit 0
    fi
    die "cannot resolve the kernel package linux-image-amd64 depends on (run apt-get update?)"
fi

if have_cache && [ "$(cat "$CACHE_DIR/stamp")" = "$WANT_STAMP" ]; then
    touch "$CACHE_DIR/stamp"   # re-arm the fast path
    print_result; exit 0
fi

for tool in busybox dpkg apt-get gzip; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
# The guest runs /bin/busybox before any dynamic loader exists: it must be static.
BUSYBOX=$(command -v busybox)
# (grep without -q: under pipefail, grep leaving at the first match can fail busybox with
# SIGPIPE while it still writes the list, which made this check fail now and then.)
if ! "$BUSYBOX" --list 2>/dev/null | grep -x insmod >/dev/null || ldd "$BUSYBOX" >/dev/null 2>&1; then
    # ldd succeeds on dynamic executables; busybox-static's binary is "not a dynamic executable".
    die "$BUSYBOX is not a static busybox with insmod (apt-get install busybox-static)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parley-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- Download + unpack the kernel package -----------------------------------
log "downloading $KPKG $KVER_PKG"
mkdir -p "$WORK/deb"
# apt-get download drops privileges to _apt, which cannot write into a root-owned
# mktemp dir ("unsandboxed download" warning / permission failure). As root,
# tell apt to stay root; as non-root apt does not sandbox at all.
(cd "$WORK/deb" && apt-get download -q -o APT::Sandbox::User=root "$KPKG=$KVER_PKG" >&2) ||
    die "apt-get download $KPKG=$KVER_PKG failed"
DEB=$(ls "$WORK"/deb/*.deb)
dpkg -x "$DEB" "$WORK/pkg"

VMLINUZ=$(ls "$WORK"/pkg/boot/vmlinuz-* | head -n1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR="$WORK/pkg/lib/modules/$KVER"
[ -d "$MODDIR" ] || die "no $MODDIR in $DEB"

# modules.dep is generated by depmod in the package's postinst, so it is not in
# the .deb. kmod may not be installed; busybox depmod produces a usable one.
if [ ! -s "$MODDIR/modules.dep" ]; then
    log "generating modules.dep (busybox depmod, takes a few seconds)"
    "$BUSYBOX" depmod -b "$WORK/pkg" "$KVER"
fi

# --- Resolve the module list --------------------------------------------------
# Map "name" -> relative path using modules.dep keys (handles .ko/.ko.xz/.ko.zst).
find_mod() {
    local n=$1 alt
    alt=$(echo "$n" | tr '_-' '-_')
    # Exact file-name match first (underscore or dash spelling), any compression.
    sed -n "s#^\(\([^:]*/\)\?\($n\|$alt\)\.ko\(\.[a-z]*\)\?\):.*#\1#p" "$MODDIR/modules.dep" | head -n1
}
is_builtin() {
    local n=$1 alt
    alt=$(echo "$n" | tr '_-' '-_')
    grep -Eq "(^|/)($n|$alt)\.ko$" "$MODDIR/modules.builtin"
}

ORDER=()          # relative module paths, dependencies first
declare -A SEEN=()
visit() {  # depth-first, post-order => every module after its dependencies
    local rel=$1 dep
    [ -n "${SEEN[$rel]:-}" ] && return 0
    SEEN[$rel]=1
    for dep in $(sed -n "s#^$rel: *##p" "$MODDIR/modules.dep"); do
        visit "$dep"
    done
    ORDER+=("$rel")
}

BUILTIN_LIST=()
for m in $WANTED_MODULES; do
    if is_builtin "$m"; then BUILTIN_LIST+=("$m"); continue; fi
    rel=$(find_mod "$m")
    if [ -z "$rel" ]; then
        log "note: module $m neither built in nor shipped; skipping"
        continue
    fi
    visit "$rel"
done

# --- Build the initramfs tree ------------------------------------------------
ROOT="$WORK/initramfs"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,newroot,share,etc,lib/modules/"$KVER"}
cp "$BUSYBOX" "$ROOT/bin/busybox"
# Applet symlinks: "busybox --list-full" gives e.g. "sbin/insmod", "usr/bin/env".
for applet in $("$BUSYBOX" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$ROOT/$(dirname "$applet")"
    ln -sf /bin/busybox "$ROOT/$applet"
done

: > "$ROOT/etc/modules.load"
for rel in "${ORDER[@]}"; do
    base=$(basename "$rel")
    case "$base" in
        # busybox insmod cannot decompress: store plain .ko files.
        *.ko.xz)  out=${base%.xz};  xz -dc "$MODDIR/$rel" > "$ROOT/lib/modules/$KVER/$out" ;;
        *.ko.zst) out=${base%.zst}; zstd -qdc "$MODDIR/$rel" > "$ROOT/lib/modules/$KVER/$out" ;;
        *.ko.gz)  out=${base%.gz};  gzip -dc "$MODDIR/$rel" > "$ROOT/lib/modules/$KVER/$out" ;;
        *)        out=$base;        cp "$MODDIR/$rel" "$ROOT/lib/modules/$KVER/$out" ;;
    esac
    echo "$out" >> "$ROOT/etc/modules.load"
done
echo "$KVER" > "$ROOT/etc/kernel-version"

# The guest's /init. Runs as PID 1 from the initramfs (busybox sh).
cat > "$ROOT/init" <<'INIT'
#!/bin/sh
# Parley test guest init (generated by prepare-guest.sh; see run-guest.sh).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# run-guest.sh watches for this line to tell "booting" from "hung" (nested KVM).
echo "parley-guest: init started"

fail() {
    echo "parley-guest: FATAL: $*"
    # No exit-status file => host reports failure with this console log.
    poweroff -f
    echo o > /proc/sysrq-trigger
    sleep 5
}

KVER=$(cat /etc/kernel-version)
# Load modules in dependency order. Failures are reported but not fatal:
# e.g. aesni-intel refuses to load on a CPU without AES-NI (aes_generic then).
while read -r m; do
    insmod "/lib/modules/$KVER/$m" 2>/tmp-insmod.err ||
        echo "parley-guest: insmod $m failed: $(cat /tmp-insmod.err)"
done < /etc/modules.load
rm -f /tmp-insmod.err
# On-demand module requests from the kernel would run /sbin/modprobe in this
# initramfs; everything needed is already loaded, so make them fail fast.
echo /bin/false > /proc/sys/kernel/modprobe 2>/dev/null

# The per-run settings live in the share, so mount it first (temporarily at /share).
# msize=262168 (= 64*4096 + 24-byte 9p I/O header), NOT the 512000 maximum:
# qemu reports statfs f_bsize = host_bsize * floor((msize-24)/host_bsize), and
# glibc's fpathconf(_PC_REC_XFER_ALIGN) returns it. cryptsetup uses that as a
# posix_memalign() alignment, which must be a power of two: with msize=512000
# it is 124*4096 and "cryptsetup luksFormat FILE" fails with "IO error while
# decrypting keyslot". 64*4096 is a power of two (for 4 KiB host blocks).
# cache=mmap: no page cache coherency issues with the host, but mmap() works.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262168,cache=mmap share /share ||
    fail "cannot mount 9p share"
[ -r /share/.parley-guest/config ] || fail "no /share/.parley-guest/config"
# Defines SHARE_PATH, SCRIPT_PATH and ROOT_CACHE, and BOOT_DISK (written by run-guest.sh).
. /share/.parley-guest/config

if [ -n "${BOOT_DISK:-}" ]; then
    # A whole Debian system on a disk, booted with its own systemd (the package test). The
    # files under the share's .parley-guest/overlay (a unit that runs SCRIPT) are copied
    # in first; the share stays mounted at SHARE_PATH.
    mount -t ext4 "$BOOT_DISK" /newroot || fail "cannot mount $BOOT_DISK"
    cp -a /share/.parley-guest/overlay/. /newroot/ || fail "cannot copy the overlay"
    mkdir -p "/newroot$SHARE_PATH"
    mount --move /share "/newroot$SHARE_PATH" || fail "cannot move share to $SHARE_PATH"
    umount /proc /sys
    mount --move /dev /newroot/dev
    echo "parley-guest: starting systemd from $BOOT_DISK"
    exec switch_root /newroot /lib/systemd/systemd
fi

mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=${ROOT_CACHE:-loose} hostroot /newroot ||
    fail "cannot mount 9p hostroot"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs -o mode=0755 tmpfs $R/run
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
# libcryptsetup's lock dir; normally created by systemd-tmpfiles.
mkdir -m 0700 $R/run/cryptsetup
mkdir -p $R/run/lock
# SHARE_PATH may live under /tmp (now an empty tmpfs) or any other host dir
# (read-only 9p, then it already exists). Mount it at the same path.
mkdir -p "$R$SHARE_PATH" 2>/dev/null
mount --move /share "$R$SHARE_PATH" || fail "cannot move share to $SHARE_PATH"
S="$R$SHARE_PATH"

echo "parley-guest: running $SCRIPT_PATH"
# Clean environment; DM_DISABLE_UDEV: there is no udev, so libdevmapper must
# create/remove /dev/mapper nodes itself instead of waiting for udev cookies.
cd $R || fail "cannot cd $R"
env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin DM_DISABLE_UDEV=1 \
    PARLEY_GUEST=1 PARLEY_SHARE_DIR="$SHARE_PATH" \
    chroot $R /bin/sh -c '
        # Extra variables forwarded by run-guest.sh (PARLEY_GUEST_ENV).
        [ -r "$PARLEY_SHARE_DIR/.parley-guest/env" ] && . "$PARLEY_SHARE_DIR/.parley-guest/env"
        cd "$PARLEY_SHARE_DIR" && exec /bin/sh "$0"' "$SCRIPT_PATH"
rc=$?
echo "parley-guest: script exited with status $rc"
echo "$rc" > "$S/guest-exit-status.tmp" && mv "$S/guest-exit-status.tmp" "$S/guest-exit-status"
sync
umount "$S" 2>/dev/null || umount -l "$S"
poweroff -f
echo o > /proc/sysrq-trigger
sleep 5
INIT
chmod 0755 "$ROOT/init"

log "packing initramfs (${#ORDER[@]} modules)"
(cd "$ROOT" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null | gzip -6) > "$WORK/initramfs.gz"

# --- Install into the cache atomically-ish -----------------------------------
cp "$VMLINUZ" "$CACHE_DIR/vmlinuz.new"
mv "$CACHE_DIR/vmlinuz.new" "$CACHE_DIR/vmlinuz"
mv "$WORK/initramfs.gz" "$CACHE_DIR/initramfs.gz"
echo "$KPKG=$KVER_PKG" > "$CACHE_DIR/kernel-package"
{
    echo "kernel $KVER ($KPKG $KVER_PKG)"
    echo "builtin (skipped): ${BUILTIN_LIST[*]:-}"
    echo "loaded in order:"
    sed 's/^/  /' "$ROOT/etc/modules.load"
} > "$CACHE_DIR/modules.txt"
echo "$WANT_STAMP" > "$CACHE_DIR/stamp"
log "guest ready in $CACHE_DIR (kernel $KVER); module list in $CACHE_DIR/modules.txt"
print_result
