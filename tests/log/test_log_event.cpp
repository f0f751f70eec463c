// Log events as lines: logfmt values that no input can break out of, the stable leading
// fields, the journal's priority prefix, and events left unbuilt below the level.
#include <parley/log/event_formatter.h>
#include <parley/log/log_event.h>
#include <parley/log/logfmt.h>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/DateTime.h>
#include <Poco/Logger.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::log;

namespace {

std::string encoded(std::string_view value)
{
    std::string out;
    appendLogfmtValue(out, value);
    return out;
}

/// Keeps what is logged to it, formatted as the given style would write it.
class RecordingChannel : public Poco::Channel
{
public:
    explicit RecordingChannel(EventFormatter::Style style) : formatter_(style) {}
    void log(const Poco::Message& message) override
    {
        std::string line;
        formatter_.format(message, line);
        lines.push_back(line);
    }
    std::vector<std::string> lines;

private:
    EventFormatter formatter_;
};

} // namespace

TEST_CASE("logfmt values: bare when plain, quoted and escaped otherwise, never a second line or field")
{
    CHECK(encoded("recording.composed") == "recording.composed");
    CHECK(encoded("12") == "12");
    CHECK(encoded("") == "\"\"");
    CHECK(encoded("two words") == "\"two words\"");
    CHECK(encoded("a=b") == "\"a=b\"");
    CHECK(encoded("say \"hi\"") == "\"say \\\"hi\\\"\"");
    CHECK(encoded("C:\\path") == "\"C:\\\\path\"");
    // A value that tries to end the line and start a forged event stays on its line.
    CHECK(encoded("x\ntime=2026-01-01T00:00:00.000Z level=error event=forged") ==
          "\"x\\ntime=2026-01-01T00:00:00.000Z level=error event=forged\"");
    CHECK(encoded("a\rb\tc") == "\"a\\rb\\tc\"");
    CHECK(encoded(std::string("nul\0bell\x07" "del\x7f", 13)) == "\"nul\\x00bell\\x07del\\x7f\"");
    CHECK(encoded("\x1b[31mred") == "\"\\x1b[31mred\"");
    // UTF-8 passes; bytes that are not UTF-8 are shown, not passed on.
    CHECK(encoded("Zoë Müller") == "\"Zoë Müller\"");
    CHECK(encoded("caf\xc3") == "\"caf\\xc3\"");                 // cut short
    CHECK(encoded("\xc0\xaf") == "\"\\xc0\\xaf\"");              // overlong '/'
    CHECK(encoded("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");     // a surrogate
    CHECK(encoded("\xf4\x90\x80\x80") == "\"\\xf4\\x90\\x80\\x80\""); // past U+10FFFF
    CHECK(encoded("\xff\xfe") == "\"\\xff\\xfe\"");
    for (int byte = 0; byte < 256; ++byte) {
        const auto out = encoded(std::string(1, static_cast<char>(byte)) + " tail");
        INFO("byte " << byte);
        CHECK(out.find('\n') == std::string::npos);
        CHECK(out.find('\r') == std::string::npos);
        CHECK(out.size() >= 2);
    }
}

TEST_CASE("Field names are the code's own, anything else is made into one")
{
    CHECK(isLogfmtName("recording"));
    CHECK(isLogfmtName("duration_ms"));
    CHECK(isLogfmtName("tls.sha256"));
    CHECK_FALSE(isLogfmtName(""));
    CHECK_FALSE(isLogfmtName("Recording"));
    CHECK_FALSE(isLogfmtName("1st"));
    CHECK_FALSE(isLogfmtName("a b"));
    CHECK_FALSE(isLogfmtName("a=b"));
    CHECK_FALSE(isLogfmtName(std::string(33, 'a')));

    Poco::AutoPtr<RecordingChannel> channel(new RecordingChannel(EventFormatter::Style::Journal));
    auto& logger = Poco::Logger::get("test.names");
    logger.setChannel(channel);
    logger.setLevel(Poco::Message::PRIO_TRACE);
    info(logger, "Bad Event!", "text", {{"a b=c", "v"}, {"", "w"}, {"Upper", 1}});
    REQUIRE(channel->lines.size() == 1);
    CHECK(channel->lines[0] == "<6>level=info source=test.names event=bad_event_ msg=text a_b_c=v field=w upper=1");
}

TEST_CASE("An event is one line: time, level, source, event, msg, then its fields, the journal gets a priority")
{
    Poco::AutoPtr<RecordingChannel> timestamped(new RecordingChannel(EventFormatter::Style::Timestamped));
    Poco::AutoPtr<RecordingChannel> journal(new RecordingChannel(EventFormatter::Style::Journal));
    auto& logger = Poco::Logger::get("portal.recording");
    logger.setLevel(Poco::Message::PRIO_INFORMATION);

    logger.setChannel(timestamped);
    info(logger, "recording.composed", "recording 12 composed: 2 tracks",
         {{"recording", 12}, {"tracks", std::size_t{2}}, {"duration_s", 90.5}, {"retry", false}, {"error", "a \"b\""}});
    REQUIRE(timestamped->lines.size() == 1);
    const auto& line = timestamped->lines[0];
    INFO(line);
    CHECK(line.starts_with("time=" + std::to_string(Poco::DateTime().year()) + "-"));
    CHECK(line.substr(28).starts_with("Z level=info source=portal.recording event=recording.composed "
                                      "msg=\"recording 12 composed: 2 tracks\" recording=12 tracks=2 "
                                      "duration_s=90.5 retry=false error=\"a \\\"b\\\"\""));
    CHECK(line.find('\n') == std::string::npos);

    // Below the level nothing is built or written; each level keeps its syslog priority.
    debug(logger, "http.request", "GET / 200");
    CHECK(timestamped->lines.size() == 1);
    logger.setChannel(journal);
    logger.setLevel(Poco::Message::PRIO_TRACE);
    debug(logger, "a.debug", "d");
    info(logger, "a.info", "i");
    notice(logger, "a.notice", "n");
    warning(logger, "a.warning", "w");
    error(logger, "a.error", "e");
    event(logger, Poco::Message::PRIO_CRITICAL, "a.critical", "c");
    event(logger, Poco::Message::PRIO_TRACE, "a.trace", "t");
    logger.fatal("from a library"); // not through log::event
    const std::vector<std::string> expected{
        "<7>level=debug source=portal.recording event=a.debug msg=d",
        "<6>level=info source=portal.recording event=a.info msg=i",
        "<5>level=notice source=portal.recording event=a.notice msg=n",
        "<4>level=warning source=portal.recording event=a.warning msg=w",
        "<3>level=error source=portal.recording event=a.error msg=e",
        "<2>level=critical source=portal.recording event=a.critical msg=c",
        "<7>level=debug source=portal.recording event=a.trace msg=t",
        "<1>level=fatal source=portal.recording event=message msg=\"from a library\"",
    };
    CHECK(journal->lines == expected);
}
