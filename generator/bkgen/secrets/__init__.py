"""Secrets: what must never be shown, and (later) where secret values come from.

`masking` decides which values of a manifest are sensitive and hides them for every output.
"""
