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

/// `GET /api/v1/audit/export?format=jsonl|csv` with the same filters: every matching entry up
/// to the log's head, streamed, as a download in the form of audit_export_format.h (JSON Lines
/// end with the head line; both carry the head in X-Parley-Audit-Head). The export itself is
/// audited, and is the head.
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

/// The largest export `POST /api/v1/audit/verify-export` takes (larger ones: verify them with
/// `parleyctl audit verify-export`, which reads any size, or export shorter time ranges).
inline constexpr std::size_t kMaxVerifiedExportBytes = 64 * 1024 * 1024;

/// `POST /api/v1/audit/verify-export` (admins, auditors) with an export file as the body
/// (JSON Lines or CSV, any content type, at most kMaxVerifiedExportBytes, read a part at a
/// time): verifyAuditExport's checks, and whether each entry and the head line match this
/// server's log at the same seq. 400 `invalid_export` when the body is not an export at all.
class AuditVerifyExportHandler : public AuditHandler
{
public:
    using AuditHandler::AuditHandler;

protected:
    std::size_t streamedBodyLimit() const override { return kMaxVerifiedExportBytes; }
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
