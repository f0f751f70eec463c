#include <parley/recorder/media_clock.h>

#include <parley/log/log_event.h>
#include <parley/recorder/room_recorder.h>
#include <parley/recorder/rtp_reorder_buffer.h>
#include <parley/recorder/track_writer.h>
#include <parley/recorder/h264_depacketizer.h>
#include <parley/recorder/vp8_depacketizer.h>

#include "h264_picture_size.h"
#include <parley/router/rtp_packet.h>

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <pthread.h>

#include <map>
#include <optional>
#include <sstream>

namespace parley::recorder {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t nowMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

Poco::Logger& logger()
{
    return Poco::Logger::get("recorder");
}

/// A file name part from a participant or track id: letters, digits, '-' and '_' only.
std::string fileSafe(const std::string& text)
{
    std::string out;
    for (const char c : text)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return out.substr(0, 64);
}

} // namespace

struct RoomRecorder::Track
{
    std::size_t index = 0;
    RecordedTrack info;
    std::string participant;
    bool video = false;
    bool supported = false;
    RtpReorderBuffer reorder{256, 1500, 48};
    TrackCodec codec = TrackCodec::Opus;
    // Made for video tracks only (each holds a frame buffer).
    std::optional<Vp8FrameAssembler> vp8;
    std::optional<H264FrameAssembler> h264;
    MediaClock clock;
    std::optional<TrackWriter> writer;
    bool ended = false;    ///< no more packets are taken
    bool finished = false; ///< its file is closed and listed
    std::int64_t lastKeyframeRequest = 0;
    std::int64_t lastMs = -1;

    explicit Track(std::uint32_t clockRate) : clock(clockRate ? clockRate : 90000) {}
};

RoomRecorder::RoomRecorder(std::shared_ptr<router::MediaTap> tap, FileFactory createFile,
                           KeyframeRequest requestKeyframe)
    : tap_(std::move(tap)),
      createFile_(std::move(createFile)),
      requestKeyframe_(std::move(requestKeyframe)),
      startMicros_(nowMicros())
{
    thread_ = std::thread([this] { run(); });
}

RoomRecorder::~RoomRecorder()
{
    stop();
}

std::string RoomRecorder::error() const
{
    std::lock_guard lock(errorMutex_);
    return error_;
}

