#include <parley/parleyd/config_keys.h>
#include <parley/ldap/directory.h>
#include <parley/portal/http/address_list.h>
#include <parley/portal/http/public_origin.h>

#include <Poco/Net/IPAddress.h>
#include <Poco/NumberParser.h>

#include <algorithm>

namespace parley::parleyd {
namespace {

const std::vector<ConfigKey>& table()
{
    static const std::vector<ConfigKey> keys{
        {"server.listen_address", "127.0.0.1", AddressRule{},
         "IP address the HTTPS port listens on; 0.0.0.0 or :: for all interfaces."},
        {"server.port", "8443", IntegerRule{0, 65535},
         "TCP port of the portal (HTTPS and WSS). 0 picks a free port (tests)."},
        {"server.data_dir", "./parley-data", TextRule{false},
         "Directory for the database, the generated certificate and other state. Created with "
         "mode 0700 if missing. A relative path is taken from the working directory."},
        {"server.web_root", "", TextRule{true},
         "Directory holding the web pages. Empty: /usr/share/parley/web when installed from "
         "the package, else portal/web of the source tree this parleyd was built from."},
        {"server.max_body_bytes", "1048576", IntegerRule{1024, 1073741824},
         "Largest request body accepted from a signed-in caller; larger requests are answered "
         "413. Callers without a session are held to 16 KiB (or this, if lower)."},
        {"server.max_threads", "512", IntegerRule{2, 4096},
         "Most HTTP connections at the same time; each holds a thread while it lasts."},
        {"server.max_connections_per_address", "64", IntegerRule{1, 4096},
         "Most HTTP connections from one source address at the same time."},
        {"server.max_queued_connections", "64", IntegerRule{1, 100000},
         "Connections waiting for a free thread before new ones are refused."},
        {"server.request_timeout_seconds", "30", IntegerRule{1, 3600},
         "Longest wait for a single read or write on a connection."},
        {"server.keep_alive_timeout_seconds", "10", IntegerRule{1, 3600},
         "How long an idle keep-alive connection is kept open."},
        {"server.shutdown_grace_seconds", "10", IntegerRule{0, 600},
         "On SIGTERM or SIGINT, how long requests in progress may take to finish."},
        {"server.public_url", "", PublicUrlRule{},
         "The address people reach the portal at, https://host[:port], used in join links of "
         "invitations and calendar files. Empty: the Host the browser asked for."},
        {"tls.certificate", "", TextRule{true},
         "PEM file with the server certificate chain, leaf first. Empty: a self-signed ECDSA "
         "P-256 certificate is generated under <data_dir>/tls on first start and reused."},
        {"tls.private_key", "", TextRule{true},
         "PEM file with the private key of tls.certificate. Required with it."},
        {"tls.hsts_max_age_seconds", "31536000", IntegerRule{0, 63072000},
         "max-age of the Strict-Transport-Security header."},
        {"accounts.pbkdf2_iterations", "600000", IntegerRule{1000, 10000000},
         "PBKDF2-HMAC-SHA256 iterations for new password hashes. Raising it rehashes each "
         "password at its owner's next login."},
        {"accounts.password_min_length", "12", IntegerRule{8, 128},
         "Fewest characters a new local password may have."},
        {"sessions.idle_timeout_seconds", "1800", IntegerRule{1, 86400},
         "A session unused for this long ends."},
        {"sessions.lifetime_seconds", "43200", IntegerRule{1, 2592000},
         "A session ends this long after login, however active."},
        {"login.account_free_attempts", "5", IntegerRule{1, 1000},
         "Failed logins for one account name before it is locked out."},
        {"login.address_free_attempts", "20", IntegerRule{1, 100000},
         "Failed logins from one source address before it is locked out."},
        {"login.lockout_base_seconds", "30", IntegerRule{1, 3600},
         "First lockout; each further failure doubles it."},
        {"login.lockout_max_seconds", "900", IntegerRule{1, 86400},
         "Longest lockout."},
        {"login.failure_window_seconds", "900", IntegerRule{1, 86400},
         "Failures are forgotten after this long without a new one."},
        {"audit.retention_days", "180", IntegerRule{1, 36500},
         "Audit entries older than this are pruned (a signed checkpoint keeps the rest "
         "verifiable)."},
        {"access.portal_allow", "", AddressListRule{},
         "Addresses and CIDR blocks (IPv4 and IPv6, separated by commas) that may use the "
         "portal at all. Empty: every address not denied."},
        {"access.portal_deny", "", AddressListRule{},
         "Addresses and CIDR blocks refused everywhere, even when also allowed."},
        {"access.admin_allow", "", AddressListRule{},
         "Addresses that may call the admin and audit endpoints (on top of the portal lists), and "
         "from which admins and auditors have their role's powers over others' rooms and "
         "recordings. Empty: every address the portal lists let in."},
        {"access.admin_deny", "", AddressListRule{},
         "Addresses refused at the admin and audit endpoints, even when also allowed."},
        {"rooms.pin_min_length", "4", IntegerRule{3, 12}, "Fewest digits a room PIN may have."},
        {"rooms.pin_max_length", "8", IntegerRule{3, 12}, "Most digits a room PIN may have."},
        {"rooms.pin_required", "false", ChoiceRule{{"true", "false"}},
         "true: every room and meeting must have a PIN (new personal rooms get a random one), "
         "and guests cannot join a room without one."},
        {"rooms.waiting_room", "default_on", ChoiceRule{{"default_on", "default_off", "forced_on", "forced_off"}},
         "Room policy: default_on/default_off each room decides (new rooms start on/off); "
         "forced_on/forced_off every room has a waiting room / none. Admins may change it at run time."},
        {"rooms.guests_allowed", "default_on", ChoiceRule{{"default_on", "default_off", "forced_on", "forced_off"}},
         "Room policy for admitting guests, as rooms.waiting_room."},
        {"rooms.users_wait", "default_off", ChoiceRule{{"default_on", "default_off", "forced_on", "forced_off"}},
         "Room policy for signed-in users waiting in the lobby too, as rooms.waiting_room."},
        {"rooms.recording", "optional", ChoiceRule{{"optional", "forced_off"}},
         "optional: moderators may record; forced_off: nobody may."},
        {"rooms.recording_guest_moderators", "true", ChoiceRule{{"true", "false"}},
         "false: only signed-in moderators may start a recording, not guests made moderator."},
        {"rooms.meeting_retention_days", "30", IntegerRule{0, 36500},
         "Scheduled meetings are deleted this many days after they end."},
        {"rooms.max_participants", "100", IntegerRule{2, 10000},
         "People in one room at once, the waiting room included."},
        {"rooms.pin_room_free_attempts", "20", IntegerRule{1, 100000},
         "Wrong PINs for one room (from anywhere) before it refuses PIN attempts for a while."},
        {"rooms.pin_address_free_attempts", "5", IntegerRule{1, 100000},
         "Wrong PINs from one source address before it is locked out for a while."},
        {"signaling.max_message_bytes", "65536", IntegerRule{1024, 16777216},
         "Largest signaling message; a larger one closes the connection with code 1009."},
        {"signaling.messages_per_second", "20", IntegerRule{1, 10000},
         "Messages per second one connection may send on average."},
        {"signaling.message_burst", "40", IntegerRule{1, 100000},
         "Messages one connection may send in a burst above that rate."},
        {"signaling.max_connections", "500", IntegerRule{1, 100000},
         "Signaling connections in total; each holds one server thread."},
        {"signaling.max_connections_per_address", "20", IntegerRule{1, 100000},
         "Signaling connections from one source address."},
        {"signaling.max_unjoined_connections", "100", IntegerRule{1, 100000},
         "Connections not yet in a room, in total; past it the oldest is closed (1013)."},
        {"signaling.max_unjoined_per_address", "4", IntegerRule{1, 100000},
         "Connections not yet in a room from one source address."},
        {"signaling.join_timeout_seconds", "30", IntegerRule{1, 3600},
         "A connection that has not sent join by then is closed."},
        {"signaling.idle_timeout_seconds", "60", IntegerRule{5, 3600},
         "A connection from which nothing (not even a pong) arrives for this long is closed."},
        {"signaling.reconnect_grace_seconds", "30", IntegerRule{0, 600},
         "A participant whose connection is lost keeps their place in the meeting this long, "
         "so the page can reconnect and resume it; 0: they are removed at once."},
        {"router.enabled", "true", ChoiceRule{{"true", "false"}},
         "Run the media router in this process (audio and video in meetings). false: signaling "
         "only; media offers are refused."},
        {"router.listen_address", "0.0.0.0", AddressRule{},
         "IP address of the media port."},
        {"router.port", "10000", IntegerRule{0, 65535},
         "UDP port of the first media worker (ICE, DTLS, SRTP); worker i uses this + i. 0 picks "
         "free ports (tests)."},
        {"router.tcp_port", "10000", IntegerRule{-1, 65535},
         "TCP port for participants whose UDP is blocked (ICE-TCP: the same media over TCP). "
         "-1: none; 0 picks a free port (tests)."},
        {"router.workers", "0", IntegerRule{0, 64},
         "Media worker threads, each on its own UDP port (router.port + i) and TCP port "
         "(router.tcp_port + i); a meeting's media stays on one. 0: one per CPU core the "
         "process may use, at most 64."},
        {"router.announced_address", "", TextRule{true},
         "The IP address browsers send media to, put in SDP candidates. Empty: listen_address "
         "if it is a specific address, else the host's primary address."},
        {"sip.enabled", "false", ChoiceRule{{"true", "false"}},
         "Let SIP endpoints (meeting-room systems, desk phones) call meetings: SIP over TLS "
         "only, media as SRTP with keys in the SDP (SDES). Needs router.enabled."},
        {"sip.listen_address", "0.0.0.0", AddressRule{},
         "IP address SIP over TLS listens on."},
        {"sip.port", "5061", IntegerRule{0, 65535},
         "TCP port of SIP over TLS (a sips: listener; no SIP over UDP or plain TCP). 0 picks a "
         "free port (tests)."},
        {"sip.realm", "parley", TextRule{false},
         "The digest realm endpoints authenticate in."},
        {"sip.allow_guests", "false", ChoiceRule{{"true", "false"}},
         "Admit calls without credentials as guests (PIN, lobby and lock apply as to guests "
         "in the browser). Endpoints with an account (admin console) always sign in."},
        {"sip.rekey_seconds", "3600", IntegerRule{0, 86400},
         "Each call gets new SRTP keys this often: Parley sends a re-INVITE with a new key and "
         "takes the endpoint's new one, without a gap in the audio. 0: Parley does not rekey "
         "(for endpoints that cannot take new keys; they may still rekey themselves)."},
        {"volume.container", "/var/lib/parley-volume/recordings.luks", TextRule{false},
         "The encrypted recording volume: a LUKS2 container file made by `parleyctl volume "
         "create`. It and its directories must be root's (never inside data_dir)."},
        {"volume.mount_point", "/var/lib/parley-volume/recordings", TextRule{false},
         "Where the unlocked volume's file system is mounted; recordings go only there, and "
         "only while it is an unlocked Parley volume. Its directories must be root's."},
        {"volume.engine", "auto", ChoiceRule{{"auto", "kernel", "userspace"}},
         "How parleyctl unlocks the volume: kernel (dm-crypt), userspace (Parley's FUSE block "
         "file over a loop device, for hosts without device-mapper), or auto (kernel when "
         "device-mapper is present)."},
        {"volume.runtime_dir", "/run/parley/volumes", TextRule{false},
         "Where the userspace engine mounts its FUSE block file and keeps its pid file."},
        {"volume.key_file", "", TextRule{true},
         "Key file for `parleyctl volume unlock --at-boot`: must be owned by root and not "
         "readable by anyone else. Empty: a passphrase is asked for."},
        {"volume.owner", "", TextRule{true},
         "System account the server runs as; unlock gives it the volume's root directory "
         "(mode 0700). Empty: the directory stays root's."},
        {"volume.kdf_memory_kib", "1048576", IntegerRule{32, 4194304},
         "Argon2id memory cost of new key slots, in KiB."},
        {"volume.kdf_iterations", "4", IntegerRule{4, 1000},
         "Argon2id iterations of new key slots."},
        {"volume.kdf_parallel", "4", IntegerRule{1, 16},
         "Argon2id lanes (threads) of new key slots."},
        {"backup.directory", "", TextRule{true},
         "Directory `parleyctl backup create` writes to when given no --to, and whose backups "
         "it prunes (a mounted NFS share is typical). Empty: no scheduled backups."},
        {"backup.key_file", "", TextRule{true},
         "Key file the backups are encrypted under, made by `parleyctl backup create-key`: owned "
         "by root, readable by nobody else, kept apart from the data directory and the backup "
         "directory. Empty: no scheduled backups."},
        {"backup.keep_hourly", "24", IntegerRule{1, 10000},
         "Scheduled backups keep the newest backup of each of this many most recent hours."},
        {"backup.keep_daily", "21", IntegerRule{1, 36500},
         "Scheduled backups keep the newest backup of each of this many most recent days."},
        {"recording.keep_tracks", "true", ChoiceRule{{"true", "false"}},
         "Keep each participant's track files once the composed file is made (false removes "
         "them after a successful composition)."},
        {"recording.retention_days", "0", IntegerRule{0, 36500},
         "Recordings are deleted this many days after they stop (audited); a room's own "
         "setting wins. 0 keeps them until someone deletes them."},
        {"recording.maintenance_interval_seconds", "3600", IntegerRule{1, 86400},
         "How often retention and the periodic integrity check run."},
        {"recording.integrity_check_hours", "24", IntegerRule{0, 8760},
         "Each composed file's SHA-256 is checked again this often. 0: only on demand."},
        {"recording.compose_attempts", "3", IntegerRule{1, 100},
         "A composition that fails (or is cut by a restart) is retried up to this many times."},
        {"recording.compose_width", "1280", IntegerRule{64, 3840}, "Width of the composed picture (even)."},
        {"recording.compose_height", "720", IntegerRule{64, 2160}, "Height of the composed picture (even)."},
        {"recording.compose_fps", "15", IntegerRule{1, 60}, "Frames a second of the composed picture."},
        {"recording.view_idle_seconds", "300", IntegerRule{5, 86400},
         "A pause longer than this ends a viewing of a recording: its requests are audited as "
         "one recording.view when it starts and one recording.view.end with their summary."},
        {"recording.label_font", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", TextRule{true},
         "TrueType font the participants' names are drawn with on the composed picture "
         "(empty: no names)."},
        {"ldap.enabled", "false", ChoiceRule{{"true", "false"}},
         "Let directory users log in (docs/ldap.md). A configuration saved through the admin "
         "API replaces this whole section until it is deleted there."},
        {"ldap.uris", "", TextRule{true},
         "Directory servers tried in order, separated by spaces: ldaps://host:636 or "
         "ldap://host:389."},
        {"ldap.allow_plain", "false", ChoiceRule{{"true", "false"}},
         "true lets ldap:// URIs run without StartTLS (a lab only: passwords cross the network "
         "in clear)."},
        {"ldap.ca_file", "", TextRule{true},
         "PEM bundle of the CAs that sign the directory's certificate. Empty: the system CAs."},
        {"ldap.verify_certificate", "true", ChoiceRule{{"true", "false"}},
         "Check the directory's certificate and host name."},
        {"ldap.bind_dn", "", TextRule{true}, "DN of the service account that searches for users."},
        {"ldap.bind_password", "", TextRule{true}, "Password of the service account.", true},
        {"ldap.user_base", "", TextRule{true}, "Where users are searched (subtree)."},
        {"ldap.user_filter", "(&(objectClass=inetOrgPerson)(uid={login}))", TextRule{false},
         "Search filter for a user; {login} is replaced by the escaped login name."},
        {"ldap.login_attribute", "uid", TextRule{false},
         "Attribute holding the login name: uid, sAMAccountName or userPrincipalName."},
        {"ldap.display_name_attribute", "cn", TextRule{false}, "Attribute shown as the user's name."},
        {"ldap.mail_attribute", "mail", TextRule{false}, "Attribute holding the e-mail address."},
        {"ldap.group_mode", "memberof", ChoiceRule{{"memberof", "search", "nested_search"}},
         "memberof: read the user's memberOf attribute; search: search group_base with "
         "group_filter; nested_search: the same, then the groups of each group found (nested "
         "groups, up to " + std::to_string(ldap::kMaxGroupNestingDepth) + " levels)."},
        {"ldap.group_base", "", TextRule{true},
         "Where groups are searched (group_mode search or nested_search)."},
        {"ldap.group_filter", "(|(member={dn})(uniqueMember={dn}))", TextRule{false},
         "Search filter for the user's groups; {dn} is replaced by the escaped user DN."},
        {"ldap.admin_groups", "", TextRule{true},
         "Group DNs whose members are admins, separated by ';'."},
        {"ldap.auditor_groups", "", TextRule{true},
         "Group DNs whose members are auditors, separated by ';'."},
        {"ldap.user_groups", "", TextRule{true},
         "Group DNs whose members may log in as users, separated by ';'. Empty: any directory "
         "user."},
        {"ldap.network_timeout_seconds", "5", IntegerRule{1, 120},
         "How long to wait for a directory server to accept a connection before trying the "
         "next URI."},
        {"ldap.operation_timeout_seconds", "10", IntegerRule{1, 300},
         "How long any single directory operation may take."},
        {"database.file", "", TextRule{true},
         "SQLite database file. Empty: <data_dir>/parley.db."},
        {"database.busy_timeout_ms", "5000", IntegerRule{0, 600000},
         "How long a query waits for a lock held by another connection."},
        {"metrics.listen_address", "", AddressRule{true},
         "A second address on which only GET /metrics is served (HTTPS with the portal's "
         "certificate, the same bearer token). Empty: /metrics only on the portal's port."},
        {"metrics.port", "9443", IntegerRule{0, 65535},
         "TCP port for metrics.listen_address. 0 picks a free port (tests)."},
        {"log.level", "information",
         ChoiceRule{{"fatal", "critical", "error", "warning", "notice", "information", "debug",
                     "trace"}},
         "Least severe message written. Re-read on SIGHUP (systemctl reload parleyd): a change "
         "takes effect without a restart."},
        {"log.file", "", TextRule{true},
         "Also write the log to this file (appended). Empty: console only."},
    };
    return keys;
}

std::size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::span<const ConfigKey> configKeys()
{
    return table();
}

const ConfigKey* findConfigKey(std::string_view name)
{
    const auto& keys = table();
    const auto found =
        std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& key) { return key.name == name; });
    return found == keys.end() ? nullptr : &*found;
}

