#include "audit_commands.h"

#include <parley/portal/audit/audit_export_verifier.h>

#include <fstream>
#include <iostream>
#include <stdexcept>

namespace parley::parleyctl {

int verifyAudit(OfflineContext& context)
{
    const auto result = context.audit->verify();
    if (result.ok) {
        std::cout << "audit log intact: " << result.entriesChecked << " entries verified" << std::endl;
        return 0;
    }
    std::cout << "audit log TAMPERED: " << result.problem << std::endl;
    if (result.firstBadSeq)
        std::cout << "first bad entry: " << *result.firstBadSeq << std::endl;
    return 1;
}

int verifyAuditExportFile(const std::vector<std::string>& arguments)
{
    if (arguments.size() != 1)
        throw std::invalid_argument("audit verify-export takes one FILE");
    std::ifstream in(arguments.front(), std::ios::binary);
    if (!in) {
        std::cout << "cannot read " << arguments.front() << std::endl;
        return 1;
    }
    portal::AuditExportCheck check;
    try {
        check = portal::verifyAuditExport(in);
    }
    catch (const portal::AuditExportFormatError& e) {
        std::cout << arguments.front() << " is not an audit export: " << e.what() << std::endl;
        return 1;
    }
    if (!check.ok) {
        std::cout << "audit export ALTERED: " << check.problem << std::endl;
        if (check.firstBadSeq)
            std::cout << "first bad entry: " << *check.firstBadSeq << std::endl;
        return 1;
    }
    std::cout << "audit export intact: " << check.entries << " entries verified";
    if (check.head)
        std::cout << "; head: entry " << check.head->seq << ", hash " << check.head->hash << ", exported at "
                  << check.head->exportedAt;
    else
        std::cout << " (CSV: compare its last hash with the X-Parley-Audit-Head the server sent)";
    std::cout << std::endl;
    return 0;
}

} // namespace parley::parleyctl
