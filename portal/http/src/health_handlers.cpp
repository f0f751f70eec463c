#include <parley/portal/http/health_handlers.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>

#include <parley/storage/database.h>

#include <Poco/Logger.h>

namespace parley::portal {

void HealthHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    Poco::JSON::Object body;
    body.set("status", "ok");
    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, body);
}

void ReadinessHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    const auto readiness = database_.readiness();
    if (!readiness.ready) {
        // Details (file names, SQLite messages) go to the log; the probe is unauthenticated.
        log::warning(Poco::Logger::get("portal.readiness"), "server.not_ready", "not ready: " + readiness.problem, {{"error", readiness.problem}});
        throw HttpError(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "not_ready",
                        "the database is not ready");
    }
    Poco::JSON::Object::Ptr database = new Poco::JSON::Object;
    database->set("ok", true);
    database->set("schemaVersion", readiness.schemaVersion);
    Poco::JSON::Object::Ptr checks = new Poco::JSON::Object;
    checks->set("database", database);
    Poco::JSON::Object body;
    body.set("status", "ready");
    body.set("checks", checks);
    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, body);
}

} // namespace parley::portal
