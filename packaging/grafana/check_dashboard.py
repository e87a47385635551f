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

The metric catalogue comes from the ocspcache binary itself
(--catalogue-from PATH runs `PATH --list-metrics`), so there is no list here
to keep in step with the daemon. By default the dashboard may name any
catalogued metric. With a live `/metrics` scrape (--url
http://127.0.0.1:9080/metrics) or a saved one (--metrics-file FILE) it may
name only what the scrape has, plus the catalogue's "planned" metrics
(exported once their feature exists: correct to chart, absent today) and
"when_configured" ones (exported when the instance uses the feature); every
family of the scrape must then be catalogued with the same type.

Usage:
  check_dashboard.py DASHBOARD.json --catalogue-from OCSPCACHE
                     [--url URL | --metrics-file FILE] [--promtool PATH]
Exit 0 when every check passes, 1 otherwise (each problem on stderr).
Python 3 standard library only.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

# One line of `ocspcache --list-metrics`: name, type, availability, labels
# (comma-separated), help. Availability "planned": named in the design, not
# exported by this build yet (absent from a scrape, yet correct to chart).
Metric = collections.namedtuple("Metric", "name kind availability labels help")
PLANNED = "planned"
# Exported only when its feature is configured (the Redis backend's
# families): a scrape of an instance without it lacks them, yet a
# dashboard for every deployment charts them.
WHEN_CONFIGURED = "when_configured"


def load_catalogue(binary):
    """{name: Metric} from `BINARY --list-metrics`; raises RuntimeError."""
    try:
        r = subprocess.run([binary, "--list-metrics"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"cannot run {binary} --list-metrics: {e}") from e
    if r.returncode != 0:
        raise RuntimeError(f"{binary} --list-metrics exited {r.returncode}: {r.stderr.strip()}")
    catalogue = {}
    for n, line in enumerate(r.stdout.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 5 or not fields[0]:
            raise RuntimeError(f"{binary} --list-metrics line {n} is not 5 tab-separated fields: {line!r}")
        name, kind, availability, labels, help_text = fields
        catalogue[name] = Metric(name, kind, availability,
                                 [l for l in labels.split(",") if l], help_text)
    if not catalogue:
        raise RuntimeError(f"{binary} --list-metrics printed no metrics")
    return catalogue


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


def families_from_exposition(text):
    """{family: type} of the # TYPE lines of a Prometheus text exposition."""
    families = {}
    for line in text.splitlines():
        m = re.match(r"\s*#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)", line)
        if m:
            families[m.group(1)] = m.group(2)
    return families


def names_from_exposition(text):
    """Metric names in Prometheus text format: TYPE families and sample names."""
    names = set()
    for family, kind in families_from_exposition(text).items():
        names |= sample_names(family, kind)
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
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
    ap.add_argument("--catalogue-from", required=True, metavar="OCSPCACHE",
                    help="the ocspcache binary whose --list-metrics is the catalogue")
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

    try:
        catalogue = load_catalogue(args.catalogue_from)
    except RuntimeError as e:
        print(f"check_dashboard: {e}", file=sys.stderr)
        return 1
    planned = {name for name, m in catalogue.items() if m.availability in (PLANNED, WHEN_CONFIGURED)}

    scrape = None
    if args.url:
        with urllib.request.urlopen(args.url, timeout=10) as r:
            scrape = r.read().decode("utf-8")
        source = f"scrape of {args.url}"
    elif args.metrics_file:
        with open(args.metrics_file, encoding="utf-8") as f:
            scrape = f.read()
        source = f"scrape in {args.metrics_file}"
    if scrape is None:
        known = set()
        for m in catalogue.values():
            known |= sample_names(m.name, m.kind)
        source = f"the catalogue of {args.catalogue_from}"
    else:
        known = names_from_exposition(scrape)
        if not known:
            errors.append(f"{source}: no metrics in it")
        for name in planned:
            known |= sample_names(name, catalogue[name].kind)
        for family, kind in sorted(families_from_exposition(scrape).items()):
            if family not in catalogue:
                errors.append(f"{source}: exports {family}, which is not in the catalogue")
            elif catalogue[family].kind != kind:
                errors.append(f"{source}: {family} is a {kind}, the catalogue says "
                              f"{catalogue[family].kind}")

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
    future = sorted(n for n in used if n in planned and scrape is not None)
    note = f"; not in this scrape (planned or not configured), accepted: {', '.join(future)}" if future else ""
    print(f"check_dashboard: {len(panels)} panels, {len(exprs)} expressions, "
          f"{len(used)} metrics, all exported per {source}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
