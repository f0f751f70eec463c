#include <parley/loadgen/simulated_participant.h>

#include <parley/loadgen/media_engine.h>
#include <parley/loadgen/scenario.h>
#include <parley/loadgen/signaling_client.h>
#include <parley/router/sdp.h>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <sstream>

namespace parley::loadgen {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kJoinTimeout = std::chrono::seconds(30);

std::string text(const Poco::JSON::Object::Ptr& object, const std::string& key)
{
    return object && object->has(key) && object->get(key).isString() ? object->getValue<std::string>(key) : std::string();
}

void sleepUntil(std::int64_t steady, const std::atomic<bool>& stopping)
{
    while (!stopping && steadyNanoseconds() < steady)
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::clamp<std::int64_t>((steady - steadyNanoseconds()) / 1'000'000, 1, 50)));
}

} // namespace

SimulatedParticipant::SimulatedParticipant(std::string name, const Scenario& scenario, const PortalClient& portal,
                                           PortalClient::Meeting meeting, Role role, MediaEngine& engine,
                                           const MediaClip* clip)
    : name_(std::move(name)), scenario_(scenario), portal_(portal), meeting_(std::move(meeting)), role_(role),
      engine_(engine), clip_(clip)
{
}

SimulatedParticipant::~SimulatedParticipant()
{
    stop();
}

void SimulatedParticipant::start(std::int64_t joinAt)
{
    thread_ = std::thread([this, joinAt] { run(joinAt); });
}

void SimulatedParticipant::stop()
{
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
}

void SimulatedParticipant::request(Command command)
{
    std::lock_guard lock(mutex_);
    commands_.push_back(command);
}

void SimulatedParticipant::startRecording() { request(Command::StartRecording); }
void SimulatedParticipant::stopRecording() { request(Command::StopRecording); }
void SimulatedParticipant::rejoin() { request(Command::Rejoin); }
void SimulatedParticipant::toggleSomeonesMute() { request(Command::ToggleMute); }

bool SimulatedParticipant::ready(int tracks) const
{
    std::lock_guard lock(mutex_);
    if (scenario_.signalingOnly)
        return joined_;
    return joined_ && receiving_ >= tracks && endpoint_ && endpoint_->connected();
}

std::vector<std::string> SimulatedParticipant::errors() const
{
    std::lock_guard lock(mutex_);
    return errors_;
}

void SimulatedParticipant::error(const std::string& message)
{
    std::lock_guard lock(mutex_);
    errors_.push_back(name_ + ": " + message);
}

void SimulatedParticipant::run(std::int64_t joinAt)
{
    sleepUntil(joinAt, stopping_);
    while (!stopping_) {
        bool again = false;
        try {
            again = session();
        } catch (const std::exception& e) {
            error(e.what());
        }
        if (endpoint_) {
            engine_.remove(endpoint_);
            std::lock_guard lock(mutex_);
            endpoint_.reset();
        }
        joined_ = false;
        receiving_ = 0;
        if (!again)
            break;
    }
}

bool SimulatedParticipant::session()
{
    signaling_ = std::make_unique<SignalingClient>(portal_, role_.moderator);
    Poco::JSON::Object join;
    join.set("type", "join");
    if (role_.moderator) {
        join.set("meetingId", meeting_.meetingId);
    } else {
        join.set("link", meeting_.link);
        join.set("name", name_);
    }
    joinSent_ = wallClockNanoseconds();
    signaling_->send(join);
    const auto deadline = std::chrono::steady_clock::now() + kJoinTimeout;
    Poco::JSON::Object::Ptr joined;
    while (!joined && !stopping_ && std::chrono::steady_clock::now() < deadline) {
        const auto message = signaling_->receive(kPoll);
        const auto type = text(message, "type");
        if (type == "joined")
            joined = message;
        else if (type == "error")
            throw std::runtime_error("join refused: " + text(message, "code") + " (" + text(message, "message") + ")");
        else if (type == "lobby.waiting")
            throw std::runtime_error("put in the lobby: the room must have its waiting room off");
    }
    if (!joined)
        throw std::runtime_error(stopping_ ? "stopped before joining" : "no answer to join within 30 s");

    participantId_ = text(joined, "participantId");
    sections_.clear();
    others_.clear();
    offerOutstanding_ = renegotiate_ = false;
    if (scenario_.signalingOnly) {
        joined_ = true;
        return holdUntilStopped();
    }
    {
        MediaEndpoint::Media media;
        media.audio = role_.publishes && scenario_.audio;
        media.video = role_.publishes && scenario_.video;
        media.audioKbps = scenario_.audioKbps;
        media.videoKbps = scenario_.videoKbps;
        media.fps = scenario_.fps;
        media.clip = clip_;
        auto endpoint = std::make_shared<MediaEndpoint>(engine_.dtlsContext(), media,
                                                        scenario_.decryptEvery, engine_.latency());
        engine_.add(endpoint);
        std::lock_guard lock(mutex_);
        endpoint_ = std::move(endpoint);
    }
    if (role_.publishes) {
        for (const char* kind : {"audio", "video"}) {
            if ((std::string(kind) == "audio" && !scenario_.audio) || (std::string(kind) == "video" && !scenario_.video))
                continue;
            Section section;
            section.mid = std::to_string(nextMid_++);
            section.kind = kind;
            section.send = true;
            sections_.push_back(section);
        }
    }
    if (const auto roster = joined->getArray("roster"))
        for (std::size_t i = 0; i < roster->size(); ++i)
            learnTracks(roster->getObject(static_cast<unsigned>(i)), joinSent_);
    joined_ = true;
    negotiate();
    return holdUntilStopped();
}

