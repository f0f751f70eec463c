#include "directory_connection.h"

#include <ldap.h>

#include <algorithm>
#include <cstring>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace parley::ldap {
namespace {

timeval toTimeval(std::chrono::seconds seconds)
{
    return timeval{static_cast<time_t>(seconds.count()), 0};
}

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string diagnostic(LDAP* handle)
{
    char* message = nullptr;
    ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message);
    std::string text = message ? message : "";
    if (message)
        ldap_memfree(message);
    return text;
}

struct MessageFree
{
    void operator()(LDAPMessage* message) const { ldap_msgfree(message); }
};

} // namespace

// libldap bounds connect() by the network timeout and waits for results with the operation
// timeout, but Debian's build (GnuTLS) runs the TLS handshake on a blocking socket with no
// limit: a server that accepts and then says nothing would hang the caller for ever. While a
// connection is being set up, this watchdog shuts its socket down once the network timeout
// has passed, which makes the handshake fail at once.
class HandshakeWatchdog
{
public:
    explicit HandshakeWatchdog(std::chrono::seconds timeout)
        : thread_([this, timeout] {
              std::unique_lock lock(mutex_);
              if (!done_.wait_for(lock, timeout, [this] { return finished_; }) && fd_ >= 0)
                  ::shutdown(fd_, SHUT_RDWR);
          })
    {}
    ~HandshakeWatchdog()
    {
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
        }
        done_.notify_all();
        thread_.join();
    }
    void watch(int fd)
    {
        std::lock_guard lock(mutex_);
        fd_ = fd;
    }

private:
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    int fd_ = -1;
    std::thread thread_;
};

namespace {

int watchNewSocket(LDAP*, Sockbuf* sockbuf, LDAPURLDesc*, sockaddr*, ldap_conncb* context)
{
    auto* connection = static_cast<DirectoryConnection*>(context->lc_arg);
    int fd = -1;
    if (connection->watchdog() && ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &fd) == 1)
        connection->watchdog()->watch(fd);
    return 0;
}

void forgetSocket(LDAP*, Sockbuf*, ldap_conncb*) {}

} // namespace

bool DirectoryError::serverDown() const
{
    return code_ == LDAP_SERVER_DOWN || code_ == LDAP_CONNECT_ERROR || code_ == LDAP_TIMEOUT ||
           code_ == LDAP_UNAVAILABLE || code_ == LDAP_BUSY;
}

bool DirectoryError::invalidCredentials() const
{
    return code_ == LDAP_INVALID_CREDENTIALS;
}

std::string Entry::first(const std::string& attribute) const
{
    const auto found = attributes.find(lower(attribute));
    return found == attributes.end() || found->second.empty() ? std::string() : found->second.front();
}

DirectoryConnection::DirectoryConnection(LDAP* handle, std::string uri, std::chrono::seconds timeout)
    : handle_(handle), uri_(std::move(uri)), operationTimeout_(timeout)
{}

DirectoryConnection::~DirectoryConnection()
{
    ldap_unbind_ext_s(handle_, nullptr, nullptr);
}

std::string DirectoryConnection::describe(int code, const std::string& action) const
{
    auto text = action + " on " + uri_ + " failed: " + ldap_err2string(code);
    const auto detail = diagnostic(handle_);
    if (!detail.empty())
        text += " (" + detail + ")";
    return text;
}

std::unique_ptr<DirectoryConnection> DirectoryConnection::open(const DirectorySettings& settings,
                                                               const std::string& uri)
{
    LDAP* raw = nullptr;
    int rc = ldap_initialize(&raw, uri.c_str());
    if (rc != LDAP_SUCCESS || !raw)
        throw DirectoryError("'" + uri + "' is not a valid LDAP URI: " + ldap_err2string(rc), rc);
    std::unique_ptr<DirectoryConnection> connection(
        new DirectoryConnection(raw, uri, settings.operationTimeout));

    const int version = LDAP_VERSION3;
    ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(raw, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    const auto network = toTimeval(settings.networkTimeout);
    ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &network);
    const auto operation = toTimeval(settings.operationTimeout);
    ldap_set_option(raw, LDAP_OPT_TIMEOUT, &operation);
    // TLS options on this handle only, then a fresh TLS context built from them.
    const int requireCert = settings.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    ldap_set_option(raw, LDAP_OPT_X_TLS_REQUIRE_CERT, &requireCert);
    if (!settings.caFile.empty())
        ldap_set_option(raw, LDAP_OPT_X_TLS_CACERTFILE, settings.caFile.c_str());
    const int minimum = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    ldap_set_option(raw, LDAP_OPT_X_TLS_PROTOCOL_MIN, &minimum);
    const int newContext = 0;
    ldap_set_option(raw, LDAP_OPT_X_TLS_NEWCTX, &newContext);
    connection->connectCallback_ = {&watchNewSocket, &forgetSocket, connection.get()};
    ldap_set_option(raw, LDAP_OPT_CONNECT_CB, &connection->connectCallback_);
    HandshakeWatchdog watchdog(settings.networkTimeout);
    connection->watchdog_ = &watchdog;
    struct Forget
    {
        DirectoryConnection& c;
        ~Forget() { c.watchdog_ = nullptr; }
    } forget{*connection};

    const bool ldaps = uri.rfind("ldaps://", 0) == 0;
    rc = ldap_connect(raw);
    if (rc != LDAP_SUCCESS) {
        // libldap has closed the socket; its number may be reused by anyone from now on.
        watchdog.watch(-1);
        throw DirectoryError(connection->describe(rc, ldaps ? "connecting with TLS" : "connecting"), rc);
    }
    if (!ldaps && !settings.allowPlain) {
        rc = ldap_start_tls_s(raw, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            watchdog.watch(-1);
            throw DirectoryError(connection->describe(rc, "StartTLS"), rc);
        }
    }
    watchdog.watch(-1); // set up: from here on the operation timeout applies
    return connection;
}

