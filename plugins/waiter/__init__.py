"""Waiter: the store's tables and whether they are occupied (a stub until the waiter issue)."""
