#include "negotiator.h"

#include <algorithm>
#include <cctype>

namespace parley::router {
namespace {

constexpr auto kVideoStorePackets = RtpForwarder::kVideoStorePackets;
constexpr auto kVideoStoreMicros = RtpForwarder::kVideoStoreMicros;
constexpr auto kAudioStorePackets = RtpForwarder::kAudioStorePackets;
constexpr auto kAudioStoreMicros = RtpForwarder::kAudioStoreMicros;

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool hasFeedback(const SdpCodec& codec, const std::string& feedback)
{
    return std::find(codec.feedback.begin(), codec.feedback.end(), feedback) != codec.feedback.end();
}

/// The id under which `media` offers the header extension `uri`, or 0. `maxId` 14 asks for
/// the one-byte form (RFC 8285), the only one the router writes.
std::uint8_t extensionId(const SdpMedia& media, std::string_view uri, int maxId = 14)
{
    for (const auto& extension : media.extensions)
        if (extension.uri == uri && extension.id >= 1 && extension.id <= maxId)
            return static_cast<std::uint8_t>(extension.id);
    return 0;
}

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

} // namespace

Negotiation Negotiator::negotiate(std::int64_t roomId, const std::string& participantId, const SdpOffer& offer,
                                  const std::map<std::string, std::string>& tracks,
                                  const std::map<std::string, std::string>& subscriptions, std::int64_t nowMicros)
{
    auto& p = directory_.findOrCreate(participantId, roomId);
    if (p.roomId != roomId)
        throw SdpError("this participant belongs to another room");
    if (!p.dtls) {
        std::string fingerprint;
        for (const auto& media : offer.media)
            if (media.port != 0 && !media.fingerprint.empty()) {
                fingerprint = media.fingerprint;
                break;
            }
        if (fingerprint.rfind("sha-256 ", 0) != 0)
            throw SdpError("the offer has no sha-256 fingerprint");
        p.dtls = std::make_unique<DtlsTransport>(dtlsContext_, fingerprint, [this, participant = &p](auto datagram) {
            sender_.sendRaw(*participant, datagram);
        });
    }

    std::vector<SdpAnswerMedia> answers(offer.media.size());
    std::vector<std::string> publishedMids;
    std::vector<std::string> subscribedMids;
    std::vector<std::pair<Publication*, std::uint32_t>> needKeyframe; ///< new copies, by their SSRC
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const auto& media = offer.media[i];
        auto& answer = answers[i];
        if (media.port == 0 || (media.kind != "audio" && media.kind != "video") || media.mid.empty())
            continue; // Rejected
        answer.codec = chooseCodec(media);
        if (!answer.codec)
            continue;
        // Resends as their own stream only where the peer also asks for them (NACK).
        if (hasFeedback(*answer.codec, "nack"))
            answer.rtx = chooseRtx(media, answer.codec->payloadType);
        answer.role = SdpAnswerMedia::Role::Inactive;
        const bool peerSends = media.direction == "sendonly" || media.direction == "sendrecv";
        const bool peerReceives = media.direction == "recvonly" || media.direction == "sendrecv";
        const auto label = tracks.find(media.mid);
        const auto wanted = subscriptions.find(media.mid);
        const bool simulcast = media.kind == "video" && media.simulcastSend.size() > 1;
        const bool publishes = peerSends && label != tracks.end() && (media.primarySsrc != 0 || simulcast);
        if (publishes) {
            answer.role = SdpAnswerMedia::Role::Receive;
            if (const auto id = extensionId(media, kMidUri))
                p.midExtensionId = id;
            if (simulcast)
                for (const auto& rid : media.simulcastSend)
                    if (answer.simulcastRecv.size() < Publication::kMaxLayers)
                        answer.simulcastRecv.push_back(rid);
            if (const auto id = extensionId(media, kTransportWideCcUri, 255);
                id && hasFeedback(*answer.codec, "transport-cc")) {
                p.twccExtensionId = id;
                if (!p.twcc)
                    p.twcc = std::make_unique<TwccReceiver>();
            }
            publish(p, media, *answer.codec, answer.rtx, label->second, answer.simulcastRecv);
            publishedMids.push_back(media.mid);
        }
        else if (peerReceives && wanted != subscriptions.end()) {
            const auto twccId = extensionId(media, kTransportWideCcUri);
            if (!twccId)
                std::erase(answer.codec->feedback, "transport-cc");
            Publication* source = nullptr;
            for (const auto& [otherId, other] : directory_)
                if (other->roomId == roomId && other.get() != &p)
                    for (auto& publication : other->publications)
                        if (publication->trackId == wanted->second && publication->video == (media.kind == "video"))
                            source = publication.get();
            if (!source)
                continue; // Inactive: the track is gone or never existed in this room
            if (source->video && !equalsIgnoreCase(answer.codec->name, source->codec)) {
                // Passed through as published: the section must take the publisher's codec.
                auto same = chooseCodec(media, source->codec);
                if (!same)
                    continue; // Inactive (not refused: the section may take another track later)
                answer.codec = std::move(same);
                if (!twccId)
                    std::erase(answer.codec->feedback, "transport-cc");
                answer.rtx = hasFeedback(*answer.codec, "nack") ? chooseRtx(media, answer.codec->payloadType)
                                                                : std::nullopt;
            }
            bool created = false;
            auto& subscription = subscribe(p, media, *source, static_cast<std::uint8_t>(answer.codec->payloadType),
                                           answer.rtx, created);
            if (created)
                needKeyframe.emplace_back(source, subscription.ssrc);
            answer.role = SdpAnswerMedia::Role::Send;
            // Transport-wide feedback about what we send it: its bandwidth estimate.
            if (twccId) {
                p.twccSendExtensionId = twccId;
                if (!p.estimator) {
                    p.estimator = std::make_unique<SendSideEstimator>();
                    p.pacer = std::make_unique<Pacer>();
                    p.pacer->setRate(Pacer::rateFor(p.estimator->estimate(), 0));
                }
            }
            answer.sendSsrc = subscription.ssrc;
            answer.sendRtxSsrc = subscription.rtxSsrc;
            answer.streamId = source->owner->id;
            answer.trackId = source->owner->id + "-" + source->mid;
            subscribedMids.push_back(media.mid);
        }
    }
    // Sections that are no longer published or subscribed end their forwarding.
    for (std::size_t i = p.publications.size(); i-- > 0;)
        if (!contains(publishedMids, p.publications[i]->mid))
            directory_.removePublication(p, p.publications[i].get());
    for (const auto& subscription : p.subscriptions)
        if (!contains(subscribedMids, subscription.mid))
            ParticipantDirectory::unsubscribe(p, subscription);
    std::erase_if(p.subscriptions, [&](const Subscription& s) { return !contains(subscribedMids, s.mid); });
    if (p.outbound)
        for (const auto& [publication, ssrc] : needKeyframe)
            if (auto* stream = publication->outgoingTo(p, ssrc))
                keyframes_.requestFor(*publication, stream->layers, nowMicros);
    for (auto& publication : p.publications)
        taps_.attach(*publication, roomId, nowMicros);

