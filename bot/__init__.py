"""Alerts and delivery: rules, the alert store, the scheduler and the Telegram adapter."""
