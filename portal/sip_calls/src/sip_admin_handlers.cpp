#include <parley/portal/sip_calls/sip_admin_handlers.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/sip_calls/sip_endpoint_service.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

/// Field limits: the service checks the real rules; these only bound what is read.
constexpr std::size_t kMaxField = 512;

std::int64_t unixSeconds(std::chrono::system_clock::time_point at)
{
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

Poco::JSON::Object::Ptr endpointJson(const SipEndpointView& endpoint)
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("username", endpoint.stored.username);
    json->set("displayName", endpoint.stored.displayName);
    json->set("createdBy", endpoint.stored.createdBy);
    json->set("createdAt", isoTime(endpoint.stored.createdAt));
    json->set("passwordChangedAt", isoTime(endpoint.stored.passwordChangedAt));
    // False after sip.realm changed (or while SIP is off): the endpoint cannot sign in until
    // its password is set again.
    json->set("credentialsCurrent", endpoint.credentialsCurrent);
    if (endpoint.registration) {
        Poco::JSON::Object::Ptr registration = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        registration->set("contact", endpoint.registration->contact);
        registration->set("address", endpoint.registration->sourceAddress);
        registration->set("registeredAt", isoTime(unixSeconds(endpoint.registration->registeredAt)));
        registration->set("expiresAt", isoTime(unixSeconds(endpoint.registration->expiresAt)));
        json->set("registration", registration);
    }
    else {
        json->set("registration", Poco::Dynamic::Var());
    }
    return json;
}

/// The endpoint, with the password Parley made for it when it made one (shown this once).
Poco::JSON::Object::Ptr createdJson(const SipEndpointService::Created& created)
{
    auto json = endpointJson(created.endpoint);
    if (created.generatedPassword)
        json->set("password", *created.generatedPassword);
    return json;
}

std::string usernameParam(const ApiRequest& request)
{
    const auto found = request.params.find("username");
    if (found == request.params.end() || !SipEndpointService::validUsername(found->second))
        throw HttpError(Status::HTTP_NOT_FOUND, "no_such_endpoint", "there is no such SIP endpoint");
    return found->second;
}

} // namespace

void SipStatusHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    const auto status = services().endpoints.status();
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("enabled", status.enabled);
    if (status.enabled) {
        body.set("port", static_cast<int>(status.port));
        body.set("realm", status.realm);
        body.set("allowGuests", status.allowGuests);
        body.set("activeCalls", status.stats.activeCalls);
        body.set("callsAccepted", status.stats.callsAccepted);
        body.set("registrations", status.stats.registrations);
        body.set("registeredEndpoints", status.registeredEndpoints);
        body.set("rekeySeconds", status.rekeySeconds);
        body.set("rekeys", status.stats.rekeys);
        body.set("rekeyFailures", status.stats.rekeyFailures);
        body.set("rekeysNotTaken", status.stats.rekeysNotTaken);
        body.set("videoCalls", status.stats.videoCalls);
        Poco::JSON::Object::Ptr refusals = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const auto& [reason, count] : status.stats.refusals)
            refusals->set(reason, count);
        body.set("refusals", refusals);
    }
    sendJson(response, Status::HTTP_OK, body);
}

void SipEndpointsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& endpoints = services().endpoints;
    if (request.http.getMethod() == "POST") {
        const auto body = request.jsonBody();
        const auto created = endpoints.create(requireString(*body, "username", kMaxField),
                                              requireString(*body, "displayName", kMaxField),
                                              optionalString(*body, "password", kMaxField),
                                              {request.actorName(), request.clientAddress});
        response.set("Location", "/api/v1/admin/sip/endpoints/" + created.endpoint.stored.username);
        sendJson(response, Status::HTTP_CREATED, *createdJson(created));
        return;
    }
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& endpoint : endpoints.list())
        items->add(endpointJson(endpoint));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("endpoints", items);
    sendJson(response, Status::HTTP_OK, body);
}

void SipEndpointHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& endpoints = services().endpoints;
    const auto username = usernameParam(request);
    const SipAdminActor actor{request.actorName(), request.clientAddress};
    const auto& method = request.http.getMethod();
    if (method == "DELETE") {
        endpoints.remove(username, actor);
        sendNoContent(response);
        return;
    }
    if (method == "PATCH") {
        const auto body = request.jsonBody();
        const auto displayName = optionalString(*body, "displayName", kMaxField);
        const auto password = optionalString(*body, "password", kMaxField);
        const bool newPassword = optionalBool(*body, "newPassword").value_or(false);
        if (!displayName && !password && !newPassword)
            throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                            "send 'displayName', 'password', or 'newPassword': true for a password made by Parley");
        if (password && newPassword)
            throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                            "send either 'password' or 'newPassword', not both");
        if (displayName)
            endpoints.rename(username, *displayName, actor);
        if (password || newPassword) {
            sendJson(response, Status::HTTP_OK, *createdJson(endpoints.setPassword(username, password, actor)));
            return;
        }
    }
    sendJson(response, Status::HTTP_OK, *endpointJson(endpoints.get(username)));
}

} // namespace parley::portal
