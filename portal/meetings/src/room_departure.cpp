#include "room_departure.h"

#include <parley/log/log_event.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/router/media_router.h>
#include <parley/storage/audit_log.h>

#include <Poco/Logger.h>

namespace parley::portal {
namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

} // namespace

void finishDeparture(SignalingContext& context, std::int64_t roomId, const std::string& participantId,
                     const std::string& actor, const std::string& address, const std::string& reason)
{
    const auto room = std::to_string(roomId);
    try {
        if (context.media)
            context.media->removeParticipant(participantId);
    }
    catch (const std::exception& e) {
        log::error(logger(), "participant.media_release_failed",
                   "could not release the media of " + participantId + " in room " + room + ": " + e.what(),
                   {{"participant", participantId}, {"room", roomId}, {"error", e.what()}});
    }
    // The last one out: a recording of the empty meeting ends here.
    if (context.recordings && !context.registry.find(roomId)) {
        try {
            context.recordings->stop(roomId, "meeting empty");
        }
        catch (const std::exception& e) {
            log::error(logger(), "recording.stop_failed",
                       "could not stop the recording of room " + room + ": " + e.what(),
                       {{"room", roomId}, {"error", e.what()}});
        }
    }
    try {
        context.audit.append({actor, address, "room.leave", "room:" + room, "success",
                              storage::AuditDetails().add("participant", participantId).add("reason", reason).text()});
    }
    catch (const std::exception& e) {
        log::error(logger(), "audit.append_failed", "could not audit leaving room " + room + ": " + e.what(),
                   {{"room", roomId}, {"action", "room.leave"}, {"error", e.what()}});
    }
}

void releaseRemoved(SignalingContext& context, std::int64_t roomId, const std::vector<std::string>& participantIds)
{
    if (context.media)
        for (const auto& id : participantIds)
            context.media->removeParticipant(id);
    context.registry.forgetIfEmpty(roomId);
}

std::optional<std::int64_t> revokeKeyOf(SignalingContext& context, std::int64_t roomId, const Participant& removed,
                                        const std::string& actor, const std::string& address)
{
    if (!removed.identity.invitationId)
        return std::nullopt;
    try {
        context.rooms.revokeInvitation(roomId, *removed.identity.invitationId, actor, address);
    }
    catch (const HttpError&) {
        // already revoked meanwhile; nothing left to do
    }
    return removed.identity.invitationId;
}

} // namespace parley::portal
