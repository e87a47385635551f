#!/usr/bin/env python3
"""Checks ocspcache's module layering against what CMake links.

Each module (util, config, ocsp, cache, upstream, metrics, http, admin, app)
is a static library whose public headers live in include/ocspcache/<module>/
and whose sources and private headers live in src/<module>/. CMakeLists.txt
declares which modules each one links (the allowed directions) and writes
them, with each module's source list, to <build>/modules.txt. This script
fails (exit 1, each problem on stderr) when:

  * a file of module M includes "ocspcache/X/..." for an X that is neither M
    nor linked by M (a wrong direction, or a new one nobody declared);
  * a file includes a private header ("name.h") that is not in its own
    module's src/ folder, or any other quoted path;
  * include/ocspcache/ holds a header outside a module folder, or a folder
    that is not a module;
  * src/<module>/ holds a .cc that the module's CMake source list lacks
    (it would silently not be built), or a module has no src/ folder;
  * the module graph has a cycle;
  * the module graph in docs/architecture.md (between the BEGIN/END MODULE
    GRAPH markers) differs from the one rendered from modules.txt; with
    --update the document is rewritten instead.

Usage:
  check_layers.py SOURCE_DIR MODULES_TXT [--update]
  check_layers.py --self-test
Python 3 standard library only.
"""
import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
BEGIN = "<!-- BEGIN MODULE GRAPH -->\n"
END = "<!-- END MODULE GRAPH -->\n"


def read_modules(path):
    """modules.txt -> ({module: [deps]}, {module: set(sources)}), in file order."""
    deps, sources = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            name, _, rest = line.partition(":")
            items = rest.split()
            if name.endswith(".sources"):
                sources.setdefault(name[: -len(".sources")], set()).update(items)
            else:
                deps[name] = items
    return deps, sources


def find_cycle(deps):
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return None
        if state.get(m) == "active":
            return path[path.index(m):] + [m]
        state[m] = "active"
        for d in deps.get(m, []):
            cycle = visit(d, path + [m])
            if cycle:
                return cycle
        state[m] = "done"
        return None

    for m in deps:
        cycle = visit(m, [])
        if cycle:
            return cycle
    return None


def module_files(src, module):
    for base in (os.path.join(src, "src", module), os.path.join(src, "include", "ocspcache", module)):
        if not os.path.isdir(base):
            continue
        for root, _, files in os.walk(base):
            for name in sorted(files):
                if name.endswith((".h", ".cc")):
                    yield os.path.join(root, name)


def render_graph(deps):
    lines = ["```mermaid", "graph BT"]
    for m, ds in deps.items():
        if not ds:
            lines.append(f"  {m}")
        for d in ds:
            lines.append(f"  {m} --> {d}")
    lines.append("```")
    return (
        "<!-- Rendered from build/modules.txt (what CMakeLists.txt links) by\n"
        "     scripts/check_layers.py --update; the `layers` test keeps it current. -->\n"
        + "\n".join(lines)
        + "\n"
    )


