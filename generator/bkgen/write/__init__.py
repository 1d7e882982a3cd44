"""Writing the rendered tree: what a tree is, and replacing it atomically on disk."""
