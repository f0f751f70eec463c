#!/bin/sh
# Runs inside the QEMU guest booted from the clean Debian 12 image (package_test.sh), as
# root under the guest's own systemd, with the share as working directory holding
# current.deb, maybe previous.deb, and new-cert.pem / new-key.pem / new-pin.txt / new-fingerprint.txt (what the host computed for the reload check).
# Every check prints "ok ..." or "FAIL ..."; the script's status is the number of failures.
set -u
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # check WHAT COMMAND...: runs COMMAND, ok when it succeeds
    what=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
step() { echo "---- $* ($(date +%T))"; }
seconds() { date +%s; }

api() { # api METHOD PATH [JSON]: calls the portal over TLS 1.3 with the cookie jar
    method=$1 path=$2 body=${3:-}
    if [ -n "$body" ]; then
        curl -sk --tlsv1.3 -b jar -c jar -X "$method" -H 'Content-Type: application/json' \
            -H "X-CSRF-Token: ${csrf:-}" -H 'Origin: https://127.0.0.1' -d "$body" "https://127.0.0.1$path"
    else
        curl -sk --tlsv1.3 -b jar -c jar -X "$method" "https://127.0.0.1$path"
    fi
}
login() { # login NAME PASSWORD: signs in; sets csrf
    rm -f jar
    answer=$(api POST /api/v1/auth/login "{\"username\":\"$1\",\"password\":\"$2\"}")
    csrf=$(echo "$answer" | sed -n 's/.*"csrfToken": *"\([^"]*\)".*/\1/p')
    [ -n "$csrf" ]
}
room_links() { api GET /api/v1/rooms | grep -o '"link": *"[^"]*"' | sort | tr '\n' ' '; }
served_pin_matches() { # the portal presents the certificate whose key new-pin.txt pins
    curl -sk --tlsv1.3 --pinnedpubkey "sha256//$(cat new-pin.txt)" -o /dev/null https://127.0.0.1/healthz
}
wait_active() {
    for _ in $(seq 1 60); do
        systemctl is-active --quiet parleyd && return 0
        sleep 1
    done
    return 1
}
install_deb() { # install_deb FILE [apt options]: as an administrator would (offline: the image holds the dependencies)
    deb=$1; shift
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" "$PWD/$deb" >install.log 2>&1
}

password='package-test-password-1'

if [ -f previous.deb ]; then
    step "install an earlier commit's package ($(dpkg-deb -f previous.deb Version))"
    if install_deb previous.deb; then ok "previous package installs"; else fail "previous package installs"; cat install.log; fi
    check "previous parleyd active" wait_active
    echo "$password" | parleyctl user create-admin ada >/dev/null
    check "admin signs in to the previous version" login ada "$password"
    api POST /api/v1/rooms "{\"title\":\"Ward round\",\"startsAt\":\"2030-01-01T09:00:00Z\",\"endsAt\":\"2030-01-01T10:00:00Z\"}" >/dev/null
    links_before=$(room_links)
    echo "rooms before the upgrade: $links_before"
    [ "$(echo "$links_before" | wc -w)" -ge 2 ] && ok "a personal room and a meeting made" || fail "a personal room and a meeting made"
fi

step "install this commit's package ($(dpkg-deb -f current.deb Version))"
started=$(seconds)
if install_deb current.deb; then ok "package installs"; else fail "package installs"; fi
cat install.log
echo "install took $(( $(seconds) - started )) s"
check "parleyd.service active" wait_active
check "installed version is this commit's" sh -c "dpkg-query -W -f '\${Version}' parley | grep -qx '$(dpkg-deb -f current.deb Version)'"
if [ -f previous.deb ]; then
    check "the admin made before the upgrade signs in" login ada "$password"
    links_after=$(room_links)
    [ "$links_after" = "$links_before" ] && ok "rooms kept across the upgrade" || fail "rooms kept across the upgrade ($links_after)"
else
    echo "no previous package (the previous commit has no installer/build-package): no upgrade checked"
    echo "$password" | parleyctl user create-admin ada >/dev/null
    check "an admin created with parleyctl signs in" login ada "$password"
fi

