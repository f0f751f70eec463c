#include "volume_fixture.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <iterator>

namespace parley::test {

volume::LuksContainer VolumeFixture::create(const std::string& passphrase, std::uint32_t sectorSize)
{
    volume::ContainerOptions options;
    options.sizeBytes = 48ull * 1024 * 1024;
    options.sectorSize = sectorSize;
    options.kdf = {32, 4, 1};
    return manager.create(passphrase, options);
}

VolumeFixture::~VolumeFixture()
{
    try {
        if (std::filesystem::exists(manager.location().container))
            manager.lock();
    }
    catch (const std::exception&) {
        // The test already failed on whatever left the volume in this state.
    }
}

void stockLuksFormat(const std::filesystem::path& file, int sizeMiB, const std::string& passphrase,
                     const std::string& extraOptions)
{
    const std::string command = "truncate -s " + std::to_string(sizeMiB) + "M " + file.string() +
                                " && printf '%s' '" + passphrase +
                                "' | cryptsetup luksFormat --type luks2 --pbkdf argon2id --pbkdf-memory 32 "
                                "--pbkdf-force-iterations 4 --pbkdf-parallel 1 --batch-mode " +
                                extraOptions + " " + file.string() + " -";
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("cryptsetup luksFormat failed: " + command);
}

std::string readBytes(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool fileContains(const std::filesystem::path& file, const std::string& needle)
{
    std::ifstream in(file, std::ios::binary);
    std::string window;
    std::string chunk(1 << 20, '\0');
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        window += chunk.substr(0, static_cast<std::size_t>(in.gcount()));
        if (window.find(needle) != std::string::npos)
            return true;
        window.erase(0, window.size() > needle.size() ? window.size() - needle.size() : 0);
    }
    return false;
}

std::string patternBytes(std::size_t size, unsigned seed)
{
    std::string out;
    out.reserve(size + 32);
    std::uint64_t counter = seed * 1000003ull;
    while (out.size() < size) {
        unsigned char digest[32];
        unsigned int length = 0;
        EVP_Digest(&counter, sizeof counter, digest, &length, EVP_sha256(), nullptr);
        out.append(reinterpret_cast<const char*>(digest), length);
        ++counter;
    }
    out.resize(size);
    return out;
}

} // namespace parley::test
