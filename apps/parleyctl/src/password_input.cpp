#include "password_input.h"

#include <openssl/rand.h>

#include <iostream>
#include <stdexcept>
#include <termios.h>
#include <unistd.h>

namespace parley::parleyctl {
namespace {

/// Turns terminal echo off for its lifetime.
class HiddenInput
{
public:
    HiddenInput()
    {
        if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
            active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~HiddenInput()
    {
        if (active_)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
    HiddenInput(const HiddenInput&) = delete;
    HiddenInput& operator=(const HiddenInput&) = delete;

private:
    termios saved_{};
    bool active_ = false;
};

std::string prompt(const std::string& text)
{
    std::cerr << text << std::flush;
    std::string line;
    {
        HiddenInput hidden;
        std::getline(std::cin, line);
    }
    std::cerr << std::endl;
    return line;
}

} // namespace

std::string readNewPassword()
{
    std::string password;
    if (::isatty(STDIN_FILENO)) {
        password = prompt("New password: ");
        if (prompt("Repeat it: ") != password)
            throw std::runtime_error("the two passwords differ; nothing was changed");
    }
    else {
        std::getline(std::cin, password);
    }
    if (password.empty())
        throw std::runtime_error("no password given; nothing was changed");
    return password;
}

std::string readPassword(const std::string& text)
{
    if (::isatty(STDIN_FILENO))
        return prompt(text);
    std::string password;
    std::getline(std::cin, password);
    return password;
}

std::string generatePassword()
{
    static constexpr char kAlphabet[] =
        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_";
    constexpr unsigned kSize = sizeof kAlphabet - 1; // 58
    std::string password;
    while (password.size() < 24) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1)
            throw std::runtime_error("the random generator failed");
        if (byte < 256 - 256 % kSize) // rejection sampling keeps the choice uniform
            password += kAlphabet[byte % kSize];
    }
    return password;
}

} // namespace parley::parleyctl
