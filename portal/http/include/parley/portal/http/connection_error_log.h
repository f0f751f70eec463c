#pragma once

#include <Poco/ErrorHandler.h>

#include <atomic>
#include <cstdint>

namespace parley::portal {

/// Receives the errors Poco raises on connection threads (failed TLS handshakes from
/// plain-HTTP clients or scanners, resets, timeouts), which would otherwise be printed to
/// stderr unformatted. Logs them at notice level and counts them. Installed for the
/// lifetime of the object; the previous handler is restored on destruction.
class ConnectionErrorLog : public Poco::ErrorHandler
{
public:
    ConnectionErrorLog();
    ~ConnectionErrorLog() override;

    ConnectionErrorLog(const ConnectionErrorLog&) = delete;
    ConnectionErrorLog& operator=(const ConnectionErrorLog&) = delete;

    void exception(const Poco::Exception& e) override;
    void exception(const std::exception& e) override;
    void exception() override;

    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

private:
    Poco::ErrorHandler* previous_;
    std::atomic<std::uint64_t> count_{0};
};

} // namespace parley::portal
