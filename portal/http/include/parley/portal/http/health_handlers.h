#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class Database;
}

namespace parley::portal {

/// `GET /healthz`: 200 while the process serves requests. For liveness probes.
class HealthHandler : public ApiHandler
{
public:
    using ApiHandler::ApiHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /readyz`: 200 when the database answers and its schema is at this build's version,
/// 503 `not_ready` otherwise. For load balancers and orchestration.
class ReadinessHandler : public ApiHandler
{
public:
    ReadinessHandler(const HandlerContext& context, storage::Database& database)
        : ApiHandler(context), database_(database)
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    storage::Database& database_;
};

} // namespace parley::portal
