"""Shared fixtures: models load offline from their PyPI packages; caches go to a temp folder."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    os.environ["LOGICDISTILL_CACHE"] = str(tmp_path_factory.mktemp("ld-cache"))
    yield
