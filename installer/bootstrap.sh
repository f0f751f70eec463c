#!/usr/bin/env bash
# Makes a Debian 12 machine ready to build, run and test Parley.
#
# Idempotent: packages already installed are not touched, and libsrtp2 is rebuilt only when
# its cached build is missing or was made from another Debian source version. A second run
# finishes in a few seconds.
#
# Prints, as its last line, the libsrtp2 prefix that CMake needs (PARLEY_LIBSRTP2_ROOT); the
# patched sofia-sip is in "sofia-sip" beside it (PARLEY_SOFIA_SIP_ROOT).
set -euo pipefail

CACHE_DIR="${PARLEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}"

# Everything the build, the server and the test suite need, in one place.
PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates dpkg-dev
  # CPack computes the package's dependencies with dpkg-shlibdeps, after file(1) says which
  # files are programs and libraries
  file
  # a compiler cache: the package test builds the previous commit too, mostly from it
  ccache
  # the package test's clean Debian 12 system
  debootstrap
  # libraries named in DESIGN.md
  libpoco-dev libsqlite3-dev libssl-dev libldap-dev libcryptsetup-dev libfuse3-dev
  libavformat-dev libavcodec-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev
  # SIP over TLS (issue 21): the SIP stack is Debian's sofia-sip source, patched and built
  # here (build_sofia_sip), which needs autotools
  autoconf automake libtool
  # tests: unit framework, real peers and tools the tests drive
  catch2 openssl curl slapd ldap-utils ffmpeg fuse3 cryptsetup-bin e2fsprogs
  # a real SIP endpoint (SIP over TLS, SDES-SRTP, Opus) the SIP tests call Parley with
  baresip-core
  # the font names are drawn with on composed recordings (the package depends on it too)
  fonts-dejavu-core
  # a real iCalendar parser reads the calendar files the portal serves
  python3-icalendar
  # Prometheus and promtool: a real server scrapes parleyd's /metrics, promtool checks the
  # scrape, the alert rules and the dashboard (installer/monitoring/)
  prometheus
  # the kernel volume engine's test boots Debian's kernel in QEMU with a busybox initramfs
  qemu-system-x86 busybox-static
  chromium nodejs
  # the fuzz harnesses are built with clang's libFuzzer (tests/fuzz/run-fuzzers)
  clang libclang-rt-14-dev
)

log() { printf 'bootstrap: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local p status
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || printf '%s\n' "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # slapd asks debconf questions; the tests run their own slapd, so defaults are fine.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # Debian's prometheus starts a server of its own on port 9090 of every address wherever
  # systemd runs; the tests start theirs on a free port of 127.0.0.1 and need none running.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    log "stopped and disabled the prometheus service the package started (the tests run their own)"
  fi
}

# apt-get source needs a deb-src entry; fresh Debian 12 images ship without one.
ensure_deb_src() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  log "adding deb-src entries mirroring the configured Debian sources"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      as_root tee /etc/apt/sources.list.d/parley-deb-src.sources >/dev/null
  elif grep -qsE '^deb ' /etc/apt/sources.list; then
    grep -E '^deb ' /etc/apt/sources.list | sed -E 's/^deb /deb-src /' |
      as_root tee /etc/apt/sources.list.d/parley-deb-src.list >/dev/null
  else
    log "no Debian apt source found to mirror as deb-src; add one and run again"
    exit 1
  fi
  as_root apt-get update -qq
}

# The version apt would install of package $1, refreshing the package lists once if it knows
# none (a fresh image may have empty lists).
candidate_version() {
  local version
  version=$(apt-cache policy "$1" | awk '/Candidate:/ {print $2}')
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    as_root apt-get update -qq
    version=$(apt-cache policy "$1" | awk '/Candidate:/ {print $2}')
  fi
  printf '%s\n' "$version"
}

# Debian's binary libsrtp2 uses NSS (about 4x slower per packet, ~200x per session setup),
# so we build Debian's own source package against OpenSSL and keep it in a cache prefix.
build_libsrtp2() {
  local version prefix work
  version=$(candidate_version libsrtp2-1)
  prefix="$CACHE_DIR/libsrtp2-$version-openssl"
  if [ -f "$prefix/.complete" ]; then
    log "libsrtp2 $version (OpenSSL) cached in $prefix"
    ln -sfn "$prefix" "$CACHE_DIR/libsrtp2"
    return
  fi
  ensure_deb_src
  work=$(mktemp -d)
  log "building libsrtp2 $version from Debian source with --enable-openssl"
  (
    cd "$work"
    apt-get source -qq "libsrtp2=$version" >/dev/null 2>&1
    cd libsrtp2-*/
    ./configure --enable-openssl --prefix="$prefix" CFLAGS="-O2 -fPIC" >/dev/null
    make -j"$(nproc)" libsrtp2.a >/dev/null
    rm -rf "$prefix"
    make install >/dev/null
  )
  rm -rf "$work"
  # Refuse a build that silently fell back to the built-in cipher code.
  # (grep without -q: under pipefail an early exit of grep would fail nm with SIGPIPE)
  if ! nm "$prefix/lib/libsrtp2.a" 2>/dev/null | grep 'U EVP_CIPHER_CTX_new' >/dev/null; then
    log "libsrtp2 in $prefix does not use OpenSSL; refusing it"
    exit 1
  fi
  touch "$prefix/.complete"
  ln -sfn "$prefix" "$CACHE_DIR/libsrtp2"
}

