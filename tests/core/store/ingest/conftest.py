# TEMPORARY (iteration only; delete before handing back)
from pathlib import Path
import pytest
from tests.conftest import DemoTemplate

@pytest.fixture(scope="session")
def demo_template():
    return DemoTemplate(store_path=Path("/tmp/scratch/demo.duckdb"), exports=Path("/tmp/scratch/demo"))
