"""The `dms` command line: thin commands over the services."""
