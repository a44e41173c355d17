pytest_plugins = [
    "tests.example_app",
    "tests.toolchain",
    "tests.database_fixtures",
    "tests.attacker_servers",
    "tests.watch_servers",
    "tests.helpers",
]
