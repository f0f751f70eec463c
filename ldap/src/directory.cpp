#include <parley/ldap/directory.h>

#include "directory_connection.h"

#include <algorithm>
#include <cctype>

namespace parley::ldap {

namespace {

constexpr int kUserAccountDisabled = 0x2; // AD userAccountControl ACCOUNTDISABLE

// DNs compare case-insensitively and without spaces around separators.
std::string normalizeDn(const std::string& dn)
{
    std::string out;
    for (std::size_t i = 0; i < dn.size(); ++i) {
        const char c = dn[i];
        if (c == ' ' && ((!out.empty() && (out.back() == ',' || out.back() == '=')) ||
                         (i + 1 < dn.size() && (dn[i + 1] == ',' || dn[i + 1] == '='))))
            continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool memberOfAny(const std::vector<std::string>& groups, const std::vector<std::string>& wanted)
{
    for (const auto& group : groups)
        for (const auto& candidate : wanted)
            if (normalizeDn(group) == normalizeDn(candidate))
                return true;
    return false;
}

std::vector<std::string> userAttributes(const DirectorySettings& s)
{
    return {s.loginAttribute, s.displayNameAttribute, s.mailAttribute, "memberOf",
            "userAccountControl"};
}

std::string userFilter(const DirectorySettings& s, const std::string& login)
{
    return fillTemplate(s.userFilter, "login", escapeFilterValue(login));
}

std::vector<std::string> groupsOf(DirectoryConnection& service, const DirectorySettings& s,
                                  const Entry& entry)
{
    if (s.groupMode != "search") {
        const auto found = entry.attributes.find("memberof");
        return found == entry.attributes.end() ? std::vector<std::string>{} : found->second;
    }
    std::vector<std::string> groups;
    for (const auto& group : service.search(s.groupBase, fillTemplate(s.groupFilter, "dn",
                                                                      escapeFilterValue(entry.dn)),
                                            {"1.1"}, 1000))
        groups.push_back(group.dn);
    return groups;
}

std::string roleFor(const DirectorySettings& s, const std::vector<std::string>& groups)
{
    if (memberOfAny(groups, s.adminGroups))
        return "admin";
    if (memberOfAny(groups, s.auditorGroups))
        return "auditor";
    if (s.userGroups.empty() || memberOfAny(groups, s.userGroups))
        return "user";
    return {};
}

bool disabled(const Entry& entry)
{
    const auto flags = entry.first("userAccountControl");
    if (flags.empty() || flags.find_first_not_of("0123456789") != std::string::npos || flags.size() > 10)
        return false;
    return (std::stoll(flags) & kUserAccountDisabled) != 0;
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

Directory::Directory(DirectorySettings settings) : settings_(std::move(settings)) {}

Directory::~Directory() = default;

AuthResult Directory::authenticate(const std::string& login, const std::string& password)
{
    if (password.empty())
        return {AuthFailure::EmptyPassword, std::nullopt, "empty password refused before binding"};
    if (login.empty())
        return {AuthFailure::UnknownUser, std::nullopt, "empty login"};
    std::lock_guard lock(mutex_);
    try {
        return authenticateLocked(login, password);
    }
    catch (const DirectoryError& e) {
        if (!e.serverDown())
            return {AuthFailure::DirectoryUnavailable, std::nullopt, e.what()};
    }
    // The shared service connection went away (server restart, idle cut-off): reconnect once.
    service_.reset();
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
        auto connection = DirectoryConnection::openFirst(settings_);
        connection->bind(settings_.bindDn, settings_.bindPassword);
        service_ = std::move(connection);
    }
    bool truncated = false;
    const auto entries = service_->search(settings_.userBase, userFilter(settings_, login),
                                          userAttributes(settings_), 2, &truncated);
    if (entries.empty())
        return {AuthFailure::UnknownUser, std::nullopt, "no entry matches the user filter"};
    if (entries.size() > 1 || truncated)
        return {AuthFailure::AmbiguousUser, std::nullopt, "several entries match the user filter"};
    const auto& entry = entries.front();
    if (disabled(entry))
        return {AuthFailure::Disabled, std::nullopt, entry.dn + " is disabled (userAccountControl)"};

    // The password is checked by a bind of the user's own, on a connection of its own, so the
    // service connection keeps its identity.
    try {
        auto userConnection = DirectoryConnection::openFirst(settings_);
        userConnection->bind(entry.dn, password);
    }
    catch (const DirectoryError& e) {
        if (e.invalidCredentials())
            return {AuthFailure::WrongPassword, std::nullopt, "bind as " + entry.dn + " refused"};
        throw;
    }

    DirectoryUser user;
    user.dn = entry.dn;
    user.login = entry.first(settings_.loginAttribute);
    user.displayName = entry.first(settings_.displayNameAttribute);
    user.mail = entry.first(settings_.mailAttribute);
    user.groups = groupsOf(*service_, settings_, entry);
    user.role = roleFor(settings_, user.groups);
    if (user.role.empty())
        return {AuthFailure::NoGroup, std::nullopt, entry.dn + " is in none of the mapped groups"};
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
    std::string reachedUri;
    std::string errors;
    for (const auto& uri : settings.uris) {
        std::string error;
        if (reachable(uri, settings.networkTimeout, error)) {
            reachedUri = uri;
            break;
        }
        errors += (errors.empty() ? "" : "; ") + uri + ": " + error;
    }
    if (reachedUri.empty())
        return fail("connect", "cannot reach any directory server (" + errors +
                                   "); check the URIs, the firewall and that the directory runs");
    steps.push_back({"connect", true, "reached " + reachedUri});

    std::unique_ptr<DirectoryConnection> connection;
    try {
        connection = DirectoryConnection::open(settings, reachedUri);
    }
    catch (const DirectoryError& e) {
        return fail("tls", std::string(e.what()) +
                               "; check that ca_file holds the CA that signed the directory's "
                               "certificate and that the certificate names the host in the URI");
    }
    const bool plain = reachedUri.rfind("ldap://", 0) == 0 && settings.allowPlain;
    steps.push_back({"tls", true, plain ? "plain LDAP: no TLS (allowed for a lab only)"
                                        : "TLS established and the certificate is valid for the host"});

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
    Directory directory(settings);
    const auto result = directory.authenticate(testLogin, testPassword);
    if (!result.user)
        return fail("user_bind", "test user '" + testLogin + "': " + std::string(reasonCode(result.failure)) +
                                     " (" + result.detail + ")");
    steps.push_back({"user_bind", true, "test user bound as " + result.user->dn});
    std::string groups;
    for (const auto& group : result.user->groups)
        groups += (groups.empty() ? "" : "; ") + group;
    steps.push_back({"groups", true, "groups: " + (groups.empty() ? "(none)" : groups) +
                                         "; role: " + result.user->role});
    return steps;
}

} // namespace parley::ldap