std::unique_ptr<DirectoryConnection> DirectoryConnection::openFirst(const DirectorySettings& settings)
{
    if (settings.uris.empty())
        throw DirectoryError("no directory URI is configured", LDAP_PARAM_ERROR);
    std::string errors;
    int lastCode = LDAP_SERVER_DOWN;
    for (const auto& uri : settings.uris) {
        try {
            return open(settings, uri);
        }
        catch (const DirectoryError& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
            lastCode = e.code();
        }
    }
    throw DirectoryError(errors, lastCode);
}

void DirectoryConnection::bind(const std::string& dn, const std::string& password)
{
    berval credentials{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
    const int rc = ldap_sasl_bind_s(handle_, dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr,
                                    nullptr, nullptr);
    if (rc != LDAP_SUCCESS)
        throw DirectoryError(describe(rc, "bind as " + dn), rc);
}

std::vector<Entry> DirectoryConnection::search(const std::string& base, const std::string& filter,
                                               const std::vector<std::string>& attributes,
                                               int sizeLimit, bool* truncated)
{
    std::vector<char*> names;
    for (const auto& attribute : attributes)
        names.push_back(const_cast<char*>(attribute.c_str()));
    names.push_back(nullptr);
    auto timeout = toTimeval(operationTimeout_);
    LDAPMessage* raw = nullptr;
    const int rc = ldap_search_ext_s(handle_, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(),
                                     names.data(), 0, nullptr, nullptr, &timeout, sizeLimit, &raw);
    std::unique_ptr<LDAPMessage, MessageFree> result(raw);
    if (truncated)
        *truncated = rc == LDAP_SIZELIMIT_EXCEEDED;
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
        throw DirectoryError(describe(rc, "search of '" + base + "'"), rc);

    std::vector<Entry> entries;
    for (LDAPMessage* message = ldap_first_entry(handle_, raw); message;
         message = ldap_next_entry(handle_, message)) {
        Entry entry;
        char* dn = ldap_get_dn(handle_, message);
        entry.dn = dn ? dn : "";
        ldap_memfree(dn);
        for (const auto& attribute : attributes) {
            berval** values = ldap_get_values_len(handle_, message, attribute.c_str());
            auto& list = entry.attributes[lower(attribute)];
            for (int i = 0; values && values[i]; ++i)
                list.emplace_back(values[i]->bv_val, values[i]->bv_len);
            if (values)
                ldap_value_free_len(values);
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

bool reachable(const std::string& uri, std::chrono::seconds timeout, std::string& error)
{
    LDAPURLDesc* description = nullptr;
    if (ldap_url_parse(uri.c_str(), &description) != LDAP_URL_SUCCESS) {
        error = "'" + uri + "' is not a valid LDAP URI";
        return false;
    }
    const std::string host = description->lud_host ? description->lud_host : "localhost";
    const int port = description->lud_port ? description->lud_port
                                           : (uri.rfind("ldaps://", 0) == 0 ? 636 : 389);
    ldap_free_urldesc(description);

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* addresses = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses) != 0) {
        error = "cannot resolve host '" + host + "'";
        return false;
    }
    bool ok = false;
    error = "no answer from " + host + ":" + std::to_string(port) + " within " +
            std::to_string(timeout.count()) + " s";
    for (addrinfo* a = addresses; a && !ok; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            ok = true;
        }
        else if (errno == EINPROGRESS) {
            pollfd waiting{fd, POLLOUT, 0};
            if (::poll(&waiting, 1, static_cast<int>(timeout.count() * 1000)) == 1) {
                int socketError = 0;
                socklen_t length = sizeof socketError;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length);
                ok = socketError == 0;
                if (!ok)
                    error = host + ":" + std::to_string(port) + ": " + std::strerror(socketError);
            }
        }
        else {
            error = host + ":" + std::to_string(port) + ": " + std::strerror(errno);
        }
        ::close(fd);
    }
    freeaddrinfo(addresses);
    return ok;
}

} // namespace parley::ldap
