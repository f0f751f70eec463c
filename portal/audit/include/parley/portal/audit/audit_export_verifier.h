#pragma once

#include <parley/portal/audit/audit_export_format.h>

#include <functional>
#include <istream>
#include <optional>
#include <string>

namespace parley::portal {

/// What verifyAuditExport found in an export file, by itself (no server involved).
struct AuditExportCheck
{
    bool ok = false;          ///< every entry, link and the head line are intact
    std::int64_t entries = 0; ///< entries read
    std::optional<std::int64_t> firstBadSeq; ///< the first entry altered, removed or out of place
    std::string problem;      ///< what is wrong, in words ("line 7: ..." for a broken record); "" when ok
    std::optional<AuditExportHead> head; ///< the head line (JSON Lines only)
    bool filtered = false;    ///< the head line records a filter (gaps in seq are expected)
    bool csv = false;
};

/// Reads an export (AuditExportReader, any size, one record in memory at a time) and checks:
/// - each entry's hash against its content (storage::AuditLog::chainHash);
/// - each entry's prevHash against the entry before it, when their seqs are consecutive;
/// - seqs ascending, and without gaps unless the head line records a filter (a CSV export
///   has no head line, so a gap counts as a removed entry);
/// - JSON Lines: the head line is last and present (a file cut short loses it), and the
///   last entry is the head's (unfiltered) or its hash matches when it is the head's seq.
/// Reports the problem with the lowest seq. `visit` sees every entry read, in order.
/// Throws AuditExportFormatError when the file's first record is not an audit export record
/// at all (the wrong file); a broken record later on is reported as a problem instead.
AuditExportCheck verifyAuditExport(std::istream& in,
                                   const std::function<void(const storage::AuditEntry&)>& visit = {});

} // namespace parley::portal
