#pragma once

#include <parley/portal/http/api_handler.h>
#include <parley/portal/recordings/recording_handler_services.h>

#include <parley/storage/audit_details.h>
#include <parley/storage/recording_store.h>

#include <string>
#include <utility>

namespace parley::portal {

// Who may do what with a recording (docs/recording.md): its room's owner and admins
// everything; users it is shared with see and play it; auditors see its metadata, its
// content only if it is shared with them. Anyone else gets 403.

/// What the caller may do with one recording.
struct RecordingRights
{
    bool metadata = false;
    bool play = false;
    bool manage = false;
};

/// The rights of `who` on `recording`.
RecordingRights rightsOf(const storage::Recording& recording, const Principal& who,
                         storage::RecordingStore& store);

/// Appends an audit event for `action` on `recording`: a success, or a refusal (reason
/// "forbidden") when `allowed` is false.
void auditRecordingAccess(RecordingHandlerServices& services, const ApiRequest& request,
                          const std::string& action, const storage::Recording& recording,
                          bool allowed, storage::AuditDetails details = {});

/// The recording named by the route's `id`; HttpError 404 when there is none.
storage::Recording findRecording(storage::RecordingStore& store, const ApiRequest& request);

/// The recording named by the route's `id` and the caller's rights. HttpError 404 when there
/// is no such recording; 403 (audited as `action`) when the caller lacks `needed`.
std::pair<storage::Recording, RecordingRights> authorizedRecording(
    RecordingHandlerServices& services, const ApiRequest& request, bool RecordingRights::*needed,
    const std::string& action);

} // namespace parley::portal
