#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

namespace parley::router {

/// A parsed STUN message (RFC 5389), as views into the packet it came from: nothing is
/// copied or allocated, so it must not outlive the packet.
struct StunMessage
{
    std::uint16_t type = 0;
    std::array<std::uint8_t, 12> transactionId{};
    std::string_view username;        ///< USERNAME, empty when absent
    bool useCandidate = false;        ///< USE-CANDIDATE (ICE nomination)
    bool iceControlling = false;      ///< ICE-CONTROLLING present
    bool iceControlled = false;       ///< ICE-CONTROLLED present
    std::uint32_t priority = 0;       ///< PRIORITY, 0 when absent
    /// Offset of the MESSAGE-INTEGRITY attribute header, 0 when absent.
    std::size_t integrityOffset = 0;
    /// Offset of the FINGERPRINT attribute header, 0 when absent.
    std::size_t fingerprintOffset = 0;

    static constexpr std::uint16_t kBindingRequest = 0x0001;
    static constexpr std::uint16_t kBindingSuccess = 0x0101;
    static constexpr std::uint16_t kBindingError = 0x0111;
    static constexpr std::uint16_t kBindingIndication = 0x0011;
};

/// Why a packet was not accepted as STUN.
enum class StunParseResult
{
    Ok,
    Malformed, ///< bad header, magic cookie, length, attribute framing, or attributes after FINGERPRINT
};

/// Parses the header and attributes. Unknown comprehension-optional attributes are skipped;
/// MESSAGE-INTEGRITY must be followed by nothing but FINGERPRINT, and FINGERPRINT must be last.
StunParseResult parseStun(std::span<const std::uint8_t> packet, StunMessage& message);

/// Checks MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the short-term password, RFC 5389 15.4).
/// False when the attribute is absent or does not match; compared in constant time.
bool stunIntegrityValid(std::span<const std::uint8_t> packet, const StunMessage& message,
                        std::string_view password);

/// Checks FINGERPRINT (CRC-32 xor 0x5354554e). False when absent or wrong.
bool stunFingerprintValid(std::span<const std::uint8_t> packet, const StunMessage& message);

/// Writes a Binding success response for `transactionId` with XOR-MAPPED-ADDRESS `mapped`,
/// MESSAGE-INTEGRITY keyed with `password` and FINGERPRINT into `out`. Returns the length,
/// or 0 when `out` is too small (at most 80 bytes are needed) or the family is unknown.
std::size_t writeStunBindingSuccess(std::span<std::uint8_t> out,
                                    const std::array<std::uint8_t, 12>& transactionId,
                                    const sockaddr_storage& mapped, std::string_view password);

/// Writes a Binding error response (ERROR-CODE `code`, with FINGERPRINT; 401 carries no
/// integrity since the key is what failed). Returns the length, or 0 when `out` is too small.
std::size_t writeStunBindingError(std::span<std::uint8_t> out,
                                  const std::array<std::uint8_t, 12>& transactionId, int code);

/// Writes a Binding request as an ICE agent sends it (for tests and checks): USERNAME,
/// PRIORITY, ICE-CONTROLLING, optional USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT.
std::size_t writeStunBindingRequest(std::span<std::uint8_t> out,
                                    const std::array<std::uint8_t, 12>& transactionId,
                                    std::string_view username, std::string_view password,
                                    bool useCandidate);

} // namespace parley::router
