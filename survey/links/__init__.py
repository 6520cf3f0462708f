"""Per-unit links and QR codes, and signed links (免密链接) that open one unit's self-check and
problems in one round without a password."""
