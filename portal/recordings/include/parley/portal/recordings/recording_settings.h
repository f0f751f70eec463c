#pragma once

#include <chrono>
#include <string>

namespace parley::portal {

/// What happens to recordings after they stop (`[recording]` section).
struct RecordingSettings
{
    bool keepTracks = true;    ///< keep the per-track files once the composed file is made
    int retentionDays = 0;     ///< delete recordings this long after they stop; 0 keeps them
    std::chrono::seconds maintenanceInterval{3600}; ///< how often retention and integrity run
    std::chrono::hours integrityInterval{24};       ///< re-check each file this often; 0: on demand only
    int composeAttempts = 3;   ///< a composition that keeps failing is given up after this
    int composeWidth = 1280;
    int composeHeight = 720;
    int composeFramesPerSecond = 15;
    std::string labelFont; ///< TrueType font for names on the composed picture; "" draws none
    std::chrono::seconds viewIdle{300}; ///< a longer pause ends a viewing (RecordingViewings)
};

} // namespace parley::portal
