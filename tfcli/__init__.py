"""tfcli: build Transformer-family architectures and show their facts."""

__version__ = "0.1.0"
