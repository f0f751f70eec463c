#include <parley/loadgen/load_run.h>

#include <parley/loadgen/media_clip.h>
#include <parley/loadgen/media_engine.h>
#include <parley/loadgen/portal_client.h>
#include <parley/loadgen/simulated_participant.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <ostream>
#include <thread>

namespace parley::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

template <typename Predicate>
bool waitUntil(Clock::time_point deadline, Predicate&& done)
{
    while (Clock::now() < deadline) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
}

} // namespace

int LoadReport::videoSubscriptions() const
{
    if (!scenario.video || scenario.signalingOnly)
        return 0;
    const int perRoom = scenario.publishers * (scenario.publishers - 1) + scenario.publishers * scenario.subscribers;
    return perRoom * scenario.rooms;
}

double LoadReport::serverCores() const
{
    if (!serverBefore || !serverAfter || measuredSeconds <= 0)
        return 0;
    return (serverAfter->cpuSeconds - serverBefore->cpuSeconds) / measuredSeconds;
}

std::optional<double> LoadReport::serverMediaCores() const
{
    if (!serverBefore || !serverAfter || measuredSeconds <= 0)
        return std::nullopt;
    const auto after = serverAfter->cpuSecondsByThread.find("parley-media");
    const auto before = serverBefore->cpuSecondsByThread.find("parley-media");
    if (after == serverAfter->cpuSecondsByThread.end() || before == serverBefore->cpuSecondsByThread.end())
        return std::nullopt;
    return (after->second - before->second) / measuredSeconds;
}

double LoadReport::selfCores() const
{
    return measuredSeconds > 0 ? (selfAfter.cpuSeconds - selfBefore.cpuSeconds) / measuredSeconds : 0;
}

