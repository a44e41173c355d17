pytest_plugins = ["tests.toolchain"]
