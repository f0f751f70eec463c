#pragma once

#include <string>

namespace parley::recorder {

/// Throws std::runtime_error "cannot compose the recording: <what>", with FFmpeg's words
/// for `error` when it is not 0.
[[noreturn]] void failComposition(const std::string& what, int error = 0);

} // namespace parley::recorder
