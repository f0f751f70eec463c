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

// add() names every field: a counter added to RouterStats must be added there too, or the
// totals of a router with several workers would quietly leave it at the first worker's.
static_assert(sizeof(RouterStats) == 26 * sizeof(std::uint64_t), "add() must sum every RouterStats field");

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
    const auto check = [&](std::uint16_t first, const char* key) {
        if (first != 0 && last(first) > 65535)
            throw std::runtime_error("the media router's " + std::to_string(settings.workers) + " workers need " + key +
                                     " " + std::to_string(first) + " to " + std::to_string(last(first)) +
                                     ", past 65535: lower " + key + " or router.workers");
    };
    check(settings.port, "router.port");
    if (settings.tcpPort)
        check(*settings.tcpPort, "router.tcp_port");
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
    const auto room = participantRooms_.find(participantId);
    if (room == participantRooms_.end())
        return nullptr;
    return workers_[rooms_.at(room->second.roomId).worker].get();
}

Negotiation MediaRouter::negotiate(std::int64_t roomId, const std::string& participantId,
                                   const std::string& offer, const std::map<std::string, std::string>& tracks,
                                   const std::map<std::string, std::string>& subscriptions)
{
    const auto parsed = parseSdpOffer(offer); // parsing stays off the worker thread
    Worker* worker = nullptr;
    std::optional<std::uint64_t> registration; // set when this offer registered the participant
    std::optional<std::pair<bool, bool>> mutes;
    std::future<Negotiation> result;
    {
        std::lock_guard lock(placementMutex_);
        if (const auto known = participantRooms_.find(participantId); known != participantRooms_.end()) {
            if (known->second.roomId != roomId)
                throw SdpError("participant " + participantId + " is already negotiated in another room");
        }
        else {
            registration = ++registrations_;
            participantRooms_[participantId] = {roomId, *registration};
            if (const auto early = earlyMutes_.find(participantId); early != earlyMutes_.end()) {
                mutes = early->second;
                earlyMutes_.erase(early);
            }
        }
        const auto index = place(roomId);
        if (registration)
            ++rooms_[roomId].participants;
        worker = workers_[index].get();
        result = worker->post<Negotiation>([&] {
            if (mutes) {
                worker->setMuted(participantId, "audio", mutes->first);
                worker->setMuted(participantId, "video", mutes->second);
            }
            return worker->negotiate(roomId, participantId, parsed, tracks, subscriptions);
        });
    }
    try {
        return result.get();
    }
    catch (...) {
        // A first offer refused leaves the participant unknown, unless something changed
        // it meanwhile (a removal, another offer): then that is what holds.
        std::future<void> removed;
        {
            std::lock_guard lock(placementMutex_);
            const auto known = participantRooms_.find(participantId);
            if (registration && known != participantRooms_.end() && known->second.generation == *registration) {
                removed = worker->post<void>([worker, participantId] { worker->remove(participantId); });
                participantRooms_.erase(known);
                --rooms_[roomId].participants;
                release(roomId);
                if (mutes)
                    earlyMutes_[participantId] = *mutes;
            }
        }
        if (removed.valid())
            removed.get();
        throw;
    }
}

void MediaRouter::removeParticipant(const std::string& participantId)
{
    std::future<void> removed;
    {
        std::lock_guard lock(placementMutex_);
        const auto room = participantRooms_.find(participantId);
        if (room == participantRooms_.end()) {
            earlyMutes_.erase(participantId);
            return;
        }
        const auto roomId = room->second.roomId;
        auto* worker = workers_[rooms_.at(roomId).worker].get();
        removed = worker->post<void>([worker, participantId] { worker->remove(participantId); });
        participantRooms_.erase(room);
        --rooms_[roomId].participants;
        release(roomId);
    }
    removed.get();
}

void MediaRouter::startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
{
    std::future<void> started;
    {
        std::lock_guard lock(placementMutex_);
        auto* worker = workers_[place(roomId)].get();
        rooms_[roomId].tapped = true;
        started = worker->post<void>([worker, roomId, tap = std::move(tap)]() mutable { worker->startTap(roomId, std::move(tap)); });
    }
    started.get();
}

void MediaRouter::stopTap(std::int64_t roomId)
{
    std::future<void> stopped;
    {
        std::lock_guard lock(placementMutex_);
        const auto found = rooms_.find(roomId);
        if (found == rooms_.end())
            return;
        auto* worker = workers_[found->second.worker].get();
        stopped = worker->post<void>([worker, roomId] { worker->stopTap(roomId); });
        found->second.tapped = false;
        release(roomId);
    }
    stopped.get();
}

void MediaRouter::requestKeyframe(const std::string& trackId)
{
    std::future<void> done;
    {
        std::lock_guard lock(placementMutex_);
        // Track ids are "<participant id>/<mid>"; participant ids have no '/'.
        auto* worker = workerOfParticipant(trackId.substr(0, trackId.find('/')));
        if (!worker)
            return;
        done = worker->post<void>([worker, trackId] { worker->requestKeyframe(trackId); });
    }
    done.get();
}

void MediaRouter::setMuted(const std::string& participantId, const std::string& kind, bool muted)
{
    std::future<void> done;
    {
        std::lock_guard lock(placementMutex_);
        auto* worker = workerOfParticipant(participantId);
        if (!worker) {
            // The moderator was quicker than the participant's first offer.
            auto& early = earlyMutes_[participantId];
            (kind == "audio" ? early.first : early.second) = muted;
            return;
        }
        done = worker->post<void>([worker, participantId, kind, muted] { worker->setMuted(participantId, kind, muted); });
    }
    done.get();
}

void MediaRouter::setShownHeights(const std::string& participantId, const std::map<std::string, std::uint16_t>& heights)
{
    std::future<void> done;
    {
        std::lock_guard lock(placementMutex_);
        auto* worker = workerOfParticipant(participantId);
        if (!worker)
            return;
        done = worker->post<void>([worker, participantId, heights] { worker->setShownHeights(participantId, heights); });
    }
    done.get();
}

std::map<std::string, int> MediaRouter::bufferTargets(const std::string& participantId) const
{
    std::future<std::map<std::string, int>> targets;
    {
        std::lock_guard lock(placementMutex_);
        auto* worker = workerOfParticipant(participantId);
        if (!worker)
            return {};
        targets = worker->post<std::map<std::string, int>>(
            [worker, participantId] { return worker->bufferTargets(participantId); });
    }
    return targets.get();
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
    std::future<std::vector<ParticipantMedia>> media;
    {
        std::lock_guard lock(placementMutex_);
        const auto found = rooms_.find(roomId);
        if (found == rooms_.end())
            return {};
        auto* worker = workers_[found->second.worker].get();
        media = worker->post<std::vector<ParticipantMedia>>([worker, roomId] { return worker->participantMedia(roomId); });
    }
    return media.get();
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
