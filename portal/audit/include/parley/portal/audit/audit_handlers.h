#pragma once

#include <parley/portal/audit/audit_handler_services.h>

namespace parley::portal {

/// `GET /api/v1/audit` (admins, auditors): entries filtered by `from`, `to` (ISO 8601 UTC),
/// `actor`, `action` (exact, or a prefix ending in '.'), a page at a time.
class AuditQueryHandler : public AuditHandler
{
public:
    using AuditHandler::AuditHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/audit/export?format=jsonl|csv` with the same filters: every matching entry,
/// streamed, as a download. The export itself is audited.
class AuditExportHandler : public AuditHandler
{
public:
    using AuditHandler::AuditHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/audit/verify`: recomputes the hash chain and reports the first entry that
/// was altered, inserted or removed.
class AuditVerifyHandler : public AuditHandler
{
public:
    using AuditHandler::AuditHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
