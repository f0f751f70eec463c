#pragma once

#include <cstdint>
#include <vector>

namespace parley::recorder {

/// A rectangle of the composed picture, in pixels.
struct Cell
{
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

/// Where each video track goes in the composed picture.
struct CompositionLayout
{
    std::vector<int> cellOfTrack; ///< index into `cells`, per track in input order
    std::vector<Cell> cells;
};

/// When a video track has pictures, in milliseconds from the start of the recording.
struct TrackSpan
{
    std::int64_t firstMs = 0;
    std::int64_t lastMs = 0;
};

/// Lays the video tracks out on a grid as large as the most tracks ever shown at once:
/// a track takes the first cell free since its start, so someone who leaves and comes back
/// (a new track) or a screen share after another fills a cell again instead of the grid
/// growing. Cells are equal, in rows of ceil(sqrt(n)) columns, and have even sizes and
/// positions (4:2:0 video). Deterministic for the same input.
CompositionLayout layoutTracks(const std::vector<TrackSpan>& spans, int width, int height);

} // namespace parley::recorder
