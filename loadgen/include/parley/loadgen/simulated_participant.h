#pragma once

#include <parley/loadgen/media_endpoint.h>
#include <parley/loadgen/portal_client.h>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace parley::loadgen {

class MediaEngine;
struct MediaClip;
class SignalingClient;
struct Scenario;

/// One person in a meeting, as the meeting page behaves: joins over signaling (the
/// moderator signed in by meeting ID, the others as guests by link), offers its microphone
/// and camera, subscribes to every track others publish (re-offering as they come and go),
/// and hands each answer to its media endpoint. Runs on a thread of its own; the load run
/// talks to it only through the thread-safe calls below.
class SimulatedParticipant
{
public:
    struct Role
    {
        bool moderator = false;
        bool publishes = true;
    };

    /// `clip`, when given, is what it publishes (it must outlive the participant).
    SimulatedParticipant(std::string name, const Scenario& scenario, const PortalClient& portal,
                         PortalClient::Meeting meeting, Role role, MediaEngine& engine, const MediaClip* clip);
    ~SimulatedParticipant();

    /// Starts its thread; it joins at `joinAt` (steady clock ns).
    void start(std::int64_t joinAt);
    /// Asks its thread to leave the meeting; stop() then waits for it.
    void requestStop() { stopping_ = true; }
    /// Leaves the meeting and ends its thread.
    void stop();

    // Thread-safe requests, carried out by its thread soon (moderator ones only by a moderator).
    void startRecording();
    void stopRecording();
    void rejoin();
    void toggleSomeonesMute();

    bool joined() const { return joined_; }
    bool recording() const { return recording_; }
    /// Joined, its media connected, and receiving `tracks` tracks from the router.
    bool ready(int tracks) const;
    /// Signaling errors so far (join refused, offer refused, connection lost), one line each.
    std::vector<std::string> errors() const;
    const std::string& name() const { return name_; }

private:
    struct Section
    {
        std::string mid;
        std::string kind; ///< audio or video
        bool send = false;
        std::string trackId; ///< a subscription's track
        std::string publisherId;
        bool stopped = false;
        std::int64_t since = 0;
    };
    enum class Command
    {
        StartRecording,
        StopRecording,
        Rejoin,
        ToggleMute,
    };

    void run(std::int64_t joinAt);
    bool session();
    /// Handles messages and requests until stopped (false) or asked to rejoin (true).
    bool holdUntilStopped();
    void handle(const Poco::JSON::Object::Ptr& message);
    void learnTracks(const Poco::JSON::Object::Ptr& participant, std::int64_t since);
    void forgetPublisher(const std::string& participantId);
    void negotiate();
    std::string offer() const;
    void onAnswer(const std::string& sdp);
    void error(const std::string& text);
    void request(Command command);
    bool runCommands();

    std::string name_;
    const Scenario& scenario_;
    const PortalClient& portal_;
    PortalClient::Meeting meeting_;
    Role role_;
    MediaEngine& engine_;
    const MediaClip* clip_;

    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> joined_{false};
    std::atomic<bool> recording_{false};
    std::atomic<int> receiving_{0};
    mutable std::mutex mutex_;
    std::vector<Command> commands_;
    std::vector<std::string> errors_;

    // Used by its thread only.
    std::unique_ptr<SignalingClient> signaling_;
    std::shared_ptr<MediaEndpoint> endpoint_;
    std::string participantId_;
    std::int64_t joinSent_ = 0;
    std::vector<Section> sections_;
    int nextMid_ = 0;
    int offerVersion_ = 1;
    bool offerOutstanding_ = false;
    bool renegotiate_ = false;
    std::vector<std::string> others_;          ///< participant ids present, for mutes
    std::map<std::string, bool> mutedByUs_;
    std::size_t nextMuteTarget_ = 0;
};

} // namespace parley::loadgen
