#include "negotiator.h"

#include <algorithm>

namespace parley::router {
namespace {

// Packets kept per publication for retransmission: about 2 s of video at 2.5 Mbit/s and
// 1 s of audio, by count and by age.
constexpr std::size_t kVideoStorePackets = 512;
constexpr std::int64_t kVideoStoreMicros = 2'000'000;
constexpr std::size_t kAudioStorePackets = 64;
constexpr std::int64_t kAudioStoreMicros = 1'000'000;

bool hasFeedback(const SdpCodec& codec, const std::string& feedback)
{
    return std::find(codec.feedback.begin(), codec.feedback.end(), feedback) != codec.feedback.end();
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
    std::vector<Publication*> needKeyframe;
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
        const bool publishes = peerSends && label != tracks.end() && media.primarySsrc != 0;
        // Transport-wide feedback goes only to publishers (it is about what they send us).
        if (!publishes)
            std::erase(answer.codec->feedback, "transport-cc");
        if (publishes) {
            answer.role = SdpAnswerMedia::Role::Receive;
            for (const auto& extension : media.extensions)
                if (extension.uri == kTransportWideCcUri && hasFeedback(*answer.codec, "transport-cc")) {
                    p.twccExtensionId = static_cast<std::uint8_t>(extension.id);
                    if (!p.twcc)
                        p.twcc = std::make_unique<TwccReceiver>();
                }
            publish(p, media, *answer.codec, answer.rtx, label->second);
            publishedMids.push_back(media.mid);
        }
        else if (peerReceives && wanted != subscriptions.end()) {
            Publication* source = nullptr;
            for (const auto& [otherId, other] : directory_)
                if (other->roomId == roomId && other.get() != &p)
                    for (auto& publication : other->publications)
                        if (publication->trackId == wanted->second && publication->video == (media.kind == "video"))
                            source = publication.get();
            if (!source)
                continue; // Inactive: the track is gone or never existed in this room
            bool created = false;
            auto& subscription = subscribe(p, media, *source, static_cast<std::uint8_t>(answer.codec->payloadType),
                                           answer.rtx, created);
            if (created)
                needKeyframe.push_back(source);
            answer.role = SdpAnswerMedia::Role::Send;
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
        for (auto* publication : needKeyframe)
            keyframes_.request(*publication, nowMicros);
    for (auto& publication : p.publications)
        taps_.attach(*publication, roomId, nowMicros);

    Negotiation result;
    result.answer = buildSdpAnswer(offer, answers,
                                   {p.localUfrag, p.localPassword, certificate_.fingerprint(), address_.announced,
                                    static_cast<int>(address_.port), static_cast<int>(address_.tcpPort)});
    for (const auto& publication : p.publications)
        result.published.push_back({publication->trackId, publication->label});
    return result;
}

void Negotiator::publish(Participant& p, const SdpMedia& media, const SdpCodec& codec,
                         const std::optional<SdpCodec>& rtx, const std::string& label)
{
    Publication* publication = nullptr;
    for (auto& existing : p.publications)
        if (existing->mid == media.mid)
            publication = existing.get();
    if (!publication) {
        p.publications.push_back(std::make_unique<Publication>());
        publication = p.publications.back().get();
        publication->owner = &p;
        publication->mid = media.mid;
        publication->trackId = p.id + "/" + media.mid;
    }
    publication->label = label == "screen" || label == "video" ? label : "audio";
    publication->video = media.kind == "video";
    if (publication->ssrc != media.primarySsrc || publication->clockRate != codec.clockRate ||
        !publication->incoming) {
        publication->incoming.emplace(media.primarySsrc, static_cast<std::uint32_t>(codec.clockRate));
        publication->store = publication->video ? std::make_unique<PacketStore>(kVideoStorePackets, kVideoStoreMicros)
                                                : std::make_unique<PacketStore>(kAudioStorePackets, kAudioStoreMicros);
        publication->loss = LossMeter{};
        publication->nacks.reset();
    }
    publication->repairLoss = hasFeedback(codec, "nack");
    publication->rtxSsrc = rtx ? media.rtxSsrc : 0;
    publication->rtxPayloadType = rtx ? static_cast<std::uint8_t>(rtx->payloadType) : 0;
    publication->ssrc = media.primarySsrc;
    publication->payloadType = static_cast<std::uint8_t>(codec.payloadType);
    publication->codec = codec.name;
    publication->clockRate = codec.clockRate;
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
        source.outgoing.push_back({&p, subscription->ssrc, payloadType});
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
