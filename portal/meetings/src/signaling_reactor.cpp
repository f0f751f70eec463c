#include <parley/portal/meetings/signaling_reactor.h>

#include "signaling_connection.h"
#include <parley/log/log_event.h>
#include <parley/portal/meetings/signaling_outbox.h>
#include <parley/portal/meetings/signaling_session.h>

#include <Poco/Logger.h>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

namespace parley::portal {
namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

/// Timers (timeouts, pings, ticks) are looked at this often.
constexpr int kTimerMilliseconds = 250;
constexpr std::size_t kReceiveBuffer = 16384;
/// epoll data for the loop's own wake-up descriptor; connections count from 1.
constexpr std::uint64_t kWakeId = 0;

std::runtime_error systemError(const std::string& what)
{
    return std::runtime_error(what + " failed: " + std::strerror(errno));
}

} // namespace

/// One thread, its epoll set and the connections in it.
class SignalingReactor::Loop
{
public:
    Loop()
        : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
    {
        if (epoll_ < 0 || wake_ < 0) {
            closeDescriptors();
            throw systemError("creating the signaling reactor's descriptors");
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = kWakeId;
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event) != 0) {
            closeDescriptors();
            throw systemError("epoll_ctl");
        }
        thread_ = std::thread([this] { run(); });
    }

    ~Loop()
    {
        stop();
        closeDescriptors();
    }

    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    void post(std::unique_ptr<SignalingConnection> connection)
    {
        ++count_;
        {
            std::lock_guard lock(mutex_);
            incoming_.push_back(std::move(connection));
        }
        wake();
    }

    void stop()
    {
        {
            std::lock_guard lock(mutex_);
            if (stopping_)
                return;
            stopping_ = true;
        }
        wake();
        if (thread_.joinable())
            thread_.join();
    }

    std::size_t count() const { return count_.load(); }

