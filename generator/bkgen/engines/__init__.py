"""Template engines for untrusted input: the jinja2 sandbox and helmfile's Go templates."""
