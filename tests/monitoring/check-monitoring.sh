#!/bin/sh
# The example monitoring files in installer/monitoring/ with Debian's promtool (package
# prometheus, installed by installer/bootstrap.sh): the alert rules parse and their unit tests
# pass (the volume-locked alert fires after 2 minutes, and so on), the scrape configuration
# is valid once its files exist, and every query of the Grafana dashboard parses as PromQL.
set -eu
source_dir=$1
monitoring=$source_dir/installer/monitoring
if ! command -v promtool >/dev/null; then
    echo "promtool is missing: apt-get install prometheus (installer/bootstrap.sh does)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$monitoring/parley-alerts.yml"
(cd "$monitoring" && promtool test rules parley-alerts.test.yml)

# The configuration names files on the Prometheus host; point them at stand-ins.
cp "$monitoring/parley-alerts.yml" "$work/"
echo token > "$work/token"
sed -e "s|/etc/prometheus/parley-alerts.yml|$work/parley-alerts.yml|" \
    -e "s|/etc/prometheus/parley-metrics.token|$work/token|" \
    -e "s|/etc/prometheus/parley-ca.pem|$work/token|" \
    "$monitoring/prometheus.yml" > "$work/prometheus.yml"
promtool check config "$work/prometheus.yml"

# Each dashboard query as a recording rule, so promtool parses it (the $instance variable
# becomes a regular expression that matches anything).
python3 - "$monitoring/grafana-dashboard.json" "$work/dashboard-rules.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
rules = []
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        rules.append({"record": "dashboard:panel%d:%s" % (panel["id"], target["refId"]),
                      "expr": target["expr"].replace("$instance", ".*")})
if not rules:
    sys.exit("the dashboard has no queries")
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
PY
promtool check rules "$work/dashboard-rules.yml"
