#pragma once

#include <parley/ldap/directory_settings.h>

#include <ldap.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::ldap {

class HandshakeWatchdog;
class UnansweredServers;

/// Which part of setting up a connection failed, so that an admin is told what to look at.
enum class SetupFailure
{
    None,        ///< not a connection set-up error (a bind, a search, ...)
    Unreachable, ///< no TCP connection (refused, no route, unknown host)
    NoAnswer,    ///< nothing came back within the network timeout (hung server, dropped packets)
    Tls,         ///< the server answered, but TLS or StartTLS failed (certificate, protocol)
};

/// A failed directory operation. `serverDown` when the connection itself is gone (worth
/// reconnecting or trying the next URI), `invalidCredentials` for a refused bind.
class DirectoryError : public std::runtime_error
{
public:
    DirectoryError(const std::string& what, int code, SetupFailure setup = SetupFailure::None)
        : std::runtime_error(what), code_(code), setup_(setup)
    {}
    int code() const { return code_; }
    SetupFailure setup() const { return setup_; }
    bool serverDown() const;
    bool invalidCredentials() const;
    /// The same failure said without the server's words or the request's: "`step` failed:
    /// <the LDAP result's standard text> (LDAP result N)". For a step on a user's own entry,
    /// whose DN the full message names and which reaches the server's log.
    DirectoryError withoutDetail(const std::string& step) const;

private:
    int code_;
    SetupFailure setup_;
};

/// One search result entry; attribute names in lower case.
struct Entry
{
    std::string dn;
    std::map<std::string, std::vector<std::string>> attributes;
    std::string first(const std::string& attribute) const;
};

/// One connection to one directory server, TLS set up as configured. Owns its LDAP handle.
class DirectoryConnection
{
public:
    /// Connects to `uri` (TLS handshake for ldaps://, StartTLS for ldap:// unless plain is
    /// allowed), waiting at most the network timeout for the server to accept and answer.
    /// Throws DirectoryError whose setup() says which step failed.
    static std::unique_ptr<DirectoryConnection> open(const DirectorySettings& settings,
                                                     const std::string& uri);
    /// Tries each URI until one answers, those in `unanswered`'s penalty box last (see
    /// UnansweredServers); a URI that does not answer is put there. Throws the errors of all
    /// URIs if none answers.
    static std::unique_ptr<DirectoryConnection> openFirst(const DirectorySettings& settings,
                                                          UnansweredServers& unanswered);

    ~DirectoryConnection();
    DirectoryConnection(const DirectoryConnection&) = delete;
    DirectoryConnection& operator=(const DirectoryConnection&) = delete;

    /// Simple bind; throws DirectoryError (invalidCredentials() for a wrong password).
    void bind(const std::string& dn, const std::string& password);

    /// Subtree search returning at most `sizeLimit` entries; `truncated` tells whether there
    /// were more. Throws DirectoryError.
    std::vector<Entry> search(const std::string& base, const std::string& filter,
                              const std::vector<std::string>& attributes, int sizeLimit,
                              bool* truncated = nullptr);

    const std::string& uri() const { return uri_; }
    /// Called by libldap once the TCP connection of the handle exists (see open()).
    void connected(int fd);

private:
    DirectoryConnection(LDAP* handle, std::string uri, std::chrono::seconds operationTimeout);
    std::string describe(int code, const std::string& action) const;

    LDAP* handle_;
    std::string uri_;
    std::chrono::seconds operationTimeout_;
    /// Registered with the handle, so it must live as long as the handle.
    ldap_conncb connectCallback_{};
    HandshakeWatchdog* watchdog_ = nullptr; ///< while connecting (see open())
    bool tcpConnected_ = false;             ///< the server accepted the TCP connection
};

} // namespace parley::ldap
