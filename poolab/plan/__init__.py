"""Planning: designs, operating characteristics, optimiser, dilution, simulator."""
