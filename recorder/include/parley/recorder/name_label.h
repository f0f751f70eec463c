#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct AVFrame;

namespace parley::recorder {

/// A participant's name as a small picture with transparency (white text on a dark,
/// half-transparent box), drawn once by libavfilter's drawtext and then laid onto every
/// composed frame it belongs to.
class NameLabel
{
public:
    /// Draws `text` (control characters removed, at most kMaxCharacters) in `fontFile` at
    /// `fontSize` pixels into a label at most `maxWidth` wide. Throws std::runtime_error
    /// naming the font when it cannot be drawn.
    NameLabel(const std::string& text, const std::string& fontFile, int fontSize, int maxWidth);
    NameLabel(const NameLabel&) = delete;
    NameLabel& operator=(const NameLabel&) = delete;
    ~NameLabel();

    static constexpr std::size_t kMaxCharacters = 48;

    /// Lays the label onto a YUV 4:2:0 `canvas` with its top-left corner at (x, y), clipped
    /// to the canvas.
    void blend(AVFrame& canvas, int x, int y) const;

    int height() const;

private:
    AVFrame* label_ = nullptr; ///< YUVA 4:2:0
};

/// The name as drawn: control characters and bytes that are not UTF-8 dropped, cut at kMaxCharacters characters
/// (whole UTF-8 sequences) with an ellipsis.
std::string labelText(const std::string& name);

} // namespace parley::recorder
