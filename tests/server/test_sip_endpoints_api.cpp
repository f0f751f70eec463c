// SIP endpoint accounts through the admin API against a real parleyd: created with a
// password made by the server (or chosen), stored only as the digest HA1, renamed, given
// new passwords and deleted, each change audited; refused while SIP is off.
#include "signaling_fixture.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/MD5Engine.h>

#include <fstream>
#include <iterator>

using namespace parley::test;

namespace {

constexpr const char* kEndpoints = "/api/v1/admin/sip/endpoints";

std::string md5Hex(const std::string& text)
{
    Poco::MD5Engine md5;
    md5.update(text);
    return Poco::DigestEngine::digestToHex(md5.digest());
}

std::string storedHa1(const std::filesystem::path& dataDir, const std::string& username)
{
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    std::string ha1;
    std::string name = username;
    session << "SELECT ha1 FROM sip_endpoints WHERE username = ?", Poco::Data::Keywords::use(name),
        Poco::Data::Keywords::into(ha1), Poco::Data::Keywords::now;
    return ha1;
}

/// Every byte of the database and its write-ahead log.
std::string databaseBytes(const std::filesystem::path& dataDir)
{
    std::string bytes;
    for (const auto* name : {"parley.db", "parley.db-wal"}) {
        std::ifstream in(dataDir / name, std::ios::binary);
        bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return bytes;
}

/// How many audit entries of `action` name `target`; none of them holds `secret`.
int audited(ApiClient& auditor, const std::string& action, const std::string& target,
            const std::vector<std::string>& secrets)
{
    const auto response = auditor.call("GET", "/api/v1/audit?per_page=200&action=" + action);
    REQUIRE(response.status == 200);
    for (const auto& secret : secrets)
        CHECK(response.body.find(secret) == std::string::npos);
    const auto entries = json(response.body)->getArray("entries");
    int count = 0;
    for (std::size_t i = 0; i < entries->size(); ++i)
        if (entries->getObject(static_cast<unsigned>(i))->getValue<std::string>("target") == target)
            ++count;
    return count;
}

} // namespace

TEST_CASE("SIP endpoint accounts: created with a password made once or chosen, kept only as the digest hash, "
          "renamed, given a new password and deleted, each audited")
{
    SignalingServer server({"--set", "sip.enabled=true", "--set", "sip.port=0", "--set", "sip.realm=hospital.example"});
    auto admin = server.admin();
    const auto dataDir = server.server().dataDir();

    const auto status = json(admin.call("GET", "/api/v1/admin/sip").body);
    CHECK(status->getValue<bool>("enabled"));
    CHECK(status->getValue<int>("port") > 0);
    CHECK(status->getValue<std::string>("realm") == "hospital.example");
    CHECK_FALSE(status->getValue<bool>("allowGuests"));
    CHECK(status->getValue<int>("activeCalls") == 0);

    // A password made by the server: shown in this answer only.
    const auto created = admin.call("POST", kEndpoints, R"({"username":"ward3-room","displayName":"Ward 3 meeting room"})");
    REQUIRE(created.status == 201);
    CHECK(created.header("location") == "/api/v1/admin/sip/endpoints/ward3-room");
    const auto endpoint = json(created.body);
    const auto password = endpoint->getValue<std::string>("password");
    CHECK(password.size() == 23); // four groups of five, as for user passwords
    CHECK(endpoint->getValue<std::string>("displayName") == "Ward 3 meeting room");
    CHECK(endpoint->getValue<bool>("credentialsCurrent"));
    CHECK(endpoint->isNull("registration"));
    CHECK(storedHa1(dataDir, "ward3-room") == md5Hex("ward3-room:hospital.example:" + password));

    // One the admin chose: not given back.
    const std::string chosen = "Correct-Horse-Battery-7";
    const auto desk = admin.call("POST", kEndpoints, R"({"username":"desk.17","displayName":"Desk 17","password":")" +
                                                         chosen + "\"}");
    REQUIRE(desk.status == 201);
    CHECK_FALSE(json(desk.body)->has("password"));
    CHECK(storedHa1(dataDir, "desk.17") == md5Hex("desk.17:hospital.example:" + chosen));

