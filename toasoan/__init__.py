"""toasoan: a static site generator for Vietnamese provincial news portals."""

__version__ = "0.1.0"
