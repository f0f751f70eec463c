#include <parley/portal/http/certificate_chain.h>

#include <parley/router/dtls_certificate.h>

#include <Poco/Net/IPAddress.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>

namespace parley::portal {
namespace {

using Clock = std::chrono::system_clock;

struct BioFree
{
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

struct StoreFree
{
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreContextFree
{
    void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

Bio memoryBio(const std::string& text)
{
    Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio)
        throw std::bad_alloc();
    return bio;
}

CertificateRejected invalidPem(const std::string& message)
{
    ERR_clear_error(); // the next TLS call must not see our parse errors
    return CertificateRejected("invalid_pem", message);
}

/// One PEM block as PEM_read_bio found it.
struct PemBlock
{
    std::string name;
    std::string header;
    std::string der;
};

/// The PEM blocks of `text` in order; text around them is ignored (as OpenSSL does). Throws
/// invalid_pem for a block that starts but does not end, or whose base64 is broken.
std::vector<PemBlock> pemBlocks(const std::string& text, const char* what)
{
    auto bio = memoryBio(text);
    std::vector<PemBlock> blocks;
    for (;;) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long length = 0;
        if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
            const auto error = ERR_peek_last_error();
            ERR_clear_error();
            if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE)
                return blocks; // no further block: the normal end
            throw invalidPem(std::string(what) + ": PEM block " + std::to_string(blocks.size() + 1) +
                             " is truncated or its base64 is broken");
        }
        PemBlock block{name, header, std::string(reinterpret_cast<char*>(data), static_cast<std::size_t>(length))};
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        blocks.push_back(std::move(block));
        if (blocks.size() > 2 * kMaxChainCertificates)
            throw invalidPem(std::string(what) + " holds more than " +
                             std::to_string(2 * kMaxChainCertificates) + " PEM blocks");
    }
}

std::shared_ptr<X509> certificateFromDer(const std::string& der, std::size_t index)
{
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    X509* parsed = d2i_X509(nullptr, &cursor, static_cast<long>(der.size()));
    std::shared_ptr<X509> certificate(parsed, X509_free);
    if (!parsed || cursor != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
        throw invalidPem("certificateChain: certificate " + std::to_string(index) +
                         " is not a valid X.509 certificate");
    return certificate;
}

// Never prompt on the server's terminal for an encrypted key.
int noPassphrase(char*, int, int, void*)
{
    return -1;
}

/// The one private key in `keyPem`; `strict`: no other block beside it (an upload),
/// otherwise certificates beside it are ignored (a file may hold both).
std::shared_ptr<EVP_PKEY> privateKeyFrom(const std::string& keyPem, bool strict)
{
    const auto blocks = pemBlocks(keyPem, "privateKey");
    int keys = 0;
    for (const auto& block : blocks) {
        if (block.name == "ENCRYPTED PRIVATE KEY" || block.header.find("ENCRYPTED") != std::string::npos)
            throw invalidPem("privateKey is encrypted; send it decrypted (openssl pkey -in key.pem "
                             "-out plain.pem); it is stored readable only by the server");
        if (block.name == "PRIVATE KEY" || block.name == "RSA PRIVATE KEY" || block.name == "EC PRIVATE KEY")
            ++keys;
        else if (strict && block.name != "EC PARAMETERS")
            throw invalidPem("privateKey holds a '" + block.name.substr(0, 40) +
                             "' block; send only the private key");
    }
    if (keys != 1)
        throw invalidPem(keys == 0 ? "privateKey holds no PEM private key ('-----BEGIN PRIVATE KEY-----')"
                                   : "privateKey holds more than one private key");
    auto bio = memoryBio(keyPem);
    std::shared_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr),
                                  EVP_PKEY_free);
    if (!key)
        throw invalidPem("privateKey is not a valid private key");
    ERR_clear_error();
    return key;
}

std::string nameText(const X509_NAME* name)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        return {};
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

Clock::time_point timeOf(const ASN1_TIME* time)
{
    std::tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1)
        return Clock::time_point{};
    return Clock::from_time_t(timegm(&parts));
}

