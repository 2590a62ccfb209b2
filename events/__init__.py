"""The event catalogue (deal announcements, sector shocks), day-0 alignment, event study."""
