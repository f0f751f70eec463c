#include <parley/portal/http/http_listener.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/json_response.h>

#include <Poco/Delegate.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Timestamp.h>

#include <pthread.h>

#include <atomic>
#include <sys/socket.h>
#include <memory>
#include <mutex>

namespace parley::portal {
namespace {

using Poco::Net::HTTPResponse;

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.connection");
}

/// One client connection: reads requests and hands each to a handler, as Poco's
/// HTTPServerConnection does, answering what Poco cannot read with a JSON 400.
class FramingConnection : public Poco::Net::TCPServerConnection
{
public:
    FramingConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                      std::shared_ptr<HttpListener::StopEvent> stopping, ConnectionTracker& tracker)
        : TCPServerConnection(socket), params_(std::move(params)), handlers_(std::move(handlers)),
          stopping_(std::move(stopping)), tracker_(tracker)
    {
        *stopping_ += Poco::delegate(this, &FramingConnection::onStopping);
    }

    ~FramingConnection() override
    {
        *stopping_ -= Poco::delegate(this, &FramingConnection::onStopping);
    }

    FramingConnection(const FramingConnection&) = delete;
    FramingConnection& operator=(const FramingConnection&) = delete;

    void run() override
    {
        // The pool's threads by name in top -H and /proc (the soak counts them apart).
        pthread_setname_np(pthread_self(), "parley-https");
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
        Poco::Net::HTTPServerSession session(socket(), params_);
        while (!stopped_ && session.hasMoreRequests()) {
            try {
                const std::lock_guard lock(busy_);
                if (stopped_)
                    break;
                serveOne(session);
                // A WebSocket handshake took the socket: the connection is no longer ours.
                if (!session.socket().impl()->initialized())
                    break;
            }
            catch (const Poco::Net::NoMessageException&) {
                break; // the client closed between requests
            }
            catch (const Poco::Net::MessageException& e) {
                answerMalformed(session, "the request could not be parsed: " + e.message());
            }
            catch (const Poco::Exception&) {
                // As Poco: a network error is reported as such, anything else as it was.
                if (session.networkException())
                    session.networkException()->rethrow();
                throw;
            }
        }
    }

private:
    void serveOne(Poco::Net::HTTPServerSession& session)
    {
        Poco::Net::HTTPServerResponseImpl response(session);
        std::unique_ptr<Poco::Net::HTTPServerRequestImpl> request;
        try {
            request = std::make_unique<Poco::Net::HTTPServerRequestImpl>(response, session, params_);
        }
        catch (const Poco::SyntaxException&) {
            // Building the request parses Content-Length with NumberParser, which refuses
            // anything but a number that fits 64 bits. (MessageException, for the request
            // line and headers, is answered in run().)
            answerMalformed(session, "Content-Length must be a non-negative whole number of bytes");
            return;
        }
        response.setDate(Poco::Timestamp());
        response.setVersion(request->getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request->getKeepAlive() && session.canKeepAlive());
        if (!params_->getSoftwareVersion().empty())
            response.set("Server", params_->getSoftwareVersion());
        try {
            const std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(handlers_->createRequestHandler(*request));
            if (!handler) {
                answerBare(session, HTTPResponse::HTTP_NOT_IMPLEMENTED);
                return;
            }
            if (request->getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK)
                response.sendContinue();
            handler->handleRequest(*request, response);
            session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() && session.canKeepAlive());
        }
        catch (const Poco::Exception&) {
            if (!response.sent()) {
                try {
                    answerBare(session, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
                }
                catch (const Poco::Exception& e) {
                    // The connection is gone; the original error is what matters.
                    log::debug(logger(), "connection.error", "could not send 500: " + e.displayText(), {{"error", e.displayText()}});
                }
            }
            throw;
        }
    }

    /// A JSON 400 `malformed_request`, then the connection closes: after a request that
    /// could not be read, where the next one starts is unknown.
    static void answerMalformed(Poco::Net::HTTPServerSession& session, const std::string& message)
    {
        Poco::Net::HTTPServerResponseImpl response(session);
        response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
        response.setKeepAlive(false);
        response.set("X-Content-Type-Options", "nosniff");
        response.set("Cache-Control", "no-store");
        sendJsonError(response, HTTPResponse::HTTP_BAD_REQUEST, "malformed_request", message);
        session.setKeepAlive(false);
    }

    static void answerBare(Poco::Net::HTTPServerSession& session, HTTPResponse::HTTPStatus status)
    {
        Poco::Net::HTTPServerResponseImpl response(session);
        response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
        response.setStatusAndReason(status);
        response.setKeepAlive(false);
        response.send();
        session.setKeepAlive(false);
    }

    /// Ends the connection: at once when idle (or with `abortCurrent`), else after the
    /// request in progress is answered.
    void onStopping(const bool& abortCurrent)
    {
        stopped_ = true;
        std::unique_lock lock(busy_, std::defer_lock);
        if (!abortCurrent)
            lock.lock();
        try {
            socket().shutdown(); // wakes a read waiting for the next request
        }
        catch (const Poco::Exception& e) {
            log::debug(logger(), "connection.error", "connection already closed at stop: " + e.displayText(), {{"error", e.displayText()}});
        }
    }

    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    std::shared_ptr<HttpListener::StopEvent> stopping_;
    ConnectionTracker& tracker_;
    std::atomic<bool> stopped_ = false;
    std::mutex busy_; ///< held while a request is read and answered
};

class FramingConnectionFactory : public Poco::Net::TCPServerConnectionFactory
{
public:
    FramingConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                             std::shared_ptr<HttpListener::StopEvent> stopping, ConnectionTracker& tracker)
        : params_(std::move(params)), handlers_(std::move(handlers)), stopping_(std::move(stopping)),
          tracker_(tracker)
    {}

    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override
    {
        // Poco's interface hands ownership over as a raw pointer; the dispatcher deletes it.
        return std::make_unique<FramingConnection>(socket, params_, handlers_, stopping_, tracker_).release();
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    std::shared_ptr<HttpListener::StopEvent> stopping_;
    ConnectionTracker& tracker_;
};

} // namespace

HttpListener::HttpListener(Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, Poco::ThreadPool& threads,
                           const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                           ConnectionTracker& tracker)
    : HttpListener(std::make_shared<StopEvent>(), std::move(handlers), threads, socket, std::move(params), tracker)
{}

HttpListener::HttpListener(std::shared_ptr<StopEvent> stopping,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, Poco::ThreadPool& threads,
                           const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                           ConnectionTracker& tracker)
    : TCPServer(Poco::makeShared<FramingConnectionFactory>(params, std::move(handlers), stopping, tracker), threads,
                socket, params),
      stopping_(std::move(stopping))
{}

void HttpListener::stopAll(bool abortCurrent)
{
    stop();
    stopping_->notify(this, abortCurrent);
}

} // namespace parley::portal
