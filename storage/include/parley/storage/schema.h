#pragma once

#include <parley/storage/migration.h>

#include <span>

namespace parley::storage {

/// Parley's database schema: every migration this build knows, oldest first.
std::span<const Migration> schemaMigrations();

} // namespace parley::storage
