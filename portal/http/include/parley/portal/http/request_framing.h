#pragma once

#include <Poco/Net/HTTPRequest.h>

#include <optional>
#include <string>

namespace parley::portal {

/// Why a request's headers leave its framing (where its body ends, which host it is for)
/// open to more than one reading, or nullopt when they do not. A server and a proxy in
/// front of it that read the same bytes differently is how requests are smuggled, so every
/// doubt is refused (RFC 9112 sections 3.2, 5.1, 6.1 and 6.3):
/// - a header name that is not a token (e.g. `Transfer-Encoding :`, which Poco would keep
///   as an unknown header while a proxy may honour it);
/// - a Transfer-Encoding other than exactly `chunked` (case-insensitive), given more than
///   once, on an HTTP/1.0 request, or beside a Content-Length;
/// - a Content-Length that is not all digits (signs included), too large for 63 bits, or
///   given twice with different values;
/// - an HTTP/1.1 request without exactly one Host header.
/// The answer is a 400 after which the connection cannot be trusted, so it is closed.
std::optional<std::string> framingProblem(const Poco::Net::HTTPRequest& request);

} // namespace parley::portal
