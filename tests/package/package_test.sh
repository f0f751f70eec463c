#!/bin/bash
# package_test.sh: the Debian package on a clean machine.
#
# Builds this commit's package and takes an earlier commit's (the newest kept in the cache
# within 50 commits, else the previous commit's, built now; when that one has
# installer/build-package), boots a clean Debian 12 (tests/package/prepare-rootfs.sh) with
# systemd as init in the QEMU guest of tests/volume/guest, and runs guest-checks.sh there:
# an upgrade from the earlier package keeping its admin and rooms, the service and its
# hardening, TLS 1.3 on 443, a certificate reload, a refused downgrade, purge, and a fresh
# install. Exit status: the number of failed checks (0 = all passed).
#
# Packages are kept in ${PARLEY_CACHE:-~/.cache/parley}/packages by commit (a commit's build
# never changes; the 20 newest); the base system image is cached by
# prepare-rootfs.sh. PARLEY_PACKAGE_TEST_KEEP=1 keeps the work directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
work="$root/build/package-test"
rm -rf "$work"
mkdir -p "$work"
log() { echo "package_test: $*" >&2; }
started=$SECONDS

log "building this commit's package"
current=$("$root/installer/build-package" "$work/current-build" | tail -n1)
cp "$current" "$work/current.deb"
# A clean tree's package is kept by commit: a later run upgrades from it instead of building
# its own previous commit again (a few minutes). A tree with changes is no commit's.
mkdir -p "$cache/packages"
if [ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    head_commit=$(git -C "$root" rev-parse HEAD)
    cp "$current" "$cache/packages/parley-$head_commit.deb.tmp" &&
        mv "$cache/packages/parley-$head_commit.deb.tmp" "$cache/packages/parley-$head_commit.deb"
    # The 20 newest are plenty for the search below.
    ls -1t "$cache"/packages/parley-*.deb | tail -n +21 | xargs -r rm -f
fi

if git -C "$root" cat-file -e HEAD~1:installer/build-package 2>/dev/null; then
    # The upgrade starts from the newest earlier commit whose package is kept (what this
    # server ran before, in CI: the last commit tested), within 50 commits; else HEAD~1,
    # built now and kept.
    previous_commit=$(git -C "$root" rev-parse HEAD~1)
    for commit in $(git -C "$root" rev-list --max-count=50 HEAD~1); do
        if [ -s "$cache/packages/parley-$commit.deb" ]; then
            previous_commit=$commit
            break
        fi
    done
    previous="$cache/packages/parley-$previous_commit.deb"
    log "upgrading from $previous_commit ($(git -C "$root" rev-list --count "$previous_commit..HEAD") commits back)"
    if [ ! -s "$previous" ]; then
        log "building the previous commit's package ($previous_commit)"
        source_dir="$root/build/previous-source"
        git -C "$root" worktree remove --force "$source_dir" 2>/dev/null || rm -rf "$source_dir"
        git -C "$root" worktree prune
        git -C "$root" worktree add --detach "$source_dir" "$previous_commit" >&2
        # Same layout as this tree's build/release, so a compiler cache finds the same
        # relative paths.
        built=$("$source_dir/installer/build-package" "$source_dir/build/package" | tail -n1)
        mkdir -p "$cache/packages"
        cp "$built" "$previous.tmp" && mv "$previous.tmp" "$previous"
        git -C "$root" worktree remove --force "$source_dir"
    fi
    cp "$previous" "$work/previous.deb"
else
    log "the previous commit has no installer/build-package: no upgrade to test"
fi
log "packages ready after $((SECONDS - started)) s"

# A second certificate for the reload check, and the pin of its key for curl.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -days 30 -keyout "$work/new-key.pem" -out "$work/new-cert.pem" 2>/dev/null
openssl pkey -in "$work/new-key.pem" -pubout -outform DER | openssl dgst -sha256 -binary |
    base64 > "$work/new-pin.txt"
openssl x509 -in "$work/new-cert.pem" -noout -fingerprint -sha256 | sed 's/^.*=//' > "$work/new-fingerprint.txt"

image=$("$root/tests/package/prepare-rootfs.sh" "$work"/*.deb)
cp "$root/tests/package/guest-checks.sh" "$work/guest-checks.sh"
status=0
PARLEY_GUEST_DISK=$image PARLEY_GUEST_MEMORY=1536 PARLEY_GUEST_TIMEOUT=${PARLEY_GUEST_TIMEOUT:-900} \
    "$root/tests/volume/guest/run-guest.sh" "$work" "$work/guest-checks.sh" || status=$?
# The checks' own lines, without the kernel's time stamps.
sed -n 's/^\[ *[0-9.]*\] sh\[[0-9]*\]: //p' "$work/guest-console.log"
log "done in $((SECONDS - started)) s"
[ "${PARLEY_PACKAGE_TEST_KEEP:-0}" = 1 ] || rm -rf "$work"
exit "$status"
