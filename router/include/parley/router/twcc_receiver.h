#pragma once

#include <parley/router/twcc_feedback.h>

#include <array>
#include <cstdint>
#include <span>

namespace parley::router {

/// The arrival times of one participant's packets by transport-wide sequence number (every
/// packet it sends us carries one when transport-cc is negotiated), turned into feedback
/// packets for it at a steady pace. Fixed size, no allocation; not thread-safe (one worker).
class TwccReceiver
{
public:
    /// Sequence numbers remembered; what runs further ahead is reported as lost.
    static constexpr std::size_t kWindow = 2048;

    /// A packet with transport-wide sequence number `sequence` arrived at `arrivalMicros`.
    /// One that comes after its feedback was sent is counted late and not reported again.
    void onPacket(std::uint16_t sequence, std::int64_t arrivalMicros);

    /// The next feedback packet for what arrived since the previous one (empty when there is
    /// nothing to report); call until empty. Valid until the next call.
    std::span<const std::uint8_t> nextFeedback(std::uint32_t senderSsrc, std::uint32_t mediaSsrc);

    std::uint64_t late() const { return late_; }
    std::uint64_t feedbackSent() const { return sent_; }

private:
    struct Slot
    {
        std::uint16_t sequence = 0;
        bool received = false;
        std::int64_t arrival = 0;
    };

    Slot& slot(std::uint16_t sequence) { return slots_[sequence % kWindow]; }

    std::array<Slot, kWindow> slots_{};
    TwccFeedbackBuilder builder_;
    bool started_ = false;
    std::uint16_t next_ = 0;    ///< the first sequence number not reported yet
    std::uint16_t highest_ = 0; ///< the highest received
    bool pending_ = false;
    std::uint8_t count_ = 0;    ///< feedback packet count (wraps)
    std::uint64_t late_ = 0;
    std::uint64_t sent_ = 0;
};

} // namespace parley::router
