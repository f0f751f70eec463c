#pragma once

#include "api_client.h"
#include "parleyd_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

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

/// Failed-login times for a local account and for unknown names, taken in alternating pairs.
struct LoginTiming
{
    double medianRatio = 0; ///< median over the pairs of unknown / local
    double localMedian = 0;
    double unknownMedian = 0;
};

/// Why pairs: on a shared or sanitizer-instrumented machine the cost of a PBKDF2 drifts by
/// half over a few seconds, which swamps a comparison of two separate minimums; two logins
/// made back to back see the same drift, so the ratio within a pair is the steady measure.
inline LoginTiming timeFailedLogins(ApiClient& client, const std::string& localName, int pairs)
{
    const auto timeLogin = [&client](const std::string& name) {
        const auto started = std::chrono::steady_clock::now();
        REQUIRE(client.login(name, "wrong-password").status == 401);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    const auto median = [](std::vector<double> values) {
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    };
    std::vector<double> local;
    std::vector<double> unknown;
    std::vector<double> ratios;
    for (int i = 0; i < pairs; ++i) {
        local.push_back(timeLogin(localName));
        unknown.push_back(timeLogin("ghost" + std::to_string(i)));
        ratios.push_back(unknown.back() / local.back());
    }
    return {median(ratios), median(local), median(unknown)};
}

} // namespace parley::test
