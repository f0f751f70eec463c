#include <parley/parleyd/config_error.h>
#include <parley/parleyd/settings.h>

#include "temp_dir.h"

#include <catch2/catch.hpp>

using Catch::Contains;
using parley::parleyd::ConfigError;
using parley::parleyd::loadSettings;
using parley::test::TempDir;

TEST_CASE("Without a file or overrides the embedded defaults apply")
{
    const auto settings = loadSettings(std::nullopt, {});
    CHECK(settings.https.listenAddress == "127.0.0.1");
    CHECK(settings.https.port == 8443);
    CHECK(settings.dataDir.is_absolute());
    CHECK(settings.dataDir.filename() == "parley-data");
    CHECK(settings.databaseFile == settings.dataDir / "parley.db");
    CHECK(settings.generateCertificate);
    CHECK(settings.https.maxBodyBytes == 1048576);
    CHECK(settings.logLevel == "information");
}

TEST_CASE("The file overrides defaults and --set overrides the file, last one winning")
{
    TempDir dir;
    parley::test::writeFile(dir / "parley.ini",
                            "[server]\nport = 9000\nmax_body_bytes = 2048\n[log]\nlevel = debug\n");
    const auto settings = loadSettings(dir / "parley.ini",
                                       {"server.port=9100", "server.port=9200", "log.file="});
    CHECK(settings.https.port == 9200);
    CHECK(settings.https.maxBodyBytes == 2048);
    CHECK(settings.logLevel == "debug");
    CHECK(settings.effective.at("server.port") == "9200");
}

TEST_CASE("An unknown key is named, with the closest known key")
{
    TempDir dir;
    parley::test::writeFile(dir / "parley.ini", "[server]\nprot = 9000\n");
    CHECK_THROWS_WITH(loadSettings(dir / "parley.ini", {}),
                      Contains("unknown configuration key 'server.prot'") &&
                          Contains("parley.ini:2") && Contains("did you mean 'server.port'"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"database.fiel=/x"}),
                      Contains("'database.fiel'") && Contains("--set") &&
                          Contains("'database.file'"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"nonsense.entirely=1"}),
                      Contains("'nonsense.entirely'") && !Contains("did you mean"));
}

TEST_CASE("An invalid value is named with the expected form")
{
    const std::vector<std::pair<std::string, std::string>> cases{
        {"server.port=https", "an integer from 0 to 65535"},
        {"server.port=70000", "an integer from 0 to 65535"},
        {"server.port=-1", "an integer from 0 to 65535"},
        {"server.port=8443abc", "an integer from 0 to 65535"},
        {"server.port=99999999999999999999999", "an integer from 0 to 65535"},
        {"server.max_body_bytes=12", "an integer from 1024"},
        {"server.listen_address=localhost", "an IPv4 or IPv6 address"},
        {"server.listen_address=300.1.1.1", "an IPv4 or IPv6 address"},
        {"server.data_dir=", "a non-empty path"},
        {"log.level=verbose", "one of fatal, critical, error"},
    };
    for (const auto& [override, expected] : cases) {
        INFO(override);
        const auto key = override.substr(0, override.find('='));
        CHECK_THROWS_WITH(loadSettings(std::nullopt, {override}),
                          Contains("'" + key + "' has invalid value") && Contains(expected));
    }
}

TEST_CASE("Overrides must look like section.key=value")
{
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"server.port"}),
                      Contains("--set expects section.key=value"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"=8443"}), Contains("--set expects"));
}

TEST_CASE("A missing or oversized configuration file is reported by name")
{
    TempDir dir;
    CHECK_THROWS_WITH(loadSettings(dir / "absent.ini", {}),
                      Contains("absent.ini") && Contains("does not exist"));
    parley::test::writeFile(dir / "huge.ini", std::string(2 * 1024 * 1024, ';'));
    CHECK_THROWS_WITH(loadSettings(dir / "huge.ini", {}), Contains("larger than 1 MiB"));
    CHECK_THROWS_WITH(loadSettings(dir.path(), {}), Contains("not a regular file"));
}

TEST_CASE("Certificate and key are configured together, and must exist")
{
    TempDir dir;
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"tls.certificate=/etc/hostname"}),
                      Contains("'tls.private_key' must be set together with 'tls.certificate'"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"tls.private_key=/etc/hostname"}),
                      Contains("'tls.certificate' must be set together with 'tls.private_key'"));
    parley::test::writeFile(dir / "cert.pem", "x");
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"tls.certificate=" + (dir / "cert.pem").string(),
                                                  "tls.private_key=" + (dir / "nokey.pem").string()}),
                      Contains("'tls.private_key' names") && Contains("nokey.pem"));
    parley::test::writeFile(dir / "key.pem", "x");
    const auto settings = loadSettings(
        std::nullopt, {"tls.certificate=" + (dir / "cert.pem").string(),
                       "tls.private_key=" + (dir / "key.pem").string()});
    CHECK_FALSE(settings.generateCertificate);
    CHECK(settings.https.certificateFile == dir / "cert.pem");
}

TEST_CASE("Secret keys are kept for use but never shown in the effective configuration")
{
    const auto settings = loadSettings(std::nullopt, {"ldap.bind_password=hunter2-service",
                                                      "ldap.bind_dn=cn=svc,dc=example,dc=org"});
    CHECK(settings.directory.bindPassword == "hunter2-service");
    CHECK(settings.effective.at("ldap.bind_password") == "(set)");
    CHECK(settings.effective.at("ldap.bind_dn") == "cn=svc,dc=example,dc=org");
    CHECK(loadSettings(std::nullopt, {}).effective.at("ldap.bind_password").empty());
}

