#include <parley/portal/http/tracked_http_server.h>

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <sys/socket.h>

namespace parley::portal {
namespace {

class TrackedConnection : public Poco::Net::HTTPServerConnection
{
public:
    TrackedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, ConnectionTracker& tracker)
        : HTTPServerConnection(socket, params, handlers), tracker_(tracker)
    {}

    void run() override
    {
        const int fd = socket().impl()->sockfd();
        std::string address;
        try {
            address = socket().peerAddress().host().toString();
        }
        catch (const Poco::Exception&) {
            return; // the peer is already gone
        }
        const auto slot = tracker_.enter(address, fd);
        if (!slot) {
            // Refused before the TLS handshake, which would cost more than the refusal.
            ::shutdown(fd, SHUT_RDWR);
            return;
        }
        HTTPServerConnection::run();
    }

private:
    ConnectionTracker& tracker_;
};

class TrackedConnectionFactory : public Poco::Net::TCPServerConnectionFactory
{
public:
    TrackedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                             ConnectionTracker& tracker)
        : params_(std::move(params)), handlers_(std::move(handlers)), tracker_(tracker)
    {}

    // Poco takes ownership of the connection it asks for.
    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override
    {
        return new TrackedConnection(socket, params_, handlers_, tracker_);
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    ConnectionTracker& tracker_;
};

} // namespace

TrackedHttpServer::TrackedHttpServer(Poco::SharedPtr<RequestRouter> handlers, Poco::ThreadPool& threads,
                                     const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                                     ConnectionTracker& tracker)
    : TCPServer(Poco::makeShared<TrackedConnectionFactory>(params, handlers, tracker), threads, socket, params),
      handlers_(std::move(handlers))
{}

void TrackedHttpServer::stopAll(bool abortCurrent)
{
    stop();
    handlers_->announceServerStopped(this, abortCurrent);
}

} // namespace parley::portal
