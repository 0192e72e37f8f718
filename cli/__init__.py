"""The Click front end of poolab: parse, call one library function, print.

Modules here import only Click at import time; library modules are imported inside
command bodies so that ``poolab --help`` does not pay for numba or SQLAlchemy.
"""