void RoomRecorder::run()
{
    // Otherwise it would carry the name of whichever thread started the recording.
    pthread_setname_np(pthread_self(), "parley-record");
    for (;;) {
        const bool last = stopping_.load();
        bool any = false;
        while (const auto* entry = tap_->peek()) {
            handle(*entry);
            tap_->consume();
            any = true;
        }
        if (last)
            break;
        if (!any)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::vector<RecordedTrack> RoomRecorder::stop()
{
    if (stopped_)
        return finished_;
    stopped_ = true;
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
    for (auto& track : tracks_)
        if (track && track->supported && !track->finished)
            finishTrack(*track, nowMicros());
    return finished_;
}

void RoomRecorder::finishTrack(Track& track, std::int64_t now)
{
    if (!track.ended)
        track.reorder.flush([&](std::span<const std::uint8_t> packet, bool lost) { onRtp(track, packet, lost, now); });
    track.ended = true;
    track.finished = true;
    if (track.writer) {
        try {
            track.writer->finish();
        }
        catch (const std::exception& e) {
            std::lock_guard lock(errorMutex_);
            if (error_.empty())
                error_ = e.what();
        }
        track.info.frames = track.writer->framesWritten();
        track.writer.reset();
    }
    track.info.packetsLost = track.reorder.lost();
    track.info.framesDropped = track.vp8 ? track.vp8->framesDropped() : track.h264 ? track.h264->framesDropped() : 0;
    if (track.info.frames > 0)
        finished_.push_back(track.info);
}

void RoomRecorder::handle(const router::TapEntry& entry)
{
    using Kind = router::TapEntry::Kind;
    if (entry.kind == Kind::TrackAdded) {
        // "<track id> <label> <codec> <clock rate>"
        std::istringstream fields(entry.text());
        std::string id, label, codec;
        std::uint32_t clockRate = 0;
        fields >> id >> label >> codec >> clockRate;
        if (entry.track >= tracks_.size())
            tracks_.resize(entry.track + 1);
        auto track = std::make_unique<Track>(clockRate);
        track->index = entry.track;
        track->info.trackId = id;
        track->info.label = label;
        track->info.codec = codec;
        track->participant = id.substr(0, id.find('/'));
        track->video = label != "audio";
        track->supported = (codec == "opus" && !track->video) ||
                           ((codec == "VP8" || codec == "H264") && track->video);
        if (!track->supported)
            log::warning(logger(), "recording.track_unsupported",
                         "track " + id + " (" + codec + ") is not recorded: only Opus, VP8 and H.264 are",
                         {{"track", id}, {"codec", codec}});
        else if (codec == "VP8") {
            track->codec = TrackCodec::Vp8;
            track->vp8.emplace();
        }
        else if (codec == "H264") {
            track->codec = TrackCodec::H264;
            track->h264.emplace();
        }
        tracks_[entry.track] = std::move(track);
        return;
    }
    if (entry.kind == Kind::TrackRemoved && entry.track < tracks_.size() && tracks_[entry.track] &&
        !tracks_[entry.track]->supported) {
        tracks_[entry.track].reset(); // nothing of it was recorded
        return;
    }
    if (entry.track >= tracks_.size() || !tracks_[entry.track] || !tracks_[entry.track]->supported)
        return;
    Track& track = *tracks_[entry.track];
    if (entry.kind == Kind::SenderReport) {
        track.clock.onSenderReport(entry.ntp, entry.rtpTimestamp);
        offsets_.try_emplace(track.participant, entry.arrival - ntpToMicroseconds(entry.ntp));
        return;
    }
    if (entry.kind == Kind::TrackRemoved) {
        // The file is complete as soon as its track ends: a crash later cannot damage it.
        if (!track.finished)
            finishTrack(track, nowMicros());
        // What it held (its reorder buffer alone is 256 packets) goes now, not when the
        // recording stops: people coming and going for hours would otherwise add up. Its
        // description is kept in finished_.
        tracks_[entry.track].reset();
        return;
    }
    if (track.ended)
        return;
    router::RtpView view;
    if (!router::parseRtp(entry.bytes(), view))
        return;
    track.reorder.push(entry.bytes(), view.sequence, [&](std::span<const std::uint8_t> packet, bool lost) {
        onRtp(track, packet, lost, entry.arrival);
    });
}

void RoomRecorder::requestKeyframeIfNeeded(Track& track, bool needed, std::int64_t arrival)
{
    if (needed && arrival - track.lastKeyframeRequest > 500000) {
        track.lastKeyframeRequest = arrival;
        requestKeyframe_(track.info.trackId);
    }
}

std::int64_t RoomRecorder::timeline(Track& track, std::uint32_t rtpTimestamp, std::int64_t arrival)
{
    // Until the track's first sender report, its first packet sits at its arrival time and
    // the rest follow by RTP time. Afterwards the sender's clock decides, moved onto ours by
    // one offset per participant (taken at its first report), so a participant's audio and
    // video keep the relation the sender gave them (lip sync). Never backwards: after a jump
    // back (when the first report arrives) frames advance by 1 ms until the track catches up.
    std::int64_t micros = track.clock.wallClock(rtpTimestamp, arrival);
    if (track.clock.synchronised())
        micros += offsets_[track.participant];
    std::int64_t ms = std::max<std::int64_t>((micros - startMicros_) / 1000, 0);
    // Strictly increasing: a muxer (and every player) rejects two frames of a track at one time.
    if (ms <= track.lastMs)
        ms = track.lastMs + 1;
    track.lastMs = ms;
    return ms;
}

void RoomRecorder::onRtp(Track& track, std::span<const std::uint8_t> packet, bool lostBefore, std::int64_t arrival)
{
    router::RtpView view;
    if (!router::parseRtp(packet, view) || view.payloadLength == 0)
        return;
    const auto payload = packet.subspan(view.payloadOffset, view.payloadLength);
    std::span<const std::uint8_t> frame;
    bool keyframe = true;
    int width = 0, height = 0;
    if (track.vp8) {
        const auto assembled = track.vp8->push(payload, view.timestamp, view.marker, lostBefore);
        requestKeyframeIfNeeded(track, track.vp8->needsKeyframe(), arrival);
        if (!assembled)
            return;
        frame = assembled->data;
        keyframe = assembled->keyframe;
        width = assembled->width;
        height = assembled->height;
    }
    else if (track.h264) {
        const auto assembled = track.h264->push(payload, view.timestamp, view.marker, lostBefore);
        requestKeyframeIfNeeded(track, track.h264->needsKeyframe(), arrival);
        if (!assembled)
            return;
        frame = assembled->data;
        keyframe = assembled->keyframe;
        if (keyframe && !track.writer) {
            const auto size = h264PictureSize(frame);
            if (!size) {
                // An IDR whose SPS the parser cannot read: ask for the next (WebRTC
                // senders send one only when asked).
                requestKeyframeIfNeeded(track, true, arrival);
                return;
            }
            width = size->first;
            height = size->second;
        }
    }
    else
        frame = payload;

    const std::int64_t ms = timeline(track, view.timestamp, arrival);
    try {
        if (!track.writer) {
            if (track.video && !keyframe)
                return;
            const std::string name = std::to_string(track.index) + "-" + fileSafe(track.info.trackId) + "-" +
                                     track.info.label + (track.codec == TrackCodec::H264 ? ".mkv" : ".webm");
            track.info.file = name;
            track.writer.emplace(createFile_(name), name, track.codec, width, height,
                                 track.h264 ? track.h264->parameterSets() : std::span<const std::uint8_t>{});
            track.info.firstMs = ms;
        }
        track.writer->write(frame, ms, keyframe);
        track.info.lastMs = ms;
    }
    catch (const std::exception& e) {
        log::error(logger(), "recording.track_failed",
                   "recording track " + track.info.trackId + " stopped: " + e.what(),
                   {{"track", track.info.trackId}, {"error", e.what()}});
        std::lock_guard lock(errorMutex_);
        if (error_.empty())
            error_ = e.what();
        track.ended = true;
    }
}

} // namespace parley::recorder
