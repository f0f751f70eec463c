#pragma once

#include <map>
#include <string>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::parleyd {

/// Compares the effective configuration with the one recorded at the previous start and,
/// if any key changed, appends a `config.change` audit event listing each changed key with
/// its old and new value; then records the current configuration. The first start only
/// records it.
void auditConfigurationChange(storage::Database& database, storage::AuditLog& audit,
                              const std::map<std::string, std::string>& effective);

} // namespace parley::parleyd
