#include <parley/portal/audit/audit_export_format.h>

#include <parley/portal/http/json_limits.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <sstream>

namespace parley::portal {
namespace {

using storage::AuditEntry;

constexpr const char* kCsvHeader = "seq,time,actor,source_address,action,target,outcome,details,prev_hash,hash";

// A line holds one flat object: ten members, or the head line's two small objects.
constexpr JsonLimits kLineLimits{.maxBytes = kMaxAuditExportRecordBytes, .maxDepth = 3, .maxValues = 64};

// RFC 4180 quoting, plus a leading apostrophe for cells a spreadsheet would run as a formula
// (CSV injection): audit fields carry attacker-chosen text such as login names. Cells that
// start with an apostrophe get one more, so a reader drops exactly one and gets the text back.
std::string csvCell(const std::string& value)
{
    std::string cell = value;
    if (!cell.empty() && std::string("=+-@\t\r'").find(cell.front()) != std::string::npos)
        cell.insert(0, "'");
    std::string quoted = "\"";
    for (const char c : cell) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string uncsvCell(std::string cell)
{
    if (!cell.empty() && cell.front() == '\'')
        cell.erase(0, 1);
    return cell;
}

bool isHash(const std::string& text)
{
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::int64_t seqOf(const std::string& text, std::size_t line)
{
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos ||
        text == "0")
        throw AuditExportFormatError(line, "seq must be a positive whole number");
    return std::stoll(text);
}

void requireHashes(const AuditEntry& entry, std::size_t line)
{
    if (!isHash(entry.prevHash) || !isHash(entry.hash))
        throw AuditExportFormatError(line, "prevHash and hash must be 64 lower-case hex digits");
}

std::string stringField(const Poco::JSON::Object& object, const std::string& name, std::size_t line)
{
    const auto value = object.get(name);
    if (value.isEmpty() || !value.isString())
        throw AuditExportFormatError(line, "field '" + name + "' is missing or not a string");
    return value.extract<std::string>();
}

std::int64_t seqField(const Poco::JSON::Object& object, std::size_t line)
{
    const auto value = object.get("seq");
    if (value.isEmpty() || !value.isInteger() || value.isString())
        throw AuditExportFormatError(line, "field 'seq' is missing or not a whole number");
    const auto seq = value.convert<Poco::Int64>();
    if (seq <= 0)
        throw AuditExportFormatError(line, "seq must be positive");
    return seq;
}

Poco::JSON::Object::Ptr parseLine(const std::string& line, std::size_t number)
{
    if (const auto check = checkJsonLimits(line, kLineLimits); !check.ok())
        throw AuditExportFormatError(number, "not an export record (" + check.message + ")");
    try {
        const auto value = Poco::JSON::Parser().parse(line);
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            return value.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&) {
        // reported below
    }
    throw AuditExportFormatError(number, "not a JSON object");
}

AuditExportReader::Record jsonRecord(const std::string& line, std::size_t number)
{
    const auto object = parseLine(line, number);
    if (object->has("head")) {
        const auto head = object->getObject("head");
        if (!head)
            throw AuditExportFormatError(number, "'head' must be an object");
        AuditExportHeadRecord record;
        record.head.seq = head->has("seq") ? seqField(*head, number) : 0;
        record.head.hash = stringField(*head, "hash", number);
        record.head.exportedAt = stringField(*head, "exportedAt", number);
        if (!isHash(record.head.hash))
            throw AuditExportFormatError(number, "the head's hash must be 64 lower-case hex digits");
        const auto filter = object->getObject("filter");
        record.filtered = filter && filter->size() > 0;
        return record;
    }
    AuditEntry entry;
    entry.seq = seqField(*object, number);
    entry.time = stringField(*object, "time", number);
    entry.event.actor = stringField(*object, "actor", number);
    entry.event.sourceAddress = stringField(*object, "sourceAddress", number);
    entry.event.action = stringField(*object, "action", number);
    entry.event.target = stringField(*object, "target", number);
    entry.event.outcome = stringField(*object, "outcome", number);
    entry.event.details = stringField(*object, "details", number);
    entry.prevHash = stringField(*object, "prevHash", number);
    entry.hash = stringField(*object, "hash", number);
    requireHashes(entry, number);
    return entry;
}

} // namespace

std::string auditExportJsonLine(const AuditEntry& entry)
{
    Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
    json.set("seq", entry.seq);
    json.set("time", entry.time);
    json.set("actor", entry.event.actor);
    json.set("sourceAddress", entry.event.sourceAddress);
    json.set("action", entry.event.action);
    json.set("target", entry.event.target);
    json.set("outcome", entry.event.outcome);
    json.set("details", entry.event.details); // the text as hashed, not re-serialised
    json.set("prevHash", entry.prevHash);
    json.set("hash", entry.hash);
    std::ostringstream out;
    json.stringify(out);
    out << '\n';
    return out.str();
}

std::string auditExportHeadLine(const AuditExportHead& head, const storage::AuditFilter& filter)
{
    Poco::JSON::Object::Ptr headJson = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    headJson->set("seq", head.seq);
    headJson->set("hash", head.hash);
    headJson->set("exportedAt", head.exportedAt);
    Poco::JSON::Object::Ptr filterJson = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"from", filter.from},
                                      {"to", filter.to},
                                      {"actor", filter.actor},
                                      {"action", filter.action},
                                      {"outcome", filter.outcome}})
        if (!value.empty())
            filterJson->set(name, value);
    Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
    json.set("head", headJson);
    json.set("filter", filterJson);
    std::ostringstream out;
    json.stringify(out);
    out << '\n';
    return out.str();
}

