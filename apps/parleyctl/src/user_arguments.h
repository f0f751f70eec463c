#pragma once

#include <string>
#include <vector>

namespace parley::parleyctl {

/// The arguments of `user create-admin` and `user reset-password`:
/// `NAME [--display-name TEXT] [--generate-password]`.
struct UserArguments
{
    std::string name;
    std::string displayName;
    bool generate = false;
};

/// Parses `args` from index `first` on; throws std::invalid_argument naming what is wrong.
UserArguments parseUserArguments(const std::vector<std::string>& args, std::size_t first);

/// The new password: generated, or read (see readNewPassword).
std::string choosePassword(const UserArguments& arguments);

/// Prints a generated password once, on stdout (so a script can capture it).
void announceGenerated(const std::string& name, const std::string& password);

/// The header and one row of `user list`.
void printUserHeader();
void printUserRow(long long id, const std::string& username, const std::string& role,
                  const std::string& source, bool disabled, const std::string& displayName);

} // namespace parley::parleyctl
