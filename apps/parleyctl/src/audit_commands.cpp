#include "audit_commands.h"

#include <iostream>

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

} // namespace parley::parleyctl