    Negotiation result;
    result.answer = buildSdpAnswer(offer, answers,
                                   {p.localUfrag, p.localPassword, certificate_.fingerprint(), address_.announced,
                                    static_cast<int>(address_.port), static_cast<int>(address_.tcpPort)});
    for (const auto& publication : p.publications)
        result.published.push_back({publication->trackId, publication->label, publication->codec});
    return result;
}

void Negotiator::publish(Participant& p, const SdpMedia& media, const SdpCodec& codec,
                         const std::optional<SdpCodec>& rtx, const std::string& label,
                         const std::vector<std::string>& rids)
{
    Publication* publication = p.publicationByMid(media.mid);
    if (!publication) {
        p.publications.push_back(std::make_unique<Publication>());
        publication = p.publications.back().get();
        publication->owner = &p;
        publication->mid = media.mid;
        publication->trackId = p.id + "/" + media.mid;
    }
    publication->label = label == "screen" || label == "video" ? label : "audio";
    publication->video = media.kind == "video";
    // The layers: one known by the offer's SSRC, or a simulcast track's by rid (their SSRCs
    // come with their first packets). Made again when what identifies them or the clock
    // changes; a renegotiation that changes neither keeps their state.
    std::vector<std::string> wanted = rids.empty() ? std::vector<std::string>{""} : rids;
    bool same = publication->clockRate == codec.clockRate && publication->layers.size() == wanted.size();
    for (std::size_t i = 0; same && i < wanted.size(); ++i)
        same = publication->layers[i].rid == wanted[i] && (!rids.empty() || publication->layers[i].ssrc == media.primarySsrc);
    if (!same) {
        publication->layers = std::vector<InboundLayer>(wanted.size());
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            auto& layer = publication->layers[i];
            layer.rid = wanted[i];
            if (rids.empty()) {
                layer.ssrc = media.primarySsrc;
                layer.incoming.emplace(media.primarySsrc, static_cast<std::uint32_t>(codec.clockRate));
                layer.store = publication->video ? std::make_unique<PacketStore>(kVideoStorePackets, kVideoStoreMicros)
                                                 : std::make_unique<PacketStore>(kAudioStorePackets, kAudioStoreMicros);
            }
        }
        // Copies start again on the new layers: at the first keyframe where there is a choice.
        for (auto& stream : publication->outgoing) {
            stream.layers = LayerMapping{};
            stream.layers.current = publication->simulcast() ? -1 : 0;
        }
        publication->tapLayers.current = publication->simulcast() ? -1 : 0;
    }
    publication->repairLoss = hasFeedback(codec, "nack");
    if (rids.empty())
        publication->layers.front().rtxSsrc = rtx ? media.rtxSsrc : 0;
    publication->rtxPayloadType = rtx ? static_cast<std::uint8_t>(rtx->payloadType) : 0;
    publication->payloadType = static_cast<std::uint8_t>(codec.payloadType);
    publication->codec = codec.name;
    publication->clockRate = codec.clockRate;
    publication->ridExtensionId = extensionId(media, kRtpStreamIdUri);
    publication->repairedRidExtensionId = extensionId(media, kRepairedRtpStreamIdUri);
}

