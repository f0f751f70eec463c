#include <parley/portal/sip_calls/sip_gateway.h>

#include "sip_call.h"

#include <parley/log/log_event.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/router/dtls_certificate.h>
#include <parley/router/dtls_transport.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

#include <parley/portal/http/text_validation.h>

#include <Poco/Logger.h>

#include <future>
#include <optional>

namespace parley::portal {
namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("sip.calls");
}

/// The name a guest's phone gave, when it is one a roster can show; else a neutral one.
std::string guestName(const std::string& fromHeader)
{
    if (!fromHeader.empty() && isValidUtf8(fromHeader) && !hasControlCharacters(fromHeader) &&
        utf8Length(fromHeader) <= 64)
        return fromHeader;
    return "SIP caller";
}

} // namespace

SipGateway::SipGateway(SignalingContext& context, SipMediaAddresses addresses, EndpointLookup endpoints)
    : context_(context), addresses_(std::move(addresses)), endpoints_(std::move(endpoints)),
      // The context keeps its own references to the certificate and key.
      dtlsContext_(router::DtlsCertificate::generate(), router::DtlsRole::Client)
{
    thread_ = std::thread(&SipGateway::run, this);
}

SipGateway::~SipGateway()
{
    post([this] {
        for (auto& [id, call] : calls_)
            call->end("shutdown");
        calls_.clear();
    });
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

bool SipGateway::post(std::function<void()> task)
{
    {
        const std::lock_guard lock(mutex_);
        if (stopping_)
            return false;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

void SipGateway::run()
{
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty())
                return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            log::error(logger(), "sip.call_failed", std::string("a SIP call's task failed: ") + e.what(),
                       {{"error", e.what()}});
        }
    }
}

void SipGateway::postToCall(const std::string& callId, std::function<void(SipCall&)> task)
{
    post([this, callId, task = std::move(task)] {
        if (const auto found = calls_.find(callId); found != calls_.end())
            task(*found->second);
    });
}

std::optional<sip::EndpointCredentials> SipGateway::endpoint(const std::string& username, const std::string& realm)
{
    return endpoints_(username, realm);
}

sip::LocalMedia SipGateway::acceptCall(const sip::IncomingCall& incoming, const sip::CallKeys& localKeys)
{
    if (!context_.media)
        throw sip::SipRefusal(503, "Service Unavailable", "media_unavailable");
    // An endpoint's name is the one its admin gave it (the SIP server put it there).
    const std::string displayName = guestName(incoming.displayName);
    // On the gateway's thread, which owns every call; the SIP thread waits for the verdict
    // (the gateway's tasks are short: no task waits for the SIP thread).
    std::promise<sip::LocalMedia> verdict;
    if (!post([&] {
            try {
                verdict.set_value(admit(incoming, localKeys, displayName));
            } catch (...) {
                verdict.set_exception(std::current_exception());
            }
        }))
        throw sip::SipRefusal(503, "Service Unavailable", "shutdown");
    return verdict.get_future().get();
}

sip::LocalMedia SipGateway::admit(const sip::IncomingCall& incoming, const sip::CallKeys& localKeys,
                                  const std::string& displayName)
{
    std::unique_ptr<SipCall> created;
    try {
        created = std::make_unique<SipCall>(*this, context_, incoming, localKeys, dtlsContext_, addresses_,
                                            displayName);
    } catch (const std::runtime_error& e) {
        log::error(logger(), "sip.media_failed", std::string("cannot open a SIP call's media: ") + e.what(),
                   {{"call", incoming.callId}, {"error", e.what()}});
        throw sip::SipRefusal(503, "Service Unavailable", "media_unavailable");
    }
    auto& call = *(calls_[incoming.callId] = std::move(created)); // before join: what it hears comes as tasks
    try {
        call.join();
    } catch (...) {
        calls_.erase(incoming.callId);
        throw;
    }
    context_.audit.append({callerActor(incoming.endpoint), incoming.sourceAddress, "sip.call",
                           "meeting:" + incoming.target, "success",
                           storage::AuditDetails()
                               .add("call", incoming.callId)
                               .add("codec", std::string(sip::audioCodecName(incoming.plan.codec)))
                               .add("suite", std::string(sip::suiteName(incoming.plan.remoteCrypto.suite)))
                               .add("video", call.videoCodec() ? std::string(sip::videoCodecName(*call.videoCodec()))
                                                               : std::string("none"))
                               .text()});
    return call.local();
}

void SipGateway::callRefused(const sip::IncomingCall& incoming, const sip::SipRefusal& refusal)
{
    context_.audit.append({callerActor(incoming.endpoint), incoming.sourceAddress, "sip.call",
                           incoming.target.empty() ? std::string("meeting:unknown") : "meeting:" + incoming.target,
                           "failure",
                           storage::AuditDetails()
                               .add("call", incoming.callId)
                               .add("status", refusal.status())
                               .add("reason", refusal.reason())
                               .text()});
}

void SipGateway::callEnded(const std::string& callId, const std::string& reason)
{
    post([this, callId, reason] {
        const auto found = calls_.find(callId);
        if (found == calls_.end())
            return;
        found->second->end(reason);
        calls_.erase(found);
        context_.audit.append({"system", "local", "sip.call_end", "call:" + callId, "success",
                               storage::AuditDetails().add("reason", reason).text()});
    });
}

void SipGateway::callRekeyed(const std::string& callId, const sip::CallKeys& remote, const sip::CallKeys& local,
                             bool byParley)
{
    // On the gateway's thread, which owns the calls; the SIP thread waits, so that the
    // answer to the endpoint's own re-INVITE leaves only once the media has the new keys.
    std::promise<void> done;
    if (!post([&] {
            try {
                if (const auto found = calls_.find(callId); found != calls_.end())
                    found->second->rekey(remote, local, byParley);
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        }))
        return;
    try {
        done.get_future().get();
    } catch (const std::exception& e) {
        // Keys the SRTP library refuses: the endpoint is sending with them now, so the call
        // cannot go on.
        log::error(logger(), "sip.rekey_failed", std::string("a SIP call's new keys cannot be used: ") + e.what(),
                   {{"call", callId}, {"error", e.what()}});
        hangUp(callId);
    }
}

void SipGateway::keyframeRequested(const std::string& callId)
{
    postToCall(callId, [](SipCall& call) { call.requestKeyframeFromMeeting(); });
}

void SipGateway::hangUp(const std::string& callId)
{
    const std::lock_guard lock(serverMutex_);
    if (server_)
        server_->hangUp(callId);
}

void SipGateway::rekeyNotTaken(const std::string& callId)
{
    const std::lock_guard lock(serverMutex_);
    if (server_)
        server_->rekeyNotTaken(callId);
}

void SipGateway::requestKeyframe(const std::string& callId)
{
    const std::lock_guard lock(serverMutex_);
    if (server_)
        server_->requestKeyframe(callId);
}

void SipGateway::hangUpEndpoint(const std::string& username)
{
    post([this, username] {
        for (const auto& [id, call] : calls_)
            if (call->endpoint() == username)
                hangUp(id);
    });
}

} // namespace parley::portal
