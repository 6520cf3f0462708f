"""Administration: units, supervision groups, users and the audit log."""
