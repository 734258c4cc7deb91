import pytest

from tests.actions.helpers import load_domain


@pytest.fixture(scope="session")
def domain():
    return load_domain()
