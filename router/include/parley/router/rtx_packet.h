#pragma once

#include <parley/router/rtp_packet.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// Turns a decrypted RTX packet (parsed as `view`) back, in place, into the packet it
/// repeats: media `ssrc` and `payloadType`, the original sequence number carried at the start
/// of the payload. Returns the restored packet, a span inside `packet`; empty when the RTX
/// packet carries nothing after that number (padding, sent to probe bandwidth) or is too
/// short to carry it.
std::span<std::uint8_t> restoreFromRtx(std::span<std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                                       std::uint8_t payloadType);

} // namespace parley::router