std::string auditExportCsvHeader()
{
    return std::string(kCsvHeader) + "\r\n";
}

std::string auditExportCsvRow(const AuditEntry& entry)
{
    return std::to_string(entry.seq) + ',' + csvCell(entry.time) + ',' + csvCell(entry.event.actor) + ',' +
           csvCell(entry.event.sourceAddress) + ',' + csvCell(entry.event.action) + ',' +
           csvCell(entry.event.target) + ',' + csvCell(entry.event.outcome) + ',' +
           csvCell(entry.event.details) + ',' + entry.prevHash + ',' + entry.hash + "\r\n";
}

std::string auditExportHeadHeader(const AuditExportHead& head)
{
    return "seq=" + std::to_string(head.seq) + "; hash=" + head.hash + "; exportedAt=" + head.exportedAt;
}

std::optional<std::string> AuditExportReader::readLine()
{
    auto* buffer = in_.rdbuf();
    std::string line;
    for (;;) {
        const auto c = buffer->sbumpc();
        if (c == std::char_traits<char>::eof()) {
            if (line.empty())
                return std::nullopt;
            break;
        }
        if (c == '\n')
            break;
        if (line.size() >= kMaxAuditExportRecordBytes)
            throw AuditExportFormatError(lineNumber_ + 1, "longer than " +
                                                              std::to_string(kMaxAuditExportRecordBytes) + " bytes");
        line += static_cast<char>(c);
    }
    ++lineNumber_;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

// RFC 4180: a quoted cell may hold line breaks (the text's own, kept byte for byte), so a
// row is read character by character up to a line break outside quotes.
std::optional<std::string> AuditExportReader::readCsvRecord()
{
    auto* buffer = in_.rdbuf();
    std::string record;
    bool quoted = false;
    recordLine_ = lineNumber_ + 1;
    for (;;) {
        const auto c = buffer->sbumpc();
        if (c == std::char_traits<char>::eof()) {
            if (quoted)
                throw AuditExportFormatError(recordLine_, "a quoted cell is not closed before the end of the file");
            if (record.empty())
                return std::nullopt;
            ++lineNumber_;
            return record;
        }
        if (c == '"')
            quoted = !quoted; // a doubled quote toggles twice
        if (c == '\n') {
            ++lineNumber_;
            if (!quoted) {
                if (!record.empty() && record.back() == '\r')
                    record.pop_back();
                return record;
            }
        }
        if (record.size() >= kMaxAuditExportRecordBytes)
            throw AuditExportFormatError(recordLine_, "row longer than " +
                                                          std::to_string(kMaxAuditExportRecordBytes) + " bytes");
        record += static_cast<char>(c);
    }
}

std::optional<AuditExportReader::Record> AuditExportReader::next()
{
    if (!started_ || !csv_) {
        std::optional<std::string> line;
        do {
            line = readLine();
            if (!line)
                return std::nullopt;
        } while (line->empty());
        recordLine_ = lineNumber_;
        if (!started_) {
            started_ = true;
            if (*line == kCsvHeader) {
                csv_ = true;
                return next();
            }
            if (line->front() != '{')
                throw AuditExportFormatError(recordLine_, "neither a JSON Lines audit export (a JSON object) nor a "
                                                          "CSV one (header '" + std::string(kCsvHeader) + "')");
        }
        return jsonRecord(*line, recordLine_);
    }

    std::optional<std::string> record;
    do {
        record = readCsvRecord();
        if (!record)
            return std::nullopt;
    } while (record->empty());
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < record->size(); ++i) {
        const char c = (*record)[i];
        if (quoted) {
            if (c == '"' && i + 1 < record->size() && (*record)[i + 1] == '"') {
                cells.back() += '"';
                ++i;
            }
            else if (c == '"') {
                quoted = false;
            }
            else {
                cells.back() += c;
            }
        }
        else if (c == '"') {
            quoted = true;
        }
        else if (c == ',') {
            if (cells.size() == 10)
                throw AuditExportFormatError(recordLine_, "a row must have 10 cells");
            cells.emplace_back();
        }
        else {
            cells.back() += c;
        }
    }
    if (cells.size() != 10)
        throw AuditExportFormatError(recordLine_, "a row must have 10 cells, this one has " +
                                                      std::to_string(cells.size()));
    AuditEntry entry;
    entry.seq = seqOf(cells[0], recordLine_);
    entry.time = uncsvCell(cells[1]);
    entry.event = {uncsvCell(cells[2]), uncsvCell(cells[3]), uncsvCell(cells[4]),
                   uncsvCell(cells[5]), uncsvCell(cells[6]), uncsvCell(cells[7])};
    entry.prevHash = cells[8];
    entry.hash = cells[9];
    requireHashes(entry, recordLine_);
    return entry;
}

} // namespace parley::portal
