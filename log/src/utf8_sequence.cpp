#include <parley/log/utf8_sequence.h>

#include <Poco/UTF8Encoding.h>

namespace parley::log {

std::size_t utf8SequenceLength(std::string_view text, std::size_t i)
{
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80)
        return 1;
    // The length its lead byte announces; Poco checks the rest (the table of RFC 3629).
    const std::size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                               : lead >= 0xF0 && lead <= 0xF4                                 ? 4
                                                                                              : 0;
    if (length == 0 || i + length > text.size() ||
        !Poco::UTF8Encoding::isLegal(reinterpret_cast<const unsigned char*>(text.data() + i),
                                     static_cast<int>(length)))
        return 0;
    return length;
}

} // namespace parley::log
