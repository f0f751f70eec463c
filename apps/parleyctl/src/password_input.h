#pragma once

#include <string>

namespace parley::parleyctl {

/// A password for a new or reset account: from the terminal (asked twice, not echoed), or,
/// when standard input is not a terminal, its first line. Throws std::runtime_error if the
/// two entries differ or nothing was given.
std::string readNewPassword();

/// A random password of 24 characters (about 143 bits), for `--generate-password`.
std::string generatePassword();

} // namespace parley::parleyctl
