pytest_plugins = ["tests.example_app", "tests.toolchain"]
