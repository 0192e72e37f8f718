"""The lab bench: plates and their maps, kit rules, controls, and instrument exports
turned into calls (``poolab.lab.instruments`` reads the files; this package decides what
they mean; ``poolab.lab.results.record_calls`` stores every call).

May import: ``poolab.lab.instruments``, ``poolab.lab.results``, ``poolab.files``,
``poolab.store``, the vocabulary.
"""
