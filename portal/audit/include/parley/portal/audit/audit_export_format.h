#pragma once

#include <parley/storage/audit_log.h>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

namespace parley::portal {

/// The audit log's export files (docs/api.md, "Audit log"), written by the export endpoint
/// and read back by the verifiers. Every field of an entry is written exactly as it was
/// hashed (details as the stored JSON text), so an export can be re-hashed by anyone:
/// - JSON Lines: one object per entry (`seq`, `time`, `actor`, `sourceAddress`, `action`,
///   `target`, `outcome`, `details`, `prevHash`, `hash`), then one final line
///   `{"head": {"seq", "hash", "exportedAt"}, "filter": {...}}` naming the log's newest entry
///   when the export was made and the filter it was made with (`{}`: every entry).
/// - CSV (RFC 4180): a header row, one row per entry; a cell a spreadsheet would run as a
///   formula, or that starts with an apostrophe, gets an apostrophe in front. No head row:
///   the head travels in the X-Parley-Audit-Head header only.

/// The head of the log when an export was made.
struct AuditExportHead
{
    std::int64_t seq = 0;
    std::string hash;
    std::string exportedAt; ///< auditTime() form
};

/// The longest record (line, or CSV row) a reader accepts.
inline constexpr std::size_t kMaxAuditExportRecordBytes = 1024 * 1024;

std::string auditExportJsonLine(const storage::AuditEntry& entry);
std::string auditExportHeadLine(const AuditExportHead& head, const storage::AuditFilter& filter);
std::string auditExportCsvHeader();
std::string auditExportCsvRow(const storage::AuditEntry& entry);
/// The X-Parley-Audit-Head header value: `seq=12; hash=<64 hex>; exportedAt=<time>`.
std::string auditExportHeadHeader(const AuditExportHead& head);

/// A record of an export file that is not what the format says; `line` is 1-based.
class AuditExportFormatError : public std::runtime_error
{
public:
    AuditExportFormatError(std::size_t line, const std::string& message)
        : std::runtime_error("line " + std::to_string(line) + ": " + message), line_(line)
    {}
    std::size_t line() const { return line_; }

private:
    std::size_t line_;
};

/// The head line of a JSON Lines export.
struct AuditExportHeadRecord
{
    AuditExportHead head;
    bool filtered = false; ///< the export was made with a filter: gaps in seq are expected
};

/// Reads an export, JSON Lines or CSV (told apart by the first line), one record at a time.
/// Reads at most kMaxAuditExportRecordBytes per record from the stream, whatever its size.
class AuditExportReader
{
public:
    using Record = std::variant<storage::AuditEntry, AuditExportHeadRecord>;

    explicit AuditExportReader(std::istream& in) : in_(in) {}

    /// The next record, or nothing at the end of the file. Blank lines are skipped. Throws
    /// AuditExportFormatError for a record that does not parse or lacks a field, a record
    /// too long, or a file that is neither format.
    std::optional<Record> next();

    bool csv() const { return csv_; }
    /// The line the last record started on.
    std::size_t line() const { return recordLine_; }

private:
    /// One line without its end of line; nothing at the end. Throws when too long.
    std::optional<std::string> readLine();
    /// One CSV row's text (quotes kept) without its line break; nothing at the end.
    std::optional<std::string> readCsvRecord();

    std::istream& in_;
    bool started_ = false;
    bool csv_ = false;
    std::size_t lineNumber_ = 0;
    std::size_t recordLine_ = 0;
};

} // namespace parley::portal
