"""Capacity: what a rendered environment asks of its nodes (`bkgen plan`)."""
