#include "user_commands.h"

#include "password_input.h"

#include <parley/storage/user_store.h>

#include <iomanip>
#include <iostream>

namespace parley::parleyctl {
namespace {

struct PasswordChoice
{
    std::string name;
    std::string displayName;
    bool generate = false;
};

PasswordChoice parse(const std::vector<std::string>& args)
{
    PasswordChoice choice;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--generate-password")
            choice.generate = true;
        else if (args[i] == "--display-name" && i + 1 < args.size())
            choice.displayName = args[++i];
        else if (!args[i].starts_with("--") && choice.name.empty())
            choice.name = args[i];
        else
            throw std::invalid_argument("unexpected argument '" + args[i] + "'");
    }
    if (choice.name.empty())
        throw std::invalid_argument("a user name is required");
    return choice;
}

std::string choosePassword(bool generate)
{
    return generate ? generatePassword() : readNewPassword();
}

void announceGenerated(const std::string& name, const std::string& password)
{
    // Shown once, on stdout, so a script can capture it; never stored or logged.
    std::cout << "Password for " << name << " (shown only now): " << password << std::endl;
}

} // namespace

int createAdmin(OfflineContext& context, const std::vector<std::string>& args)
{
    const auto choice = parse(args);
    portal::NewUser user{choice.name, choice.displayName, choosePassword(choice.generate),
                         storage::Role::Admin};
    const auto created = context.accounts->createUser(user, context.actor);
    std::cout << "Created admin " << created.username << " (id " << created.id << ")." << std::endl;
    if (choice.generate)
        announceGenerated(created.username, user.password);
    return 0;
}

int resetPassword(OfflineContext& context, const std::vector<std::string>& args)
{
    const auto choice = parse(args);
    const auto name = portal::AccountService::normalizeUsername(choice.name);
    const auto user = name ? storage::UserStore(*context.database).findByUsername(*name) : std::nullopt;
    if (!user) {
        std::cerr << "parleyctl: no user named '" << choice.name << "'" << std::endl;
        return 1;
    }
    const auto password = choosePassword(choice.generate);
    context.accounts->resetPassword(user->id, password, context.actor);
    std::cout << "Password of " << user->username << " reset; their sessions were ended." << std::endl;
    if (choice.generate)
        announceGenerated(user->username, password);
    return 0;
}

int listUsers(OfflineContext& context)
{
    storage::UserStore users(*context.database);
    std::cout << std::left << std::setw(6) << "ID" << std::setw(24) << "USERNAME" << std::setw(9)
              << "ROLE" << std::setw(7) << "SOURCE" << std::setw(10) << "STATE"
              << "DISPLAY NAME\n";
    constexpr std::int64_t kPage = 500;
    for (std::int64_t offset = 0;; offset += kPage) {
        const auto page = users.list(offset, kPage);
        for (const auto& user : page)
            std::cout << std::setw(6) << user.id << std::setw(24) << user.username << std::setw(9)
                      << storage::toString(user.role) << std::setw(7) << user.source << std::setw(10)
                      << (user.disabled ? "disabled" : "enabled") << user.displayName << "\n";
        if (static_cast<std::int64_t>(page.size()) < kPage)
            break;
    }
    std::cout << std::flush;
    return 0;
}

} // namespace parley::parleyctl