std::string isoTime(Clock::time_point time)
{
    const auto seconds = Clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

std::string describe(X509* certificate, std::size_t index)
{
    return "certificate " + std::to_string(index) + " (" + nameText(X509_get_subject_name(certificate)) + ")";
}

/// Whether `issuer` issued `subject` and its signature on it verifies.
bool issuedBy(X509* subject, X509* issuer)
{
    const bool issued = X509_check_issued(issuer, subject) == X509_V_OK &&
                        X509_verify(subject, X509_get0_pubkey(issuer)) == 1;
    ERR_clear_error();
    return issued;
}

/// Whether `certificate` names itself as issuer and its signature verifies with its own key
/// (a root, or a self-signed leaf, which need not be allowed to sign certificates).
bool signedByItself(X509* certificate)
{
    const bool self = X509_NAME_cmp(X509_get_subject_name(certificate), X509_get_issuer_name(certificate)) == 0 &&
                      X509_verify(certificate, X509_get0_pubkey(certificate)) == 1;
    ERR_clear_error();
    return self;
}

/// Whether a CA in the system trust store (OpenSSL's default paths) issued `certificate`.
bool issuedBySystemCa(X509* certificate)
{
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    std::unique_ptr<X509_STORE_CTX, StoreContextFree> context(X509_STORE_CTX_new());
    if (!store || !context || X509_STORE_set_default_paths(store.get()) != 1 ||
        X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr) != 1) {
        ERR_clear_error();
        return false;
    }
    X509* issuer = nullptr;
    const bool found = X509_STORE_CTX_get1_issuer(&issuer, context.get(), certificate) == 1 && issuer;
    const bool signedByIt = found && X509_verify(certificate, X509_get0_pubkey(issuer)) == 1;
    X509_free(issuer);
    ERR_clear_error();
    return signedByIt;
}

void checkKey(EVP_PKEY* key)
{
    const int type = EVP_PKEY_get_base_id(key);
    if (type == EVP_PKEY_RSA) {
        if (EVP_PKEY_get_bits(key) < 2048)
            throw CertificateRejected("unsupported_key", "the RSA key has " + std::to_string(EVP_PKEY_get_bits(key)) +
                                                             " bits; at least 2048 are required");
        return;
    }
    if (type == EVP_PKEY_EC) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) == 1 &&
            (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "secp384r1") == 0))
            return;
        ERR_clear_error();
        throw CertificateRejected("unsupported_key", std::string("the EC key is on curve '") + group +
                                                         "'; P-256 or P-384 are required");
    }
    throw CertificateRejected("unsupported_key", "the key must be RSA (2048 bits or more) or EC on P-256 or P-384");
}

} // namespace

CertificateChain CertificateChain::fromPem(const std::string& chainPem, const std::string& keyPem)
{
    return parse(chainPem, keyPem, true);
}

CertificateChain CertificateChain::fromFileContents(const std::string& chainPem, const std::string& keyPem)
{
    return parse(chainPem, keyPem, false);
}

CertificateChain CertificateChain::parse(const std::string& chainPem, const std::string& keyPem, bool strict)
{
    if (chainPem.size() > kMaxChainPemBytes + kMaxKeyPemBytes)
        throw invalidPem("certificateChain is larger than " + std::to_string(kMaxChainPemBytes) + " bytes");
    if (keyPem.size() > kMaxChainPemBytes + kMaxKeyPemBytes)
        throw invalidPem("privateKey is larger than " + std::to_string(kMaxKeyPemBytes) + " bytes");
    if (strict && chainPem.size() > kMaxChainPemBytes)
        throw invalidPem("certificateChain is larger than " + std::to_string(kMaxChainPemBytes) + " bytes");
    if (strict && keyPem.size() > kMaxKeyPemBytes)
        throw invalidPem("privateKey is larger than " + std::to_string(kMaxKeyPemBytes) + " bytes");
    CertificateChain chain;
    std::size_t index = 0;
    for (const auto& block : pemBlocks(chainPem, "certificateChain")) {
        if (!strict && block.name != "CERTIFICATE")
            continue;
        ++index;
        if (block.name != "CERTIFICATE")
            throw invalidPem("certificateChain block " + std::to_string(index) + " is '" + block.name.substr(0, 40) +
                             "'; it must hold only certificates ('-----BEGIN CERTIFICATE-----'), the key goes in privateKey");
        chain.certificates_.push_back(certificateFromDer(block.der, index));
    }
    if (chain.certificates_.empty())
        throw invalidPem("certificateChain holds no PEM certificate ('-----BEGIN CERTIFICATE-----')");
    if (chain.certificates_.size() > kMaxChainCertificates)
        throw invalidPem("certificateChain holds more than " + std::to_string(kMaxChainCertificates) + " certificates");
    chain.key_ = privateKeyFrom(keyPem, strict);
    if (X509_check_private_key(chain.leaf(), chain.key()) != 1) {
        ERR_clear_error();
        throw CertificateRejected("key_mismatch", "privateKey does not belong to the first certificate of "
                                                  "certificateChain (the leaf, " + chain.subject() + ")");
    }
    chain.intermediates_.reset(sk_X509_new_null(), [](STACK_OF(X509) * stack) { sk_X509_free(stack); });
    if (!chain.intermediates_)
        throw std::bad_alloc();
    // The stack borrows the certificates: `certificates_` owns them for as long as it lives.
    for (std::size_t i = 1; i < chain.certificates_.size(); ++i)
        sk_X509_push(chain.intermediates_.get(), chain.certificates_[i].get());
    return chain;
}

