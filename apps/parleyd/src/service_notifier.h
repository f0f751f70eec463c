#pragma once

#include <string_view>

namespace parley::parleyd {

/// Tells systemd about the service's state (the sd_notify protocol: one datagram to the
/// socket named by $NOTIFY_SOCKET), so that `Type=notify` units count as started only once
/// parleyd listens, and `systemctl reload` shows when the reload is done. Without
/// $NOTIFY_SOCKET (started by hand, or by the tests) every call does nothing.
class ServiceNotifier
{
public:
    ServiceNotifier();

    /// The server listens and serves: READY=1 with a one-line status.
    void ready(std::string_view status) const;
    /// A reload (SIGHUP) begins: RELOADING=1.
    void reloading() const;
    /// Termination was requested: STOPPING=1.
    void stopping() const;

    /// Whether a service manager is listening.
    bool active() const { return !socketPath_.empty(); }

private:
    void send(std::string_view message) const;

    std::string_view socketPath_;
};

} // namespace parley::parleyd
