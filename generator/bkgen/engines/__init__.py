"""Template engines for untrusted input: the jinja2 sandbox and Go templates."""
