#pragma once

// H.264 streams made by libx264 and cut into RTP payloads the way a WebRTC sender does
// (RFC 6184, packetization-mode 1), for the recorder's tests.
#include "child_process.h"
#include "temp_dir.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::test {

using Bytes = std::vector<std::uint8_t>;

struct RtpPayload
{
    Bytes payload;
    std::uint32_t timestamp = 0;
    bool marker = false;
};

struct AccessUnit
{
    Bytes data; ///< Annex B
    std::uint32_t timestamp = 0;
};

/// The access units of an H.264 stream made by libx264 (320x240, 15 fps, an IDR every 15).
inline std::vector<AccessUnit> encodedStream(const TempDir& dir)
{
    const auto file = (dir.path() / "stream.h264").string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=15 -t 2 -c:v libx264 "
                        "-pix_fmt yuv420p -profile:v baseline -g 15 -bf 0 -x264-params repeat-headers=1 -f h264 " + file)
                .empty());
    AVFormatContext* source = nullptr;
    REQUIRE(avformat_open_input(&source, file.c_str(), nullptr, nullptr) == 0);
    std::vector<AccessUnit> units;
    AVPacket* packet = av_packet_alloc();
    std::uint32_t index = 0;
    while (av_read_frame(source, packet) >= 0) {
        units.push_back({Bytes(packet->data, packet->data + packet->size), index++ * 6000});
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    avformat_close_input(&source);
    return units;
}

/// The NAL units of an Annex B byte stream, without start codes.
inline std::vector<Bytes> nalUnits(const Bytes& stream)
{
    std::vector<Bytes> units;
    std::size_t at = 0;
    std::size_t start = std::string::npos;
    while (at + 3 <= stream.size()) {
        if (stream[at] == 0 && stream[at + 1] == 0 && stream[at + 2] == 1) {
            if (start != std::string::npos) {
                std::size_t end = at;
                while (end > start && stream[end - 1] == 0)
                    --end;
                units.emplace_back(stream.begin() + static_cast<long>(start), stream.begin() + static_cast<long>(end));
            }
            at += 3;
            start = at;
        }
        else
            ++at;
    }
    if (start != std::string::npos)
        units.emplace_back(stream.begin() + static_cast<long>(start), stream.end());
    return units;
}

/// RTP payloads as a WebRTC sender makes them: parameter sets aggregated in one STAP-A,
/// small NAL units alone, large ones cut into FU-A fragments of 1000 bytes.
inline std::vector<RtpPayload> packetize(const AccessUnit& unit)
{
    std::vector<RtpPayload> packets;
    Bytes aggregate{24};
    for (const auto& nal : nalUnits(unit.data)) {
        const int type = nal[0] & 0x1f;
        if (type == 7 || type == 8) {
            aggregate.push_back(static_cast<std::uint8_t>(nal.size() >> 8));
            aggregate.push_back(static_cast<std::uint8_t>(nal.size()));
            aggregate.insert(aggregate.end(), nal.begin(), nal.end());
            continue;
        }
        if (aggregate.size() > 1) {
            packets.push_back({aggregate, unit.timestamp, false});
            aggregate = {24};
        }
        if (nal.size() <= 1100) {
            packets.push_back({nal, unit.timestamp, false});
            continue;
        }
        for (std::size_t at = 1; at < nal.size(); at += 1000) {
            const std::size_t size = std::min<std::size_t>(1000, nal.size() - at);
            Bytes fragment{static_cast<std::uint8_t>((nal[0] & 0xe0) | 28),
                           static_cast<std::uint8_t>((at == 1 ? 0x80 : 0) | (at + size == nal.size() ? 0x40 : 0) |
                                                     (nal[0] & 0x1f))};
            fragment.insert(fragment.end(), nal.begin() + static_cast<long>(at),
                            nal.begin() + static_cast<long>(at + size));
            packets.push_back({fragment, unit.timestamp, false});
        }
    }
    packets.back().marker = true;
    return packets;
}

} // namespace parley::test
