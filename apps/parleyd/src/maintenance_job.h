#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace parley::parleyd {

/// Runs `work` on its own thread every `interval` until destroyed. `work` must not throw
/// (it is expected to log its own failures).
class MaintenanceJob
{
public:
    MaintenanceJob(std::chrono::seconds interval, std::function<void()> work);
    ~MaintenanceJob();
    MaintenanceJob(const MaintenanceJob&) = delete;
    MaintenanceJob& operator=(const MaintenanceJob&) = delete;

private:
    std::chrono::seconds interval_;
    std::function<void()> work_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace parley::parleyd
