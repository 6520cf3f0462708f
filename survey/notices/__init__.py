"""Numbered notices (提醒函, 督办单, 告诫书, 通报): numbering, printing and Word documents."""
