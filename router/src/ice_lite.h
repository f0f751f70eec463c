#pragma once

#include "endpoint.h"
#include "participant.h"
#include "router_counters.h"
#include "udp_socket.h"

#include <chrono>
#include <span>
#include <string>
#include <unordered_map>

namespace parley::router {

/// The router's side of ICE (RFC 8445 lite agent): it answers participants' binding
/// requests on its one port, authenticated by each participant's credentials, selects the
/// address media goes to, and maps addresses back to participants for everything that is
/// not STUN. Consent (RFC 7675) lapses after kConsentTimeout without a valid check.
class IceLite
{
public:
    static constexpr auto kConsentTimeout = std::chrono::seconds(30);

    IceLite(SendBatch& batch, RouterCounters& counters) : batch_(batch), counters_(counters) {}

    /// Gives `participant` fresh local credentials (unique among those registered) and
    /// starts answering checks for them.
    void add(Participant& participant);
    /// Stops answering for `participant` and forgets its address.
    void remove(Participant& participant);

    /// A STUN message from `from`: a valid binding request is answered, and a nominated (or
    /// the first valid) address becomes the participant's. Malformed and unauthenticated
    /// ones are dropped and counted.
    void onStun(std::span<std::uint8_t> datagram, const Endpoint& from, std::chrono::steady_clock::time_point now);

    /// The participant whose checked address `from` is, or null.
    Participant* participantAt(const Endpoint& from) const
    {
        const auto found = byEndpoint_.find(from);
        return found == byEndpoint_.end() ? nullptr : found->second;
    }

    /// `endpoint` is gone (its TCP connection closed): whoever had it selected has no address
    /// until its next valid check.
    void forget(const Endpoint& endpoint);

    /// Unselects the participant's address if its consent has lapsed at `now`.
    void checkConsent(Participant& participant, std::chrono::steady_clock::time_point now);

private:
    SendBatch& batch_;
    RouterCounters& counters_;
    std::unordered_map<std::string, Participant*> byUfrag_;
    std::unordered_map<Endpoint, Participant*, EndpointHash> byEndpoint_;
};

} // namespace parley::router
