#include "composition_error.h"

#include "fd_io_context.h"

#include <stdexcept>

namespace parley::recorder {

void failComposition(const std::string& what, int error)
{
    throw std::runtime_error("cannot compose the recording: " + what +
                             (error ? " (" + describeAvError(error) + ")" : std::string()));
}

} // namespace parley::recorder
