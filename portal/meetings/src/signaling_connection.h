#pragma once

#include <functional>

#include <parley/portal/meetings/meeting_settings.h>

#include <Poco/Net/WebSocket.h>

namespace parley::portal {

class SignalingOutbox;
class SignalingSession;

/// Runs one WebSocket until it closes: reads frames (reassembling fragments, answering
/// pings, enforcing the size and rate limits), hands complete text messages to the session,
/// writes what the outbox holds, pings a quiet client and closes an idle or unjoined one.
/// Every socket read and write happens on the calling thread.
///
/// Close codes it uses itself (docs/signaling.md): 1000 after leave, 1001 server shutdown,
/// 1002 protocol error, 1003 binary message, 1009 message too big, 4408 timeout,
/// 4429 message rate exceeded, 4008 not reading.
/// `joined` is called once, when the session first enters a room.
void runSignalingConnection(Poco::Net::WebSocket& socket, SignalingOutbox& outbox,
                            SignalingSession& session, const SignalingSettings& settings,
                            const std::function<void()>& joined);

} // namespace parley::portal
