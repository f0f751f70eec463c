#include "sip_call.h"

#include <parley/log/log_event.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/String.h>

#include <sstream>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxPinDigits = 16;
constexpr int kPinTries = 3;

Poco::Logger& logger()
{
    return Poco::Logger::get("sip.calls");
}

std::string text(const Poco::JSON::Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isString() ? object.getValue<std::string>(key) : std::string();
}

/// A join refusal as a SIP answer before the call is answered.
sip::SipRefusal refusalFor(const std::string& code)
{
    if (code == "unknown_meeting" || code == "meeting_ended")
        return {404, "Not Found", code};
    if (code == "room_full")
        return {486, "Busy Here", code};
    if (code == "room_locked")
        return {480, "Temporarily Unavailable", code};
    if (code == "guests_not_allowed" || code == "pin_not_set" || code == "too_many_attempts")
        return {403, "Forbidden", code};
    return {500, "Server Internal Error", "join_failed"};
}

} // namespace

void SipCallSink::send(const std::string& text)
{
    arrived(&text);
}

void SipCallSink::close(int, const std::string&)
{
    arrived(nullptr);
}

void SipCallSink::arrived(const std::string* text)
{
    bool wake = false;
    {
        const std::lock_guard lock(mutex_);
        if (text)
            messages_.push_back(*text);
        else
            closed_ = true;
        wake = !woken_;
        woken_ = true;
    }
    if (wake)
        wake_();
}

std::deque<std::string> SipCallSink::take(bool& closed)
{
    const std::lock_guard lock(mutex_);
    woken_ = false;
    closed = closed_;
    return std::exchange(messages_, {});
}

SipCall::SipCall(SipGateway& gateway, SignalingContext& context, const sip::IncomingCall& call,
                 const sip::CallKeys& localKeys, const router::DtlsContext& dtls,
                 const SipMediaAddresses& addresses, std::string displayName)
    : gateway_(gateway), callId_(call.callId), target_(call.target), endpoint_(call.endpoint)
{
    // The media thread reports digits and failures, and others' threads speak to the sink;
    // the call acts on them on the gateway's thread, if it is still on by then.
    sip::CallMedia::Callbacks callbacks;
    callbacks.digit = [&gateway, id = callId_](char digit) {
        gateway.postToCall(id, [digit](SipCall& call) { call.onDigit(digit); });
    };
    callbacks.failed = [&gateway, id = callId_](const std::string& why) {
        gateway.postToCall(id, [why](SipCall& call) { call.hangUp("media: " + why); });
    };
    callbacks.keyframeWanted = [&gateway, id = callId_] { gateway.requestKeyframe(id); };
    callbacks.rekeyNotTaken = [&gateway, id = callId_] { gateway.rekeyNotTaken(id); };
    media_ = std::make_unique<sip::CallMedia>(call.plan, localKeys, addresses.bind, addresses.announced, dtls,
                                              callbacks);
    sink_ = std::make_shared<SipCallSink>(
        [&gateway, id = callId_] { gateway.postToCall(id, [](SipCall& call) { call.drain(); }); });
    SipCaller caller{call.endpoint, std::move(displayName)};
    session_ = std::make_unique<SignalingSession>(context, caller, call.sourceAddress, sink_);
}

SipCall::~SipCall()
{
    end("hangup");
}

void SipCall::send(const Poco::JSON::Object& message)
{
    std::ostringstream out;
    message.stringify(out);
    session_->onMessage(out.str());
}

void SipCall::join()
{
    sendJoin("");
    if (stage_ == Stage::Joining && !joinRefusal_.empty())
        throw refusalFor(joinRefusal_);
}

void SipCall::sendJoin(const std::string& pin)
{
    stage_ = Stage::Joining;
    joinRefusal_.clear();
    Poco::JSON::Object join;
    join.set("type", "join");
    join.set("meetingId", target_);
    if (!pin.empty())
        join.set("pin", pin);
    send(join);
    drain();
}

void SipCall::drain()
{
    bool closed = false;
    for (const auto& text : sink_->take(closed)) {
        try {
            Poco::JSON::Parser parser;
            const auto message = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
            if (message)
                handle(*message);
        } catch (const Poco::Exception& e) {
            log::error(logger(), "sip.message_unreadable", "a SIP call could not read its signaling: " + e.displayText(),
                       {{"call", callId_}});
        }
    }
    if (closed && stage_ != Stage::Ended)
        hangUp("the meeting closed the call");
}

