#pragma once

#include <parley/portal/http/api_handler.h>
#include <parley/portal/http/live_certificate.h>

#include <chrono>

namespace parley::storage {
class AuditLog;
}

namespace parley::portal {

/// What the TLS certificate endpoint works with; owned by the server.
struct TlsHandlerServices
{
    LiveCertificate& certificate;
    storage::AuditLog& audit;
};

/// Certificates that end within this many days are reported as `expiresSoon`.
inline constexpr int kCertificateExpiryWarningDays = 30;

/// The certificate in service as `GET /api/v1/admin/tls` answers it (docs/api.md): subject,
/// names, issuer, dates, days left at `now`, expiresSoon, source, fingerprint, and whether
/// it names the host of `publicUrl` (an origin, public_origin.h; null when "").
Poco::JSON::Object::Ptr tlsStatusJson(const LiveCertificate::InService& inService, const std::string& publicUrl,
                                      std::chrono::system_clock::time_point now);

/// The audit details of a change of certificate (`config.change`, target `tls`):
/// fingerprintSha256, subject, notAfter and source, each as {"from", "to"}.
std::string tlsChangeDetails(const LiveCertificate::InService& before, const LiveCertificate::InService& after);

/// `GET /api/v1/admin/tls`: the certificate in service.
/// `PUT`: `{"certificateChain": PEM, "privateKey": PEM}`, checked
/// (CertificateChain::checkForService), stored and served to new connections at once;
/// answers as GET. Refusals are 400 with the check's code and audited.
/// `DELETE`: the configured files serve again (nothing happens when they serve already).
/// Every change is audited as `config.change` on target `tls`, old -> new.
class TlsCertificateHandler : public ServiceHandler<TlsHandlerServices>
{
public:
    using ServiceHandler::ServiceHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
