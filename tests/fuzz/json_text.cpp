// JSON text from a client (API bodies and signaling messages): the one-pass limit check
// every text goes through before Poco's parser, then the parser for what it lets through.
// Checked besides not crashing: every refusal says why; what passes reaches Poco, which
// must refuse it with its own exception or parse it (the check is there so that what
// reaches Poco is small: ASan's memory limit catches a text that is not).
#include "fuzz_input.h"

#include <parley/portal/http/json_limits.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

using namespace parley::portal;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = parley::fuzz::text(std::span<const std::uint8_t>(data, size));
    const JsonLimits limits{16 * 1024, 16, 512};
    const auto check = checkJsonLimits(text, limits);
    require(check.ok() || !check.message.empty(), "a refusal without a reason");
    if (check.limitExceeded())
        return 0;
    if (!check.ok())
        return 0;
    try {
        Poco::JSON::Parser parser;
        parser.parse(std::string(text));
    }
    catch (const Poco::Exception&) {
    }
    return 0;
}
