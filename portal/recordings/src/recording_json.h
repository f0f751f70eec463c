#pragma once

#include "recording_access.h"

#include <parley/portal/recordings/recording_handler_services.h>

#include <parley/storage/recording_store.h>

#include <Poco/JSON/Object.h>

namespace parley::portal {

/// A recording as the API shows it to a caller with `rights` (docs/api.md): metadata,
/// composition, integrity, retention, tracks; shares only for who may manage it; media URLs
/// only for who may play it, once the composed file exists.
Poco::JSON::Object recordingJson(const storage::Recording& recording, const RecordingRights& rights,
                                 RecordingHandlerServices& services, storage::RecordingStore& store);

} // namespace parley::portal
