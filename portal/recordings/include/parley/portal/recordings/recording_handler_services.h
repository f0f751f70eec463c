#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class RecordingLibrary;
class RecordingViewings;
class ExportSigner;

/// What the recording library's endpoints work with; owned by the server.
struct RecordingHandlerServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    RecordingLibrary& recordingLibrary;
    RecordingViewings& viewings;
    const ExportSigner& exportSigner;
};

/// Base of this part's handlers: services() reaches the RecordingHandlerServices.
using RecordingHandlerBase = ServiceHandler<RecordingHandlerServices>;

} // namespace parley::portal