private:
    void closeDescriptors()
    {
        if (epoll_ >= 0)
            ::close(epoll_);
        if (wake_ >= 0)
            ::close(wake_);
        epoll_ = wake_ = -1;
    }

    void wake()
    {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
    }

    /// Called by an outbox, on whatever thread queued a message.
    void mailFor(std::uint64_t id)
    {
        {
            std::lock_guard lock(mutex_);
            mail_.push_back(id);
        }
        wake();
    }

    void run()
    {
        // Named so that top -H and the load generator can tell these threads apart.
        pthread_setname_np(pthread_self(), "parley-signal");
        std::vector<char> scratch(kReceiveBuffer);
        epoll_event events[128];
        auto nextTimers = SignalingConnection::Clock::now();
        for (;;) {
            const int timeout = again_.empty() ? kTimerMilliseconds : 0;
            const int ready = ::epoll_wait(epoll_, events, static_cast<int>(std::size(events)), timeout);
            if (ready < 0 && errno != EINTR) {
                log::error(logger(), "signaling.epoll_failed", std::string("epoll_wait failed: ") + std::strerror(errno),
                           {{"error", std::strerror(errno)}});
                break;
            }
            if (takeIncomingAndMail())
                break;
            // Connections that stopped reading with more left go first, then the ready ones.
            auto again = std::exchange(again_, {});
            for (const auto id : again)
                serve(id, EPOLLIN, scratch);
            for (int i = 0; i < ready; ++i)
                if (events[i].data.u64 != kWakeId)
                    serve(events[i].data.u64, events[i].events, scratch);
            const auto now = SignalingConnection::Clock::now();
            if (now >= nextTimers) {
                nextTimers = now + std::chrono::milliseconds(kTimerMilliseconds);
                for (auto& [id, connection] : open_) {
                    connection->onTimer(now);
                    touched_.push_back(id);
                }
            }
            settle();
        }
        dropAll();
    }

    /// Registers new connections and hands out mail; true when the loop is to stop.
    bool takeIncomingAndMail()
    {
        std::uint64_t counter = 0;
        [[maybe_unused]] const auto read = ::read(wake_, &counter, sizeof counter);
        std::vector<std::unique_ptr<SignalingConnection>> incoming;
        std::vector<std::uint64_t> mail;
        bool stopping = false;
        {
            std::lock_guard lock(mutex_);
            incoming.swap(incoming_);
            mail.swap(mail_);
            stopping = stopping_;
        }
        for (auto& connection : incoming)
            add(std::move(connection));
        if (stopping)
            return true;
        for (const auto id : mail) {
            const auto found = open_.find(id);
            if (found == open_.end())
                continue;
            found->second->onMail();
            touched_.push_back(id);
        }
        return false;
    }

    void add(std::unique_ptr<SignalingConnection> connection)
    {
        const auto id = ++lastId_;
        auto* raw = connection.get();
        epoll_event event{};
        event.events = raw->interest();
        event.data.u64 = id;
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, raw->descriptor(), &event) != 0) {
            log::error(logger(), "signaling.epoll_failed", std::string("epoll_ctl failed: ") + std::strerror(errno),
                       {{"error", std::strerror(errno)}});
            --count_;
            return; // dropped: its destructor tells the session
        }
        interests_[id] = event.events;
        open_.emplace(id, std::move(connection));
        raw->outbox().setWake([this, id] { mailFor(id); });
        // Bytes that came with the handshake, and anything already waiting.
        again_.push_back(id);
    }

    void serve(std::uint64_t id, std::uint32_t events, std::vector<char>& scratch)
    {
        const auto found = open_.find(id);
        if (found == open_.end())
            return;
        auto& connection = *found->second;
        if (events & (EPOLLHUP | EPOLLERR))
            connection.onHangUp();
        bool read = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
        if (events & EPOLLOUT)
            read = connection.onWritable() || read;
        if (read && connection.onReadable(scratch.data(), scratch.size()))
            again_.push_back(id);
        touched_.push_back(id);
    }

    /// Brings the epoll set in line with what each touched connection waits for, and
    /// destroys the finished ones.
    void settle()
    {
        for (const auto id : touched_) {
            const auto found = open_.find(id);
            if (found == open_.end())
                continue;
            auto& connection = *found->second;
            if (connection.finished()) {
                ::epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.descriptor(), nullptr);
                interests_.erase(id);
                open_.erase(found); // closes the socket, releases the session and ticket
                --count_;
                continue;
            }
            const auto interest = connection.interest();
            auto& registered = interests_[id];
            if (interest == registered)
                continue;
            epoll_event event{};
            event.events = interest;
            event.data.u64 = id;
            ::epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.descriptor(), &event);
            registered = interest;
        }
        touched_.clear();
    }

    void dropAll()
    {
        for (auto& [id, connection] : open_)
            ::epoll_ctl(epoll_, EPOLL_CTL_DEL, connection->descriptor(), nullptr);
        count_ -= open_.size();
        open_.clear();
        interests_.clear();
        std::vector<std::unique_ptr<SignalingConnection>> incoming;
        {
            std::lock_guard lock(mutex_);
            incoming.swap(incoming_);
        }
        count_ -= incoming.size();
    }

    int epoll_;
    int wake_;
    std::atomic<std::size_t> count_{0};
    std::mutex mutex_;
    std::vector<std::unique_ptr<SignalingConnection>> incoming_;
    std::vector<std::uint64_t> mail_;
    bool stopping_ = false;
    // The loop thread's own.
    std::unordered_map<std::uint64_t, std::unique_ptr<SignalingConnection>> open_;
    std::unordered_map<std::uint64_t, std::uint32_t> interests_;
    std::vector<std::uint64_t> again_;
    std::vector<std::uint64_t> touched_;
    std::uint64_t lastId_ = kWakeId;
    std::thread thread_;
};

SignalingReactor::SignalingReactor(unsigned threads)
{
    if (threads == 0)
        threads = std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
        loops_.push_back(std::make_unique<Loop>());
}

SignalingReactor::~SignalingReactor()
{
    stop();
}

void SignalingReactor::adopt(AcceptedWebSocket accepted, std::shared_ptr<SignalingOutbox> outbox,
                             std::unique_ptr<SignalingSession> session, std::unique_ptr<SignalingHub::Ticket> ticket,
                             const SignalingSettings& settings)
{
    auto connection = std::make_unique<SignalingConnection>(std::move(accepted), std::move(outbox), std::move(session),
                                                             std::move(ticket), settings);
    // The thread with the fewest connections: they live long, so round robin would drift.
    auto* target = loops_.front().get();
    for (const auto& loop : loops_)
        if (loop->count() < target->count())
            target = loop.get();
    target->post(std::move(connection));
}

std::size_t SignalingReactor::connections() const
{
    std::size_t total = 0;
    for (const auto& loop : loops_)
        total += loop->count();
    return total;
}

bool SignalingReactor::waitUntilIdle(std::chrono::steady_clock::time_point deadline) const
{
    while (connections() > 0) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

void SignalingReactor::stop()
{
    for (auto& loop : loops_)
        loop->stop();
}

} // namespace parley::portal
