"""The command-line layer: typer commands over the core packages. Nothing else imports it."""
