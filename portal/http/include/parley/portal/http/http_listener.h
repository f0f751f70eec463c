#pragma once

#include <parley/portal/http/connection_tracker.h>

#include <Poco/BasicEvent.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>

namespace parley::portal {

/// Poco's HTTPServer, but every request Poco cannot read gets a JSON 400
/// `malformed_request` and the connection is closed:
/// - a Content-Length Poco cannot read as a number (letters, a list, more than 63 bits).
///   Poco parses it while it builds the request, before any handler runs, and its own
///   server then drops the connection without a word (and its session closes the socket
///   on the way out, so nothing can answer afterwards: hence a connection of our own);
/// - a request line or header Poco's parser refuses (where Poco sends a bare 400).
/// Everything else runs exactly as in Poco 1.11's HTTPServerConnection: keep-alive,
/// `Expect: 100-continue`, one handler per request from the factory.
///
/// Every connection first takes its place in the ConnectionTracker: over a limit (in total
/// or from its address) it is closed before its TLS handshake, and past a deadline the
/// tracker shuts it down.
class HttpListener : public Poco::Net::TCPServer
{
public:
    HttpListener(Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, Poco::ThreadPool& threads,
                 const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                 ConnectionTracker& tracker);

    /// As HTTPServer::stopAll: stops accepting, closes idle keep-alive connections and, with
    /// `abortCurrent`, shuts down the ones busy with a request too (without it, waits for
    /// each request in progress to be answered).
    void stopAll(bool abortCurrent);

    /// Raised by stopAll; every open connection listens.
    using StopEvent = Poco::BasicEvent<const bool>;

private:
    HttpListener(std::shared_ptr<StopEvent> stopping, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                 Poco::ThreadPool& threads, const Poco::Net::ServerSocket& socket,
                 Poco::Net::HTTPServerParams::Ptr params, ConnectionTracker& tracker);

    std::shared_ptr<StopEvent> stopping_;
};

} // namespace parley::portal