std::string suggestConfigKey(std::string_view name)
{
    if (name.size() > 200)
        return {};
    std::string best;
    std::size_t bestDistance = 4;
    for (const auto& key : table()) {
        const auto distance = editDistance(name, key.name);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = key.name;
        }
    }
    return best;
}

bool acceptsValue(const ValueRule& rule, const std::string& value)
{
    struct Visitor
    {
        const std::string& value;
        bool operator()(const IntegerRule& r) const
        {
            Poco::Int64 number = 0;
            return !value.empty() && value.find_first_not_of("-0123456789") == std::string::npos &&
                   Poco::NumberParser::tryParse64(value, number) && number >= r.min &&
                   number <= r.max;
        }
        bool operator()(const ChoiceRule& r) const
        {
            return std::find(r.choices.begin(), r.choices.end(), value) != r.choices.end();
        }
        bool operator()(const TextRule& r) const { return r.allowEmpty || !value.empty(); }
        bool operator()(const AddressRule& r) const
        {
            Poco::Net::IPAddress address;
            return (r.allowEmpty && value.empty()) || value == "::" || Poco::Net::IPAddress::tryParse(value, address);
        }
        bool operator()(const PublicUrlRule&) const
        {
            return value.empty() || portal::publicUrlOrigin(value).has_value();
        }
        bool operator()(const AddressListRule&) const
        {
            try {
                portal::AddressList::parse(value);
                return true;
            }
            catch (const portal::AddressListError&) {
                return false;
            }
        }
    };
    return std::visit(Visitor{value}, rule);
}

