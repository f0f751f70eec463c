#pragma once

#include <parley/router/media_router.h>

#include <string>

namespace parley::router {

/// The address the router puts in its candidates: the configured one, else the listening
/// address when it names one, else (wildcard) the host's primary IPv4 address, the one its
/// default route leaves from, or 127.0.0.1 when it has none.
std::string announcedAddressFor(const RouterSettings& settings);

} // namespace parley::router
