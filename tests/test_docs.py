"""The documentation site builds, and its API page shows every public method."""

import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def api_page(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return (site / "api" / "index.html").read_text()


def own_public_methods(cls):
    """Public methods defined in skrowattn, on the class or its skrowattn bases
    (scikit-learn documents what comes from its own classes)."""
    return sorted(
        name for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and member.__module__.startswith("skrowattn")
    )


@pytest.mark.parametrize("cls", [RowAttentionClassifier, RowAttentionRegressor])
def test_api_page_shows_every_public_method(api_page, cls):
    methods = own_public_methods(cls)
    assert {"fit", "predict", "transform", "score_samples", "get_feature_names_out"} <= set(methods)
    shown = set(re.findall(rf'id="skrowattn\.estimators\.{cls.__name__}\.(\w+)"', api_page))
    assert set(methods) <= shown, sorted(set(methods) - shown)


def test_api_page_has_no_raw_sphinx_roles(api_page):
    text = re.sub(r"<[^>]+>", "", api_page)
    assert not re.search(r":(class|meth|func|term|ref):`", text)
