#pragma once

#include <parley/portal/http/connection_tracker.h>
#include <parley/portal/http/request_router.h>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

namespace parley::portal {

/// Poco's HTTP server, with every connection taking its place in a ConnectionTracker before
/// anything else: over a limit, it is closed before its TLS handshake; past a deadline, the
/// tracker shuts it down. Otherwise the same as Poco::Net::HTTPServer.
class TrackedHttpServer : public Poco::Net::TCPServer
{
public:
    TrackedHttpServer(Poco::SharedPtr<RequestRouter> handlers, Poco::ThreadPool& threads,
                      const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                      ConnectionTracker& tracker);

    /// As Poco::Net::HTTPServer::stopAll: stops accepting, then closes idle keep-alive
    /// connections, and with `abortCurrent` those handling a request too.
    void stopAll(bool abortCurrent);

private:
    Poco::SharedPtr<RequestRouter> handlers_;
};

} // namespace parley::portal
