"""Overlays: load an environment, merge its values with provenance, plan its waves."""
