import pytest

# Fixtures and helpers shared by the test modules. They import one another (watch_servers imports helpers), so each
# is marked for assertion rewriting here, before the first of them is imported: pytest marks a plugin only just
# before it imports it, and a module already imported by another plugin would keep its plain asserts.
PLUGINS = [
    "tests.example_app",
    "tests.toolchain",
    "tests.database_fixtures",
    "tests.fake_databases",
    "tests.watch_servers",
    "tests.helpers",
]
pytest.register_assert_rewrite(*PLUGINS)
pytest_plugins = PLUGINS
