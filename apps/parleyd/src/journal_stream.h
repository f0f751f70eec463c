#pragma once

namespace parley::parleyd {

/// Whether standard error (the log) is connected to the journal (systemd sets JOURNAL_STREAM to its
/// device and inode for a service's stdout and stderr).
bool outputGoesToJournal();

} // namespace parley::parleyd
