#include "certificate_diagnosis.h"

#include "start_tls_exchange.h"
#include "tcp_probe.h"

#include <ldap.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <sys/socket.h>
#include <vector>

namespace parley::ldap {
namespace {

// An LDAP response to StartTLS is a few dozen bytes; more is not a directory talking.
constexpr std::size_t kMaxStartTlsResponse = 16 * 1024;

struct SslCtxFree
{
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree
{
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct StoreFree
{
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree
{
    void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct BioFree
{
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct NamesFree
{
    void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

bool isIpAddress(const std::string& host)
{
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string nameText(const X509_NAME* name)
{
    const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!name || !bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        return "(unreadable name)";
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string timeText(const ASN1_TIME* time)
{
    std::tm tm{};
    if (!time || ASN1_TIME_to_tm(time, &tm) != 1)
        return "(unreadable date)";
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return text;
}

// The DNS names and IP addresses the certificate is for (its subjectAltName, or else its CN).
std::string namesOf(X509* certificate)
{
    std::string names;
    const auto add = [&names](const std::string& name) { names += (names.empty() ? "" : ", ") + name; };
    const std::unique_ptr<GENERAL_NAMES, NamesFree> altNames(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; altNames && i < sk_GENERAL_NAME_num(altNames.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(altNames.get(), i);
        if (name->type == GEN_DNS) {
            const auto* text = name->d.dNSName;
            add(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                            static_cast<std::size_t>(ASN1_STRING_length(text))));
        }
        else if (name->type == GEN_IPADD) {
            const auto* bytes = name->d.iPAddress;
            char text[INET6_ADDRSTRLEN] = "";
            const int family = ASN1_STRING_length(bytes) == 4 ? AF_INET : AF_INET6;
            if (ASN1_STRING_length(bytes) == 4 || ASN1_STRING_length(bytes) == 16)
                inet_ntop(family, ASN1_STRING_get0_data(bytes), text, sizeof text);
            add(*text ? text : "(malformed IP address)");
        }
    }
    if (names.empty()) {
        const X509_NAME* subject = X509_get_subject_name(certificate);
        const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
        if (at >= 0) {
            const auto* text = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
            add(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                            static_cast<std::size_t>(ASN1_STRING_length(text))) + " (common name only)");
        }
    }
    return names.empty() ? "no host at all" : names;
}

std::string lastOpenSslError()
{
    const unsigned long code = ERR_peek_last_error();
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    ERR_clear_error();
    return reason ? reason : "";
}

// Sends StartTLS and reads the answer; "" when the server agreed, otherwise why not.
std::string startTls(const TcpSocket& socket, const std::string& where, std::chrono::seconds timeout)
{
    const auto request = startTlsRequest();
    if (::send(socket.fd(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        return "sending StartTLS to " + where + " failed: " + std::strerror(errno);
    std::string response;
    char buffer[4096];
    for (;;) {
        const auto size = ldapMessageSize(response, kMaxStartTlsResponse);
        if (!size)
            return where + " answered StartTLS with something that is not LDAP; check that the URI's "
                           "port is the directory's";
        if (*size > 0 && response.size() >= *size) {
            response.resize(*size);
            break;
        }
        const ssize_t got = ::recv(socket.fd(), buffer, sizeof buffer, 0);
        if (got == 0)
            return where + " closed the connection instead of answering StartTLS";
        if (got < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK
                       ? where + " did not answer StartTLS within " + std::to_string(timeout.count()) + " s"
                       : "reading the StartTLS answer from " + where + " failed: " + std::strerror(errno);
        response.append(buffer, static_cast<std::size_t>(got));
    }
    const auto code = extendedResultCode(response);
    if (!code)
        return where + " answered StartTLS with something that is not an LDAP extended response; "
                       "check that the URI's port is the directory's";
    if (*code != LDAP_SUCCESS)
        return where + " refused StartTLS (" + ldap_err2string(*code) +
               "): the directory has no TLS certificate configured, or wants ldaps://";
    return {};
}

struct VerifyProblem
{
    int error;
    int depth;
    std::string subject;
    std::string issuer;
    std::string notBefore;
    std::string notAfter;
};

int collectProblem(int ok, X509_STORE_CTX* ctx)
{
    if (!ok) {
        auto& problems = *static_cast<std::vector<VerifyProblem>*>(X509_STORE_CTX_get_app_data(ctx));
        X509* current = X509_STORE_CTX_get_current_cert(ctx);
        problems.push_back({X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx),
                            current ? nameText(X509_get_subject_name(current)) : "",
                            current ? nameText(X509_get_issuer_name(current)) : "",
                            current ? timeText(X509_get0_notBefore(current)) : "",
                            current ? timeText(X509_get0_notAfter(current)) : ""});
    }
    return 1; // go on, to find every problem, not just the first
}

std::string describe(const VerifyProblem& p, const std::string& host, X509* leaf, const DirectorySettings& s)
{
    const std::string certificate =
        p.depth == 0 ? "the certificate of " + host : "the CA certificate \"" + p.subject + "\" in the chain of " + host;
    const std::string trusted = s.caFile.empty() ? " (the system CAs are used now)"
                                                 : " (ldap.ca_file is now " + s.caFile + ", which does not hold it)";
    switch (p.error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "the certificate of " + host + " names only " + namesOf(leaf) +
               "; give the directory a certificate that names " + host +
               ", or put a name it holds in the URI";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
        return "the certificate of " + host + " is issued by \"" + p.issuer +
               "\", a CA the server does not trust: set ldap.ca_file to a PEM file that holds that CA" +
               trusted;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return "the certificate of " + host + " is self-signed (\"" + p.subject +
               "\") and not trusted: set ldap.ca_file to a PEM file that holds it, or give the "
               "directory a certificate from your CA";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return certificate + " expired on " + p.notAfter + "; the directory needs a renewed certificate";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return certificate + " is not valid before " + p.notBefore + "; check the clocks of both servers";
    default:
        return certificate + " fails verification: " + X509_verify_cert_error_string(p.error);
    }
}

std::string verify(const DirectorySettings& s, const std::string& host, X509* leaf, STACK_OF(X509) * chain)
{
    const std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    if (!store)
        throw std::bad_alloc();
    if (!s.caFile.empty()) {
        if (X509_STORE_load_file(store.get(), s.caFile.c_str()) != 1) {
            ERR_clear_error();
            return "ldap.ca_file " + s.caFile + " cannot be read or holds no PEM certificate";
        }
    }
    else {
        X509_STORE_set_default_paths(store.get());
    }
    const std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain) != 1)
        throw std::bad_alloc();
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (isIpAddress(host))
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    std::vector<VerifyProblem> problems;
    X509_STORE_CTX_set_app_data(ctx.get(), &problems);
    X509_STORE_CTX_set_verify_cb(ctx.get(), &collectProblem);
    X509_verify_cert(ctx.get());
    ERR_clear_error();

    std::vector<std::string> messages;
    for (const auto& problem : problems) {
        auto message = describe(problem, host, leaf, s);
        if (std::find(messages.begin(), messages.end(), message) == messages.end())
            messages.push_back(std::move(message));
    }
    std::string text;
    for (const auto& message : messages)
        text += (text.empty() ? "" : "; and ") + message;
    return text;
}

} // namespace

std::string diagnoseTls(const DirectorySettings& settings, const std::string& uri)
{
    ServerAddress address;
    std::string error;
    if (!parseServerAddress(uri, address, error))
        return error;
    const auto where = address.host + ":" + std::to_string(address.port);
    const auto socket = connectTcp(address, settings.networkTimeout, error);
    if (!socket)
        return "a second connection to look at the certificate failed: " + error;
    if (!address.ldaps) {
        error = startTls(socket, where, settings.networkTimeout);
        if (!error.empty())
            return error;
    }

    const std::unique_ptr<SSL_CTX, SslCtxFree> context(SSL_CTX_new(TLS_client_method()));
    if (!context)
        throw std::bad_alloc();
    SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
    // The chain is verified below, by hand, to name every problem instead of the first.
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    const std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));
    if (!ssl || SSL_set_fd(ssl.get(), socket.fd()) != 1)
        throw std::bad_alloc();
    if (!isIpAddress(address.host))
        SSL_set_tlsext_host_name(ssl.get(), address.host.c_str());
    errno = 0;
    if (SSL_connect(ssl.get()) != 1) {
        const auto reason = lastOpenSslError();
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return where + " did not finish the TLS handshake within " +
                   std::to_string(settings.networkTimeout.count()) + " s";
        return "the TLS handshake with " + where + " failed" + (reason.empty() ? "" : " (" + reason + ")") +
               (address.ldaps ? "; check that the port speaks TLS (ldaps://, usually 636)"
                              : "; check that the directory offers TLS 1.2 or later");
    }
    X509* leaf = SSL_get0_peer_certificate(ssl.get());
    if (!leaf)
        return where + " sent no certificate";
    if (!settings.verifyCertificate)
        return {};
    return verify(settings, address.host, leaf, SSL_get_peer_cert_chain(ssl.get()));
}

} // namespace parley::ldap
