#include <parley/router/media_router.h>

#include "router_worker.h"

#include <parley/router/sdp.h>

namespace parley::router {

MediaRouter::MediaRouter(const RouterSettings& settings) : worker_(std::make_unique<Worker>(settings)) {}

MediaRouter::~MediaRouter() = default;

Negotiation MediaRouter::negotiate(std::int64_t roomId, const std::string& participantId,
                                   const std::string& offer, const std::map<std::string, std::string>& tracks,
                                   const std::map<std::string, std::string>& subscriptions)
{
    const auto parsed = parseSdpOffer(offer); // parsing stays off the worker thread
    return worker_->run<Negotiation>(
        [&] { return worker_->negotiate(roomId, participantId, parsed, tracks, subscriptions); });
}

void MediaRouter::startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
{
    worker_->run<void>([&] { worker_->startTap(roomId, std::move(tap)); });
}

void MediaRouter::stopTap(std::int64_t roomId)
{
    worker_->run<void>([&] { worker_->stopTap(roomId); });
}

void MediaRouter::requestKeyframe(const std::string& trackId)
{
    worker_->run<void>([&] { worker_->requestKeyframe(trackId); });
}

void MediaRouter::removeParticipant(const std::string& participantId)
{
    worker_->run<void>([&] { worker_->remove(participantId); });
}

void MediaRouter::setMuted(const std::string& participantId, const std::string& kind, bool muted)
{
    worker_->run<void>([&] { worker_->setMuted(participantId, kind, muted); });
}

void MediaRouter::setShownHeights(const std::string& participantId, const std::map<std::string, std::uint16_t>& heights)
{
    worker_->run<void>([&] { worker_->setShownHeights(participantId, heights); });
}

std::map<std::string, int> MediaRouter::bufferTargets(const std::string& participantId) const
{
    return worker_->run<std::map<std::string, int>>([&] { return worker_->bufferTargets(participantId); });
}

RouterStats MediaRouter::stats() const
{
    return worker_->stats();
}

std::vector<ParticipantMedia> MediaRouter::participantMedia(std::int64_t roomId) const
{
    return worker_->run<std::vector<ParticipantMedia>>([this, roomId] { return worker_->participantMedia(roomId); });
}

RouterLoad MediaRouter::load() const
{
    return worker_->load();
}

std::uint16_t MediaRouter::port() const
{
    return worker_->port();
}

std::optional<std::uint16_t> MediaRouter::tcpPort() const
{
    return worker_->tcpPort();
}

const std::string& MediaRouter::announcedAddress() const
{
    return worker_->announced();
}

} // namespace parley::router
