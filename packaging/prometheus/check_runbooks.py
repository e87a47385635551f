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
    it does not.

Usage: check_runbooks.py [REPO_ROOT]   (default: two levels up from here)
Python 3 standard library only: the rules file is read line by line (the
subset of YAML it uses), not with a YAML library.
"""
import glob
import os
import re
import sys

SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")


def indent(line):
    return len(line) - len(line.lstrip(" "))


def parse_rules(path):
    """[(alert, expr, runbook)] from a Prometheus rule file."""
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
    return [(r["name"], r["expr"], r["runbook"]) for r in rules if r["kind"] == "alert"]


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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(here))
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
    for e in errors:
        print("check_runbooks: " + e, file=sys.stderr)
    if errors:
        return 1
    print(f"check_runbooks: {len(alerts)} alerts, each with its runbook and firing/silent tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
