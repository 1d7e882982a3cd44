"""Template engines bkgen runs in-process or in a bounded child: Go templates (helmfile `.gotmpl`)."""
