#pragma once

#include <cstddef>
#include <optional>
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

/// What a tile shows: a camera is cropped to fill its cell when its shape is close to the
/// cell's, a screen share is always shown whole.
enum class TileKind
{
    Camera,
    Screen,
};

/// Where one visible video goes.
struct Placement
{
    std::size_t tile = 0; ///< index into the tiles given to arrangeTiles
    Cell cell;
    bool large = false; ///< the main picture (names are drawn larger on it)
};

/// Lays out the videos visible at one moment, as a reader of the recording wants them:
/// - one video fills the picture;
/// - with a screen share, the newest share (the last Screen in `tiles`) takes the picture
///   left of a column a fifth of its width, where the active speaker comes first and then
///   the others, in 16:9 cells from the top (as many as fit);
/// - without one, the active speaker (`speaker`, else the first tile) fills the picture and
///   up to eight others are small 16:9 tiles along its bottom edge, from the right;
/// - more than nine cameras: an equal grid of ceil(sqrt(n)) columns.
/// Small tiles are a fifth of the width, smaller when two rows of them would not fit the
/// height (a very wide picture). Cells have even sizes and positions (4:2:0 video) and lie
/// inside the picture (a small tile that would not is left out); small tiles never overlap
/// each other. Deterministic for the same input.
std::vector<Placement> arrangeTiles(const std::vector<TileKind>& tiles, std::optional<std::size_t> speaker, int width,
                                    int height);

} // namespace parley::recorder
