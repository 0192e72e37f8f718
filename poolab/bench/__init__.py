"""The lab bench: plates and their maps, kit rules, controls, and instrument exports
turned into calls (``poolab.instruments`` reads the files; this package decides what
they mean; ``poolab.results.record_calls`` stores every call)."""
