#include <parley/portal/http/text_validation.h>

#include <Poco/UTF8Encoding.h>

namespace parley::portal {

bool isValidUtf8(std::string_view text)
{
    Poco::UTF8Encoding utf8;
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t position = 0;
    while (position < text.size()) {
        const int remaining = static_cast<int>(std::min<std::size_t>(text.size() - position, 4));
        const int length = utf8.sequenceLength(bytes + position, remaining);
        if (length <= 0 || length > remaining ||
            !Poco::UTF8Encoding::isLegal(bytes + position, length))
            return false;
        position += static_cast<std::size_t>(length);
    }
    return true;
}

std::size_t utf8Length(std::string_view text)
{
    std::size_t count = 0;
    for (const unsigned char c : text)
        if ((c & 0xC0) != 0x80)
            ++count;
    return count;
}

bool hasControlCharacters(std::string_view text)
{
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F)
            return true;
        // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0)
            return true;
    }
    return false;
}

} // namespace parley::portal
