"""Importers: each reads a foreign format and writes an ordinary overlay.

An importer never renders anything itself and never leaves a half-written
overlay: it writes, proves the environment still loads and renders the new
release, and removes what it wrote when that fails.
"""
