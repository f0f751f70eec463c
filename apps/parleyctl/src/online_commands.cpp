#include "online_commands.h"

#include "user_arguments.h"

#include <Poco/JSON/Array.h>

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

} // namespace

int runOnline(ApiSession& api, const std::vector<std::string>& command)
{
    const auto& group = command[0];
    const auto& verb = command[1];
    if (group == "user" && verb == "list" && command.size() == 2) {
        printUserHeader();
        forEachUser(api, [](const Poco::JSON::Object& user) {
            printUserRow(user.getValue<int>("id"), user.getValue<std::string>("username"),
                         user.getValue<std::string>("role"), user.getValue<std::string>("source"),
                         user.getValue<bool>("disabled"), user.getValue<std::string>("displayName"));
        });
        std::cout << std::flush;
        return 0;
    }
    if (group == "user" && verb == "create-admin") {
        const auto args = parseUserArguments(command, 2);
        const auto password = choosePassword(args);
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
            announceGenerated(args.name, password);
        return 0;
    }
    if (group == "user" && verb == "reset-password") {
        const auto args = parseUserArguments(command, 2);
        int id = 0;
        forEachUser(api, [&](const Poco::JSON::Object& user) {
            if (user.getValue<std::string>("username") == args.name)
                id = user.getValue<int>("id");
        });
        if (id == 0) {
            std::cerr << "parleyctl: no user named '" << args.name << "'" << std::endl;
            return 1;
        }
        const auto password = choosePassword(args);
        Poco::JSON::Object body;
        body.set("password", password);
        api.request("POST", "/api/v1/users/" + std::to_string(id) + "/password", json(body), 204);
        std::cout << "Password of " << args.name << " reset; their sessions were ended." << std::endl;
        if (args.generate)
            announceGenerated(args.name, password);
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
