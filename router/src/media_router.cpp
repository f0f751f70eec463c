#include <parley/router/media_router.h>

#include "router_worker.h"

#include <parley/router/sdp.h>

#include <algorithm>

namespace parley::router {
namespace {

/// Worker `index`'s ports: the configured ones counted up, or free ones (0) throughout.
RouterSettings workerSettings(const RouterSettings& settings, unsigned index)
{
    auto own = settings;
    if (settings.port != 0)
        own.port = static_cast<std::uint16_t>(settings.port + index);
    if (settings.tcpPort && *settings.tcpPort != 0)
        own.tcpPort = static_cast<std::uint16_t>(*settings.tcpPort + index);
    return own;
}

void add(RouterStats& total, const RouterStats& part)
{
    total.packetsReceived += part.packetsReceived;
    total.packetsForwarded += part.packetsForwarded;
    total.bytesReceived += part.bytesReceived;
    total.bytesSent += part.bytesSent;
    total.packetsSent += part.packetsSent;
    total.droppedUnknownAddress += part.droppedUnknownAddress;
    total.droppedMalformed += part.droppedMalformed;
    total.droppedAuthentication += part.droppedAuthentication;
    total.droppedMuted += part.droppedMuted;
    total.droppedDuplicate += part.droppedDuplicate;
    total.stunAnswered += part.stunAnswered;
    total.keyframeRequests += part.keyframeRequests;
    total.keyframeRequestsFolded += part.keyframeRequestsFolded;
    total.retransmitted += part.retransmitted;
    total.nackMisses += part.nackMisses;
    total.retransmitsRefused += part.retransmitsRefused;
    total.nacksSent += part.nacksSent;
    total.packetsRecovered += part.packetsRecovered;
    total.repairsGivenUp += part.repairsGivenUp;
    total.transportFeedbackSent += part.transportFeedbackSent;
    total.transportFeedbackReceived += part.transportFeedbackReceived;
    total.layerSwitches += part.layerSwitches;
    total.probePackets += part.probePackets;
    total.pacedPackets += part.pacedPackets;
    total.pacerOverflows += part.pacerOverflows;
    total.pacedExpired += part.pacedExpired;
}

} // namespace

MediaRouter::MediaRouter(const RouterSettings& settings)
{
    if (settings.workers == 0)
        throw std::runtime_error("the media router needs at least one worker");
    const auto last = [&](std::uint16_t first) { return std::uint32_t(first) + settings.workers - 1; };
    if ((settings.port != 0 && last(settings.port) > 65535) ||
        (settings.tcpPort && *settings.tcpPort != 0 && last(*settings.tcpPort) > 65535))
        throw std::runtime_error("the media router's " + std::to_string(settings.workers) +
                                 " workers need ports up to " +
                                 std::to_string(last(settings.port != 0 ? settings.port : *settings.tcpPort)) +
                                 ", past 65535: lower router.port, router.tcp_port or router.workers");
    workers_.reserve(settings.workers);
    for (unsigned i = 0; i < settings.workers; ++i)
        workers_.push_back(std::make_unique<Worker>(workerSettings(settings, i)));
}

MediaRouter::~MediaRouter() = default;

std::size_t MediaRouter::place(std::int64_t roomId)
{
    if (const auto found = rooms_.find(roomId); found != rooms_.end())
        return found->second.worker;
    // The least busy by participants placed on it; rooms without anyone yet count as one.
    std::vector<int> load(workers_.size(), 0);
    for (const auto& [id, placement] : rooms_)
        load[placement.worker] += std::max(placement.participants, 1);
    const auto worker = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    rooms_[roomId].worker = worker;
    return worker;
}

void MediaRouter::release(std::int64_t roomId)
{
    if (const auto found = rooms_.find(roomId);
        found != rooms_.end() && found->second.participants <= 0 && !found->second.tapped)
        rooms_.erase(found);
}

MediaRouter::Worker* MediaRouter::workerOfParticipant(const std::string& participantId) const
{
    std::lock_guard lock(placementMutex_);
    const auto room = participantRooms_.find(participantId);
    if (room == participantRooms_.end())
        return nullptr;
    return workers_[rooms_.at(room->second).worker].get();
}

Negotiation MediaRouter::negotiate(std::int64_t roomId, const std::string& participantId,
                                   const std::string& offer, const std::map<std::string, std::string>& tracks,
                                   const std::map<std::string, std::string>& subscriptions)
{
    const auto parsed = parseSdpOffer(offer); // parsing stays off the worker thread
    Worker* worker = nullptr;
    bool added = false;
    std::optional<std::pair<bool, bool>> mutes;
    {
        std::lock_guard lock(placementMutex_);
        if (const auto known = participantRooms_.find(participantId); known != participantRooms_.end()) {
            if (known->second != roomId)
                throw SdpError("participant " + participantId + " is already negotiated in another room");
        }
        else {
            participantRooms_[participantId] = roomId;
            added = true;
            if (const auto early = earlyMutes_.find(participantId); early != earlyMutes_.end()) {
                mutes = early->second;
                earlyMutes_.erase(early);
            }
        }
        const auto index = place(roomId);
        if (added)
            ++rooms_[roomId].participants;
        worker = workers_[index].get();
    }
    try {
        return worker->run<Negotiation>([&] {
            if (mutes) {
                worker->setMuted(participantId, "audio", mutes->first);
                worker->setMuted(participantId, "video", mutes->second);
            }
            return worker->negotiate(roomId, participantId, parsed, tracks, subscriptions);
        });
    }
    catch (...) {
        // A first offer refused leaves nothing on the worker, so nothing is placed either;
        // the mutes wait for the next offer.
        if (added) {
            worker->run<void>([&] { worker->remove(participantId); });
            std::lock_guard lock(placementMutex_);
            participantRooms_.erase(participantId);
            --rooms_[roomId].participants;
            release(roomId);
            if (mutes)
                earlyMutes_[participantId] = *mutes;
        }
        throw;
    }
}

void MediaRouter::removeParticipant(const std::string& participantId)
{
    Worker* worker = nullptr;
    {
        std::lock_guard lock(placementMutex_);
        const auto room = participantRooms_.find(participantId);
        if (room == participantRooms_.end()) {
            earlyMutes_.erase(participantId);
            return;
        }
        const auto roomId = room->second;
        worker = workers_[rooms_.at(roomId).worker].get();
        participantRooms_.erase(room);
        --rooms_[roomId].participants;
        release(roomId);
    }
    worker->run<void>([&] { worker->remove(participantId); });
}

void MediaRouter::startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
{
    Worker* worker = nullptr;
    {
        std::lock_guard lock(placementMutex_);
        worker = workers_[place(roomId)].get();
        rooms_[roomId].tapped = true;
    }
    worker->run<void>([&] { worker->startTap(roomId, std::move(tap)); });
}

void MediaRouter::stopTap(std::int64_t roomId)
{
    Worker* worker = nullptr;
    {
        std::lock_guard lock(placementMutex_);
        const auto found = rooms_.find(roomId);
        if (found == rooms_.end())
            return;
        worker = workers_[found->second.worker].get();
        found->second.tapped = false;
        release(roomId);
    }
    worker->run<void>([&] { worker->stopTap(roomId); });
}

void MediaRouter::requestKeyframe(const std::string& trackId)
{
    // Track ids are "<participant id>/<mid>".
    if (auto* worker = workerOfParticipant(trackId.substr(0, trackId.find('/'))))
        worker->run<void>([&] { worker->requestKeyframe(trackId); });
}

void MediaRouter::setMuted(const std::string& participantId, const std::string& kind, bool muted)
{
    Worker* worker = nullptr;
    {
        std::lock_guard lock(placementMutex_);
        const auto room = participantRooms_.find(participantId);
        if (room == participantRooms_.end()) {
            // The moderator was quicker than the participant's first offer.
            auto& early = earlyMutes_[participantId];
            (kind == "audio" ? early.first : early.second) = muted;
            return;
        }
        worker = workers_[rooms_.at(room->second).worker].get();
    }
    worker->run<void>([&] { worker->setMuted(participantId, kind, muted); });
}

void MediaRouter::setShownHeights(const std::string& participantId, const std::map<std::string, std::uint16_t>& heights)
{
    if (auto* worker = workerOfParticipant(participantId))
        worker->run<void>([&] { worker->setShownHeights(participantId, heights); });
}

std::map<std::string, int> MediaRouter::bufferTargets(const std::string& participantId) const
{
    auto* worker = workerOfParticipant(participantId);
    if (!worker)
        return {};
    return worker->run<std::map<std::string, int>>([&] { return worker->bufferTargets(participantId); });
}

RouterStats MediaRouter::stats() const
{
    RouterStats total;
    for (const auto& worker : workers_)
        add(total, worker->stats());
    return total;
}

std::vector<ParticipantMedia> MediaRouter::participantMedia(std::int64_t roomId) const
{
    Worker* worker = nullptr;
    {
        std::lock_guard lock(placementMutex_);
        const auto found = rooms_.find(roomId);
        if (found == rooms_.end())
            return {};
        worker = workers_[found->second.worker].get();
    }
    return worker->run<std::vector<ParticipantMedia>>([worker, roomId] { return worker->participantMedia(roomId); });
}

RouterLoad MediaRouter::load() const
{
    RouterLoad total;
    double lossWeighted = 0;
    for (const auto& worker : workers_) {
        const auto part = worker->load();
        total.bitsPerSecondIn += part.bitsPerSecondIn;
        total.bitsPerSecondOut += part.bitsPerSecondOut;
        total.cpuPercent += part.cpuPercent;
        lossWeighted += part.lossPercent * double(part.bitsPerSecondIn);
    }
    // Each worker's loss weighed by what reaches it (close to weighing by packets expected).
    if (total.bitsPerSecondIn > 0)
        total.lossPercent = lossWeighted / double(total.bitsPerSecondIn);
    return total;
}

std::uint16_t MediaRouter::port() const
{
    return workers_.front()->port();
}

std::vector<std::uint16_t> MediaRouter::ports() const
{
    std::vector<std::uint16_t> all;
    for (const auto& worker : workers_)
        all.push_back(worker->port());
    return all;
}

std::optional<std::uint16_t> MediaRouter::tcpPort() const
{
    return workers_.front()->tcpPort();
}

std::vector<std::uint16_t> MediaRouter::tcpPorts() const
{
    std::vector<std::uint16_t> all;
    for (const auto& worker : workers_)
        if (const auto port = worker->tcpPort())
            all.push_back(*port);
    return all;
}

const std::string& MediaRouter::announcedAddress() const
{
    return workers_.front()->announced();
}

std::optional<std::size_t> MediaRouter::workerOf(std::int64_t roomId) const
{
    std::lock_guard lock(placementMutex_);
    const auto found = rooms_.find(roomId);
    if (found == rooms_.end())
        return std::nullopt;
    return found->second.worker;
}

} // namespace parley::router
