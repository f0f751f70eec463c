#include "signaling_texts.h"

#include <map>

namespace parley::portal {

const std::string& joinRefusalText(const std::string& code)
{
    static const std::map<std::string, std::string> texts{
        {"invalid_link", "this meeting link is not valid (it may have been replaced)"},
        {"invalid_key", "this invitation key is not valid"},
        {"revoked_key", "this invitation has been revoked"},
        {"unknown_meeting", "no meeting has this ID"},
        {"meeting_ended", "this meeting has ended"},
        {"guests_not_allowed", "this room does not admit guests; sign in first"},
        {"room_locked", "the room is locked; nobody new may join"},
        {"pin_required", "this room needs a PIN"},
        {"pin_incorrect", "the PIN is not correct"},
        {"pin_not_set", "the server requires a PIN but the room has none; ask its owner to set one"},
        {"too_many_attempts", "too many wrong PINs or meeting IDs; wait before trying again"},
        {"room_full", "the room is full"},
        {"removed", "you were removed from this meeting"},
        {"sign_in_required", "joining by meeting ID needs a signed-in user; guests use the link"},
    };
    static const std::string unknown = "the meeting could not be joined";
    const auto found = texts.find(code);
    return found == texts.end() ? unknown : found->second;
}

std::string roomErrorText(const std::string& code)
{
    if (code == "not_joined")
        return "wait until you are admitted";
    if (code == "not_moderator")
        return "only moderators may do this";
    if (code == "not_recording")
        return "this meeting is not being recorded";
    if (code == "recording_unavailable")
        return "recording is not available on this server";
    if (code == "policy_forced")
        return "the server's room policy does not allow recording";
    if (code == "recording_users_only")
        return "the server's room policy lets only signed-in moderators start a recording";
    if (code == "not_waiting")
        return "nobody with this id is waiting";
    if (code == "cannot_remove_owner")
        return "the room's owner and administrators cannot be removed from a meeting";
    if (code == "cannot_target_self")
        return "use leave to leave the meeting";
    return "no such participant in this room";
}

} // namespace parley::portal
