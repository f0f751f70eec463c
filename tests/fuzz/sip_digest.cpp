// A SIP endpoint's Digest Authorization parameters (one per line, as sofia-sip splits
// the header) checked by Parley's authenticator. Checked besides not crashing: reading
// never throws, and nothing made up is accepted (the right answer needs the key of a
// nonce this process issued).
#include "fuzz_input.h"

#include <parley/sip/digest_authenticator.h>

#include <chrono>
#include <vector>

using namespace parley::sip;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static DigestAuthenticator digest("parley");
    const auto text = parley::fuzz::text({data, size});
    std::vector<std::string_view> params;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto end = text.find('\n', at);
        params.push_back(text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
        if (end == std::string_view::npos)
            break;
        at = end + 1;
    }
    std::string whyNot;
    const auto credentials = readDigestCredentials(params, whyNot);
    if (!credentials) {
        require(!whyNot.empty(), "refused without a reason");
        return 0;
    }
    const auto verdict =
        digest.verify(*credentials, "INVITE", digestHa1("room", "parley", "pw"), std::chrono::system_clock::now(), whyNot);
    require(verdict == DigestAuthenticator::Verdict::Refused, "made-up credentials accepted");
    return 0;
}
