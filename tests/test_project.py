"""The project's own promises: the version floors CI tests are the ones it claims."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def version(text):
    """"1.6" and "1.6.0" alike."""
    parts = [int(p) for p in text.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_ci_floors_are_the_floors_pyproject_claims():
    block = re.search(r"^dependencies = \[(.*?)^\]", read("pyproject.toml"), re.S | re.M).group(1)
    claimed = dict(re.findall(r'"([A-Za-z0-9_-]+)>=([0-9.]+)"', block))
    pinned = dict(re.findall(r"^([A-Za-z0-9_-]+)==([0-9.]+)$", read(".ci", "floors.txt"), re.M))
    assert {k: version(v) for k, v in claimed.items()} == {k: version(v) for k, v in pinned.items()}
    assert "floors.txt" in read(".ci", "run")


def test_readme_states_the_floors():
    readme = read("README.md")
    for name, version in re.findall(r"^([A-Za-z0-9_-]+)==([0-9.]+)$", read(".ci", "floors.txt"),
                                    re.M):
        assert f"{name} {version}" in readme, name


def test_held_out_tables_share_nothing_with_the_suite():
    """``benchmarks/tables.py --held-out`` checks defaults chosen on the suite's
    tables on tables they were never chosen on: one table in both lists, by
    name or by data set, would check nothing."""
    import importlib.util
    import sys

    folder = os.path.join(ROOT, "benchmarks")
    sys.path.insert(0, folder)  # (tables.py imports its neighbour quality.py)
    try:
        spec = importlib.util.spec_from_file_location("_suite_tables",
                                                      os.path.join(folder, "tables.py"))
        tables = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tables)
    finally:
        sys.path.remove(folder)
    suite, held = tables.TABLES, tables.HELD_OUT
    assert len(held) == 12
    assert len({t.source for t in held}) == len(held)
    assert not {t.source for t in suite} & {t.source for t in held}
    assert not {t.name for t in suite} & {t.name for t in held}
    assert sum(t.classification for t in held) == 6
