"""Working days: China's official calendar (chinese-calendar: public holidays and 调休 make-up
working days) plus the local exceptions an administrator adds (CalendarDay)."""
