#include "test_certificates.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace parley::test {
namespace {

std::shared_ptr<EVP_PKEY> generateKey(const std::string& type)
{
    EVP_PKEY* key = nullptr;
    if (type == "ec-p256")
        key = EVP_EC_gen("P-256");
    else if (type == "ec-p384")
        key = EVP_EC_gen("P-384");
    else if (type == "ec-p521")
        key = EVP_EC_gen("P-521");
    else if (type == "rsa-2048")
        key = EVP_RSA_gen(2048);
    else if (type == "rsa-1024")
        key = EVP_RSA_gen(1024);
    else if (type == "ed25519")
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key)
        throw std::runtime_error("cannot generate a " + type + " key");
    return {key, EVP_PKEY_free};
}

void addExtension(X509* certificate, X509* issuer, int nid, const std::string& value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension || X509_add_ext(certificate, extension, -1) != 1)
        throw std::runtime_error("cannot add extension " + value);
    X509_EXTENSION_free(extension);
}

std::string bioText(BIO* bio)
{
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return text;
}

} // namespace

TestCertificate makeTestCertificate(const CertificateSpec& spec, const TestCertificate* issuer)
{
    TestCertificate made;
    made.key = generateKey(spec.keyType);
    made.certificate.reset(X509_new(), X509_free);
    X509* certificate = made.certificate.get();
    X509_set_version(certificate, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
    BN_free(number);
    X509_gmtime_adj(X509_getm_notBefore(certificate), spec.validFromSeconds);
    X509_gmtime_adj(X509_getm_notAfter(certificate), spec.validUntilSeconds);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.commonName.c_str()), -1, -1, 0);
    X509* signer = issuer ? issuer->certificate.get() : certificate;
    X509_set_issuer_name(certificate, X509_get_subject_name(signer));
    X509_set_pubkey(certificate, made.key.get());
    addExtension(certificate, signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    addExtension(certificate, signer, NID_subject_key_identifier, "hash");
    if (spec.ca)
        addExtension(certificate, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!spec.names.empty()) {
        std::string names;
        for (const auto& entry : spec.names)
            names += (names.empty() ? "" : ",") + entry;
        addExtension(certificate, signer, NID_subject_alt_name, names);
    }
    EVP_PKEY* signingKey = issuer ? issuer->key.get() : made.key.get();
    const EVP_MD* digest = EVP_PKEY_get_base_id(signingKey) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    if (X509_sign(certificate, signingKey, digest) == 0)
        throw std::runtime_error("cannot sign the test certificate");
    return made;
}

std::string TestCertificate::pem() const
{
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, certificate.get());
    return bioText(bio);
}

std::string TestCertificate::keyPem() const
{
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return bioText(bio);
}

std::string TestCertificate::fingerprint() const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(certificate.get(), EVP_sha256(), digest, &length);
    std::string text;
    char hex[4];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(hex, sizeof hex, i + 1 < length ? "%02X:" : "%02X", digest[i]);
        text += hex;
    }
    return text;
}

} // namespace parley::test
