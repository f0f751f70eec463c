#include <parley/portal/accounts/directory_health.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/metrics_registry.h>

#include <parley/portal/accounts/directory_configuration.h>

#include <Poco/Logger.h>

namespace parley::portal {
namespace {

std::int64_t unixSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

DirectoryHealth::DirectoryHealth(DirectoryConfiguration& configuration, std::chrono::seconds interval)
    : configuration_(configuration), interval_(interval),
      thread_([this](std::stop_token stop) { run(stop); })
{}

DirectoryHealth::~DirectoryHealth()
{
    thread_.request_stop();
    wake_.notify_all();
}

DirectoryHealth::Status DirectoryHealth::status() const
{
    const auto directory = configuration_.current();
    std::unique_lock lock(mutex_);
    auto current = status_;
    current.enabled = configuration_.settings().enabled;
    if (directory.get() != tested_) {
        // An admin saved other settings since: what was found is about the old ones.
        current.reachable.reset();
        current.message.clear();
        current.checkedAt = 0;
        recheck_ = true;
        lock.unlock();
        wake_.notify_all();
    }
    return current;
}

void DirectoryHealth::recheck()
{
    {
        std::lock_guard lock(mutex_);
        recheck_ = true;
    }
    wake_.notify_all();
}

void DirectoryHealth::run(std::stop_token stop)
{
    while (!stop.stop_requested()) {
        const auto directory = configuration_.current();
        const auto settings = configuration_.settings();
        Status result;
        result.enabled = settings.enabled;
        if (settings.enabled) {
            // testConnection never throws for a directory problem; each step says what went wrong.
            const auto asked = std::chrono::steady_clock::now();
            const auto steps = ldap::Directory::testConnection(settings);
            if (auto* latency = latency_.load())
                latency->observe({"check"},
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
            result.reachable = !steps.empty();
            for (const auto& step : steps)
                if (!step.ok) {
                    result.reachable = false;
                    result.message = step.step + ": " + step.message;
                    break;
                }
            if (result.reachable.value_or(false) && !steps.empty())
                result.message = steps.back().message;
            result.checkedAt = unixSeconds();
            if (!*result.reachable)
                log::warning(Poco::Logger::get("portal.directory"), "ldap.check_failed",
                             "directory check failed: " + result.message, {{"error", result.message}});
        }
        std::unique_lock lock(mutex_);
        status_ = result;
        tested_ = directory.get();
        recheck_ = false;
        wake_.wait_for(lock, stop, interval_, [this] { return recheck_; });
    }
}

} // namespace parley::portal
