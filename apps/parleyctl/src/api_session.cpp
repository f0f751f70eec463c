#include "api_session.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <stdexcept>

namespace parley::parleyctl {

ApiSession::ApiSession(const std::string& serverUrl, const std::filesystem::path& caFile)
    : server_(serverUrl)
{
    if (server_.getScheme() != "https" || server_.getHost().empty())
        throw std::invalid_argument("--server must be an https:// URL, e.g. https://127.0.0.1:8443");
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.caLocation = caFile.string();
    params.loadDefaultCAs = caFile.empty();
    params.cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20";
    tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    tls_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // An unverifiable certificate ends the connection; parleyctl never asks to accept one.
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), tls_);
}

ApiSession::~ApiSession()
{
    tls_.reset();
    Poco::Net::uninitializeSSL();
}

Poco::JSON::Object::Ptr ApiSession::request(const std::string& method, const std::string& path,
                                            const std::string& body, int expectedStatus)
{
    Poco::Net::HTTPSClientSession session(server_.getHost(), server_.getPort(), tls_);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
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
    if (!text.empty()) {
        try {
            json = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        }
        catch (const Poco::Exception&) {
            throw std::runtime_error("the server answered " + std::to_string(response.getStatus()) +
                                     " with something that is not JSON");
        }
    }
    if (static_cast<int>(response.getStatus()) != expectedStatus) {
        std::string message = "HTTP " + std::to_string(response.getStatus());
        if (json && json->has("error"))
            message = json->getObject("error")->getValue<std::string>("message");
        throw std::runtime_error("the server refused " + method + " " + path + ": " + message);
    }
    return json;
}

void ApiSession::login(const std::string& username, const std::string& password)
{
    Poco::JSON::Object body;
    body.set("username", username);
    body.set("password", password);
    std::ostringstream text;
    body.stringify(text);
    const auto session = request("POST", "/api/v1/auth/login", text.str(), 200);
    csrf_ = session->getValue<std::string>("csrfToken");
    if (session->getObject("user")->getValue<std::string>("role") != "admin")
        throw std::runtime_error("user '" + username + "' is not an admin");
}

} // namespace parley::parleyctl
