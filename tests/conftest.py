"""Shared test settings and paths.

The real netlists live in ../shared/data/circuits beside the repository (never copied into it). CI lays
shared/ beside the clone, so a missing folder is a broken setup and fails loudly rather than skipping.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_CIRCUITS = ROOT.parent / "shared" / "data" / "circuits"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def shared_circuits() -> Path:
    """Path of ../shared/data/circuits; fails the test if it is not there."""
    if not SHARED_CIRCUITS.is_dir():
        pytest.fail(f"real netlists not found at {SHARED_CIRCUITS}; shared/ must sit beside the repo")
    return SHARED_CIRCUITS
