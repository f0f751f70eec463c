#pragma once

#include <parley/portal/meetings/participant.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/portal/sip_calls/sip_gateway.h>
#include <parley/sip/call_media.h>
#include <parley/sip/sip_server.h>

#include <Poco/JSON/Object.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace parley::portal {

class SipGateway;

/// What the call's signaling session says to it, kept until the gateway's thread reads it:
/// other participants' threads send here, often while holding their room's lock, so nothing
/// is acted on in send().
class SipCallSink : public ParticipantSink
{
public:
    explicit SipCallSink(std::function<void()> wake) : wake_(std::move(wake)) {}
    void send(const std::string& text) override;
    void close(int code, const std::string& reason) override;
    /// Takes what arrived; `closed` tells whether the session closed the call.
    std::deque<std::string> take(bool& closed);

private:
    /// Wakes the gateway for the first of what arrives until take().
    void arrived(const std::string* text);

    std::function<void()> wake_;
    std::mutex mutex_;
    std::deque<std::string> messages_;
    bool closed_ = false;
    bool woken_ = false;
};

/// One SIP call in a meeting, on the gateway's thread: its media bridge, its signaling
/// session, and where it stands (joining, waiting for a PIN or in the lobby, present).
class SipCall
{
public:
    SipCall(SipGateway& gateway, SignalingContext& context, const sip::IncomingCall& call,
            const sip::CallKeys& localKeys, const router::DtlsContext& dtls,
            const SipMediaAddresses& addresses, std::string displayName);
    ~SipCall();

    /// Asks to join the meeting dialled. Throws sip::SipRefusal when it cannot (no such
    /// meeting, locked, guests not allowed, full...); otherwise the call is answered and goes
    /// on as a participant, a PIN collected by DTMF first where the room has one.
    void join();
    /// Where the endpoint sends its media.
    sip::LocalMedia local() const { return media_->local(); }
    /// Acts on what the session said since the last time.
    void drain();
    /// A key pressed on the endpoint.
    void onDigit(char digit);
    /// The call is over: leaves the meeting.
    void end(const std::string& reason);
    /// New SDES keys for the call's media (CallMedia::rekey).
    void rekey(const sip::CallKeys& remote, const sip::CallKeys& local, bool byParley)
    {
        media_->rekey(remote, local, byParley);
    }
    /// The endpoint asked for a keyframe by SIP INFO.
    void requestKeyframeFromMeeting() { media_->requestKeyframeFromMeeting(); }
    /// The video codec the call passes, if it has video.
    std::optional<sip::VideoCodec> videoCodec() const { return media_->videoCodec(); }
    /// The authenticated endpoint's username; none for a guest.
    const std::optional<std::string>& endpoint() const { return endpoint_; }

private:
    enum class Stage
    {
        Joining,
        WaitingForPin,
        InLobby,
        Present,
        Ended,
    };

    void send(const Poco::JSON::Object& message);
    /// Sends `join` for the meeting dialled, with `pin` when there is one, and acts on the
    /// answer.
    void sendJoin(const std::string& pin);
    void handle(const Poco::JSON::Object& message);
    void onJoinRefused(const std::string& code);
    /// Takes a participant's tracks the call can receive from a roster entry; whether they
    /// changed.
    bool learnRoster(const Poco::JSON::Object& participant);
    void negotiate();
    void hangUp(const std::string& why);

    SipGateway& gateway_;
    std::string callId_;
    std::string target_;
    std::optional<std::string> endpoint_;
    std::unique_ptr<sip::CallMedia> media_;
    std::shared_ptr<SipCallSink> sink_;
    std::unique_ptr<SignalingSession> session_;
    Stage stage_ = Stage::Joining;
    std::string participantId_;
    std::string pin_;
    int wrongPins_ = 0;
    /// The first answer to `join`, for join() to decide on before the call is answered.
    std::string joinRefusal_;
    /// The tracks the call may receive (audio, and video in its codec), by participant id.
    std::map<std::string, std::vector<sip::WantedTrack>> tracks_;
    bool offerOutstanding_ = false;
    bool renegotiate_ = false;
};

} // namespace parley::portal