step "the installed server"
check "runs as parley" sh -c '[ "$(ps -o user= -C parleyd)" = parley ]'
check "data directory is parley's, mode 0700" sh -c '[ "$(stat -c %U:%a /var/lib/parley)" = parley:700 ]'
check "parley.ini readable by root and parley only (root:parley 0640)" sh -c '[ "$(stat -c %U:%G:%a /etc/parley/parley.ini)" = root:parley:640 ]'
check "parley.ini is a conffile" sh -c 'dpkg-query -W -f "\${Conffiles}" parley | grep -q /etc/parley/parley.ini'
check "/healthz over TLS 1.3 on port 443" sh -c 'curl -sk --tlsv1.3 --tls-max 1.3 https://127.0.0.1:443/healthz | grep -q ok'
link=$(api GET /api/v1/rooms | sed -n 's/.*"joinPath": *"\([^"]*\)".*/\1/p' | head -n1)
check "the meeting page is served at $link" sh -c "curl -sk https://127.0.0.1$link | grep -qi '<html'"
check "the admin console is served" sh -c "curl -sk -b jar https://127.0.0.1/admin | grep -qi '<html'"
check "parleyd reports the volume locked (no key file)" sh -c 'journalctl -u parleyd --no-pager | grep -q "Recording volume: not available"'
check "parley-volume.service skipped without a key file" sh -c '! systemctl is-failed --quiet parley-volume.service'
check "parley-backup.timer enabled and waiting" sh -c 'systemctl is-enabled --quiet parley-backup.timer && systemctl is-active --quiet parley-backup.timer'
check "parley-backup.service skipped without [backup] settings" sh -c 'systemctl start parley-backup.service && ! systemctl is-failed --quiet parley-backup.service'
check "parleyd logs events in logfmt to the journal" sh -c 'journalctl -u parleyd -o cat --no-pager | grep -q "^level=info source=portal.https event=https.listening msg="'

step "with [backup] set, parley-backup.service makes a backup that verifies, seen in /metrics"
cp /etc/parley/parley.ini parley.ini.kept
parleyctl backup create-key /root/parley-backup.key >/dev/null
mkdir -p /srv/parley-backups
sed -i -e '/^\[backup\]/a directory = /srv/parley-backups\nkey_file = /root/parley-backup.key' \
    -e 's/^level = .*/level = debug/' /etc/parley/parley.ini
grep -q '^level = debug' /etc/parley/parley.ini || sed -i '/^\[log\]/a level = debug' /etc/parley/parley.ini
check "parley-backup.service succeeds" systemctl start parley-backup.service
archive=$(ls /srv/parley-backups/parley-backup-*.pbk 2>/dev/null | head -n1)
check "an archive is in backup.directory" test -n "$archive"
check "it verifies" parleyctl backup verify "$archive" --key-file /root/parley-backup.key
check "backup-status.json belongs to parley" sh -c '[ "$(stat -c %U /var/lib/parley/backup-status.json)" = parley ]'
token=$(parleyctl metrics create-token 2>/dev/null | head -n1)
check "/metrics with the token shows the backup" sh -c "curl -sk -H 'Authorization: Bearer $token' https://127.0.0.1/metrics | grep -q '^parley_backup_successes_total 1'"
check "/metrics without it is refused" sh -c '[ "$(curl -sk -o /dev/null -w %{http_code} https://127.0.0.1/metrics)" = 401 ]'
systemctl reload parleyd
check "systemctl reload applies log.level = debug" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do journalctl -u parleyd -o cat --no-pager | grep -q "event=log.level_changed msg=.* from=information to=debug" && exit 0; sleep 1; done; exit 1'
curl -sk https://127.0.0.1/healthz >/dev/null
check "at debug each request is logged by its route" sh -c 'sleep 1; journalctl -u parleyd -o cat --no-pager | grep -q "event=http.request .* route=/healthz method=GET status=200"'
cp parley.ini.kept /etc/parley/parley.ini
systemctl reload parleyd
exposure=$(systemd-analyze security parleyd.service 2>/dev/null | sed -n 's/.*Overall exposure level for parleyd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $exposure"
check "exposure 2.0 or lower" awk "BEGIN { exit !(\"$exposure\" != \"\" && $exposure <= 2.0) }"

step "systemctl reload puts a new certificate in service"
if served_pin_matches; then fail "the new certificate is not in service yet"; else ok "the new certificate is not in service yet"; fi
install -o parley -g parley -m 0600 new-cert.pem /var/lib/parley/tls/selfsigned.crt
install -o parley -g parley -m 0600 new-key.pem /var/lib/parley/tls/selfsigned.key
systemctl reload parleyd
for _ in $(seq 1 20); do served_pin_matches && break; sleep 0.5; done
check "the new certificate serves after systemctl reload" served_pin_matches
check "parleyd still active after the reload" systemctl is-active --quiet parleyd
check "parleyctl tls fingerprint names the served certificate" sh -c '[ "$(parleyctl tls fingerprint)" = "$(cat new-fingerprint.txt)" ]'

errors=$(journalctl -b -u parleyd -u parley-volume -p err --no-pager -q)
[ -z "$errors" ] && ok "no errors in parleyd's journal" || { fail "no errors in parleyd's journal"; echo "$errors"; }

if [ -f previous.deb ]; then
    step "a downgrade below the database's schema is refused"
    runuser -u parley -- sqlite3 /var/lib/parley/parley.db \
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 'now')"
    if dpkg -i previous.deb >downgrade.log 2>&1; then fail "downgrade refused"; else ok "downgrade refused"; fi
    cat downgrade.log
    check "refusal says why" grep -q "database is at schema version 9999" downgrade.log
    check "this commit's version still installed" sh -c "dpkg-query -W -f '\${Version} \${Status}' parley | grep -q '^$(dpkg-deb -f current.deb Version) install ok installed'"
    check "parleyd kept running through the refused downgrade" systemctl is-active --quiet parleyd
    runuser -u parley -- sqlite3 /var/lib/parley/parley.db "DELETE FROM schema_migrations WHERE version = 9999"
