#include "user_commands.h"

#include "user_arguments.h"

#include <parley/storage/user_store.h>

#include <iostream>

namespace parley::parleyctl {

int createAdmin(OfflineContext& context, const std::vector<std::string>& args)
{
    const auto choice = parseUserArguments(args, 0);
    portal::NewUser user{choice.name, choice.displayName, choosePassword(choice),
                         storage::Role::Admin};
    const auto created = context.accounts->createUser(user, context.actor);
    std::cout << "Created admin " << created.username << " (id " << created.id << ")." << std::endl;
    if (choice.generate)
        announceGenerated(created.username, user.password);
    return 0;
}

int resetPassword(OfflineContext& context, const std::vector<std::string>& args)
{
    const auto choice = parseUserArguments(args, 0);
    const auto name = portal::AccountService::normalizeUsername(choice.name);
    const auto user = name ? storage::UserStore(*context.database).findByUsername(*name) : std::nullopt;
    if (!user) {
        std::cerr << "parleyctl: no user named '" << choice.name << "'" << std::endl;
        return 1;
    }
    const auto password = choosePassword(choice);
    context.accounts->resetPassword(user->id, password, context.actor);
    std::cout << "Password of " << user->username << " reset; their sessions were ended." << std::endl;
    if (choice.generate)
        announceGenerated(user->username, password);
    return 0;
}

int listUsers(OfflineContext& context)
{
    storage::UserStore users(*context.database);
    printUserHeader();
    constexpr std::int64_t kPage = 500;
    for (std::int64_t offset = 0;; offset += kPage) {
        const auto page = users.list(offset, kPage);
        for (const auto& user : page)
            printUserRow(user.id, user.username, std::string(storage::toString(user.role)),
                         user.source, user.disabled, user.displayName);
        if (static_cast<std::int64_t>(page.size()) < kPage)
            break;
    }
    std::cout << std::flush;
    return 0;
}

} // namespace parley::parleyctl
