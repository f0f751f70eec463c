#pragma once

#include "admin_overview_handler.h"

#include <parley/portal/http/api_handler.h>

namespace parley::portal {

class MetricCounter;
class MetricsRegistry;
class SignalingHub;
class SipEndpointService;

/// What `/metrics` reads: the overview's sources (so the two agree), the signaling hub and
/// the registry the parts count into.
struct MetricsSources
{
    OverviewSources& overview;
    SignalingHub& signaling;
    MetricsRegistry& registry;
    MetricCounter& refusals; ///< parley_metrics_refusals_total{reason}
    SipEndpointService& sip;
};

/// Registers the collectors that read the server's state at each scrape: build, meetings,
/// the media router's counters and load, recordings by state, the volume, the certificate,
/// the directory, the backups, signaling connections and SIP (docs/operations.md lists every
/// series). Only
/// counts, states and times: no name, address, title, meeting ID, link or participant id.
void addServerCollectors(MetricsSources& sources);

/// `GET /metrics`: the registry in the Prometheus text format, for a scraper presenting
/// `Authorization: Bearer <token>` with the token `parleyctl metrics create-token` made (only
/// its SHA-256 is stored, compared in constant time). No session cookie, role or address
/// stands in for the token: without a token stored nobody is answered. A missing or wrong
/// token gets 401 with `WWW-Authenticate: Bearer`, is counted by reason and audited
/// (`access.denied`, folded like any repeated event).
class MetricsHandler : public ApiHandler
{
public:
    MetricsHandler(const HandlerContext& context, MetricsSources& sources) : ApiHandler(context), sources_(sources) {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    MetricsSources& sources_;
};

} // namespace parley::portal
