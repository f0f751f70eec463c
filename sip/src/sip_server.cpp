#include <parley/sip/sip_server.h>

#include <parley/log/log_event.h>
#include <parley/sip/digest_authenticator.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include <Poco/DigestEngine.h>
#include <Poco/Logger.h>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <future>
#include <vector>

// sofia-sip's module logs, exported but not declared in its public headers.
extern "C" {
extern su_log_t tport_log[];
extern su_log_t nta_log[];
extern su_log_t nua_log[];
}

namespace parley::sip {
namespace {

constexpr std::size_t kMaxTargetBytes = 64;
constexpr std::size_t kMaxDisplayNameBytes = 64;
constexpr int kStepMillis = 100;
constexpr auto kShutdownWait = std::chrono::seconds(3);
/// Registration lengths, seconds: what a phone gets when it does not say, the shortest it
/// may ask for (RFC 3261 §10.3 suggests an hour; 60 keeps the console's view fresh) and
/// the longest it is given.
constexpr long kDefaultRegistration = 600;
constexpr long kMinRegistration = 60;
constexpr long kMaxRegistration = 3600;
constexpr std::size_t kMaxContactBytes = 256;
/// RFC 5168's request for a full picture, as room systems take it by INFO.
constexpr char kPictureFastUpdate[] = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n<media_control>\r\n"
                                      "  <vc_primitive>\r\n    <to_encoder>\r\n      <picture_fast_update/>\r\n"
                                      "    </to_encoder>\r\n  </vc_primitive>\r\n</media_control>\r\n";

Poco::Logger& sipLog()
{
    return Poco::Logger::get("sip");
}

/// sofia-sip's own diagnostics go to our log at debug level. A line that may carry a SIP
/// message (with its SDP keys or Authorization) is withheld: with TPORT_LOG set in the
/// environment sofia-sip dumps whole messages.
void forwardStackLog(void*, const char* format, va_list arguments)
{
    char line[1024];
    std::vsnprintf(line, sizeof line, format, arguments);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (text.empty())
        return;
    if (text.find("inline:") != std::string::npos || text.find("uthorization") != std::string::npos ||
        text.find("crypto") != std::string::npos || text.find("SIP/2.0") != std::string::npos)
        text = "(a SIP message, withheld)";
    log::debug(Poco::Logger::get("sip.stack"), "sip.stack", text);
}

std::string randomId()
{
    unsigned char bytes[9];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("OpenSSL's random generator failed");
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes, bytes + sizeof bytes));
}

/// Where a request came from: its address, and "address:port" ("[address]:port" for IPv6)
/// for routing back over its connection; both empty when unknown.
struct Source
{
    std::string address;
    std::string flow;
};

Source sourceOf(const su_addrinfo_t* info)
{
    if (!info || !info->ai_addr)
        return {};
    char text[INET6_ADDRSTRLEN] = {};
    if (info->ai_addr->sa_family == AF_INET) {
        const auto* address = reinterpret_cast<const sockaddr_in*>(info->ai_addr);
        inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
        return {text, std::string(text) + ":" + std::to_string(ntohs(address->sin_port))};
    }
    if (info->ai_addr->sa_family == AF_INET6) {
        const auto* address = reinterpret_cast<const sockaddr_in6*>(info->ai_addr);
        inet_ntop(AF_INET6, &address->sin6_addr, text, sizeof text);
        return {text, "[" + std::string(text) + "]:" + std::to_string(ntohs(address->sin6_port))};
    }
    return {};
}

/// Without control characters, quotes or backslashes, at most `limit` bytes: what may go into
/// the meeting's roster (the meeting side also checks that it is UTF-8).
std::string cleanText(const char* text, std::size_t limit)
{
    std::string out;
    if (!text)
        return out;
    std::string_view value(text);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    for (const char c : value) {
        if (out.size() == limit)
            break;
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '"' && c != '\\')
            out += c;
    }
    return out;
}

bool validTarget(std::string_view target)
{
    if (target.empty() || target.size() > kMaxTargetBytes)
        return false;
    for (const char c : target)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

} // namespace

struct SipServer::Engine
{
    Engine(const SipSettings& s, SipCallHandler& h) : settings(s), handler(h), digest(s.realm) {}

    struct Call
    {
        std::string id;
        bool hangUpAsked = false;
        SipOffer offer; ///< the endpoint's latest offer: every SDP of ours mirrors its m-lines
        MediaPlan plan;
        LocalMedia local;
        std::uint64_t sessionId = 0;
        std::uint64_t version = 1; ///< of our SDP's o= line
        std::chrono::steady_clock::time_point nextRekey;
        std::optional<CallKeys> offeredKeys; ///< in our re-INVITE, waiting for its answer
        bool keepsItsKey = false; ///< did not take a new key of Parley's: not rekeyed again
    };

