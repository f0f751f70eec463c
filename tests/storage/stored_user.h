#pragma once

#include <parley/storage/database.h>
#include <parley/storage/user_store.h>

#include <string>

namespace parley::test {

/// A local user named `name`, stored; returns its id.
inline std::int64_t addUser(storage::Database& database, const std::string& name)
{
    storage::User user;
    user.username = name;
    user.displayName = name;
    return storage::UserStore(database).create(user).id;
}

} // namespace parley::test