Subscription& Negotiator::subscribe(Participant& p, const SdpMedia& media, Publication& source,
                                    std::uint8_t payloadType, const std::optional<SdpCodec>& rtx, bool& created)
{
    Subscription* subscription = nullptr;
    for (auto& existing : p.subscriptions)
        if (existing.mid == media.mid)
            subscription = &existing;
    if (subscription && subscription->publication != &source) {
        ParticipantDirectory::unsubscribe(p, *subscription);
        std::erase_if(p.subscriptions, [&](const Subscription& s) { return s.mid == media.mid; });
        subscription = nullptr;
    }
    created = !subscription;
    if (created) {
        p.subscriptions.push_back({media.mid, randomSsrc(), &source});
        subscription = &p.subscriptions.back();
        OutgoingStream stream{};
        stream.subscriber = &p;
        stream.ssrc = subscription->ssrc;
        stream.payloadType = payloadType;
        // A single layer is forwarded at once; a simulcast copy starts at a keyframe of the
        // lowest layer, and the allocator takes it higher as the bandwidth allows.
        stream.layers.current = source.simulcast() ? -1 : 0;
        source.outgoing.push_back(stream);
    }
    if (rtx && subscription->rtxSsrc == 0)
        subscription->rtxSsrc = randomSsrc();
    // A renegotiation may change the payload types the subscriber knows the codec by.
    if (auto* stream = source.outgoingTo(p, subscription->ssrc)) {
        stream->payloadType = payloadType;
        if (rtx && stream->rtxSsrc == 0)
            stream->rtxSequence = static_cast<std::uint16_t>(randomSsrc()); // RFC 4588: a random start
        stream->rtxSsrc = rtx ? subscription->rtxSsrc : 0;
        stream->playoutDelayId = 0;
        for (const auto& extension : acceptedExtensions(media, SdpAnswerMedia::Role::Send))
            if (extension.uri == kPlayoutDelayUri && extension.id <= 14) // the one-byte form
                stream->playoutDelayId = static_cast<std::uint8_t>(extension.id);
        stream->rtxPayloadType = rtx ? static_cast<std::uint8_t>(rtx->payloadType) : 0;
    }
    return *subscription;
}

} // namespace parley::router
