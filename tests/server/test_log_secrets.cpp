// What the most verbose log holds after the server has handled every kind of secret it has:
// passwords, session tokens, SRTP keys, the directory's bind password, a volume passphrase
// and its own TLS key.
#include "ldap_args.h"
#include "media_fixture.h"
#include "volume_args.h"

#include <openssl/evp.h>

#include <csignal>
#include <sstream>

using namespace parley::test;
using Catch::Contains;

namespace {

std::string hex(const std::vector<std::uint8_t>& bytes, bool upper)
{
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    const auto* digits = upper ? kUpper : kLower;
    std::string text;
    for (const auto byte : bytes) {
        text += digits[byte >> 4];
        text += digits[byte & 0x0f];
    }
    return text;
}

std::string base64(const std::vector<std::uint8_t>& bytes)
{
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const auto length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                                        static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    return text;
}

/// A secret under a label, in the forms a careless log line would print it.
struct Secret
{
    std::string label;
    std::vector<std::string> forms;
};

Secret keyMaterial(const std::string& label, const std::vector<std::uint8_t>& keyAndSalt)
{
    const std::vector<std::uint8_t> key(keyAndSalt.begin(), keyAndSalt.begin() + 16);
    const std::vector<std::uint8_t> salt(keyAndSalt.begin() + 16, keyAndSalt.end());
    Secret secret{label, {}};
    for (const auto* part : {&keyAndSalt, &key, &salt}) {
        secret.forms.push_back(hex(*part, false));
        secret.forms.push_back(hex(*part, true));
        secret.forms.push_back(base64(*part));
        secret.forms.emplace_back(part->begin(), part->end());
    }
    return secret;
}

} // namespace

TEST_CASE("Logs at the most verbose level hold no key material, after logins, media, a directory bind and a "
          "volume unlock",
          "[volume]")
{
    TempDir logDir;
    TempDir volumeDir;
    SlapdServer slapd;
    auto args = ldapArgs(slapd);
    args.insert(args.end(), {"--set", "log.level=trace", "--set", "log.file=" + (logDir / "parleyd.log").string(),
                             "--set", "volume.mount_point=" + (volumeDir / "recordings").string()});
    // An admin and a local user ("owner") log in with their passwords.
    SignalingServer server(args);
    const auto dataDir = server.server().dataDir();
    VolumeCleanup cleanup{dataDir, volumeDir.path()};
    auto admin = server.admin();

    // A directory user: the service account binds and searches, then Alice binds as herself.
    ApiClient alice(server.port());
    REQUIRE(alice.login("alice", "alice-password").status == 200);

    // A meeting with media both ways: two DTLS-SRTP handshakes with the router.
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    Attendee owner(std::make_unique<WsClient>(server.port(), sessionCookie(server.owner)),
                   R"("link":")" + room.link + "\"", "owner");
    Attendee guest(std::make_unique<WsClient>(server.port()), guestJoin(room, "Guest"), "guest");
    connectAudioBothWays(owner, 1111, guest, 2222);
    REQUIRE(reaches(owner, 1111, guest));
    REQUIRE(reaches(guest, 2222, owner));

    // The recording volume is created and unlocked with a passphrase, and the server sees it.
    const std::string passphrase = "volume-passphrase-for-the-log-test";
    const auto created = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume create --size 40M", passphrase + "\n");
    INFO(created.output);
    REQUIRE(created.exitCode == 0);
    const auto unlocked = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", passphrase + "\n");
    INFO(unlocked.output);
    REQUIRE(unlocked.exitCode == 0);
    REQUIRE(json(admin.call("GET", "/api/v1/admin/volume").body)->getValue<std::string>("state") == "unlocked");

    owner.ws->sendText(R"({"type":"leave"})");
    guest.ws->sendText(R"({"type":"leave"})");
    REQUIRE(alice.call("POST", "/api/v1/auth/logout", "").status == 204);
    server.server().process().signal(SIGTERM);
    REQUIRE(server.server().process().waitForExit() == 0);

    const auto log = readFile(logDir / "parleyd.log");
    // Trace output reached the file, and it tells of the directory bind and both handshakes:
    // the log was there to be leaked into while the secrets were in use.
    REQUIRE_THAT(log, Contains("configuration server.port"));
    REQUIRE_THAT(log, Contains("event=ldap.login msg=\"directory login succeeded\" result=success"));
    REQUIRE_THAT(log, Contains("participant " + owner.id + " connected (DTLS-SRTP)"));
    REQUIRE_THAT(log, Contains("participant " + guest.id + " connected (DTLS-SRTP)"));

    std::vector<Secret> secrets{
        {"the admin's password", {kAdminPassword}},
        {"a local user's password", {"owner-password"}},
        {"a directory user's password", {"alice-password"}},
        {"the directory service account's bind password", {SlapdServer::kServicePassword}},
        {"the volume passphrase", {passphrase}},
    };
    for (auto* client : {&admin, &server.owner, &alice}) {
        secrets.push_back({"a session token", {client->cookie()}});
        secrets.push_back({"a CSRF token", {client->csrf()}});
    }
    for (auto* attendee : {&owner, &guest}) {
        const auto& [client, router] = attendee->media.srtpKeys();
        secrets.push_back(keyMaterial(attendee->id + "'s SRTP master key and salt", client));
        secrets.push_back(keyMaterial("the router's SRTP master key and salt for " + attendee->id, router));
    }
    const auto tlsKey = readFile(dataDir / "tls" / "selfsigned.key");
    REQUIRE_THAT(tlsKey, Contains("PRIVATE KEY"));
    Secret pem{"the TLS private key", {"PRIVATE KEY"}};
    std::istringstream lines(tlsKey);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && !line.starts_with("-----"))
            pem.forms.push_back(line);
    REQUIRE(pem.forms.size() > 1);
    secrets.push_back(pem);

    const std::vector<std::pair<std::string, std::string>> outputs{
        {"the log file", log},
        {"the server's console", server.server().process().output()},
        {"parleyctl volume create", created.output},
        {"parleyctl volume unlock", unlocked.output},
    };
    for (const auto& [where, text] : outputs)
        for (const auto& secret : secrets)
            for (std::size_t form = 0; form < secret.forms.size(); ++form) {
                INFO(secret.label << " (form " << form << ") in " << where);
                CHECK(text.find(secret.forms[form]) == std::string::npos);
            }
}
