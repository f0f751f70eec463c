#pragma once

#include "endpoint.h"

#include <parley/router/rfc4571_deframer.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::router {

/// The router's ICE-TCP side (RFC 6544, passive candidates): a listening TCP socket whose
/// connections carry RFC 4571-framed STUN, DTLS, RTP and RTCP, for participants whose UDP is
/// blocked. Each connection is an Endpoint of its own (its address and number), so ICE
/// checks, DTLS and media run over it exactly as over UDP. Non-blocking, on the worker
/// thread, through one epoll descriptor.
class TcpMediaServer final : public FramedSink
{
public:
    static constexpr std::size_t kMaxConnections = 1024;
    /// What may wait to be written to one connection; a reader that slow loses whole frames.
    static constexpr std::size_t kMaxQueuedBytes = 512 * 1024;
    /// A connection over which nothing arrives this long is closed (ICE checks every few
    /// seconds keep a live one going).
    static constexpr auto kIdleTimeout = std::chrono::seconds(30);

    /// Listens on `address`:`port` (0: any free port). Throws std::runtime_error naming the
    /// address when it cannot.
    TcpMediaServer(const std::string& address, std::uint16_t port);
    ~TcpMediaServer() override;
    TcpMediaServer(const TcpMediaServer&) = delete;
    TcpMediaServer& operator=(const TcpMediaServer&) = delete;

    /// Readable when a connection or the listening socket has something to do.
    int descriptor() const { return epoll_; }
    std::uint16_t port() const { return port_; }

    using FrameHandler = std::function<void(std::span<std::uint8_t>, const Endpoint&, std::int64_t arrivalMicros)>;
    using ClosedHandler = std::function<void(const Endpoint&)>;

    /// Accepts, reads and writes whatever is ready, without blocking: each whole frame goes
    /// to `frame`, each connection that ended (closed by the peer, broken framing, an error)
    /// to `closed`.
    void poll(const FrameHandler& frame, const ClosedHandler& closed);

    /// Closes connections idle for kIdleTimeout at `now`, telling `closed`.
    void closeIdle(std::chrono::steady_clock::time_point now, const ClosedHandler& closed);

    /// Writes `packet` with its length in front; queued if the kernel takes it only in part.
    void sendFramed(std::uint32_t connection, std::span<const std::uint8_t> packet) override;

    std::size_t connections() const { return connections_.size(); }
    std::uint64_t framesDropped() const { return dropped_; }

private:
    struct Connection
    {
        int fd = -1;
        Endpoint endpoint;
        Rfc4571Deframer deframer;
        std::vector<std::uint8_t> queued; ///< bytes the kernel did not take yet
        std::chrono::steady_clock::time_point lastReceived;
        bool writeArmed = false;
    };

    void accept();
    /// Reads what `c` has; false when it is to be closed.
    bool read(Connection& c, const FrameHandler& frame);
    /// Writes what is queued; false when it is to be closed.
    bool write(Connection& c);
    void close(std::uint32_t id, const ClosedHandler& closed);
    void armWrite(Connection& c, bool on);

    int listener_ = -1;
    int epoll_ = -1;
    std::uint16_t port_ = 0;
    std::uint32_t nextId_ = 1;
    std::unordered_map<std::uint32_t, std::unique_ptr<Connection>> connections_;
    std::uint64_t dropped_ = 0;
};

} // namespace parley::router
