#include <parley/portal/meetings/live_room.h>

#include <parley/portal/http/constant_time.h>
#include <parley/portal/http/secret_token.h>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <sstream>

namespace parley::portal {
namespace {

Poco::JSON::Object::Ptr message(const std::string& type)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("type", type);
    return object;
}

Poco::JSON::Array::Ptr tracksJson(const std::vector<MediaTrack>& tracks)
{
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& track : tracks) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("id", track.id);
        entry->set("kind", track.kind);
        entry->set("publisherId", track.publisherId);
        if (!track.codec.empty())
            entry->set("codec", track.codec);
        array->add(entry);
    }
    return array;
}

Poco::JSON::Object::Ptr lobbyEntryJson(const Participant& participant)
{
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("id", participant.id);
    entry->set("name", participant.identity.displayName);
    entry->set("guest", participant.identity.guest);
    entry->set("sip", participant.identity.sip);
    return entry;
}

/// Where a reconnecting participant's messages go: nowhere. Its next `joined` carries the
/// whole state again.
class DroppingSink : public ParticipantSink
{
public:
    void send(const std::string&) override {}
    void close(int, const std::string&) override {}
};

std::shared_ptr<ParticipantSink> droppingSink()
{
    static const auto sink = std::make_shared<DroppingSink>();
    return sink;
}

} // namespace

std::string messageText(const Poco::JSON::Object& object)
{
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr participantJson(const Participant& participant)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("id", participant.id);
    object->set("name", participant.identity.displayName);
    object->set("guest", participant.identity.guest);
    object->set("sip", participant.identity.sip);
    object->set("role", participant.isModerator() ? "moderator" : "participant");
    object->set("handRaised", participant.handRaised);
    object->set("audioMuted", participant.audioMuted);
    object->set("videoMuted", participant.videoMuted);
    object->set("audioMutedByModerator", participant.audioMutedByModerator);
    object->set("videoMutedByModerator", participant.videoMutedByModerator);
    object->set("tracks", tracksJson(participant.published));
    object->set("reconnecting", participant.reconnecting);
    return object;
}

Participant* LiveRoom::findPresent(const std::string& id)
{
    const auto found = std::find_if(present_.begin(), present_.end(),
                                    [&](const Participant& p) { return p.id == id; });
    return found == present_.end() ? nullptr : &*found;
}

Participant* LiveRoom::findWaiting(const std::string& id)
{
    const auto found = std::find_if(waiting_.begin(), waiting_.end(),
                                    [&](const Participant& p) { return p.id == id; });
    return found == waiting_.end() ? nullptr : &*found;
}

std::string LiveRoom::requireModerator(const std::string& actor)
{
    const auto* participant = findPresent(actor);
    return participant && participant->isModerator() ? "" : "not_moderator";
}

void LiveRoom::broadcast(const Poco::JSON::Object& object, const std::string& except)
{
    const auto text = messageText(object);
    for (auto& participant : present_)
        if (participant.id != except)
            participant.sink->send(text);
}

void LiveRoom::sendToModerators(const Poco::JSON::Object& object)
{
    const auto text = messageText(object);
    for (auto& participant : present_)
        if (participant.isModerator())
            participant.sink->send(text);
}

Poco::JSON::Array::Ptr LiveRoom::lobbyList() const
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& participant : waiting_)
        list->add(lobbyEntryJson(participant));
    return list;
}

void LiveRoom::announceLobby()
{
    auto update = message("lobby.updated");
    update->set("waiting", lobbyList());
    sendToModerators(*update);
}

void LiveRoom::announceUpdated(const Participant& participant)
{
    auto update = message("participant.updated");
    update->set("participant", participantJson(participant));
    broadcast(*update);
}

