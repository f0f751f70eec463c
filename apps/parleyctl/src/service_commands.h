#pragma once

#include <parley/parleyd/settings.h>

#include <string>
#include <vector>

namespace parley::parleyctl {

/// Commands the package's scripts and systemd units ask before they act; none changes
/// anything. Each returns the exit status: `database schema` prints the database's schema
/// version and the newest this build knows; `tls fingerprint` prints the SHA-256 fingerprint
/// of the certificate parleyd serves (the uploaded one, the configured one or the
/// self-signed one), exit 1 when there is none yet; `volume boot-key` exits 0 when
/// volume.key_file is set and the container exists (the volume can be unlocked at boot),
/// else 1 with the reason. Throws std::invalid_argument for any other command.
int runServiceQuery(const parleyd::Settings& settings, const std::vector<std::string>& command);

/// Whether `command` is one of runServiceQuery's.
bool isServiceQuery(const std::vector<std::string>& command);

} // namespace parley::parleyctl
