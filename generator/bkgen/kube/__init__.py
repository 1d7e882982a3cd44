"""Kubernetes knowledge: versions, deprecations, field types, offline schema compilation."""
