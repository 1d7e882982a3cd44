"""Reading input safely: every file through one confinement gate, every bound in one place."""
