"""统计看板: a round's figures and charts for administrators and inspectors; a unit's own on its
liaison's home page."""
