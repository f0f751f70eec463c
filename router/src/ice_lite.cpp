#include "ice_lite.h"

#include <parley/log/log_event.h>
#include <parley/router/stun_message.h>

#include <Poco/Logger.h>

#include <parley/router/random_identifiers.h>

namespace parley::router {

void IceLite::add(Participant& participant)
{
    do
        participant.localUfrag = randomIceToken(kIceUfragLength);
    while (byUfrag_.contains(participant.localUfrag));
    participant.localPassword = randomIceToken(kIcePasswordLength);
    byUfrag_[participant.localUfrag] = &participant;
}

void IceLite::remove(Participant& participant)
{
    if (participant.selected)
        byEndpoint_.erase(*participant.selected);
    byUfrag_.erase(participant.localUfrag);
}

void IceLite::onStun(std::span<std::uint8_t> datagram, const Endpoint& from, std::chrono::steady_clock::time_point now)
{
    StunMessage message;
    if (parseStun(datagram, message) != StunParseResult::Ok) {
        counters_.droppedMalformed.add();
        return;
    }
    if (message.type != StunMessage::kBindingRequest)
        return; // indications and responses need no answer from a lite agent
    const auto colon = message.username.find(':');
    const auto local = message.username.substr(0, colon);
    const auto found = byUfrag_.find(std::string(local));
    if (colon == std::string_view::npos || found == byUfrag_.end()) {
        counters_.droppedUnknownAddress.add();
        return;
    }
    auto& p = *found->second;
    if (!stunFingerprintValid(datagram, message) || !stunIntegrityValid(datagram, message, p.localPassword)) {
        counters_.droppedAuthentication.add();
        return;
    }
    auto slot = batch_.slot();
    const auto length = writeStunBindingSuccess(slot, message.transactionId, from.address, p.localPassword);
    if (length == 0)
        return;
    batch_.commit(length, from);
    counters_.stunAnswered.add();
    if (p.selected && *p.selected == from) {
        p.lastConsent = now;
        return;
    }
    // A nominated pair, or the first valid one: media goes here from now on (an address
    // change keeps the session: same DTLS and SRTP state).
    if (message.useCandidate || !p.selected) {
        if (p.selected)
            byEndpoint_.erase(*p.selected);
        p.selected = from;
        p.lastConsent = now;
        byEndpoint_[from] = &p;
    }
}

void IceLite::forget(const Endpoint& endpoint)
{
    const auto found = byEndpoint_.find(endpoint);
    if (found == byEndpoint_.end())
        return;
    auto& p = *found->second;
    if (p.selected && *p.selected == endpoint)
        p.selected.reset();
    byEndpoint_.erase(found);
}

void IceLite::checkConsent(Participant& p, std::chrono::steady_clock::time_point now)
{
    if (!p.selected || now - p.lastConsent <= kConsentTimeout)
        return;
    log::info(Poco::Logger::get("router"), "participant.consent_expired", "participant " + p.id + ": consent expired",
              {{"participant", p.id}});
    byEndpoint_.erase(*p.selected);
    p.selected.reset();
}

} // namespace parley::router
