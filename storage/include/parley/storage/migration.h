#pragma once

#include <string>
#include <vector>

namespace parley::storage {

/// One numbered step of the database schema.
///
/// Versions start at 1 and increase by one; a migration, once released, never changes,
/// because databases in the field have already applied it. Each statement is executed on
/// its own (SQLite prepares one statement at a time).
struct Migration
{
    int version;
    std::string name;
    std::vector<std::string> statements;
};

} // namespace parley::storage
