"""The fiscal plugin: NFC-e (modelo 65) from paid orders, sent to SEFAZ, with offline
contingency and the 2026 IBS/CBS fields."""