void LiveRoom::sendJoined(Participant& participant)
{
    auto joined = message("joined");
    joined->set("participantId", participant.id);
    // A new token with every joined: the one before no longer works.
    const auto token = randomToken();
    participant.resumeTokenHash = tokenHash(token);
    joined->set("resumeToken", token);
    Poco::JSON::Object::Ptr room = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    room->set("id", facts_.roomId);
    room->set("meetingId", facts_.meetingId);
    room->set("title", facts_.title);
    room->set("kind", facts_.kind);
    room->set("locked", facts_.locked);
    room->set("recording", recordingSince_.has_value());
    if (recordingSince_)
        room->set("recordingSince", *recordingSince_);
    joined->set("room", room);
    joined->set("role", participant.isModerator() ? "moderator" : "participant");
    Poco::JSON::Array::Ptr roster = new Poco::JSON::Array;
    for (const auto& other : present_)
        roster->add(participantJson(other));
    joined->set("roster", roster);
    if (participant.isModerator())
        joined->set("waiting", lobbyList());
    participant.sink->send(messageText(*joined));
}

LiveRoom::LiveRoom(RoomFacts facts)
    : facts_(std::move(facts)),
      startedAt_(std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count())
{}

std::string LiveRoom::enter(Participant participant, bool wait, std::size_t capacity, Entry& entry)
{
    std::lock_guard lock(mutex_);
    if (participant.arrivedAt == 0)
        participant.arrivedAt = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count();
    // Checked again under the lock: the caller read the stored room before a moderator may
    // have locked or ended it.
    if (ended_)
        return "meeting_ended";
    if (facts_.locked && !participant.isModerator())
        return "room_locked";
    if (participant.identity.userId && kickedUsers_.contains(*participant.identity.userId))
        return "removed";
    if (present_.size() + waiting_.size() >= capacity)
        return "room_full";
    if (wait) {
        entry = Entry::Waiting;
        auto waiting = message("lobby.waiting");
        waiting->set("participantId", participant.id);
        waiting->set("title", facts_.title);
        participant.sink->send(messageText(*waiting));
        waiting_.push_back(std::move(participant));
        announceLobby();
        return {};
    }
    entry = Entry::Present;
    auto joined = message("participant.joined");
    joined->set("participant", participantJson(participant));
    broadcast(*joined);
    present_.push_back(std::move(participant));
    sendJoined(present_.back());
    return {};
}

void LiveRoom::removeAt(std::vector<Participant>& list, std::size_t index,
                        const std::string& reason, bool wasPresent)
{
    const auto id = list[index].id;
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(index));
    if (wasPresent) {
        auto left = message("participant.left");
        left->set("participantId", id);
        left->set("reason", reason);
        broadcast(*left);
    }
    else {
        announceLobby();
    }
}

bool LiveRoom::leave(const std::string& id, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < present_.size(); ++i)
        if (present_[i].id == id) {
            removeAt(present_, i, reason, true);
            return true;
        }
    for (std::size_t i = 0; i < waiting_.size(); ++i)
        if (waiting_[i].id == id) {
            removeAt(waiting_, i, reason, false);
            return true;
        }
    return false;
}

LiveRoom::Departure LiveRoom::depart(const std::string& id, const ParticipantSink* sink,
                                     const std::string& reason, std::chrono::steady_clock::duration grace)
{
    std::lock_guard lock(mutex_);
    for (auto* list : {&present_, &waiting_})
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto& participant = (*list)[i];
            if (participant.id != id)
                continue;
            if (participant.sink.get() != sink)
                return Departure::Replaced;
            if (list == &present_ && grace > std::chrono::steady_clock::duration::zero()) {
                participant.reconnecting = true;
                participant.reconnectDeadline = std::chrono::steady_clock::now() + grace;
                participant.sink = droppingSink();
                announceUpdated(participant);
                return Departure::Held;
            }
            removeAt(*list, i, reason, list == &present_);
            return Departure::Removed;
        }
    return Departure::Gone;
}

