"""督办阶梯: each round's ladder of reminders and notices (defaults, editing) and the daily scan
that fires it (scan.run_scan)."""
