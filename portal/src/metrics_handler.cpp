#include "metrics_handler.h"

#include <parley/portal/http/constant_time.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/http/secret_token.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/metrics_token_store.h>

#include <Poco/String.h>

namespace parley::portal {
namespace {

/// The token from `Authorization: Bearer <token>`, or "" when the header is absent or of
/// another scheme.
std::string bearerToken(const Poco::Net::HTTPServerRequest& request)
{
    const auto header = request.get("Authorization", "");
    constexpr std::string_view kScheme = "Bearer ";
    if (header.size() <= kScheme.size() || Poco::icompare(header.substr(0, kScheme.size()), std::string(kScheme)) != 0)
        return {};
    return Poco::trim(header.substr(kScheme.size()));
}

} // namespace

void MetricsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto presented = bearerToken(request.http);
    const auto stored = storage::MetricsTokenStore(sources_.overview.database).tokenHash();
    std::string refusal;
    if (!stored)
        refusal = "no_token_configured";
    else if (presented.empty())
        refusal = "missing_token";
    else if (!equalConstantTime(tokenHash(presented), *stored))
        refusal = "wrong_token";
    if (!refusal.empty()) {
        sources_.refusals.add({refusal});
        if (context().audit)
            context().audit->append({request.actorName(), request.clientAddress, "access.denied",
                                     request.http.getMethod() + " /metrics", "failure",
                                     storage::AuditDetails().add("reason", refusal).text()});
        response.set("WWW-Authenticate", "Bearer realm=\"parley metrics\"");
        throw HttpError(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED, "unauthenticated",
                        refusal == "no_token_configured"
                            ? "no metrics token exists; make one with 'parleyctl metrics create-token'"
                            : "send the metrics token as 'Authorization: Bearer <token>'");
    }
    const auto text = sources_.registry.render();
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType(kPrometheusContentType);
    response.set("Cache-Control", "no-store");
    response.setContentLength64(static_cast<Poco::Int64>(text.size()));
    auto& out = response.send();
    if (request.http.getMethod() != "HEAD")
        out << text;
}

} // namespace parley::portal
