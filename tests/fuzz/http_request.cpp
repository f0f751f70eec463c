// An HTTP request as the portal reads it off a connection: Poco's request parser (as its
// server runs it), then our checks of the framing (request smuggling), the body (our strict
// chunked reader, or Content-Length), the Host header and an Origin. Checked besides not
// crashing: refusals are exceptions of the expected kinds only; a chunked body is never
// longer than the limit; a host or origin accepted has no character that could break out
// of a URL or a header.
#include "fuzz_input.h"

#include <parley/portal/http/chunked_body.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/public_origin.h>
#include <parley/portal/http/request_framing.h>
#include <parley/portal/http/text_validation.h>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/NetException.h>

#include <sstream>
#include <string>

using namespace parley::portal;
using parley::fuzz::require;

namespace {

constexpr std::size_t kBodyLimit = 4096;

bool safeInUrl(const std::string& text)
{
    for (const char c : text)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '?' || c == '#' || c == '@' || c == '\\' ||
            static_cast<unsigned char>(c) >= 0x7f)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::istringstream connection(std::string(reinterpret_cast<const char*>(data), size));
    Poco::Net::HTTPRequest request;
    try {
        request.read(connection);
    }
    catch (const Poco::Exception&) {
        return 0; // Poco's server answers 400 and closes
    }
    if (framingProblem(request))
        return 0;
    isValidUtf8(request.getURI());
    hasControlCharacters(request.getURI());
    if (request.has("Host"))
        if (const auto host = plainHost(request.get("Host"))) {
            const auto colon = host->rfind(':');
            const auto name = host->starts_with('[') ? host->substr(0, host->find(']') + 1) : host->substr(0, colon);
            require(!name.empty() && safeInUrl(name), "a Host accepted that could break out of a URL");
        }
    if (request.has("Origin"))
        if (const auto origin = publicUrlOrigin(request.get("Origin")))
            require(origin->starts_with("https://") && safeInUrl(origin->substr(8)), "an origin accepted that is not one");
    if (request.getChunkedTransferEncoding()) {
        try {
            const auto body = readChunkedBody(connection, kBodyLimit);
            require(body.size() <= kBodyLimit, "a chunked body past the limit");
        }
        catch (const HttpError& error) {
            require(error.status() == 400 || error.status() == 413, "a chunked body refused with another status");
        }
    }
    return 0;
}
