#include <parley/sip/audio_transcoder.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <functional>
#include <cstring>
#include <stdexcept>
#include <string>

namespace parley::sip {
namespace {

struct CodecFacts
{
    AVCodecID id;
    const char* encoderName; ///< nullptr: FFmpeg's own encoder for `id`
    int sampleRate;
    std::uint32_t timestampStep;
};

CodecFacts facts(AudioCodec codec)
{
    switch (codec) {
    case AudioCodec::Opus:
        // FFmpeg's own Opus encoder is experimental; libopus is the one everybody ships.
        return {AV_CODEC_ID_OPUS, "libopus", 48'000, 960};
    case AudioCodec::G722:
        return {AV_CODEC_ID_ADPCM_G722, nullptr, 16'000, 160};
    case AudioCodec::Pcmu:
        return {AV_CODEC_ID_PCM_MULAW, nullptr, 8'000, 160};
    case AudioCodec::Pcma:
        return {AV_CODEC_ID_PCM_ALAW, nullptr, 8'000, 160};
    }
    throw std::logic_error("unknown audio codec");
}

std::string ffmpegError(int code)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

template <typename T>
FfmpegPtr<T> owned(T* allocated)
{
    if (!allocated)
        throw std::bad_alloc();
    return FfmpegPtr<T>(allocated);
}

/// `codec` opened at `sampleRate` in `format` (AV_SAMPLE_FMT_NONE: the decoder's own), mono
/// throughout: a SIP endpoint sends one voice, and the Opus decoder folds a stereo stream
/// into it. `configure` sets what else the codec needs before it opens.
FfmpegPtr<AVCodecContext> openCodec(const AVCodec* codec, AudioCodec which, const char* role, int sampleRate,
                                    AVSampleFormat format,
                                    const std::function<void(AVCodecContext*)>& configure = nullptr)
{
    if (!codec)
        throw std::runtime_error("FFmpeg has no " + std::string(audioCodecName(which)) + " " + role);
    auto context = owned(avcodec_alloc_context3(codec));
    context->sample_rate = sampleRate;
    if (format != AV_SAMPLE_FMT_NONE)
        context->sample_fmt = format;
    av_channel_layout_uninit(&context->ch_layout);
    av_channel_layout_default(&context->ch_layout, 1);
    if (configure)
        configure(context.get());
    if (const int error = avcodec_open2(context.get(), codec, nullptr); error < 0)
        throw std::runtime_error("cannot open the " + std::string(audioCodecName(which)) + " " + role + ": " +
                                 ffmpegError(error));
    return context;
}

} // namespace

void FfmpegFree::operator()(AVCodecContext* context) const
{
    avcodec_free_context(&context);
}
void FfmpegFree::operator()(AVPacket* packet) const
{
    av_packet_free(&packet);
}
void FfmpegFree::operator()(AVFrame* frame) const
{
    av_frame_free(&frame);
}
void FfmpegFree::operator()(SwrContext* resampler) const
{
    swr_free(&resampler);
}
void FfmpegFree::operator()(AVAudioFifo* fifo) const
{
    av_audio_fifo_free(fifo);
}

AudioDecoder::AudioDecoder(AudioCodec codec)
    : context_(openCodec(avcodec_find_decoder(facts(codec).id), codec, "decoder", facts(codec).sampleRate,
                         AV_SAMPLE_FMT_NONE)),
      packet_(owned(av_packet_alloc())), frame_(owned(av_frame_alloc()))
{
    padded_.reserve(1500 + AV_INPUT_BUFFER_PADDING_SIZE);
    converted_.resize(kBridgeFrame * 8);
}

bool AudioDecoder::decode(std::span<const std::uint8_t> payload, std::vector<float>& out)
{
    if (payload.empty() || payload.size() > 1500)
        return false;
    // FFmpeg's decoders read a little past the end: the padding it asks for, zeroed.
    padded_.assign(payload.begin(), payload.end());
    padded_.resize(payload.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);
    packet_->data = padded_.data();
    packet_->size = static_cast<int>(payload.size());
    if (avcodec_send_packet(context_.get(), packet_.get()) < 0)
        return false;
    bool any = false;
    while (avcodec_receive_frame(context_.get(), frame_.get()) >= 0) {
        if (!resampler_) {
            AVChannelLayout mono{};
            av_channel_layout_default(&mono, 1);
            SwrContext* made = nullptr;
            const bool ready = swr_alloc_set_opts2(&made, &mono, AV_SAMPLE_FMT_FLT, kBridgeRate, &frame_->ch_layout,
                                                   static_cast<AVSampleFormat>(frame_->format), frame_->sample_rate, 0,
                                                   nullptr) >= 0 &&
                               swr_init(made) >= 0;
            resampler_.reset(made);
            if (!ready) {
                resampler_.reset();
                av_frame_unref(frame_.get());
                return false;
            }
        }
        const int room = swr_get_out_samples(resampler_.get(), frame_->nb_samples);
        if (room > static_cast<int>(converted_.size()))
            converted_.resize(static_cast<std::size_t>(room));
        auto* target = reinterpret_cast<std::uint8_t*>(converted_.data());
        const int got = swr_convert(resampler_.get(), &target, room,
                                    const_cast<const std::uint8_t**>(frame_->extended_data), frame_->nb_samples);
        av_frame_unref(frame_.get());
        if (got > 0) {
            out.insert(out.end(), converted_.begin(), converted_.begin() + got);
            any = true;
        }
    }
    return any;
}

AudioEncoder::AudioEncoder(AudioCodec codec)
    : context_(openCodec(facts(codec).encoderName ? avcodec_find_encoder_by_name(facts(codec).encoderName)
                                                  : avcodec_find_encoder(facts(codec).id),
                         codec, "encoder", facts(codec).sampleRate,
                         codec == AudioCodec::Opus ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_S16,
                         [codec](AVCodecContext* context) {
                             if (codec != AudioCodec::Opus)
                                 return;
                             context->bit_rate = 32'000;
                             av_opt_set(context->priv_data, "application", "voip", 0);
                             av_opt_set_double(context->priv_data, "frame_duration", 20, 0);
                         })),
      packet_(owned(av_packet_alloc())), frame_(owned(av_frame_alloc())),
      fifo_(owned(av_audio_fifo_alloc(context_->sample_fmt, 1, context_->sample_rate / 10))),
      timestampStep_(facts(codec).timestampStep)
{
    AVChannelLayout mono{};
    av_channel_layout_default(&mono, 1);
    SwrContext* made = nullptr;
    const bool ready = swr_alloc_set_opts2(&made, &context_->ch_layout, context_->sample_fmt, context_->sample_rate,
                                           &mono, AV_SAMPLE_FMT_FLT, kBridgeRate, 0, nullptr) >= 0 &&
                       swr_init(made) >= 0;
    resampler_.reset(made);
    if (!ready)
        throw std::runtime_error("cannot resample for the " + std::string(audioCodecName(codec)) + " encoder");
    frame_->nb_samples = context_->frame_size > 0 ? context_->frame_size : context_->sample_rate / 50;
    frame_->format = context_->sample_fmt;
    frame_->sample_rate = context_->sample_rate;
    av_channel_layout_copy(&frame_->ch_layout, &context_->ch_layout);
    if (av_frame_get_buffer(frame_.get(), 0) < 0)
        throw std::bad_alloc();
}

std::size_t AudioEncoder::encode(std::span<const float> frame, std::span<std::uint8_t> out)
{
    // The resampler's output for 20 ms varies by a sample or so (its filter's delay); the
    // FIFO evens it out into the encoder's frames.
    std::int16_t resampled[kBridgeFrame * 2];
    float resampledFloat[kBridgeFrame * 2];
    void* target = context_->sample_fmt == AV_SAMPLE_FMT_FLT ? static_cast<void*>(resampledFloat)
                                                            : static_cast<void*>(resampled);
    const auto* input = reinterpret_cast<const std::uint8_t*>(frame.data());
    auto* output = static_cast<std::uint8_t*>(target);
    const int got = swr_convert(resampler_.get(), &output, static_cast<int>(kBridgeFrame * 2), &input,
                                static_cast<int>(frame.size()));
    if (got > 0)
        av_audio_fifo_write(fifo_.get(), &target, got);
    if (av_audio_fifo_size(fifo_.get()) < frame_->nb_samples)
        return 0;
    if (av_frame_make_writable(frame_.get()) < 0)
        return 0;
    av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame_->data), frame_->nb_samples);
    frame_->pts = pts_;
    pts_ += frame_->nb_samples;
    if (avcodec_send_frame(context_.get(), frame_.get()) < 0)
        return 0;
    std::size_t length = 0;
    while (avcodec_receive_packet(context_.get(), packet_.get()) >= 0) {
        if (length == 0 && static_cast<std::size_t>(packet_->size) <= out.size()) {
            std::memcpy(out.data(), packet_->data, static_cast<std::size_t>(packet_->size));
            length = static_cast<std::size_t>(packet_->size);
        }
        av_packet_unref(packet_.get());
    }
    return length;
}

} // namespace parley::sip