bool SimulatedParticipant::holdUntilStopped()
{
    while (!stopping_) {
        if (runCommands())
            return true; // rejoin
        handle(signaling_->receive(kPoll));
    }
    Poco::JSON::Object leave;
    leave.set("type", "leave");
    try {
        signaling_->send(leave);
    } catch (const SignalingClosed&) {
        // Gone already: leaving is done either way.
    }
    signaling_->close();
    return false;
}

bool SimulatedParticipant::runCommands()
{
    std::vector<Command> commands;
    {
        std::lock_guard lock(mutex_);
        commands.swap(commands_);
    }
    for (const auto command : commands) {
        Poco::JSON::Object message;
        switch (command) {
        case Command::StartRecording:
            message.set("type", "recording.start");
            break;
        case Command::StopRecording:
            message.set("type", "recording.stop");
            break;
        case Command::Rejoin: {
            Poco::JSON::Object leave;
            leave.set("type", "leave");
            signaling_->send(leave);
            signaling_->close();
            return true;
        }
        case Command::ToggleMute: {
            if (others_.empty())
                continue;
            const auto& target = others_[nextMuteTarget_++ % others_.size()];
            const bool muted = !mutedByUs_[target];
            mutedByUs_[target] = muted;
            message.set("type", "mute");
            message.set("kind", "audio");
            message.set("participantId", target);
            message.set("muted", muted);
            break;
        }
        }
        signaling_->send(message);
    }
    return false;
}

void SimulatedParticipant::handle(const Poco::JSON::Object::Ptr& message)
{
    if (!message)
        return;
    const auto type = text(message, "type");
    if (type == "participant.joined" || type == "participant.updated") {
        learnTracks(message->getObject("participant"), wallClockNanoseconds());
    } else if (type == "participant.left") {
        forgetPublisher(text(message, "participantId"));
    } else if (type == "media.answer" && !message->has("from")) {
        onAnswer(text(message, "sdp"));
    } else if (type == "recording.started") {
        recording_ = true;
    } else if (type == "recording.stopped") {
        recording_ = false;
    } else if (type == "error") {
        const auto about = text(message, "request");
        // Someone left between our choosing them and the mute arriving: not a failure.
        if (about == "mute" && text(message, "code") == "unknown_participant")
            return;
        error("the server refused " + (about.empty() ? std::string("a message") : about) + ": " +
              text(message, "code") + " (" + text(message, "message") + ")");
        if (about == "media.offer") {
            offerOutstanding_ = false;
            if (renegotiate_)
                negotiate();
        }
    } else if (type == "room.ended" || type == "removed") {
        throw std::runtime_error("taken out of the meeting: " + type);
    }
}

void SimulatedParticipant::learnTracks(const Poco::JSON::Object::Ptr& participant, std::int64_t since)
{
    if (!participant || scenario_.signalingOnly)
        return;
    const auto id = text(participant, "id");
    if (id.empty() || id == participantId_)
        return;
    if (std::find(others_.begin(), others_.end(), id) == others_.end())
        others_.push_back(id);
    std::set<std::string> current;
    if (const auto tracks = participant->getArray("tracks"))
        for (std::size_t i = 0; i < tracks->size(); ++i)
            if (const auto track = tracks->getObject(static_cast<unsigned>(i)))
                current.insert(text(track, "id") + "\n" + text(track, "kind"));
    bool changed = false;
    for (auto& section : sections_)
        if (!section.send && !section.stopped && section.publisherId == id &&
            !current.count(section.trackId + "\n" + section.kind) && !current.count(section.trackId + "\nscreen")) {
            section.stopped = true;
            changed = true;
        }
    for (const auto& entry : current) {
        const auto trackId = entry.substr(0, entry.find('\n'));
        const auto label = entry.substr(entry.find('\n') + 1);
        const auto kind = label == "audio" ? "audio" : "video";
        if (std::any_of(sections_.begin(), sections_.end(),
                        [&](const Section& s) { return !s.stopped && s.trackId == trackId; }))
            continue;
        Section section;
        section.mid = std::to_string(nextMid_++);
        section.kind = kind;
        section.trackId = trackId;
        section.publisherId = id;
        section.since = std::max(since, joinSent_);
        // A stopped section's place is taken again (as JSEP recycles m-lines), so that
        // comings and goings do not grow the offer without bound.
        const auto free = std::find_if(sections_.begin(), sections_.end(), [](const Section& s) { return s.stopped; });
        if (free != sections_.end())
            *free = section;
        else
            sections_.push_back(section);
        changed = true;
    }
    if (changed)
        negotiate();
}

