"""Getting exports into the store: bulk loading of canonical frames, one upload at a time.

This package is the only place with DuckDB-specific SQL (bulk ``INSERT ... SELECT`` from a
registered frame); everything else in the store is portable.
"""
