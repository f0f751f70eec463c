#include <parley/storage/schema.h>

#include <array>

namespace parley::storage {
namespace {

// Append only: a released migration never changes (databases in the field have run it).
const std::array<Migration, 1> kMigrations{{
    {1,
     "installation",
     {
         // One row naming this installation; backups, logs and (later) router-node
         // registration use it to tell installations apart.
         "CREATE TABLE installation ("
         "  id INTEGER PRIMARY KEY CHECK (id = 1),"
         "  installation_id TEXT NOT NULL,"
         "  created_at TEXT NOT NULL)",
         "INSERT INTO installation (id, installation_id, created_at) VALUES (1,"
         "  lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
     }},
}};

} // namespace

std::span<const Migration> schemaMigrations()
{
    return kMigrations;
}

} // namespace parley::storage
