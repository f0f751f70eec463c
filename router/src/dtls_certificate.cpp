#include <parley/router/dtls_certificate.h>

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace parley::router {

std::string sha256Fingerprint(X509* certificate)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
        throw std::runtime_error("cannot hash the DTLS certificate");
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        if (i)
            text += ':';
        text += kHex[digest[i] >> 4];
        text += kHex[digest[i] & 0xf];
    }
    return text;
}

DtlsCertificate DtlsCertificate::generate()
{
    DtlsCertificate result;
    result.key_.reset(EVP_EC_gen("P-256"));
    result.certificate_.reset(X509_new());
    if (!result.key_ || !result.certificate_)
        throw std::runtime_error("cannot create the DTLS key and certificate");
    X509* cert = result.certificate_.get();
    X509_set_version(cert, 2);
    unsigned char serial[8];
    if (RAND_bytes(serial, sizeof serial) != 1)
        throw std::runtime_error("the random generator failed");
    serial[0] &= 0x7f;
    std::unique_ptr<BIGNUM, decltype(&BN_free)> number(BN_bin2bn(serial, sizeof serial, nullptr), BN_free);
    BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert));
    X509_gmtime_adj(X509_getm_notBefore(cert), -30L * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("parley-router"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, result.key_.get());
    if (X509_sign(cert, result.key_.get(), EVP_sha256()) == 0)
        throw std::runtime_error("cannot sign the DTLS certificate");
    result.fingerprint_ = "sha-256 " + sha256Fingerprint(cert);
    return result;
}

} // namespace parley::router