std::string LiveRoom::resume(const std::string& token, std::optional<std::int64_t> userId,
                             std::shared_ptr<ParticipantSink> sink, Participant& resumed,
                             const std::function<void(const Participant&)>& resetMedia)
{
    std::lock_guard lock(mutex_);
    if (token.empty())
        return "invalid_token";
    const auto hash = tokenHash(token);
    const auto found = std::find_if(present_.begin(), present_.end(), [&](const Participant& p) {
        return !p.resumeTokenHash.empty() && equalConstantTime(p.resumeTokenHash, hash);
    });
    if (found == present_.end())
        return "invalid_token";
    auto& participant = *found;
    if (participant.reconnecting && std::chrono::steady_clock::now() >= participant.reconnectDeadline)
        return "invalid_token"; // expired; removed at the next expiry pass
    if (participant.identity.userId && participant.identity.userId != userId)
        return "invalid_token";
    participant.resumeTokenHash.clear();
    if (!participant.reconnecting)
        participant.sink->close(4409, "resumed on another connection");
    participant.reconnecting = false;
    participant.sink = std::move(sink);
    // Its media is negotiated anew: the others drop what they received from it until then.
    participant.published.clear();
    participant.subscribed.clear();
    if (resetMedia)
        resetMedia(participant);
    auto update = message("participant.updated");
    update->set("participant", participantJson(participant));
    broadcast(*update, participant.id);
    sendJoined(participant);
    resumed = participant;
    resumed.sink.reset();
    return {};
}

std::vector<Participant> LiveRoom::expireReconnecting(std::chrono::steady_clock::time_point now)
{
    std::lock_guard lock(mutex_);
    std::vector<Participant> expired;
    for (std::size_t i = 0; i < present_.size();) {
        auto& participant = present_[i];
        if (!participant.reconnecting || now < participant.reconnectDeadline) {
            ++i;
            continue;
        }
        expired.push_back(participant);
        expired.back().sink.reset();
        removeAt(present_, i, "connection_lost", true);
    }
    return expired;
}

bool LiveRoom::whileHolding(const std::string& id, const ParticipantSink* sink, const std::function<void()>& action)
{
    std::lock_guard lock(mutex_);
    const auto* participant = findPresent(id);
    if (!participant || participant->sink.get() != sink)
        return false;
    action();
    return true;
}

bool LiveRoom::holds(const std::string& id, const ParticipantSink* sink) const
{
    std::lock_guard lock(mutex_);
    for (const auto* list : {&present_, &waiting_})
        for (const auto& participant : *list)
            if (participant.id == id)
                return participant.sink.get() == sink;
    return false;
}

bool LiveRoom::empty() const
{
    std::lock_guard lock(mutex_);
    return present_.empty() && waiting_.empty();
}

std::size_t LiveRoom::presentCount() const
{
    std::lock_guard lock(mutex_);
    return present_.size();
}

