#pragma once

#include <parley/sip/sip_server.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <parley/router/dtls_transport.h>

namespace parley::portal {

struct SignalingContext;
class SipCall;

/// Where a SIP call's media is received: the address its port is opened on, and the one
/// written into the SDP answer.
struct SipMediaAddresses
{
    std::string bind = "0.0.0.0";
    std::string announced = "127.0.0.1";
};

/// Joins SIP calls to meetings: each accepted call gets its media bridge (sip::CallMedia)
/// and a signaling session of its own (SignalingSession as a SipCaller), which admits it as
/// the meeting page is admitted: PIN (collected by DTMF while a tone prompts), lobby and
/// lock as for guests, moderators' mute and removal. A moderator's removal, the meeting's
/// end or a refused PIN hang the call up. All calls run on one thread of the gateway's.
class SipGateway : public sip::SipCallHandler
{
public:
    /// An endpoint's credentials for a realm (SipCallHandler::endpoint).
    using EndpointLookup =
        std::function<std::optional<sip::EndpointCredentials>(const std::string& username, const std::string& realm)>;

    /// `context.media` must be set (calls are refused with 503 without a media router).
    SipGateway(SignalingContext& context, SipMediaAddresses addresses, EndpointLookup endpoints);
    /// Ends every call's session (the SIP server sends the BYEs when it stops).
    ~SipGateway() override;
    SipGateway(const SipGateway&) = delete;
    SipGateway& operator=(const SipGateway&) = delete;

    /// The server whose calls these are, for hanging up; before any call arrives.
    /// nullptr before the server goes (calls' media threads may still ask it for things).
    void attach(sip::SipServer* server)
    {
        const std::lock_guard lock(serverMutex_);
        server_ = server;
    }

    // sip::SipCallHandler, on the SIP thread
    std::optional<sip::EndpointCredentials> endpoint(const std::string& username, const std::string& realm) override;
    sip::LocalMedia acceptCall(const sip::IncomingCall& call, const sip::CallKeys& localKeys) override;
    void callRefused(const sip::IncomingCall& call, const sip::SipRefusal& refusal) override;
    void callEnded(const std::string& callId, const std::string& reason) override;
    void callRekeyed(const std::string& callId, const sip::CallKeys& remote, const sip::CallKeys& local,
                     bool byParley) override;
    void keyframeRequested(const std::string& callId) override;

    /// For the calls: runs `task` on the gateway's thread with call `callId`, if that call is
    /// still on by then.
    void postToCall(const std::string& callId, std::function<void(SipCall&)> task);
    /// For a call that must end from Parley's side: BYE to the endpoint.
    void hangUp(const std::string& callId);
    /// For a call whose endpoint takes keyframe requests only by SIP INFO.
    void requestKeyframe(const std::string& callId);
    /// For a call whose endpoint did not take Parley's new key.
    void rekeyNotTaken(const std::string& callId);
    /// Hangs up every call of endpoint `username` (its credentials were deleted or changed).
    void hangUpEndpoint(const std::string& username);

private:
    void run();
    /// Queues `task` for the gateway's thread; false once it stops.
    bool post(std::function<void()> task);
    /// Creates, joins and registers a call (on the gateway's thread). Throws sip::SipRefusal.
    sip::LocalMedia admit(const sip::IncomingCall& call, const sip::CallKeys& localKeys,
                          const std::string& displayName);

    SignalingContext& context_;
    SipMediaAddresses addresses_;
    EndpointLookup endpoints_;
    router::DtlsContext dtlsContext_; ///< the client role, for every call's router leg
    std::mutex serverMutex_; ///< guards server_ and each use of it
    sip::SipServer* server_ = nullptr;

    std::map<std::string, std::unique_ptr<SipCall>> calls_; ///< on the gateway's thread only

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace parley::portal
