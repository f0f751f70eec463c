#pragma once

#include "api_client.h"
#include "parleyd_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

namespace parley::test {

inline constexpr const char* kAdminPassword = "admin-password-1";

/// Settings that keep hashing cheap in tests (the default of 600000 iterations is checked
/// in portal_tests).
inline std::vector<std::string> fastAccounts(std::vector<std::string> extra = {})
{
    std::vector<std::string> args{"--set", "accounts.pbkdf2_iterations=1000", "--set",
                                  "accounts.password_min_length=8"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

/// parleyctl arguments for the same data directory and hashing cost.
inline std::string ctlArgs(const std::filesystem::path& dataDir)
{
    return "--set server.data_dir=" + dataDir.string() +
           " --set accounts.pbkdf2_iterations=1000 --set accounts.password_min_length=8";
}

/// A running parleyd with one admin, "admin", created by parleyctl before start.
class ServerWithAdmin
{
public:
    explicit ServerWithAdmin(std::vector<std::string> extra = {})
        : server_(fastAccounts(std::move(extra)), [](const std::filesystem::path& dataDir) {
              const auto result = runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword);
              REQUIRE(result.exitCode == 0);
          })
    {}

    std::uint16_t port() const { return server_.port(); }
    RunningServer& server() { return server_; }

    /// A client logged in as the admin.
    ApiClient admin()
    {
        ApiClient client(port());
        REQUIRE(client.login("admin", kAdminPassword).status == 200);
        return client;
    }

    /// Creates a user through the API and returns a client logged in as them.
    ApiClient userWithRole(const std::string& name, const std::string& role)
    {
        auto admin = this->admin();
        const auto created = admin.call("POST", "/api/v1/users",
                                        "{\"username\":\"" + name + "\",\"password\":\"" + name +
                                            "-password\",\"role\":\"" + role + "\"}");
        REQUIRE(created.status == 201);
        ApiClient client(port());
        REQUIRE(client.login(name, name + "-password").status == 200);
        return client;
    }

private:
    RunningServer server_;
};

inline Poco::JSON::Object::Ptr json(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

inline std::string errorCode(const HttpResponse& response)
{
    try {
        return json(response.body)->getObject("error")->getValue<std::string>("code");
    }
    catch (const Poco::Exception&) {
        return "(no JSON error: " + response.body.substr(0, 80) + ")";
    }
}

} // namespace parley::test
