#pragma once

#include <cstdint>

namespace parley::portal {

/// Unix seconds now.
std::int64_t unixNow();

} // namespace parley::portal
