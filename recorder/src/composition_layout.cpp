#include <parley/recorder/composition_layout.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace parley::recorder {
namespace {

// The screen share's side column, and the small tiles over the speaker: a fifth of the width.
constexpr int kSmallTileFraction = 5;
// Small tiles in one row along the bottom, and rows of them.
constexpr int kSmallTilesPerRow = 4;
constexpr int kSmallTileRows = 2;
// Past this many cameras no one is large: an equal grid.
constexpr std::size_t kMaxSpeakerLayoutTiles = 1 + kSmallTilesPerRow * kSmallTileRows;

int even(int value) { return value & ~1; }

std::vector<Placement> grid(std::size_t count, int width, int height)
{
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
    const int rows = (static_cast<int>(count) + columns - 1) / columns;
    const int cellWidth = even(width / columns);
    const int cellHeight = even(height / rows);
    std::vector<Placement> placements;
    for (int i = 0; i < static_cast<int>(count); ++i) {
        const int row = i / columns;
        const int column = i % columns;
        // The last row, if short, is centred.
        const int inRow = row == rows - 1 ? static_cast<int>(count) - row * columns : columns;
        const int offset = even((width - inRow * cellWidth) / 2);
        placements.push_back({static_cast<std::size_t>(i),
                              {offset + column * cellWidth, even((height - rows * cellHeight) / 2) + row * cellHeight,
                               cellWidth, cellHeight},
                              false});
    }
    return placements;
}

} // namespace

std::vector<Placement> arrangeTiles(const std::vector<TileKind>& tiles, std::optional<std::size_t> speaker, int width,
                                    int height)
{
    std::vector<Placement> placements;
    if (tiles.empty())
        return placements;
    const Cell whole{0, 0, even(width), even(height)};
    if (tiles.size() == 1)
        return {{0, whole, true}};
    if (speaker && *speaker >= tiles.size())
        speaker.reset();

    // The others in their order, the speaker first.
    const auto othersThan = [&](std::size_t main) {
        std::vector<std::size_t> others;
        if (speaker && *speaker != main)
            others.push_back(*speaker);
        for (std::size_t i = 0; i < tiles.size(); ++i)
            if (i != main && (!speaker || i != *speaker))
                others.push_back(i);
        return others;
    };

    const int margin = even(width / 80);
    // A fifth of the width, unless the picture is so wide that two rows of that would not
    // fit its height.
    const int smallWidth = std::max(2, even(std::min(width / kSmallTileFraction,
                                                     (height - (kSmallTileRows + 1) * margin) / kSmallTileRows * 16 / 9)));
    const int smallHeight = std::max(2, even(smallWidth * 9 / 16));
    std::optional<std::size_t> screen;
    for (std::size_t i = 0; i < tiles.size(); ++i)
        if (tiles[i] == TileKind::Screen)
            screen = i;
    if (screen) {
        placements.push_back({*screen, {0, 0, even(width) - smallWidth, even(height)}, true});
        int y = 0;
        for (const auto other : othersThan(*screen)) {
            if (y + smallHeight > height)
                break;
            placements.push_back({other, {even(width) - smallWidth, y, smallWidth, smallHeight}, false});
            y += smallHeight;
        }
        return placements;
    }
    if (tiles.size() > kMaxSpeakerLayoutTiles)
        return grid(tiles.size(), width, height);

    const std::size_t main = speaker.value_or(0);
    placements.push_back({main, whole, true});
    std::size_t index = 0;
    for (const auto other : othersThan(main)) {
        const int row = static_cast<int>(index / kSmallTilesPerRow);
        const int column = static_cast<int>(index % kSmallTilesPerRow);
        const int x = even(width) - margin - (column + 1) * smallWidth - column * margin;
        const int y = even(height) - margin - (row + 1) * smallHeight - row * margin;
        if (x >= 0 && y >= 0)
            placements.push_back({other, {even(x), even(y), smallWidth, smallHeight}, false});
        ++index;
    }
    return placements;
}

} // namespace parley::recorder
