"""`crm up` as a real subprocess on free ports with a temporary CRM_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crm_local.testing import CrmUp


@pytest.fixture
def crm_up(tmp_path: Path) -> Iterator[CrmUp]:
    """A `crm up` (not started yet) with its own home and ports; always cleaned up."""
    platform = CrmUp(tmp_path / "crm-home")
    try:
        yield platform
    finally:
        platform.cleanup()
