"""The built-in plugins, registered in pyproject.toml like any third-party plugin."""
