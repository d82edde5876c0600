"""Streamlit glue shared by app.py and the pages: the cached engine, cached reads keyed by the
store's data version, the sidebar's review context, and chart builders.

``core/`` never imports Streamlit; this package is where Streamlit meets ``core``.
"""
