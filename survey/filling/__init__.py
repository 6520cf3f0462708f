"""Rounds and filling: unit self-checks and on-site visits on phones."""
