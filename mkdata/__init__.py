"""mkdata: build multilingual retrieval training data.

The top level holds the parts of the product (``builders``, ``cards``, ...) and a
small shared core (``schema``, ``shards``, ``manifest``, ``fetch``, ``lang``,
``executors``, ``atomic``). Parts import the core, never each other.
"""

__version__ = "0.1.0"
