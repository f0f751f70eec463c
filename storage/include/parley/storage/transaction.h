#pragma once

#include <Poco/Data/Session.h>

namespace parley::storage {

/// An SQLite write transaction (`BEGIN IMMEDIATE`) on one connection, rolled back on
/// destruction unless commit() was called. IMMEDIATE takes the write lock at the start, so
/// a read-then-write sequence inside it cannot be raced by another connection.
class Transaction
{
public:
    /// Begins; throws Poco::Data::DataException if the lock is not obtained in the busy timeout.
    explicit Transaction(Poco::Data::Session& session);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

    /// Rolls back now. Returns "" or, if SQLite had already rolled back on its own (disk full,
    /// I/O error), the note it gave; the database is unchanged either way.
    std::string rollback();

private:
    Poco::Data::Session& session_;
    bool open_ = true;
};

} // namespace parley::storage
