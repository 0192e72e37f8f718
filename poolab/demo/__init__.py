"""`poolab demo`: the district loop end to end on a synthetic district (``run``), with a
simulated day's time stamps (``timeline``).

May import every stage of the library; nothing in the library imports it."""
