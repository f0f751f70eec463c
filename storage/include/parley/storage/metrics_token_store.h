#pragma once

#include <optional>
#include <string>

namespace parley::storage {

class Database;

/// The bearer token a Prometheus scraper presents at `/metrics`: only its hex SHA-256 is
/// stored (in `server_state`), like session tokens. One token at a time: a new one replaces
/// the old, which stops working at once.
class MetricsTokenStore
{
public:
    explicit MetricsTokenStore(Database& database) : database_(database) {}

    /// Stores the hash of a new token, replacing any previous one.
    void replace(const std::string& tokenHash);
    /// Forgets the token; returns false when there was none.
    bool revoke();
    /// The stored hash, or nullopt when no token exists (then `/metrics` answers nobody).
    std::optional<std::string> tokenHash() const;

private:
    Database& database_;
};

} // namespace parley::storage