def check(src, modules_txt, update=False):
    problems = []
    deps, sources = read_modules(modules_txt)
    modules = set(deps)
    for m, ds in deps.items():
        for d in ds:
            if d not in modules:
                problems.append(f"CMake: module {m} links unknown module {d}")
    cycle = find_cycle(deps)
    if cycle:
        problems.append("module graph has a cycle: " + " -> ".join(cycle))

    inc_root = os.path.join(src, "include", "ocspcache")
    if os.path.isdir(inc_root):
        for name in sorted(os.listdir(inc_root)):
            path = os.path.join(inc_root, name)
            if os.path.isfile(path):
                problems.append(f"include/ocspcache/{name}: a header outside any module folder")
            elif name not in modules:
                problems.append(f"include/ocspcache/{name}/: not a module (CMakeLists.txt)")

    for m in deps:
        src_dir = os.path.join(src, "src", m)
        if not os.path.isdir(src_dir):
            problems.append(f"src/{m}/: missing")
            continue
        private = {n for n in os.listdir(src_dir) if n.endswith(".h")}
        for name in sorted(os.listdir(src_dir)):
            if name.endswith(".cc") and name not in sources.get(m, set()):
                problems.append(f"src/{m}/{name}: not in module {m}'s source list in CMakeLists.txt")
        allowed = {m, *deps[m]}
        for path in module_files(src, m):
            rel = os.path.relpath(path, src)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for inc in INCLUDE_RE.findall(text):
                parts = inc.split("/")
                if len(parts) >= 3 and parts[0] == "ocspcache":
                    if parts[1] not in modules:
                        problems.append(f"{rel}: includes {inc}: {parts[1]} is not a module")
                    elif parts[1] not in allowed:
                        problems.append(
                            f"{rel}: includes {inc}: module {m} may use only "
                            f"{', '.join(sorted(allowed))} (CMakeLists.txt), not {parts[1]}")
                elif len(parts) == 1:
                    if inc not in private:
                        problems.append(f"{rel}: includes \"{inc}\", not a private header of src/{m}/")
                else:
                    problems.append(f"{rel}: includes \"{inc}\": use \"ocspcache/<module>/...\"")

    doc = os.path.join(src, "docs", "architecture.md")
    want = render_graph(deps)
    try:
        with open(doc) as f:
            text = f.read()
    except OSError as e:
        problems.append(f"docs/architecture.md: {e}")
        text = None
    if text is not None:
        b, e = text.find(BEGIN), text.find(END)
        if b < 0 or e < 0 or e < b:
            problems.append("docs/architecture.md: lacks the BEGIN/END MODULE GRAPH markers")
        else:
            have = text[b + len(BEGIN):e]
            if have != want:
                if update:
                    with open(doc, "w") as f:
                        f.write(text[: b + len(BEGIN)] + want + text[e:])
                else:
                    problems.append(
                        "docs/architecture.md: the module graph differs from what CMake links; run\n"
                        "  scripts/check_layers.py . build/<dir>/modules.txt --update")
    return problems


def self_test():
    """The checker catches each kind of mistake it claims to (and passes a clean tree)."""
    def tree(files, modules_txt):
        d = tempfile.mkdtemp(prefix="layers-")
        for rel, content in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(content)
        mt = os.path.join(d, "modules.txt")
        with open(mt, "w") as f:
            f.write(modules_txt)
        return d, mt

    base_modules = "util: \nutil.sources: a.cc\ncache: util\ncache.sources: b.cc\nmetrics: cache util\nmetrics.sources: c.cc\n"
    graph = render_graph({"util": [], "cache": ["util"], "metrics": ["cache", "util"]})
    clean = {
        "src/util/a.cc": '#include "ocspcache/util/a.h"\n',
        "include/ocspcache/util/a.h": "",
        "src/cache/b.cc": '#include "ocspcache/util/a.h"\n#include "priv.h"\n',
        "src/cache/priv.h": "",
        "src/metrics/c.cc": '#include "ocspcache/cache/b.h"\n',
        "include/ocspcache/cache/b.h": "",
        "docs/architecture.md": "x\n" + BEGIN + graph + END,
    }
    cases = [
        ("clean tree", {}, base_modules, None),
        ("cache includes metrics", {"src/cache/b.cc": '#include "ocspcache/metrics/m.h"\n'},
         base_modules, "module cache may use only"),
        ("another module's private header", {"src/metrics/c.cc": '#include "priv.h"\n'},
         base_modules, "not a private header"),
        ("unlisted source", {"src/cache/extra.cc": ""}, base_modules, "not in module cache's source list"),
        ("flat header", {"include/ocspcache/flat.h": ""}, base_modules, "outside any module folder"),
        ("cycle", {}, base_modules.replace("util: \n", "util: metrics\n"), "cycle"),
        ("stale diagram", {"docs/architecture.md": BEGIN + "old\n" + END}, base_modules, "differs"),
    ]
    failed = 0
    for name, changes, mt_text, expect in cases:
        d, mt = tree({**clean, **changes}, mt_text)
        problems = check(d, mt)
        ok = (not problems) if expect is None else any(expect in p for p in problems)
        if not ok:
            failed += 1
            print(f"self-test '{name}': expected {expect or 'no problem'}, got {problems}", file=sys.stderr)
    print(f"check_layers self-test: {len(cases) - failed} of {len(cases)} cases as expected")
    return 1 if failed else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    args = [a for a in argv[1:] if a != "--update"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(args[0], args[1], update="--update" in argv)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("layers: every include follows the module graph CMake links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
