"""The self-service kiosk: its menu (cached), its orders paid by PIX or at the counter, its page."""
