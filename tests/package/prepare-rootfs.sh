#!/bin/bash
# prepare-rootfs.sh DEB... [--cache DIR]
#
# Builds (once) the clean Debian 12 system the package test installs Parley into: a root
# file system made by debootstrap from Debian's own packages (systemd as init, curl,
# sqlite3 for the test's own checks) plus the shared libraries the given packages depend
# on, so that installing them inside the guest needs no network. It is written as an ext4
# disk image; the guest boots it with QEMU's snapshot mode, so the cached image never
# changes.
#
# The cache key is this script and the packages' Depends lines: a package that needs a
# new library makes a new image. Prints the image's path on stdout; progress on stderr.
# Needs: debootstrap, e2fsprogs (mke2fs -d), and the Debian mirror in /etc/apt.
set -euo pipefail

CACHE_DIR=${PARLEY_CACHE:-$HOME/.cache/parley}/package-guest
debs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) CACHE_DIR=$2; shift 2 ;;
        *) debs+=("$1"); shift ;;
    esac
done
[ ${#debs[@]} -gt 0 ] || { echo "usage: $0 DEB... [--cache DIR]" >&2; exit 2; }

log() { echo "prepare-rootfs: $*" >&2; }
die() { echo "prepare-rootfs: ERROR: $*" >&2; exit 1; }

# Every package's dependencies, each once, in a stable order: the same set gives the same image.
depends=$(for deb in "${debs[@]}"; do dpkg-deb -f "$deb" Depends | sed 's/, */\n/g'; done | sort -u |
    paste -sd, - | sed 's/,/, /g')
key=$( { sha256sum "$(readlink -f "$0")"; echo "$depends"; } | sha256sum | cut -c1-16)
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(readlink -f "$CACHE_DIR")
image="$CACHE_DIR/rootfs-$key.img"

exec 9>"$CACHE_DIR/.lock"
flock 9
if [ -s "$image" ]; then
    echo "$image"
    exit 0
fi

# The host's Debian mirror and suites (deb lines only), so the guest gets the same
# versions (bookworm, -updates and -security) the package was built against.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

root="$CACHE_DIR/rootfs-$key.tmp"
umount_all() {
    for mount in "$root/proc" "$root/sys" "$root/dev/pts"; do
        mountpoint -q "$mount" 2>/dev/null && umount -l "$mount" || true
    done
}
trap 'umount_all; rm -rf "$root" "$image.tmp"' EXIT
rm -rf "$root" "$CACHE_DIR"/rootfs-*.img   # older images are of no more use
log "debootstrap bookworm from $mirror (a few minutes, once)"
debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,curl,ca-certificates,sqlite3,procps \
    bookworm "$root" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $CACHE_DIR/debootstrap.log"

if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk 'BEGIN{RS=""; ORS="\n\n"} /Types:[^\n]*deb([ \n]|$)/ && !/Types: deb-src/' \
        /etc/apt/sources.list.d/debian.sources > "$root/etc/apt/sources.list.d/debian.sources"
    rm -f "$root/etc/apt/sources.list"
fi
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
log "installing the packages' dependencies: $depends"
chroot "$root" apt-get update -qq >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -qq --no-install-recommends \
    "$depends" >&2
chroot "$root" apt-get clean
umount_all

# A plain server: root on the virtio disk, a name, no timers that would reach for a network.
echo "/dev/vda / ext4 defaults 0 1" > "$root/etc/fstab"
echo parley-test > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 parley-test\n::1 localhost\n' > "$root/etc/hosts"
: > "$root/etc/machine-id"
rm -f "$root/etc/resolv.conf"
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
            systemd-timesyncd.service getty@tty1.service serial-getty@ttyS0.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

log "writing the disk image"
size_mib=$(( $(du -sm "$root" | cut -f1) + 1536 ))
mke2fs -q -t ext4 -L parley-root -d "$root" "$image.tmp" "${size_mib}M" >&2
mv "$image.tmp" "$image"
log "image ready: $image"
echo "$image"
