"""poolab: pooled-testing lab workflow and result deconvolution engine.

The library never imports Click and never prints; the command line lives in ``cli``.
Import submodules directly (``from poolab.roster.file import read_roster``): this package
imports nothing heavy so that ``poolab --help`` stays fast.
"""

__version__ = "0.1.0"
