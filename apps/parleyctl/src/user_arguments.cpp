#include "user_arguments.h"

#include "password_input.h"

#include <iomanip>
#include <iostream>
#include <stdexcept>

namespace parley::parleyctl {

UserArguments parseUserArguments(const std::vector<std::string>& args, std::size_t first)
{
    UserArguments parsed;
    for (std::size_t i = first; i < args.size(); ++i) {
        if (args[i] == "--generate-password")
            parsed.generate = true;
        else if (args[i] == "--display-name" && i + 1 < args.size())
            parsed.displayName = args[++i];
        else if (!args[i].starts_with("--") && parsed.name.empty())
            parsed.name = args[i];
        else
            throw std::invalid_argument("unexpected argument '" + args[i] + "'");
    }
    if (parsed.name.empty())
        throw std::invalid_argument("a user name is required");
    return parsed;
}

std::string choosePassword(const UserArguments& arguments)
{
    return arguments.generate ? generatePassword() : readNewPassword();
}

void announceGenerated(const std::string& name, const std::string& password)
{
    std::cout << "Password for " << name << " (shown only now): " << password << std::endl;
}

void printUserHeader()
{
    std::cout << std::left << std::setw(6) << "ID" << std::setw(24) << "USERNAME" << std::setw(9)
              << "ROLE" << std::setw(7) << "SOURCE" << std::setw(10) << "STATE" << "DISPLAY NAME\n";
}

void printUserRow(long long id, const std::string& username, const std::string& role,
                  const std::string& source, bool disabled, const std::string& displayName)
{
    std::cout << std::left << std::setw(6) << id << std::setw(24) << username << std::setw(9) << role
              << std::setw(7) << source << std::setw(10) << (disabled ? "disabled" : "enabled")
              << displayName << "\n";
}

} // namespace parley::parleyctl
