"""The web tests walk pages of every app, so they use the charity books too."""

from tests.charity.conftest import books  # noqa: F401  (the fixture)
