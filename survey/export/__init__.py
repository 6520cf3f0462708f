"""Excel exports: the problem ledger (问题台账.xlsx), a round's raw answers, background export jobs."""
