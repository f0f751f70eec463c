#include <parley/portal/http/chunked_body.h>

#include <parley/portal/http/http_error.h>

#include <cstdint>
#include <string_view>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

HttpError malformed(const std::string& what)
{
    return HttpError(Status::HTTP_BAD_REQUEST, "malformed_request",
                     "the chunked body is malformed: " + what);
}

class ChunkedReader
{
public:
    ChunkedReader(std::istream& raw, std::size_t limit) : raw_(raw), limit_(limit) {}

    std::string run()
    {
        std::string body;
        for (;;) {
            const auto size = chunkSize(readLine("chunk size line"));
            if (size == 0)
                break;
            if (size > limit_ - body.size())
                throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                                "request body exceeds the limit of " + std::to_string(limit_) +
                                    " bytes");
            const auto start = body.size();
            body.resize(start + size);
            raw_.read(body.data() + start, static_cast<std::streamsize>(size));
            if (static_cast<std::size_t>(raw_.gcount()) != size)
                throw malformed("the connection ended inside a chunk");
            if (!readLine("chunk end").empty())
                throw malformed("a chunk's data is longer than its size says");
        }
        // The trailer section: field lines up to an empty line. Nothing in it is used.
        while (!readLine("trailer").empty()) {
        }
        return body;
    }

private:
    /// One line without its CRLF; a bare LF or CR, or a line longer than kMaxChunkLineBytes,
    /// is malformed.
    std::string readLine(const char* what)
    {
        std::string line;
        for (;;) {
            const auto c = raw_.get();
            if (c == std::char_traits<char>::eof())
                throw malformed(std::string("the connection ended in the ") + what);
            if (++framing_ > kMaxChunkFramingBytes)
                throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                                "the chunked framing exceeds " +
                                    std::to_string(kMaxChunkFramingBytes) + " bytes");
            if (c == '\r') {
                if (raw_.get() != '\n')
                    throw malformed(std::string("the ") + what + " does not end in CRLF");
                ++framing_;
                return line;
            }
            if (c == '\n')
                throw malformed(std::string("the ") + what + " ends in a bare LF");
            if (line.size() == kMaxChunkLineBytes)
                throw malformed(std::string("the ") + what + " is too long");
            line.push_back(static_cast<char>(c));
        }
    }

    /// chunk-size [ chunk-ext ]: 1*HEXDIG, then nothing or extensions after ';' (possibly
    /// preceded by white space), which are dropped.
    static std::uint64_t chunkSize(const std::string& line)
    {
        std::uint64_t size = 0;
        std::size_t i = 0;
        for (; i < line.size(); ++i) {
            const char c = line[i];
            int digit = 0;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            else
                break;
            if (size > (UINT64_MAX >> 4))
                throw malformed("a chunk size does not fit 64 bits");
            size = (size << 4) | static_cast<std::uint64_t>(digit);
        }
        if (i == 0)
            throw malformed("a chunk size is not hexadecimal");
        const auto rest = std::string_view(line).substr(i);
        const auto extension = rest.find_first_not_of(" \t");
        if (extension != std::string_view::npos && rest[extension] != ';')
            throw malformed("unexpected characters after a chunk size");
        return size;
    }

    std::istream& raw_;
    std::size_t limit_;
    std::size_t framing_ = 0;
};

} // namespace

std::string readChunkedBody(std::istream& raw, std::size_t limit)
{
    return ChunkedReader(raw, limit).run();
}

} // namespace parley::portal
