#include "directory_connection.h"

#include "unanswered_servers.h"

#include <ldap.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <sys/socket.h>
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
// has passed, which makes the handshake fail at once. It also remembers that the time ran
// out, so that the failure is reported as "did not answer", not as a TLS problem.
class HandshakeWatchdog
{
public:
    explicit HandshakeWatchdog(std::chrono::seconds timeout)
        : thread_([this, timeout] {
              std::unique_lock lock(mutex_);
              if (done_.wait_for(lock, timeout, [this] { return finished_; }))
                  return;
              expired_ = true;
              if (fd_ >= 0)
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
    /// Whether the timeout passed before the set-up finished.
    bool expired()
    {
        std::lock_guard lock(mutex_);
        return expired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    bool expired_ = false;
    int fd_ = -1;
    std::thread thread_;
};

namespace {

/// The longest LDAP message read from a server. libldap has no limit for clients, so an
/// answer that claims to be 4 GB long would make it allocate that much before reading on.
constexpr ber_len_t kMaxIncomingBytes = 16 * 1024 * 1024;

// libldap calls this once connect() succeeded, before any TLS.
int watchNewSocket(LDAP*, Sockbuf* sockbuf, LDAPURLDesc*, sockaddr*, ldap_conncb* context)
{
    ber_len_t maxIncoming = kMaxIncomingBytes;
    ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_SET_MAX_INCOMING, &maxIncoming);
    int fd = -1;
    if (ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &fd) == 1)
        static_cast<DirectoryConnection*>(context->lc_arg)->connected(fd);
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

DirectoryError DirectoryError::withoutDetail(const std::string& step) const
{
    return DirectoryError(step + " failed: " + ldap_err2string(code_) + " (LDAP result " + std::to_string(code_) + ")",
                          code_, setup_);
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

void DirectoryConnection::connected(int fd)
{
    tcpConnected_ = true;
    if (watchdog_)
        watchdog_->watch(fd);
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
    const auto started = std::chrono::steady_clock::now();
    // A failure after the network timeout is the server's silence, whatever libldap calls it
    // (a GnuTLS "non-properly terminated" connection, "Can't contact LDAP server", a timeout).
    const auto silent = [&] {
        return watchdog.expired() || std::chrono::steady_clock::now() - started >= settings.networkTimeout;
    };
    const auto noAnswer = [&](int code, std::chrono::seconds waited) {
        return DirectoryError(uri + " did not answer within " + std::to_string(waited.count()) + " s" +
                                  (connection->tcpConnected_ ? ": it accepted the TCP connection, then sent nothing"
                                                             : ": the TCP connection was not accepted"),
                              code, SetupFailure::NoAnswer);
    };
    rc = ldap_connect(raw);
    if (rc != LDAP_SUCCESS) {
        // libldap has closed the socket; its number may be reused by anyone from now on.
        watchdog.watch(-1);
        if (silent())
            throw noAnswer(rc, settings.networkTimeout);
        // Over ldaps:// a refused TCP connection and a failed handshake have the same code;
        // whether libldap reported the TCP connection tells them apart.
        const bool tls = ldaps && connection->tcpConnected_;
        throw DirectoryError(connection->describe(rc, tls ? "TLS handshake" : "connecting"), rc,
                             tls ? SetupFailure::Tls : SetupFailure::Unreachable);
    }
    if (!ldaps && !settings.allowPlain) {
        rc = ldap_start_tls_s(raw, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            watchdog.watch(-1);
            if (silent())
                throw noAnswer(rc, settings.networkTimeout);
            if (rc == LDAP_TIMEOUT) // the StartTLS request's own (operation) timeout
                throw noAnswer(rc, settings.operationTimeout);
            throw DirectoryError(connection->describe(rc, "StartTLS"), rc, SetupFailure::Tls);
        }
    }
    watchdog.watch(-1); // set up: from here on the operation timeout applies
    return connection;
}

std::unique_ptr<DirectoryConnection> DirectoryConnection::openFirst(const DirectorySettings& settings,
                                                                    UnansweredServers& unanswered)
{
    if (settings.uris.empty())
        throw DirectoryError("no directory URI is configured", LDAP_PARAM_ERROR);
    std::string errors;
    int lastCode = LDAP_SERVER_DOWN;
    auto lastSetup = SetupFailure::Unreachable;
    for (const auto& uri : unanswered.order(settings.uris, UnansweredServers::Clock::now())) {
        try {
            auto connection = open(settings, uri);
            unanswered.answered(uri);
            return connection;
        }
        catch (const DirectoryError& e) {
            if (e.setup() == SetupFailure::NoAnswer)
                unanswered.noAnswer(uri, UnansweredServers::Clock::now());
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
            lastCode = e.code();
            lastSetup = e.setup();
        }
    }
    throw DirectoryError(errors, lastCode, lastSetup);
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

} // namespace parley::ldap
