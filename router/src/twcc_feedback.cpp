#include <parley/router/twcc_feedback.h>

#include "big_endian.h"

#include <parley/router/rtcp_packet.h>

#include <algorithm>
#include <cstring>

namespace parley::router {
namespace {

constexpr std::size_t kHeaderBytes = 20;
// Packet status symbols.
constexpr std::uint8_t kNotReceived = 0;
constexpr std::uint8_t kSmallDelta = 1;
constexpr std::uint8_t kLargeDelta = 2;
/// A run of this many equal symbols or more is written as one run-length chunk.
constexpr std::size_t kMinRun = 7;
constexpr std::size_t kMaxRun = 0x1fff;
constexpr std::size_t kSymbolsPerTwoBitVector = 7;

std::int64_t floorDiv(std::int64_t value, std::int64_t divisor)
{
    return value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
}

} // namespace

void TwccFeedbackBuilder::begin(std::uint32_t senderSsrc, std::uint32_t mediaSsrc, std::uint16_t baseSequence,
                                std::int64_t firstArrivalMicros, std::uint8_t count)
{
    count_ = 0;
    chunked_ = 0;
    chunkBytes_ = 0;
    deltaBytes_ = 0;
    const auto reference = floorDiv(firstArrivalMicros, kTwccReferenceMicros);
    lastArrival_ = reference * kTwccReferenceMicros;
    bytes_[0] = 0x80 | kRtcpFormatTransportFeedback;
    bytes_[1] = kRtcpTransportFeedback;
    write32(&bytes_[4], senderSsrc);
    write32(&bytes_[8], mediaSsrc);
    write16(&bytes_[12], baseSequence);
    const auto reference24 = static_cast<std::uint32_t>(reference) & 0xFFFFFF;
    bytes_[16] = static_cast<std::uint8_t>(reference24 >> 16);
    bytes_[17] = static_cast<std::uint8_t>(reference24 >> 8);
    bytes_[18] = static_cast<std::uint8_t>(reference24);
    bytes_[19] = count;
}

bool TwccFeedbackBuilder::add(bool received, std::int64_t arrivalMicros)
{
    if (count_ == kMaxPackets)
        return false;
    if (!received) {
        symbols_[count_++] = kNotReceived;
        return true;
    }
    // Rounded to the unit; the next delta starts where this one ends, so errors do not add up.
    const auto difference = arrivalMicros - lastArrival_;
    const auto units = floorDiv(difference + kTwccDeltaMicros / 2, kTwccDeltaMicros);
    if (units < -32768 || units > 32767)
        return false;
    if (units >= 0 && units <= 255) {
        symbols_[count_++] = kSmallDelta;
        deltas_[deltaBytes_++] = static_cast<std::uint8_t>(units);
    }
    else {
        symbols_[count_++] = kLargeDelta;
        write16(&deltas_[deltaBytes_], static_cast<std::uint16_t>(static_cast<std::int16_t>(units)));
        deltaBytes_ += 2;
    }
    lastArrival_ += units * kTwccDeltaMicros;
    return true;
}

std::span<const std::uint8_t> TwccFeedbackBuilder::finish()
{
    std::size_t at = kHeaderBytes;
    for (std::size_t i = 0; i < count_;) {
        std::size_t run = 1;
        while (i + run < count_ && symbols_[i + run] == symbols_[i] && run < kMaxRun)
            ++run;
        if (run >= kMinRun || i + run == count_) {
            // Run length chunk: T=0, symbol, length.
            write16(&bytes_[at], std::uint32_t(symbols_[i]) << 13 | static_cast<std::uint32_t>(run));
            i += run;
        }
        else {
            // Status vector chunk of 2-bit symbols: T=1, S=1, seven symbols (the unused ones
            // past the status count are "not received" and ignored by readers).
            std::uint32_t chunk = 0xC000;
            for (std::size_t k = 0; k < kSymbolsPerTwoBitVector; ++k) {
                const auto symbol = i + k < count_ ? symbols_[i + k] : kNotReceived;
                chunk |= std::uint32_t(symbol) << (2 * (kSymbolsPerTwoBitVector - 1 - k));
            }
            write16(&bytes_[at], chunk);
            i += std::min(kSymbolsPerTwoBitVector, count_ - i);
        }
        at += 2;
    }
    std::memcpy(&bytes_[at], deltas_.data(), deltaBytes_);
    at += deltaBytes_;
    // RTCP padding to a whole word: zeros, the last byte their count, and the P bit.
    const std::size_t padding = (4 - at % 4) % 4;
    if (padding) {
        std::memset(&bytes_[at], 0, padding);
        at += padding;
        bytes_[at - 1] = static_cast<std::uint8_t>(padding);
        bytes_[0] |= 0x20;
    }
    write16(&bytes_[2], static_cast<std::uint32_t>(at / 4 - 1));
    write16(&bytes_[14], static_cast<std::uint32_t>(count_));
    return {bytes_.data(), at};
}

bool parseTwccFeedback(std::span<const std::uint8_t> packet, std::size_t limit,
                       void (*visit)(void* context, const TwccPacketStatus& status), void* context)
{
    if (packet.size() < kHeaderBytes || (packet[0] & 0x1f) != kRtcpFormatTransportFeedback ||
        packet[1] != kRtcpTransportFeedback)
        return false;
    std::size_t end = packet.size();
    if (packet[0] & 0x20) { // padding: its count in the last byte
        const auto padding = packet[end - 1];
        if (padding == 0 || padding > end - kHeaderBytes)
            return false;
        end -= padding;
    }
    const auto base = read16(&packet[12]);
    const std::size_t statusCount = read16(&packet[14]);
    std::int64_t reference = std::int64_t(packet[16]) << 16 | std::int64_t(packet[17]) << 8 | packet[18];
    if (reference & 0x800000)
        reference -= 0x1000000;
    // First pass: where the chunks end, and that they are well formed.
    std::size_t at = kHeaderBytes;
    std::size_t symbols = 0;
    while (symbols < statusCount) {
        if (at + 2 > end)
            return false;
        const auto chunk = read16(&packet[at]);
        at += 2;
        if (!(chunk & 0x8000)) {
            if (((chunk >> 13) & 3) == 3)
                return false;
            symbols += chunk & 0x1fff;
        }
        else if (chunk & 0x4000) {
            for (int k = 0; k < 7; ++k)
                if (((chunk >> (2 * (6 - k))) & 3) == 3 && symbols + static_cast<std::size_t>(k) < statusCount)
                    return false;
            symbols += 7;
        }
        else
            symbols += 14;
    }
    // Second pass: each symbol with its delta.
    std::size_t deltaAt = at;
    std::int64_t arrival = reference * kTwccReferenceMicros;
    std::size_t visited = 0;
    std::size_t chunkAt = kHeaderBytes;
    std::uint16_t sequence = base;
    const auto emit = [&](std::uint8_t symbol) -> bool {
        if (visited >= statusCount || visited >= limit)
            return true; // past the count: padding symbols
        TwccPacketStatus status{sequence, symbol != kNotReceived, 0};
        if (symbol == kSmallDelta) {
            if (deltaAt + 1 > end)
                return false;
            arrival += packet[deltaAt++] * kTwccDeltaMicros;
        }
        else if (symbol == kLargeDelta) {
            if (deltaAt + 2 > end)
                return false;
            arrival += static_cast<std::int16_t>(read16(&packet[deltaAt])) * kTwccDeltaMicros;
            deltaAt += 2;
        }
        status.arrivalMicros = arrival;
        visit(context, status);
        ++visited;
        ++sequence;
        return true;
    };
    while (chunkAt < at && visited < statusCount && visited < limit) {
        const auto chunk = read16(&packet[chunkAt]);
        chunkAt += 2;
        if (!(chunk & 0x8000)) {
            const auto symbol = static_cast<std::uint8_t>((chunk >> 13) & 3);
            for (std::size_t k = 0; k < std::size_t(chunk & 0x1fff) && visited < statusCount && visited < limit; ++k)
                if (!emit(symbol))
                    return false;
        }
        else if (chunk & 0x4000) {
            for (int k = 0; k < 7; ++k)
                if (!emit(static_cast<std::uint8_t>((chunk >> (2 * (6 - k))) & 3)))
                    return false;
        }
        else {
            for (int k = 0; k < 14; ++k)
                if (!emit(static_cast<std::uint8_t>((chunk >> (13 - k)) & 1)))
                    return false;
        }
    }
    return true;
}

} // namespace parley::router
