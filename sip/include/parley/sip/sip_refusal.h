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
    /// `phrase` must have static storage (a string literal): sofia-sip sends the response
    /// later, from its own thread, and keeps only the pointer.
    SipRefusal(int status, const char* phrase, std::string reason)
        : std::runtime_error(phrase), status_(status), phrase_(phrase), reason_(std::move(reason))
    {
    }

    int status() const { return status_; }
    const char* phrase() const { return phrase_; }
    /// A short fixed word ("no_srtp", "bad_sdp", ...), never anything the caller sent.
    const std::string& reason() const { return reason_; }

private:
    int status_;
    const char* phrase_;
    std::string reason_;
};

} // namespace parley::sip
