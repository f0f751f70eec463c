#pragma once

#include <Poco/Net/HTTPServerRequest.h>

#include <optional>
#include <string>
#include <string_view>

namespace parley::portal {

/// Where people reach the server, as the origin absolute links start with
/// ("https://meet.example.org", "https://10.0.0.5:8443"): lower case, no trailing slash,
/// no port when it is 443.
///
/// Links put into invitations and calendar files leave the server: a link built from an
/// unchecked Host header could carry a path, userinfo or line breaks into them, so every
/// source of an origin is checked here.

/// The origin of a `server.public_url` value: `https://` then a host (DNS name, IPv4
/// address or bracketed IPv6 address) and an optional port, with at most a trailing `/`.
/// nullopt for anything else (another scheme, a path, a query, userinfo, a bad port).
std::optional<std::string> publicUrlOrigin(std::string_view url);

/// The host[:port] of a Host header value, lower-cased, when it is exactly that (a DNS
/// name, IPv4 address or bracketed IPv6 address, and a port of 1 to 65535); nullopt for
/// anything else (a path, userinfo, spaces, an empty host, more than 255 characters).
std::optional<std::string> plainHost(std::string_view hostHeader);

/// The origin for absolute links in the answer to `request`: `configured` (an origin made
/// by publicUrlOrigin) when not empty, else `https://` and the request's Host header when
/// plainHost accepts it, else the local address and port the request arrived on.
std::string publicOrigin(const std::string& configured, const Poco::Net::HTTPServerRequest& request);

/// The host of an origin made by this file: no scheme, no port (an IPv6 address keeps
/// its brackets).
std::string originHost(std::string_view origin);

} // namespace parley::portal
