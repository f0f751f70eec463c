#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace parley::portal {

/// Longest chunk-size line (size, extensions) and longest trailer field line accepted.
inline constexpr std::size_t kMaxChunkLineBytes = 1024;
/// Most bytes of framing (size lines, CRLFs, trailers) a chunked body may carry beside its
/// data; past it the body is refused as too large, so a body of tiny chunks cannot keep a
/// thread reading for ever within the data limit.
inline constexpr std::size_t kMaxChunkFramingBytes = 64 * 1024;

/// Reads a chunked message body (RFC 9112 7.1) from `raw`, the bytes on the connection right
/// after the request's header, and returns its data. Strict where Poco's own chunked reader
/// is lenient (Poco takes a malformed size line for the end of the body, so what follows
/// would be read as another request): every chunk-size is hexadecimal, every line ends in
/// CRLF, every chunk's data is followed by CRLF, and the body ends with a last chunk and
/// an empty line. Chunk extensions and trailer fields are read and dropped.
///
/// Throws HttpError 400 `malformed_request` for broken framing (including the stream ending
/// early, and a chunk size beyond 64 bits), HttpError 413 `body_too_large` when the data exceeds `limit` bytes or the
/// framing kMaxChunkFramingBytes.
std::string readChunkedBody(std::istream& raw, std::size_t limit);

} // namespace parley::portal
