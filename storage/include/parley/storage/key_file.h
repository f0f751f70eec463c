#pragma once

#include <filesystem>
#include <string>

namespace parley::storage {

/// Returns the 32-byte secret kept (hex-encoded) in `file`, creating it with fresh random
/// bytes and mode 0600 if it does not exist. An existing file that does not hold exactly 64
/// hex digits is an error (std::runtime_error naming the file): regenerating it silently
/// would make everything it protected unverifiable.
std::string loadOrCreateKeyFile(const std::filesystem::path& file);

/// Reads the key without creating it; throws std::runtime_error if missing or malformed.
std::string loadKeyFile(const std::filesystem::path& file);

} // namespace parley::storage
