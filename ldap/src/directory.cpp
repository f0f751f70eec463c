#include <parley/ldap/directory.h>

#include "certificate_diagnosis.h"
#include "directory_connection.h"
#include "group_lookup.h"
#include "tcp_probe.h"
#include "unanswered_servers.h"

namespace parley::ldap {

namespace {

constexpr int kUserAccountDisabled = 0x2; // AD userAccountControl ACCOUNTDISABLE
// A connection test names at most this many of a user's groups.
constexpr std::size_t kGroupsNamed = 20;

std::vector<std::string> userAttributes(const DirectorySettings& s)
{
    return {s.loginAttribute, s.displayNameAttribute, s.mailAttribute, "memberOf",
            "userAccountControl"};
}

std::string userFilter(const DirectorySettings& s, const std::string& login)
{
    return fillTemplate(s.userFilter, "login", escapeFilterValue(login));
}

bool disabled(const Entry& entry)
{
    const auto flags = entry.first("userAccountControl");
    if (flags.empty() || flags.find_first_not_of("0123456789") != std::string::npos || flags.size() > 10)
        return false;
    return (std::stoll(flags) & kUserAccountDisabled) != 0;
}

/// The one entry a login name stands for, or why there is none.
struct UserLookup
{
    AuthFailure failure = AuthFailure::None;
    std::optional<Entry> entry;
    std::string detail;
};

UserLookup findUser(DirectoryConnection& service, const DirectorySettings& s, const std::string& login)
{
    bool truncated = false;
    const auto filter = userFilter(s, login);
    auto entries = service.search(s.userBase, filter, userAttributes(s), 2, &truncated);
    if (entries.empty())
        return {AuthFailure::UnknownUser, std::nullopt, "no entry under '" + s.userBase + "' matches " + filter};
    if (entries.size() > 1 || truncated)
        return {AuthFailure::AmbiguousUser, std::nullopt, "several entries match " + filter};
    if (disabled(entries.front()))
        return {AuthFailure::Disabled, std::nullopt, entries.front().dn + " is disabled (userAccountControl)"};
    return {AuthFailure::None, std::move(entries.front()), {}};
}

std::string groupList(const DirectorySettings& s, const std::vector<std::string>& groups)
{
    std::string list;
    for (std::size_t i = 0; i < groups.size() && i < kGroupsNamed; ++i) {
        const auto role = roleOfGroup(s, groups[i]);
        list += (list.empty() ? "" : "; ") + groups[i] + " (" + (role.empty() ? "not mapped" : role) + ")";
    }
    if (groups.size() > kGroupsNamed)
        list += "; and " + std::to_string(groups.size() - kGroupsNamed) + " more";
    return list;
}

// The groups step of a connection test: what was found where, each group's role, the result.
TestStep groupsStep(const DirectorySettings& s, const GroupLookup& lookup, const std::string& dn)
{
    std::string message;
    if (lookup.groups.empty())
        message = s.groupMode == kGroupModeMemberOf
                      ? dn + " has no memberOf values: it is in no group, or the directory does not keep "
                             "memberOf (OpenLDAP needs the memberof overlay; else use group_mode search)"
                      : "the group search came back empty: " + lookup.where + " found no group of " + dn +
                            "; check group_base and group_filter";
    else
        message = std::to_string(lookup.groups.size()) + (lookup.groups.size() == 1 ? " group" : " groups") +
                  " found by " + lookup.where + ": " + groupList(s, lookup.groups);
    if (lookup.deeperNotFollowed)
        message += "; groups nested deeper than " + std::to_string(kMaxGroupNestingDepth) + " levels were not read";
    if (lookup.truncated)
        message += "; only the first " + std::to_string(kMaxGroupsPerUser) + " groups were read";
    const auto role = roleFor(s, lookup.groups);
    if (role.empty())
        return {"groups", false,
                message + "; role: none, so this user cannot log in (ldap_no_mapped_group): add them to a "
                          "group named in admin_groups, auditor_groups or user_groups, or name one of "
                          "their groups there"};
    // With no user_groups, anyone not in a mapped group is a user.
    const bool byDefault = role == "user" && s.userGroups.empty();
    return {"groups", true,
            message + "; role: " + role + (byDefault ? " (user_groups is empty: every directory user is a user)" : "")};
}

} // namespace

std::string_view reasonCode(AuthFailure failure)
{
    switch (failure) {
    case AuthFailure::None:
        return "none";
    case AuthFailure::EmptyPassword:
        return "ldap_empty_password";
    case AuthFailure::UnknownUser:
        return "ldap_unknown_user";
    case AuthFailure::AmbiguousUser:
        return "ldap_ambiguous_user";
    case AuthFailure::WrongPassword:
        return "ldap_wrong_password";
    case AuthFailure::Disabled:
        return "ldap_account_disabled";
    case AuthFailure::NoGroup:
        return "ldap_no_mapped_group";
    case AuthFailure::DirectoryUnavailable:
        return "directory_unavailable";
    }
    return "unknown";
}

Directory::Directory(DirectorySettings settings)
    : settings_(std::move(settings)), unanswered_(std::make_unique<UnansweredServers>(kSkipUnansweredServerFor))
{}

Directory::~Directory() = default;

AuthResult Directory::authenticate(const std::string& login, const std::string& password)
{
    if (password.empty())
        return {AuthFailure::EmptyPassword, std::nullopt, "empty password refused before binding"};
    if (login.empty())
        return {AuthFailure::UnknownUser, std::nullopt, "empty login"};
    std::lock_guard lock(mutex_);
    const bool reused = service_ != nullptr;
    try {
        return authenticateLocked(login, password);
    }
    catch (const DirectoryError& e) {
        // The service connection is dropped when it failed, not when a server refused a
        // connection of the user's own.
        const bool serviceFailed = e.serverDown() && e.setup() == SetupFailure::None;
        if (serviceFailed)
            service_.reset();
        // Only a reused service connection may have gone stale (server restart, idle cut-off)
        // and deserves another try; retrying a server that just did not answer would make the
        // login wait for it twice.
        if (!(reused && serviceFailed))
            return {AuthFailure::DirectoryUnavailable, std::nullopt, e.what()};
    }
    try {
        return authenticateLocked(login, password);
    }
    catch (const DirectoryError& e) {
        service_.reset();
        return {AuthFailure::DirectoryUnavailable, std::nullopt, e.what()};
    }
}

AuthResult Directory::authenticateLocked(const std::string& login, const std::string& password)
{
    if (!service_) {
        auto connection = DirectoryConnection::openFirst(settings_, *unanswered_);
        connection->bind(settings_.bindDn, settings_.bindPassword);
        service_ = std::move(connection);
    }
    const auto found = findUser(*service_, settings_, login);
    if (!found.entry)
        return {found.failure, std::nullopt, found.detail};
    const auto& entry = *found.entry;

    // The password is checked by a bind of the user's own, on a connection of its own, so the
    // service connection keeps its identity.
    // Opening it names servers only, and its errors say which and why.
    auto userConnection = DirectoryConnection::openFirst(settings_, *unanswered_);
    try {
        userConnection->bind(entry.dn, password);
    }
    catch (const DirectoryError& e) {
        if (e.invalidCredentials())
            return {AuthFailure::WrongPassword, std::nullopt, "bind as " + entry.dn + " refused"};
        // Its message names the user's DN (and the server's diagnostic may); this one goes to
        // the log as the reason the directory was unavailable.
        throw e.withoutDetail("the user's own bind");
    }

    DirectoryUser user;
    user.dn = entry.dn;
    user.login = entry.first(settings_.loginAttribute);
    user.displayName = entry.first(settings_.displayNameAttribute);
    user.mail = entry.first(settings_.mailAttribute);
    const auto lookup = [&] {
        try {
            return lookUpGroups(*service_, settings_, entry);
        }
        catch (const DirectoryError& e) {
            throw e.withoutDetail("looking up the user's groups"); // searches may name the DN
        }
    }();
    user.groups = lookup.groups;
    user.role = roleFor(settings_, user.groups);
    if (user.role.empty())
        return {AuthFailure::NoGroup, std::nullopt,
                entry.dn + " is in none of the mapped groups (" +
                    (lookup.groups.empty() ? "no group found by " + lookup.where
                                           : "found: " + groupList(settings_, lookup.groups)) +
                    ")"};
    return {AuthFailure::None, user, "authenticated as " + entry.dn};
}

std::vector<TestStep> Directory::testConnection(const DirectorySettings& settings,
                                                const std::string& testLogin,
                                                const std::string& testPassword)
{
    std::vector<TestStep> steps;
    const auto fail = [&steps](const std::string& step, const std::string& message) {
        steps.push_back({step, false, message});
        return steps;
    };

    if (settings.uris.empty())
        return fail("connect", "no URI is configured; add ldaps://host:636 or ldap://host:389");
    // The first URI whose server answers (even if its TLS then fails), as a login would use.
    std::unique_ptr<DirectoryConnection> connection;
    std::string reachedUri;
    std::string tlsError;
    std::string errors;
    bool silent = false;
    for (const auto& uri : settings.uris) {
        std::string error;
        if (!reachable(uri, settings.networkTimeout, error)) {
            errors += (errors.empty() ? "" : "; ") + uri + ": " + error;
            continue;
        }
        try {
            connection = DirectoryConnection::open(settings, uri);
            reachedUri = uri;
            break;
        }
        catch (const DirectoryError& e) {
            if (e.setup() == SetupFailure::Tls) {
                reachedUri = uri;
                tlsError = e.what();
                break;
            }
            silent = silent || e.setup() == SetupFailure::NoAnswer;
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (reachedUri.empty())
        return fail("connect", "no directory server answered (" + errors + "); " +
                                   (silent ? "a server that accepts the connection but says nothing is hung, "
                                             "or the port is not the directory's (389 for ldap://, 636 for "
                                             "ldaps://)"
                                           : "check the URIs, the firewall and that the directory runs"));
    steps.push_back({"connect", true, "reached " + reachedUri + (errors.empty() ? "" : " (after: " + errors + ")")});

    if (!tlsError.empty()) {
        const auto diagnosis = diagnoseTls(settings, reachedUri);
        return fail("tls", !diagnosis.empty()
                               ? diagnosis
                               : tlsError + "; check that ca_file holds the CA that signed the directory's "
                                            "certificate and that the certificate names the host in the URI");
    }
    const bool plain = reachedUri.rfind("ldap://", 0) == 0 && settings.allowPlain;
    steps.push_back({"tls", true, plain ? "plain LDAP: no TLS (allowed for a lab only)"
                                 : settings.verifyCertificate
                                     ? "TLS established and the certificate is valid for the host"
                                     : "TLS established; the certificate was not checked (verify_certificate is off)"});

    try {
        connection->bind(settings.bindDn, settings.bindPassword);
    }
    catch (const DirectoryError& e) {
        return fail("service_bind", std::string(e.what()) + "; check bind_dn and bind_password");
    }
    steps.push_back({"service_bind", true, "bound as " + settings.bindDn});

    try {
        bool truncated = false;
        const auto entries = connection->search(settings.userBase,
                                                fillTemplate(settings.userFilter, "login", "*"),
                                                {"1.1"}, 1000, &truncated);
        if (entries.empty())
            return fail("search", "the user filter finds no entries under '" + settings.userBase +
                                      "'; check user_base and user_filter");
        steps.push_back({"search", true, "the user filter finds " +
                                             std::string(truncated ? "at least " : "") +
                                             std::to_string(entries.size()) + " entries"});
    }
    catch (const DirectoryError& e) {
        return fail("search", std::string(e.what()) + "; check user_base and user_filter");
    }

    if (testLogin.empty())
        return steps;
    const auto user = "test user '" + testLogin + "': ";
    if (testPassword.empty())
        return fail("user_bind", user + std::string(reasonCode(AuthFailure::EmptyPassword)) +
                                     " (an empty password is never sent: many directories take it as an "
                                     "anonymous bind); give the test user's password");
    std::optional<Entry> entry;
    try {
        auto found = findUser(*connection, settings, testLogin);
        if (!found.entry)
            return fail("user_bind", user + std::string(reasonCode(found.failure)) + " (" + found.detail + ")");
        entry = std::move(found.entry);
        auto userConnection = DirectoryConnection::open(settings, reachedUri);
        userConnection->bind(entry->dn, testPassword);
    }
    catch (const DirectoryError& e) {
        if (e.invalidCredentials() && entry)
            return fail("user_bind", user + std::string(reasonCode(AuthFailure::WrongPassword)) + " (bind as " +
                                         entry->dn + " refused: wrong password, or the account is locked)");
        return fail("user_bind", user + e.what());
    }
    steps.push_back({"user_bind", true, user + "found as " + entry->dn + " and bound with the password"});

    try {
        steps.push_back(groupsStep(settings, lookUpGroups(*connection, settings, *entry), entry->dn));
    }
    catch (const DirectoryError& e) {
        return fail("groups", std::string(e.what()) + "; check group_base and group_filter");
    }
    return steps;
}

} // namespace parley::ldap
