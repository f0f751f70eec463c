#include "recording_access.h"

#include <parley/portal/http/http_error.h>

#include <parley/storage/audit_log.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

std::string target(const storage::Recording& recording)
{
    return "recording:" + std::to_string(recording.id);
}

} // namespace

storage::Recording findRecording(storage::RecordingStore& store, const ApiRequest& request)
{
    const auto recording = store.find(request.idParam("id"));
    if (!recording)
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such recording");
    return *recording;
}


RecordingRights rightsOf(const storage::Recording& recording, const Principal& who,
                         storage::RecordingStore& store)
{
    const auto& user = who.user;
    // Role powers over others' recordings only from the addresses the admin lists permit.
    if (who.isAdmin() || (recording.ownerId && *recording.ownerId == user.id))
        return {true, true, true};
    if (store.isSharedWith(recording.id, user.id))
        return {true, true, false};
    if (who.isAuditor())
        return {true, false, false};
    return {};
}

void auditRecordingAccess(RecordingHandlerServices& services, const ApiRequest& request,
                          const std::string& action, const storage::Recording& recording,
                          bool allowed, storage::AuditDetails details)
{
    if (!allowed)
        details.add("reason", "forbidden");
    services.audit.append({request.actorName(), request.clientAddress, action, target(recording),
                           allowed ? "success" : "failure", details.text()});
}

std::pair<storage::Recording, RecordingRights> authorizedRecording(
    RecordingHandlerServices& services, const ApiRequest& request, bool RecordingRights::*needed,
    const std::string& action)
{
    storage::RecordingStore store(services.database);
    auto recording = findRecording(store, request);
    const auto rights = rightsOf(recording, *request.principal, store);
    if (!(rights.*needed)) {
        auditRecordingAccess(services, request, action, recording, false);
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden", "you may not do this with this recording");
    }
    return {std::move(recording), rights};
}

} // namespace parley::portal
