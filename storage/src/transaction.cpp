#include <parley/storage/transaction.h>

#include <parley/log/log_event.h>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {

Transaction::Transaction(Poco::Data::Session& session) : session_(session)
{
    session_ << "BEGIN IMMEDIATE", now;
}

Transaction::~Transaction()
{
    if (!open_)
        return;
    const auto note = rollback();
    if (!note.empty())
        log::warning(Poco::Logger::get("storage"), "database.rollback", "rollback after an error: " + note,
                     {{"error", note}});
}

void Transaction::commit()
{
    session_ << "COMMIT", now;
    open_ = false;
}

std::string Transaction::rollback()
{
    open_ = false;
    try {
        session_ << "ROLLBACK", now;
        return {};
    }
    catch (const Poco::Exception& e) {
        return e.displayText();
    }
}

} // namespace parley::storage
