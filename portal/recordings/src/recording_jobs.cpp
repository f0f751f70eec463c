#include <parley/portal/recordings/recording_jobs.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/recordings/recording_library.h>

#include <parley/storage/recording_store.h>

#include <Poco/Logger.h>

#include <optional>
#include <utility>

namespace parley::portal {

namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.recording");
}

// A failed composition is tried again after this (a full volume may have been cleared).
constexpr auto kRetryDelay = std::chrono::seconds(30);

} // namespace

void RecordingJobs::start()
{
    thread_ = std::thread([this] { run(); });
}

RecordingJobs::~RecordingJobs()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void RecordingJobs::wake()
{
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

void RecordingJobs::run()
{
    auto nextMaintenance = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> retryAt;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const bool retryDue = retryAt && std::chrono::steady_clock::now() >= *retryAt;
        if (retryDue)
            retryAt.reset();
        const bool compose = std::exchange(woken_, false) || retryDue;
        const bool maintain = std::chrono::steady_clock::now() >= nextMaintenance;
        lock.unlock();
        try {
            if (compose) {
                for (const auto id : storage::RecordingStore(library_.database()).compositionsToRun(
                         library_.settings().composeAttempts)) {
                    if (stopping_)
                        break;
                    const auto started = std::chrono::steady_clock::now();
                    if (library_.compose(id, stopping_))
                        retryAt = std::chrono::steady_clock::now() + kRetryDelay;
                    auto* durations = durations_.load();
                    if (durations && !stopping_)
                        durations->observe({}, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
                }
            }
            if (maintain) {
                // Set first: a round that fails is retried next interval, not at once.
                nextMaintenance = std::chrono::steady_clock::now() + library_.settings().maintenanceInterval;
                const auto now = unixNow();
                if (const int removed = library_.applyRetention(now))
                    log::info(logger(), "recording.retention",
                              "retention deleted " + std::to_string(removed) + " recording(s)", {{"recordings", removed}});
                library_.verifyDue(now);
            }
        }
        catch (const std::exception& e) {
            log::error(logger(), "recording.maintenance_failed",
                       std::string("recording maintenance failed (will retry): ") + e.what(), {{"error", e.what()}});
        }
        lock.lock();
        // Compositions waiting for the volume get another look each round.
        if (maintain)
            woken_ = true;
        wake_.wait_until(lock, retryAt ? std::min(*retryAt, nextMaintenance) : nextMaintenance,
                         [this] { return stopping_ || woken_; });
    }
}

} // namespace parley::portal
