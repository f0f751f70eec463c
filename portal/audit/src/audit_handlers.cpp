#include <parley/portal/audit/audit_handlers.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

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

// RFC 4180 quoting, plus a leading apostrophe for cells a spreadsheet would run as a
// formula (CSV injection): audit fields carry attacker-chosen text such as login names.
std::string csvCell(const std::string& value)
{
    std::string cell = value;
    if (!cell.empty() && std::string("=+-@\t\r").find(cell.front()) != std::string::npos)
        cell.insert(0, "'");
    std::string quoted = "\"";
    for (const char c : cell) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

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

    response.setStatusAndReason(Status::HTTP_OK);
    response.setContentType(format == "csv" ? "text/csv; charset=utf-8"
                                            : "application/x-ndjson; charset=utf-8");
    response.set("Content-Disposition",
                 "attachment; filename=\"parley-audit." + format + "\"");
    response.setChunkedTransferEncoding(true);
    auto& out = response.send();
    if (format == "csv")
        out << "seq,time,actor,source_address,action,target,outcome,details,prev_hash,hash\r\n";
    audit.forEach(filter, [&out, &format](const storage::AuditEntry& entry) {
        if (format == "csv") {
            out << entry.seq << ',' << csvCell(entry.time) << ',' << csvCell(entry.event.actor) << ','
                << csvCell(entry.event.sourceAddress) << ',' << csvCell(entry.event.action) << ','
                << csvCell(entry.event.target) << ',' << csvCell(entry.event.outcome) << ','
                << csvCell(entry.event.details) << ',' << entry.prevHash << ',' << entry.hash
                << "\r\n";
        }
        else {
            entryJson(entry)->stringify(out);
            out << '\n';
        }
    });
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