# Debian 12's sofia-sip lets TLS 1.2 CBC suites through (its cipher list is fixed in the code)
# and never frees a TLS connection's SSL. We build Debian's own source package with
# installer/patches/sofia-sip-tls-policy.patch, as a static library so that parleyd (and its
# package) can only ever run the patched code. Rebuilt when the Debian version or the patch
# changes.
build_sofia_sip() {
  local version patch stamp prefix work
  version=$(candidate_version libsofia-sip-ua0)
  patch="$(cd "$(dirname "$0")" && pwd)/patches/sofia-sip-tls-policy.patch"
  stamp=$(sha256sum "$patch" | cut -c1-12)
  prefix="$CACHE_DIR/sofia-sip-${version//[~:+]/_}-parley-$stamp"
  if [ -f "$prefix/.complete" ]; then
    log "sofia-sip $version (patched) cached in $prefix"
    ln -sfn "$prefix" "$CACHE_DIR/sofia-sip"
    return
  fi
  ensure_deb_src
  work=$(mktemp -d)
  log "building sofia-sip $version from Debian source with Parley's TLS patch"
  (
    cd "$work"
    apt-get source -qq "sofia-sip=$version" >/dev/null 2>&1
    cd sofia-sip-*/
    patch -p1 -s <"$patch"
    autoreconf -fi >/dev/null 2>&1
    ./configure --prefix="$prefix" --enable-static --disable-shared --without-glib --with-openssl \
      --disable-stun CFLAGS="-O2 -g -fPIC" >/dev/null
    make -j"$(nproc)" -C libsofia-sip-ua >/dev/null 2>&1
    rm -rf "$prefix"
    make -C libsofia-sip-ua install >/dev/null 2>&1
  )
  rm -rf "$work"
  if ! nm "$prefix/lib/libsofia-sip-ua.a" 2>/dev/null | grep 'U SSL_CTX_set_min_proto_version\|U SSL_CTX_ctrl' >/dev/null; then
    log "sofia-sip in $prefix was not built with OpenSSL; refusing it"
    exit 1
  fi
  touch "$prefix/.complete"
  ln -sfn "$prefix" "$CACHE_DIR/sofia-sip"
}

# The browser tests drive Debian's chromium with npm's playwright-core (never a downloaded
# browser), pinned by tests/e2e/package-lock.json to versions that run on Debian 12's own
# Node.js (18). npm checks every locked package's `engines` against the Node found here
# (--engine-strict), so a Node too old for them stops the bootstrap with a message instead of
# failing the browser tests later. The stamp records the lock and the Node version: a change
# of either installs and checks again.
install_e2e_modules() {
  local e2e lock stamp node_version output
  e2e="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e"
  lock="$e2e/package-lock.json"
  stamp="$e2e/node_modules/.parley-lock"
  if ! command -v npm >/dev/null; then
    log "installing npm"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  node_version=$(node --version)
  if [ -f "$stamp" ] && cmp -s <(cat "$lock"; echo "node $node_version") "$stamp"; then
    log "npm modules for the browser tests present (Node.js $node_version)"
    return
  fi
  log "installing npm modules for the browser tests (Node.js $node_version)"
  if ! output=$(cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
                npm ci --engine-strict --no-audit --no-fund --loglevel=error 2>&1); then
    if grep -q EBADENGINE <<<"$output"; then
      log "Node.js $node_version ($(command -v node)) is not one that the browser-test modules"
      log "locked in tests/e2e/package-lock.json support; npm says:"
      grep -E 'notsup (Not compatible|Required|Actual)' <<<"$output" |
        sed -e 's/^npm error /  /' -e 's#: undefined$#: tests/e2e/package.json#' >&2
      log "Install a Node.js that satisfies 'Required' (Debian 12's own: apt-get install nodejs),"
      log "or pin versions in tests/e2e/package.json whose engines accept this Node, then"
      log "run 'npm install --package-lock-only' there and commit the lock file."
    else
      printf '%s\n' "$output" >&2
      log "npm ci in tests/e2e failed (output above)"
    fi
    exit 1
  fi
  { cat "$lock"; echo "node $node_version"; } >"$stamp"
}

# The kernel engine's test (tests/volume/guest/) boots Debian's own kernel: fetched with
# apt-get download and cached with its initramfs, so the test itself does not download.
prepare_guest_kernel() {
  local repo
  repo="$(cd "$(dirname "$0")/.." && pwd)"
  log "guest kernel for the dm-crypt test"
  "$repo/tests/volume/guest/prepare-guest.sh" >/dev/null
}

main() {
  mkdir -p "$CACHE_DIR"
  install_packages
  install_e2e_modules
  prepare_guest_kernel
  build_libsrtp2
  build_sofia_sip
  printf '%s\n' "$CACHE_DIR/libsrtp2"
}

main "$@"
