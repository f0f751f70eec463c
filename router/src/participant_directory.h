#pragma once

#include <parley/router/random_identifiers.h>

#include "ice_lite.h"
#include "participant.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace parley::router {

/// The participants the router knows, by id, with the moderators' mutes (remembered even
/// before a participant's first offer, so a mute cannot be escaped by negotiating after it),
/// and the links between publications and subscriptions, which it keeps consistent when
/// either side goes.
class ParticipantDirectory
{
public:
    explicit ParticipantDirectory(IceLite& ice) : ice_(ice) {}

    Participant* find(const std::string& id) const
    {
        const auto found = participants_.find(id);
        return found == participants_.end() ? nullptr : found->second.get();
    }

    /// The participant `id`, created in `roomId` with fresh ICE credentials if it is new.
    Participant& findOrCreate(const std::string& id, std::int64_t roomId);

    /// Takes the participant out: its publications end (their subscribers stop receiving
    /// them), its subscriptions end, ICE forgets it. Returns it (so its meters can be
    /// folded into the totals), or null if it was not there. Its mute is forgotten too.
    std::unique_ptr<Participant> remove(const std::string& id);

    void setMuted(const std::string& id, const std::string& kind, bool muted);

    /// Ends `publication` of `owner`: the recording copy, every subscription to it, itself.
    void removePublication(Participant& owner, Publication* publication);
    /// Stops `subscriber`'s copy of `subscription` (the subscription itself stays listed).
    static void unsubscribe(Participant& subscriber, const Subscription& subscription);

    auto begin() const { return participants_.begin(); }
    auto end() const { return participants_.end(); }

private:
    IceLite& ice_;
    std::unordered_map<std::string, std::unique_ptr<Participant>> participants_;
    std::unordered_map<std::string, std::pair<bool, bool>> mutes_; ///< id -> (audio, video)
};

} // namespace parley::router
