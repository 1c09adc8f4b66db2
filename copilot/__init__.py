"""flowgen: draft, lint and run production-ready realtime AI automation flows."""

__version__ = "0.1.0"
