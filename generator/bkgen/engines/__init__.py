"""Template engines bkgen runs in a bounded child: Go templates (helmfile `.gotmpl`)."""