fi

step "remove keeps the data"
DEBIAN_FRONTEND=noninteractive apt-get remove -y parley >remove.log 2>&1 || fail "apt-get remove"
check "remove stops parleyd" sh -c '! systemctl is-active --quiet parleyd'
check "remove keeps the database" test -s /var/lib/parley/parley.db
check "remove keeps the configuration" test -f /etc/parley/parley.ini

step "purge"
echo "not a real volume" > /var/lib/parley-volume/recordings.luks
DEBIAN_FRONTEND=noninteractive apt-get purge -y parley >purge.log 2>&1 || fail "apt-get purge"
cat purge.log
# The backups and their key are the admin's, made to outlive the server.
check "purge keeps the backups and the backup key" test -f "$archive" -a -f /root/parley-backup.key
rm -rf /srv/parley-backups /root/parley-backup.key
# (The test's own unit, parley-guest-script.service, is not the package's.)
left=$(find / -xdev \( -path /proc -o -path "$PARLEY_SHARE_DIR" -o -path /var/lib/parley-volume \
    -o -name parley-guest-script.service \) -prune -o \
    \( -name '*parley*' -o -user parley \) -print 2>/dev/null |
    # the directories above the share were made for it by the guest (e.g. /root/parley)
    while read -r path; do case "$PARLEY_SHARE_DIR/" in "$path"/*) ;; *) echo "$path" ;; esac; done)
[ -z "$left" ] && ok "purge leaves no parley files" || { fail "purge leaves no parley files"; echo "$left"; }
check "purge keeps the volume container" test -f /var/lib/parley-volume/recordings.luks
check "purge says how to remove the volume" grep -q "cryptsetup erase" purge.log
rm -rf /var/lib/parley-volume

step "a fresh install on the purged machine"
started=$(seconds)
if install_deb current.deb; then ok "fresh install"; else fail "fresh install"; fi
took=$(( $(seconds) - started ))
cat install.log
echo "fresh install took $took s (software-emulated guest)"
check "fresh: parleyd active" wait_active
check "fresh: /healthz answers" sh -c 'curl -sk --tlsv1.3 https://127.0.0.1/healthz | grep -q ok'
check "fresh: the install says how to create the first admin" grep -q "parleyctl user create-admin" install.log
check "fresh: the install prints the certificate's fingerprint" grep -q "fingerprint: [0-9A-F][0-9A-F]:" install.log

step "a key file unlocks the recording volume before parleyd starts"
# A cheap key derivation: this guest emulates its CPU in software.
sed -i -e 's|^;key_file = *$|key_file = /etc/parley/volume.key|' \
    -e 's|^;kdf_memory_kib = .*|kdf_memory_kib = 1024|' /etc/parley/parley.ini
head -c 64 /dev/urandom > /etc/parley/volume.key
chmod 0600 /etc/parley/volume.key
if timeout 300 parleyctl volume create --size 64M --key-file /etc/parley/volume.key >volume.log 2>&1; then
    ok "volume created with the key file"
else
    fail "volume created with the key file"; cat volume.log
fi
check "parley-volume.service is ordered before parleyd" sh -c 'systemctl show -p Before parley-volume.service | grep -q parleyd.service'
timeout 300 systemctl restart parley-volume.service parleyd.service
check "parley-volume.service unlocked it" systemctl is-active --quiet parley-volume.service
# (journald may take a moment to write what parleyd printed before it said it was ready)
for _ in $(seq 1 20); do
    journalctl -u parleyd -n 40 --no-pager | grep -q "Recording volume: unlocked" && break
    sleep 0.5
done
if journalctl -u parleyd -n 40 --no-pager | grep -q "Recording volume: unlocked"; then
    ok "parleyd reports the volume unlocked"
else
    fail "parleyd reports the volume unlocked"; journalctl -u parleyd -n 40 --no-pager
fi
check "the volume is mounted for parley" sh -c '[ "$(stat -c %U /var/lib/parley-volume/recordings)" = parley ]'
journalctl -u parley-volume --no-pager | tail -n 5

echo "failures: $failures"
exit "$failures"
