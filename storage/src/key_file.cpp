#include <parley/storage/key_file.h>

#include <Poco/DigestEngine.h>

#include <openssl/rand.h>

#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace parley::storage {
namespace {

constexpr std::size_t kKeyBytes = 32;

std::string hexToBytes(const std::string& hex)
{
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

} // namespace

std::string loadKeyFile(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in)
        throw std::runtime_error("cannot read key file " + file.string());
    std::string hex;
    std::getline(in, hex);
    if (hex.size() != kKeyBytes * 2 ||
        hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        throw std::runtime_error("key file " + file.string() + " does not hold a " +
                                 std::to_string(kKeyBytes) + "-byte hex key; restore it from "
                                 "a backup (it is never regenerated over an existing file)");
    return hexToBytes(hex);
}

std::string loadOrCreateKeyFile(const std::filesystem::path& file)
{
    if (std::filesystem::exists(file))
        return loadKeyFile(file);
    std::vector<unsigned char> key(kKeyBytes);
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("the random generator failed");
    const auto hex = Poco::DigestEngine::digestToHex(key);
    // O_EXCL: if two processes race, one creates and the other reads what it wrote.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return loadKeyFile(file);
    const std::string line = hex + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                         ::fsync(fd) == 0;
    ::close(fd);
    if (!written)
        throw std::runtime_error("cannot write key file " + file.string());
    return std::string(key.begin(), key.end());
}

} // namespace parley::storage