TEST_CASE("Directory settings are read from [ldap] and checked for coherence")
{
    const auto settings = loadSettings(
        std::nullopt, {"ldap.enabled=true", "ldap.uris=ldaps://dc1:636  ldaps://dc2:636",
                       "ldap.admin_groups=cn=a,dc=x; cn=b,dc=x", "ldap.group_mode=search"});
    CHECK(settings.directory.enabled);
    CHECK(settings.directory.uris == std::vector<std::string>{"ldaps://dc1:636", "ldaps://dc2:636"});
    CHECK(settings.directory.adminGroups == std::vector<std::string>{"cn=a,dc=x", "cn=b,dc=x"});
    CHECK(settings.directory.groupMode == "search");
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"ldap.enabled=true"}), Contains("'ldap.uris'"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"ldap.enabled=true", "ldap.uris=ldap://x",
                                                  "ldap.user_filter=(uid=alice)"}),
                      Contains("{login}"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"ldap.group_mode=nested"}), Contains("memberof, search"));
    CHECK(loadSettings(std::nullopt, {"ldap.group_mode=nested_search"}).directory.groupMode == "nested_search");
}

TEST_CASE("Address lists and PIN lengths are checked at start-up")
{
    const auto settings = loadSettings(std::nullopt, {"access.portal_allow=10.0.0.0/8, 2001:db8::/32",
                                                      "access.admin_deny=10.6.0.0/16"});
    CHECK(settings.https.portalAccess.permits(Poco::Net::IPAddress("10.1.2.3")));
    CHECK_FALSE(settings.https.portalAccess.permits(Poco::Net::IPAddress("192.0.2.1")));
    CHECK_FALSE(settings.https.adminAccess.permits(Poco::Net::IPAddress("10.6.1.1")));

    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"access.portal_deny=10.0.0.1/8"}),
                      Contains("access.portal_deny") && Contains("CIDR"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"access.admin_allow=intranet"}),
                      Contains("access.admin_allow"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"rooms.pin_min_length=9", "rooms.pin_max_length=6"}),
                      Contains("rooms.pin_min_length"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"rooms.pin_min_length=2"}), Contains("3 to 12"));
    // Poco 1.11 cannot parse "::" itself; the all-interfaces IPv6 address is still accepted.
    CHECK(loadSettings(std::nullopt, {"server.listen_address=::"}).https.listenAddress == "::");
    const auto meetings = loadSettings(std::nullopt, {"rooms.pin_required=true"}).meetings;
    CHECK(meetings.pin.required);
    CHECK(meetings.signaling.maxMessageBytes == 65536);
}

TEST_CASE("The room policy is read from [rooms], and the PIN rule follows pin_required")
{
    using parley::portal::OptionMode;
    const auto defaults = loadSettings(std::nullopt, {}).meetings.roomPolicy;
    CHECK(defaults == parley::portal::RoomPolicy{});
    const auto policy = loadSettings(std::nullopt, {"rooms.waiting_room=forced_on", "rooms.guests_allowed=default_off",
                                                    "rooms.users_wait=forced_off", "rooms.recording=forced_off",
                                                    "rooms.recording_guest_moderators=false", "rooms.pin_required=true"})
                            .meetings.roomPolicy;
    CHECK(policy.waitingRoom == parley::portal::OptionRule{OptionMode::ForcedOn, false});
    CHECK(policy.guestsAllowed == parley::portal::OptionRule{OptionMode::Optional, false});
    CHECK(policy.usersWait.mode == OptionMode::ForcedOff);
    CHECK(policy.pin.mode == OptionMode::ForcedOn);
    CHECK(policy.recording.mode == OptionMode::ForcedOff);
    CHECK_FALSE(policy.recording.guestModerators);
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"rooms.waiting_room=always"}), Contains("rooms.waiting_room"));
    CHECK_THROWS_WITH(loadSettings(std::nullopt, {"rooms.recording=forced_on"}), Contains("rooms.recording"));
}

TEST_CASE("The public URL is an https origin, normalised, and anything more is refused by name")
{
    CHECK(loadSettings(std::nullopt, {}).https.publicUrl.empty());
    CHECK(loadSettings(std::nullopt, {"server.public_url=https://Meet.Example.org/"}).https.publicUrl ==
          "https://meet.example.org");
    CHECK(loadSettings(std::nullopt, {"server.public_url=HTTPS://meet.example.org:443"}).https.publicUrl ==
          "https://meet.example.org");
    CHECK(loadSettings(std::nullopt, {"server.public_url=https://192.0.2.10:8443"}).https.publicUrl ==
          "https://192.0.2.10:8443");
    CHECK(loadSettings(std::nullopt, {"server.public_url=https://[2001:db8::1]:8443"}).https.publicUrl ==
          "https://[2001:db8::1]:8443");
    for (const auto* bad : {"http://meet.example.org", "meet.example.org", "https://", "https://meet.example.org/portal",
                            "https://user@meet.example.org", "https://meet.example.org?x=1",
                            "https://meet.example.org#top", "https://meet.example.org:0",
                            "https://meet.example.org:65536", "https://meet.example.org:", "https://-bad-.example.org",
                            "https://meet example.org", "https://[fe80::1%eth0]", "https://[::1", "https://a..b"}) {
        INFO(bad);
        CHECK_THROWS_WITH(loadSettings(std::nullopt, {std::string("server.public_url=") + bad}),
                          Contains("'server.public_url' has invalid value") && Contains("https://meet.example.org"));
    }
}
