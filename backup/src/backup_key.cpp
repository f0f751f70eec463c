#include <parley/backup/backup_key.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::backup {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string toHex(const unsigned char* data, std::size_t size)
{
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHex[data[i] >> 4]);
        out.push_back(kHex[data[i] & 0xf]);
    }
    return out;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// Closes a descriptor when it goes out of scope.
struct FileDescriptor
{
    int fd;
    ~FileDescriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

} // namespace

BackupKey::~BackupKey()
{
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string BackupKey::id() const
{
    static constexpr char kLabel[] = "parley backup key id";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    const bool ok = context && EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(context, kLabel, sizeof kLabel - 1) == 1 &&
                    EVP_DigestUpdate(context, bytes_.data(), bytes_.size()) == 1 &&
                    EVP_DigestFinal_ex(context, digest, &length) == 1;
    EVP_MD_CTX_free(context);
    if (!ok)
        throw std::runtime_error("SHA-256 failed");
    return toHex(digest, 8);
}

void createBackupKeyFile(const std::filesystem::path& file)
{
    std::array<unsigned char, BackupKey::kBytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the random generator failed");
    const std::string line = toHex(bytes.data(), bytes.size()) + "\n";
    OPENSSL_cleanse(bytes.data(), bytes.size());
    FileDescriptor out{::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400)};
    if (out.fd < 0) {
        if (errno == EEXIST)
            throw std::runtime_error("key file " + file.string() +
                                     " already exists; it is never overwritten (every backup made with it "
                                     "would become unreadable); choose another name");
        throw std::runtime_error("cannot create key file " + file.string() + ": " + std::strerror(errno));
    }
    // O_CREAT's mode is filtered by the umask; 0400 is what the key must have whatever it is.
    const bool written = ::fchmod(out.fd, 0400) == 0 &&
                         ::write(out.fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                         ::fsync(out.fd) == 0;
    if (!written) {
        const std::string reason = std::strerror(errno);
        ::unlink(file.c_str());
        throw std::runtime_error("cannot write key file " + file.string() + ": " + reason);
    }
}

BackupKey readBackupKeyFile(const std::filesystem::path& file)
{
    FileDescriptor in{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (in.fd < 0)
        throw std::runtime_error("cannot open backup key file " + file.string() + ": " + std::strerror(errno) +
                                 " (make one with `parleyctl backup create-key FILE`)");
    struct stat status{};
    if (::fstat(in.fd, &status) != 0 || !S_ISREG(status.st_mode) || status.st_uid != ::geteuid() ||
        (status.st_mode & 077) != 0) {
        std::ostringstream mode;
        mode << std::oct << (status.st_mode & 0777);
        throw std::runtime_error("backup key file " + file.string() + " must be a regular file owned by " +
                                 (::geteuid() == 0 ? std::string("root") : "uid " + std::to_string(::geteuid())) +
                                 " with mode 0400 or 0600 (it has owner " + std::to_string(status.st_uid) +
                                 ", mode 0" + mode.str() + ")");
    }
    char text[80] = {};
    const ssize_t got = ::read(in.fd, text, sizeof text);
    std::size_t length = got > 0 ? static_cast<std::size_t>(got) : 0;
    while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r'))
        --length;
    std::array<unsigned char, BackupKey::kBytes> bytes{};
    bool valid = length == BackupKey::kBytes * 2;
    for (std::size_t i = 0; valid && i < BackupKey::kBytes; ++i) {
        const int high = hexValue(text[2 * i]);
        const int low = hexValue(text[2 * i + 1]);
        valid = high >= 0 && low >= 0;
        bytes[i] = static_cast<unsigned char>(high * 16 + low);
    }
    OPENSSL_cleanse(text, sizeof text);
    if (!valid)
        throw std::runtime_error("backup key file " + file.string() + " does not hold a 64-hex-digit key");
    BackupKey key(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

} // namespace parley::backup
