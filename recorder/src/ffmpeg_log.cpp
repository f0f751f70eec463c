#include <parley/recorder/ffmpeg_log.h>

#include <parley/log/log_event.h>

extern "C" {
#include <libavutil/log.h>
}

#include <Poco/Logger.h>

#include <cstdarg>
#include <mutex>
#include <string>

namespace parley::recorder {

namespace {

void toPoco(void* object, int level, const char* format, va_list arguments)
{
    if (level > AV_LOG_INFO)
        return;
    char line[1024];
    int printPrefix = 1; // each message on its own: always with its "[component @ ...]" prefix
    av_log_format_line2(object, level, format, arguments, line, sizeof line, &printPrefix);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (text.empty())
        return;
    auto& logger = Poco::Logger::get("recorder.ffmpeg");
    const auto priority = level <= AV_LOG_ERROR     ? Poco::Message::PRIO_ERROR
                          : level <= AV_LOG_WARNING ? Poco::Message::PRIO_WARNING
                                                    : Poco::Message::PRIO_DEBUG;
    log::event(logger, priority, "ffmpeg.message", text);
}

} // namespace

void routeFfmpegLogs()
{
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_callback(toPoco); });
}

} // namespace parley::recorder