std::size_t LiveRoom::waitingCount() const
{
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

bool LiveRoom::isPresentModerator(const std::string& id) const
{
    std::lock_guard lock(mutex_);
    return std::any_of(present_.begin(), present_.end(),
                       [&](const Participant& p) { return p.id == id && p.isModerator(); });
}

std::string LiveRoom::admit(const std::string& actor, const std::string& target)
{
    std::lock_guard lock(mutex_);
    if (auto error = requireModerator(actor); !error.empty())
        return error;
    const auto found = std::find_if(waiting_.begin(), waiting_.end(),
                                    [&](const Participant& p) { return p.id == target; });
    if (found == waiting_.end())
        return "not_waiting";
    auto participant = std::move(*found);
    waiting_.erase(found);
    auto admitted = message("lobby.admitted");
    participant.sink->send(messageText(*admitted));
    auto joined = message("participant.joined");
    joined->set("participant", participantJson(participant));
    broadcast(*joined);
    present_.push_back(std::move(participant));
    sendJoined(present_.back());
    announceLobby();
    return {};
}

std::string LiveRoom::deny(const std::string& actor, const std::string& target)
{
    std::lock_guard lock(mutex_);
    if (auto error = requireModerator(actor); !error.empty())
        return error;
    for (std::size_t i = 0; i < waiting_.size(); ++i)
        if (waiting_[i].id == target) {
            auto denied = message("lobby.denied");
            denied->set("reason", "denied_by_moderator");
            waiting_[i].sink->send(messageText(*denied));
            waiting_[i].sink->close(4403, "denied");
            removeAt(waiting_, i, "denied", false);
            return {};
        }
    return "not_waiting";
}

bool LiveRoom::isPresent(const std::string& id) const
{
    std::lock_guard lock(mutex_);
    return std::any_of(present_.begin(), present_.end(), [&](const Participant& p) { return p.id == id; });
}

std::string LiveRoom::muteByModerator(const std::string& actor, const std::string& target,
                                      const std::string& kind, bool muted,
                                      const MuteEnforcer& enforce)
{
    std::lock_guard lock(mutex_);
    if (auto error = requireModerator(actor); !error.empty())
        return error;
    auto apply = [&](Participant& participant) {
        auto& flag = kind == "audio" ? participant.audioMutedByModerator
                                     : participant.videoMutedByModerator;
        if (flag == muted)
            return;
        flag = muted;
        if (enforce)
            enforce(participant.id, muted);
        announceUpdated(participant);
    };
    if (target.empty()) {
        for (auto& participant : present_)
            if (participant.id != actor)
                apply(participant);
        return {};
    }
    auto* participant = findPresent(target);
    if (!participant)
        return "unknown_participant";
    apply(*participant);
    return {};
}

std::string LiveRoom::kick(const std::string& actor, const std::string& target,
                           std::optional<Participant>& removed)
{
    std::lock_guard lock(mutex_);
    if (auto error = requireModerator(actor); !error.empty())
        return error;
    if (actor == target)
        return "cannot_target_self";
    const auto found = find(target);
    if (!found)
        return "unknown_participant";
    if (found->first[found->second].identity.roomAuthority && !findPresent(actor)->identity.roomAuthority)
        return "cannot_remove_owner";
    removed = expel(*found, "kicked", "removed by a moderator");
    return {};
}

std::optional<Participant> LiveRoom::removeByAdmin(const std::string& target)
{
    std::lock_guard lock(mutex_);
    const auto found = find(target);
    if (!found)
        return std::nullopt;
    return expel(*found, "removed_by_admin", "removed by an administrator");
}

std::optional<std::pair<std::vector<Participant>&, std::size_t>> LiveRoom::find(const std::string& id)
{
    for (auto* list : {&present_, &waiting_})
        for (std::size_t i = 0; i < list->size(); ++i)
            if ((*list)[i].id == id)
                return std::pair<std::vector<Participant>&, std::size_t>(*list, i);
    return std::nullopt;
}

Participant LiveRoom::expel(std::pair<std::vector<Participant>&, std::size_t> at, const std::string& reason,
                            const std::string& closeReason)
{
    auto& [list, index] = at;
    auto& participant = list[index];
    auto notice = message("removed");
    notice->set("reason", reason);
    participant.sink->send(messageText(*notice));
    participant.sink->close(4403, closeReason);
    // Not back into this meeting while it goes on.
    if (participant.identity.userId)
        kickedUsers_.insert(*participant.identity.userId);
    Participant removed = participant;
    removed.sink.reset();
    removeAt(list, index, "kicked", &list == &present_);
    return removed;
}

std::string LiveRoom::setRoundTrip(const std::string& actor, double milliseconds)
{
    std::lock_guard lock(mutex_);
    auto* participant = findPresent(actor);
    if (!participant)
        return "not_joined";
    participant->roundTripMs = milliseconds;
    return {};
}

LiveRoom::Snapshot LiveRoom::snapshot() const
{
    std::lock_guard lock(mutex_);
    Snapshot copy{facts_, startedAt_, recordingSince_, present_, waiting_};
    for (auto* list : {&copy.present, &copy.waiting})
        for (auto& participant : *list)
            participant.sink.reset();
    return copy;
}

std::map<std::string, std::string> LiveRoom::displayNames() const
{
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> names;
    for (const auto& participant : present_)
        names.emplace(participant.id, participant.identity.displayName);
    return names;
}

std::string LiveRoom::promote(const std::string& actor, const std::string& target)
{
    std::lock_guard lock(mutex_);
    if (auto error = requireModerator(actor); !error.empty())
        return error;
    auto* participant = findPresent(target);
    if (!participant)
        return "unknown_participant";
    if (participant->isModerator())
        return {};
    participant->role = ParticipantRole::Moderator;
    announceUpdated(*participant);
    // The new moderator now sees the lobby.
    auto update = message("lobby.updated");
    update->set("waiting", lobbyList());
    participant->sink->send(messageText(*update));
    return {};
}

void LiveRoom::announceRecording(std::optional<std::int64_t> since, const std::string& by, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    recordingSince_ = since;
    auto update = message(since ? "recording.started" : "recording.stopped");
    if (since)
        update->set("since", *since);
    update->set("by", by);
    if (!reason.empty())
        update->set("reason", reason);
    broadcast(*update);
}

void LiveRoom::announceLocked(bool locked)
{
    std::lock_guard lock(mutex_);
    facts_.locked = locked;
    auto update = message("room.updated");
    update->set("locked", locked);
    broadcast(*update);
}

std::vector<std::string> LiveRoom::endForAll(const std::string& reason)
{
    std::lock_guard lock(mutex_);
    ended_ = true;
    std::vector<std::string> removed;
    auto ended = message("room.ended");
    ended->set("reason", reason);
    const auto text = messageText(*ended);
    for (auto* list : {&present_, &waiting_})
        for (auto& participant : *list) {
            participant.sink->send(text);
            participant.sink->close(4404, "meeting ended");
            removed.push_back(participant.id);
        }
    present_.clear();
    waiting_.clear();
    return removed;
}

std::vector<std::string> LiveRoom::removeInvitee(std::int64_t invitationId)
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> removed;
    for (auto* list : {&present_, &waiting_})
        for (std::size_t i = 0; i < list->size();) {
            auto& participant = (*list)[i];
            if (participant.identity.invitationId != invitationId) {
                ++i;
                continue;
            }
            auto notice = message("removed");
            notice->set("reason", "invitation_revoked");
            participant.sink->send(messageText(*notice));
            participant.sink->close(4403, "invitation revoked");
            removed.push_back(participant.id);
            removeAt(*list, i, "invitation_revoked", list == &present_);
        }
    return removed;
}