LoadReport runLoad(const Scenario& scenario, std::ostream& progress)
{
    LoadReport report;
    report.scenario = scenario;
    std::optional<MediaClip> clip;
    if (!scenario.mediaFile.empty()) {
        clip = loadMediaClip(scenario.mediaFile);
        progress << "parley-loadgen: publishing " << scenario.mediaFile << ": " << clip->width << "x" << clip->height << " at "
                 << clip->fps << " fps, " << static_cast<int>(clip->videoBitsPerSecond() / 1000) << " kbit/s of video, "
                 << clip->video.size() << " frames looped" << std::endl;
    }
    PortalClient portal(scenario);
    portal.login(scenario.username, scenario.password);

    const int tracksPublished = (scenario.audio ? 1 : 0) + (scenario.video ? 1 : 0);
    const int minutes = static_cast<int>((scenario.warmup + scenario.duration).count() / 60) + 30;
    std::vector<PortalClient::Meeting> meetings;
    for (int r = 0; r < scenario.rooms; ++r)
        meetings.push_back(portal.createMeeting("parley-loadgen room " + std::to_string(r + 1), minutes));

    std::vector<std::unique_ptr<MediaEngine>> engines;
    for (int i = 0; i < scenario.mediaThreads; ++i)
        engines.push_back(std::make_unique<MediaEngine>());

    // Publishers of every room first, then the receivers: these join a meeting in progress,
    // as most people do, so their join-to-keyframe time is the one a person would see.
    struct Member
    {
        std::unique_ptr<SimulatedParticipant> participant;
        int expectedTracks = 0;
    };
    std::vector<Member> members;
    std::vector<SimulatedParticipant*> moderators;
    auto add = [&](int room, const std::string& name, SimulatedParticipant::Role role, int tracks) {
        auto& engine = *engines[members.size() % engines.size()];
        members.push_back({std::make_unique<SimulatedParticipant>(name, scenario, portal, meetings[static_cast<std::size_t>(room)],
                                                                  role, engine, clip ? &*clip : nullptr),
                           tracks});
        if (role.moderator)
            moderators.push_back(members.back().participant.get());
    };
    for (int p = 0; p < scenario.publishers; ++p)
        for (int r = 0; r < scenario.rooms; ++r)
            add(r, "Publisher " + std::to_string(r + 1) + "." + std::to_string(p + 1), {p == 0, true},
                (scenario.publishers - 1) * tracksPublished);
    for (int q = 0; q < scenario.subscribers; ++q)
        for (int r = 0; r < scenario.rooms; ++r)
            add(r, "Viewer " + std::to_string(r + 1) + "." + std::to_string(q + 1), {false, false},
                scenario.publishers * tracksPublished);
    report.participants = static_cast<int>(members.size());

    const auto start = steadyNanoseconds();
    const std::int64_t spacing = 1'000'000'000 / scenario.joinsPerSecond;
    for (std::size_t i = 0; i < members.size(); ++i)
        members[i].participant->start(start + static_cast<std::int64_t>(i) * spacing);
    progress << "parley-loadgen: " << members.size() << " participants joining " << scenario.rooms << " room(s)"
             << std::endl;

    auto countReady = [&] {
        return static_cast<int>(std::count_if(members.begin(), members.end(), [](const Member& m) {
            return m.participant->ready(m.expectedTracks);
        }));
    };
    const auto joinDeadline = Clock::now() + std::chrono::seconds(60) +
                              std::chrono::nanoseconds(spacing * static_cast<std::int64_t>(members.size()));
    auto lastProgress = Clock::now();
    waitUntil(joinDeadline, [&] {
        const int ready = countReady();
        if (Clock::now() - lastProgress > std::chrono::seconds(5)) {
            progress << "parley-loadgen: " << ready << " of " << members.size() << " ready" << std::endl;
            lastProgress = Clock::now();
        }
        return ready == static_cast<int>(members.size());
    });
    report.ready = countReady();
    progress << "parley-loadgen: " << report.ready << " of " << members.size() << " joined with media" << std::endl;

    // The moderators of the rooms recorded: all, or the first --record-rooms.
    std::vector<SimulatedParticipant*> recorders;
    if (scenario.record)
        recorders.assign(moderators.begin(),
                         moderators.begin() + static_cast<std::ptrdiff_t>(
                                                  scenario.recordRooms > 0
                                                      ? std::min<std::size_t>(static_cast<std::size_t>(scenario.recordRooms), moderators.size())
                                                      : moderators.size()));
    if (!recorders.empty()) {
        for (auto* moderator : recorders)
            moderator->startRecording();
        if (!waitUntil(Clock::now() + std::chrono::seconds(30), [&] {
                return std::all_of(recorders.begin(), recorders.end(), [](auto* m) { return m->recording(); });
            }))
            report.errors.push_back("not every room's recording started within 30 s");
    }

    std::this_thread::sleep_for(scenario.warmup);
    if (scenario.serverPid)
        report.serverBefore = readProcessUsage(scenario.serverPid);
    report.selfBefore = readProcessUsage(::getpid());
    for (auto& engine : engines)
        engine->beginWindow();
    const auto windowStart = Clock::now();
    progress << "parley-loadgen: measuring for " << scenario.duration.count() << " s" << std::endl;

    std::size_t churn = 0;
    const auto windowEnd = windowStart + scenario.duration;
    auto nextChurn = windowStart + std::chrono::seconds(scenario.churnSeconds);
    while (Clock::now() < windowEnd) {
        std::this_thread::sleep_until(std::min(windowEnd, scenario.churnSeconds ? nextChurn : windowEnd));
        if (scenario.churnSeconds && Clock::now() >= nextChurn && Clock::now() < windowEnd) {
            // A guest leaves and comes back; a moderator mutes or unmutes someone.
            std::vector<SimulatedParticipant*> guests;
            for (auto& m : members)
                if (std::find(moderators.begin(), moderators.end(), m.participant.get()) == moderators.end())
                    guests.push_back(m.participant.get());
            if (!guests.empty())
                guests[churn % guests.size()]->rejoin();
            moderators[churn % moderators.size()]->toggleSomeonesMute();
            ++churn;
            nextChurn += std::chrono::seconds(scenario.churnSeconds);
        }
    }

    for (auto& engine : engines) {
        auto window = engine->endWindow();
        report.counters.add(window.counters);
        report.latency.video.merge(window.latency.video);
        report.latency.audio.merge(window.latency.audio);
        report.keyframeMs.insert(report.keyframeMs.end(), window.keyframeMs.begin(), window.keyframeMs.end());
        report.videoStreams += window.videoStreams;
        for (auto& failure : window.failures)
            report.errors.push_back("media: " + failure);
    }
    report.measuredSeconds = std::chrono::duration<double>(Clock::now() - windowStart).count();
    if (scenario.serverPid)
        report.serverAfter = readProcessUsage(scenario.serverPid);
    report.selfAfter = readProcessUsage(::getpid());
    std::sort(report.keyframeMs.begin(), report.keyframeMs.end());

    if (!recorders.empty()) {
        for (auto* moderator : recorders)
            moderator->stopRecording();
        if (!waitUntil(Clock::now() + std::chrono::seconds(60), [&] {
                return std::none_of(recorders.begin(), recorders.end(), [](auto* m) { return m->recording(); });
            }))
            report.errors.push_back("not every room's recording stopped within 60 s");
    }
    for (auto& m : members)
        m.participant->requestStop();
    for (auto& m : members) {
        m.participant->stop();
        for (auto& error : m.participant->errors())
            report.errors.push_back(error);
    }
    return report;
}

} // namespace parley::loadgen
