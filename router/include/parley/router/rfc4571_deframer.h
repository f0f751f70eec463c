#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// Splits a TCP byte stream into the packets RFC 4571 frames in it (each preceded by its
/// 16-bit length), as ICE-TCP (RFC 6544) carries STUN, DTLS, RTP and RTCP. Bytes may come in
/// any pieces; a frame is handed out whole once all of it arrived. Fixed buffer, no
/// allocation. A frame longer than kMaxFrame, or empty, makes the stream bad (the caller
/// closes the connection): nothing the router sends or takes is that large.
class Rfc4571Deframer
{
public:
    static constexpr std::size_t kMaxFrame = 2048;

    /// Takes `bytes` and calls `frame(std::span<std::uint8_t>)` for each frame completed by
    /// them (the span is valid during the call). Returns false, having handed out the frames
    /// before it, when the stream is bad; it stays bad.
    template <typename Frame>
    bool push(std::span<const std::uint8_t> bytes, Frame&& frame)
    {
        for (std::size_t at = 0; at < bytes.size() && !bad_;) {
            if (have_ < 2) {
                header_[have_++] = bytes[at++];
                if (have_ == 2) {
                    expected_ = std::size_t(header_[0]) << 8 | header_[1];
                    if (expected_ == 0 || expected_ > kMaxFrame)
                        bad_ = true;
                }
                continue;
            }
            const auto body = have_ - 2;
            const auto take = std::min(expected_ - body, bytes.size() - at);
            for (std::size_t i = 0; i < take; ++i)
                buffer_[body + i] = bytes[at + i];
            at += take;
            have_ += take;
            if (have_ - 2 == expected_) {
                frame(std::span<std::uint8_t>(buffer_.data(), expected_));
                have_ = 0;
            }
        }
        return !bad_;
    }

    bool bad() const { return bad_; }

private:
    std::array<std::uint8_t, kMaxFrame> buffer_{};
    std::array<std::uint8_t, 2> header_{};
    std::size_t have_ = 0; ///< bytes of the current frame, its 2-byte length included
    std::size_t expected_ = 0;
    bool bad_ = false;
};

} // namespace parley::router
