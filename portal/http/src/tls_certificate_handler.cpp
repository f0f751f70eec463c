#include <parley/portal/http/tls_certificate_handler.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/public_origin.h>
#include <parley/portal/http/tls_context.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

#include <Poco/JSON/Array.h>

#include <cmath>

namespace parley::portal {
namespace {

using Clock = std::chrono::system_clock;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

std::string timeText(Clock::time_point time)
{
    return isoTime(std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count());
}

const char* sourceName(LiveCertificate::Source source)
{
    return source == LiveCertificate::Source::Uploaded ? "uploaded" : "configuration_file";
}

Poco::JSON::Object::Ptr change(const std::string& from, const std::string& to)
{
    Poco::JSON::Object::Ptr pair = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    pair->set("from", from);
    pair->set("to", to);
    return pair;
}

} // namespace

std::string tlsChangeDetails(const LiveCertificate::InService& before, const LiveCertificate::InService& after)
{
    const auto& a = *before.chain;
    const auto& b = *after.chain;
    return storage::AuditDetails()
        .add("fingerprintSha256", change(a.fingerprintSha256(), b.fingerprintSha256()))
        .add("subject", change(a.subject(), b.subject()))
        .add("notAfter", change(timeText(a.notAfter()), timeText(b.notAfter())))
        .add("source", change(sourceName(before.source), sourceName(after.source)))
        .text();
}

Poco::JSON::Object::Ptr tlsStatusJson(const LiveCertificate::InService& inService, const std::string& publicUrl,
                                      Clock::time_point now)
{
    const auto& chain = *inService.chain;
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("subject", chain.subject());
    Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
    for (const auto& name : chain.names())
        names->add(name);
    body->set("names", names);
    body->set("issuer", chain.issuer());
    body->set("selfSigned", chain.selfSigned());
    body->set("notBefore", timeText(chain.notBefore()));
    body->set("notAfter", timeText(chain.notAfter()));
    // Whole days, rounded down: 0 on the last day, negative once expired.
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(chain.notAfter() - now).count();
    const auto daysLeft = static_cast<std::int64_t>(std::floor(static_cast<double>(left) / 86400.0));
    body->set("daysLeft", daysLeft);
    body->set("expiresSoon", daysLeft < kCertificateExpiryWarningDays);
    body->set("source", std::string(sourceName(inService.source)));
    body->set("fingerprintSha256", chain.fingerprintSha256());
    if (publicUrl.empty()) {
        body->set("publicHost", Poco::Dynamic::Var());
        body->set("coversPublicHost", Poco::Dynamic::Var());
    }
    else {
        const auto host = originHost(publicUrl);
        body->set("publicHost", host);
        body->set("coversPublicHost", chain.covers(host));
    }
    return body;
}

void TlsCertificateHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& certificate = services().certificate;
    const auto& method = request.http.getMethod();
    if (method == "PUT") {
        const auto body = request.jsonBody();
        const auto chainPem = requireString(*body, "certificateChain", kApiJsonLimits.maxBytes);
        const auto keyPem = requireString(*body, "privateKey", kApiJsonLimits.maxBytes);
        std::optional<CertificateChain> chain;
        try {
            chain = CertificateChain::fromPem(chainPem, keyPem);
            chain->checkForService(Clock::now());
        }
        catch (const CertificateRejected& e) {
            services().audit.append({request.actorName(), request.clientAddress, "config.change", "tls",
                                     "failure",
                                     storage::AuditDetails().add("reason", e.code()).add("message", std::string(e.what())).text()});
            throw HttpError(Status::HTTP_BAD_REQUEST, e.code(), e.what());
        }
        const auto before = certificate.replace(*chain);
        services().audit.append({request.actorName(), request.clientAddress, "config.change", "tls", "success",
                                 tlsChangeDetails(before, certificate.current())});
    }
    else if (method == "DELETE" && certificate.current().source == LiveCertificate::Source::Uploaded) {
        LiveCertificate::InService before;
        try {
            before = certificate.useConfiguredFiles();
        }
        catch (const TlsSetupError& e) {
            throw HttpError(Status::HTTP_CONFLICT, "configured_certificate_unusable",
                            std::string("the configured certificate cannot serve, so the uploaded one stays: ") + e.what());
        }
        services().audit.append({request.actorName(), request.clientAddress, "config.change", "tls", "success",
                                 tlsChangeDetails(before, certificate.current())});
    }
    sendJson(response, Status::HTTP_OK, *tlsStatusJson(certificate.current(), context().publicUrl, Clock::now()));
}

} // namespace parley::portal
