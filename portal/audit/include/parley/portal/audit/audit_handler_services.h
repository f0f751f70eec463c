#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
}

namespace parley::portal {

/// What the audit log endpoints work with; owned by the server.
struct AuditHandlerServices
{
    storage::AuditLog& audit;
};

/// Base of this part's handlers: services() reaches the AuditHandlerServices.
using AuditHandler = ServiceHandler<AuditHandlerServices>;

} // namespace parley::portal