    // Refused: taken, malformed names, a short or non-ASCII password, no name.
    CHECK(errorCode(admin.call("POST", kEndpoints, R"({"username":"ward3-room","displayName":"Again"})")) ==
          "endpoint_exists");
    for (const auto* body : {R"({"username":"with space","displayName":"X"})", R"({"username":"","displayName":"X"})",
                             R"({"username":"a:b","displayName":"X"})", R"({"username":"x","displayName":""})",
                             R"({"username":"x","displayName":"X","password":"short"})",
                             R"({"username":"x","displayName":"X","password":"pässwörd-pässwörd"})",
                             R"({"username":"x","displayName":"tab\there"})", R"({"username":"x"})"}) {
        CAPTURE(body);
        const auto refused = admin.call("POST", kEndpoints, body);
        CHECK(refused.status == 400);
        CHECK(errorCode(refused) == "invalid_request");
    }

    auto list = json(admin.call("GET", kEndpoints).body)->getArray("endpoints");
    REQUIRE(list->size() == 2);
    CHECK(list->getObject(0)->getValue<std::string>("username") == "desk.17");
    CHECK_FALSE(list->getObject(0)->has("password"));

    // Renamed; then a new password, made by the server: the old one's hash is gone.
    const std::string path = std::string(kEndpoints) + "/ward3-room";
    const auto renamed = admin.call("PATCH", path, R"({"displayName":"Ward 3 conference room"})");
    REQUIRE(renamed.status == 200);
    CHECK(json(renamed.body)->getValue<std::string>("displayName") == "Ward 3 conference room");
    CHECK_FALSE(json(renamed.body)->has("password"));
    const auto renewed = admin.call("PATCH", path, R"({"newPassword":true})");
    REQUIRE(renewed.status == 200);
    const auto newPassword = json(renewed.body)->getValue<std::string>("password");
    CHECK(newPassword != password);
    CHECK(storedHa1(dataDir, "ward3-room") == md5Hex("ward3-room:hospital.example:" + newPassword));
    CHECK(errorCode(admin.call("PATCH", path, "{}")) == "invalid_request");
    CHECK(errorCode(admin.call("PATCH", path, R"({"newPassword":true,"password":"Another-password-1"})")) ==
          "invalid_request");

    // No password is anywhere in the database, in the table or the audit log.
    const auto bytes = databaseBytes(dataDir);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find(newPassword) == std::string::npos);
    CHECK(bytes.find(chosen) == std::string::npos);

    // Not for anyone but admins.
    CHECK(server.owner.call("GET", kEndpoints).status == 403);
    CHECK(server.owner.call("POST", kEndpoints, R"({"username":"mine","displayName":"Mine"})").status == 403);

    CHECK(admin.call("DELETE", path).status == 204);
    CHECK(errorCode(admin.call("GET", path)) == "no_such_endpoint");
    CHECK(admin.call("DELETE", path).status == 404);
    CHECK(admin.call("GET", std::string(kEndpoints) + "/not%20valid").status == 404);
    CHECK(json(admin.call("GET", kEndpoints).body)->getArray("endpoints")->size() == 1);

    const std::vector<std::string> secrets{password, newPassword, chosen};
    CHECK(audited(admin, "sip.endpoint_create", "sip-endpoint:ward3-room", secrets) == 1);
    CHECK(audited(admin, "sip.endpoint_create", "sip-endpoint:desk.17", secrets) == 1);
    CHECK(audited(admin, "sip.endpoint_update", "sip-endpoint:ward3-room", secrets) == 1);
    CHECK(audited(admin, "sip.endpoint_password", "sip-endpoint:ward3-room", secrets) == 1);
    CHECK(audited(admin, "sip.endpoint_delete", "sip-endpoint:ward3-room", secrets) == 1);
}

TEST_CASE("While SIP is off, the admin API says so and makes no endpoint (a password is tied to the SIP realm)")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto status = json(admin.call("GET", "/api/v1/admin/sip").body);
    CHECK_FALSE(status->getValue<bool>("enabled"));
    CHECK_FALSE(status->has("port"));
    const auto refused = admin.call("POST", kEndpoints, R"({"username":"ward3-room","displayName":"Ward 3"})");
    CHECK(refused.status == 409);
    CHECK(errorCode(refused) == "sip_disabled");
    CHECK(json(admin.call("GET", kEndpoints).body)->getArray("endpoints")->size() == 0);
}