void SimulatedParticipant::forgetPublisher(const std::string& participantId)
{
    std::erase(others_, participantId);
    if (scenario_.signalingOnly)
        return;
    bool changed = false;
    for (auto& section : sections_)
        if (!section.send && !section.stopped && section.publisherId == participantId) {
            section.stopped = true;
            changed = true;
        }
    if (changed)
        negotiate();
}

std::string SimulatedParticipant::offer() const
{
    const auto& id = endpoint_->identity();
    std::ostringstream sdp;
    sdp << "v=0\r\no=- 4611731400430051336 " << offerVersion_ << " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
    for (const auto& s : sections_)
        if (!s.stopped)
            sdp << " " << s.mid;
    sdp << "\r\n";
    for (const auto& s : sections_) {
        const bool audio = s.kind == "audio";
        sdp << "m=" << s.kind << (s.stopped ? " 0" : " 9") << " UDP/TLS/RTP/SAVPF " << (audio ? "111" : "96") << "\r\n"
            << "c=IN IP4 0.0.0.0\r\na=mid:" << s.mid << "\r\na=ice-ufrag:" << id.iceUfrag << "\r\na=ice-pwd:" << id.icePwd
            << "\r\na=fingerprint:" << id.fingerprint << "\r\na=setup:actpass\r\n"
            << (s.stopped ? "a=inactive" : s.send ? "a=sendonly" : "a=recvonly") << "\r\na=rtcp-mux\r\n";
        if (audio)
            sdp << "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
        else
            sdp << "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack pli\r\n";
        if (s.send && !s.stopped)
            sdp << "a=ssrc:" << (audio ? id.audioSsrc : id.videoSsrc) << " cname:parley-loadgen\r\n";
    }
    return sdp.str();
}

void SimulatedParticipant::negotiate()
{
    if (offerOutstanding_) {
        renegotiate_ = true;
        return;
    }
    renegotiate_ = false;
    if (sections_.empty())
        return;
    Poco::JSON::Object message;
    message.set("type", "media.offer");
    message.set("sdp", offer());
    Poco::JSON::Object::Ptr tracks = new Poco::JSON::Object;
    Poco::JSON::Object::Ptr subscriptions = new Poco::JSON::Object;
    for (const auto& s : sections_) {
        if (s.stopped)
            continue;
        if (s.send)
            tracks->set(s.mid, s.kind);
        else
            subscriptions->set(s.mid, s.trackId);
    }
    message.set("tracks", tracks);
    message.set("subscriptions", subscriptions);
    ++offerVersion_;
    offerOutstanding_ = true;
    signaling_->send(message);
}

void SimulatedParticipant::onAnswer(const std::string& sdp)
{
    offerOutstanding_ = false;
    AnswerPlan plan;
    try {
        const auto answer = router::parseSdpOffer(sdp);
        plan.router = router::answerTransport(answer);
        for (const auto& media : answer.media) {
            if (media.port == 0)
                continue;
            if (media.direction != "sendonly" || media.primarySsrc == 0)
                continue;
            const auto section = std::find_if(sections_.begin(), sections_.end(),
                                              [&](const Section& s) { return s.mid == media.mid; });
            AnswerPlan::Receive receive;
            receive.ssrc = media.primarySsrc;
            receive.video = media.kind == "video";
            receive.since = section != sections_.end() ? section->since : wallClockNanoseconds();
            plan.receives.push_back(receive);
        }
    } catch (const router::SdpError& e) {
        error(std::string("the router's answer does not parse: ") + e.what());
        return;
    }
    receiving_ = static_cast<int>(plan.receives.size());
    engine_.post([endpoint = endpoint_, plan = std::move(plan)] { endpoint->apply(plan, steadyNanoseconds()); });
    if (renegotiate_)
        negotiate();
}

} // namespace parley::loadgen
