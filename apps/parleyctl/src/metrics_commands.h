#pragma once

#include "offline_context.h"

#include <string>
#include <vector>

namespace parley::parleyctl {

/// `metrics create-token`: makes the bearer token a Prometheus scraper presents at
/// `/metrics`, prints it once and stores only its SHA-256 (replacing the previous token,
/// which stops working at once). Audited as `metrics.token_create`.
int createMetricsToken(OfflineContext& context);

/// `metrics revoke-token`: forgets the token; `/metrics` then answers nobody. Exit 1 when
/// there was none. Audited as `metrics.token_revoke`.
int revokeMetricsToken(OfflineContext& context);

} // namespace parley::parleyctl
