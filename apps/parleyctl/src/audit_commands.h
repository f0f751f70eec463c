#pragma once

#include "offline_context.h"

#include <string>
#include <vector>

namespace parley::parleyctl {

/// `audit verify`: 0 when the chain is intact, 1 naming the first bad entry otherwise.
int verifyAudit(OfflineContext& context);

/// `audit verify-export FILE`: checks an export file's hash chain and head line offline (no
/// server, no database): 0 when intact, 1 naming the first bad entry (or when the file is
/// not an export, or cannot be read).
int verifyAuditExportFile(const std::vector<std::string>& arguments);

} // namespace parley::parleyctl
