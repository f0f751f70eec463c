#pragma once

#include <string>

namespace parley::parleyctl {

/// A password for a new or reset account: from the terminal (asked twice, not echoed), or,
/// when standard input is not a terminal, its first line. Throws std::runtime_error if the
/// two entries differ or nothing was given.
std::string readNewPassword();

/// An existing password: asked on the terminal (not echoed) with `prompt`, or the next line
/// of standard input when it is not a terminal.
std::string readPassword(const std::string& prompt);

/// A random password of 24 characters (about 143 bits), for `--generate-password`.
std::string generatePassword();

} // namespace parley::parleyctl
