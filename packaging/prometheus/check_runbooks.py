#!/usr/bin/env python3
"""Cross-checks the alert rules, their runbooks and their promtool tests.

promtool checks the rules' syntax and runs the unit tests; it cannot see that
an alert lost its runbook, that a runbook quotes an expression the rule no
longer has, or that a new alert came without a test. This does, for
packaging/prometheus/ocspcache.rules.yml:

  * every alert has a `runbook` annotation docs/runbooks/<alert>.md, the file
    exists and has the Meaning, Impact, Diagnosis and Mitigation sections;
  * the runbook quotes the alert's expression as the rule has it;
  * tests/*.yml have, for every alert, a case where it fires and one where
    it does not;
  * with --catalogue-from OCSPCACHE, every metric a rule expression reads is
    in ocspcache's metric catalogue (`OCSPCACHE --list-metrics`; "planned"
    metrics count, recording rules of the file too), and every input series
    of tests/*.yml is a catalogued metric with the catalogue's label names
    (plus job and instance): a rule or a test over a misspelt metric would
    otherwise stay silent and pass.

Usage: check_runbooks.py [REPO_ROOT] [--catalogue-from OCSPCACHE]
       (REPO_ROOT defaults to two levels up from here)
Python 3 standard library only: the rules file is read line by line (the
subset of YAML it uses), not with a YAML library. The PromQL name scan and
the catalogue reader are packaging/grafana/check_dashboard.py's.
"""
import argparse
import glob
import importlib.util
import os
import re
import sys

SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")


def indent(line):
    return len(line) - len(line.lstrip(" "))


def parse_rules(path, kinds=("alert",)):
    """[(name, expr, runbook)] of the rules of `kinds` (alert, record) in a rule file."""
    lines = open(path, encoding="utf-8").read().splitlines()
    rules, cur = [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        m = re.match(r"- (alert|record): *(\S+)", s)
        if m:
            cur = {"kind": m.group(1), "name": m.group(2), "expr": "", "runbook": None}
            rules.append(cur)
        elif cur and s.startswith("expr:"):
            value = s[len("expr:"):].strip()
            if value in ("|", "|-", ">", ">-"):
                base, body = indent(line), []
                while i + 1 < len(lines) and (not lines[i + 1].strip() or indent(lines[i + 1]) > base):
                    i += 1
                    body.append(lines[i].strip())
                value = " ".join(body)
            cur["expr"] = " ".join(value.split())
        elif cur and s.startswith("runbook:"):
            cur["runbook"] = s[len("runbook:"):].strip()
        i += 1
    return [(r["name"], r["expr"], r["runbook"]) for r in rules if r["kind"] in kinds]


def test_cases(tests_dir):
    """{alert: (fires, stays_silent)} over every alert_rule_test in tests_dir."""
    seen = {}
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.yml"))):
        lines = open(path, encoding="utf-8").read().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\s*alertname: *(\S+)", line)
            if not m:
                continue
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            fires, silent = seen.get(m.group(1), (False, False))
            if nxt == "exp_alerts: []":
                silent = True
            elif nxt == "exp_alerts:":
                fires = True
            seen[m.group(1)] = (fires, silent)
    return seen


def input_series(tests_dir):
    """[(where, metric, label names)] of every input series in tests_dir."""
    out = []
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.yml"))):
        for n, line in enumerate(open(path, encoding="utf-8").read().splitlines(), 1):
            m = re.match(r"""\s*-?\s*series:\s*['"]?([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?""", line)
            if m:
                labels = re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=", m.group(2) or "")
                out.append((f"{os.path.basename(path)}:{n}", m.group(1), set(labels)))
    return out


def load_check_dashboard(root):
    """packaging/grafana/check_dashboard.py as a module (one PromQL scanner)."""
    path = os.path.join(root, "packaging", "grafana", "check_dashboard.py")
    spec = importlib.util.spec_from_file_location("check_dashboard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalogue_errors(root, rules_path, tests_dir, binary):
    """Rule expressions and test input series naming metrics not in the catalogue."""
    dash = load_check_dashboard(root)
    try:
        catalogue = dash.load_catalogue(binary)
    except RuntimeError as e:
        return [str(e)], 0
    recorded = {name for name, _, _ in parse_rules(rules_path, kinds=("record",))}
    known = set(recorded)
    for m in catalogue.values():
        known |= dash.sample_names(m.name, m.kind)
    errors, checked = [], set()
    for name, expr, _ in parse_rules(rules_path, kinds=("alert", "record")):
        for metric in sorted(dash.metric_names(expr)):
            checked.add(metric)
            if metric not in known:
                errors.append(f"{name}: reads {metric}, which is not in the metric catalogue")
    base = {}  # sample name -> its family (histograms' _bucket/_sum/_count)
    for m in catalogue.values():
        for sample in dash.sample_names(m.name, m.kind):
            base[sample] = m
    for where, metric, labels in input_series(tests_dir):
        if metric in recorded:
            continue
        if metric not in base:
            errors.append(f"{where}: input series {metric} is not in the metric catalogue")
            continue
        want = set(base[metric].labels) | {"job", "instance"}
        if metric.endswith("_bucket") and base[metric].kind == "histogram":
            want.add("le")
        extra = sorted(labels - want)
        if extra:
            errors.append(f"{where}: input series {metric} has label(s) {', '.join(extra)}; "
                          f"the catalogue has {', '.join(base[metric].labels) or 'none'}")
    return errors, len(checked)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--catalogue-from", metavar="OCSPCACHE",
                    help="also check rule metrics against OCSPCACHE --list-metrics")
    args = ap.parse_args()
    root = args.root
    rules_path = os.path.join(root, "packaging", "prometheus", "ocspcache.rules.yml")
    alerts = parse_rules(rules_path)
    cases = test_cases(os.path.join(root, "packaging", "prometheus", "tests"))
    errors = []
    if not alerts:
        errors.append(f"{rules_path}: no alerts found")
    for name, expr, runbook in alerts:
        want = f"docs/runbooks/{name}.md"
        if runbook != want:
            errors.append(f"{name}: runbook annotation is {runbook!r}, want {want!r}")
            continue
        path = os.path.join(root, runbook)
        if not os.path.isfile(path):
            errors.append(f"{name}: runbook {runbook} does not exist")
            continue
        text = open(path, encoding="utf-8").read()
        for section in SECTIONS:
            if not re.search("^" + re.escape(section) + "$", text, re.M):
                errors.append(f"{name}: {runbook} has no '{section}' section")
        if expr not in " ".join(text.split()):
            errors.append(f"{name}: {runbook} does not quote the rule's expression: {expr}")
        fires, silent = cases.get(name, (False, False))
        if not fires:
            errors.append(f"{name}: no promtool test case where it fires")
        if not silent:
            errors.append(f"{name}: no promtool test case where it stays silent")
    metrics_note = "; metric names not checked (no --catalogue-from)"
    if args.catalogue_from:
        more, checked = catalogue_errors(root, rules_path,
                                         os.path.join(root, "packaging", "prometheus", "tests"),
                                         args.catalogue_from)
        errors += more
        metrics_note = f"; the {checked} metrics the rules read and the tests' input series are catalogued"
    for e in errors:
        print("check_runbooks: " + e, file=sys.stderr)
    if errors:
        return 1
    print(f"check_runbooks: {len(alerts)} alerts, each with its runbook and firing/silent tests"
          + metrics_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
