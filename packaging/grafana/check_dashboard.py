#!/usr/bin/env python3
"""Checks the ocspcache Grafana dashboard against the metrics ocspcache exports.

A dashboard panel whose query names a metric the daemon does not export shows
"No data" forever and nobody notices; this catches it, and a few structural
mistakes, without Grafana:

  * the JSON parses; panel ids are unique; every panel (rows' nested panels
    too) has targets with an `expr` and distinct refIds;
  * a `datasource` template variable of type datasource (Prometheus) exists
    and every panel and target uses it (no hard-wired data source uid);
  * every metric name in every target expression and query variable is one
    ocspcache exports;
  * with --promtool, every expression parses as PromQL (each is wrapped in a
    throw-away recording rule and given to `promtool check rules`, Grafana's
    $variables replaced by plausible values first).

The exported metric list comes, in order of preference, from a live
`/metrics` scrape (--url http://127.0.0.1:9080/metrics), from a saved scrape
(--metrics-file FILE), or from CATALOGUE below (DESIGN.md's metric list). A
real scrape only has families the running build exports; metrics exported
only once a feature exists (CONDITIONAL) are accepted anyway and listed.

Usage:
  check_dashboard.py DASHBOARD.json [--url URL | --metrics-file FILE] [--promtool PATH]
Exit 0 when every check passes, 1 otherwise (each problem on stderr).
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

# DESIGN.md "Metrics" plus what the daemon already exports beside them.
# name -> type; histograms also expose _bucket, _sum and _count samples.
CATALOGUE = {
    "ssl_ocsp_response_status": "gauge",
    "ssl_ocsp_response_next_update": "gauge",
    "ssl_ocsp_response_this_update": "gauge",
    "ssl_ocsp_response_produced_at": "gauge",
    "ssl_ocsp_response_revoked_at": "gauge",
    "ocspcache_requests_total": "counter",
    "ocspcache_request_duration_seconds": "histogram",
    "ocspcache_upstream_requests_total": "counter",
    "ocspcache_upstream_duration_seconds": "histogram",
    "ocspcache_cache_entries": "gauge",
    "ocspcache_cache_bytes": "gauge",
    "ocspcache_cache_evictions_total": "counter",
    "ocspcache_connections_accepted_total": "counter",
    "ocspcache_connections_rejected_total": "counter",
    "ocspcache_connections_open": "gauge",
    "ocspcache_responder_up": "gauge",
    "ocspcache_refresh_lag_seconds": "gauge",
    "ocspcache_redis_up": "gauge",
    "ocspcache_cert_series_dropped_total": "counter",
    "ocspcache_build_info": "gauge",
}
# Exported only once their feature exists (refresh ahead, Redis backend):
# absent from today's scrape, yet correct to chart.
CONDITIONAL = {"ocspcache_refresh_lag_seconds", "ocspcache_redis_up"}

PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "atan2", "start", "end",
}
# Grafana variables replaced before parsing, with values of the right shape.
VARIABLE_VALUES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}


def sample_names(family, kind):
    if kind == "histogram":
        return {family, family + "_bucket", family + "_sum", family + "_count"}
    if kind == "summary":
        return {family, family + "_sum", family + "_count"}
    return {family}


def names_from_exposition(text):
    """Metric names in Prometheus text format: TYPE families and sample names."""
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)", line)
            if m:
                names |= sample_names(m.group(1), m.group(2))
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if m:
            names.add(m.group(1))
    return names


def substitute_variables(expr):
    def value(m):
        name = m.group(1) or m.group(2)
        return VARIABLE_VALUES.get(name, ".*")
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def metric_names(expr):
    """Metric names an expression selects (heuristic PromQL scan)."""
    e = substitute_variables(expr)
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', e)  # strings
    e = re.sub(r"\{[^}]*\}", " ", e)       # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)      # ranges and subqueries
    # label lists of by/without/on/ignoring/group_left/group_right
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_KEYWORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]|e\d*", word):  # durations like offset 5m
            continue
        names.add(word)
    return names


def variable_query_names(query):
    """Metric names in a Grafana Prometheus variable query."""
    m = re.match(r"\s*label_values\s*\((.*),\s*\w+\s*\)\s*$", query)
    if m:
        return metric_names(m.group(1))
    m = re.match(r"\s*(?:label_names|metrics)\s*\((.*)\)\s*$", query)
    if m:
        return metric_names(m.group(1)) if m.group(1).strip() else set()
    m = re.match(r"\s*query_result\s*\((.*)\)\s*$", query)
    return metric_names(m.group(1) if m else query)


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def uses_variable(ds, var):
    if isinstance(ds, dict):
        ds = ds.get("uid", "")
    return ds in ("$" + var, "${" + var + "}")


def promtool_errors(promtool, exprs):
    """PromQL syntax errors, via promtool check rules on throw-away rules."""
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for i, (_, expr) in enumerate(exprs):
        lines.append(f"      - record: dashboard:expr_{i}")
        lines.append("        expr: " + json.dumps(substitute_variables(expr)))
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    except OSError as e:
        return [f"cannot run promtool ({e}): install Debian's prometheus package"]
    finally:
        os.unlink(path)
    if r.returncode == 0:
        return []
    out = (r.stdout + r.stderr).strip()
    errors = []
    for i, (where, _) in enumerate(exprs):
        if f"dashboard:expr_{i}\"" in out or f"dashboard:expr_{i} " in out or \
                re.search(rf"\bexpr_{i}\b", out):
            errors.append(f"{where}: not valid PromQL")
    return errors or ["promtool check rules failed:\n" + out]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dashboard")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--url", help="scrape this /metrics URL for the exported names")
    src.add_argument("--metrics-file", help="a saved /metrics scrape")
    ap.add_argument("--promtool", help="also check every expression parses (promtool path)")
    args = ap.parse_args()

    errors = []
    try:
        with open(args.dashboard, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_dashboard: {args.dashboard}: {e}", file=sys.stderr)
        return 1

    if args.url:
        with urllib.request.urlopen(args.url, timeout=10) as r:
            known = names_from_exposition(r.read().decode("utf-8"))
        source = f"scrape of {args.url}"
    elif args.metrics_file:
        with open(args.metrics_file, encoding="utf-8") as f:
            known = names_from_exposition(f.read())
        source = f"scrape in {args.metrics_file}"
    else:
        known = set()
        for name, kind in CATALOGUE.items():
            known |= sample_names(name, kind)
        source = "the built-in catalogue (DESIGN.md)"
    if args.url or args.metrics_file:
        if not known:
            errors.append(f"{source}: no metrics in it")
        for name in CONDITIONAL:
            known |= sample_names(name, CATALOGUE[name])

    variables = dash.get("templating", {}).get("list", [])
    ds_vars = [v for v in variables if v.get("type") == "datasource"]
    if not ds_vars:
        errors.append("templating: no datasource variable")
    elif ds_vars[0].get("query") != "prometheus":
        errors.append(f"templating: datasource variable {ds_vars[0].get('name')} is not of type prometheus")
    ds_var = ds_vars[0]["name"] if ds_vars else "datasource"

    exprs = []  # (where, expr)
    used = {}   # metric -> first place it is used
    for v in variables:
        if v.get("type") != "query":
            continue
        where = f"variable {v.get('name')}"
        if not uses_variable(v.get("datasource"), ds_var):
            errors.append(f"{where}: data source is not ${ds_var}")
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        for name in variable_query_names(q):
            used.setdefault(name, where)

    ids = set()
    panels = list(all_panels(dash.get("panels", [])))
    if not [p for p in panels if p.get("type") != "row"]:
        errors.append("dashboard has no panels")
    for p in panels:
        where = f"panel {p.get('id')} \"{p.get('title', '')}\""
        if p.get("id") in ids:
            errors.append(f"{where}: duplicate panel id")
        ids.add(p.get("id"))
        if p.get("type") == "row":
            continue
        if not uses_variable(p.get("datasource"), ds_var):
            errors.append(f"{where}: data source is not ${ds_var}")
        targets = p.get("targets") or []
        if not targets:
            errors.append(f"{where}: no targets")
        refs = set()
        for t in targets:
            twhere = f"{where} target {t.get('refId')}"
            if t.get("refId") in refs or not t.get("refId"):
                errors.append(f"{twhere}: missing or duplicate refId")
            refs.add(t.get("refId"))
            if "datasource" in t and not uses_variable(t["datasource"], ds_var):
                errors.append(f"{twhere}: data source is not ${ds_var}")
            expr = (t.get("expr") or "").strip()
            if not expr:
                errors.append(f"{twhere}: empty expr")
                continue
            exprs.append((twhere, expr))
            for name in metric_names(expr):
                used.setdefault(name, twhere)

    for name, where in sorted(used.items(), key=lambda kv: kv[1]):
        if name not in known:
            errors.append(f"{where}: metric {name} is not exported (per {source})")

    if args.promtool:
        errors += promtool_errors(args.promtool, exprs)

    for e in errors:
        print("check_dashboard: " + e, file=sys.stderr)
    if errors:
        return 1
    future = sorted(n for n in used if n in CONDITIONAL and (args.url or args.metrics_file))
    note = f"; not in this build yet, accepted: {', '.join(future)}" if future else ""
    print(f"check_dashboard: {len(panels)} panels, {len(exprs)} expressions, "
          f"{len(used)} metrics, all exported per {source}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
