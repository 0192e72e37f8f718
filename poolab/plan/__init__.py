"""Planning: designs, operating characteristics, optimiser, dilution, simulator.

May import: ``poolab.kernels``, ``poolab.reports`` (the day's estimate, for advice),
``poolab.files``, ``poolab.store``, the vocabulary. Nothing in the lab workflow imports it.
"""
