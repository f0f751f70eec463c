#include "h264_picture_size.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <vector>

namespace parley::recorder {

std::optional<std::pair<int, int>> h264PictureSize(std::span<const std::uint8_t> keyframe)
{
    const AVCodec* decoder = avcodec_find_decoder(AV_CODEC_ID_H264);
    AVCodecParserContext* parser = av_parser_init(AV_CODEC_ID_H264);
    AVCodecContext* context = decoder ? avcodec_alloc_context3(decoder) : nullptr;
    std::optional<std::pair<int, int>> size;
    if (parser && context) {
        // The parser reads past the end in words: padded copy.
        std::vector<std::uint8_t> padded(keyframe.begin(), keyframe.end());
        padded.resize(keyframe.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);
        parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
        std::uint8_t* out = nullptr;
        int outSize = 0;
        av_parser_parse2(parser, context, &out, &outSize, padded.data(), static_cast<int>(keyframe.size()),
                         AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
        if (parser->width > 0 && parser->height > 0 && parser->width <= 16384 && parser->height <= 16384)
            size = std::pair{parser->width, parser->height};
    }
    avcodec_free_context(&context);
    if (parser)
        av_parser_close(parser);
    return size;
}

} // namespace parley::recorder
