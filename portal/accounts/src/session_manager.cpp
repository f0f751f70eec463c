#include <parley/portal/accounts/session_manager.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/metrics_registry.h>

#include <parley/portal/http/secret_token.h>
#include <parley/portal/http/unix_time.h>

#include <parley/portal/http/text_validation.h>
#include <parley/storage/audit_details.h>

#include <parley/portal/accounts/account_service.h>
#include <parley/portal/accounts/password_hash.h>
#include <parley/storage/audit_log.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DigestEngine.h>
#include <Poco/Logger.h>

#include <openssl/rand.h>

#include <sstream>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxAuditedName = 128;

// What the audit log records as the actor of an attempt with this name.
std::string auditedName(const std::string& username)
{
    if (!isValidUtf8(username) || hasControlCharacters(username))
        return "(unprintable name)";
    return username.size() > kMaxAuditedName ? username.substr(0, kMaxAuditedName) + "..." : username;
}

} // namespace

SessionManager::SessionManager(storage::Database& database, storage::AuditLog& audit,
                               const AccountSettings& settings, DirectoryConfiguration& directory)
    : database_(database), audit_(audit), settings_(settings), users_(database),
      sessions_(database), throttle_(settings.throttle),
      dummyHash_(hashPassword("timing-equaliser", settings.pbkdf2Iterations)), directory_(directory),
      idleSeconds_(settings.sessionIdleTimeout.count()), lifetimeSeconds_(settings.sessionLifetime.count())
{}

LoginResult SessionManager::login(const std::string& username, const std::string& password,
                                  const std::string& address)
{
    LoginResult result;
    const auto normalized = AccountService::normalizeUsername(username);
    const std::string throttleKey = normalized.value_or(auditedName(username));
    const std::string actor = auditedName(normalized.value_or(username));

    // Counted before the password is checked, so parallel guesses get no more checks than
    // sequential ones.
    auto attempt = throttle_.admit(throttleKey, address, result.retryAfter);
    if (!attempt) {
        // Not audited per attempt: a client hammering a locked account must not be able to
        // flood the audit log. The lockout itself was audited when it began.
        result.status = LoginResult::Status::Throttled;
        count("none", "failure", "throttled");
        return result;
    }

    // Refused like any other failure (audited, counted towards lockout), but before the
    // directory sees it: an empty password is an anonymous bind that "succeeds" on many servers.
    if (password.empty()) {
        result = refuse(*attempt, actor, address, "empty_password", "none");
        result.status = LoginResult::Status::EmptyPassword;
        return result;
    }

    const auto user = normalized ? users_.findByUsername(*normalized) : std::nullopt;
    if (user && user->source == "local")
        return localLogin(*attempt, user, actor, password, address);
    const auto directory = directory_.current();
    if (directory && normalized)
        return directoryLogin(*attempt, *directory, user, *normalized, password, address);
    return localLogin(*attempt, user, actor, password, address);
}

void SessionManager::count(std::string_view source, std::string_view result, std::string_view reason)
{
    if (auto* logins = logins_.load())
        logins->add({std::string(source), std::string(result), std::string(reason)});
}

LoginResult SessionManager::refuse(LoginThrottle::Attempt& attempt, const std::string& actor,
                                   const std::string& address, std::string_view reason, std::string_view source)
{
    count(source, "failure", reason);
    audit_.append({actor, address, "login.failure", "user:" + actor, "failure",
                   storage::AuditDetails().add("reason", std::string(reason)).text()});
    if (attempt.startedLockout())
        audit_.append({actor, address, "login.lockout", "user:" + actor, "success",
                       storage::AuditDetails().add("lockedSeconds", attempt.subjectLockedFor().count()).text()});
    LoginResult result;
    result.status = LoginResult::Status::Invalid;
    return result;
}

LoginResult SessionManager::localLogin(LoginThrottle::Attempt& attempt, const std::optional<storage::User>& user,
                                       const std::string& actor, const std::string& password,
                                       const std::string& address)
{
    std::string reason;
    bool matches = false;
    bool needsRehash = false;
    if (!user || user->passwordHash.empty()) {
        verifyPassword(password, dummyHash_, settings_.pbkdf2Iterations);
        reason = user ? "no_local_password" : "unknown_user";
    }
    else {
        const auto check = verifyPassword(password, user->passwordHash, settings_.pbkdf2Iterations);
        matches = check.matches && !user->disabled;
        needsRehash = check.needsRehash;
        reason = !check.matches ? "wrong_password" : user->disabled ? "disabled" : "";
    }
    if (!matches)
        return refuse(attempt, actor, address, reason, "local");

    attempt.succeeded();
    count("local", "success", "");
    if (needsRehash)
        users_.setPasswordHash(user->id, hashPassword(password, settings_.pbkdf2Iterations));
    auto result = startSession(*user, address);
    users_.recordLogin(user->id);
    audit_.append({user->username, address, "login.success", "user:" + user->username, "success",
                   storage::AuditDetails().add("source", "local").add("rehashed", needsRehash).text()});
    return result;
}

