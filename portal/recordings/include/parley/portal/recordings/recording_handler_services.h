#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class RecordingLibrary;

/// What the recording library's endpoints work with; owned by the server.
struct RecordingHandlerServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    RecordingLibrary& recordingLibrary;
};

/// Base of this part's handlers: services() reaches the RecordingHandlerServices.
using RecordingHandlerBase = ServiceHandler<RecordingHandlerServices>;

} // namespace parley::portal
