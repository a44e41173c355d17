pytest_plugins = ["tests.example_app"]
