#include <parley/loadgen/portal_client.h>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timestamp.h>

#include <sstream>
#include <stdexcept>

namespace parley::loadgen {

PortalClient::PortalClient(const Scenario& scenario) : host_(scenario.host), port_(scenario.port)
{
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode = scenario.insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_STRICT;
    params.caLocation = scenario.caFile;
    params.loadDefaultCAs = scenario.caFile.empty() && !scenario.insecure;
    params.cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20";
    tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    tls_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
}

PortalClient::~PortalClient()
{
    tls_.reset();
    Poco::Net::uninitializeSSL();
}

std::string PortalClient::origin() const
{
    return "https://" + host_ + (port_ == 443 ? std::string() : ":" + std::to_string(port_));
}

Poco::JSON::Object::Ptr PortalClient::request(const std::string& method, const std::string& path,
                                              const std::string& body, int expectedStatus)
{
    Poco::Net::HTTPSClientSession session(host_, port_, tls_);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Origin", origin());
    if (!cookie_.empty()) {
        Poco::Net::NameValueCollection cookies;
        cookies.add("__Host-parley_session", cookie_);
        request.setCookies(cookies);
        request.set("X-CSRF-Token", csrf_);
    }
    if (!body.empty()) {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string text;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
    std::vector<Poco::Net::HTTPCookie> cookies;
    response.getCookies(cookies);
    for (const auto& cookie : cookies)
        if (cookie.getName() == "__Host-parley_session")
            cookie_ = cookie.getValue();
    Poco::JSON::Object::Ptr json;
    try {
        if (!text.empty())
            json = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw std::runtime_error(method + " " + path + ": the server answered " + std::to_string(response.getStatus()) +
                                 " with something that is not JSON");
    }
    if (static_cast<int>(response.getStatus()) != expectedStatus) {
        std::string message = "HTTP " + std::to_string(response.getStatus());
        if (json && json->has("error"))
            message += ": " + json->getObject("error")->getValue<std::string>("message");
        throw std::runtime_error(method + " " + path + " was refused (" + message + ")");
    }
    if (!json)
        throw std::runtime_error(method + " " + path + ": the server's answer has no body");
    return json;
}

void PortalClient::login(const std::string& username, const std::string& password)
{
    Poco::JSON::Object body;
    body.set("username", username);
    body.set("password", password);
    std::ostringstream text;
    body.stringify(text);
    csrf_ = request("POST", "/api/v1/auth/login", text.str(), 200)->getValue<std::string>("csrfToken");
}

PortalClient::Meeting PortalClient::createMeeting(const std::string& title, int minutes)
{
    const Poco::Timestamp now;
    Poco::JSON::Object body;
    body.set("title", title);
    body.set("startsAt", Poco::DateTimeFormatter::format(now, "%Y-%m-%dT%H:%M:%SZ"));
    body.set("endsAt", Poco::DateTimeFormatter::format(now + Poco::Timespan(minutes * 60, 0), "%Y-%m-%dT%H:%M:%SZ"));
    body.set("waitingRoom", false);
    std::ostringstream text;
    body.stringify(text);
    const auto room = request("POST", "/api/v1/rooms", text.str(), 201);
    Meeting meeting;
    meeting.id = room->getValue<std::int64_t>("id");
    meeting.meetingId = room->getValue<std::string>("meetingId");
    meeting.link = room->getValue<std::string>("link");
    return meeting;
}

} // namespace parley::loadgen
