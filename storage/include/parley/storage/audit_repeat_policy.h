#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace parley::storage {

/// How floods of identical audit events are folded.
struct AuditRepeatPolicy
{
    /// Identical events are counted per window, which starts at the first of them.
    std::chrono::seconds window{60};
    /// In a window, this many identical events are recorded one by one; the rest are
    /// counted and recorded as one summary when the window ends. Once a window ended with
    /// a summary, the next window of that event records none one by one (the flood goes on).
    std::int64_t recordedIndividually = 10;
    /// Distinct events followed at once; past it the oldest one's summary is written early.
    std::size_t maxTracked = 4096;
};

} // namespace parley::storage
