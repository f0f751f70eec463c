// FFmpeg's messages reach the server's log, not its bare stderr.
#include <parley/recorder/ffmpeg_log.h>

extern "C" {
#include <libavutil/log.h>
}

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

namespace {

class CapturingChannel : public Poco::Channel
{
public:
    void log(const Poco::Message& message) override
    {
        std::lock_guard lock(mutex);
        messages.push_back(message);
    }
    std::mutex mutex;
    std::vector<Poco::Message> messages;
};

} // namespace

TEST_CASE("FFmpeg's errors and warnings go to the recorder.ffmpeg logger at their level, "
          "but its chatter does not",
          "[recorder]")
{
    Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
    auto& logger = Poco::Logger::get("recorder.ffmpeg");
    logger.setChannel(channel);
    logger.setLevel(Poco::Message::PRIO_DEBUG);
    parley::recorder::routeFfmpegLogs();
    parley::recorder::routeFfmpegLogs(); // twice is harmless

    av_log(nullptr, AV_LOG_ERROR, "cannot write frame %d\n", 42);
    av_log(nullptr, AV_LOG_WARNING, "file ended prematurely\n");
    av_log(nullptr, AV_LOG_INFO, "libvpx v1.12\n");
    av_log(nullptr, AV_LOG_DEBUG, "chatter\n");
    av_log(nullptr, AV_LOG_ERROR, "\n");

    std::lock_guard lock(channel->mutex);
    REQUIRE(channel->messages.size() == 3);
    CHECK(channel->messages[0].getText() == "cannot write frame 42");
    CHECK(channel->messages[0].getPriority() == Poco::Message::PRIO_ERROR);
    CHECK(channel->messages[1].getText() == "file ended prematurely");
    CHECK(channel->messages[1].getPriority() == Poco::Message::PRIO_WARNING);
    CHECK(channel->messages[2].getPriority() == Poco::Message::PRIO_DEBUG);
    logger.setChannel(nullptr);
}
