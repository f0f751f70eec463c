#include <parley/portal/audit/audit_export_verifier.h>

namespace parley::portal {
namespace {

/// The first problem seen of one kind.
struct Problem
{
    std::int64_t seq = 0;
    std::string text;
};

void keepFirst(std::optional<Problem>& slot, std::int64_t seq, std::string text)
{
    if (!slot)
        slot = Problem{seq, std::move(text)};
}

} // namespace

AuditExportCheck verifyAuditExport(std::istream& in, const std::function<void(const storage::AuditEntry&)>& visit)
{
    AuditExportCheck result;
    AuditExportReader reader(in);
    std::optional<Problem> chain;  // an entry altered, out of order, or a link broken
    std::optional<Problem> gap;    // a missing seq: a problem only if the export is unfiltered
    std::optional<Problem> format; // a record that does not parse: reading stops there
    std::optional<storage::AuditEntry> last;
    bool headSeen = false;

    for (;;) {
        std::optional<AuditExportReader::Record> record;
        try {
            record = reader.next();
        }
        catch (const AuditExportFormatError& e) {
            if (!last && !headSeen)
                throw; // no record at all: not an audit export
            result.csv = reader.csv();
            format = Problem{last ? last->seq + 1 : 1, e.what()};
            break;
        }
        result.csv = reader.csv();
        if (!record)
            break;
        if (const auto* head = std::get_if<AuditExportHeadRecord>(&*record)) {
            if (headSeen) {
                format = Problem{last ? last->seq + 1 : 1, "line " + std::to_string(reader.line()) +
                                                               ": a second head line"};
                break;
            }
            headSeen = true;
            result.head = head->head;
            result.filtered = head->filtered;
            continue;
        }
        const auto& entry = std::get<storage::AuditEntry>(*record);
        if (headSeen) {
            format = Problem{entry.seq, "line " + std::to_string(reader.line()) + ": entry " +
                                            std::to_string(entry.seq) + " follows the head line"};
            break;
        }
        ++result.entries;
        if (visit)
            visit(entry);
        const auto seq = std::to_string(entry.seq);
        if (storage::AuditLog::chainHash(entry) != entry.hash)
            keepFirst(chain, entry.seq, "entry " + seq + " was altered (its content does not match its hash)");
        if (last) {
            if (entry.seq <= last->seq)
                keepFirst(chain, entry.seq, "entry " + seq + " follows entry " + std::to_string(last->seq) +
                                                " (entries out of order or repeated)");
            else if (entry.seq == last->seq + 1 && entry.prevHash != last->hash)
                keepFirst(chain, last->seq, "entry " + std::to_string(last->seq) + " was altered or replaced (entry " +
                                                seq + " records a different hash for it)");
            else if (entry.seq > last->seq + 1)
                keepFirst(gap, last->seq + 1, "entry " + std::to_string(last->seq + 1) +
                                                  " is missing (the export jumps from entry " +
                                                  std::to_string(last->seq) + " to entry " + seq + ")");
        }
        last = entry;
    }

    std::optional<Problem> headProblem;
    if (!result.csv && !format) {
        if (!headSeen)
            headProblem = Problem{last ? last->seq + 1 : 1, "the head line is missing (the export was cut short "
                                                            "after entry " + std::to_string(last ? last->seq : 0) + ")"};
        else if (last && last->seq > result.head->seq)
            headProblem = Problem{result.head->seq + 1, "the head line names entry " + std::to_string(result.head->seq) +
                                                            " but the export goes on to entry " + std::to_string(last->seq)};
        else if (last && last->seq == result.head->seq && last->hash != result.head->hash)
            headProblem = Problem{last->seq, "entry " + std::to_string(last->seq) + " differs from the head line"};
        else if (!result.filtered && (last ? last->seq : 0) < result.head->seq)
            headProblem = Problem{(last ? last->seq : 0) + 1,
                                  "entries after entry " + std::to_string(last ? last->seq : 0) +
                                      " were removed (the head line names entry " + std::to_string(result.head->seq) + ")"};
    }
    if (result.filtered)
        gap.reset();

    std::optional<Problem> first;
    for (auto* candidate : {&chain, &gap, &format, &headProblem})
        if (*candidate && (!first || (*candidate)->seq < first->seq))
            first = *candidate;
    if (first) {
        result.firstBadSeq = first->seq;
        result.problem = first->text;
        return result;
    }
    result.ok = true;
    return result;
}

} // namespace parley::portal
