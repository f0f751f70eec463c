#pragma once

#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// Writes into `slot` a retransmission of the decrypted RTP `packet` in RTX format (RFC 4588
/// section 4): its header with the RTX stream's `ssrc`, `payloadType` and `sequence` and no
/// header extension, then the packet's own sequence number, then its payload; protected with
/// `session`. Returns the length to send, 0 when it does not fit or protection fails.
/// Allocates nothing.
std::size_t writeRtxCopy(std::span<const std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                         std::uint8_t payloadType, std::uint16_t sequence, SrtpSession& session,
                         std::span<std::uint8_t> slot);

/// Turns a decrypted RTX packet (parsed as `view`) back, in place, into the packet it
/// repeats: media `ssrc` and `payloadType`, the original sequence number carried at the start
/// of the payload. Returns the restored packet, a span inside `packet`; empty when the RTX
/// packet carries nothing after that number (padding, sent to probe bandwidth) or is too
/// short to carry it.
std::span<std::uint8_t> restoreFromRtx(std::span<std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                                       std::uint8_t payloadType);

} // namespace parley::router
