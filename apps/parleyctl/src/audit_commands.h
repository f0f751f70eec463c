#pragma once

#include "offline_context.h"

namespace parley::parleyctl {

/// `audit verify`: 0 when the chain is intact, 1 naming the first bad entry otherwise.
int verifyAudit(OfflineContext& context);

} // namespace parley::parleyctl
