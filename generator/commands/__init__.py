"""CLI subcommands, one module each; every module defines a click command named ``command``."""
