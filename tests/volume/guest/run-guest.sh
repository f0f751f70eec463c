#!/bin/bash
# run-guest.sh SHARE_DIR SCRIPT
#
# Boots Debian's kernel under qemu (see prepare-guest.sh) and runs SCRIPT with
# /bin/sh inside a chroot of the HOST's root filesystem, so the guest uses the
# host's own binaries/libraries (cryptsetup, mkfs.ext4, our build tree...) but
# a real kernel with device-mapper, dm-crypt and loop.
#
# Guest view:
#   /            host root via virtio-9p, READ-ONLY
#   /proc /sys /dev (devtmpfs) /dev/pts /dev/shm   fresh
#   /run /tmp    empty tmpfs (host /tmp content is NOT visible)
#   SHARE_DIR    host SHARE_DIR via virtio-9p, read-write, at the same path
# SCRIPT runs as root with cwd=SHARE_DIR and a clean environment:
#   PATH=/usr/sbin:/usr/bin:/sbin:/bin DM_DISABLE_UDEV=1 PARLEY_GUEST=1
#   PARLEY_SHARE_DIR=SHARE_DIR, plus the variables named in PARLEY_GUEST_ENV.
#
# Exit status: SCRIPT's exit status (the guest writes it to
# SHARE_DIR/guest-exit-status; qemu's own status says nothing about the guest).
# The console is kept in SHARE_DIR/guest-console.log and printed on failure.
#
# Environment knobs:
#   PARLEY_GUEST_ACCEL    auto (default: KVM if usable, else TCG) | kvm | tcg
#   PARLEY_GUEST_TIMEOUT  seconds for the whole boot+run (default 300)
#   PARLEY_GUEST_VERBOSE  1 = stream the console while it runs
#   PARLEY_GUEST_ENV      names of host variables to forward into the script
#   PARLEY_GUEST_ROOT_CACHE  9p cache mode for the host root (default loose)
#   PARLEY_GUEST_DISK     an ext4 disk image with a whole Debian system: the guest boots it
#                         with its own systemd instead of chrooting into the host's root;
#                         SCRIPT then runs as a systemd service after multi-user.target (so
#                         it must not wait for the boot to finish: is-system-running --wait
#                         would wait for SCRIPT itself), and
#                         the guest powers off after it. QEMU's snapshot mode keeps the
#                         image unchanged.
#   PARLEY_GUEST_MEMORY   guest memory in MiB (default 1024)
#   PARLEY_CACHE          cache root, as for prepare-guest.sh
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")

