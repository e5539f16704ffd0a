"""Shared test settings and paths.

The real netlists the tests read ship with the repository in examples/circuits (see its SOURCES.md for
where each file comes from and what it computes), so a plain clone runs every test.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
NETLISTS = ROOT / "examples" / "circuits"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def netlists() -> Path:
    """Path of examples/circuits, the real netlists (one folder per family: iscas85, mcnc, epfl, ...)."""
    if not NETLISTS.is_dir():
        pytest.fail(f"real netlists not found at {NETLISTS}; the checkout is incomplete")
    return NETLISTS