std::string expectedForm(const ValueRule& rule)
{
    struct Visitor
    {
        std::string operator()(const IntegerRule& r) const
        {
            return "an integer from " + std::to_string(r.min) + " to " + std::to_string(r.max);
        }
        std::string operator()(const ChoiceRule& r) const
        {
            std::string text = "one of ";
            for (std::size_t i = 0; i < r.choices.size(); ++i)
                text += (i ? ", " : "") + r.choices[i];
            return text;
        }
        std::string operator()(const TextRule& r) const
        {
            return r.allowEmpty ? "a path or nothing" : "a non-empty path";
        }
        std::string operator()(const AddressRule& r) const
        {
            return std::string(r.allowEmpty ? "nothing, or " : "") + "an IPv4 or IPv6 address such as 127.0.0.1 or ::";
        }
        std::string operator()(const PublicUrlRule&) const
        {
            return "nothing, or https:// and a host name or address with an optional port, such as "
                   "https://meet.example.org or https://192.0.2.10:8443 (no path, query or user name)";
        }
        std::string operator()(const AddressListRule&) const
        {
            return "IP addresses or CIDR blocks separated by commas, such as "
                   "10.0.0.0/8, 2001:db8::/32 (host bits after the prefix must be zero)";
        }
    };
    return std::visit(Visitor{}, rule);
}

} // namespace parley::parleyd
