#include "participant_directory.h"

#include "recording_taps.h"

#include <algorithm>

namespace parley::router {

Participant& ParticipantDirectory::findOrCreate(const std::string& id, std::int64_t roomId)
{
    if (auto* existing = find(id))
        return *existing;
    auto created = std::make_unique<Participant>();
    created->id = id;
    created->roomId = roomId;
    created->rtcpSsrc = randomSsrc();
    if (const auto muted = mutes_.find(id); muted != mutes_.end()) {
        created->audioMuted = muted->second.first;
        created->videoMuted = muted->second.second;
    }
    ice_.add(*created);
    auto& result = *created;
    participants_[id] = std::move(created);
    return result;
}

std::unique_ptr<Participant> ParticipantDirectory::remove(const std::string& id)
{
    mutes_.erase(id);
    const auto found = participants_.find(id);
    if (found == participants_.end())
        return nullptr;
    auto p = std::move(found->second);
    participants_.erase(found);
    while (!p->publications.empty())
        removePublication(*p, p->publications.back().get());
    for (const auto& subscription : p->subscriptions)
        unsubscribe(*p, subscription);
    ice_.remove(*p);
    return p;
}

void ParticipantDirectory::setMuted(const std::string& id, const std::string& kind, bool muted)
{
    auto& state = mutes_[id];
    (kind == "audio" ? state.first : state.second) = muted;
    if (auto* p = find(id))
        (kind == "audio" ? p->audioMuted : p->videoMuted) = muted;
}

void ParticipantDirectory::removePublication(Participant& owner, Publication* publication)
{
    RecordingTaps::detach(*publication);
    for (const auto& stream : publication->outgoing) {
        std::erase_if(stream.subscriber->subscriptions,
                      [&](const Subscription& s) { return s.publication == publication; });
        if (stream.subscriber->pacer)
            stream.subscriber->pacer->forget(publication);
    }
    std::erase_if(owner.publications, [&](const auto& p) { return p.get() == publication; });
}

void ParticipantDirectory::unsubscribe(Participant& subscriber, const Subscription& subscription)
{
    std::erase_if(subscription.publication->outgoing, [&](const OutgoingStream& s) {
        return s.subscriber == &subscriber && s.ssrc == subscription.ssrc;
    });
    if (subscriber.pacer)
        subscriber.pacer->forget(subscription.publication, subscription.ssrc);
}

} // namespace parley::router
