#pragma once

#include <stdexcept>
#include <string>

namespace parley::sip {

/// A request Parley answers with a SIP error: the status (RFC 3261 §21), a reason phrase
/// the caller's phone may show, and the counter label it is counted under
/// (`parley_sip_refusals_total{reason}`, docs/sip.md).
class SipRefusal : public std::runtime_error
{
public:
    SipRefusal(int status, const std::string& phrase, std::string reason)
        : std::runtime_error(phrase), status_(status), reason_(std::move(reason))
    {
    }

    int status() const { return status_; }
    /// A short fixed word ("no_srtp", "bad_sdp", ...), never anything the caller sent.
    const std::string& reason() const { return reason_; }

private:
    int status_;
    std::string reason_;
};

} // namespace parley::sip
