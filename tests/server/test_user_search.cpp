// GET /api/v1/users/search: people to name as co-moderators, for every signed-in user.
#include "account_fixture.h"

#include <Poco/JSON/Array.h>

using namespace parley::test;

namespace {

/// Usernames found for `query` (a raw query-string value), in order.
std::vector<std::string> found(ApiClient& client, const std::string& query)
{
    const auto response = client.call("GET", "/api/v1/users/search?q=" + query);
    REQUIRE(response.status == 200);
    const auto users = json(response.body)->getArray("users");
    std::vector<std::string> names;
    for (std::size_t i = 0; i < users->size(); ++i)
        names.push_back(users->getObject(static_cast<unsigned>(i))->getValue<std::string>("username"));
    return names;
}

} // namespace

TEST_CASE("Any signed-in user can search people by name, and sees only names")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto create = [&](const std::string& body) {
        REQUIRE(admin.call("POST", "/api/v1/users", body).status == 201);
    };
    create(R"({"username":"cwalker","password":"cwalker-password","displayName":"Chris Walker"})");
    create(R"({"username":"oedegaard","password":"oedegaard-password","displayName":"Åsa Ödegaard"})");
    create(R"({"username":"walkout","password":"walkout-password","displayName":"Gone Walker"})");
    create(R"({"username":"percent","password":"percent-password","displayName":"100% sure"})");
    auto user = server.userWithRole("plainuser", "user");
    auto auditor = server.userWithRole("reader", "auditor");
    // A disabled account is never offered.
    const auto users = json(admin.call("GET", "/api/v1/users?per_page=200").body)->getArray("users");
    for (std::size_t i = 0; i < users->size(); ++i) {
        const auto entry = users->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("username") == "walkout")
            REQUIRE(admin.call("PATCH", "/api/v1/users/" + std::to_string(entry->getValue<std::int64_t>("id")),
                               R"({"disabled":true})")
                        .status == 200);
    }

    const auto response = user.call("GET", "/api/v1/users/search?q=WALK");
    REQUIRE(response.status == 200);
    const auto body = json(response.body);
    CHECK(body->size() == 1);
    const auto list = body->getArray("users");
    REQUIRE(list->size() == 1);
    const auto entry = list->getObject(0);
    std::vector<std::string> fields;
    entry->getNames(fields);
    std::sort(fields.begin(), fields.end());
    CHECK(fields == std::vector<std::string>{"displayName", "username"}); // never role, source, ids or times
    CHECK(entry->getValue<std::string>("username") == "cwalker");
    CHECK(entry->getValue<std::string>("displayName") == "Chris Walker");

    CHECK(found(user, "%C3%B6deg") == std::vector<std::string>{"oedegaard"}); // "ödeg" finds "Ödegaard"
    CHECK(found(auditor, "chris") == std::vector<std::string>{"cwalker"});
    CHECK(found(user, "%25") == std::vector<std::string>{"percent"}); // "%" is no wildcard
    CHECK(found(user, "_").empty());
    CHECK(found(user, "nobody-like-this").empty());
    CHECK(httpsRequest(server.port(), "GET", "/api/v1/users/search?q=walk").status == 401);
    // The admin list stays the admins'.
    CHECK(errorCode(user.call("GET", "/api/v1/users")) == "forbidden");
}

TEST_CASE("People search refuses a missing, empty, too long or unprintable query, and lists at most 20")
{
    ServerWithAdmin server;
    auto user = server.userWithRole("plainuser", "user");
    for (const std::string& query : std::vector<std::string>{"", "?q=", "?q", "?other=x", "?q=" + std::string(65, 'a'), "?q=%00",
                                    "?q=a%0D%0Ab", "?q=%FF", "?q=%C3"}) {
        INFO(query);
        CHECK(errorCode(user.call("GET", "/api/v1/users/search" + query)) == "invalid_request");
    }
    CHECK(user.call("GET", "/api/v1/users/search?q=" + std::string(64, 'a')).status == 200);
    // 64 characters, not bytes.
    std::string umlauts;
    for (int i = 0; i < 64; ++i)
        umlauts += "%C3%BC";
    CHECK(user.call("GET", "/api/v1/users/search?q=" + umlauts).status == 200);
    CHECK(errorCode(user.call("POST", "/api/v1/users/search", "{}")) == "method_not_allowed");

    auto admin = server.admin();
    for (int i = 0; i < 25; ++i)
        REQUIRE(admin.call("POST", "/api/v1/users",
                           R"({"username":"member)" + std::to_string(i) + R"(","password":"member-password"})")
                    .status == 201);
    CHECK(found(user, "member").size() == 20);
}