LoginResult SessionManager::directoryLogin(LoginThrottle::Attempt& attempt, ldap::Directory& directory,
                                           const std::optional<storage::User>& shadow,
                                           const std::string& login, const std::string& password,
                                           const std::string& address)
{
    const auto asked = std::chrono::steady_clock::now();
    const auto outcome = directory.authenticate(login, password);
    if (auto* latency = directoryLatency_.load())
        latency->observe({"login"}, std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
    if (!outcome.user) {
        // A name that is no local account must not answer faster than one that is: local
        // logins always pay for a full PBKDF2.
        verifyPassword(password, dummyHash_, settings_.pbkdf2Iterations);
    }
    // Neither the login nor the detail (it names the entry's DN): the audit log holds who
    // tried, for those allowed to read it.
    const bool succeeded = outcome.failure == ldap::AuthFailure::None;
    const std::string reason(succeeded ? "" : ldap::reasonCode(outcome.failure));
    log::debug(Poco::Logger::get("portal.ldap"), "ldap.login",
               succeeded ? std::string("directory login succeeded") : "directory login failed: " + reason,
               {{"result", succeeded ? "success" : "failure"}, {"reason", reason}});
    if (outcome.failure == ldap::AuthFailure::DirectoryUnavailable) {
        // Here the detail is the directory's own error (servers, timeouts), not an entry.
        log::warning(Poco::Logger::get("portal.ldap"), "ldap.unavailable", "directory unavailable: " + outcome.detail,
                     {{"error", outcome.detail}});
        attempt.discount(); // the password was never checked
        count("ldap", "failure", ldap::reasonCode(outcome.failure));
        audit_.append({login, address, "login.failure", "user:" + login, "failure",
                       storage::AuditDetails().add("reason", std::string(ldap::reasonCode(outcome.failure))).text()});
        LoginResult result;
        result.status = LoginResult::Status::DirectoryUnavailable;
        return result;
    }
    if (!outcome.user)
        return refuse(attempt, login, address, ldap::reasonCode(outcome.failure), "ldap");
    if (shadow && shadow->disabled)
        return refuse(attempt, login, address, "disabled", "ldap");

    // The shadow record: who this directory user is to Parley. No password is stored.
    const auto role = storage::parseRole(outcome.user->role).value_or(storage::Role::User);
    std::string displayName = outcome.user->displayName;
    if (displayName.empty() || !isValidUtf8(displayName) || hasControlCharacters(displayName) ||
        utf8Length(displayName) > 128)
        displayName = login;
    storage::User user;
    if (!shadow) {
        storage::User record;
        record.username = login;
        record.displayName = displayName;
        record.role = role;
        record.source = "ldap";
        try {
            user = users_.create(record);
            audit_.append({"system", address, "user.create", "user:" + login, "success",
                           storage::AuditDetails()
                               .add("source", "ldap")
                               .add("role", std::string(storage::toString(role)))
                               .text()});
        }
        catch (const storage::DuplicateUserError&) {
            // Someone made a record with this name meanwhile: only the same person's directory
            // record, still enabled, may be used (never a local account of that name).
            const auto existing = users_.findByUsername(login);
            if (!existing || existing->source != "ldap" ||
                !users_.refreshDirectoryUser(existing->id, displayName, role))
                return refuse(attempt, login, address, "disabled", "ldap");
            user = *existing;
            user.displayName = displayName;
            user.role = role;
        }
    }
    else {
        user = *shadow;
        const auto previousRole = user.role;
        // Conditional on the record still being an enabled directory user: an admin may
        // have disabled it while the directory was being asked.
        if (!users_.refreshDirectoryUser(user.id, displayName, role))
            return refuse(attempt, login, address, "disabled", "ldap");
        user.displayName = displayName;
        user.role = role;
        if (previousRole != role)
            audit_.append({"system", address, "user.role_change", "user:" + login, "success",
                           storage::AuditDetails()
                               .add("from", std::string(storage::toString(previousRole)))
                               .add("to", std::string(storage::toString(role)))
                               .add("source", "ldap groups")
                               .text()});
    }
    attempt.succeeded();
    count("ldap", "success", "");
    auto result = startSession(user, address);
    users_.recordLogin(user.id);
    audit_.append({login, address, "login.success", "user:" + login, "success",
                   storage::AuditDetails().add("source", "ldap").add("dn", outcome.user->dn).text()});
    return result;
}

LoginResult SessionManager::startSession(const storage::User& user, const std::string& address)
{
    LoginResult result;
    result.status = LoginResult::Status::Ok;
    result.token = randomToken();
    const auto now = unixNow();
    storage::SessionRecord record{tokenHash(result.token), user.id, randomToken(), now, now,
                                  now + lifetimeSeconds_.load(), address};
    sessions_.create(record);
    result.principal = Principal{user, record};
    return result;
}

std::optional<Principal> SessionManager::authenticate(const std::string& token)
{
    if (token.size() != 43 ||
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            std::string::npos)
        return std::nullopt;
    const auto hash = tokenHash(token);
    auto session = sessions_.find(hash);
    if (!session)
        return std::nullopt;
    const auto now = unixNow();
    // The stricter of the end the session was issued with and today's lifetime.
    if (now >= session->expiresAt || now >= session->createdAt + lifetimeSeconds_.load() ||
        now - session->lastSeenAt >= idleSeconds_.load()) {
        sessions_.remove(hash);
        return std::nullopt;
    }
    auto user = users_.findById(session->userId);
    if (!user || user->disabled) {
        sessions_.remove(hash);
        return std::nullopt;
    }
    if (session->lastSeenAt != now) {
        sessions_.touch(hash, now);
        session->lastSeenAt = now;
    }
    return Principal{*user, *session};
}

void SessionManager::logout(const Principal& principal, const std::string& address)
{
    sessions_.remove(principal.session.tokenHash);
    audit_.append({principal.user.username, address, "logout", "user:" + principal.user.username,
                   "success", "{}"});
}

std::int64_t SessionManager::removeExpired()
{
    return sessions_.removeExpired(unixNow(), idleSeconds_.load());
}

void SessionManager::setSessionLimits(std::chrono::seconds idle, std::chrono::seconds lifetime)
{
    idleSeconds_ = idle.count();
    lifetimeSeconds_ = lifetime.count();
}

} // namespace parley::portal
