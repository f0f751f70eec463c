#include <parley/loadgen/media_engine.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>

namespace parley::loadgen {
namespace {

constexpr unsigned kBatch = 32;
constexpr std::size_t kDatagramBytes = 2048;
/// Batches taken from one socket before the others get their turn.
constexpr int kBatchesPerSocket = 4;
constexpr std::int64_t kReceivePeriod = 2'000'000;

/// recvmmsg's buffers, control space for the timestamp and drop count, made once per thread.
struct ReceiveBatch
{
    std::array<std::array<std::uint8_t, kDatagramBytes>, kBatch> data{};
    std::array<std::array<std::uint8_t, CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(std::uint32_t))>, kBatch> control{};
    std::array<iovec, kBatch> vectors{};
    std::array<mmsghdr, kBatch> messages{};
};

thread_local std::unique_ptr<ReceiveBatch> batch;

} // namespace

MediaEngine::MediaEngine()
    : certificate_(router::DtlsCertificate::generate()), context_(certificate_, router::DtlsRole::Client),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      scratch_(SyntheticVideo::kMaxPacketsPerFrame)
{
    if (epoll_ < 0 || wake_ < 0)
        throw std::runtime_error(std::string("cannot create the media thread's epoll: ") + std::strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
    thread_ = std::thread([this] { loop(); });
}

MediaEngine::~MediaEngine()
{
    stopping_ = true;
    wake();
    thread_.join();
    endpoints_.clear();
    ::close(wake_);
    ::close(epoll_);
}

void MediaEngine::wake()
{
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
}

void MediaEngine::post(std::function<void()> task)
{
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    pending_ = true;
    wake();
}

void MediaEngine::run(const std::function<void()>& task)
{
    std::promise<void> done;
    post([&] {
        task();
        done.set_value();
    });
    done.get_future().wait();
}

void MediaEngine::add(std::shared_ptr<MediaEndpoint> endpoint)
{
    post([this, endpoint = std::move(endpoint)] {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = endpoint.get();
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, endpoint->descriptor(), &event);
        endpoints_.push_back(endpoint);
    });
}

void MediaEngine::remove(const std::shared_ptr<MediaEndpoint>& endpoint)
{
    post([this, endpoint] {
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, endpoint->descriptor(), nullptr);
        std::erase(endpoints_, endpoint);
    });
}

void MediaEngine::beginWindow()
{
    run([this] {
        latency_.video.clear();
        latency_.audio.clear();
        for (auto& endpoint : endpoints_)
            endpoint->beginWindow();
    });
}

MediaWindow MediaEngine::endWindow()
{
    MediaWindow window;
    run([&] {
        window.latency = latency_;
        for (const auto& endpoint : endpoints_) {
            endpoint->endWindow(window.counters);
            endpoint->keyframeTimes(window.keyframeMs, window.videoStreams);
            ++window.endpoints;
            window.connected += endpoint->connected() ? 1 : 0;
            if (endpoint->failed())
                window.failures.push_back(endpoint->failure());
        }
    });
    return window;
}

void MediaEngine::receiveFrom(MediaEndpoint& endpoint)
{
    auto& b = *batch;
    for (int round = 0; round < kBatchesPerSocket; ++round) {
        for (unsigned i = 0; i < kBatch; ++i) {
            b.vectors[i] = {b.data[i].data(), kDatagramBytes};
            b.messages[i] = {};
            b.messages[i].msg_hdr.msg_iov = &b.vectors[i];
            b.messages[i].msg_hdr.msg_iovlen = 1;
            b.messages[i].msg_hdr.msg_control = b.control[i].data();
            b.messages[i].msg_hdr.msg_controllen = b.control[i].size();
        }
        const int received = ::recvmmsg(endpoint.descriptor(), b.messages.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (received <= 0)
            return;
        const auto fallback = wallClockNanoseconds();
        for (int i = 0; i < received; ++i) {
            auto& header = b.messages[static_cast<std::size_t>(i)].msg_hdr;
            std::int64_t arrival = fallback;
            std::uint32_t drops = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
                if (c->cmsg_level != SOL_SOCKET)
                    continue;
                if (c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec stamp{};
                    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
                    arrival = std::int64_t(stamp.tv_sec) * 1'000'000'000 + stamp.tv_nsec;
                } else if (c->cmsg_type == SO_RXQ_OVFL) {
                    std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                }
            }
            endpoint.receive({b.data[static_cast<std::size_t>(i)].data(), b.messages[static_cast<std::size_t>(i)].msg_len},
                             arrival, drops);
        }
        if (static_cast<unsigned>(received) < kBatch)
            return;
    }
}

void MediaEngine::loop()
{
    batch = std::make_unique<ReceiveBatch>();
    std::array<epoll_event, 256> events{};
    std::vector<std::function<void()>> running;
    while (!stopping_) {
        if (pending_.exchange(false)) {
            {
                std::lock_guard lock(mutex_);
                running.swap(tasks_);
            }
            for (auto& task : running)
                task();
            running.clear();
        }
        const auto now = steadyNanoseconds();
        std::int64_t next = now + 5'000'000;
        for (auto& endpoint : endpoints_)
            next = std::min(next, endpoint->service(now, scratch_));
        // Packets are taken at most every kReceivePeriod: a socket then holds a few, read
        // with one recvmmsg, and the thread wakes less often. The kernel's arrival stamps keep
        // the latency figures true to the server whatever the wait.
        const auto elapsed = steadyNanoseconds() - now;
        if (elapsed < kReceivePeriod && next - now >= kReceivePeriod)
            std::this_thread::sleep_for(std::chrono::nanoseconds(kReceivePeriod - elapsed));
        const auto wait = std::max<std::int64_t>(0, next - steadyNanoseconds());
        // epoll's timeout is in ms: round up, so that we never spin before a send is due.
        const int timeout = static_cast<int>((wait + 999'999) / 1'000'000);
        const int ready = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
        for (int i = 0; i < ready; ++i) {
            auto* endpoint = static_cast<MediaEndpoint*>(events[static_cast<std::size_t>(i)].data.ptr);
            if (!endpoint) {
                std::uint64_t count = 0;
                [[maybe_unused]] const auto read = ::read(wake_, &count, sizeof count);
                continue;
            }
            receiveFrom(*endpoint);
        }
    }
    batch.reset();
}

} // namespace parley::loadgen
