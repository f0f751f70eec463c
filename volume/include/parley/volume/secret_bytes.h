#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace parley::volume {

/// Bytes of key material (a volume key, a passphrase read from a file). The buffer is locked
/// into memory where the system allows it, so it is not written to swap, and overwritten
/// before it is released. Moving transfers ownership; copies are not allowed, so the key
/// exists in exactly the places the code puts it.
class SecretBytes
{
public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t size);
    SecretBytes(const void* data, std::size_t size);
    ~SecretBytes();
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;

    std::uint8_t* data() { return bytes_.data(); }
    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }
    std::span<const std::uint8_t> view() const { return bytes_; }
    const char* chars() const { return reinterpret_cast<const char*>(bytes_.data()); }

    /// Shrinks to `size` bytes (never grows), wiping what is cut off.
    void truncate(std::size_t size);

private:
    void release();

    std::vector<std::uint8_t> bytes_;
};

} // namespace parley::volume