    SipSettings settings;
    SipCallHandler& handler;
    DigestAuthenticator digest;
    su_root_t* root = nullptr;
    nua_t* nua = nullptr;
    std::atomic<bool> stopping{false};
    bool shutdownDone = false;
    std::map<nua_handle_t*, Call> calls; ///< answered calls (SIP thread)
    mutable std::mutex mutex;             ///< guards stats, registrations, hangUps
    SipStats stats;
    std::map<std::string, SipRegistration> registrations; ///< by username
    std::vector<std::string> hangUps;
    std::vector<std::string> keyframeRequests; ///< call ids, for INFO picture_fast_update
    std::vector<std::string> rekeysNotTaken;   ///< call ids

    static void callback(nua_event_t event, int status, char const* phrase, nua_t* nua, nua_magic_t* magic,
                         nua_handle_t* handle, nua_hmagic_t*, sip_t const* sip, tagi_t tags[])
    {
        static_cast<Engine*>(static_cast<void*>(magic))->onEvent(event, status, phrase, nua, handle, sip, tags);
    }

    void onEvent(nua_event_t event, int status, char const*, nua_t*, nua_handle_t* handle, sip_t const* sip,
                 tagi_t tags[])
    {
        switch (event) {
        case nua_i_register:
            onRegister(handle, sip);
            // A REGISTER makes no dialog: nothing else will come on this handle.
            nua_handle_destroy(handle);
            break;
        case nua_i_invite:
            if (const auto found = calls.find(handle); found != calls.end())
                onReinvite(handle, sip, found->second);
            else
                onInvite(handle, sip);
            break;
        case nua_r_invite:
            if (status >= 200)
                if (const auto found = calls.find(handle); found != calls.end())
                    onRekeyAnswer(handle, status, sip, found->second);
            break;
        case nua_i_state: {
            int state = nua_callstate_init;
            tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
            if (state == nua_callstate_terminated)
                endCall(handle, "hangup");
            break;
        }
        case nua_i_bye:
            endCall(handle, "hangup");
            break;
        case nua_i_info:
            // sofia-sip has answered it 200 already (INFO is not an application method here).
            if (const auto found = calls.find(handle); found != calls.end())
                onInfo(sip, found->second);
            break;
        case nua_i_terminated:
            endCall(handle, "hangup");
            if (handle)
                nua_handle_destroy(handle);
            break;
        case nua_r_shutdown:
            if (status >= 200)
                shutdownDone = true;
            break;
        default:
            break;
        }
    }

    void endCall(nua_handle_t* handle, const std::string& reason)
    {
        const auto found = calls.find(handle);
        if (found == calls.end())
            return;
        const auto call = found->second;
        calls.erase(found);
        {
            std::lock_guard lock(mutex);
            ++stats.callsEnded;
            --stats.activeCalls;
        }
        log::info(sipLog(), "sip.call_ended", "a SIP call ended",
                  {{"call", call.id}, {"reason", call.hangUpAsked ? std::string("removed") : reason}});
        handler.callEnded(call.id, call.hangUpAsked ? "removed" : reason);
    }

    void refuse(nua_handle_t* handle, const IncomingCall& call, const SipRefusal& refusal)
    {
        countRefusal(refusal.reason());
        log::info(sipLog(), "sip.call_refused", "a SIP call was refused",
                  {{"call", call.callId}, {"status", refusal.status()}, {"reason", refusal.reason()}});
        nua_respond(handle, refusal.status(), refusal.phrase(), TAG_END());
        handler.callRefused(call, refusal);
    }

