#include <parley/portal/audit/audit_handlers.h>

#include <parley/portal/audit/audit_export_format.h>
#include <parley/portal/audit/audit_export_verifier.h>
#include <parley/portal/http/connection_tracker.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <limits>
#include <map>
#include <optional>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

std::string timeBound(const ApiRequest& request, const std::string& name)
{
    auto value = request.query(name);
    if (value.size() > 30 || value.find_first_not_of("0123456789-T:.Z") != std::string::npos)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                        "'" + name + "' must be an ISO 8601 UTC time such as 2026-11-23T10:00:00Z");
    return value;
}

storage::AuditFilter filterOf(const ApiRequest& request)
{
    storage::AuditFilter filter;
    filter.from = timeBound(request, "from");
    filter.to = timeBound(request, "to");
    filter.actor = request.query("actor");
    filter.action = request.query("action");
    filter.outcome = request.query("outcome");
    if (filter.actor.size() > 256 || filter.action.size() > 128 || filter.outcome.size() > 32)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "filter value too long");
    return filter;
}

Poco::JSON::Object::Ptr entryJson(const storage::AuditEntry& entry)
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("seq", entry.seq);
    json->set("time", entry.time);
    json->set("actor", entry.event.actor);
    json->set("sourceAddress", entry.event.sourceAddress);
    json->set("action", entry.event.action);
    json->set("target", entry.event.target);
    json->set("outcome", entry.event.outcome);
    // details is stored as JSON text; show it as an object, or as text if it is not one.
    try {
        Poco::JSON::Parser parser;
        json->set("details", parser.parse(entry.event.details));
    }
    catch (const Poco::Exception&) {
        json->set("details", entry.event.details);
    }
    json->set("prevHash", entry.prevHash);
    json->set("hash", entry.hash);
    return json;
}

/// Compares exported entries with the server's log at the same seqs, a batch at a time.
class ServerComparison
{
public:
    explicit ServerComparison(storage::AuditLog& audit) : audit_(audit) {}

    void add(std::int64_t seq, const std::string& hash)
    {
        pending_.emplace(seq, hash);
        if (pending_.size() >= kBatch)
            flush();
    }

    /// Compares what is pending; returns whether everything so far matched.
    bool finish()
    {
        flush();
        return !mismatch_;
    }

    const std::optional<std::pair<std::int64_t, std::string>>& mismatch() const { return mismatch_; }

private:
    static constexpr std::size_t kBatch = 1000;

    void flush()
    {
        if (pending_.empty())
            return;
        storage::AuditFilter range;
        range.fromSeq = pending_.begin()->first;
        range.throughSeq = pending_.rbegin()->first;
        audit_.forEach(range, [this](const storage::AuditEntry& entry) {
            const auto found = pending_.find(entry.seq);
            if (found == pending_.end())
                return;
            if (found->second != entry.hash && lowest(entry.seq))
                mismatch_ = std::make_pair(entry.seq, "entry " + std::to_string(entry.seq) +
                                                          " differs from the server's log");
            pending_.erase(found);
        });
        for (const auto& [seq, hash] : pending_)
            if (lowest(seq))
                mismatch_ = std::make_pair(seq, "entry " + std::to_string(seq) +
                                                    " is not in the server's log (removed by audit retention, "
                                                    "or never there)");
        pending_.clear();
    }

    /// Whether a mismatch at `seq` would be the first one (only the lowest is reported).
    bool lowest(std::int64_t seq) const { return !mismatch_ || seq < mismatch_->first; }

    storage::AuditLog& audit_;
    std::map<std::int64_t, std::string> pending_;
    std::optional<std::pair<std::int64_t, std::string>> mismatch_;
};

} // namespace

void AuditQueryHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto filter = filterOf(request);
    const auto page = pageOf(request);
    auto& audit = services().audit;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& entry : audit.query(filter, page.offset(), page.perPage))
        items->add(entryJson(entry));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("entries", items);
    body.set("page", page.page);
    body.set("perPage", page.perPage);
    body.set("total", audit.count(filter));
    sendJson(response, Status::HTTP_OK, body);
}

void AuditExportHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto filter = filterOf(request);
    auto format = request.query("format");
    if (format.empty())
        format = "jsonl";
    if (format != "jsonl" && format != "csv")
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'format' must be jsonl or csv");
    auto& audit = services().audit;
    audit.append({request.actorName(), request.clientAddress, "audit.export", "audit_log", "success",
                  storage::AuditDetails()
                      .add("format", format)
                      .add("from", filter.from)
                      .add("to", filter.to)
                      .add("actor", filter.actor)
                      .add("action", filter.action)
                      .text()});

    // The head once the export is recorded: the export holds entries up to it and no further,
    // however many are appended while it streams.
    const auto logHead = audit.head();
    const AuditExportHead head{logHead.seq, logHead.hash, storage::auditTime(std::chrono::system_clock::now())};
    auto upToHead = filter;
    upToHead.throughSeq = head.seq;

    response.setStatusAndReason(Status::HTTP_OK);
    response.setContentType(format == "csv" ? "text/csv; charset=utf-8"
                                            : "application/x-ndjson; charset=utf-8");
    response.set("Content-Disposition",
                 "attachment; filename=\"parley-audit." + format + "\"");
    response.set("X-Parley-Audit-Head", auditExportHeadHeader(head));
    response.setChunkedTransferEncoding(true);
    auto& out = response.send();
    if (format == "csv")
        out << auditExportCsvHeader();
    audit.forEach(upToHead, [&out, &format](const storage::AuditEntry& entry) {
        out << (format == "csv" ? auditExportCsvRow(entry) : auditExportJsonLine(entry));
    });
    if (format == "jsonl")
        out << auditExportHeadLine(head, filter);
}

void AuditVerifyExportHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    if (request.http.getContentLength64() == 0)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_export",
                        "send the export file (JSON Lines or CSV from GET /api/v1/audit/export) as the body");
    auto& audit = services().audit;
    ServerComparison server(audit);
    AuditExportCheck check;
    auto& file = request.http.stream();
    // The client sends the whole file before it reads the answer: whatever the verification
    // left unread is read and dropped (bounded by the Content-Length checked before).
    const auto drainBody = [&file] {
        file.ignore(std::numeric_limits<std::streamsize>::max());
        ConnectionTracker::bodyReceived();
    };
    try {
        check = verifyAuditExport(file, [&server](const storage::AuditEntry& entry) { server.add(entry.seq, entry.hash); });
    }
    catch (const AuditExportFormatError& e) {
        drainBody();
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_export",
                        std::string("this is not an audit export: ") + e.what());
    }
    drainBody();
    if (check.head && check.head->seq > 0)
        server.add(check.head->seq, check.head->hash);
    const bool matchesServer = server.finish();

    auto firstBad = check.firstBadSeq;
    auto problem = check.problem;
    if (const auto& mismatch = server.mismatch(); mismatch && (!firstBad || mismatch->first < *firstBad)) {
        firstBad = mismatch->first;
        problem = mismatch->second;
    }
    const bool ok = check.ok && matchesServer;
    audit.append({request.actorName(), request.clientAddress, "audit.verify_export", "audit_log", "success",
                  storage::AuditDetails()
                      .add("entries", check.entries)
                      .add("ok", ok)
                      .add("firstBadSeq", firstBad ? std::to_string(*firstBad) : std::string())
                      .text()});

    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("ok", ok);
    body.set("entries", check.entries);
    body.set("format", std::string(check.csv ? "csv" : "jsonl"));
    if (firstBad)
        body.set("firstBadSeq", *firstBad);
    if (!problem.empty())
        body.set("problem", problem);
    if (check.head) {
        Poco::JSON::Object::Ptr head = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        head->set("seq", check.head->seq);
        head->set("hash", check.head->hash);
        head->set("exportedAt", check.head->exportedAt);
        body.set("head", head);
    }
    body.set("filtered", check.filtered);
    body.set("chainIntact", check.ok);
    body.set("matchesServer", matchesServer);
    sendJson(response, Status::HTTP_OK, body);
}

void AuditVerifyHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    const auto result = services().audit.verify();
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("ok", result.ok);
    body.set("entriesChecked", result.entriesChecked);
    if (result.firstBadSeq)
        body.set("firstBadSeq", *result.firstBadSeq);
    if (!result.problem.empty())
        body.set("problem", result.problem);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
