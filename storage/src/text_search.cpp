#include "text_search.h"

#include <parley/storage/database.h>

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/UTF8String.h>

#include <sqlite3.h>

#include <stdexcept>

namespace parley::storage {
namespace {

void foldFunction(sqlite3_context* context, int, sqlite3_value** arguments)
{
    if (sqlite3_value_type(arguments[0]) == SQLITE_NULL) {
        sqlite3_result_null(context);
        return;
    }
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(arguments[0]));
    const int bytes = sqlite3_value_bytes(arguments[0]);
    try {
        const auto folded = foldCase(std::string_view(text ? text : "", text ? static_cast<std::size_t>(bytes) : 0));
        sqlite3_result_text(context, folded.data(), static_cast<int>(folded.size()), SQLITE_TRANSIENT);
    }
    catch (const std::bad_alloc&) {
        sqlite3_result_error_nomem(context);
    }
    catch (const std::exception& e) {
        // Never let an exception cross SQLite's C frames.
        sqlite3_result_error(context, e.what(), -1);
    }
}

} // namespace

std::string foldCase(std::string_view text)
{
    return Poco::UTF8::toLower(std::string(text));
}

void registerTextSearch(Poco::Data::Session& session)
{
    auto* handle = Poco::Data::SQLite::Utility::dbHandle(session);
    const int result = sqlite3_create_function_v2(handle, "parley_fold", 1,
                                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                                  nullptr, foldFunction, nullptr, nullptr, nullptr);
    if (result != SQLITE_OK)
        throw DatabaseError(std::string("cannot add the parley_fold SQL function to a database connection: ") +
                            sqlite3_errstr(result));
}

} // namespace parley::storage