    void onInvite(nua_handle_t* handle, sip_t const* sip)
    {
        IncomingCall call;
        call.callId = randomId();
        const auto source = sourceOf(msg_addrinfo(nua_current_request(nua)));
        call.sourceAddress = source.address;
        const auto& flow = source.flow;
        bool admitted = false; // the meeting has the call: a failure after this must end it there
        try {
            if (!sip || !sip->sip_request)
                throw SipRefusal(400, "Bad Request", "bad_request");
            requireTls(sip);
            const char* user = sip->sip_request->rq_url->url_user;
            call.target = user ? std::string(user) : std::string();
            if (!validTarget(call.target)) {
                call.target.clear();
                throw SipRefusal(404, "Meeting Not Found", "unknown_meeting");
            }
            call.displayName = sip->sip_from ? cleanText(sip->sip_from->a_display, kMaxDisplayNameBytes) : "";
            const auto credentials = authenticate(handle, sip, "INVITE", call.callId, settings.allowGuests);
            if (!credentials.admitted)
                return; // challenged
            if (credentials.endpoint) {
                call.endpoint = credentials.endpoint->first;
                call.displayName = credentials.endpoint->second.displayName;
            }
            if (!sip->sip_payload || !sip->sip_content_type || !sip->sip_content_type->c_type ||
                std::string_view(sip->sip_content_type->c_type) != "application/sdp")
                throw SipRefusal(488, "SDP Offer Required", "bad_sdp");
            const auto offer = parseSipOffer(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
            call.plan = planMedia(offer);
            const auto localKeys = freshKeys(call.plan);
            const auto local = handler.acceptCall(call, localKeys);
            if (local.videoPort == 0)
                call.plan.video.reset(); // the answer refuses the video line
            admitted = true;
            std::uint64_t sessionId = 0;
            RAND_bytes(reinterpret_cast<unsigned char*>(&sessionId), sizeof sessionId);
            sessionId &= 0x7fffffffffffffffULL;
            const auto answer = answerSdp(offer, call.plan, local, localKeys, sessionId, 1);
            calls[handle] = Call{call.callId, false, offer, call.plan, local, sessionId, 1,
                                 std::chrono::steady_clock::now() + settings.rekeyInterval, std::nullopt};
            {
                std::lock_guard lock(mutex);
                ++stats.callsAccepted;
                ++stats.activeCalls;
                if (call.plan.video)
                    ++stats.videoCalls;
            }
            log::info(sipLog(), "sip.call_accepted", "a SIP call joined its meeting",
                      {{"call", call.callId},
                       {"codec", std::string(audioCodecName(call.plan.codec))},
                       {"video", call.plan.video ? std::string(videoCodecName(call.plan.video->codec)) : "none"},
                       {"suite", std::string(suiteName(call.plan.remoteCrypto.suite))},
                       {"guest", !call.endpoint.has_value()}});
            // A sip: Contact with transport=tls, not the sips: one sofia-sip would make: baresip
            // 1.0.0 cannot send its ACK to a sips: URI (the call ends with ENOSYS). The host is
            // the one the endpoint dialled, which reaches us.
            const std::string contact = "<sip:" + contactHost(sip) + ":" + std::to_string(settings.port) +
                                        ";transport=tls>";
            // Our requests in the call (BYE, re-INVITE) go back over the connection the
            // endpoint opened, as RFC 5626 asks: its Contact names a listening port that a
            // phone behind NAT (or without a certificate, as baresip in the tests) does not have.
            if (!flow.empty()) {
                const std::string route = "sip:" + flow + ";transport=tls";
                nua_set_hparams(handle, NUTAG_PROXY(route.c_str()), TAG_END());
            }
            nua_respond(handle, 200, "OK", SIPTAG_CONTACT_STR(contact.c_str()),
                        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(answer.c_str()), TAG_END());
        }
        catch (const SipRefusal& refusal) {
            refuse(handle, call, refusal);
            if (admitted)
                handler.callEnded(call.callId, "failed");
        }
        catch (const std::exception& e) {
            log::error(sipLog(), "sip.call_failed", "a SIP call failed inside Parley",
                       {{"call", call.callId}, {"error", e.what()}});
            refuse(handle, call, SipRefusal(500, "Server Internal Error", "internal_error"));
            if (admitted)
                handler.callEnded(call.callId, "failed");
        }
    }

    /// The host part the endpoint used in the request URI, when it is an address or name
    /// (checked: it goes into our Contact), else the listening address.
    std::string contactHost(sip_t const* sip) const
    {
        const char* host = sip->sip_request->rq_url->url_host;
        std::string_view text = host ? host : "";
        const bool plain = !text.empty() && text.size() <= 253 &&
                           text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                               std::string_view::npos;
        return plain ? std::string(text) : settings.listenAddress;
    }

    /// sofia-sip listens on TLS only; a request that came another way is not ours.
    static void requireTls(sip_t const* sip)
    {
        if (!sip->sip_via || !sip->sip_via->v_protocol ||
            std::string_view(sip->sip_via->v_protocol).find("TLS") == std::string_view::npos)
            throw SipRefusal(403, "SIP over TLS Required", "not_tls");
    }

    void countRefusal(const std::string& reason)
    {
        std::lock_guard lock(mutex);
        ++stats.refusals[reason];
    }

    /// An INFO in a call: a keyframe request (RFC 5168's media control) is passed on; others
    /// are ignored.
    void onInfo(sip_t const* sip, const Call& call)
    {
        if (!sip || !sip->sip_content_type || !sip->sip_content_type->c_type || !sip->sip_payload ||
            strcasecmp(sip->sip_content_type->c_type, "application/media_control+xml") != 0)
            return;
        const std::string_view body(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
        if (body.find("picture_fast_update") == std::string_view::npos)
            return;
        {
            std::lock_guard lock(mutex);
            ++stats.keyframeInfosReceived;
        }
        handler.keyframeRequested(call.id);
    }

    /// Either side's re-INVITE was answered with keys: the media takes them now.
    void rekeyed(const Call& call, const CallKeys& remote, const CallKeys& local, const char* by)
    {
        handler.callRekeyed(call.id, remote, local, std::string_view(by) == "parley");
        {
            std::lock_guard lock(mutex);
            ++stats.rekeys;
        }
        log::info(sipLog(), "sip.rekeyed", "a SIP call has new SRTP keys", {{"call", call.id}, {"by", std::string(by)}});
    }

    /// What authenticate() decided: go on (as `endpoint`, or as a guest without one), or not
    /// (the request was challenged with 401).
    struct Authentication
    {
        bool admitted = false;
        std::optional<std::pair<std::string, EndpointCredentials>> endpoint;
    };

    /// Checks the request's digest credentials for `method`. Without any: a guest where
    /// `guestsAllowed`, unless its From names a stored endpoint, which is challenged like
    /// everyone else. Throws SipRefusal 403 for wrong ones.
    Authentication authenticate(nua_handle_t* handle, sip_t const* sip, std::string_view method,
                                const std::string& logId, bool guestsAllowed)
    {
        const auto now = std::chrono::system_clock::now();
        const sip_authorization_t* authorization = sip->sip_authorization;
        for (; authorization; authorization = authorization->au_next)
            if (authorization->au_scheme && std::string_view(authorization->au_scheme) == "Digest")
                break;
        if (!authorization) {
            const char* fromUser = sip->sip_from ? sip->sip_from->a_url->url_user : nullptr;
            const bool knownEndpoint = fromUser && handler.endpoint(fromUser, digest.realm()).has_value();
            if (guestsAllowed && !knownEndpoint)
                return {true, std::nullopt};
            const auto challenge = digest.challenge(now);
            nua_respond(handle, 401, "Unauthorized", SIPTAG_WWW_AUTHENTICATE_STR(challenge.c_str()),
                        NUTAG_WITH_THIS(nua), TAG_END());
            return {};
        }
        std::vector<std::string_view> params;
        for (auto p = authorization->au_params; p && *p && params.size() <= 32; ++p)
            params.emplace_back(*p);
        std::string whyNot;
        const auto credentials = readDigestCredentials(params, whyNot);
        if (!credentials)
            throw SipRefusal(403, "Forbidden", "bad_credentials");
        // The credentials must be for this request: the same URI, so that an answer for one
        // meeting cannot be replayed to another.
        su_home_t home[1] = {SU_HOME_INIT(home)};
        url_t* given = url_make(home, credentials->uri.c_str());
        const bool sameUri = given && url_cmp_all(given, sip->sip_request->rq_url) == 0;
        su_home_deinit(home);
        // An unknown name is checked against a made-up HA1, so it costs the same time.
        const auto endpoint = handler.endpoint(credentials->username, digest.realm());
        const auto verdict = digest.verify(*credentials, method,
                                           endpoint ? endpoint->ha1 : digestHa1(randomId(), digest.realm(), randomId()),
                                           now, whyNot);
        if (verdict == DigestAuthenticator::Verdict::Stale && endpoint) {
            const auto challenge = digest.challenge(now, true);
            nua_respond(handle, 401, "Unauthorized", SIPTAG_WWW_AUTHENTICATE_STR(challenge.c_str()),
                        NUTAG_WITH_THIS(nua), TAG_END());
            return {};
        }
        if (verdict != DigestAuthenticator::Verdict::Accepted || !endpoint || !sameUri) {
            log::info(sipLog(), "sip.auth_failed", "a SIP endpoint's credentials were refused",
                      {{"request", logId},
                       {"method", std::string(method)},
                       {"why", !endpoint ? std::string("unknown endpoint")
                               : !sameUri ? std::string("credentials for another URI")
                                          : whyNot}});
            throw SipRefusal(403, "Forbidden", "bad_credentials");
        }
        return {true, std::make_pair(credentials->username, *endpoint)};
    }

    /// A REGISTER: an endpoint, with its own credentials, says where it can be reached. Only
    /// its own address of record (its username in To) and one binding, the latest.
    void onRegister(nua_handle_t* handle, sip_t const* sip)
    {
        const auto source = sourceOf(msg_addrinfo(nua_current_request(nua)));
        const std::string logId = "register:" + randomId();
        try {
            if (!sip || !sip->sip_request || !sip->sip_to)
                throw SipRefusal(400, "Bad Request", "bad_request");
            requireTls(sip);
            const auto authentication = authenticate(handle, sip, "REGISTER", logId, false);
            if (!authentication.admitted)
                return; // challenged
            const auto& username = authentication.endpoint->first;
            const char* aor = sip->sip_to->a_url->url_user;
            if (!aor || username != aor)
                throw SipRefusal(403, "Forbidden", "wrong_address_of_record");
            respondToRegister(handle, sip, username, source.address);
        }
        catch (const SipRefusal& refusal) {
            countRefusal(refusal.reason());
            log::info(sipLog(), "sip.register_refused", "a SIP registration was refused",
                      {{"request", logId}, {"source", source.address}, {"status", refusal.status()},
                       {"reason", refusal.reason()}});
            nua_respond(handle, refusal.status(), refusal.phrase(), NUTAG_WITH_THIS(nua), TAG_END());
        }
        catch (const std::exception& e) {
            // The endpoint store could not be read, say: the phone tries again later.
            log::error(sipLog(), "sip.register_failed", "a SIP registration failed inside Parley",
                       {{"request", logId}, {"error", e.what()}});
            nua_respond(handle, 500, "Server Internal Error", NUTAG_WITH_THIS(nua), TAG_END());
        }
    }

    void respondToRegister(nua_handle_t* handle, sip_t const* sip, const std::string& username,
                           const std::string& sourceAddress)
    {
        const auto now = std::chrono::system_clock::now();
        // A query (no Contact): the binding there is, if any.
        if (!sip->sip_contact) {
            std::lock_guard lock(mutex);
            const auto found = registrations.find(username);
            if (found == registrations.end() || found->second.expiresAt <= now) {
                nua_respond(handle, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
                return;
            }
            const auto left = std::chrono::duration_cast<std::chrono::seconds>(found->second.expiresAt - now).count();
            const std::string contact = "<" + found->second.contact + ">;expires=" + std::to_string(left);
            nua_respond(handle, 200, "OK", SIPTAG_CONTACT_STR(contact.c_str()), NUTAG_WITH_THIS(nua), TAG_END());
            return;
        }
        const sip_contact_t* contact = sip->sip_contact;
        // Expires (unsigned in sofia-sip's reading) or the Contact's own expires, digits only:
        // a negative or unreadable one is the phone's error, not "an hour".
        long requested = sip->sip_expires ? static_cast<long>(std::min<unsigned long>(sip->sip_expires->ex_delta, 1UL << 31))
                                          : kDefaultRegistration;
        if (contact->m_expires) {
            const std::string_view text(contact->m_expires);
            if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string_view::npos)
                throw SipRefusal(400, "Bad Expires", "bad_request");
            requested = std::stol(std::string(text));
        }
        const bool wildcard = contact->m_url->url_type == url_any;
        if (requested == 0 || wildcard) {
            if (wildcard && requested != 0)
                throw SipRefusal(400, "Wildcard Contact Needs Expires 0", "bad_request");
            {
                std::lock_guard lock(mutex);
                registrations.erase(username);
            }
            log::info(sipLog(), "sip.unregistered", "a SIP endpoint unregistered", {{"endpoint", username}});
            nua_respond(handle, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
            return;
        }
        if (requested < kMinRegistration) {
            const std::string minimum = std::to_string(kMinRegistration);
            countRefusal("interval_too_brief");
            nua_respond(handle, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(minimum.c_str()),
                        NUTAG_WITH_THIS(nua), TAG_END());
            return;
        }
        const long granted = std::min(requested, kMaxRegistration);
        su_home_t home[1] = {SU_HOME_INIT(home)};
        char* uri = url_as_string(home, contact->m_url);
        std::string contactUri = uri ? std::string(uri) : std::string();
        su_home_deinit(home);
        if (contactUri.empty() || contactUri.size() > kMaxContactBytes)
            throw SipRefusal(400, "Bad Contact", "bad_request");
        SipRegistration registration{username, contactUri, sourceAddress, now, now + std::chrono::seconds(granted)};
        {
            std::lock_guard lock(mutex);
            registrations[username] = registration;
            ++stats.registrations;
        }
        log::info(sipLog(), "sip.registered", "a SIP endpoint registered",
                  {{"endpoint", username}, {"source", sourceAddress}, {"expires", static_cast<int>(granted)}});
        const std::string reply = "<" + contactUri + ">;expires=" + std::to_string(granted);
        nua_respond(handle, 200, "OK", SIPTAG_CONTACT_STR(reply.c_str()), NUTAG_WITH_THIS(nua), TAG_END());
    }

    /// The endpoint renegotiates: new keys (its own, and a fresh one of ours) where the call's
    /// codec stays; anything else (another codec, no SRTP) is refused and the call goes on
    /// as it was.
    void onReinvite(nua_handle_t* handle, sip_t const* sip, Call& call)
    {
        try {
            if (!sip || !sip->sip_payload)
                throw SipRefusal(488, "SDP Offer Required", "bad_sdp");
            const auto offer = parseSipOffer(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
            auto plan = planMedia(offer);
            // The call's video stays as it began: a call without it does not gain it.
            if (!call.plan.video)
                plan.video.reset();
            const bool sameVideo = plan.video.has_value() == call.plan.video.has_value() &&
                                   (!plan.video || (plan.video->codec == call.plan.video->codec &&
                                                    plan.video->payloadType == call.plan.video->payloadType &&
                                                    plan.video->index == call.plan.video->index));
            // Directions as the call began (no hold: the media would not follow it).
            const auto sameDirection = [&](std::size_t index) {
                return index < offer.streams.size() && index < call.offer.streams.size() &&
                       offer.streams[index].sends == call.offer.streams[index].sends &&
                       offer.streams[index].receives == call.offer.streams[index].receives;
            };
            if (plan.codec != call.plan.codec || plan.payloadType != call.plan.payloadType ||
                plan.audioIndex != call.plan.audioIndex || !sameVideo || !sameDirection(plan.audioIndex) ||
                (plan.video && !sameDirection(plan.video->index)))
                throw SipRefusal(488, "Codec Change Not Accepted", "renegotiation");
            if (plan.video) {
                // The media keeps the call's first feedback and format: the answer says so.
                plan.video->pli = call.plan.video->pli;
                plan.video->fir = call.plan.video->fir;
                plan.video->fmtp = call.plan.video->fmtp;
            }
            const auto localKeys = freshKeys(plan);
            const auto answer = answerSdp(offer, plan, call.local, localKeys, call.sessionId, ++call.version);
            call.offer = offer;
            call.plan = plan;
            rekeyed(call, remoteKeys(plan), localKeys, "endpoint");
            nua_respond(handle, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                        SIPTAG_PAYLOAD_STR(answer.c_str()), TAG_END());
        }
        catch (const SipRefusal& refusal) {
            log::info(sipLog(), "sip.reinvite_refused", "a SIP call's renegotiation was refused; it goes on as it was",
                      {{"call", call.id}, {"status", refusal.status()}, {"reason", refusal.reason()}});
            nua_respond(handle, refusal.status(), refusal.phrase(), TAG_END());
        }
        catch (const std::exception& e) {
            log::error(sipLog(), "sip.reinvite_failed", "a SIP call's renegotiation failed inside Parley; it goes on as it was",
                       {{"call", call.id}, {"error", e.what()}});
            nua_respond(handle, 500, "Server Internal Error", TAG_END());
        }
    }

    /// Parley's periodic rekey: a re-INVITE with a fresh key of ours; the answer brings the
    /// endpoint's (onRekeyAnswer).
    void sendRekey(nua_handle_t* handle, Call& call)
    {
        auto keys = freshKeys(call.plan, 1);
        const auto offer = answerSdp(call.offer, call.plan, call.local, keys, call.sessionId, ++call.version);
        call.offeredKeys = std::move(keys);
        nua_invite(handle, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer.c_str()), TAG_END());
    }

    void onRekeyAnswer(nua_handle_t* handle, int status, sip_t const* sip, Call& call)
    {
        if (!call.offeredKeys)
            return;
        const auto offered = std::move(*call.offeredKeys);
        call.offeredKeys.reset();
        const auto now = std::chrono::steady_clock::now();
        std::optional<CallKeys> remote;
        if (status == 200 && sip && sip->sip_payload) {
            try {
                const auto answer = parseSipOffer(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
                // The answer's key for our tag and suite, in the stream at `index`.
                const auto keyIn = [&answer](std::size_t index, const CryptoAttribute& ours) {
                    std::optional<CryptoAttribute> key;
                    if (index < answer.streams.size())
                        for (const auto& crypto : answer.streams[index].cryptos)
                            if (crypto.tag == ours.tag && crypto.suite == ours.suite)
                                key = crypto;
                    return key;
                };
                auto audio = keyIn(call.plan.audioIndex, offered.audio);
                std::optional<CryptoAttribute> video;
                if (call.plan.video && offered.video)
                    video = keyIn(call.plan.video->index, *offered.video);
                // Every stream needs its key: without one, what the endpoint sends there cannot be opened.
                if (audio && (!call.plan.video || video))
                    remote = CallKeys{std::move(*audio), std::move(video)};
            } catch (const std::exception&) {
                // Unreadable (SipRefusal): handled as an answer without a key.
            }
        }
        if (remote) {
            rekeyed(call, *remote, offered, "parley");
            call.nextRekey = now + settings.rekeyInterval;
            return;
        }
        {
            std::lock_guard lock(mutex);
            ++stats.rekeyFailures;
        }
        if (status == 200) {
            // It took our offer but gave no key we can use: what it now sends cannot be
            // opened, so the call cannot go on safely.
            log::warning(sipLog(), "sip.rekey_failed", "a SIP endpoint answered a rekey without a usable key; hanging up",
                         {{"call", call.id}});
            call.hangUpAsked = true;
            nua_bye(handle, TAG_END());
            return;
        }
        // Refused (or unanswered): the old keys stay (RFC 3264 §8: a refused offer changes
        // nothing). Try again in a minute, or soon after a collision with its own (491).
        log::info(sipLog(), "sip.rekey_refused", "a SIP endpoint refused a rekey; the call keeps its keys",
                  {{"call", call.id}, {"status", status}});
        call.nextRekey = now + std::min<std::chrono::steady_clock::duration>(
                                   settings.rekeyInterval, status == 491 ? std::chrono::seconds(2) : std::chrono::seconds(60));
    }

    void rekeyDueCalls()
    {
        if (settings.rekeyInterval.count() == 0)
            return; // off (sip.rekey_seconds = 0)
        const auto now = std::chrono::steady_clock::now();
        for (auto& [handle, call] : calls)
            if (!call.offeredKeys && !call.hangUpAsked && !call.keepsItsKey && now >= call.nextRekey) {
                try {
                    sendRekey(handle, call);
                } catch (const std::exception& e) {
                    call.nextRekey = now + std::chrono::seconds(60);
                    log::error(sipLog(), "sip.rekey_failed", std::string("cannot rekey a SIP call: ") + e.what(),
                               {{"call", call.id}, {"error", e.what()}});
                }
            }
    }

    void runCommands()
    {
        std::vector<std::string> asked, keyframes, notTaken;
        {
            std::lock_guard lock(mutex);
            asked.swap(hangUps);
            keyframes.swap(keyframeRequests);
            notTaken.swap(rekeysNotTaken);
        }
        for (const auto& id : notTaken)
            for (auto& [handle, call] : calls)
                if (call.id == id && !call.keepsItsKey) {
                    call.keepsItsKey = true;
                    {
                        std::lock_guard lock(mutex);
                        ++stats.rekeysNotTaken;
                    }
                    log::warning(sipLog(), "sip.rekey_not_taken",
                                 "a SIP endpoint did not take Parley's new SRTP key (its software keeps the key a "
                                 "call began with); the call goes on with the previous key and is not rekeyed again",
                                 {{"call", call.id}});
                }
        for (const auto& id : keyframes)
            for (auto& [handle, call] : calls)
                if (call.id == id && !call.hangUpAsked) {
                    nua_info(handle, SIPTAG_CONTENT_TYPE_STR("application/media_control+xml"),
                             SIPTAG_PAYLOAD_STR(kPictureFastUpdate), TAG_END());
                    std::lock_guard lock(mutex);
                    ++stats.keyframeInfosSent;
                }
        for (const auto& id : asked)
            for (auto& [handle, call] : calls)
                if (call.id == id && !call.hangUpAsked) {
                    call.hangUpAsked = true;
                    nua_bye(handle, TAG_END());
                }
    }
};

namespace {

/// Port 0 (tests): a TCP port free on `address` a moment ago. sofia-sip must be told the
/// port itself, since the Contact of Parley's answers names it.
SipSettings withPort(SipSettings settings)
{
    if (settings.port != 0)
        return settings;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (fd < 0 || inet_pton(AF_INET, settings.listenAddress.c_str(), &address.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("cannot find a free TCP port on " + settings.listenAddress + " for SIP over TLS");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    settings.port = ntohs(address.sin_port);
    return settings;
}

} // namespace

SipServer::SipServer(const SipSettings& requested, SipCallHandler& handler)
    : SipServer(withPort(requested), handler, 0)
{
}

SipServer::SipServer(const SipSettings& settings, SipCallHandler& handler, int)
    : engine_(std::make_unique<Engine>(settings, handler)), port_(settings.port)
{
    std::promise<void> started;
    auto ready = started.get_future();
    thread_ = std::thread([this, &started] {
        auto& e = *engine_;
        su_init();
        su_log_redirect(su_log_default, forwardStackLog, nullptr);
        su_log_redirect(tport_log, forwardStackLog, nullptr);
        su_log_redirect(nta_log, forwardStackLog, nullptr);
        su_log_redirect(nua_log, forwardStackLog, nullptr);
        e.root = su_root_create(nullptr);
        const std::string host = e.settings.listenAddress.find(':') != std::string::npos
                                     ? "[" + e.settings.listenAddress + "]"
                                     : e.settings.listenAddress == "0.0.0.0" ? std::string("*")
                                                                             : e.settings.listenAddress;
        const std::string url = "sips:" + host + ":" + std::to_string(e.settings.port) + ";transport=tls";
        const std::string certificates = e.settings.certificateDirectory.string();
        if (e.root)
            e.nua = nua_create(e.root, &Engine::callback, reinterpret_cast<nua_magic_t*>(&e), NUTAG_URL(url.c_str()),
                               NUTAG_CERTIFICATE_DIR(certificates.c_str()), TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_NONE),
                               NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0),
                               NUTAG_ALLOW("INFO"), NUTAG_APPL_METHOD("REGISTER"), NUTAG_ALLOW("REGISTER"),
                               NUTAG_SESSION_TIMER(0), NUTAG_ENABLEMESSAGE(0),
                               SIPTAG_USER_AGENT_STR("Parley"), TAG_END());
        if (!e.nua) {
            if (e.root)
                su_root_destroy(e.root);
            su_deinit();
            started.set_exception(std::make_exception_ptr(std::runtime_error(
                "cannot listen for SIP over TLS on " + e.settings.listenAddress + ":" +
                std::to_string(e.settings.port) + " (is the port free, and does " + certificates +
                "/agent.pem hold the certificate and its key?)")));
            return;
        }
        started.set_value();
        while (!e.stopping.load()) {
            su_root_step(e.root, kStepMillis);
            e.runCommands();
            e.rekeyDueCalls();
        }
        for (auto& [handle, call] : e.calls)
            nua_bye(handle, TAG_END());
        nua_shutdown(e.nua);
        const auto until = std::chrono::steady_clock::now() + kShutdownWait;
        while (!e.shutdownDone && std::chrono::steady_clock::now() < until)
            su_root_step(e.root, kStepMillis);
        while (!e.calls.empty())
            e.endCall(e.calls.begin()->first, "shutdown");
        nua_destroy(e.nua);
        su_root_destroy(e.root);
        su_deinit();
    });
    try {
        ready.get();
    }
    catch (...) {
        thread_.join();
        throw;
    }
    log::info(sipLog(), "sip.listening", "SIP over TLS is listening", {{"port", settings.port}});
}

SipServer::~SipServer()
{
    engine_->stopping = true;
    if (thread_.joinable())
        thread_.join();
}

SipStats SipServer::stats() const
{
    std::lock_guard lock(engine_->mutex);
    return engine_->stats;
}

std::vector<SipRegistration> SipServer::registrations() const
{
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(engine_->mutex);
    std::vector<SipRegistration> inForce;
    for (auto it = engine_->registrations.begin(); it != engine_->registrations.end();)
        if (it->second.expiresAt <= now)
            it = engine_->registrations.erase(it);
        else
            inForce.push_back((it++)->second);
    return inForce;
}

void SipServer::forget(const std::string& username)
{
    std::lock_guard lock(engine_->mutex);
    engine_->registrations.erase(username);
}

void SipServer::hangUp(const std::string& callId)
{
    std::lock_guard lock(engine_->mutex);
    engine_->hangUps.push_back(callId);
}

void SipServer::rekeyNotTaken(const std::string& callId)
{
    std::lock_guard lock(engine_->mutex);
    if (engine_->rekeysNotTaken.size() < 256)
        engine_->rekeysNotTaken.push_back(callId);
}

void SipServer::requestKeyframe(const std::string& callId)
{
    std::lock_guard lock(engine_->mutex);
    if (engine_->keyframeRequests.size() < 256)
        engine_->keyframeRequests.push_back(callId);
}

} // namespace parley::sip
