"""Reading bkhelmfile install trees (helmfile state files, environments, releases) as plain data."""
