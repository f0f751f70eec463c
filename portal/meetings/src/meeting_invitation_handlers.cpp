#include <parley/portal/meetings/meeting_invitation_handlers.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/public_origin.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/calendar_file.h>
#include <parley/portal/meetings/meeting_invitation.h>
#include <parley/portal/meetings/room_service.h>

#include <charconv>
#include <cstdlib>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

HttpError invalidOffset()
{
    return HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                     "'offset' must be the minutes local time is ahead of UTC, -840 to 840 (in a browser: "
                     "-new Date(startsAt).getTimezoneOffset())");
}

/// The `offset` query parameter: nullopt when absent.
std::optional<int> utcOffset(const ApiRequest& request)
{
    if (!request.query("tz").empty())
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                        "'tz' is not supported by this server; send 'offset', the minutes local time is "
                        "ahead of UTC at the meeting's start");
    const auto text = request.query("offset");
    if (text.empty())
        return std::nullopt;
    // from_chars takes no '+', which people write for zones east of UTC.
    const std::string_view digits = text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
    int minutes = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), minutes);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        (text.front() == '+' && digits.front() == '-') || std::abs(minutes) > kMaxUtcOffsetMinutes)
        throw invalidOffset();
    return minutes;
}

} // namespace

void RoomCalendarHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto room = services().rooms.manageable(request.idParam("id"), *request.principal);
    if (room.kind != storage::RoomKind::Meeting || !room.startsAt || !room.endsAt)
        throw HttpError(Status::HTTP_CONFLICT, "personal_room",
                        "a personal room has no start or end to put in a calendar; share its invitation "
                        "text instead");
    const auto origin = publicOrigin(context().publicUrl, request.http);
    const auto file =
        calendarFile(calendarEvent(MeetingInvitation::of(services().rooms.roomPolicy().applied(room), origin), originHost(origin), unixNow()));
    response.setStatusAndReason(Status::HTTP_OK);
    response.setContentType("text/calendar; charset=utf-8");
    // The meeting ID is digits only, so the file name needs no quoting rules.
    response.set("Content-Disposition",
                 "attachment; filename=\"meeting-" + std::to_string(room.meetingId) + ".ics\"");
    response.setContentLength64(static_cast<Poco::Int64>(file.size()));
    response.send().write(file.data(), static_cast<std::streamsize>(file.size()));
}

void InvitationTextHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto room = services().rooms.manageable(request.idParam("id"), *request.principal);
    const auto offset = utcOffset(request);
    const auto invitation =
        invitationText(MeetingInvitation::of(services().rooms.roomPolicy().applied(room), publicOrigin(context().publicUrl, request.http)), offset);
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("subject", invitation.subject);
    body.set("text", invitation.text);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
