#include "composition_video_track.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstring>

namespace parley::recorder {
namespace {

// A track that sent no picture for this long (camera off, network gone) leaves the layout.
constexpr std::int64_t kStalePictureMs = 2000;
// After a track's last picture (its participant left), it leaves the layout this soon.
constexpr std::int64_t kEndedPictureMs = 500;
// Cameras are cropped to fill their cell when the shapes differ by at most this factor
// (4:3 into 16:9 is 1.33); beyond it (a phone held upright) they are shown whole.
constexpr double kMaxCropFactor = 1.5;
// Small tiles over a picture get a dark outline this wide.
constexpr int kOutline = 2;
constexpr std::uint8_t kOutlineLuma = 48;

void fill(AVFrame& canvas, Cell cell, std::uint8_t luma)
{
    cell.x = std::clamp(cell.x, 0, canvas.width) & ~1;
    cell.y = std::clamp(cell.y, 0, canvas.height) & ~1;
    cell.width = std::min(cell.width, canvas.width - cell.x) & ~1;
    cell.height = std::min(cell.height, canvas.height - cell.y) & ~1;
    for (int y = 0; y < cell.height; ++y)
        std::memset(canvas.data[0] + (cell.y + y) * canvas.linesize[0] + cell.x, luma, static_cast<std::size_t>(cell.width));
    for (int plane = 1; plane < 3; ++plane)
        for (int y = 0; y < cell.height / 2; ++y)
            std::memset(canvas.data[plane] + (cell.y / 2 + y) * canvas.linesize[plane] + cell.x / 2, 128,
                        static_cast<std::size_t>(cell.width / 2));
}

} // namespace

VideoTrack::VideoTrack(const CompositionInput& input, std::size_t participant)
    : decoder_(input.fd, input.name), name_(input.displayName), participant_(participant),
      kind_(input.screen ? TileKind::Screen : TileKind::Camera), firstMs_(input.firstMs), shown_(newFrame()),
      pending_(newFrame())
{}

void VideoTrack::advanceTo(std::int64_t ms)
{
    if (ended_ && hasShown_ && ms - shownMs_ > kEndedPictureMs) {
        // Gone from the layout for good: its last picture, scaler and labels go too.
        av_frame_unref(shown_.get());
        hasShown_ = false;
        sws_freeContext(scaler_);
        scaler_ = nullptr;
        largeLabel_.reset();
        smallLabel_.reset();
    }
    for (;;) {
        if (!hasPending_) {
            if (ended_)
                return;
            AVFrame* frame = decoder_.next();
            if (!frame) {
                ended_ = true;
                decoder_.close();
                return;
            }
            av_frame_unref(pending_.get());
            av_frame_move_ref(pending_.get(), frame);
            pendingMs_ = decoder_.frameMs();
            hasPending_ = true;
        }
        if (pendingMs_ > ms)
            return;
        av_frame_unref(shown_.get());
        av_frame_move_ref(shown_.get(), pending_.get());
        shownMs_ = pendingMs_;
        hasShown_ = true;
        hasPending_ = false;
    }
}

bool VideoTrack::visible(std::int64_t ms) const
{
    return hasShown_ && ms - shownMs_ <= (ended_ ? kEndedPictureMs : kStalePictureMs) && shown_->width > 0 &&
           shown_->height > 0;
}

void VideoTrack::paint(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError)
{
    const Cell cell = placement.cell;
    if (!placement.large) {
        fill(canvas, {cell.x - kOutline, cell.y - kOutline, cell.width + 2 * kOutline, cell.height + 2 * kOutline},
             kOutlineLuma);
        fill(canvas, cell, 16);
    }
    const AVFrame& picture = *shown_;
    const auto format = static_cast<AVPixelFormat>(picture.format);
    const AVPixFmtDescriptor* description = av_pix_fmt_desc_get(format);
    // The part of the picture shown: all of it, or its middle cut to the cell's shape.
    int sourceX = 0, sourceY = 0, sourceWidth = picture.width, sourceHeight = picture.height;
    const double pictureShape = static_cast<double>(picture.width) / picture.height;
    const double cellShape = static_cast<double>(cell.width) / cell.height;
    // Cropping moves the planes' start by whole samples: only for 8-bit YUV with a plane
    // per component (what VP8 and most H.264 decode to); others are shown whole.
    const bool croppable = description && description->comp[0].depth == 8 &&
                           av_pix_fmt_count_planes(format) >= 3 && !(description->flags & AV_PIX_FMT_FLAG_RGB);
    const bool crop = kind_ == TileKind::Camera && croppable &&
                      std::max(pictureShape / cellShape, cellShape / pictureShape) <= kMaxCropFactor;
    if (crop) {
        if (pictureShape > cellShape)
            sourceWidth = std::min(picture.width, std::max(2, static_cast<int>(picture.height * cellShape) & ~1));
        else
            sourceHeight = std::min(picture.height, std::max(2, static_cast<int>(picture.width / cellShape) & ~1));
        sourceX = ((picture.width - sourceWidth) / 2) & ~1;
        sourceY = ((picture.height - sourceHeight) / 2) & ~1;
    }
    const double scale = std::min(static_cast<double>(cell.width) / sourceWidth,
                                  static_cast<double>(cell.height) / sourceHeight);
    const int width = crop ? cell.width : std::max(2, static_cast<int>(sourceWidth * scale) & ~1);
    const int height = crop ? cell.height : std::max(2, static_cast<int>(sourceHeight * scale) & ~1);
    scaler_ = sws_getCachedContext(scaler_, sourceWidth, sourceHeight, format, width, height, AV_PIX_FMT_YUV420P,
                                   SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!scaler_)
        return; // a picture format swscale cannot convert: the cell stays black
    const std::uint8_t* source[4] = {picture.data[0], picture.data[1], picture.data[2], picture.data[3]};
    if (crop)
        for (int plane = 0; plane < 4 && picture.data[plane]; ++plane) {
            const bool chroma = plane == 1 || plane == 2;
            const int x = chroma ? sourceX >> description->log2_chroma_w : sourceX;
            const int y = chroma ? sourceY >> description->log2_chroma_h : sourceY;
            source[plane] = picture.data[plane] + y * picture.linesize[plane] + x;
        }
    const int x = (cell.x + (cell.width - width) / 2) & ~1;
    const int y = (cell.y + (cell.height - height) / 2) & ~1;
    if (x < 0 || y < 0 || x + width > canvas.width || y + height > canvas.height)
        return; // not inside the picture (arrangeTiles keeps cells inside; never write outside)
    std::uint8_t* planes[4] = {canvas.data[0] + y * canvas.linesize[0] + x,
                               canvas.data[1] + (y / 2) * canvas.linesize[1] + x / 2,
                               canvas.data[2] + (y / 2) * canvas.linesize[2] + x / 2, nullptr};
    sws_scale(scaler_, source, picture.linesize, 0, sourceHeight, planes, canvas.linesize);
    drawName(canvas, placement, font, labelError);
}

void VideoTrack::drawName(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError)
{
    if (name_.empty() || font.empty() || labelFailed_)
        return;
    const Cell cell = placement.cell;
    auto& label = placement.large ? largeLabel_ : smallLabel_;
    // Sizes from the picture's height: 30 px on a 720-line picture, 16 on a small tile.
    const int fontSize = placement.large ? std::max(14, canvas.height / 24) : std::max(12, cell.height / 9);
    try {
        if (!label || labelWidth_[placement.large] != cell.width) {
            label = std::make_unique<NameLabel>(name_, font, fontSize, cell.width - fontSize);
            labelWidth_[placement.large] = cell.width;
        }
    }
    catch (const std::exception& e) {
        // This name is left out (the first reason is logged); the rest is composed.
        labelFailed_ = true;
        if (labelError.empty())
            labelError = e.what();
        return;
    }
    const int margin = fontSize / 2;
    // Large: the top-left corner (small tiles run along the bottom); small: the bottom.
    label->blend(canvas, cell.x + margin,
                 placement.large ? cell.y + margin : cell.y + cell.height - label->height() - margin / 2);
}

} // namespace parley::recorder
