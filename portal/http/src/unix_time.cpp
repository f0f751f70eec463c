#include <parley/portal/http/unix_time.h>

#include <chrono>

namespace parley::portal {

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace parley::portal
