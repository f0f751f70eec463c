#include <parley/log/log_event.h>
#include <parley/log/logfmt.h>

#include <cstdio>

namespace parley::log {
namespace {

std::string safeName(std::string_view name)
{
    if (isLogfmtName(name))
        return std::string(name);
    std::string safe = name.empty() ? std::string("field") : std::string(name.substr(0, 32));
    for (char& c : safe)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'))
            c = '_';
    if (safe[0] < 'a' || safe[0] > 'z')
        safe[0] = 'x';
    return safe;
}

} // namespace

Field::Field(std::string_view fieldName, double number) : name(fieldName)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", number);
    value = text;
}

void event(Poco::Logger& logger, Poco::Message::Priority priority, std::string_view name, std::string_view text,
           std::initializer_list<Field> fields)
{
    if (!logger.is(priority))
        return;
    Poco::Message message(logger.name(), std::string(text), priority);
    message.set(kEventParameter, safeName(name));
    std::string encoded;
    for (const auto& field : fields) {
        encoded += ' ';
        encoded += safeName(field.name);
        encoded += '=';
        appendLogfmtValue(encoded, field.value);
    }
    message.set(kFieldsParameter, encoded);
    logger.log(message);
}

} // namespace parley::log
