#pragma once

#include <parley/storage/user_store.h>

#include <Poco/JSON/Object.h>

namespace parley::portal {

/// A user as the API shows it (never the password hash).
inline Poco::JSON::Object::Ptr userJson(const storage::User& user)
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("id", user.id);
    json->set("username", user.username);
    json->set("displayName", user.displayName);
    json->set("role", std::string(storage::toString(user.role)));
    json->set("source", user.source);
    json->set("disabled", user.disabled);
    json->set("createdAt", user.createdAt);
    json->set("updatedAt", user.updatedAt);
    if (user.lastLoginAt.empty())
        json->set("lastLoginAt", Poco::Dynamic::Var());
    else
        json->set("lastLoginAt", user.lastLoginAt);
    return json;
}

} // namespace parley::portal
