#include <parley/portal/accounts/account_service.h>
#include <parley/portal/accounts/password_hash.h>

#include <parley/portal/http/text_validation.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>
#include <parley/storage/session_store.h>

#include <Poco/String.h>

#include <cctype>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxUsername = 64;
constexpr std::size_t kMaxDisplayName = 128;

std::string validDisplayName(const std::string& displayName)
{
    const auto trimmed = Poco::trim(displayName);
    if (!isValidUtf8(trimmed))
        throw AccountError(AccountError::Kind::Invalid, "invalid_display_name",
                           "the display name is not valid UTF-8 text");
    if (trimmed.empty() || utf8Length(trimmed) > kMaxDisplayName || hasControlCharacters(trimmed))
        throw AccountError(AccountError::Kind::Invalid, "invalid_display_name",
                           "the display name must have 1 to 128 characters and no control "
                           "characters");
    return trimmed;
}

std::string target(const storage::User& user)
{
    return "user:" + user.username;
}

} // namespace

AccountService::AccountService(storage::Database& database, storage::AuditLog& audit,
                               const AccountSettings& settings)
    : users_(database), database_(database), audit_(audit), settings_(settings)
{}

std::optional<std::string> AccountService::normalizeUsername(std::string_view username)
{
    if (username.empty() || username.size() > kMaxUsername)
        return std::nullopt;
    std::string name;
    for (const char c : username) {
        const auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const bool allowed = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') ||
                             lower == '.' || lower == '_' || lower == '-' || lower == '@';
        if (!allowed || static_cast<unsigned char>(c) >= 0x80)
            return std::nullopt;
        name += lower;
    }
    if (!std::isalnum(static_cast<unsigned char>(name.front())))
        return std::nullopt;
    return name;
}

storage::User AccountService::requireUser(std::int64_t id)
{
    auto user = users_.findById(id);
    if (!user)
        throw AccountError(AccountError::Kind::NotFound, "user_not_found", "no user with this id");
    return *user;
}

std::string AccountService::newPasswordHash(const std::string& password)
{
    const auto problem = checkPasswordPolicy(password, settings_.passwordPolicy);
    if (!problem.empty())
        throw AccountError(AccountError::Kind::Invalid, "weak_password", problem);
    return hashPassword(password, settings_.pbkdf2Iterations);
}

storage::User AccountService::createUser(const NewUser& request, const Actor& actor)
{
    const auto username = normalizeUsername(request.username);
    if (!username)
        throw AccountError(AccountError::Kind::Invalid, "invalid_username",
                           "the username must have 1 to 64 characters of a-z, 0-9, '.', '_', "
                           "'-', '@' and start with a letter or digit");
    storage::User user;
    user.username = *username;
    user.displayName = validDisplayName(request.displayName.empty() ? *username : request.displayName);
    user.role = request.role;
    user.passwordHash = newPasswordHash(request.password);
    try {
        user = users_.create(user);
    }
    catch (const storage::DuplicateUserError&) {
        throw AccountError(AccountError::Kind::Conflict, "username_taken",
                           "a user named '" + *username + "' already exists");
    }
    audit_.append({actor.name, actor.address, "user.create", target(user), "success",
                   storage::AuditDetails().add("role", std::string(storage::toString(user.role))).text()});
    return user;
}

storage::User AccountService::updateUser(std::int64_t id, const UserChanges& changes,
                                         const Actor& actor)
{
    // Count-then-write of the last-admin rule must not interleave with another change.
    std::lock_guard lock(adminChanges_);
    auto user = requireUser(id);
    const auto before = user;
    if (changes.displayName)
        user.displayName = validDisplayName(*changes.displayName);
    if (changes.role)
        user.role = *changes.role;
    if (changes.disabled)
        user.disabled = *changes.disabled;

    const bool wasActiveAdmin = before.role == storage::Role::Admin && !before.disabled;
    const bool isActiveAdmin = user.role == storage::Role::Admin && !user.disabled;
    if (wasActiveAdmin && !isActiveAdmin && users_.countEnabledAdmins() <= 1)
        throw AccountError(AccountError::Kind::Conflict, "last_admin",
                           "this is the only enabled admin; make another admin first");

    users_.update(user);
    if (user.disabled && !before.disabled)
        storage::SessionStore(database_).removeForUser(user.id);

    if (user.displayName != before.displayName)
        audit_.append({actor.name, actor.address, "user.update", target(user), "success",
                       storage::AuditDetails().add("displayName", user.displayName).text()});
    if (user.role != before.role)
        audit_.append({actor.name, actor.address, "user.role_change", target(user), "success",
                       storage::AuditDetails()
                           .add("from", std::string(storage::toString(before.role)))
                           .add("to", std::string(storage::toString(user.role)))
                           .text()});
    if (user.disabled != before.disabled)
        audit_.append({actor.name, actor.address, user.disabled ? "user.disable" : "user.enable",
                       target(user), "success", "{}"});
    return users_.findById(id).value_or(user);
}

void AccountService::storePassword(storage::User user, const std::string& newPassword,
                                   const std::string& action, const Actor& actor)
{
    users_.setPasswordHash(user.id, newPasswordHash(newPassword));
    const auto ended = storage::SessionStore(database_).removeForUser(user.id);
    audit_.append({actor.name, actor.address, action, target(user), "success",
                   storage::AuditDetails().add("sessionsEnded", ended).text()});
}

void AccountService::resetPassword(std::int64_t id, const std::string& newPassword,
                                   const Actor& actor)
{
    const auto user = requireUser(id);
    if (user.source != "local")
        throw AccountError(AccountError::Kind::Conflict, "directory_user",
                           "this user logs in with the directory; change the password there");
    storePassword(user, newPassword, "user.password_reset", actor);
}

void AccountService::changeOwnPassword(std::int64_t id, const std::string& currentPassword,
                                       const std::string& newPassword, const Actor& actor)
{
    const auto user = requireUser(id);
    if (user.source != "local")
        throw AccountError(AccountError::Kind::Conflict, "directory_user",
                           "you log in with the directory; change your password there");
    if (!verifyPassword(currentPassword, user.passwordHash, settings_.pbkdf2Iterations).matches) {
        audit_.append({actor.name, actor.address, "user.password_change", target(user), "failure",
                       storage::AuditDetails().add("reason", "wrong_current_password").text()});
        throw AccountError(AccountError::Kind::Forbidden, "wrong_password",
                           "the current password is not correct");
    }
    storePassword(user, newPassword, "user.password_change", actor);
}

void AccountService::deleteUser(std::int64_t id, const Actor& actor)
{
    std::lock_guard lock(adminChanges_);
    const auto user = requireUser(id);
    if (user.username == actor.name)
        throw AccountError(AccountError::Kind::Conflict, "cannot_delete_self",
                           "you cannot delete your own account");
    if (user.role == storage::Role::Admin && !user.disabled && users_.countEnabledAdmins() <= 1)
        throw AccountError(AccountError::Kind::Conflict, "last_admin",
                           "this is the only enabled admin; make another admin first");
    users_.remove(user.id);
    audit_.append({actor.name, actor.address, "user.delete", target(user), "success",
                   storage::AuditDetails().add("role", std::string(storage::toString(user.role))).text()});
}

} // namespace parley::portal
