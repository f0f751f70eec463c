#pragma once

#include "temp_dir.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace parley::test {

/// Debian's baresip as a SIP endpoint for tests: its own configuration directory, one
/// account, audio from a sine tone (`ausine`), no sound device; it dials once it starts and
/// quits after `seconds`. Everything it prints goes to a log file the test reads.
class BaresipEndpoint
{
public:
    struct Options
    {
        std::string account; ///< the accounts line, e.g. "<sip:room@127.0.0.1;transport=tls>;auth_user=..."
        std::string dial;    ///< the URI it calls; "" for none (it only registers, if its account says so)
        int toneHz = 440;
        int seconds = 20;
    };
    explicit BaresipEndpoint(const Options& options);
    ~BaresipEndpoint();
    BaresipEndpoint(const BaresipEndpoint&) = delete;
    BaresipEndpoint& operator=(const BaresipEndpoint&) = delete;

    /// Waits until its output holds `text`; false after `timeout`.
    bool waitFor(const std::string& text, std::chrono::milliseconds timeout) const;
    std::string output() const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
};

} // namespace parley::test
