#include <parley/portal/http/connection_error_log.h>

#include <parley/log/log_event.h>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

namespace parley::portal {
namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.connection");
}

} // namespace

ConnectionErrorLog::ConnectionErrorLog() : previous_(Poco::ErrorHandler::set(this)) {}

ConnectionErrorLog::~ConnectionErrorLog()
{
    Poco::ErrorHandler::set(previous_);
}

void ConnectionErrorLog::exception(const Poco::Exception& e)
{
    count_.fetch_add(1, std::memory_order_relaxed);
    log::notice(logger(), "connection.error", "connection closed after error: " + e.displayText(), {{"error", e.displayText()}});
}

void ConnectionErrorLog::exception(const std::exception& e)
{
    count_.fetch_add(1, std::memory_order_relaxed);
    log::error(logger(), "connection.error", std::string("connection closed after unexpected error: ") + e.what(), {{"error", e.what()}});
}

void ConnectionErrorLog::exception()
{
    count_.fetch_add(1, std::memory_order_relaxed);
    log::error(logger(), "connection.error", "connection closed after an unknown error", {{"error", "unknown"}});
}

} // namespace parley::portal
