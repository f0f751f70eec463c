#include <parley/log/logfmt.h>

#include <parley/log/utf8_sequence.h>

namespace parley::log {
namespace {

void appendHex(std::string& out, unsigned char byte)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    out += "\\x";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0F];
}

bool needsQuotes(std::string_view value)
{
    if (value.empty())
        return true;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= ' ' || byte == '=' || byte == '"' || byte == '\\' || byte >= 0x7F)
            return true;
    }
    return false;
}

} // namespace

void appendLogfmtValue(std::string& out, std::string_view value)
{
    if (!needsQuotes(value)) {
        out += value;
        return;
    }
    out += '"';
    for (std::size_t i = 0; i < value.size();) {
        const auto byte = static_cast<unsigned char>(value[i]);
        if (byte >= 0x80) {
            if (const auto length = utf8SequenceLength(value, i)) {
                out.append(value.substr(i, length));
                i += length;
            }
            else {
                appendHex(out, byte);
                ++i;
            }
            continue;
        }
        switch (byte) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (byte < ' ' || byte == 0x7F)
                appendHex(out, byte);
            else
                out += static_cast<char>(byte);
        }
        ++i;
    }
    out += '"';
}

bool isLogfmtName(std::string_view name)
{
    if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z')
        return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return false;
    return true;
}

} // namespace parley::log
