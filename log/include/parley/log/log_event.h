#pragma once

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::log {

/// One field of a log event: a name chosen in the code (logfmt.h: isLogfmtName) and its
/// value as text. Values are ids, counts, states, reasons and error texts: never a user's or
/// participant's name, an address, a room title, a link or a secret (docs/operations.md).
struct Field
{
    Field(std::string_view fieldName, std::string_view text) : name(fieldName), value(text) {}
    Field(std::string_view fieldName, const char* text) : name(fieldName), value(text) {}
    Field(std::string_view fieldName, const std::string& text) : name(fieldName), value(text) {}
    Field(std::string_view fieldName, bool flag) : name(fieldName), value(flag ? "true" : "false") {}
    template <std::integral T>
    Field(std::string_view fieldName, T number) : name(fieldName), value(std::to_string(number))
    {}
    Field(std::string_view fieldName, double number);

    std::string_view name;
    std::string value;
};

/// The Poco::Message parameters an event travels in to the formatter (event_formatter.h).
inline constexpr const char* kEventParameter = "event";
inline constexpr const char* kFieldsParameter = "fields";

/// Logs one event at `priority` if `logger` passes it: `event` is its stable name
/// ("recording.composed"), `text` the sentence for a human, `fields` what a program filters
/// on. The formatter writes them as one line, `... event=recording.composed msg="..."
/// recording=12 tracks=3`. Never throws for what it is given: a name that is not a logfmt
/// name is lower-cased and its other characters replaced by '_'.
void event(Poco::Logger& logger, Poco::Message::Priority priority, std::string_view event, std::string_view text,
           std::initializer_list<Field> fields = {});

inline void debug(Poco::Logger& logger, std::string_view name, std::string_view text,
                  std::initializer_list<Field> fields = {})
{
    event(logger, Poco::Message::PRIO_DEBUG, name, text, fields);
}
inline void info(Poco::Logger& logger, std::string_view name, std::string_view text,
                 std::initializer_list<Field> fields = {})
{
    event(logger, Poco::Message::PRIO_INFORMATION, name, text, fields);
}
inline void notice(Poco::Logger& logger, std::string_view name, std::string_view text,
                   std::initializer_list<Field> fields = {})
{
    event(logger, Poco::Message::PRIO_NOTICE, name, text, fields);
}
inline void warning(Poco::Logger& logger, std::string_view name, std::string_view text,
                    std::initializer_list<Field> fields = {})
{
    event(logger, Poco::Message::PRIO_WARNING, name, text, fields);
}
inline void error(Poco::Logger& logger, std::string_view name, std::string_view text,
                  std::initializer_list<Field> fields = {})
{
    event(logger, Poco::Message::PRIO_ERROR, name, text, fields);
}

} // namespace parley::log
