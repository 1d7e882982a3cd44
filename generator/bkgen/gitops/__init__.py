"""Git: trees at refs, publishing rendered trees, the tags behind content pins."""