std::set<std::int64_t> LiveRoom::presentInvitations() const
{
    std::lock_guard lock(mutex_);
    std::set<std::int64_t> invitations;
    for (const auto& participant : present_)
        if (participant.identity.invitationId)
            invitations.insert(*participant.identity.invitationId);
    return invitations;
}

void LiveRoom::closeAll(int code, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    for (auto* list : {&present_, &waiting_})
        for (auto& participant : *list)
            participant.sink->close(code, reason);
}

std::string LiveRoom::setHand(const std::string& actor, bool raised)
{
    std::lock_guard lock(mutex_);
    auto* participant = findPresent(actor);
    if (!participant)
        return "not_joined";
    if (participant->handRaised != raised) {
        participant->handRaised = raised;
        announceUpdated(*participant);
    }
    return {};
}

std::string LiveRoom::setOwnMedia(const std::string& actor, std::optional<bool> audioMuted,
                                  std::optional<bool> videoMuted)
{
    std::lock_guard lock(mutex_);
    auto* participant = findPresent(actor);
    if (!participant)
        return "not_joined";
    participant->audioMuted = audioMuted.value_or(participant->audioMuted);
    participant->videoMuted = videoMuted.value_or(participant->videoMuted);
    announceUpdated(*participant);
    return {};
}

std::string LiveRoom::relay(const std::string& from, const std::string& to,
                            Poco::JSON::Object::Ptr forwarded)
{
    std::lock_guard lock(mutex_);
    if (!findPresent(from))
        return "not_joined";
    auto* target = findPresent(to);
    if (!target || to == from)
        return "unknown_participant";
    forwarded->remove("to");
    forwarded->set("from", from);
    target->sink->send(messageText(*forwarded));
    return {};
}

std::string LiveRoom::setTracks(const std::string& id, std::vector<MediaTrack> published,
                                std::vector<MediaTrack> subscribed, const ParticipantSink* sink)
{
    std::lock_guard lock(mutex_);
    auto* participant = findPresent(id);
    if (!participant || (sink && participant->sink.get() != sink))
        return "unknown_participant";
    participant->published = std::move(published);
    participant->subscribed = std::move(subscribed);
    announceUpdated(*participant);
    return {};
}

} // namespace parley::portal
