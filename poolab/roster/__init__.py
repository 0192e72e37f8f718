"""Residents: a committee's roster file read and checked (``file``), imported into the store a
block at a time (``importing``), ID numbers verified (``idnumber``), ids already seen in a big
file remembered in bounded memory (``seen_ids``), and the synthetic district (``synthetic``).

May import: the shared vocabulary (``poolab.errors``, ``barcodes``, ``masking``, ...),
``poolab.files``, ``poolab.store``. Never the stages above it (field, lab, reports)."""
