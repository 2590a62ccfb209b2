"""Strategies: the investor's playbook as pure functions of prices (and events)."""
