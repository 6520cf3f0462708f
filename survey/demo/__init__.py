"""The living demo district: rounds, self-checks, visits, photos and problems dated from today,
built through the same domain functions users go through (events, audit rows, numbering)."""
