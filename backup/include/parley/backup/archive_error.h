#pragma once

#include <stdexcept>

namespace parley::backup {

/// Why an archive was refused.
enum class ArchiveFailure {
    NotAnArchive, ///< no Parley backup header
    NewerFormat,  ///< written by a newer Parley
    WrongKey,     ///< made with another backup key
    Damaged,      ///< a record fails its check, is cut short, or the content is inconsistent
    Io,           ///< a file could not be read or written
};

/// Thrown by the archive code; the message names the file, and for damage the member and
/// the byte range of the archive.
class ArchiveError : public std::runtime_error
{
public:
    ArchiveError(ArchiveFailure failure, const std::string& message)
        : std::runtime_error(message), failure_(failure)
    {}
    ArchiveFailure failure() const { return failure_; }

private:
    ArchiveFailure failure_;
};

} // namespace parley::backup