void CertificateChain::checkForService(Clock::time_point now) const
{
    checkKey(key());

    for (std::size_t i = 0; i + 1 < certificates_.size(); ++i) {
        if (!issuedBy(certificates_[i].get(), certificates_[i + 1].get()))
            throw CertificateRejected(
                "chain_incomplete",
                describe(certificates_[i].get(), i + 1) + " is not issued by the next one, " +
                    describe(certificates_[i + 1].get(), i + 2) +
                    ": send the leaf first, then each certificate's issuer, in order");
    }
    X509* last = certificates_.back().get();
    if (!signedByItself(last) && !issuedBySystemCa(last))
        throw CertificateRejected(
            "chain_incomplete",
            describe(last, certificates_.size()) + " is issued by '" + nameText(X509_get_issuer_name(last)) +
                "', which is neither in the chain nor a CA this server trusts: add the intermediate "
                "certificates your CA provided (and, for a private CA, its root)");

    if (names().empty())
        throw CertificateRejected("no_names", "the certificate names no DNS name or IP address (subjectAltName); "
                                              "browsers accept no other");

    const auto nowSeconds = Clock::to_time_t(now);
    for (std::size_t i = 0; i < certificates_.size(); ++i) {
        X509* certificate = certificates_[i].get();
        if (X509_cmp_time(X509_get0_notAfter(certificate), const_cast<time_t*>(&nowSeconds)) <= 0)
            throw CertificateRejected("expired", describe(certificate, i + 1) + " expired on " +
                                                     isoTime(timeOf(X509_get0_notAfter(certificate))));
        if (X509_cmp_time(X509_get0_notBefore(certificate), const_cast<time_t*>(&nowSeconds)) > 0)
            throw CertificateRejected("not_yet_valid", describe(certificate, i + 1) + " is valid only from " +
                                                           isoTime(timeOf(X509_get0_notBefore(certificate))));
    }
}

std::string CertificateChain::subject() const
{
    return nameText(X509_get_subject_name(leaf()));
}

std::string CertificateChain::issuer() const
{
    return nameText(X509_get_issuer_name(leaf()));
}

std::vector<std::string> CertificateChain::names() const
{
    std::vector<std::string> result;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf(), NID_subject_alt_name, nullptr, nullptr));
    if (!names)
        return result;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS) {
            const auto* text = name->d.dNSName;
            result.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                static_cast<std::size_t>(ASN1_STRING_length(text)));
        }
        else if (name->type == GEN_IPADD) {
            const auto* bytes = name->d.iPAddress;
            const int length = ASN1_STRING_length(bytes);
            if (length == 4 || length == 16)
                result.push_back(Poco::Net::IPAddress(ASN1_STRING_get0_data(bytes), length).toString());
        }
    }
    GENERAL_NAMES_free(names);
    return result;
}

Clock::time_point CertificateChain::notBefore() const
{
    return timeOf(X509_get0_notBefore(leaf()));
}

Clock::time_point CertificateChain::notAfter() const
{
    return timeOf(X509_get0_notAfter(leaf()));
}

std::string CertificateChain::fingerprintSha256() const
{
    return router::sha256Fingerprint(leaf());
}

bool CertificateChain::selfSigned() const
{
    return signedByItself(leaf());
}

bool CertificateChain::covers(const std::string& host) const
{
    std::string name = host;
    if (name.size() > 2 && name.front() == '[' && name.back() == ']')
        name = name.substr(1, name.size() - 2);
    Poco::Net::IPAddress address;
    const bool covered = Poco::Net::IPAddress::tryParse(name, address)
                             ? X509_check_ip_asc(leaf(), name.c_str(), 0) == 1
                             : X509_check_host(leaf(), name.data(), name.size(), 0, nullptr) == 1;
    ERR_clear_error();
    return covered;
}

std::string CertificateChain::pem() const
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio)
        throw std::bad_alloc();
    for (const auto& certificate : certificates_)
        if (PEM_write_bio_X509(bio.get(), certificate.get()) != 1)
            throw std::runtime_error("cannot write a certificate as PEM");
    if (PEM_write_bio_PrivateKey(bio.get(), key(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write the private key as PEM");
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

} // namespace parley::portal