usage() { echo "usage: $0 SHARE_DIR SCRIPT" >&2; exit 2; }
[ $# -eq 2 ] || usage
[ -d "$1" ] || { echo "run-guest: SHARE_DIR $1 is not a directory" >&2; exit 2; }
[ -r "$2" ] || { echo "run-guest: SCRIPT $2 is not readable" >&2; exit 2; }
SHARE=$(readlink -f "$1")
SCRIPT=$(readlink -f "$2")
[ "$SHARE" != / ] || { echo "run-guest: SHARE_DIR must not be /" >&2; exit 2; }
case "$SHARE$SCRIPT" in
    *[[:space:]\'\"\\]*) echo "run-guest: paths with spaces/quotes are not supported" >&2; exit 2 ;;
esac

command -v qemu-system-x86_64 >/dev/null ||
    { echo "run-guest: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 2; }

GUEST_DIR=${PARLEY_CACHE:-$HOME/.cache/parley}/guest
"$HERE/prepare-guest.sh" "$GUEST_DIR" >/dev/null
GUEST_DIR=$(readlink -f "$GUEST_DIR")

# SCRIPT must be readable inside the guest. Host /tmp, /run, /dev... are
# replaced by fresh mounts there, so a script under them (and not inside
# SHARE_DIR) would vanish: copy it into the share in that case.
GUEST_SCRIPT=$SCRIPT
case "$SCRIPT" in
    "$SHARE"/*) ;;
    /tmp/*|/run/*|/dev/*|/proc/*|/sys/*)
        GUEST_SCRIPT="$SHARE/.parley-guest/script.sh"
        ;;
esac

STATUS="$SHARE/guest-exit-status"
LOG="$SHARE/guest-console.log"
rm -f "$STATUS" "$STATUS.tmp" "$LOG"
rm -rf "$SHARE/.parley-guest"
mkdir -p "$SHARE/.parley-guest"
[ "$GUEST_SCRIPT" = "$SCRIPT" ] || cp "$SCRIPT" "$GUEST_SCRIPT"
# Read by the guest's /init with busybox sh; paths were checked for quotes above.
cat > "$SHARE/.parley-guest/config" <<EOF
SHARE_PATH='$SHARE'
SCRIPT_PATH='$GUEST_SCRIPT'
ROOT_CACHE='${PARLEY_GUEST_ROOT_CACHE:-loose}'
BOOT_DISK='${PARLEY_GUEST_DISK:+/dev/vda}'
EOF
DISK_ARGS=()
if [ -n "${PARLEY_GUEST_DISK:-}" ]; then
    [ -r "$PARLEY_GUEST_DISK" ] || { echo "run-guest: PARLEY_GUEST_DISK $PARLEY_GUEST_DISK is not readable" >&2; exit 2; }
    DISK_ARGS=(-drive "file=$PARLEY_GUEST_DISK,format=raw,if=virtio,snapshot=on,cache=unsafe")
    # The unit that runs SCRIPT in the booted system, then powers it off; the exit status
    # goes to the share as in the chroot mode.
    units="$SHARE/.parley-guest/overlay/etc/systemd/system"
    mkdir -p "$units/multi-user.target.wants"
    cat > "$units/parley-guest-script.service" <<EOF
[Unit]
Description=Parley guest test script
After=multi-user.target
[Service]
Type=oneshot
StandardOutput=journal+console
StandardError=journal+console
Environment=PARLEY_GUEST=1 PARLEY_SHARE_DIR=$SHARE
WorkingDirectory=$SHARE
ExecStart=/bin/sh -c '[ -r .parley-guest/env ] && . ./.parley-guest/env; /bin/sh $GUEST_SCRIPT; echo \$\$? > guest-exit-status.tmp; mv guest-exit-status.tmp guest-exit-status; sync'
ExecStartPost=/bin/systemctl poweroff --force
[Install]
WantedBy=multi-user.target
EOF
    ln -sf ../parley-guest-script.service "$units/multi-user.target.wants/parley-guest-script.service"
fi
# Forwarded variables, sourced by /bin/sh (dash) in the chroot before SCRIPT,
# so quote POSIX-style ('...' with ' as '\''), not bash's printf %q.
: > "$SHARE/.parley-guest/env"
for name in ${PARLEY_GUEST_ENV:-}; do
    if [ -n "${!name+x}" ]; then
        val=${!name}
        printf "export %s='%s'\n" "$name" "${val//\'/\'\\\'\'}" >> "$SHARE/.parley-guest/env"
    fi
done

TIMEOUT=${PARLEY_GUEST_TIMEOUT:-300}
# quiet/loglevel=3: only errors on the console; panic=-1 + -no-reboot: a guest
# panic (e.g. /init dying) ends qemu at once instead of hanging until timeout.
# mitigations=off: speculative-execution mitigations only cost time here.
CMDLINE="console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init nokaslr tsc=reliable mitigations=off"

# shellcheck disable=SC2054  # commas are qemu option syntax
QEMU=(qemu-system-x86_64
    -m "${PARLEY_GUEST_MEMORY:-1024}" -smp 2 -nographic -no-reboot -no-user-config
    -nic none                       # no network needed; skips NIC + option ROM
    -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initramfs.gz"
    -append "$CMDLINE"
    # Host root, read-only. security_model=none: plain passthrough of file
    # ownership/modes, and qemu ignores chown/xattr failures (matters if qemu
    # is not root). multidevs=remap: / spans several host filesystems; remap
    # avoids inode-number collisions (and qemu's warning about them).
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
    -fsdev local,id=share,path="$SHARE",security_model=none,multidevs=remap
    -device virtio-9p-pci,fsdev=share,mount_tag=share
    # Entropy for luksFormat etc. without waiting on the guest's CRNG.
    -object rng-random,id=rng0,filename=/dev/urandom
    -device virtio-rng-pci,rng=rng0
    "${DISK_ARGS[@]}"
)

# boot ACCEL WATCHDOG: runs qemu, sets qrc. With WATCHDOG=1, gives up (returns
# 3) if /init has not printed its first line within PARLEY_GUEST_KVM_BOOT_TIMEOUT.
boot() {
    local accel=$1 watchdog=$2 qpid tpid="" waited=0
    local limit=${PARLEY_GUEST_KVM_BOOT_TIMEOUT:-30}
    local accel_args
    # shellcheck disable=SC2054
    case "$accel" in
        # -cpu host passes AES-NI through (aesni-intel loads, dm-crypt is fast).
        # -arch-capabilities: under nested KVM qemu 7.2 otherwise aborts with
        # "failed to set MSR 0x10a" (IA32_ARCH_CAPABILITIES).
        kvm) accel_args=(-accel kvm -cpu host,-arch-capabilities) ;;
        # TCG: "-cpu max" emulates AES-NI as well (slowly, same code paths).
        tcg) accel_args=(-accel tcg -cpu max) ;;
    esac
    rm -f "$STATUS" "$STATUS.tmp" "$LOG"
    echo "run-guest: booting guest ($accel) for $SCRIPT" >&2
    # stdin from /dev/null: qemu must not put a terminal into raw mode or read
    # keystrokes (-nographic multiplexes the monitor on stdio).
    timeout -k 10 "$TIMEOUT" "${QEMU[@]}" "${accel_args[@]}" </dev/null >"$LOG" 2>&1 &
    qpid=$!
    if [ "${PARLEY_GUEST_VERBOSE:-0}" = 1 ]; then
        tail -n +1 -f --pid="$qpid" "$LOG" & tpid=$!
    fi
    if [ "$watchdog" = 1 ]; then
        while kill -0 "$qpid" 2>/dev/null && ! grep -q 'parley-guest: init started' "$LOG"; do
            if [ "$waited" -ge $((limit * 5)) ]; then
                kill "$qpid" 2>/dev/null || true   # timeout(1) passes TERM on to qemu
                wait "$qpid" 2>/dev/null || true
                [ -z "$tpid" ] || wait "$tpid" 2>/dev/null || true
                return 3
            fi
            sleep 0.2; waited=$((waited + 1))
        done
    fi
    qrc=0; wait "$qpid" || qrc=$?
    [ -z "$tpid" ] || wait "$tpid" 2>/dev/null || true
    return 0
}

# --- Accelerator -------------------------------------------------------------
# auto: KVM if /dev/kvm works, else TCG. /dev/kvm can exist and even open fine
# while guests hang forever in early boot (seen with nested KVM on a Firecracker
# host): then the watchdog kills the KVM attempt, we remember that for this
# host kernel + qemu in $GUEST_DIR/kvm-unusable, and use TCG.
ACCEL=${PARLEY_GUEST_ACCEL:-auto}
HOST_ID="$(uname -r) $(qemu-system-x86_64 --version | head -n1)"
WATCHDOG=0
if [ "$ACCEL" = auto ]; then
    ACCEL=tcg
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
       ! { [ -f "$GUEST_DIR/kvm-unusable" ] && [ "$(cat "$GUEST_DIR/kvm-unusable")" = "$HOST_ID" ]; } &&
       # a throwaway machine-less qemu that just quits: fails fast if KVM
       # cannot even be initialised (permissions, no nested virt).
       echo quit | qemu-system-x86_64 -accel kvm -machine none -display none \
           -nodefaults -no-user-config -monitor stdio >/dev/null 2>&1; then
        ACCEL=kvm; WATCHDOG=1
    fi
fi
case "$ACCEL" in
    kvm|tcg) ;;
    *) echo "run-guest: PARLEY_GUEST_ACCEL must be auto, kvm or tcg" >&2; exit 2 ;;
esac

start=$(date +%s.%N)
if ! boot "$ACCEL" "$WATCHDOG"; then
    echo "run-guest: KVM guest did not reach /init within ${PARLEY_GUEST_KVM_BOOT_TIMEOUT:-30}s;" \
         "marking KVM unusable on this host ($GUEST_DIR/kvm-unusable), retrying with TCG" >&2
    echo "$HOST_ID" > "$GUEST_DIR/kvm-unusable"
    ACCEL=tcg
    start=$(date +%s.%N)
    boot tcg 0
fi
end=$(date +%s.%N)
secs=$(awk "BEGIN{printf \"%.1f\", $end-$start}")

rm -rf "$SHARE/.parley-guest"
if [ ! -s "$STATUS" ]; then
    why="guest did not report an exit status"
    [ "$qrc" = 124 ] && why="guest timed out after ${TIMEOUT}s"
    [ "$qrc" != 0 ] && [ "$qrc" != 124 ] && why="$why (qemu exit $qrc)"
    echo "run-guest: FAILED: $why; console log ($LOG), last 60 lines:" >&2
    tail -n 60 "$LOG" >&2
    exit 1
fi
rc=$(cat "$STATUS")
case "$rc" in ''|*[!0-9]*) echo "run-guest: bad exit status '$rc'" >&2; exit 1 ;; esac
if [ "$rc" != 0 ]; then
    echo "run-guest: guest script failed with status $rc after ${secs}s; console log ($LOG):" >&2
    [ "${PARLEY_GUEST_VERBOSE:-0}" = 1 ] || cat "$LOG" >&2
else
    echo "run-guest: guest script passed in ${secs}s ($ACCEL)" >&2
fi
exit "$rc"
