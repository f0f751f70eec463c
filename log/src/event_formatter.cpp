#include <parley/log/event_formatter.h>
#include <parley/log/log_event.h>
#include <parley/log/logfmt.h>

#include <Poco/DateTimeFormatter.h>

#include <algorithm>

namespace parley::log {

const char* levelName(Poco::Message::Priority priority)
{
    switch (priority) {
    case Poco::Message::PRIO_FATAL: return "fatal";
    case Poco::Message::PRIO_CRITICAL: return "critical";
    case Poco::Message::PRIO_ERROR: return "error";
    case Poco::Message::PRIO_WARNING: return "warning";
    case Poco::Message::PRIO_NOTICE: return "notice";
    case Poco::Message::PRIO_INFORMATION: return "info";
    default: return "debug";
    }
}

void EventFormatter::format(const Poco::Message& message, std::string& text)
{
    text.clear();
    if (style_ == Style::Journal) {
        // Poco's priorities are syslog's (fatal 1 ... debug 7) plus trace 8, which syslog
        // counts as debug.
        text += '<';
        text += std::to_string(std::clamp(static_cast<int>(message.getPriority()), 1, 7));
        text += '>';
    }
    else {
        text += "time=";
        text += Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
        text += ' ';
    }
    text += "level=";
    text += levelName(message.getPriority());
    text += " source=";
    appendLogfmtValue(text, message.getSource());
    text += " event=";
    text += message.has(kEventParameter) ? message.get(kEventParameter) : std::string("message");
    text += " msg=";
    appendLogfmtValue(text, message.getText());
    if (message.has(kFieldsParameter))
        text += message.get(kFieldsParameter);
}

} // namespace parley::log
