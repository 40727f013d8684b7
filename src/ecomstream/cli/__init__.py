"""The `ecomstream` command line."""
