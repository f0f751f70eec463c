#pragma once

#include <parley/loadgen/media_endpoint.h>
#include <parley/router/dtls_certificate.h>
#include <parley/router/dtls_transport.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::loadgen {

/// What one media thread measured in a window.
struct MediaWindow
{
    MediaCounters counters;
    LatencyHistograms latency;
    std::vector<double> keyframeMs; ///< join (or the track's arrival) to first whole keyframe
    int videoStreams = 0;           ///< video streams received, whether a keyframe came or not
    int endpoints = 0, connected = 0;
    std::vector<std::string> failures; ///< why endpoints failed, one line each
};

/// A thread that runs the media of many simulated participants: one epoll over their
/// sockets, recvmmsg with kernel timestamps, each publisher's frames sent with sendmmsg when
/// due. Everything else reaches the thread through post(), so endpoints need no locks.
class MediaEngine
{
public:
    MediaEngine();
    ~MediaEngine();
    MediaEngine(const MediaEngine&) = delete;
    MediaEngine& operator=(const MediaEngine&) = delete;

    /// The DTLS client identity this thread's participants share (one certificate each thread).
    const router::DtlsContext& dtlsContext() const { return context_; }
    LatencyHistograms& latency() { return latency_; }

    /// Runs `task` on the media thread, soon.
    void post(std::function<void()> task);
    /// Runs `task` on the media thread and waits for it.
    void run(const std::function<void()>& task);

    void add(std::shared_ptr<MediaEndpoint> endpoint);
    void remove(const std::shared_ptr<MediaEndpoint>& endpoint);

    void beginWindow();
    MediaWindow endWindow();

private:
    void loop();
    void wake();
    void receiveFrom(MediaEndpoint& endpoint);

    router::DtlsCertificate certificate_;
    router::DtlsContext context_;
    LatencyHistograms latency_;
    int epoll_ = -1;
    int wake_ = -1;
    std::mutex mutex_;
    std::vector<std::function<void()>> tasks_;
    std::atomic<bool> pending_{false};
    std::atomic<bool> stopping_{false};
    std::vector<std::shared_ptr<MediaEndpoint>> endpoints_;
    std::vector<OutgoingPacket> scratch_;
    std::thread thread_;
};

} // namespace parley::loadgen
