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
      certificate_(std::make_unique<router::DtlsCertificate>(router::DtlsCertificate::generate())),
      dtlsContext_(std::make_unique<router::DtlsContext>(*certificate_, router::DtlsRole::Client))
{
    thread_ = std::thread(&SipGateway::run, this);
}

SipGateway::~SipGateway()
{
    post([this] {
        for (auto& [id, call] : calls_)
            call->end("shutdown");
        calls_.clear();
        active_ = 0;
    });
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void SipGateway::post(std::function<void()> task)
{
    {
        const std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
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

template <typename Result>
Result SipGateway::call(std::function<Result()> task)
{
    auto promise = std::make_shared<std::promise<Result>>();
    auto future = promise->get_future();
    post([promise, task = std::move(task)] {
        try {
            promise->set_value(task());
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
        throw sip::SipRefusal(503, "Service Unavailable", "busy");
    return future.get();
}

std::size_t SipGateway::activeCalls() const
{
    return active_;
}

std::optional<std::string> SipGateway::endpointHa1(const std::string& username)
{
    if (const auto endpoint = endpoints_(username))
        return endpoint->ha1;
    return std::nullopt;
}

sip::LocalMedia SipGateway::acceptCall(const sip::IncomingCall& incoming, const sip::CryptoAttribute&,
                                       const sip::CryptoAttribute& localCrypto)
{
    if (!context_.media)
        throw sip::SipRefusal(503, "Service Unavailable", "media_unavailable");
    std::string displayName = guestName(incoming.displayName);
    if (incoming.endpoint)
        if (const auto endpoint = endpoints_(*incoming.endpoint); endpoint && !endpoint->displayName.empty())
            displayName = endpoint->displayName;
    return call<sip::LocalMedia>([&]() -> sip::LocalMedia {
        std::shared_ptr<SipCall> call;
        try {
            call = std::make_shared<SipCall>(*this, context_, incoming, localCrypto, *dtlsContext_,
                                             certificate_->fingerprint(), addresses_, displayName);
        } catch (const std::runtime_error& e) {
            log::error(logger(), "sip.media_failed", std::string("cannot open a SIP call's media: ") + e.what(),
                       {{"call", incoming.callId}, {"error", e.what()}});
            throw sip::SipRefusal(503, "Service Unavailable", "media_unavailable");
        }
        calls_[incoming.callId] = call; // before join: what it says arrives as tasks
        active_ = calls_.size();
        try {
            call->join();
        } catch (...) {
            calls_.erase(incoming.callId);
            active_ = calls_.size();
            throw;
        }
        context_.audit.append({incoming.endpoint ? "sip:" + *incoming.endpoint : std::string("sip-guest"),
                               incoming.sourceAddress, "sip.call", "meeting:" + incoming.target, "success",
                               storage::AuditDetails()
                                   .add("call", incoming.callId)
                                   .add("codec", std::string(sip::audioCodecName(incoming.plan.codec)))
                                   .add("suite", std::string(sip::suiteName(incoming.plan.remoteCrypto.suite)))
                                   .text()});
        return call->local();
    });
}

void SipGateway::callRefused(const sip::IncomingCall& incoming, const sip::SipRefusal& refusal)
{
    context_.audit.append({incoming.endpoint ? "sip:" + *incoming.endpoint : std::string("sip-guest"),
                           incoming.sourceAddress, "sip.call",
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
        active_ = calls_.size();
        context_.audit.append({"system", "local", "sip.call_end", "call:" + callId, "success",
                               storage::AuditDetails().add("reason", reason).text()});
    });
}

void SipGateway::hangUp(const std::string& callId)
{
    if (server_)
        server_->hangUp(callId);
}

} // namespace parley::portal