void SipCall::handle(const Poco::JSON::Object& message)
{
    const auto type = text(message, "type");
    log::debug(logger(), "sip.call_signaling", "SIP call " + callId_ + " is told " + type,
               {{"call", callId_}, {"type", type}});
    if (type == "joined") {
        stage_ = Stage::Present;
        participantId_ = text(message, "participantId");
        media_->setPrompt(false);
        tracks_.clear();
        if (const auto roster = message.getArray("roster"))
            for (std::size_t i = 0; i < roster->size(); ++i)
                if (const auto participant = roster->getObject(static_cast<unsigned>(i)))
                    learnRoster(*participant);
        negotiate();
    } else if (type == "lobby.waiting") {
        stage_ = Stage::InLobby;
        media_->setPrompt(true);
    } else if (type == "participant.joined" || type == "participant.updated") {
        // Our own updates (each answer changes our tracks) and changes other than audio
        // tracks need no new offer.
        if (const auto participant = message.getObject("participant"); participant && learnRoster(*participant))
            negotiate();
    } else if (type == "participant.left") {
        if (tracks_.erase(text(message, "participantId")))
            negotiate();
    } else if (type == "media.answer" && !message.has("from")) {
        offerOutstanding_ = false;
        try {
            media_->applyRouterAnswer(text(message, "sdp"));
        } catch (const std::runtime_error& e) {
            return hangUp(std::string("the media router's answer: ") + e.what());
        }
        if (renegotiate_)
            negotiate();
    } else if (type == "error") {
        const auto request = text(message, "request");
        if (request == "join")
            onJoinRefused(text(message, "code"));
        else if (request == "media.offer") {
            offerOutstanding_ = false;
            hangUp("the media router refused the call's offer: " + text(message, "message"));
        }
    } else if (type == "removed" || type == "room.ended" || type == "lobby.denied") {
        hangUp(type);
    }
}

void SipCall::onJoinRefused(const std::string& code)
{
    if (code == "pin_required" || code == "pin_incorrect") {
        if (code == "pin_incorrect" && ++wrongPins_ >= kPinTries)
            return hangUp("wrong PIN " + std::to_string(kPinTries) + " times");
        // The call is answered (or stays so) and prompts for the PIN.
        stage_ = Stage::WaitingForPin;
        pin_.clear();
        media_->setPrompt(true);
        return;
    }
    if (stage_ == Stage::Joining) {
        joinRefusal_ = code; // join() refuses the call with a SIP error
        return;
    }
    hangUp("join refused: " + code);
}

void SipCall::onDigit(char digit)
{
    if (stage_ != Stage::WaitingForPin)
        return;
    if (digit == '*') {
        pin_.clear();
        return;
    }
    if (digit != '#') {
        if (pin_.size() < kMaxPinDigits)
            pin_ += digit;
        return;
    }
    sendJoin(std::exchange(pin_, {}));
    if (stage_ == Stage::Joining && !joinRefusal_.empty())
        hangUp("join refused: " + joinRefusal_);
}

bool SipCall::learnRoster(const Poco::JSON::Object& participant)
{
    const auto id = text(participant, "id");
    if (id.empty() || id == participantId_)
        return false;
    // Video only in the call's own codec: the router passes video through as it came.
    const auto codec = media_->videoCodec();
    std::vector<sip::WantedTrack> tracks;
    if (const auto list = participant.getArray("tracks"))
        for (std::size_t i = 0; i < list->size(); ++i)
            if (const auto track = list->getObject(static_cast<unsigned>(i))) {
                const auto kind = text(*track, "kind");
                const bool video = kind == "video" || kind == "screen";
                if (kind == "audio" ||
                    (video && codec && Poco::icompare(text(*track, "codec"), std::string(sip::videoCodecName(*codec))) == 0))
                    tracks.push_back({text(*track, "id"), kind, id});
            }
    auto& known = tracks_[id];
    if (known == tracks)
        return false;
    known = std::move(tracks);
    return true;
}

void SipCall::negotiate()
{
    if (stage_ != Stage::Present)
        return;
    if (offerOutstanding_) {
        renegotiate_ = true;
        return;
    }
    renegotiate_ = false;
    std::vector<sip::WantedTrack> tracks;
    for (const auto& [participant, theirs] : tracks_)
        tracks.insert(tracks.end(), theirs.begin(), theirs.end());
    const auto offer = media_->routerOffer(tracks);
    Poco::JSON::Object message;
    message.set("type", "media.offer");
    message.set("sdp", offer.sdp);
    Poco::JSON::Object::Ptr published = new Poco::JSON::Object;
    for (const auto& [mid, kind] : offer.tracks)
        published->set(mid, kind);
    Poco::JSON::Object::Ptr subscriptions = new Poco::JSON::Object;
    for (const auto& [mid, track] : offer.subscriptions)
        subscriptions->set(mid, track);
    message.set("tracks", published);
    message.set("subscriptions", subscriptions);
    offerOutstanding_ = true;
    send(message);
}

void SipCall::hangUp(const std::string& why)
{
    if (stage_ == Stage::Ended)
        return;
    log::info(logger(), "sip.call_hangup", "Parley ends SIP call " + callId_ + ": " + why,
              {{"call", callId_}, {"reason", why}});
    end("removed");
    gateway_.hangUp(callId_);
}

void SipCall::end(const std::string& reason)
{
    if (stage_ == Stage::Ended)
        return;
    stage_ = Stage::Ended;
    session_->onDisconnect(reason);
}

} // namespace parley::portal
