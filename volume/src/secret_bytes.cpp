#include <parley/volume/secret_bytes.h>

#include <openssl/crypto.h>

#include <cstring>
#include <sys/mman.h>
#include <utility>

namespace parley::volume {

SecretBytes::SecretBytes(std::size_t size)
    : bytes_(size)
{
    // Failing to lock (RLIMIT_MEMLOCK for unprivileged users) is not fatal: the key is still
    // wiped on release, it may only reach swap.
    if (!bytes_.empty())
        ::mlock(bytes_.data(), bytes_.size());
}

SecretBytes::SecretBytes(const void* data, std::size_t size)
    : SecretBytes(size)
{
    if (size > 0)
        std::memcpy(bytes_.data(), data, size);
}

SecretBytes::~SecretBytes()
{
    release();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : bytes_(std::exchange(other.bytes_, {}))
{
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept
{
    if (this != &other) {
        release();
        bytes_ = std::exchange(other.bytes_, {});
    }
    return *this;
}

void SecretBytes::truncate(std::size_t size)
{
    if (size >= bytes_.size())
        return;
    OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
    // resize() to a smaller size never reallocates, so no copy of the key is left behind.
    bytes_.resize(size);
}

void SecretBytes::release()
{
    if (bytes_.empty())
        return;
    OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
    ::munlock(bytes_.data(), bytes_.capacity());
    bytes_.clear();
    bytes_.shrink_to_fit();
}

} // namespace parley::volume
