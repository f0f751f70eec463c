#include <parley/portal/http/server_certificate.h>
#include <parley/router/dtls_certificate.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <Poco/Net/IPAddress.h>

#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace parley::portal {
namespace {

namespace fs = std::filesystem;

constexpr long kValidityDays = 397; // the longest lifetime browsers accept for a leaf
constexpr const char* kCertificateName = "selfsigned.crt";
constexpr const char* kKeyName = "selfsigned.key";

template <auto Free>
struct Deleter
{
    template <typename T>
    void operator()(T* p) const
    {
        Free(p);
    }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BigNum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using File = std::unique_ptr<FILE, Deleter<std::fclose>>;

File openFile(const fs::path& path, const char* mode)
{
    File file(std::fopen(path.c_str(), mode));
    if (!file)
        throw std::runtime_error("cannot open " + path.string());
    return file;
}

// Created exclusively with its final permissions, so the key is never readable by others,
// not even for a moment.
File createPrivateFile(const fs::path& path)
{
    fs::remove(path);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot create " + path.string());
    File file(::fdopen(fd, "w"));
    if (!file) {
        ::close(fd);
        throw std::runtime_error("cannot open " + path.string());
    }
    return file;
}

Certificate readCertificate(const fs::path& path)
{
    File file(std::fopen(path.c_str(), "r"));
    if (!file)
        return nullptr;
    Certificate cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return cert;
}

PKey readPrivateKey(const fs::path& path)
{
    File file(std::fopen(path.c_str(), "r"));
    if (!file)
        return nullptr;
    PKey key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
    ERR_clear_error(); // a failed parse must not leave errors for the next TLS call
    return key;
}

// A usable pair: both files parse, the key belongs to the certificate (a crash between the
// two renames below could leave a new key beside an old certificate), and it has not expired.
bool stillValid(const fs::path& certificate, const fs::path& key)
{
    const auto cert = readCertificate(certificate);
    const auto privateKey = readPrivateKey(key);
    if (!cert || !privateKey || X509_check_private_key(cert.get(), privateKey.get()) != 1)
        return false;
    // X509_cmp_current_time: -1 when notAfter is in the past (0 on a parse error).
    return X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0;
}

void addExtension(X509* cert, int nid, const std::string& value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || X509_add_ext(cert, extension.get(), -1) != 1)
        throw std::runtime_error("cannot add certificate extension " + value);
}

std::string subjectAltNames(const std::vector<std::string>& extraNames)
{
    std::string names = "DNS:localhost,IP:127.0.0.1,IP:::1";
    for (const auto& name : extraNames) {
        if (name.empty() || name == "localhost" || name == "127.0.0.1" || name == "::1" ||
            name.find_first_of(",\n") != std::string::npos)
            continue;
        Poco::Net::IPAddress address;
        const bool isIp = Poco::Net::IPAddress::tryParse(name, address);
        if (isIp && address.isWildcard())
            continue;
        names += (isIp ? ",IP:" : ",DNS:") + name;
    }
    return names;
}

Certificate makeCertificate(EVP_PKEY* key, const std::vector<std::string>& extraNames)
{
    Certificate cert(X509_new());
    if (!cert)
        throw std::runtime_error("out of memory creating a certificate");
    X509_set_version(cert.get(), 2); // X.509 v3

    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        throw std::runtime_error("the random generator failed");
    serial[0] &= 0x7f; // a positive serial number
    BigNum serialNumber(BN_bin2bn(serial, sizeof serial, nullptr));
    BN_to_ASN1_INTEGER(serialNumber.get(), X509_get_serialNumber(cert.get()));

    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidityDays * 24 * 3600);

    X509_NAME* name = X509_get_subject_name(cert.get());
    const std::string commonName = extraNames.empty() ? "localhost" : extraNames.front();
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Parley (self-signed)"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key);

    addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), NID_key_usage, "critical,digitalSignature");
    addExtension(cert.get(), NID_ext_key_usage, "serverAuth");
    addExtension(cert.get(), NID_subject_alt_name, subjectAltNames(extraNames));
    addExtension(cert.get(), NID_subject_key_identifier, "hash");

    if (X509_sign(cert.get(), key, EVP_sha256()) == 0)
        throw std::runtime_error("cannot sign the self-signed certificate");
    return cert;
}

} // namespace

CertificateFiles selfSignedCertificateFiles(const fs::path& directory)
{
    return {directory / kCertificateName, directory / kKeyName, false};
}

CertificateFiles ensureSelfSignedCertificate(const fs::path& directory,
                                             const std::vector<std::string>& extraNames)
{
    CertificateFiles files = selfSignedCertificateFiles(directory);
    if (stillValid(files.certificate, files.privateKey))
        return files;

    fs::create_directories(directory);
    fs::permissions(directory, fs::perms::owner_all, fs::perm_options::replace);

    PKey key(EVP_EC_gen("P-256"));
    if (!key)
        throw std::runtime_error("cannot generate an ECDSA P-256 key");
    const auto cert = makeCertificate(key.get(), extraNames);

    const auto keyTemp = fs::path(files.privateKey).concat(".new");
    const auto certTemp = fs::path(files.certificate).concat(".new");
    {
        auto out = createPrivateFile(keyTemp);
        if (PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
            std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0)
            throw std::runtime_error("cannot write " + keyTemp.string());
    }
    {
        auto out = openFile(certTemp, "w");
        if (PEM_write_X509(out.get(), cert.get()) != 1 || std::fflush(out.get()) != 0 ||
            ::fsync(::fileno(out.get())) != 0)
            throw std::runtime_error("cannot write " + certTemp.string());
    }
    fs::rename(keyTemp, files.privateKey);
    fs::rename(certTemp, files.certificate);
    files.created = true;
    return files;
}

std::string certificateFingerprint(const fs::path& pemFile)
{
    const auto cert = readCertificate(pemFile);
    if (!cert)
        throw std::runtime_error("cannot read a PEM certificate from " + pemFile.string());
    return router::sha256Fingerprint(cert.get());
}

} // namespace parley::portal
