#pragma once

namespace parley::recorder {

/// Sends FFmpeg's own messages (its libraries write them to stderr by default) to the Poco
/// logger "recorder.ffmpeg": errors as errors, warnings as warnings, FFmpeg's information
/// (codec versions and the like) as debug, anything chattier nowhere. Idempotent and
/// thread-safe; affects the whole process.
void routeFfmpegLogs();

} // namespace parley::recorder
