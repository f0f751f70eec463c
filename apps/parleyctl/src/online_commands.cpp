#include "online_commands.h"

#include "password_input.h"

#include <Poco/JSON/Array.h>

#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace parley::parleyctl {
namespace {

std::string json(const Poco::JSON::Object& object)
{
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

/// Calls `visit` for every user, a page at a time.
template <typename Visit>
void forEachUser(ApiSession& api, Visit visit)
{
    for (int page = 1;; ++page) {
        const auto body = api.request("GET", "/api/v1/users?per_page=200&page=" + std::to_string(page), "", 200);
        const auto users = body->getArray("users");
        for (std::size_t i = 0; i < users->size(); ++i)
            visit(*users->getObject(static_cast<unsigned>(i)));
        if (users->size() < 200)
            return;
    }
}

struct Arguments
{
    std::string name;
    std::string displayName;
    bool generate = false;
};

Arguments parse(const std::vector<std::string>& args)
{
    Arguments parsed;
    for (std::size_t i = 2; i < args.size(); ++i) {
        if (args[i] == "--generate-password")
            parsed.generate = true;
        else if (args[i] == "--display-name" && i + 1 < args.size())
            parsed.displayName = args[++i];
        else if (!args[i].starts_with("--") && parsed.name.empty())
            parsed.name = args[i];
        else
            throw std::invalid_argument("unexpected argument '" + args[i] + "'");
    }
    if (parsed.name.empty())
        throw std::invalid_argument("a user name is required");
    return parsed;
}

} // namespace

int runOnline(ApiSession& api, const std::vector<std::string>& command)
{
    const auto& group = command[0];
    const auto& verb = command[1];
    if (group == "user" && verb == "list" && command.size() == 2) {
        std::cout << std::left << std::setw(6) << "ID" << std::setw(24) << "USERNAME" << std::setw(9)
                  << "ROLE" << std::setw(7) << "SOURCE" << std::setw(10) << "STATE" << "DISPLAY NAME\n";
        forEachUser(api, [](const Poco::JSON::Object& user) {
            std::cout << std::setw(6) << user.getValue<int>("id") << std::setw(24)
                      << user.getValue<std::string>("username") << std::setw(9)
                      << user.getValue<std::string>("role") << std::setw(7)
                      << user.getValue<std::string>("source") << std::setw(10)
                      << (user.getValue<bool>("disabled") ? "disabled" : "enabled")
                      << user.getValue<std::string>("displayName") << "\n";
        });
        std::cout << std::flush;
        return 0;
    }
    if (group == "user" && verb == "create-admin") {
        const auto args = parse(command);
        const auto password = args.generate ? generatePassword() : readNewPassword();
        Poco::JSON::Object body;
        body.set("username", args.name);
        body.set("password", password);
        body.set("role", "admin");
        if (!args.displayName.empty())
            body.set("displayName", args.displayName);
        const auto created = api.request("POST", "/api/v1/users", json(body), 201);
        std::cout << "Created admin " << created->getValue<std::string>("username") << " (id "
                  << created->getValue<int>("id") << ")." << std::endl;
        if (args.generate)
            std::cout << "Password for " << args.name << " (shown only now): " << password << std::endl;
        return 0;
    }
    if (group == "user" && verb == "reset-password") {
        const auto args = parse(command);
        int id = 0;
        forEachUser(api, [&](const Poco::JSON::Object& user) {
            if (user.getValue<std::string>("username") == args.name)
                id = user.getValue<int>("id");
        });
        if (id == 0) {
            std::cerr << "parleyctl: no user named '" << args.name << "'" << std::endl;
            return 1;
        }
        const auto password = args.generate ? generatePassword() : readNewPassword();
        Poco::JSON::Object body;
        body.set("password", password);
        api.request("POST", "/api/v1/users/" + std::to_string(id) + "/password", json(body), 204);
        std::cout << "Password of " << args.name << " reset; their sessions were ended." << std::endl;
        if (args.generate)
            std::cout << "Password for " << args.name << " (shown only now): " << password << std::endl;
        return 0;
    }
    if (group == "audit" && verb == "verify" && command.size() == 2) {
        const auto result = api.request("GET", "/api/v1/audit/verify", "", 200);
        if (result->getValue<bool>("ok")) {
            std::cout << "audit log intact: " << result->getValue<int>("entriesChecked")
                      << " entries verified" << std::endl;
            return 0;
        }
        std::cout << "audit log TAMPERED: " << result->getValue<std::string>("problem") << std::endl;
        if (result->has("firstBadSeq"))
            std::cout << "first bad entry: " << result->getValue<int>("firstBadSeq") << std::endl;
        return 1;
    }
    throw std::invalid_argument("unknown command");
}

} // namespace parley::parleyctl
