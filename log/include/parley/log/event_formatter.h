#pragma once

#include <Poco/Formatter.h>
#include <Poco/Message.h>

namespace parley::log {

/// Formats every log message as one logfmt line with stable field names:
///
///     time=2026-12-01T10:00:00.123Z level=info source=portal.recording event=recording.composed msg="..." recording=12
///
/// `time` (UTC, milliseconds) is left out for the journal, which keeps its own; there the
/// line starts with the syslog priority "<N>" that journald reads and strips, so
/// `journalctl -p err` finds errors. A message not logged through log::event (a library's)
/// has `event=message`. The text and every value are escaped (logfmt.h): one message is
/// always one line.
class EventFormatter : public Poco::Formatter
{
public:
    enum class Style { Timestamped, Journal };
    explicit EventFormatter(Style style) : style_(style) {}
    void format(const Poco::Message& message, std::string& text) override;

private:
    Style style_;
};

/// The stable name of a level: debug, info, notice, warning, error, critical or fatal
/// (Poco's trace is written as debug).
const char* levelName(Poco::Message::Priority priority);

} // namespace parley::log
