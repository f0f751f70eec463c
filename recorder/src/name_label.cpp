#include <parley/recorder/name_label.h>

#include "fd_io_context.h"

#include <parley/log/utf8_sequence.h>

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavutil/frame.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <stdexcept>

namespace parley::recorder {
namespace {

struct GraphDeleter
{
    void operator()(AVFilterGraph* graph) const { avfilter_graph_free(&graph); }
};

struct DictionaryDeleter
{
    void operator()(AVDictionary* dictionary) const { av_dict_free(&dictionary); }
};

} // namespace

std::string labelText(const std::string& name)
{
    std::string text;
    std::size_t characters = 0;
    for (std::size_t i = 0; i < name.size();) {
        const auto byte = static_cast<unsigned char>(name[i]);
        const std::size_t length = log::utf8SequenceLength(name, i);
        if (length == 0) {
            ++i; // not the start of a UTF-8 sequence: dropped
            continue;
        }
        if (length == 1 && (byte < 0x20 || byte == 0x7f)) {
            ++i;
            continue;
        }
        if (characters == NameLabel::kMaxCharacters) {
            text += "\u2026";
            break;
        }
        text.append(name, i, length);
        ++characters;
        i += length;
    }
    return text;
}

NameLabel::NameLabel(const std::string& name, const std::string& fontFile, int fontSize, int maxWidth)
{
    const auto fail = [&fontFile](const std::string& what, int error = 0) {
        throw std::runtime_error("cannot draw a name with the font " + fontFile + ": " + what +
                                 (error ? " (" + describeAvError(error) + ")" : std::string()));
    };
    const int width = std::max(16, maxWidth) & ~1;
    const int height = (fontSize * 9 / 5) & ~1;
    std::unique_ptr<AVFilterGraph, GraphDeleter> graph(avfilter_graph_alloc());
    if (!graph)
        fail("out of memory");
    graph->nb_threads = 1;
    // A transparent picture, the text on a box drawn on it, taken from the sink once.
    AVFilterContext* source = nullptr;
    const std::string sourceArgs = "c=black@0.0:s=" + std::to_string(width) + "x" + std::to_string(height) + ":d=1";
    if (const int error = avfilter_graph_create_filter(&source, avfilter_get_by_name("color"), "background",
                                                      sourceArgs.c_str(), nullptr, graph.get());
        error < 0)
        fail("no color source", error);
    AVFilterContext* format = nullptr;
    if (const int error = avfilter_graph_create_filter(&format, avfilter_get_by_name("format"), "format", "yuva420p",
                                                      nullptr, graph.get());
        error < 0)
        fail("no format filter", error);
    const AVFilter* drawtextFilter = avfilter_get_by_name("drawtext");
    if (!drawtextFilter)
        fail("FFmpeg has no drawtext filter");
    AVFilterContext* drawtext = avfilter_graph_alloc_filter(graph.get(), drawtextFilter, "name");
    if (!drawtext)
        fail("out of memory");
    // Options as values, never parsed from a filter string: a name holds any characters.
    AVDictionary* rawOptions = nullptr;
    av_dict_set(&rawOptions, "fontfile", fontFile.c_str(), 0);
    av_dict_set(&rawOptions, "text", labelText(name).c_str(), 0);
    av_dict_set(&rawOptions, "expansion", "none", 0);
    av_dict_set_int(&rawOptions, "fontsize", fontSize, 0);
    av_dict_set(&rawOptions, "fontcolor", "white", 0);
    av_dict_set(&rawOptions, "box", "1", 0);
    av_dict_set(&rawOptions, "boxcolor", "black@0.6", 0);
    av_dict_set_int(&rawOptions, "boxborderw", fontSize / 3, 0);
    av_dict_set_int(&rawOptions, "x", fontSize / 3, 0);
    av_dict_set(&rawOptions, "y", "(h-th)/2", 0);
    std::unique_ptr<AVDictionary, DictionaryDeleter> options(rawOptions);
    AVDictionary* left = options.release();
    const int initialised = avfilter_init_dict(drawtext, &left);
    options.reset(left);
    if (initialised < 0)
        fail("drawtext refused its options", initialised);
    AVFilterContext* sink = nullptr;
    if (const int error =
            avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr, graph.get());
        error < 0)
        fail("no buffer sink", error);
    if (avfilter_link(source, 0, format, 0) < 0 || avfilter_link(format, 0, drawtext, 0) < 0 ||
        avfilter_link(drawtext, 0, sink, 0) < 0)
        fail("cannot link the filters");
    if (const int error = avfilter_graph_config(graph.get(), nullptr); error < 0)
        fail("cannot configure the filters", error);
    label_ = av_frame_alloc();
    if (!label_)
        fail("out of memory");
    if (const int error = av_buffersink_get_frame(sink, label_); error < 0) {
        av_frame_free(&label_);
        fail("no picture came out", error);
    }
    if (label_->format != AV_PIX_FMT_YUVA420P) {
        av_frame_free(&label_);
        fail("the label is not YUVA 4:2:0");
    }
}

NameLabel::~NameLabel() { av_frame_free(&label_); }

int NameLabel::height() const { return label_->height; }

void NameLabel::blend(AVFrame& canvas, int x, int y) const
{
    x &= ~1;
    y &= ~1;
    const int width = std::min(label_->width, canvas.width - x);
    const int height = std::min(label_->height, canvas.height - y);
    if (x < 0 || y < 0 || width <= 0 || height <= 0)
        return;
    const auto mixed = [](std::uint8_t over, std::uint8_t under, int alpha) {
        return static_cast<std::uint8_t>((over * alpha + under * (255 - alpha) + 127) / 255);
    };
    for (int row = 0; row < height; ++row) {
        const std::uint8_t* alpha = label_->data[3] + row * label_->linesize[3];
        const std::uint8_t* luma = label_->data[0] + row * label_->linesize[0];
        std::uint8_t* out = canvas.data[0] + (y + row) * canvas.linesize[0] + x;
        for (int column = 0; column < width; ++column)
            if (alpha[column])
                out[column] = mixed(luma[column], out[column], alpha[column]);
    }
    for (int plane = 1; plane < 3; ++plane)
        for (int row = 0; row < height / 2; ++row) {
            const std::uint8_t* alpha = label_->data[3] + row * 2 * label_->linesize[3];
            const std::uint8_t* chroma = label_->data[plane] + row * label_->linesize[plane];
            std::uint8_t* out = canvas.data[plane] + (y / 2 + row) * canvas.linesize[plane] + x / 2;
            for (int column = 0; column < width / 2; ++column)
                if (const int a = alpha[column * 2])
                    out[column] = mixed(chroma[column], out[column], a);
        }
}

} // namespace parley::recorder
