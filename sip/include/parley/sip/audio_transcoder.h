#pragma once

#include <parley/sip/sip_offer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct AVCodecContext;
struct AVFrame;
struct AVPacket;
struct SwrContext;
struct AVAudioFifo;

namespace parley::sip {

/// Audio inside Parley's SIP bridge: 48 kHz mono float, in frames of 20 ms.
inline constexpr int kBridgeRate = 48'000;
inline constexpr std::size_t kBridgeFrame = 960;

/// Frees what FFmpeg allocated, each with its own function: the transcoders own their FFmpeg
/// objects however construction ends.
struct FfmpegFree
{
    void operator()(AVCodecContext* context) const;
    void operator()(AVPacket* packet) const;
    void operator()(AVFrame* frame) const;
    void operator()(SwrContext* resampler) const;
    void operator()(AVAudioFifo* fifo) const;
};
template <typename T>
using FfmpegPtr = std::unique_ptr<T, FfmpegFree>;

/// Decodes one RTP stream's payloads (Opus, G.722, G.711) with FFmpeg's decoders into the
/// bridge's format. One per stream: decoders keep state between packets.
class AudioDecoder
{
public:
    /// Throws std::runtime_error when FFmpeg lacks the decoder.
    explicit AudioDecoder(AudioCodec codec);
    AudioDecoder(const AudioDecoder&) = delete;
    AudioDecoder& operator=(const AudioDecoder&) = delete;

    /// Decodes one RTP payload and appends its samples to `out`. Returns false for a payload
    /// the decoder refuses (the caller drops and counts it); never throws for bad input.
    bool decode(std::span<const std::uint8_t> payload, std::vector<float>& out);

private:
    FfmpegPtr<AVCodecContext> context_;
    FfmpegPtr<AVPacket> packet_;
    FfmpegPtr<AVFrame> frame_;
    FfmpegPtr<SwrContext> resampler_; ///< made for the first frame's format
    std::vector<std::uint8_t> padded_;
    std::vector<float> converted_;
};

/// Encodes the bridge's 20 ms frames for the endpoint (Opus with libopus, G.722, G.711).
class AudioEncoder
{
public:
    /// Throws std::runtime_error when FFmpeg lacks the encoder.
    explicit AudioEncoder(AudioCodec codec);
    AudioEncoder(const AudioEncoder&) = delete;
    AudioEncoder& operator=(const AudioEncoder&) = delete;

    /// Encodes one 20 ms frame (kBridgeFrame samples) into `out`; returns the payload's
    /// length, or 0 when the encoder has nothing complete yet or `out` is too small.
    std::size_t encode(std::span<const float> frame, std::span<std::uint8_t> out);
    /// RTP timestamp units per 20 ms frame: 960 for Opus, 160 for G.711 and G.722 (whose RTP
    /// clock is 8000 although it samples at 16 kHz, RFC 3551 4.5.2).
    std::uint32_t timestampStep() const { return timestampStep_; }

private:
    FfmpegPtr<AVCodecContext> context_;
    FfmpegPtr<AVPacket> packet_;
    FfmpegPtr<AVFrame> frame_;
    FfmpegPtr<SwrContext> resampler_;
    FfmpegPtr<AVAudioFifo> fifo_;
    std::uint32_t timestampStep_ = 0;
    std::int64_t pts_ = 0;
};

} // namespace parley::sip
