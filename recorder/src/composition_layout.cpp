#include <parley/recorder/composition_layout.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace parley::recorder {

CompositionLayout layoutTracks(const std::vector<TrackSpan>& spans, int width, int height)
{
    CompositionLayout layout;
    layout.cellOfTrack.assign(spans.size(), -1);
    std::vector<std::size_t> order(spans.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&spans](std::size_t a, std::size_t b) { return spans[a].firstMs < spans[b].firstMs; });
    std::vector<std::int64_t> cellBusyUntil;
    for (const auto track : order) {
        const auto& span = spans[track];
        int cell = -1;
        for (std::size_t i = 0; i < cellBusyUntil.size(); ++i)
            if (cellBusyUntil[i] < span.firstMs) {
                cell = static_cast<int>(i);
                break;
            }
        if (cell < 0) {
            cell = static_cast<int>(cellBusyUntil.size());
            cellBusyUntil.push_back(0);
        }
        cellBusyUntil[static_cast<std::size_t>(cell)] = std::max(span.lastMs, span.firstMs);
        layout.cellOfTrack[track] = cell;
    }
    const int count = static_cast<int>(cellBusyUntil.size());
    if (count == 0)
        return layout;
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
    const int rows = (count + columns - 1) / columns;
    const int cellWidth = (width / columns) & ~1;
    const int cellHeight = (height / rows) & ~1;
    for (int i = 0; i < count; ++i) {
        const int row = i / columns;
        const int column = i % columns;
        // The last row, if short, is centred.
        const int inRow = row == rows - 1 ? count - row * columns : columns;
        const int offset = ((width - inRow * cellWidth) / 2) & ~1;
        layout.cells.push_back({offset + column * cellWidth, ((height - rows * cellHeight) / 2 & ~1) + row * cellHeight,
                                cellWidth, cellHeight});
    }
    return layout;
}

} // namespace parley::recorder
