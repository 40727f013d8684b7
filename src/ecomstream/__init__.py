"""ecomstream: real-time analytics of e-commerce clickstream events."""

__version__ = "0.1.0"
