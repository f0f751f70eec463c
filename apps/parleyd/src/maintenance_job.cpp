#include "maintenance_job.h"

namespace parley::parleyd {

MaintenanceJob::MaintenanceJob(std::chrono::seconds interval, std::function<void()> work)
    : interval_(interval), work_(std::move(work))
{
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
            lock.unlock();
            work_();
            lock.lock();
        }
    });
}

MaintenanceJob::~MaintenanceJob()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

} // namespace parley::parleyd
