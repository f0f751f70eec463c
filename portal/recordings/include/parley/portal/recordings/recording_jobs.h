#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace parley::portal {

class MetricHistogram;
class RecordingLibrary;

/// The recordings' background work, on one thread of its own: composes each stopped
/// recording (and, at start, any whose composition a restart cut short or that waited for
/// the volume), and every maintenance interval applies retention and re-checks integrity.
/// Composition is CPU-heavy, so one runs at a time.
class RecordingJobs
{
public:
    explicit RecordingJobs(RecordingLibrary& library) : library_(library) {}
    /// Starts the thread; its first round composes whatever is pending and runs retention.
    void start();
    /// Stops the thread; a composition in progress is cut short and left pending.
    ~RecordingJobs();
    RecordingJobs(const RecordingJobs&) = delete;
    RecordingJobs& operator=(const RecordingJobs&) = delete;

    /// A recording stopped: compose it soon.
    void wake();

    /// From now on the wall time of each composition that ran to its end (stored, or failed)
    /// goes into `durations` (no labels, seconds); it must outlive this.
    void observeWith(MetricHistogram& durations) { durations_ = &durations; }

private:
    void run();

    RecordingLibrary& library_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool woken_ = true; // look for pending work at once
    std::atomic<bool> stopping_ = false;
    std::atomic<MetricHistogram*> durations_{nullptr};
    std::thread thread_;
};

} // namespace parley::portal
